// taskflow-api: the Pulumi program. Thin on purpose; see config.ts and components/stack.ts.
import * as pulumi from "@pulumi/pulumi";

import { createStack } from "./components/stack";
import { Config, ConfigError, parseConfig } from "./config";

function loadConfig(): Config {
    try {
        return parseConfig(pulumi.runtime.allConfig());
    } catch (e) {
        // RunError: Pulumi prints the message alone, without a stack trace to scroll past.
        if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
        throw e;
    }
}

// Every config problem is reported here, before any resource is registered.
const stack = createStack(loadConfig(), { stack: pulumi.getStack() });

export const namespace = stack.namespace;
export const releaseName = stack.releaseName;
export const releaseStatus = stack.releaseStatus;
export const redisEndpoint = stack.redisEndpoint;
export const roleArn = stack.roleArn;
