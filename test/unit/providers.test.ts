import * as assert from "assert";

import * as pulumi from "@pulumi/pulumi";

import { ClusterFacts, clusterFactProblems } from "../../components/cluster-facts";
import { clusterOutputs, PLACEHOLDER_CLUSTER_OUTPUTS } from "../support/mocks";
import { BuiltStack, buildStack, stackRawConfig, T } from "../support/stacks";

describe("providers and cluster facts", () => {
    const stacks: Record<string, BuiltStack> = {};
    before(async () => {
        stacks.staging = await buildStack("staging");
        stacks.prod = await buildStack("prod");
    });

    for (const name of ["staging", "prod"]) {
        it(`${name} creates one explicit AWS provider with the region and the project/stack/managed-by tags`, () => {
            const provider = stacks[name].one(T.awsProvider).inputs;
            assert.strictEqual(provider.region, "us-east-1");
            const tags = JSON.parse(provider.defaultTags).tags;
            assert.deepStrictEqual(
                [tags.project, tags.stack, tags["managed-by"]],
                ["taskflow-api", name, "pulumi"],
            );
        });

        it(`${name} registers every AWS resource through that provider`, () => {
            const aws = stacks[name].resources.filter((r) => r.type.startsWith("aws:"));
            assert.ok(aws.length > 0);
            for (const r of aws) {
                assert.match(String(r.provider), /pulumi:providers:aws::aws::/, `${r.type} ${r.name} uses ${r.provider}`);
            }
        });

        it(`${name} registers the app's Kubernetes resources through the explicit Kubernetes provider`, () => {
            const k8s = stacks[name].resources.filter((r) => r.type.startsWith("kubernetes:"));
            assert.ok(k8s.length >= 2);
            for (const r of k8s) assert.match(String(r.provider), /pulumi:providers:kubernetes::k8s::/);
        });
    }

    it("staging reads the cluster facts from the cluster stack, kubeconfig included", () => {
        const ref = stacks.staging.one(T.stackReference);
        assert.strictEqual(ref.inputs.name, "acme/eks-platform/staging");
        assert.deepStrictEqual(stacks.staging.one(T.subnetGroup).inputs.subnetIds, PLACEHOLDER_CLUSTER_OUTPUTS.privateSubnetIds);
        assert.strictEqual(stacks.staging.one(T.securityGroup).inputs.vpcId, PLACEHOLDER_CLUSTER_OUTPUTS.vpcId);
        const k8s = stacks.staging.one(T.k8sProvider);
        assert.strictEqual(k8s.inputs.kubeconfig, PLACEHOLDER_CLUSTER_OUTPUTS.kubeconfig);
        assert.ok(k8s.secretPaths.includes("kubeconfig"), "kubeconfig must stay secret");
    });

    it("prod takes the cluster facts from its own config and selects the configured kube context", () => {
        assert.deepStrictEqual(stacks.prod.ofType(T.stackReference), []);
        assert.strictEqual(stacks.prod.one(T.securityGroup).inputs.vpcId, "vpc-0123456789abcdef0");
        const k8s = stacks.prod.one(T.k8sProvider).inputs;
        assert.strictEqual(k8s.kubeconfig, undefined);
        assert.strictEqual(k8s.context, "arn:aws:eks:us-east-1:123456789012:cluster/taskflow-prod");
    });

    it("a kubeconfig from stack config reaches the provider as a secret", async () => {
        const raw = stackRawConfig("dev");
        raw["taskflow-api:cluster.kubeconfig"] = "apiVersion: v1\nkind: Config\n";
        const built = await buildStack("dev", raw);
        const k8s = built.one(T.k8sProvider);
        assert.strictEqual(k8s.inputs.kubeconfig, "apiVersion: v1\nkind: Config\n");
        assert.ok(k8s.secretPaths.includes("kubeconfig"));
    });

    describe("values read from the cluster stack are checked when they resolve", () => {
        afterEach(() => {
            clusterOutputs.current = PLACEHOLDER_CLUSTER_OUTPUTS;
        });

        /** The error an Output fails with (internal `promise()`, stable across SDK versions). */
        const failureOf = (output: pulumi.Output<unknown>) =>
            (output as unknown as { promise(): Promise<unknown> }).promise().then(() => undefined, (e: Error) => e.message);

        const require = (fact: "privateSubnetIds" | "vpcId" | "nodeSecurityGroupId", minItems?: number) =>
            new ClusterFacts({ stackReference: "acme/eks-platform/qa" }).require(fact, { minItems });

        it("one subnet from the cluster stack fails a multi-AZ group, naming the key and the output", async () => {
            clusterOutputs.current = { ...PLACEHOLDER_CLUSTER_OUTPUTS, privateSubnetIds: ["subnet-0fedcba9876543210"] };
            const message = await failureOf(require("privateSubnetIds", 2));
            assert.match(String(message), /taskflow-api:cluster\.privateSubnetIds \(output "privateSubnetIds" of cluster stack acme\/eks-platform\/qa\): list subnets in at least 2 availability zones/);
            assert.strictEqual(await failureOf(require("privateSubnetIds", 1)), undefined, "a single-AZ group takes one subnet");
        });

        it("a comma-separated string instead of a list of subnets fails", async () => {
            clusterOutputs.current = { ...PLACEHOLDER_CLUSTER_OUTPUTS, privateSubnetIds: "subnet-0fedcba9876543210,subnet-0fedcba9876543211" };
            assert.match(String(await failureOf(require("privateSubnetIds"))), /taskflow-api:cluster\.privateSubnetIds .*expected array/i);
        });

        it("IDs that are not AWS IDs fail with the config's own message", async () => {
            clusterOutputs.current = { ...PLACEHOLDER_CLUSTER_OUTPUTS, vpcId: "prod-vpc", nodeSecurityGroupId: "sg-XYZ" };
            assert.match(String(await failureOf(require("vpcId"))), /taskflow-api:cluster\.vpcId .*expected a VPC id \(vpc-\.\.\.\) \(got "prod-vpc"\)/);
            assert.match(String(await failureOf(require("nodeSecurityGroupId"))), /expected a security group id/);
        });

        it("the placeholder outputs pass", () => {
            for (const [fact, value] of Object.entries(PLACEHOLDER_CLUSTER_OUTPUTS)) {
                assert.deepStrictEqual(clusterFactProblems(fact as "vpcId", value), [], fact);
            }
        });
    });

    it("stack output names can be remapped", async () => {
        const raw = stackRawConfig("staging");
        const cluster = JSON.parse(raw["taskflow-api:cluster"]);
        cluster.outputNames = { vpcId: "vpcId" };
        raw["taskflow-api:cluster"] = JSON.stringify(cluster);
        const built = await buildStack("staging", raw);
        assert.strictEqual(built.one(T.securityGroup).inputs.vpcId, PLACEHOLDER_CLUSTER_OUTPUTS.vpcId);
    });
});
