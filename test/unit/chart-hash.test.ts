import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { hashChartDir } from "../../components/chart-hash";
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
});
