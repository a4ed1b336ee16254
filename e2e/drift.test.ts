// Knowing what will change and what has drifted (issues 15, 23), on the real engine and the local
// cluster with a real node: changed fields, fields added by other managers, a deleted
// NetworkPolicy, the stack's own Namespace and Secret, objects that can no longer be applied in
// place, an annotation key added by hand and objects in the namespace that nothing owns are named
// by `npm run drift` (reads only); `npm run heal` puts each back in place (never deleting) and
// the app still serves; heal refuses flags it does not know and a non-terminal stdin without
// --yes; `npm run diff` names exactly the objects a template edit changes and is empty for an
// unchanged tree.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";

import { LocalTarget, ok, PROJECT_ROOT, skipUnlessRealNode, run, tsScript, waitFor } from "./harness";

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes JSON is read loosely here. */

const RELEASE = "taskflow-api";
const CONTAINER = "api"; // chart/templates/deployment.yaml

/** The object lines (`~ `, `- `, `+ `) and field lines of a drift or diff report. */
const objectLines = (report: string) => report.split("\n").filter((l) => /^[~+-] /.test(l));
const fieldLines = (report: string) => report.split("\n").filter((l) => /^ {4}\S/.test(l)).map((l) => l.trim());

const get = (url: string) => new Promise<{ status: number; body: string }>((resolve) => {
    const req = http.get(url, { agent: false, timeout: 5000 }, (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve({ status: 0, body: e.message }));
});

describe("drift of the dev stack on a local cluster with a real node: detect, heal", function () {
    this.timeout(30 * 60_000);
    let t: LocalTarget | undefined;
    let base: string;

    before(async function () {
        await skipUnlessRealNode(this);
        t = await LocalTarget.start();
        base = t.configFile("base");
        ok(await t.pulumi(["up", "--yes"], base), "pulumi up (install)");
    });
    after(async () => {
        if (t) await t.stop();
    });

    const target = () => {
        assert.ok(t, "no cluster");
        return t;
    };
    const drift = () => tsScript("drift", ["--stack", "dev"], target().env);
    const kubectl = async (args: string[]) => ok(await target().kubectl(["-n", target().namespace, ...args]), `kubectl ${args.join(" ")}`);
    const heal = async () => {
        const tg = target();
        const revisions = (await tg.releaseHistory()).length;
        const r = ok(await run("bash", [path.join(PROJECT_ROOT, "ops/heal.sh"), "--stack", "dev", "--local", "--config-file", base, "--yes", "--non-interactive"], { cwd: PROJECT_ROOT, env: tg.env }), "npm run heal");
        console.log(r.stdout.split("\n").filter((l) => /^(==|   )/.test(l)).join("\n").replace(/^/gm, "      "));
        const history = await tg.releaseHistory();
        assert.equal(history.length, revisions + 1, "heal must be one more release revision");
        assert.match(history[history.length - 1].description, /^heal \d{8}T\d{6}Z$/);
        assert.equal(history[history.length - 1].status, "deployed");
        return r;
    };
    const serves = async () => {
        const tg = target();
        const svc = await tg.get<any>(["service", RELEASE, "-n", tg.namespace]);
        const url = `http://${svc.spec.clusterIP}:${svc.spec.ports[0].port}/v1/roundtrip`;
        const answer = await waitFor("the app to answer /v1/roundtrip through its Service", async () => {
            const a = await get(url);
            return a.status === 200 ? a : undefined;
        }, 180_000, 1000);
        assert.equal(JSON.parse(answer.body).ok, true, answer.body);
    };

    it("reports no drift right after a deploy, reading only (no helm binary on PATH)", async () => {
        const env = { ...target().env, PATH: (target().env.PATH ?? "").split(":").filter((d) => !fs.existsSync(path.join(d, "helm"))).join(":"), HELM4: "" };
        const r = await tsScript("drift", ["--stack", "dev"], env);
        console.log(r.stdout.replace(/^/gm, "      "));
        assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
        assert.match(r.stdout, /no drift: \d+ objects match the stack/);
        assert.match(r.stdout, /and 2 object\(s\) the stack owns/, "the Namespace and the Redis Secret are compared too");
    });

    it("the README's operations commands work in a new shell after npm start: no tools on PATH, no KUBECONFIG, no backend variables", async () => {
        const tg = target();
        const toolsBin = path.dirname(execFileSync("bash", ["-c", "command -v pulumi"], { env: tg.env, encoding: "utf8" }).trim());
        const env: NodeJS.ProcessEnv = {
            ...tg.env,
            // This node (npm needs one) and the system's PATH; not the toolchain's bin.
            PATH: [path.dirname(process.execPath), ...(tg.env.PATH ?? "").split(":").filter((d) => d !== toolsBin && !d.startsWith(toolsBin))].join(":"),
        };
        for (const k of ["KUBECONFIG", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE_FILE", "HELM4", "HELM3", "PULUMI_HOME"]) delete env[k];
        for (const [args, codes] of [
            [["run", "-s", "plan", "--", "--stack", "dev"], [0]],
            [["run", "-s", "diff", "--", "--stack", "dev", "--base", "HEAD"], [0, 1]],
            [["run", "-s", "drift", "--", "--stack", "dev"], [0]],
        ] as Array<[string[], number[]]>) {
            const r = await run("npm", args, { cwd: PROJECT_ROOT, env });
            console.log(`      npm ${args.join(" ")}: exit ${r.code}${r.code > 1 ? `\n${r.stdout}${r.stderr}` : ""}`);
            assert.ok(codes.includes(r.code), `npm ${args.join(" ")} exited ${r.code}\n${r.stdout}${r.stderr}`);
        }
    });

    it("never falls back to the current context: a kubeconfig that is not the local cluster's needs --context", async () => {
        const copy = path.join(target().stateDir, "other-kubeconfig");
        fs.copyFileSync(target().env.KUBECONFIG as string, copy);
        const r = await tsScript("drift", ["--stack", "dev"], { ...target().env, KUBECONFIG: copy });
        assert.equal(r.code, 2, `${r.stdout}${r.stderr}`);
        assert.match(r.stderr, /has no cluster.context: name the cluster with --context NAME/);
    });

    it("names changed fields, added fields with their manager, the deleted NetworkPolicy, and the stack's own Namespace and Secret", async () => {
        const ns = target().namespace;
        // What `kubectl edit` would do, one edit per field, each by another field manager.
        await kubectl(["scale", `deployment/${RELEASE}`, "--replicas=2"]);
        await kubectl(["set", "image", `deployment/${RELEASE}`, `${CONTAINER}=ghcr.io/example/taskflow-api:edited-by-hand`]);
        await kubectl(["delete", "networkpolicy", RELEASE]);
        // Added by hand: invisible to a server-side-apply dry-run, and never removed by Helm.
        await kubectl(["label", `deployment/${RELEASE}`, "debug=true"]);
        await kubectl(["set", "env", `deployment/${RELEASE}`, "-c", CONTAINER, "EXTRA_FLAG=1"]);
        await kubectl(["patch", `deployment/${RELEASE}`, "--type=strategic", "-p", JSON.stringify({ spec: { template: { spec: { containers: [{ name: "sidecar", image: "registry.k8s.io/pause:3.10" }] } } } })]);
        await kubectl(["patch", "configmap", RELEASE, "--type=merge", "-p", JSON.stringify({ data: { NODE_OPTIONS: "--require /tmp/x.js" } })]);
        // The stack's own objects, outside the release.
        await kubectl(["label", "--overwrite", "namespace", ns, "pod-security.kubernetes.io/enforce=privileged"]);
        await kubectl(["patch", "secret", "taskflow-api-redis-auth", "--type=merge", "-p", JSON.stringify({ data: { "redis-password": Buffer.from("hand-set-password").toString("base64") } })]);

        const r = await drift();
        console.log(r.stdout.replace(/^/gm, "      "));
        assert.equal(r.code, 1, `drift must exit 1 on drift\n${r.stdout}${r.stderr}`);
        assert.ok(!r.stdout.includes("hand-set-password") && !r.stdout.includes(Buffer.from("hand-set-password").toString("base64")), "no Secret value");
        assert.deepEqual(objectLines(r.stdout).sort(), [
            `- NetworkPolicy ${ns}/${RELEASE} (deleted: in the release, not in the cluster)`,
            `~ ConfigMap ${ns}/${RELEASE}`,
            `~ Deployment ${ns}/${RELEASE}`,
            `~ Namespace ${ns}`,
            `~ Secret ${ns}/taskflow-api-redis-auth`,
        ]);
        const fields = fieldLines(r.stdout);
        for (const line of [
            "spec.replicas: live 2, release 1",
            `spec.template.spec.containers[${CONTAINER}].image: live "ghcr.io/example/taskflow-api:edited-by-hand", release "ghcr.io/example/taskflow-api:1.0.0"`,
            'metadata.labels["pod-security.kubernetes.io/enforce"]: live "privileged", release "restricted"',
            "data.redis-password: live <secret>, release <secret>",
        ]) assert.ok(fields.includes(line), `missing: ${line}\n${fields.join("\n")}`);
        for (const re of [
            /^\+ metadata\.labels\.debug: added by kubectl-label/,
            new RegExp(`^\\+ spec\\.template\\.spec\\.containers\\[${CONTAINER}\\]\\.env\\[EXTRA_FLAG\\]: added by kubectl-set`),
            /^\+ spec\.template\.spec\.containers\[sidecar\]: added by kubectl-patch/,
            /^\+ data\.NODE_OPTIONS: added by kubectl-patch/,
        ]) assert.ok(fields.some((l) => re.test(l)), `missing: ${re}\n${fields.join("\n")}`);
    });

    it("heals with one command: removes what was added, puts back what was changed or deleted, the app serves", async () => {
        const r = await heal();
        const token = /release\.healToken=(\S+)/.exec(r.stdout)?.[1];
        assert.ok(token, "heal names its token");
        assert.match(r.stdout, /removes spec\.template\.spec\.containers\[sidecar\] from Deployment/);
        const d = await drift();
        console.log(d.stdout.replace(/^/gm, "      "));
        assert.equal(d.code, 0, `${d.stdout}${d.stderr}`);
        assert.ok(await target().get(["networkpolicy", RELEASE, "-n", target().namespace]), "the NetworkPolicy is back");
        await serves();
        // The committed config is untouched (heal wrote a copy); an up with the heal's token
        // changes nothing: the heal does not repeat itself.
        assert.doesNotMatch(fs.readFileSync(base, "utf8"), /healToken/);
        const healed = target().configFile("healed", (c) => (c["taskflow-api:release"] = { ...(c["taskflow-api:release"] ?? {}), healToken: token }));
        ok(await target().pulumi(["preview", "--expect-no-changes"], healed), "preview after heal, with its token");
    });

    it("heal of a stack that is not the local one goes through the gate: a preview with more than the heal token is refused and changes nothing", async () => {
        const tg = target();
        const revisions = (await tg.releaseHistory()).length;
        const other = tg.configFile("heal-gate", (c) => {
            c["taskflow-api:app"].env.LOG_LEVEL = "info"; // one more change in the Release's values
        });
        const r = await run("bash", [path.join(PROJECT_ROOT, "ops/heal.sh"), "--stack", "dev", "--config-file", other, "--yes", "--non-interactive"], { cwd: PROJECT_ROOT, env: tg.env });
        console.log(`${r.stdout}${r.stderr}`.split("\n").filter((l) => /heal/.test(l)).join("\n").replace(/^/gm, "      "));
        assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
        // Refused by the gate: the preview changes the release's values (or, on a checkout with
        // uncommitted changes, by that check first).
        assert.match(r.stderr, /heal gate: refused for dev:[\s\S]*Release::taskflow-api: (changes values besides the heal token|update without a diff)|uncommitted changes/);
        assert.equal((await tg.releaseHistory()).length, revisions, "nothing was deployed");
        assert.ok(!fs.readdirSync(tg.stateDir).some((f) => f.startsWith(".heal-")), "the config copy is gone");
    });

    it("reports a Service port and a container port edited under their names as drift (exit 1) that cannot be re-applied in place; heal patches both in place, deleting neither (M3)", async () => {
        const ns = target().namespace;
        await kubectl(["patch", "service", RELEASE, "--type=json", "-p", JSON.stringify([{ op: "replace", path: "/spec/ports/0/port", value: 8081 }])]);
        await kubectl(["patch", `deployment/${RELEASE}`, "--type=json", "-p", JSON.stringify([{ op: "replace", path: "/spec/template/spec/containers/0/ports/0/containerPort", value: 9090 }])]);
        const r = await drift();
        console.log(r.stdout.replace(/^/gm, "      "));
        assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
        const lines = objectLines(r.stdout);
        assert.ok(lines.some((l) => l.startsWith(`~ Service ${ns}/${RELEASE} (cannot be re-applied in place: spec.ports: port=8081 and port=80 would both be named "http"`)), lines.join("\n"));
        assert.ok(lines.some((l) => l.startsWith(`~ Deployment ${ns}/${RELEASE} (cannot be re-applied in place:`)), lines.join("\n"));

        const uid = async (kind: string) => (await target().get<any>([kind, RELEASE, "-n", ns]))?.metadata?.uid;
        const before = { service: await uid("service"), deployment: await uid("deployment") };
        const h = await heal();
        assert.match(h.stdout, new RegExp(`patches Service ${ns}/${RELEASE} in place \\(cannot be re-applied in place`));
        assert.doesNotMatch(`${h.stdout}${h.stderr}`, /deleting|deleted/);
        assert.deepEqual({ service: await uid("service"), deployment: await uid("deployment") }, before, "the same Service and Deployment: patched, not re-created");
        const d = await drift();
        console.log(d.stdout.replace(/^/gm, "      "));
        assert.equal(d.code, 0, `${d.stdout}${d.stderr}`);
        await serves();
    });

    it("names an annotation key added to the Service (not Helm's whole map), ignores a rollout restart, and reports objects nothing owns: a ConfigMap, a Pod the Service selects, an allow-all NetworkPolicy (item 9, m4)", async () => {
        const ns = target().namespace;
        await kubectl(["annotate", "service", RELEASE, "team.example.com/owner=someone"]);
        await kubectl(["rollout", "restart", `deployment/${RELEASE}`]);
        await kubectl(["create", "configmap", "notes", "--from-literal=a=b"]);
        const svc = await target().get<any>(["service", RELEASE, "-n", ns]);
        // Pod Security "restricted" admits only a locked-down pod; the pause image is on the node.
        const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "impostor", labels: svc.spec.selector },
            spec: { securityContext: { runAsNonRoot: true, runAsUser: 65535, seccompProfile: { type: "RuntimeDefault" } },
                containers: [{ name: "pause", image: "registry.k8s.io/pause:3.10", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }] } };
        const np = { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "allow-all" }, spec: { podSelector: {}, ingress: [{}], policyTypes: ["Ingress"] } };
        for (const [name, o] of [["impostor", pod], ["allow-all", np]] as const) {
            const file = path.join(target().stateDir, `${name}.json`);
            fs.writeFileSync(file, JSON.stringify(o));
            await kubectl(["apply", "-f", file]);
        }
        const r = await drift();
        console.log(r.stdout.replace(/^/gm, "      "));
        assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
        const fields = fieldLines(r.stdout);
        assert.ok(fields.includes('+ metadata.annotations["team.example.com/owner"]: added by kubectl-annotate ("someone")'), fields.join("\n"));
        assert.ok(!fields.some((l) => /meta\.helm\.sh|restartedAt/.test(l)), `Helm's keys or the restart reported:\n${fields.join("\n")}`);
        const orphans = r.stdout.split("\n").filter((l) => l.startsWith("? "));
        assert.deepEqual(orphans, [
            `? ConfigMap ${ns}/notes (orphan: in the namespace, owned by nothing in the stack)`,
            `? NetworkPolicy ${ns}/allow-all (orphan: in the namespace, owned by nothing in the stack; allows all ingress to every pod in the namespace)`,
            `? Pod ${ns}/impostor (orphan: in the namespace, owned by nothing in the stack; matches the selector of Service ${RELEASE}: it receives the app's traffic)`,
        ]);
        await kubectl(["delete", "configmap/notes", "pod/impostor", "networkpolicy/allow-all", "--wait=true"]);
        await kubectl(["annotate", "service", RELEASE, "team.example.com/owner-"]);
        const d = await drift();
        assert.equal(d.code, 0, `${d.stdout}${d.stderr}`);
    });

    it("heal refuses an argument it does not know (exit 2, naming it) and, on a non-terminal stdin, runs only with --yes (exit 1, saying so); nothing changes (M4, item 9)", async () => {
        const tg = target();
        const revisions = (await tg.releaseHistory()).length;
        const healSh = path.join(PROJECT_ROOT, "ops/heal.sh");
        const unknown = await run("bash", [healSh, "--stack", "dev", "--local", "--yes", "-s", "prod"], { cwd: PROJECT_ROOT, env: tg.env });
        assert.equal(unknown.code, 2, `${unknown.stdout}${unknown.stderr}`);
        assert.match(unknown.stderr, /heal: unknown argument -s/);
        // npm's own way in, as a person types it, with stdin at end of input (a pipe, CI).
        const noYes = await run("bash", ["-c", "npm run -s heal -- --stack dev --local < /dev/null"], { cwd: PROJECT_ROOT, env: tg.env });
        assert.equal(noYes.code, 1, `${noYes.stdout}${noYes.stderr}`);
        assert.match(noYes.stderr, /stdin is not a terminal.*pass --yes/);
        assert.equal((await tg.releaseHistory()).length, revisions, "nothing was deployed");
    });
});

describe("npm run diff on a copy of the project with its own git history", function () {
    this.timeout(5 * 60_000);
    let copy: string;
    before(() => {
        copy = fs.mkdtempSync(path.join(os.tmpdir(), "taskflow-e2e-diff-"));
        execFileSync("bash", ["-c", [
            'tar -C "$1" --exclude=./node_modules --exclude=./.git --exclude=./.state --exclude=./out -cf - . | tar -C "$2" -xf -',
            'cd "$2" && git init -q -b main && git add -A && git -c user.name=e2e -c user.email=e2e@example.com commit -qm base',
        ].join(" && "), "_", PROJECT_ROOT, copy]);
        fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(copy, "node_modules"));
    });
    after(() => fs.rmSync(copy, { recursive: true, force: true }));

    it("is empty and exits 0 for an unchanged tree", async () => {
        const r = await tsScript("diff", ["--stack", "dev", "--base", "HEAD"], process.env, copy);
        console.log(r.stdout.replace(/^/gm, "      "));
        assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
        assert.deepEqual(objectLines(r.stdout), []);
        assert.match(r.stdout, /no object changes \(\d+ objects\)/);
    });

    it("names exactly the objects a template edit changes, with their fields, and exits 1", async () => {
        const tpl = path.join(copy, "chart/templates/service.yaml");
        const text = fs.readFileSync(tpl, "utf8");
        assert.ok(text.includes("\nspec:\n"), "service.yaml changed: update the e2e edit anchor");
        fs.writeFileSync(tpl, text.replace("\nspec:\n", "\nspec:\n  sessionAffinity: ClientIP\n"));
        const r = await tsScript("diff", ["--stack", "dev", "--base", "HEAD"], process.env, copy);
        console.log(r.stdout.replace(/^/gm, "      "));
        assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
        assert.deepEqual(objectLines(r.stdout), [`~ Service taskflow-dev/${RELEASE}`]);
        assert.deepEqual(fieldLines(r.stdout), ['spec.sessionAffinity: (unset) -> "ClientIP"']);
        assert.match(r.stdout, /folded: chart hash annotation on 1 object/);
        fs.writeFileSync(tpl, text);
    });
});
