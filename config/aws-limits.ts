// What AWS and the Pulumi AWS provider accept, checked at config time so a bad value fails
// `preview` and `npm run plan` naming its key, instead of failing `up` half-way. Each limit
// cites its source: the bridged Terraform provider's validator (hashicorp/terraform-provider-aws)
// or the AWS API reference.

/** Engine versions ElastiCache offers for each engine, newest last. */
export const ENGINE_VERSIONS = {
    valkey: ["7.2", "8.0", "8.1"],
    redis: ["6.2", "7.0", "7.1"],
} as const;
/** Default engine version per engine. */
export const DEFAULT_ENGINE_VERSION = { valkey: "8.0", redis: "7.1" } as const;

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
] as const;

