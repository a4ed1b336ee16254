// The AWS provider: region and default tags.
import { z } from "zod";

import { stringMap, text } from "../scalars";

export const awsSchema = z.strictObject({
    region: text("an AWS region such as us-east-1", /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/),
    tags: stringMap.optional(),
});
