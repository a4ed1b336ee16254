// The engine's plugins must match the SDKs that ask for them: the kubernetes SDK requests exactly
// its own version, and the random SDK a version the installed plugin satisfies. The pins live in
// local/toolchain/recipes/*.sh and package.json; this keeps them in step.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

import { PROJECT_ROOT } from "../support/stacks";

function pin(file: string, name: string): string {
    const text = fs.readFileSync(path.join(PROJECT_ROOT, "local/toolchain/recipes", file), "utf8");
    const m = new RegExp(`^${name}=(\\S+)$`, "m").exec(text);
    assert.ok(m, `${name} not found in local/toolchain/recipes/${file}`);
    return m[1].replace(/^v/, "");
}

const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
    engines: { node: string };
};

/** Semver precedence of x.y.z[-pre]: is a >= b? */
function semverGte(a: string, b: string): boolean {
    const parse = (v: string) => {
        const [core, pre] = v.split("-", 2);
        return { nums: core.split(".").map(Number), pre };
    };
    const x = parse(a);
    const y = parse(b);
    for (let i = 0; i < 3; i++) if (x.nums[i] !== y.nums[i]) return x.nums[i] > y.nums[i];
    if (x.pre === y.pre) return true;
    if (x.pre === undefined) return true; // a release ranks above its pre-releases
    if (y.pre === undefined) return false;
    return x.pre >= y.pre;
}

describe("toolchain pins", () => {
    it("the Pulumi CLI is the release of @pulumi/pulumi, and the language host no newer than it", () => {
        const cli = pin("pulumi.sh", "PULUMI_VERSION");
        assert.strictEqual(cli, pkg.dependencies["@pulumi/pulumi"]);
        // The language host is pinned apart: only 3.255.0's source is obtainable here (pulumi.sh).
        const host = pin("pulumi.sh", "PULUMI_LANGUAGE_NODEJS_VERSION");
        assert.ok(semverGte(cli, host), `pulumi-language-nodejs ${host} is newer than the CLI ${cli}`);
    });

    it("the kubernetes plugin is exactly the version of @pulumi/kubernetes", () => {
        assert.strictEqual(pin("pulumi-plugins.sh", "PULUMI_KUBERNETES_VERSION"), pkg.dependencies["@pulumi/kubernetes"]);
    });

    it("the random plugin satisfies @pulumi/random and says it is not a release build", () => {
        const plugin = pin("pulumi-plugins.sh", "PULUMI_RANDOM_VERSION");
        assert.match(plugin, /-dev\.[0-9a-f]{8}$/, "the mirror build must carry its commit in a pre-release tag");
        assert.ok(semverGte(plugin, pkg.dependencies["@pulumi/random"]), `${plugin} < @pulumi/random ${pkg.dependencies["@pulumi/random"]}`);
        assert.ok(!semverGte(plugin, "4.21.2"), "a pre-release of 4.21.2 must not claim to be 4.21.2");
    });

    it("engines.node admits the Node.js the toolchain installs and what the SDK declares", () => {
        const min = Number(/>=\s*(\d+)/.exec(pkg.engines.node)?.[1]);
        assert.strictEqual(min, Number(pin("node.sh", "NODE_MIN_MAJOR")));
        assert.ok(Number(pin("node.sh", "NODE_VERSION").split(".")[0]) >= min);
        const sdk = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "node_modules/@pulumi/pulumi/package.json"), "utf8"));
        assert.strictEqual(Number(/>=\s*(\d+)/.exec(sdk.engines.node)?.[1]), min);
    });
});
