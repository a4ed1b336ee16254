// Faults of a deploy (issue 21, items 1-3), on the real engine and a local cluster with a real node:
// a first install killed after Helm stored the release (unknown to the state), an upgrade
// interrupted by SIGINT and by SIGKILL while Helm waits for the rollout, a `helm rollback` killed
// mid-way (pending-rollback), and two `up`s of one stack at once. Each scenario interrupts at a
// state read from the cluster (the release's storage Secret turning pending-*), never after a
// guessed sleep; asserts what was left in the state (`pulumi stack export`), the release
// (`sh.helm.release.v1.*` labels) and the backend's lock files; runs `npm run drift` and the
// documented recovery (`npm run recover`); and measures failed requests under load. One cluster
// and one stack for all of them, in order, as an operator would meet them.
import { strict as assert } from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { decodeHelmRelease } from "../ops/drift";
import { assertNoFailures, describeLoad, LoadGenerator, LoadReport, LocalTarget, ok, PROJECT_ROOT, run, RunResult, skipUnlessRealNode, tsScript, waitFor } from "./harness";

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes and Pulumi JSON are read loosely here. */

const RELEASE = "taskflow-api";
const RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";
/** An image tag no registry here has: the new pod never becomes Ready, so Helm's atomic upgrade waits (maxUnavailable 0 keeps the old pod serving). */
const NEVER_READY_TAG = "e2e-never-ready";

interface Running {
    readonly child: ChildProcess;
    readonly done: Promise<RunResult>;
}

/** A command in its own process group, as a terminal or a CI runner starts it, so a signal reaches pulumi, its language host and its provider plugins together. */
function startGroup(cmd: string, args: string[], env: NodeJS.ProcessEnv): Running {
    const t0 = Date.now();
    const child = spawn(cmd, args, { cwd: PROJECT_ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout?.on("data", (c) => (stdout += c));
    child.stderr?.on("data", (c) => (stderr += c));
    const done = new Promise<RunResult>((resolve) => child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr: `${stderr}${signal ? `\n(killed by ${signal})` : ""}`, ms: Date.now() - t0 })));
    return { child, done };
}

const signalGroup = (r: Running, sig: NodeJS.Signals) => process.kill(-(r.child.pid as number), sig);
const secs = (ms: number) => (ms / 1000).toFixed(1);

describe("faults of a deploy: interrupted and concurrent ups, stuck and unknown releases, and their recovery", function () {
    this.timeout(20 * 60_000);
    let t: LocalTarget | undefined;
    let base: string, slow: string;
    const loads: Record<string, LoadReport> = {};
    const numbers: string[] = [];
    let load: LoadGenerator | undefined;

    before(async function () {
        await skipUnlessRealNode(this);
        t = await LocalTarget.start();
        base = t.configFile("base");
        slow = t.configFile("never-ready", (c) => {
            c["taskflow-api:app"].image.tag = NEVER_READY_TAG;
        });
    });
    after(async () => {
        if (load) await load.stop();
        if (t) await t.stop();
        console.log("    measured (for the issue note):");
        for (const n of numbers) console.log(`      ${n}`);
        for (const [what, r] of Object.entries(loads)) console.log(`      load during ${what}: ${describeLoad(r)}`);
    });

    const target = () => {
        assert.ok(t, "no cluster");
        return t;
    };
    const ns = () => target().namespace;
    /** The release's storage Secrets as Helm labels them, newest first. */
    const revisions = async () => {
        const list = await target().get<any>(["secrets", "-n", ns(), "-l", `owner=helm,name=${RELEASE}`]);
        return ((list?.items ?? []) as any[])
            .map((s) => ({ revision: Number(s.metadata.labels.version), status: String(s.metadata.labels.status), name: String(s.metadata.name) }))
            .sort((a, b) => b.revision - a.revision);
    };
    /** Polls the cluster (every 100 ms) until the release's newest revision is `status` and newer than `after`. */
    const untilRevision = (status: string, after: number) => waitFor(`a revision > ${after} of ${RELEASE} in ${status}`, async () => {
        const [newest] = await revisions();
        return newest && newest.revision > after && newest.status === status ? newest : undefined;
    }, 180_000, 100);
    const exported = async () => {
        const r = ok(await run("pulumi", ["stack", "export", "--stack", "dev"], { cwd: PROJECT_ROOT, env: target().env }), "pulumi stack export");
        const d = JSON.parse(r.stdout).deployment ?? {};
        return {
            release: ((d.resources ?? []) as any[]).find((x) => x.type === RELEASE_TYPE),
            pending: ((d.pending_operations ?? []) as any[]).map((p) => ({ type: String(p.type), type2: String(p.resource.type), urn: String(p.resource.urn) })),
            resources: (d.resources ?? []).length as number,
        };
    };
    const lockDir = () => path.join(target().stateDir, "backend", ".pulumi", "locks", "organization", "taskflow-api", "dev");
    const locks = () => (fs.existsSync(lockDir()) ? fs.readdirSync(lockDir()).filter((f) => f.endsWith(".json")).map((f) => JSON.parse(fs.readFileSync(path.join(lockDir(), f), "utf8")) as { pid: number }) : []);
    const drift = () => tsScript("drift", ["--stack", "dev"], target().env);
    // --yes: no terminal here, and recover asks before it changes anything.
    const recover = (...extra: string[]) => tsScript("recover", ["--stack", "dev", "--local", "--config-file", base, "--yes", ...extra], target().env);
    const pulumiUp = (config: string) => startGroup("pulumi", ["up", "--yes", "--stack", "dev", "--config-file", config, "--non-interactive"], target().env);
    const serviceUrl = async () => {
        const svc = await target().get<any>(["service", RELEASE, "-n", ns()]);
        return `http://${svc.spec.clusterIP}:${svc.spec.ports[0].port}/v1/roundtrip`;
    };
    const deployedImage = async () => (await target().get<any>(["deployment", RELEASE, "-n", ns()])).spec.template.spec.containers[0].image as string;
    const startLoad = async () => {
        load = new LoadGenerator(await serviceUrl());
    };
    const stopLoad = async (what: string) => {
        assert.ok(load, "no load running");
        const r = await load.stop();
        load = undefined;
        loads[what] = r;
        console.log(`      load during ${what}: ${describeLoad(r)}`);
        return r;
    };
    /** The converged stack: newest revision deployed, nothing pending, no lock, no change to preview, the app at the committed image. */
    const assertConverged = async () => {
        const [newest] = await revisions();
        assert.equal(newest.status, "deployed", `newest revision ${newest.revision} is ${newest.status}`);
        const s = await exported();
        assert.ok(s.release, "the state has no Release");
        assert.deepEqual(s.pending, [], "pending operations left in the state");
        assert.deepEqual(locks(), [], "lock files left in the backend");
        ok(await target().pulumi(["preview", "--expect-no-changes"], base), "pulumi preview --expect-no-changes");
        assert.equal(await deployedImage(), "ghcr.io/example/taskflow-api:1.0.0");
        const d = await drift();
        assert.equal(d.code, 0, `npm run drift after recovery:\n${d.stdout}${d.stderr}`);
    };
    const show = (r: RunResult) => `${r.stdout}${r.stderr}`.split("\n").filter((l) => /^(==|   |!|Repair|recover:|refused)/.test(l)).map((l) => `        ${l}`).join("\n");

    it("a first install killed (SIGKILL) after Helm stored the release: the state does not know it, drift says so, recover removes the install that never completed and installs again", async () => {
        const up = pulumiUp(base);
        const pending = await untilRevision("pending-install", 0);
        const t0 = Date.now();
        signalGroup(up, "SIGKILL");
        const r = await up.done;
        assert.notEqual(r.code, 0);
        numbers.push(`first install: SIGKILL at pending-install revision ${pending.revision}, ${secs(r.ms)} s after the up started`);

        // What is left: Helm's pending record, no Release in the state but its pending create, the killed pulumi's lock.
        const [newest] = await revisions();
        assert.deepEqual([newest.revision, newest.status], [1, "pending-install"]);
        const s = await exported();
        assert.equal(s.release, undefined, "the state has the Release although its create never finished");
        assert.ok(s.pending.some((p) => p.type === "creating" && p.type2 === RELEASE_TYPE), `no pending create of the Release: ${JSON.stringify(s.pending)}`);
        const stale = locks();
        assert.equal(stale.length, 1, "the killed up's lock file is gone");
        assert.throws(() => process.kill(stale[0].pid, 0), "the lock holder still runs");

        const d = await drift();
        console.log(show(d));
        assert.equal(d.code, 3, `npm run drift: ${d.stdout}${d.stderr}`);
        assert.match(d.stdout, /is in the cluster but not in the stack's state: an interrupted first install/);
        assert.match(d.stdout, /Repair: npm run recover -- --stack dev/);

        // Young pending revision: recover refuses and changes nothing.
        const refused = await recover();
        console.log(show(refused));
        assert.equal(refused.code, 3, `${refused.stdout}${refused.stderr}`);
        assert.match(refused.stdout, /may still be running/);
        assert.equal((await revisions())[0].status, "pending-install");
        assert.equal(locks().length, 1);

        const fixed = await recover("--force");
        console.log(show(fixed));
        ok(fixed, "npm run recover --force");
        numbers.push(`first install: recover --force converged in ${secs(fixed.ms)} s (${secs(Date.now() - t0)} s after the kill)`);
        await assertConverged();
        // The install that never completed was removed and installed again: one deployed revision.
        const history = await target().releaseHistory();
        assert.deepEqual(history.map((h) => h.status), ["deployed"], JSON.stringify(history));
    });

    for (const sig of ["SIGINT", "SIGKILL"] as const) {
        it(`an upgrade interrupted by ${sig} while Helm waits for the rollout: what is left, and ${sig === "SIGKILL" ? "recover" : "the next up"} converges with the app serving throughout`, async () => {
            const before = (await revisions())[0].revision;
            await startLoad();
            const up = pulumiUp(slow);
            const pending = await untilRevision("pending-upgrade", before);
            const tSig = Date.now();
            signalGroup(up, sig);
            const r = await up.done;
            const stopMs = Date.now() - tSig;
            assert.notEqual(r.code, 0, "the interrupted up reported success");
            numbers.push(`${sig}: up exited ${r.code} ${secs(stopMs)} s after the signal (pending-upgrade revision ${pending.revision})`);

            const s = await exported();
            const revs = await revisions();
            const leftLocks = locks();
            const alive = leftLocks.filter((l) => {
                try {
                    process.kill(l.pid, 0);
                    return true;
                } catch {
                    return false;
                }
            });
            assert.deepEqual(alive, [], "a lock holder survived the interrupted up");
            const left = `release revisions ${revs.slice(0, 3).map((x) => `${x.revision}:${x.status}`).join(", ")}; state pending operations ${JSON.stringify(s.pending.map((p) => `${p.type} ${p.urn.split("::").pop()}`))}; ${leftLocks.length} stale lock file(s)`;
            console.log(`      left by ${sig}: ${left}`);
            numbers.push(`${sig}: left ${left}`);

            const d = await drift();
            console.log(show(d));
            let fixed: RunResult;
            if (sig === "SIGKILL") {
                // The provider died with the engine: Helm's record stays pending, the state keeps the
                // pending update, the lock stays. Drift names it, heal refuses, recover refuses while young.
                assert.equal(revs[0].status, "pending-upgrade");
                assert.equal(d.code, 3, `npm run drift: ${d.stdout}${d.stderr}`);
                assert.match(d.stdout, /is stuck: revision \d+ has been pending-upgrade/);
                assert.match(d.stdout, /Repair: npm run recover -- --stack dev/);
                assert.ok(s.pending.some((p) => p.type === "updating" && p.type2 === RELEASE_TYPE), `no pending update of the Release: ${JSON.stringify(s.pending)}`);
                assert.equal(leftLocks.length, 1, "the killed up left no lock");
                const heal = await run("bash", [path.join(PROJECT_ROOT, "ops/heal.sh"), "--stack", "dev", "--local", "--config-file", base, "--yes", "--non-interactive"], { cwd: PROJECT_ROOT, env: target().env });
                assert.notEqual(heal.code, 0);
                assert.match(heal.stderr, /needs recovery, not heal/);
                const refused = await recover();
                assert.equal(refused.code, 3, `${refused.stdout}${refused.stderr}`);
                assert.equal((await revisions())[0].status, "pending-upgrade", "a refused recover changed the release");
                fixed = await recover("--force");
                console.log(show(fixed));
                ok(fixed, "npm run recover --force");
            } else {
                // The engine passed the cancel to the provider, whose Helm upgrade runs under the
                // provider's cancel context: the atomic upgrade failed and rolled back, the up
                // exited, nothing pending, no lock. The next plain `up` is the whole recovery.
                assert.deepEqual([revs[0].status, revs[1].revision, revs[1].status], ["deployed", pending.revision, "failed"], left);
                assert.deepEqual(s.pending, []);
                assert.deepEqual(leftLocks, []);
                assert.equal(d.code, 0, `npm run drift: ${d.stdout}${d.stderr}`);
                assert.equal(await deployedImage(), "ghcr.io/example/taskflow-api:1.0.0", "the atomic rollback did not put the image back");
                fixed = await target().pulumi(["up", "--yes"], base);
                ok(fixed, "the next pulumi up");
            }
            numbers.push(`${sig}: ${sig === "SIGKILL" ? "recover --force" : "the next pulumi up"} converged in ${secs(fixed.ms)} s`);
            const l = await stopLoad(`the ${sig} interruption and its recovery`);
            assertNoFailures(l, 50, `while ${sig === "SIGKILL" ? "recover" : "the next up"} converged`);
            await assertConverged();
        });
    }

    it("a helm rollback killed mid-way (pending-rollback): drift names it, recover converges, the app serves throughout", async () => {
        // A revision whose pods never become Ready (the interrupted upgrades above stored it).
        const list = await target().get<any>(["secrets", "-n", ns(), "-l", `owner=helm,name=${RELEASE}`]);
        const bad = ((list?.items ?? []) as any[]).map((x) => decodeHelmRelease(x.data.release)).filter((x) => x.manifest.includes(NEVER_READY_TAG)).sort((a, b) => b.version - a.version)[0];
        assert.ok(bad, "no stored revision with the never-ready image to roll back to");
        const before = (await revisions())[0].revision;
        await startLoad();
        const helm = process.env.HELM3 || path.join(os.homedir(), ".cache/taskflow-api/tools/bin/helm3");
        // An emergency rollback to a revision whose pods never become Ready, waited for, then lost.
        const rb = startGroup(helm, ["rollback", RELEASE, String(bad.version), "--namespace", ns(), "--wait", "--timeout", "5m"], target().env);
        const pending = await untilRevision("pending-rollback", before);
        signalGroup(rb, "SIGKILL");
        await rb.done;
        assert.equal((await revisions())[0].status, "pending-rollback");
        const d = await drift();
        console.log(show(d));
        assert.equal(d.code, 3);
        assert.match(d.stdout, new RegExp(`revision ${pending.revision} has been pending-rollback`));
        const fixed = await recover("--force");
        console.log(show(fixed));
        ok(fixed, "npm run recover --force");
        numbers.push(`pending-rollback: recover --force converged in ${secs(fixed.ms)} s`);
        const l = await stopLoad("the killed rollback and its recovery");
        assertNoFailures(l, 50, "through the killed rollback and its repair");
        await assertConverged();
    });

    it("two ups of one stack at once: the second is refused by the backend's lock, the first completes, nothing is corrupted", async () => {
        const first = target().configFile("concurrent-a", (c) => {
            c["taskflow-api:app"].env.LOG_LEVEL = "info";
        });
        const second = target().configFile("concurrent-b", (c) => {
            c["taskflow-api:app"].env.LOG_LEVEL = "warn";
        });
        const before = (await revisions())[0].revision;
        const a = pulumiUp(first);
        // The first holds the lock and Helm is upgrading: the second starts now.
        await untilRevision("pending-upgrade", before);
        assert.equal(locks().length, 1, "the running up holds no lock");
        const b = await target().pulumi(["up", "--yes"], second);
        assert.notEqual(b.code, 0, "the second up ran although the first held the stack");
        assert.match(b.stderr + b.stdout, /the stack is currently locked by 1 lock/);
        const ra = await a.done;
        ok(ra, "the first up");
        numbers.push(`concurrent ups: the second refused in ${secs(b.ms)} s, the first completed in ${secs(ra.ms)} s`);

        const revs = await revisions();
        assert.equal(revs[0].revision, before + 1, "more than one upgrade ran");
        assert.equal(revs[0].status, "deployed");
        const cm = await target().get<any>(["configmap", RELEASE, "-n", ns()]);
        assert.equal(cm.data.LOG_LEVEL, "info", "the refused up changed the ConfigMap");
        const s = await exported();
        assert.ok(s.release);
        assert.deepEqual(s.pending, []);
        assert.deepEqual(locks(), []);
        ok(await target().pulumi(["preview", "--expect-no-changes"], first), "pulumi preview --expect-no-changes (the first's config)");
    });
});
