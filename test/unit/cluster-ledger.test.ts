// The local cluster's teardown rules (local/cluster/ledger.sh, netfilter.sh, cluster.sh), run
// for real in bash against this machine's /proc, without a cluster or the toolchain: which
// process a pid record names, which kernel setting `down` puts back, which iptables chains,
// rules and ipsets it removes, and what `down` does without an owner record.
import * as assert from "assert";
import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { PROJECT_ROOT } from "../support/stacks";

const LEDGER = path.join(PROJECT_ROOT, "local/cluster/ledger.sh");
const NETFILTER = path.join(PROJECT_ROOT, "local/cluster/netfilter.sh");
const CLUSTER = path.join(PROJECT_ROOT, "local/cluster/cluster.sh");
const onLinux = process.platform === "linux" && fs.existsSync("/proc/self/stat");

/** Runs a bash snippet with ledger.sh (and netfilter.sh) sourced; returns stdout, trimmed. */
function sh(script: string, env: Record<string, string> = {}, input?: string): string {
    return execFileSync("bash", ["-c", `set -uo pipefail; source "${LEDGER}"; source "${NETFILTER}"; ${script}`], {
        encoding: "utf8", env: { ...process.env, ...env }, input,
    }).trim();
}

const alive = (pid: number) => {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
};

/** A real process that ignores nothing: `sleep 300`, killed in afterEach. */
function sleeper(children: ChildProcess[]): number {
    const c = spawn("sleep", ["300"], { stdio: "ignore" });
    children.push(c);
    return c.pid!;
}

const startOf = (pid: number) => fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").split(" ")[19];
const bootId = () => fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();

describe("local cluster ledger: pid records", function () {
    let dir: string;
    const children: ChildProcess[] = [];
    before(function () {
        if (!onLinux) this.skip();
    });
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "ledger-"));
    });
    afterEach(() => {
        for (const c of children.splice(0)) c.kill("SIGKILL");
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("a record names the process it was written for: same pid, start time, executable and boot", () => {
        const pid = sleeper(children);
        const file = path.join(dir, "s.pid");
        sh(`pidrec_write "${file}" ${pid} "$(command -v sleep)"`);
        const [rpid, start, exe, boot] = fs.readFileSync(file, "utf8").trim().split(" ");
        assert.equal(Number(rpid), pid);
        assert.equal(start, startOf(pid));
        assert.equal(exe, fs.readlinkSync(`/proc/${pid}/exe`));
        assert.equal(boot, bootId());
        assert.equal(sh(`pidrec_check "${file}" && echo ours || echo stranger`), "ours");
    });

    it("a record whose start time or boot differs names a stranger (a reused pid)", () => {
        const pid = sleeper(children);
        const exe = fs.readlinkSync(`/proc/${pid}/exe`);
        const forged = {
            "start time": `${pid} ${Number(startOf(pid)) + 1} ${exe} ${bootId()}`,
            boot: `${pid} ${startOf(pid)} ${exe} 00000000-0000-0000-0000-000000000000`,
        };
        for (const [what, line] of Object.entries(forged)) {
            fs.writeFileSync(path.join(dir, "f.pid"), `${line}\n`);
            assert.equal(sh(`pidrec_check "${dir}/f.pid" && echo ours || echo stranger`), "stranger", what);
        }
    });

    it("stopping by a record that names a stranger signals nobody and drops the record", () => {
        const pid = sleeper(children);
        const file = path.join(dir, "etcd.pid");
        fs.writeFileSync(file, `${pid} ${Number(startOf(pid)) + 7} ${fs.readlinkSync(`/proc/${pid}/exe`)} ${bootId()}\n`);
        const err = spawnSync("bash", ["-c", `source "${LEDGER}"; pidrec_stop "${file}" etcd 1`], { encoding: "utf8" }).stderr;
        assert.ok(alive(pid), "the stranger was signalled");
        assert.match(err, /belongs to another process.*not signalled/);
        assert.ok(!fs.existsSync(file));
    });

    it("a daemon whose binary was replaced on disk (a rebuild, an apt upgrade) is still ours, and stopping it stops it", () => {
        // A copy of sleep in a directory of our own, then replaced the way a recipe rebuilds a
        // tool (rm + new file): /proc/PID/exe now reads "... (deleted)" (review M2, 2026-12-07).
        const bin = path.join(dir, "kube-daemon");
        fs.copyFileSync(execFileSync("bash", ["-c", "type -P sleep"], { encoding: "utf8" }).trim(), bin);
        fs.chmodSync(bin, 0o755);
        const c = spawn(bin, ["300"], { stdio: "ignore" });
        children.push(c);
        const file = path.join(dir, "d.pid");
        sh(`pidrec_write "${file}" ${c.pid} "${bin}"`);
        fs.rmSync(bin);
        fs.copyFileSync(execFileSync("bash", ["-c", "type -P true"], { encoding: "utf8" }).trim(), bin);
        assert.match(fs.readlinkSync(`/proc/${c.pid}/exe`), / \(deleted\)$/, "the test did not replace the running binary");
        assert.equal(sh(`pidrec_check "${file}" && echo ours || echo stranger`), "ours");
        assert.equal(sh(`proc_exe ${c.pid}`), bin, "a scan by binary would miss the daemon");
        sh(`pidrec_stop "${file}" kube-daemon 5`);
        const state = fs.existsSync(`/proc/${c.pid}/stat`) ? fs.readFileSync(`/proc/${c.pid}/stat`, "utf8").replace(/^.*\) /s, "")[0] : "gone";
        assert.ok(state === "Z" || state === "gone", `the daemon still runs (state ${state})`);
    });

    it("a record is written before the process has exec'd, so a kill of `up` in that window leaves it findable", () => {
        // The fork of a background job before its exec: same pid and start time as the daemon.
        const file = path.join(dir, "f.pid");
        const out = sh(`( sleep 0.3; exec sleep 300 ) & p=$!; pidrec_write "${file}" $p "$(command -v sleep)" & w=$!; sleep 0.1; cat "${file}"; wait $w; echo rc=$?; kill $p`);
        const [first, rc] = out.split("\n");
        assert.match(first, /^\d+ \d+ \S+ \S+$/, `no record before the exec: ${out}`);
        assert.equal(rc, "rc=0");
    });

    it("stopping by a record that names our process stops it", () => {
        const pid = sleeper(children);
        const file = path.join(dir, "s.pid");
        sh(`pidrec_write "${file}" ${pid} "$(command -v sleep)"; pidrec_stop "${file}" sleep 5`);
        // The child is a zombie until node reaps it; /proc/PID/stat then says Z.
        const state = fs.existsSync(`/proc/${pid}/stat`) ? fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "")[0] : "gone";
        assert.ok(state === "Z" || state === "gone", `state ${state}`);
    });
});

describe("local cluster ledger: a write that fails (a full disk)", function () {
    let mnt: string;
    before(function () {
        // A filesystem of its own, one page, filled: needs root to mount (the node needs root anyway).
        if (!onLinux || process.getuid?.() !== 0) this.skip();
        mnt = fs.mkdtempSync(path.join(os.tmpdir(), "ledger-full-"));
        execFileSync("mount", ["-t", "tmpfs", "-o", "size=4k", "tmpfs", mnt]);
        fs.mkdirSync(path.join(mnt, "ledger"));
        fs.writeFileSync(path.join(mnt, "ledger/created"), `boot ${bootId()}\n`.padEnd(4096, "#"));
    });
    after(() => {
        if (!mnt) return;
        spawnSync("umount", [mnt]);
        fs.rmSync(mnt, { recursive: true, force: true });
    });
    // `node_up || ...`: errexit is off in the whole body of a function called in a || list.
    const inOrList = (strict: string) => spawnSync("bash", ["-c",
        `source "${LEDGER}"; LEDGER_DIR="${mnt}/ledger" LEDGER_STRICT=${strict}; f() { ledger_add link tfbr0; echo created-the-bridge; }; f || echo caller-saw-failure; echo up-went-on`],
    { encoding: "utf8" });

    it("stops `up` (LEDGER_STRICT) even in a || list, before the thing it would record is made", () => {
        const r = inOrList("1");
        assert.equal(r.status, 75, r.stderr);
        assert.match(r.stderr, /cannot write .*created \(disk full\?\): link tfbr0/);
        assert.equal(r.stdout, "", "something ran after the failed record");
    });

    it("fails (and says so) outside `up`, where a teardown must run to its end", () => {
        const r = inOrList("");
        assert.equal(r.status, 0);
        assert.match(r.stderr, /cannot write/);
    });
});

describe("local cluster preflight: the host's routes", function () {
    // In a network namespace of its own (root), with what a LAN on 10.0.0.0/24 looks like.
    const ns = `tfroute${process.pid}`;
    before(function () {
        if (!onLinux || process.getuid?.() !== 0) this.skip();
        execFileSync("ip", ["netns", "add", ns]);
    });
    after(() => spawnSync("ip", ["netns", "delete", ns]));
    const clash = () => execFileSync("nsenter", [`--net=/run/netns/${ns}`, "bash", "-c",
        `STATE=$(mktemp -d); LEDGER_DIR=$STATE/ledger; root="${PROJECT_ROOT}"; source "${LEDGER}"; source "${NETFILTER}"; source "${path.join(PROJECT_ROOT, "local/cluster/node.sh")}"; node_route_clash`],
    { encoding: "utf8" }).trim();

    it("says nothing on a host whose routes stay out of the cluster's ranges", () => {
        assert.equal(clash(), "");
    });

    it("refuses a host whose LAN is inside them (10.0.0.0/24: its 10.0.0.1 would be DNATed to the API server)", () => {
        for (const a of [["link", "add", "lan0", "type", "bridge"], ["addr", "add", "10.0.0.5/24", "dev", "lan0"], ["link", "set", "lan0", "up"]]) {
            execFileSync("nsenter", [`--net=/run/netns/${ns}`, "ip", ...a]);
        }
        assert.match(clash(), /already routes 10\.0\.0\.1 \(10\.0\.0\.0\/24 dev lan0.*\), inside the local cluster's ranges/);
    });
});

describe("local cluster ledger: kernel settings", () => {
    const decide = (before: string, ours: string, now: string) => sh(`sysctl_decide "${before}" "${ours}" "${now}"`);
    it("a setting that still holds the value our node left is put back", () => {
        assert.equal(decide("0", "1", "1"), "restore");
    });
    it("a setting someone changed after our node is left alone (Docker turning ip_forward on)", () => {
        assert.equal(decide("0", "1", "2"), "keep");
        // ours was "0" -> "1", someone set it back to 0 meanwhile: theirs, not ours.
        assert.equal(decide("0", "1", "0"), "keep");
    });
    it("a setting our node did not change is not touched", () => {
        assert.equal(decide("1", "1", "0"), "unchanged");
    });
});

describe("local cluster ledger: which iptables chains and rules are ours", () => {
    // One table as iptables-save prints it: our kube-proxy's chains (created after `up`), a
    // pod's CNI chain tagged with our network, and a foreign tool's chains with names alike.
    const NAT = `*nat
:PREROUTING ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-ABC - [0:0]
:KUBE-SEP-DEF - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:CNI-1234 - [0:0]
:CNI-5678 - [0:0]
:KUBE-FOREIGN - [0:0]
:CNI-HOSTPORT-DNAT - [0:0]
:KUBE-SVC-OLD - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A PREROUTING -j KUBE-FOREIGN
-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
-A POSTROUTING -j KUBE-POSTROUTING
-A POSTROUTING -s 10.244.0.5/32 -m comment --comment "name: \\"taskflow-local-node\\" id: \\"aaa\\"" -j CNI-1234
-A POSTROUTING -s 10.88.0.3/32 -m comment --comment "name: \\"podman\\" id: \\"bbb\\"" -j CNI-5678
-A KUBE-SERVICES -d 10.0.0.10/32 -p tcp -m comment --comment "default/web cluster IP" -j KUBE-SVC-ABC
-A KUBE-SVC-ABC -m comment --comment "default/web -> 10.244.0.7:80" -j KUBE-SEP-DEF
-A KUBE-SEP-DEF -s 10.244.0.7/32 -j KUBE-MARK-MASQ
-A KUBE-SEP-DEF -p tcp -m tcp -j DNAT --to-destination 10.244.0.7:80
-A KUBE-SEP-DEF -m set --match-set KUBE-DST-XYZ dst -j KUBE-SVC-OLD
-A CNI-1234 -d 10.244.0.0/24 -m comment --comment "name: \\"taskflow-local-node\\" id: \\"aaa\\"" -j ACCEPT
-A CNI-5678 -d 10.88.0.0/16 -m comment --comment "name: \\"podman\\" id: \\"bbb\\"" -j ACCEPT
-A KUBE-FOREIGN -m set --match-set FOREIGN-SET src -j ACCEPT
-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"podman\\" id: \\"bbb\\"" -j ACCEPT
COMMIT
`;
    const ROOTS = "KUBE-SERVICES KUBE-POSTROUTING KUBE-MARK-MASQ CNI-HOSTPORT-DNAT";
    const plan = (roots: string, before: string) => sh(`nf_plan "${roots}" "${before}" taskflow-local-node`, {}, NAT).split("\n");

    it("removes our roots and everything hanging off them, and the pod chains tagged with our network", () => {
        const p = plan(ROOTS, "CNI-HOSTPORT-DNAT");
        const removed = p.filter((l) => l.startsWith("-X ")).map((l) => l.slice(3)).sort();
        assert.deepEqual(removed, ["CNI-1234", "KUBE-MARK-MASQ", "KUBE-POSTROUTING", "KUBE-SEP-DEF", "KUBE-SERVICES", "KUBE-SVC-ABC", "KUBE-SVC-OLD"]);
        // Flushes come before deletes: a chain still referenced cannot be deleted.
        assert.ok(p.findIndex((l) => l.startsWith("-X ")) > p.findIndex((l) => l.startsWith("-F ")));
    });

    it("keeps foreign chains, even with KUBE-/CNI- names, and the rules that jump to them", () => {
        const p = plan(ROOTS, "CNI-HOSTPORT-DNAT").join("\n");
        for (const c of ["KUBE-FOREIGN", "CNI-5678", "CNI-HOSTPORT-DNAT"]) assert.ok(!p.includes(`-X ${c}`), `${c} would be removed`);
        assert.ok(!p.includes("-j KUBE-FOREIGN"));
        assert.ok(!p.includes('\\"podman\\"'), "a rule of the podman network would be removed");
    });

    it("deletes, in built-in chains, only the rules that jump into ours", () => {
        const deletes = plan(ROOTS, "CNI-HOSTPORT-DNAT").filter((l) => l.startsWith("-D "));
        assert.deepEqual(deletes, [
            '-D PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
            "-D POSTROUTING -j KUBE-POSTROUTING",
            '-D POSTROUTING -s 10.244.0.5/32 -m comment --comment "name: \\"taskflow-local-node\\" id: \\"aaa\\"" -j CNI-1234',
        ]);
    });

    it("a root name that existed before `up` is someone else's, with everything under it", () => {
        const p = plan(ROOTS, "KUBE-SERVICES KUBE-SVC-ABC KUBE-SEP-DEF KUBE-MARK-MASQ KUBE-SVC-OLD CNI-HOSTPORT-DNAT").join("\n");
        for (const c of ["KUBE-SERVICES", "KUBE-SVC-ABC", "KUBE-SEP-DEF"]) assert.ok(!p.includes(`-X ${c}\n`) && !p.endsWith(`-X ${c}`), `${c} would be removed`);
        assert.ok(!p.includes("-j KUBE-SERVICES"));
    });

    it("lists the ipsets our rules use, not those of foreign rules", () => {
        const sets = plan(ROOTS, "CNI-HOSTPORT-DNAT").filter((l) => l.startsWith("#set ")).map((l) => l.slice(5));
        assert.deepEqual(sets, ["KUBE-DST-XYZ"]);
    });

    it("counts as ours kube-router's policy sets born after `up` that no rule uses any more, and nothing else", () => {
        const born = ["KUBE-DST-ABCDEFGHIJKLMNOP", "KUBE-SRC-234567ABCDEFGHIJ", "inet6:KUBE-DST-QRSTUVWXYZ234567"];
        const names = [
            ...born,
            "KUBE-DST-BEFOREUPBEFOREUP", // there before `up`: someone else's
            "KUBE-SRC-INUSEINUSEINUSE2", // a rule still uses it: not an orphan
            "KUBE-DST-short", // not kube-router's shape
            "podman-e2e", "KUBE-DST-abcdefghijklmnop", // lower case is not base32 as kube-router writes it
        ].join("\n");
        const orphans = sh(`nf_orphan_policy_sets "KUBE-DST-BEFOREUPBEFOREUP other" "KUBE-SRC-INUSEINUSEINUSE2 x"`, {}, names);
        assert.deepEqual(orphans.split("\n"), born);
        assert.equal(sh(`nf_orphan_policy_sets "" ""`, {}, "podman-e2e\n"), "");
    });
});

describe("cluster.sh without a toolchain or an owner record", function () {
    let state: string;
    const env = () => ({
        ...process.env, TASKFLOW_STATE_DIR: state, TASKFLOW_TOOLS_DIR: path.join(state, "no-tools"),
        TASKFLOW_NODE_LOCK: path.join(state, "lock"), TASKFLOW_CLUSTER: "unit",
    });
    const children: ChildProcess[] = [];
    before(function () {
        if (!onLinux) this.skip();
    });
    beforeEach(() => {
        state = fs.mkdtempSync(path.join(os.tmpdir(), "cluster-unit-"));
    });
    afterEach(() => {
        for (const c of children.splice(0)) c.kill("SIGKILL");
        fs.rmSync(state, { recursive: true, force: true });
    });

    it("down with no owner record does nothing and says so; status says absent; leftovers is empty", () => {
        const down = spawnSync("bash", [CLUSTER, "down"], { env: env(), encoding: "utf8" });
        assert.equal(down.status, 0, down.stderr);
        assert.match(down.stderr, /no owner record.*nothing touched/);
        assert.ok(!fs.existsSync(path.join(state, "no-tools")), "down touched the toolchain");
        const status = spawnSync("bash", [CLUSTER, "status"], { env: env(), encoding: "utf8" });
        assert.equal(status.status, 3, status.stderr);
        assert.match(status.stdout, /cluster 'unit': absent/);
        const left = spawnSync("bash", [CLUSTER, "leftovers"], { env: env(), encoding: "utf8" });
        assert.equal(left.status, 0, left.stderr);
        assert.equal(left.stdout, "");
    });

    it("down signals the processes its ledger names, and not a stranger that got a recorded pid", () => {
        const ours = sleeper(children);
        const stranger = sleeper(children);
        const exe = fs.readlinkSync(`/proc/${ours}/exe`);
        const ledger = path.join(state, "ledger");
        fs.mkdirSync(path.join(ledger, "pids"), { recursive: true });
        fs.writeFileSync(path.join(ledger, "created"), `boot ${bootId()}\n`);
        fs.writeFileSync(path.join(ledger, "pids/kube-scheduler.pid"), `${ours} ${startOf(ours)} ${exe} ${bootId()}\n`);
        // etcd's record after a reboot or a crash: the pid now runs something else.
        fs.writeFileSync(path.join(ledger, "pids/etcd.pid"), `${stranger} ${Number(startOf(stranger)) + 3} ${exe} ${bootId()}\n`);
        const down = spawnSync("bash", [CLUSTER, "down"], { env: env(), encoding: "utf8" });
        assert.equal(down.status, 0, down.stderr);
        assert.ok(alive(stranger), "down signalled a process that is not ours");
        const state0 = fs.existsSync(`/proc/${ours}/stat`) ? fs.readFileSync(`/proc/${ours}/stat`, "utf8").replace(/^.*\) /s, "")[0] : "gone";
        assert.ok(state0 === "Z" || state0 === "gone", `our process is still running (${state0})`);
        assert.ok(fs.existsSync(path.join(state, "ledger.done/created")), "no receipt of the down");
        assert.ok(!fs.existsSync(ledger));
    });

    it("a ledger from an earlier boot is not acted on: its files go, nobody is signalled", () => {
        const pid = sleeper(children);
        const ledger = path.join(state, "ledger");
        fs.mkdirSync(path.join(ledger, "pids"), { recursive: true });
        fs.writeFileSync(path.join(ledger, "created"), "boot 00000000-0000-0000-0000-000000000000\nbin containerd /x\n");
        fs.writeFileSync(path.join(ledger, "pids/etcd.pid"), `${pid} ${startOf(pid)} ${fs.readlinkSync(`/proc/${pid}/exe`)} 00000000-0000-0000-0000-000000000000\n`);
        const down = spawnSync("bash", [CLUSTER, "down"], { env: env(), encoding: "utf8" });
        assert.equal(down.status, 0, down.stderr);
        assert.match(down.stderr, /earlier boot/);
        assert.ok(alive(pid));
        assert.ok(!fs.existsSync(ledger));
    });
});
