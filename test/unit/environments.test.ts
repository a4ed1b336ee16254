// Environments differ only by config: no code path may depend on the stack's name.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

import { buildStack, PROJECT_ROOT, stackRawConfig, T } from "../support/stacks";

describe("environments", () => {
    it("a new stack (qa) with a valid config builds through the same code path", async () => {
        // prod's config under another stack name: same resources, tags follow the stack name.
        const qa = await buildStack("qa", stackRawConfig("prod"));
        const prod = await buildStack("prod");
        assert.deepStrictEqual(qa.resources.map((r) => r.type).sort(), prod.resources.map((r) => r.type).sort());
        assert.strictEqual(JSON.parse(qa.one(T.awsProvider).inputs.defaultTags).tags.stack, "qa");
        assert.strictEqual(qa.one(T.replicationGroup).inputs.finalSnapshotIdentifier, "taskflow-api-qa-final");
    });

    it("a dev-like qa stack (in-cluster Redis) creates no AWS resources", async () => {
        const qa = await buildStack("qa", stackRawConfig("dev"));
        assert.deepStrictEqual(qa.resources.filter((r) => r.type.startsWith("aws:")), []);
    });

    it("no program source compares the stack name", () => {
        const files = ["index.ts", ...sourcesUnder("config"), ...sourcesUnder("components")];
        for (const file of files) {
            const source = fs.readFileSync(path.join(PROJECT_ROOT, file), "utf8");
            assert.doesNotMatch(source, /(getStack\(\)|\bstack\b)\s*[!=]==?\s*["'`]/, file);
            assert.doesNotMatch(source, /["'`](dev|staging|prod)["'`]/, `${file} names an environment`);
        }
    });
});

/** Every .ts file under a project folder, relative to the project root. */
function sourcesUnder(dir: string): string[] {
    return (fs.readdirSync(path.join(PROJECT_ROOT, dir), { recursive: true }) as string[])
        .filter((f) => f.endsWith(".ts"))
        .map((f) => path.join(dir, f));
}
