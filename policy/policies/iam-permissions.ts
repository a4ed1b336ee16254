// What a role may do. Applies to every permission document the stack writes: standalone inline
// policies, managed policies it creates, and a role's own inlinePolicies.
import type { ResourceValidationArgs } from "@pulumi/policy";

import { Report, resourcePolicy } from "../lib/define";
import { asList, isWildcardAction, isWriteAction, Statement, statementsOf } from "../lib/iam-document";
import { PolicyDocumentHolder, RoleProps, T } from "../lib/types";

const DOCUMENT_TYPES = [T.rolePolicy, T.policy, T.userPolicy, T.groupPolicy, T.role];

/** The permission documents a resource carries, each with a label for messages. */
function documents(props: unknown, args: ResourceValidationArgs): { label: string; statements: Statement[] | undefined }[] {
    if (args.type === T.role) {
        return ((props as RoleProps).inlinePolicies ?? []).map((p, i) => ({
            label: `inlinePolicies[${i}]${p.name ? ` (${p.name})` : ""}`,
            statements: statementsOf(p.policy),
        }));
    }
    return [{ label: "policy", statements: statementsOf((props as PolicyDocumentHolder).policy) }];
}

function eachAllow(props: unknown, args: ResourceValidationArgs, report: Report, check: (s: Statement, at: string) => void): void {
    for (const doc of documents(props, args)) {
        if (doc.statements === undefined) {
            report(`${doc.label} is not a JSON policy document.`);
            continue;
        }
        doc.statements.forEach((s, i) => {
            if (s.Effect === "Allow") check(s, `${doc.label} Statement[${i}]${s.Sid ? ` (${s.Sid})` : ""}`);
        });
    }
}

export const iamNoWildcardActions = resourcePolicy<unknown>({
    name: "iam-no-wildcard-actions",
    rule: "IAM permission statements that Allow name their actions: no `\"Action\": \"*\"`, no whole-service `service:*`, no NotAction.",
    source: "AWS Security Hub FSBP IAM.1 (no full \"*\" administrative privileges) and IAM.21 (no wildcard actions for services)",
    remediation: "list the exact actions the app needs in serviceAccount.iam.policyStatements (config.ts already rejects Action \"*\").",
    severity: "critical",
}, DOCUMENT_TYPES, (props, args, report) => {
    eachAllow(props, args, report, (s, at) => {
        const wild = asList(s.Action).filter(isWildcardAction);
        if (wild.length > 0) report(`${at} allows wildcard action ${wild.join(", ")}.`);
        if (s.NotAction !== undefined) report(`${at} allows everything except NotAction ${JSON.stringify(s.NotAction)}.`);
    });
});

export const iamNoWildcardResourceForWrites = resourcePolicy<unknown>({
    name: "iam-no-wildcard-resource-for-writes",
    rule: "IAM permission statements that Allow write actions name their resources: `\"Resource\": \"*\"` (or NotResource) is allowed with write actions only when a Condition narrows it (for actions without resource-level permissions, e.g. cloudwatch:PutMetricData scoped by cloudwatch:namespace).",
    source: "AWS IAM user guide, security best practices: apply least-privilege permissions (scope resources, use conditions)",
    remediation: "set Resource to the ARNs the statement writes to, or, for actions that support no resource ARNs, add a Condition that scopes them.",
    severity: "high",
}, DOCUMENT_TYPES, (props, args, report) => {
    eachAllow(props, args, report, (s, at) => {
        const everything = asList(s.Resource).includes("*") || s.NotResource !== undefined;
        const writes = asList(s.Action).filter(isWriteAction);
        const narrowed = s.Condition !== undefined && Object.keys(s.Condition).length > 0;
        if (everything && writes.length > 0 && !narrowed) {
            report(`${at} allows write action(s) ${writes.join(", ")} on every resource ("*") without a Condition.`);
        }
    });
});
