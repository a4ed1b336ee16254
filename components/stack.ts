// Builds one taskflow-api stack from its validated config. Every stack (dev, staging, prod, or a
// new one) goes through this same code path; what differs is only the config.
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";

import { Config, PROJECT } from "../config";
import { hashChartDir } from "./chart-hash";
import { ChartValues } from "./chart-values";
import { ClusterFacts } from "./cluster-facts";
import { RedisCache } from "./redis-cache";
import { ServiceAccountRole } from "./service-account-role";
import { CHART_PATH, TaskflowApi } from "./taskflow-api";

export interface StackOptions {
    /** Stack name, used in tags and the final snapshot name. */
    readonly stack: string;
    /** Directory holding ./chart. Default: the working directory (Pulumi runs in the project). */
    readonly projectRoot?: string;
}

export interface StackOutputs {
    readonly namespace: pulumi.Output<string>;
    readonly releaseName: pulumi.Output<string>;
    readonly releaseStatus: pulumi.Output<string>;
    /** ElastiCache primary endpoint (elasticache stacks only). */
    readonly redisEndpoint?: pulumi.Output<{ host: string; port: number }>;
    /** IAM role of the app's ServiceAccount (IRSA stacks only). */
    readonly roleArn?: pulumi.Output<string>;
    /** Helm values of the release (not exported by index.ts; for tests and the offline plan). */
    readonly values: pulumi.Output<ChartValues>;
    /** The components, for tests that inspect resource options. */
    readonly components: { readonly app: TaskflowApi; readonly redis?: RedisCache; readonly role?: ServiceAccountRole };
}

export function createStack(config: Config, opts: StackOptions): StackOutputs {
    const projectRoot = opts.projectRoot ?? process.cwd();
    const cluster = new ClusterFacts(config.cluster);
    const name = config.release.name;

    // Explicit providers: the target region and cluster come from the stack's config, not from
    // whatever is ambient (the kube context is ambient only when no kubeconfig is configured).
    const k8sProvider = new k8s.Provider("k8s", {
        kubeconfig: cluster.kubeconfig(),
        context: config.cluster.context,
    });

    // Created only when the stack has AWS resources: dev needs no AWS credentials at all.
    const needsAws = config.redis.mode === "elasticache" || config.serviceAccount.iam !== undefined;
    const awsOpts: pulumi.ComponentResourceOptions = needsAws ? { providers: [awsProvider(config, opts.stack)] } : {};

    let redis: RedisCache | undefined;
    if (config.redis.mode === "elasticache") {
        const r = config.redis;
        redis = new RedisCache(`${name}-redis`, {
            vpcId: cluster.require("vpcId"),
            subnetIds: cluster.require("privateSubnetIds"),
            clientSecurityGroupId: cluster.require("nodeSecurityGroupId"),
            engine: r.engine,
            engineVersion: r.engineVersion,
            family: r.family,
            nodeType: r.nodeType,
            numNodes: r.numNodes,
            multiAz: r.multiAz,
            port: r.port,
            snapshotRetentionDays: r.snapshotRetentionDays,
            snapshotWindow: r.snapshotWindow,
            maintenanceWindow: r.maintenanceWindow,
            slowLogRetentionDays: r.slowLogRetentionDays,
            authTokenLength: r.authTokenLength,
            authTokenVersion: r.authTokenVersion,
            applyImmediately: r.applyImmediately,
            finalSnapshotIdentifier: r.finalSnapshot ? snapshotName(`${name}-${opts.stack}-final`) : undefined,
            protect: r.protect,
        }, awsOpts);
    }

    let role: ServiceAccountRole | undefined;
    const iam = config.serviceAccount.iam;
    if (iam !== undefined) {
        role = new ServiceAccountRole(name, {
            oidcProviderArn: cluster.require("oidcProviderArn"),
            oidcIssuerUrl: cluster.require("oidcIssuerUrl"),
            namespace: config.namespace.name,
            serviceAccountName: config.serviceAccount.name,
            policyStatements: iam.policyStatements,
            managedPolicyArns: iam.managedPolicyArns,
        }, awsOpts);
    }

    const app = new TaskflowApi(name, {
        config,
        redis: redis && { host: redis.host, port: redis.port, authToken: redis.authToken },
        roleArn: role?.roleArn,
        chartHash: hashChartDir(path.resolve(projectRoot, CHART_PATH)),
    }, { providers: [k8sProvider] });

    return {
        namespace: app.namespace,
        releaseName: app.releaseName,
        releaseStatus: app.releaseStatus,
        redisEndpoint: redis && pulumi.all([redis.host, redis.port]).apply(([host, port]) => ({ host, port })),
        roleArn: role?.roleArn,
        values: app.values,
        components: { app, redis, role },
    };
}

/** The stack outputs index.ts exports: always namespace, releaseName and releaseStatus; the
 * ElastiCache endpoint and the IRSA role only on stacks that have them. */
export interface ExportedOutputs {
    readonly namespace: pulumi.Output<string>;
    readonly releaseName: pulumi.Output<string>;
    readonly releaseStatus: pulumi.Output<string>;
    readonly redisEndpoint?: pulumi.Output<{ host: string; port: number }>;
    readonly roleArn?: pulumi.Output<string>;
}

export function stackOutputs(s: StackOutputs): ExportedOutputs {
    return {
        namespace: s.namespace,
        releaseName: s.releaseName,
        releaseStatus: s.releaseStatus,
        ...(s.redisEndpoint && { redisEndpoint: s.redisEndpoint }),
        ...(s.roleArn && { roleArn: s.roleArn }),
    };
}

function awsProvider(config: Config, stack: string): aws.Provider {
    // parseConfig requires aws.region whenever AWS resources are created.
    if (config.aws === undefined) throw new Error("createStack: AWS resources need config aws.region");
    return new aws.Provider("aws", {
        region: config.aws.region as aws.Region,
        defaultTags: {
            // The fixed tags win over same-named ones from aws.tags.
            tags: { ...config.aws.tags, project: PROJECT, stack, "managed-by": "pulumi" },
        },
    });
}

/** ElastiCache snapshot names: letters, digits and single hyphens, starting with a letter. */
function snapshotName(raw: string): string {
    return raw.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-+/g, "-").replace(/^[^a-z]+|-$/g, "").slice(0, 255);
}
