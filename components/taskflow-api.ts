import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

import type { Config } from "../config";
import { buildChartValues, ChartValues, namespaceLabels, REDIS_CA_KEY, REDIS_PASSWORD_KEY } from "./chart-values";

/**
 * The chart, relative to the project root. Kept relative on purpose: the path is an input of the
 * release and is stored in the state, so an absolute path would show a diff on every machine.
 */
export const CHART_PATH = "./chart";

export interface TaskflowApiArgs {
    /** Validated stack config. */
    readonly config: Config;
    /** ElastiCache endpoint and AUTH token; absent in inCluster mode (a password is generated)
     * and in external mode (endpoint and token come from the config). */
    readonly redis?: {
        readonly host: pulumi.Input<string>;
        readonly port: pulumi.Input<number>;
        readonly authToken: pulumi.Input<string>;
    };
    /** IAM role for the ServiceAccount (IRSA); none when absent. */
    readonly roleArn?: pulumi.Input<string>;
    /** Content hash of the chart directory (see chart-hash.ts). */
    readonly chartHash: string;
}

/**
 * taskflow-api on Kubernetes: its namespace (optional), the Secret with the Redis credentials and
 * the Helm release of ./chart.
 */
export class TaskflowApi extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    public readonly secretName: pulumi.Output<string>;
    /** Helm values given to the release. Never contains a secret value. */
    public readonly values: pulumi.Output<ChartValues>;
    public readonly releaseName: pulumi.Output<string>;
    public readonly releaseStatus: pulumi.Output<string>;
    public readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: TaskflowApiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("taskflow:app:TaskflowApi", name, {}, opts);
        const cfg = args.config;

        this.namespace = cfg.namespace.create
            ? new k8s.core.v1.Namespace(`${name}-ns`, {
                metadata: { name: cfg.namespace.name, labels: namespaceLabels(cfg) },
            }, { parent: this }).metadata.name
            : pulumi.output(cfg.namespace.name);

        const labels = { "app.kubernetes.io/name": "taskflow-api", "app.kubernetes.io/managed-by": "pulumi" };
        const external = cfg.redis.mode === "external" ? cfg.redis : undefined;
        const dependsOn: pulumi.Resource[] = [];

        // An external Redis may keep its token in a Secret someone else manages: the chart then
        // reads that one, by name, and this stack writes none.
        const foreign = external?.authTokenSecret;
        let secretKey: string | undefined;
        if (foreign) {
            this.secretName = pulumi.output(foreign.name);
            secretKey = foreign.key;
        } else {
            // ElastiCache brings its AUTH token, an external Redis its configured one (a secret
            // config value); the in-cluster Valkey gets a generated password. Alphanumeric only:
            // it may end up in a redis:// URL.
            const password = args.redis?.authToken ?? external?.authToken ?? new random.RandomPassword(`${name}-redis-password`, {
                length: 32,
                special: false,
                keepers: { version: String(cfg.redis.authTokenVersion) },
            }, { parent: this }).result;
            const secret = new k8s.core.v1.Secret(`${name}-redis-auth`, {
                metadata: { name: `${cfg.release.name}-redis-auth`, namespace: this.namespace, labels },
                type: "Opaque",
                stringData: { [REDIS_PASSWORD_KEY]: pulumi.secret(password) },
            }, { parent: this, additionalSecretOutputs: ["data", "stringData"] });
            this.secretName = secret.metadata.name;
            dependsOn.push(secret);
        }

        // The CA bundle the external Redis' certificate chains to, mounted read-only into the app
        // and the migration hook (chart externalRedis.caSecret). A Secret, not a ConfigMap,
        // because it comes from a secret config value.
        let caSecretName: pulumi.Output<string | undefined> = pulumi.output(undefined);
        if (external?.caCert !== undefined) {
            const ca = new k8s.core.v1.Secret(`${name}-redis-ca`, {
                metadata: { name: `${cfg.release.name}-redis-ca`, namespace: this.namespace, labels },
                type: "Opaque",
                stringData: { [REDIS_CA_KEY]: pulumi.secret(external.caCert) },
            }, { parent: this, additionalSecretOutputs: ["data", "stringData"] });
            caSecretName = ca.metadata.name;
            dependsOn.push(ca);
        }

        this.values = pulumi
            .all([args.redis?.host, args.redis?.port, args.roleArn, this.secretName, caSecretName])
            .apply(([redisHost, redisPort, roleArn, secretName, redisCaSecretName]) =>
                buildChartValues(cfg, { redisHost, redisPort, roleArn, secretName, secretKey, redisCaSecretName, chartHash: args.chartHash }));

        this.release = new k8s.helm.v3.Release(name, {
            name: cfg.release.name,
            chart: CHART_PATH,
            namespace: this.namespace,
            values: this.values,
            // No dependencyUpdate: the Valkey subchart is fetched once with `helm dependency build
            // chart` (README), so a deploy does not depend on the chart repository being up.
            // A failed rollout rolls itself back and removes what it created.
            atomic: true,
            cleanupOnFail: true,
            timeout: cfg.release.timeoutSeconds,
            maxHistory: cfg.release.maxHistory,
            createNamespace: false,
            // The heal path (docs/operations.md): a new token changes only this input, so `up`
            // runs a Helm upgrade of the same chart and values. Helm's three-way merge patches
            // every object back to the release's manifest and re-creates deleted ones, with the
            // deploy's atomic rollback, hooks and a history entry that says "heal <token>".
            description: cfg.release.healToken ? `heal ${cfg.release.healToken}` : undefined,
        }, { parent: this, dependsOn });

        this.releaseName = this.release.status.name;
        this.releaseStatus = this.release.status.status;

        this.registerOutputs({
            namespace: this.namespace,
            secretName: this.secretName,
            releaseName: this.releaseName,
            releaseStatus: this.releaseStatus,
        });
    }
}
