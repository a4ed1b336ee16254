// What the AWS provider and AWS would refuse, applied to what every stack really registers (with
// Pulumi's auto-naming, as the mocks now apply it), and to boundary configs that config
// validation accepts: the two must agree, or `up` fails on a config that passed.
import * as assert from "assert";

import { parseConfig } from "../../config";
import { redisLogicalName } from "../../config/names";
import { autoName } from "../support/mocks";
import { policyProblems, providerRuleViolations, RULED_TYPES } from "../support/provider-rules";
import { buildStack, STACKS, stackRawConfig, T } from "../support/stacks";

type Raw = Record<string, string>;

/** prod's stack file with sections merged in (objects merge one level deep); `redis.mode` inCluster replaces redis. */
function prodWith(changes: Record<string, Record<string, unknown>>): Raw {
    const raw = stackRawConfig("prod");
    for (const [section, value] of Object.entries(changes)) {
        const key = `taskflow-api:${section}`;
        const base = raw[key] && !(section === "redis" && value.mode === "inCluster") ? JSON.parse(raw[key]) : {};
        raw[key] = JSON.stringify({ ...base, ...value });
    }
    return raw;
}

function accepts(raw: Raw): boolean {
    try {
        parseConfig(raw);
        return true;
    } catch {
        return false;
    }
}

/** Configs at the edge of what parseConfig accepts; AWS must accept them too. */
const BOUNDARIES: Array<{ what: string; raw: Raw }> = [
    { what: "a 26-character release name (replication group ID of exactly 40)", raw: prodWith({ release: { name: "a".repeat(26) } }) },
    { what: "a 51-character release name without ElastiCache (IAM role name of exactly 64)", raw: prodWith({ release: { name: "a".repeat(51) }, redis: { mode: "inCluster" } }) },
    { what: "60-minute windows that touch end to start", raw: prodWith({ redis: { snapshotWindow: "04:00-05:00", maintenanceWindow: "sun:05:00-sun:06:00" } }) },
    { what: "a maintenance window across the week's end", raw: prodWith({ redis: { snapshotWindow: "12:00-13:00", maintenanceWindow: "sun:23:30-mon:00:30" } }) },
    { what: "47 own tags of maximum key and value length", raw: prodWith({ aws: { tags: Object.fromEntries(Array.from({ length: 47 }, (_, i) => [`${i}`.padStart(128, "k"), "v".repeat(256)])) } }) },
    { what: "valkey 9.0", raw: prodWith({ redis: { engineVersion: "9.0" } }) },
    { what: "Redis OSS 7.0 (the oldest with TransitEncryptionMode; 6.2 is refused, review M6)", raw: prodWith({ redis: { engine: "redis", engineVersion: "7.0" } }) },
    { what: "a permissions boundary, a path and a named final snapshot", raw: prodWith({
        serviceAccount: { iam: { ...JSON.parse(stackRawConfig("prod")["taskflow-api:serviceAccount"]).iam, permissionsBoundaryArn: "arn:aws:iam::123456789012:policy/ci-boundary", path: "/workloads/taskflow/" } },
        redis: { finalSnapshotName: "taskflow-prod-final-2027-01-15" },
    }) },
];

describe("provider rules (what AWS and the provider would refuse at preview or up)", () => {
    for (const stack of STACKS) {
        it(`Pulumi.${stack}.yaml registers nothing AWS or the provider would refuse`, async () => {
            const built = await buildStack(stack);
            assert.deepStrictEqual(providerRuleViolations(built.resources), []);
        });
    }

    for (const b of BOUNDARIES) {
        it(`accepts ${b.what}, as config validation does`, async () => {
            const built = await buildStack("prod", b.raw);
            assert.deepStrictEqual(providerRuleViolations(built.resources), []);
        });
    }

    it("has rules for every AWS resource type the stacks register", async () => {
        const types = new Set((await buildStack("prod")).resources.map((r) => r.type).filter((t) => t.startsWith("aws:")));
        assert.deepStrictEqual([...types].filter((t) => !RULED_TYPES.includes(t)), []);
    });

    it("config validation accepts a release name exactly when the provider's auto-name of the group fits", () => {
        for (let length = 20; length <= 32; length++) {
            const name = "a".repeat(length);
            const configOk = accepts(prodWith({ release: { name } }));
            let providerOk = true;
            try {
                autoName(T.replicationGroup, redisLogicalName(name));
            } catch (e) {
                assert.match(String(e), /plus 7 random chars is longer than maximum length 40/);
                providerOk = false;
            }
            assert.strictEqual(configOk, providerOk, `release name of ${length} characters`);
        }
    });

    it("generated IDs carry the suffix: the prod replication group ID is 26 characters, lower-case", async () => {
        const id = (await buildStack("prod")).one(T.replicationGroup).inputs.replicationGroupId;
        assert.match(id, /^taskflow-api-redis-[0-9a-f]{7}$/);
    });

    describe("each rule fires on a violation (negative controls)", () => {
        const mutate = async (type: string, change: (inputs: Record<string, unknown>) => void) => {
            const resources = structuredClone((await buildStack("prod")).resources);
            const target = resources.find((r) => r.type === type);
            assert.ok(target, type);
            change(target.inputs);
            return providerRuleViolations(resources);
        };
        const cases: Array<[string, string, (i: Record<string, unknown>) => void, RegExp]> = [
            ["an apostrophe in the ingress rule description", T.ingressRule, (i) => { i.description = "Redis from the cluster's nodes"; }, /description .* EC2 refuses/],
            ["a security group description over 255 characters", T.securityGroup, (i) => { i.description = "x".repeat(256); }, /description/],
            ["a 41-character replication group ID", T.replicationGroup, (i) => { i.replicationGroupId = "a".repeat(41); }, /validateReplicationGroupID/],
            ["a snapshot window of 30 minutes", T.replicationGroup, (i) => { i.snapshotWindow = "03:00-03:30"; }, /shorter than 60/],
            ["overlapping windows", T.replicationGroup, (i) => { i.snapshotWindow = "05:30-06:30"; }, /overlaps/],
            ["an r6gd node without data tiering", T.replicationGroup, (i) => { i.nodeType = "cache.r6gd.large"; }, /dataTieringEnabled/],
            ["a parameter group of another family", T.replicationGroup, (i) => { i.parameterGroupName = "default.valkey7"; }, /not the family/],
            ["an AUTH token with a quote", T.replicationGroup, (i) => { i.authToken = `${"a".repeat(20)}"`; }, /authToken/],
            ["failover on one node", T.replicationGroup, (i) => { i.numCacheClusters = 1; }, /numCacheClusters >= 2/],
            ["a log group name with a space", T.logGroup, (i) => { i.name = "/aws/vendedlogs/my log"; }, /log group name/],
            ["a 65-character role name", T.role, (i) => { i.name = "r".repeat(65); }, /over 64/],
            ["an inline policy Resource that is not an ARN", T.rolePolicy, (i) => { i.policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "bucket/*" }] }); }, /neither \* nor an ARN/],
            ["an AUTH-token password allowing @", T.password, (i) => { i.overrideSpecial = "!@"; }, /overrideSpecial/],
            ["a tag with the aws: prefix", T.subnetGroup, (i) => { i.tags = { "aws:team": "x" }; }, /reserved/],
        ];
        for (const [what, type, change, message] of cases) {
            it(`refuses ${what}`, async () => {
                const found = await mutate(type, change);
                assert.ok(found.some((v) => message.test(v)), `expected ${message} in:\n${found.join("\n")}`);
            });
        }

        it("the IAM grammar refuses an unknown condition operator and a missing Version", () => {
            assert.deepStrictEqual(
                policyProblems({ Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*", Condition: { StringEqual: {} } }] }, "permissions"),
                ['policy Version is undefined, not "2012-10-17"', "Statement[0].Condition operator StringEqual does not exist"],
            );
        });
    });
});
