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

    // Explicit providers: nothing depends on whatever AWS profile or kube context happens to be
    // ambient, except where the config asks for exactly that (no kubeconfig configured).
    const k8sProvider = new k8s.Provider("k8s", {
        kubeconfig: cluster.kubeconfig(),
        context: config.cluster.context,
    });

    const needsAws = config.redis.mode === "elasticache" || config.serviceAccount.iam !== undefined;
    const awsProvider = needsAws && config.aws
        ? new aws.Provider("aws", {
            region: config.aws.region as aws.Region,
            defaultTags: {
                tags: { ...config.aws.tags, project: PROJECT, stack: opts.stack, "managed-by": "pulumi" },
            },
        })
        : undefined;
    const awsOpts: pulumi.ComponentResourceOptions = { providers: awsProvider ? [awsProvider] : [] };

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

/** ElastiCache snapshot names: letters, digits and single hyphens, starting with a letter. */
function snapshotName(raw: string): string {
    return raw.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-+/g, "-").replace(/^[^a-z]+|-$/g, "").slice(0, 255);
}
