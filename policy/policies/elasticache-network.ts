// Who can reach the cache. A stack policy: the replication group names its security groups by id,
// and only the program's dependencies tie those ids to the groups and rules of the same stack.
import type { PolicyResource } from "@pulumi/policy";

import { stackPolicy } from "../lib/define";
import { ingressRules, isTcp } from "../lib/security-groups";
import { ReplicationGroupProps, T } from "../lib/types";

/** Redis' port when the group sets none. */
const DEFAULT_REDIS_PORT = 6379;

export const elasticacheIngressFromSecurityGroupOnly = stackPolicy({
    name: "elasticache-ingress-from-security-group-only",
    rule: "The security groups of an ElastiCache replication group admit only other security groups (never a CIDR or prefix list), over TCP on the Redis port only.",
    source: "AWS ElastiCache user guide, access patterns in a VPC (allow the client's security group); AWS Security Hub FSBP EC2.18/EC2.19 (no unrestricted ingress)",
    remediation: "give the replication group its own security group whose only ingress is one rule with referencedSecurityGroupId = the cluster's node security group, protocol tcp, fromPort = toPort = the Redis port.",
    severity: "high",
}, (args, report) => {
    const rules = ingressRules(args.resources);
    for (const rg of args.resources.filter((r) => r.type === T.replicationGroup)) {
        const props = rg.props as ReplicationGroupProps;
        const port = props.port ?? DEFAULT_REDIS_PORT;
        const groups = groupsOf(rg, args.resources);
        if ((props.securityGroupIds ?? []).length === 0) {
            report(`replication group ${rg.name} sets no securityGroupIds, so it gets the VPC's default security group.`, rg.urn);
        } else if (groups.length < (props.securityGroupIds ?? []).length) {
            report(`replication group ${rg.name} uses a security group that this stack does not manage; its ingress cannot be checked.`, rg.urn);
        }
        for (const group of groups) {
            for (const rule of rules.filter((i) => i.targetGroupUrns.includes(group.urn))) {
                const at = `${rule.label} (security group ${group.name} of ${rg.name})`;
                if (rule.cidrs.length > 0) report(`${at} admits CIDR ${rule.cidrs.join(", ")}.`, rule.urn);
                if (rule.prefixLists.length > 0) report(`${at} admits prefix list ${rule.prefixLists.join(", ")}.`, rule.urn);
                if (rule.sourceGroups.length === 0 && rule.cidrs.length === 0 && rule.prefixLists.length === 0) {
                    report(`${at} names no source security group.`, rule.urn);
                }
                if (!isTcp(rule.protocol) || rule.fromPort !== port || rule.toPort !== port) {
                    report(`${at} opens ${rule.protocol ?? "?"} ${rule.fromPort ?? "?"}-${rule.toPort ?? "?"}; only tcp ${port} (the Redis port) is allowed.`, rule.urn);
                }
            }
        }
    }
});

/** The stack's security groups that the replication group's securityGroupIds came from. */
function groupsOf(rg: PolicyResource, resources: readonly PolicyResource[]): PolicyResource[] {
    const urns = new Set((rg.propertyDependencies.securityGroupIds ?? []).map((d) => d.urn));
    return resources.filter((r) => r.type === T.securityGroup && urns.has(r.urn));
}
