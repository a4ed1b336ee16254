// Three real nodes in three zones (issue 24): the `rehearsal` stack (prod's release settings:
// zone spread DoNotSchedule with nodeTaintsPolicy Honor, PDB maxUnavailable 1, HPA min 3)
// against the ElastiCache stand-in, on `cluster.sh up --nodes 3` (node 1 on the host network,
// nodes b and c in their own network namespaces; zones us-east-1a/b/c). Under load:
//   1. the pods are spread over the three zones as the constraint says;
//   2. `kubectl drain` of one node: the PDB holds (the second eviction waits for a Ready
//      replacement), the pods move, no request fails;
//   3. node loss (its link cut): failed requests, seconds until the lost pods leave the
//      Service's endpoints and until replacements are Ready, against the node-monitor grace
//      period and the pods' not-ready/unreachable tolerations;
//   4. a zone outage (its node tainted NoExecute) during a rollout: the rollout completes;
//   5. cordon, then uncordon: back to three zones.
// Every assertion reads the cluster or the traffic; the numbers are printed for the issue note.
// The load runs on the host: the rehearsal's NetworkPolicy admits the HTTP port from any source
// (prod: ingressFrom empty, the ALB reaches pods by IP), so the host is an ordinary client of
// pods on every node here (checked: answers come from pods in all three zones). It goes through
// node 1's kube-proxy, i.e. the view of a client whose own node survives.
//
//   flock /tmp/taskflow-cluster.lock npx mocha --config .mocharc.e2e.yml e2e/zones.test.ts
//   (after sourcing the toolchain as scripts/test-e2e.sh does)
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";

import { assertNoFailures, describeLoad, LoadGenerator, LocalTarget, ok, PROJECT_ROOT, run, RunResult, skipUnlessRealNode, underCI, waitFor } from "./harness";
import { API_PODS, isReady, REHEARSAL_STACK, RehearsalStack } from "./rehearsal-stack";
import { clusterPids, diffSnapshots, extraNodeNetns, hostSnapshot, HostSnapshot, isLoopback, listeningSockets } from "./host";

const STACK = REHEARSAL_STACK;
const ZONE = "topology.kubernetes.io/zone";
const NODE_A = "taskflow-node";
const NODE_B = "taskflow-node-b";
const NODE_C = "taskflow-node-c";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number) => (ms / 1000).toFixed(1);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe("three nodes in three zones: prod's spread and budget under a drain, a node loss and a zone outage (real nodes)", function () {
    let t: LocalTarget;
    let ns: string;
    let svc: string;
    let clean: HostSnapshot;
    // Set when this suite's before() starts: module load time would count the suites before it.
    let suiteStart = Date.now();
    const numbers: string[] = [];
    const note = (s: string) => { numbers.push(s); console.log(`      ${s}`); };

    let r: RehearsalStack;
    const standin = (args: string[]): Promise<RunResult> => r.standin(args);
    const env: Record<string, string> = {};
    const stackConfig = () => r.config((c) => { Object.assign(c["taskflow-api:app"].env, env); });
    const up = (file: string) => r.up(file);
    const apiPods = () => r.apiPods();
    const allReady = (min = 3) => r.allReady(min);
    async function zoneOf(): Promise<Record<string, string>> {
        const nodes = await t.get<Json>(["nodes"]);
        return Object.fromEntries(nodes.items.map((n: Json) => [n.metadata.name, n.metadata.labels[ZONE]]));
    }
    /** Pods per zone (every zone of the cluster listed, 0 where none). */
    async function perZone(pods: Json[]): Promise<Record<string, number>> {
        const zones = await zoneOf();
        const count: Record<string, number> = Object.fromEntries(Object.values(zones).map((z) => [z, 0]));
        for (const p of pods) count[zones[p.spec.nodeName]]++;
        return count;
    }
    const skew = (c: Record<string, number>, zones = Object.keys(c)) => Math.max(...zones.map((z) => c[z])) - Math.min(...zones.map((z) => c[z]));
    async function readyEndpoints(): Promise<Set<string>> {
        const slices = await t.get<Json>(["endpointslices", "-n", ns, "-l", "kubernetes.io/service-name=taskflow-api"]);
        const ips = new Set<string>();
        for (const s of slices?.items ?? []) for (const e of s.endpoints ?? []) if (e.conditions?.ready) for (const a of e.addresses) ips.add(a);
        return ips;
    }
    async function nodeReady(name: string): Promise<string> {
        const n = await t.get<Json>(["node", name]);
        return (n?.status?.conditions ?? []).find((c: Json) => c.type === "Ready")?.status ?? "?";
    }
    /** GET /v1/roundtrip `n` times from the host: which pod answered each. */
    async function answeredBy(n: number): Promise<string[]> {
        const pods: string[] = [];
        for (let i = 0; i < n; i++) {
            pods.push(await new Promise<string>((resolve) => {
                http.get(`http://${svc}/v1/roundtrip`, { agent: false, timeout: 5000 }, (res) => {
                    let body = "";
                    res.on("data", (d) => (body += d));
                    res.on("end", () => { try { resolve(String(JSON.parse(body).pod)); } catch { resolve(`HTTP ${res.statusCode}`); } });
                }).on("error", (e) => resolve(e.message)).on("timeout", function (this: http.ClientRequest) { this.destroy(new Error("timeout")); });
            }));
        }
        return pods;
    }
    const kubectlOk = async (args: string[]) => ok(await t.kubectl(args), `kubectl ${args.join(" ")}`);

    before(async function () {
        this.timeout(20 * 60_000);
        suiteStart = Date.now();
        await skipUnlessRealNode(this);
        const check = await run("bash", [path.join(PROJECT_ROOT, "local/cluster/cluster.sh"), "check", "--nodes", "3"]);
        if (check.code !== 0) {
            const why = check.stdout.trim() || check.stderr.trim();
            if (underCI()) throw new Error(`CI=${process.env.CI} and this host cannot run 3 real nodes: ${why}`);
            console.log(`    skipped: ${why}`);
            this.skip();
        }
        clean = hostSnapshot();
        const t0 = Date.now();
        t = await LocalTarget.start("taskflow-zones", STACK, { TASKFLOW_NODES: "3" });
        r = new RehearsalStack(t);
        note(`cluster.sh up --nodes 3 (with chart-deps and the stack's init): ${secs(Date.now() - t0)} s`);
        ns = t.namespace;
        ok(await standin(["up"]), "elasticache.sh up");
        const i0 = Date.now();
        await up(await stackConfig());
        note(`install of the rehearsal stack: pulumi up ${secs(Date.now() - i0)} s`);
        const s = await t.get<Json>(["service", "taskflow-api", "-n", ns]);
        svc = `${s.spec.clusterIP}:${s.spec.ports[0].port}`;
    });

    after(async function () {
        this.timeout(5 * 60_000);
        if (!t) return;
        // Whatever a failed scenario left: the node's link back, before `down` stops everything.
        await relink().catch(() => undefined);
        if (fs.existsSync("/run/netns/tfn3")) {
            const fwd = forwarderPid(t.stateDir, "tfn3");
            if (fwd) await run("kill", ["-CONT", String(fwd)]);
        }
        await t.stop();
        console.log(`      zones.test.ts wall time: ${secs(Date.now() - suiteStart)} s\n      --- numbers for the issue note ---\n      ${numbers.join("\n      ")}`);
    });

    it("every node Ready in its own zone; nothing of ours listens beyond loopback in any node's namespace but each kubelet's 10250", async function () {
        this.timeout(2 * 60_000);
        const nodes = await t.get<Json>(["nodes"]);
        const zones = Object.fromEntries(nodes.items.map((n: Json) => [n.metadata.name, n.metadata.labels[ZONE]]));
        assert.deepStrictEqual(zones, { [NODE_A]: "us-east-1a", [NODE_B]: "us-east-1b", [NODE_C]: "us-east-1c" });
        for (const n of nodes.items) {
            const ready = n.status.conditions.find((c: Json) => c.type === "Ready");
            assert.strictEqual(ready.status, "True", `${n.metadata.name} Ready`);
            note(`node ${n.metadata.name}: registered ${n.metadata.creationTimestamp}, Ready ${ready.lastTransitionTime} (${secs(Date.parse(ready.lastTransitionTime) - Date.parse(n.metadata.creationTimestamp))} s), InternalIP ${n.status.addresses.find((a: Json) => a.type === "InternalIP").address}`);
        }
        const netns = extraNodeNetns(t.stateDir);
        assert.deepStrictEqual(netns.sort(), ["tfn2", "tfn3"]);
        const sockets = listeningSockets(clusterPids(t.stateDir), netns);
        const internal = new Set(nodes.items.map((n: Json) => n.status.addresses.find((a: Json) => a.type === "InternalIP").address));
        const allowed = (s: (typeof sockets)[number]) => isLoopback(s.address) ||
            (s.process === "kubelet" && s.port === 10250 && internal.has(s.address)) ||
            (s.netns === "host" && s.process === "coredns" && s.address === "10.244.0.1" && s.port === 53);
        const wide = sockets.filter((s) => !allowed(s)).map((s) => `${s.netns} ${s.proto} ${s.address}:${s.port} ${s.process}`);
        assert.deepStrictEqual(wide, [], "listening beyond loopback");
        for (const n of netns) {
            const here = sockets.filter((s) => s.netns === n).map((s) => s.process);
            for (const p of ["kubelet", "kube-proxy", "netns-forward"]) assert.ok(here.includes(p), `no listening socket of ${p} in ${n}: the check would see nothing`);
        }
        // Cost at rest (the stack is installed, no load): RSS and CPU of each node's own
        // processes (containerd, kubelet, kube-proxy, kube-router; node 1 also CoreDNS; b and c
        // their forwarder) over 10 s, from /proc.
        const perNode: Array<[string, number[]]> = [["taskflow-node", ledgerPids(path.join(t.stateDir, "ledger"))],
            ...netns.map((n): [string, number[]] => [n, ledgerPids(path.join(t.stateDir, "ledger", "nodes", n))])];
        const ticks0 = perNode.map(([, pids]) => pids.reduce((a, p) => a + cpuTicks(p), 0));
        await sleep(10_000);
        perNode.forEach(([name, pids], i) => {
            const rss = pids.reduce((a, p) => a + rssKiB(p), 0) / 1024;
            const cpu = (pids.reduce((a, p) => a + cpuTicks(p), 0) - ticks0[i]) / 100 / 10 * 100;
            note(`at rest, node ${name}: RSS ${rss.toFixed(0)} MiB, CPU ${cpu.toFixed(1)} % of one core (${pids.length} processes, pod shims not counted)`);
        });
        // The API server and etcd still listen on the host's loopback only.
        for (const s of sockets.filter((x) => ["kube-apiserver", "etcd"].includes(x.process))) assert.ok(s.netns === "host" && isLoopback(s.address), `${s.process} on ${s.address}`);
    });

    it("1. the pods are spread over the three zones (maxSkew 1, DoNotSchedule), and each zone's pods answer the host", async function () {
        this.timeout(5 * 60_000);
        const pods = await waitFor("3 Ready app pods", () => allReady(), 180_000);
        const c3 = await perZone(pods);
        note(`spread at HPA min 3: ${JSON.stringify(c3)}`);
        assert.strictEqual(skew(c3), 0, "one pod per zone");
        const spread = pods[0].spec.topologySpreadConstraints.find((s: Json) => s.topologyKey === ZONE);
        assert.deepStrictEqual([spread.maxSkew, spread.whenUnsatisfiable, spread.nodeTaintsPolicy], [1, "DoNotSchedule", "Honor"]);
        // Six pods (the HPA's floor raised for this suite, as load would): two per zone.
        await kubectlOk(["patch", "hpa", "taskflow-api", "-n", ns, "--type=merge", "-p", '{"spec":{"minReplicas":6}}']);
        const six = await waitFor("6 Ready app pods", () => allReady(6), 180_000);
        const c6 = await perZone(six);
        note(`spread at 6 pods: ${JSON.stringify(c6)}`);
        assert.ok(skew(c6) <= 1, `maxSkew 1: ${JSON.stringify(c6)}`);
        const zones = await zoneOf();
        const zoneOfPod = Object.fromEntries(six.map((p) => [p.metadata.name, zones[p.spec.nodeName]]));
        const answers = await answeredBy(60);
        const byZone: Record<string, number> = {};
        for (const a of answers) byZone[zoneOfPod[a] ?? a] = (byZone[zoneOfPod[a] ?? a] ?? 0) + 1;
        note(`60 requests from the host answered by zone: ${JSON.stringify(byZone)}`);
        assert.deepStrictEqual(Object.keys(byZone).sort(), ["us-east-1a", "us-east-1b", "us-east-1c"], `every answer from a pod of a zone: ${JSON.stringify(byZone)}`);
    });

    it("2. kubectl drain of one node: the PDB holds (the second eviction waits for a Ready replacement), the pods move, 0 failed requests", async function () {
        this.timeout(6 * 60_000);
        const before = await waitFor("6 Ready pods and a budget that allows one", async () => {
            const pods = await allReady(6);
            const pdb = await t.get<Json>(["pdb", "taskflow-api", "-n", ns]);
            return pods && pdb?.status?.disruptionsAllowed === 1 ? pods : undefined;
        }, 180_000);
        const onNode = before.filter((p) => p.spec.nodeName === NODE_B).map((p) => p.metadata.name);
        assert.ok(onNode.length >= 2, `two pods on ${NODE_B} to evict: ${onNode}`);
        const load = new LoadGenerator(`http://${svc}/v1/roundtrip`, 4, 20);
        await sleep(2000);
        // Watch the cluster while the drain runs: when each pod of the node is marked for
        // deletion, when each new pod turns Ready, and the fewest Ready pods seen.
        const evictedAt: Record<string, number> = {};
        const readyAt: Record<string, number> = {};
        let minReady = Infinity;
        let watching = true;
        const watch = (async () => {
            while (watching) {
                const list = await t.get<Json>(["pods", "-n", ns, "-l", API_PODS]);
                const now = Date.now();
                let ready = 0;
                for (const p of list?.items ?? []) {
                    const name = p.metadata.name;
                    if (onNode.includes(name) && p.metadata.deletionTimestamp && !evictedAt[name]) evictedAt[name] = now;
                    if (!p.metadata.deletionTimestamp && isReady(p)) {
                        ready++;
                        if (!before.some((b) => b.metadata.name === name) && !readyAt[name]) readyAt[name] = now;
                    }
                }
                minReady = Math.min(minReady, ready);
                await sleep(300);
            }
        })();
        const t0 = Date.now();
        const drain = await t.kubectl(["drain", NODE_B, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=240s"]);
        const drainMs = Date.now() - t0;
        const after = await waitFor("6 Ready pods after the drain", () => allReady(6), 180_000);
        await sleep(2000);
        watching = false;
        await watch;
        const report = await load.stop();
        await kubectlOk(["uncordon", NODE_B]);
        ok(drain, "kubectl drain");
        const ev = Object.values(evictedAt).sort((a, b) => a - b);
        const firstReady = Math.min(...Object.values(readyAt));
        note(`drain of ${NODE_B} (${onNode.length} pods): ${secs(drainMs)} s; evictions at +${ev.map((e) => secs(e - t0)).join(" s, +")} s; first replacement Ready at +${secs(firstReady - t0)} s; fewest Ready pods seen ${minReady} of 6; refusals by the PDB in kubectl's output: ${(drain.stdout + drain.stderr).match(/disruption budget/g)?.length ?? 0}`);
        note(`drain load: ${describeLoad(report)}`);
        assert.strictEqual(ev.length, onNode.length, "every pod of the node was evicted");
        assert.ok(minReady >= 5, `the PDB (maxUnavailable 1) kept 5 of 6 Ready: fewest seen ${minReady}`);
        // The budget made the second eviction wait: it came only once a replacement was Ready
        // (300 ms sampling, so allow one sample).
        assert.ok(ev[1] >= firstReady - 400, `second eviction at +${secs(ev[1] - t0)} s, before any replacement was Ready (+${secs(firstReady - t0)} s)`);
        assert.deepStrictEqual(after.filter((p) => p.spec.nodeName === NODE_B).map((p) => p.metadata.name), [], "no pod left on the drained node");
        assertNoFailures(report, 500, "during the drain");
    });

    it("3. node loss (its link cut): failed requests, seconds until the lost pods leave the endpoints and until replacements are Ready", async function () {
        this.timeout(10 * 60_000);
        const pods = await waitFor("6 Ready pods", () => allReady(6), 180_000);
        const lost = pods.filter((p) => p.spec.nodeName === NODE_C);
        const lostIps = new Set(lost.map((p) => p.status.podIP as string));
        assert.ok(lost.length >= 1, `pods on ${NODE_C}`);
        const tol = (lost[0].spec.tolerations ?? []).filter((x: Json) => /not-ready|unreachable/.test(x.key)).map((x: Json) => `${x.key.split("/")[1]} ${x.tolerationSeconds} s`);
        // The stack's app.nodeLossTolerationSeconds (30), through the chart, not the API server's 300.
        assert.deepStrictEqual(tol, ["not-ready 30 s", "unreachable 30 s"]);
        const kcm = await controllerManagerFlag("node-monitor-grace-period");
        const load = new LoadGenerator(`http://${svc}/v1/roundtrip`, 4, 20);
        await sleep(3000);
        // The node's network is gone: everything through its link dropped on the host (routes
        // stay, so packets to its pods and kubelet vanish and clients time out, as with a dead
        // EC2 instance), and its path to the API server frozen (the forwarder is a host
        // process, the link does not carry it).
        const fwd = forwarderPid(t.stateDir, "tfn3");
        assert.ok(fwd, "the forwarder of tfn3 runs");
        const t0 = Date.now();
        await cutLink();
        ok(await run("kill", ["-STOP", String(fwd)]), "SIGSTOP the forwarder");
        let notReadyAt = 0, endpointsGoneAt = 0, replacedAt = 0;
        const end = t0 + 5 * 60_000;
        while (Date.now() < end && !(notReadyAt && endpointsGoneAt && replacedAt)) {
            const now = Date.now();
            if (!notReadyAt && (await nodeReady(NODE_C)) !== "True") notReadyAt = now;
            if (!endpointsGoneAt && ![...(await readyEndpoints())].some((ip) => lostIps.has(ip))) endpointsGoneAt = now;
            if (!replacedAt) {
                const live = (await apiPods()).filter((p) => p.spec.nodeName !== NODE_C && isReady(p));
                if (live.length >= pods.length) replacedAt = now;
            }
            await sleep(500);
        }
        await sleep(8000); // requests that started just before the endpoints changed have run out
        const report = await load.stop();
        const failedAt = load.timeline.filter((e) => !e.ok).map((e) => e.at);
        const lastFail = failedAt.length ? Math.max(...failedAt) : 0;
        note(`node loss of ${NODE_C} (${lost.length} pods; node-monitor-grace-period ${kcm ?? "default"}, pod tolerations ${tol.join(", ") || "none"}): node NotReady after ${secs(notReadyAt - t0)} s; lost pods out of the endpoints after ${secs(endpointsGoneAt - t0)} s; replacements Ready after ${secs(replacedAt - t0)} s; last failed request ${lastFail ? secs(lastFail - t0) + " s" : "none"}`);
        const windowMs = (endpointsGoneAt || Date.now()) - t0;
        const inWindow = load.timeline.filter((e) => e.at >= t0 && e.at <= t0 + windowMs + 5000);
        note(`node loss load: ${describeLoad(report)}; until the endpoints were clean (+5 s): ${inWindow.filter((e) => !e.ok).length} failed of ${inWindow.length} (${lost.length} of ${pods.length} endpoints dead; a failure there is a 5 s client timeout); kinds: ${[...new Set(report.failures)].slice(0, 3).join("; ")}; failures after the endpoints were clean at +${failedAt.filter((a) => a > endpointsGoneAt).slice(0, 12).map((a) => secs(a - t0)).join(", ")} s`);
        // Bring the node back: link up, forwarder on; it turns Ready and its old pods go.
        await relink();
        ok(await run("kill", ["-CONT", String(fwd)]), "SIGCONT the forwarder");
        const back0 = Date.now();
        await waitFor(`${NODE_C} Ready again`, async () => ((await nodeReady(NODE_C)) === "True" ? true : undefined), 120_000, 1000);
        await waitFor("the lost pods deleted", async () => {
            const list = await t.get<Json>(["pods", "-n", ns, "-l", API_PODS]);
            return (list?.items ?? []).some((p: Json) => lost.some((l) => l.metadata.name === p.metadata.name)) ? undefined : true;
        }, 120_000, 1000);
        note(`${NODE_C} back: Ready and its old pods gone ${secs(Date.now() - back0)} s after the link came up`);
        // Failures after the endpoints are clean (beyond one request timeout and kube-proxy's
        // sync): new connections whose source port matches the conntrack entry of an earlier,
        // unanswered SYN to a lost pod follow that entry's DNAT to the dead pod (kube-proxy clears
        // stale conntrack entries for UDP only); such entries live nf_conntrack_tcp_timeout_syn_sent.
        const synSent = Number(fs.readFileSync("/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_syn_sent", "utf8"));
        const late = load.timeline.filter((e) => !e.ok && e.at > endpointsGoneAt + 8000);
        const afterClean = load.timeline.filter((e) => e.at > endpointsGoneAt + 8000);
        note(`node loss: ${late.length} of ${afterClean.length} requests failed more than 8 s after the endpoints were clean (${[...new Set(late.map((e) => e.why))].join("; ") || "none"}), the last at +${lastFail ? secs(lastFail - t0) : "-"} s; nf_conntrack_tcp_timeout_syn_sent ${synSent} s`);
        assert.ok(notReadyAt && endpointsGoneAt && replacedAt, "the node went NotReady, its pods left the endpoints and were replaced within 5 min");
        // Late failures are only timeouts (a dead destination, never a refusal or an error
        // answer) and stop within the SYN_SENT lifetime of the last entry made before the
        // endpoints changed (plus a request timeout and kube-proxy's sync).
        assert.ok(late.every((e) => /timeout/.test(e.why ?? "")), `late failures other than timeouts: ${late.map((e) => e.why).join("; ")}`);
        assert.ok(!lastFail || lastFail <= endpointsGoneAt + (synSent + 8) * 1000, `requests failed until +${secs(lastFail - t0)} s, endpoints clean at +${secs(endpointsGoneAt - t0)} s`);
        // The next scenarios count failures from zero: let the stale entries expire first.
        const quiet = lastFail + (synSent + 2) * 1000 - Date.now();
        if (quiet > 0) await sleep(quiet);
    });

    it("4. a zone outage (its node tainted NoExecute) during a rollout: the rollout completes in the other two zones", async function () {
        this.timeout(8 * 60_000);
        await waitFor("6 Ready pods", () => allReady(6), 180_000);
        const old = new Set((await apiPods()).map((p) => p.metadata.name));
        const load = new LoadGenerator(`http://${svc}/v1/roundtrip`, 4, 20);
        await sleep(2000);
        const t0 = Date.now();
        await kubectlOk(["taint", "node", NODE_B, "zone-outage=true:NoExecute"]);
        let pods: Json[];
        let rolloutMs: number;
        let report: Awaited<ReturnType<LoadGenerator["stop"]>>;
        try {
            env.ZONES_ROLLOUT = "1";
            await up(await stackConfig());
            pods = await waitFor("the rollout to finish with the zone out", async () => {
                const ready = await allReady(3);
                return ready?.every((p) => !old.has(p.metadata.name)) ? ready : undefined;
            }, 300_000, 1000);
            rolloutMs = Date.now() - t0;
            await sleep(2000);
        } finally {
            report = await load.stop();
            await t.kubectl(["taint", "node", NODE_B, "zone-outage-"]);
        }
        const c = await perZone(pods);
        note(`zone us-east-1b out (NoExecute taint) + rollout (pulumi up): ${pods.length} pods Ready in ${secs(rolloutMs)} s, per zone ${JSON.stringify(c)}`);
        note(`zone outage load: ${describeLoad(report)}`);
        assert.strictEqual(c["us-east-1b"], 0, "nothing in the zone that is out");
        assert.ok(skew(c, ["us-east-1a", "us-east-1c"]) <= 1, "spread over the two zones left (the tainted node is not a domain: nodeTaintsPolicy Honor)");
        assertNoFailures(report, 500, "through the zone outage and the rollout");
    });

    it("5. cordon, then uncordon: new pods avoid the cordoned node, and after uncordon a rollout is back in three zones", async function () {
        this.timeout(8 * 60_000);
        const restart = async (what: string) => {
            const old = new Set((await apiPods()).map((p) => p.metadata.name));
            await kubectlOk(["rollout", "restart", "deployment/taskflow-api", "-n", ns]);
            return waitFor(what, async () => {
                const ready = await allReady(3);
                return ready?.every((p) => !old.has(p.metadata.name)) ? ready : undefined;
            }, 240_000, 1000);
        };
        const load = new LoadGenerator(`http://${svc}/v1/roundtrip`, 4, 20);
        await kubectlOk(["cordon", NODE_C]);
        let cordoned: Record<string, number>;
        try {
            cordoned = await perZone(await restart("a rollout with us-east-1c cordoned"));
        } finally {
            await t.kubectl(["uncordon", NODE_C]);
        }
        const t0 = Date.now();
        const back = await perZone(await restart("a rollout after the uncordon"));
        const backMs = Date.now() - t0;
        const report = await load.stop();
        note(`cordon ${NODE_C} + rollout: ${JSON.stringify(cordoned)}; uncordon + rollout: ${JSON.stringify(back)} in ${secs(backMs)} s`);
        note(`cordon/uncordon load: ${describeLoad(report)}`);
        assert.strictEqual(cordoned["us-east-1c"], 0, "no new pod on the cordoned node");
        assert.ok(Object.values(back).every((n) => n > 0) && skew(back) <= 1, `back in three zones, maxSkew 1: ${JSON.stringify(back)}`);
        assertNoFailures(report, 500, "through cordon, uncordon and their rollouts");
    });

    it("down removes every node (three of them) and leaves nothing on the host", async function () {
        this.timeout(5 * 60_000);
        const r = ok(await t.clusterSh(["down"]), "cluster.sh down");
        note(`cluster.sh down (3 nodes): ${secs(r.ms)} s`);
        const left = ok(await t.clusterSh(["leftovers"]), "cluster.sh leftovers");
        assert.strictEqual(left.stdout.trim(), "", `left on the host after down:\n${left.stdout}`);
        assert.deepStrictEqual(extraNodeNetns(t.stateDir), [], "a node's network namespace is left");
        // kube-router's policy ipsets included: down removes the ones it left (netfilter.sh).
        const diff = diffSnapshots(clean, hostSnapshot());
        assert.strictEqual(diff, "", "down left the host changed");
    });
});

/** The processes a ledger records (pids/*.pid), control plane excluded. */
function ledgerPids(ledger: string): number[] {
    const dir = path.join(ledger, "pids");
    const cp = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"];
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => !cp.includes(f.replace(/\.pid$/, ""))).map((f) => Number(fs.readFileSync(path.join(dir, f), "utf8").split(" ")[0])) : [];
}
function cpuTicks(pid: number): number {
    try {
        const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
        return Number(f[11]) + Number(f[12]); // utime, stime (fields 14, 15)
    } catch {
        return 0;
    }
}
function rssKiB(pid: number): number {
    try {
        return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
    } catch {
        return 0;
    }
}

/**
 * Node c's link (veth tfn3-h, local/cluster/nodes.sh) cut: every packet through it dropped by
 * the host, in all directions. Not `ip link set down`: that also deletes the routes through it,
 * and the host then sent node c's pod traffic to its default gateway (answered "404" there).
 */
const CUT_RULES = [["OUTPUT", "-o"], ["FORWARD", "-o"], ["FORWARD", "-i"], ["INPUT", "-i"]]
    .map(([chain, dir]) => [chain, dir, "tfn3-h", "-m", "comment", "--comment", "taskflow e2e zones: node c link cut", "-j", "DROP"]);
async function cutLink(): Promise<void> {
    for (const r of CUT_RULES) ok(await run("iptables", ["-w", "-I", ...r]), `iptables -I ${r.join(" ")}`);
}
/** Node c's link back: the cut's rules deleted (each as often as it is there). */
async function relink(): Promise<void> {
    for (const r of CUT_RULES) while ((await run("iptables", ["-w", "-D", ...r])).code === 0) { /* until gone */ }
}

/** The pid of an extra node's API forwarder (local/cluster/nodes.sh), from its ledger record. */
function forwarderPid(stateDir: string, netns: string): number | undefined {
    const f = path.join(stateDir, "ledger", "nodes", netns, "pids", "netns-forward.pid");
    return fs.existsSync(f) ? Number(fs.readFileSync(f, "utf8").split(" ")[0]) : undefined;
}

/** A flag of the running kube-controller-manager (kwok's), from its command line. */
async function controllerManagerFlag(flag: string): Promise<string | undefined> {
    for (const p of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
        try {
            if (!fs.readlinkSync(`/proc/${p}/exe`).endsWith("/kube-controller-manager")) continue;
            const args = fs.readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0");
            // The last one counts (kwok's own flags come first, cluster.sh's patches after them).
            const hit = args.filter((a) => a.startsWith(`--${flag}=`)).pop();
            return hit ? hit.split("=")[1] : undefined;
        } catch {
            // gone meanwhile
        }
    }
    return undefined;
}
