// The end-to-end harness: a private kwok cluster, a private file backend and the real Pulumi
// engine (the CLI from scripts/tools.sh), driven the way a user drives them. Every assertion
// reads the cluster or the state, never the engine's log.
import { execFile, ExecFileOptions } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

export interface RunResult {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
    /** Wall time in milliseconds. */
    readonly ms: number;
}

/** Runs a command to completion; never throws on a non-zero exit (callers assert on `code`). */
export function run(cmd: string, args: string[], opts: ExecFileOptions = {}): Promise<RunResult> {
    const t0 = Date.now();
    return new Promise((resolve) => {
        execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024, ...opts, encoding: "utf8" }, (err, stdout, stderr) => {
            const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
            resolve({ code, stdout: String(stdout), stderr: String(stderr), ms: Date.now() - t0 });
        });
    });
}

/** Fails with the command's output when it did not succeed. */
export function ok(r: RunResult, what: string): RunResult {
    if (r.code !== 0) throw new Error(`${what} exited ${r.code}\n--- stdout\n${r.stdout.slice(-6000)}\n--- stderr\n${r.stderr.slice(-6000)}`);
    return r;
}

/**
 * One local deployment target: cluster + backend + stack, all under a temporary state dir.
 * `start` needs the toolchain on PATH (scripts/test-e2e.sh sources scripts/tools.sh first).
 */
export class LocalTarget {
    readonly stateDir: string;
    readonly env: NodeJS.ProcessEnv;
    readonly stack = "dev";
    readonly namespace: string;
    /** The stack's config file as committed (Pulumi.dev.yaml), parsed. */
    readonly baseConfig: Record<string, unknown>;
    private salt = "";

    private constructor(stateDir: string, readonly cluster: string) {
        this.stateDir = stateDir;
        this.env = {
            ...process.env,
            TASKFLOW_STATE_DIR: stateDir,
            TASKFLOW_CLUSTER: cluster,
            // Pods take 2 s to become Ready (and Job pods to finish): long enough that the order of
            // the migration and the app's pods shows in second-resolution timestamps.
            TASKFLOW_READY_DELAY_MS: "2000",
            KUBECONFIG: path.join(stateDir, "kubeconfig"),
            PULUMI_BACKEND_URL: `file://${path.join(stateDir, "backend")}`,
            PULUMI_CONFIG_PASSPHRASE_FILE: path.join(stateDir, "passphrase"),
            // Engine output meant for a machine: no colours, no interactive progress.
            PULUMI_SKIP_CONFIRMATIONS: "true",
            NO_COLOR: "1",
        };
        delete this.env.PULUMI_CONFIG_PASSPHRASE;
        delete this.env.PULUMI_ACCESS_TOKEN;
        const file = yaml.load(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
        this.baseConfig = file.config;
        this.namespace = String((file.config["taskflow-api:namespace"] as { name: string }).name);
    }

    static async start(cluster = "taskflow-e2e"): Promise<LocalTarget> {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "taskflow-e2e-"));
        const t = new LocalTarget(dir, cluster);
        ok(await run("bash", [path.join(PROJECT_ROOT, "scripts/chart-deps.sh")], { env: t.env }), "chart-deps.sh");
        ok(await run("bash", [path.join(PROJECT_ROOT, "scripts/cluster.sh"), "up"], { env: t.env }), "cluster.sh up");
        const init = ok(await run("bash", [path.join(PROJECT_ROOT, "scripts/local-stack.sh"), "init", t.stack], { env: t.env }), "local-stack.sh init");
        t.salt = fs.readFileSync(init.stdout.trim(), "utf8").match(/^encryptionsalt: (.*)$/m)?.[1] ?? "";
        if (!t.salt) throw new Error("local-stack.sh init wrote no encryption salt");
        return t;
    }

    /** Stops and deletes the cluster and removes the state dir. Safe to call twice. */
    async stop(): Promise<void> {
        await run("bash", [path.join(PROJECT_ROOT, "scripts/cluster.sh"), "down"], { env: this.env });
        fs.rmSync(this.stateDir, { recursive: true, force: true });
    }

    /**
     * Writes a stack config file: the committed dev config with `edit` applied to a copy, plus
     * this backend's salt. Returns its path.
     */
    configFile(name: string, edit: (config: Record<string, any>) => void = () => undefined): string { // eslint-disable-line @typescript-eslint/no-explicit-any
        const config = structuredClone(this.baseConfig) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
        edit(config);
        const file = path.join(this.stateDir, `Pulumi.${name}.yaml`);
        fs.writeFileSync(file, yaml.dump({ encryptionsalt: this.salt, config }));
        return file;
    }

    /** `pulumi ARGS --stack dev --config-file FILE` in the project (or another copy of it). */
    pulumi(args: string[], configFile: string, cwd = PROJECT_ROOT): Promise<RunResult> {
        return run("pulumi", [...args, "--stack", this.stack, "--config-file", configFile, "--non-interactive"], { cwd, env: this.env });
    }

    /** The stack's checkpoint as `pulumi stack export` prints it (secrets stay encrypted). */
    async exportState(): Promise<{ text: string; resources: Array<{ type: string; urn: string; outputs?: Record<string, unknown> }> }> {
        const r = ok(await run("pulumi", ["stack", "export", "--stack", this.stack], { cwd: PROJECT_ROOT, env: this.env }), "pulumi stack export");
        const parsed = JSON.parse(r.stdout) as { deployment?: { resources?: [] } };
        return { text: r.stdout, resources: parsed.deployment?.resources ?? [] };
    }

    async kubectl(args: string[]): Promise<RunResult> {
        return run("kubectl", args, { env: this.env });
    }

    /** `kubectl get ... -o json`, parsed; undefined when the object does not exist. */
    async get<T = any>(args: string[]): Promise<T | undefined> { // eslint-disable-line @typescript-eslint/no-explicit-any
        const r = await this.kubectl(["get", ...args, "-o", "json"]);
        if (r.code !== 0) {
            if (/NotFound|not found/.test(r.stderr)) return undefined;
            throw new Error(`kubectl get ${args.join(" ")}: ${r.stderr}`);
        }
        return JSON.parse(r.stdout) as T;
    }

    /** Helm's view of the release (the same library the provider embeds, through helm 4). */
    async helm(args: string[]): Promise<RunResult> {
        return run(process.env.HELM4 ?? "helm", [...args, "--namespace", this.namespace], { env: this.env });
    }

    async releaseHistory(): Promise<Array<{ revision: number; status: string; description: string }>> {
        const r = await this.helm(["history", "taskflow-api", "-o", "json"]);
        if (r.code !== 0) return [];
        return JSON.parse(r.stdout) as Array<{ revision: number; status: string; description: string }>;
    }
}

/** Polls `probe` every `everyMs` until it returns a value other than undefined, or fails. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 500): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
        const v = await probe();
        if (v !== undefined) return v;
        if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, everyMs));
    }
}
