// A factory per stack: read Pulumi.<stack>.yaml, validate it, build the stack under the mocks
// and wait for every registration. Tests call this instead of re-importing index.ts.
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

import { createStack, StackOutputs } from "../../components/stack";
import { ChartValues } from "../../components/chart-values";
import { parseConfig, rawConfigFromStackFile } from "../../config";
import { promiseOf, recorded, RecordedResource, resetRecorded, settle } from "./mocks";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
export const STACKS = ["dev", "staging", "prod"] as const;

/** Raw config of Pulumi.<stack>.yaml, as Pulumi would hand it to the program. */
export function stackRawConfig(stack: string): Record<string, string> {
    const file = path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`);
    return rawConfigFromStackFile(yaml.load(fs.readFileSync(file, "utf8")));
}

export interface BuiltStack {
    readonly outputs: StackOutputs;
    readonly values: ChartValues;
    readonly resources: RecordedResource[];
    /** Resources of one type token. */
    ofType(type: string): RecordedResource[];
    /** The single resource of a type; fails when there is none or more than one. */
    one(type: string): RecordedResource;
}

/** Validates raw config and builds the stack, the way index.ts does. */
export function runProgram(raw: Record<string, string>, stack: string): StackOutputs {
    return createStack(parseConfig(raw), { stack, projectRoot: PROJECT_ROOT });
}

const fromStackFile = new Map<string, Promise<BuiltStack>>();

/**
 * Builds a stack from raw config and records what it registers. Without `raw` it builds
 * Pulumi.<stack>.yaml, once per test run: the result is immutable, so test files share it.
 */
export function buildStack(stack: string, raw?: Record<string, string>): Promise<BuiltStack> {
    if (raw !== undefined) return build(stack, raw);
    let built = fromStackFile.get(stack);
    if (built === undefined) {
        built = build(stack, stackRawConfig(stack));
        fromStackFile.set(stack, built);
    }
    return built;
}

async function build(stack: string, raw: Record<string, string>): Promise<BuiltStack> {
    await settle();
    resetRecorded();
    const outputs = runProgram(raw, stack);
    const values = (await promiseOf(outputs.values)) as ChartValues;
    await settle();
    const resources = [...recorded];
    const ofType = (type: string) => resources.filter((r) => r.type === type);
    return {
        outputs,
        values,
        resources,
        ofType,
        one(type) {
            const found = ofType(type);
            if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
            return found[0];
        },
    };
}

/** Resource type tokens used in assertions. */
export const T = {
    replicationGroup: "aws:elasticache/replicationGroup:ReplicationGroup",
    subnetGroup: "aws:elasticache/subnetGroup:SubnetGroup",
    parameterGroup: "aws:elasticache/parameterGroup:ParameterGroup",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egressRule: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    metricAlarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    topic: "aws:sns/topic:Topic",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    rolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    password: "random:index/randomPassword:RandomPassword",
    namespace: "kubernetes:core/v1:Namespace",
    secret: "kubernetes:core/v1:Secret",
    release: "kubernetes:helm.sh/v3:Release",
    stackReference: "pulumi:pulumi:StackReference",
    awsProvider: "pulumi:providers:aws",
    k8sProvider: "pulumi:providers:kubernetes",
} as const;
