// Finds the `aws` CLI calls the automated paths make (workflow steps, scripts, Deployments pre-run
// commands, ops/), and which files a job runs, so test/unit/aws-cli-calls.test.ts can hold every
// call against the IAM policy of the role that makes it (review B1: `aws eks update-kubeconfig`
// ran under a role without eks:DescribeCluster, and no test knew the call existed).
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

/** One `aws` invocation found in a file: `service operation`, or why it could not be read. */
export interface AwsCall {
    readonly file: string;
    readonly line: number;
    /** `eks update-kubeconfig`; undefined when the command line could not be resolved. */
    readonly command?: string;
    readonly text: string;
}

// `aws` in command position: start of a line or after a shell separator / prefix command. An `aws`
// inside an echo's quotes is text, not a call.
const SHELL_CALL = /(?:^|[;&|(]|\$\(|\b(?:then|do|exec|sudo|command|time|xargs)\s)\s*aws\s+([^\n]*)/;
// Node's child_process with the program `aws` (optionally its first two arguments in the array).
const TS_CALL = /\b(?:spawn|spawnSync|execFile|execFileSync|exec|execSync)\(\s*["'`]aws(?:\s+([\w-]+)\s+([\w-]+))?[^"'`]*["'`]\s*(?:,\s*\[\s*["'`]([\w-]+)["'`]\s*,\s*["'`]([\w-]+)["'`])?/;

const unquote = (t: string) => t.replace(/^["']|["']$/g, "");

/** `service operation` from the words after `aws` (global `--flag value` pairs skipped). */
function serviceOperation(words: string[]): string | undefined {
    const rest: string[] = [];
    for (let i = 0; i < words.length && rest.length < 2; i++) {
        if (words[i].startsWith("--")) { i++; continue; }
        rest.push(words[i]);
    }
    return rest.length === 2 && rest.every((w) => /^[a-z0-9-]+$/.test(w)) ? rest.join(" ") : undefined;
}

/** The `aws` calls in shell text (a script, a `run:` block, a pre-run command). */
export function shellAwsCalls(text: string, file: string): AwsCall[] {
    const calls: AwsCall[] = [];
    const lines = text.split("\n");
    for (const [i, raw] of lines.entries()) {
        const line = raw.replace(/(^|\s)#.*$/, "");
        const m = SHELL_CALL.exec(line);
        if (!m) continue;
        const words = m[1].trim().split(/\s+/).map(unquote);
        // `aws "${args[@]}"`: the array's literal definition in the same text names the call.
        const array = /^\$\{(\w+)\[@\]\}$/.exec(words[0] ?? "");
        let command: string | undefined;
        if (array) {
            const def = new RegExp(`\\b${array[1]}=\\(([^)]*)\\)`).exec(text);
            command = def ? serviceOperation(def[1].trim().split(/\s+/).map(unquote)) : undefined;
        } else {
            command = serviceOperation(words);
        }
        calls.push({ file, line: i + 1, command, text: raw.trim() });
    }
    return calls;
}

/** The `aws` calls a TypeScript file makes through child_process. */
export function tsAwsCalls(text: string, file: string): AwsCall[] {
    return text.split("\n").flatMap((raw, i) => {
        const m = TS_CALL.exec(raw);
        if (!m) return [];
        const svc = m[1] ?? m[3], op = m[2] ?? m[4];
        return [{ file, line: i + 1, command: svc && op ? `${svc} ${op}` : undefined, text: raw.trim() }];
    });
}

/** Every string inside a parsed YAML document (run blocks, pre-run command lists). */
export function yamlStrings(doc: unknown): string[] {
    if (typeof doc === "string") return [doc];
    if (Array.isArray(doc)) return doc.flatMap(yamlStrings);
    if (doc && typeof doc === "object") return Object.values(doc).flatMap(yamlStrings);
    return [];
}

/** The `aws` calls in one repository file, by its kind. */
export function fileAwsCalls(root: string, rel: string, parseYaml: (s: string) => unknown): AwsCall[] {
    const text = fs.readFileSync(path.join(root, rel), "utf8");
    if (/\.ya?ml$/.test(rel)) return yamlStrings(parseYaml(text)).flatMap((s) => shellAwsCalls(s, rel));
    if (rel.endsWith(".ts")) return tsAwsCalls(text, rel);
    return shellAwsCalls(text, rel);
}

// A repository file named in shell text (`bash scripts/x.sh`, `node ... ops/heal-gate.ts`).
const FILE_REF = /\b((?:scripts|ops|deployments)\/[\w./-]+\.(?:sh|ts))\b/g;
const NPM_RUN = /\bnpm run(?:\s+--silent)?\s+([\w:-]+)/g;

/**
 * The repository files a piece of shell text runs, transitively: files it names, `npm run`
 * scripts (through package.json), files those name, and the relative imports of .ts files.
 */
export function filesRun(root: string, text: string): string[] {
    const scripts: Record<string, string> = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).scripts;
    const seen = new Set<string>();
    const refs = (t: string): string[] => [
        ...[...t.matchAll(FILE_REF)].map((m) => m[1]),
        ...[...t.matchAll(NPM_RUN)].flatMap((m) => (scripts[m[1]] ? [...scripts[m[1]].matchAll(FILE_REF)].map((r) => r[1]) : [])),
    ];
    const visit = (rel: string) => {
        if (seen.has(rel) || !fs.existsSync(path.join(root, rel))) return;
        seen.add(rel);
        const body = fs.readFileSync(path.join(root, rel), "utf8");
        refs(body).forEach(visit);
        if (rel.endsWith(".ts")) {
            for (const imp of ts.preProcessFile(body, true, true).importedFiles) {
                if (!imp.fileName.startsWith(".")) continue;
                const base = path.join(path.dirname(rel), imp.fileName);
                const hit = [`${base}.ts`, path.join(base, "index.ts")].find((f) => fs.existsSync(path.join(root, f)));
                if (hit) visit(path.normalize(hit));
            }
        }
    };
    refs(text).forEach(visit);
    return [...seen].sort();
}

/* eslint-disable @typescript-eslint/no-explicit-any -- workflow YAML is read loosely. */

/**
 * The `with:` of every job that calls the reusable workflow `file`, one entry per matrix value
 * (`${{ matrix.x }}` replaced), so a called workflow's inputs are known as its callers pass them.
 */
export function callerInputs(wfs: Record<string, any>, file: string): Array<Record<string, string>> {
    return Object.values(wfs).flatMap((wf) => Object.values<any>(wf?.jobs ?? {})
        .filter((caller) => String(caller.uses ?? "").endsWith(`/${file}`))
        .flatMap((caller) => {
            const given: Record<string, string> = Object.fromEntries(Object.entries<unknown>(caller.with ?? {}).map(([k, v]) => [k, String(v)]));
            const matrix: Record<string, unknown[]> = caller.strategy?.matrix ?? {};
            const keys = Object.keys(matrix).filter((k) => Array.isArray(matrix[k]));
            // One matrix dimension is all these workflows use; more would need a product.
            if (keys.length > 1) throw new Error(`${file}: a caller with a ${keys.length}-dimensional matrix`);
            const values = keys.length ? matrix[keys[0]].map(String) : [undefined];
            return values.map((v) => Object.fromEntries(Object.entries(given)
                .map(([k, g]) => [k, v === undefined ? g : g.replaceAll(`\${{ matrix.${keys[0]} }}`, v)])));
        }));
}

/** The GitHub Environments a job runs in: literal, or `inputs.environment` as every caller passes it. */
export function jobEnvironments(wfs: Record<string, any>, file: string, job: any): string[] {
    const env = typeof job.environment === "object" ? job.environment?.name : job.environment;
    if (env === undefined) return [];
    if (!/\$\{\{/.test(env)) return [env];
    if (env !== "${{ inputs.environment }}") throw new Error(`${file}: environment ${env} is not resolvable`);
    const envs = callerInputs(wfs, file).map((w) => w.environment);
    for (const e of envs) if (/\$\{\{/.test(e ?? "${{")) throw new Error(`${file}: a caller's environment ${e} is not resolvable`);
    return envs;
}
