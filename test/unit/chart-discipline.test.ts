import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";

import { ChartDependency, chartLockDigest, lockedDependencies } from "../../components/chart-lock";
import { chartVersionVerdict, checkChartVersion, compareSemver } from "../../scripts/chart-version";
import { PROJECT_ROOT } from "../support/stacks";

describe("chart version discipline and the lock file", () => {
    describe("Chart.lock", () => {
        const chart = yaml.load(fs.readFileSync(path.join(PROJECT_ROOT, "chart/Chart.yaml"), "utf8")) as { dependencies: ChartDependency[] };
        const lock = yaml.load(fs.readFileSync(path.join(PROJECT_ROOT, "chart/Chart.lock"), "utf8")) as { dependencies: ChartDependency[]; digest: string };

        it("is committed and its digest is Helm's digest of Chart.yaml's dependencies and the lock", () => {
            assert.strictEqual(lock.digest, chartLockDigest(chart.dependencies, lock.dependencies));
        });

        it("locks exactly the versions and repositories Chart.yaml pins", () => {
            assert.deepStrictEqual(lock.dependencies, lockedDependencies(chart.dependencies));
        });

        it("gets another digest when a dependency moves, so helm dependency build refuses a stale lock", () => {
            const moved = chart.dependencies.map((d) => ({ ...d, version: "0.11.1" }));
            assert.notStrictEqual(chartLockDigest(moved, lock.dependencies), lock.digest);
        });

        it("refuses to lock a version range (it needs a repository index to resolve)", () => {
            assert.throws(() => lockedDependencies([{ name: "x", version: "^1.0.0", repository: "https://e.x/" }]), /exact version/);
        });
    });

    describe("version bump rule", () => {
        it("orders semantic versions, pre-releases before their release", () => {
            assert.ok(compareSemver("0.3.1", "0.3.0") > 0);
            assert.ok(compareSemver("0.10.0", "0.9.9") > 0);
            assert.ok(compareSemver("1.0.0-rc.1", "1.0.0") < 0);
            assert.strictEqual(compareSemver("0.3.0", "0.3.0"), 0);
        });

        it("fails a template change without a bump, naming the file", () => {
            const v = chartVersionVerdict({ changed: ["templates/deployment.yaml"], dependenciesChanged: false, baseVersion: "0.3.0", headVersion: "0.3.0" });
            assert.strictEqual(v.ok, false);
            assert.match(v.message, /chart\/templates\/deployment\.yaml/);
        });

        it("fails a dependency change without a bump, and a version that goes down", () => {
            assert.strictEqual(chartVersionVerdict({ changed: [], dependenciesChanged: true, baseVersion: "0.3.0", headVersion: "0.3.0" }).ok, false);
            assert.match(chartVersionVerdict({ changed: [], dependenciesChanged: false, baseVersion: "0.3.0", headVersion: "0.2.9" }).message, /went down/);
        });

        it("passes a bumped change and an unchanged chart", () => {
            assert.ok(chartVersionVerdict({ changed: ["values.yaml"], dependenciesChanged: false, baseVersion: "0.3.0", headVersion: "0.3.1" }).ok);
            assert.ok(chartVersionVerdict({ changed: [], dependenciesChanged: false, baseVersion: "0.3.0", headVersion: "0.3.0" }).ok);
        });
    });

    describe("against a real git history", function () {
        this.timeout(30_000);
        let repo: string;
        const sh = (...args: string[]) => execFileSync("git", ["-C", repo, ...args], { stdio: "ignore" });
        const env = (base?: string) => ({ ...process.env, TASKFLOW_CHART_BASE: base, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@e.x", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@e.x" });
        beforeEach(() => {
            repo = fs.mkdtempSync(path.join(os.tmpdir(), "taskflow-chartver-"));
            fs.cpSync(path.join(PROJECT_ROOT, "chart"), path.join(repo, "chart"), { recursive: true, filter: (src) => !src.includes(`${path.sep}charts`) });
            execFileSync("git", ["init", "-q", "-b", "main", repo]);
            sh("add", "-A");
            execFileSync("git", ["-C", repo, "commit", "-qm", "base"], { env: env() });
            sh("checkout", "-qb", "feature");
        });
        afterEach(() => fs.rmSync(repo, { recursive: true, force: true }));
        const bump = (to: string) => {
            const f = path.join(repo, "chart/Chart.yaml");
            fs.writeFileSync(f, fs.readFileSync(f, "utf8").replace(/^version: .*$/m, `version: ${to}`));
        };

        it("fails an uncommitted template edit, passes once the version is bumped", () => {
            fs.appendFileSync(path.join(repo, "chart/templates/service.yaml"), "\n");
            const failed = checkChartVersion(repo, env("main"));
            assert.strictEqual(failed.ok, false, failed.message);
            assert.match(failed.message, /chart\/templates\/service\.yaml/);
            bump("99.0.0");
            assert.ok(checkChartVersion(repo, env("main")).ok);
        });

        it("ignores a README or unittest edit (they are not packaged)", () => {
            fs.appendFileSync(path.join(repo, "chart/README.md"), "\ndocs\n");
            fs.writeFileSync(path.join(repo, "chart/tests/extra_test.yaml"), "suite: x\n");
            const v = checkChartVersion(repo, env("main"));
            assert.ok(v.ok && !v.skipped, v.message);
        });

        it("sees a new, untracked template", () => {
            fs.writeFileSync(path.join(repo, "chart/templates/extra.yaml"), "# new\n");
            assert.strictEqual(checkChartVersion(repo, env("main")).ok, false);
        });

        it("skips with a clear message when the base ref does not exist", () => {
            const v = checkChartVersion(repo, env("origin/nope"));
            assert.ok(v.ok && v.skipped);
            assert.match(v.message, /SKIP .*origin\/nope.*TASKFLOW_CHART_BASE/);
        });
    });
});
