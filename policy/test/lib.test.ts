// The few helpers whose judgement a policy relies on, at their edges.
import * as assert from "assert";

import { isWildcardAction, isWriteAction, statementsOf } from "../lib/iam-document";
import { isSecretKey, secretLiterals } from "../lib/secret-values";
import { providerDefaultTags } from "../lib/tags";
import { projectOf, stackOf } from "../lib/urn";

describe("policy helpers", () => {
    it("a key that names a credential is secret; one that names a Secret or a key in it is a reference", () => {
        for (const key of ["password", "redisPassword", "apiKey", "secretKey", "accessKey", "jwtSecret", "authToken", "PAYMENTS_API_TOKEN", "privateKey"]) {
            assert.ok(isSecretKey(key), key);
        }
        for (const key of ["existingSecret", "usersExistingSecret", "redisPasswordKey", "tokenKey", "secretName", "name", "enabled"]) {
            assert.ok(!isSecretKey(key), key);
        }
    });

    it("only non-empty strings under secret keys count as literals, wherever they are nested", () => {
        const values = {
            existingSecret: { name: "app-auth", redisPasswordKey: "redis-password" },
            redis: { auth: { enabled: true, password: "" } },
            tokenTTL: 3600,
            extra: [{ apiKey: "abc" }],
        };
        assert.deepStrictEqual(secretLiterals(values), [{ path: "extra[0].apiKey" }]);
    });

    it("a SHA-256 under a checksum/ annotation is a digest, not a credential; anything else there still is", () => {
        const digest = "5b7fd7cca7927982e1e5a9d926fd8fcf21cb0c0dd8e8f50ca902cae558e5c1ed";
        assert.deepStrictEqual(secretLiterals({ podAnnotations: { "checksum/existing-secret": digest } }), []);
        assert.deepStrictEqual(
            secretLiterals({ podAnnotations: { "checksum/existing-secret": "hunter2" }, existingSecret: { checksum: digest } }),
            [{ path: "podAnnotations.checksum/existing-secret" }],
        );
        assert.deepStrictEqual(secretLiterals({ redisPassword: digest }), [{ path: "redisPassword" }]);
    });

    it("reads actions as writes unless their verb only reads", () => {
        assert.deepStrictEqual(
            ["s3:GetObject", "s3:ListBucket", "ec2:DescribeInstances", "dynamodb:Query"].map(isWriteAction),
            [false, false, false, false],
        );
        assert.deepStrictEqual(["s3:PutObject", "cloudwatch:PutMetricData", "s3:*", "*"].map(isWriteAction), [true, true, true, true]);
        assert.deepStrictEqual(["*", "s3:*", "s3:Get*", "s3:GetObject"].map(isWildcardAction), [true, true, false, false]);
    });

    it("reads policy documents given as JSON text or as objects, single statement or list", () => {
        assert.deepStrictEqual(statementsOf('{"Statement":{"Effect":"Allow"}}'), [{ Effect: "Allow" }]);
        assert.deepStrictEqual(statementsOf({ Statement: [{ Effect: "Deny" }] }), [{ Effect: "Deny" }]);
        assert.strictEqual(statementsOf("not json"), undefined);
    });

    it("reads the provider's defaultTags as the SDK sends them (JSON text) or parsed", () => {
        const provider = (defaultTags: unknown) => ({ type: "pulumi:providers:aws", urn: "u", name: "aws", props: { defaultTags } });
        assert.deepStrictEqual(providerDefaultTags(provider('{"tags":{"project":"p"}}')), { project: "p" });
        assert.deepStrictEqual(providerDefaultTags(provider({ tags: { stack: "s" } })), { stack: "s" });
        assert.deepStrictEqual(providerDefaultTags(undefined), {});
    });

    it("takes stack and project from a URN", () => {
        const urn = "urn:pulumi:prod::taskflow-api::taskflow:aws:RedisCache$aws:elasticache/replicationGroup:ReplicationGroup::taskflow-api-redis";
        assert.deepStrictEqual([stackOf(urn), projectOf(urn)], ["prod", "taskflow-api"]);
    });
});
