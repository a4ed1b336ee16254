// Redis: the in-cluster Valkey subchart, an ElastiCache replication group, or an external Redis
// or Valkey the stack does not own (a platform team's shared ElastiCache, the local stand-in).
import { z } from "zod";

import { LOG_RETENTION_DAYS, SNAPSHOT_NAME } from "../aws-limits";
import { bool, dnsLabel, int, numeric, text } from "../scalars";

/** A hostname (DNS-1123 subdomain) or an IPv4 address: what the app dials. */
const HOST = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** IPv4 CIDR, each octet 0-255, prefix 0-32. */
export const IPV4_CIDR = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\/(3[0-2]|[12]?\d)$/;
/** Kubernetes Secret key grammar (the API server's IsConfigMapKey). */
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

export const redisSchema = z.strictObject({
    mode: z.enum(["inCluster", "elasticache", "external"], {
        error: 'expected "inCluster" (Valkey subchart, dev), "elasticache" (managed, staging/prod) or "external" (a Redis/Valkey this stack does not own)',
    }),
    /** Changing this number generates a new Redis password / AUTH token (rotation). */
    authTokenVersion: int(1, 1_000_000).optional(),
    engine: z.enum(["valkey", "redis"]).optional(),
    engineVersion: text("a major.minor version such as 8.0", /^\d+\.\d+$/).optional(),
    nodeType: text("an ElastiCache node type such as cache.t4g.small", /^cache\.[a-z0-9]+\.[a-z0-9]+$/).optional(),
    numNodes: int(1, 6).optional(),
    multiAz: bool().optional(),
    port: int(1024, 65535).optional(),
    snapshotRetentionDays: int(0, 35).optional(),
    snapshotWindow: text("a UTC window hh:mm-hh:mm", /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/).optional(),
    maintenanceWindow: text(
        "a UTC window ddd:hh:mm-ddd:hh:mm (e.g. sun:05:00-sun:06:00)",
        /^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$/,
    ).optional(),
    slowLogRetentionDays: z
        .preprocess(numeric, z.number())
        .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
            message: `expected a CloudWatch retention period: ${LOG_RETENTION_DAYS.join(", ")}`,
        })
        .optional(),
    authTokenLength: int(16, 128).optional(),
    /**
     * ROTATE (default): a new token is added and the old one stays valid. SET: only the current
     * token stays valid; switching to SET retires the old one (the provider sends a strategy
     * change alone, with the same token, as a ModifyReplicationGroup).
     */
    authTokenUpdateStrategy: z.enum(["ROTATE", "SET"], { error: 'expected "ROTATE" or "SET"' }).optional(),
    applyImmediately: bool().optional(),
    protect: bool().optional(),
    finalSnapshot: bool().optional(),
    /**
     * Name of the final snapshot; default `<release>-<stack>-final`. A name can be used once:
     * set a new one in the change that lifts `protect` for a teardown.
     */
    finalSnapshotName: text(
        "a snapshot name: letters, digits and single hyphens, starting with a letter, at most 255 characters",
        SNAPSHOT_NAME,
    ).optional(),
    /**
     * `required` (default) refuses plain-text clients. `preferred` accepts both: only for adopting
     * a group that has in-transit encryption off, which AWS moves to `required` in two applies.
     */
    /**
     * CloudWatch alarms on every node (engine CPU, memory, evictions, connections, replica lag)
     * and an SNS topic that gets them and the group's ElastiCache events (failover,
     * maintenance). Subscribe the on-call channel to the topic outside this stack.
     */
    alarms: bool().optional(),
    transitEncryptionMode: z.enum(["preferred", "required"], { error: 'expected "preferred" or "required"' }).optional(),
    /** Accept a Valkey version newer than config/aws-limits.ts VALKEY_VERSIONS (it must exist in ElastiCache). */
    allowUnlistedEngineVersion: bool().optional(),
    /** Accept a node type newer than config/aws-limits.ts NODE_TYPE_SIZES (it must exist in ElastiCache). */
    allowUnlistedNodeType: bool().optional(),
    /** external: the primary endpoint the app dials (hostname or IPv4). */
    host: text("a hostname (lowercase DNS name) or an IPv4 address", HOST).optional(),
    /** external: connect with TLS (rediss://). Default true. */
    tls: bool().optional(),
    /**
     * external: PEM bundle of the CA(s) the server certificate chains to; a secret config value
     * (`pulumi config set --secret --path redis.caCert "$(cat ca.pem)"`). Absent: the public roots
     * in Node.js, as for ElastiCache.
     */
    caCert: z.string({ error: "expected a PEM certificate bundle" }).optional(),
    /** external: the AUTH token, a secret config value. Or authTokenSecret. */
    authToken: z.string({ error: "expected the AUTH token as a string (a secret config value)" }).optional(),
    /** external: an existing Kubernetes Secret in the namespace holding the token. */
    authTokenSecret: z
        .strictObject({
            name: dnsLabel,
            key: text("a Secret key (letters, digits, '-', '_', '.')", SECRET_KEY).optional(),
        })
        .optional(),
    /**
     * external and elasticache: the only destinations the NetworkPolicy lets the app reach on the
     * Redis port (the cache subnets' CIDRs). Absent: any destination on that port.
     */
    egressCidrs: z.array(text("an IPv4 CIDR such as 10.0.16.0/20", IPV4_CIDR)).min(1, "expected at least one CIDR").optional(),
});
