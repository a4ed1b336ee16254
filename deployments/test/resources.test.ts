// What the project registers with Pulumi Cloud, under the mocks.
import * as assert from "assert";

import { looksLikeSecretValue, SECRET_LOOKING_NAME } from "../config/secrets";
import { build, Built, T } from "./support/program";

describe("deployments resources", () => {
    let built: Built;
    before(async () => {
        built = await build();
    });

    it("registers one DeploymentSettings per stack, named by org/project/stack", () => {
        const stacks = built.ofType(T.settings).map((r) => `${r.inputs.organization}/${r.inputs.project}/${r.inputs.stack}`);
        assert.deepStrictEqual(stacks.sort(), ["acme/taskflow-api/dev", "acme/taskflow-api/staging"]);
    });

    it("staging never deploys on push or previews pull requests, as Pulumi Cloud receives it (deploy.yml is its one deployer)", () => {
        assert.strictEqual(built.settingsOf("staging").inputs.vcs.deployCommits, false);
        assert.strictEqual(built.settingsOf("staging").inputs.vcs.previewPullRequests, false);
        assert.strictEqual(built.settingsOf("staging").inputs.github, undefined, "the deprecated github block would bring back its defaults");
    });

    it("registers no drift schedule: prod is not configured here, and its drift is drift.yml's", () => {
        assert.deepStrictEqual(built.ofType(T.drift), []);
    });

    it("creates no review stacks, so it needs no TTL schedules", () => {
        assert.deepStrictEqual(built.ofType(T.ttl), []);
    });

    it("no input holds a secret: nothing is marked secret, no credential-shaped value, no credential-named variable", () => {
        for (const r of built.resources) {
            assert.deepStrictEqual(r.secretPaths, [], `${r.type} ${r.name}`);
            const text = JSON.stringify(r.inputs);
            assert.ok(!looksLikeSecretValue(text), `${r.type} ${r.name} holds a credential-shaped value`);
            for (const name of Object.keys(r.inputs.operationContext?.environmentVariables ?? {})) {
                assert.doesNotMatch(name, SECRET_LOOKING_NAME, `${r.name}: ${name}`);
            }
        }
    });
});
