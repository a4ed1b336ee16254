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
// them), and objects that can no longer be applied in place (a Service port edited under its
// name, a PDB switched to maxUnavailable), with the reason; heal replaces those.
//
// Cluster (never the current context by accident, m17): --kubeconfig, else $KUBECONFIG, else the
// local cluster's kubeconfig in ${TASKFLOW_STATE_DIR:-.state}/ (npm start); context: --context,
// else the stack's `cluster.context`; for a stack with `cluster.stackReference`, the cluster
// stack's kubeconfig output, as the program reads it; a stack with none of these, on a
// kubeconfig that is not the local cluster's, is an error.
// Heal's preparation (ops/heal.sh, with write access): --prepare-heal deletes the objects that
// cannot be applied in place and removes the added fields (JSON patch), before heal's upgrade.
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
import { AddedField, compareObject, FieldDrift, secretAsStored, yaml11Octals } from "./live-compare";
import { K8sObject, objectKey, parseManifests, show } from "./manifests";

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
    /** Why it cannot be applied in place (heal replaces it). */
    readonly replace?: string;
}

export interface DriftReport {
    readonly objects: number;
    readonly drifted: DriftedObject[];
}

export interface Cluster {
    /** `kubectl get …` (reads only); code 0 with empty stdout when the object is gone. */
    readonly get: (obj: K8sObject, namespace: string) => K8sObject | undefined;
}

const isSecretPath = (kind: string, p: string) => kind === "Secret" && /^(data|stringData)(\.|\[|$)/.test(p);
const redact = (kind: string, p: string, v: unknown) => (v !== undefined && isSecretPath(kind, p) ? "<secret>" : v);

/** Compares each desired object with its live counterpart (see the header). */
export function detectDrift(desired: readonly K8sObject[], namespace: string, cluster: Cluster): DriftReport {
    const drifted: DriftedObject[] = [];
    for (const d of desired) {
        const key = objectKey(d, d.kind === "Namespace" ? "" : namespace);
        const base = { key, kind: String(d.kind), name: String(d.metadata?.name), ...(d.kind === "Namespace" ? {} : { namespace: d.metadata?.namespace ?? namespace }) };
        const live = cluster.get(d, namespace);
        if (!live) {
            drifted.push({ ...base, deleted: true, fields: [], added: [] });
            continue;
        }
        const c = compareObject(secretAsStored(d), live);
        if (c.changed.length === 0 && c.added.length === 0 && !c.unappliable) continue;
        drifted.push({
            ...base, deleted: false,
            fields: c.changed.map((f) => ({ path: f.path, live: redact(base.kind, f.path, f.live), release: redact(base.kind, f.path, f.release) })),
            added: c.added.map((a) => ({ ...a, live: redact(base.kind, a.path, a.live) })),
            ...(c.unappliable ? { replace: c.unappliable } : {}),
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
        lines.push(`~ ${d.key}${d.replace ? ` (cannot be re-applied in place: ${d.replace}; heal replaces it)` : ""}`);
        for (const f of d.fields) lines.push(`    ${f.path}: live ${show(f.live)}, release ${show(f.release)}`);
        for (const a of d.added) lines.push(`    + ${a.path}: added by ${a.manager} (${show(a.live)})`);
    }
    const deleted = r.drifted.filter((d) => d.deleted).length, replace = r.drifted.filter((d) => d.replace).length;
    lines.push(r.drifted.length === 0
        ? `no drift: ${r.objects} objects match the stack`
        : `${r.drifted.length} of ${r.objects} objects drifted: ${r.drifted.length - deleted} changed${replace ? ` (${replace} to replace)` : ""}, ${deleted} deleted. Heal: npm run heal -- --stack <stack> (docs/operations.md)`);
    return lines;
}

/** The manifest of a Helm release from its storage Secret's `release` field (base64, gzip, JSON). */
export function decodeHelmRelease(data: string): { manifest: string; version: number; status: string; lastDeployed?: string } {
    let raw = Buffer.from(Buffer.from(data, "base64").toString("utf8"), "base64");
    if (raw[0] === 0x1f && raw[1] === 0x8b) raw = zlib.gunzipSync(raw);
    const rel = JSON.parse(raw.toString("utf8")) as { manifest: string; version: number; info?: { status?: string; last_deployed?: string } };
    return { manifest: rel.manifest, version: rel.version, status: rel.info?.status ?? "unknown", ...(rel.info?.last_deployed ? { lastDeployed: rel.info.last_deployed } : {}) };
}

/** What Pulumi sent for the stack's own Kubernetes objects (not the Release), secrets unwrapped. */
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
        .filter((r) => /^kubernetes:(core|apps|networking\.k8s\.io|policy|rbac\.authorization\.k8s\.io)\/v1:/.test(r.type) && !r.delete)
        .map((r) => unwrap(r.inputs) as K8sObject);
}

function main(): number {
    const argv = process.argv.slice(2);
    let stack: string | undefined, kubeconfig: string | undefined, context: string | undefined, json = false, prepareHeal = false;
    let pulumiStack: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].split(/=(.*)/s, 2);
        const value = () => inline ?? argv[++i];
        if (flag === "--stack") stack = value();
        else if (flag === "--kubeconfig") kubeconfig = value();
        else if (flag === "--context") context = value();
        else if (flag === "--json") json = true;
        else if (flag === "--pulumi-stack") pulumiStack = value();
        else if (flag === "--prepare-heal") prepareHeal = true;
        else if (flag === "--help" || flag === "-h") {
            console.log("usage: npm run drift -- --stack <name> [--context NAME] [--kubeconfig FILE] [--json]");
            return 0;
        } else throw new DriftError(`unknown argument: ${argv[i]}`);
    }
    if (!stack) throw new DriftError("--stack <name> is required");
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

    if (prepareHeal) {
        for (const d of report.drifted) {
            const ref = [`${d.kind}/${d.name}`, ...(d.namespace ? ["-n", d.namespace] : [])];
            if (d.replace) {
                console.log(`heal: deleting ${d.key} (cannot be re-applied in place: ${d.replace}); the upgrade re-creates it`);
                const r = kubectl(["delete", ...ref, "--wait=true"]);
                if (r.code !== 0) throw new DriftError(`kubectl delete ${d.key}: ${r.stderr.trim()}`);
            } else if (d.added.length > 0) {
                // Deepest and highest-index pointers first, so earlier removals do not shift later ones.
                const ops = [...d.added].sort((a, b) => b.pointer.localeCompare(a.pointer, undefined, { numeric: true })).map((a) => ({ op: "remove", path: a.pointer }));
                console.log(`heal: removing from ${d.key}: ${d.added.map((a) => `${a.path} (added by ${a.manager})`).join(", ")}`);
                const r = kubectl(["patch", ...ref, "--type=json", "-p", JSON.stringify(ops), "--field-manager=taskflow-heal"]);
                if (r.code !== 0) throw new DriftError(`kubectl patch ${d.key}: ${r.stderr.trim()}`);
            }
        }
        return 0;
    }
    if (json) {
        console.log(JSON.stringify({ stack, release, revision: newest.version, ...report }, null, 2));
    } else {
        console.log(`Drift of stack ${stack}: release ${release} revision ${newest.version} (${newest.status}) in namespace ${namespace}, and ${own.length} object(s) the stack owns (${where})`);
        for (const line of formatDrift(report)) console.log(line);
    }
    return report.drifted.length === 0 ? 0 : 1;
}

if (require.main === module) {
    try {
        process.exitCode = main();
    } catch (e) {
        console.error(`drift: ${(e as Error).message}`);
        process.exitCode = 2;
    }
}
