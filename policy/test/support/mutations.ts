// Small, explicit edits of a snapshot: each mutation test breaks exactly one property of what the
// real program registered.
import { one, SnapshotResource } from "./harness";

/** Type tokens the mutations touch. */
export const R = {
    replicationGroup: "aws:elasticache/replicationGroup:ReplicationGroup",
    ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    release: "kubernetes:helm.sh/v3:Release",
    secret: "kubernetes:core/v1:Secret",
    namespace: "kubernetes:core/v1:Namespace",
    awsProvider: "pulumi:providers:aws",
} as const;

/** The inputs of the single resource of a type. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function propsOf(snapshot: SnapshotResource[], type: string): Record<string, any> {
    return one(snapshot, type).props;
}

/** Edits a JSON-text input (a policy document, the provider's defaultTags) in place. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function editJson(snapshot: SnapshotResource[], type: string, key: string, edit: (doc: any) => void): void {
    const props = propsOf(snapshot, type);
    const doc = JSON.parse(props[key]);
    edit(doc);
    props[key] = JSON.stringify(doc);
}

/** The issuer's condition keys of the (single-statement) IRSA trust. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function trustCondition(doc: any): Record<string, Record<string, string>> {
    return doc.Statement[0].Condition;
}

/** The condition key ending in `suffix` (`:sub` or `:aud`) in StringEquals. */
export function conditionKey(snapshot: SnapshotResource[], suffix: string): string {
    const doc = JSON.parse(propsOf(snapshot, R.role).assumeRolePolicy);
    const key = Object.keys(trustCondition(doc).StringEquals).find((k) => k.endsWith(suffix));
    if (key === undefined) throw new Error(`no StringEquals key ending in ${suffix}`);
    return key;
}
