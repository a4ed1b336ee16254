// Per-object comparison of Kubernetes manifests, shared by `npm run diff` (two offline renders)
// and `npm run drift` (the release's manifest against the live objects). Pure functions: tested
// alone in test/unit/manifests.test.ts.
import * as yaml from "js-yaml";

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects are read loosely. */
export type K8sObject = Record<string, any>;

/** `Kind namespace/name` (group-qualified for non-core kinds that share a name), stable across API versions. */
export function objectKey(o: K8sObject, defaultNamespace = ""): string {
    const group = String(o.apiVersion ?? "").includes("/") ? String(o.apiVersion).split("/")[0] : "";
    const ns = o.metadata?.namespace ?? defaultNamespace;
    const kind = group && !["apps", "batch", "networking.k8s.io", "policy", "autoscaling", "rbac.authorization.k8s.io"].includes(group) ? `${o.kind}.${group}` : o.kind;
    return ns ? `${kind} ${ns}/${o.metadata?.name}` : `${kind} ${o.metadata?.name}`;
}

/** Every object of a multi-document YAML stream (Helm's output), empty documents dropped. */
export function parseManifests(text: string): K8sObject[] {
    return yaml.loadAll(text).filter((d): d is K8sObject => typeof d === "object" && d !== null && "kind" in d);
}

/** Objects by key; a duplicate key is an error (two templates rendering the same object). */
export function indexObjects(objects: readonly K8sObject[], defaultNamespace = ""): Map<string, K8sObject> {
    const byKey = new Map<string, K8sObject>();
    for (const o of objects) {
        const key = objectKey(o, defaultNamespace);
        if (byKey.has(key)) throw new Error(`${key} appears twice in the manifests`);
        byKey.set(key, o);
    }
    return byKey;
}

/** One changed field: a path such as `spec.template.spec.containers[api].image`. */
export interface FieldChange {
    readonly path: string;
    readonly before: unknown;
    readonly after: unknown;
}

/**
 * A list whose elements all carry a distinct `name` (containers, env, ports, volumes) is
 * compared by name, as strategic merge patch does: inserting an env var then reports one added
 * entry, not every later index as changed.
 */
function namedList(v: unknown): Map<string, unknown> | undefined {
    if (!Array.isArray(v) || v.length === 0) return undefined;
    const byName = new Map<string, unknown>();
    for (const e of v) {
        if (typeof e !== "object" || e === null || typeof (e as K8sObject).name !== "string") return undefined;
        if (byName.has((e as K8sObject).name)) return undefined;
        byName.set((e as K8sObject).name, e);
    }
    return byName;
}

const isObject = (v: unknown): v is K8sObject => typeof v === "object" && v !== null && !Array.isArray(v);
const segment = (at: string, key: string) => (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? (at ? `${at}.${key}` : key) : `${at}[${JSON.stringify(key)}]`);

/** Every leaf-level difference between `a` and `b`, paths in a stable order. */
export function diffValues(a: unknown, b: unknown, at = ""): FieldChange[] {
    if (isObject(a) && isObject(b)) {
        const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
        return keys.flatMap((k) => diffValues(a[k], b[k], segment(at, k)));
    }
    const na = namedList(a), nb = namedList(b);
    if (na && nb) {
        const names = [...new Set([...na.keys(), ...nb.keys()])];
        return names.flatMap((n) => diffValues(na.get(n), nb.get(n), `${at}[${n}]`));
    }
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
        return a.flatMap((v, i) => diffValues(v, b[i], `${at}[${i}]`));
    }
    if (JSON.stringify(a) === JSON.stringify(b)) return [];
    return [{ path: at, before: a, after: b }];
}

/** What is folded out of a comparison because it says nothing a reviewer acts on. */
export interface Noise {
    readonly path: RegExp;
    readonly label: string;
}

/** Changes that follow from every chart edit or version bump; counted, not listed. */
export const RENDER_NOISE: readonly Noise[] = [
    { path: /(^|\.)annotations\["taskflow-api\/chart-hash"\]$/, label: "chart hash annotation" },
    { path: /(^|\.)labels\["helm\.sh\/chart"\]$/, label: "helm.sh/chart labels" },
];

/** A Secret's values never leave this module: changed keys are listed, values are not. */
function redactSecret(kind: unknown, c: FieldChange): FieldChange {
    if (kind === "Secret" && /^(data|stringData)(\.|\[|$)/.test(c.path)) {
        return { path: c.path, before: c.before === undefined ? undefined : "<secret>", after: c.after === undefined ? undefined : "<secret>" };
    }
    return c;
}

export interface ObjectDiff {
    readonly key: string;
    readonly change: "added" | "removed" | "changed";
    readonly fields: readonly FieldChange[];
    /** Labels of folded noise seen on this object. */
    readonly folded: readonly string[];
}

/** Objects added, removed and changed from `before` to `after`, sorted by key. */
export function diffObjectSets(before: Map<string, K8sObject>, after: Map<string, K8sObject>, noise: readonly Noise[] = RENDER_NOISE): ObjectDiff[] {
    const out: ObjectDiff[] = [];
    for (const key of [...new Set([...before.keys(), ...after.keys()])].sort()) {
        const a = before.get(key), b = after.get(key);
        if (!a) out.push({ key, change: "added", fields: [], folded: [] });
        else if (!b) out.push({ key, change: "removed", fields: [], folded: [] });
        else {
            const d = diffObject(a, b, noise);
            if (d.fields.length > 0 || d.folded.length > 0) out.push({ key, change: "changed", ...d });
        }
    }
    return out;
}

/** The field changes of one object, Secret values redacted, noise folded into labels. */
export function diffObject(a: K8sObject, b: K8sObject, noise: readonly Noise[] = []): { fields: FieldChange[]; folded: string[] } {
    const fields: FieldChange[] = [];
    const folded = new Set<string>();
    for (const c of diffValues(a, b)) {
        const n = noise.find((x) => x.path.test(c.path));
        if (n) folded.add(n.label);
        else fields.push(redactSecret(b.kind ?? a.kind, c));
    }
    return { fields, folded: [...folded] };
}

/** A value for one report line: JSON, cut to `max` characters. */
export function show(v: unknown, max = 100): string {
    if (v === undefined) return "(unset)";
    const s = typeof v === "string" && v === "<secret>" ? v : JSON.stringify(v);
    return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Whether a diff is more than folded noise (what is listed and sets the exit status). */
export const isSignificant = (d: ObjectDiff): boolean => d.change !== "changed" || d.fields.length > 0;

/**
 * The report lines: `+`, `-`, `~` per object, one line per field; objects whose only change is
 * folded noise are summed up in one last line.
 */
export function formatObjectDiffs(diffs: readonly ObjectDiff[]): string[] {
    const lines: string[] = [];
    for (const d of diffs.filter(isSignificant)) {
        const mark = d.change === "added" ? "+" : d.change === "removed" ? "-" : "~";
        lines.push(`${mark} ${d.key}${d.change === "changed" ? "" : ` (${d.change})`}`);
        for (const f of d.fields) lines.push(`    ${f.path}: ${show(f.before)} -> ${show(f.after)}`);
    }
    const folded = diffs.filter((d) => d.folded.length > 0);
    if (folded.length > 0) {
        const labels = [...new Set(folded.flatMap((d) => d.folded))].sort();
        const rolls = labels.includes("helm.sh/chart labels") ? "; a helm.sh/chart change in a pod template also rolls its pods" : "";
        lines.push(`  (folded: ${labels.join(", ")} on ${folded.length} object(s)${rolls})`);
    }
    return lines;
}
