// Knowing what will change and what has drifted (issue 15), on the real engine and the local
// cluster with a real node: manual edits of the Deployment and a deleted NetworkPolicy are
// named exactly by `npm run drift`; `npm run heal` puts them back through a Helm upgrade and
// the app still serves; `npm run diff` names exactly the objects a template edit changes and is
// empty for an unchanged tree.
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
    this.timeout(20 * 60_000);
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

    it("reports no drift right after a deploy", async () => {
        const r = await drift();
        console.log(r.stdout.replace(/^/gm, "      "));
        assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
        assert.match(r.stdout, /no drift: \d+ objects match the release/);
    });

    it("names exactly the drifted Deployment fields (replicas, an env value, the image) and the deleted NetworkPolicy", async () => {
        // What `kubectl edit` would do, one edit per field, each by another field manager.
        await kubectl(["scale", `deployment/${RELEASE}`, "--replicas=2"]);
        await kubectl(["patch", `deployment/${RELEASE}`, "--type=json", "-p", JSON.stringify([
            { op: "replace", path: "/spec/template/spec/containers/0/env/0/valueFrom/secretKeyRef/key", value: "edited-by-hand" },
        ])]);
        await kubectl(["set", "image", `deployment/${RELEASE}`, `${CONTAINER}=ghcr.io/example/taskflow-api:edited-by-hand`]);
        await kubectl(["delete", "networkpolicy", RELEASE]);

        const r = await drift();
        console.log(r.stdout.replace(/^/gm, "      "));
        assert.equal(r.code, 1, `drift must exit 1 on drift\n${r.stdout}${r.stderr}`);
        const ns = target().namespace;
        // In the manifest's order (Helm's install order), so compared as a set.
        assert.deepEqual(objectLines(r.stdout).sort(), [
            `- NetworkPolicy ${ns}/${RELEASE} (deleted: in the release, not in the cluster)`,
            `~ Deployment ${ns}/${RELEASE}`,
        ]);
        assert.deepEqual(fieldLines(r.stdout), [
            "spec.replicas: live 2, release 1",
            `spec.template.spec.containers[${CONTAINER}].env[REDIS_PASSWORD].valueFrom.secretKeyRef.key: live "edited-by-hand", release "redis-password"`,
            `spec.template.spec.containers[${CONTAINER}].image: live "ghcr.io/example/taskflow-api:edited-by-hand", release "ghcr.io/example/taskflow-api:1.0.0"`,
        ]);
    });

    it("heals with one command (a Helm upgrade of the same chart and values through pulumi up): no drift, the app serves", async () => {
        const tg = target();
        const revisions = (await tg.releaseHistory()).length;
        const heal = await run("bash", [path.join(PROJECT_ROOT, "ops/heal.sh"), "--stack", "dev", "--config-file", base, "--yes", "--non-interactive"], { cwd: PROJECT_ROOT, env: tg.env });
        ok(heal, "npm run heal");
        const history = await tg.releaseHistory();
        assert.equal(history.length, revisions + 1, "heal must be one more release revision");
        assert.match(history[history.length - 1].description, /^heal \d{8}T\d{6}Z$/);
        assert.equal(history[history.length - 1].status, "deployed");

        const r = await drift();
        console.log(r.stdout.replace(/^/gm, "      "));
        assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
        assert.ok(await tg.get(["networkpolicy", RELEASE, "-n", tg.namespace]), "the NetworkPolicy is back");

        const svc = await tg.get<any>(["service", RELEASE, "-n", tg.namespace]);
        const url = `http://${svc.spec.clusterIP}:${svc.spec.ports[0].port}/v1/roundtrip`;
        const answer = await waitFor("the app to answer /v1/roundtrip through its Service", async () => {
            const a = await get(url);
            return a.status === 200 ? a : undefined;
        }, 120_000, 1000);
        assert.equal(JSON.parse(answer.body).ok, true, answer.body);

        // An up with the same token changes nothing: the heal does not repeat itself.
        ok(await tg.pulumi(["preview", "--expect-no-changes"], base), "preview after heal");
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
