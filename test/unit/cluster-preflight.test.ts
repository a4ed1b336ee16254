// The preview-time preflight (review m20): prod reads the alb IngressClass and the metrics API it
// relies on; a stack without an Ingress or an HPA reads nothing; cluster.preflight false skips it.
import * as assert from "assert";

import { buildStack, stackRawConfig } from "../support/stacks";

const INGRESS_CLASS = "kubernetes:networking.k8s.io/v1:IngressClass";
const API_SERVICE = "kubernetes:apiregistration.k8s.io/v1:APIService";

describe("cluster preflight", () => {
    it("prod reads the alb IngressClass and the metrics APIService before the release", async () => {
        const s = await buildStack("prod");
        assert.deepStrictEqual(s.ofType(INGRESS_CLASS).map((r) => r.name), ["taskflow-api-preflight-ingressclass"]);
        assert.deepStrictEqual(s.ofType(API_SERVICE).map((r) => r.name), ["taskflow-api-preflight-metrics-api"]);
        assert.ok(s.outputs.components.app.release, "the release is still registered");
    });

    it("dev (one replica, no Ingress) needs neither", async () => {
        const s = await buildStack("dev");
        assert.strictEqual(s.ofType(INGRESS_CLASS).length + s.ofType(API_SERVICE).length, 0);
    });

    it("cluster.preflight: false skips it (cluster bootstrap)", async () => {
        const raw = stackRawConfig("prod");
        raw["taskflow-api:cluster"] = JSON.stringify({ ...JSON.parse(raw["taskflow-api:cluster"]), preflight: false });
        const s = await buildStack("prod-no-preflight", raw);
        assert.strictEqual(s.ofType(INGRESS_CLASS).length + s.ofType(API_SERVICE).length, 0);
    });
});
