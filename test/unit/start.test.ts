// `npm start` (ops/start.sh) never deploys to a cluster it was not told about (review M7): the
// local cluster is the default, whatever kube context is current and whatever Pulumi CLI is on
// PATH; the user's own cluster only when named, with the preview and a question before any change.
// Driven with stand-in `pulumi` and `kubectl` that record their arguments; the local path is
// stopped at its first step (an unusable tools dir), before it builds or starts anything.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");

describe("npm start chooses its cluster", function () {
    this.timeout(60_000);
    let dir: string, log: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "taskflow-start-"));
        log = path.join(dir, "calls.log");
        // A developer's machine whose current context is a production cluster, reachable.
        for (const tool of ["pulumi", "kubectl"]) {
            fs.writeFileSync(path.join(dir, tool), `#!/bin/sh\necho "${tool} $*" >> "${log}"\n` +
                (tool === "kubectl" ? 'case "$*" in *current-context*) echo arn:aws:eks:us-east-1:123456789012:cluster/prod;; esac\n' : "") +
                "exit 0\n", { mode: 0o755 });
        }
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const start = (args: string[]) => {
        const r = spawnSync("bash", [path.join(ROOT, "ops/start.sh"), ...args], {
            cwd: ROOT, encoding: "utf8",
            // The local path stops at once: its tools dir cannot be created.
            env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, TASKFLOW_TOOLS_DIR: "/proc/taskflow-start-test/tools" },
        });
        const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
        return { ...r, calls, out: `${r.stdout}${r.stderr}` };
    };

    it("dev without --context goes to the local cluster, never to the current context, with a Pulumi CLI and kubectl on PATH", () => {
        const r = start([]);
        assert.match(r.out, /deploying dev to the local cluster/);
        assert.deepEqual(r.calls.filter((c) => /^pulumi (up|preview|destroy)/.test(c)), []);
    });

    it("--context to a cluster that does not answer stops before the engine, naming the context and its server (issue 21, item 4)", () => {
        // The same developer's machine, with that cluster's API server down.
        fs.writeFileSync(path.join(dir, "kubectl"), `#!/bin/sh\necho "kubectl $*" >> "${log}"\n` +
            'case "$*" in *"get --raw /readyz"*) echo "Unable to connect to the server: dial tcp 10.9.8.7:443: connect: connection refused" >&2; exit 1;;\n' +
            '  *jsonpath*) echo https://10.9.8.7:443;; esac\nexit 0\n', { mode: 0o755 });
        const r = start(["dev", "--context", "kind-mine"]);
        assert.equal(r.status, 1, r.out);
        assert.match(r.out, /API server of context kind-mine \(https:\/\/10\.9\.8\.7:443\) does not answer; nothing was changed\. Unable to connect to the server: dial tcp 10\.9\.8\.7:443: connect: connection refused/);
        assert.deepEqual(r.calls.filter((c) => /^pulumi (up|preview)/.test(c)), []);
    });

    it("--context previews, then asks: pulumi up without --yes, with the policy pack, on a kubeconfig holding only that context", () => {
        const r = start(["dev", "--context", "kind-mine"]);
        assert.equal(r.status, 0, r.out);
        assert.ok(r.calls.includes("kubectl config view --flatten --minify --context kind-mine"), r.calls.join("\n"));
        const up = r.calls.find((c) => c.startsWith("pulumi up"));
        assert.ok(up, r.calls.join("\n"));
        assert.match(up, /--stack dev/);
        assert.match(up, /--policy-pack policy/);
        assert.doesNotMatch(up, /--yes|--skip-preview|-y\b/);
    });

    it("a stack whose config names its cluster (staging: stackReference) needs no --context, and still asks", () => {
        const r = start(["staging"]);
        assert.equal(r.status, 0, r.out);
        const up = r.calls.find((c) => c.startsWith("pulumi up"));
        assert.ok(up && !/--yes/.test(up), r.calls.join("\n"));
    });

    it("refuses a --context that contradicts the stack's pinned cluster.context", () => {
        const r = start(["prod", "--context", "kind-mine"]);
        assert.equal(r.status, 2);
        assert.match(r.out, /pins cluster.context/);
        assert.deepEqual(r.calls.filter((c) => c.startsWith("pulumi up")), []);
    });
});
