// What a change will do to a stack's Kubernetes objects, offline: renders the stack's manifests
// at a base git ref and at the working tree (each with `npm run plan`: values built under the
// Pulumi mocks, real Helm) and prints a per-object diff. The Release itself diffs only its
// inputs, where a template edit is one changed chartHash string; this shows the objects.
//
//   npm run diff -- --stack <name> [--base <git ref>] [--markdown]
//
//   --base      default: the merge-base of HEAD with origin/main, else with main
//   --markdown  wrap the report for a pull-request comment
//
// Exit status: 0 nothing changes, 1 objects change, 2 error. Secret values are never printed;
// the chart-hash annotation and helm.sh/chart labels are folded (counted, not listed).
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { diffObjectSets, formatObjectDiffs, indexObjects, isSignificant, K8sObject, ObjectDiff, parseManifests } from "./manifests";

const ROOT = path.resolve(__dirname, "..");

function fail(message: string): never {
    console.error(`diff: ${message}`);
    process.exit(2);
}

function git(args: string[], cwd = ROOT): string {
    return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

function defaultBase(): string {
    for (const ref of ["origin/main", "main"]) {
        try {
            return git(["merge-base", "HEAD", ref]);
        } catch {
            // try the next candidate
        }
    }
    fail("no --base given and neither origin/main nor main exists in this clone");
}

/** The plan command of `tree`: ops/plan.ts, or scripts/plan.ts in a tree from before the ops/ folder. */
function planScript(tree: string): string {
    const current = path.join(tree, "ops", "plan.ts");
    return fs.existsSync(current) ? current : path.join(tree, "scripts", "plan.ts");
}

/** `npm run plan` of one stack in `tree`; its rendered manifests, or undefined without a stack file. */
function render(tree: string, stack: string, out: string): string | undefined {
    if (!fs.existsSync(path.join(tree, `Pulumi.${stack}.yaml`))) return undefined;
    try {
        execFileSync(process.execPath, [require.resolve("ts-node/dist/bin"), "--transpile-only", planScript(tree), "--stack", stack, "--out", out], {
            cwd: tree, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024,
        });
    } catch (e) {
        const err = e as { stderr?: string; stdout?: string };
        fail(`rendering ${stack} in ${tree} failed:\n${(err.stderr || err.stdout || String(e)).trim().split("\n").slice(-15).join("\n")}`);
    }
    return fs.readFileSync(path.join(out, "manifests.yaml"), "utf8");
}

/**
 * The base ref's tree in `dir`, from `git archive` (no worktree entry left in the repository),
 * with this checkout's node_modules linked in and its fetched subchart copied when the base
 * pins the same one (chart-deps.sh fetches another version itself).
 */
function checkoutBase(ref: string, dir: string): void {
    execFileSync("bash", ["-c", 'set -o pipefail; git -C "$1" archive --format=tar "$2" | tar -x -C "$3"', "_", ROOT, ref, dir], { stdio: ["ignore", "ignore", "pipe"] });
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    const charts = path.join(ROOT, "chart", "charts");
    if (fs.existsSync(charts)) fs.cpSync(charts, path.join(dir, "chart", "charts"), { recursive: true });
}

export interface StackDiff {
    readonly diffs: ObjectDiff[];
    readonly unchanged: number;
}

export function diffManifests(baseText: string, headText: string, namespace: string): StackDiff {
    const before = indexObjects(parseManifests(baseText), namespace);
    const after = indexObjects(parseManifests(headText), namespace);
    const diffs = diffObjectSets(before, after);
    const touched = new Set(diffs.filter(isSignificant).map((d) => d.key));
    const unchanged = [...new Set([...before.keys(), ...after.keys()])].filter((k) => !touched.has(k)).length;
    return { diffs, unchanged };
}

function main(): number {
    const argv = process.argv.slice(2);
    let stack: string | undefined, base: string | undefined, markdown = false;
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].split(/=(.*)/s, 2);
        const value = () => inline ?? argv[++i];
        if (flag === "--stack") stack = value();
        else if (flag === "--base") base = value();
        else if (flag === "--markdown") markdown = true;
        else if (flag === "--help" || flag === "-h") {
            console.log("usage: npm run diff -- --stack <name> [--base <git ref>] [--markdown]");
            return 0;
        } else fail(`unknown argument: ${argv[i]}`);
    }
    if (!stack) fail("--stack <name> is required");
    if (!fs.existsSync(path.join(ROOT, `Pulumi.${stack}.yaml`))) fail(`no stack file Pulumi.${stack}.yaml`);
    const ref = base ?? defaultBase();
    let commit: string;
    try {
        commit = git(["rev-parse", "--verify", `${ref}^{commit}`]);
    } catch {
        fail(`--base ${ref} is not a commit in this clone`);
    }

    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "taskflow-diff-"));
    try {
        const baseTree = path.join(tmp, "base");
        fs.mkdirSync(baseTree);
        checkoutBase(commit, baseTree);
        const baseText = render(baseTree, stack, path.join(tmp, "out-base"));
        const headText = render(ROOT, stack, path.join(tmp, "out-head")) as string;
        const namespace = (parseManifests(headText).find((o) => o.kind === "Deployment") as K8sObject | undefined)?.metadata?.namespace ?? "";
        const { diffs, unchanged } = diffManifests(baseText ?? "", headText, namespace);
        const significant = diffs.filter(isSignificant);
        const count = (c: string) => significant.filter((d) => d.change === c).length;
        const title = `Rendered manifests of stack ${stack}: ${ref === commit ? commit.slice(0, 12) : `${ref} (${commit.slice(0, 12)})`} -> working tree`;
        const summary = significant.length === 0
            ? `no object changes (${unchanged} objects)`
            : `${count("added")} added, ${count("removed")} removed, ${count("changed")} changed, ${unchanged} unchanged`;
        // The base renders with this checkout's node_modules (checkoutBase): say so when the base
        // locked other dependencies, as its own render could differ.
        const lockOf = (tree: string) => (fs.existsSync(path.join(tree, "package-lock.json")) ? fs.readFileSync(path.join(tree, "package-lock.json"), "utf8") : "");
        const depsDiffer = lockOf(baseTree) !== lockOf(ROOT);
        const body = [
            ...(baseText === undefined ? [`(no Pulumi.${stack}.yaml at the base: every object is new)`] : []),
            ...(depsDiffer ? ["(the base's package-lock.json differs: the base was rendered with this checkout's dependencies, not its own)"] : []),
            ...formatObjectDiffs(diffs),
            summary,
        ];
        if (markdown) console.log([`#### ${title}`, "", "```diff", ...body, "```"].join("\n"));
        else console.log([title, ...body].join("\n"));
        return significant.length === 0 ? 0 : 1;
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

if (require.main === module) {
    try {
        process.exitCode = main();
    } catch (e) {
        console.error(`diff: ${(e as Error).message}`);
        process.exitCode = 2;
    }
}
