// Runs the pack's own validation functions the way the engine's analyzer does, on what the real
// program registers under the project's mocks: resource policies once per resource with its
// inputs, options and provider; stack policies once with every resource, its parent and its
// dependencies resolved to objects. No engine, cloud or cluster.
import { unknownCheckingProxy, UnknownValueError } from "@pulumi/policy";
import type {
    Policies,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
} from "@pulumi/policy";

import { installMocks, settle } from "../../../test/support/mocks";
import { buildStack, stackRawConfig } from "../../../test/support/stacks";
import { policies as packPolicies } from "../../policies";
import { captureRegistrations } from "../../../test/support/capture";

/** One registered resource, as the engine would describe it to a policy. Plain data: mutable copies. */
export interface SnapshotResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly custom: boolean;
    /** Inputs as the provider receives them (secrets unwrapped, as the analyzer sees them). */
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    props: Record<string, any>;
    opts: PolicyResourceOptions;
    /** Provider reference, `<provider urn>::<provider id>`. */
    provider?: string;
    parent?: string;
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
}

export interface Violation {
    readonly policy: string;
    readonly message: string;
    readonly urn?: string;
    /** Set where the engine would downgrade the report to advisory: a value unknown in preview. */
    readonly advisory?: true;
}

/** How the engine marks an unknown string on the wire (a preview's not-yet-computed value). */
export const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Per-policy config, as in a `--policy-pack-config` file. */
export type PackConfig = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

const snapshots = new Map<string, Promise<SnapshotResource[]>>();

/**
 * What the real program registers for Pulumi.<stack>.yaml (or for `raw` config), with URNs that
 * carry the stack's name. A fresh deep copy on every call, so a test may mutate it freely.
 */
export async function snapshotOf(stack: string, raw?: Record<string, string>): Promise<SnapshotResource[]> {
    const key = raw === undefined ? stack : `${stack}\0${JSON.stringify(raw)}`;
    let snapshot = snapshots.get(key);
    if (snapshot === undefined) {
        snapshot = record(stack, raw ?? stackRawConfig(stack));
        snapshots.set(key, snapshot);
    }
    return structuredClone(await snapshot);
}

async function record(stack: string, raw: Record<string, string>): Promise<SnapshotResource[]> {
    await settle();
    // Mocks named after the stack: the URNs then say `urn:pulumi:<stack>::...`, as in a real run.
    installMocks(stack);
    const captured = captureRegistrations();
    const built = await buildStack(stack, raw);
    const byKey = new Map(captured.map((c) => [`${c.type}\0${c.name}`, c]));
    if (byKey.size !== captured.length) throw new Error(`${stack}: two registrations share a type and name`);
    return built.resources.map((r) => {
        const reg = byKey.get(`${r.type}\0${r.name}`);
        if (reg === undefined) throw new Error(`${stack}: no captured registration for ${r.type} ${r.name}`);
        return {
            type: r.type,
            name: r.name,
            urn: reg.urn,
            custom: r.custom,
            props: structuredClone(r.inputs),
            opts: {
                protect: reg.protect,
                ignoreChanges: reg.ignoreChanges,
                aliases: [],
                customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
                additionalSecretOutputs: reg.additionalSecretOutputs,
                ...(reg.deleteBeforeReplace !== undefined ? { deleteBeforeReplace: reg.deleteBeforeReplace } : {}),
                ...(reg.parent ? { parent: reg.parent } : {}),
            },
            provider: reg.provider,
            parent: reg.parent,
            dependencies: reg.dependencies,
            propertyDependencies: reg.propertyDependencies,
        };
    });
}

/** Thrown by `notApplicable()`, as the SDK's own marker is internal. */
class NotApplicable extends Error {}

function notApplicable(reason?: string): never {
    throw new NotApplicable(reason);
}

function isTypeOf(type: string) {
    return (resourceClass: unknown) => (resourceClass as { __pulumiType?: string }).__pulumiType === type;
}

/** The provider resource a `<urn>::<id>` reference points at. */
function providerOf(ref: string | undefined, snapshot: readonly SnapshotResource[]): PolicyProviderResource | undefined {
    if (ref === undefined) return undefined;
    const urn = ref.slice(0, ref.lastIndexOf("::"));
    const p = snapshot.find((r) => r.urn === urn);
    return p && { type: p.type, urn: p.urn, name: p.name, props: unknownCheckingProxy(p.props) };
}

/** What the analyzer shows of one resource, to a resource policy and to a stack policy alike. */
function resourceView(r: SnapshotResource, snapshot: readonly SnapshotResource[]) {
    const props = unknownCheckingProxy(r.props);
    const provider = providerOf(r.provider, snapshot);
    return {
        type: r.type,
        props,
        urn: r.urn,
        name: r.name,
        opts: r.opts,
        ...(provider ? { provider } : {}),
        isType: isTypeOf(r.type),
        asType: ((cls: unknown) => (isTypeOf(r.type)(cls) ? props : undefined)) as ResourceValidationArgs["asType"],
    };
}

function resourceArgs(r: SnapshotResource, snapshot: readonly SnapshotResource[], config: Record<string, unknown>): ResourceValidationArgs {
    return {
        ...resourceView(r, snapshot),
        stackTags: new Map(),
        getConfig: <T extends object>() => ({ ...config }) as T,
        notApplicable,
    };
}

function stackArgs(snapshot: readonly SnapshotResource[], config: Record<string, unknown>): StackValidationArgs {
    const byUrn = new Map<string, PolicyResource>();
    const resources = snapshot.map((r) => {
        const resource: PolicyResource = { ...resourceView(r, snapshot), dependencies: [], propertyDependencies: {} };
        byUrn.set(r.urn, resource);
        return resource;
    });
    // Parents and dependencies point at the same objects, as the analyzer builds them.
    snapshot.forEach((r, i) => {
        const resource = resources[i];
        if (r.parent) resource.parent = byUrn.get(r.parent);
        resource.dependencies = r.dependencies.flatMap((u) => byUrn.get(u) ?? []);
        for (const [key, urns] of Object.entries(r.propertyDependencies)) {
            resource.propertyDependencies[key] = urns.flatMap((u) => byUrn.get(u) ?? []);
        }
    });
    return { resources, stackTags: new Map(), getConfig: <T extends object>() => ({ ...config }) as T, notApplicable };
}

/** Every violation the given policies report on the snapshot. */
export async function runPolicies(
    snapshot: readonly SnapshotResource[],
    policies: Policies = packPolicies,
    config: PackConfig = {},
): Promise<Violation[]> {
    const violations: Violation[] = [];
    for (const policy of policies) {
        const own = config[policy.name] ?? {};
        const report = (urn?: string) => (message: string, reported?: string) =>
            violations.push({ policy: policy.name, message, urn: reported ?? urn });
        // As the analyzer does: a policy that read an unknown value "can't run during preview"
        // (advisory), and notApplicable() skips; both end only the call that raised them.
        const judge = async (run: () => unknown, urn?: string) => {
            try {
                await run();
            } catch (e) {
                if (e instanceof UnknownValueError) {
                    violations.push({ policy: policy.name, message: `can't run during preview: ${(e as Error).message}`, urn, advisory: true });
                } else if (!(e instanceof NotApplicable)) {
                    throw e;
                }
            }
        };
        if ("validateStack" in policy) {
            await judge(() => policy.validateStack(stackArgs(snapshot, own), report()));
            continue;
        }
        const validations = policy.validateResource === undefined ? []
            : Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
        // The engine analyzes one resource per request and catches per validation
        // (@pulumi/policy server.js, analyze): an unknown in one resource must not spare the next.
        for (const r of snapshot) {
            for (const validate of validations) await judge(() => validate(resourceArgs(r, snapshot, own), report(r.urn)), r.urn);
        }
    }
    return violations;
}

/** The one resource of a type in a snapshot (fails on none or several). */
export function one(snapshot: readonly SnapshotResource[], type: string): SnapshotResource {
    const found = snapshot.filter((r) => r.type === type);
    if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
    return found[0];
}
