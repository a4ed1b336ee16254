// ops/state.sh export, the step the deploy workflow runs before every `up` (issue 21, item 6):
// the file it keeps is private and never holds a secret in plaintext. Driven with a stand-in
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

    it("refuses an export with no resources (a stack that was never deployed, or the wrong one)", () => {
        const r = exportWith({});
        assert.equal(r.status, 1);
        assert.match(r.stderr, /holds no resources/);
        assert.ok(!fs.existsSync(r.file));
    });
});
