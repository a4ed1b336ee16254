import * as assert from "assert";
import { diffManifests } from "../../ops/diff";
import { diffObject, diffValues, formatObjectDiffs, indexObjects, objectKey, parseManifests } from "../../ops/manifests";

const deployment = (over: { replicas?: number; image?: string; env?: Array<{ name: string; value: string }>; chartLabel?: string; hash?: string } = {}) => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: ns
  labels: { helm.sh/chart: "${over.chartLabel ?? "taskflow-api-0.3.0"}" }
  annotations: { taskflow-api/chart-hash: "${over.hash ?? "a"}" }
spec:
  replicas: ${over.replicas ?? 1}
  template:
    spec:
      containers:
        - name: api
          image: ${over.image ?? "app:1"}
          env: ${JSON.stringify(over.env ?? [{ name: "A", value: "1" }, { name: "B", value: "2" }])}
        - name: sidecar
          image: side:1
`;
const secret = (pw: string) => `
apiVersion: v1
kind: Secret
metadata: { name: creds, namespace: ns }
stringData: { password: "${pw}" }
`;
const netpol = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: api, namespace: ns }
spec: { podSelector: {} }
`;

describe("per-object manifest diff (npm run diff, npm run drift)", () => {
    it("keys objects by kind, namespace and name, defaulting the namespace", () => {
        const [o] = parseManifests("---\n# Source: x\napiVersion: v1\nkind: Service\nmetadata: { name: s }\n---\n");
        assert.strictEqual(objectKey(o, "dev"), "Service dev/s");
        assert.throws(() => indexObjects([o, o], "dev"), /appears twice/);
    });

    it("compares named lists by name: containers and env entries are named in the path", () => {
        const a = parseManifests(deployment())[0];
        const b = parseManifests(deployment({ image: "app:2", env: [{ name: "A", value: "1" }, { name: "C", value: "3" }, { name: "B", value: "9" }] }))[0];
        assert.deepStrictEqual(diffValues(a, b).map((c) => c.path), [
            "spec.template.spec.containers[api].env[B].value",
            "spec.template.spec.containers[api].env[C]",
            "spec.template.spec.containers[api].image",
        ]);
    });

    it("an unchanged tree is an empty diff", () => {
        const text = deployment() + "---" + netpol;
        const d = diffManifests(text, text, "ns");
        assert.deepStrictEqual(d.diffs, []);
        assert.strictEqual(d.unchanged, 2);
    });

    it("reports added, removed and changed objects with their fields, and folds the chart hash and helm.sh/chart", () => {
        const before = deployment() + "---" + netpol;
        const after = deployment({ replicas: 3, chartLabel: "taskflow-api-0.3.1", hash: "b" }) + "---" + secret("x");
        const lines = formatObjectDiffs(diffManifests(before, after, "ns").diffs);
        assert.deepStrictEqual(lines, [
            "~ Deployment ns/api",
            "    spec.replicas: 1 -> 3",
            "- NetworkPolicy ns/api (removed)",
            "+ Secret ns/creds (added)",
            "  (folded: chart hash annotation, helm.sh/chart labels on 1 object(s); a helm.sh/chart change in a pod template also rolls its pods)",
        ]);
    });

    it("an object whose only change is folded noise is not a change", () => {
        const d = diffManifests(deployment(), deployment({ hash: "b" }), "ns");
        assert.strictEqual(d.diffs.filter((x) => x.fields.length > 0 || x.change !== "changed").length, 0);
        assert.strictEqual(d.unchanged, 1);
    });

    it("never shows a Secret's values, only which key changed", () => {
        const lines = formatObjectDiffs(diffManifests(secret("old-password-1"), secret("new-password-2"), "ns").diffs);
        assert.deepStrictEqual(lines, ["~ Secret ns/creds", '    stringData.password: <secret> -> <secret>']);
        assert.ok(!lines.join("\n").includes("password-"));
    });

    it("names the container of an edited field, whatever its position", () => {
        const [a] = parseManifests(deployment());
        const b = structuredClone(a);
        b.spec.template.spec.containers[1].image = "side:2";
        assert.deepStrictEqual(diffObject(a, b).fields, [{ path: "spec.template.spec.containers[sidecar].image", before: "side:1", after: "side:2" }]);
    });
});
