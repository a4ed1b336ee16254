// redis.mode "external": a Redis or Valkey the stack does not own. It must take the chart path of
// ElastiCache (external host, rediss://, pre-install migration, no subchart); only where the
// endpoint and the token come from differs.
import * as assert from "assert";

import { buildChartValues } from "../../components/chart-values";
import { ConfigError, parseConfig } from "../../config";
import { schemaErrors } from "../support/helm-values";
import { buildStack } from "../support/stacks";

const HASH = "b".repeat(64);
const TOKEN = "s3cret-token-0123456789abcdef";
const CA = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUXYZ\n-----END CERTIFICATE-----\n";
const external = (v: object) => ({ "taskflow-api:redis": JSON.stringify({ mode: "external", ...v }) });

function problems(raw: Record<string, string>): string[] {
    try {
        parseConfig(raw);
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
    return [];
}

describe("external Redis (redis.mode external)", () => {
    it("defaults to TLS on port 6379 and keeps the token out of the Helm values", () => {
        const cfg = parseConfig(external({ host: "primary.cache.internal", authToken: TOKEN }));
        assert.ok(cfg.redis.mode === "external");
        assert.deepStrictEqual([cfg.redis.host, cfg.redis.port, cfg.redis.tls], ["primary.cache.internal", 6379, true]);
        const v = buildChartValues(cfg, { secretName: "taskflow-api-redis-auth", chartHash: HASH });
        assert.deepStrictEqual(v.redis, { enabled: false });
        assert.deepStrictEqual(v.externalRedis, { host: "primary.cache.internal", port: 6379, tls: true });
        assert.ok(!JSON.stringify(v).includes(TOKEN));
        assert.deepStrictEqual(schemaErrors(v), []);
    });

    it("names the key of every missing or contradictory setting", () => {
        const got = problems(external({ tls: false, caCert: CA, numNodes: 3 }));
        assert.ok(got.some((p) => p.startsWith("taskflow-api:redis.host: required")), got.join("\n"));
        assert.ok(got.some((p) => p.startsWith("taskflow-api:redis.authToken: set exactly one")), got.join("\n"));
        assert.ok(got.some((p) => p.startsWith("taskflow-api:redis.caCert: a CA bundle needs redis.tls")), got.join("\n"));
        assert.ok(got.some((p) => p.startsWith("taskflow-api:redis.numNodes: only valid when redis.mode is \"elasticache\"")), got.join("\n"));
    });

    it("refuses redis.tls: false, which would send the token in clear text (review m3)", () => {
        const got = problems(external({ host: "h", authToken: TOKEN, tls: false }));
        assert.deepStrictEqual(got.filter((p) => p.startsWith("taskflow-api:redis.tls:")).length, 1, got.join("\n"));
        assert.match(got.join("\n"), /redis\.tls: false would send the AUTH token and every value in clear text/);
        assert.deepStrictEqual(problems(external({ host: "h", authToken: TOKEN, tls: true })), []);
    });

    it("refuses both token sources at once, a short token without echoing it, and a CA that is not PEM", () => {
        const got = problems(external({ host: "h", authToken: "short", authTokenSecret: { name: "x" }, caCert: "not a pem" }));
        assert.ok(got.some((p) => p.includes("redis.authToken: set exactly one")), got.join("\n"));
        assert.ok(got.some((p) => p.includes("redis.authToken: expected 16-128")), got.join("\n"));
        assert.ok(got.some((p) => p.includes("redis.caCert: expected a PEM bundle")), got.join("\n"));
        assert.ok(!got.join("\n").includes("not a pem") && !got.join("\n").includes('"short"'));
    });

    it("refuses external-only keys in the other modes and a host that is not a DNS name", () => {
        assert.ok(problems({ ...external({}), "taskflow-api:redis": JSON.stringify({ mode: "inCluster", host: "x", egressCidrs: ["10.0.0.0/8"] }) })
            .some((p) => p.startsWith('taskflow-api:redis.host: only valid when redis.mode is "external"')));
        assert.ok(problems(external({ host: "Primary_Cache", authToken: TOKEN })).some((p) => p.startsWith("taskflow-api:redis.host: expected a hostname")));
        assert.ok(problems(external({ host: "h", authToken: TOKEN, egressCidrs: ["10.0.0.0/33"] })).some((p) => p.startsWith("taskflow-api:redis.egressCidrs[0]: expected an IPv4 CIDR")));
    });

    it("reads the token from an existing Secret by name and key, and writes no Secret of its own", async () => {
        const raw = external({ host: "primary.cache.internal", authTokenSecret: { name: "platform-redis", key: "token" } });
        const s = await buildStack("ext-foreign", raw);
        assert.deepStrictEqual(s.values.existingSecret.name, "platform-redis");
        assert.deepStrictEqual(s.values.existingSecret.redisPasswordKey, "token");
        assert.strictEqual(s.ofType("kubernetes:core/v1:Secret").length, 0);
        assert.strictEqual(s.ofType("random:index/randomPassword:RandomPassword").length, 0);
    });

    it("writes the configured token and CA into Secrets (secret outputs) and mounts the CA through the values", async () => {
        const raw = external({ host: "primary.cache.internal", authToken: TOKEN, caCert: CA, egressCidrs: ["10.245.0.0/29"] });
        const s = await buildStack("ext-own", raw);
        const secrets = s.ofType("kubernetes:core/v1:Secret");
        assert.deepStrictEqual(secrets.map((r) => r.inputs.metadata && (r.inputs.metadata as { name: string }).name).sort(),
            ["taskflow-api-redis-auth", "taskflow-api-redis-ca"]);
        for (const secret of secrets) assert.ok(secret.secretPaths.some((p) => p.startsWith("stringData")), `${secret.name}: stringData must be secret`);
        assert.deepStrictEqual(s.values.externalRedis, { host: "primary.cache.internal", port: 6379, tls: true, caSecret: { name: "taskflow-api-redis-ca", key: "ca.crt" } });
        assert.deepStrictEqual(s.values.networkPolicy?.redisEgressTo, [{ ipBlock: { cidr: "10.245.0.0/29" } }]);
        assert.ok(!JSON.stringify(s.values).includes("BEGIN CERTIFICATE"));
        // No AWS side at all: the AWS provider cannot be configured without aws.region.
        assert.strictEqual(s.resources.filter((r) => r.type.startsWith("aws:") || r.type === "pulumi:providers:aws").length, 0);
    });

    it("refuses app.env entries the chart sets itself (review m6)", () => {
        const raw = { ...external({ host: "h", authToken: TOKEN }), "taskflow-api:app": JSON.stringify({ env: { PORT: "9000", REDIS_URL: "redis://x:6379" } }) };
        const got = problems(raw);
        assert.ok(got.some((p) => p.startsWith("taskflow-api:app.env.PORT: is set by the chart")), got.join("\n"));
        assert.ok(got.some((p) => p.startsWith("taskflow-api:app.env.REDIS_URL: is set by the chart")), got.join("\n"));
    });
});
