// What the local cluster leaves on the host, read from the host itself (not from the cluster's
// own ledger): listening sockets of its processes, and a snapshot of the host-global state a
// node can touch (iptables, ipsets, netns, interfaces, mounts, cgroups, well-known directories,
// kernel settings), to compare before `up` and after `down`.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { readKernelSettings } from "./harness";

const NODE_RUN = "/run/taskflow-node"; // local/cluster/node.sh

function out(cmd: string, args: string[]): string {
    try {
        return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    } catch {
        return "";
    }
}
const lines = (s: string) => s.split("\n").map((l) => l.trim()).filter(Boolean);

/** The pids of a cluster's processes: its ledger's records, and (not trusting the ledger) every
 * process running a binary the ledger lists with the state dir or the node's run dir in its args. */
export function clusterPids(stateDir: string): Set<number> {
    const pids = new Set<number>();
    const ledger = path.join(stateDir, "ledger");
    // Node 1's records, and those of every extra node (cluster.sh up --nodes N: ledger/nodes/tfn<i>).
    const pidDirs = [path.join(ledger, "pids"), ...extraNodeLedgers(stateDir).map((l) => path.join(l, "pids"))];
    for (const pidDir of pidDirs.filter((d) => fs.existsSync(d))) {
        for (const f of fs.readdirSync(pidDir)) pids.add(Number(fs.readFileSync(path.join(pidDir, f), "utf8").split(" ")[0]));
    }
    const created = path.join(ledger, "created");
    const bins = new Set(fs.existsSync(created) ? lines(fs.readFileSync(created, "utf8")).filter((l) => l.startsWith("bin ")).map((l) => l.split(" ")[2]) : []);
    for (const p of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
        try {
            if (!bins.has(fs.readlinkSync(`/proc/${p}/exe`))) continue;
            const cmd = fs.readFileSync(`/proc/${p}/cmdline`, "utf8");
            if (cmd.includes(`${stateDir}/`) || cmd.includes(`${NODE_RUN}/`) || /\/run\/netns\/tfn\d+\0|\/run\/tfn\d+\//.test(cmd)) pids.add(Number(p));
        } catch {
            // the process exited meanwhile
        }
    }
    return pids;
}

/** The ledgers of a cluster's extra nodes (local/cluster/nodes.sh), live or after `down` (ledger.done). */
export function extraNodeLedgers(stateDir: string): string[] {
    const dir = [path.join(stateDir, "ledger", "nodes"), path.join(stateDir, "ledger.done", "nodes")].find((d) => fs.existsSync(d));
    return dir ? fs.readdirSync(dir).map((n) => path.join(dir, n)) : [];
}

/** The network namespaces of a cluster's extra nodes that exist now (tfn2, tfn3, ...). */
export function extraNodeNetns(stateDir: string): string[] {
    return extraNodeLedgers(stateDir).map((l) => path.basename(l)).filter((n) => fs.existsSync(`/run/netns/${n}`));
}

export interface ListeningSocket {
    /** The network namespace the socket lives in: "host", or an extra node's (tfn2, ...). */
    readonly netns: string;
    readonly proto: string;
    readonly address: string;
    readonly port: number;
    readonly process: string;
    readonly pid: number;
}

/**
 * Every listening TCP socket and bound UDP socket of `pids` (`ss -H -ltunp`), in the host's
 * network namespace and in each of `netns` (an extra node's: its loopback is its own, reachable
 * from inside that namespace only).
 */
export function listeningSockets(pids: Set<number>, netns: string[] = []): ListeningSocket[] {
    const found: ListeningSocket[] = [];
    const tables: Array<[string, string]> = [["host", out("ss", ["-H", "-ltunp"])],
        ...netns.map((n): [string, string] => [n, out("nsenter", [`--net=/run/netns/${n}`, "ss", "-H", "-ltunp"])])];
    for (const [ns, table] of tables) for (const l of lines(table)) {
        const cols = l.split(/\s+/);
        const local = cols[4];
        const i = local.lastIndexOf(":");
        const address = local.slice(0, i).replace(/^\[|\]$/g, "").replace(/%.*$/, "");
        for (const m of l.matchAll(/\("([^"]+)",pid=(\d+)/g)) {
            const pid = Number(m[2]);
            if (pids.has(pid)) found.push({ netns: ns, proto: cols[0], address, port: Number(local.slice(i + 1)), process: exeName(pid) ?? m[1], pid });
        }
    }
    return found;
}

/** The executable's name: ss prints the kernel's 15-character comm ("kube-controller"). */
function exeName(pid: number): string | undefined {
    try {
        return path.basename(fs.readlinkSync(`/proc/${pid}/exe`));
    } catch {
        return undefined;
    }
}

export const isLoopback = (address: string) => address.startsWith("127.") || address === "::1";

/** The host-global state a local node can change, as sorted lists of strings. */
export interface HostSnapshot {
    readonly [what: string]: string[];
}

/** Directories the node's programs create when they are missing (or would, misconfigured). */
const WATCHED_PATHS = ["/run/netns", "/var/lib/cni", "/etc/cni", "/opt/cni", "/var/lib/kubelet", "/var/log/pods",
    "/var/lib/containerd", "/run/containerd", "/etc/kubernetes", "/var/lib/kube-router", "/var/lib/kube-proxy",
    NODE_RUN, path.join(os.homedir(), ".kube")];

export function hostSnapshot(): HostSnapshot {
    const chains: string[] = [];
    const rules: string[] = [];
    for (const fam of ["iptables", "ip6tables"]) {
        let table = "";
        for (const l of lines(out(`${fam}-save`, []))) {
            if (l.startsWith("*")) table = l.slice(1);
            else if (l.startsWith(":") && l.split(" ")[1] === "-") chains.push(`${fam} -t ${table} ${l.split(" ")[0].slice(1)}`);
            else if (l.startsWith("-A ")) rules.push(`${fam} -t ${table} ${l}`);
        }
    }
    const cgroups = ["/sys/fs/cgroup/kubepods", ...(fs.existsSync("/sys/fs/cgroup") ? fs.readdirSync("/sys/fs/cgroup").map((h) => `/sys/fs/cgroup/${h}/kubepods`) : [])]
        .filter((p) => fs.existsSync(p));
    const kernel = Object.entries(readKernelSettings()).map(([k, v]) => `${k}=${v}`);
    const sorted = (a: string[]) => [...new Set(a)].sort();
    return {
        chains: sorted(chains),
        rules: sorted(rules),
        ipsets: sorted(lines(out("ipset", ["list", "-n"]))),
        netns: sorted(lines(out("ip", ["netns", "list"])).map((l) => l.split(" ")[0])),
        links: sorted(lines(out("ip", ["-o", "link", "show"])).map((l) => l.split(": ")[1].replace(/@.*$/, ""))),
        mounts: sorted(lines(fs.readFileSync("/proc/self/mountinfo", "utf8")).map((l) => l.split(" ")[4])),
        cgroups: sorted(cgroups),
        paths: sorted(WATCHED_PATHS.filter((p) => fs.existsSync(p))),
        kernel: sorted(kernel),
    };
}

/** What differs between two snapshots, one line per entry ("+ added" / "- removed"), "" when none. */
export function diffSnapshots(before: HostSnapshot, after: HostSnapshot, ignore: (entry: string) => boolean = () => false): string {
    const out: string[] = [];
    for (const what of Object.keys(before)) {
        const b = new Set(before[what]);
        const a = new Set(after[what]);
        for (const e of a) if (!b.has(e) && !ignore(e)) out.push(`+ ${what}: ${e}`);
        for (const e of b) if (!a.has(e) && !ignore(e)) out.push(`- ${what}: ${e}`);
    }
    return out.join("\n");
}
