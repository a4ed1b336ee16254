// The Helm release itself (kubernetes:helm.sh/v3:Release): how it rolls out and what it carries.
// The deploy flags come from the production checklist of the Helm best-practices guide (seed 002):
// "--atomic --wait --timeout in all CI/CD deployment commands", "no secret values in values files".
import { resourcePolicy } from "../lib/define";
import { secretLiterals } from "../lib/secret-values";
import { ReleaseProps, T } from "../lib/types";

const CHECKLIST = "Helm best practices for production, production checklist";

export const helmReleaseAtomic = resourcePolicy<ReleaseProps>({
    name: "helm-release-atomic",
    rule: "Helm releases are atomic (wait, and roll back on failure), clean up what a failed upgrade created, and do not skip the wait.",
    source: `${CHECKLIST}: "--atomic --wait --timeout in all CI/CD deployment commands"; Helm docs, helm upgrade --cleanup-on-fail`,
    remediation: "set atomic: true and cleanupOnFail: true on the Release and leave skipAwait unset.",
    severity: "high",
}, [T.release], (release, _args, report) => {
    if (release.atomic !== true) report("atomic is not true: a failed rollout stays half-applied.");
    if (release.cleanupOnFail !== true) report("cleanupOnFail is not true: a failed upgrade leaves its new objects behind.");
    if (release.skipAwait === true) report("skipAwait is true: nothing waits for the rollout, so atomic cannot roll it back.");
});

interface TimeoutConfig {
    readonly minimumSeconds?: number;
    readonly maximumSeconds?: number;
}

export const helmReleaseBoundedTimeout = resourcePolicy<ReleaseProps>({
    name: "helm-release-bounded-timeout",
    rule: "Helm releases set an explicit timeout between 60 s and 3600 s: long enough for the migration hook and rollout, short enough that a stuck deploy rolls back.",
    source: `${CHECKLIST}: "--timeout"`,
    remediation: "set release.timeoutSeconds in the stack file (the Release's timeout) within the bounds.",
    severity: "medium",
    configSchema: {
        properties: {
            minimumSeconds: { type: "integer", minimum: 1, default: 60 },
            maximumSeconds: { type: "integer", minimum: 1, default: 3600 },
        },
    },
}, [T.release], (release, args, report) => {
    const { minimumSeconds = 60, maximumSeconds = 3600 } = args.getConfig<TimeoutConfig>();
    const t = release.timeout;
    if (typeof t !== "number") report("timeout is unset (the provider's default applies silently).");
    else if (t < minimumSeconds || t > maximumSeconds) report(`timeout is ${t} s; allowed ${minimumSeconds}-${maximumSeconds} s.`);
});

interface HistoryConfig {
    readonly maximum?: number;
}

export const helmReleaseMaxHistory = resourcePolicy<ReleaseProps>({
    name: "helm-release-max-history",
    rule: "Helm releases bound their history (maxHistory 1-100): enough revisions to roll back, not one release Secret per deploy forever.",
    source: "Helm docs, helm upgrade --history-max; this project's docs/operations.md (roll back with helm history/rollback)",
    remediation: "set release.maxHistory in the stack file (the Release's maxHistory).",
    severity: "low",
    configSchema: { properties: { maximum: { type: "integer", minimum: 1, default: 100 } } },
}, [T.release], (release, args, report) => {
    const { maximum = 100 } = args.getConfig<HistoryConfig>();
    const h = release.maxHistory;
    // 0 is Helm's "unlimited".
    if (typeof h !== "number" || h < 1) report(`maxHistory is ${h === undefined ? "unset" : h} (unlimited history).`);
    else if (h > maximum) report(`maxHistory is ${h}; at most ${maximum}.`);
});

/** Repository URLs and OCI references; a local chart is a relative path. */
const REMOTE_CHART = /^[a-z][a-z0-9+.-]*:\/\//i;

export const helmReleaseLocalChart = resourcePolicy<ReleaseProps>({
    name: "helm-release-local-chart",
    rule: "Helm releases install the chart from a relative local path (./chart), reviewed and hashed in this repository, never from a chart repository or an absolute path.",
    source: "this project's README, Architecture (chartHash rolls out template changes; a relative path keeps the state machine-independent)",
    remediation: "set chart: \"./chart\" and drop repositoryOpts; vendor third-party charts as subcharts under chart/.",
    severity: "medium",
}, [T.release], (release, _args, report) => {
    const chart = release.chart ?? "";
    if (release.repositoryOpts?.repo) report(`the chart comes from repository ${release.repositoryOpts.repo}.`);
    if (REMOTE_CHART.test(chart)) report(`chart "${chart}" is a remote reference.`);
    else if (chart.startsWith("/")) report(`chart "${chart}" is an absolute path: the state would differ per machine.`);
    else if (!chart.startsWith("./") && !chart.startsWith("../")) report(`chart "${chart}" is not a relative path (./...); Helm would look it up in a repository.`);
});

export const helmValuesNoSecretLiterals = resourcePolicy<ReleaseProps>({
    name: "helm-values-no-secret-literals",
    rule: "No Helm value whose key looks like a password, token or secret carries a literal; the chart gets a Secret's name and key instead.",
    source: `${CHECKLIST}: "No secret values in values.yaml"; "Never put secrets in values files"`,
    remediation: "write the credential into a Kubernetes Secret (as components/taskflow-api.ts does) and pass its name (existingSecret.name) and key.",
    severity: "critical",
}, [T.release], (release, _args, report) => {
    for (const hit of secretLiterals(release.values ?? {})) {
        report(`values.${hit.path} carries a literal credential.`);
    }
});
