// Offline plan of one stack: validate its config, build it under the Pulumi mocks, print the
// resource inventory, and write every resource's inputs (resources.json), the Helm values and
// the rendered manifests. Needs no Pulumi
// CLI, cloud account or cluster. Infrastructure outputs (endpoints, ARNs, cluster facts) are
// PLACEHOLDERS from the mocks.
//
//   npm run plan -- --stack <name> [--out <dir>] [--values-only]
//
//   --stack        stack to plan (reads Pulumi.<name>.yaml)
//   --out          output directory (default out/<stack>)
//   --values-only  write resources.json and values.yaml only; skip `helm template`
//
// resources.json: every registered resource's type, name, provider and inputs as the provider
// would receive them (after Pulumi's auto-naming), sorted by type and name with object keys
// sorted, so two plans diff cleanly. Inputs that arrive marked secret are "<secret>".
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";

// The mocks must be installed before any resource module builds a resource.
import { installMocks, MOCK_SECRET_MARKER, promiseOf, recorded, RecordedResource, settle } from "../test/support/mocks";
import { createStack } from "../components/stack";
import { ConfigError, parseConfig, rawConfigFromStackFile } from "../config";

const ROOT = path.resolve(__dirname, "..");

interface Args {
    stack: string;
    out: string;
    valuesOnly: boolean;
}

function parseArgs(argv: string[]): Args {
    let stack: string | undefined;
    let out: string | undefined;
    let valuesOnly = false;
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const [flag, inline] = arg.split(/=(.*)/s, 2);
        const value = () => inline ?? argv[++i];
        if (flag === "--stack") stack = value();
        else if (flag === "--out") out = value();
        else if (arg === "--values-only") valuesOnly = true;
        else if (arg === "--help" || arg === "-h") usage(0);
        else fail(`unknown argument: ${arg}`, 2);
    }
    if (!stack) fail("--stack <name> is required", 2);
    return { stack, out: path.resolve(out ?? path.join(ROOT, "out", stack)), valuesOnly };
}

function usage(code: number): never {
    console.log("usage: npm run plan -- --stack <name> [--out <dir>] [--values-only]");
    process.exit(code);
}

function fail(message: string, code = 1): never {
    console.error(`plan: ${message}`);
    process.exit(code);
}

/** helm 4 binary: $HELM4, the tools cache, or helm on PATH. */
function findHelm(): string {
    if (process.env.HELM4) return process.env.HELM4;
    const toolsDir = process.env.TASKFLOW_TOOLS_DIR ?? path.join(os.homedir(), ".cache", "taskflow-api", "tools");
    const cached = path.join(toolsDir, "bin", "helm4");
    if (fs.existsSync(cached)) return cached;
    const onPath = (process.env.PATH ?? "").split(path.delimiter).map((d) => path.join(d, "helm")).find((p) => fs.existsSync(p));
    if (onPath) return onPath;
    fail("helm not found ($HELM4, the tools cache or PATH). Run `bash local/toolchain/tools.sh` to install it, or pass --values-only.");
}

/** Replaces any generated secret (all carry the mocks' marker) by "<redacted>"; counts them. */
function redact(value: unknown, found: { count: number }): unknown {
    if (typeof value === "string" && value.includes(MOCK_SECRET_MARKER)) {
        found.count++;
        return "<redacted>";
    }
    if (Array.isArray(value)) return value.map((v) => redact(v, found));
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, found)]));
    }
    return value;
}

/** The value with every path in `secretPaths` ("authToken", "stringData", "a.b[0]") replaced. */
function redactSecretPaths(value: unknown, secretPaths: ReadonlySet<string>, at = ""): unknown {
    if (at !== "" && secretPaths.has(at)) return "<secret>";
    if (Array.isArray(value)) return value.map((v, i) => redactSecretPaths(v, secretPaths, `${at}[${i}]`));
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(
            Object.keys(value).sort().map((k) => [k, redactSecretPaths((value as Record<string, unknown>)[k], secretPaths, at ? `${at}.${k}` : k)]),
        );
    }
    return value;
}

/** The plan's resource list: sorted, secrets redacted, keys in a stable order. */
export function resourceInventory(resources: readonly RecordedResource[]): object[] {
    return [...resources]
        .sort((a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name))
        .map((r) => ({
            type: r.type,
            name: r.name,
            // `<provider urn>::<id>`: the URN says which provider; the mock's id says nothing.
            ...(r.provider ? { provider: r.provider.slice(0, r.provider.lastIndexOf("::")) } : {}),
            inputs: redactSecretPaths(r.inputs, new Set(r.secretPaths)),
        }));
}

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    const stackFile = path.join(ROOT, `Pulumi.${args.stack}.yaml`);
    if (!fs.existsSync(stackFile)) fail(`no stack file ${path.relative(ROOT, stackFile)}`);

    let config;
    try {
        config = parseConfig(rawConfigFromStackFile(yaml.load(fs.readFileSync(stackFile, "utf8"))));
    } catch (e) {
        if (e instanceof ConfigError) fail(`${path.basename(stackFile)}: ${e.message}`);
        throw e;
    }

    installMocks(args.stack);
    const stack = createStack(config, { stack: args.stack, projectRoot: ROOT });
    const values = await promiseOf(stack.values);
    await settle();

    console.log(`Offline plan of stack "${args.stack}" (Pulumi mocks: endpoints, ARNs and cluster facts are PLACEHOLDERS)`);
    console.log("");
    console.log("Resources:");
    // Sorted, so two plans diff cleanly (registration order depends on output resolution).
    const inventory = recorded.map((r) => `${r.type}  ${r.name}`).sort();
    for (const line of inventory) console.log(`  ${line}`);
    console.log(`  (${recorded.length} resources)`);

    fs.mkdirSync(args.out, { recursive: true });
    const leaks = { count: 0 };
    const inventoryJson = redact(resourceInventory(recorded), leaks);
    const resourcesFile = path.join(args.out, "resources.json");
    fs.writeFileSync(resourcesFile, `${JSON.stringify(inventoryJson, null, 2)}\n`);
    console.log("");
    console.log(`Resources: ${path.relative(process.cwd(), resourcesFile)}`);
    // A generated secret outside a secret-marked input: it would be in plain text in the state.
    if (leaks.count > 0) fail(`${leaks.count} secret value(s) reached resource inputs not marked secret (redacted in the file); this is a bug`);

    const found = { count: 0 };
    const safeValues = redact(values, found);
    const valuesFile = path.join(args.out, "values.yaml");
    fs.writeFileSync(
        valuesFile,
        `# Helm values of stack ${args.stack}, from \`npm run plan\`. Endpoints and ARNs are placeholders.\n` +
            yaml.dump(safeValues, { noRefs: true, lineWidth: 120 }),
    );
    console.log(`Values:    ${path.relative(process.cwd(), valuesFile)}`);
    if (found.count > 0) fail(`${found.count} secret value(s) reached the Helm values (redacted in the file); this is a bug`);

    if (args.valuesOnly) return;

    const helm = findHelm();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "taskflow-plan-"));
    try {
        const staged = execFileSync("bash", [path.join(ROOT, "scripts", "stage-chart.sh"), tmp], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "inherit"],
        }).trim().split("\n").pop() as string;
        const manifests = execFileSync(helm, [
            "template", config.release.name, staged, "-n", config.namespace.name, "-f", valuesFile,
            // The cluster's version, so `.Capabilities.KubeVersion` branches render as they will there.
            ...(config.cluster.kubernetesVersion ? ["--kube-version", config.cluster.kubernetesVersion] : []),
        ], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 * 1024 * 1024 });
        const manifestsFile = path.join(args.out, "manifests.yaml");
        fs.writeFileSync(manifestsFile, manifests);
        console.log(`Manifests: ${path.relative(process.cwd(), manifestsFile)} (${helm} template, Kubernetes ${config.cluster.kubernetesVersion ?? "Helm's default: set cluster.kubernetesVersion"})`);
    } catch (e) {
        fail(`rendering the chart failed: ${(e as Error).message.split("\n")[0]}`);
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

if (require.main === module) {
    main().catch((e) => {
        console.error(e);
        process.exit(1);
    });
}
