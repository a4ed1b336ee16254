// Policy config (a `--policy-pack-config` file, or a policy group's config on Pulumi Cloud)
// decides which stacks are production and which outside namespaces are trusted; and a new stack
// file is held to the same rules with no code change.
import * as assert from "assert";

import { stackRawConfig } from "../../test/support/stacks";
import { runPolicies, snapshotOf } from "./support/harness";

/** Raw stack config with one section's object edited, as a changed stack file would give it. */
function withSection(stack: string, section: string, edit: (value: Record<string, unknown>) => void): Record<string, string> {
    const raw = stackRawConfig(stack);
    const key = `taskflow-api:${section}`;
    const value = JSON.parse(raw[key]) as Record<string, unknown>;
    edit(value);
    raw[key] = JSON.stringify(value);
    return raw;
}

describe("policy config and new stack files", () => {
    it("marking staging as production in the policy config holds it to the production rules", async () => {
        const production = { productionStacks: ["staging", "prod"] };
        const violations = await runPolicies(await snapshotOf("staging"), undefined, {
            "elasticache-automatic-backups": production,
            "elasticache-production-protection": production,
        });
        assert.deepStrictEqual(violations.map((v) => v.policy).sort(), [
            "elasticache-automatic-backups",
            "elasticache-production-protection",
            "elasticache-production-protection",
        ]);
        assert.match(violations[0].message, /snapshotRetentionLimit is 1 day\(s\); a production stack requires at least 7\./);
    });

    it("prod is production without any policy config (the schema's default)", async () => {
        const snapshot = await snapshotOf("prod");
        snapshot.filter((r) => r.type === "aws:elasticache/replicationGroup:ReplicationGroup").forEach((r) => { r.opts.protect = false; });
        const violations = await runPolicies(snapshot);
        assert.deepStrictEqual(violations.map((v) => v.policy), ["elasticache-production-protection"]);
    });

    it("a stack file that leaves the namespace to the platform needs it listed as externally enforced", async () => {
        const raw = withSection("dev", "namespace", (ns) => { ns.create = false; });
        const refused = await runPolicies(await snapshotOf("dev", raw));
        assert.deepStrictEqual(refused.map((v) => v.policy), ["helm-release-namespace-pss-restricted"]);
        assert.match(refused[0].message, /installs into namespace taskflow-dev, which this stack does not manage/);

        const trusted = await runPolicies(await snapshotOf("dev", raw), undefined, {
            "helm-release-namespace-pss-restricted": { externallyEnforcedNamespaces: ["taskflow-dev"] },
        });
        assert.deepStrictEqual(trusted, []);
    });

    it("a production stack file that lowers snapshot retention to 3 days is refused", async () => {
        const raw = withSection("prod", "redis", (redis) => { redis.snapshotRetentionDays = 3; });
        const violations = await runPolicies(await snapshotOf("prod", raw));
        assert.deepStrictEqual(violations.map((v) => v.policy), ["elasticache-automatic-backups"]);
    });

    it("a production stack file without protect and final snapshot is refused twice", async () => {
        const raw = withSection("prod", "redis", (redis) => { redis.protect = false; redis.finalSnapshot = false; });
        const violations = await runPolicies(await snapshotOf("prod", raw));
        assert.deepStrictEqual(violations.map((v) => v.policy), ["elasticache-production-protection", "elasticache-production-protection"]);
    });
});
