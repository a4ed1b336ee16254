import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { hashChartDir, isIgnored, packagedFiles, parseHelmignore } from "../../components/chart-hash";
import { PROJECT_ROOT } from "../support/stacks";

describe("chart hash", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "taskflow-chart-"));
        fs.cpSync(path.join(PROJECT_ROOT, "chart"), dir, { recursive: true });
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("is a sha256 that is stable across calls and copies", () => {
        const h = hashChartDir(dir);
        assert.match(h, /^[a-f0-9]{64}$/);
        assert.strictEqual(hashChartDir(dir), h);
        assert.strictEqual(hashChartDir(path.join(PROJECT_ROOT, "chart")), h);
    });

    it("changes when a template's content changes", () => {
        const before = hashChartDir(dir);
        const template = path.join(dir, "templates", "deployment.yaml");
        fs.appendFileSync(template, "\n# edited\n");
        assert.notStrictEqual(hashChartDir(dir), before);
    });

    it("changes when a file is renamed", () => {
        const before = hashChartDir(dir);
        fs.renameSync(path.join(dir, "templates", "service.yaml"), path.join(dir, "templates", "svc.yaml"));
        assert.notStrictEqual(hashChartDir(dir), before);
    });

    it("ignores fetched dependencies (charts/) and helm-unittest suites (tests/)", () => {
        const before = hashChartDir(dir);
        for (const sub of ["charts", "tests"]) {
            fs.mkdirSync(path.join(dir, sub), { recursive: true });
            fs.writeFileSync(path.join(dir, sub, "extra.yaml"), "x: 1\n");
        }
        assert.strictEqual(hashChartDir(dir), before);
    });

    it("ignores what .helmignore excludes: README, docs and unittest suites do not deploy", () => {
        const before = hashChartDir(dir);
        fs.appendFileSync(path.join(dir, "README.md"), "\nA docs-only edit.\n");
        fs.mkdirSync(path.join(dir, "docs"));
        fs.writeFileSync(path.join(dir, "docs", "runbook.md"), "# runbook\n");
        fs.writeFileSync(path.join(dir, "docs", "diagram.svg"), "<svg/>\n");
        fs.writeFileSync(path.join(dir, "tests", "new_test.yaml"), "suite: x\n");
        fs.writeFileSync(path.join(dir, "templates", ".scratch.yaml"), "x: 1\n");
        assert.strictEqual(hashChartDir(dir), before);
    });

    it("still hashes the helm test hook under templates/tests (it is deployed)", () => {
        const before = hashChartDir(dir);
        fs.appendFileSync(path.join(dir, "templates", "tests", "test-connection.yaml"), "\n# edited\n");
        assert.notStrictEqual(hashChartDir(dir), before);
    });

    it("changes when Chart.lock changes (the pinned subchart)", () => {
        const before = hashChartDir(dir);
        fs.appendFileSync(path.join(dir, "Chart.lock"), "# edited\n");
        assert.notStrictEqual(hashChartDir(dir), before);
    });

    it("hashes exactly the files Helm packages from the committed chart", () => {
        const files = packagedFiles(path.join(PROJECT_ROOT, "chart")).sort();
        assert.ok(files.includes("Chart.yaml") && files.includes("Chart.lock") && files.includes("values.schema.json"));
        assert.ok(files.includes("templates/deployment.yaml") && files.includes("templates/tests/test-connection.yaml"));
        for (const f of files) {
            assert.ok(!/(^|\/)README\.md$|^tests\/|^docs\/|^charts\//.test(f), `${f} should not be hashed`);
        }
    });

    it("reads .helmignore with Helm's rules: base-name globs, anchored paths, directory-only entries", () => {
        const rules = parseHelmignore("# comment\n\n*.md\n/tests/\nsecret?.yaml\ntemplates/[ab].yaml\n");
        assert.ok(isIgnored(rules, "README.md", false));
        assert.ok(isIgnored(rules, "templates/NOTES.md", false), "a pattern without / matches the base name anywhere");
        assert.ok(isIgnored(rules, "tests", true));
        assert.ok(!isIgnored(rules, "tests", false), "a trailing / matches directories only");
        assert.ok(!isIgnored(rules, "templates/tests", true), "a leading / anchors at the chart root");
        assert.ok(isIgnored(rules, "secret1.yaml", false) && !isIgnored(rules, "secret12.yaml", false));
        assert.ok(isIgnored(rules, "templates/a.yaml", false) && !isIgnored(rules, "templates/c.yaml", false));
        assert.ok(!isIgnored(rules, "templates/sub/a.yaml", false), "* and [] never cross a /");
        assert.ok(isIgnored(rules, "templates/.hidden", false), "Helm's default rule: hidden files under templates/");
    });

    it("refuses .helmignore syntax whose meaning would differ from Helm's", () => {
        assert.throws(() => parseHelmignore("docs/**\n"), /double-star/);
        assert.throws(() => parseHelmignore("!keep.md\n"), /negated/);
    });
});
