import * as assert from "assert";

import { REDIS_PASSWORD_KEY } from "../../components/chart-values";
import { MOCK_SECRET_MARKER } from "../support/mocks";
import { BuiltStack, buildStack, stackRawConfig, T } from "../support/stacks";

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

    it("a credential rotation (authTokenVersion bump) changes the checksum on the app's and Valkey's pods; nothing else does", async () => {
        const checksums = (v: typeof dev.values) => {
            assert.ok(v.redis.enabled);
            return [v.existingSecret.checksum, v.redis.podAnnotations?.["checksum/existing-secret"]];
        };
        const [app1, valkey1] = checksums(dev.values);
        assert.match(String(app1), /^[a-f0-9]{64}$/);
        assert.strictEqual(valkey1, app1);
        const raw = stackRawConfig("dev");
        const redis = JSON.parse(raw["taskflow-api:redis"]) as Record<string, unknown>;
        const rotated = await buildStack("dev", { ...raw, "taskflow-api:redis": JSON.stringify({ ...redis, authTokenVersion: 2 }) });
        const [app2, valkey2] = checksums(rotated.values);
        assert.notStrictEqual(app2, app1, "a rotation must roll the pods");
        assert.strictEqual(valkey2, app2);
        const app = JSON.parse(raw["taskflow-api:app"]) as { env: Record<string, string> };
        const other = await buildStack("dev", { ...raw, "taskflow-api:app": JSON.stringify({ ...app, env: { ...app.env, LOG_LEVEL: "info" } }) });
        assert.deepStrictEqual(checksums(other.values), [app1, valkey1], "only a rotation may change the checksum");
        const password = String(dev.one(T.secret).inputs.stringData[REDIS_PASSWORD_KEY]);
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
