// Helm values of the taskflow-api chart, from the stack config and the infrastructure outputs.
// A pure function over plain values so it is tested without Pulumi; the TaskflowApi component
// calls it inside `pulumi.all(...).apply`. Keys follow chart/values.yaml (the chart's public
// interface). Secret values never appear here: the chart only gets the Secret's *name*.
import type { AppConfig, Config } from "../config";

/** Key of the Kubernetes Secret that holds the Redis password / ElastiCache AUTH token. The
 * Valkey subchart reads the same key (`redis.auth.aclUsers.default.passwordKey`). */
export const REDIS_PASSWORD_KEY = "redis-password";

/** Pod annotation carrying the Secret's checksum (the chart's Deployment uses the same key). */
export const SECRET_CHECKSUM_ANNOTATION = "checksum/existing-secret";

/** ServiceAccount annotation EKS reads to inject web-identity credentials (IRSA). */
export const IRSA_ANNOTATION = "eks.amazonaws.com/role-arn";

/** Resolved infrastructure facts the values depend on. */
export interface ChartInfra {
    /** ElastiCache primary endpoint host (elasticache mode only). */
    readonly redisHost?: string;
    /** Redis port; defaults to the configured port. */
    readonly redisPort?: number;
    /** Connect with TLS; defaults to true for ElastiCache (transit encryption is required). */
    readonly redisTls?: boolean;
    /** IAM role ARN for the ServiceAccount (IRSA), when the stack has one. */
    readonly roleArn?: string;
    /** Name of the Secret holding the Redis password under REDIS_PASSWORD_KEY. */
    readonly secretName: string;
    /** SHA-256 (hex) of the Secret's password: rolls the pods when the password changes. */
    readonly secretChecksum?: string;
    /** Content hash of the chart directory (chart-hash.ts). */
    readonly chartHash: string;
}

/** The subset of chart/values.yaml this program sets. Everything else keeps the chart default. */
export interface ChartValues {
    fullnameOverride: string;
    chartHash: string;
    replicaCount?: number;
    image?: { repository?: string; tag?: string; pullPolicy?: string };
    resources?: AppConfig["resources"];
    autoscaling?: {
        enabled: boolean;
        minReplicas?: number;
        maxReplicas?: number;
        targetCPUUtilizationPercentage?: number;
    };
    service?: { port: number };
    ingress?: NonNullable<AppConfig["ingress"]>;
    podDisruptionBudget?: NonNullable<AppConfig["podDisruptionBudget"]>;
    topologySpread?: NonNullable<AppConfig["topologySpread"]>;
    config?: Record<string, string>;
    migrations?: NonNullable<AppConfig["migrations"]>;
    networkPolicy?: NonNullable<AppConfig["networkPolicy"]>;
    serviceAccount: { create: boolean; name: string; annotations: Record<string, string> };
    existingSecret: { name: string; redisPasswordKey: string; checksum?: string };
    redis: {
        enabled: true;
        auth: { enabled: true; usersExistingSecret: string };
        podAnnotations?: Record<string, string>;
    } | { enabled: false };
    externalRedis?: { host: string; port: number; tls: boolean };
}

export function buildChartValues(config: Config, infra: ChartInfra): ChartValues {
    const app = config.app;
    const values: ChartValues = {
        // Stable object names, independent of the release name (the Service name is the app's
        // address for other services).
        fullnameOverride: config.release.name,
        chartHash: infra.chartHash,
        serviceAccount: {
            create: true,
            // IRSA trusts exactly this name; the chart must not derive another.
            name: config.serviceAccount.name,
            annotations: infra.roleArn ? { [IRSA_ANNOTATION]: infra.roleArn } : {},
        },
        existingSecret: compact({
            name: infra.secretName,
            redisPasswordKey: REDIS_PASSWORD_KEY,
            checksum: infra.secretChecksum,
        }),
        redis: { enabled: false },
    };
    if (config.redis.mode === "inCluster") {
        // The Valkey subchart reads its `default` user's password from the same Secret.
        values.redis = { enabled: true, auth: { enabled: true, usersExistingSecret: infra.secretName } };
        // Valkey reads the password only when its pod starts, like the app: the same checksum
        // restarts it on a rotation (the subchart cannot see the parent's annotations).
        if (infra.secretChecksum) values.redis.podAnnotations = { [SECRET_CHECKSUM_ANNOTATION]: infra.secretChecksum };
    } else {
        if (!infra.redisHost) throw new Error('buildChartValues: redis.mode "elasticache" needs infra.redisHost');
        values.externalRedis = {
            host: infra.redisHost,
            port: infra.redisPort ?? config.redis.port,
            tls: infra.redisTls ?? true,
        };
    }
    return compact({
        ...values,
        replicaCount: app.replicaCount,
        image: app.image && compact(app.image),
        resources: app.resources,
        autoscaling: app.autoscaling && compact(app.autoscaling),
        service: app.servicePort === undefined ? undefined : { port: app.servicePort },
        ingress: app.ingress && compact(app.ingress),
        podDisruptionBudget: app.podDisruptionBudget && compact(app.podDisruptionBudget),
        topologySpread: app.topologySpread && compact(app.topologySpread),
        config: app.env,
        migrations: app.migrations && compact(app.migrations),
        networkPolicy: app.networkPolicy && compact(app.networkPolicy),
    });
}

/** Drops undefined fields so the chart default applies (and YAML serialisers stay happy). */
function compact<T extends object>(o: T): T {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
