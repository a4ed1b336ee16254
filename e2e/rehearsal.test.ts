// The prod rehearsal on the real node: the `rehearsal` stack (prod's release settings, redis.mode
// external) deployed by the real engine against the ElastiCache stand-in
// (local/standin/elasticache.sh: TLS only, AUTH token, primary + 2 replicas, a primary endpoint
// name that moves on failover). Every assertion reads the cluster, the stand-in or the traffic;
// the numbers (failover, rollout, HPA) are printed, and bounded only where the bound is the
// behaviour under test.
//
//   flock /tmp/taskflow-cluster.lock npx mocha --config .mocharc.e2e.yml e2e/rehearsal.test.ts
//   (after sourcing the toolchain as scripts/test-e2e.sh does)
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

import { describeLoad, LoadGenerator, LocalTarget, ok, PROJECT_ROOT, run, RunResult, skipUnlessRealNode, tsScript, waitFor } from "./harness";
import { REHEARSAL_STACK, RehearsalStack } from "./rehearsal-stack";

const STACK = REHEARSAL_STACK;
const NODES = ["10.245.0.11", "10.245.0.12", "10.245.0.13"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe("prod rehearsal: prod's release against the ElastiCache stand-in (real node)", function () {
    let t: LocalTarget;
    let ns: string;
    let svc: string;
    let installStarted = 0;
    let installMs = 0;

    let r: RehearsalStack;
    const standin = (args: string[]): Promise<RunResult> => r.standin(args);
    const standinDir = () => r.standinDir;
    const tokenNow = () => fs.readFileSync(path.join(standinDir(), "token"), "utf8").trim();

    // What earlier scenarios changed and later ones keep (a config is always written whole).
    const current: { env: Record<string, string>; authTokenVersion: number } = { env: {}, authTokenVersion: 1 };

    /** The committed stack config with `current` and `edit`, plus the stand-in's token and CA as secret values. */
    const stackConfig = (edit: (c: Json) => void = () => undefined): Promise<string> => r.config((c) => {
        Object.assign(c["taskflow-api:app"].env, current.env);
        c["taskflow-api:redis"].authTokenVersion = current.authTokenVersion;
        edit(c);
    });
    const up = (file: string) => r.up(file);
    const apiPods = () => r.apiPods();
    const allReady = (min = 3) => r.allReady(min);
    const restarts = (pods: Json[]) => pods.reduce((n, p) => n + (p.status?.containerStatuses ?? []).reduce((m: number, c: Json) => m + c.restartCount, 0), 0);

    before(async function () {
        this.timeout(20 * 60_000);
        await skipUnlessRealNode(this);
        t = await LocalTarget.start("taskflow-rehearsal", STACK);
        r = new RehearsalStack(t);
        ns = t.namespace;
        ok(await standin(["up"]), "elasticache.sh up");
        const file = await stackConfig();
        installStarted = Date.now();
        await up(file);
        installMs = Date.now() - installStarted;
        const s = await t.get<Json>(["service", "taskflow-api", "-n", ns]);
        svc = `${s.spec.clusterIP}:${s.spec.ports[0].port}`;
        console.log(`      install from empty: pulumi up ${(installMs / 1000).toFixed(1)} s`);
    });

    after(async function () {
        this.timeout(5 * 60_000);
        if (t) await t.stop();
    });

    it("install from empty: the migration finished before the first app pod, over TLS with the token; plaintext and token-less clients are refused; every pod Ready; HPA at its minimum", async function () {
        this.timeout(5 * 60_000);
        const pods = await waitFor("3 Ready app pods", () => allReady(), 120_000);
        assert.strictEqual(pods.length, 3);
        // The marker the hook wrote: in the stand-in, read back over TLS with the token.
        const marker = ok(await standin(["cli", "HGETALL", "taskflow:schema"]), "HGETALL").stdout.trim().split("\n");
        const fields = Object.fromEntries(marker.flatMap((v, i) => (i % 2 === 0 ? [[v, marker[i + 1]]] : [])));
        assert.strictEqual(fields.version, "1");
        assert.match(fields.appliedBy, /-migrate-1-/, `written by the revision-1 hook's pod: ${JSON.stringify(fields)}`);
        // The Job itself is deleted on success (hook-delete-policy); its events and the marker's
        // time remain. Timestamps are whole seconds in the API.
        const firstPod = Math.min(...pods.map((p) => Date.parse(p.metadata.creationTimestamp)));
        const applied = Math.floor(Date.parse(fields.appliedAt) / 1000) * 1000;
        const events = (await t.get<Json>(["events", "-n", ns]))?.items ?? [];
        const completed = events.find((e: Json) => e.involvedObject?.kind === "Job" && e.reason === "Completed");
        assert.ok(completed, "the migration Job's Completed event");
        const jobDone = Date.parse(completed.lastTimestamp ?? completed.eventTime);
        console.log(`      migration applied ${fields.appliedAt}, Job Completed ${new Date(jobDone).toISOString()}, first app pod created ${new Date(firstPod).toISOString()}`);
        assert.ok(applied <= firstPod, "the marker was written before the first app pod was created");
        assert.ok(jobDone <= firstPod, "the Job completed before the first app pod was created");

        // A plaintext client: the stand-in has no plaintext port (port 0) and its TLS port does
        // not speak RESP in the clear.
        const plain = await rawExchange(NODES[0], 6379, "PING\r\n");
        assert.ok(!plain.includes("+PONG"), `plaintext PING answered: ${JSON.stringify(plain)}`);
        // A TLS client without the token.
        const cli = path.join(process.env.TASKFLOW_TOOLS_DIR ?? path.join(os.homedir(), ".cache/taskflow-api/tools"), "images/debroot/usr/bin/redis-cli");
        const cliEnv: NodeJS.ProcessEnv = { ...t.env, LD_LIBRARY_PATH: path.join(path.dirname(cli), "../lib/x86_64-linux-gnu") };
        delete cliEnv.REDISCLI_AUTH; // set but empty, redis-cli would send AUTH ""
        const noAuth = await run(cli, ["--tls", "--cacert", path.join(standinDir(), "ca.crt"), "-h", NODES[0], "-p", "6379", "SET", "x", "y"], { env: cliEnv });
        assert.match(noAuth.stdout + noAuth.stderr, /NOAUTH/, "a client without the token is refused");
        const wrong = await run(cli, ["--tls", "--cacert", path.join(standinDir(), "ca.crt"), "-h", NODES[0], "-p", "6379", "--no-auth-warning", "PING"],
            { env: { ...cliEnv, REDISCLI_AUTH: "not-the-token-000000" } });
        assert.match(wrong.stdout + wrong.stderr, /WRONGPASS|invalid username-password/, "a client with another token is refused");

        // The chart leaves `replicas` to the HPA, so an install starts the Deployment at 1 pod and
        // the HPA's first sync raises it to the minimum; its status catches up one sync later.
        const hpa = await waitFor("the HPA to settle", async () => {
            const h = await t.get<Json>(["hpa", "taskflow-api", "-n", ns]);
            return h?.status?.currentReplicas !== undefined && h.status.currentReplicas === h.status.desiredReplicas ? h : undefined;
        }, 90_000, 2000);
        assert.strictEqual(hpa.spec.minReplicas, 3);
        assert.strictEqual(hpa.status.currentReplicas, 3);
        assert.strictEqual(hpa.status.desiredReplicas, 3);
    });

    it("failover under load: writes come back on the promoted replica, readiness never fails, no pod restarts", async function () {
        this.timeout(5 * 60_000);
        const before = await waitFor("Ready pods", () => allReady(), 120_000);
        const restartsBefore = restarts(before);
        const writes = new LoadGenerator(`http://${svc}/v1/roundtrip`, 4, 20);
        const readiness = new LoadGenerator(`http://${svc}/health/ready`, 2, 20);
        await sleep(5000);
        const t0 = Date.now();
        const fo = ok(await standin(["failover"]), "elasticache.sh failover");
        const tf = Date.now();
        await sleep(20_000);
        const w = await writes.stop();
        const r = await readiness.stop();
        const after = writes.timeline.filter((e) => e.at >= t0);
        const failedAfter = after.filter((e) => !e.ok);
        const firstGood = after.find((e) => e.ok && e.at >= tf);
        const lastBad = failedAfter[failedAfter.length - 1];
        console.log(`      failover ${fo.stdout.trim()} took ${tf - t0} ms (promote, demote, move the endpoint)`);
        console.log(`      /v1/roundtrip: ${describeLoad(w)}; failed after the failover: ${failedAfter.length}`);
        console.log(`      /health/ready: ${describeLoad(r)}`);
        console.log(`      first good write ${firstGood ? firstGood.at - tf : "none"} ms after the failover; last failed write ${lastBad ? lastBad.at - tf : "none"} ms after it`);
        assert.strictEqual(r.failed, 0, `readiness failed: ${r.failures.join("; ")}`);
        assert.ok(firstGood, "a write succeeded after the failover");
        // The bound under test: READONLY drops the connection (reconnectOnError), so every pod is
        // on the promoted primary within a few backoff steps, not after the DNS/conntrack entry
        // expires. 10 s leaves room for a loaded 2-core host.
        assert.ok(!lastBad || lastBad.at - tf < 10_000, `writes still failing ${lastBad && lastBad.at - tf} ms after the failover`);
        const now = await waitFor("Ready pods", () => allReady(), 60_000);
        assert.strictEqual(restarts(now), restartsBefore, "no app container restarted");
        const role = ok(await standin(["status"]), "status").stdout;
        assert.match(role, new RegExp(`${fo.stdout.trim().replace(/\./g, "\\.")} master`));
    });

    it("a config-change rollout under load at prod's surge (50 %) fails no request", async function () {
        this.timeout(10 * 60_000);
        await waitFor("Ready pods", () => allReady(), 120_000);
        const dep = await t.get<Json>(["deployment", "taskflow-api", "-n", ns]);
        const n: number = dep.spec.replicas;
        const oldPods = new Set((await apiPods()).map((p) => p.metadata.name));
        current.env.ROLLOUT_MARK = "2";
        const file = await stackConfig();
        const load = new LoadGenerator(`http://${svc}/v1/roundtrip`, 4, 20);
        const t0 = Date.now();
        await up(file);
        const upMs = Date.now() - t0;
        await waitFor("the rollout to finish", () => allReady(n), 300_000);
        await sleep(2000);
        const report = await load.stop();
        const fresh = (await apiPods()).filter((p) => !oldPods.has(p.metadata.name));
        const readyAt = (p: Json) => Date.parse(p.status.conditions.find((c: Json) => c.type === "Ready").lastTransitionTime);
        const created = (p: Json) => Date.parse(p.metadata.creationTimestamp);
        const perPod = fresh.map((p) => readyAt(p) - created(p)).sort((a, b) => a - b);
        const readiness = perPod[Math.floor(perPod.length / 2)] || 1000;
        const surge = Math.ceil(n * 0.5);
        const waves = Math.ceil(n / surge);
        const rollout = Math.max(...fresh.map(readyAt)) - Math.min(...fresh.map(created));
        console.log(`      rollout of ${n} pods, surge ${surge}: ${waves} waves; readiness per pod (median) ${readiness} ms; rollout ${rollout} ms = ${(rollout / (waves * readiness)).toFixed(2)} x ceil(N/maxSurge) x readiness; pulumi up ${(upMs / 1000).toFixed(1)} s (with the pre-upgrade migration)`);
        console.log(`      /v1/roundtrip during the rollout: ${describeLoad(report)}`);
        // The HPA may add pods under the load meanwhile; what matters is that no old pod is left.
        assert.ok(fresh.length >= n, `every pod was replaced (${fresh.length} new of ${n})`);
        assert.deepStrictEqual((await apiPods()).filter((p) => oldPods.has(p.metadata.name)).map((p) => p.metadata.name), []);
        assert.strictEqual(report.failed, 0, `failed requests: ${report.failures.join("; ")}`);
    });

    it("the eviction API refuses an eviction that would break the PDB and allows one that does not", async function () {
        this.timeout(5 * 60_000);
        await waitFor("Ready pods and a budget that allows one", async () => {
            const pods = await allReady();
            const pdb = await t.get<Json>(["pdb", "taskflow-api", "-n", ns]);
            return pods && pdb?.status?.disruptionsAllowed === 1 ? true : undefined;
        }, 120_000);
        const pods = await apiPods();
        const first = await eviction(t, ns, pods[0].metadata.name);
        const second = await eviction(t, ns, pods[1].metadata.name);
        console.log(`      eviction 1: ${first.code === 0 ? "allowed" : first.stderr.trim()}; eviction 2 right after: ${second.code === 0 ? "allowed" : second.stderr.trim()}`);
        assert.strictEqual(first.code, 0, `the first eviction (1 of 3, maxUnavailable 1) is allowed: ${first.stderr}`);
        assert.notStrictEqual(second.code, 0, "a second eviction while the first pod's replacement is not Ready breaks the budget");
        assert.match(second.stderr, /disruption budget|TooManyRequests|429/i);
        await waitFor("the budget to allow one again", async () => {
            const pdb = await t.get<Json>(["pdb", "taskflow-api", "-n", ns]);
            return (await allReady()) && pdb?.status?.disruptionsAllowed === 1 ? true : undefined;
        }, 180_000);
        const third = await eviction(t, ns, (await apiPods())[1].metadata.name);
        assert.strictEqual(third.code, 0, `allowed again once the replacement is Ready: ${third.stderr}`);
    });

    it("two-step token rotation: ROTATE, roll every pod onto the new token under load, then SET retires the old one", async function () {
        this.timeout(10 * 60_000);
        await waitFor("Ready pods", () => allReady(), 180_000);
        const oldToken = tokenNow();
        ok(await standin(["rotate"]), "elasticache.sh rotate");
        const newToken = tokenNow();
        assert.notStrictEqual(newToken, oldToken);
        const load = new LoadGenerator(`http://${svc}/v1/roundtrip`, 4, 20);
        current.authTokenVersion = 2;
        const file = await stackConfig();
        await up(file);
        const pods = await waitFor("every pod on the new Secret revision", async () => {
            const ready = await allReady();
            return ready?.every((p) => p.metadata.annotations["checksum/existing-secret"] === ready[0].metadata.annotations["checksum/existing-secret"]) ? ready : undefined;
        }, 300_000);
        const report = await load.stop();
        console.log(`      rollout onto the new token: ${describeLoad(report)}`);
        assert.strictEqual(report.failed, 0, `failed requests: ${report.failures.join("; ")}`);
        ok(await standin(["retire"]), "elasticache.sh retire");
        // Every pod holds the new token (compared by hash, inside the pod) ...
        const want = crypto.createHash("sha256").update(newToken).digest("hex");
        for (const p of pods) {
            const r = ok(await t.exec(ns, p.metadata.name, ["sh", "-c", 'printf %s "$REDIS_PASSWORD" | sha256sum']), `exec ${p.metadata.name}`);
            assert.strictEqual(r.stdout.split(" ")[0], want, `${p.metadata.name} has the new token`);
        }
        // ... and, with every connection closed, authenticates with it: the old one is gone.
        ok(await standin(["cli", "CLIENT", "KILL", "TYPE", "normal"]), "CLIENT KILL");
        for (const p of pods) {
            await waitFor(`${p.metadata.name} to write again`, async () => {
                const r = await t.exec(ns, p.metadata.name, ["node", "-e",
                    "fetch('http://127.0.0.1:8080/v1/roundtrip').then(r=>{process.exit(r.status===200?0:1)},()=>process.exit(1))"]);
                return r.code === 0 ? true : undefined;
            }, 30_000);
        }
    });

    it("the NetworkPolicy lets the app reach the stand-in's TLS port and nothing else on it", async function () {
        this.timeout(3 * 60_000);
        const pod = (await waitFor("Ready pods", () => allReady(), 120_000))[0].metadata.name;
        // A listener on the stand-in's address, another port: reachable from the host ...
        const server = net.createServer((s) => s.end("hello\n"));
        await new Promise<void>((resolve) => server.listen(9999, NODES[0], resolve));
        try {
            assert.ok((await rawExchange(NODES[0], 9999, "")).includes("hello"), "the host reaches the extra listener");
            const probe = (host: string, port: number) => t.exec(ns, pod, ["node", "-e",
                `const s=require('net').connect(${port},'${host}');s.setTimeout(3000,()=>{console.log('timeout');process.exit(0)});s.on('connect',()=>{console.log('connected');process.exit(0)});s.on('error',e=>{console.log(e.code);process.exit(0)})`]);
            const tls = (await probe(NODES[0], 6379)).stdout.trim();
            const other = (await probe(NODES[0], 9999)).stdout.trim();
            console.log(`      from the app pod: ${NODES[0]}:6379 ${tls}; ${NODES[0]}:9999 ${other}`);
            assert.strictEqual(tls, "connected");
            assert.notStrictEqual(other, "connected", "the policy admits only the Redis port towards the stand-in");
        } finally {
            server.close();
        }
    });

    it("a rollback after a migration: the previous release keeps serving the migrated data", async function () {
        this.timeout(10 * 60_000);
        await waitFor("Ready pods", () => allReady(), 120_000);
        // Release N+1 migrates the schema marker forward (the hook runs before its pods start) ...
        const forward = await stackConfig((c) => { c["taskflow-api:app"].env.SCHEMA_VERSION = "2"; });
        await up(forward);
        await waitFor("release N+1 rolled out", () => allReady(), 300_000);
        const marker = ok(await standin(["cli", "HGET", "taskflow:schema", "version"]), "HGET").stdout.trim();
        const compatible = ok(await standin(["cli", "HGET", "taskflow:schema", "compatibleWith"]), "HGET").stdout.trim();
        assert.strictEqual(marker, "2");
        assert.strictEqual(compatible, "1", "the migration declares it stays servable by the previous release");
        // ... and is rolled back to release N's values (SCHEMA_VERSION 1; one image is built
        // locally, so "the previous image" is the previous release's config). The rollback's
        // hook is a no-op (the marker never moves backwards); its pods must serve schema 2 data.
        const load = new LoadGenerator(`http://${svc}/v1/roundtrip`, 4, 20);
        const back = await stackConfig();
        const t0 = Date.now();
        await up(back);
        const pods = await waitFor("the rollback rolled out", () => allReady(), 300_000);
        const report = await load.stop();
        console.log(`      rollback after a migration: pulumi up ${((Date.now() - t0) / 1000).toFixed(1)} s; ${describeLoad(report)}`);
        assert.strictEqual(ok(await standin(["cli", "HGET", "taskflow:schema", "version"]), "HGET").stdout.trim(), "2", "a rollback does not undo a migration");
        for (const p of pods) {
            const env = ok(await t.exec(ns, p.metadata.name, ["sh", "-c", 'echo "${SCHEMA_VERSION:-1}"']), "exec").stdout.trim();
            assert.strictEqual(env, "1", `${p.metadata.name} runs the previous release`);
        }
        assert.strictEqual(report.failed, 0, `failed requests: ${report.failures.join("; ")}`);
    });

    it("HPA: CPU load raises the replicas above the minimum, and they come back down after it", async function () {
        this.timeout(15 * 60_000);
        await waitFor("Ready pods", () => allReady(), 120_000);
        const hpa = async () => (await t.get<Json>(["hpa", "taskflow-api", "-n", ns]))?.status;
        // From the minimum: the load of the scenarios before may have raised it (the rehearsal's
        // scale-down window is 30 s; prod's 300 s).
        await waitFor("the HPA at its minimum before the load", async () => {
            const h = await hpa();
            return h?.desiredReplicas === 3 && h?.currentReplicas === 3 ? true : undefined;
        }, 300_000, 5000);
        const load = new LoadGenerator(`http://${svc}/v1/roundtrip`, 24, 0);
        const t0 = Date.now();
        const upAt = await waitFor("the HPA to scale up", async () => ((await hpa())?.desiredReplicas > 3 ? Date.now() : undefined), 300_000, 2000);
        const peak = (await hpa())?.desiredReplicas;
        const report = await load.stop();
        const t1 = Date.now();
        const downAt = await waitFor("the HPA to scale back to 3", async () => ((await hpa())?.desiredReplicas === 3 ? Date.now() : undefined), 300_000, 5000);
        const window = (await t.get<Json>(["hpa", "taskflow-api", "-n", ns]))?.spec?.behavior?.scaleDown?.stabilizationWindowSeconds;
        console.log(`      HPA: above the minimum ${((upAt - t0) / 1000).toFixed(0)} s after the load started (desired ${peak}); back to 3 ${((downAt - t1) / 1000).toFixed(0)} s after it stopped (scale-down stabilisation ${window} s; prod 300 s); load ${describeLoad(report)}`);
        assert.strictEqual(window, 30, "the rehearsal's scale-down window reached the HPA");
        assert.ok(peak > 3);
    });

    // Prod's operations on prod's objects (issue 28 items 2-3): drift with the preflight's lookups
    // in the state and an Ingress, the state's export and restore, heal under load. A nested
    // suite: mocha runs it after every scenario above, on the same release.
    describe("operations on prod's objects: drift, state export/restore, heal under load", () => {
        const drift = () => tsScript("drift", ["--stack", STACK], t.env);
        const kubectl = async (args: string[]) => ok(await t.kubectl(["-n", ns, ...args]), `kubectl ${args.join(" ")}`);
        const indent = (text: string) => text.replace(/^/gm, "      ");

        it("drift: no drift after the deploys above (the IngressClass and APIService reads in the state are not objects, M2); an Ingress edit and an annotation added to it are named", async function () {
            this.timeout(5 * 60_000);
            const state = await t.exportState();
            const reads = state.resources.filter((x) => (x as Json).external).map((x) => x.type);
            assert.ok(reads.includes("kubernetes:networking.k8s.io/v1:IngressClass"), `the preflight's IngressClass read is in the state: ${reads.join(", ")}`);
            assert.ok(await t.get<Json>(["ingress", "taskflow-api", "-n", ns]), "prod's Ingress is deployed");
            const clean = await drift();
            console.log(indent(clean.stdout));
            assert.strictEqual(clean.code, 0, `${clean.stdout}${clean.stderr}`);
            assert.match(clean.stdout, /and 3 object\(s\) the stack owns/, "the Namespace, the token Secret and the CA Secret");

            await kubectl(["patch", "ingress", "taskflow-api", "--type=json", "-p", JSON.stringify([{ op: "replace", path: "/spec/rules/0/host", value: "hijacked.example.com" }])]);
            await kubectl(["annotate", "ingress", "taskflow-api", "alb.ingress.kubernetes.io/inbound-cidrs=0.0.0.0/0"]);
            const r = await drift();
            console.log(indent(r.stdout));
            assert.strictEqual(r.code, 1, `${r.stdout}${r.stderr}`);
            assert.ok(r.stdout.includes(`~ Ingress ${ns}/taskflow-api`), r.stdout);
            assert.ok(r.stdout.includes('spec.rules[0].host: live "hijacked.example.com", release "api.rehearsal.invalid"'), r.stdout);
            assert.ok(r.stdout.includes('+ metadata.annotations["alb.ingress.kubernetes.io/inbound-cidrs"]: added by kubectl-annotate ("0.0.0.0/0")'), r.stdout);
        });

        it("state: ops/state.sh exports the state, and restores it after the state lost the Release and its dependencies", async function () {
            this.timeout(10 * 60_000);
            const file = path.join(t.stateDir, "rehearsal-export.json");
            ok(await run("bash", [path.join(PROJECT_ROOT, "ops/state.sh"), "export", "--stack", STACK, "--file", file], { cwd: PROJECT_ROOT, env: t.env }), "state.sh export");
            const before = (await t.exportState()).resources.length;
            // Damage: the Secret the Release depends on and the Release itself gone from the state.
            const secretUrn = (await t.exportState()).resources.find((x) => /\$kubernetes:core\/v1:Secret::taskflow-api-redis-auth$/.test(x.urn))?.urn;
            assert.ok(secretUrn, "the token Secret's URN");
            ok(await run("pulumi", ["state", "delete", "--stack", STACK, secretUrn, "--target-dependents", "--yes", "--non-interactive"], { cwd: PROJECT_ROOT, env: t.env }), "pulumi state delete");
            const damaged = (await t.exportState()).resources.length;
            const restored = await run("bash", [path.join(PROJECT_ROOT, "ops/state.sh"), "restore", "--stack", STACK, "--file", file, "--config-file", await stackConfig()], { cwd: PROJECT_ROOT, env: t.env });
            console.log(`      state: ${before} resources exported, ${damaged} after the damage, restore exit ${restored.code}, ${(await t.exportState()).resources.length} after it`);
            ok(restored, "state.sh restore (the restored state, refreshed, matches the program)");
            assert.ok(damaged < before);
            assert.strictEqual((await t.exportState()).resources.length, before);
        });

        it("heal under load: a container-port edit is repaired in place with 0 failed requests; the Ingress edit is put back; nothing deleted, never fewer replicas (M3)", async function () {
            this.timeout(15 * 60_000);
            await waitFor("Ready pods", () => allReady(), 180_000);
            const uid = async (kind: string) => (await t.get<Json>([kind, "taskflow-api", "-n", ns]))?.metadata?.uid;
            const uids = { deployment: await uid("deployment"), service: await uid("service") };
            // The edit: the pods of the new template never turn Ready (their probes use the named
            // port), so the old pods keep serving; Helm's upgrade alone could not apply on top.
            await kubectl(["patch", "deployment/taskflow-api", "--type=json", "-p", JSON.stringify([{ op: "replace", path: "/spec/template/spec/containers/0/ports/0/containerPort", value: 9090 }])]);
            const edited = await drift();
            assert.match(edited.stdout, /~ Deployment \S+\/taskflow-api \(cannot be re-applied in place: spec\.template\.spec\.containers\[api\]\.ports/, edited.stdout);
            const replicasBefore = (await t.get<Json>(["deployment", "taskflow-api", "-n", ns])).spec.replicas;

            const load = new LoadGenerator(`http://${svc}/v1/roundtrip`, 4, 20);
            let minReplicas = Infinity, sampling = true;
            const sampler = (async () => {
                while (sampling) {
                    const dep = await t.get<Json>(["deployment", "taskflow-api", "-n", ns]);
                    if (dep) minReplicas = Math.min(minReplicas, dep.spec.replicas);
                    await sleep(500);
                }
            })();
            const t0 = Date.now();
            const healed = await run("bash", [path.join(PROJECT_ROOT, "ops/heal.sh"), "--stack", STACK, "--local", "--config-file", await stackConfig(), "--yes", "--non-interactive"], { cwd: PROJECT_ROOT, env: t.env });
            const healMs = Date.now() - t0;
            console.log(indent(`${healed.stdout}${healed.stderr}`.split("\n").filter((l) => /^(==|   |heal)/.test(l)).join("\n")));
            ok(healed, "npm run heal -- --stack rehearsal --local --yes");
            await waitFor("the rollout back to the release's template", () => allReady(), 300_000);
            await sleep(2000);
            const report = await load.stop();
            sampling = false;
            await sampler;
            console.log(`      heal under load (ops/heal.sh --stack rehearsal --local --yes, container port 8080 -> 9090 edited before): ${report.requests} requests, ${report.failed} failed; heal ${(healMs / 1000).toFixed(1)} s; spec.replicas ${replicasBefore} before, at least ${minReplicas} during; ${describeLoad(report)}`);
            assert.strictEqual(report.failed, 0, `failed requests: ${report.failures.join("; ")}`);
            assert.ok(minReplicas >= Math.min(3, replicasBefore), `the replicas dropped to ${minReplicas}`);
            assert.deepStrictEqual({ deployment: await uid("deployment"), service: await uid("service") }, uids, "patched in place, not re-created");
            assert.match(healed.stdout, /patches Deployment \S+ in place/);
            const after = await drift();
            console.log(indent(after.stdout));
            assert.strictEqual(after.code, 0, `${after.stdout}${after.stderr}`);
            const ingress = await t.get<Json>(["ingress", "taskflow-api", "-n", ns]);
            assert.strictEqual(ingress.spec.rules[0].host, "api.rehearsal.invalid", "the Ingress edit was put back");
        });
    });
});

/** Evicts a pod through the eviction API (policy/v1), as a drain does. */
function eviction(t: LocalTarget, ns: string, pod: string): Promise<RunResult> {
    const body = JSON.stringify({ apiVersion: "policy/v1", kind: "Eviction", metadata: { name: pod, namespace: ns } });
    const file = path.join(t.stateDir, `eviction-${pod}.json`);
    fs.writeFileSync(file, body);
    return t.kubectl(["create", "--raw", `/api/v1/namespaces/${ns}/pods/${pod}/eviction`, "-f", file]);
}

/** Connects, writes `send`, and returns whatever arrives until the peer closes or 3 s pass. */
function rawExchange(host: string, port: number, send: string): Promise<string> {
    return new Promise((resolve) => {
        let got = "";
        const s = net.connect(port, host, () => { if (send) s.write(send); });
        s.setTimeout(3000, () => s.destroy());
        s.on("data", (d) => { got += d.toString("latin1"); });
        s.on("close", () => resolve(got));
        s.on("error", () => resolve(got));
    });
}
