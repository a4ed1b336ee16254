import * as pulumi from "@pulumi/pulumi";

import type { ClusterConfig, ClusterFact } from "../config";

type FactValue<F extends ClusterFact> = F extends "privateSubnetIds" ? string[] : string;

/**
 * Where the facts about the EKS cluster come from: this stack's config when set, otherwise an
 * output of the cluster's own stack (`cluster.stackReference`). Facts are looked up lazily, so a
 * stack only requires the outputs it uses.
 */
export class ClusterFacts {
    private reference?: pulumi.StackReference;

    constructor(private readonly config: ClusterConfig, private readonly opts?: pulumi.CustomResourceOptions) {}

    /** A fact the stack cannot work without: config value, else a required stack output. */
    require<F extends Exclude<ClusterFact, "kubeconfig">>(fact: F): pulumi.Output<FactValue<F>> {
        const value = this.config[fact];
        if (value !== undefined) return pulumi.output(value) as pulumi.Output<FactValue<F>>;
        const ref = this.stackReference();
        if (ref === undefined) {
            // parseConfig rejects such a config; reaching this is a programming error.
            throw new Error(`cluster.${fact} is not configured and there is no cluster.stackReference`);
        }
        return ref.requireOutput(this.outputName(fact)) as pulumi.Output<FactValue<F>>;
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
