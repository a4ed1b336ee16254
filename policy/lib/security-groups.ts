// Every way a stack can open a security group for ingress, in one shape: inline `ingress` blocks
// of aws.ec2.SecurityGroup, aws.vpc.SecurityGroupIngressRule and aws.ec2.SecurityGroupRule
// (type "ingress"). Rules that check sources or ports then look at a single list.
import type { PolicyResource } from "@pulumi/policy";

import { InlineSecurityGroupRule, IngressRuleProps, SecurityGroupProps, SecurityGroupRuleProps, T } from "./types";

export interface Ingress {
    /** URN of the resource that declares the rule (for the violation). */
    readonly urn: string;
    /** Where in that resource, for messages: `ingress[0]` or the rule's resource name. */
    readonly label: string;
    /** URNs of the security groups the rule opens, known from the program's dependencies. */
    readonly targetGroupUrns: readonly string[];
    /** IPv4 and IPv6 CIDR sources. */
    readonly cidrs: readonly string[];
    readonly prefixLists: readonly string[];
    /** Security-group sources (ids, or "self"). */
    readonly sourceGroups: readonly string[];
    readonly protocol?: string;
    readonly fromPort?: number;
    readonly toPort?: number;
}

/** CIDRs that admit the whole internet. */
export const OPEN_CIDRS: readonly string[] = ["0.0.0.0/0", "::/0"];

function list(value: readonly string[] | string | undefined): string[] {
    if (value === undefined) return [];
    return typeof value === "string" ? [value] : [...value];
}

/** URNs that a property of `r` depends on, e.g. the group a rule's securityGroupId came from. */
function dependencyUrns(r: PolicyResource, property: string): string[] {
    return (r.propertyDependencies[property] ?? []).map((d) => d.urn);
}

function inline(sg: PolicyResource, rule: InlineSecurityGroupRule, index: number): Ingress {
    return {
        urn: sg.urn,
        label: `${sg.name} ingress[${index}]`,
        targetGroupUrns: [sg.urn],
        cidrs: [...list(rule.cidrBlocks), ...list(rule.ipv6CidrBlocks)],
        prefixLists: list(rule.prefixListIds),
        sourceGroups: [...list(rule.securityGroups), ...(rule.self === true ? ["self"] : [])],
        protocol: rule.protocol,
        fromPort: rule.fromPort,
        toPort: rule.toPort,
    };
}

function vpcRule(r: PolicyResource): Ingress {
    const p = r.props as IngressRuleProps;
    return {
        urn: r.urn,
        label: r.name,
        targetGroupUrns: dependencyUrns(r, "securityGroupId"),
        cidrs: [...list(p.cidrIpv4), ...list(p.cidrIpv6)],
        prefixLists: list(p.prefixListId),
        sourceGroups: list(p.referencedSecurityGroupId),
        protocol: p.ipProtocol,
        fromPort: p.fromPort,
        toPort: p.toPort,
    };
}

function ec2Rule(r: PolicyResource): Ingress {
    const p = r.props as SecurityGroupRuleProps;
    return {
        urn: r.urn,
        label: r.name,
        targetGroupUrns: dependencyUrns(r, "securityGroupId"),
        cidrs: [...list(p.cidrBlocks), ...list(p.ipv6CidrBlocks)],
        prefixLists: list(p.prefixListIds),
        sourceGroups: [...list(p.sourceSecurityGroupId), ...(p.self === true ? ["self"] : [])],
        protocol: p.protocol,
        fromPort: p.fromPort,
        toPort: p.toPort,
    };
}

/** Every ingress rule declared anywhere in the stack. */
export function ingressRules(resources: readonly PolicyResource[]): Ingress[] {
    const out: Ingress[] = [];
    for (const r of resources) {
        if (r.type === T.securityGroup) {
            (r.props as SecurityGroupProps).ingress?.forEach((rule, i) => out.push(inline(r, rule, i)));
        } else if (r.type === T.ingressRule) {
            out.push(vpcRule(r));
        } else if (r.type === T.securityGroupRule && (r.props as SecurityGroupRuleProps).type === "ingress") {
            out.push(ec2Rule(r));
        }
    }
    return out;
}

/** TCP, by name or protocol number. */
export function isTcp(protocol: string | undefined): boolean {
    return protocol === "tcp" || protocol === "6";
}
