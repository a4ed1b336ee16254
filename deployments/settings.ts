// The Pulumi Deployments settings of one stack, from this project's config. A pure function over
// plain values so it is tested without Pulumi; stack-deployment.ts passes the result to
// pulumiservice.DeploymentSettings unchanged.
import type { Config } from "./config";

/** The subset of pulumiservice.DeploymentSettingsArgs this project sets, as plain values. */
export interface SettingsArgs {
    readonly organization: string;
    readonly project: string;
    readonly stack: string;
    readonly executorContext: { readonly executorImage: string };
    readonly sourceContext: { readonly git: { readonly branch: string } };
    readonly vcs: {
        readonly provider: "github";
        readonly repository: string;
        readonly paths: string[];
        readonly deployCommits: boolean;
        readonly previewPullRequests: boolean;
        readonly pullRequestTemplate: boolean;
    };
    readonly operationContext: {
        readonly preRunCommands: string[];
        readonly environmentVariables: Record<string, string>;
        readonly options: { readonly skipInstallDependencies: boolean; readonly skipIntermediateDeployments: boolean };
        readonly oidc: { readonly aws: { readonly roleARN: string; readonly sessionName: string; readonly duration: string } };
    };
    readonly cacheOptions: { readonly enable: boolean };
}

/**
 * How long a deployment's AWS session lasts: the default maximum of an IAM role, as in the
 * GitHub workflows. Raise both (and the role's MaxSessionDuration) if an `up` ever outlives it.
 */
export const AWS_SESSION_DURATION = "1h";

/**
 * Deployment settings of `stack`, which must be a key of `config.stacks`.
 *
 * Every boolean is written out: the provider defaults `deployCommits` and `previewPullRequests`
 * to true, so leaving one unset would turn push-to-deploy on.
 */
export function buildSettings(config: Config, stack: string): SettingsArgs {
    const s = config.stacks[stack];
    if (s === undefined) throw new Error(`buildSettings: stack "${stack}" is not configured`);
    return {
        organization: config.organization,
        project: config.project,
        stack,
        executorContext: { executorImage: config.executor.image },
        sourceContext: { git: { branch: `refs/heads/${config.source.branch}` } },
        vcs: {
            provider: "github",
            repository: config.source.repository,
            // A change to another stack's file must not deploy this one.
            paths: [...config.source.paths, `Pulumi.${stack}.yaml`],
            deployCommits: s.pushToDeploy,
            previewPullRequests: s.previewPullRequests,
            // No review stacks: a stack per pull request would need its own ElastiCache and IAM.
            pullRequestTemplate: false,
        },
        operationContext: {
            // Last: the cluster's credentials, exactly as the workflows get them (review B2).
            preRunCommands: [...config.executor.preRunCommands, `bash scripts/ci-kubeconfig.sh ${stack}`],
            environmentVariables: {
                ...config.executor.environmentVariables,
                ...s.environmentVariables,
                ...(s.eksCluster ? { EKS_CLUSTER_NAME: s.eksCluster.name, AWS_REGION: s.eksCluster.region } : {}),
            },
            options: {
                // `npm ci` from the lock file runs in preRunCommands (before `helm dependency
                // build`); the default install would run `npm install` a second time.
                skipInstallDependencies: true,
                // Several merges in a row deploy once, from the newest commit.
                skipIntermediateDeployments: true,
            },
            oidc: {
                aws: {
                    roleARN: s.awsRoleArn,
                    sessionName: `${config.project}-${stack}-deployment`.slice(0, 64),
                    duration: AWS_SESSION_DURATION,
                },
            },
        },
        cacheOptions: { enable: config.executor.cacheDependencies },
    };
}
