// taskflow-api: the Pulumi program. Thin on purpose; see config/ and components/stack.ts.
import * as pulumi from "@pulumi/pulumi";

import { createStack, stackOutputs } from "./components/stack";
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

// Only the outputs this stack has (dev has no ElastiCache endpoint and no IAM role): an
// undefined export would make the engine warn on every run. Names and types: docs/configuration.md, "Stack
// outputs".
export = stackOutputs(stack);
