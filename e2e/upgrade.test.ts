// The upgrade prod meets: the previous release of this repository (its program, chart and lock
// file, its own `npm ci`) deployed, then `pulumi up` with HEAD on the same backend, stack and
// cluster, under load. Every other scenario installs from scratch or upgrades within one commit;
// this one catches what only a release-to-release upgrade does: a provider or SDK bump that
// replaces or needlessly updates the Release, pods restarted although their spec did not change,
// a migration hook out of order, a state that does not converge.
//
// The base is scripts/release-base.sh's (TASKFLOW_RELEASE_BASE, the newest v* tag, else the
// merge-base with main). It prints the numbers the dependency workflow and the issue note use.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";

import { describeLoad, LoadGenerator, LoadReport, LocalTarget, ok, PROJECT_ROOT, run, skipUnlessRealNode } from "./harness";

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes and engine JSON are read loosely. */

const RELEASE = "taskflow-api";
const RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";
/** Below this many requests the load says nothing about an upgrade. */
const MIN_REQUESTS = 100;
/** Engine steps that would delete and re-create a resource (a Release replaced is an uninstall). */
const REPLACING = new Set(["replace", "create-replacement", "delete-replaced", "discard-replaced"]);

interface Workload {
    readonly kind: string;
    readonly name: string;
    /** spec.template, canonical JSON: "the pod spec" the restart rule compares. */
    readonly template: string;
    /** uid -> summed container restart count of the pods its selector matches. */
    readonly pods: ReadonlyMap<string, number>;
}

const canonical = (v: unknown): string =>
    Array.isArray(v) ? `[${v.map(canonical).join(",")}]`
        : v && typeof v === "object" ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as any)[k])}`).join(",")}}`
            : JSON.stringify(v);

describe("upgrade: the previous release, then HEAD, on one stack under load", function () {
    this.timeout(20 * 60_000);
    let t: LocalTarget | undefined;
    let base = "";
    let work = "";
    let prev = "";
    let prevConfig = "";
    let headConfig = "";

    before(async function () {
        this.timeout(20 * 60_000);
        await skipUnlessRealNode(this);
        const resolved = await run("bash", [path.join(PROJECT_ROOT, "scripts/release-base.sh")]);
        ok(resolved, "scripts/release-base.sh");
        base = resolved.stdout.trim();
        console.log(`    base: ${resolved.stderr.trim().replace(/^release-base: /, "")}`);
        work = fs.mkdtempSync(path.join(os.tmpdir(), "taskflow-upgrade-"));
        prev = path.join(work, "previous");
        // The previous release as it was released: its own tree, lock file and dependencies.
        ok(await run("git", ["-C", PROJECT_ROOT, "worktree", "add", "--detach", prev, base]), "git worktree add");
        const npm = ok(await run("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund"], { cwd: prev }), "npm ci (previous release)");
        const mirror = process.env.TASKFLOW_OFFLINE_MIRROR ?? path.resolve(PROJECT_ROOT, "..", "shared", "offline-mirror");
        ok(await run("bash", ["scripts/chart-deps.sh"], { cwd: prev, env: { ...process.env, TASKFLOW_OFFLINE_MIRROR: mirror } }), "chart-deps.sh (previous release)");
        console.log(`    previous release ${base.slice(0, 12)}: npm ci ${(npm.ms / 1000).toFixed(1)} s`);

        t = await LocalTarget.start();
        headConfig = t.configFile("head");
        // Its own stack config, with this backend's salt (the salt belongs to the passphrase).
        const salt = (yaml.load(fs.readFileSync(headConfig, "utf8")) as { encryptionsalt: string }).encryptionsalt;
        const committed = yaml.load(ok(await run("git", ["-C", PROJECT_ROOT, "show", `${base}:Pulumi.${t.stack}.yaml`]), "git show").stdout) as { config: unknown };
        prevConfig = path.join(t.stateDir, "Pulumi.previous.yaml");
        fs.writeFileSync(prevConfig, yaml.dump({ encryptionsalt: salt, config: committed.config }));
        const install = ok(await t.pulumi(["up", "--yes", "--skip-preview"], prevConfig, prev), "pulumi up (previous release)");
        console.log(`    previous release installed: pulumi up ${(install.ms / 1000).toFixed(1)} s`);
    });

    after(async function () {
        this.timeout(5 * 60_000);
        if (t) await t.stop();
        if (prev) await run("git", ["-C", PROJECT_ROOT, "worktree", "remove", "--force", prev]);
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    const target = () => {
        assert.ok(t, "no cluster");
        return t;
    };

    /** Every Deployment and StatefulSet of the namespace: its pod template and its pods. */
    const workloads = async (): Promise<Map<string, Workload>> => {
        const tg = target();
        const out = new Map<string, Workload>();
        for (const kind of ["deployment", "statefulset"]) {
            for (const w of (await tg.get<any>([kind, "-n", tg.namespace]))?.items ?? []) {
                const selector = Object.entries(w.spec.selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(",");
                const pods = ((await tg.get<any>(["pods", "-n", tg.namespace, "-l", selector]))?.items ?? []).filter((p: any) => !p.metadata.deletionTimestamp);
                out.set(`${w.kind}/${w.metadata.name}`, {
                    kind: w.kind, name: w.metadata.name, template: canonical(w.spec.template),
                    pods: new Map(pods.map((p: any) => [p.metadata.uid, (p.status.containerStatuses ?? []).reduce((n: number, c: any) => n + c.restartCount, 0)])),
                });
            }
        }
        return out;
    };

    const releaseOf = async () => {
        const r = (await target().exportState()).resources.filter((x: any) => x.type === RELEASE_TYPE) as any[];
        assert.equal(r.length, 1, "expected one Release in the state");
        return { urn: r[0].urn as string, id: r[0].id as string };
    };

    const serviceUrl = async () => {
        const svc = await target().get<any>(["service", RELEASE, "-n", target().namespace]);
        return `http://${svc.spec.clusterIP}:${svc.spec.ports[0].port}/v1/roundtrip`;
    };

    /** The schema marker the migration writes (read in the Valkey pod, password through stdin). */
    const marker = async (): Promise<Record<string, string>> => {
        const tg = target();
        const secret = await tg.get<any>(["secret", `${RELEASE}-redis-auth`, "-n", tg.namespace]);
        const pw = Buffer.from(secret.data["redis-password"], "base64").toString("utf8");
        const pods = ((await tg.get<any>(["pods", "-n", tg.namespace, "-l", `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/name=redis`]))?.items ?? [])
            .filter((p: any) => !p.metadata.deletionTimestamp);
        assert.equal(pods.length, 1, "expected one Valkey pod");
        const r = ok(await tg.exec(tg.namespace, pods[0].metadata.name,
            ["sh", "-c", 'REDISCLI_AUTH=$(cat) exec valkey-cli --no-auth-warning HGETALL taskflow:schema'], pw), "valkey-cli HGETALL");
        const f = r.stdout.trim().split("\n");
        return Object.fromEntries(f.flatMap((v, i) => (i % 2 === 0 ? [[v, f[i + 1]]] : [])));
    };

    it("HEAD upgrades the previous release in place under load: no failed request, the Release kept, pods restarted only where their spec changed, hooks in order, then no changes", async () => {
        const tg = target();
        const relBefore = await releaseOf();
        const histBefore = await tg.releaseHistory();
        const wlBefore = await workloads();
        const markerBefore = await marker();

        // What HEAD's engine, SDK and providers plan for the previous release's state.
        const plan = ok(await tg.pulumi(["preview", "--json"], headConfig), "pulumi preview --json (HEAD over the previous release)");
        const steps = (JSON.parse(plan.stdout).steps ?? []) as Array<{ op: string; urn: string }>;
        const replaced = steps.filter((s) => REPLACING.has(s.op)).map((s) => `${s.op} ${s.urn}`);
        assert.deepEqual(replaced, [], "HEAD would replace resources of the previous release");
        const releaseOp = steps.find((s) => s.urn === relBefore.urn)?.op ?? "same";
        assert.ok(["same", "update"].includes(releaseOp), `the Release's step is ${releaseOp}`);

        const load = new LoadGenerator(await serviceUrl());
        let report: LoadReport;
        const started = Date.now();
        let upMs = 0;
        try {
            upMs = ok(await tg.pulumi(["up", "--yes", "--skip-preview"], headConfig), "pulumi up (HEAD)").ms;
        } finally {
            report = await load.stop();
        }

        // The Release: the same resource, one more revision exactly when it was updated, no uninstall.
        const relAfter = await releaseOf();
        assert.deepEqual(relAfter, relBefore, "the Release resource's URN or ID changed: replaced");
        const histAfter = await tg.releaseHistory();
        const last = (h: typeof histAfter) => Math.max(...h.map((x) => x.revision));
        const expected = last(histBefore) + (releaseOp === "update" ? 1 : 0);
        assert.equal(last(histAfter), expected, `helm history ends at revision ${last(histAfter)}, expected ${expected}`);
        // An uninstall and install would start the history over: every earlier revision must
        // still be there, written at the same time (the history holds a few entries, far below
        // the release's maxHistory).
        const written = (h: typeof histAfter) => new Map(h.map((x: any) => [x.revision, String(x.updated)]));
        const [w0, w1] = [written(histBefore), written(histAfter)];
        for (const [rev, at] of w0) assert.equal(w1.get(rev), at, `revision ${rev} of helm history is gone or rewritten: the release was re-installed`);
        assert.equal(histAfter.find((x) => x.revision === expected)?.status, "deployed");
        if (releaseOp === "update") {
            // A new revision must deploy something new: the same manifest and values is churn.
            const get = async (what: string, rev: number) => ok(await tg.helm(["get", what, RELEASE, "--revision", String(rev), ...(what === "values" ? ["-a", "-o", "json"] : [])]), `helm get ${what}`).stdout;
            const same = (await get("manifest", expected)) === (await get("manifest", expected - 1)) && (await get("values", expected)) === (await get("values", expected - 1));
            assert.ok(!same, `revision ${expected} has the manifest and values of ${expected - 1}: the upgrade churned the Release`);
        }

        // Pods: a workload whose pod template did not change keeps its pods and their containers.
        const wlAfter = await workloads();
        let restarted = 0, replacedPods = 0;
        const notes: string[] = [];
        for (const [key, before] of wlBefore) {
            const after = wlAfter.get(key);
            assert.ok(after, `${key} is gone after the upgrade`);
            const gone = [...before.pods.keys()].filter((uid) => !after.pods.has(uid)).length;
            const bounced = [...before.pods].filter(([uid, n]) => (after.pods.get(uid) ?? n) > n).length;
            if (before.template === after.template) {
                assert.equal(gone + bounced, 0, `${key}: its pod template did not change, yet ${gone} pod(s) were replaced and ${bounced} restarted`);
            } else {
                replacedPods += gone;
                notes.push(`${key} template changed (${gone} pod(s) replaced)`);
            }
            restarted += bounced;
        }

        // The migration hook: its Job ran for the new revision, in its declared order; no hook ran
        // otherwise. The Job is deleted on success (hook-delete-policy); its events remain. The
        // marker itself moves only with the schema version (app/src/migrate.js), so it must not
        // change here: both releases are at the same schema.
        let hookNote = "none ran (nothing to upgrade)";
        const markerAfter = await marker();
        assert.deepEqual(markerAfter, markerBefore, "the schema marker changed: a migration ran that the schema did not ask for");
        const jobEvents = ((await tg.get<any>(["events", "-n", tg.namespace]))?.items ?? []).filter((e: any) => e.involvedObject?.kind === "Job");
        const at = (e: any) => Date.parse(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp);
        const hookJob = `${RELEASE}-migrate-${expected}`;
        if (releaseOp === "update") {
            const created = jobEvents.find((e: any) => e.involvedObject.name === hookJob && e.reason === "SuccessfulCreate");
            const completed = jobEvents.find((e: any) => e.involvedObject.name === hookJob && e.reason === "Completed");
            assert.ok(created && completed, `no SuccessfulCreate and Completed events of the hook Job ${hookJob}`);
            const hooks = ok(await tg.helm(["get", "hooks", RELEASE, "--revision", String(expected)]), "helm get hooks").stdout;
            const post = /helm\.sh\/hook"?: "?post-install,post-upgrade/.test(hooks);
            const newPods = ((await tg.get<any>(["pods", "-n", tg.namespace, "-l", "app.kubernetes.io/component=api"]))?.items ?? [])
                .filter((p: any) => !p.metadata.deletionTimestamp && !wlBefore.get(`Deployment/${RELEASE}`)?.pods.has(p.metadata.uid));
            for (const p of newPods) {
                // Timestamps are whole seconds in the API.
                const podCreated = Date.parse(p.metadata.creationTimestamp);
                if (post) assert.ok(at(created) >= podCreated, `post-upgrade hook ${hookJob} started before pod ${p.metadata.name} was created`);
                else assert.ok(at(completed) <= podCreated, `pre-upgrade hook ${hookJob} completed after pod ${p.metadata.name} was created`);
            }
            hookNote = `${hookJob} (${post ? "post" : "pre"}-upgrade) ran in order against ${newPods.length} new app pod(s)`;
        } else {
            const since = Math.floor(started / 1000) * 1000;
            const ran = jobEvents.filter((e: any) => e.reason === "SuccessfulCreate" && at(e) >= since).map((e: any) => e.involvedObject.name);
            assert.deepEqual(ran, [], "a hook Job ran although the Release did not change");
        }

        ok(await tg.pulumi(["preview", "--expect-no-changes"], headConfig), "pulumi preview --expect-no-changes after the upgrade");

        const summary = [
            `upgrade ${base.slice(0, 12)} -> HEAD: pulumi up ${(upMs / 1000).toFixed(1)} s (${((Date.now() - started) / 1000).toFixed(1)} s under load)`,
            `load: ${describeLoad(report)}`,
            `Release: ${releaseOp === "update" ? `updated in place, revision ${expected - 1} -> ${expected}` : `unchanged (revision ${expected}): HEAD deploys what the previous release did`}; replaced: no (URN and ID unchanged)`,
            `pods: ${restarted} container restart(s), ${replacedPods} pod(s) replaced${notes.length ? `: ${notes.join("; ")}` : ""}`,
            `migration hook: ${hookNote}`,
        ];
        for (const line of summary) console.log(`      ${line}`);
        assert.ok(report.requests >= MIN_REQUESTS, `too few requests to judge (${report.requests} < ${MIN_REQUESTS})`);
        assert.equal(report.failed, 0, `requests failed during the upgrade: ${report.failures.join("; ")}`);
    });
});
