// Recover a stack after an interrupted deploy: `npm run recover -- --stack <name> [--local] [--force] [--yes]`.
//
//   npm run recover -- --stack dev --local                 # the local cluster's stack (npm start): repair, then up
//   npm run recover -- --stack dev --config-file FILE      # with that stack config file
//   npm run recover -- --stack S --force                   # skip the age rule (see below)
//   npm run recover -- --stack prod                        # repair only: a shared stack's up is the deploy workflow's
//   npm run recover -- --stack S --yes                     # no confirmation (scripts, tests)
//
// What an interrupted `pulumi up` leaves (issue 21, e2e/faults.test.ts): a stale lock of a
// self-managed backend (the killed pulumi's), pending operations in the state, and a Helm release
// whose newest revision stays pending-install/-upgrade/-rollback, so every later upgrade fails
// with "another operation (install/upgrade/rollback) is in progress"; after an interrupted first
// install, a release the state does not know ("cannot re-use a name that is still in use").
// This command reads all of it (ops/release-state.ts decides), prints the plan, then:
//   1. refuses when an update may still run: the backend reports one (ops/backend-locks.ts:
//      Pulumi Cloud's updateInProgress; a self-managed backend's lock, file:// or s3://, held by
//      a live pulumi of this host or by another host, which cannot be checked from here), the
//      backend cannot be read (nothing then rules a live update out), or the pending revision is
//      younger than the release timeout + 60 s (a live Helm operation of another client ends by
//      then; --force skips only this rule, when you know the interrupted deploy is gone);
//   2. removes stale locks of this host's dead pulumi processes (`pulumi cancel`);
//   3. marks the pending revision failed, as Helm itself records an operation that ended in
//      error (the patch carries the record's resourceVersion: a record Helm rewrote meanwhile is
//      not overwritten), and rolls back to the last deployed revision (`helm rollback --wait`),
//      which is what the atomic operation would have done had its process lived: Helm, the
//      objects and the state agree again (the killed update never reached the state);
//   4. after an interrupted first install (never completed, so nothing of this stack served from
//      it): removes it (`helm uninstall --wait`) and drops the pending create with the engine's
//      own path (`pulumi refresh --clear-pending-creates`), so the up installs it again;
//   5. with --local only (review M5): `pulumi up --refresh` with the policy pack, one atomic Helm
//      upgrade to the stack's config (the engine drops the interrupted run's pending updates).
//      Any other stack stops after the repair: its up is the deploy workflow's (reviewed commit,
//      approval, policy pack), never the checkout of whoever runs this.
// Asks before changing anything unless --yes (refused without a terminal). Never edits the state
// by hand (no export/import). Exit: 0 converged, 1 the up failed, 2 error, 3 refused (nothing changed).
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as readline from "readline/promises";
import * as yaml from "js-yaml";

import { parseConfig, rawConfigFromStackFile } from "../config";
import { backendReport } from "./backend-locks";
import { decodeHelmRelease } from "./drift";
import { backendRefusal, classifyRelease, describeFinding, describePlan, markRecordFailed, planRecovery, revisionFromSecret, stackView } from "./release-state";

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes and Pulumi JSON are read loosely. */
const ROOT = path.resolve(__dirname, "..");
const TOOLS_BIN = path.join(process.env.TASKFLOW_TOOLS_DIR ?? path.join(os.homedir(), ".cache", "taskflow-api", "tools"), "bin");

class RecoverError extends Error {}

/** Asks on the terminal; false without one (a script must say --yes). */
async function confirm(question: string): Promise<boolean> {
    if (!process.stdin.isTTY) return false;
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
    try {
        return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
    } finally {
        rl.close();
    }
}

async function main(): Promise<number> {
    const argv = process.argv.slice(2);
    let stack: string | undefined, configFile: string | undefined, local = false, force = false, noUp = false, yes = false, context: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].split(/=(.*)/s, 2);
        const value = () => inline ?? argv[++i];
        if (flag === "--stack") stack = value();
        else if (flag === "--config-file") configFile = value();
        else if (flag === "--context") context = value();
        else if (flag === "--local") local = true;
        else if (flag === "--force") force = true;
        else if (flag === "--no-up") noUp = true;
        else if (flag === "--yes" || flag === "-y") yes = true;
        else if (flag === "--help" || flag === "-h") {
            console.log("usage: npm run recover -- --stack <name> [--local] [--config-file FILE] [--context NAME] [--force] [--no-up] [--yes]");
            return 0;
        } else throw new RecoverError(`unknown argument: ${argv[i]}`);
    }
    if (!stack) throw new RecoverError("--stack <name> is required");
    const stackFile = path.join(ROOT, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(stackFile)) throw new RecoverError(`no stack file Pulumi.${stack}.yaml`);
    const config = parseConfig(rawConfigFromStackFile(yaml.load(fs.readFileSync(stackFile, "utf8"))));
    const release = config.release.name, namespace = config.namespace.name;
    const project = String((yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { name: string }).name);

    const state = process.env.TASKFLOW_STATE_DIR ?? path.join(ROOT, ".state");
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (local) {
        // The local cluster's stack (local/stack.sh): its file backend, passphrase and kubeconfig.
        env.PULUMI_BACKEND_URL ??= `file://${path.join(state, "backend")}`;
        env.PULUMI_CONFIG_PASSPHRASE_FILE ??= path.join(state, "passphrase");
        env.KUBECONFIG ??= path.join(state, "kubeconfig");
        env.TASKFLOW_STATE_DIR = state;
        if (!configFile) configFile = execFileSync("bash", [path.join(ROOT, "local/stack.sh"), "init", stack], { cwd: ROOT, env, encoding: "utf8" }).trim();
    }
    configFile ??= stackFile;
    const bin = (name: string, envVar: string) => process.env[envVar] || (fs.existsSync(path.join(TOOLS_BIN, name)) ? path.join(TOOLS_BIN, name) : name);
    const kubectlBin = bin("kubectl", "KUBECTL"), pulumiBin = bin("pulumi", "PULUMI");
    const capture = (cmd: string, args: string[]) => {
        const r = spawnSync(cmd, args, { cwd: ROOT, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
        if (r.error) throw new RecoverError(`${cmd}: ${r.error.message}`);
        return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
    };
    const kubectl = (args: string[]) => capture(kubectlBin, [...(context ? ["--context", context] : []), ...args]);
    const stackArgs = ["--stack", stack, "--config-file", configFile, "--non-interactive"];
    /** A pulumi command whose output the operator sees as it runs. */
    const pulumi = (args: string[]) => spawnSync(pulumiBin, [...args, ...stackArgs], { cwd: ROOT, env, stdio: "inherit" }).status ?? 1;

    const read = () => {
        const records = kubectl(["get", "secrets", "-n", namespace, "-l", `owner=helm,name=${release}`, "-o", "json"]);
        if (records.code !== 0) throw new RecoverError(`reading release ${release} in ${namespace}: ${records.stderr.trim()}`);
        const items = (JSON.parse(records.stdout).items ?? []) as any[];
        const exported = capture(pulumiBin, ["stack", "export", "--stack", stack]);
        if (exported.code !== 0) throw new RecoverError(`pulumi stack export --stack ${stack}: ${exported.stderr.trim().split("\n").slice(-3).join(" ")}`);
        const view = stackView(JSON.parse(exported.stdout));
        const revisions = items.map((s) => revisionFromSecret(s, decodeHelmRelease(s.data.release)));
        return { view, finding: classifyRelease(revisions, view, Date.now()), items };
    };

    // The backend first, from the environment as pulumi itself reads it (PULUMI_BACKEND_URL, else
    // Pulumi Cloud): while it reports an update, nothing else is read or decided.
    const report = await backendReport(env.PULUMI_BACKEND_URL, project, stack, env, () => capture(pulumiBin, ["stack", "ls", "--json", "--project", project]));
    const locks = "locks" in report ? report.locks : [];
    const backend = {
        ...("updateInProgress" in report && report.updateInProgress ? { updateInProgress: report.updateInProgress } : {}),
        ...("unknown" in report ? { backendUnknown: report.unknown } : {}),
    };
    const refused = backendRefusal(locks, backend);
    if (refused) {
        console.log(`== recover stack ${stack}: refused: ${refused}`);
        return 3;
    }
    const { view, finding, items } = read();
    console.log(`== recover stack ${stack}: release ${release} in ${namespace}: ${finding.kind === "absent" ? "not installed" : `revision ${finding.revision} ${finding.status}`}; ` +
        `${view.pending.length} pending operation(s) in the state${view.pending.length ? ` (${view.pending.map((p) => `${p.type} ${p.urn.split("::").pop()}`).join(", ")})` : ""}; ${locks.length} lock(s) on the stack`);
    for (const line of describeFinding(finding, release, stack)) if (!line.startsWith("Repair")) console.log(`   ${line}`);
    const up = local && !noUp;
    const plan = planRecovery(finding, locks, {
        timeoutSeconds: config.release.timeoutSeconds, force, namespace, release, up, ...backend,
    });
    for (const line of describePlan(plan)) console.log(`   ${line}`);
    if (plan.refuse) return 3;
    // A shared stack's `up` belongs to the deploy workflow (its gate, policy pack and reviewers).
    if (!up) console.log(`   (no up${local ? " (--no-up)" : `: stack ${stack} is not --local`}; the up is the deploy workflow's: gh workflow run deploy.yml --ref main)`);
    const steps = plan.steps;
    if (steps.length === 0) {
        console.log("== nothing to do");
        return 0;
    }
    if (!yes && !(await confirm(`recover: run these ${steps.length} step(s) on stack ${stack}?`))) {
        console.error(`recover: not confirmed${process.stdin.isTTY ? "" : " (no terminal: add --yes to run the plan above)"}; nothing changed`);
        return 3;
    }

    for (const step of steps) {
        if (step.kind === "cancel-stale-lock") {
            // Only this stack's; `pulumi cancel` removes the file backend's lock (an engine command).
            if (capture(pulumiBin, ["cancel", "--yes", "--stack", stack]).code !== 0 && fs.existsSync(step.lock.file)) throw new RecoverError(`pulumi cancel left the lock ${step.lock.file}`);
        } else if (step.kind === "mark-failed") {
            const secret = items.find((s) => s.metadata.name === step.secret);
            const description = `Interrupted ${step.from}: marked failed by npm run recover at ${new Date().toISOString()}`;
            // resourceVersion: a precondition, so the API server refuses (409) if Helm rewrote the
            // record since it was read (review m5), instead of this overwriting a finished operation.
            const patch = {
                metadata: { resourceVersion: secret.metadata.resourceVersion, labels: { status: "failed", modifiedAt: String(Math.floor(Date.now() / 1000)) } },
                data: { release: markRecordFailed(secret.data.release, description) },
            };
            const r = kubectl(["patch", "secret", step.secret, "-n", namespace, "--type=merge", "-p", JSON.stringify(patch), "--field-manager=taskflow-recover"]);
            if (r.code !== 0) {
                if (/Conflict|the object has been modified/i.test(r.stderr)) throw new RecoverError(`${step.secret} changed since it was read (a Helm operation finished it?): nothing marked; run recover again to see the new state`);
                throw new RecoverError(`marking ${step.secret} failed: ${r.stderr.trim()}`);
            }
        } else if (step.kind === "rollback") {
            // Helm 3, the library the provider embeds. --wait: its pods Ready before the up runs.
            const helm = bin("helm3", "HELM3");
            const r = spawnSync(helm, ["rollback", release, String(step.to), "--namespace", namespace, "--wait", "--timeout", `${config.release.timeoutSeconds}s`, ...(context ? ["--kube-context", context] : [])], { cwd: ROOT, env, stdio: "inherit" });
            if (r.error) throw new RecoverError(`${helm}: ${r.error.message} (the pinned helm: bash local/toolchain/tools.sh chart)`);
            if (r.status !== 0) throw new RecoverError(`helm rollback ${release} ${step.to} exited ${r.status}`);
        } else if (step.kind === "uninstall") {
            const helm = bin("helm3", "HELM3");
            const r = spawnSync(helm, ["uninstall", release, "--namespace", namespace, "--wait", "--timeout", `${config.release.timeoutSeconds}s`, ...(context ? ["--kube-context", context] : [])], { cwd: ROOT, env, stdio: "inherit" });
            if (r.error) throw new RecoverError(`${helm}: ${r.error.message} (the pinned helm: bash local/toolchain/tools.sh chart)`);
            if (r.status !== 0) throw new RecoverError(`helm uninstall ${release} exited ${r.status}`);
        } else if (step.kind === "clear-pending-creates") {
            const code = pulumi(["refresh", "--yes", "--clear-pending-creates"]);
            if (code !== 0) throw new RecoverError(`pulumi refresh --clear-pending-creates exited ${code}`);
        } else {
            const code = pulumi(["up", "--yes", "--refresh", "--policy-pack", "policy", "--policy-pack-config", "policy/policy-config.json"]);
            if (code !== 0) {
                console.error("recover: pulumi up failed (above); the release and state are as it left them: run npm run drift, then this again");
                return 1;
            }
        }
    }
    const after = read();
    console.log(`== recovered: release ${release} ${after.finding.kind === "absent" ? "not installed" : `revision ${after.finding.revision} ${after.finding.status}`}; ${after.view.pending.length} pending operation(s) in the state`);
    if (!up) return after.finding.kind === "stuck" ? 1 : 0;
    return after.finding.kind === "healthy" && after.view.pending.length === 0 ? 0 : 1;
}

if (require.main === module) {
    main().then((code) => { process.exitCode = code; }, (e: unknown) => {
        console.error(`recover: ${(e as Error).message}`);
        process.exitCode = 2;
    });
}
