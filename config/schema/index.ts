// The whole stack config's shape: one schema per section. The bottom of config/'s one-way
// imports (schema -> model -> rules -> index): it knows nothing of defaults or cross-field rules,
// which index.ts composes with it into the parser.
import { z } from "zod";

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

/** Every section's own checks; unknown keys are errors at every level. */
export const rootObject = z.strictObject(rootShape);
