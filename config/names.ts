// Logical names the components derive from the release name. One place, because the AWS limits
// (aws-limits.ts) are checked on these names plus Pulumi's auto-name suffix: a component that
// named its resources differently would make the config check count the wrong thing.

/** The RedisCache component and its replication group (the group ID is auto-named from it). */
export const redisLogicalName = (release: string): string => `${release}-redis`;

/** The IRSA component's IAM role (auto-named from it). */
export const roleLogicalName = (release: string): string => `${release}-role`;

/** The IRSA component's inline policy (auto-named from it). */
export const rolePolicyLogicalName = (release: string): string => `${release}-inline`;

/** Tags the AWS provider puts on every resource, next to `aws.tags` (they win on a clash). */
export const FIXED_TAG_KEYS = ["project", "stack", "managed-by"] as const;

/** Default windows (UTC) when the config sets none; they do not overlap. */
export const DEFAULT_SNAPSHOT_WINDOW = "03:00-04:00";
export const DEFAULT_MAINTENANCE_WINDOW = "sun:05:00-sun:06:00";
