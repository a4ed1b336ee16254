// ElastiCache replication groups, one policy per AWS Security Hub Foundational Security Best
// Practices control (ElastiCache.1-7). Each reads only the group's own inputs.
import { resourcePolicy } from "../lib/define";
import { isProductionStack, ProductionConfig, productionStacksSchema } from "../lib/production";
import { ReplicationGroupProps, T } from "../lib/types";

const FSBP = "AWS Security Hub Foundational Security Best Practices";

/** More than one node: a primary with at least one replica (or several shards). */
export function nodeCount(rg: ReplicationGroupProps): number {
    if (rg.numNodeGroups !== undefined || rg.replicasPerNodeGroup !== undefined) {
        return (rg.numNodeGroups ?? 1) * ((rg.replicasPerNodeGroup ?? 0) + 1);
    }
    return rg.numCacheClusters ?? 1;
}

interface BackupConfig extends ProductionConfig {
    readonly minimumRetentionDays?: number;
    readonly productionMinimumRetentionDays?: number;
}

export const elasticacheAutomaticBackups = resourcePolicy<ReplicationGroupProps>({
    name: "elasticache-automatic-backups",
    rule: "ElastiCache replication groups keep automatic snapshots for at least 1 day, and at least 7 days on production stacks.",
    source: `${FSBP} ElastiCache.1 (automatic backups enabled); 7 days on production is this project's checklist`,
    remediation: "set redis.snapshotRetentionDays in the stack file (the group's snapshotRetentionLimit) to at least the required days.",
    severity: "high",
    configSchema: {
        properties: {
            productionStacks: productionStacksSchema,
            minimumRetentionDays: { type: "integer", minimum: 1, maximum: 35, default: 1 },
            productionMinimumRetentionDays: { type: "integer", minimum: 1, maximum: 35, default: 7 },
        },
    },
}, [T.replicationGroup], (rg, args, report) => {
    const config = args.getConfig<BackupConfig>();
    const production = isProductionStack(args.urn, config);
    const required = production ? config.productionMinimumRetentionDays ?? 7 : config.minimumRetentionDays ?? 1;
    const kept = rg.snapshotRetentionLimit ?? 0;
    if (kept < required) {
        const where = production ? "a production stack" : "this stack";
        report(`snapshotRetentionLimit is ${kept} day(s); ${where} requires at least ${required}.`);
    }
});

export const elasticacheAutoMinorVersionUpgrade = resourcePolicy<ReplicationGroupProps>({
    name: "elasticache-auto-minor-version-upgrade",
    rule: "ElastiCache replication groups take minor engine upgrades (security fixes) automatically.",
    source: `${FSBP} ElastiCache.2`,
    remediation: "remove autoMinorVersionUpgrade: false from the replication group (AWS defaults it to true).",
    severity: "high",
}, [T.replicationGroup], (rg, _args, report) => {
    // Unset means AWS's default, which is on; only an explicit false turns it off.
    if (rg.autoMinorVersionUpgrade === false || rg.autoMinorVersionUpgrade === "false") {
        report("autoMinorVersionUpgrade is false.");
    }
});

export const elasticacheAutomaticFailover = resourcePolicy<ReplicationGroupProps>({
    name: "elasticache-automatic-failover",
    rule: "ElastiCache replication groups with more than one node fail over automatically across Availability Zones.",
    source: `${FSBP} ElastiCache.3 (automatic failover); multi-AZ from the AWS ElastiCache user guide`,
    remediation: "set redis.multiAz: true (automaticFailoverEnabled and multiAzEnabled) with at least 2 nodes in 2 subnets.",
    severity: "medium",
}, [T.replicationGroup], (rg, _args, report) => {
    // A single node has no replica to promote; AWS refuses failover there, so it is not required.
    const nodes = nodeCount(rg);
    if (nodes <= 1) return;
    if (rg.automaticFailoverEnabled !== true) report(`automaticFailoverEnabled is not true on a group of ${nodes} nodes.`);
    if (rg.multiAzEnabled !== true) report(`multiAzEnabled is not true on a group of ${nodes} nodes.`);
});

export const elasticacheEncryptionAtRest = resourcePolicy<ReplicationGroupProps>({
    name: "elasticache-encryption-at-rest",
    rule: "ElastiCache replication groups encrypt data at rest (disks and snapshots).",
    source: `${FSBP} ElastiCache.4`,
    remediation: "set atRestEncryptionEnabled: true on the replication group (it forces a replacement).",
    severity: "high",
}, [T.replicationGroup], (rg, _args, report) => {
    if (rg.atRestEncryptionEnabled !== true) report("atRestEncryptionEnabled is not true.");
});

export const elasticacheEncryptionInTransit = resourcePolicy<ReplicationGroupProps>({
    name: "elasticache-encryption-in-transit",
    rule: "ElastiCache replication groups require TLS: transit encryption on, mode `required` (not `preferred`, which still accepts plaintext).",
    source: `${FSBP} ElastiCache.5`,
    remediation: "set transitEncryptionEnabled: true and transitEncryptionMode: \"required\" on the replication group.",
    severity: "high",
}, [T.replicationGroup], (rg, _args, report) => {
    if (rg.transitEncryptionEnabled !== true) report("transitEncryptionEnabled is not true.");
    // Explicit, because an existing group keeps the mode it had: `preferred` lets clients skip TLS.
    else if (rg.transitEncryptionMode !== "required") {
        report(`transitEncryptionMode is ${JSON.stringify(rg.transitEncryptionMode ?? null)}, not "required".`);
    }
});

export const elasticacheAuth = resourcePolicy<ReplicationGroupProps>({
    name: "elasticache-auth",
    rule: "ElastiCache replication groups require authentication: an AUTH token or an RBAC user group.",
    source: `${FSBP} ElastiCache.6 (Redis OSS AUTH enabled)`,
    remediation: "give the replication group an authToken (taskflow-api generates one; rotate with redis.authTokenVersion) or userGroupIds.",
    severity: "high",
}, [T.replicationGroup], (rg, _args, report) => {
    const hasToken = typeof rg.authToken === "string" && rg.authToken.length > 0;
    const hasUserGroup = Array.isArray(rg.userGroupIds) && rg.userGroupIds.length > 0;
    if (!hasToken && !hasUserGroup) report("neither authToken nor userGroupIds is set: any client in the network can connect.");
});

export const elasticacheNoDefaultSubnetGroup = resourcePolicy<ReplicationGroupProps>({
    name: "elasticache-no-default-subnet-group",
    rule: "ElastiCache replication groups use their own subnet group, never `default` (the default VPC's subnets).",
    source: `${FSBP} ElastiCache.7`,
    remediation: "create an aws.elasticache.SubnetGroup on the cluster's private subnets and set subnetGroupName to it.",
    severity: "high",
}, [T.replicationGroup], (rg, _args, report) => {
    if (rg.subnetGroupName === undefined || rg.subnetGroupName === "") report("subnetGroupName is unset, so AWS uses the default subnet group.");
    else if (rg.subnetGroupName === "default") report("subnetGroupName is \"default\".");
});

export const elasticacheProductionProtection = resourcePolicy<ReplicationGroupProps>({
    name: "elasticache-production-protection",
    rule: "On production stacks, ElastiCache replication groups are Pulumi-protected and take a final snapshot when deleted.",
    source: "this project's production checklist (issue 9): AWS ElastiCache final snapshots + Pulumi `protect`",
    remediation: "set redis.protect: true and redis.finalSnapshot: true in the production stack file.",
    severity: "high",
    configSchema: { properties: { productionStacks: productionStacksSchema } },
}, [T.replicationGroup], (rg, args, report) => {
    if (!isProductionStack(args.urn, args.getConfig<ProductionConfig>())) return;
    if (args.opts.protect !== true) report("the replication group of a production stack is not protected (protect: false).");
    if (!rg.finalSnapshotIdentifier) report("the replication group of a production stack has no finalSnapshotIdentifier.");
});
