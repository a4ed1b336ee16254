import * as assert from "assert";

import { ConfigError, parseConfig } from "../../config";
import { STACKS, stackRawConfig } from "../support/stacks";

const redis = (v: object) => ({ "taskflow-api:redis": JSON.stringify(v) });
const elasticache = (v: object) => ({
    ...redis({ mode: "elasticache", ...v }),
    "taskflow-api:aws": JSON.stringify({ region: "eu-west-1", allowedAccountIds: ["111122223333"] }),
    "taskflow-api:cluster": JSON.stringify({ stackReference: "acme/eks/qa" }),
});

describe("stack config", () => {
    for (const stack of STACKS) {
        it(`accepts Pulumi.${stack}.yaml`, () => {
            assert.doesNotThrow(() => parseConfig(stackRawConfig(stack)));
        });
    }

    it("keeps dev's Redis in the cluster and puts staging's and prod's on ElastiCache", () => {
        assert.strictEqual(parseConfig(stackRawConfig("dev")).redis.mode, "inCluster");
        assert.strictEqual(parseConfig(stackRawConfig("staging")).redis.mode, "elasticache");
        assert.strictEqual(parseConfig(stackRawConfig("prod")).redis.mode, "elasticache");
    });

    it("defaults ElastiCache to one valkey 8.0 node (family valkey8) on port 6379 without failover", () => {
        const cfg = parseConfig(elasticache({}));
        assert.ok(cfg.redis.mode === "elasticache");
        assert.deepStrictEqual(
            [cfg.redis.engine, cfg.redis.engineVersion, cfg.redis.family, cfg.redis.numNodes, cfg.redis.multiAz, cfg.redis.port],
            ["valkey", "8.0", "valkey8", 1, false, 6379],
        );
    });

    it("derives the redis7 parameter group family for Redis OSS 7.1", () => {
        const cfg = parseConfig(elasticache({ engine: "redis", engineVersion: "7.1" }));
        assert.ok(cfg.redis.mode === "elasticache");
        assert.strictEqual(cfg.redis.family, "redis7");
    });

    it("accepts the boundaries AWS accepts: a 26-character release name, 60-minute windows that touch, valkey 9.0, 47 own tags", () => {
        const cfg = parseConfig({
            ...elasticache({ engineVersion: "9.0", snapshotWindow: "04:00-05:00", maintenanceWindow: "sun:05:00-sun:06:00" }),
            "taskflow-api:release": JSON.stringify({ name: "a".repeat(26) }),
            "taskflow-api:aws": JSON.stringify({
                region: "eu-west-1",
                allowedAccountIds: ["111122223333"],
                tags: Object.fromEntries(Array.from({ length: 47 }, (_, i) => [`t${i}`, "x"])),
            }),
        });
        assert.ok(cfg.redis.mode === "elasticache");
        assert.deepStrictEqual([cfg.release.name.length, cfg.redis.family, cfg.redis.snapshotWindow], [26, "valkey9", "04:00-05:00"]);
    });

    it("takes a final snapshot under the configured name, which implies finalSnapshot", () => {
        const cfg = parseConfig(elasticache({ finalSnapshotName: "taskflow-prod-final-2027-01" }));
        assert.ok(cfg.redis.mode === "elasticache");
        assert.deepStrictEqual([cfg.redis.finalSnapshot, cfg.redis.finalSnapshotName], [true, "taskflow-prod-final-2027-01"]);
    });

    it("turns multi-AZ failover on by default once there is a replica", () => {
        const cfg = parseConfig(elasticache({ numNodes: 2 }));
        assert.ok(cfg.redis.mode === "elasticache" && cfg.redis.multiAz);
    });

    it("accepts the string scalars Pulumi passes for dotted keys (pulumi config set without --path)", () => {
        const cfg = parseConfig({
            "taskflow-api:redis.mode": "inCluster",
            "taskflow-api:release.timeoutSeconds": "480",
            "taskflow-api:namespace.create": "false",
        });
        assert.strictEqual(cfg.release.timeoutSeconds, 480);
        assert.strictEqual(cfg.namespace.create, false);
    });

    it("ignores other namespaces such as aws: and kubernetes:", () => {
        assert.doesNotThrow(() => parseConfig({ ...redis({ mode: "inCluster" }), "aws:region": "us-east-1", "kubernetes:context": "x" }));
    });

    it("names the ServiceAccount after the release unless told otherwise", () => {
        const cfg = parseConfig({ ...redis({ mode: "inCluster" }), "taskflow-api:release": JSON.stringify({ name: "tf" }) });
        assert.strictEqual(cfg.serviceAccount.name, "tf");
    });

    it("reports every problem at once, one line per key", () => {
        try {
            parseConfig({
                ...redis({ mode: "inCluster", numNodes: 2 }),
                "taskflow-api:release": JSON.stringify({ timeoutSeconds: 5 }),
                "taskflow-api:typo": "1",
            });
            assert.fail("expected a ConfigError");
        } catch (e) {
            assert.ok(e instanceof ConfigError, String(e));
            assert.strictEqual(e.problems.length, 3, e.message);
            for (const key of ["taskflow-api:redis.numNodes", "taskflow-api:release.timeoutSeconds", "taskflow-api:typo"]) {
                assert.ok(e.problems.some((p) => p.startsWith(`${key}:`)), `${key} missing in\n${e.message}`);
            }
        }
    });

    it("suggests the valid keys when a key is misspelt, at any depth", () => {
        assert.throws(() => parseConfig(redis({ mode: "inCluster", authTokenVersoin: 2 })), /taskflow-api:redis\.authTokenVersoin: unknown key \(valid keys here: mode, authTokenVersion/);
        assert.throws(
            () => parseConfig({ ...redis({ mode: "inCluster" }), "taskflow-api:release": JSON.stringify({ nam: "x" }) }),
            /taskflow-api:release\.nam: unknown key \(valid keys here: name, timeoutSeconds, maxHistory, healToken\)/,
        );
    });

    it("needs only redis.mode: namespace, release and ServiceAccount get their defaults", () => {
        const cfg = parseConfig(redis({ mode: "inCluster" }));
        assert.deepStrictEqual(cfg.namespace, { name: "taskflow-api", create: true });
        assert.deepStrictEqual(cfg.release, { name: "taskflow-api", timeoutSeconds: 600, maxHistory: 10 });
        assert.deepStrictEqual(cfg.serviceAccount, { name: "taskflow-api", iam: undefined });
        assert.deepStrictEqual(cfg.redis, { mode: "inCluster", authTokenVersion: 1 });
    });

    it("never echoes a kubeconfig value in an error", () => {
        assert.throws(
            () => parseConfig({ ...redis({ mode: "inCluster" }), "taskflow-api:cluster": JSON.stringify({ kubeconfig: 42 }) }),
            (e: Error) => e.message.includes("taskflow-api:cluster.kubeconfig") && !e.message.includes("42"),
        );
    });
});
