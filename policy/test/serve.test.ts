// The pack started exactly the way the engine starts it (@pulumi/pulumi/cmd/run-policy-pack: ts-node
// with type checking under the pack's tsconfig.json) and spoken to over the analyzer gRPC
// protocol: it announces its policies, and its Analyze answers a broken Release with a mandatory
// diagnostic. The closest check to the engine that needs no engine.
import * as grpc from "@grpc/grpc-js";
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { AnalyzeRequest, AnalyzeResponse, AnalyzerInfo, AnalyzerResourceOptions } from "@pulumi/pulumi/proto/analyzer_pb";

import { policies } from "../policies";
import { one, snapshotOf } from "./support/harness";

const PACK_DIR = path.resolve(__dirname, "..");
/** The analyzer's EnforcementLevel enum: ADVISORY = 0, MANDATORY = 1. */
const MANDATORY = 1;

describe("the pack served over the analyzer protocol, as the engine starts it", function () {
    this.timeout(120_000);
    let child: ChildProcess | undefined;
    let client: AnalyzerClient;

    before(async () => {
        // The engine address is only used for logging; nothing listens there.
        child = spawn(process.execPath, [require.resolve("@pulumi/pulumi/cmd/run-policy-pack"), "127.0.0.1:9", "."], {
            cwd: PACK_DIR, stdio: ["ignore", "pipe", "pipe"],
        });
        let stderr = "";
        child.stderr?.on("data", (d) => { stderr += String(d); });
        const port = await new Promise<string>((resolve, reject) => {
            child?.stdout?.once("data", (d) => resolve(String(d).trim()));
            child?.once("exit", (code) => reject(new Error(`the pack exited ${code} before serving:\n${stderr}`)));
        });
        client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    });

    after(() => {
        client?.close();
        child?.kill();
    });

    it("announces every policy of the pack as mandatory", async () => {
        const info = await new Promise<AnalyzerInfo>((resolve, reject) =>
            client.getAnalyzerInfo(new Empty(), (err, res) => (err ? reject(err) : resolve(res))));
        assert.strictEqual(info.getName(), "taskflow-api");
        const announced = info.getPoliciesList().map((p) => [p.getName(), p.getEnforcementlevel()]);
        assert.deepStrictEqual(announced, policies.map((p) => [p.name, MANDATORY]));
    });

    it("answers Analyze of a non-atomic dev Release with helm-release-atomic's mandatory diagnostic", async () => {
        const release = one(await snapshotOf("dev"), "kubernetes:helm.sh/v3:Release");
        const req = new AnalyzeRequest()
            .setType(release.type)
            .setName(release.name)
            .setUrn(release.urn)
            .setProperties(Struct.fromJavaScript({ ...release.props, atomic: false }))
            .setOptions(new AnalyzerResourceOptions());
        const res = await new Promise<AnalyzeResponse>((resolve, reject) =>
            client.analyze(req, (err, r) => (err ? reject(err) : resolve(r))));
        const diagnostics = res.getDiagnosticsList().map((d) => [d.getPolicyname(), d.getEnforcementlevel(), d.getMessage()]);
        assert.strictEqual(diagnostics.length, 1, JSON.stringify(diagnostics));
        const [name, level, message] = diagnostics[0];
        assert.deepStrictEqual([name, level], ["helm-release-atomic", MANDATORY]);
        assert.match(String(message), /atomic is not true: a failed rollout stays half-applied\. Remediation: /);
    });
});
