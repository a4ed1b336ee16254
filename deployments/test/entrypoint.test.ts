// index.ts itself, under the mocks: the config Pulumi hands over, secret keys included.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";

import { promiseOf, recorded, resetRecorded, settle } from "./support/mocks";
import { rawConfigFromFile, T } from "./support/program";

const ENTRY = require.resolve("../index");

/** Runs index.ts afresh with the given config and secret keys. */
async function runIndex(raw: Record<string, string>, secretKeys: string[] = []): Promise<Record<string, unknown>> {
    await settle();
    resetRecorded();
    pulumi.runtime.setAllConfig(raw, secretKeys);
    delete require.cache[ENTRY];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exports = require(ENTRY) as Record<string, unknown>;
    await settle();
    return exports;
}

describe("deployments entry point", () => {
    after(() => pulumi.runtime.setAllConfig({}, []));

    it("registers the settings of every configured stack and exports their ids", async () => {
        const exports = await runIndex(rawConfigFromFile());
        assert.strictEqual(recorded.filter((r) => r.type === T.settings).length, 2);
        const ids = await Promise.all((exports.configuredStacks as pulumi.Output<string>[]).map((o) => promiseOf(o)));
        assert.deepStrictEqual(ids, ["acme/taskflow-api/dev", "acme/taskflow-api/staging"]);
    });

    it("refuses a secret config value before registering anything, naming the key", async () => {
        await assert.rejects(
            runIndex(rawConfigFromFile(), ["taskflow-api-deployments:executor"]),
            (e: Error) => e instanceof pulumi.RunError && /taskflow-api-deployments:executor: is a secret/.test(e.message),
        );
        assert.deepStrictEqual(recorded, []);
    });
});
