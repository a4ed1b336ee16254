// The `rehearsal` stack on a local target, shared by the suites that run prod's release for real
// (rehearsal.test.ts on one node, zones.test.ts on three): the ElastiCache stand-in beside the
// cluster, the stack config with the stand-in's token and CA as secret values, and the app's
// pods as a rollout leaves them.
import * as fs from "fs";
import * as path from "path";

import { LocalTarget, ok, PROJECT_ROOT, run, RunResult } from "./harness";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export const REHEARSAL_STACK = "rehearsal";
const STANDIN = path.join(PROJECT_ROOT, "local/standin/elasticache.sh");
/** The app's pods (not the migration job's). */
export const API_PODS = "app.kubernetes.io/name=taskflow-api,app.kubernetes.io/component=api";

export const isReady = (p: Json): boolean => (p.status?.conditions ?? []).some((c: Json) => c.type === "Ready" && c.status === "True");

export class RehearsalStack {
    private revision = 0;

    constructor(readonly t: LocalTarget) {}

    /** local/standin/elasticache.sh with ARGS (up, cli, failover, rotate, ...), in the target's state dir. */
    standin(args: string[]): Promise<RunResult> {
        return run("bash", [STANDIN, ...args], { env: this.t.env });
    }

    /** Where the stand-in keeps its token, CA and ledger. */
    get standinDir(): string {
        return path.join(this.t.stateDir, "standin");
    }

    /**
     * A new config file: the committed stack config with `edit` applied (a config is always written
     * whole), plus the stand-in's current token and CA as secret values. The token goes through
     * stdin, never argv.
     */
    async config(edit: (c: Json) => void = () => undefined): Promise<string> {
        const file = this.t.configFile(`${REHEARSAL_STACK}-${++this.revision}`, edit);
        const set = ["config", "set", "--stack", REHEARSAL_STACK, "--config-file", file, "--non-interactive", "--secret", "--path"];
        ok(await run("bash", ["-c", 'pulumi "${@:2}" < "$1"', "_", path.join(this.standinDir, "token"), ...set, "taskflow-api:redis.authToken"],
            { cwd: PROJECT_ROOT, env: this.t.env }), "pulumi config set redis.authToken");
        const ca = fs.readFileSync(path.join(this.standinDir, "ca.crt"), "utf8");
        ok(await run("pulumi", [...set, "taskflow-api:redis.caCert", "--", ca], { cwd: PROJECT_ROOT, env: this.t.env }), "pulumi config set redis.caCert");
        return file;
    }

    async up(file: string): Promise<RunResult> {
        return ok(await this.t.pulumi(["up", "--yes", "--skip-preview"], file), "pulumi up --stack rehearsal");
    }

    /** The app's pods, those being deleted left out. */
    async apiPods(): Promise<Json[]> {
        const list = await this.t.get<Json>(["pods", "-n", this.t.namespace, "-l", API_PODS]);
        return (list?.items ?? []).filter((p: Json) => !p.metadata.deletionTimestamp);
    }

    /** The pods once the Deployment has rolled out `min` (or its replicas, if more) Ready pods; else undefined. */
    async allReady(min = 3): Promise<Json[] | undefined> {
        const dep = await this.t.get<Json>(["deployment", "taskflow-api", "-n", this.t.namespace]);
        const pods = await this.apiPods();
        const want = Math.max(min, dep?.spec?.replicas ?? min);
        const rolled = dep && dep.status?.updatedReplicas === want && dep.status?.readyReplicas === want && (dep.status?.replicas ?? 0) === want;
        return rolled && pods.length === want && pods.every(isReady) ? pods : undefined;
    }
}
