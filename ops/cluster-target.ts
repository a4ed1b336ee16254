// Where a stack's Kubernetes objects live, and where the credentials to reach them come from:
// one answer for every path that touches a cluster (the deploy workflow, Pulumi Deployments,
// drift, diff, heal, npm start), so none of them falls back to whatever kube context happens to
// be current (review B2, M7, m17).
//
//   npx ts-node --transpile-only ops/cluster-target.ts --stack prod     # one line of JSON
//
// The program's own rule (components/cluster-facts.ts): `cluster.kubeconfig` (a secret in the
// stack config) or `cluster.stackReference` (the cluster stack's `kubeconfig` output) carry the
// credentials with the stack; otherwise the Kubernetes provider reads the ambient kubeconfig, at
// `cluster.context` if set. An ambient kubeconfig on a fresh runner is whatever a step wrote
// there, so those stacks need a credential step: `scripts/ci-kubeconfig.sh`.
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

import { parseConfig, rawConfigFromStackFile } from "../config";

export const ROOT = path.resolve(__dirname, "..");

export type CredentialSource =
    /** `cluster.kubeconfig` in the stack config: nothing ambient is read. */
    | "stack-kubeconfig"
    /** `cluster.stackReference`: the kubeconfig is the cluster stack's output. */
    | "stack-reference"
    /** The ambient kubeconfig, at `context` (or at its current context when unset). */
    | "ambient";

export interface ClusterTarget {
    readonly stack: string;
    readonly credentials: CredentialSource;
    /** `cluster.context`, when set. */
    readonly context?: string;
    /** Kubernetes version the offline render targets (`cluster.kubernetesVersion`), when set. */
    readonly kubernetesVersion?: string;
    /** With "stack-reference": the cluster stack and its kubeconfig output's name. */
    readonly stackReference?: { readonly stack: string; readonly kubeconfigOutput: string };
}

/** The raw `taskflow-api:cluster` section of a stack file (parsed config validates it too). */
function clusterSection(stack: string, root = ROOT): Record<string, unknown> {
    const file = path.join(root, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) throw new Error(`no stack file Pulumi.${stack}.yaml`);
    const raw = rawConfigFromStackFile(yaml.load(fs.readFileSync(file, "utf8")));
    parseConfig(raw); // a stack that does not validate reaches no cluster
    const section = raw["taskflow-api:cluster"];
    return section ? (JSON.parse(section) as Record<string, unknown>) : {};
}

/** How `stack` reaches its cluster (see the header). Throws on an invalid stack config. */
export function clusterTarget(stack: string, root = ROOT): ClusterTarget {
    const c = clusterSection(stack, root);
    const credentials: CredentialSource = c.kubeconfig ? "stack-kubeconfig" : c.stackReference ? "stack-reference" : "ambient";
    return {
        stack,
        credentials,
        ...(typeof c.context === "string" ? { context: c.context } : {}),
        ...(typeof c.kubernetesVersion === "string" ? { kubernetesVersion: c.kubernetesVersion } : {}),
        ...(credentials === "stack-reference" ? {
            stackReference: {
                stack: String(c.stackReference),
                kubeconfigOutput: String((c.outputNames as Record<string, unknown> | undefined)?.kubeconfig ?? "kubeconfig"),
            },
        } : {}),
    };
}

/**
 * The kube context an operator command (drift, heal) must use for `stack`: the flag, else the
 * stack's `cluster.context`, else the local cluster's kubeconfig when that is what the caller
 * uses. Anything else is an error: the current context is never taken silently (m17).
 */
export function operatorContext(target: ClusterTarget, flag: string | undefined, usingLocalKubeconfig: boolean, kubeconfigFromStack = false): string | undefined {
    if (flag) return flag;
    if (target.context) return target.context;
    if (usingLocalKubeconfig) return undefined; // the local cluster's kubeconfig has one context
    if (kubeconfigFromStack) return undefined; // the cluster stack's own kubeconfig, as the program reads it
    const why = target.credentials === "ambient" ? "has no cluster.context" : `reaches its cluster through ${target.credentials === "stack-reference" ? "cluster.stackReference" : "cluster.kubeconfig"}`;
    throw new Error(`stack ${target.stack} ${why}: name the cluster with --context NAME (the current context is never used silently)`);
}

if (require.main === module) {
    const i = process.argv.indexOf("--stack");
    const stack = i > 0 ? process.argv[i + 1] : undefined;
    if (!stack) {
        console.error("usage: ops/cluster-target.ts --stack <name>");
        process.exit(2);
    }
    try {
        console.log(JSON.stringify(clusterTarget(stack)));
    } catch (e) {
        console.error(`cluster-target: ${(e as Error).message}`);
        process.exit(2);
    }
}
