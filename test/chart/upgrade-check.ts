// What an upgrade from the previous release cannot apply in place: two renders of the chart (the
// previous release's chart with its stack values, and HEAD's with HEAD's), compared object by
// object for fields the API server refuses to change. Helm's upgrade then fails half-way
// ("field is immutable") and, with an atomic release, rolls back: the release never ships. Such a
// change must say how it migrates, in test/chart/upgrade-migrations.yaml; an entry there that no
// longer matches a change fails too, so declarations do not outlive the release that needed them.
//
//   npx ts-node --transpile-only test/chart/upgrade-check.ts BASE.yaml HEAD.yaml [MIGRATIONS.yaml]
//   exit 0: nothing immutable changed (or every change declared); 1: changes listed; 2: error
import * as fs from "fs";
import * as yaml from "js-yaml";

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects are read loosely. */

/**
 * Fields of an existing object that an update may not change (Kubernetes API validation:
 * apps/v1 ValidateDeploymentUpdate, ValidateStatefulSetUpdate, batch/v1 ValidateJobUpdate,
 * core/v1 ValidatePersistentVolumeClaimUpdate, ValidateServiceUpdate).
 */
const IMMUTABLE: Readonly<Record<string, readonly string[]>> = {
    Deployment: ["spec.selector"],
    ReplicaSet: ["spec.selector"],
    DaemonSet: ["spec.selector"],
    StatefulSet: ["spec.selector", "spec.serviceName", "spec.volumeClaimTemplates", "spec.podManagementPolicy"],
    Job: ["spec.selector", "spec.template", "spec.completions"],
    PersistentVolumeClaim: ["spec.storageClassName", "spec.accessModes", "spec.volumeName", "spec.selector"],
    Service: ["spec.clusterIP"],
};

/** One refused change: the object, the field and its value before and after. */
export interface Violation {
    readonly object: string;
    readonly field: string;
    readonly before: string;
    readonly after: string;
}

/** A declared migration: the object and field it covers, and how the upgrade handles it. */
export interface Migration {
    readonly object: string;
    readonly field: string;
    readonly how: string;
}

export interface Verdict {
    readonly violations: readonly Violation[];
    /** Declarations that matched nothing (stale: remove them). */
    readonly stale: readonly Migration[];
    /** Declarations that matched a violation. */
    readonly declared: readonly Migration[];
}

/** Key order does not matter to the API server; it must not matter here. */
function canonical(v: unknown): string {
    if (v === undefined || v === null) return "";
    if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
    if (typeof v === "object") {
        return `{${Object.keys(v as object).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as any)[k])}`).join(",")}}`;
    }
    return JSON.stringify(v);
}

function at(obj: any, field: string): unknown {
    return field.split(".").reduce((o, k) => (o === undefined || o === null ? undefined : o[k]), obj);
}

function idOf(doc: any): string {
    return `${doc.kind}/${doc.metadata?.name}`;
}

/**
 * A hook object Helm deletes before it creates the new one (`before-hook-creation`) is created
 * afresh on every upgrade, so none of its fields is ever updated.
 */
function recreatedByHelm(doc: any): boolean {
    const a = doc.metadata?.annotations ?? {};
    return Boolean(a["helm.sh/hook"]) && String(a["helm.sh/hook-delete-policy"] ?? "").split(",").map((s) => s.trim()).includes("before-hook-creation");
}

/** Compares two renders (parsed YAML documents). Pure: tested without Helm. */
export function compareRenders(base: readonly any[], head: readonly any[], migrations: readonly Migration[] = []): Verdict {
    const before = new Map(base.filter((d) => d?.kind).map((d) => [idOf(d), d]));
    const found: Violation[] = [];
    for (const doc of head.filter((d) => d?.kind)) {
        const old = before.get(idOf(doc));
        if (!old || recreatedByHelm(doc)) continue;
        for (const field of IMMUTABLE[doc.kind] ?? []) {
            const [a, b] = [canonical(at(old, field)), canonical(at(doc, field))];
            if (a !== b) found.push({ object: idOf(doc), field, before: a || "(unset)", after: b || "(unset)" });
        }
        // A type change to or from ExternalName drops or needs a cluster IP: replace only.
        if (doc.kind === "Service") {
            const [ta, tb] = [String(old.spec?.type ?? "ClusterIP"), String(doc.spec?.type ?? "ClusterIP")];
            if (ta !== tb && (ta === "ExternalName" || tb === "ExternalName")) found.push({ object: idOf(doc), field: "spec.type", before: ta, after: tb });
        }
    }
    const covers = (m: Migration, v: Violation) => m.object === v.object && m.field === v.field;
    return {
        violations: found.filter((v) => !migrations.some((m) => covers(m, v))),
        declared: migrations.filter((m) => found.some((v) => covers(m, v))),
        stale: migrations.filter((m) => !found.some((v) => covers(m, v))),
    };
}

/** Reads test/chart/upgrade-migrations.yaml: every entry names its object and field and says how. */
export function parseMigrations(text: string): Migration[] {
    const doc = (yaml.load(text) ?? {}) as { migrations?: unknown };
    const list = doc.migrations ?? [];
    if (!Array.isArray(list)) throw new Error("migrations: must be a list");
    return list.map((m: any, i: number) => {
        for (const key of ["object", "field", "how"]) {
            if (typeof m?.[key] !== "string" || !m[key].trim()) throw new Error(`migrations[${i}].${key}: a non-empty string is required`);
        }
        return { object: m.object, field: m.field, how: m.how };
    });
}

if (require.main === module) {
    const [baseFile, headFile, migrationsFile] = process.argv.slice(2);
    try {
        if (!baseFile || !headFile) throw new Error("usage: upgrade-check.ts BASE.yaml HEAD.yaml [MIGRATIONS.yaml]");
        const load = (f: string) => yaml.loadAll(fs.readFileSync(f, "utf8")) as any[];
        const migrations = migrationsFile ? parseMigrations(fs.readFileSync(migrationsFile, "utf8")) : [];
        const v = compareRenders(load(baseFile), load(headFile), migrations);
        for (const m of v.declared) console.log(`declared: ${m.object} ${m.field}: ${m.how}`);
        for (const x of v.violations) {
            console.error(`immutable: ${x.object} ${x.field} changes (${x.before} -> ${x.after}); Helm cannot upgrade it in place. ` +
                `Keep it, or migrate it and declare how in test/chart/upgrade-migrations.yaml`);
        }
        for (const m of v.stale) console.error(`stale: ${m.object} ${m.field} is declared in the migrations file but does not change; remove the entry`);
        if (v.violations.length === 0 && v.stale.length === 0) console.log(`upgrade-check: no immutable field changes (${load(headFile).filter(Boolean).length} objects)`);
        process.exitCode = v.violations.length || v.stale.length ? 1 : 0;
    } catch (e) {
        console.error(`upgrade-check: ${(e as Error).message}`);
        process.exitCode = 2;
    }
}
