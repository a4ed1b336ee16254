// Rules that relate the Helm release to the rest of the stack, hence stack policies.
import type { PolicyResource } from "@pulumi/policy";

import { stackPolicy } from "../lib/define";
import { known } from "../lib/known";
import { enforcedLevel, RESTRICTED } from "../lib/pod-security";
import { NamespaceProps, ReleaseProps, T } from "../lib/types";

export const helmRedisSubchartOnlyWithoutElasticache = stackPolicy({
    name: "helm-redis-subchart-only-without-elasticache",
    rule: "The chart's Redis (Valkey) subchart is enabled only in stacks that have no ElastiCache replication group: one Redis per environment, the managed one where it exists.",
    source: "Production Helm chart guide (seed 000), Chart.yaml: \"condition: redis.enabled # disabled in staging/prod (use ElastiCache)\"",
    remediation: "set redis.mode: elasticache (the program then sets values.redis.enabled: false) or remove the replication group.",
    severity: "medium",
}, (args, report) => {
    if (!args.resources.some((r) => r.type === T.replicationGroup)) return;
    for (const release of args.resources.filter((r) => r.type === T.release)) {
        const redis = (release.props as ReleaseProps).values?.redis as { enabled?: unknown } | undefined;
        if (redis?.enabled === true) {
            report(`release ${release.name} enables the Redis subchart (values.redis.enabled) in a stack with ElastiCache.`, release.urn);
        }
    }
});

interface NamespaceConfig {
    /** Namespaces managed outside the stack whose Pod Security level the platform team vouches for. */
    readonly externallyEnforcedNamespaces?: readonly string[];
}

export const helmReleaseNamespacePssRestricted = stackPolicy({
    name: "helm-release-namespace-pss-restricted",
    rule: "A Helm release installs into a namespace that enforces Pod Security restricted: a namespace of the same stack labelled enforce=restricted, or one listed in the policy config as enforced elsewhere.",
    source: "Kubernetes docs, Pod Security Standards (restricted); production Helm chart guide (seed 000): \"enforces security contexts by default\"",
    remediation: "set namespace.create: true (the program labels it restricted), or list the namespace in this policy's externallyEnforcedNamespaces once the platform labels it.",
    severity: "high",
    configSchema: {
        properties: {
            externallyEnforcedNamespaces: {
                type: "array", items: { type: "string" }, default: [],
                description: "Namespaces created outside the stack that enforce Pod Security restricted.",
            },
        },
    },
}, (args, report) => {
    const trusted = args.getConfig<NamespaceConfig>().externallyEnforcedNamespaces ?? [];
    for (const release of args.resources.filter((r) => r.type === T.release)) {
        const name = known(() => (release.props as ReleaseProps).namespace ?? "default");
        const ns = namespaceOf(release, name, args.resources);
        const shown = name ?? "(not known during preview)";
        if (ns === undefined) {
            if (name === undefined || !trusted.includes(name)) {
                report(`release ${release.name} installs into namespace ${shown}, which this stack does not manage, so its Pod Security level is unknown.`, release.urn);
            }
            continue;
        }
        const level = enforcedLevel(ns.props as NamespaceProps);
        if (level !== RESTRICTED) {
            report(`release ${release.name} installs into namespace ${shown}, which enforces ${JSON.stringify(level ?? null)}, not "restricted".`, release.urn);
        }
    }
});

/**
 * The stack's Namespace the release installs into: the one with the release's namespace name or,
 * while a preview does not know that name yet, the Namespace its `namespace` input came from.
 */
function namespaceOf(release: PolicyResource, name: string | undefined, resources: readonly PolicyResource[]): PolicyResource | undefined {
    const namespaces = resources.filter((r) => r.type === T.namespace);
    if (name !== undefined) return namespaces.find((r) => known(() => (r.props as NamespaceProps).metadata?.name) === name);
    return (release.propertyDependencies.namespace ?? []).find((d) => d.type === T.namespace);
}
