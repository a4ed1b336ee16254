// What state a Helm release and the stack that deploys it are in after an interrupted deploy, and
// what may be done about it. Pure: the inputs are read by ops/drift.ts and ops/recover.ts (the
// release's storage Secrets, `pulumi stack export`, the backend's lock files), so each rule is
// unit-tested (test/unit/release-state.test.ts) without a cluster.
//
// Why these rules (issue 21; pulumi-kubernetes #2054, #1727, #1697; Helm PR #7322, the pending lock):
// - Helm writes a revision as `pending-install`/`pending-upgrade`/`pending-rollback` before it
//   touches any object and rewrites it as deployed/failed at the end. A process killed in between
//   (SIGKILL, a CI runner lost, a provider plugin killed with its engine) leaves the pending
//   record forever, and every later install/upgrade fails with "another operation
//   (install/upgrade/rollback) is in progress". Helm's maintainers made that pessimistic lock on
//   purpose (a pending record may be a live operation of another client; Helm cannot tell; a
//   revision left pending by a killed client is for the user to roll back), so
//   the repair must prove, or be told, that nothing runs: here, no live holder of the stack's
//   backend lock, and the pending revision older than the release timeout (a live Helm operation
//   of this release gives up by then), unless the operator says so (--force).
// - A first install interrupted after Helm stored revision 1 but before Pulumi recorded the
//   Release leaves a release the state does not know: the next `up` tries to install it again and
//   fails with "cannot re-use a name that is still in use". The engine keeps the interrupted
//   create as a pending operation. That install never completed (no deploy of this stack ever
//   served from it), so the repair removes it (`helm uninstall --wait`), drops the pending create
//   (`pulumi refresh --clear-pending-creates`, an engine path) and installs again. Adopting it
//   with `pulumi refresh --import-pending-creates URN ID` was tried first: with Pulumi 3.255 and
//   pulumi-kubernetes 4.32 that refresh dropped the pending create without adopting the release
//   (a first version of this repair on the real node, 2026-12-03; why was not investigated), and
//   the next up failed on the name again.

import * as zlib from "zlib";

/** One stored revision of a Helm release (a `sh.helm.release.v1.<name>.v<N>` Secret). */
export interface ReleaseRevision {
    readonly revision: number;
    readonly status: string;
    /** The storage Secret's name, for marking it. */
    readonly secret: string;
    /** When Helm last wrote it (ms since the epoch): the `modifiedAt` label, else the record's times. */
    readonly modifiedMs?: number;
}

/** What the stack's state says about the Release. */
export interface StackView {
    /** The Release's URN when the state has it as a resource. */
    readonly releaseUrn?: string;
    /** Pending operations left by an interrupted update (`deployment.pending_operations`). */
    readonly pending: ReadonlyArray<{ readonly type: string; readonly urn: string; readonly resourceType: string }>;
}

/** A lock file of the stack in a file (DIY) backend: `.pulumi/locks/<org>/<project>/<stack>/*.json`. */
export interface StackLock {
    /** Where the lock is: a path (file://) or an s3:// URL. */
    readonly file: string;
    readonly pid: number;
    readonly hostname: string;
    readonly username?: string;
    readonly timestamp?: string;
    /** true: that pid runs a pulumi process on this host; false: it does not; undefined: another host. */
    readonly alive?: boolean;
}

export const HELM_RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";
const PENDING = ["pending-install", "pending-upgrade", "pending-rollback"];
export const isPending = (status: string) => PENDING.includes(status);

export type ReleaseFinding =
    | { readonly kind: "absent" }
    | { readonly kind: "healthy"; readonly revision: number; readonly status: string }
    /** The newest revision is pending and the state knows the Release. */
    | { readonly kind: "stuck"; readonly revision: number; readonly status: string; readonly ageSeconds?: number; readonly secret: string; readonly lastDeployed?: number }
    /** A release in the cluster that the state does not know (with or without a pending create). */
    | { readonly kind: "unknown-to-state"; readonly revision: number; readonly status: string; readonly ageSeconds?: number; readonly secret: string; readonly pendingCreate?: string };

/** The newest revision and how it stands against the state. */
export function classifyRelease(revisions: readonly ReleaseRevision[], stack: StackView, nowMs: number): ReleaseFinding {
    if (revisions.length === 0) return { kind: "absent" };
    const newest = [...revisions].sort((a, b) => b.revision - a.revision)[0];
    const ageSeconds = newest.modifiedMs === undefined ? undefined : Math.max(0, Math.round((nowMs - newest.modifiedMs) / 1000));
    const base = { revision: newest.revision, status: newest.status, secret: newest.secret, ...(ageSeconds === undefined ? {} : { ageSeconds }) };
    // The revision Helm still serves as the release's base: the newest one marked deployed.
    const lastDeployed = revisions.filter((r) => r.status === "deployed" && r.revision !== newest.revision).sort((a, b) => b.revision - a.revision)[0]?.revision;
    if (!stack.releaseUrn) {
        const create = stack.pending.find((p) => p.resourceType === HELM_RELEASE_TYPE && p.type === "creating");
        return { kind: "unknown-to-state", ...base, ...(create ? { pendingCreate: create.urn } : {}) };
    }
    if (isPending(newest.status)) return { kind: "stuck", ...base, ...(lastDeployed === undefined ? {} : { lastDeployed }) };
    return { kind: "healthy", revision: newest.revision, status: newest.status };
}

/** The lines `npm run drift` prints for a release that needs recovery (none when it does not). */
export function describeFinding(f: ReleaseFinding, release: string, stack: string, local = false): string[] {
    const age = (s?: number) => (s === undefined ? "" : ` for ${s} s`);
    const repair = `Repair: npm run recover -- --stack ${stack}${local ? " --local" : ""} (docs/operations.md: "When something goes wrong")`;
    if (f.kind === "stuck") {
        return [
            `! release ${release} is stuck: revision ${f.revision} has been ${f.status}${age(f.ageSeconds)}; every upgrade fails with "another operation (install/upgrade/rollback) is in progress" until it is repaired`,
            repair,
        ];
    }
    if (f.kind === "unknown-to-state") {
        return [
            `! release ${release} (revision ${f.revision}, ${f.status}${age(f.ageSeconds)}) is in the cluster but not in the stack's state` +
                (f.pendingCreate ? `: an interrupted first install (the state holds its pending create, ${f.pendingCreate})` : " (no pending create either)") +
                `; every up fails with "cannot re-use a name that is still in use" until it is repaired`,
            f.pendingCreate ? repair : `Repair (needs a person: check it is this stack's release): pulumi import ${HELM_RELEASE_TYPE} <name> <namespace>/${release} --parent <component URN>, then npm run recover -- --stack ${stack}${local ? " --local" : ""}`,
        ];
    }
    return [];
}

export type RecoveryStep =
    | { readonly kind: "cancel-stale-lock"; readonly lock: StackLock }
    | { readonly kind: "mark-failed"; readonly revision: number; readonly secret: string; readonly from: string }
    | { readonly kind: "rollback"; readonly to: number }
    | { readonly kind: "uninstall" }
    | { readonly kind: "clear-pending-creates"; readonly urn: string }
    | { readonly kind: "up" };

export interface RecoveryPlan {
    /** Why nothing may be done (a person decides); when set, `steps` is empty. */
    readonly refuse?: string;
    readonly steps: RecoveryStep[];
}

export interface RecoveryOptions {
    /** The release timeout (`release.timeoutSeconds`): a live Helm operation ends by then. */
    readonly timeoutSeconds: number;
    /** The operator knows no Helm operation of this release runs (the age rule is skipped). */
    readonly force: boolean;
    readonly namespace: string;
    readonly release: string;
    /** The backend reports an update of the stack in progress (Pulumi Cloud): always refused. */
    readonly updateInProgress?: string;
    /** Why the backend's locks could not be read: refused, since a live update cannot be ruled out. */
    readonly backendUnknown?: string;
    /** End with `pulumi up` (the local cluster's stack only; shared stacks are upped by the deploy workflow). */
    readonly up: boolean;
}

/** Margin on the release timeout: an atomic upgrade's rollback runs after the timeout. */
export const GRACE_SECONDS = 60;

/** What `npm run recover` does, or why it refuses. */
/**
 * Why the backend forbids any repair now, or undefined: an update it reports in progress, a
 * backend it cannot read, a live lock holder on this host, another host's lock. Decided before
 * the cluster is read; --force never skips it (--force is about Helm's pending revision only).
 */
export function backendRefusal(locks: readonly StackLock[], o: Pick<RecoveryOptions, "updateInProgress" | "backendUnknown">): string | undefined {
    if (o.updateInProgress) return `${o.updateInProgress}: wait for it to end (pulumi cancel only once you know it is gone)`;
    if (o.backendUnknown) return `cannot tell whether an update of this stack is running: ${o.backendUnknown}`;
    const live = locks.find((l) => l.alive === true);
    if (live) return `an update of this stack is running: pulumi (pid ${live.pid}) on this host holds the stack's lock ${live.file} (${live.timestamp ?? "?"}); wait for it to end`;
    const foreign = locks.find((l) => l.alive === undefined);
    if (foreign) {
        return `the stack is locked by ${foreign.username ?? "?"}@${foreign.hostname} (pid ${foreign.pid}, ${foreign.timestamp ?? "?"}): another machine's update may still run. Needs a person: make sure it has ended (the CI job, the laptop), then \`pulumi cancel\` and run this again`;
    }
    return undefined;
}

export function planRecovery(f: ReleaseFinding, locks: readonly StackLock[], o: RecoveryOptions): RecoveryPlan {
    const refused = backendRefusal(locks, o);
    if (refused) return { refuse: refused, steps: [] };
    const steps: RecoveryStep[] = locks.map((lock) => ({ kind: "cancel-stale-lock" as const, lock }));
    if (f.kind === "stuck" || f.kind === "unknown-to-state") {
        if (f.kind === "unknown-to-state" && !f.pendingCreate) {
            return { refuse: `release ${o.release} is in the cluster but neither in the stack's state nor a pending create of it: it may belong to another stack or a hand install. Needs a person (docs/operations.md)`, steps: [] };
        }
        if (f.kind === "unknown-to-state" && !isPending(f.status) && !o.force) {
            return { refuse: `release ${o.release} (revision ${f.revision}) finished installing (${f.status}) but the state never recorded it: it may be serving. Repairing it removes and installs it again (a short outage); re-run with --force to do that`, steps: [] };
        }
        if (isPending(f.status)) {
            const limit = o.timeoutSeconds + GRACE_SECONDS;
            if (!o.force && (f.ageSeconds === undefined || f.ageSeconds < limit)) {
                return {
                    refuse: `revision ${f.revision} of release ${o.release} has been ${f.status} for ${f.ageSeconds ?? "an unknown number of"} s, less than the release timeout plus ${GRACE_SECONDS} s (${limit} s): ` +
                        `a Helm operation of another client may still be running it. Wait ${f.ageSeconds === undefined ? limit : limit - f.ageSeconds} s, or re-run with --force if you know none runs (the deploy that was interrupted is gone)`,
                    steps: [],
                };
            }
            steps.push({ kind: "mark-failed", revision: f.revision, secret: f.secret, from: f.status });
            // What the atomic operation would have done had its process lived: back to the revision
            // Helm and the state last agreed on. Its objects (a half-rolled Deployment) go back too;
            // an upgrade alone would not run when the stack's config equals that revision's.
            if (f.kind === "stuck" && f.lastDeployed !== undefined) steps.push({ kind: "rollback", to: f.lastDeployed });
        }
        if (f.kind === "unknown-to-state" && f.pendingCreate) steps.push({ kind: "uninstall" }, { kind: "clear-pending-creates", urn: f.pendingCreate });
    }
    if (o.up) steps.push({ kind: "up" });
    return { steps };
}

/** A plan as the lines printed before it runs. */
export function describePlan(p: RecoveryPlan): string[] {
    if (p.refuse) return [`refused: ${p.refuse}`];
    return p.steps.map((s) => {
        switch (s.kind) {
            case "cancel-stale-lock": return `remove the stale lock of pulumi pid ${s.lock.pid} (not running on this host any more): pulumi cancel`;
            case "mark-failed": return `mark revision ${s.revision} (${s.from}) failed, as Helm records an operation that ended in error (Secret ${s.secret})`;
            case "rollback": return `helm rollback to revision ${s.to}, the last deployed one (what the atomic operation would have done had it not been killed), waiting for its pods`;
            case "uninstall": return "remove the install that never completed: helm uninstall --wait (its objects; the stack's Namespace and Secret stay)";
            case "clear-pending-creates": return `drop the interrupted create from the state: pulumi refresh --clear-pending-creates (${s.urn})`;
            case "up": return "pulumi up --refresh: the stack's config applied by one atomic Helm upgrade (pending updates of the interrupted run are dropped by the engine)";
        }
    });
}

/** A revision from its storage Secret's labels, falling back to the decoded record for the times. */
export function revisionFromSecret(secret: { metadata: { name: string; labels?: Record<string, string>; creationTimestamp?: string } }, decoded: { version: number; status: string; lastDeployed?: string }): ReleaseRevision {
    const labels = secret.metadata.labels ?? {};
    const modified = labels.modifiedAt ? Number(labels.modifiedAt) * 1000 : undefined;
    const fromRecord = decoded.lastDeployed ? Date.parse(decoded.lastDeployed) : NaN;
    const fromMeta = secret.metadata.creationTimestamp ? Date.parse(secret.metadata.creationTimestamp) : NaN;
    const modifiedMs = modified !== undefined && Number.isFinite(modified) ? modified : Number.isFinite(fromRecord) ? fromRecord : Number.isFinite(fromMeta) ? fromMeta : undefined;
    return {
        revision: labels.version ? Number(labels.version) : decoded.version,
        // The label is what `helm list`'s storage query and the lock check read; the record agrees
        // unless someone edited one of them.
        status: labels.status ?? decoded.status,
        secret: secret.metadata.name,
        ...(modifiedMs === undefined ? {} : { modifiedMs }),
    };
}

/** The stack's view of the release from `pulumi stack export` (version 3 checkpoints). */
export function stackView(exported: unknown): StackView {
    const d = (exported as { deployment?: { resources?: Array<{ urn: string; type: string; delete?: boolean }>; pending_operations?: Array<{ type: string; resource: { urn: string; type: string } }> } })?.deployment ?? {};
    const release = (d.resources ?? []).find((r) => r.type === HELM_RELEASE_TYPE && !r.delete);
    return {
        ...(release ? { releaseUrn: release.urn } : {}),
        pending: (d.pending_operations ?? []).map((p) => ({ type: p.type, urn: p.resource.urn, resourceType: p.resource.type })),
    };
}

/**
 * A release record (the storage Secret's `release` field: base64 of base64 of gzipped JSON) with
 * its status set to failed and a description saying why, as Helm writes an operation that ended
 * in error. Everything else in the record (manifest, values, hooks) is kept.
 */
export function markRecordFailed(data: string, description: string): string {
    let raw = Buffer.from(Buffer.from(data, "base64").toString("utf8"), "base64");
    if (raw[0] === 0x1f && raw[1] === 0x8b) raw = zlib.gunzipSync(raw);
    const rel = JSON.parse(raw.toString("utf8")) as { info?: Record<string, unknown> };
    rel.info = { ...(rel.info ?? {}), status: "failed", description };
    const packed = zlib.gzipSync(Buffer.from(JSON.stringify(rel), "utf8"));
    return Buffer.from(packed.toString("base64"), "utf8").toString("base64");
}
