// What `npm run drift` knows about one object, computed locally from two reads (review M3-M5):
// the desired object (the release's manifest, or what Pulumi sent for the stack's own objects)
// and the live object with its managedFields. No dry-run: a server-side dry-run needs the same
// `patch` permission as the real request, so drift's role would have to be able to change prod.
//
//   changed     a field the release sets whose live value differs
//   added       a field or list entry no release manager set, present live and absent from the
//               release: `+ added by <manager>` (a label, a ConfigMap key read through envFrom,
//               an env var, a sidecar); Helm's three-way patch never removes those
//   unappliable the release's object can no longer be applied in place on top of the live one
//               (a keyed list entry whose key was edited now duplicates a name; exclusive fields
//               both set): Helm's upgrade and its rollback would both fail. `repair` is the JSON
//               patch that makes it appliable again without deleting the object (review M3): the
//               conflicting list replaced by the release's (a Service keeps its address and its
//               load balancer's target binding; a Deployment rolls as for any template change)
//
// Lists are matched by their merge keys, as server-side apply does (containers by name, ports by
// port/containerPort, mounts by mountPath); other lists are compared whole.
import { K8sObject } from "./manifests";

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects are read loosely. */

export interface FieldDrift {
    /** Report path, e.g. `spec.template.spec.containers[api].image`. */
    readonly path: string;
    readonly live: unknown;
    readonly release: unknown;
}

export interface AddedField {
    readonly path: string;
    readonly manager: string;
    readonly live: unknown;
    /** JSON pointer of the field in the live object (heal removes it there). */
    readonly pointer: string;
}

/** One RFC 6902 operation (what `kubectl patch --type=json` takes). */
export interface JsonPatchOp {
    readonly op: "add" | "remove" | "replace" | "test";
    readonly path: string;
    readonly value?: unknown;
}

export interface ObjectComparison {
    readonly changed: FieldDrift[];
    readonly added: AddedField[];
    /** Why the release's object cannot be applied in place, if it cannot. */
    readonly unappliable?: string;
    /**
     * The in-place repair when it cannot: each conflicting list replaced by the release's,
     * guarded by a `test` of the live value read (a concurrent edit makes the patch fail, not
     * overwrite it).
     */
    readonly repair?: JsonPatchOp[];
}

/** Managers that are the cluster itself, not a person or a tool: never "added by". */
const SYSTEM_MANAGERS = /^(kube-controller-manager|kube-scheduler|kubelet|kube-apiserver|before-first-apply|kube-proxy|k8s-sidecar-injector|eks\.amazonaws\.com.*|aws-load-balancer-controller|vpc-resource-controller)$/;

const isObject = (v: unknown): v is K8sObject => typeof v === "object" && v !== null && !Array.isArray(v);
const segment = (at: string, key: string) => (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? (at ? `${at}.${key}` : key) : `${at}[${JSON.stringify(key)}]`);
const pointerPart = (s: string | number) => String(s).replace(/~/g, "~0").replace(/\//g, "~1");

/** The merge key of the list at `field` (the list's own name), or undefined for an atomic list. */
function mergeKey(field: string, list: unknown[]): string[] | undefined {
    const all = (keys: string[]) => list.every((e) => isObject(e) && keys.every((k) => e[k] !== undefined));
    // Ports are keyed with their protocol (DNS is 53/UDP and 53/TCP), TCP when unset.
    if (field === "ports" && all(["containerPort"])) return ["containerPort", "protocol"];
    if (field === "ports" && all(["port"])) return ["port", "protocol"];
    if (field === "volumeMounts" && all(["mountPath"])) return ["mountPath"];
    if (field === "volumeDevices" && all(["devicePath"])) return ["devicePath"];
    if (field === "topologySpreadConstraints" && all(["topologyKey", "whenUnsatisfiable"])) return ["topologyKey", "whenUnsatisfiable"];
    if (["containers", "initContainers", "ephemeralContainers", "volumes", "env", "imagePullSecrets", "hostAliases", "readinessGates"].includes(field)) {
        if (field === "hostAliases" && all(["ip"])) return ["ip"];
        if (field === "readinessGates" && all(["conditionType"])) return ["conditionType"];
        if (all(["name"])) return ["name"];
    }
    return undefined;
}
/** Key fields the API server defaults, so a manifest that omits them matches the live entry. */
const KEY_DEFAULTS: Record<string, string> = { protocol: "TCP" };
const keyValue = (e: K8sObject, k: string) => String(e[k] ?? KEY_DEFAULTS[k]);
const keyOf = (e: K8sObject, keys: string[]) => keys.map((k) => keyValue(e, k)).join(",");
const keyLabel = (e: K8sObject, keys: string[]) => (keys.length === 1 && keys[0] === "name"
    ? String(e.name)
    : keys.filter((k) => !(k in KEY_DEFAULTS && keyValue(e, k) === KEY_DEFAULTS[k])).map((k) => `${k}=${e[k]}`).join(","));

/** Kubernetes quantities, so `0.5` and `500m`, `1Gi` and `1024Mi` compare equal. */
export function quantity(v: unknown): number | undefined {
    const m = /^([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/.exec(String(v));
    if (!m) return undefined;
    const scale: Record<string, number> = { "": 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
    return Number(m[1]) * scale[m[2] ?? ""];
}
const underQuantities = (p: string) => /(^|\.)(limits|requests|capacity|hard|sizeLimit|overhead)(\.|\[|$)/.test(p);

function sameScalar(path: string, live: unknown, want: unknown): boolean {
    if (JSON.stringify(live) === JSON.stringify(want)) return true;
    if (underQuantities(path)) {
        const a = quantity(live), b = quantity(want);
        return a !== undefined && b !== undefined && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
    }
    return false;
}

/** Empty maps, lists and nulls in a manifest set nothing (Helm renders `annotations: {}`). */
const setsNothing = (v: unknown) => v === null || v === undefined || (isObject(v) && Object.keys(v).length === 0) || (Array.isArray(v) && v.length === 0);

/** A list that cannot be merged: where it is live, and the release's version of it. */
interface Conflict {
    readonly why: string;
    readonly pointer: string;
    readonly live: unknown;
    readonly release: unknown;
}

/**
 * The desired object's fields against the live object's: every leaf the desired object sets,
 * with keyed lists matched by key. Returns what differs and which lists could not be merged.
 */
function compareDesired(live: unknown, want: unknown, at: string, ptr: string, field: string, out: FieldDrift[], invalid: Conflict[]): void {
    if (setsNothing(want)) return;
    if (isObject(want)) {
        if (!isObject(live)) {
            out.push({ path: at, live, release: want });
            return;
        }
        for (const k of Object.keys(want).sort()) compareDesired(live[k], want[k], segment(at, k), `${ptr}/${pointerPart(k)}`, k, out, invalid);
        return;
    }
    if (Array.isArray(want)) {
        const keys = mergeKey(field, want);
        if (keys && Array.isArray(live) && (live.length === 0 || mergeKey(field, live))) {
            const index = new Map((live as K8sObject[]).map((e, i) => [keyOf(e, keys), i]));
            for (const w of want as K8sObject[]) {
                const i = index.get(keyOf(w, keys));
                compareDesired(i === undefined ? undefined : live[i], w, `${at}[${keyLabel(w, keys)}]`, `${ptr}/${i ?? "-"}`, "", out, invalid);
            }
            // What server-side apply would hold after merging: live entries plus the release's.
            const merged = [...live as K8sObject[], ...(want as K8sObject[]).filter((w) => !index.has(keyOf(w, keys)))];
            if (!keys.includes("name")) {
                const named = new Map<string, string>();
                for (const e of merged) {
                    if (e.name === undefined) continue;
                    const other = named.get(String(e.name));
                    if (other !== undefined) invalid.push({ why: `${at}: ${other} and ${keyLabel(e, keys)} would both be named "${e.name}"`, pointer: ptr, live, release: want });
                    named.set(String(e.name), keyLabel(e, keys));
                }
            }
            return;
        }
        if (!Array.isArray(live) || live.length !== want.length) {
            out.push({ path: at, live, release: want });
            return;
        }
        want.forEach((w, i) => compareDesired(live[i], w, `${at}[${i}]`, `${ptr}/${i}`, "", out, invalid));
        return;
    }
    // The API server drops zero values of optional fields (`initialDelaySeconds: 0`, `false`,
    // ""): absent live is what the release's zero becomes.
    if (live === undefined && (want === 0 || want === false || want === "")) return;
    if (!sameScalar(at, live, want)) out.push({ path: at, live, release: want });
}

/** Exclusive fields: both set after a merge is an invalid object. */
const EXCLUSIVE: ReadonlyArray<{ kind: string; at: string; fields: [string, string] }> = [
    { kind: "PodDisruptionBudget", at: "spec", fields: ["minAvailable", "maxUnavailable"] },
];

/**
 * Release managers: the ones named helm/pulumi, or that wrote Helm's release annotation. kubectl
 * never is one (review m6): `kubectl apply` of an exported object carries the annotation too,
 * and would otherwise hide everything it added (a sidecar).
 */
export function releaseManagers(live: K8sObject): Set<string> {
    const out = new Set<string>();
    for (const e of (live.metadata?.managedFields ?? []) as any[]) {
        const manager = String(e.manager), fields = JSON.stringify(e.fieldsV1 ?? {});
        if (/^kubectl(-|$)/.test(manager)) continue;
        if (/^(helm|pulumi)/i.test(manager) || fields.includes('"f:meta.helm.sh/release-name"')) out.add(manager);
    }
    if (out.size === 0) {
        // An object created by the release's tool under another name: its first writer.
        const first = [...((live.metadata?.managedFields ?? []) as any[])].sort((a, b) => String(a.time ?? "").localeCompare(String(b.time ?? "")))[0];
        if (first) out.add(String(first.manager));
    }
    return out;
}

/** Fields that are the server's or change on every write; never compared, never "added". */
const SERVER_FIELDS = /^(status|metadata\.(managedFields|resourceVersion|generation|uid|creationTimestamp|selfLink|deletionTimestamp|deletionGracePeriodSeconds|ownerReferences|finalizers)|metadata\.annotations\["deployment\.kubernetes\.io\/revision"\]|metadata\.annotations\["kubectl\.kubernetes\.io\/last-applied-configuration"\])(\.|\[|$)/;

/**
 * Fields another manager may add that are not drift, with why (heal never removes them):
 *   - `kubectl rollout restart`'s restartedAt (review m4): it restarted the pods and changes
 *     nothing they run; removing it would only roll every pod once more.
 */
const NOT_DRIFT = /^spec\.template\.metadata\.annotations\["kubectl\.kubernetes\.io\/restartedAt"\]$/;

/** Whether a manager's fieldsV1 node claims the whole value ("." or a leaf), not only keys under it. */
const ownsWhole = (sub: unknown) => !isObject(sub) || "." in sub || !Object.keys(sub).some((k) => /^[fkv]:/.test(k));

/**
 * Walks one manager's fieldsV1 over the live object; calls `leaf` for each owned field that the
 * desired object does not have, at the shallowest level the manager owns whole (a whole sidecar,
 * not its fields; one annotation key, not the map the release's tool also writes to).
 */
function walkOwned(fields: any, live: unknown, want: unknown, at: string, pointer: string, leaf: (path: string, pointer: string, value: unknown) => void): void {
    if (!isObject(fields)) return;
    for (const [k, sub] of Object.entries(fields)) {
        if (k === ".") continue;
        if (k.startsWith("f:")) {
            const name = k.slice(2);
            if (!isObject(live) || !(name in live)) continue;
            const path = segment(at, name), ptr = `${pointer}/${pointerPart(name)}`;
            if (SERVER_FIELDS.test(path)) continue;
            const w = isObject(want) ? want[name] : undefined;
            // Labels and annotations are named key by key even when this manager made the map:
            // a key is what someone added, and the map may hold Helm's own keys too.
            const byKey = (name === "labels" || name === "annotations") && isObject(live[name]) && isObject(sub) && Object.keys(sub).some((x) => x.startsWith("f:"));
            if ((w === undefined || w === null) && ownsWhole(sub) && !byKey) leaf(path, ptr, live[name]);
            else walkOwned(sub, live[name], w, path, ptr, leaf);
        } else if (k.startsWith("k:") && Array.isArray(live)) {
            const key = JSON.parse(k.slice(2)) as K8sObject;
            const matches = (e: unknown) => isObject(e) && Object.entries(key).every(([kk, vv]) => String(e[kk]) === String(vv));
            const i = live.findIndex(matches);
            if (i < 0) continue;
            const label = Object.keys(key).length === 1 && key.name !== undefined ? String(key.name) : Object.entries(key).map(([kk, vv]) => `${kk}=${vv}`).join(",");
            const w = Array.isArray(want) ? want.find(matches) : undefined;
            const path = `${at}[${label}]`, ptr = `${pointer}/${i}`;
            if (w === undefined && ownsWhole(sub)) leaf(path, ptr, live[i]);
            else walkOwned(sub, live[i], w, path, ptr, leaf);
        } else if (k.startsWith("v:") && Array.isArray(live)) {
            const value = JSON.parse(k.slice(2));
            const i = live.findIndex((e) => JSON.stringify(e) === JSON.stringify(value));
            if (i >= 0 && !(Array.isArray(want) && want.some((e) => JSON.stringify(e) === JSON.stringify(value)))) leaf(`${at}[${i}]`, `${pointer}/${i}`, live[i]);
        }
        // i:<index> (atomic lists) are compared whole by compareDesired.
    }
}

/** The comparison of one object: see the header. */
export function compareObject(desired: K8sObject, live: K8sObject): ObjectComparison {
    const changed: FieldDrift[] = [];
    const conflicts: Conflict[] = [];
    const want = structuredClone(desired);
    delete want.apiVersion; // the server answers in its preferred version of the same group
    delete want.status;
    for (const k of ["namespace", "managedFields", "resourceVersion", "creationTimestamp", "uid", "generation"]) delete want.metadata?.[k];
    compareDesired(live, want, "", "", "", changed, conflicts);
    const why = [...new Set(conflicts.map((c) => c.why))];
    const repair: JsonPatchOp[] = [];
    for (const c of conflicts.filter((x, i) => conflicts.findIndex((y) => y.pointer === x.pointer) === i)) {
        repair.push({ op: "test", path: c.pointer, value: c.live }, { op: "replace", path: c.pointer, value: c.release });
    }

    for (const { kind, at, fields: [a, b] } of EXCLUSIVE) {
        if (desired.kind !== kind) continue;
        const d = desired[at] ?? {}, l = live[at] ?? {};
        const setsA = d[a] !== undefined, setsB = d[b] !== undefined;
        if ((setsA && l[b] !== undefined && d[b] === undefined) || (setsB && l[a] !== undefined && d[a] === undefined)) {
            const [mine, theirs] = setsA ? [a, b] : [b, a];
            why.push(`${at}: the release sets ${mine}, the live object has ${theirs}, and both cannot be set`);
            // The release's field in, the other out, in one patch: the object never lacks both.
            repair.push({ op: "test", path: `/${at}/${theirs}`, value: l[theirs] }, { op: "remove", path: `/${at}/${theirs}` }, { op: "add", path: `/${at}/${mine}`, value: d[mine] });
        }
    }

    const added: AddedField[] = [];
    const mine = releaseManagers(live);
    const seen = new Set<string>();
    for (const e of (live.metadata?.managedFields ?? []) as any[]) {
        const manager = String(e.manager);
        if (mine.has(manager) || SYSTEM_MANAGERS.test(manager) || (e.subresource && e.subresource !== "scale")) continue;
        walkOwned(e.fieldsV1, live, desired, "", "", (path, pointer, value) => {
            if (seen.has(path) || NOT_DRIFT.test(path)) return;
            seen.add(path);
            added.push({ path, manager, live: value, pointer });
        });
    }
    return { changed, added: added.sort((x, y) => x.path.localeCompare(y.path)), ...(why.length ? { unappliable: why.join("; "), repair } : {}) };
}

/**
 * YAML 1.1 octals (`defaultMode: 0555`) as Kubernetes reads Helm's manifest; js-yaml (YAML 1.2)
 * would read 555 decimal.
 */
export function yaml11Octals(text: string): string {
    return text.replace(/^(\s*(?:- )?[\w.-]+:[ \t]+)0([0-7]+)[ \t]*$/gm, (_m, head: string, digits: string) => `${head}${parseInt(digits, 8)}`);
}

/** A manifest Secret's stringData as the API server stores it (base64 `data`). */
export function secretAsStored(o: K8sObject): K8sObject {
    if (o.kind !== "Secret" || !isObject(o.stringData)) return o;
    const c = structuredClone(o);
    c.data = { ...(c.data ?? {}) };
    for (const [k, v] of Object.entries(c.stringData as Record<string, string>)) c.data[k] = Buffer.from(String(v)).toString("base64");
    delete c.stringData;
    return c;
}
