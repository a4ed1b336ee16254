// Which stacks count as production is policy config, not code: a platform team can mark more
// stacks (or rename them) per policy group without a new pack version.
import type { PolicyConfigSchema } from "@pulumi/policy";

import { stackOf } from "./urn";

/** Stacks treated as production when the policy config names none. */
export const DEFAULT_PRODUCTION_STACKS: readonly string[] = ["prod"];

/** The config property every production-aware policy declares. */
export const productionStacksSchema: PolicyConfigSchema["properties"][string] = {
    type: "array",
    items: { type: "string" },
    default: [...DEFAULT_PRODUCTION_STACKS],
    description: "Stack names that count as production (exact names).",
};

export interface ProductionConfig {
    readonly productionStacks?: readonly string[];
}

/** Whether the resource's stack is a production stack under this policy's config. */
export function isProductionStack(urn: string, config: ProductionConfig): boolean {
    return (config.productionStacks ?? DEFAULT_PRODUCTION_STACKS).includes(stackOf(urn));
}
