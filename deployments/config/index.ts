// The stack configuration of this project: validated once, before any resource is registered.
// Every problem is reported together, each naming its `taskflow-api-deployments:` key.
import { z } from "zod";

import { crossFieldRules } from "./rules";
import { Parsed, rootShape, StackConfig } from "./schema";

/** Config namespace: the project name in Pulumi.yaml. */
export const PROJECT = "taskflow-api-deployments";
const PREFIX = `${PROJECT}:`;

export type Config = Readonly<Parsed>;
export type { StackConfig };

const rootSchema = z
    .strictObject(rootShape)
    .superRefine((c, ctx) => crossFieldRules(c, ctx), { when: () => true });

/** Every problem of a stack configuration, one line each. */
export class ConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(
            `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

export interface ParseOptions {
    /**
     * Keys Pulumi marks secret (`pulumi config set --secret`). Nothing in deployment settings may
     * be secret (config/secrets.ts), so any of ours is an error. Default: none.
     */
    readonly secretKeys?: readonly string[];
}

/**
 * Validates the raw config of a stack and returns the typed model, or throws one ConfigError
 * listing every problem.
 *
 * @param raw Config as Pulumi hands it to the program (`pulumi.runtime.allConfig()`): keys
 *   namespaced, values strings, structured values as JSON. Other namespaces are ignored.
 */
export function parseConfig(raw: Readonly<Record<string, string>>, opts: ParseOptions = {}): Config {
    const problems: string[] = [];
    const tree: Record<string, unknown> = {};
    // Secret sections are left out of the tree; their absence is not a second problem.
    const refused = new Set<string>();
    for (const key of Object.keys(raw).sort()) {
        if (!key.startsWith(PREFIX)) continue;
        if (opts.secretKeys?.includes(key)) {
            problems.push(`${key}: is a secret; deployment settings are stored in plain text (put it in the stack's ESC environment)`);
            refused.add(key.slice(PREFIX.length));
            continue;
        }
        const value = decode(raw[key]);
        if (value instanceof Error) problems.push(`${key}: ${value.message}`);
        else tree[key.slice(PREFIX.length)] = value;
    }
    const result = rootSchema.safeParse(tree, { reportInput: true });
    if (result.success && problems.length === 0) return result.data;
    for (const issue of result.error?.issues ?? []) {
        if (!refused.has(String(issue.path[0]))) problems.push(...describeIssue(issue));
    }
    throw new ConfigError(problems);
}

function decode(value: string): unknown {
    const trimmed = value.trim();
    if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) return value;
    try {
        return JSON.parse(trimmed);
    } catch {
        return new Error("structured value is not valid JSON");
    }
}

/** `taskflow-api-deployments:stacks.prod.pushToDeploy` */
export function configKey(path: readonly PropertyKey[]): string {
    return PREFIX + path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("");
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
    if (issue.code === "unrecognized_keys") {
        return issue.keys.map((k) => `${configKey([...issue.path, k])}: unknown key`);
    }
    if (issue.path.length === 0) return [`${PROJECT}: ${issue.message}`];
    const message =
        issue.code === "invalid_type" && issue.input === undefined ? `required (expected ${issue.expected})` : issue.message;
    return [`${configKey(issue.path)}: ${message}`];
}
