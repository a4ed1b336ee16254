// index.ts itself: it reads the project's namespace from the Pulumi config and fails cleanly.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";

import { promiseOf, recorded, resetRecorded, settle } from "../support/mocks";
import { ExportedOutputs, stackOutputs } from "../../components/stack";
import { buildStack, stackRawConfig } from "../support/stacks";

const INDEX = require.resolve("../../index");

async function loadIndex(config: Record<string, string>): Promise<ExportedOutputs> {
    await settle();
    resetRecorded();
    pulumi.runtime.setAllConfig(config);
    delete require.cache[INDEX];
    // require, not import(): the program uses `export =`, which import() would wrap in a namespace.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("../../index") as ExportedOutputs;
}

describe("program entry point (index.ts)", () => {
    after(() => pulumi.runtime.setAllConfig({}));

    it("builds the stack from the Pulumi config and exports namespace and release", async () => {
        const program = await loadIndex(stackRawConfig("dev"));
        assert.strictEqual(await promiseOf(program.namespace), "taskflow-dev");
        assert.strictEqual(await promiseOf(program.releaseName), "taskflow-api");
        // Only outputs the stack has: an undefined export makes the engine warn on every run.
        assert.deepStrictEqual(Object.keys(program).sort(), ["namespace", "releaseName", "releaseStatus"]);
    });

    it("exports the ElastiCache endpoint and the IRSA role on stacks that have them", async () => {
        for (const name of ["staging", "prod"]) {
            const out = stackOutputs((await buildStack(name)).outputs);
            assert.deepStrictEqual(Object.keys(out).sort(), ["namespace", "redisEndpoint", "releaseName", "releaseStatus", "roleArn"]);
            assert.match(String(await promiseOf(out.roleArn)), /^arn:aws:iam::\d{12}:role\//);
            assert.strictEqual((await promiseOf(out.redisEndpoint))?.port, 6379);
        }
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
