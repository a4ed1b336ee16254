import * as assert from "assert";

import { irsaTrustPolicy } from "../../components/service-account-role";
import { PLACEHOLDER_ACCOUNT, PLACEHOLDER_CLUSTER_OUTPUTS, PLACEHOLDER_ISSUER, promiseOf } from "../support/mocks";
import { BuiltStack, buildStack, stackRawConfig, T } from "../support/stacks";

describe("IRSA role of the app's ServiceAccount", () => {
    const stacks: Record<string, BuiltStack> = {};
    before(async () => {
        stacks.staging = await buildStack("staging");
        stacks.prod = await buildStack("prod");
    });

    const expected: Record<string, { ns: string; providerArn: string }> = {
        staging: { ns: "taskflow-staging", providerArn: PLACEHOLDER_CLUSTER_OUTPUTS.oidcProviderArn },
        prod: { ns: "taskflow-prod", providerArn: `arn:aws:iam::${PLACEHOLDER_ACCOUNT}:oidc-provider/${PLACEHOLDER_ISSUER}` },
    };

    for (const name of ["staging", "prod"]) {
        it(`${name} role trusts exactly its ServiceAccount (sub) and the STS audience (aud) of the cluster's OIDC provider`, () => {
            const policy = JSON.parse(stacks[name].one(T.role).inputs.assumeRolePolicy);
            assert.deepStrictEqual(policy.Statement, [{
                Effect: "Allow",
                Principal: { Federated: expected[name].providerArn },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: {
                        [`${PLACEHOLDER_ISSUER}:sub`]: `system:serviceaccount:${expected[name].ns}:taskflow-api`,
                        [`${PLACEHOLDER_ISSUER}:aud`]: "sts.amazonaws.com",
                    },
                },
            }]);
            assert.ok(!JSON.stringify(policy).includes("*"), "no wildcard in the trust policy");
        });

        it(`${name} role gets its inline policy statements from config`, () => {
            const inline = JSON.parse(stacks[name].one(T.rolePolicy).inputs.policy);
            assert.strictEqual(inline.Statement[0].Sid, "AttachmentsReadWrite");
            assert.deepStrictEqual(inline.Statement[0].Action, ["s3:GetObject", "s3:PutObject"]);
        });

        it(`${name} ServiceAccount is annotated with the role ARN`, async () => {
            const arn = await promiseOf(stacks[name].outputs.roleArn);
            assert.match(String(arn), /^arn:aws:iam::\d{12}:role\//);
            assert.strictEqual(stacks[name].values.serviceAccount.annotations["eks.amazonaws.com/role-arn"], arn);
            assert.strictEqual(stacks[name].values.serviceAccount.name, "taskflow-api");
        });
    }

    it("prod attaches its managed policies", () => {
        const attachments = stacks.prod.ofType(T.rolePolicyAttachment);
        assert.deepStrictEqual(attachments.map((a) => a.inputs.policyArn), ["arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"]);
    });

    it("derives the condition keys' issuer from the OIDC provider ARN it trusts", () => {
        const policy = JSON.parse(irsaTrustPolicy("arn:aws:iam::111122223333:oidc-provider/oidc.example.com/id/ABC", "ns", "sa"));
        assert.deepStrictEqual(Object.keys(policy.Statement[0].Condition.StringEquals), ["oidc.example.com/id/ABC:sub", "oidc.example.com/id/ABC:aud"]);
        assert.throws(() => irsaTrustPolicy("arn:aws:iam::111122223333:role/not-a-provider", "ns", "sa"), /not an IAM OIDC provider ARN/);
    });

    it("sets a permissions boundary and a path on the role when the config asks for them", async () => {
        const raw = stackRawConfig("staging");
        const sa = JSON.parse(raw["taskflow-api:serviceAccount"]);
        sa.iam.permissionsBoundaryArn = "arn:aws:iam::123456789012:policy/ci-boundary";
        sa.iam.path = "/workloads/";
        raw["taskflow-api:serviceAccount"] = JSON.stringify(sa);
        const role = (await buildStack("staging", raw)).one(T.role).inputs;
        assert.deepStrictEqual([role.permissionsBoundary, role.path], ["arn:aws:iam::123456789012:policy/ci-boundary", "/workloads/"]);
        assert.deepStrictEqual([stacks.staging.one(T.role).inputs.permissionsBoundary, stacks.staging.one(T.role).inputs.path], [undefined, undefined]);
    });
});
