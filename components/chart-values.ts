// Helm values of the taskflow-api chart, from the stack config and the infrastructure outputs.
// A pure function over plain values so it is tested without Pulumi; the TaskflowApi component
// calls it inside `pulumi.all(...).apply`. Keys follow chart/values.yaml (the chart's public
// interface). Secret values never appear here: the chart only gets the Secret's *name*.
import { albIpTargets, CHART_DEFAULTS, DEFAULT_DRAIN_SECONDS, READINESS_GATE_LABEL, TARGET_GROUP_ATTRIBUTES } from "../config";
import { createHash } from "crypto";

import type { AppConfig, Config } from "../config";

/** Key of the Kubernetes Secret that holds the Redis password / ElastiCache AUTH token. The
 * Valkey subchart reads the same key (`redis.auth.aclUsers.default.passwordKey`). */
export const REDIS_PASSWORD_KEY = "redis-password";

/** Key of the CA bundle in the Secret the program writes from redis.caCert. */
export const REDIS_CA_KEY = "ca.crt";

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
    /** Name of the Secret holding the Redis password (under REDIS_PASSWORD_KEY unless secretKey). */
    readonly secretName: string;
    /** Its key, when the Secret is not ours (redis.authTokenSecret). Default REDIS_PASSWORD_KEY. */
    readonly secretKey?: string;
    /** Secret holding the external Redis' CA bundle under REDIS_CA_KEY (redis.caCert). */
    readonly redisCaSecretName?: string;
    /** Content hash of the chart directory (chart-hash.ts). */
    readonly chartHash: string;
}

/** The subset of chart/values.yaml this program sets. Everything else keeps the chart default. */
export interface ChartValues {
    fullnameOverride: string;
    chartHash: string;
    replicaCount?: number;
    image?: { repository?: string; tag?: string; digest?: string; pullPolicy?: string };
    resources?: AppConfig["resources"];
    autoscaling?: NonNullable<AppConfig["autoscaling"]>;
    rollingUpdate?: NonNullable<AppConfig["rollingUpdate"]>;
    startupProbe?: NonNullable<AppConfig["startupProbe"]>;
    preStopDelaySeconds?: number;
    terminationGracePeriodSeconds?: number;
    podSecurityContext?: NonNullable<AppConfig["podSecurityContext"]>;
    helmTest?: NonNullable<AppConfig["helmTest"]>;
    service?: { port: number };
    ingress?: NonNullable<AppConfig["ingress"]>;
    podDisruptionBudget?: Omit<NonNullable<AppConfig["podDisruptionBudget"]>, "minAvailable"> & { minAvailable?: number | string };
    topologySpread?: NonNullable<AppConfig["topologySpread"]>;
    tolerations?: { key: string; operator: "Exists"; effect: "NoExecute"; tolerationSeconds: number }[];
    config?: Record<string, string>;
    migrations?: NonNullable<AppConfig["migrations"]>;
    networkPolicy?: NonNullable<AppConfig["networkPolicy"]> & { redisEgressTo?: { ipBlock: { cidr: string } }[] };
    serviceAccount: { create: boolean; name: string; annotations: Record<string, string> };
    existingSecret: { name: string; redisPasswordKey: string; checksum?: string };
    redis: {
        enabled: true;
        auth: { enabled: true; usersExistingSecret: string };
        podAnnotations?: Record<string, string>;
    } | { enabled: false };
    externalRedis?: { host: string; port: number; tls: boolean; caSecret?: { name: string; key: string } };
}

/** Pod Security Standard enforced on the namespace (the chart's pods comply with it). */
const POD_SECURITY_LEVEL = "restricted";

/**
 * Labels of the namespace the program creates: Pod Security "restricted", and behind an ALB with
 * ip targets the controller's readiness-gate injection, so a rolling update waits until each new
 * pod's target is healthy in the target group before the next old pod goes.
 */
export function namespaceLabels(config: Config): Record<string, string> {
    return {
        "pod-security.kubernetes.io/enforce": POD_SECURITY_LEVEL,
        "pod-security.kubernetes.io/audit": POD_SECURITY_LEVEL,
        "pod-security.kubernetes.io/warn": POD_SECURITY_LEVEL,
        ...(albIpTargets(config.app) ? { [READINESS_GATE_LABEL]: "enabled" } : {}),
    };
}

/**
 * The Redis Secret's revision, as a SHA-256 for the pods' `checksum/existing-secret` annotation.
 * Pods (and dev's Valkey) read the password only when they start, so a rotation must replace
 * them. The password changes exactly when `redis.authTokenVersion` does (the version is the
 * generator's keeper, for the random password and the ElastiCache token alike), so the revision
 * is derived from that, not from the password: it is known at preview, so a rotation's preview
 * shows the roll, and the values stay readable to reviewers and to the policy pack (a checksum of
 * the password would make every value unknown whenever the password is (re)created).
 */
export function secretChecksum(config: Config, secretName: string): string {
    const revision = { secret: secretName, key: REDIS_PASSWORD_KEY, authTokenVersion: config.redis.authTokenVersion };
    return createHash("sha256").update(JSON.stringify(revision)).digest("hex");
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
            redisPasswordKey: infra.secretKey ?? REDIS_PASSWORD_KEY,
            checksum: secretChecksum(config, infra.secretName),
        }),
        redis: { enabled: false },
    };
    if (config.redis.mode === "inCluster") {
        // The Valkey subchart reads its `default` user's password from the same Secret.
        values.redis = { enabled: true, auth: { enabled: true, usersExistingSecret: infra.secretName } };
        // Valkey reads the password only when its pod starts, like the app: the same checksum
        // restarts it on a rotation (the subchart cannot see the parent's annotations).
        values.redis.podAnnotations = { [SECRET_CHECKSUM_ANNOTATION]: secretChecksum(config, infra.secretName) };
    } else if (config.redis.mode === "external") {
        // The same chart path as ElastiCache: only where the endpoint and token come from differs.
        values.externalRedis = compact({
            host: config.redis.host,
            port: config.redis.port,
            tls: config.redis.tls,
            caSecret: infra.redisCaSecretName ? { name: infra.redisCaSecretName, key: REDIS_CA_KEY } : undefined,
        });
    } else {
        if (!infra.redisHost) throw new Error('buildChartValues: redis.mode "elasticache" needs infra.redisHost');
        values.externalRedis = {
            host: infra.redisHost,
            port: infra.redisPort ?? config.redis.port,
            tls: infra.redisTls ?? true,
        };
    }
    // Review m2: the Redis port only towards the cache's subnets, not to any host.
    const egressCidrs = config.redis.mode === "inCluster" ? undefined : config.redis.egressCidrs;
    const networkPolicy = egressCidrs || app.networkPolicy
        ? compact({ ...app.networkPolicy, redisEgressTo: egressCidrs?.map((cidr) => ({ ipBlock: { cidr } })) })
        : undefined;
    return compact({
        ...values,
        replicaCount: app.replicaCount,
        image: app.image && compact(app.image),
        resources: app.resources,
        autoscaling: app.autoscaling && compact(app.autoscaling),
        service: app.servicePort === undefined ? undefined : { port: app.servicePort },
        rollingUpdate: app.rollingUpdate,
        startupProbe: app.startupProbe && compact(app.startupProbe),
        preStopDelaySeconds: app.shutdown?.preStopDelaySeconds,
        terminationGracePeriodSeconds: app.shutdown?.terminationGracePeriodSeconds,
        podSecurityContext: app.podSecurityContext && compact(app.podSecurityContext),
        helmTest: app.helmTest && compact(app.helmTest),
        ingress: app.ingress && compact({ ...app.ingress, annotations: ingressAnnotations(app) }),
        podDisruptionBudget: app.podDisruptionBudget && pdbValues(app.podDisruptionBudget),
        topologySpread: app.topologySpread && compact(app.topologySpread),
        tolerations: app.nodeLossTolerationSeconds === undefined ? undefined
            : ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"].map((key) =>
                ({ key, operator: "Exists" as const, effect: "NoExecute" as const, tolerationSeconds: app.nodeLossTolerationSeconds as number })),
        config: app.env,
        migrations: app.migrations && compact(app.migrations),
        networkPolicy,
    });
}

/**
 * The Ingress annotations, plus, behind an ALB with ip targets, the target group's deregistration
 * delay: preStop + drain, the time a pod keeps serving after the controller deregisters it.
 * The ALB's default of 300 s would keep draining targets long after their pods are gone.
 */
function ingressAnnotations(app: AppConfig): Record<string, string> | undefined {
    const annotations = app.ingress?.annotations;
    if (!albIpTargets(app) || annotations?.[TARGET_GROUP_ATTRIBUTES] !== undefined) return annotations;
    const preStop = app.shutdown?.preStopDelaySeconds ?? CHART_DEFAULTS.preStopDelaySeconds;
    const drain = app.shutdown?.drainSeconds ?? DEFAULT_DRAIN_SECONDS;
    return { ...annotations, [TARGET_GROUP_ATTRIBUTES]: `deregistration_delay.timeout_seconds=${preStop + drain}` };
}

/** The chart defaults minAvailable to 1; a stack that sets maxUnavailable clears it (one of the two). */
function pdbValues(pdb: NonNullable<AppConfig["podDisruptionBudget"]>): NonNullable<ChartValues["podDisruptionBudget"]> {
    const values = compact(pdb);
    return pdb.maxUnavailable === undefined ? values : { ...values, minAvailable: "" };
}

/** Drops undefined fields so the chart default applies (and YAML serialisers stay happy). */
function compact<T extends object>(o: T): T {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
