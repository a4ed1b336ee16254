// Invalid stack configs: each must fail with an error naming the offending key, before a single
// resource is registered.
import * as assert from "assert";

import { ConfigError } from "../../config";
import { recorded, resetRecorded, settle } from "../support/mocks";
import { runProgram, stackRawConfig } from "../support/stacks";

type Raw = Record<string, string>;

/** The staging stack file with one section replaced (or removed, with `undefined`). */
function staging(changes: Record<string, unknown>): Raw {
    const raw = stackRawConfig("staging");
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
        keys: ["taskflow-api:cluster.vpcId", "taskflow-api:cluster.privateSubnetIds", "taskflow-api:cluster.nodeSecurityGroupId", "taskflow-api:cluster.oidcProviderArn", "taskflow-api:cluster.oidcIssuerUrl"],
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
