// The example ESC environments under esc/: they cannot be opened offline, so their shape is
// checked here against what the README promises.
import * as assert from "assert";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

import { looksLikeSecretValue } from "../config/secrets";

const ESC_DIR = path.resolve(__dirname, "..", "..", "esc");
const files = fs.readdirSync(ESC_DIR).filter((f) => f.endsWith(".yaml"));

interface EscDocument {
    values?: {
        aws?: { login?: Record<string, { oidc?: Record<string, string>; static?: unknown }> };
        environmentVariables?: Record<string, string>;
        files?: Record<string, string>;
    };
}

describe("example ESC environments", () => {
    it("there is at least one example environment", () => {
        assert.ok(files.length > 0);
    });

    for (const file of files) {
        const text = fs.readFileSync(path.join(ESC_DIR, file), "utf8");
        const doc = yaml.load(text) as EscDocument;

        it(`${file} logs in to AWS by OIDC, never with static keys`, () => {
            const login = doc.values?.aws?.login?.["fn::open::aws-login"];
            assert.ok(login?.oidc, "expected values.aws.login.fn::open::aws-login.oidc");
            assert.match(login.oidc.roleArn, /^arn:aws:iam::\d{12}:role\//);
            assert.ok(login.oidc.sessionName);
            assert.strictEqual(login.static, undefined);
        });

        it(`${file} exports the AWS session and a kubeconfig to the commands it runs`, () => {
            const env = doc.values?.environmentVariables ?? {};
            assert.strictEqual(env.AWS_ACCESS_KEY_ID, "${aws.login.accessKeyId}");
            assert.strictEqual(env.AWS_SECRET_ACCESS_KEY, "${aws.login.secretAccessKey}");
            assert.strictEqual(env.AWS_SESSION_TOKEN, "${aws.login.sessionToken}");
            assert.ok(doc.values?.files?.KUBECONFIG, "expected values.files.KUBECONFIG");
        });

        it(`${file} holds no credential in plain text`, () => {
            assert.ok(!looksLikeSecretValue(text));
        });
    }
});
