// What AWS and the Pulumi AWS provider accept, checked at config time so a bad value fails
// `preview` and `npm run plan` naming its key, instead of failing `up` half-way. The provider
// checks few of these itself: most reach AWS only at `up` (review #1-#8).
//
// Each limit cites its source: the bridged Terraform provider (hashicorp/terraform-provider-aws,
// "TF" below), Pulumi's field mapping (pulumi/pulumi-aws provider/resources.go), the @pulumi/aws
// 7.48.0 SDK docs (.d.ts) or the AWS API reference. test/unit/provider-rules.test.ts applies the
// same limits to what the program registers.

// ---- engines -----------------------------------------------------------------------------------

/**
 * Redis OSS versions this stack accepts. ElastiCache offers 6.2 too, but the component always
 * sends TransitEncryptionMode, which AWS refuses below Redis 7.0.5: "InvalidParameterCombination:
 * Transit encryption mode is not supported for engine version 6.2.6. Please use engine version
 * 7.0.5 or higher." (quoted in cloudposse/terraform-aws-elasticache-redis PR #231; review M6).
 * "7.0" resolves to the newest 7.0.x, which is past 7.0.5. No newer OSS line will come: ElastiCache
 * moved on to Valkey. TF engine_version.go `validRedisVersionString` takes `6.x` and `7.x`.
 */
export const REDIS_VERSIONS = ["7.0", "7.1"] as const;
/**
 * Valkey versions ElastiCache offers (AWS ElastiCache User Guide, "Supported engines and
 * versions": Valkey 7.2, 8.0, 8.1, 8.2; the 7.48.0 SDK documents 9.0 features,
 * replicationGroup.d.ts `durability`). TF engine_version.go `validValkeyVersionString` takes any
 * `^[7-9]\.\d+$`, so 7.3 or 8.7 pass the provider and fail at CreateReplicationGroup (review
 * m8). A version newer than this list: set redis.allowUnlistedEngineVersion.
 */
export const VALKEY_VERSIONS = ["7.2", "8.0", "8.1", "8.2", "9.0"] as const;
/** The grammar an unlisted version must still match (TF's). */
export const VALKEY_VERSION = /^[7-9]\.\d+$/;
export const MIN_VALKEY_VERSION = "7.2";

/** Versions of the engines, for messages and the README. */
export const ENGINE_VERSIONS = {
    valkey: VALKEY_VERSIONS.join(", "),
    redis: REDIS_VERSIONS.join(", "),
} as const;
/** Default engine version per engine. */
export const DEFAULT_ENGINE_VERSION = { valkey: "8.0", redis: "7.1" } as const;

/** The problem with an engine version, or undefined when ElastiCache offers it. */
export function engineVersionProblem(engine: "valkey" | "redis", version: string, allowUnlisted = false): string | undefined {
    if (engine === "redis") {
        if (version.startsWith("6.")) {
            return "Redis 6.x is refused: this stack always sets TransitEncryptionMode, which ElastiCache supports from Redis 7.0.5 on; use 7.0 or 7.1 (or valkey)";
        }
        return (REDIS_VERSIONS as readonly string[]).includes(version) ? undefined : `expected one of ${ENGINE_VERSIONS.redis} for engine redis`;
    }
    const [major, minor] = version.split(".").map(Number);
    const grammar = VALKEY_VERSION.test(version) && (major > 7 || minor >= 2);
    if ((VALKEY_VERSIONS as readonly string[]).includes(version) || (allowUnlisted && grammar)) return undefined;
    return `expected one of ${ENGINE_VERSIONS.valkey} for engine valkey` +
        (grammar ? " (a newer release ElastiCache offers: set redis.allowUnlistedEngineVersion: true)" : "");
}

/**
 * ElastiCache node types by family, with the sizes each is sold in (AWS ElastiCache User Guide,
 * "Supported node types", current generation; Valkey runs on current-generation types only).
 * TF checks nothing beyond a string, so `cache.r7g.larg` or `cache.m3.medium` fail at
 * CreateReplicationGroup after the subnet group, security group, log group, topic and role exist
 * (review m3). A type newer than this table: set redis.allowUnlistedNodeType.
 */
export const NODE_TYPE_SIZES: Readonly<Record<string, readonly string[]>> = {
    t3: ["micro", "small", "medium"],
    t4g: ["micro", "small", "medium"],
    m5: ["large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"],
    m6g: ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"],
    m7g: ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"],
    r5: ["large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"],
    r6g: ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"],
    r6gd: ["xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"],
    r7g: ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"],
    c7gn: ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"],
};
/** Previous-generation families: still listed by AWS for Redis OSS, not offered for Valkey. */
const PREVIOUS_GENERATION = /^cache\.(t1|t2|m1|m2|m3|m4|c1|r3|r4)\./;

/**
 * The problem with a node type, or undefined. r6gd nodes keep data on SSD and "dataTieringEnabled
 * must be set to true when using r6gd nodes" (replicationGroup.d.ts); this stack does not offer
 * data tiering, so they are refused rather than failing at create (#7).
 */
export function nodeTypeProblem(nodeType: string, allowUnlisted = false): string | undefined {
    if (/^cache\.r6gd\./.test(nodeType)) {
        return "r6gd node types need data tiering, which this stack does not configure; use r7g/r6g";
    }
    if (PREVIOUS_GENERATION.test(nodeType)) {
        return "a previous-generation node type: Valkey and TransitEncryptionMode need a current one (t4g, m7g, r7g, ...)";
    }
    const [, family, size] = /^cache\.([a-z0-9]+)\.([a-z0-9]+)$/.exec(nodeType) ?? [];
    const sizes = family === undefined ? undefined : NODE_TYPE_SIZES[family];
    if (sizes?.includes(size)) return undefined;
    if (allowUnlisted) return undefined;
    if (sizes) return `cache.${family} comes in ${sizes.join(", ")}; got "${size}"`;
    return `unknown node type family "${family}": expected one of ${Object.keys(NODE_TYPE_SIZES).join(", ")} (a newer family ElastiCache offers: set redis.allowUnlistedNodeType: true)`;
}

// ---- windows -----------------------------------------------------------------------------------

/**
 * Minimum length of the snapshot and the maintenance window: "The minimum snapshot window is a
 * 60 minute period" and "The minimum maintenance window is a 60 minute period"
 * (replicationGroup.d.ts; the API answers `InvalidParameterValue: Snapshot window must be at
 * least 60 minutes`). TF checks only the format (verify.ValidOnceADayWindowFormat).
 */
export const MIN_WINDOW_MINUTES = 60;
const DAY = 24 * 60;
const WEEK = 7 * DAY;
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** `03:00-04:00` as [start, length] in minutes of the day; a window may run past midnight. */
export function dailyWindow(window: string): [number, number] {
    const [from, to] = window.split("-");
    const start = minutes(from);
    return [start, (minutes(to) - start + DAY) % DAY];
}

/** `sun:05:00-sun:06:00` as [start, length] in minutes of the week (Monday 00:00 is 0). */
export function weeklyWindow(window: string): [number, number] {
    const at = (s: string) => DAYS.indexOf(s.slice(0, 3)) * DAY + minutes(s.slice(4));
    const [from, to] = [window.slice(0, 9), window.slice(10)];
    const start = at(from);
    return [start, (at(to) - start + WEEK) % WEEK];
}

/**
 * Whether the daily snapshot window meets the weekly maintenance window on any day. AWS refuses
 * that at create: "The snapshot window and maintenance window must not overlap"
 * (hashicorp/terraform#17247). Windows that only touch end to start do not overlap.
 */
export function windowsOverlap(snapshot: string, maintenance: string): boolean {
    const [ms, ml] = weeklyWindow(maintenance);
    const [ss, sl] = dailyWindow(snapshot);
    for (let day = -1; day <= 7; day++) {
        const start = day * DAY + ss;
        for (const shift of [-WEEK, 0, WEEK]) {
            const m = ms + shift;
            if (start < m + ml && m < start + sl) return true;
        }
    }
    return false;
}

// ---- names Pulumi generates --------------------------------------------------------------------

/**
 * Pulumi auto-naming appends "-" and 7 random characters to a resource's logical name, and the
 * bridge refuses at preview when that exceeds the field's maximum ("plus 7 random chars is longer
 * than maximum length"; pulumi-aws resources.go AutoName/AutoNameTransform, tfbridge
 * NewUniqueHex).
 */
export const AUTO_NAME_SUFFIX_LENGTH = 8;

/**
 * Maximum lengths of auto-named fields (pulumi-aws resources.go): `replication_group_id`
 * AutoNameTransform(40, lower-case), which matches TF validateReplicationGroupID
 * StringLenBetween(1, 40); `aws_iam_role` name AutoName(64) and `aws_iam_role_policy` name 128
 * (IAM API reference, CreateRole RoleName and PutRolePolicy PolicyName).
 */
export const MAX_NAME = { replicationGroupId: 40, iamRole: 64, iamRolePolicy: 128 } as const;

/**
 * TF validateReplicationGroupID: letters, digits and hyphens, begins with a letter, no two
 * consecutive hyphens, no trailing hyphen (the auto-name suffix makes the last one moot).
 */
export function replicationGroupIdProblem(logicalName: string): string | undefined {
    const longest = logicalName.length + AUTO_NAME_SUFFIX_LENGTH;
    if (longest > MAX_NAME.replicationGroupId) {
        return `its ElastiCache replication group ID "${logicalName}-" plus 7 random characters is ${longest} characters; ElastiCache allows ${MAX_NAME.replicationGroupId}`;
    }
    if (!/^[a-zA-Z]/.test(logicalName)) return "the ElastiCache replication group ID derived from it must begin with a letter";
    if (logicalName.includes("--")) return "the ElastiCache replication group ID derived from it must not contain two consecutive hyphens";
    return undefined;
}

// ---- IAM -----------------------------------------------------------------------------------------

/**
 * Aggregate size of a role's inline policies, whitespace not counted (IAM and AWS STS quotas,
 * "Role policy size cannot exceed 10,240 characters").
 */
export const MAX_INLINE_ROLE_POLICY_CHARS = 10_240;
/** Managed policies attached to one role: the default quota (IAM and AWS STS quotas). */
export const MAX_MANAGED_POLICIES_PER_ROLE = 10;
/** CreateRole `Path` (IAM API reference): `/` alone or `/.../`, printable ASCII, at most 512. */
export const IAM_PATH = /^\/([\x21-\x7e]{1,510}\/)?$/;

/** Condition operators of IAM's policy grammar (IAM JSON policy elements: Condition operators). */
const CONDITION_OPERATORS = new Set([
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
    "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals",
    "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
    "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike",
]);

/** A condition operator as IAM parses it: optional set qualifier, operator, optional IfExists; or Null. */
export function isConditionOperator(op: string): boolean {
    if (op === "Null") return true;
    const bare = op.replace(/^(ForAllValues|ForAnyValue):/, "").replace(/IfExists$/, "");
    return CONDITION_OPERATORS.has(bare);
}

/**
 * IAM policy `Resource`: `*` or an ARN, `arn:partition:service:region:account:resource` (IAM JSON
 * policy elements: Resource; ARN format in the IAM identifiers reference). Region and account may
 * be empty (`arn:aws:s3:::bucket/*`).
 */
export const POLICY_RESOURCE = /^(\*|arn:(aws|aws-cn|aws-us-gov|\*):[a-z0-9*-]*:[a-z0-9*-]*:(\d{12}|\*)?:.+)$/;

/** Length of a policy document as IAM counts it: whitespace is not counted. */
export function policySize(document: unknown): number {
    return JSON.stringify(document).replace(/\s/g, "").length;
}

// ---- tags --------------------------------------------------------------------------------------

/**
 * AWS tag rules ("Tag naming limits and requirements", Tagging AWS Resources; the same limits
 * in the ElastiCache, EC2, IAM and CloudWatch Logs tagging APIs): at most 50 tags per resource,
 * keys 1-128 and values 0-256 Unicode characters of letters, digits, spaces and `_ . : / = + - @`,
 * and the `aws:` prefix is reserved.
 */
export const MAX_TAGS_PER_RESOURCE = 50;
export const MAX_TAG_KEY = 128;
export const MAX_TAG_VALUE = 256;
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

export function tagKeyProblem(key: string): string | undefined {
    if (key.length < 1 || key.length > MAX_TAG_KEY) return `tag keys are 1-${MAX_TAG_KEY} characters`;
    if (/^aws:/i.test(key)) return "the aws: prefix is reserved for AWS";
    if (!TAG_CHARS.test(key)) return "tag keys allow letters, digits, spaces and _ . : / = + - @";
    return undefined;
}

export function tagValueProblem(value: string): string | undefined {
    if (value.length > MAX_TAG_VALUE) return `tag values are at most ${MAX_TAG_VALUE} characters`;
    if (!TAG_CHARS.test(value)) return "tag values allow letters, digits, spaces and _ . : / = + - @";
    return undefined;
}

// ---- descriptions and other strings -------------------------------------------------------------

/**
 * EC2 security group and rule descriptions: at most 255 characters of `a-zA-Z0-9`, space and
 * `._-:/()#,@[]+=&;{}!$*` (EC2 API reference, IpRange/UserIdGroupPair `Description`;
 * CreateSecurityGroup `GroupDescription`). The provider has no validator for rule descriptions.
 */
export const EC2_DESCRIPTION = /^[A-Za-z0-9 ._\-:/()#,@[\]+=&;{}!$*]{0,255}$/;

/**
 * Retention periods CloudWatch Logs accepts, in days (CloudWatch Logs API reference,
 * PutRetentionPolicy `retentionInDays`).
 */
export const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
] as const;

/** AWS account IDs: 12 digits (AWS account identifiers). */
export const ACCOUNT_ID = /^\d{12}$/;

/**
 * Final snapshot names. AWS documents no pattern for DeleteReplicationGroup
 * `FinalSnapshotIdentifier`; this applies ElastiCache's identifier rules (letters, digits, single
 * hyphens, a letter first, no trailing hyphen) and its 255-character cap on names, which every
 * name we generate meets. A name that already exists fails the deletion
 * (`SnapshotAlreadyExistsFault`, DeleteReplicationGroup; review #6).
 */
export const SNAPSHOT_NAME = /^(?=.{1,255}$)[a-zA-Z](-?[a-zA-Z0-9])*$/;
