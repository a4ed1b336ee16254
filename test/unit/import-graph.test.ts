// The program's own modules import one way. A circle (config/ had alb -> model -> schema -> rules
// -> alb) makes the load order decide which side sees `undefined`, and makes a folder impossible
// to read from the bottom up. TypeScript's own pre-processor lists each file's imports (type-only
// ones included: they are a circle for the reader even when the compiler erases them).
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

import { PROJECT_ROOT } from "../support/stacks";

type Graph = Map<string, string[]>;

/** Relative imports of every .ts file under `dirs`, as project-relative paths. */
function importGraph(dirs: readonly string[]): Graph {
    const graph: Graph = new Map();
    const resolve = (from: string, spec: string): string | undefined => {
        const base = path.join(path.dirname(from), spec);
        return [`${base}.ts`, path.join(base, "index.ts")].find((f) => fs.existsSync(path.join(PROJECT_ROOT, f)));
    };
    const walk = (dir: string): void => {
        for (const entry of fs.readdirSync(path.join(PROJECT_ROOT, dir), { withFileTypes: true })) {
            const rel = path.join(dir, entry.name);
            if (entry.isDirectory()) walk(rel);
            else if (entry.name.endsWith(".ts")) {
                const { importedFiles } = ts.preProcessFile(fs.readFileSync(path.join(PROJECT_ROOT, rel), "utf8"), true, false);
                graph.set(rel, importedFiles.filter((i) => i.fileName.startsWith(".")).map((i) => resolve(rel, i.fileName)).filter((f): f is string => f !== undefined));
            }
        }
    };
    dirs.forEach(walk);
    return graph;
}

/** Every circle in the graph, each as the path that closes it (a -> b -> a). */
function circles(graph: Graph): string[][] {
    const found: string[][] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (node: string, trail: string[]): void => {
        if (state.get(node) === "done") return;
        if (state.get(node) === "open") {
            found.push([...trail.slice(trail.indexOf(node)), node]);
            return;
        }
        state.set(node, "open");
        for (const next of graph.get(node) ?? []) visit(next, [...trail, node]);
        state.set(node, "done");
    };
    [...graph.keys()].sort().forEach((n) => visit(n, []));
    return found;
}

describe("module imports", () => {
    it("finds a circle when there is one (the detector's control)", () => {
        const graph: Graph = new Map([
            ["config/alb.ts", ["config/model.ts"]],
            ["config/model.ts", ["config/schema/index.ts"]],
            ["config/schema/index.ts", ["config/rules.ts"]],
            ["config/rules.ts", ["config/alb.ts"]],
        ]);
        assert.deepStrictEqual(circles(graph), [["config/alb.ts", "config/model.ts", "config/schema/index.ts", "config/rules.ts", "config/alb.ts"]]);
    });

    it("config/ reads one way: schema, then model, then rules", () => {
        const graph = importGraph(["config"]);
        assert.ok(graph.get("config/index.ts")?.includes("config/rules.ts"), "the import graph was not read (index.ts must import rules.ts)");
        assert.deepStrictEqual(circles(graph).map((c) => c.join(" -> ")), []);
        const imports = (file: string) => graph.get(file) ?? [];
        assert.ok(!imports("config/schema/index.ts").some((f) => !f.startsWith("config/schema/") && ["config/model.ts", "config/rules.ts"].includes(f)), "the schema must not import the model or the rules");
        assert.ok(!imports("config/model.ts").includes("config/rules.ts"), "the model must not import the rules");
    });

    it("the program, its operator commands and the tests' support have no circle", () => {
        const graph = importGraph(["config", "components", "ops", "test/support"]);
        assert.deepStrictEqual(circles(graph).map((c) => c.join(" -> ")), []);
    });
});
