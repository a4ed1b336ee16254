// The app's ServiceAccount and its optional IAM role (IRSA).
import { z } from "zod";

import { dnsLabel, oneOrMany, text } from "../scalars";

export const policyStatementSchema = z.strictObject({
    Sid: text("a statement id of letters and digits", /^[A-Za-z0-9]+$/).optional(),
    Effect: z.enum(["Allow", "Deny"]).default("Allow"),
    Action: oneOrMany(
        text("an IAM action such as s3:GetObject (a bare * is not allowed)", /^[a-z0-9-]+:[A-Za-z0-9*]+$/),
    ),
    Resource: oneOrMany(z.string().min(1)),
    Condition: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
});

export const serviceAccountSchema = z.strictObject({
    /** ServiceAccount name; IRSA trusts exactly this name. Defaults to the release name. */
    name: dnsLabel.optional(),
    /** IRSA: an IAM role for the ServiceAccount. Absent means no AWS identity for the pods. */
    iam: z
        .strictObject({
            managedPolicyArns: z
                .array(text("an IAM policy ARN", /^arn:aws[a-z-]*:iam::(aws|\d{12}):policy\/[\w+=,.@/-]+$/))
                .default([]),
            policyStatements: z.array(policyStatementSchema).default([]),
        })
        .optional(),
});
