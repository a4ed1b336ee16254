// Outsiders the local cluster must keep out (outside review of 2026-12-07, B1 and M1): another
// local user (uid 65534, as an npm postinstall running unprivileged would be), and a machine on
// the LAN that routes the cluster's ranges through this host (a network namespace whose default
// route is a veth into the host, as a neighbour's default route would be this host).
import { execFileSync, spawnSync } from "child_process";

/** What one probe saw: the command's exit code and its output (stdout + stderr). */
export interface ProbeResult {
    readonly code: number;
    readonly out: string;
}

function probe(cmd: string, args: string[]): ProbeResult {
    const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 20_000 });
    return { code: r.status ?? -1, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/** CMD as uid/gid 65534 with no supplementary groups. */
export function asNobody(cmd: string, ...args: string[]): ProbeResult {
    return probe("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", cmd, ...args]);
}

/** A network namespace linked to the host by a veth, routing everything through the host. */
export class ForeignNetns {
    /** The host's end of the link, and its address. Not lo/tfbr+/tfn+/tfcache0: not ours. */
    static readonly HOST_IF = "fgn-e2e-h";
    static readonly HOST_IP = "198.18.0.1";
    private constructor(readonly name: string) {}

    static create(name = "fgn-e2e"): ForeignNetns {
        const sh = (...a: string[]) => execFileSync(a[0], a.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
        sh("ip", "netns", "add", name);
        const inside = (...a: string[]) => sh("nsenter", `--net=/run/netns/${name}`, ...a);
        sh("ip", "link", "add", ForeignNetns.HOST_IF, "type", "veth", "peer", "name", "fgn-e2e-n");
        sh("ip", "link", "set", "fgn-e2e-n", "netns", name);
        sh("ip", "addr", "add", `${ForeignNetns.HOST_IP}/30`, "dev", ForeignNetns.HOST_IF);
        sh("ip", "link", "set", ForeignNetns.HOST_IF, "up");
        inside("ip", "link", "set", "lo", "up");
        inside("ip", "addr", "add", "198.18.0.2/30", "dev", "fgn-e2e-n");
        inside("ip", "link", "set", "fgn-e2e-n", "up");
        inside("ip", "route", "add", "default", "via", ForeignNetns.HOST_IP);
        return new ForeignNetns(name);
    }

    /** CMD inside the namespace (its network only: the host's filesystem and cgroups). */
    run(cmd: string, ...args: string[]): ProbeResult {
        return probe("nsenter", [`--net=/run/netns/${this.name}`, cmd, ...args]);
    }

    /** True when a TCP connection to HOST:PORT is accepted from inside, within 3 s. */
    connects(host: string, port: number): boolean {
        return this.run("timeout", "3", "bash", "-c", `exec 3<>/dev/tcp/${host}/${port}`).code === 0;
    }

    /** Removes the namespace and, with it, both ends of the link. */
    remove(): void {
        spawnSync("ip", ["netns", "delete", this.name]);
    }
}

/** True when a TCP connection to HOST:PORT from the host itself is accepted within 3 s. */
export function hostConnects(host: string, port: number): boolean {
    return probe("timeout", ["3", "bash", "-c", `exec 3<>/dev/tcp/${host}/${port}`]).code === 0;
}
