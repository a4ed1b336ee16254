// The app: the chart's own values (replicas, image, resources, ingress, ...).
import { z } from "zod";

import { bool, int, labelMap, quantity, stringMap, text } from "../scalars";

const cidr = text("an IPv4 CIDR such as 10.0.0.0/16", /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/);
/** A NetworkPolicyPeer, as the chart passes it through to `spec.ingress[].from`. */
const networkPolicyPeer = z
    .strictObject({
        podSelector: z.strictObject({ matchLabels: labelMap.optional() }).optional(),
        namespaceSelector: z.strictObject({ matchLabels: labelMap.optional() }).optional(),
        ipBlock: z.strictObject({ cidr, except: z.array(cidr).optional() }).optional(),
    })
    .refine((p) => Object.keys(p).length > 0, "expected podSelector, namespaceSelector or ipBlock");

const resourceListSchema = z.strictObject({ cpu: quantity, memory: quantity });

export const appSchema = z.strictObject({
    replicaCount: int(1, 100).optional(),
    image: z
        .strictObject({
            repository: z.string().min(1, "expected a non-empty image repository").optional(),
            // A tag, not a digest: the chart renders `<repository>:<tag>`.
            tag: text("an image tag (letters, digits, '_', '.', '-'; at most 128)", /^\w[\w.-]{0,127}$/).optional(),
            pullPolicy: z.enum(["Always", "IfNotPresent", "Never"]).optional(),
        })
        .optional(),
    resources: z.strictObject({ requests: resourceListSchema, limits: resourceListSchema }).optional(),
    autoscaling: z
        .strictObject({
            enabled: bool(),
            minReplicas: int(1, 100).optional(),
            maxReplicas: int(1, 100).optional(),
            targetCPUUtilizationPercentage: int(1, 100).optional(),
        })
        .optional(),
    servicePort: int(1, 65535).optional(),
    ingress: z
        .strictObject({
            enabled: bool(),
            className: z.string().optional(),
            annotations: stringMap.optional(),
            hosts: z
                .array(
                    z.strictObject({
                        host: text("a host name", /^(\*\.)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/),
                        paths: z
                            .array(
                                z.strictObject({
                                    path: text("a path starting with /", /^\//),
                                    pathType: z.enum(["Prefix", "Exact", "ImplementationSpecific"]),
                                }),
                            )
                            .min(1, "expected at least one path"),
                    }),
                )
                .optional(),
            tls: z
                .array(z.strictObject({ secretName: z.string().min(1), hosts: z.array(z.string()).min(1) }))
                .optional(),
        })
        .optional(),
    podDisruptionBudget: z
        .strictObject({
            enabled: bool(),
            minAvailable: z
                .union([int(1, 1000), text("a percentage such as 50%", /^[1-9][0-9]?%$/)])
                .optional(),
        })
        .optional(),
    topologySpread: z
        .strictObject({
            enabled: bool(),
            maxSkew: int(1, 10).optional(),
            whenUnsatisfiable: z.enum(["ScheduleAnyway", "DoNotSchedule"]).optional(),
        })
        .optional(),
    /** The migration hook Job (chart `migrations.*`): retries, deadline and extra pod labels. */
    migrations: z
        .strictObject({
            backoffLimit: int(0, 10).optional(),
            activeDeadlineSeconds: int(30, 3600).optional(),
            podLabels: labelMap.optional(),
        })
        .optional(),
    /** The app's NetworkPolicy (chart `networkPolicy.*`): who may call the HTTP port. */
    networkPolicy: z
        .strictObject({
            enabled: bool().optional(),
            /** Peers admitted to the HTTP port; absent admits any source (still that port only). */
            ingressFrom: z.array(networkPolicyPeer).min(1, "expected at least one peer (omit the key to admit any source)").optional(),
        })
        .optional(),
    /** Non-secret environment variables (the chart's `config` map). */
    env: z
        .record(
            text("an environment variable name", /^[A-Za-z_][A-Za-z0-9_]*$/),
            z.string({ error: "expected a string value (quote numbers and booleans)" }),
        )
        .optional(),
});
