// ops/state.sh export, the step the deploy workflow runs before every `up` (issue 21, item 6):
// the file it keeps is private and never holds a secret in plaintext; a stack with nothing to keep
// gets a marker, so the first deploy of a new stack is not stopped by its own export (review M1). Driven with a stand-in
// `pulumi` that writes the export it is given; the real engine's export and restore are
// e2e/platform-faults.test.ts.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");
const SECRET_SIG = "4dabf18193072939515e22adb298388d"; // Pulumi's secret marker

describe("ops/state.sh export (the deploy workflow's state export)", function () {
    this.timeout(30_000);
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "taskflow-state-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** Runs the export with a `pulumi` that writes `deployment` as the stack's export. */
    const exportWith = (deployment: unknown) => {
        fs.writeFileSync(path.join(dir, "export.json"), JSON.stringify({ version: 3, deployment }));
        fs.writeFileSync(path.join(dir, "pulumi"), `#!/bin/sh\necho "pulumi $*" >> "${dir}/calls.log"\n` +
            `while [ $# -gt 0 ]; do [ "$1" = --file ] && cp "${dir}/export.json" "$2"; shift; done\n`, { mode: 0o755 });
        const file = path.join(dir, "out", "prod-1-1.json");
        const r = spawnSync("bash", [path.join(ROOT, "ops/state.sh"), "export", "--stack", "org/prod", "--file", file], {
            cwd: ROOT, encoding: "utf8", env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
        });
        return { ...r, file, calls: fs.readFileSync(path.join(dir, "calls.log"), "utf8").trim() };
    };
    const resources = [{ urn: "urn:pulumi:prod::taskflow-api::pulumi:pulumi:Stack::taskflow-api-prod", type: "pulumi:pulumi:Stack" }];

    it("keeps an export whose secrets are ciphertext, mode 0600, made without --show-secrets", () => {
        const r = exportWith({ resources: [...resources, { urn: "x", type: "random:index/randomPassword:RandomPassword", outputs: { result: { [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:abc" } } }] });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.calls, `pulumi stack export --stack org/prod --file ${r.file}`);
        assert.equal(fs.statSync(r.file).mode & 0o777, 0o600);
        assert.match(r.stdout, /2 resources, 0 pending operations, secrets encrypted/);
    });

    it("refuses, and removes, an export holding a secret in plaintext", () => {
        const r = exportWith({ resources: [...resources, { urn: "x", type: "random:index/randomPassword:RandomPassword", outputs: { result: { [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", plaintext: "\"hunter2\"" } } }] });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /holds secrets in plaintext/);
        assert.ok(!fs.existsSync(r.file), "the plaintext export was kept");
    });

    it("keeps a marker, not a failure, for a stack with no resources: the first deploy of a new stack goes on (review M1)", () => {
        // What the engine exports for a stack that was initialised and never deployed.
        const r = exportWith({ manifest: { time: "2026-12-07T22:00:00Z", magic: "", version: "v3.255.0" }, secrets_providers: { type: "service" } });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /stack org\/prod has no resources: nothing to keep/);
        const kept = JSON.parse(fs.readFileSync(r.file, "utf8"));
        assert.equal(kept.nothingToKeep, true);
        assert.equal(kept.stack, "org/prod");
        assert.equal(fs.statSync(r.file).mode & 0o777, 0o600);
    });

    it("keeps an export with pending operations even when it lists no resources (an interrupted first up)", () => {
        const r = exportWith({ pending_operations: [{ resource: { urn: "x", type: "kubernetes:core/v1:Namespace" }, type: "creating" }] });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /0 resources, 1 pending operations/);
        assert.equal(JSON.parse(fs.readFileSync(r.file, "utf8")).deployment.pending_operations.length, 1);
    });

    it("restore refuses the marker, naming it, and imports nothing", () => {
        const r = exportWith({});
        assert.equal(r.status, 0, r.stderr);
        const restore = spawnSync("bash", [path.join(ROOT, "ops/state.sh"), "restore", "--stack", "org/prod", "--file", r.file], {
            cwd: ROOT, encoding: "utf8", env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
        });
        assert.equal(restore.status, 1);
        assert.match(restore.stderr, /is the marker of a stack that had no resources: nothing to restore/);
        assert.equal(fs.readFileSync(path.join(dir, "calls.log"), "utf8").trim(), `pulumi stack export --stack org/prod --file ${r.file}`, "restore called pulumi");
    });
});
