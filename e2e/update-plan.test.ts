// The update-plan mechanism prod's deploy relies on (deploy.yml prod-plan -> prod; docs/delivery.md
// "Update plans"), on the pinned engine: `pulumi preview --refresh --save-plan` then `pulumi up
// --refresh --plan` with the plan's config file applies the planned change, and an up whose
// program or config no longer matches the approved plan is refused before it changes anything.
// A small project (one random resource, this repository's node_modules) on a file backend: no
// cluster, no network.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { ok, PROJECT_ROOT, run } from "./harness";

describe("update plans on the pinned engine: approve a plan, apply exactly it", function () {
    this.timeout(600_000);
    let dir: string, project: string, env: NodeJS.ProcessEnv;
    const pulumi = (args: string[]) => run("pulumi", [...args, "--stack", "dev", "--non-interactive"], { cwd: project, env });
    const config = (length: number, file = "Pulumi.dev.yaml") => fs.writeFileSync(path.join(project, file), `config:\n  pet-check:length: "${length}"\n`);
    const pet = async () => JSON.parse(ok(await pulumi(["stack", "output", "--json"]), "stack output").stdout).name as string;

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "taskflow-update-plan-"));
        project = path.join(dir, "project");
        fs.mkdirSync(project);
        fs.mkdirSync(path.join(dir, "backend"));
        fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(project, "node_modules"));
        fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: pet-check\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: index.js\n");
        fs.writeFileSync(path.join(project, "package.json"), '{ "name": "pet-check", "private": true }\n');
        fs.writeFileSync(path.join(project, "index.js"), `const pulumi = require("@pulumi/pulumi");
const random = require("@pulumi/random");
const pet = new random.RandomPet("pet", { length: new pulumi.Config().requireNumber("length") });
exports.name = pet.id;
`);
        env = { ...process.env, PULUMI_BACKEND_URL: `file://${path.join(dir, "backend")}`, PULUMI_CONFIG_PASSPHRASE: "taskflow-e2e-plan" };
        ok(await run("pulumi", ["stack", "init", "dev", "--non-interactive"], { cwd: project, env }), "stack init");
        config(2);
        ok(await pulumi(["up", "--yes", "--skip-preview"]), "first up");
        assert.equal((await pet()).split("-").length, 2);
    });

    after(() => {
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("applies the saved plan (preview --refresh --save-plan, then up --refresh --plan with the plan's config)", async () => {
        config(3, "plan-config.yaml");
        const plan = path.join(dir, "plan.json");
        ok(await pulumi(["preview", "--refresh", "--diff", "--save-plan", plan, "--config-file", "plan-config.yaml"]), "preview --save-plan");
        assert.ok(fs.statSync(plan).size > 0);
        const up = ok(await pulumi(["up", "--yes", "--refresh", "--plan", plan, "--config-file", "plan-config.yaml"]), "up --plan");
        assert.match(up.stdout, /replace|replaced/);
        assert.equal((await pet()).split("-").length, 3);
    });

    it("refuses an up whose config differs from the approved plan, and changes nothing", async () => {
        config(4, "plan-config.yaml");
        const plan = path.join(dir, "plan-4.json");
        ok(await pulumi(["preview", "--refresh", "--save-plan", plan, "--config-file", "plan-config.yaml"]), "preview --save-plan (length 4)");
        const before = await pet();
        config(5, "plan-config.yaml"); // what was approved is 4
        const up = await pulumi(["up", "--yes", "--refresh", "--plan", plan, "--config-file", "plan-config.yaml"]);
        assert.notEqual(up.code, 0, `an up outside its plan must fail:\n${up.stdout}`);
        const violation = /error: (resource \S+ violates plan: [^\n]+)/.exec(`${up.stdout}${up.stderr}`);
        assert.ok(violation, `the refusal names the plan violation:\n${up.stdout}${up.stderr}`);
        assert.equal(await pet(), before, "the refused up changed the resource");
        console.log(`      refused: ${violation[1]}`);
    });
});
