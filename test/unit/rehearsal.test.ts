// The rehearsal stack must stay prod's release, not drift from it silently: the resources both
// stacks register (types and lookups, AWS resources aside) and their Helm values (what `npm run
// plan` writes) may differ only at the named entries below, each for a stated reason. A new prod
// object, lookup or setting that the rehearsal lacks, or a rehearsal tweak, fails here.
import * as assert from "assert";

import { parseConfig, SECURE_PLACEHOLDER } from "../../config";
import { RecordedResource } from "../support/mocks";
import { buildStack, stackRawConfig } from "../support/stacks";

/** Value paths (dot-separated, prefix match) allowed to differ, with the reason. */
export const REHEARSAL_ALLOWED_DIFFERENCES: Readonly<Record<string, string>> = {
    "image.repository": "the locally built reference image; prod pulls from ECR",
    "resources": "scaled to a 2-core machine; the HPA's target is a percentage of the request, so it is prod's",
    "ingress.hosts": "a local name; prod's is its DNS name (no controller here: the Ingress is an object only)",
    "ingress.annotations.alb.ingress.kubernetes.io/certificate-arn": "no ACM certificate on the local cluster",
    "externalRedis.host": "the stand-in's primary endpoint name; prod's is the replication group's",
    "externalRedis.caSecret": "the stand-in's certificate chains to a local CA; ElastiCache's to a public one",
    "networkPolicy.redisEgressTo": "the stand-in's node CIDR; prod's are the cache subnets' CIDRs",
    "serviceAccount.annotations.eks.amazonaws.com/role-arn": "no AWS account, so no IRSA role",
    "autoscaling.behavior.scaleDown.stabilizationWindowSeconds": "30 s, so the e2e sees a scale-down in seconds; prod keeps the 300 s default",
};

/**
 * Resources (`type::name`, lookups marked `get`) allowed in one stack only, with the reason.
 * AWS resources (types `aws:*`, the components `taskflow:aws:*` and their AWS provider) are left
 * out of the comparison as a whole: the rehearsal has no AWS account.
 */
export const REHEARSAL_RESOURCE_DIFFERENCES: Readonly<Record<string, string>> = {
    "random:index/randomPassword:RandomPassword::taskflow-api-redis-auth-token": "prod's ElastiCache AUTH token is generated (in its RedisCache); the rehearsal's is the stand-in's, a secret config value",
    "kubernetes:core/v1:Secret::taskflow-api-redis-ca": "the stand-in's certificate chains to a local CA, mounted from this Secret; ElastiCache's to a public one",
};

const isAws = (r: RecordedResource) => /^(aws:|taskflow:aws:|pulumi:providers:aws$)/.test(r.type);
/** The comparable resource set of a built stack: `type::name`, `get` for a lookup. */
const resourceSet = (rs: readonly RecordedResource[]) => rs.filter((r) => !isAws(r)).map((r) => `${r.type}::${r.name}${r.lookup ? ` get ${r.lookup}` : ""}`).sort();

/** The committed file: its token and CA are secure markers, read offline as placeholders. */
export function rehearsalRawConfig(): Record<string, string> {
    const raw = stackRawConfig("rehearsal");
    const redis = JSON.parse(raw["taskflow-api:redis"]) as Record<string, unknown>;
    assert.deepStrictEqual([redis.authToken, redis.caCert], [SECURE_PLACEHOLDER, SECURE_PLACEHOLDER], "token and CA are secure values, never plain text");
    return raw;
}

/** Every leaf path where a and b differ ("a.b.c"), objects compared key by key. */
function differences(a: unknown, b: unknown, at = ""): string[] {
    const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
    if (isObj(a) && isObj(b)) {
        const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
        return keys.flatMap((k) => differences(a[k], b[k], at ? `${at}.${k}` : k));
    }
    return JSON.stringify(a) === JSON.stringify(b) ? [] : [at];
}

const allowed = (p: string) => Object.keys(REHEARSAL_ALLOWED_DIFFERENCES).some((a) => p === a || p.startsWith(`${a}.`));

describe("rehearsal stack", () => {
    it("is valid config once the stand-in's token and CA are set", () => {
        const cfg = parseConfig(rehearsalRawConfig());
        assert.strictEqual(cfg.redis.mode, "external");
    });

    it("differs from prod's Helm values only on the named allow-list", async () => {
        const prod = await buildStack("prod");
        const rehearsal = await buildStack("rehearsal", rehearsalRawConfig());
        const diff = differences(prod.values, rehearsal.values);
        const unexpected = diff.filter((p) => !allowed(p));
        assert.deepStrictEqual(unexpected, [], `rehearsal differs from prod outside the allow-list:\n${unexpected
            .map((p) => `  ${p}: prod ${JSON.stringify(get(prod.values, p))}, rehearsal ${JSON.stringify(get(rehearsal.values, p))}`).join("\n")}`);
        // Each allowed entry must still be a real difference: a stale entry would widen the net.
        for (const entry of Object.keys(REHEARSAL_ALLOWED_DIFFERENCES)) {
            assert.ok(diff.some((p) => p === entry || p.startsWith(`${entry}.`)), `allow-list entry ${entry} no longer differs: remove it`);
        }
    });

    it("registers prod's resources and lookups (AWS aside): the Ingress's IngressClass and the metrics API are read as in prod", async () => {
        const prod = resourceSet((await buildStack("prod")).resources);
        const rehearsal = resourceSet((await buildStack("rehearsal", rehearsalRawConfig())).resources);
        const only = (a: string[], b: string[]) => a.filter((x) => !b.includes(x));
        const unexpected = [...only(prod, rehearsal).map((x) => `prod only: ${x}`), ...only(rehearsal, prod).map((x) => `rehearsal only: ${x}`)]
            .filter((x) => !(x.split(": ")[1].replace(/ get .*$/, "") in REHEARSAL_RESOURCE_DIFFERENCES));
        assert.deepStrictEqual(unexpected, [], "the resource sets differ outside the allow-list");
        for (const entry of Object.keys(REHEARSAL_RESOURCE_DIFFERENCES)) {
            assert.ok([...only(prod, rehearsal), ...only(rehearsal, prod)].some((x) => x.startsWith(`${entry}`)), `resource allow-list entry ${entry} no longer differs: remove it`);
        }
        // What the comparison must see, so an empty or AWS-only set cannot pass it.
        for (const lookup of ["kubernetes:networking.k8s.io/v1:IngressClass::taskflow-api-preflight-ingressclass get alb", "kubernetes:apiregistration.k8s.io/v1:APIService::taskflow-api-preflight-metrics-api get v1beta1.metrics.k8s.io"]) {
            assert.ok(rehearsal.includes(lookup), `rehearsal lacks ${lookup}:\n${rehearsal.join("\n")}`);
        }
        assert.ok(rehearsal.some((x) => x.startsWith("kubernetes:helm.sh/v3:Release::")));
    });

    it("renders an Ingress of class alb, as prod does", async () => {
        const v = (await buildStack("rehearsal", rehearsalRawConfig())).values;
        assert.strictEqual(v.ingress?.enabled, true);
        assert.strictEqual(v.ingress?.className, "alb");
    });

    it("runs prod's release settings: HPA 3-12 at 65 %, surge 50 %, PDB, hard zone spread, pre-install migration path", async () => {
        const v = (await buildStack("rehearsal", rehearsalRawConfig())).values;
        assert.deepStrictEqual(v.autoscaling, { enabled: true, minReplicas: 3, maxReplicas: 12, targetCPUUtilizationPercentage: 65, behavior: { scaleDown: { stabilizationWindowSeconds: 30 } } });
        assert.deepStrictEqual(v.rollingUpdate, { maxSurge: "50%" });
        assert.deepStrictEqual(v.podDisruptionBudget, { enabled: true, maxUnavailable: 1, minAvailable: "" });
        assert.strictEqual(v.topologySpread?.whenUnsatisfiable, "DoNotSchedule");
        // redis.enabled false is what makes the chart's migration hook pre-install,pre-upgrade.
        assert.deepStrictEqual(v.redis, { enabled: false });
        assert.strictEqual(v.externalRedis?.tls, true);
    });
});

function get(o: unknown, p: string): unknown {
    return p.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o);
}
