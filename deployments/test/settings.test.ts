// The deployment settings each taskflow-api stack gets from the committed config.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

import { parseConfig } from "../config";
import { AWS_SESSION_DURATION, buildSettings } from "../settings";
import { rawConfigFromFile } from "./support/program";

const config = parseConfig(rawConfigFromFile());
const STACKS = ["dev", "staging"] as const;
/** The executor runs the program's CLI: the root project's @pulumi/pulumi (engine and SDK ship together). */
const PROGRAM_SDK = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")).dependencies["@pulumi/pulumi"];

describe("deployment settings", () => {
    for (const stack of STACKS) {
        it(`${stack} deploys the main branch of the GitHub repository, filtered to the program's paths and its own stack file`, () => {
            const s = buildSettings(config, stack);
            assert.deepStrictEqual([s.organization, s.project, s.stack], [config.organization, "taskflow-api", stack]);
            assert.strictEqual(s.sourceContext.git.branch, "refs/heads/main");
            assert.strictEqual(s.vcs.provider, "github");
            assert.strictEqual(s.vcs.repository, config.source.repository);
            assert.ok(s.vcs.paths.includes("chart/**") && s.vcs.paths.includes("components/**"));
            assert.ok(s.vcs.paths.includes(`Pulumi.${stack}.yaml`));
            for (const other of STACKS.filter((o) => o !== stack)) assert.ok(!s.vcs.paths.includes(`Pulumi.${other}.yaml`));
        });

        it(`${stack} installs from the lock file, fetches the chart dependency and writes the cluster's credentials before the operation`, () => {
            const s = buildSettings(config, stack);
            assert.deepStrictEqual(s.operationContext.preRunCommands, [
                "npm ci --no-audit --no-fund", "bash scripts/chart-deps.sh", `bash scripts/ci-kubeconfig.sh ${stack}`,
            ]);
            assert.strictEqual(s.operationContext.options.skipInstallDependencies, true);
            assert.strictEqual(s.executorContext.executorImage, `pulumi/pulumi:${PROGRAM_SDK}`);
            assert.strictEqual(s.cacheOptions.enable, true);
        });

        it(`${stack} assumes its own AWS role by OIDC, with a session named after the stack`, () => {
            const aws = buildSettings(config, stack).operationContext.oidc.aws;
            assert.strictEqual(aws.roleARN, config.stacks[stack].awsRoleArn);
            assert.match(aws.roleARN, new RegExp(`role/taskflow-api-${stack}-deployments$`));
            assert.strictEqual(aws.sessionName, `taskflow-api-${stack}-deployment`);
            assert.strictEqual(aws.duration, AWS_SESSION_DURATION);
        });
    }

    it("every stack assumes a different AWS role", () => {
        const roles = STACKS.map((s) => buildSettings(config, s).operationContext.oidc.aws.roleARN);
        assert.strictEqual(new Set(roles).size, STACKS.length);
    });

    it("dev deploys on push; staging does not (deploy.yml is its one deployer, review m1)", () => {
        assert.strictEqual(buildSettings(config, "dev").vcs.deployCommits, true);
        assert.strictEqual(buildSettings(config, "staging").vcs.deployCommits, false);
    });

    it("no stack previews pull requests (a pull request's code with a deploy role) or is a review-stack template", () => {
        assert.deepStrictEqual(STACKS.map((s) => buildSettings(config, s).vcs.previewPullRequests), [false, false]);
        assert.deepStrictEqual(STACKS.map((s) => buildSettings(config, s).vcs.pullRequestTemplate), [false, false]);
    });

    it("every trigger is written out, because the provider defaults push-to-deploy and previews to on", () => {
        for (const stack of STACKS) {
            const vcs = buildSettings(config, stack).vcs;
            for (const key of ["deployCommits", "previewPullRequests", "pullRequestTemplate"] as const) {
                assert.strictEqual(typeof vcs[key], "boolean", `${stack}: vcs.${key}`);
            }
        }
    });

    it("stack environment variables extend the shared ones", () => {
        const withExtra = { ...config, stacks: { ...config.stacks, dev: { ...config.stacks.dev, environmentVariables: { LOG_LEVEL: "debug" } } } };
        const env = buildSettings(withExtra, "dev").operationContext.environmentVariables;
        assert.deepStrictEqual(env, {
            PULUMI_SKIP_UPDATE_CHECK: "true", NPM_CONFIG_UPDATE_NOTIFIER: "false", LOG_LEVEL: "debug",
            EKS_CLUSTER_NAME: "taskflow-dev", AWS_REGION: "us-east-1",
        });
    });

    it("a stack with an eksCluster hands its name and region to the credential step; one without sets neither", () => {
        const env = buildSettings(config, "dev").operationContext.environmentVariables;
        assert.strictEqual(env.EKS_CLUSTER_NAME, config.stacks.dev.eksCluster?.name);
        assert.strictEqual(env.AWS_REGION, config.stacks.dev.eksCluster?.region);
        const staging = buildSettings(config, "staging").operationContext.environmentVariables;
        assert.ok(!("EKS_CLUSTER_NAME" in staging) && !("AWS_REGION" in staging));
    });

    it("a stack that is not configured is a programming error", () => {
        assert.throws(() => buildSettings(config, "qa"), /stack "qa" is not configured/);
    });
});
