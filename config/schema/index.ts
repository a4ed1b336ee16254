// The whole stack config: one schema per section, then the cross-field rules, then defaults.
import { z } from "zod";

import { withDefaults } from "../model";
import { crossFieldRules } from "../rules";
import { appSchema } from "./app";
import { awsSchema } from "./aws";
import { clusterSchema } from "./cluster";
import { redisSchema } from "./redis";
import { namespaceSchema, releaseSchema } from "./release";
import { serviceAccountSchema } from "./service-account";

const rootShape = {
    // prefault: an absent section is parsed as {}, so the field defaults above apply.
    namespace: namespaceSchema.prefault({}),
    release: releaseSchema.prefault({}),
    app: appSchema.prefault({}),
    serviceAccount: serviceAccountSchema.prefault({}),
    redis: redisSchema,
    cluster: clusterSchema.prefault({}),
    aws: awsSchema.optional(),
};
export type Parsed = z.output<z.ZodObject<typeof rootShape>>;

export const rootSchema = z
    .strictObject(rootShape)
    // Cross-field rules run even when a field failed its own check (`when`), so one run reports
    // every problem; each rule therefore only reads fields that parsed to the right type.
    .superRefine((c, ctx) => crossFieldRules(c, ctx), { when: () => true })
    .transform(withDefaults);
