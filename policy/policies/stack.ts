// Whole-stack rules over every AWS resource.
import { stackPolicy } from "../lib/define";
import { ingressRules, OPEN_CIDRS } from "../lib/security-groups";
import { effectiveTags } from "../lib/tags";
import { TaggedProps } from "../lib/types";
import { projectOf, stackOf } from "../lib/urn";

/**
 * AWS resource types that cannot carry tags at all (attachments and inline policy documents);
 * default tags do not reach them either, so the rule does not apply to them.
 */
export const UNTAGGABLE_AWS_TYPES: readonly string[] = [
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
    "aws:iam/policyAttachment:PolicyAttachment",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
];

export const awsResourcesTagged = stackPolicy({
    name: "aws-resources-tagged",
    rule: "Every taggable AWS resource carries project = <project>, stack = <stack> and managed-by = pulumi, on itself or through its provider's defaultTags.",
    source: "AWS whitepaper, Best Practices for Tagging AWS Resources (ownership and automation tags); this project's docs/configuration.md (aws.tags)",
    remediation: "create AWS resources through the stack's explicit aws.Provider, whose defaultTags set project, stack and managed-by (components/stack.ts); do not override them in tags.",
    severity: "low",
}, (args, report) => {
    for (const r of args.resources) {
        if (!r.type.startsWith("aws:") || UNTAGGABLE_AWS_TYPES.includes(r.type)) continue;
        const tags = effectiveTags(r.props as TaggedProps, r.provider);
        const want: Record<string, string> = { project: projectOf(r.urn), stack: stackOf(r.urn), "managed-by": "pulumi" };
        const wrong = Object.entries(want).filter(([k, v]) => tags[k] !== v);
        if (wrong.length > 0) {
            const found = wrong.map(([k, v]) => `${k}=${JSON.stringify(tags[k] ?? null)} (want "${v}")`).join(", ");
            report(`${r.type} ${r.name}: ${found}.`, r.urn);
        }
    }
});

export const noPublicIngress = stackPolicy({
    name: "no-public-ingress",
    rule: "No security group in the stack admits 0.0.0.0/0 or ::/0: nothing this stack creates is open to the internet.",
    source: "AWS Security Hub FSBP EC2.18 (unrestricted incoming traffic only on authorised ports) and EC2.19 (no unrestricted access to high-risk ports)",
    remediation: "admit the client's security group (referencedSecurityGroupId) or a private CIDR instead; public HTTP enters through the cluster's load balancer, not a security group of this stack.",
    severity: "critical",
}, (args, report) => {
    for (const rule of ingressRules(args.resources)) {
        const open = rule.cidrs.filter((c) => OPEN_CIDRS.includes(c));
        if (open.length > 0) report(`${rule.label} admits ${open.join(", ")} on ports ${rule.fromPort ?? "?"}-${rule.toPort ?? "?"}.`, rule.urn);
    }
});
