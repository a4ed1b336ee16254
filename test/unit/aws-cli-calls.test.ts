// Every `aws` CLI call an automated path makes is granted by the IAM policy of the role that makes
// it (review B1: scripts/ci-kubeconfig.sh's `aws eks update-kubeconfig` needs eks:DescribeCluster,
// which no role granted, so every prod deploy, preview and drift run stopped there). The calls are
// found in the files themselves, not listed by hand: a new call fails here until the table below
// names its IAM actions, and a role that runs it without them fails here too.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

import { parseConfig as parseDeploymentsConfig } from "../../deployments/config";
import { buildSettings } from "../../deployments/settings";
import { clusterTarget } from "../../ops/cluster-target";
import { AwsCall, fileAwsCalls, filesRun, jobEnvironments, shellAwsCalls } from "../support/aws-cli-calls";
import { PROJECT_ROOT as ROOT } from "../support/stacks";

/* eslint-disable @typescript-eslint/no-explicit-any -- workflow YAML is read loosely. */

/** The IAM actions each AWS CLI command calls, with where that is written down. */
export const AWS_CLI_ACTIONS: Record<string, { readonly actions: readonly string[]; readonly source: string }> = {
    "eks update-kubeconfig": {
        actions: ["eks:DescribeCluster"],
        source: "aws/aws-cli awscli/customizations/eks/update_kubeconfig.py: the endpoint and CA come from DescribeCluster; " +
            "the kubeconfig's exec plugin (`aws eks get-token`) presigns sts:GetCallerIdentity, which needs no permission (STS API reference)",
    },
};

const ROLES = JSON.parse(fs.readFileSync(path.join(ROOT, "iam/roles.json"), "utf8")) as {
    githubEnvironments: Record<string, string>;
    deploymentsStacks: Record<string, string>;
};
const policy = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, "iam", file), "utf8"));

/** Actions an IAM policy allows, with the resources of each (exact actions only: no wildcards). */
function grants(doc: any): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const s of doc.Statement.filter((st: any) => st.Effect === "Allow")) {
        for (const a of [s.Action].flat()) out.set(a, [...(out.get(a) ?? []), ...[s.Resource].flat()]);
    }
    return out;
}

/** Files scanned for calls: the workflows, scripts/*.sh, deployments/ and ops/ (sources only). */
function scannedFiles(): string[] {
    const under = (dir: string, re: RegExp) => (fs.readdirSync(path.join(ROOT, dir), { recursive: true }) as string[])
        .filter((f) => !f.split(path.sep).includes("node_modules") && re.test(f)).map((f) => path.join(dir, f));
    return [
        ...under(".github/workflows", /\.ya?ml$/), ...under("scripts", /\.sh$/),
        ...under("deployments", /\.(ts|ya?ml|sh)$/), ...under("ops", /\.(ts|sh)$/),
    ];
}

const load = (s: string) => yaml.load(s);
const workflows: Record<string, any> = Object.fromEntries(fs.readdirSync(path.join(ROOT, ".github/workflows"))
    .filter((f) => /\.ya?ml$/.test(f)).map((f) => [f, yaml.load(fs.readFileSync(path.join(ROOT, ".github/workflows", f), "utf8"))]));

/** Who runs what: every AWS role of an automated path, and the calls its job or deployment makes. */
export function roleCalls(wfs: Record<string, any>): Array<{ who: string; policyFile: string; calls: AwsCall[] }> {
    const out: Array<{ who: string; policyFile: string; calls: AwsCall[] }> = [];
    const callsOf = (text: string, where: string) => [
        ...shellAwsCalls(text, where),
        ...filesRun(ROOT, text).flatMap((f) => fileAwsCalls(ROOT, f, load)),
    ];
    for (const [file, wf] of Object.entries(wfs)) {
        for (const [name, job] of Object.entries<any>(wf.jobs ?? {})) {
            const steps: any[] = job.steps ?? [];
            if (!steps.some((s) => /^aws-actions\/configure-aws-credentials@/.test(String(s.uses ?? "")))) continue;
            const text = steps.map((s) => String(s.run ?? "")).join("\n");
            const envs = jobEnvironments(wfs, file, job);
            assert.ok(envs.length > 0, `${file} job ${name} assumes an AWS role outside any GitHub Environment`);
            for (const env of envs) {
                const policyFile = ROLES.githubEnvironments[env];
                assert.ok(policyFile, `${file} job ${name}: Environment ${env} has no policy in iam/roles.json`);
                out.push({ who: `${file} job ${name} (Environment ${env})`, policyFile, calls: callsOf(text, `${file}:${name}`) });
            }
        }
    }
    const settingsFile = yaml.load(fs.readFileSync(path.join(ROOT, "deployments/Pulumi.settings.yaml"), "utf8")) as any;
    const deployments = parseDeploymentsConfig(Object.fromEntries(Object.entries<unknown>(settingsFile.config)
        .map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])));
    for (const stack of Object.keys(deployments.stacks)) {
        const policyFile = ROLES.deploymentsStacks[stack];
        assert.ok(policyFile, `Pulumi Deployments stack ${stack} has no policy in iam/roles.json`);
        const text = buildSettings(deployments, stack).operationContext.preRunCommands.join("\n");
        out.push({ who: `Pulumi Deployments ${stack} (pre-run)`, policyFile, calls: callsOf(text, `deployments:${stack}`) });
    }
    return out;
}

/** What each role lacks: `who: action (call at file:line)`, and calls the table does not know. */
export function missingGrants(rc: ReturnType<typeof roleCalls>, table = AWS_CLI_ACTIONS): string[] {
    return rc.flatMap(({ who, policyFile, calls }) => {
        const granted = grants(policy(policyFile));
        return calls.flatMap((c) => {
            const known = c.command === undefined ? undefined : table[c.command];
            if (!known) return [`${who}: unknown aws call at ${c.file}:${c.line}: ${c.text}`];
            return known.actions.filter((a) => !granted.has(a)).map((a) => `${who}: ${a} missing from iam/${policyFile} (aws ${c.command} at ${c.file}:${c.line})`);
        });
    });
}

describe("aws CLI calls and the roles that make them (review B1)", () => {
    it("every aws call in the workflows, scripts, deployments/ and ops/ is resolved and in the table of IAM actions", () => {
        const calls = scannedFiles().flatMap((f) => fileAwsCalls(ROOT, f, load));
        const unknown = calls.filter((c) => c.command === undefined || !AWS_CLI_ACTIONS[c.command]).map((c) => `${c.file}:${c.line}: ${c.text}`);
        assert.deepEqual(unknown, [], "an aws call this test cannot map to IAM actions: add it to AWS_CLI_ACTIONS (with its source) and to the roles' policies");
        // The scan sees the call it exists for (it would pass vacuously otherwise).
        assert.deepEqual(calls.map((c) => `${c.file} ${c.command}`), ["scripts/ci-kubeconfig.sh eks update-kubeconfig"]);
    });

    it("every role that runs scripts/ci-kubeconfig.sh is granted what its aws calls need", () => {
        const rc = roleCalls(workflows);
        assert.deepEqual(missingGrants(rc), []);
        // Who makes the call: deploys, previews, drift, and every Deployments stack's pre-run.
        const callers = rc.filter((r) => r.calls.some((c) => c.command === "eks update-kubeconfig")).map((r) => r.who).sort();
        assert.deepEqual(callers, [
            "Pulumi Deployments dev (pre-run)", "Pulumi Deployments staging (pre-run)",
            "drift.yml job drift (Environment prod-preview)",
            "stack-operation.yml job pulumi (Environment prod)", "stack-operation.yml job pulumi (Environment prod-plan)", "stack-operation.yml job pulumi (Environment prod-preview)",
            "stack-operation.yml job pulumi (Environment staging)", "stack-operation.yml job pulumi (Environment staging-preview)",
        ]);
    });

    it("a role whose policy lacks eks:DescribeCluster is named, with the call that needs it", () => {
        const rc = roleCalls(workflows).map((r) => (r.policyFile === "preview-role-policy.json" ? { ...r, policyFile: "deploy-role-policy.json" } : r));
        const withoutEks = { "eks update-kubeconfig": { actions: ["eks:DescribeCluster", "eks:NoSuchAction"], source: "test" } };
        const missing = missingGrants(rc, withoutEks);
        assert.equal(missing.length, 8, missing.join("\n"));
        assert.match(missing[0], /eks:NoSuchAction missing from iam\/\S+ \(aws eks update-kubeconfig at scripts\/ci-kubeconfig\.sh:\d+\)/);
    });

    it("an aws call in a workflow step that the table does not know fails, named by file and line", () => {
        const broken = structuredClone(workflows);
        broken["drift.yml"].jobs.drift.steps.push({ run: "echo aws s3 is text here\naws s3 cp drift.txt s3://bucket/" });
        const unknown = missingGrants(roleCalls(broken)).filter((m) => /unknown/.test(m));
        assert.equal(unknown.length, 1, unknown.join("\n"));
        assert.match(unknown[0], /^drift\.yml job drift \(Environment prod-preview\): unknown aws call at drift\.yml:drift:\d+: aws s3 cp drift\.txt s3:\/\/bucket\/$/);
    });

    it("eks:DescribeCluster is granted on the clusters the stacks name, not on every cluster", () => {
        const settings = yaml.load(fs.readFileSync(path.join(ROOT, "deployments/Pulumi.settings.yaml"), "utf8")) as any;
        const arns = Object.values<any>(settings.config["taskflow-api-deployments:stacks"])
            .flatMap((s) => (s.eksCluster ? [`arn:aws:eks:${s.eksCluster.region}:123456789012:cluster/${s.eksCluster.name}`] : []));
        // prod's cluster, as its stack config names the context ci-kubeconfig.sh writes.
        arns.push(String(clusterTarget("prod").context));
        assert.ok(arns.length >= 2 && arns.every((a) => a.startsWith("arn:aws:eks:")), arns.join(", "));
        for (const file of new Set([...Object.values(ROLES.githubEnvironments), ...Object.values(ROLES.deploymentsStacks)])) {
            const resources = grants(policy(file)).get("eks:DescribeCluster") ?? [];
            assert.ok(resources.length > 0 && !resources.includes("*"), `${file}: eks:DescribeCluster on ${JSON.stringify(resources)}`);
            for (const arn of arns) {
                assert.ok(resources.some((r) => new RegExp(`^${r.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`).test(arn)), `${file} does not cover ${arn}`);
            }
        }
    });

    it("the preview role (previews' refresh, drift) reads everything the deploy role reads and writes nothing", () => {
        const read = (a: string) => /^[a-z0-9-]+:(Describe|Get|List)/.test(a);
        const deploy = grants(policy("deploy-role-policy.json")), preview = grants(policy("preview-role-policy.json"));
        assert.deepEqual([...preview.keys()].filter((a) => !read(a)), []);
        assert.deepEqual([...deploy.keys()].filter((a) => read(a) && !preview.has(a)), []);
    });
});
