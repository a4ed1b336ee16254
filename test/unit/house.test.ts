// The layout is part of the design: one top-level folder per concern, none the "biggest room"
// that new work drifts into (scripts/ once held 42 % of the project). Counted over what git
// tracks, lock files excepted (generated, and three of them would dwarf everything else).
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

import { PROJECT_ROOT } from "../support/stacks";

const MAX_SHARE = 0.25;

/** Lines per top-level entry of the tracked files. */
function linesByTopLevel(): Map<string, number> {
    const files = execFileSync("git", ["ls-files", "-z"], { cwd: PROJECT_ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
    const lines = new Map<string, number>();
    for (const file of files) {
        if (path.basename(file) === "package-lock.json") continue;
        const full = path.join(PROJECT_ROOT, file);
        if (!fs.existsSync(full)) continue; // deleted in the working tree, not yet committed
        const text = fs.readFileSync(full, "utf8");
        const top = file.split("/")[0];
        lines.set(top, (lines.get(top) ?? 0) + text.split("\n").length - (text.endsWith("\n") ? 1 : 0));
    }
    return lines;
}

describe("the house", () => {
    it(`no top-level folder holds more than ${MAX_SHARE * 100} % of the lines`, () => {
        const lines = linesByTopLevel();
        const total = [...lines.values()].reduce((a, b) => a + b, 0);
        assert.ok(total > 5000, `counted only ${total} lines: the file list was not read`);
        const big = [...lines].filter(([, n]) => n / total > MAX_SHARE).map(([d, n]) => `${d}: ${((100 * n) / total).toFixed(1)} %`);
        assert.deepStrictEqual(big, []);
    });

    it("no entry point sits beside a folder of the same name (x.sh next to x/)", () => {
        const files = execFileSync("git", ["ls-files"], { cwd: PROJECT_ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
        const dirs = new Set(files.flatMap((f) => f.split("/").slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join("/"))));
        const twins = files.filter((f) => /\.(sh|ts|js)$/.test(f) && dirs.has(f.replace(/\.(sh|ts|js)$/, "")) && !f.endsWith("/index.ts"));
        assert.deepStrictEqual(twins, []);
    });

    it("every e2e suite is in .mocharc.e2e.yml's spec list (listed in order, so none is skipped silently)", () => {
        const rc = fs.readFileSync(path.join(PROJECT_ROOT, ".mocharc.e2e.yml"), "utf8");
        const listed = [...rc.matchAll(/^ {2}- (e2e\/\S+\.test\.ts)$/gm)].map((m) => m[1]).sort();
        const suites = fs.readdirSync(path.join(PROJECT_ROOT, "e2e")).filter((f) => f.endsWith(".test.ts")).map((f) => `e2e/${f}`).sort();
        assert.deepStrictEqual(listed, suites);
    });
});
