import * as assert from "assert";

import { detectDrift, formatDrift } from "../../ops/drift";

// A stand-in API server for the report logic only; the real server-side dry-run is exercised
// by test/e2e/drift.test.ts.
const manifest = `---
# Source: taskflow-api/templates/networkpolicy.yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api
spec: {}
---
# Source: taskflow-api/templates/secret.yaml
apiVersion: v1
kind: Secret
metadata:
  name: creds
data:
  password: cmVsZWFzZQ==
---
# Source: taskflow-api/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 1
`;

describe("drift report (ops/drift.ts)", () => {
    const live: Record<string, unknown> = {
        Secret: { apiVersion: "v1", kind: "Secret", metadata: { name: "creds", namespace: "ns", resourceVersion: "7", managedFields: [{ manager: "helm", time: "2026-01-01T00:00:00Z" }] }, data: { password: "bGl2ZQ==" } },
        Deployment: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "api", namespace: "ns", generation: 3 }, spec: { replicas: 4 }, status: { replicas: 4 } },
    };
    const applied: Record<string, unknown> = {
        Secret: { apiVersion: "v1", kind: "Secret", metadata: { name: "creds", namespace: "ns", resourceVersion: "8" }, data: { password: "cmVsZWFzZQ==" } },
        Deployment: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "api", namespace: "ns", generation: 4 }, spec: { replicas: 1 }, status: { replicas: 4 } },
    };
    const managers: string[] = [];
    const cluster = {
        kubectl: (args: string[], input?: string) => {
            const kind = /kind: (\w+)/.exec(input ?? "")?.[1] as string;
            if (args[0] === "get") {
                // kubectl get -f answers with a List, empty when the object is gone.
                return { code: 0, stdout: JSON.stringify({ kind: "List", items: live[kind] ? [live[kind]] : [] }), stderr: "" };
            }
            managers.push(args.find((a) => a.startsWith("--field-manager=")) as string);
            return { code: 0, stdout: JSON.stringify(applied[kind]), stderr: "" };
        },
    };

    it("lists deleted objects and drifted fields, ignoring server-owned metadata and status, never a Secret value", () => {
        const report = detectDrift(manifest, "ns", cluster);
        assert.strictEqual(report.objects, 3);
        const text = formatDrift(report).join("\n");
        assert.strictEqual(text, [
            "- NetworkPolicy ns/api (deleted: in the release, not in the cluster)",
            "~ Secret ns/creds",
            "    data.password: live <secret>, release <secret>",
            "~ Deployment ns/api",
            "    spec.replicas: live 4, release 1",
            "3 of 3 objects drifted: 2 changed, 1 deleted. Heal: npm run heal -- --stack <stack> (README, Operations)",
        ].join("\n"));
        assert.ok(!text.includes("bGl2ZQ") && !text.includes("cmVsZWFzZQ"));
        assert.deepStrictEqual(managers, ["--field-manager=helm", "--field-manager=helm"], "applies as the manager that created the object");
    });
});
