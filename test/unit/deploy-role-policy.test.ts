// The deploy role's least-privilege policy (iam/deploy-role-policy.json) must grant what `up` and
// a teardown call for every AWS resource type the stacks register: a type added to the program
// without its permissions fails here, not with AccessDenied half-way through a prod `up`.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

import { policySize } from "../../config/aws-limits";
import { policyProblems } from "../support/provider-rules";
import { buildStack, PROJECT_ROOT } from "../support/stacks";

const POLICY = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "iam/deploy-role-policy.json"), "utf8"));

/** API calls the provider makes to create, update, read and delete each type (its CRUD code). */
const NEEDS: Record<string, string[]> = {
    "aws:elasticache/replicationGroup:ReplicationGroup": [
        "elasticache:CreateReplicationGroup", "elasticache:ModifyReplicationGroup", "elasticache:DeleteReplicationGroup",
        "elasticache:DescribeReplicationGroups", "elasticache:DescribeCacheClusters", "elasticache:CreateSnapshot",
        "elasticache:AddTagsToResource", "elasticache:ListTagsForResource", "iam:CreateServiceLinkedRole",
        // Log delivery to CloudWatch Logs (ElastiCache "Logging destinations").
        "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
    ],
    "aws:elasticache/subnetGroup:SubnetGroup": ["elasticache:CreateCacheSubnetGroup", "elasticache:ModifyCacheSubnetGroup", "elasticache:DeleteCacheSubnetGroup", "elasticache:DescribeCacheSubnetGroups"],
    "aws:ec2/securityGroup:SecurityGroup": ["ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup", "ec2:DescribeSecurityGroups", "ec2:RevokeSecurityGroupEgress", "ec2:CreateTags"],
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DescribeSecurityGroupRules", "ec2:ModifySecurityGroupRules"],
    "aws:cloudwatch/logGroup:LogGroup": ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:DescribeLogGroups", "logs:PutRetentionPolicy", "logs:TagResource"],
    "aws:cloudwatch/metricAlarm:MetricAlarm": ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:TagResource"],
    "aws:sns/topic:Topic": ["sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:TagResource"],
    "aws:iam/role:Role": ["iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:PutRolePermissionsBoundary"],
    "aws:iam/rolePolicy:RolePolicy": ["iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"],
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ["iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies"],
};

const granted = new Set<string>(
    (POLICY.Statement as Array<{ Effect: string; Action: string | string[] }>)
        .filter((s) => s.Effect === "Allow")
        .flatMap((s) => [s.Action].flat()),
);

describe("the deploy role's policy (iam/deploy-role-policy.json)", () => {
    it("is a valid IAM policy within the managed-policy size of 6,144 characters", () => {
        assert.deepStrictEqual(policyProblems(POLICY, "permissions"), []);
        assert.ok(policySize(POLICY) <= 6144, `${policySize(POLICY)} characters`);
    });

    it("grants no wildcard action", () => {
        assert.deepStrictEqual([...granted].filter((a) => a.includes("*")), []);
    });

    for (const stack of ["staging", "prod"]) {
        it(`grants every call ${stack}'s AWS resource types need`, async () => {
            const types = new Set((await buildStack(stack)).resources.map((r) => r.type).filter((t) => t.startsWith("aws:")));
            const unknown = [...types].filter((t) => NEEDS[t] === undefined);
            assert.deepStrictEqual(unknown, [], "a resource type without its list of calls: add it to NEEDS and to the policy");
            const missing = [...types].flatMap((t) => NEEDS[t].filter((a) => !granted.has(a)).map((a) => `${t}: ${a}`));
            assert.deepStrictEqual(missing, []);
        });
    }
});
