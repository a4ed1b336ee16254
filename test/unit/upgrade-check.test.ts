// The upgrade check's rule alone (test/chart/upgrade-check.ts); the chart suite runs it on real
// renders of the previous release and HEAD, with mutated charts as canaries.
import { strict as assert } from "assert";

import { compareRenders, parseMigrations } from "../chart/upgrade-check";

/* eslint-disable @typescript-eslint/no-explicit-any */
const deployment = (labels: Record<string, string>, image = "app:1"): any => ({
    kind: "Deployment", metadata: { name: "api" },
    spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ image }] } } },
});
const hookJob = (policy: string, deadline: number): any => ({
    kind: "Job", metadata: { name: "migrate-1", annotations: { "helm.sh/hook": "pre-upgrade", "helm.sh/hook-delete-policy": policy } },
    spec: { template: { spec: { activeDeadlineSeconds: deadline } } },
});
const service = (spec: Record<string, unknown>): any => ({ kind: "Service", metadata: { name: "api" }, spec });

describe("upgrade check: what the previous release's objects cannot take in place", () => {
    it("a Deployment whose pod template changes but whose selector does not upgrades in place", () => {
        const v = compareRenders([deployment({ app: "a" })], [deployment({ app: "a" }, "app:2")]);
        assert.deepEqual(v.violations, []);
    });

    it("a selector label added is refused, key order ignored", () => {
        const v = compareRenders([deployment({ a: "1", b: "2" })], [deployment({ b: "2", a: "1", c: "3" })]);
        assert.deepEqual(v.violations.map((x) => `${x.object} ${x.field}`), ["Deployment/api spec.selector"]);
        assert.equal(compareRenders([deployment({ a: "1", b: "2" })], [deployment({ b: "2", a: "1" })]).violations.length, 0);
    });

    it("a hook Job's template change is refused unless Helm deletes the old Job first", () => {
        assert.equal(compareRenders([hookJob("hook-succeeded", 60)], [hookJob("hook-succeeded", 90)]).violations[0].field, "spec.template");
        assert.deepEqual(compareRenders([hookJob("hook-succeeded", 60)], [hookJob("before-hook-creation, hook-succeeded", 90)]).violations, []);
    });

    it("a Service's clusterIP change and a type change to ExternalName are refused; ClusterIP to NodePort is not", () => {
        assert.equal(compareRenders([service({})], [service({ clusterIP: "None" })]).violations[0].field, "spec.clusterIP");
        assert.equal(compareRenders([service({ type: "ClusterIP" })], [service({ type: "ExternalName" })]).violations[0].field, "spec.type");
        assert.deepEqual(compareRenders([service({ type: "ClusterIP" })], [service({ type: "NodePort" })]).violations, []);
    });

    it("a new object, or one the previous release did not have, is no upgrade of an existing one", () => {
        assert.deepEqual(compareRenders([], [deployment({ a: "1" })]).violations, []);
    });

    it("a declared migration lets its change pass; a declaration that matches nothing is stale", () => {
        const m = parseMigrations("migrations:\n  - object: Deployment/api\n    field: spec.selector\n    how: orphan-delete first\n");
        const v = compareRenders([deployment({ a: "1" })], [deployment({ a: "1", c: "3" })], m);
        assert.deepEqual([v.violations.length, v.declared.length, v.stale.length], [0, 1, 0]);
        const stale = compareRenders([deployment({ a: "1" })], [deployment({ a: "1" })], m);
        assert.deepEqual(stale.stale.map((x) => x.object), ["Deployment/api"]);
    });

    it("a migration entry without `how` is an error naming the key", () => {
        assert.throws(() => parseMigrations("migrations:\n  - object: Deployment/api\n    field: spec.selector\n"), /migrations\[0\]\.how/);
    });
});
