// Objects in the release's namespace that nothing owns (issue 28 item 9, review m6), as Argo CD
// reports orphaned resources: what `npm run drift` lists with `?`. A hand-made Pod that the
// Service's selector matches receives the app's traffic; an allow-all NetworkPolicy opens every
// pod it selects (policies add up); neither is in the release, so neither is compared, and
// Helm's upgrade never removes them. Heal leaves them (they are not the stack's to delete).
//
// Owned: the release's manifest and hooks, the stack's own objects, and anything with an
// ownerReference (its owner is reported instead, if that is an orphan). Ignored, by name, because
// the platform makes them in every namespace or for every release (PLATFORM_OBJECTS).
import { K8sObject, objectKey } from "./manifests";

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects are read loosely. */

/**
 * The kinds listed (`kubectl get <these> -n NS`): what a person or a tool would create by hand in
 * an app's namespace. Not listed, because the platform writes them for what is listed: Events,
 * Endpoints, EndpointSlices (mirrors of each Service), ControllerRevisions, Leases.
 */
export const LISTED_KINDS = [
    "configmaps", "secrets", "pods", "services", "serviceaccounts", "persistentvolumeclaims",
    "deployments.apps", "replicasets.apps", "statefulsets.apps", "daemonsets.apps", "jobs.batch", "cronjobs.batch",
    "networkpolicies.networking.k8s.io", "ingresses.networking.k8s.io", "poddisruptionbudgets.policy",
    "horizontalpodautoscalers.autoscaling", "roles.rbac.authorization.k8s.io", "rolebindings.rbac.authorization.k8s.io",
] as const;

/** Objects the platform makes, with why: never orphans. */
export const PLATFORM_OBJECTS: ReadonlyArray<{ readonly why: string; readonly test: (o: K8sObject, release: string) => boolean }> = [
    { why: "the API server's root CA, in every namespace", test: (o) => o.kind === "ConfigMap" && o.metadata?.name === "kube-root-ca.crt" },
    { why: "the namespace's default ServiceAccount", test: (o) => o.kind === "ServiceAccount" && o.metadata?.name === "default" },
    {
        // Helm keeps a hook that did not succeed (hook-delete-policy hook-succeeded): a failed
        // or interrupted revision's migration Job stays, and its logs are the post-mortem
        // (docs/operations.md). The newest revision's hooks are compared; earlier ones are Helm's.
        why: "a hook an earlier revision of this release left (Helm keeps a hook that did not succeed)",
        test: (o, release) => !!o.metadata?.annotations?.["helm.sh/hook"] &&
            (o.metadata?.labels?.["app.kubernetes.io/instance"] === release || o.metadata?.annotations?.["meta.helm.sh/release-name"] === release),
    },
    {
        why: "Helm's record of this release (one Secret per revision)",
        test: (o, release) => o.kind === "Secret" && o.type === "helm.sh/release.v1" && o.metadata?.labels?.owner === "helm" && o.metadata?.labels?.name === release,
    },
];

export interface Orphan {
    readonly key: string;
    readonly kind: string;
    readonly name: string;
    /** Why it matters, when more than "nothing owns it". */
    readonly note?: string;
}

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
    !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/** A NetworkPolicy with a direction whose rule admits every peer and port. */
function allowsAll(np: K8sObject): string | undefined {
    const open = (rules: any[] | undefined) => (rules ?? []).some((r) => (r.from ?? r.to ?? []).length === 0 && (r.ports ?? []).length === 0);
    const dirs = [open(np.spec?.ingress) ? "ingress" : "", open(np.spec?.egress) ? "egress" : ""].filter(Boolean);
    if (dirs.length === 0) return undefined;
    const scope = Object.keys(np.spec?.podSelector?.matchLabels ?? {}).length === 0 && (np.spec?.podSelector?.matchExpressions ?? []).length === 0 ? "every pod in the namespace" : "the pods it selects";
    return `allows all ${dirs.join(" and ")} to ${scope}`;
}

/**
 * The live objects of the namespace (`live`) that are not `known` (the release's and the
 * stack's), not owned through an ownerReference and not platform objects.
 */
export function findOrphans(known: readonly K8sObject[], live: readonly K8sObject[], namespace: string, release: string): Orphan[] {
    const knownKeys = new Set(known.map((o) => objectKey(o, namespace)));
    const services = known.filter((o) => o.kind === "Service");
    const statefulSets = new Set(known.filter((o) => o.kind === "StatefulSet").map((o) => String(o.metadata?.name)));
    const out: Orphan[] = [];
    for (const o of live) {
        const key = objectKey({ ...o, apiVersion: o.apiVersion }, namespace);
        if (knownKeys.has(key)) continue;
        if ((o.metadata?.ownerReferences ?? []).length > 0) continue;
        if (PLATFORM_OBJECTS.some((p) => p.test(o, release))) continue;
        // A StatefulSet's volumeClaimTemplates make `<template>-<statefulset>-<ordinal>` claims
        // without an ownerReference (unless its retention policy says so): the set's, not orphans.
        const name = String(o.metadata?.name);
        if (o.kind === "PersistentVolumeClaim" && [...statefulSets].some((s) => new RegExp(`-${s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-\\d+$`).test(name))) continue;
        let note: string | undefined;
        if (o.kind === "Pod") {
            const svc = services.find((s) => matches(s.spec?.selector, o.metadata?.labels));
            if (svc) note = `matches the selector of Service ${svc.metadata?.name}: it receives the app's traffic`;
        }
        if (o.kind === "NetworkPolicy") note = allowsAll(o);
        out.push({ key, kind: String(o.kind), name, ...(note ? { note } : {}) });
    }
    return out.sort((a, b) => a.key.localeCompare(b.key));
}

export const formatOrphan = (o: Orphan): string => `? ${o.key} (orphan: in the namespace, owned by nothing in the stack${o.note ? `; ${o.note}` : ""})`;

/**
 * The namespace's objects of LISTED_KINDS through `get` (`kubectl get KINDS -n NS -o json`): one
 * call; when it is refused (a role without list on one kind), kind by kind, and each kind still
 * refused is returned in `unreadable` (said in the report, not an error).
 */
export function listNamespace(get: (kinds: string) => { code: number; stdout: string; stderr: string }): { items: K8sObject[]; unreadable: string[] } {
    const all = get(LISTED_KINDS.join(","));
    if (all.code === 0) return { items: (JSON.parse(all.stdout).items ?? []) as K8sObject[], unreadable: [] };
    const items: K8sObject[] = [], unreadable: string[] = [];
    for (const kind of LISTED_KINDS) {
        const one = get(kind);
        if (one.code === 0) items.push(...((JSON.parse(one.stdout).items ?? []) as K8sObject[]));
        else unreadable.push(`${kind} (${one.stderr.trim().split("\n").pop()})`);
    }
    return { items, unreadable };
}
