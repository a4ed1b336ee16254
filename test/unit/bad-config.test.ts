// Invalid stack configs: each must fail with an error naming the offending key, before a single
// resource is registered.
import * as assert from "assert";

import { ConfigError } from "../../config";
import { recorded, resetRecorded, settle } from "../support/mocks";
import { runProgram, stackRawConfig } from "../support/stacks";

type Raw = Record<string, string>;

/** A stack file with one section replaced (or removed, with `undefined`). */
function changed(stack: string, changes: Record<string, unknown>): Raw {
    const raw = stackRawConfig(stack);
    const parsed = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v.startsWith("{") ? JSON.parse(v) : v]));
    for (const [key, change] of Object.entries(changes)) {
        const [section, ...rest] = key.split(".");
        const full = `taskflow-api:${section}`;
        if (rest.length === 0) {
            if (change === undefined) delete parsed[full];
            else parsed[full] = change;
            continue;
        }
        let node = (parsed[full] ??= {});
        for (const seg of rest.slice(0, -1)) node = node[seg] ??= {};
        if (change === undefined) delete node[rest[rest.length - 1]];
        else node[rest[rest.length - 1]] = change;
    }
    return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

const staging = (changes: Record<string, unknown>) => changed("staging", changes);
const prod = (changes: Record<string, unknown>) => changed("prod", changes);

function dev(changes: Raw): Raw {
    return { ...stackRawConfig("dev"), ...changes };
}

// Each case names the key and the reason it expects (test audit 2026-12-07, finding 4): a check on
// the key alone passed while a rule's own reason was gone (another rule refused the value instead).
const cases: Array<{ what: string; raw: Raw; problems: Record<string, RegExp> }> = [
    { what: "a number of nodes that is not a number", raw: staging({ "redis.numNodes": "three" }), problems: { "redis.numNodes": /expected an integer between 1 and 6 \(got "three"\)/ } },
    { what: "more nodes than a replication group holds", raw: staging({ "redis.numNodes": 9 }), problems: { "redis.numNodes": /expected an integer between 1 and 6 \(got 9\)/ } },
    { what: "an unknown top-level key", raw: { ...stackRawConfig("staging"), "taskflow-api:replicas": "3" }, problems: { "replicas": /^unknown key \(valid keys here: .*\bredis\b/ } },
    { what: "a misspelt nested key", raw: staging({ "redis.numNode": 2 }), problems: { "redis.numNode": /^unknown key \(valid keys here: .*\bnumNodes\b/ } },
    { what: "an unknown Redis mode", raw: staging({ "redis.mode": "memcached" }), problems: { "redis.mode": /expected "inCluster".*"elasticache".*"external".*\(got "memcached"\)/ } },
    { what: "a NetworkPolicy peer that selects nothing", raw: staging({ "app.networkPolicy": { ingressFrom: [{}] } }), problems: { "app.networkPolicy.ingressFrom[0]": /^expected podSelector, namespaceSelector or ipBlock$/ } },
    { what: "a NetworkPolicy ipBlock that is not a CIDR", raw: staging({ "app.networkPolicy": { ingressFrom: [{ ipBlock: { cidr: "10.0.0.0" } }] } }), problems: { "app.networkPolicy.ingressFrom[0].ipBlock.cidr": /expected an IPv4 CIDR .*\(got "10\.0\.0\.0"\)/ } },
    { what: "an unknown engine", raw: staging({ "redis.engine": "keydb" }), problems: { "redis.engine": /expected one of "valkey"\|"redis" \(got "keydb"\)/ } },
    { what: "an engine version the engine does not have", raw: staging({ "redis.engineVersion": "7.1" }), problems: { "redis.engineVersion": /^expected one of 7\.2, 8\.0, .* for engine valkey$/ } },
    { what: "no Redis section at all", raw: staging({ redis: undefined }), problems: { "redis": /^required/ } },
    { what: "multi-AZ failover with a single node", raw: staging({ "redis.multiAz": true, "redis.numNodes": 1 }), problems: { "redis.numNodes": /at least 2 when redis\.multiAz is true/ } },
    {
        what: "ElastiCache without a stack reference nor the VPC, subnets and security group",
        raw: staging({ "cluster.stackReference": undefined }),
        problems: { "cluster.vpcId": /required when redis\.mode is "elasticache".*cluster\.stackReference/, "cluster.privateSubnetIds": /required when redis\.mode is "elasticache".*cluster\.stackReference/, "cluster.nodeSecurityGroupId": /required when redis\.mode is "elasticache".*cluster\.stackReference/, "cluster.oidcProviderArn": /required when serviceAccount\.iam is set \(IRSA\)/ },
    },
    { what: "ElastiCache settings on an in-cluster Redis", raw: dev({ "taskflow-api:redis": JSON.stringify({ mode: "inCluster", nodeType: "cache.t4g.small", protect: true }) }), problems: { "redis.nodeType": /only valid when redis\.mode is "elasticache"/, "redis.protect": /only valid when redis\.mode is "elasticache"/ } },
    { what: "AWS resources without a region", raw: staging({ aws: undefined }), problems: { "aws.region": /required when AWS resources are created/ } },
    { what: "a release timeout out of range", raw: staging({ "release.timeoutSeconds": 10 }), problems: { "release.timeoutSeconds": /between 60 and 3600 \(got 10\)/ } },
    { what: "a snapshot window in the wrong format", raw: staging({ "redis.snapshotWindow": "3am-4am" }), problems: { "redis.snapshotWindow": /expected a UTC window hh:mm-hh:mm/ } },
    { what: "a slow-log retention CloudWatch does not offer", raw: staging({ "redis.slowLogRetentionDays": 10 }), problems: { "redis.slowLogRetentionDays": /expected a CloudWatch retention period: .* \(got 10\)/ } },
    { what: "autoscaling with more minimum than maximum replicas", raw: staging({ "app.autoscaling.minReplicas": 8 }), problems: { "app.autoscaling.minReplicas": /must not exceed app\.autoscaling\.maxReplicas \(4\)/ } },
    { what: "a PodDisruptionBudget that allows no disruption", raw: staging({ "app.podDisruptionBudget.minAvailable": 2 }), problems: { "app.podDisruptionBudget.minAvailable": /lower than the replica count \(2\), or node drains block/ } },
    { what: "a secret-looking environment variable", raw: staging({ "app.env.REDIS_PASSWORD": "hunter2" }), problems: { "app.env.REDIS_PASSWORD": /is set by the chart .*REDIS_PASSWORD/ } },
    { what: "an IAM statement granting every action", raw: staging({ "serviceAccount.iam.policyStatements": [{ Action: "*", Resource: "*" }] }), problems: { "serviceAccount.iam.policyStatements[0].Action": /a bare \* is not allowed/ } },
    { what: "a namespace that is not a DNS label", raw: staging({ "namespace.name": "Taskflow_Staging" }), problems: { "namespace.name": /expected a DNS-1123 label/ } },
    { what: "requests above limits", raw: staging({ "app.resources.requests.memory": "2Gi" }), problems: { "app.resources.requests.memory": /must not exceed app\.resources\.limits\.memory \(512Mi\)/ } },
    { what: "an ingress without hosts", raw: staging({ "app.ingress.hosts": [] }), problems: { "app.ingress.hosts": /at least one host when app\.ingress\.enabled/ } },
    { what: "a replica count of the wrong type", raw: staging({ "app.replicaCount": true }), problems: { "app.replicaCount": /expected an integer between 1 and 100 \(got true\)/ } },
    { what: "a migration pod label key with spaces", raw: staging({ "app.migrations.podLabels": { "team name": "x" } }), problems: { "app.migrations.podLabels.team name": /Invalid key in record \(got "team name"\)/ } },
    // AWS's own limits (config/aws-limits.ts), each failing here instead of at `up`.
    { what: "a release name whose replication group ID exceeds 40 characters with the auto-name suffix (27 characters)", raw: staging({ "release.name": "a".repeat(27) }), problems: { "release.name": /replication group ID "a{27}-redis-" plus 7 random characters is 41 characters; ElastiCache allows 40/ } },
    { what: "a release name that starts with a digit (the replication group ID must start with a letter)", raw: staging({ "release.name": "1taskflow" }), problems: { "release.name": /replication group ID derived from it must begin with a letter/ } },
    { what: "a release name with two consecutive hyphens (not allowed in a replication group ID)", raw: staging({ "release.name": "task--flow" }), problems: { "release.name": /replication group ID derived from it must not contain two consecutive hyphens/ } },
    { what: "a release name whose IAM role name exceeds 64 characters (52 characters, no ElastiCache)", raw: prod({ "release.name": "a".repeat(52), "redis": { mode: "inCluster" } }), problems: { "release.name": /IAM role name "a{52}-role-" plus 7 random characters exceeds 64/ } },
    { what: "a snapshot window shorter than 60 minutes", raw: staging({ "redis.snapshotWindow": "03:00-03:30" }), problems: { "redis.snapshotWindow": /at least 60 minutes long/ } },
    { what: "a maintenance window shorter than 60 minutes", raw: staging({ "redis.maintenanceWindow": "sun:05:00-sun:05:59" }), problems: { "redis.maintenanceWindow": /at least 60 minutes long/ } },
    { what: "a snapshot window overlapping the maintenance window", raw: staging({ "redis.snapshotWindow": "05:30-06:30" }), problems: { "redis.snapshotWindow": /snapshot window \(05:30-06:30\) must not overlap the maintenance window \(sun:05:00-sun:06:00\)/ } },
    { what: "a snapshot window overlapping the maintenance window across midnight", raw: staging({ "redis.snapshotWindow": "23:30-00:30", "redis.maintenanceWindow": "mon:00:00-mon:01:00" }), problems: { "redis.snapshotWindow": /snapshot window \(23:30-00:30\) must not overlap the maintenance window \(mon:00:00-mon:01:00\)/ } },
    { what: "a maintenance window (default snapshot window) overlapping the snapshot window", raw: staging({ "redis.snapshotWindow": undefined, "redis.maintenanceWindow": "tue:02:30-tue:03:30" }), problems: { "redis.maintenanceWindow": /snapshot window \(03:00-04:00\) must not overlap the maintenance window \(tue:02:30-tue:03:30\)/ } },
    { what: "an r6gd node type (needs data tiering)", raw: staging({ "redis.nodeType": "cache.r6gd.xlarge" }), problems: { "redis.nodeType": /r6gd node types need data tiering/ } },
    { what: "a Redis OSS version ElastiCache does not offer (8.0)", raw: staging({ "redis.engine": "redis", "redis.engineVersion": "8.0" }), problems: { "redis.engineVersion": /^expected one of 7\.0, 7\.1 for engine redis$/ } },
    { what: "an unknown transit encryption mode", raw: staging({ "redis.transitEncryptionMode": "disabled" }), problems: { "redis.transitEncryptionMode": /expected "preferred" or "required" \(got "disabled"\)/ } },
    { what: "a final snapshot name with two consecutive hyphens", raw: prod({ "redis.finalSnapshotName": "prod--final" }), problems: { "redis.finalSnapshotName": /single hyphens.*\(got "prod--final"\)/ } },
    { what: "a final snapshot name with final snapshots off", raw: staging({ "redis.finalSnapshot": false, "redis.finalSnapshotName": "staging-final-2027" }), problems: { "redis.finalSnapshotName": /set redis\.finalSnapshot to true/ } },
    { what: "AWS resources without allowed account IDs", raw: staging({ "aws.allowedAccountIds": undefined }), problems: { "aws.allowedAccountIds": /required when AWS resources are created: the account IDs/ } },
    { what: "an account ID that is not 12 digits", raw: staging({ "aws.allowedAccountIds": ["12345"] }), problems: { "aws.allowedAccountIds[0]": /expected a 12-digit AWS account ID \(got "12345"\)/ } },
    { what: "an OIDC provider in an account the stack may not use", raw: prod({ "aws.allowedAccountIds": ["111122223333"] }), problems: { "cluster.oidcProviderArn": /is in account 123456789012, which aws\.allowedAccountIds does not list/ } },
    { what: "an issuer URL that is not the OIDC provider's", raw: prod({ "cluster.oidcIssuerUrl": "https://oidc.eks.eu-west-1.amazonaws.com/id/OTHER" }), problems: { "cluster.oidcIssuerUrl": /names another issuer than cluster\.oidcProviderArn/ } },
    { what: "a tag key with the reserved aws: prefix", raw: staging({ "aws.tags": { "aws:owner": "x" } }), problems: { "aws.tags.aws:owner": /aws: prefix is reserved/ } },
    { what: "a tag value over 256 characters", raw: staging({ "aws.tags": { owner: "x".repeat(257) } }), problems: { "aws.tags.owner": /at most 256 characters/ } },
    { what: "a tag value with a character AWS refuses", raw: staging({ "aws.tags": { owner: "platform's" } }), problems: { "aws.tags.owner": /tag values allow letters, digits, spaces/ } },
    { what: "more tags than a resource holds next to project, stack and managed-by", raw: staging({ "aws.tags": Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`t${i}`, "x"])) }), problems: { "aws.tags": /at most 47 tags .*got 48/ } },
    { what: "an IAM Resource that is neither * nor an ARN", raw: staging({ "serviceAccount.iam.policyStatements": [{ Action: "s3:GetObject", Resource: "taskflow-bucket/*" }] }), problems: { "serviceAccount.iam.policyStatements[0].Resource": /expected \* or an ARN/ } },
    { what: "an IAM condition operator that does not exist", raw: staging({ "serviceAccount.iam.policyStatements": [{ Action: "s3:GetObject", Resource: "*", Condition: { StringEqual: { "aws:RequestedRegion": "us-east-1" } } }] }), problems: { "serviceAccount.iam.policyStatements[0].Condition.StringEqual": /is not an IAM condition operator/ } },
    { what: "an inline policy over IAM's 10,240 characters", raw: staging({ "serviceAccount.iam.policyStatements": Array.from({ length: 60 }, (_, i) => ({ Sid: `S${i}`, Action: "s3:GetObject", Resource: `arn:aws:s3:::${"b".repeat(150)}/${i}/*` })) }), problems: { "serviceAccount.iam.policyStatements": /IAM allows 10240 per role/ } },
    { what: "more managed policies than a role takes by default", raw: staging({ "serviceAccount.iam.managedPolicyArns": Array.from({ length: 11 }, (_, i) => `arn:aws:iam::aws:policy/P${i}`) }), problems: { "serviceAccount.iam.managedPolicyArns": /at most 10 managed policies per role.*got 11/ } },
    { what: "a permissions boundary that is not a policy ARN", raw: staging({ "serviceAccount.iam.permissionsBoundaryArn": "ci-boundary" }), problems: { "serviceAccount.iam.permissionsBoundaryArn": /expected an IAM policy ARN \(got "ci-boundary"\)/ } },
    { what: "an IAM path without slashes", raw: staging({ "serviceAccount.iam.path": "workloads" }), problems: { "serviceAccount.iam.path": /expected an IAM path/ } },
    // Issue 16: the chart's newer keys, validated like the others.
    { what: "an image digest that is not sha256", raw: prod({ "app.image.digest": "1.0.0" }), problems: { "app.image.digest": /sha256: and 64 lowercase hex digits/ } },
    { what: "an ephemeral-storage request above its limit", raw: staging({ "app.resources.requests.ephemeral-storage": "2Gi", "app.resources.limits.ephemeral-storage": "1Gi" }), problems: { "app.resources.requests.ephemeral-storage": /must not exceed app\.resources\.limits\.ephemeral-storage \(1Gi\)/ } },
    { what: "an ephemeral-storage quantity that is not a quantity", raw: staging({ "app.migrations.resources": { requests: { cpu: "50m", memory: "64Mi", "ephemeral-storage": "lots" }, limits: { cpu: "250m", memory: "128Mi" } } }), problems: { "app.migrations.resources.requests.ephemeral-storage": /expected a Kubernetes quantity .*\(got "lots"\)/ } },
    { what: "a PodDisruptionBudget with minAvailable and maxUnavailable", raw: staging({ "app.podDisruptionBudget.maxUnavailable": 1 }), problems: { "app.podDisruptionBudget.maxUnavailable": /either app\.podDisruptionBudget\.minAvailable or maxUnavailable, not both/ } },
    { what: "a PodDisruptionBudget over an HPA that may run one pod", raw: staging({ "app.autoscaling.minReplicas": 1, "app.podDisruptionBudget.minAvailable": undefined }), problems: { "app.podDisruptionBudget.enabled": /a budget over 1 pod would block every node drain/ } },
    { what: "a minAvailable percentage that rounds up to every pod", raw: staging({ "app.podDisruptionBudget.minAvailable": "60%" }), problems: { "app.podDisruptionBudget.minAvailable": /lower than the replica count \(2\)/ } },
    { what: "a maxUnavailable of zero", raw: staging({ "app.podDisruptionBudget": { enabled: true, maxUnavailable: 0 } }), problems: { "app.podDisruptionBudget.maxUnavailable": /between 1 and 1000 \(got 0\)/ } },
    { what: "a release timeout shorter than the migration deadline plus the rollout budget", raw: prod({ "app.rollingUpdate": undefined }), problems: { "release.timeoutSeconds": /migration deadline \(300 s.*rollout budget \(600 s: 4 surge waves of 3 pod\(s\) for 12 pods/ } },
    { what: "a release timeout equal to dev's old migration deadline (300 s) plus one pod's startup", raw: dev({ "taskflow-api:app": JSON.stringify({ ...JSON.parse(stackRawConfig("dev")["taskflow-api:app"]), migrations: { activeDeadlineSeconds: 300 } }) }), problems: { "release.timeoutSeconds": /migration deadline \(300 s.*rollout budget \(150 s: 1 surge waves of 1 pod\(s\) for 1 pods/ } },
    { what: "a surge of zero pods", raw: staging({ "app.rollingUpdate.maxSurge": 0 }), problems: { "app.rollingUpdate.maxSurge": /between 1 and 100 \(got 0\)/ } },
    { what: "a grace period that does not cover preStop plus drain", raw: staging({ "app.shutdown": { preStopDelaySeconds: 20, drainSeconds: 15, terminationGracePeriodSeconds: 30 } }), problems: { "app.shutdown.terminationGracePeriodSeconds": /preStopDelaySeconds \+ drainSeconds \(20 \+ 15 s\), or SIGKILL/ } },
    { what: "an ALB deregistration delay that outlasts the pod", raw: prod({ "app.ingress.annotations": { ...JSON.parse(stackRawConfig("prod")["taskflow-api:app"]).ingress.annotations, "alb.ingress.kubernetes.io/target-group-attributes": "deregistration_delay.timeout_seconds=300" } }), problems: { "app.ingress.annotations.alb.ingress.kubernetes.io/target-group-attributes": /deregistration_delay\.timeout_seconds \(300\) outlasts the pod .*25 s/ } },
    { what: "a root user ID", raw: staging({ "app.podSecurityContext": { runAsUser: 0 } }), problems: { "app.podSecurityContext.runAsUser": /between 1 and 2147483647 \(got 0\)/ } },
    { what: "an HPA memory target over 100", raw: staging({ "app.autoscaling.targetMemoryUtilizationPercentage": 150 }), problems: { "app.autoscaling.targetMemoryUtilizationPercentage": /between 1 and 100 \(got 150\)/ } },
    { what: "an HPA scaling policy of an unknown type", raw: staging({ "app.autoscaling.behavior": { scaleUp: { policies: [{ type: "Replicas", value: 2, periodSeconds: 60 }] } } }), problems: { "app.autoscaling.behavior.scaleUp.policies[0].type": /expected one of "Pods"\|"Percent" \(got "Replicas"\)/ } },
    { what: "a migration deadline below 30 seconds", raw: staging({ "app.migrations.activeDeadlineSeconds": 5 }), problems: { "app.migrations.activeDeadlineSeconds": /between 30 and 3600 \(got 5\)/ } },
];

describe("invalid stack config", () => {
    for (const c of cases) {
        it(`rejects ${c.what}, naming ${Object.keys(c.problems).join(", ")} and why, and registers nothing`, async () => {
            await settle();
            resetRecorded();
            assert.throws(() => runProgram(c.raw, "staging"), (e: unknown) => {
                assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
                for (const [key, reason] of Object.entries(c.problems)) {
                    const prefix = `taskflow-api:${key}: `;
                    const onKey = e.problems.filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length));
                    assert.ok(onKey.some((p) => reason.test(p)), `no problem on ${key} matches ${reason}:\n${e.message}`);
                }
                return true;
            });
            await settle();
            assert.deepStrictEqual(recorded.map((r) => `${r.type} ${r.name}`), []);
        });
    }

    it("reports all the problems of one config together", () => {
        const raw = staging({ "redis.numNodes": 0, "redis.engine": "keydb", "release.maxHistory": 0, "app.servicePort": 70000 });
        assert.throws(() => runProgram(raw, "staging"), (e: unknown) => e instanceof ConfigError && e.problems.length >= 4);
    });
});
