// One way to declare a policy: what it requires, where the rule comes from, how to fix a
// violation. Every violation message ends with the remediation, so the person reading a failed
// preview learns what to change without opening this pack.
import type {
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";

export interface PolicyInfo {
    /** Unique kebab-case id, also the key in a policy config file. */
    readonly name: string;
    /** What the rule requires, as one sentence. */
    readonly rule: string;
    /** Where the rule comes from: a checklist item, a Security Hub control, a document. */
    readonly source: string;
    /** What to change when the policy fires. */
    readonly remediation: string;
    /** Mandatory unless `advisoryBecause` says why a violation should only warn. */
    readonly advisoryBecause?: string;
    readonly severity: Severity;
    readonly configSchema?: PolicyConfigSchema;
}

/** Reports one finding about the resource under validation. */
export type Report = (finding: string) => void;
/** Reports one finding about a resource of the stack (by URN). */
export type StackReport = (finding: string, urn?: string) => void;

/** The fields @pulumi/policy publishes with a policy, derived from its info. */
function metadata(info: PolicyInfo) {
    const enforcementLevel: EnforcementLevel = info.advisoryBecause === undefined ? "mandatory" : "advisory";
    return {
        name: info.name,
        description: `${info.rule} Source: ${info.source}.`,
        enforcementLevel,
        severity: info.severity,
        remediationSteps: info.remediation,
        ...(info.configSchema ? { configSchema: info.configSchema } : {}),
    };
}

function withRemediation(info: PolicyInfo, finding: string): string {
    return `${finding} Remediation: ${info.remediation}`;
}

/**
 * A policy over resources of the given types. `check` receives the resource's properties typed as
 * `P` (the engine hands plain JSON; P names the fields the check reads).
 */
export function resourcePolicy<P>(
    info: PolicyInfo,
    types: readonly string[],
    check: (props: P, args: ResourceValidationArgs, report: Report) => void,
): ResourceValidationPolicy {
    return {
        ...metadata(info),
        validateResource: (args, reportViolation) => {
            if (!types.includes(args.type)) return;
            check(args.props as P, args, (finding) => reportViolation(withRemediation(info, finding)));
        },
    };
}

/** A policy over the whole stack, for rules that relate resources to each other. */
export function stackPolicy(
    info: PolicyInfo,
    check: (args: StackValidationArgs, report: StackReport) => void,
): StackValidationPolicy {
    return {
        ...metadata(info),
        validateStack: (args, reportViolation) =>
            check(args, (finding, urn) => reportViolation(withRemediation(info, finding), urn)),
    };
}
