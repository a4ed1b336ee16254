// The end-to-end harness: a private local cluster (control plane + one real node running real
// containers), a private file backend and the real Pulumi engine (the CLI from local/toolchain/tools.sh),
// driven the way a user drives them. Every assertion reads the cluster, the running containers
// or the state, never the engine's log.
import * as assert from "assert";
import { execFile, ExecFileOptions } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";

export const PROJECT_ROOT = path.resolve(__dirname, "..");

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
 * `start` needs the toolchain on PATH (scripts/test-e2e.sh sources local/toolchain/tools.sh first).
 */
export class LocalTarget {
    readonly stateDir: string;
    readonly env: NodeJS.ProcessEnv;
    readonly namespace: string;
    /** The stack's config file as committed (Pulumi.<stack>.yaml), parsed. */
    readonly baseConfig: Record<string, unknown>;
    private salt = "";

    private constructor(stateDir: string, readonly cluster: string, readonly stack: string) {
        this.stateDir = stateDir;
        this.env = {
            ...process.env,
            TASKFLOW_STATE_DIR: stateDir,
            TASKFLOW_CLUSTER: cluster,
            KUBECONFIG: path.join(stateDir, "kubeconfig"),
            PULUMI_BACKEND_URL: `file://${path.join(stateDir, "backend")}`,
            PULUMI_CONFIG_PASSPHRASE_FILE: path.join(stateDir, "passphrase"),
            // Engine output meant for a machine: no colours, no interactive progress.
            PULUMI_SKIP_CONFIRMATIONS: "true",
            NO_COLOR: "1",
        };
        delete this.env.PULUMI_CONFIG_PASSPHRASE;
        delete this.env.PULUMI_ACCESS_TOKEN;
        const file = yaml.load(fs.readFileSync(path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
        this.baseConfig = file.config;
        this.namespace = String((file.config["taskflow-api:namespace"] as { name: string }).name);
    }

    /** Kernel settings read before the cluster started (the node must put them back). */
    kernelBefore: Record<string, string> = {};

    /** A target with a fresh state dir and nothing started yet. */
    static create(cluster = "taskflow-e2e", stack = "dev"): LocalTarget {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "taskflow-e2e-"));
        return new LocalTarget(dir, cluster, stack);
    }

    /** The cluster only (`cluster.sh up`), no stack: chart-deps first (the node imports the chart's images). */
    async up(): Promise<RunResult> {
        this.kernelBefore = readKernelSettings();
        ok(await run("bash", [path.join(PROJECT_ROOT, "scripts/chart-deps.sh")], { env: this.env }), "chart-deps.sh");
        return ok(await this.clusterSh(["up"]), "cluster.sh up");
    }

    /** `env` on top of the target's own for every command (e.g. TASKFLOW_NODES=3 for `cluster.sh up`). */
    static async start(cluster = "taskflow-e2e", stack = "dev", env: NodeJS.ProcessEnv = {}): Promise<LocalTarget> {
        const t = LocalTarget.create(cluster, stack);
        Object.assign(t.env, env);
        await t.up();
        const init = ok(await run("bash", [path.join(PROJECT_ROOT, "local/stack.sh"), "init", t.stack], { env: t.env }), "local-stack.sh init");
        t.salt = fs.readFileSync(init.stdout.trim(), "utf8").match(/^encryptionsalt: (.*)$/m)?.[1] ?? "";
        if (!t.salt) throw new Error("local-stack.sh init wrote no encryption salt");
        return t;
    }

    /** Stops and deletes the cluster and removes the state dir. Safe to call twice. */
    async stop(): Promise<void> {
        await run("bash", [path.join(PROJECT_ROOT, "local/cluster/cluster.sh"), "down"], { env: this.env });
        fs.rmSync(this.stateDir, { recursive: true, force: true });
    }

    /**
     * Writes a stack config file: the committed stack config with `edit` applied to a copy, plus
     * this backend's salt. Returns its path.
     */
    configFile(name: string, edit: (config: Record<string, any>) => void = () => undefined): string { // eslint-disable-line @typescript-eslint/no-explicit-any
        const config = structuredClone(this.baseConfig) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
        edit(config);
        const file = path.join(this.stateDir, `Pulumi.${name}.yaml`);
        fs.writeFileSync(file, yaml.dump({ encryptionsalt: this.salt, config }));
        return file;
    }

    /** `pulumi ARGS --stack <stack> --config-file FILE` in the project (or another copy of it). */
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

    /** `kubectl exec` in a pod's container; `stdin` is piped in (secrets go there, not in argv). */
    exec(namespace: string, pod: string, cmd: string[], stdin?: string, container?: string): Promise<RunResult> {
        const args = ["exec", "-i", "-n", namespace, pod, ...(container ? ["-c", container] : []), "--", ...cmd];
        return new Promise((resolve) => {
            const t0 = Date.now();
            const child = execFile("kubectl", args, { env: this.env, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
                const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
                resolve({ code, stdout: String(stdout), stderr: String(stderr), ms: Date.now() - t0 });
            });
            child.stdin?.end(stdin ?? "");
        });
    }

    /** `cluster.sh ARGS` with this target's state dir (and `env` on top of its environment). */
    clusterSh(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
        return run("bash", [path.join(PROJECT_ROOT, "local/cluster/cluster.sh"), ...args], { env: { ...this.env, ...env } });
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
        // No release is a state ([]); any other failure is an error, never an empty history that
        // equals another empty history (test audit 2026-12-07, finding 6).
        if (r.code !== 0 && /release: not found/.test(r.stderr)) return [];
        ok(r, "helm history taskflow-api");
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

/** Kernel settings the kubelet, kube-proxy and the CNI plugins change (local/cluster/node.sh). */
export const NODE_KERNEL_SETTINGS = [
    "kernel.panic", "kernel.panic_on_oops", "vm.overcommit_memory", "vm.panic_on_oom",
    "kernel.keys.root_maxkeys", "kernel.keys.root_maxbytes", "net.ipv4.ip_forward",
    "net.ipv4.conf.all.route_localnet", "net.bridge.bridge-nf-call-iptables",
];

export function readKernelSettings(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const key of NODE_KERNEL_SETTINGS) {
        const file = path.join("/proc/sys", ...key.split("."));
        if (fs.existsSync(file)) out[key] = fs.readFileSync(file, "utf8").trim();
    }
    return out;
}

/**
 * Why this host cannot run the real node (`cluster.sh check`), or undefined when it can. Under
 * CI=true the suite must run, so a reason there is a failure, not a skip.
 */
export async function realNodeUnavailable(): Promise<string | undefined> {
    const r = await run("bash", [path.join(PROJECT_ROOT, "local/cluster/cluster.sh"), "check"]);
    return r.code === 0 ? undefined : (r.stdout.trim() || r.stderr.trim() || `cluster.sh check exited ${r.code}`);
}

/** Whether this is a CI run: CI set to anything but "false"/"0" (GitHub sets "true", others "1"). */
export function underCI(): boolean {
    const ci = process.env.CI;
    return ci !== undefined && ci !== "" && ci !== "false" && ci !== "0";
}

/**
 * For a suite's `before` hook: skips the suite, printing why, when this host cannot run the real
 * node; under CI=true that is an error instead (CI must run the real-node scenarios).
 */
export async function skipUnlessRealNode(ctx: Mocha.Context): Promise<void> {
    const why = await realNodeUnavailable();
    if (!why) return;
    if (underCI()) throw new Error(`CI=${process.env.CI} and this host cannot run the real node: ${why}`);
    console.log(`    skipped: this host cannot run the real node: ${why}`);
    ctx.skip();
}

/** Result of a load run: request count, failures (with a sample of reasons) and latencies. */
export interface LoadReport {
    readonly requests: number;
    readonly failed: number;
    readonly failures: string[];
    readonly p50: number;
    readonly p99: number;
    readonly max: number;
}

/**
 * A load generator on the host: `concurrency` loops, each a fresh TCP connection per request
 * (so every request goes through kube-proxy's Service rules and sees endpoint changes), until
 * `stop()`. A request fails on a connection error, a timeout or a non-2xx answer.
 */
export class LoadGenerator {
    private running = true;
    private latencies: number[] = [];
    private failures: string[] = [];
    /** Every request's end (Date.now()) and outcome, for "when did it recover" questions. */
    readonly timeline: { at: number; ok: boolean; why?: string }[] = [];
    private loops: Promise<void>[] = [];

    constructor(private readonly url: string, concurrency = 4, private readonly pauseMs = 20) {
        for (let i = 0; i < concurrency; i++) this.loops.push(this.loop());
    }

    private one(): Promise<void> {
        const t0 = process.hrtime.bigint();
        return new Promise((resolve) => {
            // Settles exactly once, whichever event comes first. A response cut mid-body emits
            // neither 'end' nor a request error, only the response's 'close' with `complete`
            // false: without that handler the request was never counted and its loop stalled
            // (test audit 2026-12-07, finding 2).
            let settled = false;
            const settle = (good: boolean, why?: string) => {
                if (settled) return;
                settled = true;
                const ms = Number(process.hrtime.bigint() - t0) / 1e6;
                if (good) this.latencies.push(ms);
                else this.failures.push(`${why} after ${ms.toFixed(0)} ms`);
                this.timeline.push({ at: Date.now(), ok: good, why });
                resolve();
            };
            const req = http.get(this.url, { agent: false, timeout: 5000 }, (res) => {
                res.resume();
                const status = res.statusCode ?? 0;
                res.on("end", () => (status >= 200 && status < 300 ? settle(true) : settle(false, `HTTP ${status}`)));
                res.on("error", (e) => settle(false, `response error: ${e.message}`));
                res.on("close", () => { if (!res.complete) settle(false, `HTTP ${status} response cut mid-body`); });
            });
            req.on("timeout", () => req.destroy(new Error("timeout after 5000 ms")));
            req.on("error", (e) => settle(false, e.message));
        });
    }

    private async loop(): Promise<void> {
        while (this.running) {
            await this.one();
            await new Promise((r) => setTimeout(r, this.pauseMs));
        }
    }

    async stop(): Promise<LoadReport> {
        this.running = false;
        await Promise.all(this.loops);
        const sorted = [...this.latencies].sort((a, b) => a - b);
        const pct = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
        return {
            requests: sorted.length + this.failures.length,
            failed: this.failures.length,
            failures: this.failures.slice(0, 10),
            p50: pct(50), p99: pct(99), max: sorted[sorted.length - 1] ?? NaN,
        };
    }
}

/**
 * The one "0 failed requests" check: the load ran long enough to mean something (at least
 * `minRequests`: a load that barely ran fails nothing), then nothing failed (test audit
 * 2026-12-07, finding 3: several checks had no minimum).
 */
export function assertNoFailures(r: LoadReport, minRequests: number, during: string): void {
    assert.ok(r.requests >= minRequests, `too few requests to judge ${during}: ${r.requests} (at least ${minRequests})`);
    assert.strictEqual(r.failed, 0, `${r.failed} of ${r.requests} requests failed ${during}: ${r.failures.join("; ")}`);
}

export function describeLoad(r: LoadReport): string {
    return `${r.requests} requests, ${r.failed} failed, latency p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms`;
}

/**
 * One of the project's TypeScript commands (`npm run diff`, `npm run drift`: ops/<name>.ts)
 * in `cwd` with `env`, the way npm runs it, without npm's own output around it.
 */
export function tsScript(name: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd = PROJECT_ROOT): Promise<RunResult> {
    return run(process.execPath, [require.resolve("ts-node/dist/bin"), "--transpile-only", path.join(cwd, "ops", `${name}.ts`), ...args], { cwd, env });
}
