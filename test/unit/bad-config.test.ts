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

const cases: Array<{ what: string; raw: Raw; keys: string[] }> = [
    { what: "a number of nodes that is not a number", raw: staging({ "redis.numNodes": "three" }), keys: ["taskflow-api:redis.numNodes"] },
    { what: "more nodes than a replication group holds", raw: staging({ "redis.numNodes": 9 }), keys: ["taskflow-api:redis.numNodes"] },
    { what: "an unknown top-level key", raw: { ...stackRawConfig("staging"), "taskflow-api:replicas": "3" }, keys: ["taskflow-api:replicas"] },
    { what: "a misspelt nested key", raw: staging({ "redis.numNode": 2 }), keys: ["taskflow-api:redis.numNode"] },
    { what: "an unknown Redis mode", raw: staging({ "redis.mode": "memcached" }), keys: ["taskflow-api:redis.mode"] },
    { what: "a NetworkPolicy peer that selects nothing", raw: staging({ "app.networkPolicy": { ingressFrom: [{}] } }), keys: ["taskflow-api:app.networkPolicy.ingressFrom[0]"] },
    { what: "a NetworkPolicy ipBlock that is not a CIDR", raw: staging({ "app.networkPolicy": { ingressFrom: [{ ipBlock: { cidr: "10.0.0.0" } }] } }), keys: ["taskflow-api:app.networkPolicy.ingressFrom[0].ipBlock.cidr"] },
    { what: "an unknown engine", raw: staging({ "redis.engine": "keydb" }), keys: ["taskflow-api:redis.engine"] },
    { what: "an engine version the engine does not have", raw: staging({ "redis.engineVersion": "7.1" }), keys: ["taskflow-api:redis.engineVersion"] },
    { what: "no Redis section at all", raw: staging({ redis: undefined }), keys: ["taskflow-api:redis"] },
    { what: "multi-AZ failover with a single node", raw: staging({ "redis.multiAz": true, "redis.numNodes": 1 }), keys: ["taskflow-api:redis.numNodes"] },
    {
        what: "ElastiCache without a stack reference nor the VPC, subnets and security group",
        raw: staging({ "cluster.stackReference": undefined }),
        keys: ["taskflow-api:cluster.vpcId", "taskflow-api:cluster.privateSubnetIds", "taskflow-api:cluster.nodeSecurityGroupId", "taskflow-api:cluster.oidcProviderArn"],
    },
    { what: "ElastiCache settings on an in-cluster Redis", raw: dev({ "taskflow-api:redis": JSON.stringify({ mode: "inCluster", nodeType: "cache.t4g.small", protect: true }) }), keys: ["taskflow-api:redis.nodeType", "taskflow-api:redis.protect"] },
    { what: "AWS resources without a region", raw: staging({ aws: undefined }), keys: ["taskflow-api:aws.region"] },
    { what: "a release timeout out of range", raw: staging({ "release.timeoutSeconds": 10 }), keys: ["taskflow-api:release.timeoutSeconds"] },
    { what: "a snapshot window in the wrong format", raw: staging({ "redis.snapshotWindow": "3am-4am" }), keys: ["taskflow-api:redis.snapshotWindow"] },
    { what: "a slow-log retention CloudWatch does not offer", raw: staging({ "redis.slowLogRetentionDays": 10 }), keys: ["taskflow-api:redis.slowLogRetentionDays"] },
    { what: "autoscaling with more minimum than maximum replicas", raw: staging({ "app.autoscaling.minReplicas": 8 }), keys: ["taskflow-api:app.autoscaling.minReplicas"] },
    { what: "a PodDisruptionBudget that allows no disruption", raw: staging({ "app.podDisruptionBudget.minAvailable": 2 }), keys: ["taskflow-api:app.podDisruptionBudget.minAvailable"] },
    { what: "a secret-looking environment variable", raw: staging({ "app.env.REDIS_PASSWORD": "hunter2" }), keys: ["taskflow-api:app.env.REDIS_PASSWORD"] },
    { what: "an IAM statement granting every action", raw: staging({ "serviceAccount.iam.policyStatements": [{ Action: "*", Resource: "*" }] }), keys: ["taskflow-api:serviceAccount.iam.policyStatements[0].Action"] },
    { what: "a namespace that is not a DNS label", raw: staging({ "namespace.name": "Taskflow_Staging" }), keys: ["taskflow-api:namespace.name"] },
    { what: "requests above limits", raw: staging({ "app.resources.requests.memory": "2Gi" }), keys: ["taskflow-api:app.resources.requests.memory"] },
    { what: "an ingress without hosts", raw: staging({ "app.ingress.hosts": [] }), keys: ["taskflow-api:app.ingress.hosts"] },
    { what: "a replica count of the wrong type", raw: staging({ "app.replicaCount": true }), keys: ["taskflow-api:app.replicaCount"] },
    { what: "a migration pod label key with spaces", raw: staging({ "app.migrations.podLabels": { "team name": "x" } }), keys: ["taskflow-api:app.migrations.podLabels.team name"] },
    // AWS's own limits (config/aws-limits.ts), each failing here instead of at `up`.
    { what: "a release name whose replication group ID exceeds 40 characters with the auto-name suffix (27 characters)", raw: staging({ "release.name": "a".repeat(27) }), keys: ["taskflow-api:release.name"] },
    { what: "a release name that starts with a digit (the replication group ID must start with a letter)", raw: staging({ "release.name": "1taskflow" }), keys: ["taskflow-api:release.name"] },
    { what: "a release name with two consecutive hyphens (not allowed in a replication group ID)", raw: staging({ "release.name": "task--flow" }), keys: ["taskflow-api:release.name"] },
    { what: "a release name whose IAM role name exceeds 64 characters (52 characters, no ElastiCache)", raw: prod({ "release.name": "a".repeat(52), "redis": { mode: "inCluster" } }), keys: ["taskflow-api:release.name"] },
    { what: "a snapshot window shorter than 60 minutes", raw: staging({ "redis.snapshotWindow": "03:00-03:30" }), keys: ["taskflow-api:redis.snapshotWindow"] },
    { what: "a maintenance window shorter than 60 minutes", raw: staging({ "redis.maintenanceWindow": "sun:05:00-sun:05:59" }), keys: ["taskflow-api:redis.maintenanceWindow"] },
    { what: "a snapshot window overlapping the maintenance window", raw: staging({ "redis.snapshotWindow": "05:30-06:30" }), keys: ["taskflow-api:redis.snapshotWindow"] },
    { what: "a snapshot window overlapping the maintenance window across midnight", raw: staging({ "redis.snapshotWindow": "23:30-00:30", "redis.maintenanceWindow": "mon:00:00-mon:01:00" }), keys: ["taskflow-api:redis.snapshotWindow"] },
    { what: "a maintenance window (default snapshot window) overlapping the snapshot window", raw: staging({ "redis.snapshotWindow": undefined, "redis.maintenanceWindow": "tue:02:30-tue:03:30" }), keys: ["taskflow-api:redis.maintenanceWindow"] },
    { what: "an r6gd node type (needs data tiering)", raw: staging({ "redis.nodeType": "cache.r6gd.xlarge" }), keys: ["taskflow-api:redis.nodeType"] },
    { what: "a valkey version ElastiCache never offered (7.1)", raw: staging({ "redis.engineVersion": "7.1" }), keys: ["taskflow-api:redis.engineVersion"] },
    { what: "a Redis OSS version ElastiCache does not offer (8.0)", raw: staging({ "redis.engine": "redis", "redis.engineVersion": "8.0" }), keys: ["taskflow-api:redis.engineVersion"] },
    { what: "an unknown transit encryption mode", raw: staging({ "redis.transitEncryptionMode": "disabled" }), keys: ["taskflow-api:redis.transitEncryptionMode"] },
    { what: "a final snapshot name with two consecutive hyphens", raw: prod({ "redis.finalSnapshotName": "prod--final" }), keys: ["taskflow-api:redis.finalSnapshotName"] },
    { what: "a final snapshot name with final snapshots off", raw: staging({ "redis.finalSnapshot": false, "redis.finalSnapshotName": "staging-final-2027" }), keys: ["taskflow-api:redis.finalSnapshotName"] },
    { what: "AWS resources without allowed account IDs", raw: staging({ "aws.allowedAccountIds": undefined }), keys: ["taskflow-api:aws.allowedAccountIds"] },
    { what: "an account ID that is not 12 digits", raw: staging({ "aws.allowedAccountIds": ["12345"] }), keys: ["taskflow-api:aws.allowedAccountIds[0]"] },
    { what: "an OIDC provider in an account the stack may not use", raw: prod({ "aws.allowedAccountIds": ["111122223333"] }), keys: ["taskflow-api:cluster.oidcProviderArn"] },
    { what: "an issuer URL that is not the OIDC provider's", raw: prod({ "cluster.oidcIssuerUrl": "https://oidc.eks.eu-west-1.amazonaws.com/id/OTHER" }), keys: ["taskflow-api:cluster.oidcIssuerUrl"] },
    { what: "a tag key with the reserved aws: prefix", raw: staging({ "aws.tags": { "aws:owner": "x" } }), keys: ["taskflow-api:aws.tags.aws:owner"] },
    { what: "a tag value over 256 characters", raw: staging({ "aws.tags": { owner: "x".repeat(257) } }), keys: ["taskflow-api:aws.tags.owner"] },
    { what: "a tag value with a character AWS refuses", raw: staging({ "aws.tags": { owner: "platform's" } }), keys: ["taskflow-api:aws.tags.owner"] },
    { what: "more tags than a resource holds next to project, stack and managed-by", raw: staging({ "aws.tags": Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`t${i}`, "x"])) }), keys: ["taskflow-api:aws.tags"] },
    { what: "an IAM Resource that is neither * nor an ARN", raw: staging({ "serviceAccount.iam.policyStatements": [{ Action: "s3:GetObject", Resource: "taskflow-bucket/*" }] }), keys: ["taskflow-api:serviceAccount.iam.policyStatements[0].Resource"] },
    { what: "an IAM condition operator that does not exist", raw: staging({ "serviceAccount.iam.policyStatements": [{ Action: "s3:GetObject", Resource: "*", Condition: { StringEqual: { "aws:RequestedRegion": "us-east-1" } } }] }), keys: ["taskflow-api:serviceAccount.iam.policyStatements[0].Condition.StringEqual"] },
    { what: "an inline policy over IAM's 10,240 characters", raw: staging({ "serviceAccount.iam.policyStatements": Array.from({ length: 60 }, (_, i) => ({ Sid: `S${i}`, Action: "s3:GetObject", Resource: `arn:aws:s3:::${"b".repeat(150)}/${i}/*` })) }), keys: ["taskflow-api:serviceAccount.iam.policyStatements"] },
    { what: "more managed policies than a role takes by default", raw: staging({ "serviceAccount.iam.managedPolicyArns": Array.from({ length: 11 }, (_, i) => `arn:aws:iam::aws:policy/P${i}`) }), keys: ["taskflow-api:serviceAccount.iam.managedPolicyArns"] },
    { what: "a permissions boundary that is not a policy ARN", raw: staging({ "serviceAccount.iam.permissionsBoundaryArn": "ci-boundary" }), keys: ["taskflow-api:serviceAccount.iam.permissionsBoundaryArn"] },
    { what: "an IAM path without slashes", raw: staging({ "serviceAccount.iam.path": "workloads" }), keys: ["taskflow-api:serviceAccount.iam.path"] },
    // Issue 16: the chart's newer keys, validated like the others.
    { what: "an image digest that is not sha256", raw: prod({ "app.image.digest": "1.0.0" }), keys: ["taskflow-api:app.image.digest"] },
    { what: "an ephemeral-storage request above its limit", raw: staging({ "app.resources.requests.ephemeral-storage": "2Gi", "app.resources.limits.ephemeral-storage": "1Gi" }), keys: ["taskflow-api:app.resources.requests.ephemeral-storage"] },
    { what: "an ephemeral-storage quantity that is not a quantity", raw: staging({ "app.migrations.resources": { requests: { cpu: "50m", memory: "64Mi", "ephemeral-storage": "lots" }, limits: { cpu: "250m", memory: "128Mi" } } }), keys: ["taskflow-api:app.migrations.resources.requests.ephemeral-storage"] },
    { what: "a PodDisruptionBudget with minAvailable and maxUnavailable", raw: staging({ "app.podDisruptionBudget.maxUnavailable": 1 }), keys: ["taskflow-api:app.podDisruptionBudget.maxUnavailable"] },
    { what: "a PodDisruptionBudget over an HPA that may run one pod", raw: staging({ "app.autoscaling.minReplicas": 1, "app.podDisruptionBudget.minAvailable": undefined }), keys: ["taskflow-api:app.podDisruptionBudget.enabled"] },
    { what: "a minAvailable percentage that rounds up to every pod", raw: staging({ "app.podDisruptionBudget.minAvailable": "60%" }), keys: ["taskflow-api:app.podDisruptionBudget.minAvailable"] },
    { what: "a maxUnavailable of zero", raw: staging({ "app.podDisruptionBudget": { enabled: true, maxUnavailable: 0 } }), keys: ["taskflow-api:app.podDisruptionBudget.maxUnavailable"] },
    { what: "a release timeout shorter than the migration deadline plus the rollout budget", raw: prod({ "app.rollingUpdate": undefined }), keys: ["taskflow-api:release.timeoutSeconds"] },
    { what: "a release timeout equal to dev's old migration deadline (300 s) plus one pod's startup", raw: dev({ "taskflow-api:app": JSON.stringify({ ...JSON.parse(stackRawConfig("dev")["taskflow-api:app"]), migrations: { activeDeadlineSeconds: 300 } }) }), keys: ["taskflow-api:release.timeoutSeconds"] },
    { what: "a surge of zero pods", raw: staging({ "app.rollingUpdate.maxSurge": 0 }), keys: ["taskflow-api:app.rollingUpdate.maxSurge"] },
    { what: "a grace period that does not cover preStop plus drain", raw: staging({ "app.shutdown": { preStopDelaySeconds: 20, drainSeconds: 15, terminationGracePeriodSeconds: 30 } }), keys: ["taskflow-api:app.shutdown.terminationGracePeriodSeconds"] },
    { what: "an ALB deregistration delay that outlasts the pod", raw: prod({ "app.ingress.annotations": { ...JSON.parse(stackRawConfig("prod")["taskflow-api:app"]).ingress.annotations, "alb.ingress.kubernetes.io/target-group-attributes": "deregistration_delay.timeout_seconds=300" } }), keys: ["taskflow-api:app.ingress.annotations.alb.ingress.kubernetes.io/target-group-attributes"] },
    { what: "a root user ID", raw: staging({ "app.podSecurityContext": { runAsUser: 0 } }), keys: ["taskflow-api:app.podSecurityContext.runAsUser"] },
    { what: "an HPA memory target over 100", raw: staging({ "app.autoscaling.targetMemoryUtilizationPercentage": 150 }), keys: ["taskflow-api:app.autoscaling.targetMemoryUtilizationPercentage"] },
    { what: "an HPA scaling policy of an unknown type", raw: staging({ "app.autoscaling.behavior": { scaleUp: { policies: [{ type: "Replicas", value: 2, periodSeconds: 60 }] } } }), keys: ["taskflow-api:app.autoscaling.behavior.scaleUp.policies[0].type"] },
    { what: "a migration deadline below 30 seconds", raw: staging({ "app.migrations.activeDeadlineSeconds": 5 }), keys: ["taskflow-api:app.migrations.activeDeadlineSeconds"] },
];

describe("invalid stack config", () => {
    for (const c of cases) {
        it(`rejects ${c.what}, naming ${c.keys.join(", ")}, and registers nothing`, async () => {
            await settle();
            resetRecorded();
            assert.throws(() => runProgram(c.raw, "staging"), (e: unknown) => {
                assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
                for (const key of c.keys) {
                    assert.ok(e.problems.some((p) => p.startsWith(`${key}:`)), `no problem names ${key}:\n${e.message}`);
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
