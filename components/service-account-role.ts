import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as crypto from "crypto";

import type { PolicyStatement } from "../config";
import { roleLogicalName, rolePolicyLogicalName } from "../config/names";

export interface ServiceAccountRoleArgs {
    /** ARN of the cluster's IAM OIDC provider. */
    readonly oidcProviderArn: pulumi.Input<string>;
    /** Namespace of the ServiceAccount. */
    readonly namespace: pulumi.Input<string>;
    /** Name of the ServiceAccount allowed to assume the role. */
    readonly serviceAccountName: pulumi.Input<string>;
    /** Inline policy statements. Default none. */
    readonly policyStatements?: readonly PolicyStatement[];
    /** Managed policy ARNs to attach. Default none. */
    readonly managedPolicyArns?: readonly string[];
    /** Permissions boundary of the role. Default none. */
    readonly permissionsBoundaryArn?: string;
    /** IAM path of the role. Default "/". */
    readonly path?: string;
}

/**
 * The issuer host/path of an IAM OIDC provider ARN (`arn:aws:iam::<account>:oidc-provider/<issuer>`).
 * The trust policy's condition keys are derived from the ARN itself, so they cannot disagree
 * with the provider they trust (IAM matches the keys against that provider's issuer).
 */
export function issuerOf(oidcProviderArn: string): string {
    const issuer = oidcProviderArn.split(":oidc-provider/")[1];
    if (!issuer) throw new Error(`not an IAM OIDC provider ARN: ${oidcProviderArn}`);
    return issuer.replace(/\/$/, "");
}

/**
 * Trust policy letting exactly one Kubernetes ServiceAccount assume a role through the
 * cluster's OIDC provider (IRSA). Both `sub` and `aud` are matched exactly: without `aud` any
 * token the issuer signs for another audience would do, and a wildcard `sub` would hand the role
 * to every ServiceAccount of the cluster.
 */
export function irsaTrustPolicy(oidcProviderArn: string, namespace: string, serviceAccount: string): string {
    const issuer = issuerOf(oidcProviderArn);
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{
            Effect: "Allow",
            Principal: { Federated: oidcProviderArn },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
                StringEquals: {
                    [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
                    [`${issuer}:aud`]: "sts.amazonaws.com",
                },
            },
        }],
    });
}

/** An IAM role for a Kubernetes ServiceAccount (IRSA) with the given permissions. */
export class ServiceAccountRole extends pulumi.ComponentResource {
    /** Role ARN; resolves only once every policy is attached, so pods never start without them. */
    public readonly roleArn: pulumi.Output<string>;
    public readonly role: aws.iam.Role;

    constructor(name: string, args: ServiceAccountRoleArgs, opts?: pulumi.ComponentResourceOptions) {
        super("taskflow:aws:ServiceAccountRole", name, {}, opts);

        this.role = new aws.iam.Role(roleLogicalName(name), {
            path: args.path,
            permissionsBoundary: args.permissionsBoundaryArn,
            description: pulumi.interpolate`IRSA role of ServiceAccount ${args.namespace}/${args.serviceAccountName}`,
            assumeRolePolicy: pulumi
                .all([args.oidcProviderArn, args.namespace, args.serviceAccountName])
                .apply(([arn, ns, sa]) => irsaTrustPolicy(arn, ns, sa)),
        }, { parent: this });

        const attachments: pulumi.CustomResource[] = [];
        const statements = args.policyStatements ?? [];
        if (statements.length > 0) {
            attachments.push(new aws.iam.RolePolicy(rolePolicyLogicalName(name), {
                role: this.role.name,
                policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
            }, { parent: this }));
        }
        for (const policyArn of args.managedPolicyArns ?? []) {
            // Named after the policy, not its list position, so reordering the list is a no-op.
            attachments.push(new aws.iam.RolePolicyAttachment(`${name}-${policySuffix(policyArn)}`, {
                role: this.role.name,
                policyArn,
            }, { parent: this }));
        }

        this.roleArn = pulumi.all([this.role.arn, ...attachments.map((a) => a.id)]).apply(([arn]) => arn);
        this.registerOutputs({ roleArn: this.roleArn });
    }
}

/** `AWSXRayDaemonWriteAccess-1a2b3c`: readable, and unique across accounts and paths. */
function policySuffix(policyArn: string): string {
    const short = policyArn.slice(policyArn.lastIndexOf("/") + 1).slice(0, 40);
    return `${short}-${crypto.createHash("sha1").update(policyArn).digest("hex").slice(0, 6)}`;
}
