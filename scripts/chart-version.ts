// Chart version discipline: a change to what the chart deploys (templates, values.yaml,
// values.schema.json, Chart.yaml's dependencies, charts/) needs a higher `version` in
// Chart.yaml, so `helm history` tells chart changes apart (the version sat at 0.1.0 through
// every change until issue 15). The comparison is against the merge-base with a base ref:
// $TASKFLOW_CHART_BASE, else origin/main, else main. Without git or a base it says SKIP and
// exits 0; the chart suite prints that line.
//
//   npx ts-node --transpile-only scripts/chart-version.ts [--repo DIR]
//   exit 0: bumped, nothing to bump, or skipped; 1: a chart change without a bump; 2: error
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

import { isIgnored, parseHelmignore } from "../components/chart-hash";

/** Chart paths (from the chart root) whose change needs a version bump. */
const WATCHED = [/^templates\//, /^values\.yaml$/, /^values\.schema\.json$/, /^charts\//];

export interface VersionVerdict {
    readonly ok: boolean;
    readonly message: string;
}

/** Compares two semver strings (pre-releases sort before their release). Negative: a < b. */
export function compareSemver(a: string, b: string): number {
    const parse = (v: string) => {
        const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+.*)?$/.exec(v.trim());
        if (!m) throw new Error(`not a semantic version: "${v}"`);
        return { nums: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] };
    };
    const x = parse(a), y = parse(b);
    for (let i = 0; i < 3; i++) if (x.nums[i] !== y.nums[i]) return x.nums[i] - y.nums[i];
    if (x.pre === y.pre) return 0;
    if (x.pre === undefined) return 1;
    if (y.pre === undefined) return -1;
    return x.pre < y.pre ? -1 : 1;
}

/** The rule itself: pure, so it is tested without git. */
export function chartVersionVerdict(input: {
    readonly changed: readonly string[];
    readonly dependenciesChanged: boolean;
    readonly baseVersion: string;
    readonly headVersion: string;
}): VersionVerdict {
    const reasons = [...input.changed.map((f) => `chart/${f}`), ...(input.dependenciesChanged ? ["chart/Chart.yaml dependencies"] : [])];
    const order = compareSemver(input.headVersion, input.baseVersion);
    if (order < 0) return { ok: false, message: `Chart.yaml version went down: ${input.baseVersion} -> ${input.headVersion}` };
    if (reasons.length === 0) return { ok: true, message: `no deployed chart file changed (version ${input.headVersion})` };
    if (order > 0) return { ok: true, message: `chart changed and its version went ${input.baseVersion} -> ${input.headVersion}` };
    return {
        ok: false,
        message: `the chart changed but Chart.yaml's version is still ${input.headVersion}; bump it (and artifacthub.io/changes). Changed:\n  ${reasons.join("\n  ")}`,
    };
}

function git(repo: string, args: string[]): string {
    return execFileSync("git", ["-C", repo, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function tryGit(repo: string, args: string[]): string | undefined {
    try {
        return git(repo, args).trim();
    } catch {
        return undefined;
    }
}

/** The merge-base to compare with, or why there is none. */
export function resolveBase(repo: string, env = process.env): { commit: string; label: string } | { skip: string } {
    if (tryGit(repo, ["rev-parse", "--is-inside-work-tree"]) !== "true") return { skip: `${repo} is not a git work tree` };
    const candidates = env.TASKFLOW_CHART_BASE ? [env.TASKFLOW_CHART_BASE] : ["origin/main", "main"];
    for (const ref of candidates) {
        if (tryGit(repo, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]) === undefined) continue;
        const mb = tryGit(repo, ["merge-base", "HEAD", ref]);
        if (mb) return { commit: mb, label: `${ref} (merge-base ${mb.slice(0, 12)})` };
    }
    return { skip: `no base ref (${candidates.join(", ")}) in this clone; set TASKFLOW_CHART_BASE to a ref, or fetch origin/main` };
}

export function checkChartVersion(repo: string, env = process.env): VersionVerdict & { skipped?: boolean } {
    const base = resolveBase(repo, env);
    if ("skip" in base) return { ok: true, skipped: true, message: `SKIP chart version check: ${base.skip}` };
    const chartDir = path.join(repo, "chart");
    const rules = parseHelmignore(fs.readFileSync(path.join(chartDir, ".helmignore"), "utf8"));
    // Committed and uncommitted changes against the base, plus new files not yet added.
    const listed = [
        ...git(repo, ["diff", "--name-only", base.commit, "--", "chart"]).split("\n"),
        ...git(repo, ["ls-files", "--others", "--exclude-standard", "--", "chart"]).split("\n"),
    ];
    const changed = [...new Set(listed.filter(Boolean).map((f) => f.replace(/^chart\//, "")))]
        .filter((f) => WATCHED.some((w) => w.test(f)) && !isIgnored(rules, f, false))
        .sort();
    const baseChart = tryGit(repo, ["show", `${base.commit}:chart/Chart.yaml`]);
    if (baseChart === undefined) return { ok: true, skipped: true, message: `SKIP chart version check: no chart/Chart.yaml at ${base.label}` };
    const before = yaml.load(baseChart) as { version: string; dependencies?: unknown };
    const after = yaml.load(fs.readFileSync(path.join(chartDir, "Chart.yaml"), "utf8")) as { version: string; dependencies?: unknown };
    const verdict = chartVersionVerdict({
        changed,
        dependenciesChanged: JSON.stringify(before.dependencies ?? []) !== JSON.stringify(after.dependencies ?? []),
        baseVersion: String(before.version),
        headVersion: String(after.version),
    });
    return { ...verdict, message: `against ${base.label}: ${verdict.message}` };
}

if (require.main === module) {
    const i = process.argv.indexOf("--repo");
    const repo = path.resolve(i > 0 ? process.argv[i + 1] : path.join(__dirname, ".."));
    try {
        const v = checkChartVersion(repo);
        (v.ok ? console.log : console.error)(`chart-version: ${v.message}`);
        process.exitCode = v.ok ? 0 : 1;
    } catch (e) {
        console.error(`chart-version: ${(e as Error).message}`);
        process.exitCode = 2;
    }
}
