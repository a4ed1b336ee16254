// The pack as a whole: enough policies, each fully described, and docs/delivery.md's rule table in step.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

import { policies } from "../policies";

/** docs/delivery.md's "## Policy pack" section. */
function readmeSection(): string {
    const readme = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "delivery.md"), "utf8");
    const start = readme.indexOf("\n## Policy pack\n");
    assert.ok(start >= 0, "docs/delivery.md has no '## Policy pack' section");
    const end = readme.indexOf("\n## ", start + 1);
    return readme.slice(start, end < 0 ? undefined : end);
}

describe("the policy pack", () => {
    it("has at least 15 policies with unique names", () => {
        const names = policies.map((p) => p.name);
        assert.ok(names.length >= 15, `${names.length} policies`);
        assert.strictEqual(new Set(names).size, names.length);
    });

    it("gives every policy a description naming its source, a level and a remediation", () => {
        for (const p of policies) {
            assert.match(p.description, /\. Source: .+\.$/, p.name);
            assert.ok(p.enforcementLevel === "mandatory" || p.enforcementLevel === "advisory", p.name);
            assert.ok((p.remediationSteps ?? "").length > 20, `${p.name} has no remediation`);
        }
    });

    it("lists every policy in docs/delivery.md's rule table with its level", () => {
        const section = readmeSection();
        for (const p of policies) {
            const row = section.split("\n").find((line) => line.startsWith(`| \`${p.name}\``));
            assert.ok(row, `docs/delivery.md's rule table has no row for ${p.name}`);
            assert.ok(row.includes(`| ${p.enforcementLevel} |`), `${p.name}'s row does not say ${p.enforcementLevel}`);
        }
    });

    it("ships a policy config that names the production stacks for every production-aware policy", () => {
        const config = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "policy-config.json"), "utf8")) as Record<string, { productionStacks?: string[] }>;
        const aware = policies.filter((p) => p.configSchema?.properties.productionStacks !== undefined).map((p) => p.name);
        assert.deepStrictEqual(aware.sort(), Object.keys(config).sort());
        for (const name of aware) assert.deepStrictEqual(config[name].productionStacks, ["prod"]);
    });
});
