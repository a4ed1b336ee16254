// taskflow-api: the Pulumi program. Thin on purpose; see config.ts and components/stack.ts.
import * as pulumi from "@pulumi/pulumi";

import { createStack } from "./components/stack";
import { parseConfig } from "./config";

// Throws one error listing every config problem before any resource is registered.
const config = parseConfig(pulumi.runtime.allConfig());
const stack = createStack(config, { stack: pulumi.getStack() });

export const namespace = stack.namespace;
export const releaseName = stack.releaseName;
export const releaseStatus = stack.releaseStatus;
export const redisEndpoint = stack.redisEndpoint;
export const roleArn = stack.roleArn;
