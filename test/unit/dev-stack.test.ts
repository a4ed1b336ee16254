import * as assert from "assert";
import { createHash } from "crypto";

import { REDIS_PASSWORD_KEY } from "../../components/chart-values";
import { MOCK_SECRET_MARKER } from "../support/mocks";
import { BuiltStack, buildStack, T } from "../support/stacks";

describe("dev stack", () => {
    let dev: BuiltStack;
    before(async () => {
        dev = await buildStack("dev");
    });

    it("creates no AWS resource and no AWS provider", () => {
        const aws = dev.resources.filter((r) => r.type.startsWith("aws:") || r.type === T.awsProvider);
        assert.deepStrictEqual(aws.map((r) => r.type), []);
    });

    it("enables the chart's Valkey subchart and no external Redis", () => {
        assert.strictEqual(dev.values.redis.enabled, true);
        assert.strictEqual(dev.values.externalRedis, undefined);
    });

    it("points the Valkey subchart at the Secret the app reads its password from", () => {
        const secret = dev.one(T.secret);
        assert.ok(dev.values.redis.enabled);
        assert.strictEqual(dev.values.redis.auth.usersExistingSecret, secret.inputs.metadata.name);
        assert.strictEqual(dev.values.existingSecret.name, secret.inputs.metadata.name);
    });

    it("stores a generated password in the Secret under redis-password", () => {
        const password = dev.one(T.password);
        assert.strictEqual(password.inputs.special, false);
        const secret = dev.one(T.secret);
        assert.deepStrictEqual(Object.keys(secret.inputs.stringData), [REDIS_PASSWORD_KEY]);
        assert.ok(String(secret.inputs.stringData[REDIS_PASSWORD_KEY]).startsWith(MOCK_SECRET_MARKER));
        assert.ok(secret.secretPaths.some((p) => p.startsWith("stringData")), "stringData must be marked secret");
    });

    it("passes the password's SHA-256 (never the password) so a rotation rolls the pods", () => {
        const password = String(dev.one(T.secret).inputs.stringData[REDIS_PASSWORD_KEY]);
        const expected = createHash("sha256").update(password).digest("hex");
        assert.strictEqual(dev.values.existingSecret.checksum, expected);
        // Valkey reads the same Secret at start, so it must restart with the app on a rotation.
        assert.ok(dev.values.redis.enabled);
        assert.deepStrictEqual(dev.values.redis.podAnnotations, { "checksum/existing-secret": expected });
        assert.ok(!JSON.stringify(dev.values).includes(password), "the password itself must not reach the values");
    });

    it("creates its namespace with Pod Security 'restricted' enforced, audited and warned", () => {
        const ns = dev.one(T.namespace);
        assert.strictEqual(ns.inputs.metadata.name, "taskflow-dev");
        for (const mode of ["enforce", "audit", "warn"]) {
            assert.strictEqual(ns.inputs.metadata.labels[`pod-security.kubernetes.io/${mode}`], "restricted");
        }
    });

    it("has no IRSA role and no role annotation on the ServiceAccount", () => {
        assert.deepStrictEqual(dev.values.serviceAccount.annotations, {});
        assert.strictEqual(dev.outputs.roleArn, undefined);
        assert.strictEqual(dev.outputs.redisEndpoint, undefined);
    });

    it("uses the ambient kubeconfig when none is configured", () => {
        const provider = dev.one(T.k8sProvider);
        assert.strictEqual(provider.inputs.kubeconfig, undefined);
    });
});
