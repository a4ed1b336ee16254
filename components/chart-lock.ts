import * as crypto from "crypto";

/** A dependency as Chart.yaml or Chart.lock states it (the fields Helm's digest covers). */
export interface ChartDependency {
    readonly name: string;
    readonly version?: string;
    readonly repository?: string;
    readonly condition?: string;
    readonly tags?: readonly string[];
    readonly enabled?: boolean;
    readonly "import-values"?: readonly unknown[];
    readonly alias?: string;
}

/**
 * Helm's JSON form of a dependency: its Go struct's field order, `omitempty` where Helm has it
 * (`name` and `repository` are always written). The order and omissions matter: the digest is
 * a hash of these bytes.
 */
function helmJson(d: ChartDependency): Record<string, unknown> {
    const o: Record<string, unknown> = { name: d.name };
    if (d.version) o.version = d.version;
    o.repository = d.repository ?? "";
    if (d.condition) o.condition = d.condition;
    if (d.tags?.length) o.tags = d.tags;
    if (d.enabled) o.enabled = true;
    if (d["import-values"]?.length) o["import-values"] = d["import-values"];
    if (d.alias) o.alias = d.alias;
    return o;
}

/**
 * The `digest` of a Chart.lock, computed as `helm dependency update` does (resolver.HashReq):
 * sha256 over the JSON array `[Chart.yaml's dependencies, the locked dependencies]`.
 * `helm dependency build` recomputes it and refuses a lock that is out of sync with Chart.yaml
 * before it downloads anything.
 */
export function chartLockDigest(requested: readonly ChartDependency[], locked: readonly ChartDependency[]): string {
    // Go's encoder escapes <, > and & in strings; JSON.stringify does not. Do as Go does.
    const json = JSON.stringify([requested.map(helmJson), locked.map(helmJson)])
        .replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026");
    return `sha256:${crypto.createHash("sha256").update(json).digest("hex")}`;
}

/** The locked form of Chart.yaml's dependencies: name, repository and the exact version. */
export function lockedDependencies(requested: readonly ChartDependency[]): ChartDependency[] {
    return requested.map((d) => {
        if (!d.version || !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(d.version)) {
            throw new Error(`Chart.yaml dependency ${d.name}: pin an exact version (got "${d.version ?? ""}"); a range would need a repository index to resolve`);
        }
        return { name: d.name, repository: d.repository ?? "", version: d.version };
    });
}
