// Live drift of a deployed stack: every object the stack deploys compared with the live object.
// `pulumi refresh` cannot see this for the release: the Release reads Helm's stored record, not
// the objects, so a `kubectl edit` stays invisible and is never reverted by an `up` with
// unchanged inputs.
//
//   npm run drift -- --stack <name> [--context NAME] [--kubeconfig FILE] [--json]
//                    [--pulumi-stack ORG/NAME]   (the stack in the backend, default <name>)
//
// What is compared (ops/live-compare.ts, computed here from reads only: `get`/`list`, no
// dry-run, so the role that runs it needs no write access, review M5):
//   - the objects of the Helm release's manifest, read from the release's own record (the
//     `sh.helm.release.v1.*` Secret, as `helm get manifest` does; no helm binary needed);
//   - the objects the stack owns outside the release (the Namespace, the Redis Secret), against
//     what Pulumi sent for them (`pulumi stack export`; values compared in memory, never shown).
// Reported: fields the stack sets whose live value differs (`~`), objects gone (`-`), fields and
// entries added by another field manager (`+ … added by <manager>`: Helm's patch never removes
// them), objects that can no longer be applied in place (a Service port edited under its name, a
// PDB switched to maxUnavailable), with the reason, and objects in the release's namespace that
// nothing owns (`? … orphan`, ops/orphans.ts: a Pod the Service selects, an allow-all policy).
// Read-only lookups in the state (the preflight's IngressClass.get) are not the stack's objects.
//
// Cluster (never the current context by accident, m17): --kubeconfig, else $KUBECONFIG, else the
// local cluster's kubeconfig in ${TASKFLOW_STATE_DIR:-.state}/ (npm start); context: --context,
// else the stack's `cluster.context`; for a stack with `cluster.stackReference`, the cluster
// stack's kubeconfig output, as the program reads it; a stack with none of these, on a
// kubeconfig that is not the local cluster's, is an error.
// Heal's preparation (ops/heal.sh, with write access, after its preview passed): --prepare-heal
// patches in place what Helm's upgrade could not apply (the conflicting list replaced by the
// release's) and removes the added fields (JSON patch, each guarded by a `test` of the value read),
// never deleting an object and never touching spec.replicas (review M3); --undo-file FILE records
// the inverse patches, which --undo-heal FILE applies when the upgrade failed.
// Exit status: 0 no drift, 1 drift, 2 error, 3 the release needs recovery, not heal: stuck in a
// pending state or unknown to the state (an interrupted deploy; `npm run recover`, README). Secret
// values are never printed.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";

import { ConfigError, parseConfig, rawConfigFromStackFile } from "../config";
import { clusterTarget, operatorContext } from "./cluster-target";
import { classifyRelease, describeFinding, revisionFromSecret, stackView } from "./release-state";
import { AddedField, compareObject, FieldDrift, JsonPatchOp, secretAsStored, yaml11Octals } from "./live-compare";
import { K8sObject, objectKey, parseManifests, show } from "./manifests";
import { findOrphans, formatOrphan, listNamespace, Orphan } from "./orphans";

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes and Pulumi JSON are read loosely. */
const ROOT = path.resolve(__dirname, "..");
const TOOLS_BIN = path.join(process.env.TASKFLOW_TOOLS_DIR ?? path.join(os.homedir(), ".cache", "taskflow-api", "tools"), "bin");

class DriftError extends Error {}

export interface DriftedObject {
    readonly key: string;
    readonly kind: string;
    readonly name: string;
    readonly namespace?: string;
    readonly deleted: boolean;
    readonly fields: ReadonlyArray<FieldDrift>;
    readonly added: ReadonlyArray<AddedField>;
    /** Why it cannot be applied in place. */
    readonly replace?: string;
    /** The in-place patch heal applies for it (the conflicting list replaced by the release's). */
    readonly repair?: ReadonlyArray<JsonPatchOp>;
}

export interface DriftReport {
    readonly objects: number;
    readonly drifted: DriftedObject[];
    /** Objects in the namespace nothing owns (filled by main; ops/orphans.ts). */
    readonly orphans?: Orphan[];
}

export interface Cluster {
    /** `kubectl get …` (reads only); code 0 with empty stdout when the object is gone. */
    readonly get: (obj: K8sObject, namespace: string) => K8sObject | undefined;
}

const isSecretPath = (kind: string, p: string) => kind === "Secret" && /^(data|stringData)(\.|\[|$)/.test(p);
const redact = (kind: string, p: string, v: unknown) => (v !== undefined && isSecretPath(kind, p) ? "<secret>" : v);

/** `Kind/name` of each object an HPA among `desired` scales: the HPA owns its spec.replicas. */
export function hpaTargets(desired: readonly K8sObject[]): Set<string> {
    return new Set(desired.filter((o) => o.kind === "HorizontalPodAutoscaler" && o.spec?.scaleTargetRef)
        .map((o) => `${o.spec.scaleTargetRef.kind}/${o.spec.scaleTargetRef.name}`));
}

/** Compares each desired object with its live counterpart (see the header). */
export function detectDrift(desired: readonly K8sObject[], namespace: string, cluster: Cluster): DriftReport {
    const drifted: DriftedObject[] = [];
    const scaled = hpaTargets(desired);
    for (const d of desired) {
        const key = objectKey(d, d.kind === "Namespace" ? "" : namespace);
        const base = { key, kind: String(d.kind), name: String(d.metadata?.name), ...(d.kind === "Namespace" ? {} : { namespace: d.metadata?.namespace ?? namespace }) };
        const live = cluster.get(d, namespace);
        if (!live) {
            drifted.push({ ...base, deleted: true, fields: [], added: [] });
            continue;
        }
        const c = compareObject(secretAsStored(d), live);
        // Under an HPA, spec.replicas is the HPA's (and an operator's `kubectl scale` within its
        // range is what the HPA would do): neither drift nor anything heal may remove (M3).
        const added = scaled.has(`${d.kind}/${d.metadata?.name}`) ? c.added.filter((a) => a.path !== "spec.replicas") : c.added;
        if (c.changed.length === 0 && added.length === 0 && !c.unappliable) continue;
        drifted.push({
            ...base, deleted: false,
            fields: c.changed.map((f) => ({ path: f.path, live: redact(base.kind, f.path, f.live), release: redact(base.kind, f.path, f.release) })),
            added: added.map((a) => ({ ...a, live: redact(base.kind, a.path, a.live) })),
            ...(c.unappliable ? { replace: c.unappliable, repair: c.repair } : {}),
        });
    }
    return { objects: desired.length, drifted };
}

export function formatDrift(r: DriftReport): string[] {
    const lines: string[] = [];
    for (const d of r.drifted) {
        if (d.deleted) {
            lines.push(`- ${d.key} (deleted: in the release, not in the cluster)`);
            continue;
        }
        lines.push(`~ ${d.key}${d.replace ? ` (cannot be re-applied in place: ${d.replace}; heal patches the list in place)` : ""}`);
        for (const f of d.fields) lines.push(`    ${f.path}: live ${show(f.live)}, release ${show(f.release)}`);
        for (const a of d.added) lines.push(`    + ${a.path}: added by ${a.manager} (${show(a.live)})`);
    }
    const orphans = r.orphans ?? [];
    for (const o of orphans) lines.push(formatOrphan(o));
    const deleted = r.drifted.filter((d) => d.deleted).length, replace = r.drifted.filter((d) => d.replace).length;
    const orphanNote = orphans.length ? `${orphans.length} orphan(s) in the namespace (nothing owns them; heal leaves them: review, then kubectl delete)` : "";
    if (r.drifted.length === 0) lines.push(orphanNote ? `no drift of the ${r.objects} objects; ${orphanNote}` : `no drift: ${r.objects} objects match the stack`);
    else lines.push(`${r.drifted.length} of ${r.objects} objects drifted: ${r.drifted.length - deleted} changed${replace ? ` (${replace} to patch in place)` : ""}, ${deleted} deleted${orphanNote ? `; ${orphanNote}` : ""}. Heal: npm run heal -- --stack <stack> (docs/operations.md)`);
    return lines;
}

/** The manifest of a Helm release from its storage Secret's `release` field (base64, gzip, JSON). */
export function decodeHelmRelease(data: string): { manifest: string; version: number; status: string; lastDeployed?: string; hooks?: string } {
    let raw = Buffer.from(Buffer.from(data, "base64").toString("utf8"), "base64");
    if (raw[0] === 0x1f && raw[1] === 0x8b) raw = zlib.gunzipSync(raw);
    const rel = JSON.parse(raw.toString("utf8")) as { manifest: string; version: number; info?: { status?: string; last_deployed?: string }; hooks?: Array<{ manifest?: string }> };
    // Hooks (the migration Job and its ServiceAccount) are not drift-compared (Helm deletes them
    // on success) but are the release's: a failed one left behind is no orphan.
    const hooks = (rel.hooks ?? []).map((h) => h.manifest ?? "").filter(Boolean).join("\n---\n");
    return { manifest: rel.manifest, version: rel.version, status: rel.info?.status ?? "unknown", ...(rel.info?.last_deployed ? { lastDeployed: rel.info.last_deployed } : {}), ...(hooks ? { hooks } : {}) };
}

/**
 * The app component's own Kubernetes objects in the state (its Namespace and Secrets, by URN:
 * `…TaskflowApi$kubernetes:core/v1:Namespace|Secret::…`), as Pulumi sent them, secrets unwrapped.
 * Read-only lookups (`external`: the preflight's IngressClass.get and APIService.get, review M2)
 * are the cluster's, not the stack's: their inputs are absent or `{}`.
 */
export const OWN_OBJECT_URN = /::(?:[^:$]+:[^:$]+:[^:$]+\$)*taskflow:app:TaskflowApi\$kubernetes:core\/v1:(Namespace|Secret)::/;
export function stackOwnedObjects(exported: any): K8sObject[] {
    const unwrap = (v: any): any => {
        if (Array.isArray(v)) return v.map(unwrap);
        if (v && typeof v === "object") {
            if ("4dabf18193072939515e22adb298388d" in v) return "plaintext" in v ? unwrap(JSON.parse(v.plaintext)) : undefined;
            return Object.fromEntries(Object.entries(v).filter(([k]) => !k.startsWith("__")).map(([k, x]) => [k, unwrap(x)]));
        }
        return v;
    };
    return ((exported?.deployment?.resources ?? []) as any[])
        .filter((r) => OWN_OBJECT_URN.test(String(r.urn ?? "")) && !r.external && !r.delete && r.inputs?.kind)
        .map((r) => unwrap(r.inputs) as K8sObject);
}

function main(): number {
    const argv = process.argv.slice(2);
    let stack: string | undefined, kubeconfig: string | undefined, context: string | undefined, json = false, prepareHeal = false;
    let pulumiStack: string | undefined, undoFile: string | undefined, undoHeal: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].split(/=(.*)/s, 2);
        const value = () => inline ?? argv[++i];
        if (flag === "--stack") stack = value();
        else if (flag === "--kubeconfig") kubeconfig = value();
        else if (flag === "--context") context = value();
        else if (flag === "--json") json = true;
        else if (flag === "--pulumi-stack") pulumiStack = value();
        else if (flag === "--prepare-heal") prepareHeal = true;
        else if (flag === "--undo-file") undoFile = value();
        else if (flag === "--undo-heal") undoHeal = value();
        else if (flag === "--help" || flag === "-h") {
            console.log("usage: npm run drift -- --stack <name> [--context NAME] [--kubeconfig FILE] [--json]\n       (heal's: --prepare-heal [--undo-file FILE], --undo-heal FILE)");
            return 0;
        } else throw new DriftError(`unknown argument: ${argv[i]}`);
    }
    if (!stack) throw new DriftError("--stack <name> is required");
    if (undoFile && !prepareHeal) throw new DriftError("--undo-file goes with --prepare-heal");
    const stackFile = path.join(ROOT, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(stackFile)) throw new DriftError(`no stack file Pulumi.${stack}.yaml`);
    let config;
    try {
        config = parseConfig(rawConfigFromStackFile(yaml.load(fs.readFileSync(stackFile, "utf8"))));
    } catch (e) {
        if (e instanceof ConfigError) throw new DriftError(`Pulumi.${stack}.yaml: ${e.message}`);
        throw e;
    }
    const release = config.release.name, namespace = config.namespace.name;
    const state = process.env.TASKFLOW_STATE_DIR ?? path.join(ROOT, ".state");
    const localKubeconfig = path.join(state, "kubeconfig");
    kubeconfig ??= process.env.KUBECONFIG || (fs.existsSync(localKubeconfig) ? localKubeconfig : undefined);
    const target = clusterTarget(stack);
    // A stack whose kubeconfig is its cluster stack's output (staging): read it the way the
    // program does, unless the caller named a cluster.
    let fromStack: string | undefined;
    if (target.stackReference && !context && !argv.some((a) => a.startsWith("--kubeconfig"))) {
        const bin = process.env.PULUMI || (fs.existsSync(path.join(TOOLS_BIN, "pulumi")) ? path.join(TOOLS_BIN, "pulumi") : "pulumi");
        try {
            const kc = execFileSync(bin, ["stack", "output", "--stack", target.stackReference.stack, target.stackReference.kubeconfigOutput, "--show-secrets"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
            fromStack = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "taskflow-drift-")), "kubeconfig");
            fs.writeFileSync(fromStack, kc, { mode: 0o600 });
            const dir = path.dirname(fromStack);
            process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true })); // credentials: never left behind
            kubeconfig = fromStack;
        } catch (e) {
            throw new DriftError(`reading the kubeconfig output of cluster stack ${target.stackReference.stack}: ${String((e as { stderr?: string }).stderr ?? e).trim().split("\n").pop()} (or name the cluster: --kubeconfig FILE / --context NAME)`);
        }
    }
    const usingLocal = kubeconfig !== undefined && fs.existsSync(localKubeconfig) && path.resolve(kubeconfig) === path.resolve(localKubeconfig);
    context = operatorContext(target, context, usingLocal, fromStack !== undefined);
    // The local cluster's stack lives in the local file backend (local/stack.sh).
    const localBackend = usingLocal && !process.env.PULUMI_BACKEND_URL && fs.existsSync(path.join(state, "backend"))
        ? { PULUMI_BACKEND_URL: `file://${path.join(state, "backend")}`, PULUMI_CONFIG_PASSPHRASE_FILE: path.join(state, "passphrase") }
        : {};
    const env = { ...process.env, ...localBackend, ...(kubeconfig ? { KUBECONFIG: kubeconfig } : {}) };
    const where = `kubeconfig ${kubeconfig ?? "default"}${context ? `, context ${context}` : ""}`;

    const bin = (name: string, envVar: string) => process.env[envVar] || (fs.existsSync(path.join(TOOLS_BIN, name)) ? path.join(TOOLS_BIN, name) : name);
    const kubectlBin = bin("kubectl", "KUBECTL"), pulumiBin = bin("pulumi", "PULUMI");
    const run = (cmd: string, args: string[], input?: string) => {
        try {
            return { code: 0, stdout: execFileSync(cmd, args, { cwd: ROOT, env, input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 }), stderr: "" };
        } catch (e) {
            const err = e as { status?: number; stdout?: string; stderr?: string; code?: string; message: string };
            if (err.code === "ENOENT") {
                throw new DriftError(`${cmd} is not installed: run \`bash local/toolchain/tools.sh engine cluster\` (the pinned kubectl and pulumi), or put kubectl and pulumi on PATH`);
            }
            return { code: err.status ?? 1, stdout: String(err.stdout ?? ""), stderr: String(err.stderr || err.message) };
        }
    };
    const kubectl = (args: string[], input?: string) => run(kubectlBin, [...(context ? ["--context", context] : []), ...args], input);

    if (undoHeal) return applyUndo(undoHeal, kubectl);

    // The release's record: the newest revision's storage Secret (what `helm get manifest` reads).
    const records = kubectl(["get", "secrets", "-n", namespace, "-l", `owner=helm,name=${release}`, "-o", "json"]);
    if (records.code !== 0) throw new DriftError(`reading release ${release} in ${namespace}: ${records.stderr.trim()} (${where})`);
    const items = (JSON.parse(records.stdout).items ?? []) as K8sObject[];
    if (items.length === 0) throw new DriftError(`no Helm release ${release} in namespace ${namespace} (${where}): deploy first (npm start)`);
    const decoded = items.map((s) => ({ secret: s, record: decodeHelmRelease(s.data.release) }));
    const newest = decoded.map((d) => d.record).sort((a, b) => b.version - a.version)[0];

    // The stack's own objects, from its state.
    const exported = run(pulumiBin, ["stack", "export", "--show-secrets", "--stack", pulumiStack ?? stack], undefined);
    if (exported.code !== 0) throw new DriftError(`pulumi stack export --stack ${stack}: ${exported.stderr.trim().split("\n").slice(-3).join(" ")}`);
    const exportedState = JSON.parse(exported.stdout);
    const own = stackOwnedObjects(exportedState);

    // An interrupted deploy first (ops/release-state.ts): a release stuck in a pending state, or one
    // the state does not know, is not drift of objects; heal cannot fix it (its upgrade would fail).
    const finding = classifyRelease(decoded.map((d) => revisionFromSecret(d.secret as never, d.record)), stackView(exportedState), Date.now());
    const needsRecovery = describeFinding(finding, release, stack, usingLocal);
    if (needsRecovery.length > 0) {
        if (json) console.log(JSON.stringify({ stack, release, revision: newest.version, recovery: finding }, null, 2));
        else {
            console.log(`Drift of stack ${stack}: release ${release} revision ${newest.version} (${newest.status}) in namespace ${namespace} (${where})`);
            for (const line of needsRecovery) console.log(line);
        }
        return 3;
    }

    const manifestDocs = parseManifests(yaml11Octals(newest.manifest));
    const desired = [...own, ...manifestDocs];
    const report = detectDrift(desired, namespace, {
        get: (obj, ns) => {
            const kind = String(obj.kind), group = String(obj.apiVersion ?? "").includes("/") ? String(obj.apiVersion).split("/")[0] : "";
            // managedFields are left out of kubectl's output unless asked for (kubectl >= 1.21).
            const args = ["get", group ? `${kind}.${group}` : kind, String(obj.metadata?.name), "-o", "json", "--ignore-not-found", "--show-managed-fields"];
            if (kind !== "Namespace") args.push("-n", obj.metadata?.namespace ?? ns);
            const got = kubectl(args);
            if (got.code !== 0) throw new DriftError(`kubectl get ${kind} ${obj.metadata?.name}: ${got.stderr.trim()}`);
            return got.stdout.trim() === "" ? undefined : (JSON.parse(got.stdout) as K8sObject);
        },
    });

    if (prepareHeal) return prepare(report, kubectl, undoFile);

    // Orphans: the namespace's objects that neither the release (manifest, hooks) nor the stack owns.
    const hooks = newest.hooks ? parseManifests(yaml11Octals(newest.hooks)) : [];
    const listed = listNamespace((kinds) => kubectl(["get", kinds, "-n", namespace, "-o", "json"]));
    const orphans = findOrphans([...desired, ...hooks], listed.items, namespace, release);
    const full = { ...report, orphans };
    if (json) {
        console.log(JSON.stringify({ stack, release, revision: newest.version, ...full, ...(listed.unreadable.length ? { unreadable: listed.unreadable } : {}) }, null, 2));
    } else {
        console.log(`Drift of stack ${stack}: release ${release} revision ${newest.version} (${newest.status}) in namespace ${namespace}, and ${own.length} object(s) the stack owns (${where})`);
        for (const line of formatDrift(full)) console.log(line);
        if (listed.unreadable.length) console.log(`(orphans not checked for: ${listed.unreadable.join("; ")})`);
    }
    return report.drifted.length === 0 && orphans.length === 0 ? 0 : 1;
}

type Kubectl = (args: string[], input?: string) => { code: number; stdout: string; stderr: string };

/** One object's heal patch and its inverse (applied in reverse order if the upgrade fails). */
export interface HealPatch {
    readonly key: string;
    readonly ref: string[];
    readonly ops: JsonPatchOp[];
    readonly undo: JsonPatchOp[];
    readonly says: string;
}

/**
 * Heal's preparation, as patches: a conflicting list replaced by the release's (so Helm's upgrade
 * applies), fields added by other managers removed; each operation guarded by a `test` of the
 * value drift read. Never a delete, never spec.replicas (an HPA's or an operator's scale).
 */
export function healPatches(report: DriftReport): HealPatch[] {
    const out: HealPatch[] = [];
    for (const d of report.drifted) {
        if (d.deleted) continue; // Helm's upgrade re-creates it
        const ref = [`${d.kind}/${d.name}`, ...(d.namespace ? ["-n", d.namespace] : [])];
        const ops: JsonPatchOp[] = [], undo: JsonPatchOp[] = [], says: string[] = [];
        if (d.repair?.length) {
            ops.push(...d.repair);
            // The inverse: each replaced value put back (tests are not undone).
            const was = new Map(d.repair.filter((o) => o.op === "test").map((o) => [o.path, o.value]));
            for (const o of d.repair) {
                if (o.op === "replace") undo.unshift({ op: "replace", path: o.path, value: was.get(o.path) });
                else if (o.op === "remove") undo.unshift({ op: "add", path: o.path, value: was.get(o.path) });
                else if (o.op === "add") undo.unshift({ op: "remove", path: o.path });
            }
            says.push(`replaces ${d.repair.filter((o) => o.op !== "test").map((o) => o.path).join(", ")} with the release's (${d.replace})`);
        }
        // Deepest and highest-index pointers first, so earlier removals do not shift later ones;
        // none under a list the repair just replaced (it holds the release's entries now).
        const replaced = (d.repair ?? []).filter((o) => o.op === "replace").map((o) => o.path);
        const removable = d.added.filter((a) => a.pointer !== "/spec/replicas" && !replaced.some((p) => a.pointer === p || a.pointer.startsWith(`${p}/`)))
            .sort((a, b) => b.pointer.localeCompare(a.pointer, undefined, { numeric: true }));
        for (const a of removable) {
            // A Secret's value is redacted in the report: removed unguarded, and not restorable.
            const secret = a.live === "<secret>";
            ops.push(...(secret ? [] : [{ op: "test" as const, path: a.pointer, value: a.live }]), { op: "remove", path: a.pointer });
            if (!secret) undo.unshift({ op: "add", path: a.pointer, value: a.live });
        }
        if (removable.length) says.push(`removes ${removable.map((a) => `${a.path} (added by ${a.manager})`).join(", ")}`);
        if (ops.length) out.push({ key: d.key, ref, ops, undo, says: says.join("; ") });
    }
    return out;
}

function prepare(report: DriftReport, kubectl: Kubectl, undoFile: string | undefined): number {
    const patches = healPatches(report);
    const applied: HealPatch[] = [];
    const keep = () => undoFile && fs.writeFileSync(undoFile, JSON.stringify(applied, null, 2), { mode: 0o600 });
    keep();
    for (const p of patches) {
        console.log(`heal: ${p.key}: ${p.says}`);
        const r = kubectl(["patch", ...p.ref, "--type=json", "-p", JSON.stringify(p.ops), "--field-manager=taskflow-heal"]);
        if (r.code !== 0) throw new DriftError(`kubectl patch ${p.key}: ${r.stderr.trim()} (patched before it: ${applied.map((a) => a.key).join(", ") || "none"}${undoFile ? `; undo: --undo-heal ${undoFile}` : ""})`);
        applied.push(p);
        keep();
    }
    return 0;
}

/** Puts back what --prepare-heal changed (its --undo-file), newest patch first. */
function applyUndo(file: string, kubectl: Kubectl): number {
    const applied = JSON.parse(fs.readFileSync(file, "utf8")) as HealPatch[];
    const failed: string[] = [];
    for (const p of [...applied].reverse()) {
        const r = kubectl(["patch", ...p.ref, "--type=json", "-p", JSON.stringify(p.undo), "--field-manager=taskflow-heal"]);
        if (r.code === 0) console.log(`heal: undone on ${p.key}: ${p.says}`);
        else failed.push(`${p.key}: ${r.stderr.trim()}`);
    }
    if (failed.length) throw new DriftError(`could not undo on ${failed.join("; ")} (npm run drift -- --stack <stack> shows what is live now)`);
    return 0;
}

if (require.main === module) {
    try {
        process.exitCode = main();
    } catch (e) {
        console.error(`drift: ${(e as Error).message}`);
        process.exitCode = 2;
    }
}
