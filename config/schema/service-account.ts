// The app's ServiceAccount and its optional IAM role (IRSA).
import { z } from "zod";

import { IAM_PATH, POLICY_RESOURCE } from "../aws-limits";
import { dnsLabel, oneOrMany, text } from "../scalars";

const POLICY_ARN = /^arn:aws[a-z-]*:iam::(aws|\d{12}):policy\/[\w+=,.@/-]+$/;

export const policyStatementSchema = z.strictObject({
    Sid: text("a statement id of letters and digits", /^[A-Za-z0-9]+$/).optional(),
    Effect: z.enum(["Allow", "Deny"]).default("Allow"),
    Action: oneOrMany(
        text("an IAM action such as s3:GetObject (a bare * is not allowed)", /^[a-z0-9-]+:[A-Za-z0-9*]+$/),
    ),
    Resource: oneOrMany(text("* or an ARN (arn:<partition>:<service>:<region>:<account>:<resource>)", POLICY_RESOURCE)),
    Condition: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
});

export const serviceAccountSchema = z.strictObject({
    /** ServiceAccount name; IRSA trusts exactly this name. Defaults to the release name. */
    name: dnsLabel.optional(),
    /** IRSA: an IAM role for the ServiceAccount. Absent means no AWS identity for the pods. */
    iam: z
        .strictObject({
            managedPolicyArns: z
                .array(text("an IAM policy ARN", POLICY_ARN))
                .default([]),
            policyStatements: z.array(policyStatementSchema).default([]),
            /** Managed policy that caps the role's permissions (many orgs require one for CI-created roles). */
            permissionsBoundaryArn: text("an IAM policy ARN", POLICY_ARN).optional(),
            /** IAM path of the role, `/` by default. */
            path: text("an IAM path: / or /<segments>/ of printable ASCII, at most 512 characters", IAM_PATH).optional(),
        })
        .optional(),
});
