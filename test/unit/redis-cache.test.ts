import * as assert from "assert";

import { captureRegistrations, Registration } from "../support/capture";
import { installMocks, PLACEHOLDER_CLUSTER_OUTPUTS, placeholderRedisHost, promiseOf, settle } from "../support/mocks";
import { BuiltStack, buildStack, stackRawConfig, T } from "../support/stacks";

describe("ElastiCache (staging and prod)", () => {
    const stacks: Record<string, BuiltStack> = {};
    before(async () => {
        stacks.staging = await buildStack("staging");
        stacks.prod = await buildStack("prod");
    });

    for (const name of ["staging", "prod"]) {
        describe(name, () => {
            const rg = () => stacks[name].one(T.replicationGroup).inputs;

            it("requires TLS in transit, encrypts at rest and requires an AUTH token", () => {
                assert.strictEqual(rg().transitEncryptionEnabled, true);
                assert.strictEqual(rg().transitEncryptionMode, "required");
                assert.strictEqual(rg().atRestEncryptionEnabled, true);
                assert.ok(typeof rg().authToken === "string" && rg().authToken.length > 0);
                assert.ok(stacks[name].one(T.replicationGroup).secretPaths.includes("authToken"), "authToken must be secret");
            });

            it("uses AWS's default parameter group of its engine family, so a major upgrade strands no custom group", () => {
                assert.deepStrictEqual(stacks[name].ofType(T.parameterGroup), []);
                assert.strictEqual(rg().parameterGroupName, `default.${rg().engine}${rg().engineVersion.split(".")[0]}`);
            });

            it("places the cache on the private subnets through its own subnet group", () => {
                const sg = stacks[name].one(T.subnetGroup);
                assert.ok(Array.isArray(sg.inputs.subnetIds) && sg.inputs.subnetIds.length >= 1);
                assert.strictEqual(rg().subnetGroupName, sg.inputs.name, "the group is placed by the subnet group's generated name");
            });

            it("admits only the cluster security group, on the Redis port, through one standalone rule", () => {
                const group = stacks[name].one(T.securityGroup).inputs;
                assert.strictEqual(group.ingress, undefined, "no inline ingress rules");
                assert.strictEqual(group.egress, undefined, "no inline egress rules");
                const rule = stacks[name].one(T.ingressRule).inputs;
                const clusterSg = name === "prod" ? "sg-0123456789abcdef0" : PLACEHOLDER_CLUSTER_OUTPUTS.nodeSecurityGroupId;
                assert.strictEqual(rule.referencedSecurityGroupId, clusterSg);
                assert.strictEqual(rule.cidrIpv4, undefined);
                assert.strictEqual(rule.cidrIpv6, undefined);
                assert.deepStrictEqual([rule.ipProtocol, rule.fromPort, rule.toPort], ["tcp", 6379, 6379]);
                assert.deepStrictEqual(stacks[name].ofType(T.egressRule), []);
            });

            it("delivers the slow log to a log group under /aws/vendedlogs/, named after release and stack", () => {
                const logGroup = stacks[name].one(T.logGroup);
                assert.strictEqual(logGroup.inputs.name, `/aws/vendedlogs/elasticache/taskflow-api-${name}/slow-log`);
                assert.ok(logGroup.inputs.retentionInDays > 0);
                assert.deepStrictEqual(rg().logDeliveryConfigurations, [{
                    destination: logGroup.inputs.name, destinationType: "cloudwatch-logs", logFormat: "json", logType: "slow-log",
                }]);
            });

            it("exports the primary endpoint, falling back to port 6379 when the provider reports none", async () => {
                const endpoint = await promiseOf(stacks[name].outputs.redisEndpoint);
                assert.deepStrictEqual(endpoint, { host: placeholderRedisHost(stacks[name].one(T.replicationGroup).name), port: 6379 });
            });
        });
    }

    for (const name of ["staging", "prod"]) {
        it(`${name}'s Kubernetes Secret takes the AUTH token from the replication group, not from the RandomPassword`, async () => {
            // What the engine orders by: the Secret's stringData must wait for the group's
            // update, so a rotated token reaches pods only once ElastiCache accepted it.
            const captured = await registrationsOf(name);
            const urnOf = (type: string, part: string) => {
                const found = captured.filter((r) => r.type === type && r.name.includes(part));
                assert.strictEqual(found.length, 1, `${type} ${part}`);
                return found[0].urn;
            };
            const secret = captured.find((r) => r.type === T.secret);
            assert.ok(secret, "no Secret");
            const deps = secret.propertyDependencies.stringData ?? [];
            assert.ok(deps.includes(urnOf(T.replicationGroup, "redis")), `stringData depends on ${deps.join(", ")}`);
            assert.ok(!deps.includes(urnOf(T.password, "auth-token")), "stringData must not bypass the group");
        });
    }

    it("retires the previous AUTH token when redis.authTokenUpdateStrategy is SET", async () => {
        const raw = stackRawConfig("staging");
        const redis = JSON.parse(raw["taskflow-api:redis"]);
        raw["taskflow-api:redis"] = JSON.stringify({ ...redis, authTokenUpdateStrategy: "SET" });
        const built = await buildStack("staging", raw);
        assert.strictEqual(built.one(T.replicationGroup).inputs.authTokenUpdateStrategy, "SET");
        assert.strictEqual(stacks.staging.one(T.replicationGroup).inputs.authTokenUpdateStrategy, "ROTATE");
    });

    it("prod alarms on every node's CPU, memory, evictions and connections, on replica lag, and sends them and the group's events to one topic", () => {
        const topic = stacks.prod.one(T.topic);
        const alarms = stacks.prod.ofType(T.metricAlarm);
        const rg = stacks.prod.one(T.replicationGroup).inputs;
        const perNode = (node: string) => alarms.filter((a) => a.inputs.dimensions.CacheClusterId === `${rg.replicationGroupId}-${node}`).map((a) => a.inputs.metricName).sort();
        assert.deepStrictEqual(perNode("001"), ["CurrConnections", "DatabaseMemoryUsagePercentage", "EngineCPUUtilization", "Evictions"]);
        for (const replica of ["002", "003"]) {
            assert.deepStrictEqual(perNode(replica), ["CurrConnections", "DatabaseMemoryUsagePercentage", "EngineCPUUtilization", "Evictions", "ReplicationLag"]);
        }
        assert.strictEqual(alarms.length, 14, "one alarm set per node, nothing else");
        const topicArn = `arn:aws:mock:us-east-1:123456789012:${topic.inputs.name}`;
        assert.strictEqual(rg.notificationTopicArn, topicArn);
        for (const a of alarms) assert.deepStrictEqual([a.inputs.alarmActions, a.inputs.okActions], [[topicArn], [topicArn]], a.name);
    });

    it("staging has no alarms and no event topic (redis.alarms unset)", () => {
        assert.deepStrictEqual([stacks.staging.ofType(T.metricAlarm).length, stacks.staging.ofType(T.topic).length], [0, 0]);
        assert.strictEqual(stacks.staging.one(T.replicationGroup).inputs.notificationTopicArn, undefined);
    });

    it("staging runs a single node, without failover, protection or final snapshot", () => {
        const rg = stacks.staging.one(T.replicationGroup).inputs;
        assert.deepStrictEqual(
            [rg.numCacheClusters, rg.multiAzEnabled, rg.automaticFailoverEnabled, rg.finalSnapshotIdentifier],
            [1, false, false, undefined],
        );
    });

    it("prod replication group fails over across AZs", () => {
        const rg = stacks.prod.one(T.replicationGroup).inputs;
        assert.ok(rg.numCacheClusters >= 2);
        assert.strictEqual(rg.multiAzEnabled, true);
        assert.strictEqual(rg.automaticFailoverEnabled, true);
        assert.ok(stacks.prod.one(T.subnetGroup).inputs.subnetIds.length >= 2);
    });

    it("prod replication group is protected and takes a final snapshot on deletion", () => {
        const rg = stacks.prod.one(T.replicationGroup).inputs;
        assert.strictEqual(rg.finalSnapshotIdentifier, "taskflow-api-prod-final");
        assert.strictEqual(isProtected(stacks.prod.outputs.components.redis?.replicationGroup), true);
    });

    it("staging replication group stays deletable", () => {
        assert.strictEqual(isProtected(stacks.staging.outputs.components.redis?.replicationGroup), false);
    });
});

/** The registrations (URNs, dependencies) of a stack file, as the engine receives them. */
async function registrationsOf(stack: string): Promise<Registration[]> {
    await settle();
    installMocks(stack);
    const captured = captureRegistrations();
    await buildStack(stack, stackRawConfig(stack));
    await settle();
    return captured;
}

// `protect` is a resource option the mock monitor never sees; the SDK keeps it on the resource
// (an internal field, stable across SDK versions).
function isProtected(resource: object | undefined): boolean {
    assert.ok(resource, "no replication group");
    return (resource as { __protect?: boolean }).__protect === true;
}
