// Facts about the EKS cluster: from this stack's config or from the cluster's own stack.
import { z } from "zod";

import { bool, text } from "../scalars";

/** Output names of the cluster stack, when the cluster facts come from a StackReference. */
export const CLUSTER_FACTS = [
    "oidcProviderArn",
    "oidcIssuerUrl",
    "vpcId",
    "privateSubnetIds",
    "nodeSecurityGroupId",
    "kubeconfig",
] as const;
export type ClusterFact = (typeof CLUSTER_FACTS)[number];

const outputName = text("a stack output name", /^[A-Za-z_][\w.-]*$/);

export const clusterSchema = z.strictObject({
    stackReference: text(
        "a stack name: <stack>, <project>/<stack> or <org>/<project>/<stack>",
        /^[\w.-]+(\/[\w.-]+){0,2}$/,
    ).optional(),
    outputNames: z
        .strictObject(Object.fromEntries(CLUSTER_FACTS.map((f) => [f, outputName.optional()])) as {
            [K in ClusterFact]: z.ZodOptional<typeof outputName>;
        })
        .optional(),
    oidcProviderArn: text(
        "an IAM OIDC provider ARN (arn:aws:iam::<account>:oidc-provider/<issuer host/path>)",
        /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/[^\s]+$/,
    ).optional(),
    oidcIssuerUrl: text("an https:// issuer URL without a trailing slash", /^https:\/\/[^\s/]+(\/[^\s/]+)*$/).optional(),
    vpcId: text("a VPC id (vpc-...)", /^vpc-[0-9a-f]{8,17}$/).optional(),
    privateSubnetIds: z
        .array(text("a subnet id (subnet-...)", /^subnet-[0-9a-f]{8,17}$/))
        .min(1, "expected at least one private subnet id")
        .optional(),
    nodeSecurityGroupId: text("a security group id (sg-...)", /^sg-[0-9a-f]{8,17}$/).optional(),
    kubeconfig: z.string().min(1, "expected a kubeconfig document").optional(),
    context: z.string().min(1).optional(),
    /**
     * Kubernetes version of the cluster (major.minor[.patch]), for the offline renders (`npm run
     * plan`, `npm run diff`, the chart suite: `helm template --kube-version`), so they take the
     * template branches the cluster's Helm takes. Unset: Helm's built-in default.
     */
    kubernetesVersion: text("a Kubernetes version such as 1.33 or 1.33.4", /^1\.\d{1,2}(\.\d{1,3})?$/).optional(),
    /**
     * Check the cluster prerequisites the release uses (the Ingress's IngressClass, the metrics
     * API for the HPA) at preview. Default true; false only while bootstrapping the cluster.
     */
    preflight: bool().optional(),
});
