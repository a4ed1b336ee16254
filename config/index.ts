// The stack configuration of taskflow-api: one typed model, validated once at startup.
//
// Every environment runs the same program; stacks differ only by the values below. A value the
// program does not know is an error, not a silent no-op: a typo such as `redis.numNode` would
// otherwise deploy a single-node cache to production. All problems are collected and reported
// together, each naming its `taskflow-api:` key, before any resource is registered.
//
// One exported entry point, parseConfig; the parts live by concern:
// Imports run one way, never in a circle (test/unit/config-imports.test.ts):
//   scalars, constants, names, aws-limits, chart-defaults  (leaves)
//     <- schema/ <- model.ts <- alb.ts <- rules.ts <- index.ts;  errors.ts <- schema/
//   schema/       one schema per section (namespace and release, app, serviceAccount, redis,
//                 cluster, aws)
//   aws-limits.ts what AWS and the provider accept, each with its source
//   rules.ts      cross-field rules
//   alb.ts        the AWS Load Balancer Controller's annotations and namespace label
//   chart-defaults.ts  the chart defaults the rules assume when a stack leaves a key unset
//   model.ts      the validated model and its defaults
//   errors.ts     one line per problem, naming the key
//   raw.ts        Pulumi's raw config to an object tree
import { NAMESPACE_PREFIX } from "./constants";
import { ConfigError, describeIssue } from "./errors";
import { type Config, withDefaults } from "./model";
import { decode, setPath } from "./raw";
import { crossFieldRules } from "./rules";
import { rootObject } from "./schema";

export { PROJECT } from "./constants";
export { albIpTargets, READINESS_GATE_LABEL, TARGET_GROUP_ATTRIBUTES } from "./alb";
export { CHART_DEFAULTS, DEFAULT_DRAIN_SECONDS } from "./chart-defaults";
export { ENGINE_VERSIONS } from "./aws-limits";
export { ConfigError, configKey } from "./errors";
export { engineFamily } from "./model";
export type { AppConfig, ClusterConfig, ClusterFact, Config, ElastiCacheRedis, ExternalRedis, InClusterRedis, PolicyStatement, RedisEngine } from "./model";
export { rawConfigFromStackFile, SECURE_PLACEHOLDER } from "./raw";
export { parseQuantity } from "./scalars";

// The parser: the sections' schemas, then the rules that read more than one field, then the
// defaults. Cross-field rules run even when a field failed its own check (`when`), so one run
// reports every problem; each rule therefore only reads fields that parsed to the right type.
const rootSchema = rootObject.superRefine((c, ctx) => crossFieldRules(c, ctx), { when: () => true }).transform(withDefaults);

/**
 * Validates the raw configuration of a stack and returns the typed model, or throws one
 * ConfigError listing every problem.
 *
 * @param raw Config as Pulumi hands it to the program (`pulumi.runtime.allConfig()`): every key
 *   namespaced (`taskflow-api:redis`), every value a string, structured values as JSON. Keys of
 *   other namespaces (`aws:`, `kubernetes:`) are ignored. Dotted keys (`taskflow-api:redis.mode`,
 *   what `pulumi config set` without `--path` writes) are merged into their object.
 */
export function parseConfig(raw: Record<string, string>): Config {
    const problems: string[] = [];
    const tree: Record<string, unknown> = {};
    for (const key of Object.keys(raw).sort()) {
        if (!key.startsWith(NAMESPACE_PREFIX)) continue;
        const name = key.slice(NAMESPACE_PREFIX.length);
        const value = decode(raw[key]);
        if (value instanceof Error) {
            problems.push(`${key}: ${value.message}`);
            continue;
        }
        if (!setPath(tree, name.split("."), value)) {
            problems.push(`${key}: conflicts with another value for the same key`);
        }
    }
    const result = rootSchema.safeParse(tree, { reportInput: true });
    if (result.success && problems.length === 0) return result.data;
    for (const issue of result.error?.issues ?? []) problems.push(...describeIssue(issue));
    throw new ConfigError(problems);
}
