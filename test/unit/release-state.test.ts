// The rules of an interrupted deploy (ops/release-state.ts): how a Helm release's stored
// revisions and the stack's state are classified, what `npm run drift` says, and what `npm run
// recover` does or refuses. The real faults are e2e/faults.test.ts.
import * as assert from "assert";
import * as os from "os";
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";

import { decodeHelmRelease } from "../../ops/drift";
import { readLocks } from "../../ops/recover";
import {
    classifyRelease, describeFinding, describePlan, GRACE_SECONDS, HELM_RELEASE_TYPE, markRecordFailed, planRecovery, ReleaseRevision, revisionFromSecret, StackLock, stackView,
} from "../../ops/release-state";

const NOW = Date.parse("2026-12-03T12:00:00Z");
const rev = (revision: number, status: string, ageSeconds = 1000): ReleaseRevision => ({ revision, status, secret: `sh.helm.release.v1.api.v${revision}`, modifiedMs: NOW - ageSeconds * 1000 });
const URN = "urn:pulumi:dev::taskflow-api::taskflow:k8s:TaskflowApi$kubernetes:helm.sh/v3:Release::api";
const known = { releaseUrn: URN, pending: [] };
const unknownWithCreate = { pending: [{ type: "creating", urn: URN, resourceType: HELM_RELEASE_TYPE }] };
const opts = { timeoutSeconds: 300, force: false, namespace: "ns", release: "api" };
const lock = (alive: boolean | undefined): StackLock => ({ file: "/b/x.json", pid: 42, hostname: alive === undefined ? "ci-runner-7" : os.hostname(), ...(alive === undefined ? {} : { alive }) });

describe("release state after an interrupted deploy (ops/release-state.ts)", () => {
    it("classifies by the newest revision: healthy, stuck in each pending state, absent", () => {
        assert.deepStrictEqual(classifyRelease([], known, NOW), { kind: "absent" });
        assert.deepStrictEqual(classifyRelease([rev(1, "superseded"), rev(2, "deployed")], known, NOW), { kind: "healthy", revision: 2, status: "deployed" });
        assert.deepStrictEqual(classifyRelease([rev(2, "failed"), rev(1, "deployed")], known, NOW), { kind: "healthy", revision: 2, status: "failed" });
        for (const status of ["pending-install", "pending-upgrade", "pending-rollback"]) {
            const f = classifyRelease([rev(1, "superseded"), rev(2, "deployed"), rev(3, status, 42)], known, NOW);
            assert.deepStrictEqual(f, { kind: "stuck", revision: 3, status, secret: "sh.helm.release.v1.api.v3", ageSeconds: 42, lastDeployed: 2 });
        }
    });

    it("a release the state does not know: with the interrupted create, or with nothing", () => {
        const f = classifyRelease([rev(1, "pending-install", 5)], unknownWithCreate, NOW);
        assert.deepStrictEqual(f, { kind: "unknown-to-state", revision: 1, status: "pending-install", secret: "sh.helm.release.v1.api.v1", ageSeconds: 5, pendingCreate: URN });
        const g = classifyRelease([rev(1, "deployed")], { pending: [] }, NOW);
        assert.equal(g.kind, "unknown-to-state");
        assert.equal((g as { pendingCreate?: string }).pendingCreate, undefined);
    });

    it("drift names the fault and the command that repairs it; nothing for a healthy release", () => {
        const stuck = describeFinding(classifyRelease([rev(2, "deployed"), rev(3, "pending-upgrade", 42)], known, NOW), "api", "dev");
        assert.match(stuck[0], /is stuck: revision 3 has been pending-upgrade for 42 s/);
        assert.equal(stuck[1].startsWith("Repair: npm run recover -- --stack dev"), true);
        const orphan = describeFinding(classifyRelease([rev(1, "pending-install")], unknownWithCreate, NOW), "api", "dev");
        assert.match(orphan[0], /not in the stack's state: an interrupted first install/);
        assert.match(orphan[1], /npm run recover/);
        const foreign = describeFinding(classifyRelease([rev(1, "deployed")], { pending: [] }, NOW), "api", "dev");
        assert.match(foreign[1], /needs a person.*pulumi import/);
        assert.deepStrictEqual(describeFinding(classifyRelease([rev(1, "deployed")], known, NOW), "api", "dev"), []);
        assert.match(describeFinding(classifyRelease([rev(2, "deployed"), rev(3, "pending-rollback")], known, NOW), "api", "dev", true)[1], /^Repair: npm run recover -- --stack dev --local \(docs\/operations\.md/);
    });

    it("recover refuses while an update may run: a live lock holder, another host's lock, a pending revision younger than the timeout", () => {
        const old = classifyRelease([rev(2, "deployed"), rev(3, "pending-upgrade", 10_000)], known, NOW);
        assert.match(planRecovery(old, [lock(true)], opts).refuse ?? "", /pulumi \(pid 42\) on this host holds the stack's lock/);
        assert.match(planRecovery(old, [lock(undefined)], opts).refuse ?? "", /ci-runner-7.*Needs a person/);
        assert.match(planRecovery(old, [lock(true)], { ...opts, force: true }).refuse ?? "", /holds the stack's lock/, "--force never overrides a live lock");
        const young = classifyRelease([rev(2, "deployed"), rev(3, "pending-upgrade", 300)], known, NOW);
        const p = planRecovery(young, [], opts);
        assert.match(p.refuse ?? "", /pending-upgrade for 300 s, less than the release timeout plus 60 s \(360 s\).*Wait 60 s/);
        assert.deepStrictEqual(p.steps, []);
        const justOld = classifyRelease([rev(2, "deployed"), rev(3, "pending-upgrade", 300 + GRACE_SECONDS)], known, NOW);
        assert.equal(planRecovery(justOld, [], opts).refuse, undefined);
        const noAge = classifyRelease([{ revision: 3, status: "pending-upgrade", secret: "s" }], known, NOW);
        assert.match(planRecovery(noAge, [], opts).refuse ?? "", /unknown number of/);
        assert.equal(planRecovery(noAge, [], { ...opts, force: true }).refuse, undefined);
    });

    it("recover's plans: stale lock, mark failed, roll back to the last deployed revision, remove an install that never completed, up", () => {
        const stale = lock(false);
        const stuck = classifyRelease([rev(2, "deployed"), rev(3, "pending-upgrade", 10)], known, NOW);
        assert.deepStrictEqual(planRecovery(stuck, [stale], { ...opts, force: true }).steps, [
            { kind: "cancel-stale-lock", lock: stale },
            { kind: "mark-failed", revision: 3, secret: "sh.helm.release.v1.api.v3", from: "pending-upgrade" },
            { kind: "rollback", to: 2 },
            { kind: "up" },
        ]);
        const orphan = classifyRelease([rev(1, "pending-install", 10)], unknownWithCreate, NOW);
        assert.deepStrictEqual(planRecovery(orphan, [], { ...opts, force: true }).steps, [
            { kind: "mark-failed", revision: 1, secret: "sh.helm.release.v1.api.v1", from: "pending-install" },
            { kind: "uninstall" },
            { kind: "clear-pending-creates", urn: URN },
            { kind: "up" },
        ]);
        // Killed after Helm finished but before the state recorded it: nothing to mark.
        const finished = classifyRelease([rev(1, "deployed")], unknownWithCreate, NOW);
        assert.match(planRecovery(finished, [], opts).refuse ?? "", /may be serving.*--force/);
        assert.deepStrictEqual(planRecovery(finished, [], { ...opts, force: true }).steps.map((s) => s.kind), ["uninstall", "clear-pending-creates", "up"]);
        assert.match(planRecovery(classifyRelease([rev(1, "deployed")], { pending: [] }, NOW), [], { ...opts, force: true }).refuse ?? "", /Needs a person/);
        assert.deepStrictEqual(planRecovery(classifyRelease([rev(1, "deployed")], known, NOW), [], opts).steps, [{ kind: "up" }]);
        assert.equal(describePlan(planRecovery(stuck, [stale], { ...opts, force: true })).length, 4);
    });

    it("reads a revision from its Secret's labels, its age from modifiedAt, else from the record", () => {
        const r = revisionFromSecret({ metadata: { name: "sh.helm.release.v1.api.v4", labels: { version: "4", status: "pending-upgrade", modifiedAt: String(NOW / 1000 - 30) } } }, { version: 4, status: "pending-upgrade" });
        assert.deepStrictEqual(r, { revision: 4, status: "pending-upgrade", secret: "sh.helm.release.v1.api.v4", modifiedMs: NOW - 30_000 });
        const s = revisionFromSecret({ metadata: { name: "x", labels: { status: "deployed" } } }, { version: 2, status: "deployed", lastDeployed: "2026-12-03T11:59:00Z" });
        assert.deepStrictEqual(s, { revision: 2, status: "deployed", secret: "x", modifiedMs: NOW - 60_000 });
    });

    it("marks a stored record failed, keeping everything else", () => {
        const rel = { name: "api", version: 3, manifest: "kind: ConfigMap\n", info: { status: "pending-upgrade", description: "Upgrade" } };
        const data = Buffer.from(zlib.gzipSync(Buffer.from(JSON.stringify(rel))).toString("base64")).toString("base64");
        const marked = decodeHelmRelease(markRecordFailed(data, "interrupted"));
        assert.deepStrictEqual([marked.status, marked.version, marked.manifest], ["failed", 3, "kind: ConfigMap\n"]);
    });

    it("reads the state's Release and pending operations from a stack export", () => {
        const v = stackView({ deployment: { resources: [{ urn: URN, type: HELM_RELEASE_TYPE }], pending_operations: [{ type: "updating", resource: { urn: URN, type: HELM_RELEASE_TYPE } }] } });
        assert.deepStrictEqual(v, { releaseUrn: URN, pending: [{ type: "updating", urn: URN, resourceType: HELM_RELEASE_TYPE }] });
        assert.deepStrictEqual(stackView({ deployment: {} }), { pending: [] });
    });

    it("reads the file backend's lock files, live only when the pid runs pulumi on this host", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "recover-locks-"));
        try {
            const locks = path.join(dir, ".pulumi/locks/organization/proj/dev");
            fs.mkdirSync(locks, { recursive: true });
            fs.writeFileSync(path.join(locks, "a.json"), JSON.stringify({ pid: process.pid, hostname: os.hostname(), username: "me", timestamp: "t" }));
            fs.writeFileSync(path.join(locks, "b.json"), JSON.stringify({ pid: 1, hostname: "elsewhere" }));
            const got = readLocks(`file://${dir}`, "proj", "dev").sort((a, b) => a.file.localeCompare(b.file));
            // This test's own pid runs node, not pulumi: a reused pid is not a lock holder.
            assert.deepStrictEqual(got.map((l) => [path.basename(l.file), l.alive]), [["a.json", false], ["b.json", undefined]]);
            assert.deepStrictEqual(readLocks("https://api.pulumi.com", "proj", "dev"), []);
            assert.deepStrictEqual(readLocks(`file://${dir}`, "proj", "prod"), []);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
