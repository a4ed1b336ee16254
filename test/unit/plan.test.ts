// `npm run plan` writes resources.json for reviewers: every resource's inputs, secrets redacted,
// in an order that does not depend on how outputs happened to resolve.
import * as assert from "assert";

import { resourceInventory } from "../../ops/plan";
import { MOCK_SECRET_MARKER } from "../support/mocks";
import { buildStack, stackRawConfig, T } from "../support/stacks";

type Entry = { type: string; name: string; inputs: Record<string, unknown> };

describe("the offline plan's resources.json", () => {
    for (const stack of ["dev", "staging", "prod"]) {
        it(`${stack}: redacts every input that arrives secret and leaks no generated secret`, async () => {
            const built = await buildStack(stack);
            const json = JSON.stringify(resourceInventory(built.resources));
            assert.ok(!json.includes(MOCK_SECRET_MARKER), "a generated secret reached resources.json");
            const secret = (resourceInventory(built.resources) as Entry[]).find((r) => r.type === T.secret);
            assert.strictEqual(secret?.inputs.stringData, "<secret>");
        });
    }

    it("is sorted by type and name, whatever the registration order", async () => {
        const built = await buildStack("prod");
        const entries = resourceInventory([...built.resources].reverse()) as Entry[];
        const keys = entries.map((e) => `${e.type} ${e.name}`);
        assert.deepStrictEqual(keys, [...keys].sort((a, b) => a.localeCompare(b)));
        assert.deepStrictEqual(resourceInventory(built.resources), entries);
        const rg = entries.find((e) => e.type === T.replicationGroup);
        assert.deepStrictEqual(Object.keys(rg?.inputs ?? {}), Object.keys(rg?.inputs ?? {}).sort());
        assert.strictEqual(rg?.inputs.authToken, "<secret>");
    });

    it("is identical for two plans of one config (auto-names are stable)", async () => {
        const first = JSON.stringify(resourceInventory((await buildStack("prod")).resources));
        const second = JSON.stringify(resourceInventory((await buildStack("prod", stackRawConfig("prod"))).resources));
        assert.strictEqual(first, second);
    });
});
