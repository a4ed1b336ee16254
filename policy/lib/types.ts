// Type tokens and the slices of resource properties the policies read. The pack deliberately does
// not depend on @pulumi/aws or @pulumi/kubernetes: policies see plain JSON from the engine, and
// these few readonly shapes keep the pack small and fast to load at every preview.

/** Pulumi type tokens of the resources the policies inspect. */
export const T = {
    replicationGroup: "aws:elasticache/replicationGroup:ReplicationGroup",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    policy: "aws:iam/policy:Policy",
    userPolicy: "aws:iam/userPolicy:UserPolicy",
    groupPolicy: "aws:iam/groupPolicy:GroupPolicy",
    release: "kubernetes:helm.sh/v3:Release",
    secret: "kubernetes:core/v1:Secret",
    namespace: "kubernetes:core/v1:Namespace",
} as const;

export interface ReplicationGroupProps {
    readonly snapshotRetentionLimit?: number;
    readonly autoMinorVersionUpgrade?: boolean | string;
    readonly automaticFailoverEnabled?: boolean;
    readonly multiAzEnabled?: boolean;
    readonly numCacheClusters?: number;
    readonly numNodeGroups?: number;
    readonly replicasPerNodeGroup?: number;
    readonly atRestEncryptionEnabled?: boolean;
    readonly transitEncryptionEnabled?: boolean;
    readonly transitEncryptionMode?: string;
    readonly authToken?: string;
    readonly userGroupIds?: readonly string[];
    readonly subnetGroupName?: string;
    readonly securityGroupIds?: readonly string[];
    readonly port?: number;
    readonly finalSnapshotIdentifier?: string;
}

/** An inline rule of aws.ec2.SecurityGroup (`ingress` / `egress`). */
export interface InlineSecurityGroupRule {
    readonly cidrBlocks?: readonly string[];
    readonly ipv6CidrBlocks?: readonly string[];
    readonly prefixListIds?: readonly string[];
    readonly securityGroups?: readonly string[];
    readonly self?: boolean;
    readonly protocol?: string;
    readonly fromPort?: number;
    readonly toPort?: number;
}

export interface SecurityGroupProps {
    readonly ingress?: readonly InlineSecurityGroupRule[];
}

/** aws.vpc.SecurityGroupIngressRule: one source per rule. */
export interface IngressRuleProps {
    readonly securityGroupId?: string;
    readonly cidrIpv4?: string;
    readonly cidrIpv6?: string;
    readonly prefixListId?: string;
    readonly referencedSecurityGroupId?: string;
    readonly ipProtocol?: string;
    readonly fromPort?: number;
    readonly toPort?: number;
}

/** aws.ec2.SecurityGroupRule (the older standalone rule, ingress or egress). */
export interface SecurityGroupRuleProps {
    readonly type?: string;
    readonly securityGroupId?: string;
    readonly cidrBlocks?: readonly string[];
    readonly ipv6CidrBlocks?: readonly string[];
    readonly prefixListIds?: readonly string[];
    readonly sourceSecurityGroupId?: string;
    readonly self?: boolean;
    readonly protocol?: string;
    readonly fromPort?: number;
    readonly toPort?: number;
}

export interface RoleProps {
    /** JSON text (what the TypeScript SDK sends) or an already parsed document. */
    readonly assumeRolePolicy?: unknown;
    readonly inlinePolicies?: readonly { readonly name?: string; readonly policy?: unknown }[];
}

export interface PolicyDocumentHolder {
    readonly policy?: unknown;
}

export interface ReleaseProps {
    readonly chart?: string;
    readonly repositoryOpts?: { readonly repo?: string };
    readonly namespace?: string;
    readonly values?: Record<string, unknown>;
    readonly atomic?: boolean;
    readonly cleanupOnFail?: boolean;
    readonly skipAwait?: boolean;
    readonly timeout?: number;
    readonly maxHistory?: number;
}

export interface ObjectMeta {
    readonly name?: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
}

export interface NamespaceProps {
    readonly metadata?: ObjectMeta;
}

export interface TaggedProps {
    readonly tags?: Readonly<Record<string, string>>;
    readonly tagsAll?: Readonly<Record<string, string>>;
}
