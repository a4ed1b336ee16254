// index.ts itself: it reads the project's namespace from the Pulumi config and fails cleanly.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";

import { promiseOf, recorded, resetRecorded, settle } from "../support/mocks";
import { stackRawConfig } from "../support/stacks";

const INDEX = require.resolve("../../index");

async function loadIndex(config: Record<string, string>): Promise<typeof import("../../index")> {
    await settle();
    resetRecorded();
    pulumi.runtime.setAllConfig(config);
    delete require.cache[INDEX];
    return import("../../index");
}

describe("program entry point (index.ts)", () => {
    after(() => pulumi.runtime.setAllConfig({}));

    it("builds the stack from the Pulumi config and exports namespace and release", async () => {
        const program = await loadIndex(stackRawConfig("dev"));
        assert.strictEqual(await promiseOf(program.namespace), "taskflow-dev");
        assert.strictEqual(await promiseOf(program.releaseName), "taskflow-api");
        assert.strictEqual(program.redisEndpoint, undefined);
    });

    it("stops with one clean error naming every bad key, before registering anything", async () => {
        const raw = { ...stackRawConfig("dev"), "taskflow-api:releese": "{}", "taskflow-api:redis": '{"mode":"memcached"}' };
        await assert.rejects(loadIndex(raw), (e: Error) => {
            assert.ok(pulumi.RunError.isInstance(e), "a RunError prints without a stack trace");
            assert.match(e.message, /taskflow-api:releese: unknown key/);
            assert.match(e.message, /taskflow-api:redis\.mode:/);
            return true;
        });
        await settle();
        assert.deepStrictEqual(recorded, []);
    });
});
