// Rules that read more than one field. They run even when a field failed its own check, so one
// run reports every problem; each rule therefore only reads fields that parsed to the right type.
import { z } from "zod";

import { ENGINE_VERSIONS } from "./aws-limits";
import { parseQuantity } from "./scalars";
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
] as const;

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
