// The rules of an interrupted deploy (ops/release-state.ts): how a Helm release's stored
// revisions and the stack's state are classified, what `npm run drift` says, and what `npm run
// recover` does or refuses. The real faults are e2e/faults.test.ts.
import * as assert from "assert";
import * as os from "os";
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";

import { decodeHelmRelease } from "../../ops/drift";
import { backendReport, fileLocks, s3Target, signS3Get } from "../../ops/backend-locks";
import {
    classifyRelease, describeFinding, describePlan, GRACE_SECONDS, HELM_RELEASE_TYPE, markRecordFailed, planRecovery, ReleaseRevision, revisionFromSecret, StackLock, stackView,
} from "../../ops/release-state";

const NOW = Date.parse("2026-12-03T12:00:00Z");
const rev = (revision: number, status: string, ageSeconds = 1000): ReleaseRevision => ({ revision, status, secret: `sh.helm.release.v1.api.v${revision}`, modifiedMs: NOW - ageSeconds * 1000 });
const URN = "urn:pulumi:dev::taskflow-api::taskflow:k8s:TaskflowApi$kubernetes:helm.sh/v3:Release::api";
const known = { releaseUrn: URN, pending: [] };
const unknownWithCreate = { pending: [{ type: "creating", urn: URN, resourceType: HELM_RELEASE_TYPE }] };
const opts = { timeoutSeconds: 300, force: false, namespace: "ns", release: "api", up: true };
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

    it("recover refuses while the backend reports an update in progress, or cannot say, even with --force (review M5)", () => {
        const old = classifyRelease([rev(2, "deployed"), rev(3, "pending-upgrade", 10_000)], known, NOW);
        const cloud = planRecovery(old, [], { ...opts, force: true, updateInProgress: "Pulumi Cloud reports an update of org/prod in progress" });
        assert.match(cloud.refuse ?? "", /^Pulumi Cloud reports an update of org\/prod in progress: wait for it to end/);
        assert.deepStrictEqual(cloud.steps, []);
        const unknown = planRecovery(old, [], { ...opts, force: true, backendUnknown: "reading the S3 backend's locks needs AWS_ACCESS_KEY_ID" });
        assert.match(unknown.refuse ?? "", /^cannot tell whether an update of this stack is running: reading the S3 backend's locks needs AWS_ACCESS_KEY_ID/);
    });

    it("recover ends with up only when asked to (the local cluster's stack); a shared stack's plan has no up (review M5)", () => {
        const stuck = classifyRelease([rev(2, "deployed"), rev(3, "pending-upgrade", 10)], known, NOW);
        assert.deepStrictEqual(planRecovery(stuck, [], { ...opts, force: true, up: false }).steps.map((s) => s.kind), ["mark-failed", "rollback"]);
        // A healthy release: nothing at all to do, rather than a blind deploy.
        assert.deepStrictEqual(planRecovery(classifyRelease([rev(1, "deployed")], known, NOW), [], { ...opts, up: false }).steps, []);
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
            const got = fileLocks(`file://${dir}`, "proj", "dev").sort((a, b) => a.file.localeCompare(b.file));
            // This test's own pid runs node, not pulumi: a reused pid is not a lock holder.
            assert.deepStrictEqual(got.map((l) => [path.basename(l.file), l.alive]), [["a.json", false], ["b.json", undefined]]);
            assert.deepStrictEqual(fileLocks(`file://${dir}`, "proj", "prod"), []);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
    describe("what the backend reports about a running update (ops/backend-locks.ts, review M5)", () => {
        const never = () => assert.fail("pulumi stack ls must not run for a self-managed backend");
        const ls = (stacks: unknown, code = 0) => () => ({ code, stdout: JSON.stringify(stacks), stderr: code ? "error: unauthorized" : "" });

        it("Pulumi Cloud: an update in progress is named; a finished one is not; a stack it does not list is unknown", async () => {
            const busy = await backendReport(undefined, "proj", "org/prod", {}, ls([{ name: "org/proj/prod", updateInProgress: true }, { name: "org/proj/dev", updateInProgress: false }]));
            assert.deepStrictEqual(busy, { locks: [], updateInProgress: "Pulumi Cloud reports an update of org/prod in progress" });
            assert.deepStrictEqual(await backendReport("https://api.pulumi.com", "proj", "prod", {}, ls([{ name: "prod", updateInProgress: false }])), { locks: [] });
            assert.match((await backendReport(undefined, "proj", "prod", {}, ls([{ name: "dev" }])) as { unknown: string }).unknown, /does not list stack prod/);
            assert.match((await backendReport(undefined, "proj", "prod", {}, ls([], 255)) as { unknown: string }).unknown, /unauthorized/);
        });

        it("a backend whose locks it cannot read (gs://, or S3 without credentials in the environment) is unknown, never 'no locks'", async () => {
            assert.match((await backendReport("gs://bucket", "proj", "prod", {}, never) as { unknown: string }).unknown, /cannot read the locks of backend gs:\/\/bucket/);
            assert.match((await backendReport("s3://bucket?region=eu-west-1", "proj", "prod", {}, never) as { unknown: string }).unknown, /needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
        });

        it("reads an s3:// URL as the engine's gocloud.dev does: endpoint, path style, TLS off, region, prefix", () => {
            assert.deepStrictEqual(s3Target("s3://state?endpoint=127.0.0.1:9000&s3ForcePathStyle=true&disableSSL=true&region=us-east-1", {}),
                { base: "http://127.0.0.1:9000", bucket: "state", prefix: "", region: "us-east-1", pathStyle: true });
            assert.deepStrictEqual(s3Target("s3://state/team/a", { AWS_REGION: "eu-west-1" }),
                { base: "https://state.s3.eu-west-1.amazonaws.com", bucket: "state", prefix: "team/a/", region: "eu-west-1", pathStyle: false });
        });

        it("signs S3 requests with Signature Version 4 exactly as AWS's own examples (GET Object with Range; list with max-keys and prefix)", () => {
            // AWS S3 API reference, "Signature Calculations for the Authorization Header: Transferring
            // Payload in a Single Chunk", examples GET Object and GET Bucket (List Objects).
            const credentials = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
            const now = new Date("2013-05-24T00:00:00Z");
            const host = "examplebucket.s3.amazonaws.com";
            const get = signS3Get({ host, path: "/test.txt", query: {}, region: "us-east-1", credentials, now, extraHeaders: { Range: "bytes=0-9" } });
            assert.match(get.authorization, /SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41$/);
            const list = signS3Get({ host, path: "/", query: { "max-keys": "2", prefix: "J" }, region: "us-east-1", credentials, now });
            assert.match(list.authorization, /Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7$/);
        });
    });
});
