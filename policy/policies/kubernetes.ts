// Kubernetes objects the program creates itself (outside the chart): the Redis Secret and the
// namespace of the release.
import { resourcePolicy } from "../lib/define";
import { PSS_MODES, pssLabel, RESTRICTED } from "../lib/pod-security";
import { NamespaceProps, T } from "../lib/types";

const SECRET_FIELDS = ["data", "stringData"];

export const kubernetesSecretDataIsSecret = resourcePolicy<unknown>({
    name: "kubernetes-secret-data-is-secret",
    rule: "Kubernetes Secrets keep data and stringData as Pulumi secrets (additionalSecretOutputs), so the state stores them encrypted and diffs never print them.",
    source: "Helm best practices for production, \"Never put secrets in values files\"; Pulumi docs, secrets (additionalSecretOutputs)",
    remediation: "create the Secret with @pulumi/kubernetes (it marks data and stringData secret) or add additionalSecretOutputs: [\"data\", \"stringData\"], and pass the value through pulumi.secret().",
    severity: "critical",
}, [T.secret], (_props, args, report) => {
    // The engine unwraps secrets before a policy sees inputs, so the marker a policy CAN see is
    // the resource option that makes the engine encrypt these fields.
    const missing = SECRET_FIELDS.filter((f) => !args.opts.additionalSecretOutputs.includes(f));
    if (missing.length > 0) report(`${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not in additionalSecretOutputs.`);
});

interface PssConfig {
    readonly level?: string;
}

export const kubernetesNamespacePssLabels = resourcePolicy<NamespaceProps>({
    name: "kubernetes-namespace-pss-labels",
    rule: "Namespaces carry the Pod Security Admission labels enforce, audit and warn, all at level restricted.",
    source: "Kubernetes docs, Pod Security Standards and Pod Security Admission (namespace labels)",
    remediation: "label the namespace pod-security.kubernetes.io/{enforce,audit,warn}: restricted (namespace.create: true does it).",
    severity: "high",
    configSchema: { properties: { level: { type: "string", enum: ["restricted", "baseline"], default: RESTRICTED } } },
}, [T.namespace], (ns, args, report) => {
    const level = args.getConfig<PssConfig>().level ?? RESTRICTED;
    const labels = ns.metadata?.labels ?? {};
    for (const mode of PSS_MODES) {
        const value = labels[pssLabel(mode)];
        if (value !== level) report(`label ${pssLabel(mode)} is ${JSON.stringify(value ?? null)}, not "${level}".`);
    }
});
