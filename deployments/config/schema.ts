// The shape of this project's stack config (Pulumi.<stack>.yaml): one zod schema per section.
// Objects are strict: a key the program does not know is an error, so a typo such as
// `pushToDeploi: false` can never leave production deploying on every push.
import { z } from "zod";

// Pulumi hands top-level and `pulumi config set` values over as strings ("true"), structured
// YAML values typed; booleans accept both spellings.
const bool = () =>
    z.preprocess(
        (v) => (v === "true" ? true : v === "false" ? false : v),
        z.boolean({ error: "expected a boolean (true or false)" }),
    );

const text = (what: string, pattern: RegExp) =>
    z.string({ error: `expected ${what}` }).regex(pattern, `expected ${what}`);

/** Pulumi organization, project and stack names share this grammar. */
const pulumiName = text("a Pulumi name: letters, digits, '-', '_' and '.'", /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/);

const envVarName = text("an environment variable name", /^[A-Za-z_][A-Za-z0-9_]*$/);

/** Non-secret environment variables of a deployment (see rules.ts for why never secrets). */
export const environmentVariablesSchema = z.record(envVarName, z.string({ error: "expected a string value (quote numbers and booleans)" }));

const sourceSchema = z.strictObject({
    /** GitHub repository as owner/name; the Pulumi GitHub app must be installed on it. */
    repository: text("a GitHub repository as owner/name", /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/),
    /** Branch deployments run from and push-to-deploy listens to. */
    branch: text("a branch name (without refs/heads/)", /^(?!refs\/)[A-Za-z0-9._/-]+$/).default("main"),
    /**
     * Repository paths (globs) whose changes trigger push-to-deploy and pull-request previews.
     * Each stack also gets its own `Pulumi.<stack>.yaml`.
     */
    paths: z.array(z.string().min(1, "expected a non-empty path glob")).min(1, "list at least one path"),
});

const executorSchema = z.strictObject({
    /**
     * Executor image, pinned: the CLI inside must match @pulumi/pulumi of the program, and it
     * must provide Node.js >= 22 and helm (pulumi/pulumi has both).
     */
    image: text(
        "an image reference pinned by a tag other than latest, or by a digest",
        /^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*(:(?!latest$)\w[\w.-]{0,127}|@sha256:[a-f0-9]{64})$/,
    ),
    /** Shell commands run before the Pulumi operation, in the project directory. */
    preRunCommands: z
        .array(z.string().min(1, "expected a non-empty command"))
        .default(["npm ci --no-audit --no-fund", "bash scripts/chart-deps.sh"]),
    /** Non-secret environment variables of every stack's deployments. */
    environmentVariables: environmentVariablesSchema.default({}),
    /** Cache npm dependencies between deployments. */
    cacheDependencies: bool().default(true),
});

const driftSchema = z.strictObject({
    /** When drift detection runs: a 5-field cron expression in UTC. */
    schedule: text(
        "a 5-field cron expression such as \"0 */6 * * *\"",
        /^\s*(\S+\s+){4}\S+\s*$/,
    ),
});

export const stackSchema = z.strictObject({
    /** IAM role the deployment assumes through Pulumi Cloud's OIDC issuer. */
    awsRoleArn: text("an IAM role ARN", /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/),
    /** `pulumi up` on every push to the branch that touches `source.paths`. */
    pushToDeploy: bool().default(false),
    /** `pulumi preview` on pull requests, commented on the pull request. */
    previewPullRequests: bool().default(false),
    /** Production stacks never deploy on push and must detect drift (rules.ts). */
    production: bool().default(false),
    /** Scheduled drift detection; remediation is always off (see stack-deployment.ts). */
    driftDetection: driftSchema.optional(),
    /** Extra non-secret environment variables, over executor.environmentVariables. */
    environmentVariables: environmentVariablesSchema.default({}),
    /**
     * The EKS cluster the stack deploys to, for a stack whose program config names no
     * credentials of its own (no `cluster.kubeconfig` or `cluster.stackReference`): the pre-run
     * commands write its kubeconfig with `scripts/ci-kubeconfig.sh`, as the workflows do.
     */
    eksCluster: z
        .strictObject({
            /** EKS cluster name (`aws eks list-clusters`). */
            name: text("an EKS cluster name", /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/),
            /** AWS region of the cluster. */
            region: text("an AWS region such as us-east-1", /^[a-z]{2}(-[a-z]+)+-\d$/),
        })
        .optional(),
});

export const rootShape = {
    /** Pulumi Cloud organization that owns the taskflow-api stacks. */
    organization: pulumiName,
    /** Project of the stacks whose deployments are configured here. */
    project: pulumiName.default("taskflow-api"),
    source: sourceSchema,
    executor: executorSchema,
    /** Settings per stack of the project, by stack name. */
    stacks: z
        .record(pulumiName, stackSchema)
        .refine((s) => Object.keys(s).length > 0, "configure at least one stack"),
};

export type Parsed = z.output<z.ZodObject<typeof rootShape>>;
export type StackConfig = z.output<typeof stackSchema>;
