// Preview-time checks of what the release needs from the cluster but does not install itself
// (docs/operations.md, "Cluster prerequisites"; review m20): the IngressClass the Ingress names (the AWS Load
// Balancer Controller's `alb`) and the resource metrics API an HPA scales on (metrics-server).
// Each is a read of the live object, which the engine performs during `preview` too: a missing
// prerequisite fails the preview naming it, instead of an Ingress no controller serves or an
// HPA stuck at its minimum after a successful deploy.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import type { Config } from "../config";

/** The APIService metrics-server registers (metrics.k8s.io/v1beta1). */
export const METRICS_API_SERVICE = "v1beta1.metrics.k8s.io";

export interface ClusterPreflightArgs {
    /** Validated stack config: which prerequisites the release uses. */
    readonly config: Config;
}

export class ClusterPreflight extends pulumi.ComponentResource {
    /** The prerequisites checked, e.g. ["IngressClass alb", "APIService v1beta1.metrics.k8s.io"]. */
    public readonly checked: string[] = [];

    constructor(name: string, args: ClusterPreflightArgs, opts?: pulumi.ComponentResourceOptions) {
        super("taskflow:cluster:Preflight", name, {}, opts);
        const app = args.config.app;
        const className = app.ingress?.enabled ? app.ingress.className : undefined;
        if (className) {
            k8s.networking.v1.IngressClass.get(`${name}-ingressclass`, className, { parent: this });
            this.checked.push(`IngressClass ${className}`);
        }
        if (app.autoscaling?.enabled) {
            const api = k8s.apiregistration.v1.APIService.get(`${name}-metrics-api`, METRICS_API_SERVICE, { parent: this });
            // Registered but not serving (metrics-server down) is as bad as absent: the HPA gets no
            // metrics either. The condition is read only when the API server reports one.
            api.status.apply((status) => {
                const available = status?.conditions?.find((c) => c.type === "Available");
                if (available && available.status !== "True") {
                    throw new Error(`cluster prerequisite: APIService ${METRICS_API_SERVICE} is not Available (${available.reason}: ${available.message}); the HPA cannot scale without metrics-server`);
                }
            });
            this.checked.push(`APIService ${METRICS_API_SERVICE}`);
        }
        this.registerOutputs({});
    }
}
