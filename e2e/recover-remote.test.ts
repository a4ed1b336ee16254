// `npm run recover` on a remote self-managed backend (review M5): an S3-compatible server
// (gofakes3, built from the Go module proxy by local/toolchain/recipes/gofakes3.sh) on loopback,
// `pulumi login s3://…` through PULUMI_BACKEND_URL, and a real `pulumi up` that holds the
// backend's lock. Recover must refuse while it runs (also with --force), refuse when it cannot
// read the backend, and look past the backend once the lock is gone. The same backend shows the
// first export of a brand-new stack (review M1) with the real engine: a marker, not a failure.
// No cluster: recover decides on the backend before it reads one (KUBECONFIG points nowhere).
import { strict as assert } from "assert";
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

import { backendReport } from "../ops/backend-locks";
import { ok, PROJECT_ROOT, run, tsScript } from "./harness";
import { isLoopback, listeningSockets } from "./host";

const TOOLS_BIN = process.env.TOOLS_BIN ?? path.join(process.env.TASKFLOW_TOOLS_DIR ?? path.join(os.homedir(), ".cache/taskflow-api/tools"), "bin");

/** A free loopback port (closed again; the server binds it a moment later). */
function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer().listen(0, "127.0.0.1", () => {
            const { port } = s.address() as net.AddressInfo;
            s.close(() => resolve(port));
        }).on("error", reject);
    });
}

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
        const v = await probe().catch(() => undefined);
        if (v !== undefined) return v;
        if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 250));
    }
}

describe("recover on a remote self-managed backend (S3, gofakes3 on loopback)", function () {
    this.timeout(600_000);
    let dir: string, s3: ChildProcess | undefined, holder: ChildProcess | undefined, env: NodeJS.ProcessEnv;
    const notes: string[] = [];

    before(async () => {
        // The pinned server, through its recipe (cached after the first build).
        execFileSync("bash", ["-c", 'source local/toolchain/common.sh && source local/toolchain/recipes/gofakes3.sh && mkdir -p "$TOOLS_BIN" && ensure_gofakes3'],
            { cwd: PROJECT_ROOT, stdio: ["ignore", "ignore", "inherit"] });
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "taskflow-recover-s3-"));
        const port = await freePort();
        s3 = spawn(path.join(TOOLS_BIN, "gofakes3"), ["-backend", "mem", "-initialbucket", "state", "-host", `127.0.0.1:${port}`], { stdio: "ignore" });
        await until("gofakes3 to answer", 30_000, async () => ((await fetch(`http://127.0.0.1:${port}/`)).status > 0 ? true : undefined));
        const sockets = listeningSockets(new Set([s3.pid as number]));
        assert.ok(sockets.length > 0, "gofakes3 listens");
        assert.deepEqual(sockets.filter((s) => !isLoopback(s.address)), [], "gofakes3 listens on loopback only");
        // Test-only credentials: gofakes3 checks none, pulumi's AWS SDK and recover's signer need some.
        env = {
            ...process.env,
            PULUMI_BACKEND_URL: `s3://state?endpoint=127.0.0.1:${port}&s3ForcePathStyle=true&disableSSL=true&region=us-east-1`,
            AWS_ACCESS_KEY_ID: "taskflow-e2e", AWS_SECRET_ACCESS_KEY: "taskflow-e2e-not-a-secret", AWS_REGION: "us-east-1",
            PULUMI_CONFIG_PASSPHRASE: "taskflow-e2e-recover", KUBECONFIG: path.join(dir, "no-kubeconfig"),
        };
        delete env.AWS_PROFILE;
        // A program of this project's name that registers nothing and holds its update open until
        // the test writes `release`: the engine's lock stays for exactly that long.
        const project = path.join(dir, "project");
        fs.mkdirSync(project);
        fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(project, "node_modules"));
        fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: taskflow-api\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: index.js\n");
        fs.writeFileSync(path.join(project, "index.js"), `require("@pulumi/pulumi");
const fs = require("fs");
module.exports = new Promise((resolve) => { const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(path.join(dir, "release"))})) { clearInterval(t); resolve({}); } }, 200); });
`);
        ok(await run("pulumi", ["stack", "init", "dev", "--non-interactive"], { cwd: project, env }), "pulumi stack init dev (s3 backend)");
    });

    after(async () => {
        for (const p of [holder, s3]) {
            if (p && p.exitCode === null && p.signalCode === null) {
                p.kill("SIGTERM");
                await new Promise((r) => p.once("exit", r));
            }
        }
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
        if (notes.length) console.log(notes.map((n) => `      ${n}`).join("\n"));
    });

    it("refuses while a pulumi up holds the backend's lock, also with --force; looks past the backend once it is released", async () => {
        const project = path.join(dir, "project");
        holder = spawn("pulumi", ["up", "--yes", "--skip-preview", "--stack", "dev", "--non-interactive"], { cwd: project, env, stdio: "ignore" });
        const exited = new Promise<number | null>((r) => holder?.once("exit", (code) => r(code)));
        const lock = await until("the up's lock in the bucket", 120_000, async () => {
            const r = await backendReport(env.PULUMI_BACKEND_URL, "taskflow-api", "dev", env, () => assert.fail("no stack ls for s3"));
            return "locks" in r && r.locks.length ? r.locks[0] : undefined;
        });
        assert.match(lock.file, /^s3:\/\/state\/\.pulumi\/locks\/organization\/taskflow-api\/dev\/.+\.json$/);
        assert.equal(lock.alive, true, `the lock's pid ${lock.pid} runs pulumi on this host`);

        for (const extra of [[], ["--force"]]) {
            const r = await tsScript("recover", ["--stack", "dev", "--yes", ...extra], env);
            assert.equal(r.code, 3, `recover ${extra.join(" ")} while the up runs:\n${r.stdout}${r.stderr}`);
            assert.match(r.stdout, new RegExp(`refused: an update of this stack is running: pulumi \\(pid ${lock.pid}\\) on this host holds the stack's lock s3://state/`));
            notes.push(`recover${extra.length ? " --force" : ""} during the up: ${r.stdout.trim().split("\n").pop()} (${r.ms} ms)`);
        }
        // Refused means untouched: the up still runs and ends well, and takes its lock with it.
        fs.writeFileSync(path.join(dir, "release"), "");
        assert.equal(await exited, 0, "the held pulumi up");
        const after = await backendReport(env.PULUMI_BACKEND_URL, "taskflow-api", "dev", env, () => assert.fail("no stack ls for s3"));
        assert.deepEqual(after, { locks: [] });
        // No lock: the backend no longer refuses, so recover goes on to read the release (no cluster here).
        const r = await tsScript("recover", ["--stack", "dev", "--yes"], env);
        assert.equal(r.code, 2, `${r.stdout}${r.stderr}`);
        assert.match(r.stderr, /recover: reading release taskflow-api in /);
        assert.doesNotMatch(r.stdout, /refused/);
    });

    it("refuses when it cannot read the backend's locks (no credentials in the environment), changing nothing", async () => {
        const bare = { ...env };
        delete bare.AWS_ACCESS_KEY_ID;
        delete bare.AWS_SECRET_ACCESS_KEY;
        const r = await tsScript("recover", ["--stack", "dev", "--yes", "--force"], bare);
        assert.equal(r.code, 3, `${r.stdout}${r.stderr}`);
        assert.match(r.stdout, /refused: cannot tell whether an update of this stack is running: reading the S3 backend's locks needs AWS_ACCESS_KEY_ID/);
    });

    it("the state export before the first up of a brand-new stack keeps a marker; after an up it keeps the state (review M1)", async () => {
        ok(await run("pulumi", ["stack", "init", "qa", "--non-interactive"], { cwd: path.join(dir, "project"), env }), "pulumi stack init qa");
        const first = path.join(dir, "out", "qa.json");
        const r = ok(await run("bash", [path.join(PROJECT_ROOT, "ops/state.sh"), "export", "--stack", "qa", "--file", first], { cwd: PROJECT_ROOT, env }), "state export of a new stack");
        assert.match(r.stdout, /stack qa has no resources: nothing to keep/);
        assert.equal(JSON.parse(fs.readFileSync(first, "utf8")).nothingToKeep, true);
        // dev has been up once (the root Stack resource): its export is kept as it is.
        const dev = path.join(dir, "out", "dev.json");
        const d = ok(await run("bash", [path.join(PROJECT_ROOT, "ops/state.sh"), "export", "--stack", "dev", "--file", dev], { cwd: PROJECT_ROOT, env }), "state export of dev");
        assert.match(d.stdout, /exported stack dev to .* \(1 resources, 0 pending operations, secrets encrypted\)/);
        notes.push(`state export, new stack: ${r.stdout.trim()}`);
    });
});
