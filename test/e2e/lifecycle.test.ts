// The dev stack's whole life on a real engine and a real API server (kwok simulates only the
// kubelets): install, no-op preview, config change, chart change, failed migration with atomic
// rollback, invalid config, destroy. Scenarios run in order against one stack, as a user's
// deploys would; each asserts on the cluster or the state.
import { strict as assert } from "assert";
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { LocalTarget, ok, PROJECT_ROOT, waitFor } from "./harness";

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes JSON is read loosely here. */

const RELEASE = "taskflow-api";
const FAIL_LABEL = "taskflow.dev/e2e-fail-job"; // scripts/cluster/stages.yaml fails such Job pods

const isTrue = (conds: any[] | undefined, type: string) => (conds ?? []).some((c) => c.type === type && c.status === "True");
const ts = (s: string) => new Date(s).getTime();

describe("the dev stack on the real engine and a local control plane", function () {
    this.timeout(15 * 60_000);
    let t: LocalTarget;
    let base: string;

    before(async () => {
        t = await LocalTarget.start();
        base = t.configFile("base");
    });
    after(async () => {
        if (t) await t.stop();
    });

    const deployment = () => t.get<any>(["deployment", RELEASE, "-n", t.namespace]);
    const apiPods = async () =>
        ((await t.get<any>(["pods", "-n", t.namespace, "-l", "app.kubernetes.io/component=api"]))?.items ?? []) as any[];

    it("installs dev from empty without a warning: PSS enforced, migration before the app, app available, Valkey ready, secret kept secret", async () => {
        // A preview on a clean state, then the install: neither prints a warning (no undefined
        // outputs, no ambient or mismatched plugins).
        const clean = ok(await t.pulumi(["preview"], base), "pulumi preview (clean state)");
        assert.doesNotMatch(clean.stdout + clean.stderr, /warning/i);
        const install = ok(await t.pulumi(["up", "--yes"], base), "pulumi up (install)");
        assert.doesNotMatch(install.stdout + install.stderr, /warning/i);

        const ns = await t.get<any>(["namespace", t.namespace]);
        assert.equal(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
        // Admission is real: a pod that runs as root with privilege escalation is refused.
        const bad = await t.kubectl(["run", "pss-probe", "-n", t.namespace, "--image=busybox:1.37", "--dry-run=server", "--restart=Never"]);
        assert.notEqual(bad.code, 0, "a non-compliant pod was admitted");
        assert.match(bad.stderr, /violates PodSecurity "restricted/);

        const dep = await deployment();
        assert.ok(isTrue(dep.status.conditions, "Available"), "Deployment is not Available");
        assert.equal(dep.status.availableReplicas, 1);

        // The hook Job is deleted once it succeeds (hook-succeeded), so its events are the record.
        const events = ((await t.get<any>(["events", "-n", t.namespace]))?.items ?? []) as any[];
        const jobEvent = (reason: string) => {
            const e = events.find((x) => x.involvedObject.kind === "Job" && x.reason === reason && /-migrate-1$/.test(x.involvedObject.name));
            assert.ok(e, `no ${reason} event for the migration Job; events: ${events.map((x) => `${x.involvedObject.kind}/${x.reason}`).join(", ")}`);
            return ts(e.lastTimestamp ?? e.eventTime);
        };
        const jobStarted = jobEvent("SuccessfulCreate");
        const jobDone = jobEvent("Completed");
        const pods = await apiPods();
        assert.ok(pods.length > 0);
        for (const p of pods) {
            const created = ts(p.metadata.creationTimestamp);
            // Timestamps have 1 s resolution; the Job pod takes 2 s to finish (TASKFLOW_READY_DELAY_MS).
            assert.ok(created > jobStarted, `app pod ${p.metadata.name} was created while the migration was starting`);
            assert.ok(created >= jobDone, `app pod ${p.metadata.name} was created before the migration finished`);
        }

        const valkey = ((await t.get<any>(["pods", "-n", t.namespace, "-l", `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/name=redis`]))?.items ?? []) as any[];
        assert.equal(valkey.length, 1, "expected one Valkey pod");
        assert.ok(isTrue(valkey[0].status.conditions, "Ready"), "Valkey pod is not Ready");

        const secret = await t.get<any>(["secret", `${RELEASE}-redis-auth`, "-n", t.namespace]);
        const password = Buffer.from(secret.data["redis-password"], "base64").toString("utf8");
        assert.ok(password.length >= 32);
        const values = ok(await t.helm(["get", "values", RELEASE, "--all", "-o", "json"]), "helm get values");
        assert.ok(!values.stdout.includes(password), "the password is in the Helm release values");
        const manifest = ok(await t.helm(["get", "manifest", RELEASE]), "helm get manifest");
        assert.ok(!manifest.stdout.includes(password), "the password is in the rendered manifests");
        const state = await t.exportState();
        assert.ok(!state.text.includes(password), "the password is in the state in plaintext");
    });

    it("previews no changes right after, and prints no warning", async () => {
        const r = await t.pulumi(["preview", "--expect-no-changes", "--diff"], base);
        ok(r, "pulumi preview --expect-no-changes");
        assert.doesNotMatch(r.stdout + r.stderr, /warning/i);
    });

    it("a config change updates only the Release and rolls the pods with zero unavailable", async () => {
        const changed = t.configFile("env-change", (c) => {
            c["taskflow-api:app"].env.LOG_LEVEL = "info";
        });
        const plan = ok(await t.pulumi(["preview", "--json"], changed), "pulumi preview --json");
        const steps = (JSON.parse(plan.stdout).steps ?? []) as Array<{ op: string; urn: string }>;
        const changedSteps = steps.filter((s) => s.op !== "same");
        assert.deepEqual(changedSteps.map((s) => `${s.op} ${s.urn.split("::").pop()}`), ["update taskflow-api"]);
        assert.match(changedSteps[0].urn, /kubernetes:helm\.sh\/v3:Release/);

        const before = new Set((await apiPods()).map((p) => p.metadata.name));
        // Watch the Deployment while the update runs: availability must never drop.
        let minAvailable = Infinity;
        let watching = true;
        const watcher = (async () => {
            while (watching) {
                const d = await deployment();
                minAvailable = Math.min(minAvailable, d?.status?.availableReplicas ?? 0);
                await new Promise((r) => setTimeout(r, 200));
            }
        })();
        const up = await t.pulumi(["up", "--yes"], changed);
        watching = false;
        await watcher;
        ok(up, "pulumi up (env change)");
        assert.ok(minAvailable >= 1, `available replicas dropped to ${minAvailable} during the rollout`);
        const after = (await apiPods()).map((p) => p.metadata.name);
        assert.ok(after.every((n) => !before.has(n)), "pods were not replaced by the config change");
        const cm = await t.get<any>(["configmap", RELEASE, "-n", t.namespace]);
        assert.equal(cm.data.LOG_LEVEL, "info");
        base = changed; // the stack's config from here on
    });

    it("a template-only chart edit updates the Release (the chart hash works end to end)", async () => {
        const copy = fs.mkdtempSync(path.join(os.tmpdir(), "taskflow-e2e-project-"));
        try {
            execFileSync("bash", ["-c", 'tar -C "$1" --exclude=./node_modules --exclude=./.git --exclude=./.state -cf - . | tar -C "$2" -xf -', "_", PROJECT_ROOT, copy]);
            fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(copy, "node_modules"));
            const tpl = path.join(copy, "chart/templates/deployment.yaml");
            const text = fs.readFileSync(tpl, "utf8");
            const anchor = "    taskflow-api/chart-hash: {{ . | quote }}\n";
            assert.ok(text.includes(anchor), "deployment.yaml changed: update the e2e edit anchor");
            fs.writeFileSync(tpl, text.replace(anchor, `${anchor}    taskflow.dev/e2e-template-edit: "1"\n`));
            const revisions = (await t.releaseHistory()).length;

            ok(await t.pulumi(["up", "--yes"], base, copy), "pulumi up (edited chart copy)");
            const dep = await deployment();
            assert.equal(dep.metadata.annotations["taskflow.dev/e2e-template-edit"], "1");
            assert.equal((await t.releaseHistory()).length, revisions + 1);
        } finally {
            fs.rmSync(copy, { recursive: true, force: true });
        }
        // Back to the committed chart.
        ok(await t.pulumi(["up", "--yes"], base), "pulumi up (committed chart)");
    });

    it("a failing migration fails the up, the atomic release rolls back and keeps serving; the next good up converges", async () => {
        const dep0 = await deployment();
        const template0 = JSON.stringify(dep0.spec.template);
        const failing = t.configFile("failing-migration", (c) => {
            c["taskflow-api:app"].migrations = { backoffLimit: 0, podLabels: { [FAIL_LABEL]: "true" } };
            c["taskflow-api:app"].env.LOG_LEVEL = "warn"; // a change that must NOT reach the pods
        });
        const r = await t.pulumi(["up", "--yes"], failing);
        assert.notEqual(r.code, 0, "pulumi up succeeded although the migration failed");

        const history = await t.releaseHistory();
        const last = history[history.length - 1];
        assert.equal(last.status, "deployed");
        assert.match(last.description, /Rollback/i);
        assert.ok(history.some((h) => h.status === "failed"), `no failed revision in ${JSON.stringify(history)}`);
        const dep1 = await deployment();
        assert.ok(isTrue(dep1.status.conditions, "Available"), "the previous revision is not serving");
        assert.equal(JSON.stringify(dep1.spec.template), template0, "the pods' template changed although the release rolled back");
        const cm = await t.get<any>(["configmap", RELEASE, "-n", t.namespace]);
        assert.equal(cm.data.LOG_LEVEL, "info");

        ok(await t.pulumi(["up", "--yes"], base), "pulumi up (good config after the failure)");
        ok(await t.pulumi(["preview", "--expect-no-changes"], base), "pulumi preview --expect-no-changes after recovery");
    });

    it("an invalid stack config fails naming the keys, and changes nothing in the cluster or the state", async () => {
        const state0 = JSON.stringify((await t.exportState()).resources);
        const history0 = JSON.stringify(await t.releaseHistory());
        const rv0 = (await deployment()).metadata.resourceVersion;
        const invalid = t.configFile("invalid", (c) => {
            c["taskflow-api:app"].replicaCount = 0;
            c["taskflow-api:app"].replicas = 3; // unknown key (typo of replicaCount)
        });
        const r = await t.pulumi(["up", "--yes"], invalid);
        assert.notEqual(r.code, 0);
        const out = r.stdout + r.stderr;
        assert.match(out, /app\.replicaCount/);
        assert.match(out, /app\.replicas\b/);
        assert.equal(JSON.stringify((await t.exportState()).resources), state0, "the state changed");
        assert.equal(JSON.stringify(await t.releaseHistory()), history0, "the release changed");
        assert.equal((await deployment()).metadata.resourceVersion, rv0, "the Deployment changed");
    });

    it("destroy removes the namespace and everything in it, and empties the stack", async () => {
        ok(await t.pulumi(["destroy", "--yes"], base), "pulumi destroy");
        await waitFor("the namespace to be gone", async () => ((await t.get(["namespace", t.namespace])) === undefined ? true : undefined), 120_000);
        const left = ok(await t.kubectl(["get", "all", "-A", "-l", `app.kubernetes.io/instance=${RELEASE}`, "-o", "name"]), "kubectl get all");
        assert.equal(left.stdout.trim(), "");
        assert.equal((await t.exportState()).resources.length, 0);
    });

    it("stops its cluster and leaves no process behind", async () => {
        const dir = t.stateDir;
        await t.stop();
        const procs = await new Promise<string>((resolve) => {
            execFile("pgrep", ["-f", dir], (_e, out) => resolve(String(out).trim()));
        });
        assert.equal(procs, "", `processes still running from ${dir}`);
        t = undefined as unknown as LocalTarget;
    });
});
