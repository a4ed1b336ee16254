// The stack configuration of taskflow-api: one typed model, validated once at startup.
//
// Every environment runs the same program; stacks differ only by the values below. A value the
// program does not know is an error, not a silent no-op: a typo such as `redis.numNode` would
// otherwise deploy a single-node cache to production. All problems are collected and reported
// together, each naming its `taskflow-api:` key, before any resource is registered.
import { z } from "zod";

/** Pulumi config namespace of this project (the project name in Pulumi.yaml). */
export const PROJECT = "taskflow-api";
const NAMESPACE_PREFIX = `${PROJECT}:`;

/** Engine versions ElastiCache offers for each engine, newest last. */
export const ENGINE_VERSIONS = {
    valkey: ["7.2", "8.0", "8.1"],
    redis: ["6.2", "7.0", "7.1"],
} as const;
/** Default engine version per engine. */
const DEFAULT_ENGINE_VERSION = { valkey: "8.0", redis: "7.1" } as const;

/** Retention periods CloudWatch Logs accepts, in days. */
const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
] as const;

// Redis settings that only mean something for ElastiCache. In `inCluster` mode they are errors:
// a dev stack that sets `redis.numNodes: 3` expects something it will not get.
const ELASTICACHE_ONLY_KEYS = [
    "engine",
    "engineVersion",
    "nodeType",
    "numNodes",
    "multiAz",
    "port",
    "snapshotRetentionDays",
    "snapshotWindow",
    "maintenanceWindow",
    "slowLogRetentionDays",
    "authTokenLength",
    "authTokenUpdateStrategy",
    "applyImmediately",
    "protect",
    "finalSnapshot",
] as const;

// Environment variable names that look like credentials. `app.env` ends up in a ConfigMap and
// in the Helm release history in plain text, so secrets must go through the Secret instead.
const SECRET_LOOKING_ENV = /(PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|PRIVATE_KEY|API_KEY)/i;

// ---- scalar helpers ----------------------------------------------------------------------------
// Pulumi hands top-level and `pulumi config set` values to the program as strings ("3", "true"),
// while structured YAML values arrive typed. Numbers and booleans accept both spellings.

function numeric(value: unknown): unknown {
    return typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
}

function booleanish(value: unknown): unknown {
    return value === "true" ? true : value === "false" ? false : value;
}

const int = (min: number, max: number) => {
    const expected = `expected an integer between ${min} and ${max}`;
    return z.preprocess(numeric, z.number({ error: expected }).int(expected).min(min, expected).max(max, expected));
};

const bool = () =>
    z.preprocess(booleanish, z.boolean({ error: "expected a boolean (true or false)" }));

const text = (what: string, pattern: RegExp) =>
    z.string({ error: `expected ${what}` }).regex(pattern, `expected ${what}`);

const dnsLabel = text(
    "a DNS-1123 label: lowercase letters, digits and '-', at most 63 characters",
    /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
);
// Kubernetes quantity, same grammar as chart/values.schema.json.
const quantity = text(
    "a Kubernetes quantity such as 250m, 0.5, 256Mi or 1Gi",
    /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/,
);
const stringMap = z.record(z.string(), z.string({ error: "expected a string value" }));
/** Kubernetes label keys (optional DNS prefix + name) and values, as the API server checks them. */
const labelMap = z.record(
    text("a label key such as example.com/team", /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/),
    text("a label value (at most 63 letters, digits, '-', '_', '.')", /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/),
);
const oneOrMany = (item: z.ZodString) => z.union([item, z.array(item).min(1)]);

// ---- sections ----------------------------------------------------------------------------------

const namespaceSchema = z.strictObject({
    /** Kubernetes namespace of the release. */
    name: dnsLabel.default(PROJECT),
    /** Create (and own) the namespace, with Pod Security "restricted" labels. */
    create: bool().default(true),
});

const releaseSchema = z.strictObject({
    /** Helm release name; also the chart's fullnameOverride. Helm caps release names at 53. */
    name: text("a release name: DNS-1123 label of at most 53 characters", /^(?=.{1,53}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).default(PROJECT),
    /** Seconds Helm waits for the rollout before the atomic release rolls back. */
    timeoutSeconds: int(60, 3600).default(600),
    /** Release revisions Helm keeps (rollback targets). */
    maxHistory: int(1, 100).default(10),
});

const resourceListSchema = z.strictObject({ cpu: quantity, memory: quantity });

const appSchema = z.strictObject({
    replicaCount: int(1, 100).optional(),
    image: z
        .strictObject({
            repository: z.string().min(1, "expected a non-empty image repository").optional(),
            // A tag, not a digest: the chart renders `<repository>:<tag>`.
            tag: text("an image tag (letters, digits, '_', '.', '-'; at most 128)", /^\w[\w.-]{0,127}$/).optional(),
            pullPolicy: z.enum(["Always", "IfNotPresent", "Never"]).optional(),
        })
        .optional(),
    resources: z.strictObject({ requests: resourceListSchema, limits: resourceListSchema }).optional(),
    autoscaling: z
        .strictObject({
            enabled: bool(),
            minReplicas: int(1, 100).optional(),
            maxReplicas: int(1, 100).optional(),
            targetCPUUtilizationPercentage: int(1, 100).optional(),
        })
        .optional(),
    servicePort: int(1, 65535).optional(),
    ingress: z
        .strictObject({
            enabled: bool(),
            className: z.string().optional(),
            annotations: stringMap.optional(),
            hosts: z
                .array(
                    z.strictObject({
                        host: text("a host name", /^(\*\.)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/),
                        paths: z
                            .array(
                                z.strictObject({
                                    path: text("a path starting with /", /^\//),
                                    pathType: z.enum(["Prefix", "Exact", "ImplementationSpecific"]),
                                }),
                            )
                            .min(1, "expected at least one path"),
                    }),
                )
                .optional(),
            tls: z
                .array(z.strictObject({ secretName: z.string().min(1), hosts: z.array(z.string()).min(1) }))
                .optional(),
        })
        .optional(),
    podDisruptionBudget: z
        .strictObject({
            enabled: bool(),
            minAvailable: z
                .union([int(1, 1000), text("a percentage such as 50%", /^[1-9][0-9]?%$/)])
                .optional(),
        })
        .optional(),
    topologySpread: z
        .strictObject({
            enabled: bool(),
            maxSkew: int(1, 10).optional(),
            whenUnsatisfiable: z.enum(["ScheduleAnyway", "DoNotSchedule"]).optional(),
        })
        .optional(),
    /** The migration hook Job (chart `migrations.*`): retries, deadline and extra pod labels. */
    migrations: z
        .strictObject({
            backoffLimit: int(0, 10).optional(),
            activeDeadlineSeconds: int(30, 3600).optional(),
            podLabels: labelMap.optional(),
        })
        .optional(),
    /** Non-secret environment variables (the chart's `config` map). */
    env: z
        .record(
            text("an environment variable name", /^[A-Za-z_][A-Za-z0-9_]*$/),
            z.string({ error: "expected a string value (quote numbers and booleans)" }),
        )
        .optional(),
});

const policyStatementSchema = z.strictObject({
    Sid: text("a statement id of letters and digits", /^[A-Za-z0-9]+$/).optional(),
    Effect: z.enum(["Allow", "Deny"]).default("Allow"),
    Action: oneOrMany(
        text("an IAM action such as s3:GetObject (a bare * is not allowed)", /^[a-z0-9-]+:[A-Za-z0-9*]+$/),
    ),
    Resource: oneOrMany(z.string().min(1)),
    Condition: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
});

const serviceAccountSchema = z.strictObject({
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

const redisSchema = z.strictObject({
    mode: z.enum(["inCluster", "elasticache"], {
        error: 'expected "inCluster" (Valkey subchart, dev) or "elasticache" (managed, staging/prod)',
    }),
    /** Changing this number generates a new Redis password / AUTH token (rotation). */
    authTokenVersion: int(1, 1_000_000).optional(),
    engine: z.enum(["valkey", "redis"]).optional(),
    engineVersion: text("a major.minor version such as 8.0", /^\d+\.\d+$/).optional(),
    nodeType: text("an ElastiCache node type such as cache.t4g.small", /^cache\.[a-z0-9]+\.[a-z0-9]+$/).optional(),
    numNodes: int(1, 6).optional(),
    multiAz: bool().optional(),
    port: int(1024, 65535).optional(),
    snapshotRetentionDays: int(0, 35).optional(),
    snapshotWindow: text("a UTC window hh:mm-hh:mm", /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/).optional(),
    maintenanceWindow: text(
        "a UTC window ddd:hh:mm-ddd:hh:mm (e.g. sun:05:00-sun:06:00)",
        /^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$/,
    ).optional(),
    slowLogRetentionDays: z
        .preprocess(numeric, z.number())
        .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
            message: `expected a CloudWatch retention period: ${LOG_RETENTION_DAYS.join(", ")}`,
        })
        .optional(),
    authTokenLength: int(16, 128).optional(),
    /**
     * ROTATE (default): a new token is added and the old one stays valid. SET: only the current
     * token stays valid; switching to SET retires the old one (the provider sends a strategy
     * change alone, with the same token, as a ModifyReplicationGroup).
     */
    authTokenUpdateStrategy: z.enum(["ROTATE", "SET"], { error: 'expected "ROTATE" or "SET"' }).optional(),
    applyImmediately: bool().optional(),
    protect: bool().optional(),
    finalSnapshot: bool().optional(),
});

/** Output names of the cluster stack, when the cluster facts come from a StackReference. */
const CLUSTER_FACTS = [
    "oidcProviderArn",
    "oidcIssuerUrl",
    "vpcId",
    "privateSubnetIds",
    "nodeSecurityGroupId",
    "kubeconfig",
] as const;
export type ClusterFact = (typeof CLUSTER_FACTS)[number];

const outputName = text("a stack output name", /^[A-Za-z_][\w.-]*$/);

const clusterSchema = z.strictObject({
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
});

const awsSchema = z.strictObject({
    region: text("an AWS region such as us-east-1", /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/),
    tags: stringMap.optional(),
});

const rootShape = {
    // prefault: an absent section is parsed as {}, so the field defaults above apply.
    namespace: namespaceSchema.prefault({}),
    release: releaseSchema.prefault({}),
    app: appSchema.prefault({}),
    serviceAccount: serviceAccountSchema.prefault({}),
    redis: redisSchema,
    cluster: clusterSchema.prefault({}),
    aws: awsSchema.optional(),
};
type Parsed = z.output<z.ZodObject<typeof rootShape>>;

const rootSchema = z
    .strictObject(rootShape)
    // Cross-field rules run even when a field failed its own check (`when`), so one run reports
    // every problem; each rule therefore only reads fields that parsed to the right type.
    .superRefine((c, ctx) => crossFieldRules(c, ctx), { when: () => true })
    .transform(withDefaults);

function crossFieldRules(c: Partial<Parsed>, ctx: z.RefinementCtx): void {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
    const app = c.app ?? {};
    const redis = c.redis;
    const cluster = c.cluster ?? {};
    const fromStack = typeof cluster.stackReference === "string";

    // App shape.
    const scaling = app.autoscaling;
    if (scaling?.enabled === true) {
        for (const k of ["minReplicas", "maxReplicas"] as const) {
            if (scaling[k] === undefined) issue(["app", "autoscaling", k], "required when app.autoscaling.enabled is true");
        }
        if (typeof scaling.minReplicas === "number" && typeof scaling.maxReplicas === "number" && scaling.minReplicas > scaling.maxReplicas) {
            issue(["app", "autoscaling", "minReplicas"], `must not exceed app.autoscaling.maxReplicas (${scaling.maxReplicas})`);
        }
    }
    if (app.ingress?.enabled === true && !(Array.isArray(app.ingress.hosts) && app.ingress.hosts.length > 0)) {
        issue(["app", "ingress", "hosts"], "list at least one host when app.ingress.enabled is true");
    }
    const pdb = app.podDisruptionBudget;
    const replicas = scaling?.enabled === true ? scaling.minReplicas : app.replicaCount;
    if (pdb?.enabled !== false && typeof pdb?.minAvailable === "number" && typeof replicas === "number" && replicas > 1 && pdb.minAvailable >= replicas) {
        // A PDB that allows no disruption blocks every node drain and cluster upgrade.
        issue(["app", "podDisruptionBudget", "minAvailable"], `must be lower than the replica count (${replicas}), or node drains block forever`);
    }
    const res = app.resources;
    for (const k of ["cpu", "memory"] as const) {
        const req = res?.requests?.[k];
        const lim = res?.limits?.[k];
        if (typeof req === "string" && typeof lim === "string" && parseQuantity(req) > parseQuantity(lim)) {
            issue(["app", "resources", "requests", k], `must not exceed app.resources.limits.${k} (${lim})`);
        }
    }
    for (const name of Object.keys(app.env ?? {})) {
        if (SECRET_LOOKING_ENV.test(name)) {
            issue(["app", "env", name], "looks like a secret; app.env is stored in plain text (ConfigMap, Helm history)");
        }
    }

    // Cluster facts.
    if (cluster.outputNames !== undefined && !fromStack) {
        issue(["cluster", "outputNames"], "only valid together with cluster.stackReference");
    }
    const needFact = (fact: ClusterFact, why: string) => {
        if (cluster[fact] === undefined && !fromStack) {
            issue(["cluster", fact], `required ${why}; or set cluster.stackReference to read it from the cluster stack`);
        }
    };

    // Redis.
    if (redis?.mode === "inCluster") {
        for (const key of ELASTICACHE_ONLY_KEYS) {
            if (redis[key] !== undefined) issue(["redis", key], 'only valid when redis.mode is "elasticache"');
        }
    }
    if (redis?.mode === "elasticache") {
        needFact("vpcId", 'when redis.mode is "elasticache"');
        needFact("privateSubnetIds", 'when redis.mode is "elasticache"');
        needFact("nodeSecurityGroupId", 'when redis.mode is "elasticache" (the one source allowed to reach Redis)');
        const engine = redis.engine ?? "valkey";
        const versions: readonly string[] = ENGINE_VERSIONS[engine] ?? [];
        if (typeof redis.engineVersion === "string" && versions.length > 0 && !versions.includes(redis.engineVersion)) {
            issue(["redis", "engineVersion"], `expected one of ${versions.join(", ")} for engine ${engine}`);
        }
        if (redis.multiAz === true) {
            if (typeof redis.numNodes !== "number" || redis.numNodes < 2) {
                issue(["redis", "numNodes"], "must be at least 2 when redis.multiAz is true (failover needs a replica)");
            }
            if (Array.isArray(cluster.privateSubnetIds) && cluster.privateSubnetIds.length < 2) {
                issue(["cluster", "privateSubnetIds"], "list subnets in at least 2 availability zones when redis.multiAz is true");
            }
        }
    }

    // IRSA.
    const iam = c.serviceAccount?.iam;
    if (iam !== undefined) {
        needFact("oidcProviderArn", "when serviceAccount.iam is set (IRSA)");
        needFact("oidcIssuerUrl", "when serviceAccount.iam is set (IRSA)");
        if ((iam.managedPolicyArns ?? []).length === 0 && (iam.policyStatements ?? []).length === 0) {
            issue(["serviceAccount", "iam"], "grant something: set managedPolicyArns and/or policyStatements, or remove serviceAccount.iam");
        }
    }

    // AWS provider.
    if ((redis?.mode === "elasticache" || iam !== undefined) && c.aws === undefined) {
        issue(["aws", "region"], 'required when AWS resources are created (redis.mode "elasticache" or serviceAccount.iam)');
    }
}

// ---- the validated model -------------------------------------------------------------------------

export type RedisEngine = keyof typeof ENGINE_VERSIONS;
export type PolicyStatement = z.output<typeof policyStatementSchema>;
export type AppConfig = z.output<typeof appSchema>;
export type ClusterConfig = z.output<typeof clusterSchema>;

/** Redis inside the cluster: the chart's Valkey subchart (dev). */
export interface InClusterRedis {
    readonly mode: "inCluster";
    /** Bumping it generates a new password. */
    readonly authTokenVersion: number;
}

/** ElastiCache replication group (staging, prod). */
export interface ElastiCacheRedis {
    readonly mode: "elasticache";
    readonly authTokenVersion: number;
    readonly engine: RedisEngine;
    readonly engineVersion: string;
    /** Parameter group family derived from engine + version (valkey8, redis7, ...). */
    readonly family: string;
    readonly nodeType: string;
    readonly numNodes: number;
    /** Multi-AZ with automatic failover; true by default when numNodes >= 2. */
    readonly multiAz: boolean;
    readonly port: number;
    readonly snapshotRetentionDays: number;
    readonly snapshotWindow: string;
    readonly maintenanceWindow: string;
    readonly slowLogRetentionDays: number;
    readonly authTokenLength: number;
    /** ROTATE keeps the previous token valid; SET retires it (README, rotation). */
    readonly authTokenUpdateStrategy: "ROTATE" | "SET";
    readonly applyImmediately: boolean;
    /** Pulumi `protect`: the replication group cannot be deleted by `pulumi destroy`/`up`. */
    readonly protect: boolean;
    /** Take a final snapshot when the replication group is deleted. */
    readonly finalSnapshot: boolean;
}

export interface Config {
    readonly namespace: { readonly name: string; readonly create: boolean };
    readonly release: { readonly name: string; readonly timeoutSeconds: number; readonly maxHistory: number };
    readonly app: AppConfig;
    readonly serviceAccount: {
        readonly name: string;
        readonly iam?: { readonly managedPolicyArns: string[]; readonly policyStatements: PolicyStatement[] };
    };
    readonly redis: InClusterRedis | ElastiCacheRedis;
    readonly cluster: ClusterConfig;
    readonly aws?: { readonly region: string; readonly tags: Record<string, string> };
}

export function engineFamily(engine: RedisEngine, version: string): string {
    const major = Number(version.split(".")[0]);
    return engine === "valkey" ? `valkey${major}` : major >= 7 ? `redis${major}` : `redis${major}.x`;
}

function withDefaults(p: Parsed): Config {
    const r = p.redis;
    const authTokenVersion = r.authTokenVersion ?? 1;
    let redis: Config["redis"];
    if (r.mode === "inCluster") {
        redis = { mode: "inCluster", authTokenVersion };
    } else {
        const engine = r.engine ?? "valkey";
        const engineVersion = r.engineVersion ?? DEFAULT_ENGINE_VERSION[engine];
        const numNodes = r.numNodes ?? 1;
        redis = {
            mode: "elasticache",
            authTokenVersion,
            engine,
            engineVersion,
            family: engineFamily(engine, engineVersion),
            nodeType: r.nodeType ?? "cache.t4g.small",
            numNodes,
            multiAz: r.multiAz ?? numNodes >= 2,
            port: r.port ?? 6379,
            snapshotRetentionDays: r.snapshotRetentionDays ?? 1,
            snapshotWindow: r.snapshotWindow ?? "03:00-04:00",
            maintenanceWindow: r.maintenanceWindow ?? "sun:05:00-sun:06:00",
            slowLogRetentionDays: r.slowLogRetentionDays ?? 14,
            authTokenLength: r.authTokenLength ?? 64,
            authTokenUpdateStrategy: r.authTokenUpdateStrategy ?? "ROTATE",
            applyImmediately: r.applyImmediately ?? false,
            protect: r.protect ?? false,
            finalSnapshot: r.finalSnapshot ?? false,
        };
    }
    return {
        namespace: p.namespace,
        release: p.release,
        app: p.app,
        serviceAccount: { name: p.serviceAccount.name ?? p.release.name, iam: p.serviceAccount.iam },
        redis,
        cluster: p.cluster,
        aws: p.aws && { region: p.aws.region, tags: p.aws.tags ?? {} },
    };
}

// ---- loading -------------------------------------------------------------------------------------

/** Every problem of a stack configuration, one line each, naming the `taskflow-api:` key. */
export class ConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(
            `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

/**
 * Validates the raw configuration of a stack and returns the typed model, or throws one
 * ConfigError listing every problem.
 *
 * @param raw Config as Pulumi hands it to the program (`pulumi.runtime.allConfig()`): every key
 *   namespaced (`taskflow-api:redis`), every value a string, structured values as JSON. Keys of
 *   other namespaces (`aws:`, `kubernetes:`) are ignored. Dotted keys (`taskflow-api:redis.mode`,
 *   what `pulumi config set` without `--path` writes) are merged into their object.
 */
export function parseConfig(raw: Record<string, string>): Config {
    const problems: string[] = [];
    const tree: Record<string, unknown> = {};
    for (const key of Object.keys(raw).sort()) {
        if (!key.startsWith(NAMESPACE_PREFIX)) continue;
        const name = key.slice(NAMESPACE_PREFIX.length);
        const value = decode(raw[key]);
        if (value instanceof Error) {
            problems.push(`${key}: ${value.message}`);
            continue;
        }
        if (!setPath(tree, name.split("."), value)) {
            problems.push(`${key}: conflicts with another value for the same key`);
        }
    }
    const result = rootSchema.safeParse(tree, { reportInput: true });
    if (result.success && problems.length === 0) return result.data;
    for (const issue of result.error?.issues ?? []) problems.push(...describeIssue(issue));
    throw new ConfigError(problems);
}

function decode(value: string): unknown {
    const trimmed = value.trim();
    if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) return value;
    try {
        return JSON.parse(trimmed);
    } catch {
        return new Error("structured value is not valid JSON");
    }
}

function setPath(tree: Record<string, unknown>, path: string[], value: unknown): boolean {
    let node = tree;
    for (const [i, segment] of path.entries()) {
        const last = i === path.length - 1;
        const existing = node[segment];
        if (last) {
            if (isPlainObject(existing) && isPlainObject(value)) {
                node[segment] = { ...existing, ...value };
                return true;
            }
            if (existing !== undefined) return false;
            node[segment] = value;
            return true;
        }
        if (existing === undefined) node[segment] = {};
        else if (!isPlainObject(existing)) return false;
        node = node[segment] as Record<string, unknown>;
    }
    return true;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `taskflow-api:cluster.privateSubnetIds[0]` */
export function configKey(path: readonly PropertyKey[]): string {
    return (
        NAMESPACE_PREFIX +
        path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("")
    );
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
    if (issue.code === "unrecognized_keys") {
        const valid = knownKeys(issue.path);
        return issue.keys.map(
            (k) => `${configKey([...issue.path, k])}: unknown key${valid.length ? ` (valid keys here: ${valid.join(", ")})` : ""}`,
        );
    }
    if (issue.path.length === 0) return [`${PROJECT}: ${issue.message}`];
    let message = issue.message;
    if (issue.code === "invalid_type" && issue.input === undefined) message = `required (expected ${issue.expected})`;
    // Echo the offending value, except for anything that may hold credentials.
    const sensitive = issue.path.some((p) => String(p) === "kubeconfig");
    if (!sensitive && issue.input !== undefined && typeof issue.input !== "object") {
        message += ` (got ${JSON.stringify(issue.input).slice(0, 80)})`;
    }
    return [`${configKey(issue.path)}: ${message}`];
}

/** Keys an object of the schema accepts at `path`, to suggest the right spelling. */
function knownKeys(path: readonly PropertyKey[]): string[] {
    type Def = { type: string; innerType?: Schema; in?: Schema; out?: Schema; element?: Schema; shape?: Record<string, Schema> };
    type Schema = { _zod: { def: Def } };
    // Through optional/default/prefault/nullable wrappers and preprocess/transform pipes.
    const unwrap = (schema: Schema): Schema => {
        for (;;) {
            const def = schema._zod.def;
            if (def.innerType) schema = def.innerType;
            else if (def.type === "pipe" && def.in && def.out) schema = def.in._zod.def.type === "transform" ? def.out : def.in;
            else return schema;
        }
    };
    let schema: Schema | undefined = rootSchema as unknown as Schema;
    for (const segment of path) {
        const def: Def = unwrap(schema)._zod.def;
        schema = typeof segment === "number" ? def.element : def.shape?.[String(segment)];
        if (schema === undefined) return [];
    }
    const shape = unwrap(schema)._zod.def.shape;
    return shape ? Object.keys(shape) : [];
}

/**
 * Raw config of a stack file (`Pulumi.<stack>.yaml`, already parsed from YAML) in the shape
 * Pulumi hands to the program: namespaced keys, string values, objects as JSON. Encrypted
 * values (`secure: v1:...`) cannot be read offline; they become the placeholder string below.
 */
export function rawConfigFromStackFile(doc: unknown): Record<string, string> {
    const config = isPlainObject(doc) && isPlainObject(doc.config) ? doc.config : {};
    const raw: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) {
        const plain = replaceSecure(value);
        raw[key] = typeof plain === "string" ? plain : isPlainObject(plain) || Array.isArray(plain) ? JSON.stringify(plain) : String(plain);
    }
    return raw;
}

/** Stands in for an encrypted config value when a stack file is read without Pulumi. */
export const SECURE_PLACEHOLDER = "<encrypted value: not readable offline>";

function replaceSecure(value: unknown): unknown {
    if (isPlainObject(value)) {
        if (Object.keys(value).length === 1 && typeof value.secure === "string") return SECURE_PLACEHOLDER;
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceSecure(v)]));
    }
    return Array.isArray(value) ? value.map(replaceSecure) : value;
}

/** Kubernetes quantity to a number (cores or bytes), enough to compare requests with limits. */
export function parseQuantity(q: string): number {
    const m = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(q);
    if (!m) return NaN;
    const factor: Record<string, number> = {
        m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40,
    };
    return Number(m[1]) * (m[2] ? factor[m[2]] : 1);
}
