// IRSA: an IAM role assumed by a Kubernetes ServiceAccount through the cluster's OIDC provider.
// The trust must name one provider, one audience and one ServiceAccount: without `aud` any token
// the issuer signs for another audience works, and a loose `sub` hands the role to every pod.
import { resourcePolicy } from "../lib/define";
import { asList, Statement, statementsOf, wildcardPaths } from "../lib/iam-document";
import { RoleProps, T } from "../lib/types";

const WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity";
const STS_AUDIENCE = "sts.amazonaws.com";
/** arn:aws:iam::<account>:oidc-provider/<issuer host and path>, in any partition. */
const OIDC_PROVIDER_ARN = /^arn:aws(?:-[a-z]+)*:iam::\d{12}:oidc-provider\/(.+)$/;
/** A ServiceAccount subject: system:serviceaccount:<namespace>:<name>. */
const SERVICE_ACCOUNT_SUB = /^system:serviceaccount:[^:]+:[^:]+$/;

interface IrsaConfig {
    /** When set, the only OIDC provider ARNs a role may trust. */
    readonly oidcProviderArns?: readonly string[];
}

/** A role is an IRSA role when any statement grants web-identity federation. */
function isIrsaTrust(statements: readonly Statement[]): boolean {
    return statements.some((s) =>
        asList(s.Action).includes(WEB_IDENTITY) || JSON.stringify(s.Principal ?? "").includes(":oidc-provider/"));
}

export const irsaTrustPolicy = resourcePolicy<RoleProps>({
    name: "irsa-trust-policy",
    rule: "An IRSA role trusts exactly one OIDC provider (Federated), only for sts:AssumeRoleWithWebIdentity, with StringEquals on both <issuer>:sub = system:serviceaccount:<ns>:<sa> and <issuer>:aud = sts.amazonaws.com.",
    source: "Amazon EKS user guide, IAM roles for service accounts: configuring the role trust policy",
    remediation: "build the trust with irsaTrustPolicy() (components/service-account-role.ts): Principal { Federated: <oidc provider arn> }, Action sts:AssumeRoleWithWebIdentity, Condition StringEquals on <issuer>:sub and <issuer>:aud.",
    severity: "critical",
    configSchema: {
        properties: {
            oidcProviderArns: {
                type: "array", items: { type: "string" }, default: [],
                description: "OIDC provider ARNs of the clusters roles may trust; empty allows any provider ARN whose issuer matches the condition keys.",
            },
        },
    },
}, [T.role], (role, args, report) => {
    const statements = statementsOf(role.assumeRolePolicy);
    if (statements === undefined) {
        report("assumeRolePolicy is not a JSON policy document.");
        return;
    }
    if (!isIrsaTrust(statements)) return;
    const allowed = args.getConfig<IrsaConfig>().oidcProviderArns ?? [];
    // Deny statements only narrow a trust; every Allow must be the one IRSA shape.
    statements.forEach((s, i) => {
        if (s.Effect === "Allow") checkStatement(s, `Statement[${i}]`, allowed, report);
    });
});

function checkStatement(s: Statement, at: string, allowedProviders: readonly string[], report: (finding: string) => void): void {
    const principal = s.Principal as { Federated?: unknown } | undefined;
    const federated = asList(principal?.Federated);
    const keys = typeof principal === "object" && principal !== null ? Object.keys(principal) : [];
    const issuer = federated.length === 1 ? OIDC_PROVIDER_ARN.exec(federated[0])?.[1] : undefined;
    if (keys.length !== 1 || keys[0] !== "Federated" || issuer === undefined) {
        report(`${at}: the principal must be exactly one Federated OIDC provider ARN, found ${JSON.stringify(s.Principal ?? null)}.`);
    } else if (allowedProviders.length > 0 && !allowedProviders.includes(federated[0])) {
        report(`${at}: OIDC provider ${federated[0]} is not one of the configured oidcProviderArns.`);
    }
    const actions = asList(s.Action);
    if (actions.length !== 1 || actions[0] !== WEB_IDENTITY || s.NotAction !== undefined) {
        report(`${at}: the action must be exactly ${WEB_IDENTITY}, found ${JSON.stringify(s.Action ?? s.NotAction ?? null)}.`);
    }
    if (issuer === undefined) return;
    const equals = s.Condition?.StringEquals ?? {};
    const sub = equals[`${issuer}:sub`];
    const aud = equals[`${issuer}:aud`];
    if (typeof sub !== "string" || !SERVICE_ACCOUNT_SUB.test(sub)) {
        report(`${at}: StringEquals must pin ${issuer}:sub to one system:serviceaccount:<namespace>:<name>, found ${JSON.stringify(sub ?? null)}.`);
    }
    if (aud !== STS_AUDIENCE) {
        report(`${at}: StringEquals must pin ${issuer}:aud to "${STS_AUDIENCE}", found ${JSON.stringify(aud ?? null)}.`);
    }
}

export const iamTrustNoWildcards = resourcePolicy<RoleProps>({
    name: "iam-trust-no-wildcards",
    rule: "No IAM role trust policy contains a wildcard (`*` or `?`) in a principal, action or condition value.",
    source: "Amazon EKS user guide, IRSA trust policy (scope to one ServiceAccount); AWS IAM user guide, security best practices (least privilege)",
    remediation: "replace every wildcard in assumeRolePolicy with the exact principal, action and ServiceAccount (StringEquals, not StringLike).",
    severity: "critical",
}, [T.role], (role, _args, report) => {
    const statements = statementsOf(role.assumeRolePolicy);
    if (statements === undefined) return; // irsa-trust-policy reports unreadable documents
    statements.forEach((s, i) => {
        for (const hit of wildcardPaths({ Principal: s.Principal, NotPrincipal: s.NotPrincipal, Action: s.Action, NotAction: s.NotAction, Condition: s.Condition }, `Statement[${i}]`)) {
            report(`wildcard in the trust policy: ${hit}.`);
        }
    });
});
