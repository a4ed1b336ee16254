// One mock of the Pulumi engine for every unit test (and for the offline plan): it records each
// registered resource and answers with plausible provider outputs. The infrastructure facts it
// returns are PLACEHOLDERS, not anything real.
import * as pulumi from "@pulumi/pulumi";
import * as crypto from "crypto";
import * as path from "path";

export interface RecordedResource {
    /** Pulumi type token, e.g. "aws:elasticache/replicationGroup:ReplicationGroup". */
    readonly type: string;
    readonly name: string;
    /** Inputs as the provider would receive them (secrets unwrapped). */
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    readonly inputs: Record<string, any>;
    /** Provider reference (urn::id) for custom resources with an explicit provider. */
    readonly provider?: string;
    readonly custom: boolean;
    /** Paths of the inputs that arrived marked secret, e.g. "stringData" or "authToken". */
    readonly secretPaths: string[];
    /** The id a lookup (`Resource.get`) reads; absent for a resource the stack manages. */
    readonly lookup?: string;
}

/** Every resource registered since the last reset, in registration order. */
export const recorded: RecordedResource[] = [];

export function resetRecorded(): void {
    recorded.length = 0;
}

/** Marker in every generated secret, so tests can search output for leaks. */
export const MOCK_SECRET_MARKER = "mocksecret";

export const PLACEHOLDER_ACCOUNT = "123456789012";
export const PLACEHOLDER_ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";

/** Outputs of the cluster stack as a StackReference returns them (placeholders). */
export const PLACEHOLDER_CLUSTER_OUTPUTS = {
    oidcProviderArn: `arn:aws:iam::${PLACEHOLDER_ACCOUNT}:oidc-provider/${PLACEHOLDER_ISSUER}`,
    oidcIssuerUrl: `https://${PLACEHOLDER_ISSUER}`,
    vpcId: "vpc-0fedcba9876543210",
    privateSubnetIds: ["subnet-0fedcba9876543210", "subnet-0fedcba9876543211"],
    nodeSecurityGroupId: "sg-0fedcba9876543210",
    kubeconfig: "apiVersion: v1\nkind: Config\n# placeholder kubeconfig from the cluster stack\n",
};

/**
 * Outputs the mocked StackReference returns: the placeholders, or what a test put here to play a
 * cluster stack with bad outputs (restore with `clusterOutputs.current = PLACEHOLDER_CLUSTER_OUTPUTS`).
 */
export const clusterOutputs: { current: Record<string, unknown> } = { current: PLACEHOLDER_CLUSTER_OUTPUTS };

/** Primary endpoint the mocked ElastiCache replication group reports. */
export function placeholderRedisHost(name: string): string {
    return `master.${name}-placeholder.abc123.use1.cache.amazonaws.com`;
}

/**
 * Fields the AWS provider names itself when the program leaves them unset, with their maximum
 * length and case (pulumi-aws provider/resources.go: AutoName / AutoNameTransform). Only the
 * types this program registers.
 */
export const AUTO_NAMED: Readonly<Record<string, { field: string; max: number; lower?: true }>> = {
    "aws:elasticache/replicationGroup:ReplicationGroup": { field: "replicationGroupId", max: 40, lower: true },
    "aws:elasticache/subnetGroup:SubnetGroup": { field: "name", max: 255, lower: true },
    "aws:ec2/securityGroup:SecurityGroup": { field: "name", max: 255 },
    "aws:cloudwatch/logGroup:LogGroup": { field: "name", max: 512 },
    "aws:cloudwatch/metricAlarm:MetricAlarm": { field: "name", max: 255 },
    "aws:sns/topic:Topic": { field: "name", max: 256 },
    "aws:iam/role:Role": { field: "name", max: 64 },
    "aws:iam/rolePolicy:RolePolicy": { field: "name", max: 128 },
};

/**
 * Pulumi's auto-name: the logical name, "-" and 7 random hex characters. Derived from the name
 * here, so two plans of one config are identical. Too long fails as the bridge fails at preview.
 */
export function autoName(type: string, name: string): string {
    const rule = AUTO_NAMED[type];
    const suffix = crypto.createHash("sha256").update(`${type}\0${name}`).digest("hex").slice(0, 7);
    const generated = `${name}-${suffix}`;
    if (generated.length > rule.max) {
        throw new Error(`${type} ${name}: name '${name}-' plus 7 random chars is longer than maximum length ${rule.max}`);
    }
    return rule.lower ? generated.toLowerCase() : generated;
}

/** The inputs after the provider's Check: auto-named fields filled in when the program left them unset. */
function checkedInputs(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
    const rule = AUTO_NAMED[type];
    if (rule === undefined || inputs[rule.field] !== undefined || (rule.field === "name" && inputs.namePrefix !== undefined)) return inputs;
    return { ...inputs, [rule.field]: autoName(type, name) };
}

function newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
    const secretPaths: string[] = [];
    const inputs = checkedInputs(args.type, args.name, args.inputs);
    recorded.push({
        type: args.type, name: args.name, inputs: unwrapSecrets(inputs, "", secretPaths) as Record<string, unknown>,
        provider: args.provider, custom: args.custom ?? true, secretPaths,
        ...(args.id ? { lookup: args.id } : {}),
    });
    const id = `${args.name}-id`;
    if (args.type.startsWith("aws:")) {
        const physical = AUTO_NAMED[args.type] && String(inputs[AUTO_NAMED[args.type].field]);
        const state: Record<string, unknown> = {
            name: physical ?? args.name,
            arn: `arn:aws:mock:us-east-1:${PLACEHOLDER_ACCOUNT}:${physical ?? args.name}`,
            ...inputs,
        };
        switch (args.type) {
            case "aws:elasticache/replicationGroup:ReplicationGroup":
                // No `port`: @pulumi/aws 7 may leave it undefined, and the component must cope.
                delete state.port;
                state.primaryEndpointAddress = placeholderRedisHost(args.name);
                break;
            case "aws:iam/role:Role":
                state.arn = `arn:aws:iam::${PLACEHOLDER_ACCOUNT}:role${inputs.path ?? "/"}${physical}`;
                break;
        }
        return { id, state };
    }
    switch (args.type) {
        case "random:index/randomPassword:RandomPassword":
            return { id, state: { ...inputs, result: `${MOCK_SECRET_MARKER}-${args.name}-Zx9&Qr7#Lm2^` } };
        case "pulumi:pulumi:StackReference":
            return {
                id: String(inputs.name),
                state: { name: inputs.name, outputs: clusterOutputs.current, secretOutputNames: ["kubeconfig"] },
            };
        case "kubernetes:helm.sh/v3:Release":
            return {
                id,
                state: {
                    ...inputs,
                    status: {
                        name: inputs.name, namespace: inputs.namespace, status: "deployed",
                        revision: 1, chart: "taskflow-api", version: "0.2.0", appVersion: "1.0.0",
                    },
                },
            };
        default:
            return { id, state: inputs };
    }
}

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
    return Object.fromEntries(
        Object.entries(obj).map(([k, v]) => [k, unwrapSecrets(v, path ? `${path}.${k}` : k, secretPaths)]),
    );
}

// The SDK captures a full stack trace for every resource (its source position) and every internal
// promise. Under ts-node each capture goes through source-map-support, which made up most of
// the suite's run time. Under mocks those traces are never used, so errors created by the SDK
// itself keep only their message line; every other error keeps its source-mapped trace.
const mappedPrepare = Error.prepareStackTrace;
if (mappedPrepare) {
    const sdkDir = ["", "@pulumi", "pulumi", ""].join(path.sep);
    Error.prepareStackTrace = (error, frames) => {
        const file = frames[0]?.getFileName() ?? "";
        if (file.includes(sdkDir)) {
            return String(error);
        }
        return mappedPrepare(error, frames);
    };
}

export const mocks: pulumi.runtime.Mocks = {
    newResource,
    call: (args) => args.inputs,
};

/** Installs the mocks (idempotent). Must run before any resource is constructed. */
export function installMocks(stack = "unit"): void {
    pulumi.runtime.setMocks(mocks, "taskflow-api", stack, false);
}

// Unit tests see no ambient cluster: the Kubernetes SDK fills a provider's kubeconfig from
// $KUBECONFIG, so a developer's (or the local cluster's) kubeconfig would leak into what the
// program registers and change the results.
delete process.env.KUBECONFIG;
installMocks();

/** Resolves an Output to its value (`undefined` stays undefined). */
export function promiseOf<T>(output: pulumi.Input<T> | undefined): Promise<pulumi.Unwrap<T> | undefined> {
    if (output === undefined) return Promise.resolve(undefined);
    return new Promise((resolve) => pulumi.output(output).apply((v) => {
        resolve(v);
        return v;
    }));
}

// Internal to @pulumi/pulumi but stable for years: resolves once the RPC queue (every pending
// resource registration) has drained.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs?: () => Promise<void> };

/** Waits until every resource constructed so far has been registered with the mocks. */
export async function settle(): Promise<void> {
    if (settings.waitForRPCs) {
        await settings.waitForRPCs();
        return;
    }
    // Fallback: wait until the record stops growing.
    let last = -1;
    while (last !== recorded.length) {
        last = recorded.length;
        await new Promise((r) => setTimeout(r, 20));
    }
}
