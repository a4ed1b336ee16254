// The AWS Load Balancer Controller's contract with the app's Ingress and namespace.
import type { AppConfig } from "./model";

/** Ingress annotation holding target group attributes (deregistration delay among them). */
export const TARGET_GROUP_ATTRIBUTES = "alb.ingress.kubernetes.io/target-group-attributes";
/** Namespace label that makes the controller inject its pod readiness gate. */
export const READINESS_GATE_LABEL = "elbv2.k8s.aws/pod-readiness-gate-inject";

/**
 * True when the Ingress is an ALB that routes to pod IPs. Then a pod is Ready before its target
 * is healthy in the target group, and a rolling update can replace every registered target with
 * ones still in "initial": the readiness gate makes the Deployment wait for the ALB.
 */
export function albIpTargets(app: Pick<AppConfig, "ingress">): boolean {
    const ingress = app.ingress;
    return ingress?.enabled === true && ingress.className === "alb" && ingress.annotations?.["alb.ingress.kubernetes.io/target-type"] === "ip";
}
