// Builds this project under the mocks from a stack file or raw config, the way index.ts does,
// and returns what it registered.
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

import { Config, parseConfig } from "../../config";
import { StackDeployment } from "../../stack-deployment";
import { recorded, RecordedResource, resetRecorded, settle } from "./mocks";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
export const STACK_FILE = path.join(PROJECT_ROOT, "Pulumi.settings.yaml");

/** Resource type tokens used in assertions. */
export const T = {
    settings: "pulumiservice:index:DeploymentSettings",
    drift: "pulumiservice:index:DriftSchedule",
    ttl: "pulumiservice:index:TtlSchedule",
    component: "taskflow:deployments:StackDeployment",
} as const;

/** Raw config of a stack file as Pulumi hands it to the program: strings, objects as JSON. */
export function rawConfigFromFile(file = STACK_FILE): Record<string, string> {
    const doc = yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
    return toRaw(doc.config ?? {});
}

export function toRaw(config: Readonly<Record<string, unknown>>): Record<string, string> {
    return Object.fromEntries(
        Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v) : String(v)]),
    );
}

/** The committed config with one top-level value replaced (or removed, with `undefined`). */
export function rawWith(key: string, value: unknown): Record<string, string> {
    const raw = rawConfigFromFile();
    const full = `taskflow-api-deployments:${key}`;
    if (value === undefined) delete raw[full];
    else raw[full] = typeof value === "string" ? value : JSON.stringify(value);
    return raw;
}

/** The committed config as a plain object section, to derive variants from. */
export function section<T = Record<string, unknown>>(key: string): T {
    return JSON.parse(rawConfigFromFile()[`taskflow-api-deployments:${key}`]) as T;
}

export interface Built {
    readonly config: Config;
    readonly resources: RecordedResource[];
    ofType(type: string): RecordedResource[];
    /** The DeploymentSettings of one taskflow-api stack. */
    settingsOf(stack: string): RecordedResource;
}

/** Validates raw config and registers every stack's deployment, as index.ts does. */
export async function build(raw: Record<string, string> = rawConfigFromFile()): Promise<Built> {
    await settle();
    resetRecorded();
    const config = parseConfig(raw);
    for (const stack of Object.keys(config.stacks)) new StackDeployment(stack, { config, stack });
    await settle();
    const resources = [...recorded];
    const ofType = (type: string) => resources.filter((r) => r.type === type);
    return {
        config,
        resources,
        ofType,
        settingsOf(stack) {
            const found = ofType(T.settings).filter((r) => r.inputs.stack === stack);
            if (found.length !== 1) throw new Error(`expected one DeploymentSettings for ${stack}, found ${found.length}`);
            return found[0];
        },
    };
}
