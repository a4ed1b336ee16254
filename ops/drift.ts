// Live drift of a deployed stack: every object of the Helm release's manifest compared with the
// live object, on the fields the release sets. `pulumi refresh` cannot see this: the Release
// reads Helm's stored record, not the objects, so a `kubectl edit` stays invisible and is never
// reverted by an `up` with unchanged inputs.
//
//   npm run drift -- --stack <name> [--kubeconfig FILE] [--context NAME]
//
// How: for each object of `helm get manifest`, a server-side apply dry-run with Helm's field
// manager and --force-conflicts returns what the object would be if the release applied it
// now (the `kubectl diff --server-side` semantics). Its differences from the live object are
// exactly the fields the release sets that someone changed; API-server defaults, status and
// fields only other managers set (an HPA's replicas, a controller's annotations) are equal on
// both sides. Objects of the release that no longer exist are reported deleted.
//
// Cluster: --kubeconfig, else $KUBECONFIG, else the local cluster's kubeconfig in
// ${TASKFLOW_STATE_DIR:-.state}/ when it exists (npm start), else kubectl's default; context:
// --context, else the stack's `cluster.context`.
// Exit status: 0 no drift, 1 drift, 2 error. Secret values are never printed.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";

import { ConfigError, parseConfig, rawConfigFromStackFile } from "../config";
import { diffObject, K8sObject, objectKey, parseManifests, show } from "./manifests";

const ROOT = path.resolve(__dirname, "..");
const TOOLS_BIN = path.join(process.env.TASKFLOW_TOOLS_DIR ?? path.join(os.homedir(), ".cache", "taskflow-api", "tools"), "bin");

class DriftError extends Error {}

function tool(envVar: string, cached: string, onPath: string): string {
    if (process.env[envVar]) return process.env[envVar] as string;
    if (fs.existsSync(path.join(TOOLS_BIN, cached))) return path.join(TOOLS_BIN, cached);
    return onPath;
}

/** Fields the server owns or that change on every write; never drift. */
function comparable(o: K8sObject): K8sObject {
    const c = structuredClone(o);
    delete c.status;
    for (const k of ["managedFields", "resourceVersion", "generation", "uid", "creationTimestamp", "selfLink"]) delete c.metadata?.[k];
    return c;
}

/** The manager that created the object: Helm's (the provider's embedded Helm or the CLI). */
function creatorManager(live: K8sObject): string {
    const entries = [...(live.metadata?.managedFields ?? [])] as Array<{ manager?: string; time?: string }>;
    entries.sort((a, b) => String(a.time ?? "").localeCompare(String(b.time ?? "")));
    return entries[0]?.manager ?? "helm";
}

export interface DriftedObject {
    readonly key: string;
    readonly deleted: boolean;
    readonly fields: ReadonlyArray<{ path: string; live: unknown; release: unknown }>;
}

export interface DriftReport {
    readonly objects: number;
    readonly drifted: DriftedObject[];
}

export interface Cluster {
    readonly kubectl: (args: string[], input?: string) => { code: number; stdout: string; stderr: string };
}

/** Compares every manifest object with its live counterpart (see the header). */
export function detectDrift(manifest: string, namespace: string, cluster: Cluster): DriftReport {
    // Each document goes to kubectl as Helm rendered it: re-serialising a parsed copy would turn
    // YAML 1.1 octals such as `defaultMode: 0555` (what Kubernetes reads) into decimal 555.
    const docs = manifest.split(/^---[ \t]*$/m).filter((d) => parseManifests(d).length === 1);
    const drifted: DriftedObject[] = [];
    for (const doc of docs) {
        const key = objectKey(parseManifests(doc)[0], namespace);
        const got = cluster.kubectl(["get", "-f", "-", "-n", namespace, "-o", "json", "--ignore-not-found"], doc);
        if (got.code !== 0) throw new DriftError(`kubectl get ${key}: ${got.stderr.trim()}`);
        // `get -f` answers with a List (empty, or nothing at all, when the object is gone).
        const answer = got.stdout.trim() === "" ? undefined : (JSON.parse(got.stdout) as K8sObject);
        const live = answer?.kind === "List" ? (answer.items as K8sObject[])[0] : answer;
        if (!live) {
            drifted.push({ key, deleted: true, fields: [] });
            continue;
        }
        const applied = cluster.kubectl([
            "apply", "--server-side", "--dry-run=server", "--force-conflicts", `--field-manager=${creatorManager(live)}`,
            "-f", "-", "-n", namespace, "-o", "json",
        ], doc);
        if (applied.code !== 0) throw new DriftError(`server-side dry-run of ${key}: ${applied.stderr.trim()}`);
        const { fields } = diffObject(comparable(live), comparable(JSON.parse(applied.stdout) as K8sObject));
        if (fields.length > 0) drifted.push({ key, deleted: false, fields: fields.map((f) => ({ path: f.path, live: f.before, release: f.after })) });
    }
    return { objects: docs.length, drifted };
}

export function formatDrift(r: DriftReport): string[] {
    const lines: string[] = [];
    for (const d of r.drifted) {
        if (d.deleted) {
            lines.push(`- ${d.key} (deleted: in the release, not in the cluster)`);
            continue;
        }
        lines.push(`~ ${d.key}`);
        for (const f of d.fields) lines.push(`    ${f.path}: live ${show(f.live)}, release ${show(f.release)}`);
    }
    const deleted = r.drifted.filter((d) => d.deleted).length;
    lines.push(r.drifted.length === 0
        ? `no drift: ${r.objects} objects match the release`
        : `${r.drifted.length} of ${r.objects} objects drifted: ${r.drifted.length - deleted} changed, ${deleted} deleted. Heal: npm run heal -- --stack <stack> (README, Operations)`);
    return lines;
}

function main(): number {
    const argv = process.argv.slice(2);
    let stack: string | undefined, kubeconfig: string | undefined, context: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].split(/=(.*)/s, 2);
        const value = () => inline ?? argv[++i];
        if (flag === "--stack") stack = value();
        else if (flag === "--kubeconfig") kubeconfig = value();
        else if (flag === "--context") context = value();
        else if (flag === "--help" || flag === "-h") {
            console.log("usage: npm run drift -- --stack <name> [--kubeconfig FILE] [--context NAME]");
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
    context ??= config.cluster.context;
    const localKubeconfig = path.join(process.env.TASKFLOW_STATE_DIR ?? path.join(ROOT, ".state"), "kubeconfig");
    kubeconfig ??= process.env.KUBECONFIG || (fs.existsSync(localKubeconfig) ? localKubeconfig : undefined);
    const env = { ...process.env, ...(kubeconfig ? { KUBECONFIG: kubeconfig } : {}) };
    const ctx = context ? ["--kube-context", context] : [];

    const kubectlBin = tool("KUBECTL", "kubectl", "kubectl"), helmBin = tool("HELM4", "helm4", "helm");
    const run = (bin: string, args: string[], input?: string) => {
        try {
            const stdout = execFileSync(bin, args, { env, input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
            return { code: 0, stdout, stderr: "" };
        } catch (e) {
            const err = e as { status?: number; stdout?: string; stderr?: string; message: string };
            return { code: err.status ?? 1, stdout: String(err.stdout ?? ""), stderr: String(err.stderr || err.message) };
        }
    };
    const manifest = run(helmBin, ["get", "manifest", release, "-n", namespace, ...ctx]);
    if (manifest.code !== 0) throw new DriftError(`helm get manifest ${release} -n ${namespace}: ${manifest.stderr.trim()} (kubeconfig ${kubeconfig ?? "default"}${context ? `, context ${context}` : ""})`);
    const history = run(helmBin, ["history", release, "-n", namespace, "--max", "1", "-o", "json", ...ctx]);
    const revision = history.code === 0 ? (JSON.parse(history.stdout) as Array<{ revision: number }>)[0]?.revision : undefined;

    const report = detectDrift(manifest.stdout, namespace, {
        kubectl: (args, input) => run(kubectlBin, [...(context ? ["--context", context] : []), ...args], input),
    });
    console.log(`Drift of stack ${stack}: release ${release}${revision ? ` revision ${revision}` : ""} in namespace ${namespace}` +
        ` (kubeconfig ${kubeconfig ?? "default"}${context ? `, context ${context}` : ""})`);
    for (const line of formatDrift(report)) console.log(line);
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
