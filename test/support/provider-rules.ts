// The rules the AWS provider and AWS itself apply to what the program registers, which the
// mocks (and `preview`) otherwise never run: name and ID lengths after auto-naming, description
// character sets, windows, node type against engine features, tags, IAM policy grammar.
// Applied to recorded inputs, so they catch a component that builds something the config check
// cannot see (the apostrophe in a rule description, a derived name, a default).
// The limits are restated here from AWS's documentation, with their sources, and implemented
// anew (windows as sets of minutes, not config's arithmetic): an oracle that imported
// config/aws-limits.ts could never find a wrong limit there (test audit 2026-12-07, finding 8).
import { RecordedResource } from "./mocks";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Inputs = Record<string, any>;
type Rule = (inputs: Inputs, all: readonly RecordedResource[], r: RecordedResource) => string[];

// ---- AWS's limits, restated ----------------------------------------------------------------------

/** "The minimum snapshot window is a 60 minute period", the same for the maintenance window
 * (ElastiCache API reference, CreateReplicationGroup SnapshotWindow / PreferredMaintenanceWindow). */
const MIN_WINDOW_MINUTES = 60;
/** IAM and AWS STS quotas: "Role policy size cannot exceed 10,240 characters" (whitespace not counted). */
const MAX_INLINE_ROLE_POLICY_CHARS = 10240;
/** Tagging AWS Resources, "Tag naming limits and requirements": 50 tags per resource, keys 1-128,
 * values 0-256 of letters, digits, spaces and _ . : / = + - @, the aws: prefix reserved. */
const MAX_TAGS_PER_RESOURCE = 50;
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
/** EC2 API reference, IpRange Description / CreateSecurityGroup GroupDescription: up to 255 of
 * a-zA-Z0-9, spaces and ._-:/()#,@[]+=&;{}!$*. */
const EC2_DESCRIPTION = /^[A-Za-z0-9 ._\-:/()#,@[\]+=&;{}!$*]{0,255}$/;
/** CloudWatch Logs API reference, PutRetentionPolicy retentionInDays: the allowed values. */
const LOG_RETENTION_DAYS = new Set([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]);
/** ElastiCache identifiers: a letter first, letters, digits, single hyphens, at most 255. */
const SNAPSHOT_NAME = /^(?=.{1,255}$)[a-zA-Z](-?[a-zA-Z0-9])*$/;
/** IAM API reference, CreateRole Path: "/" or "/" + printable ASCII + "/", 1-512 characters. */
const IAM_PATH = /^\/([\x21-\x7e]{1,510}\/)?$/;
/** IAM JSON policy elements, Resource: "*" or an ARN arn:partition:service:region:account:resource. */
const POLICY_RESOURCE = /^(\*|arn:(aws|aws-cn|aws-us-gov|\*):[a-z0-9*-]*:[a-z0-9*-]*:(\d{12}|\*)?:.+)$/;
/** IAM JSON policy elements, condition operators (plus ForAllValues:/ForAnyValue: and IfExists). */
const CONDITION_OPERATORS = new Set(("StringEquals StringNotEquals StringEqualsIgnoreCase StringNotEqualsIgnoreCase StringLike StringNotLike " +
    "NumericEquals NumericNotEquals NumericLessThan NumericLessThanEquals NumericGreaterThan NumericGreaterThanEquals " +
    "DateEquals DateNotEquals DateLessThan DateLessThanEquals DateGreaterThan DateGreaterThanEquals " +
    "Bool BinaryEquals IpAddress NotIpAddress ArnEquals ArnLike ArnNotEquals ArnNotLike Null").split(" "));
const isConditionOperator = (op: string) => op === "Null" || CONDITION_OPERATORS.has(op.replace(/^(ForAllValues|ForAnyValue):/, "").replace(/IfExists$/, ""));
/** Policy size as IAM counts it: the JSON without whitespace. */
const policySize = (doc: unknown) => JSON.stringify(doc).replace(/\s/g, "").length;
/** ElastiCache parameter group families (ElastiCache User Guide, "Parameter groups"): valkey7,
 * valkey8, redis7, redis6.x. */
const parameterFamily = (engine: string, version: string) => {
    const major = Number(version.split(".")[0]);
    return engine === "valkey" ? `valkey${major}` : major >= 7 ? `redis${major}` : `redis${major}.x`;
};

const WEEK_MINUTES = 7 * 24 * 60;
const DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const hhmm = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));
/** The minutes of the week a window covers, as a set; a daily window covers its span every day. */
function coveredMinutes(window: string, daily: boolean): Set<number> {
    const out = new Set<number>();
    const [from, to] = window.split("-");
    const start = daily ? hhmm(from) : DAY_NAMES.indexOf(from.slice(0, 3)) * 1440 + hhmm(from.slice(4));
    const end = daily ? hhmm(to) : DAY_NAMES.indexOf(to.slice(0, 3)) * 1440 + hhmm(to.slice(4));
    const length = (end - start + (daily ? 1440 : WEEK_MINUTES)) % (daily ? 1440 : WEEK_MINUTES);
    for (const day of daily ? [0, 1, 2, 3, 4, 5, 6] : [0]) {
        for (let m = 0; m < length; m++) out.add((day * 1440 + start + m) % WEEK_MINUTES);
    }
    return out;
}
const windowLength = (window: string, daily: boolean) => coveredMinutes(window, daily).size / (daily ? 7 : 1);
const windowsOverlap = (snapshot: string, maintenance: string) => {
    const s = coveredMinutes(snapshot, true);
    return [...coveredMinutes(maintenance, false)].some((m) => s.has(m));
};
function tagProblem(key: string, value: string): string | undefined {
    if (key.length < 1 || key.length > 128 || !TAG_TEXT.test(key)) return "key breaks AWS's tag key rule";
    if (/^aws:/i.test(key)) return "the aws: prefix is reserved";
    if (value.length > 256 || !TAG_TEXT.test(value)) return "value breaks AWS's tag value rule";
    return undefined;
}

const problems = (...checks: Array<[boolean, string]>) => checks.filter(([ok]) => !ok).map(([, message]) => message);

/** TF validateReplicationGroupID: 1-40 of [0-9A-Za-z-], a letter first, no "--", no trailing "-". */
const REPLICATION_GROUP_ID = /^(?=.{1,40}$)[a-zA-Z](-?[0-9a-zA-Z])*$/;
/** IAM CreateRole RoleName / PutRolePolicy PolicyName characters. */
const IAM_NAME = /^[\w+=,.@-]+$/;
/** CloudWatch Logs CreateLogGroup logGroupName: 1-512 of [.-_/#A-Za-z0-9]. */
const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
/** ElastiCache CreateCacheSubnetGroup: lower-case letters, digits and hyphens, at most 255. */
const SUBNET_GROUP_NAME = /^[a-z0-9-]{1,255}$/;
/** IAM role description (CreateRole Description): at most 1000 of tab, newline and printable Latin-1. */
const IAM_DESCRIPTION = /^[\t\n\r\x20-\x7e\xa1-\xff]{0,1000}$/;
/** IAM trust policy length (IAM quotas: role trust policy, 2,048 characters by default). */
const MAX_TRUST_POLICY_CHARS = 2048;
/** AUTH token: 16-128 printable characters without @ " / (TF validReplicationGroupAuthToken). */
const AUTH_TOKEN = /^[\x21-\x7e]{16,128}$/;
/** The only non-alphanumerics an AUTH token may hold (ElastiCache AUTH documentation). */
const AUTH_TOKEN_SPECIALS = "!&#$^<>-";

/** IAM policy grammar: version, statements, effect, actions, resources, condition operators. */
export function policyProblems(document: unknown, kind: "permissions" | "trust"): string[] {
    const out: string[] = [];
    const doc = document as Inputs;
    if (doc?.Version !== "2012-10-17") out.push(`policy Version is ${JSON.stringify(doc?.Version)}, not "2012-10-17"`);
    const statements: Inputs[] = Array.isArray(doc?.Statement) ? doc.Statement : [doc?.Statement];
    if (statements.length === 0 || statements.some((s) => typeof s !== "object" || s === null)) return [...out, "policy has no statements"];
    for (const [i, s] of statements.entries()) {
        const at = `Statement[${i}]`;
        if (s.Effect !== "Allow" && s.Effect !== "Deny") out.push(`${at}.Effect is ${JSON.stringify(s.Effect)}`);
        for (const action of [s.Action].flat()) {
            if (typeof action !== "string" || !/^[a-z0-9-]+:[A-Za-z0-9*]+$/.test(action)) out.push(`${at}.Action ${JSON.stringify(action)} is not service:Action`);
        }
        if (kind === "permissions") {
            for (const resource of [s.Resource].flat()) {
                if (typeof resource !== "string" || !POLICY_RESOURCE.test(resource)) out.push(`${at}.Resource ${JSON.stringify(resource)} is neither * nor an ARN`);
            }
        } else if (typeof s.Principal?.Federated !== "string" || !/^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/\S+$/.test(s.Principal.Federated)) {
            out.push(`${at}.Principal.Federated is not an IAM OIDC provider ARN`);
        }
        for (const op of Object.keys(s.Condition ?? {})) {
            if (!isConditionOperator(op)) out.push(`${at}.Condition operator ${op} does not exist`);
        }
    }
    return out;
}

const RULES: Record<string, Rule> = {
    "aws:elasticache/replicationGroup:ReplicationGroup": (i) => {
        const snapshot = String(i.snapshotWindow ?? "");
        const maintenance = String(i.maintenanceWindow ?? "");
        const tokenSpecials = String(i.authToken ?? "").replace(/[A-Za-z0-9]/g, "");
        return problems(
            [REPLICATION_GROUP_ID.test(String(i.replicationGroupId)), `replicationGroupId ${JSON.stringify(i.replicationGroupId)} breaks TF validateReplicationGroupID (1-40, letter first, no "--")`],
            [typeof i.description === "string" && i.description.length > 0, "description must not be empty"],
            [Number.isInteger(i.numCacheClusters) && i.numCacheClusters >= 1 && i.numCacheClusters <= 6, `numCacheClusters ${i.numCacheClusters} is not 1-6`],
            [!(i.automaticFailoverEnabled || i.multiAzEnabled) || i.numCacheClusters >= 2, "automatic failover and Multi-AZ need numCacheClusters >= 2"],
            [!i.multiAzEnabled || i.automaticFailoverEnabled === true, "multiAzEnabled needs automaticFailoverEnabled"],
            [(i.snapshotRetentionLimit ?? 0) <= 35, `snapshotRetentionLimit ${i.snapshotRetentionLimit} exceeds 35`],
            [windowLength(snapshot, true) >= MIN_WINDOW_MINUTES, `snapshotWindow ${snapshot} is shorter than ${MIN_WINDOW_MINUTES} minutes`],
            [windowLength(maintenance, false) >= MIN_WINDOW_MINUTES, `maintenanceWindow ${maintenance} is shorter than ${MIN_WINDOW_MINUTES} minutes`],
            [!windowsOverlap(snapshot, maintenance), `snapshotWindow ${snapshot} overlaps maintenanceWindow ${maintenance}`],
            [!/^cache\.r6gd\./.test(String(i.nodeType)) || i.dataTieringEnabled === true, `${i.nodeType} needs dataTieringEnabled`],
            [i.parameterGroupName === undefined || !String(i.parameterGroupName).startsWith("default.")
                || i.parameterGroupName === `default.${parameterFamily(i.engine, String(i.engineVersion))}`,
            `parameterGroupName ${i.parameterGroupName} is not the family of ${i.engine} ${i.engineVersion}`],
            [i.authToken === undefined || AUTH_TOKEN.test(i.authToken) && !/[@"/]/.test(i.authToken), "authToken must be 16-128 printable characters without @ \" /"],
            [[...tokenSpecials].every((c) => AUTH_TOKEN_SPECIALS.includes(c)), `authToken holds ${JSON.stringify(tokenSpecials)}; only ${AUTH_TOKEN_SPECIALS} are allowed`],
            [i.authToken === undefined || i.transitEncryptionEnabled === true, "authToken needs transitEncryptionEnabled"],
            [["preferred", "required", undefined].includes(i.transitEncryptionMode), `transitEncryptionMode ${i.transitEncryptionMode}`],
            [i.finalSnapshotIdentifier === undefined || SNAPSHOT_NAME.test(i.finalSnapshotIdentifier), `finalSnapshotIdentifier ${i.finalSnapshotIdentifier}`],
            [(i.logDeliveryConfigurations ?? []).length <= 2, "at most 2 logDeliveryConfigurations"],
        );
    },
    "aws:elasticache/subnetGroup:SubnetGroup": (i) => problems(
        [SUBNET_GROUP_NAME.test(String(i.name)), `name ${JSON.stringify(i.name)} is not 1-255 lower-case letters, digits, hyphens`],
        [typeof i.description === "string" && i.description.length > 0 && i.description.length <= 255, "description must be 1-255 characters"],
        [Array.isArray(i.subnetIds) && i.subnetIds.length >= 1, "needs at least one subnet"],
    ),
    "aws:ec2/securityGroup:SecurityGroup": (i) => problems(
        [String(i.name).length <= 255 && !String(i.name).startsWith("sg-"), `name ${JSON.stringify(i.name)} is over 255 characters or starts with sg-`],
        [EC2_DESCRIPTION.test(String(i.description)), `description ${JSON.stringify(i.description)} has characters EC2 refuses or is over 255`],
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (i) => problems(
        [i.description === undefined || EC2_DESCRIPTION.test(String(i.description)), `description ${JSON.stringify(i.description)} has characters EC2 refuses or is over 255`],
        [i.fromPort <= i.toPort, "fromPort above toPort"],
    ),
    "aws:cloudwatch/logGroup:LogGroup": (i) => problems(
        [LOG_GROUP_NAME.test(String(i.name)), `name ${JSON.stringify(i.name)} breaks the log group name pattern`],
        [i.retentionInDays === undefined || LOG_RETENTION_DAYS.has(i.retentionInDays), `retentionInDays ${i.retentionInDays}`],
    ),
    "aws:iam/role:Role": (i) => {
        const trust = JSON.parse(String(i.assumeRolePolicy));
        return problems(
            [String(i.name).length <= 64 && IAM_NAME.test(String(i.name)), `name ${JSON.stringify(i.name)} is over 64 characters or has characters IAM refuses`],
            [i.path === undefined || IAM_PATH.test(i.path), `path ${JSON.stringify(i.path)}`],
            [i.description === undefined || IAM_DESCRIPTION.test(String(i.description)), "description over 1000 characters or with characters IAM refuses"],
            [policySize(trust) <= MAX_TRUST_POLICY_CHARS, `trust policy is ${policySize(trust)} characters (IAM allows ${MAX_TRUST_POLICY_CHARS})`],
            [i.permissionsBoundary === undefined || /^arn:aws[a-z-]*:iam::(aws|\d{12}):policy\//.test(i.permissionsBoundary), "permissionsBoundary is not a policy ARN"],
        ).concat(policyProblems(trust, "trust").map((p) => `assumeRolePolicy: ${p}`));
    },
    "aws:iam/rolePolicy:RolePolicy": (i) => {
        const policy = JSON.parse(String(i.policy));
        return problems(
            [String(i.name).length <= 128 && IAM_NAME.test(String(i.name)), `name ${JSON.stringify(i.name)} is over 128 characters or has characters IAM refuses`],
            [policySize(policy) <= MAX_INLINE_ROLE_POLICY_CHARS, `policy is ${policySize(policy)} characters (IAM allows ${MAX_INLINE_ROLE_POLICY_CHARS} per role)`],
        ).concat(policyProblems(policy, "permissions").map((p) => `policy: ${p}`));
    },
    // CloudWatch PutMetricAlarm: AlarmName 1-255, AlarmDescription 0-1024, Period 10, 20, 30 or a
    // multiple of 60, at most 5 alarm actions (CloudWatch API reference).
    "aws:cloudwatch/metricAlarm:MetricAlarm": (i) => problems(
        [String(i.name).length >= 1 && String(i.name).length <= 255, `name ${JSON.stringify(i.name)} is not 1-255 characters`],
        [String(i.alarmDescription ?? "").length <= 1024, "alarmDescription over 1024 characters"],
        [[10, 20, 30].includes(i.period) || (Number.isInteger(i.period) && i.period % 60 === 0 && i.period > 0), `period ${i.period}`],
        [Number.isInteger(i.evaluationPeriods) && i.evaluationPeriods >= 1, `evaluationPeriods ${i.evaluationPeriods}`],
        [(i.alarmActions ?? []).length <= 5 && (i.okActions ?? []).length <= 5, "at most 5 actions per state"],
    ),
    // SNS CreateTopic Name: 1-256 of letters, digits, hyphens and underscores (SNS API reference).
    "aws:sns/topic:Topic": (i) => problems(
        [/^[A-Za-z0-9_-]{1,256}$/.test(String(i.name)), `name ${JSON.stringify(i.name)} breaks SNS's topic name rule`],
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (i) => problems(
        [/^arn:aws[a-z-]*:iam::(aws|\d{12}):policy\/[\w+=,.@/-]+$/.test(String(i.policyArn)), `policyArn ${JSON.stringify(i.policyArn)} is not a policy ARN`],
    ),
    "random:index/randomPassword:RandomPassword": (i, all, r) => {
        // Only the password that becomes the ElastiCache AUTH token has AWS's rules.
        const feedsAuthToken = all.some((g) => g.type === "aws:elasticache/replicationGroup:ReplicationGroup") && r.name.endsWith("-auth-token");
        if (!feedsAuthToken) return [];
        return problems(
            [i.length >= 16 && i.length <= 128, `length ${i.length} is not 16-128`],
            [i.special === false || [...String(i.overrideSpecial ?? "")].every((c) => AUTH_TOKEN_SPECIALS.includes(c)) && i.overrideSpecial !== undefined,
                `overrideSpecial ${JSON.stringify(i.overrideSpecial)} allows characters ElastiCache refuses`],
        );
    },
};

/** Tags a resource ends up with: the provider's default tags, then its own. */
function tagProblems(r: RecordedResource, all: readonly RecordedResource[]): string[] {
    // A provider reference is `<provider urn>::<id>`; the URN ends in `pulumi:providers:aws::<name>`.
    const provider = all.find((p) => p.type === "pulumi:providers:aws" && String(r.provider).includes(`pulumi:providers:aws::${p.name}::`));
    const defaults = provider?.inputs.defaultTags ? JSON.parse(provider.inputs.defaultTags).tags ?? {} : {};
    const tags: Record<string, string> = { ...defaults, ...(r.inputs.tags ?? {}) };
    const out: string[] = [];
    if (Object.keys(tags).length > MAX_TAGS_PER_RESOURCE) out.push(`${Object.keys(tags).length} tags (AWS allows ${MAX_TAGS_PER_RESOURCE})`);
    for (const [k, v] of Object.entries(tags)) {
        const p = tagProblem(k, String(v));
        if (p) out.push(`tag ${JSON.stringify(k)}: ${p}`);
    }
    return out;
}

/** Every broken rule of the recorded resources, one line each: "<type> <name>: <problem>". */
export function providerRuleViolations(resources: readonly RecordedResource[]): string[] {
    const out: string[] = [];
    for (const r of resources) {
        const found = [...(RULES[r.type]?.(r.inputs, resources, r) ?? []), ...(r.type.startsWith("aws:") ? tagProblems(r, resources) : [])];
        out.push(...found.map((p) => `${r.type} ${r.name}: ${p}`));
    }
    return out;
}

/** The resource types the rules cover (a new AWS type without rules fails the test module). */
export const RULED_TYPES = Object.keys(RULES);
