import * as assert from "assert";

import { STACKS } from "../../test/support/stacks";
import { policies } from "../policies";
import { runPolicies, snapshotOf } from "./support/harness";

describe("the policy pack on the real stacks (dev, staging, prod under mocks)", () => {
    for (const stack of STACKS) {
        describe(stack, () => {
            for (const policy of policies) {
                it(`${policy.name} finds nothing to object to`, async () => {
                    const violations = await runPolicies(await snapshotOf(stack), [policy]);
                    assert.deepStrictEqual(violations, []);
                });
            }
        });
    }
});
