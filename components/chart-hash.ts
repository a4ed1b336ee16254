import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

/**
 * Deterministic sha256 of what Helm packages from a chart directory: every regular file's
 * relative path (POSIX separators) and content, in sorted path order, leaving out what the
 * chart's `.helmignore` excludes. Passed to the chart as `chartHash` so that a template edit
 * changes the release's inputs and rolls out (the Helm provider diffs only inputs), while a
 * README or test-suite edit, which never reaches the cluster, creates no release revision and
 * re-runs no migration hook.
 *
 * `charts/` is left out too although Helm packages it: it holds the fetched subchart, which is
 * not in git, so hashing it would make the hash depend on whether someone ran `helm dependency
 * build`. The dependency is pinned by `Chart.yaml` and `Chart.lock`, which are hashed.
 */
export function hashChartDir(chartDir: string): string {
    const hash = crypto.createHash("sha256");
    // Plain code-unit order, not localeCompare: the hash must not depend on the machine's locale.
    const files = packagedFiles(chartDir).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const rel of files) {
        hash.update(rel).update("\0");
        hash.update(fs.readFileSync(path.join(chartDir, rel))).update("\0");
    }
    return hash.digest("hex");
}

/** The chart's files Helm would package, minus `charts/` (see hashChartDir), unsorted. */
export function packagedFiles(chartDir: string): string[] {
    const ignoreFile = path.join(chartDir, ".helmignore");
    const rules = parseHelmignore(fs.existsSync(ignoreFile) ? fs.readFileSync(ignoreFile, "utf8") : "");
    return listFiles(chartDir, "", rules);
}

/** One `.helmignore` line, compiled. */
export interface IgnoreRule {
    readonly pattern: string;
    /** The rule ended in "/": it matches directories only. */
    readonly dirOnly: boolean;
    /** Where the pattern is matched: the whole relative path, or the base name only. */
    readonly scope: "path" | "base";
    readonly regexp: RegExp;
}

/**
 * Parses `.helmignore` the way Helm's `pkg/ignore` reads it: `#` comments and blank lines
 * skipped; a trailing `/` matches directories only; a pattern with a `/` (a leading
 * one is dropped) is matched against the path from the chart root, one without against the base
 * name; globs are Go's `filepath.Match` (`*`, `?`, `[...]`; `*` never crosses a `/`). Helm
 * refuses `**`, so do we. Helm's own default rule (hidden files under templates/) is added.
 */
export function parseHelmignore(text: string): IgnoreRule[] {
    const rules: IgnoreRule[] = [];
    const lines = ["templates/.?*", ...text.split(/\r?\n/)];
    for (const raw of lines) {
        let rule = raw.trim();
        if (rule === "" || rule.startsWith("#")) continue;
        if (rule.includes("**")) throw new Error(`.helmignore: "${raw}": double-star (**) syntax is not supported (Helm refuses it too)`);
        // Helm's negation drops every path the `!` pattern does NOT match, which surprises
        // everyone who knows .gitignore; refusing it beats hashing something else than Helm packs.
        if (rule.startsWith("!")) throw new Error(`.helmignore: "${raw}": negated (!) rules are not supported here; list what to exclude instead`);
        const dirOnly = rule.endsWith("/");
        if (dirOnly) rule = rule.slice(0, -1);
        const scope = rule.includes("/") ? "path" : "base";
        if (rule.startsWith("/")) rule = rule.slice(1);
        if (rule === "") continue;
        rules.push({ pattern: rule, dirOnly, scope, regexp: globToRegExp(rule) });
    }
    return rules;
}

/** Whether Helm would leave `rel` (POSIX, from the chart root) out of the package. */
export function isIgnored(rules: readonly IgnoreRule[], rel: string, isDir: boolean): boolean {
    return rules.some((r) => {
        if (r.dirOnly && !isDir) return false;
        return r.regexp.test(r.scope === "path" ? rel : rel.slice(rel.lastIndexOf("/") + 1));
    });
}

function globToRegExp(glob: string): RegExp {
    let re = "";
    for (let i = 0; i < glob.length; i++) {
        const c = glob[i];
        if (c === "*") re += "[^/]*";
        else if (c === "?") re += "[^/]";
        else if (c === "[") {
            const end = glob.indexOf("]", i + 1);
            if (end < 0) throw new Error(`.helmignore: "${glob}": unterminated [`);
            let cls = glob.slice(i + 1, end);
            if (cls.startsWith("^") || cls.startsWith("!")) cls = `^${cls.slice(1)}`;
            re += `[${cls.replace(/\\/g, "\\\\")}]`;
            i = end;
        } else if (c === "\\" && i + 1 < glob.length) {
            re += `\\${glob[++i]}`;
        } else {
            re += c.replace(/[.+^${}()|\\]/g, "\\$&");
        }
    }
    return new RegExp(`^${re}$`);
}

function listFiles(root: string, rel: string, rules: readonly IgnoreRule[]): string[] {
    const files: string[] = [];
    const entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
    for (const entry of entries) {
        const child = rel === "" ? entry.name : `${rel}/${entry.name}`;
        if (entry.isDirectory()) {
            if (child === "charts" || isIgnored(rules, child, true)) continue;
            files.push(...listFiles(root, child, rules));
        } else if (entry.isFile() && !isIgnored(rules, child, false)) {
            files.push(child);
        }
    }
    return files;
}
