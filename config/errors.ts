// Error formatting: one line per problem, naming the `taskflow-api:` key, with the valid keys
// when a key is misspelt.
import { z } from "zod";

import { NAMESPACE_PREFIX, PROJECT } from "./constants";
import { rootObject } from "./schema";

/** Every problem of a stack configuration, one line each, naming the `taskflow-api:` key. */
export class ConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(
            `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

/** `taskflow-api:cluster.privateSubnetIds[0]` */
export function configKey(path: readonly PropertyKey[]): string {
    return (
        NAMESPACE_PREFIX +
        path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("")
    );
}

export function describeIssue(issue: z.core.$ZodIssue): string[] {
    if (issue.code === "unrecognized_keys") {
        const valid = knownKeys(issue.path);
        return issue.keys.map(
            (k) => `${configKey([...issue.path, k])}: unknown key${valid.length ? ` (valid keys here: ${valid.join(", ")})` : ""}`,
        );
    }
    if (issue.path.length === 0) return [`${PROJECT}: ${issue.message}`];
    let message = issue.message;
    if (issue.code === "invalid_type" && issue.input === undefined) message = `required (expected ${issue.expected})`;
    // Echo the offending value, except for anything that may hold credentials.
    const sensitive = issue.path.some((p) => String(p) === "kubeconfig");
    if (!sensitive && issue.input !== undefined && typeof issue.input !== "object") {
        message += ` (got ${JSON.stringify(issue.input).slice(0, 80)})`;
    }
    return [`${configKey(issue.path)}: ${message}`];
}

/** Keys an object of the schema accepts at `path`, to suggest the right spelling. */
function knownKeys(path: readonly PropertyKey[]): string[] {
    type Def = { type: string; innerType?: Schema; in?: Schema; out?: Schema; element?: Schema; shape?: Record<string, Schema> };
    type Schema = { _zod: { def: Def } };
    // Through optional/default/prefault/nullable wrappers and preprocess/transform pipes.
    const unwrap = (schema: Schema): Schema => {
        for (;;) {
            const def = schema._zod.def;
            if (def.innerType) schema = def.innerType;
            else if (def.type === "pipe" && def.in && def.out) schema = def.in._zod.def.type === "transform" ? def.out : def.in;
            else return schema;
        }
    };
    let schema: Schema | undefined = rootObject as unknown as Schema;
    for (const segment of path) {
        const def: Def = unwrap(schema)._zod.def;
        schema = typeof segment === "number" ? def.element : def.shape?.[String(segment)];
        if (schema === undefined) return [];
    }
    const shape = unwrap(schema)._zod.def.shape;
    return shape ? Object.keys(shape) : [];
}
