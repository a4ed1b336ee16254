// What the shared mocks do not record: the resource options, the URN, the parent and the
// dependencies that the SDK sends with each registration. The engine hands exactly these to the
// policies (opts.protect, opts.additionalSecretOutputs, propertyDependencies, ...), so the
// harness captures them from the same RegisterResourceRequest, by wrapping the mock monitor.
import { PROJECT_ROOT } from "./stacks";

/**
 * The parts of a RegisterResourceRequest (or ReadResourceRequest, which lacks the option getters)
 * that the harness reads.
 */
interface ResourceRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getProvider(): string;
    getDependenciesList(): string[];
    getAdditionalsecretoutputsList(): string[];
    getCustom?(): boolean;
    getProtect?(): boolean;
    getDeletebeforereplace?(): boolean;
    getDeletebeforereplacedefined?(): boolean;
    getIgnorechangesList?(): string[];
    getPropertydependenciesMap?(): { forEach(fn: (deps: { getUrnsList(): string[] }, key: string) => void): void };
}

type Callback = (err: unknown, res?: { getUrn(): string }) => void;

interface Monitor {
    registerResource(req: ResourceRequest, callback: Callback): unknown;
    readResource(req: ResourceRequest, callback: Callback): unknown;
}

export interface Registration {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly custom: boolean;
    readonly parent?: string;
    /** Provider reference, `<provider urn>::<provider id>`. */
    readonly provider?: string;
    readonly protect: boolean;
    readonly deleteBeforeReplace?: boolean;
    readonly ignoreChanges: string[];
    readonly additionalSecretOutputs: string[];
    readonly dependencies: string[];
    readonly propertyDependencies: Record<string, string[]>;
}

// The program runs on the project root's @pulumi/pulumi (policy/ has its own copy): the monitor
// to wrap is that one's.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require(require.resolve("@pulumi/pulumi/runtime/settings", { paths: [PROJECT_ROOT] })) as {
    getMonitor(): Monitor | undefined;
};

function fromRequest(req: ResourceRequest, urn: string): Registration {
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap?.().forEach((deps, key) => {
        propertyDependencies[key] = deps.getUrnsList();
    });
    return {
        type: req.getType(),
        name: req.getName(),
        urn,
        // Reads (StackReference, get()) are always custom resources.
        custom: req.getCustom?.() ?? true,
        parent: req.getParent() || undefined,
        provider: req.getProvider() || undefined,
        protect: req.getProtect?.() ?? false,
        deleteBeforeReplace: req.getDeletebeforereplacedefined?.() ? req.getDeletebeforereplace?.() : undefined,
        ignoreChanges: req.getIgnorechangesList?.() ?? [],
        additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
        dependencies: req.getDependenciesList(),
        propertyDependencies,
    };
}

/**
 * Records every registration and read the current mock monitor answers from now on. Call it
 * after installMocks(): installing mocks replaces the monitor.
 */
export function captureRegistrations(): Registration[] {
    const monitor = settings.getMonitor();
    if (monitor === undefined) throw new Error("captureRegistrations: no mock monitor installed");
    const captured: Registration[] = [];
    const wrap = (call: (req: ResourceRequest, callback: Callback) => unknown) =>
        (req: ResourceRequest, callback: Callback) => call(req, (err, res) => {
            if (!err && res) captured.push(fromRequest(req, res.getUrn()));
            callback(err, res);
        });
    monitor.registerResource = wrap(monitor.registerResource.bind(monitor));
    monitor.readResource = wrap(monitor.readResource.bind(monitor));
    return captured;
}
