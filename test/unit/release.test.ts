import * as assert from "assert";

import { CHART_PATH } from "../../components/taskflow-api";
import { hashChartDir } from "../../components/chart-hash";
import { MOCK_SECRET_MARKER, placeholderRedisHost, promiseOf } from "../support/mocks";
import { BuiltStack, buildStack, PROJECT_ROOT, stackRawConfig, STACKS, T } from "../support/stacks";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

describe("Helm release of ./chart", () => {
    const stacks: Record<string, BuiltStack> = {};
    before(async () => {
        for (const stack of STACKS) stacks[stack] = await buildStack(stack);
    });

    for (const stack of STACKS) {
        describe(stack, () => {
            const release = () => stacks[stack].one(T.release).inputs;

            it("is atomic and cleans up on failure, with the configured timeout and history", () => {
                assert.strictEqual(release().atomic, true);
                assert.strictEqual(release().cleanupOnFail, true);
                assert.ok(release().timeout >= 60);
                assert.ok(release().maxHistory >= 1);
            });

            it("installs the chart from the relative path ./chart into the stack's namespace", () => {
                assert.strictEqual(release().chart, "./chart");
                assert.strictEqual(CHART_PATH, "./chart");
                assert.strictEqual(release().namespace, stacks[stack].one(T.secret).inputs.metadata.namespace);
                assert.strictEqual(release().name, "taskflow-api");
            });

            it("passes the content hash of the chart", () => {
                assert.strictEqual(release().values.chartHash, hashChartDir(path.join(PROJECT_ROOT, "chart")));
            });

            it("references the Secret by name and never carries a secret value", async () => {
                const values = release().values;
                assert.strictEqual(values.existingSecret.name, stacks[stack].one(T.secret).inputs.metadata.name);
                assert.strictEqual(values.existingSecret.redisPasswordKey, "redis-password");
                const serialised = JSON.stringify(values);
                assert.ok(!serialised.includes(MOCK_SECRET_MARKER), `a secret leaked into the values: ${serialised}`);
                assert.deepStrictEqual(stacks[stack].one(T.release).secretPaths, [], "values must not be secret (they would hide every diff)");
                assert.strictEqual(await pulumi.isSecret(stacks[stack].outputs.values), false);
            });

            it("exports namespace, release name and status", async () => {
                assert.strictEqual(await promiseOf(stacks[stack].outputs.releaseName), "taskflow-api");
                assert.strictEqual(await promiseOf(stacks[stack].outputs.releaseStatus), "deployed");
                assert.strictEqual(await promiseOf(stacks[stack].outputs.namespace), `taskflow-${stack}`);
            });
        });
    }

    for (const stack of ["staging", "prod"]) {
        it(`${stack} values carry the ElastiCache endpoint with TLS and disable the subchart`, () => {
            const values = stacks[stack].one(T.release).inputs.values;
            assert.strictEqual(values.redis.enabled, false);
            assert.deepStrictEqual(values.externalRedis, {
                host: placeholderRedisHost(stacks[stack].one(T.replicationGroup).name), port: 6379, tls: true,
            });
        });

        it(`${stack} Secret holds the ElastiCache AUTH token, not a second password`, () => {
            const token = stacks[stack].one(T.replicationGroup).inputs.authToken;
            assert.strictEqual(stacks[stack].one(T.secret).inputs.stringData["redis-password"], token);
            assert.strictEqual(stacks[stack].ofType(T.password).length, 1);
        });
    }

    it("a heal token changes only the release's description (same chart, same values: a Helm upgrade that heals drift)", async () => {
        const raw = stackRawConfig("dev");
        const release = JSON.parse(raw["taskflow-api:release"]);
        const healed = await buildStack("dev", { ...raw, "taskflow-api:release": JSON.stringify({ ...release, healToken: "20261130T101500Z" }) });
        const before = stacks.dev.one(T.release).inputs, after = healed.one(T.release).inputs;
        assert.strictEqual(before.description, undefined);
        assert.strictEqual(after.description, "heal 20261130T101500Z");
        assert.deepStrictEqual({ ...after, description: undefined }, { ...before, description: undefined });
    });
});
