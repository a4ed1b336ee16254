// The dev stack's whole life on the real engine and a local cluster whose one node runs real
// containers (containerd + runc, kube-proxy, CoreDNS, kube-router enforcing NetworkPolicies):
// install, network policy, no-op preview, config change and failing migration under load,
// template edit, credential rotation, invalid config, destroy, and a clean host after `down`.
// Scenarios run in order against one stack, as a user's deploys would; each asserts on the
// cluster, the running containers or the state.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

import { describeLoad, LoadGenerator, LoadReport, LocalTarget, ok, PROJECT_ROOT, readKernelSettings, skipUnlessRealNode, waitFor } from "./harness";
import { hostSnapshot } from "./host";

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes JSON is read loosely here. */

const RELEASE = "taskflow-api";
const NODE = "taskflow-node"; // local/cluster/node.sh
const APP_UID = "10001"; // chart/templates/_helpers.tpl, podSecurityContext
const OUTSIDER_NS = "e2e-outsider";

const isTrue = (conds: any[] | undefined, type: string) => (conds ?? []).some((c) => c.type === type && c.status === "True");

describe("the dev stack on the real engine and a local cluster with a real node", function () {
    this.timeout(15 * 60_000);
    let t: LocalTarget | undefined;
    let base: string;
    let ipsetsBefore: string[] = [];
    const loads: Record<string, LoadReport> = {};

    before(async function () {
        await skipUnlessRealNode(this);
        ipsetsBefore = hostSnapshot().ipsets;
        t = await LocalTarget.start();
        base = t.configFile("base");
    });
    after(async () => {
        if (t) await t.stop();
        for (const [what, r] of Object.entries(loads)) console.log(`    load during ${what}: ${describeLoad(r)}`);
    });

    const target = () => {
        assert.ok(t, "no cluster");
        return t;
    };
    const ns = () => target().namespace;
    const deployment = () => target().get<any>(["deployment", RELEASE, "-n", ns()]);
    const podsOf = async (selector: string) =>
        ((await target().get<any>(["pods", "-n", ns(), "-l", selector]))?.items ?? []) as any[];
    const apiPods = async () => (await podsOf("app.kubernetes.io/component=api")).filter((p) => !p.metadata.deletionTimestamp);
    const valkeyPod = async () => {
        const pods = (await podsOf(`app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/name=redis`)).filter((p) => !p.metadata.deletionTimestamp);
        assert.equal(pods.length, 1, "expected one Valkey pod");
        return pods[0].metadata.name as string;
    };
    const password = async () => {
        const secret = await target().get<any>(["secret", `${RELEASE}-redis-auth`, "-n", ns()]);
        return Buffer.from(secret.data["redis-password"], "base64").toString("utf8");
    };
    /** valkey-cli in the Valkey pod, authenticated with `auth` read from stdin (never argv). */
    const valkeyCli = async (auth: string | undefined, ...cmd: string[]) => {
        const script = auth === undefined ? 'exec valkey-cli "$@"' : 'REDISCLI_AUTH=$(cat) exec valkey-cli --no-auth-warning "$@"';
        return target().exec(ns(), await valkeyPod(), ["sh", "-c", script, "valkey-cli", ...cmd], auth);
    };
    /** GET a path from inside an app pod (the app's own Node.js): its view, not the Service's. */
    const fromPod = async (pod: string, urlPath: string) => {
        const r = ok(await target().exec(ns(), pod, ["node", "-e",
            `fetch("http://127.0.0.1:8080${urlPath}").then(async (r) => console.log(r.status, await r.text())).catch((e) => { console.log(0, e.message); process.exitCode = 1; })`]), `GET ${urlPath} in ${pod}`);
        const [status, ...body] = r.stdout.trim().split(" ");
        return { status: Number(status), body: JSON.parse(body.join(" ")) };
    };
    const serviceUrl = async (urlPath: string) => {
        const svc = await target().get<any>(["service", RELEASE, "-n", ns()]);
        return `http://${svc.spec.clusterIP}:${svc.spec.ports[0].port}${urlPath}`;
    };
    /** Runs `body` while a load generator hits the Service through kube-proxy. */
    const underLoad = async <T>(what: string, body: () => Promise<T>): Promise<[T, LoadReport]> => {
        const load = new LoadGenerator(await serviceUrl("/v1/roundtrip"));
        let result: T;
        try {
            result = await body();
        } finally {
            loads[what] = await load.stop();
        }
        console.log(`    load during ${what}: ${describeLoad(loads[what])}`);
        return [result, loads[what]];
    };

    it("installs dev from empty on the real node: migration applied with AUTH, app Ready because Redis answers, chart UID, read-only root", async () => {
        const tg = target();
        const clean = ok(await tg.pulumi(["preview"], base), "pulumi preview (clean state)");
        assert.doesNotMatch(clean.stdout + clean.stderr, /warning/i);
        const install = ok(await tg.pulumi(["up", "--yes"], base), "pulumi up (install)");
        assert.doesNotMatch(install.stdout + install.stderr, /warning/i);

        const namespace = await tg.get<any>(["namespace", ns()]);
        assert.equal(namespace.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
        const bad = await tg.kubectl(["run", "pss-probe", "-n", ns(), "--image=busybox:1.37", "--dry-run=server", "--restart=Never"]);
        assert.notEqual(bad.code, 0, "a non-compliant pod was admitted");
        assert.match(bad.stderr, /violates PodSecurity "restricted/);

        const dep = await deployment();
        assert.ok(isTrue(dep.status.conditions, "Available"), "Deployment is not Available");
        const pods = await apiPods();
        assert.equal(pods.length, 1);
        const pod = pods[0];
        assert.equal(pod.spec.nodeName, NODE, "the app pod is not on the real node");
        assert.ok(pod.status.containerStatuses[0].containerID.startsWith("containerd://"), "no real container behind the pod");
        assert.ok(isTrue(pod.status.conditions, "Ready"));

        // The migration ran against Valkey, authenticated: its marker is there, and Valkey
        // refuses a client without the password.
        const pw = await password();
        const marker = ok(await valkeyCli(pw, "HGET", "taskflow:schema", "version"), "valkey-cli HGET");
        assert.equal(marker.stdout.trim(), "1", `no migration marker in Valkey: ${marker.stdout}${marker.stderr}`);
        const anonymous = await valkeyCli(undefined, "GET", "taskflow:schema");
        assert.match(anonymous.stdout + anonymous.stderr, /NOAUTH|Authentication required/i);

        // The app is Ready because Redis answered: its readiness says so, and a round trip works.
        const ready = await fromPod(pod.metadata.name, "/health/ready");
        assert.equal(ready.status, 200);
        assert.equal(ready.body.redisConfirmed, true);
        const trip = await fromPod(pod.metadata.name, "/v1/roundtrip");
        assert.equal(trip.status, 200);
        assert.equal(trip.body.ok, true);
        assert.equal(String(trip.body.schema), "1");

        // The container runs as the chart's UID on a read-only root; only /tmp is writable.
        const id = ok(await tg.exec(ns(), pod.metadata.name, ["id"]), "id");
        assert.match(id.stdout, new RegExp(`^uid=${APP_UID}\\b.* gid=${APP_UID}\\b`));
        const root = await tg.exec(ns(), pod.metadata.name, ["touch", "/e2e-probe"]);
        assert.notEqual(root.code, 0, "the root filesystem is writable");
        assert.match(root.stderr, /Read-only file system/);
        ok(await tg.exec(ns(), pod.metadata.name, ["touch", "/tmp/e2e-probe"]), "touch /tmp/e2e-probe");

        // Valkey has a readiness probe now (upstream leaves it off).
        const valkey = await tg.get<any>(["pod", await valkeyPod(), "-n", ns()]);
        assert.ok(valkey.spec.containers[0].readinessProbe, "the Valkey container has no readiness probe");
        assert.equal(valkey.spec.nodeName, NODE);

        // The password never leaves the Secret.
        const values = ok(await tg.helm(["get", "values", RELEASE, "--all", "-o", "json"]), "helm get values");
        assert.ok(!values.stdout.includes(pw), "the password is in the Helm release values");
        const manifest = ok(await tg.helm(["get", "manifest", RELEASE]), "helm get manifest");
        assert.ok(!manifest.stdout.includes(pw), "the password is in the rendered manifests");
        assert.ok(!(await tg.exportState()).text.includes(pw), "the password is in the state in plaintext");
    });

    it("enforces the NetworkPolicy: helm test passes, another namespace cannot reach the app, the app cannot leave its egress list", async () => {
        const tg = target();
        const test = await tg.helm(["test", RELEASE, "--filter", `name=${RELEASE}-test`, "--timeout", "2m"]);
        ok(test, "helm test");
        assert.match(test.stdout, /Phase:\s+Succeeded/);

        // A listener on the host, outside the app's egress allow-list (DNS, Redis, 443, its own port).
        const server = net.createServer((s) => s.end("e2e-host-listener\n"));
        await new Promise<void>((r) => server.listen(0, "0.0.0.0", () => r()));
        const hostPort = (server.address() as net.AddressInfo).port;
        const hostIp = (await tg.get<any>(["node", NODE])).status.addresses.find((a: any) => a.type === "InternalIP").address;
        try {
            const appPod = (await apiPods())[0];
            const appIp = appPod.status.podIP as string;
            ok(await tg.kubectl(["create", "namespace", OUTSIDER_NS]), "create namespace");
            ok(await tg.kubectl(["run", "outsider", "-n", OUTSIDER_NS, "--image=busybox:1.37", "--restart=Never", "--command", "--", "sleep", "600"]), "kubectl run outsider");
            ok(await tg.kubectl(["wait", "--for=condition=Ready", "pod/outsider", "-n", OUTSIDER_NS, "--timeout=60s"]), "outsider Ready");
            const wget = (url: string) => tg.exec(OUTSIDER_NS, "outsider", ["wget", "-q", "-O-", "-T", "3", "-t", "1", url]);

            // Positive controls: the outsider's network works (the host listener answers it), so a
            // refusal below is the policy's doing.
            const control = await wget(`http://${hostIp}:${hostPort}/`);
            assert.equal(control.code, 0, `the outsider cannot reach the host at all: ${control.stderr}`);
            const blocked = await wget(`http://${appIp}:8080/health/live`);
            assert.notEqual(blocked.code, 0, "a pod in another namespace reached the app port");

            // The app pod's egress: its own Node.js tries the same listener. kube-router rejects
            // (connection refused) or drops (timeout) what the policy does not allow; the control
            // above proved the listener answers, so anything but "reached" is the policy.
            const probe = `const s = require("net").connect(${hostPort}, "${hostIp}"); s.setTimeout(3000);` +
                `s.on("data", () => { console.log("reached"); process.exit(0); }); s.on("timeout", () => { console.log("timeout"); process.exit(3); });` +
                `s.on("error", (e) => { console.log(e.code); process.exit(4); });`;
            const egress = await tg.exec(ns(), appPod.metadata.name, ["node", "-e", probe]);
            assert.notEqual(egress.stdout.trim(), "reached", "the app reached a host port outside its egress allow-list");
            assert.match(egress.stdout.trim(), /^(timeout|ECONNREFUSED)$/, `unexpected probe result: ${egress.stdout}${egress.stderr}`);
        } finally {
            server.close();
            await tg.kubectl(["delete", "namespace", OUTSIDER_NS, "--wait=false"]);
        }
    });

    it("previews no changes right after, and prints no warning", async () => {
        const r = await target().pulumi(["preview", "--expect-no-changes", "--diff"], base);
        ok(r, "pulumi preview --expect-no-changes");
        assert.doesNotMatch(r.stdout + r.stderr, /warning/i);
    });

    it("a config change updates only the Release and rolls the pods with zero failed requests", async () => {
        const tg = target();
        const changed = tg.configFile("env-change", (c) => {
            c["taskflow-api:app"].env.LOG_LEVEL = "info";
        });
        const plan = ok(await tg.pulumi(["preview", "--json"], changed), "pulumi preview --json");
        const steps = (JSON.parse(plan.stdout).steps ?? []) as Array<{ op: string; urn: string }>;
        const changedSteps = steps.filter((s) => s.op !== "same");
        assert.deepEqual(changedSteps.map((s) => `${s.op} ${s.urn.split("::").pop()}`), ["update taskflow-api"]);

        const before = new Set((await apiPods()).map((p) => p.metadata.name));
        const [up, load] = await underLoad("the config-change rollout", () => tg.pulumi(["up", "--yes"], changed));
        ok(up, "pulumi up (env change)");
        assert.ok(load.requests > 50, `too few requests to judge (${load.requests})`);
        assert.equal(load.failed, 0, `requests failed during the rollout: ${load.failures.join("; ")}`);
        const after = await apiPods();
        assert.ok(after.every((p) => !before.has(p.metadata.name)), "pods were not replaced by the config change");
        const cm = await tg.get<any>(["configmap", RELEASE, "-n", ns()]);
        assert.equal(cm.data.LOG_LEVEL, "info");
        base = changed;
    });

    it("a template-only chart edit updates the Release (the chart hash works end to end)", async () => {
        const tg = target();
        const copy = fs.mkdtempSync(path.join(os.tmpdir(), "taskflow-e2e-project-"));
        try {
            execFileSync("bash", ["-c", 'tar -C "$1" --exclude=./node_modules --exclude=./.git --exclude=./.state -cf - . | tar -C "$2" -xf -', "_", PROJECT_ROOT, copy]);
            fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(copy, "node_modules"));
            const tpl = path.join(copy, "chart/templates/deployment.yaml");
            const text = fs.readFileSync(tpl, "utf8");
            const anchor = "    taskflow-api/chart-hash: {{ . | quote }}\n";
            assert.ok(text.includes(anchor), "deployment.yaml changed: update the e2e edit anchor");
            fs.writeFileSync(tpl, text.replace(anchor, `${anchor}    taskflow.dev/e2e-template-edit: "1"\n`));
            const revisions = (await tg.releaseHistory()).length;

            ok(await tg.pulumi(["up", "--yes"], base, copy), "pulumi up (edited chart copy)");
            const dep = await deployment();
            assert.equal(dep.metadata.annotations["taskflow.dev/e2e-template-edit"], "1");
            assert.equal((await tg.releaseHistory()).length, revisions + 1);
        } finally {
            fs.rmSync(copy, { recursive: true, force: true });
        }
        ok(await tg.pulumi(["up", "--yes"], base), "pulumi up (committed chart)");
    });

    it("a failing migration fails the up and the atomic release rolls back with zero failed requests; the next good up converges", async () => {
        const tg = target();
        const template0 = JSON.stringify((await deployment()).spec.template);
        const failing = tg.configFile("failing-migration", (c) => {
            // The reference app's migrate command exits 1 when MIGRATION_FAIL is set.
            c["taskflow-api:app"].migrations = { ...c["taskflow-api:app"].migrations, backoffLimit: 0 };
            c["taskflow-api:app"].env.MIGRATION_FAIL = "e2e: a migration that fails";
        });
        const [r, load] = await underLoad("the failing-migration rollback", () => tg.pulumi(["up", "--yes"], failing));
        assert.notEqual(r.code, 0, "pulumi up succeeded although the migration failed");
        assert.ok(load.requests > 50, `too few requests to judge (${load.requests})`);
        assert.equal(load.failed, 0, `requests failed during the rollback: ${load.failures.join("; ")}`);

        const history = await tg.releaseHistory();
        const last = history[history.length - 1];
        assert.equal(last.status, "deployed");
        assert.match(last.description, /Rollback/i);
        assert.ok(history.some((h) => h.status === "failed"), `no failed revision in ${JSON.stringify(history)}`);
        const dep = await deployment();
        assert.ok(isTrue(dep.status.conditions, "Available"), "the previous revision is not serving");
        assert.equal(JSON.stringify(dep.spec.template), template0, "the pods' template changed although the release rolled back");
        const cm = await tg.get<any>(["configmap", RELEASE, "-n", ns()]);
        assert.equal(cm.data.MIGRATION_FAIL, undefined);

        ok(await tg.pulumi(["up", "--yes"], base), "pulumi up (good config after the failure)");
        ok(await tg.pulumi(["preview", "--expect-no-changes"], base), "pulumi preview --expect-no-changes after recovery");
    });

    it("a credential rotation (redis.authTokenVersion bump) replaces every app pod, and each reaches Redis with the new password", async () => {
        const tg = target();
        const oldPassword = await password();
        const before = new Set((await apiPods()).map((p) => p.metadata.name));
        const rotated = tg.configFile("rotated", (c) => {
            c["taskflow-api:redis"].authTokenVersion = 2;
        });
        ok(await tg.pulumi(["up", "--yes"], rotated), "pulumi up (rotation)");
        base = rotated;

        const newPassword = await password();
        assert.notEqual(newPassword, oldPassword, "the password did not change");
        const pods = await apiPods();
        assert.ok(pods.length > 0);
        for (const p of pods) {
            assert.ok(!before.has(p.metadata.name), `pod ${p.metadata.name} survived the rotation`);
            assert.ok(isTrue(p.status.conditions, "Ready"), `pod ${p.metadata.name} is not Ready`);
            const trip = await fromPod(p.metadata.name, "/v1/roundtrip");
            assert.equal(trip.status, 200, `round trip from ${p.metadata.name}: ${JSON.stringify(trip.body)}`);
        }
        // Valkey took the new password and no longer accepts the old one.
        const stale = await valkeyCli(oldPassword, "PING");
        assert.match(stale.stdout + stale.stderr, /WRONGPASS|invalid username-password|NOAUTH/i);
        assert.equal(ok(await valkeyCli(newPassword, "PING"), "PING").stdout.trim(), "PONG");
    });

    it("an invalid stack config fails naming the keys, and changes nothing in the cluster or the state", async () => {
        const tg = target();
        const state0 = JSON.stringify((await tg.exportState()).resources);
        const history0 = JSON.stringify(await tg.releaseHistory());
        // Generation and spec, not resourceVersion: the controller still writes status while the
        // previous scenario's old pods finish terminating.
        const dep0 = await deployment();
        const spec0 = JSON.stringify([dep0.metadata.generation, dep0.spec]);
        const invalid = tg.configFile("invalid", (c) => {
            c["taskflow-api:app"].replicaCount = 0;
            c["taskflow-api:app"].replicas = 3; // unknown key (typo of replicaCount)
        });
        const r = await tg.pulumi(["up", "--yes"], invalid);
        assert.notEqual(r.code, 0);
        const out = r.stdout + r.stderr;
        assert.match(out, /app\.replicaCount/);
        assert.match(out, /app\.replicas\b/);
        assert.equal(JSON.stringify((await tg.exportState()).resources), state0, "the state changed");
        assert.equal(JSON.stringify(await tg.releaseHistory()), history0, "the release changed");
        const dep1 = await deployment();
        assert.equal(JSON.stringify([dep1.metadata.generation, dep1.spec]), spec0, "the Deployment changed");
    });

    it("destroy removes the namespace and everything in it, and empties the stack", async () => {
        const tg = target();
        ok(await tg.pulumi(["destroy", "--yes"], base), "pulumi destroy");
        await waitFor("the namespace to be gone", async () => ((await tg.get(["namespace", ns()])) === undefined ? true : undefined), 180_000);
        const left = ok(await tg.kubectl(["get", "all", "-A", "-l", `app.kubernetes.io/instance=${RELEASE}`, "-o", "name"]), "kubectl get all");
        assert.equal(left.stdout.trim(), "");
        assert.equal((await tg.exportState()).resources.length, 0);
    });

    it("cluster.sh down leaves no process, namespace, interface, chain, mount or cgroup of ours, and restores the kernel settings", async () => {
        const tg = target();
        ok(await tg.clusterSh(["down"]), "cluster.sh down");
        const left = ok(await tg.clusterSh(["leftovers"]), "cluster.sh leftovers");
        assert.equal(left.stdout.trim(), "", `left on the host after down:\n${left.stdout}`);
        assert.deepEqual(readKernelSettings(), tg.kernelBefore, "kernel settings differ from before `up`");
        // kube-router's policy sets outlive a destroy (it collects stale ones on its next full
        // sync, which never comes): down must take them, or the next cluster's kube-router would.
        const born = hostSnapshot().ipsets.filter((s) => !ipsetsBefore.includes(s));
        assert.deepEqual(born, [], "ipsets made during the suite are still on the host after down");
        // Idempotent: a second down is a no-op that succeeds.
        ok(await tg.clusterSh(["down"]), "cluster.sh down (again)");
        await tg.stop();
        t = undefined;
    });
});
