// A hard primary failure on the rehearsal stack (review M7, issue 28 item 6): the ElastiCache
// stand-in's primary stops answering without resetting a single connection (SIGSTOP: its kernel
// keeps every socket up and still accepts new ones), under load, and then fails over the way
// ElastiCache replaces a dead primary: a replica is promoted and the primary endpoint moves,
// with the old node never consulted. The stand-in's own `failover` asks every node for its role
// first, which hangs on a frozen node, so this suite promotes and moves the endpoint itself.
//
// Printed: failed requests (by kind), the time from the endpoint move to the first good write,
// the window of failed requests after the move, and when the pods left and re-entered rotation.
//
// Alone (`npm run test:e2e -- --spec <file>` runs .mocharc.e2e.yml's whole list as well: mocha
// adds a --spec to the config's spec list), under the host's cluster lock:
//   flock /work/e2e.lock bash -c 'source local/toolchain/tools.sh chart engine cluster node plugins &&
//     bash scripts/chart-deps.sh && npx mocha --no-config -r ts-node/register/transpile-only \
//     --extension ts --timeout 900000 e2e/redis-failure.test.ts'
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { describeLoad, LoadGenerator, LocalTarget, ok, run, RunResult, skipUnlessRealNode, waitFor } from "./harness";
import { isReady, REHEARSAL_STACK, RehearsalStack } from "./rehearsal-stack";

// The stand-in's nodes and TLS port (local/standin/elasticache.sh).
const NODES = ["10.245.0.11", "10.245.0.12", "10.245.0.13"];
const PORT = "6379";
const STANDIN_NS = "taskflow-standin";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** A stand-in node's process, identified as the stand-in records it (pid + start time). */
class NodeProcess {
    constructor(readonly pid: number, private readonly start: string) {}

    /** The stand-in's ledger record (local/cluster/ledger.sh pidrec_write: pid, start time, exe, boot id). */
    static read(standinDir: string, index: number): NodeProcess {
        const [pid, start] = fs.readFileSync(path.join(standinDir, "ledger", "pids", `node${index}.pid`), "utf8").trim().split(/\s+/);
        return new NodeProcess(Number(pid), start);
    }

    /** Signals only the process the stand-in started: a reused pid is refused. */
    signal(sig: NodeJS.Signals): void {
        const stat = fs.readFileSync(`/proc/${this.pid}/stat`, "utf8");
        // Field 22 (starttime), counted after the command name's closing parenthesis.
        const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
        if (start !== this.start) throw new Error(`pid ${this.pid} is no longer the stand-in's node (start ${start}, recorded ${this.start})`);
        process.kill(this.pid, sig);
    }
}

describe("a frozen ElastiCache primary under load, then a failover (stand-in, real node; review M7)", function () {
    let t: LocalTarget;
    let r: RehearsalStack;
    let svc: string;
    let frozen: NodeProcess | undefined;

    /** redis-cli over TLS with the stand-in's token (in the environment, never argv) at `addr`. */
    const cli = (addr: string, args: string[]): Promise<RunResult> => {
        const bin = path.join(process.env.TASKFLOW_TOOLS_DIR ?? path.join(os.homedir(), ".cache/taskflow-api/tools"), "images/debroot/usr/bin/redis-cli");
        const token = fs.readFileSync(path.join(r.standinDir, "token"), "utf8").trim();
        return run(bin, ["--tls", "--cacert", path.join(r.standinDir, "ca.crt"), "-h", addr, "-p", PORT, "--no-auth-warning", ...args],
            { env: { ...t.env, REDISCLI_AUTH: token, LD_LIBRARY_PATH: path.join(path.dirname(bin), "../lib/x86_64-linux-gnu") }, timeout: 10_000 });
    };

    before(async function () {
        this.timeout(20 * 60_000);
        await skipUnlessRealNode(this);
        t = await LocalTarget.start("taskflow-redisfail", REHEARSAL_STACK);
        r = new RehearsalStack(t);
        ok(await r.standin(["up"]), "elasticache.sh up");
        await r.up(await r.config());
        const s = await t.get<Json>(["service", "taskflow-api", "-n", t.namespace]);
        svc = `${s.spec.clusterIP}:${s.spec.ports[0].port}`;
    });

    after(async function () {
        this.timeout(5 * 60_000);
        // Never leave a stopped process behind: the stand-in's `down` would wait on it.
        if (frozen) try { frozen.signal("SIGCONT"); } catch { /* already gone */ }
        if (t) await t.stop();
    });

    /** One freeze-and-failover of the node `old` onto `next` under load; returns the numbers it printed. */
    async function freezeAndFailOver(round: number, old: string, next: string, podCount: number): Promise<{ windowMs: number; firstGoodMs: number; timedOut: number }> {
        const node = NodeProcess.read(r.standinDir, NODES.indexOf(old));
        // Pod readiness as the kubelet reports it, once a second (what the Service routes by).
        const readiness: { at: number; ready: number }[] = [];
        let watching = true;
        const watch = (async () => {
            while (watching) {
                const pods = await r.apiPods().catch(() => undefined);
                if (pods) readiness.push({ at: Date.now(), ready: pods.filter(isReady).length });
                await sleep(1000);
            }
        })();
        const writes = new LoadGenerator(`http://${svc}/v1/roundtrip`, 4, 20);
        await sleep(5000);

        const tz = Date.now();
        node.signal("SIGSTOP");
        frozen = node;
        // ElastiCache takes tens of seconds to declare a primary dead; the pods must not wait
        // for it (nor for the kernel's ~15 min) to leave rotation.
        const allOut = await waitFor("every app pod NotReady", async () => {
            const last = readiness[readiness.length - 1];
            return last && last.at > tz && last.ready === 0 ? last.at : undefined;
        }, 90_000, 500);
        await sleep(3000);

        // The failover: promote a replica, re-point the other, move the endpoint. The frozen
        // node is not asked anything.
        ok(await cli(next, ["REPLICAOF", "NO", "ONE"]), `REPLICAOF NO ONE on ${next}`);
        for (const n of NODES.filter((x) => x !== old && x !== next)) ok(await cli(n, ["REPLICAOF", next, PORT]), `REPLICAOF on ${n}`);
        ok(await t.kubectl(["-n", STANDIN_NS, "patch", "endpointslice", "primary-1", "--type=json",
            "-p", JSON.stringify([{ op: "replace", path: "/endpoints/0/addresses/0", value: next }])]), "move the primary endpoint");
        const tf = Date.now();

        const allBack = await waitFor("every app pod Ready again", async () => {
            const last = readiness[readiness.length - 1];
            return last && last.at > tf && last.ready >= podCount ? last.at : undefined;
        }, 120_000, 500);
        await sleep(10_000);
        const report = await writes.stop();
        watching = false;
        await watch;

        // The old primary comes back as a replica of the new one, as ElastiCache's replacement
        // node would: one primary again.
        node.signal("SIGCONT");
        frozen = undefined;
        ok(await cli(old, ["REPLICAOF", next, PORT]), `REPLICAOF on the old primary ${old}`);

        const during = writes.timeline.filter((e) => e.at >= tz && e.at < tf);
        const after = writes.timeline.filter((e) => e.at >= tf);
        const failedAfter = after.filter((e) => !e.ok);
        const firstGood = after.find((e) => e.ok);
        const lastBad = failedAfter[failedAfter.length - 1];
        const firstBad = writes.timeline.find((e) => e.at >= tz && !e.ok);
        const kind = (why = "") => /^HTTP/.test(why) ? why : /timeout/.test(why) ? "client timeout (5 s)" : /ECONNREFUSED|ECONNRESET|EHOSTUNREACH/.exec(why)?.[0] ?? why;
        const kinds = (es: typeof after) => {
            const n: Record<string, number> = {};
            for (const e of es.filter((x) => !x.ok)) n[kind(e.why)] = (n[kind(e.why)] ?? 0) + 1;
            return JSON.stringify(n);
        };
        // Anything but the app's 503 and the Service's refusal (no Ready pod) is worth a time.
        const odd = writes.timeline.filter((e) => e.at >= tz && !e.ok && !/HTTP 503|ECONNREFUSED/.test(e.why ?? ""));
        const windowMs = lastBad ? lastBad.at - tf : 0;
        console.log(`      round ${round}: primary ${old} frozen (SIGSTOP) under load; endpoint moved to ${next} ${tf - tz} ms later`);
        console.log(`        /v1/roundtrip: ${describeLoad(report)}`);
        console.log(`        while frozen: ${during.length} requests, ${during.filter((e) => !e.ok).length} failed ${kinds(during)}; first failure ${firstBad ? firstBad.at - tz : "none"} ms after the freeze; every pod NotReady ${allOut - tz} ms after it (app bound 10 s + probe 3 x 5 s)`);
        console.log(`        after the move: ${after.length} requests, ${failedAfter.length} failed ${kinds(after)}`);
        if (odd.length) console.log(`        other failures (ms after the move): ${odd.map((e) => `${e.why} @${e.at - tf}`).join(", ")}`);
        console.log(`        first good write ${firstGood ? firstGood.at - tf : "none"} ms after the endpoint moved; last failed request ${lastBad ? windowMs : "none"} ms after it (the failure window after the move); every pod Ready ${allBack - tf} ms after it`);

        assert.ok(firstGood, "a write succeeded after the endpoint moved");
        // After the move, nothing fails once every pod is back.
        assert.ok(!lastBad || lastBad.at <= allBack + 2000, `requests still failing ${lastBad && lastBad.at - allBack} ms after every pod was Ready`);
        const timedOut = writes.timeline.filter((e) => e.at >= tz && /timeout/.test(e.why ?? "")).length;
        return { windowMs, firstGoodMs: firstGood.at - tf, timedOut };
    }

    it("the pods leave rotation while the primary is frozen, requests fail fast, and writes come back soon after the endpoint moves (3 rounds)", async function () {
        this.timeout(15 * 60_000);
        const before = await waitFor("3 Ready app pods", () => r.allReady(), 180_000);
        let primary = fs.readFileSync(path.join(r.standinDir, "primary"), "utf8").trim();
        assert.ok(NODES.includes(primary), `the stand-in's primary ${primary} is one of its nodes`);
        const rounds = [];
        for (let i = 1; i <= 3; i++) {
            const next = NODES[(NODES.indexOf(primary) + 1) % NODES.length];
            rounds.push(await freezeAndFailOver(i, primary, next, before.length));
            primary = next;
            await waitFor("3 Ready app pods", () => r.allReady(), 180_000);
        }
        const windows = rounds.map((x) => x.windowMs);
        console.log(`      failure window after the endpoint moved, per round: ${windows.join(", ")} ms (goal <= 10,000 ms; printed, not asserted: see docs/operations.md)`);
        // Fail fast: every request got an answer (a 503 from the pod, or a refusal once no pod
        // was Ready), never the client's 5 s timeout. Before M7, the connection to a frozen
        // primary stayed "ready" for good and writes never came back.
        assert.deepStrictEqual(rounds.map((x) => x.timedOut), [0, 0, 0], "requests that hit the client's 5 s timeout, per round");
        const role = ok(await cli(primary, ["ROLE"]), "ROLE").stdout;
        assert.match(role, /^master/);
    });
});
