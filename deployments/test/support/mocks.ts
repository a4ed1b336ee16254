// One mock of the Pulumi engine for every test: it records each registered resource (inputs as
// the provider would receive them) and answers with its inputs as state. No Pulumi Cloud call.
import * as pulumi from "@pulumi/pulumi";

export interface RecordedResource {
    /** Pulumi type token, e.g. "pulumiservice:index:DeploymentSettings". */
    readonly type: string;
    readonly name: string;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    readonly inputs: Record<string, any>;
    /** Paths of inputs that arrived marked secret. */
    readonly secretPaths: string[];
}

/** Every resource registered since the last reset, in registration order. */
export const recorded: RecordedResource[] = [];

export function resetRecorded(): void {
    recorded.length = 0;
}

export const PROJECT = "taskflow-api-deployments";
export const STACK = "settings";

// How the runtime serialises a secret value on the wire.
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function unwrapSecrets(value: unknown, path: string, secretPaths: string[]): unknown {
    if (Array.isArray(value)) return value.map((v, i) => unwrapSecrets(v, `${path}[${i}]`, secretPaths));
    if (typeof value !== "object" || value === null) return value;
    const obj = value as Record<string, unknown>;
    if (obj[SECRET_SIG_KEY] === SECRET_SIG) {
        secretPaths.push(path);
        return unwrapSecrets(obj.value, path, secretPaths);
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, unwrapSecrets(v, path ? `${path}.${k}` : k, secretPaths)]));
}

export const mocks: pulumi.runtime.Mocks = {
    newResource(args) {
        const secretPaths: string[] = [];
        const inputs = unwrapSecrets(args.inputs, "", secretPaths) as Record<string, unknown>;
        recorded.push({ type: args.type, name: args.name, inputs, secretPaths });
        return { id: `${args.name}-id`, state: args.inputs };
    },
    call: (args) => args.inputs,
};

/** Installs the mocks; must run before any resource is constructed. */
export function installMocks(): void {
    pulumi.runtime.setMocks(mocks, PROJECT, STACK, false);
}

installMocks();

/** Resolves an Output to its value. */
export function promiseOf<T>(output: pulumi.Input<T>): Promise<pulumi.Unwrap<T>> {
    return new Promise((resolve) => pulumi.output(output).apply((v) => {
        resolve(v);
        return v;
    }));
}

// Internal to @pulumi/pulumi but stable for years: resolves once every pending resource
// registration has reached the mocks.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs?: () => Promise<void> };

export async function settle(): Promise<void> {
    if (settings.waitForRPCs) return settings.waitForRPCs();
    await new Promise((r) => setTimeout(r, 50));
}
