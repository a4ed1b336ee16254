// The delivery paths as written: every workflow job and every Pulumi Deployments stack that
// reaches a cluster gets its credentials the same way (review B2), the Deployments path filters
// follow the files the program really imports and reads (m11), and the workflows' test job runs
// what a GitHub-hosted, non-root runner can run (B1; scripts/check-runner.sh runs it as such).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import * as ts from "typescript";

import { parseConfig as parseDeploymentsConfig } from "../../deployments/config";
import { buildSettings } from "../../deployments/settings";
import { clusterTarget } from "../../ops/cluster-target";
import { callerInputs, jobEnvironments } from "../support/aws-cli-calls";

/* eslint-disable @typescript-eslint/no-explicit-any -- workflow YAML is read loosely. */
const ROOT = path.resolve(__dirname, "..", "..");
const WORKFLOWS = path.join(ROOT, ".github", "workflows");

type Workflows = Record<string, any>;
const loadWorkflows = (): Workflows =>
    Object.fromEntries(fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).map((f) => [f, yaml.load(fs.readFileSync(path.join(WORKFLOWS, f), "utf8"))]));

const stepText = (s: any): string => `${s.uses ?? ""} ${s.run ?? ""} ${JSON.stringify(s.with ?? {})}`;
/** A step that talks to a stack's cluster: a Pulumi operation, drift or heal. */
const reachesCluster = (s: any): boolean => /pulumi\/actions@|npm run[^\n]*\b(drift|heal)\b|\bpulumi (up|preview|refresh)\b|ops\/(drift|heal)/.test(stepText(s));
const writesKubeconfig = (s: any): boolean => /scripts\/ci-kubeconfig\.sh/.test(String(s.run ?? ""));
const getsAwsRole = (s: any): boolean => /^aws-actions\/configure-aws-credentials@/.test(String(s.uses ?? ""));

/**
 * Every job of `workflows` that reaches a cluster without, before that step, the AWS role and
 * the shared credential step (scripts/ci-kubeconfig.sh) with EKS_CLUSTER_NAME in its env.
 */
export function credentialProblems(workflows: Workflows): string[] {
    const problems: string[] = [];
    for (const [file, wf] of Object.entries(workflows)) {
        for (const [name, job] of Object.entries<any>(wf?.jobs ?? {})) {
            const steps: any[] = job.steps ?? [];
            const first = steps.findIndex(reachesCluster);
            if (first < 0) continue;
            const before = steps.slice(0, first);
            const role = before.findIndex(getsAwsRole), cred = before.findIndex(writesKubeconfig);
            if (cred < 0) problems.push(`${file} job ${name}: reaches a cluster with no credential step (scripts/ci-kubeconfig.sh) before it`);
            else if (role < 0 || role > cred) problems.push(`${file} job ${name}: the credential step runs before the AWS role is assumed`);
            else if (!("EKS_CLUSTER_NAME" in (before[cred].env ?? {}))) problems.push(`${file} job ${name}: the credential step gets no EKS_CLUSTER_NAME`);
        }
    }
    return problems;
}

const ROLES = JSON.parse(fs.readFileSync(path.join(ROOT, "iam/roles.json"), "utf8")) as {
    githubEnvironments: Record<string, string>;
    pulumiTeams: Record<string, { stack: string; permission: "read" | "write" }>;
};
/** Environments whose AWS role may deploy: the only ones whose jobs may hold a Pulumi token that can write. */
const DEPLOY_ENVIRONMENTS = Object.entries(ROLES.githubEnvironments).filter(([, p]) => p === "deploy-role-policy.json").map(([e]) => e);

/**
 * What is wrong with the Pulumi tokens the workflows ask for (review M6): every pulumi/auth-actions
 * step must ask for a team token of its own Environment's team (`team:taskflow-api-<environment>`,
 * the job's own environment expression), and a team that can write only in a deploy Environment,
 * for an `up`.
 */
export function tokenProblems(workflows: Workflows): string[] {
    const problems: string[] = [];
    for (const [file, wf] of Object.entries(workflows)) {
        for (const [name, job] of Object.entries<any>(wf?.jobs ?? {})) {
            for (const step of (job.steps ?? []) as any[]) {
                if (!/^pulumi\/auth-actions@/.test(String(step.uses ?? ""))) continue;
                const at = `${file} job ${name}`;
                if (step.with?.["requested-token-type"] !== "urn:pulumi:token-type:access_token:team") {
                    problems.push(`${at}: asks for ${step.with?.["requested-token-type"]}, not a team token`);
                    continue;
                }
                const env = String(job.environment ?? "");
                if (step.with?.scope !== `team:taskflow-api-${env}`) {
                    problems.push(`${at}: scope ${step.with?.scope} is not its Environment's team (team:taskflow-api-${env})`);
                    continue;
                }
                const commands = /inputs\.environment/.test(env) ? callerInputs(workflows, file) : [{ environment: env, command: undefined }];
                for (const { environment, command } of commands) {
                    const team = ROLES.pulumiTeams[`taskflow-api-${environment}`];
                    if (!team) problems.push(`${at}: Environment ${environment} has no team in iam/roles.json`);
                    else if (team.permission !== "read" && !(DEPLOY_ENVIRONMENTS.includes(environment) && (command === "up" || command === "apply"))) {
                        problems.push(`${at}: a ${command ?? "job"} in Environment ${environment} gets team taskflow-api-${environment}, which can write`);
                    }
                }
            }
        }
    }
    return problems;
}

/** `**` any path, `*` one segment's characters, as Pulumi Deployments' path filters. */
const globRegExp = (glob: string) => new RegExp(`^${glob.split("**").map((p) => p.split("*").map((q) => q.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*")).join(".*")}$`);

/** Project files the program imports, transitively from index.ts (relative imports only). */
function programImports(): string[] {
    const seen = new Set<string>();
    const visit = (file: string) => {
        if (seen.has(file)) return;
        seen.add(file);
        for (const ref of ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true).importedFiles) {
            if (!ref.fileName.startsWith(".")) continue;
            const base = path.resolve(path.dirname(file), ref.fileName);
            const hit = [`${base}.ts`, path.join(base, "index.ts"), base].find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
            if (hit) visit(hit);
        }
    };
    visit(path.join(ROOT, "index.ts"));
    return [...seen].map((f) => path.relative(ROOT, f)).sort();
}

function trackedFiles(): string[] {
    const out: string[] = [];
    const walk = (rel: string) => {
        for (const e of fs.readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
            if (["node_modules", ".git", ".state", "out", "bin"].includes(e.name)) continue;
            const r = rel ? `${rel}/${e.name}` : e.name;
            if (e.isDirectory()) walk(r);
            else out.push(r);
        }
    };
    walk("");
    return out;
}

describe("delivery paths as written", () => {
    const workflows = loadWorkflows();

    describe("cluster credentials (every path the same way)", () => {
        it("every workflow job that reaches a cluster assumes the AWS role, then runs scripts/ci-kubeconfig.sh with EKS_CLUSTER_NAME", () => {
            assert.deepEqual(credentialProblems(workflows), []);
            // And the check sees the jobs it is about (it would pass vacuously otherwise).
            const covered = Object.entries(workflows).flatMap(([f, wf]) => Object.entries<any>(wf.jobs).filter(([, j]) => (j.steps ?? []).some(reachesCluster)).map(([n]) => `${f}:${n}`));
            assert.deepEqual(covered.sort(), ["drift.yml:drift", "stack-operation.yml:pulumi"]);
        });

        it("a job whose credential step is removed is named", () => {
            const broken = structuredClone(workflows);
            broken["stack-operation.yml"].jobs.pulumi.steps = broken["stack-operation.yml"].jobs.pulumi.steps.filter((s: any) => !writesKubeconfig(s));
            assert.deepEqual(credentialProblems(broken), ["stack-operation.yml job pulumi: reaches a cluster with no credential step (scripts/ci-kubeconfig.sh) before it"]);
        });

        it("every job that deploys or previews a stack goes through stack-operation.yml", () => {
            for (const file of ["deploy.yml", "preview.yml"]) {
                for (const [name, job] of Object.entries<any>(workflows[file].jobs)) {
                    if ((job.steps ?? []).some(reachesCluster)) assert.fail(`${file} job ${name} runs Pulumi itself`);
                    if (String(job.uses ?? "").includes("stack-operation.yml")) assert.match(String(job.with?.command), /^(up|preview|plan|apply)$/);
                }
            }
        });

        // Read as Pulumi hands it over (objects as JSON strings); not through deployments/test/support,
        // which loads that project's own @pulumi/pulumi next to ours.
        const settingsFile = yaml.load(fs.readFileSync(path.join(ROOT, "deployments", "Pulumi.settings.yaml"), "utf8")) as { config: Record<string, unknown> };
        const deployments = parseDeploymentsConfig(Object.fromEntries(Object.entries(settingsFile.config)
            .map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])));
        it("Pulumi Deployments configures no production stack: a console deployment would skip the prod Environment's approval (review m1)", () => {
            assert.deepEqual(Object.keys(deployments.stacks).sort(), ["dev", "staging"]);
            assert.equal(deployments.stacks.staging.pushToDeploy, false, "staging has one deployer, deploy.yml");
        });
        for (const stack of Object.keys(deployments.stacks)) {
            it(`Pulumi Deployments of ${stack} writes the cluster's credentials in its pre-run commands, with what the stack's config needs`, () => {
                const settings = buildSettings(deployments, stack);
                assert.equal(settings.operationContext.preRunCommands.at(-1), `bash scripts/ci-kubeconfig.sh ${stack}`);
                const target = clusterTarget(stack);
                if (target.credentials === "ambient") {
                    assert.ok(settings.operationContext.environmentVariables.EKS_CLUSTER_NAME,
                        `${stack} uses the ambient kubeconfig (${target.context ?? "current context"}): deployments stacks.${stack}.eksCluster is required`);
                }
            });
        }

        it("prod uses the ambient kubeconfig at its cluster.context, so its deploying path must write it", () => {
            assert.equal(clusterTarget("prod").credentials, "ambient");
            assert.ok(clusterTarget("prod").context);
            assert.equal(clusterTarget("staging").credentials, "stack-reference");
        });
    });

    describe("Pulumi tokens by job (review M6)", () => {
        it("every job asks for its own Environment's team token; only an up in a deploy Environment gets a team that can write", () => {
            assert.deepEqual(tokenProblems(workflows), []);
            // Who gets which team, as resolved: previews and drift read, deploys write.
            const got = Object.entries(workflows).flatMap(([file, wf]) => Object.entries<any>(wf.jobs)
                .filter(([, j]) => (j.steps ?? []).some((s: any) => /^pulumi\/auth-actions@/.test(String(s.uses ?? ""))))
                .flatMap(([name, j]) => jobEnvironments(workflows, file, j).map((e) => `${file}:${name} ${e} ${ROLES.pulumiTeams[`taskflow-api-${e}`].permission}`)));
            assert.deepEqual(got.sort(), [
                "drift.yml:drift prod-preview read",
                "stack-operation.yml:pulumi prod write", "stack-operation.yml:pulumi prod-plan read", "stack-operation.yml:pulumi prod-preview read",
                "stack-operation.yml:pulumi staging write", "stack-operation.yml:pulumi staging-preview read",
            ]);
            assert.deepEqual(DEPLOY_ENVIRONMENTS.sort(), ["prod", "staging"]);
        });

        it("an organization token, another Environment's team, or a preview in a deploy Environment is named", () => {
            const org = structuredClone(workflows);
            org["drift.yml"].jobs.drift.steps.find((s: any) => /auth-actions/.test(String(s.uses))).with["requested-token-type"] = "urn:pulumi:token-type:access_token:organization";
            assert.deepEqual(tokenProblems(org), ["drift.yml job drift: asks for urn:pulumi:token-type:access_token:organization, not a team token"]);
            const other = structuredClone(workflows);
            other["drift.yml"].jobs.drift.steps.find((s: any) => /auth-actions/.test(String(s.uses))).with.scope = "team:taskflow-api-prod";
            assert.deepEqual(tokenProblems(other), ["drift.yml job drift: scope team:taskflow-api-prod is not its Environment's team (team:taskflow-api-prod-preview)"]);
            const preview = structuredClone(workflows);
            preview["preview.yml"].jobs.preview.with.environment = "${{ matrix.stack }}";
            assert.deepEqual(tokenProblems(preview), [
                "stack-operation.yml job pulumi: a preview in Environment staging gets team taskflow-api-staging, which can write",
                "stack-operation.yml job pulumi: a preview in Environment prod gets team taskflow-api-prod, which can write",
            ]);
        });

        it("no workflow asks for an organization or personal Pulumi token, or takes one from a secret", () => {
            for (const [file, wf] of Object.entries(workflows)) {
                const text = JSON.stringify(wf);
                assert.doesNotMatch(text, /access_token:(organization|personal)/, file);
                assert.doesNotMatch(text, /PULUMI_ACCESS_TOKEN/, file);
            }
        });
    });

    describe("prod deploys through an update plan: what the reviewer approves is what runs (issue 28, item 4)", () => {
        const deploy = workflows["deploy.yml"].jobs;
        const op = workflows["stack-operation.yml"];
        const steps = op.jobs.pulumi.steps as any[];
        const step = (re: RegExp) => steps.find((st) => re.test(`${st.name ?? ""} ${st.run ?? ""} ${st.uses ?? ""}`));
        const index = (st: any) => steps.indexOf(st);

        it("deploy.yml plans prod in the read-only prod-plan Environment, then applies that plan's artifact in the prod Environment", () => {
            assert.deepEqual(deploy["prod-plan"].with, { command: "plan", stack: "prod", environment: "prod-plan", heal: "${{ inputs.heal == true }}" });
            assert.equal(deploy.prod.with.command, "apply");
            assert.equal(deploy.prod.with["plan-artifact"], "${{ needs.prod-plan.outputs.plan-artifact }}");
            assert.equal(op.on.workflow_call.outputs["plan-artifact"].value, "${{ jobs.pulumi.outputs.plan-artifact }}");
            assert.equal(op.jobs.pulumi.outputs["plan-artifact"], "${{ steps.plan.outputs.artifact }}");
            assert.equal(ROLES.githubEnvironments["prod-plan"], "preview-role-policy.json");
            // No caller runs a plain up in the prod Environment.
            const prodCallers = callerInputs(workflows, "stack-operation.yml").filter((w) => w.environment === "prod");
            assert.deepEqual(prodCallers.map((w) => w.command), ["apply"]);
        });

        it("the plan: a refreshed preview with the policy pack saved as plan.json, with its config and commit, in an artifact named per run attempt", () => {
            const plan = step(/--save-plan/);
            assert.equal(plan.id, "plan");
            assert.equal(plan.if, "inputs.command == 'plan'");
            for (const flag of [/pulumi preview /, /--refresh/, /--save-plan "\$PLAN_DIR\/plan\.json"/, /--policy-pack "\$POLICY_PACK"/, /--config-file "\$PLAN_DIR\/Pulumi\.\$STACK\.yaml"/, /"\$GITHUB_SHA" > "\$PLAN_DIR\/commit"/]) {
                assert.match(plan.run, flag);
            }
            assert.match(plan.run, /artifact=pulumi-plan-\$STACK-\$GITHUB_RUN_ID-\$GITHUB_RUN_ATTEMPT/);
            const keep = steps.find((st) => /upload-artifact/.test(String(st.uses)) && st.if === "inputs.command == 'plan'");
            assert.equal(keep.with.name, "${{ steps.plan.outputs.artifact }}");
            assert.ok(index(keep) > index(plan));
        });

        it("the apply: exactly that artifact, refused at another commit, then pulumi up --plan with the plan's config, refresh and the policy pack", () => {
            const fetch = step(/download-artifact/), check = step(/Check the plan's commit/), apply = step(/--plan "\$PLAN_DIR\/plan\.json"/);
            assert.equal(fetch.with.name, "${{ inputs.plan-artifact }}");
            assert.match(check.run, /"\$made_at" != "\$GITHUB_SHA"[\s\S]*exit 1/);
            for (const flag of [/pulumi up --yes/, /--refresh/, /--config-file "\$PLAN_DIR\/Pulumi\.\$STACK\.yaml"/, /--policy-pack "\$POLICY_PACK"/]) assert.match(apply.run, flag);
            for (const st of [fetch, check, apply]) assert.equal(st.if, "inputs.command == 'apply'");
            const exp = step(/ops\/state\.sh export/);
            assert.ok(index(fetch) < index(check) && index(check) < index(exp) && index(exp) < index(apply), "fetch, check, export, apply");
            // The action's own preview/up never runs for a plan or an apply.
            const action = steps.find((st) => String(st.uses ?? "").startsWith("pulumi/actions@") && st.with?.command);
            assert.equal(action.if, "inputs.command == 'preview' || inputs.command == 'up'");
            assert.doesNotMatch(JSON.stringify(op), /--show-secrets|--skip-preview/);
        });

        it("pull-request plan artifacts are named per run attempt and overwrite, so a re-run does not fail on the name (review m7)", () => {
            const upload = (workflows["preview.yml"].jobs.plan.steps as any[]).find((st) => /upload-artifact/.test(String(st.uses)));
            assert.match(upload.with.name, /github\.run_attempt/);
            assert.equal(upload.with.overwrite, true);
            for (const [file, wf] of Object.entries(workflows)) {
                for (const [name, job] of Object.entries<any>(wf.jobs)) {
                    for (const st of (job.steps ?? []) as any[]) {
                        if (!/upload-artifact/.test(String(st.uses ?? ""))) continue;
                        assert.match(String(st.with.name), /run_attempt|RUN_ATTEMPT|steps\.plan\.outputs\.artifact/, `${file} job ${name}: artifact ${st.with.name} is not per run attempt`);
                    }
                }
            }
        });
    });

    describe("Pulumi Deployments path filters (m11)", () => {
        const paths = (yaml.load(fs.readFileSync(path.join(ROOT, "deployments", "Pulumi.settings.yaml"), "utf8")) as any)
            .config["taskflow-api-deployments:source"].paths as string[];
        const files = trackedFiles();

        it("cover every file the program imports, the chart it reads, and what the engine and the pre-run commands use", () => {
            const needed = [
                ...programImports(), "Pulumi.yaml", "package.json", "package-lock.json", "tsconfig.json", "tsconfig.pulumi.json",
                "chart/Chart.yaml", "chart/values.yaml", "chart/templates/deployment.yaml", "scripts/chart-deps.sh", "scripts/ci-kubeconfig.sh",
            ];
            assert.ok(needed.includes("config/index.ts") && needed.includes("components/stack.ts"), "the import walk found the program");
            const uncovered = needed.filter((f) => !paths.some((g) => globRegExp(g).test(f)));
            assert.deepEqual(uncovered, [], "files the deployed program depends on that no path filter watches");
        });

        it("name no file or folder that does not exist", () => {
            const stale = paths.filter((g) => !files.some((f) => globRegExp(g).test(f)));
            assert.deepEqual(stale, []);
        });
    });

    describe("heal goes through the deploy workflow (M8)", () => {
        it("deploy.yml's dispatch takes a heal input and hands it to staging's up and prod's plan and apply, behind the same Environments", () => {
            const deploy = workflows["deploy.yml"];
            assert.equal(deploy.on.workflow_dispatch.inputs.heal.type, "boolean");
            for (const [job, command] of [["staging", "up"], ["prod-plan", "plan"], ["prod", "apply"]]) {
                assert.match(String(deploy.jobs[job].with.heal), /inputs\.heal/);
                assert.equal(deploy.jobs[job].with.command, command);
            }
            assert.equal(deploy.jobs.prod.with.environment, "prod");
        });

        it("drift.yml points a drifted prod at deploy.yml's heal dispatch, never at npm run heal (review m10)", () => {
            const file = fs.readFileSync(path.join(WORKFLOWS, "drift.yml"), "utf8");
            assert.doesNotMatch(file, /heal with `?npm run heal/);
            const step = (workflows["drift.yml"].jobs.drift.steps as any[]).find((st) => /npm run --silent drift/.test(String(st.run ?? "")));
            assert.match(String(step.run), /"\$rc" -eq 1[\s\S]*gh workflow run deploy\.yml -f heal=true/);
            // The hint names an input that exists.
            assert.ok(workflows["deploy.yml"].on.workflow_dispatch.inputs.heal);
        });

        it("stack-operation puts the heal token in before the up or the plan, prepares right before the up or apply, after the credential step; the up keeps the policy pack and refresh", () => {
            const steps = workflows["stack-operation.yml"].jobs.pulumi.steps as any[];
            const at = (re: RegExp) => steps.findIndex((st) => re.test(String(st.run ?? "")));
            const token = at(/heal-gate\.ts token/), prepare = at(/--prepare-heal/);
            assert.ok(token > steps.findIndex(writesKubeconfig), "heal step after the kubeconfig step");
            assert.equal(steps[token].if, "inputs.heal && (inputs.command == 'up' || inputs.command == 'plan')");
            assert.equal(steps[prepare].if, "inputs.heal && (inputs.command == 'up' || inputs.command == 'apply')");
            assert.ok(token < at(/--save-plan/) && prepare < at(/pulumi up [^\n]*--yes/), "the token before the plan, the preparation before the apply");
            const up = steps.find((st) => String(st.uses ?? "").startsWith("pulumi/actions@") && st.with?.command);
            assert.equal(up.with.refresh, true);
            assert.match(String(up.with.policyPacks), /POLICY_PACK/);
        });
    });

    describe("the state is exported before every up (issue 21, item 6)", () => {
        const steps = () => workflows["stack-operation.yml"].jobs.pulumi.steps as any[];
        const at = (re: RegExp) => steps().findIndex((st) => re.test(stepText(st)));

        it("stack-operation exports the stack's state with ops/state.sh, encrypted, before the operation and before heal changes anything", () => {
            const exp = at(/ops\/state\.sh export/);
            assert.ok(exp >= 0, "no state export step");
            const s = steps()[exp];
            assert.equal(s.if, "inputs.command == 'up' || inputs.command == 'apply'");
            assert.match(String(s.env.PULUMI_STACK), /inputs\.stack/);
            assert.match(String(s.env.EXPORT_FILE), /github\.run_id/);
            const up = steps().findIndex((st) => String(st.uses ?? "").startsWith("pulumi/actions@") && st.with?.command);
            const heal = at(/--prepare-heal/);
            const auth = at(/pulumi\/auth-actions@/);
            const cli = steps().findIndex((st) => String(st.uses ?? "").startsWith("pulumi/actions@") && !st.with?.command);
            assert.ok(auth < exp && cli < exp, "the export runs after the Pulumi token and CLI");
            assert.ok(exp < heal && heal < up, "the export runs before heal and before the up");
            assert.equal(steps()[cli].if, "inputs.command != 'preview'");
            // Never the plaintext: the artifact must stay ciphertext like the state itself.
            for (const [file, wf] of Object.entries(workflows)) {
                assert.doesNotMatch(JSON.stringify(wf), /show-secrets/, `${file} exports secrets in plaintext`);
            }
            assert.doesNotMatch(fs.readFileSync(path.join(ROOT, "ops/state.sh"), "utf8").replace(/^\s*#.*$/gm, ""), /--show-secrets/);
        });

        it("keeps the export as an artifact named by stack and run, for a short time", () => {
            const exp = steps()[at(/ops\/state\.sh export/)];
            const keep = steps().find((st) => String(st.uses ?? "").startsWith("actions/upload-artifact@"));
            assert.ok(keep, "no upload-artifact step");
            assert.equal(keep.if, exp.if);
            assert.equal(keep.with.path, exp.env.EXPORT_FILE);
            assert.match(keep.with.name, /inputs\.stack.*github\.run_id/);
            assert.equal(keep.with["if-no-files-found"], "error");
            assert.ok(keep.with["retention-days"] > 0 && keep.with["retention-days"] <= 30, "retention of at most 30 days");
            assert.ok(steps().indexOf(keep) < steps().findIndex((st) => String(st.uses ?? "").startsWith("pulumi/actions@") && st.with?.command));
        });
    });

    describe("the workflows' test job (B1)", () => {
        const jobs = workflows["offline-tests.yml"].jobs;
        const runs = (job: any) => (job.steps as any[]).map((s) => String(s.run ?? "")).join("\n");

        it("the runner's own user runs only the offline suites, within a timeout that covers a cold toolchain", () => {
            assert.match(runs(jobs["npm-test"]), /npm run test:offline/);
            assert.doesNotMatch(runs(jobs["npm-test"]), /npm test\b|test:e2e|test-e2e/);
            assert.ok(jobs["npm-test"]["timeout-minutes"] >= 50);
        });

        it("the real-node suite is its own workflow (e2e.yml), under sudo, on pull requests, main and nightly; no deploy or preview waits on it (review M8)", () => {
            const e2e = workflows["e2e.yml"];
            assert.match(runs(e2e.jobs.e2e), /sudo [^\n]*scripts\/test-e2e\.sh/);
            assert.ok(e2e.jobs.e2e["timeout-minutes"] >= 75);
            assert.equal(e2e.jobs.e2e.name, "end-to-end (real node, under sudo)", "the name docs/delivery.md tells an admin to require");
            assert.ok(e2e.on.pull_request && e2e.on.push && e2e.on.schedule, "runs on pull requests, on main and nightly");
            assert.deepEqual(Object.keys(jobs), ["npm-test"], "offline-tests.yml holds the offline job only");
            // Nothing calls e2e.yml, and nothing that deploys or previews runs the real node
            // (dependencies.yml tests a dependency PR with the upgrade e2e; it deploys nothing).
            for (const [file, wf] of Object.entries(workflows)) {
                for (const [name, job] of Object.entries<any>(wf.jobs)) {
                    assert.doesNotMatch(String(job.uses ?? ""), /e2e\.yml/, `${file} job ${name} calls the e2e workflow`);
                    if (file !== "e2e.yml" && file !== "dependencies.yml") assert.doesNotMatch(runs({ steps: job.steps ?? [] }), /test:e2e|test-e2e/, `${file} job ${name} runs the real-node suite`);
                }
            }
            const docs = fs.readFileSync(path.join(ROOT, "docs/delivery.md"), "utf8");
            assert.match(docs, /required status check[^.]*end-to-end \(real node, under sudo\)/);
        });

        it("prod deploys only after this run's staging deploy succeeded (review m8)", () => {
            const { staging, prod } = workflows["deploy.yml"].jobs;
            assert.deepEqual(prod.needs, ["test", "staging", "prod-plan"]);
            assert.deepEqual(workflows["deploy.yml"].jobs["prod-plan"].needs, ["test", "staging"]);
            // Without an `if:`, a job runs only when every needed job succeeded (GitHub's default
            // success()); any condition here could let a skipped or failed staging through.
            assert.equal(prod.if, undefined);
            assert.equal(staging.if, undefined, "staging is always deployed by this workflow");
        });

        it("deploys and previews wait for the offline test workflow", () => {
            assert.ok(workflows["deploy.yml"].jobs.prod.needs.includes("test"));
            assert.equal(workflows["preview.yml"].jobs.preview.needs, "test");
            assert.match(workflows["deploy.yml"].jobs.test.uses, /offline-tests\.yml$/);
        });
    });
});
