// Redis: the in-cluster Valkey subchart or an ElastiCache replication group.
import { z } from "zod";

import { LOG_RETENTION_DAYS, SNAPSHOT_NAME } from "../aws-limits";
import { bool, int, numeric, text } from "../scalars";

export const redisSchema = z.strictObject({
    mode: z.enum(["inCluster", "elasticache"], {
        error: 'expected "inCluster" (Valkey subchart, dev) or "elasticache" (managed, staging/prod)',
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
});
