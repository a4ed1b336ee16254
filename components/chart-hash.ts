import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

// Top-level chart folders that do not describe what gets deployed: fetched dependencies
// (`helm dependency build` writes them, so hashing them would make the hash depend on whether
// someone ran it) and helm-unittest suites.
const EXCLUDED_DIRS = new Set(["charts", "tests"]);

/**
 * Deterministic sha256 of a chart directory: every regular file's relative path (POSIX
 * separators) and content, in sorted path order. Passed to the chart as `chartHash` so that a
 * template edit changes the release's inputs and rolls out even when nobody bumped the chart
 * version (the Helm provider diffs only inputs).
 */
export function hashChartDir(chartDir: string): string {
    const hash = crypto.createHash("sha256");
    // Plain code-unit order, not localeCompare: the hash must not depend on the machine's locale.
    const files = listFiles(chartDir).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const rel of files) {
        hash.update(rel).update("\0");
        hash.update(fs.readFileSync(path.join(chartDir, rel))).update("\0");
    }
    return hash.digest("hex");
}

function listFiles(root: string, rel = ""): string[] {
    const files: string[] = [];
    const entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
    for (const entry of entries) {
        const child = rel === "" ? entry.name : `${rel}/${entry.name}`;
        if (entry.isDirectory()) {
            if (rel === "" && EXCLUDED_DIRS.has(entry.name)) continue;
            files.push(...listFiles(root, child));
        } else if (entry.isFile()) {
            files.push(child);
        }
    }
    return files;
}
