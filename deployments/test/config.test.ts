// The project's own stack config: strict, every problem at once, each naming its key.
import * as assert from "assert";

import { ConfigError, parseConfig } from "../config";
import { rawConfigFromFile, rawWith, section } from "./support/program";

/** The problems parseConfig reports for raw config (fails when it accepts it). */
function problems(raw: Record<string, string>, secretKeys: string[] = []): readonly string[] {
    try {
        parseConfig(raw, { secretKeys });
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
    assert.fail("expected the config to be rejected");
}

type Stacks = Record<string, Record<string, unknown>>;
const NS = "taskflow-api-deployments";

describe("deployments config", () => {
    it("the committed Pulumi.settings.yaml is valid and configures dev and staging, not prod (review m1)", () => {
        const config = parseConfig(rawConfigFromFile());
        assert.deepStrictEqual(Object.keys(config.stacks).sort(), ["dev", "staging"]);
    });

    it("an unknown top-level key is an error that names it", () => {
        const raw = { ...rawConfigFromFile(), [`${NS}:pushToDeploy`]: "true" };
        assert.deepStrictEqual(problems(raw), [`${NS}:pushToDeploy: unknown key`]);
    });

    it("a misspelt key inside a stack is an error that names its full path", () => {
        const stacks = section<Stacks>("stacks");
        stacks.staging.pushToDeploi = true;
        assert.deepStrictEqual(problems(rawWith("stacks", stacks)), [`${NS}:stacks.staging.pushToDeploi: unknown key`]);
    });

    it("every problem is reported at once, each with its key", () => {
        const raw = rawWith("executor", { image: "pulumi/pulumi:latest", preRunCommands: ["npm install"], typo: 1 });
        raw[`${NS}:organization`] = "not an org!";
        const found = problems(raw);
        for (const key of ["organization", "executor.image", "executor.preRunCommands", "executor.typo"]) {
            assert.ok(found.some((p) => p.startsWith(`${NS}:${key}: `)), `no problem for ${key} in:\n${found.join("\n")}`);
        }
        assert.strictEqual(found.length, 4, found.join("\n"));
    });

    it("a missing required value is reported as required", () => {
        assert.deepStrictEqual(problems(rawWith("organization", undefined)), [`${NS}:organization: required (expected string)`]);
    });

    it("a production stack is refused, even without push-to-deploy: a console deployment would skip the approval (review m1)", () => {
        const stacks = section<Stacks>("stacks");
        stacks.prod = { awsRoleArn: "arn:aws:iam::123456789012:role/taskflow-api-prod-deployments", production: true, pushToDeploy: false, driftDetection: { schedule: "0 */6 * * *" } };
        assert.deepStrictEqual(problems(rawWith("stacks", stacks)), [
            `${NS}:stacks.prod.production: production stacks are not configured in Pulumi Deployments (a console or API deployment skips the prod Environment's approval); deploy them through deploy.yml`,
        ]);
    });

    it("an executor image must be pinned: no tag and the latest tag are rejected, a digest is accepted", () => {
        const executor = section("executor");
        for (const image of ["pulumi/pulumi", "pulumi/pulumi:latest"]) {
            assert.match(problems(rawWith("executor", { ...executor, image })).join("\n"), /executor\.image: expected an image reference pinned/);
        }
        const digest = `registry.example.com:5000/pulumi/pulumi@sha256:${"a".repeat(64)}`;
        assert.strictEqual(parseConfig(rawWith("executor", { ...executor, image: digest })).executor.image, digest);
    });

    it("pre-run commands must install dependencies with npm ci", () => {
        const executor = section("executor");
        const found = problems(rawWith("executor", { ...executor, preRunCommands: ["bash scripts/chart-deps.sh"] }));
        assert.deepStrictEqual(found, [`${NS}:executor.preRunCommands: must include \`npm ci\` (the deployment's own dependency install is skipped)`]);
    });

    it("a malformed AWS role ARN or cron schedule names its key", () => {
        const stacks = section<Stacks>("stacks");
        stacks.staging.awsRoleArn = "arn:aws:iam::123:user/me";
        stacks.staging.driftDetection = { schedule: "hourly" };
        const found = problems(rawWith("stacks", stacks)).join("\n");
        assert.match(found, /stacks\.staging\.awsRoleArn: expected an IAM role ARN/);
        assert.match(found, /stacks\.staging\.driftDetection\.schedule: expected a 5-field cron expression/);
    });

    it("booleans may be given as strings, the way `pulumi config set` writes them", () => {
        const stacks = section<Stacks>("stacks");
        stacks.dev.pushToDeploy = "false";
        assert.strictEqual(parseConfig(rawWith("stacks", stacks)).stacks.dev.pushToDeploy, false);
    });

    it("values of other namespaces are ignored", () => {
        const raw = { ...rawConfigFromFile(), "pulumiservice:apiUrl": "https://api.pulumi.com" };
        assert.doesNotThrow(() => parseConfig(raw));
    });
});

describe("deployments config keeps secrets out of the settings", () => {
    it("an environment variable named like a credential is rejected, naming the key", () => {
        const stacks = section<Stacks>("stacks");
        stacks.staging.environmentVariables = { PULUMI_ACCESS_TOKEN: "x" };
        assert.deepStrictEqual(problems(rawWith("stacks", stacks)), [
            `${NS}:stacks.staging.environmentVariables.PULUMI_ACCESS_TOKEN: looks like a secret; deployment settings are stored in plain text (put it in the stack's ESC environment)`,
        ]);
    });

    it("a credential-shaped value is rejected whatever its name, without echoing it", () => {
        const executor = section<{ environmentVariables: Record<string, string> }>("executor");
        const key = "AKIA" + "ABCDEFGHIJKLMNOP";
        executor.environmentVariables.HARMLESS_NAME = key;
        const found = problems(rawWith("executor", executor));
        assert.strictEqual(found.length, 1);
        assert.match(found[0], /^taskflow-api-deployments:executor\.environmentVariables\.HARMLESS_NAME: has the format of a credential/);
        assert.ok(!found[0].includes(key), "the value must not be echoed");
    });

    it("a config value Pulumi decrypted (a secret) is rejected, naming its key", () => {
        const raw = rawConfigFromFile();
        assert.deepStrictEqual(problems(raw, [`${NS}:executor`]), [
            `${NS}:executor: is a secret; deployment settings are stored in plain text (put it in the stack's ESC environment)`,
        ]);
    });
});
