// Rules that read more than one field. They run even when a field failed its own check, so one
// run reports every problem; each rule therefore only reads fields that parsed to the right type.
import { z } from "zod";

import {
    AUTO_NAME_SUFFIX_LENGTH,
    engineVersionProblem,
    isConditionOperator,
    MAX_INLINE_ROLE_POLICY_CHARS,
    MAX_MANAGED_POLICIES_PER_ROLE,
    MAX_NAME,
    MAX_TAGS_PER_RESOURCE,
    MIN_WINDOW_MINUTES,
    nodeTypeProblem,
    policySize,
    replicationGroupIdProblem,
    dailyWindow,
    tagKeyProblem,
    tagValueProblem,
    weeklyWindow,
    windowsOverlap,
} from "./aws-limits";
import {
    DEFAULT_MAINTENANCE_WINDOW,
    DEFAULT_SNAPSHOT_WINDOW,
    FIXED_TAG_KEYS,
    redisLogicalName,
    roleLogicalName,
    rolePolicyLogicalName,
} from "./names";
import { CHART_DEFAULTS, DEFAULT_DRAIN_SECONDS } from "./chart-defaults";
import { SECURE_PLACEHOLDER } from "./raw";
import { parseQuantity } from "./scalars";
import { TARGET_GROUP_ATTRIBUTES } from "./alb";
import type { ClusterFact } from "./schema/cluster";
import type { Parsed } from "./schema";

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
    "finalSnapshotName",
    "transitEncryptionMode",
    "alarms",
    "allowUnlistedEngineVersion",
    "allowUnlistedNodeType",
] as const;

// Keys of an external Redis the stack does not own; errors in the other modes.
const EXTERNAL_ONLY_KEYS = ["host", "tls", "caCert", "authToken", "authTokenSecret"] as const;
// The ElastiCache keys an external Redis also has.
const SHARED_WITH_EXTERNAL = new Set<string>(["port"]);

// Variables the chart sets itself (ConfigMap and Secret): an app.env entry of the same name would
// silently replace them (Helm's YAML parser keeps the last duplicate key), e.g. PORT moving the
// listener away from the probes' port, or REDIS_URL dropping TLS (review m6).
export const RESERVED_ENV = ["PORT", "REDIS_URL", "REDIS_USERNAME", "REDIS_PASSWORD", "REDIS_TLS_CA_FILE"] as const;

const SNAPSHOT_WINDOW = /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/;
const MAINTENANCE_WINDOW = /^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$/;

// Environment variable names that look like credentials. `app.env` ends up in a ConfigMap and
// in the Helm release history in plain text, so secrets must go through the Secret instead.
const SECRET_LOOKING_ENV = /(PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|PRIVATE_KEY|API_KEY)/i;

export function crossFieldRules(c: Partial<Parsed>, ctx: z.RefinementCtx): void {
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
    pdbRules(app, issue);
    resourceRules(["app", "resources"], app.resources, issue);
    resourceRules(["app", "migrations", "resources"], app.migrations?.resources, issue);
    resourceRules(["app", "helmTest", "resources"], app.helmTest?.resources, issue);
    timeoutRules(c, issue);
    shutdownRules(app, issue);
    for (const name of Object.keys(app.env ?? {})) {
        if ((RESERVED_ENV as readonly string[]).includes(name)) {
            issue(["app", "env", name], `is set by the chart (${RESERVED_ENV.join(", ")}); configure it through redis.* / the chart instead`);
        } else if (SECRET_LOOKING_ENV.test(name) && !(app.envNotSecret ?? []).includes(name)) {
            issue(["app", "env", name], "looks like a secret; app.env is stored in plain text (ConfigMap, Helm history). If it is not one, list it in app.envNotSecret");
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
    if (redis?.mode !== "external") {
        for (const key of EXTERNAL_ONLY_KEYS) {
            if (redis?.[key] !== undefined) issue(["redis", key], 'only valid when redis.mode is "external"');
        }
        if (redis?.mode === "inCluster" && redis.egressCidrs !== undefined) {
            issue(["redis", "egressCidrs"], 'only valid when redis.mode is "elasticache" or "external" (the in-cluster Valkey has its own NetworkPolicy)');
        }
    }
    if (redis?.mode === "external") externalRedisRules(redis, issue);
    if (redis?.mode === "elasticache") {
        needFact("vpcId", 'when redis.mode is "elasticache"');
        needFact("privateSubnetIds", 'when redis.mode is "elasticache"');
        needFact("nodeSecurityGroupId", 'when redis.mode is "elasticache" (the one source allowed to reach Redis)');
        const engine = redis.engine ?? "valkey";
        if (typeof redis.engineVersion === "string" && (engine === "valkey" || engine === "redis")) {
            const problem = engineVersionProblem(engine, redis.engineVersion, redis.allowUnlistedEngineVersion === true);
            if (problem) issue(["redis", "engineVersion"], problem);
        }
        if (typeof redis.nodeType === "string") {
            const problem = nodeTypeProblem(redis.nodeType, redis.allowUnlistedNodeType === true);
            if (problem) issue(["redis", "nodeType"], problem);
        }
        if (typeof c.release?.name === "string") {
            const problem = replicationGroupIdProblem(redisLogicalName(c.release.name));
            if (problem) {
                const max = MAX_NAME.replicationGroupId - AUTO_NAME_SUFFIX_LENGTH - redisLogicalName("").length;
                issue(["release", "name"], `at most ${max} characters, starting with a letter, without "--", when redis.mode is "elasticache": ${problem}`);
            }
        }
        windowRules(redis, issue);
        if (redis.finalSnapshot === false && redis.finalSnapshotName !== undefined) {
            issue(["redis", "finalSnapshotName"], "set redis.finalSnapshot to true (or remove it) to take a final snapshot under this name");
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
        // The trust policy's condition keys come from the provider ARN; an issuer URL set next
        // to it must name the same issuer, or the config says two different things.
        const arnIssuer = String(cluster.oidcProviderArn ?? "").split(":oidc-provider/")[1];
        const url = cluster.oidcIssuerUrl;
        if (typeof url === "string" && arnIssuer !== undefined && url.replace(/^https:\/\//, "") !== arnIssuer.replace(/\/$/, "")) {
            issue(["cluster", "oidcIssuerUrl"], `names another issuer than cluster.oidcProviderArn (${arnIssuer})`);
        }
        if ((iam.managedPolicyArns ?? []).length === 0 && (iam.policyStatements ?? []).length === 0) {
            issue(["serviceAccount", "iam"], "grant something: set managedPolicyArns and/or policyStatements, or remove serviceAccount.iam");
        }
        iamRules(c, issue);
    }

    // AWS provider.
    const needsAws = redis?.mode === "elasticache" || iam !== undefined;
    if (needsAws && c.aws === undefined) {
        issue(["aws", "region"], 'required when AWS resources are created (redis.mode "elasticache" or serviceAccount.iam)');
    }
    if (needsAws && c.aws !== undefined && c.aws.allowedAccountIds === undefined) {
        issue(["aws", "allowedAccountIds"], "required when AWS resources are created: the account IDs this stack may deploy to");
    }
    const accounts = c.aws?.allowedAccountIds;
    const arnAccount = /^arn:[^:]+:iam::(\d{12}):/.exec(String(cluster.oidcProviderArn ?? ""))?.[1];
    if (iam !== undefined && Array.isArray(accounts) && arnAccount !== undefined && !accounts.includes(arnAccount)) {
        issue(["cluster", "oidcProviderArn"], `is in account ${arnAccount}, which aws.allowedAccountIds does not list`);
    }
    tagRules(c.aws?.tags, issue);
}

type Issue = (path: (string | number)[], message: string) => void;

/**
 * An external Redis: where it is and how to authenticate are required, the ElastiCache-only keys
 * are errors (they would change nothing), and a CA bundle without TLS is a contradiction.
 * Secret values read offline (`npm run plan`) are a placeholder and are not shape-checked.
 */
function externalRedisRules(redis: NonNullable<Parsed["redis"]>, issue: Issue): void {
    for (const key of ELASTICACHE_ONLY_KEYS) {
        if (!SHARED_WITH_EXTERNAL.has(key) && redis[key] !== undefined) issue(["redis", key], 'only valid when redis.mode is "elasticache"');
    }
    if (redis.host === undefined) issue(["redis", "host"], 'required when redis.mode is "external": the primary endpoint host');
    const hasToken = redis.authToken !== undefined;
    if (hasToken === (redis.authTokenSecret !== undefined)) {
        issue(["redis", "authToken"], 'set exactly one of redis.authToken (a secret config value) or redis.authTokenSecret (an existing Secret) when redis.mode is "external"');
    }
    const token = redis.authToken;
    // ElastiCache's AUTH token grammar (16-128 printable ASCII, no space, " / @), which any Redis
    // accepts as requirepass too; one grammar for both modes keeps a token portable.
    if (typeof token === "string" && token !== SECURE_PLACEHOLDER && !/^[!#-.0-?A-~]{16,128}$/.test(token)) {
        issue(["redis", "authToken"], "expected 16-128 printable ASCII characters without spaces, '\"', '/' or '@' (ElastiCache's AUTH token rules); the value is not shown");
    }
    // Review m3: without TLS the AUTH token and every value cross the network in clear text, to
    // an endpoint this stack does not own. Refused rather than warned: a warning scrolls past in
    // CI, and ElastiCache (the path external mode rehearses) requires transit encryption anyway.
    if (redis.tls === false) {
        issue(["redis", "tls"], 'false would send the AUTH token and every value in clear text: an external Redis needs TLS (rediss://); remove the key or set it to true');
    }
    if (redis.caCert !== undefined && redis.tls === false) {
        issue(["redis", "caCert"], "a CA bundle needs redis.tls: true");
    }
    const ca = redis.caCert;
    if (typeof ca === "string" && ca !== SECURE_PLACEHOLDER && !/^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/.test(ca.trim())) {
        issue(["redis", "caCert"], "expected a PEM bundle (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)");
    }
}
type App = NonNullable<Parsed["app"]>;

/** The fewest pods the release runs: the HPA's minimum, else replicaCount (chart default 1). */
function minPods(app: Partial<App>): number | undefined {
    const scaling = app.autoscaling;
    const n = scaling?.enabled === true ? scaling.minReplicas : app.replicaCount ?? CHART_DEFAULTS.replicaCount;
    return typeof n === "number" ? n : undefined;
}

/**
 * A PodDisruptionBudget must leave a pod evictable, or node drains and EKS upgrades hang on it.
 * The chart renders none over fewer than two pods, so asking for one there is a silent no-op.
 */
function pdbRules(app: Partial<App>, issue: Issue): void {
    const pdb = app.podDisruptionBudget;
    const pods = minPods(app);
    if (pdb === undefined || pdb.enabled === false || pods === undefined) return;
    const at = (k: string) => ["app", "podDisruptionBudget", k];
    if (pdb.minAvailable !== undefined && pdb.maxUnavailable !== undefined) {
        issue(at("maxUnavailable"), "set either app.podDisruptionBudget.minAvailable or maxUnavailable, not both");
    }
    if (pdb.enabled === true && pods < 2) {
        issue(at("enabled"), `a budget over ${pods} pod would block every node drain (the chart renders none): raise the replica count / app.autoscaling.minReplicas to 2 or set enabled: false`);
        return;
    }
    const min = pdb.minAvailable;
    // Kubernetes rounds a minAvailable percentage up: p% of n pods keeps ceil(p * n / 100).
    const kept = typeof min === "number" ? min : typeof min === "string" ? Math.ceil((parseInt(min, 10) * pods) / 100) : 0;
    if (pods > 1 && kept >= pods) {
        issue(at("minAvailable"), `must be lower than the replica count (${pods}), or node drains block forever`);
    }
}

/** Requests must not exceed limits, for every resource the config sets. */
function resourceRules(path: string[], res: Partial<App>["resources"], issue: Issue): void {
    for (const k of ["cpu", "memory", "ephemeral-storage"] as const) {
        const req = res?.requests?.[k];
        const lim = res?.limits?.[k];
        if (typeof req === "string" && typeof lim === "string" && parseQuantity(req) > parseQuantity(lim)) {
            issue([...path, "requests", k], `must not exceed ${path.join(".")}.limits.${k} (${lim})`);
        }
    }
}

/**
 * The release timeout must cover the migration hook's deadline plus a rollout in which every
 * surge wave takes the whole startup budget. Helm caps each hook and the rollout wait with the
 * timeout separately; requiring the sum keeps both inside it with room, so an atomic release
 * is not rolled back halfway through a slow but healthy rollout.
 */
function timeoutRules(c: Partial<Parsed>, issue: Issue): void {
    const app: Partial<App> = c.app ?? {};
    const timeout = c.release?.timeoutSeconds;
    const scaling = app.autoscaling;
    const pods = scaling?.enabled === true ? scaling.maxReplicas : app.replicaCount ?? CHART_DEFAULTS.replicaCount;
    const deadline = app.migrations?.activeDeadlineSeconds ?? CHART_DEFAULTS.migrationDeadlineSeconds;
    const surge = app.rollingUpdate?.maxSurge ?? CHART_DEFAULTS.maxSurge;
    const period = app.startupProbe?.periodSeconds ?? CHART_DEFAULTS.startupPeriodSeconds;
    const failures = app.startupProbe?.failureThreshold ?? CHART_DEFAULTS.startupFailureThreshold;
    const numbers = [timeout, pods, deadline, period, failures];
    if (!numbers.every((n) => typeof n === "number") || (typeof surge !== "number" && typeof surge !== "string")) return;
    // An out-of-range timeout already has its own problem; one key, one line.
    if ((timeout as number) < 60 || (timeout as number) > 3600) return;
    const n = pods as number;
    // Kubernetes rounds a surge percentage up, and a surge is at least one pod.
    const perWave = Math.max(1, typeof surge === "number" ? surge : Math.ceil((parseInt(surge, 10) * n) / 100));
    const rollout = Math.ceil(n / perWave) * (period as number) * (failures as number);
    if ((timeout as number) <= (deadline as number) + rollout) {
        issue(["release", "timeoutSeconds"], `must exceed the migration deadline (${deadline} s, app.migrations.activeDeadlineSeconds) plus the rollout budget (${rollout} s: ${Math.ceil(n / perWave)} surge waves of ${perWave} pod(s) for ${n} pods, each up to ${period} s x ${failures} startup probes); raise it, or lower the deadline, raise app.rollingUpdate.maxSurge or shorten app.startupProbe`);
    }
}

/**
 * SIGKILL must not come before the app has drained: grace > preStop + drain. Behind an ALB with
 * ip targets the program sets the target group's deregistration delay to preStop + drain, so an
 * explicit one must not outlast the pod.
 */
function shutdownRules(app: Partial<App>, issue: Issue): void {
    const s = app.shutdown ?? {};
    const preStop = s.preStopDelaySeconds ?? CHART_DEFAULTS.preStopDelaySeconds;
    const drain = s.drainSeconds ?? DEFAULT_DRAIN_SECONDS;
    const grace = s.terminationGracePeriodSeconds ?? CHART_DEFAULTS.terminationGracePeriodSeconds;
    if (![preStop, drain, grace].every((n) => typeof n === "number")) return;
    if (grace <= preStop + drain) {
        issue(["app", "shutdown", "terminationGracePeriodSeconds"], `must exceed app.shutdown.preStopDelaySeconds + drainSeconds (${preStop} + ${drain} s), or SIGKILL cuts requests short`);
    }
    const attrs = app.ingress?.annotations?.[TARGET_GROUP_ATTRIBUTES];
    if (typeof attrs === "string") {
        const delay = /deregistration_delay\.timeout_seconds=(\d+)/.exec(attrs)?.[1];
        if (delay === undefined) {
            issue(["app", "ingress", "annotations", TARGET_GROUP_ATTRIBUTES], `must include deregistration_delay.timeout_seconds (at most ${preStop + drain}); the program adds it only when the annotation is absent`);
        } else if (Number(delay) > preStop + drain) {
            issue(["app", "ingress", "annotations", TARGET_GROUP_ATTRIBUTES], `deregistration_delay.timeout_seconds (${delay}) outlasts the pod after deregistration (preStop + drain = ${preStop + drain} s)`);
        }
    }
}

/** Snapshot and maintenance windows: at least 60 minutes each, and never overlapping. */
function windowRules(redis: { snapshotWindow?: unknown; maintenanceWindow?: unknown }, issue: Issue): void {
    const snapshot = redis.snapshotWindow ?? DEFAULT_SNAPSHOT_WINDOW;
    const maintenance = redis.maintenanceWindow ?? DEFAULT_MAINTENANCE_WINDOW;
    const okSnapshot = typeof snapshot === "string" && SNAPSHOT_WINDOW.test(snapshot);
    const okMaintenance = typeof maintenance === "string" && MAINTENANCE_WINDOW.test(maintenance);
    if (okSnapshot && dailyWindow(snapshot)[1] < MIN_WINDOW_MINUTES) {
        issue(["redis", "snapshotWindow"], `must be at least ${MIN_WINDOW_MINUTES} minutes long (ElastiCache's minimum)`);
    }
    if (okMaintenance && weeklyWindow(maintenance)[1] < MIN_WINDOW_MINUTES) {
        issue(["redis", "maintenanceWindow"], `must be at least ${MIN_WINDOW_MINUTES} minutes long (ElastiCache's minimum)`);
    }
    if (okSnapshot && okMaintenance && windowsOverlap(snapshot, maintenance)) {
        const key = redis.snapshotWindow !== undefined ? "snapshotWindow" : "maintenanceWindow";
        issue(["redis", key], `the daily snapshot window (${snapshot}) must not overlap the maintenance window (${maintenance})`);
    }
}

/** IAM limits of the IRSA role: derived name lengths, policy grammar and size, attachment quota. */
function iamRules(c: Partial<Parsed>, issue: Issue): void {
    const iam = c.serviceAccount?.iam;
    if (iam === undefined) return;
    const release = c.release?.name;
    if (typeof release === "string") {
        for (const [logical, max, what] of [
            [roleLogicalName(release), MAX_NAME.iamRole, "IAM role name"],
            [rolePolicyLogicalName(release), MAX_NAME.iamRolePolicy, "IAM role policy name"],
        ] as const) {
            if (logical.length + AUTO_NAME_SUFFIX_LENGTH > max) {
                issue(["release", "name"], `too long when serviceAccount.iam is set: the ${what} "${logical}-" plus 7 random characters exceeds ${max} characters`);
            }
        }
    }
    const statements = Array.isArray(iam.policyStatements) ? iam.policyStatements : [];
    statements.forEach((s, i) => {
        for (const op of Object.keys(s?.Condition ?? {})) {
            if (!isConditionOperator(op)) {
                issue(["serviceAccount", "iam", "policyStatements", i, "Condition", op], "is not an IAM condition operator (StringEquals, ArnLike, Bool, ... with optional IfExists / ForAnyValue: / ForAllValues:)");
            }
        }
    });
    const size = policySize({ Version: "2012-10-17", Statement: statements });
    if (size > MAX_INLINE_ROLE_POLICY_CHARS) {
        issue(["serviceAccount", "iam", "policyStatements"], `the inline policy is ${size} characters without whitespace; IAM allows ${MAX_INLINE_ROLE_POLICY_CHARS} per role: use a managed policy`);
    }
    const managed = Array.isArray(iam.managedPolicyArns) ? iam.managedPolicyArns.length : 0;
    const quota = typeof c.aws?.iamManagedPolicyQuota === "number" ? c.aws.iamManagedPolicyQuota : MAX_MANAGED_POLICIES_PER_ROLE;
    if (managed > quota) {
        issue(["serviceAccount", "iam", "managedPolicyArns"], `at most ${quota} managed policies per role (aws.iamManagedPolicyQuota; IAM's default quota is ${MAX_MANAGED_POLICIES_PER_ROLE}, adjustable to 20); got ${managed}`);
    }
}

/** aws.tags reach every AWS resource through the provider's default tags, with the fixed ones. */
function tagRules(tags: Record<string, string> | undefined, issue: Issue): void {
    if (tags === undefined || typeof tags !== "object") return;
    const own = Object.keys(tags).filter((k) => !(FIXED_TAG_KEYS as readonly string[]).includes(k));
    const max = MAX_TAGS_PER_RESOURCE - FIXED_TAG_KEYS.length;
    if (own.length > max) {
        issue(["aws", "tags"], `at most ${max} tags (AWS allows ${MAX_TAGS_PER_RESOURCE} per resource; ${FIXED_TAG_KEYS.join(", ")} are always set); got ${own.length}`);
    }
    for (const [key, value] of Object.entries(tags)) {
        const problem = tagKeyProblem(key) ?? (typeof value === "string" ? tagValueProblem(value) : undefined);
        if (problem) issue(["aws", "tags", key], problem);
    }
}
