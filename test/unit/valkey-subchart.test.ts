// The `redis.*` values the program and our chart give the Valkey subchart, checked against the
// real chart's own values.schema.json (valkey 0.11.0 from chart/charts/, scripts/chart-deps.sh).
// The Valkey chart writes its schema in draft 2020-12 (ours is draft-07).
import Ajv2020, { ValidateFunction } from "ajv/dist/2020";
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";

import { chartDefaults, helmMerge } from "../support/helm-values";
import { buildStack, PROJECT_ROOT } from "../support/stacks";

/** The pinned dependency as Chart.yaml declares it. */
function dependency(): { name: string; version: string; alias: string } {
    const chart = yaml.load(fs.readFileSync(path.join(PROJECT_ROOT, "chart/Chart.yaml"), "utf8")) as {
        dependencies: Array<{ name: string; version: string; alias: string }>;
    };
    return chart.dependencies[0];
}

let files: { schema: object; defaults: Record<string, unknown> } | undefined;
let validator: ValidateFunction | undefined;

/** The real chart's schema, compiled once (compiling costs far more than validating). */
function subchartValidator(): ValidateFunction {
    validator ??= new Ajv2020({ allErrors: true, strict: false }).compile(subchartFiles().schema);
    return validator;
}

/** values.schema.json and values.yaml of the packaged subchart (read once). */
function subchartFiles(): { schema: object; defaults: Record<string, unknown> } {
    files ??= readSubchartFiles();
    return files;
}

function readSubchartFiles(): { schema: object; defaults: Record<string, unknown> } {
    const dep = dependency();
    const tgz = path.join(PROJECT_ROOT, "chart/charts", `${dep.name}-${dep.version}.tgz`);
    assert.ok(fs.existsSync(tgz), `${tgz} is missing: run bash scripts/chart-deps.sh`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "valkey-chart-"));
    try {
        execFileSync("tar", ["-xzf", tgz, "-C", dir, `${dep.name}/values.schema.json`, `${dep.name}/values.yaml`]);
        return {
            schema: JSON.parse(fs.readFileSync(path.join(dir, dep.name, "values.schema.json"), "utf8")),
            defaults: yaml.load(fs.readFileSync(path.join(dir, dep.name, "values.yaml"), "utf8")) as Record<string, unknown>,
        };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("Valkey subchart values", () => {
    it("pins a Valkey chart version that exists upstream (0.11.0), under the alias redis", () => {
        const dep = dependency();
        assert.deepStrictEqual([dep.name, dep.version, dep.alias], ["valkey", "0.11.0", "redis"]);
    });

    it("dev's redis values, merged as Helm merges them, validate against the real chart's schema", async () => {
        const { defaults } = subchartFiles();
        const dev = await buildStack("dev");
        // What the subchart receives: its defaults, then our chart's `redis` block, then the program's.
        const ours = chartDefaults().redis;
        const merged = helmMerge(helmMerge(defaults, ours), dev.values.redis);
        const validate = subchartValidator();
        assert.ok(validate(merged), JSON.stringify(validate.errors, null, 2));
        const m = merged as { auth: { enabled: boolean; usersExistingSecret: string }; resources: { limits: { memory: string } } };
        assert.strictEqual(m.auth.enabled, true);
        assert.strictEqual(m.auth.usersExistingSecret, "taskflow-api-redis-auth");
        assert.ok(m.resources.limits.memory, "the Valkey container has a memory limit");
    });

    it("the real schema would catch a wrongly typed redis value", () => {
        const { defaults } = subchartFiles();
        assert.strictEqual(subchartValidator()(helmMerge(defaults, { auth: { enabled: "yes" } })), false);
    });
});
