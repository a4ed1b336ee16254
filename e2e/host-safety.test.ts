// The local cluster is safe to run on a person's machine (issue 21 item 7; outside review B3,
// M1, M2, m12-m15), checked on the real node against the host itself:
//   - `up` refuses to start beside another kube-proxy, before creating anything;
//   - an `up` interrupted midway removes what it created: the host is as before;
//   - nothing of ours listens beyond loopback but the kubelet's port (and CoreDNS on the pods'
//     bridge); the admin kubeconfig and the cluster's keys are private; no ~/.kube context;
//   - `status` and `down` work without the toolchain;
//   - `down` leaves a foreign KUBE-/CNI- chain (and the rules jumping to it), a foreign netns,
//     bridge and ipset intact, and otherwise puts the host back as it was before `up`;
//   - a `down` without an owner record does nothing and says so.
import { strict as assert } from "assert";
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { LocalTarget, ok, PROJECT_ROOT, readKernelSettings, run, skipUnlessRealNode, waitFor } from "./harness";
import { clusterPids, diffSnapshots, hostSnapshot, HostSnapshot, isLoopback, listeningSockets } from "./host";
import { asNobody, ForeignNetns, hostConnects } from "./outsider";

const POD_GATEWAY = "10.244.0.1"; // local/cluster/node.sh: the bridge's address, where CoreDNS listens
const sh = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const quiet = (cmd: string, ...args: string[]) => {
    try {
        sh(cmd, ...args);
    } catch {
        // cleanup of something already gone
    }
};

/** Objects another tool (k3s, podman, nerdctl) could have on the host, with the names ours use. */
const FOREIGN = {
    filterChain: "KUBE-FOREIGN-E2E",
    natChain: "CNI-FOREIGN-E2E",
    netns: "cni-foreign-e2e",
    bridge: "cni-foreign0",
    ipset: "KUBE-FOREIGN-E2E-SET",
};
/** What fail2ban's first ban (or dockerd, socket-activated) creates while `up` runs: not ours (review M4). */
const BORN = { chain: "F2B-E2E-BORN", ipset: "f2b-e2e-born" };
const isForeign = (entry: string) => [...Object.values(FOREIGN), ...Object.values(BORN)].some((n) => entry.includes(n));

function createForeign(): void {
    sh("iptables", "-w", "-N", FOREIGN.filterChain);
    sh("iptables", "-w", "-A", FOREIGN.filterChain, "-s", "192.0.2.1/32", "-j", "ACCEPT");
    sh("iptables", "-w", "-A", "FORWARD", "-j", FOREIGN.filterChain);
    sh("iptables", "-w", "-t", "nat", "-N", FOREIGN.natChain);
    sh("iptables", "-w", "-t", "nat", "-A", FOREIGN.natChain, "-d", "10.88.0.0/16", "-m", "comment", "--comment", 'name: "podman" id: "e2e"', "-j", "ACCEPT");
    sh("iptables", "-w", "-t", "nat", "-A", "POSTROUTING", "-s", "10.88.0.2/32", "-j", FOREIGN.natChain);
    sh("ip", "netns", "add", FOREIGN.netns);
    sh("ip", "link", "add", FOREIGN.bridge, "type", "bridge");
    sh("ipset", "create", FOREIGN.ipset, "hash:ip");
}
function removeForeign(): void {
    quiet("iptables", "-w", "-D", "FORWARD", "-j", FOREIGN.filterChain);
    quiet("iptables", "-w", "-F", FOREIGN.filterChain);
    quiet("iptables", "-w", "-X", FOREIGN.filterChain);
    quiet("iptables", "-w", "-t", "nat", "-D", "POSTROUTING", "-s", "10.88.0.2/32", "-j", FOREIGN.natChain);
    quiet("iptables", "-w", "-t", "nat", "-F", FOREIGN.natChain);
    quiet("iptables", "-w", "-t", "nat", "-X", FOREIGN.natChain);
    quiet("ip", "netns", "delete", FOREIGN.netns);
    quiet("ip", "link", "delete", FOREIGN.bridge);
    quiet("ipset", "destroy", FOREIGN.ipset);
    quiet("iptables", "-w", "-D", "INPUT", "-j", BORN.chain);
    quiet("iptables", "-w", "-F", BORN.chain);
    quiet("iptables", "-w", "-X", BORN.chain);
    quiet("ipset", "destroy", BORN.ipset);
}

describe("the local cluster is safe on a person's machine (real node)", function () {
    this.timeout(10 * 60_000);
    let t: LocalTarget | undefined;
    let clean: HostSnapshot;

    before(async function () {
        await skipUnlessRealNode(this);
        t = LocalTarget.create("taskflow-safety");
        ok(await run("bash", [path.join(PROJECT_ROOT, "scripts/chart-deps.sh")], { env: t.env }), "chart-deps.sh");
        clean = hostSnapshot();
    });
    after(async () => {
        if (t) await t.stop();
        removeForeign();
        quiet("iptables", "-w", "-t", "nat", "-X", "KUBE-SERVICES");
    });
    const target = () => {
        assert.ok(t, "no target");
        return t;
    };

    it("up refuses to start beside another kube-proxy's chains, and creates nothing", async () => {
        const tg = target();
        // What k3s or kubeadm's kube-proxy would have made: its entry chain in the nat table.
        sh("iptables", "-w", "-t", "nat", "-N", "KUBE-SERVICES");
        try {
            const r = await tg.clusterSh(["up"]);
            assert.equal(r.code, 1, r.stderr);
            assert.match(r.stderr, /another kube-proxy or kube-router already programs this host \(iptables -t nat chain KUBE-SERVICES/);
            assert.ok(!fs.existsSync(path.join(tg.stateDir, "ledger")), "a refused up wrote a ledger");
        } finally {
            sh("iptables", "-w", "-t", "nat", "-X", "KUBE-SERVICES");
        }
        assert.equal(diffSnapshots(clean, hostSnapshot()), "", "a refused up changed the host");
    });

    it("an up interrupted midway (Ctrl-C) removes what it had created: the host is as before", async () => {
        const tg = target();
        const child = spawn("bash", [path.join(PROJECT_ROOT, "local/cluster/cluster.sh"), "up"], { env: tg.env, stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (d) => (stderr += String(d)));
        const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
        // Midway: the control plane runs and containerd has started (images are being imported).
        await waitFor("containerd to start", async () => (fs.existsSync(path.join(tg.stateDir, "ledger/pids/containerd.pid")) ? true : undefined), 180_000, 200);
        child.kill("SIGINT");
        const code = await exited;
        assert.equal(code, 130, stderr);
        assert.match(stderr, /removing the half-created cluster/);
        const left = ok(await tg.clusterSh(["leftovers"]), "leftovers");
        assert.equal(left.stdout.trim(), "", `left after the interrupted up:\n${left.stdout}`);
        assert.equal(diffSnapshots(clean, hostSnapshot()), "", "the interrupted up left the host changed");
        assert.ok(!fs.existsSync(path.join(tg.stateDir, "kwok/clusters/taskflow-safety")), "the control plane's files are still there");
    });

    /** Live processes with the state dir in their arguments (etcd's data dir, the node's configs). */
    const runningWith = (dir: string) => fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d)).filter((d) => {
        try {
            return fs.readFileSync(`/proc/${d}/cmdline`, "utf8").includes(`${dir}/`) && !/^\S+ \S+ Z/.test(fs.readFileSync(`/proc/${d}/stat`, "utf8").replace(/^\d+ \(.*\) /s, "x x "));
        } catch {
            return false; // exited meanwhile
        }
    });

    it("a kwokctl create killed midway leaves nothing running: the components it started are adopted and stopped", async () => {
        const tg = target();
        const child = spawn("bash", [path.join(PROJECT_ROOT, "local/cluster/cluster.sh"), "up"], { env: tg.env, stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (d) => (stderr += String(d)));
        const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
        // Midway: kwokctl has started etcd (its own pid file) and has not returned (nothing of
        // the control plane is in our ledger's pid records yet).
        const kwokPids = path.join(tg.stateDir, "kwok/clusters/taskflow-safety/pids");
        await waitFor("kwokctl to start etcd", async () => (fs.existsSync(path.join(kwokPids, "etcd.pid")) ? true : undefined), 300_000, 100);
        assert.ok(!fs.existsSync(path.join(tg.stateDir, "ledger/pids/etcd.pid")), "etcd was recorded already: the test did not catch kwokctl midway");
        const kwokctl = fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d)).find((d) => {
            try {
                return /kwokctl\0create\0cluster\0--name\0taskflow-safety\0/.test(fs.readFileSync(`/proc/${d}/cmdline`, "utf8"));
            } catch {
                return false;
            }
        });
        assert.ok(kwokctl, "no kwokctl create process found");
        process.kill(Number(kwokctl), "SIGKILL");
        const code = await exited;
        assert.notEqual(code, 0, stderr);
        assert.match(stderr, /adopting etcd \(pid \d+\), started by kwokctl but not recorded/);
        assert.deepEqual(runningWith(tg.stateDir), [], "processes of the killed create still run");
        const left = ok(await tg.clusterSh(["leftovers"]), "leftovers");
        assert.equal(left.stdout.trim(), "", `left after the killed create:\n${left.stdout}`);
        assert.equal(diffSnapshots(clean, hostSnapshot()), "", "the killed create left the host changed");
    });

    it("an up whose ledger cannot be written (a full disk) stops, and removes what it had made", async () => {
        const tg = target();
        // The ledger on a filesystem of its own, three pages: it fills while the control plane
        // is recorded.
        const ledger = path.join(tg.stateDir, "ledger");
        fs.mkdirSync(ledger, { recursive: true });
        sh("mount", "-t", "tmpfs", "-o", "size=12k,mode=0700", "tmpfs", ledger);
        try {
            const r = await tg.clusterSh(["up"]);
            assert.notEqual(r.code, 0, "up succeeded with a full ledger");
            assert.match(r.stderr, /cannot write|could not record/);
            assert.match(r.stderr, /removing the half-created cluster/);
            assert.deepEqual(runningWith(tg.stateDir), [], "processes of the failed up still run");
            const left = ok(await tg.clusterSh(["leftovers"]), "leftovers");
            assert.equal(left.stdout.trim(), "", `left after the failed up:\n${left.stdout}`);
        } finally {
            quiet("umount", ledger);
        }
        fs.rmSync(ledger, { recursive: true, force: true });
        fs.rmSync(`${ledger}.done`, { recursive: true, force: true });
        assert.equal(diffSnapshots(clean, hostSnapshot()), "", "the failed up left the host changed");
    });

    let bornDuringUp = false;
    it("up starts the cluster (timed), while another program creates a chain and an ipset", async () => {
        const tg = target();
        // Once up has taken its snapshot of the host's chains, as fail2ban's first ban would.
        const born = waitFor("up to snapshot the host's chains", async () => (fs.existsSync(path.join(tg.stateDir, "ledger/netfilter-before")) ? true : undefined), 600_000, 100)
            .then(() => {
                sh("iptables", "-w", "-N", BORN.chain);
                sh("iptables", "-w", "-A", BORN.chain, "-s", "192.0.2.66/32", "-j", "RETURN");
                sh("iptables", "-w", "-A", "INPUT", "-j", BORN.chain);
                sh("ipset", "create", BORN.ipset, "hash:ip");
                bornDuringUp = true;
            }, () => undefined);
        const r = await tg.up();
        await born;
        console.log(`    cluster.sh up: ${(r.ms / 1000).toFixed(1)} s`);
        assert.ok(bornDuringUp, "the foreign chain was not created while up ran");
    });

    /** The running etcd's client URL and the API server's port, read from the processes themselves. */
    const endpoints = (tg: LocalTarget) => {
        const pidOf = (p: string) => fs.readFileSync(path.join(tg.stateDir, "ledger/pids", `${p}.pid`), "utf8").split(" ")[0];
        const args = fs.readFileSync(`/proc/${pidOf("etcd")}/cmdline`, "utf8").split("\0");
        const etcdUrl = args.find((a) => a.startsWith("--listen-client-urls="))?.split("=")[1] ?? "";
        const apiPort = Number(/server: https:\/\/127\.0\.0\.1:(\d+)/.exec(fs.readFileSync(path.join(tg.stateDir, "kubeconfig"), "utf8"))?.[1]);
        const pki = args.find((a) => a.startsWith("--trusted-ca-file="))?.split("=")[1].replace(/\/ca\.crt$/, "") ?? "";
        return { etcdUrl, etcdPort: Number(etcdUrl.split(":").pop()), apiPort, pki };
    };
    // A count-only range over everything the API server stores (base64 of "/registry/" ..
    // "/registry0"); never empty (namespaces), where the review's Secrets-only range can be 0,
    // which etcd's JSON leaves out.
    const REGISTRY_RANGE = JSON.stringify({ key: "L3JlZ2lzdHJ5Lw==", range_end: "L3JlZ2lzdHJ5MA==", count_only: true });

    it("etcd and the API server give nothing to another local user (uid 65534) or a foreign network namespace", async () => {
        const tg = target();
        const { etcdUrl, etcdPort, apiPort, pki } = endpoints(tg);
        assert.match(etcdUrl, /^https:\/\/127\.0\.0\.1:\d+$/, "etcd does not serve TLS on loopback");
        const range = (...extra: string[]) => ["-sS", "-m", "5", ...extra, "-X", "POST", "-d", REGISTRY_RANGE];
        // The probe can see data: with the API server's client certificate (root only), it does.
        const root = execFileSync("curl", [...range("--cacert", `${pki}/ca.crt`, "--cert", `${pki}/apiserver-etcd-client.crt`,
            "--key", `${pki}/apiserver-etcd-client.key`), `${etcdUrl}/v3/kv/range`], { encoding: "utf8" });
        assert.match(root, /"count":"\d+"/, `the control probe with the API server's certificate saw no data: ${root}`);
        // uid 65534: no certificate of its own, cannot read the API server's, and gets nothing.
        assert.notEqual(asNobody("cat", `${pki}/apiserver-etcd-client.key`).code, 0, "uid 65534 can read etcd's client key");
        for (const url of [etcdUrl, `http://127.0.0.1:${etcdPort}`]) {
            const r = asNobody("curl", ...range("-k"), `${url}/v3/kv/range`);
            assert.doesNotMatch(r.out, /"count"|"kvs"/, `uid 65534 read etcd at ${url}: ${r.out}`);
        }
        assert.notEqual(asNobody("curl", ...range("-k"), `${etcdUrl}/v3/kv/range`).code, 0, "etcd completed a TLS handshake without a client certificate");
        // The API server without credentials: 401 or 403, never data.
        const api = asNobody("curl", "-sk", "-m", "5", "-w", "\n%{http_code}", `https://127.0.0.1:${apiPort}/api/v1/secrets`);
        assert.match(api.out.trim().split("\n").pop() ?? "", /^40[13]$/, `the API server answered uid 65534 with: ${api.out}`);
        assert.doesNotMatch(api.out, /"items"/);
        // A foreign namespace: the host's loopback is not its loopback, and nothing of the
        // control plane listens anywhere else. The kubelet on the node IP (client certificates
        // only) answers it: the namespace does reach the host.
        const ns = ForeignNetns.create();
        try {
            for (const host of ["127.0.0.1", ForeignNetns.HOST_IP]) {
                for (const port of [etcdPort, apiPort]) assert.ok(!ns.connects(host, port), `a foreign namespace reached ${host}:${port}`);
            }
            const node = await tg.get<{ status: { addresses: Array<{ type: string; address: string }> } }>(["node", "taskflow-node"]);
            const nodeIp = node?.status.addresses.find((a) => a.type === "InternalIP")?.address ?? "";
            assert.ok(ns.connects(nodeIp, 10250), `the control probe (the kubelet on ${nodeIp}:10250) failed: the namespace does not reach the host`);
        } finally {
            ns.remove();
        }
    });

    it("a foreign namespace that routes the cluster's ranges through this host reaches no pod, Service or CoreDNS", async () => {
        const tg = target();
        ok(await tg.kubectl(["run", "guard-probe", "--image=docker.io/library/busybox:1.37", "--restart=Never", "--port=8080",
            "--command", "--", "httpd", "-f", "-p", "8080", "-h", "/"]), "kubectl run");
        ok(await tg.kubectl(["expose", "pod", "guard-probe", "--port=80", "--target-port=8080"]), "kubectl expose");
        ok(await tg.kubectl(["wait", "--for=condition=Ready", "pod/guard-probe", "--timeout=120s"]), "the probe pod Ready");
        const podIp = (await tg.get<{ status: { podIP: string } }>(["pod", "guard-probe"]))?.status.podIP ?? "";
        const svcIp = (await tg.get<{ spec: { clusterIP: string } }>(["service", "guard-probe"]))?.spec.clusterIP ?? "";
        const targets: Array<[string, string, number]> = [["pod", podIp, 8080], ["ClusterIP", svcIp, 80], ["CoreDNS", POD_GATEWAY, 53]];
        // From the host they answer (the host's own traffic does not pass PREROUTING).
        for (const [what, ip, port] of targets) {
            await waitFor(`${what} ${ip}:${port} from the host`, async () => (hostConnects(ip, port) ? true : undefined), 30_000);
        }
        const ns = ForeignNetns.create();
        try {
            for (const [what, ip, port] of targets) assert.ok(!ns.connects(ip, port), `a foreign namespace reached the ${what} ${ip}:${port}`);
            // The guard is what stops it: without its jump, the pod answers the namespace.
            sh("iptables", "-w", "-t", "raw", "-D", "PREROUTING", "-j", "TF-GUARD");
            try {
                assert.ok(ns.connects(podIp, 8080), "the control probe failed: without the guard the pod is unreachable too, so the test proves nothing");
            } finally {
                sh("iptables", "-w", "-t", "raw", "-I", "PREROUTING", "1", "-j", "TF-GUARD");
            }
        } finally {
            ns.remove();
        }
        ok(await tg.kubectl(["delete", "pod,service", "guard-probe", "--wait=true", "--timeout=60s"]), "kubectl delete the probe");
    });

    it("nothing of ours listens beyond loopback but the kubelet's port on the node IP and CoreDNS on the pods' bridge", () => {
        const tg = target();
        const pids = clusterPids(tg.stateDir);
        const sockets = listeningSockets(pids);
        for (const s of sockets) console.log(`    ${s.proto} ${s.address}:${s.port} ${s.process}`);
        // The API server dials the kubelet at the node's InternalIP (client certificates only,
        // anonymous off); pods reach their resolver at the bridge's gateway address.
        const allowed = (s: (typeof sockets)[number]) =>
            isLoopback(s.address) || (s.process === "kubelet" && s.port === 10250) || (s.process === "coredns" && s.address === POD_GATEWAY && s.port === 53);
        const names = new Set(sockets.map((s) => s.process));
        for (const p of ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "coredns"]) {
            assert.ok(names.has(p), `no listening socket found for ${p}: the check would see nothing`);
        }
        const wide = sockets.filter((s) => !allowed(s));
        assert.deepEqual(wide.map((s) => `${s.proto} ${s.address}:${s.port} ${s.process}`), [], "listening beyond loopback");
        const kubelet = sockets.filter((s) => s.process === "kubelet" && s.port === 10250);
        assert.ok(kubelet.length > 0 && kubelet.every((s) => s.address !== "0.0.0.0" && s.address !== "*" && s.address !== "::"),
            "the kubelet listens on every address, not the node IP only");
    });

    it("the admin kubeconfig and the cluster's keys are private, and ~/.kube is not touched", () => {
        const tg = target();
        const mode = (p: string) => fs.statSync(p).mode & 0o777;
        assert.equal(mode(path.join(tg.stateDir, "kubeconfig")).toString(8), "600");
        assert.equal(mode(path.join(tg.stateDir, "kwok")).toString(8), "700");
        assert.equal(mode(path.join(tg.stateDir, "ledger")).toString(8), "700");
        const kube = path.join(os.homedir(), ".kube");
        assert.equal(fs.existsSync(kube), clean.paths.includes(kube), "~/.kube was created (kwokctl adds a context there unless told not to)");
    });

    it("status works without the toolchain", async () => {
        const tg = target();
        const r = await tg.clusterSh(["status"], { TASKFLOW_TOOLS_DIR: path.join(tg.stateDir, "no-tools") });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /cluster 'taskflow-safety': running/);
        assert.match(r.stdout, /kubelet: running \(pid \d+\)/);
    });

    it("down (without the toolchain) leaves foreign KUBE-/CNI- chains, their jumps, a netns, a bridge and an ipset intact, and puts the host back as before up", async () => {
        const tg = target();
        // `ip netns add` (the foreign tool here) creates /run/netns and bind-mounts it on itself
        // when it is not a mount yet; that is its doing, not ours.
        const netns0 = hostSnapshot();
        createForeign();
        const foreign = hostSnapshot();
        const r = await tg.clusterSh(["down"], { TASKFLOW_TOOLS_DIR: path.join(tg.stateDir, "no-tools") });
        assert.equal(r.code, 0, r.stderr);
        const after = hostSnapshot();
        // What another program created while `up` ran is still there (review M4).
        assert.ok(bornDuringUp, "no chain was created during up");
        assert.ok(after.chains.includes(`iptables -t filter ${BORN.chain}`), "down removed a chain created by someone else while up ran");
        assert.ok(after.rules.includes(`iptables -t filter -A INPUT -j ${BORN.chain}`), "down removed the jump to it");
        assert.ok(after.ipsets.includes(BORN.ipset), "down removed an ipset created by someone else while up ran");
        // Every foreign entry is still there, exactly.
        for (const what of Object.keys(foreign)) {
            for (const e of foreign[what].filter(isForeign)) assert.ok(after[what].includes(e), `down removed the foreign ${what} entry: ${e}`);
        }
        const left = ok(await tg.clusterSh(["leftovers"]), "leftovers");
        assert.equal(left.stdout.trim(), "", `left on the host after down:\n${left.stdout}`);
        assert.deepEqual(readKernelSettings(), tg.kernelBefore, "kernel settings differ from before up");
        // Apart from the foreign objects (and /run/netns, which `ip netns add` mounts when it
        // made the directory), the host is as it was before up.
        const byIpNetns = (e: string) => e === "/run/netns" && !(netns0.mounts.includes(e) && netns0.paths.includes(e));
        assert.equal(diffSnapshots(clean, after, (e) => isForeign(e) || byIpNetns(e)), "", "down left the host changed");
        removeForeign();
        if (!netns0.mounts.includes("/run/netns") && fs.readdirSync("/run/netns").length === 0) quiet("umount", "/run/netns");
        if (!netns0.paths.includes("/run/netns")) quiet("rmdir", "/run/netns");
    });

    it("a down with no owner record does nothing and says so", async () => {
        const tg = target();
        const before = hostSnapshot();
        const r = ok(await tg.clusterSh(["down"]), "cluster.sh down (again)");
        assert.match(r.stderr, /no owner record for cluster 'taskflow-safety'.*nothing touched/);
        assert.equal(diffSnapshots(before, hostSnapshot()), "");
    });
});
