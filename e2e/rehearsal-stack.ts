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

/**
 * Prod's Ingress names the IngressClass `alb`, and the preflight reads it before the release (on
 * EKS the AWS Load Balancer Controller makes it). The local cluster gets the object alone: no
 * controller serves it, so the Ingress is an object only (drift and heal see it; no traffic goes
 * through it). The same object as `npm start -- rehearsal` (ops/start.sh) applies.
 */
export const ALB_INGRESS_CLASS = {
    apiVersion: "networking.k8s.io/v1", kind: "IngressClass",
    metadata: { name: "alb", labels: { "app.kubernetes.io/managed-by": "taskflow-local" }, annotations: { "taskflow-api/note": "object only: no controller on the local cluster" } },
    spec: { controller: "ingress.k8s.aws/alb" },
};

export class RehearsalStack {
    private revision = 0;
    private ingressClass = false;

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
        await this.ensureIngressClass();
        return ok(await this.t.pulumi(["up", "--yes", "--skip-preview"], file), "pulumi up --stack rehearsal");
    }

    /** The `alb` IngressClass on the target's cluster (once; see ALB_INGRESS_CLASS). */
    async ensureIngressClass(): Promise<void> {
        if (this.ingressClass) return;
        const file = path.join(this.t.stateDir, "ingressclass-alb.json");
        fs.writeFileSync(file, JSON.stringify(ALB_INGRESS_CLASS));
        ok(await this.t.kubectl(["apply", "-f", file]), "kubectl apply IngressClass alb");
        this.ingressClass = true;
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
