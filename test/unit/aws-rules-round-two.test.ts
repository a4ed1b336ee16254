// AWS rules, second round (outside review 2026-12-03): values prod would accept at preview and
// AWS would refuse at `up`, after other resources exist. Each is refused naming its key; each
// escape hatch lets a real, newer value through.
import * as assert from "assert";

import { ConfigError, parseConfig } from "../../config";
import { stackRawConfig } from "../support/stacks";

type Raw = Record<string, string>;

function prodWith(section: string, value: Record<string, unknown>): Raw {
    const raw = stackRawConfig("prod");
    const key = `taskflow-api:${section}`;
    raw[key] = JSON.stringify({ ...(raw[key] ? JSON.parse(raw[key]) : {}), ...value });
    return raw;
}

function problems(raw: Raw): string[] {
    try {
        parseConfig(raw);
        return [];
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
}

// Each case names the key and the reason (test audit 2026-12-07, finding 4: the Redis 6.x rule could be
// deleted with this suite green, because the version allow-list refused 6.2 under the same key).
const REFUSED: Array<{ what: string; raw: Raw; key: string; reason: RegExp; finding: string }> = [
    { finding: "M6", what: "Redis OSS 6.2 (the component always sends TransitEncryptionMode)", raw: prodWith("redis", { engine: "redis", engineVersion: "6.2" }), key: "redis.engineVersion", reason: /^Redis 6\.x is refused: .*TransitEncryptionMode.*7\.0\.5/ },
    { finding: "m3", what: "a misspelt node type size", raw: prodWith("redis", { nodeType: "cache.r7g.larg" }), key: "redis.nodeType", reason: /cache\.r7g comes in large, .*; got "larg"/ },
    { finding: "m3", what: "a previous-generation node type", raw: prodWith("redis", { nodeType: "cache.m3.medium" }), key: "redis.nodeType", reason: /previous-generation node type/ },
    { finding: "m3", what: "an unknown node type family", raw: prodWith("redis", { nodeType: "cache.x9.large" }), key: "redis.nodeType", reason: /unknown node type family "x9"/ },
    { finding: "m3", what: "a size the family is not sold in (t4g has no large)", raw: prodWith("redis", { nodeType: "cache.t4g.large" }), key: "redis.nodeType", reason: /cache\.t4g comes in micro, small, medium; got "large"/ },
    { finding: "m8", what: "a Valkey version that does not exist", raw: prodWith("redis", { engineVersion: "8.7" }), key: "redis.engineVersion", reason: /for engine valkey \(a newer release .*allowUnlistedEngineVersion/ },
    { finding: "m8", what: "Valkey 7.3", raw: prodWith("redis", { engineVersion: "7.3" }), key: "redis.engineVersion", reason: /for engine valkey \(a newer release .*allowUnlistedEngineVersion/ },
    { finding: "m4", what: "an uppercase image repository", raw: prodWith("app", { image: { repository: "123456789012.dkr.ecr.us-east-1.amazonaws.com/TaskFlow-API", tag: "1.0.0" } }), key: "app.image.repository", reason: /lowercase components.*\(got "123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/TaskFlow-API"\)/ },
    { finding: "m4", what: "a repository with an embedded tag", raw: prodWith("app", { image: { repository: "ghcr.io/example/taskflow-api:1.0.0", tag: "1.0.0" } }), key: "app.image.repository", reason: /no tag or digest.*\(got "ghcr\.io\/example\/taskflow-api:1\.0\.0"\)/ },
    { finding: "m4", what: "a repository with a space", raw: prodWith("app", { image: { repository: "ghcr.io/example/taskflow api" } }), key: "app.image.repository", reason: /expected an image repository.*\(got "ghcr\.io\/example\/taskflow api"\)/ },
    { finding: "m4", what: "a repository with a digest", raw: prodWith("app", { image: { repository: "ghcr.io/example/taskflow-api@sha256:" + "a".repeat(64) } }), key: "app.image.repository", reason: /no tag or digest.*\(got "ghcr\.io\/example\/taskflow-api@sha256:/ },
    { finding: "m5", what: "an annotation key that is not a qualified name", raw: prodWith("app", { ingress: { ...JSON.parse(stackRawConfig("prod")["taskflow-api:app"]).ingress, annotations: { "bad key!": "x" } } }), key: "app.ingress.annotations.bad key!", reason: /Invalid key in record \(got "bad key!"\)/ },
    { finding: "m5", what: "an annotation name segment over 63 characters", raw: prodWith("app", { ingress: { ...JSON.parse(stackRawConfig("prod")["taskflow-api:app"]).ingress, annotations: { [`example.com/${"a".repeat(64)}`]: "x" } } }), key: `app.ingress.annotations.example.com/${"a".repeat(64)}`, reason: /Invalid key in record \(got "example\.com\/a{64}"\)/ },
    { finding: "m5", what: "an IngressClass name that is not a DNS subdomain", raw: prodWith("app", { ingress: { ...JSON.parse(stackRawConfig("prod")["taskflow-api:app"]).ingress, className: "ALB_Class" } }), key: "app.ingress.className", reason: /expected an IngressClass name \(a DNS subdomain/ },
    { finding: "m6", what: "app.env overriding PORT", raw: prodWith("app", { env: { PORT: "9000" } }), key: "app.env.PORT", reason: /is set by the chart \(PORT,/ },
    { finding: "m7", what: "11 managed policies at the default quota", raw: prodWith("serviceAccount", { iam: { managedPolicyArns: Array.from({ length: 11 }, (_, i) => `arn:aws:iam::aws:policy/P${i}`) } }), key: "serviceAccount.iam.managedPolicyArns", reason: /at most 10 managed policies per role.*got 11/ },
];

const ACCEPTED: Array<{ what: string; raw: Raw; finding: string }> = [
    { finding: "m3", what: "every listed size of r7g, t4g and c7gn", raw: prodWith("redis", { nodeType: "cache.c7gn.16xlarge" }) },
    { finding: "m3", what: "a newer node type with redis.allowUnlistedNodeType", raw: prodWith("redis", { nodeType: "cache.r8g.large", allowUnlistedNodeType: true }) },
    { finding: "m8", what: "a newer Valkey with redis.allowUnlistedEngineVersion", raw: prodWith("redis", { engineVersion: "9.1", allowUnlistedEngineVersion: true }) },
    { finding: "m4", what: "a registry with a port and nested paths", raw: prodWith("app", { image: { repository: "registry.example.com:5000/team/taskflow__api-x", tag: "1.0.0" } }) },
    { finding: "m7", what: "TOKEN_TTL_SECONDS and PASSWORD_MIN_LENGTH listed in app.envNotSecret", raw: prodWith("app", { env: { TOKEN_TTL_SECONDS: "3600", PASSWORD_MIN_LENGTH: "12" }, envNotSecret: ["TOKEN_TTL_SECONDS", "PASSWORD_MIN_LENGTH"] }) },
    { finding: "m7", what: "11 managed policies with aws.iamManagedPolicyQuota 20", raw: { ...prodWith("serviceAccount", { iam: { managedPolicyArns: Array.from({ length: 11 }, (_, i) => `arn:aws:iam::aws:policy/P${i}`) } }), "taskflow-api:aws": JSON.stringify({ ...JSON.parse(stackRawConfig("prod")["taskflow-api:aws"]), iamManagedPolicyQuota: 20 }) } },
];

describe("AWS rules, second round", () => {
    for (const r of REFUSED) {
        it(`refuses ${r.what}, naming taskflow-api:${r.key} (review ${r.finding})`, () => {
            const got = problems(r.raw);
            const prefix = `taskflow-api:${r.key}: `;
            assert.ok(got.some((p) => p.startsWith(prefix) && r.reason.test(p.slice(prefix.length))), `expected a problem on ${r.key} matching ${r.reason}, got:\n${got.join("\n")}`);
        });
    }
    for (const a of ACCEPTED) {
        it(`accepts ${a.what} (review ${a.finding})`, () => {
            assert.deepStrictEqual(problems(a.raw), []);
        });
    }
    it("still refuses a secret-looking name that app.envNotSecret does not list (review m7)", () => {
        const got = problems(prodWith("app", { env: { DB_PASSWORD: "x" }, envNotSecret: ["TOKEN_TTL_SECONDS"] }));
        assert.ok(got.some((p) => p.startsWith("taskflow-api:app.env.DB_PASSWORD: looks like a secret")), got.join("\n"));
    });
});
