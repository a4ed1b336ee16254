import * as assert from "assert";
import * as fs from "fs";

import { buildChartValues, ChartInfra } from "../../components/chart-values";
import { parseConfig } from "../../config";
import { MOCK_SECRET_MARKER } from "../support/mocks";
import { schemaErrors, SCHEMA_PATH } from "../support/helm-values";
import { buildStack, STACKS, stackRawConfig } from "../support/stacks";

const HASH = "a".repeat(64);
const infra: ChartInfra = { secretName: "taskflow-api-redis-auth", chartHash: HASH };

describe("chart values (pure function)", () => {
    it("dev enables the subchart with the Secret as its users' password source", () => {
        const v = buildChartValues(parseConfig(stackRawConfig("dev")), infra);
        assert.deepStrictEqual(v.redis, { enabled: true, auth: { enabled: true, usersExistingSecret: "taskflow-api-redis-auth" } });
        assert.strictEqual(v.externalRedis, undefined);
        assert.deepStrictEqual(v.existingSecret, { name: "taskflow-api-redis-auth", redisPasswordKey: "redis-password" });
    });

    it("elasticache stacks get externalRedis with TLS and the IRSA annotation", () => {
        const v = buildChartValues(parseConfig(stackRawConfig("prod")), {
            ...infra, redisHost: "master.example.cache.amazonaws.com", redisPort: 6380, roleArn: "arn:aws:iam::123456789012:role/r",
        });
        assert.deepStrictEqual(v.externalRedis, { host: "master.example.cache.amazonaws.com", port: 6380, tls: true });
        assert.deepStrictEqual(v.redis, { enabled: false });
        assert.deepStrictEqual(v.serviceAccount, {
            create: true, name: "taskflow-api", annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/r" },
        });
    });

    it("maps app config onto the chart's keys and leaves unset ones to the chart defaults", () => {
        const v = buildChartValues(parseConfig(stackRawConfig("prod")), { ...infra, redisHost: "h" });
        assert.deepStrictEqual(v.autoscaling, { enabled: true, minReplicas: 3, maxReplicas: 12, targetCPUUtilizationPercentage: 65 });
        assert.deepStrictEqual(v.podDisruptionBudget, { enabled: true, minAvailable: 2 });
        assert.strictEqual(v.topologySpread?.whenUnsatisfiable, "DoNotSchedule");
        assert.strictEqual(v.ingress?.className, "alb");
        assert.deepStrictEqual(v.config, { NODE_ENV: "production", LOG_LEVEL: "info" });
        assert.strictEqual(v.fullnameOverride, "taskflow-api");
        assert.strictEqual(v.chartHash, HASH);
        assert.ok(!("replicaCount" in v), "replicaCount is left to the chart when autoscaling owns it");
        assert.ok(!("service" in v));
    });

    it("passes migration settings through, and leaves them to the chart when unset", () => {
        const raw = { ...stackRawConfig("dev"), "taskflow-api:app": JSON.stringify({
            ...JSON.parse(stackRawConfig("dev")["taskflow-api:app"]),
            migrations: { backoffLimit: 0, podLabels: { "example.com/team": "platform" } },
        }) };
        const v = buildChartValues(parseConfig(raw), infra);
        assert.deepStrictEqual(v.migrations, { backoffLimit: 0, podLabels: { "example.com/team": "platform" } });
        assert.ok(!("migrations" in buildChartValues(parseConfig(stackRawConfig("dev")), infra)));
    });

    it("refuses to build elasticache values without a Redis host", () => {
        assert.throws(() => buildChartValues(parseConfig(stackRawConfig("staging")), infra), /redisHost/);
    });
});

describe("generated values against chart/values.schema.json", () => {
    before(function () {
        if (!fs.existsSync(SCHEMA_PATH)) this.skip();
    });

    for (const stack of STACKS) {
        it(`${stack} values (merged over the chart defaults) validate`, async () => {
            const built = await buildStack(stack);
            assert.deepStrictEqual(schemaErrors(built.values), []);
            assert.ok(!JSON.stringify(built.values).includes(MOCK_SECRET_MARKER));
        });
    }

    it("the schema would catch a misspelt key (sanity check of the check)", () => {
        assert.notDeepStrictEqual(schemaErrors({ replicaCnt: 2 }), []);
    });
});
