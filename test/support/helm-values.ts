// Helm's view of values: chart defaults deep-merged with the release's values, validated against
// chart/values.schema.json (draft-07, as Helm 3 and 4 read it).
import Ajv, { ValidateFunction } from "ajv";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

import { PROJECT_ROOT } from "./stacks";

const CHART_DIR = path.join(PROJECT_ROOT, "chart");
export const SCHEMA_PATH = path.join(CHART_DIR, "values.schema.json");

/** Helm's coalescing: maps merge key by key, everything else (lists included) is replaced. */
export function helmMerge(base: unknown, override: unknown): unknown {
    if (isMap(base) && isMap(override)) {
        const out: Record<string, unknown> = { ...base };
        for (const [k, v] of Object.entries(override)) out[k] = k in base ? helmMerge(base[k], v) : v;
        return out;
    }
    return override === undefined ? base : override;
}

function isMap(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function chartDefaults(): Record<string, unknown> {
    return yaml.load(fs.readFileSync(path.join(CHART_DIR, "values.yaml"), "utf8")) as Record<string, unknown>;
}

let compiled: ValidateFunction | undefined;

/** Validation errors of the merged values ([] when valid). */
export function schemaErrors(values: unknown): string[] {
    // Compiled once per run: compiling the schema costs far more than validating against it.
    compiled ??= new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(fs.readFileSync(SCHEMA_PATH, "utf8")));
    const validate = compiled;
    if (validate(helmMerge(chartDefaults(), values))) return [];
    return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
}
