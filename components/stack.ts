// Builds one taskflow-api stack from its validated config. Every stack (dev, staging, prod, or a
// new one) goes through this same code path; what differs is only the config.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";

import { Config } from "../config";
import { hashChartDir } from "./chart-hash";
import { ChartValues } from "./chart-values";
import { ClusterFacts } from "./cluster-facts";
import { ClusterPreflight } from "./cluster-preflight";
// Types only: these modules load @pulumi/aws, which createStack loads only when needed.
import type { AwsInfra } from "./aws-infra";
import type { RedisCache } from "./redis-cache";
import type { ServiceAccountRole } from "./service-account-role";
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

    // The AWS side only for stacks that have AWS resources: dev needs no AWS credentials, and
    // does not even load @pulumi/aws (see aws-infra.ts).
    const needsAws = config.redis.mode === "elasticache" || config.serviceAccount.iam !== undefined;
    const { redis, role }: AwsInfra = needsAws ? loadAwsInfra().createAwsInfra(config, cluster, opts.stack) : {};

    // Prerequisites the release relies on but does not install (alb IngressClass, metrics API):
    // read at preview, so a missing one fails the preview (cluster.preflight: false skips it).
    const preflight = config.cluster.preflight === false ? undefined : new ClusterPreflight(`${name}-preflight`, { config }, { providers: [k8sProvider] });

    const app = new TaskflowApi(name, {
        config,
        redis: redis && { host: redis.host, port: redis.port, authToken: redis.authToken },
        roleArn: role?.roleArn,
        chartHash: hashChartDir(path.resolve(projectRoot, CHART_PATH)),
    }, { providers: [k8sProvider], dependsOn: preflight ? [preflight] : [] });

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

/** aws-infra.ts, loaded on first use. */
function loadAwsInfra(): typeof import("./aws-infra") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazily, on purpose (aws-infra.ts)
    return require("./aws-infra");
}
