// The app: the chart's own values (replicas, image, resources, ingress, ...).
import { z } from "zod";

import { bool, int, labelMap, quantity, text } from "../scalars";

/**
 * OCI repository name (distribution/reference grammar): domain components [a-zA-Z0-9-] joined
 * by '.', optional :port, then path components [a-z0-9]+ joined by '.', '_', '__' or '-'+. The
 * first component is a registry only when it has a '.' or ':' or is "localhost", as Docker
 * decides; the whole name is at most 255 characters.
 */
const OCI_PATH = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const OCI_DOMAIN = "(?:localhost|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*:[0-9]+)(?::[0-9]+)?";
export const OCI_REPOSITORY = new RegExp(`^(?=.{1,255}$)(?:${OCI_DOMAIN}/)?${OCI_PATH}(?:/${OCI_PATH})*$`);
/** DNS-1123 subdomain (IngressClass names). */
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Kubernetes qualified name (label and annotation keys): [prefix/]name. */
const QUALIFIED_NAME = /^((?=[^/]{1,253}\/)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(?=[^/]{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

const cidr = text("an IPv4 CIDR such as 10.0.0.0/16", /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/);
/** A NetworkPolicyPeer, as the chart passes it through to `spec.ingress[].from`. */
const networkPolicyPeer = z
    .strictObject({
        podSelector: z.strictObject({ matchLabels: labelMap.optional() }).optional(),
        namespaceSelector: z.strictObject({ matchLabels: labelMap.optional() }).optional(),
        ipBlock: z.strictObject({ cidr, except: z.array(cidr).optional() }).optional(),
    })
    .refine((p) => Object.keys(p).length > 0, "expected podSelector, namespaceSelector or ipBlock");

/** Requests or limits. ephemeral-storage may be left out: the chart's default then applies. */
const resourceListSchema = z.strictObject({ cpu: quantity, memory: quantity, "ephemeral-storage": quantity.optional() });
const resourcesSchema = z.strictObject({ requests: resourceListSchema, limits: resourceListSchema });
/** An integer count or a percentage ("25%"), as Kubernetes takes for surges and budgets. */
const countOrPercent = (max: number) => z.union([int(1, max), text("a percentage such as 25%", /^[1-9][0-9]?%$|^100%$/)]);
/** Non-root user/group IDs (the chart refuses 0 too). */
const id = int(1, 2147483647);
const scalingRules = z.strictObject({
    stabilizationWindowSeconds: int(0, 3600).optional(),
    selectPolicy: z.enum(["Max", "Min", "Disabled"]).optional(),
    policies: z
        .array(z.strictObject({ type: z.enum(["Pods", "Percent"]), value: int(1, 1000), periodSeconds: int(1, 1800) }))
        .min(1, "expected at least one policy")
        .optional(),
});

export const appSchema = z.strictObject({
    replicaCount: int(1, 100).optional(),
    image: z
        .strictObject({
            // OCI distribution reference grammar (distribution/reference, reference.go): an
            // optional registry host[:port], then lowercase path components, no tag or digest
            // (they have their own keys). Anything else is InvalidImageName at pull time, after
            // the pre-install hook waited out its deadline (review m4).
            repository: text(
                "an image repository: [registry[:port]/]path with lowercase components (a-z0-9 separated by . _ __ or -), no tag or digest, at most 255 characters",
                OCI_REPOSITORY,
            ).optional(),
            // A tag only: it is also the version label. A digest goes in `digest`.
            tag: text("an image tag (letters, digits, '_', '.', '-'; at most 128)", /^\w[\w.-]{0,127}$/).optional(),
            /** Pins the image (chart `image.digest`): `<repository>@<digest>`, the tag only labels it. */
            digest: text("an image digest: sha256: and 64 lowercase hex digits", /^sha256:[a-f0-9]{64}$/).optional(),
            pullPolicy: z.enum(["Always", "IfNotPresent", "Never"]).optional(),
        })
        .optional(),
    resources: resourcesSchema.optional(),
    autoscaling: z
        .strictObject({
            enabled: bool(),
            minReplicas: int(1, 100).optional(),
            maxReplicas: int(1, 100).optional(),
            targetCPUUtilizationPercentage: int(1, 100).optional(),
            targetMemoryUtilizationPercentage: int(1, 100).optional(),
            /** autoscaling/v2 `behavior` (chart `autoscaling.behavior`). */
            behavior: z.strictObject({ scaleUp: scalingRules.optional(), scaleDown: scalingRules.optional() }).optional(),
        })
        .optional(),
    /** Rolling update surge (chart `rollingUpdate.maxSurge`; default 25%). */
    rollingUpdate: z.strictObject({ maxSurge: countOrPercent(100) }).optional(),
    /** Startup probe budget (chart `startupProbe`): a pod may take periodSeconds x failureThreshold to start. */
    startupProbe: z.strictObject({ periodSeconds: int(1, 60).optional(), failureThreshold: int(1, 120).optional() }).optional(),
    /** Shutdown: preStop wait, the app's own drain time after SIGTERM, and the grace period. */
    shutdown: z
        .strictObject({
            preStopDelaySeconds: int(0, 120).optional(),
            /** Seconds the app needs after SIGTERM to finish in-flight requests (not a chart value). */
            drainSeconds: int(0, 300).optional(),
            terminationGracePeriodSeconds: int(1, 600).optional(),
        })
        .optional(),
    /**
     * Seconds the app's pods stay bound to a node that is NotReady or unreachable before they are
     * evicted and replaced elsewhere (chart `tolerations`: node.kubernetes.io/not-ready and
     * /unreachable, NoExecute). Unset keeps the API server's default, 300 s. The lost pods leave
     * the Service's endpoints when the node turns NotReady either way; this decides when the
     * capacity comes back (e2e/zones.test.ts measures both).
     */
    nodeLossTolerationSeconds: int(0, 3600).optional(),
    /** User and group IDs of every pod (chart `podSecurityContext`); the restricted profile stays. */
    podSecurityContext: z.strictObject({ runAsUser: id.optional(), runAsGroup: id.optional(), fsGroup: id.optional() }).optional(),
    servicePort: int(1, 65535).optional(),
    ingress: z
        .strictObject({
            enabled: bool(),
            // An IngressClass name is a DNS subdomain; annotation keys follow the label-key
            // grammar. The API server refuses anything else at `up`, after the atomic release
            // started (review m5).
            className: text("an IngressClass name (a DNS subdomain: lowercase letters, digits, '-', '.')", DNS_SUBDOMAIN).optional(),
            annotations: z.record(
                text("an annotation key: an optional DNS-subdomain prefix (at most 253) and '/', then a name of at most 63 letters, digits, '-', '_', '.'", QUALIFIED_NAME),
                z.string({ error: "expected a string value" }),
            ).optional(),
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
            /** Pods that may be down at once; scales with the HPA. Exclusive with minAvailable. */
            maxUnavailable: countOrPercent(1000).optional(),
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
            resources: resourcesSchema.optional(),
        })
        .optional(),
    /** The `helm test` pod (chart `helmTest.resources`). */
    helmTest: z.strictObject({ resources: resourcesSchema.optional() }).optional(),
    /** The app's NetworkPolicy (chart `networkPolicy.*`): who may call the HTTP port. */
    networkPolicy: z
        .strictObject({
            enabled: bool().optional(),
            /** Peers admitted to the HTTP port; absent admits any source (still that port only). */
            ingressFrom: z.array(networkPolicyPeer).min(1, "expected at least one peer (omit the key to admit any source)").optional(),
        })
        .optional(),
    /**
     * Names in app.env that look like secrets (TOKEN_TTL_SECONDS, PASSWORD_MIN_LENGTH) but are not:
     * the secret-name check then lets them through (review m7).
     */
    envNotSecret: z.array(text("an environment variable name", /^[A-Za-z_][A-Za-z0-9_]*$/)).optional(),
    /** Non-secret environment variables (the chart's `config` map). */
    env: z
        .record(
            text("an environment variable name", /^[A-Za-z_][A-Za-z0-9_]*$/),
            z.string({ error: "expected a string value (quote numbers and booleans)" }),
        )
        .optional(),
});
