// One broken property at a time, on a copy of what the real program registers: exactly the policy
// that owns the rule fires, with its message and its remediation.
import * as assert from "assert";

import { policies } from "../policies";
import { PackConfig, runPolicies, snapshotOf, SnapshotResource, Violation } from "./support/harness";
import { conditionKey, editJson, propsOf, R, trustCondition } from "./support/mutations";

interface Mutation {
    readonly policy: string;
    readonly stack: "dev" | "staging" | "prod";
    /** What the broken copy is, completing "<policy> refuses ...". */
    readonly what: string;
    readonly mutate: (snapshot: SnapshotResource[]) => void;
    readonly message: RegExp;
    /** How many violations (default 1). */
    readonly count?: number;
    /** Other policies that rightly fire on the same change, and why. */
    readonly alsoFires?: { readonly policies: readonly string[]; readonly because: string };
    readonly config?: PackConfig;
}

const rg = (s: SnapshotResource[]) => propsOf(s, R.replicationGroup);
const release = (s: SnapshotResource[]) => propsOf(s, R.release);
const oneRg = (s: SnapshotResource[]) => s.find((r) => r.type === R.replicationGroup) as SnapshotResource;

const MUTATIONS: readonly Mutation[] = [
    // ElastiCache
    { policy: "elasticache-automatic-backups", stack: "staging", what: "a staging replication group that keeps no snapshots",
        mutate: (s) => { rg(s).snapshotRetentionLimit = 0; }, message: /snapshotRetentionLimit is 0 day\(s\); this stack requires at least 1\./ },
    { policy: "elasticache-automatic-backups", stack: "prod", what: "a production replication group that keeps snapshots for 3 days",
        mutate: (s) => { rg(s).snapshotRetentionLimit = 3; }, message: /snapshotRetentionLimit is 3 day\(s\); a production stack requires at least 7\./ },
    { policy: "elasticache-auto-minor-version-upgrade", stack: "prod", what: "a replication group with minor version upgrades off",
        mutate: (s) => { rg(s).autoMinorVersionUpgrade = false; }, message: /autoMinorVersionUpgrade is false\./ },
    { policy: "elasticache-automatic-failover", stack: "prod", what: "a three-node replication group without automatic failover",
        mutate: (s) => { rg(s).automaticFailoverEnabled = false; }, message: /automaticFailoverEnabled is not true on a group of 3 nodes\./ },
    { policy: "elasticache-automatic-failover", stack: "prod", what: "a three-node replication group in one Availability Zone",
        mutate: (s) => { rg(s).multiAzEnabled = false; }, message: /multiAzEnabled is not true on a group of 3 nodes\./ },
    { policy: "elasticache-encryption-at-rest", stack: "staging", what: "a replication group with unencrypted disks",
        mutate: (s) => { rg(s).atRestEncryptionEnabled = false; }, message: /atRestEncryptionEnabled is not true\./ },
    { policy: "elasticache-encryption-in-transit", stack: "prod", what: "a replication group whose TLS is only preferred",
        mutate: (s) => { rg(s).transitEncryptionMode = "preferred"; }, message: /transitEncryptionMode is "preferred", not "required"\./ },
    { policy: "elasticache-encryption-in-transit", stack: "staging", what: "a replication group without TLS",
        mutate: (s) => { rg(s).transitEncryptionEnabled = false; }, message: /transitEncryptionEnabled is not true\./ },
    { policy: "elasticache-auth", stack: "staging", what: "a replication group without an AUTH token",
        mutate: (s) => { delete rg(s).authToken; }, message: /neither authToken nor userGroupIds is set/ },
    { policy: "elasticache-no-default-subnet-group", stack: "prod", what: "a replication group in the default subnet group",
        mutate: (s) => { rg(s).subnetGroupName = "default"; }, message: /subnetGroupName is "default"\./ },
    { policy: "elasticache-ingress-from-security-group-only", stack: "prod", what: "a Redis security group opened on port 22",
        mutate: (s) => { Object.assign(propsOf(s, R.ingressRule), { fromPort: 22, toPort: 22 }); },
        message: /taskflow-api-redis-from-cluster \(security group taskflow-api-redis-sg of taskflow-api-redis\) opens tcp 22-22; only tcp 6379 \(the Redis port\) is allowed\./ },
    { policy: "elasticache-ingress-from-security-group-only", stack: "staging", what: "a Redis security group that admits a private CIDR instead of the cluster's security group",
        mutate: (s) => { const r = propsOf(s, R.ingressRule); delete r.referencedSecurityGroupId; r.cidrIpv4 = "10.0.0.0/8"; },
        message: /admits CIDR 10\.0\.0\.0\/8\./ },
    { policy: "elasticache-production-protection", stack: "prod", what: "an unprotected production replication group",
        mutate: (s) => { oneRg(s).opts.protect = false; }, message: /is not protected \(protect: false\)\./ },
    { policy: "elasticache-production-protection", stack: "prod", what: "a production replication group deleted without a final snapshot",
        mutate: (s) => { delete rg(s).finalSnapshotIdentifier; }, message: /has no finalSnapshotIdentifier\./ },
    // IRSA and IAM
    { policy: "irsa-trust-policy", stack: "staging", what: "a trust that does not pin the audience",
        mutate: (s) => { const aud = conditionKey(s, ":aud"); editJson(s, R.role, "assumeRolePolicy", (d) => { delete trustCondition(d).StringEquals[aud]; }); },
        message: /StringEquals must pin oidc\.eks\.us-east-1\.amazonaws\.com\/id\/EXAMPLED539D4633E53DE1B71EXAMPLE:aud to "sts\.amazonaws\.com", found null\./ },
    { policy: "irsa-trust-policy", stack: "prod", what: "a trust that matches the ServiceAccount with StringLike",
        mutate: (s) => {
            const sub = conditionKey(s, ":sub");
            editJson(s, R.role, "assumeRolePolicy", (d) => {
                const c = trustCondition(d);
                c.StringLike = { [sub]: c.StringEquals[sub] };
                delete c.StringEquals[sub];
            });
        },
        message: /StringEquals must pin .*:sub to one system:serviceaccount:<namespace>:<name>, found null\./ },
    { policy: "irsa-trust-policy", stack: "prod", what: "a web-identity trust whose principal is an AWS account",
        mutate: (s) => editJson(s, R.role, "assumeRolePolicy", (d) => { d.Statement[0].Principal = { AWS: "arn:aws:iam::123456789012:root" }; }),
        message: /the principal must be exactly one Federated OIDC provider ARN, found \{"AWS":"arn:aws:iam::123456789012:root"\}\./ },
    { policy: "irsa-trust-policy", stack: "prod", what: "an OIDC trust that also allows sts:AssumeRole",
        mutate: (s) => editJson(s, R.role, "assumeRolePolicy", (d) => { d.Statement[0].Action = ["sts:AssumeRoleWithWebIdentity", "sts:AssumeRole"]; }),
        message: /the action must be exactly sts:AssumeRoleWithWebIdentity/ },
    { policy: "irsa-trust-policy", stack: "staging", what: "a trust in an OIDC provider the policy config does not list",
        config: { "irsa-trust-policy": { oidcProviderArns: ["arn:aws:iam::210987654321:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/OTHER"] } },
        mutate: () => undefined, message: /is not one of the configured oidcProviderArns\./ },
    { policy: "iam-trust-no-wildcards", stack: "prod", what: "a trust of every ServiceAccount in the namespace",
        mutate: (s) => { const sub = conditionKey(s, ":sub"); editJson(s, R.role, "assumeRolePolicy", (d) => { trustCondition(d).StringEquals[sub] = "system:serviceaccount:taskflow-prod:*"; }); },
        message: /wildcard in the trust policy: Statement\[0\]\.Condition\.StringEquals\..*:sub = "system:serviceaccount:taskflow-prod:\*"\./ },
    { policy: "iam-no-wildcard-actions", stack: "prod", what: "an inline policy that allows every action on the attachments bucket",
        mutate: (s) => editJson(s, R.rolePolicy, "policy", (d) => { d.Statement[0].Action = "*"; }),
        message: /policy Statement\[0\] \(AttachmentsReadWrite\) allows wildcard action \*\./ },
    { policy: "iam-no-wildcard-actions", stack: "staging", what: "an inline policy that allows all of S3",
        mutate: (s) => editJson(s, R.rolePolicy, "policy", (d) => { d.Statement[0].Action = ["s3:*"]; }),
        message: /allows wildcard action s3:\*\./ },
    { policy: "iam-no-wildcard-resource-for-writes", stack: "staging", what: "an inline policy that writes to every bucket",
        mutate: (s) => editJson(s, R.rolePolicy, "policy", (d) => { d.Statement[0].Resource = "*"; }),
        message: /Statement\[0\] \(AttachmentsReadWrite\) allows write action\(s\) s3:PutObject on every resource \("\*"\) without a Condition\./ },
    { policy: "iam-no-wildcard-resource-for-writes", stack: "prod", what: "metrics writes on \"*\" without the namespace condition",
        mutate: (s) => editJson(s, R.rolePolicy, "policy", (d) => { delete d.Statement[1].Condition; }),
        message: /Statement\[1\] \(AppMetrics\) allows write action\(s\) cloudwatch:PutMetricData on every resource/ },
    // Helm release
    { policy: "helm-release-atomic", stack: "dev", what: "a release that is not atomic",
        mutate: (s) => { release(s).atomic = false; }, message: /atomic is not true: a failed rollout stays half-applied\./ },
    { policy: "helm-release-atomic", stack: "prod", what: "a release that keeps a failed upgrade's objects",
        mutate: (s) => { release(s).cleanupOnFail = false; }, message: /cleanupOnFail is not true/ },
    { policy: "helm-release-atomic", stack: "staging", what: "a release that skips the rollout wait",
        mutate: (s) => { release(s).skipAwait = true; }, message: /skipAwait is true/ },
    { policy: "helm-release-bounded-timeout", stack: "staging", what: "a release that may hang for two hours",
        mutate: (s) => { release(s).timeout = 7200; }, message: /timeout is 7200 s; allowed 60-3600 s\./ },
    { policy: "helm-release-bounded-timeout", stack: "dev", what: "a release without a timeout",
        mutate: (s) => { delete release(s).timeout; }, message: /timeout is unset/ },
    { policy: "helm-release-max-history", stack: "prod", what: "a release with unlimited history",
        mutate: (s) => { release(s).maxHistory = 0; }, message: /maxHistory is 0 \(unlimited history\)\./ },
    { policy: "helm-release-local-chart", stack: "dev", what: "a chart pulled from an OCI registry",
        mutate: (s) => { release(s).chart = "oci://registry-1.docker.io/bitnamicharts/valkey"; }, message: /chart "oci:\/\/registry-1\.docker\.io\/bitnamicharts\/valkey" is a remote reference\./ },
    { policy: "helm-release-local-chart", stack: "staging", what: "a chart at an absolute path",
        mutate: (s) => { release(s).chart = "/home/ci/taskflow/chart"; }, message: /is an absolute path/ },
    { policy: "helm-values-no-secret-literals", stack: "dev", what: "a literal Valkey password in the values",
        mutate: (s) => { release(s).values.redis.auth.password = "hunter2"; }, message: /values\.redis\.auth\.password carries a literal credential\./ },
    { policy: "helm-values-no-secret-literals", stack: "prod", what: "an API token among the app's settings",
        mutate: (s) => { release(s).values.config.PAYMENTS_API_TOKEN = "tok_live_123"; }, message: /values\.config\.PAYMENTS_API_TOKEN carries a literal credential\./ },
    { policy: "helm-redis-subchart-only-without-elasticache", stack: "staging", what: "the Valkey subchart next to ElastiCache",
        mutate: (s) => { release(s).values.redis.enabled = true; }, message: /release taskflow-api enables the Redis subchart \(values\.redis\.enabled\) in a stack with ElastiCache\./ },
    { policy: "helm-release-namespace-pss-restricted", stack: "dev", what: "a release into the default namespace",
        mutate: (s) => {
            const r = s.find((x) => x.type === R.release) as SnapshotResource;
            r.props.namespace = "default";
            delete r.propertyDependencies.namespace;
        },
        message: /release taskflow-api installs into namespace default, which this stack does not manage/ },
    { policy: "helm-release-namespace-pss-restricted", stack: "prod", what: "a release into a namespace that enforces only baseline",
        mutate: (s) => { propsOf(s, R.namespace).metadata.labels["pod-security.kubernetes.io/enforce"] = "baseline"; },
        message: /enforces "baseline", not "restricted"\./,
        alsoFires: { policies: ["kubernetes-namespace-pss-labels"], because: "the namespace's own labels are wrong too" } },
    // Kubernetes
    { policy: "kubernetes-secret-data-is-secret", stack: "dev", what: "a Secret whose data is not kept secret",
        mutate: (s) => { (s.find((r) => r.type === R.secret) as SnapshotResource).opts.additionalSecretOutputs = []; },
        message: /data and stringData are not in additionalSecretOutputs\./ },
    { policy: "kubernetes-namespace-pss-labels", stack: "staging", what: "a namespace without the audit label",
        mutate: (s) => { delete propsOf(s, R.namespace).metadata.labels["pod-security.kubernetes.io/audit"]; },
        message: /label pod-security\.kubernetes\.io\/audit is null, not "restricted"\./ },
    // Stack
    { policy: "aws-resources-tagged", stack: "staging", what: "AWS resources without the managed-by tag (dropped from the provider's defaultTags)",
        mutate: (s) => editJson(s, R.awsProvider, "defaultTags", (d) => { delete d.tags["managed-by"]; }),
        message: /managed-by=null \(want "pulumi"\)\./, count: 6 },
    { policy: "aws-resources-tagged", stack: "prod", what: "AWS resources tagged with another stack's name",
        mutate: (s) => editJson(s, R.awsProvider, "defaultTags", (d) => { d.tags.stack = "staging"; }),
        message: /stack="staging" \(want "prod"\)\./, count: 21 }, // prod: 6 + the event topic + 14 node alarms
    { policy: "aws-resources-tagged", stack: "prod", what: "one resource that overrides the managed-by tag",
        mutate: (s) => { rg(s).tags = { "managed-by": "terraform" }; },
        message: /aws:elasticache\/replicationGroup:ReplicationGroup taskflow-api-redis: managed-by="terraform" \(want "pulumi"\)\./ },
    { policy: "no-public-ingress", stack: "prod", what: "an ingress rule open to the internet",
        mutate: (s) => { const r = propsOf(s, R.ingressRule); delete r.referencedSecurityGroupId; r.cidrIpv4 = "0.0.0.0/0"; },
        message: /taskflow-api-redis-from-cluster admits 0\.0\.0\.0\/0 on ports 6379-6379\./,
        alsoFires: { policies: ["elasticache-ingress-from-security-group-only"], because: "the only security group in these stacks is Redis', where any CIDR is refused" } },
];

describe("each policy fires on its own mutation of the real stacks", () => {
    for (const m of MUTATIONS) {
        it(`${m.policy} refuses ${m.what} (${m.stack})`, async () => {
            const snapshot = await snapshotOf(m.stack);
            m.mutate(snapshot);
            const violations = await runPolicies(snapshot, undefined, m.config);
            const fired = [...new Set(violations.map((v) => v.policy))].sort();
            assert.deepStrictEqual(fired, [m.policy, ...(m.alsoFires?.policies ?? [])].sort(), listed(violations));
            const own = violations.filter((v) => v.policy === m.policy);
            assert.strictEqual(own.length, m.count ?? 1, listed(own));
            for (const v of own) {
                assert.match(v.message, m.message);
                assert.match(v.message, / Remediation: \S/);
            }
        });
    }

    it("every policy of the pack has at least one mutation here", () => {
        const covered = new Set(MUTATIONS.map((m) => m.policy));
        assert.deepStrictEqual(policies.map((p) => p.name).filter((n) => !covered.has(n)), []);
    });

    it("a mutation changes only its copy: the stack's snapshot still passes afterwards", async () => {
        const copy = await snapshotOf("prod");
        rg(copy).atRestEncryptionEnabled = false;
        assert.deepStrictEqual(await runPolicies(await snapshotOf("prod")), []);
    });
});

function listed(violations: readonly Violation[]): string {
    return violations.map((v) => `${v.policy}: ${v.message}`).join("\n") || "(no violations)";
}
