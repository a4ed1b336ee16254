import * as pulumi from "@pulumi/pulumi";

import { ConfigError, configKey } from "../config";
import type { ClusterConfig, ClusterFact } from "../config";
import { clusterSchema } from "../config/schema/cluster";

type FactValue<F extends ClusterFact> = F extends "privateSubnetIds" ? string[] : string;

/** What a use of a fact needs beyond its format. */
export interface FactRequirements {
    /** For lists: at least this many items (multi-AZ needs subnets in 2 AZs). */
    readonly minItems?: number;
}

/**
 * Where the facts about the EKS cluster come from: this stack's config when set, otherwise an
 * output of the cluster's own stack (`cluster.stackReference`). Facts are looked up lazily, so a
 * stack only requires the outputs it uses.
 */
export class ClusterFacts {
    private reference?: pulumi.StackReference;

    constructor(private readonly config: ClusterConfig, private readonly opts?: pulumi.CustomResourceOptions) {}

    /**
     * A fact the stack cannot work without: config value, else a required stack output. Values
     * from the cluster stack get the checks parseConfig gives config values, when they resolve
     * (at preview: stack outputs are read, not computed), so one subnet or a comma-separated
     * string fails the preview naming the output instead of CreateCacheSubnetGroup at `up`.
     */
    require<F extends Exclude<ClusterFact, "kubeconfig">>(fact: F, needs: FactRequirements = {}): pulumi.Output<FactValue<F>> {
        const value = this.config[fact];
        if (value !== undefined) return pulumi.output(value) as pulumi.Output<FactValue<F>>;
        const ref = this.stackReference();
        if (ref === undefined) {
            // parseConfig rejects such a config; reaching this is a programming error.
            throw new Error(`cluster.${fact} is not configured and there is no cluster.stackReference`);
        }
        const output = this.outputName(fact);
        const where = `output "${output}" of cluster stack ${this.config.stackReference}`;
        return ref.requireOutput(output).apply((v: unknown) => {
            const problems = clusterFactProblems(fact, v, needs);
            if (problems.length > 0) {
                // RunError: Pulumi prints the message alone, as it does for config errors.
                throw new pulumi.RunError(new ConfigError(problems.map((p) => `${configKey(["cluster", fact])} (${where}): ${p}`)).message);
            }
            return v as FactValue<F>;
        });
    }

    /**
     * Kubeconfig for the Kubernetes provider (secret), or undefined for the ambient one
     * ($KUBECONFIG / ~/.kube/config, with `cluster.context` when set). From a stack reference it
     * is optional: a cluster stack that exports none leaves the ambient configuration in charge.
     */
    kubeconfig(): pulumi.Output<string> | undefined {
        if (this.config.kubeconfig !== undefined) return pulumi.secret(this.config.kubeconfig);
        const ref = this.stackReference();
        if (ref === undefined) return undefined;
        return pulumi.secret(ref.getOutput(this.outputName("kubeconfig")) as pulumi.Output<string>);
    }

    private outputName(fact: ClusterFact): string {
        return this.config.outputNames?.[fact] ?? fact;
    }

    private stackReference(): pulumi.StackReference | undefined {
        if (this.config.stackReference === undefined) return undefined;
        this.reference ??= new pulumi.StackReference("cluster", { name: this.config.stackReference }, this.opts);
        return this.reference;
    }
}

/** What is wrong with a cluster fact's value: the config schema's checks plus the use's needs. */
export function clusterFactProblems(fact: ClusterFact, value: unknown, needs: FactRequirements = {}): string[] {
    const result = clusterSchema.shape[fact].safeParse(value);
    if (!result.success) {
        const seen = value === undefined ? "nothing" : JSON.stringify(value).slice(0, 80);
        return [...new Set(result.error.issues.map((i) => i.message))].map((m) => `${m} (got ${fact === "kubeconfig" ? "a value" : seen})`);
    }
    if (needs.minItems !== undefined && Array.isArray(value) && value.length < needs.minItems) {
        return [`list subnets in at least ${needs.minItems} availability zones when redis.multiAz is true (got ${value.length})`];
    }
    return [];
}
