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
    const pidDir = path.join(ledger, "pids");
    if (fs.existsSync(pidDir)) {
        for (const f of fs.readdirSync(pidDir)) pids.add(Number(fs.readFileSync(path.join(pidDir, f), "utf8").split(" ")[0]));
    }
    const created = path.join(ledger, "created");
    const bins = new Set(fs.existsSync(created) ? lines(fs.readFileSync(created, "utf8")).filter((l) => l.startsWith("bin ")).map((l) => l.split(" ")[2]) : []);
    for (const p of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
        try {
            if (!bins.has(fs.readlinkSync(`/proc/${p}/exe`))) continue;
            const cmd = fs.readFileSync(`/proc/${p}/cmdline`, "utf8");
            if (cmd.includes(`${stateDir}/`) || cmd.includes(`${NODE_RUN}/`)) pids.add(Number(p));
        } catch {
            // the process exited meanwhile
        }
    }
    return pids;
}

export interface ListeningSocket {
    readonly proto: string;
    readonly address: string;
    readonly port: number;
    readonly process: string;
    readonly pid: number;
}

/** Every listening TCP socket and bound UDP socket of `pids` (`ss -H -ltunp`). */
export function listeningSockets(pids: Set<number>): ListeningSocket[] {
    const found: ListeningSocket[] = [];
    for (const l of lines(out("ss", ["-H", "-ltunp"]))) {
        const cols = l.split(/\s+/);
        const local = cols[4];
        const i = local.lastIndexOf(":");
        const address = local.slice(0, i).replace(/^\[|\]$/g, "").replace(/%.*$/, "");
        for (const m of l.matchAll(/\("([^"]+)",pid=(\d+)/g)) {
            const pid = Number(m[2]);
            if (pids.has(pid)) found.push({ proto: cols[0], address, port: Number(local.slice(i + 1)), process: exeName(pid) ?? m[1], pid });
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
