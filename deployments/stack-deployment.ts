import * as pulumi from "@pulumi/pulumi";
import * as service from "@pulumi/pulumiservice";

import type { Config } from "./config";
import { buildSettings } from "./settings";

export interface StackDeploymentArgs {
    /** Validated config of this project. */
    readonly config: Config;
    /** Stack of the taskflow-api project whose deployments are configured; a key of config.stacks. */
    readonly stack: string;
}

/**
 * Pulumi Deployments for one taskflow-api stack: its settings and, when configured, a drift
 * detection schedule.
 */
export class StackDeployment extends pulumi.ComponentResource {
    public readonly settings: service.DeploymentSettings;
    public readonly driftSchedule?: service.DriftSchedule;
    /** `org/project/stack` of the configured stack. */
    public readonly stackId: pulumi.Output<string>;

    constructor(name: string, args: StackDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("taskflow:deployments:StackDeployment", name, {}, opts);
        const settingsArgs = buildSettings(args.config, args.stack);
        const { organization, project, stack } = settingsArgs;

        this.settings = new service.DeploymentSettings(`${name}-settings`, {
            ...settingsArgs,
            vcs: { ...settingsArgs.vcs, paths: [...settingsArgs.vcs.paths] },
        }, { parent: this });

        const drift = args.config.stacks[args.stack]?.driftDetection;
        if (drift !== undefined) {
            this.driftSchedule = new service.DriftSchedule(`${name}-drift`, {
                organization,
                project,
                stack,
                scheduleCron: drift.schedule,
                // Remediation would be an unreviewed `pulumi up` of the last deployed commit: on
                // production that bypasses the approval gate. Drift is reported, people decide.
                autoRemediate: false,
            }, { parent: this, dependsOn: [this.settings] });
        }

        this.stackId = pulumi.output(`${organization}/${project}/${stack}`);
        this.registerOutputs({ stackId: this.stackId });
    }
}
