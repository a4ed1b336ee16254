// Pulumi Deployments settings of every taskflow-api stack. Thin on purpose: see config/ and
// stack-deployment.ts.
import * as pulumi from "@pulumi/pulumi";

import { Config, ConfigError, parseConfig } from "./config";
import { StackDeployment } from "./stack-deployment";

// Internal to @pulumi/pulumi (left out of its typings) but stable for years: whether Pulumi
// decrypted a key from a `secure:` value. Without it a secret would pass as plain config.
const runtimeSecrets = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };

function loadConfig(): Config {
    try {
        const raw = pulumi.runtime.allConfig();
        const secretKeys = Object.keys(raw).filter((k) => runtimeSecrets.isConfigSecret?.(k) === true);
        return parseConfig(raw, { secretKeys });
    } catch (e) {
        // RunError: Pulumi prints the message alone, without a stack trace.
        if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
        throw e;
    }
}

const config = loadConfig();
const deployments = Object.keys(config.stacks).map((stack) => new StackDeployment(stack, { config, stack }));

/** `org/project/stack` of every stack with deployment settings. */
export const configuredStacks = deployments.map((d) => d.stackId);
