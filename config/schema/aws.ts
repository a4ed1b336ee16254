// The AWS provider: region and default tags.
import { z } from "zod";

import { ACCOUNT_ID } from "../aws-limits";
import { int, stringMap, text } from "../scalars";

export const awsSchema = z.strictObject({
    region: text("an AWS region such as us-east-1", /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/),
    /**
     * The only accounts this stack may touch: the provider refuses any other, so staging
     * credentials used with `--stack prod` (or an ambient profile) fail before creating anything.
     */
    allowedAccountIds: z.array(text("a 12-digit AWS account ID", ACCOUNT_ID)).min(1, "list at least one account ID").optional(),
    tags: stringMap.optional(),
    /**
     * The account's quota of managed policies per IAM role: 10 by default, adjustable to 20
     * (IAM and AWS STS quotas). Raise it only after the quota increase (review m7).
     */
    iamManagedPolicyQuota: int(10, 20).optional(),
});
