// The drift report's logic (ops/drift.ts, ops/live-compare.ts) on objects shaped as the API
// server returns them (managedFields included), and heal's gate (ops/heal-gate.ts). The real
// cluster is exercised by e2e/drift.test.ts.
import * as assert from "assert";
import * as zlib from "zlib";

import { decodeHelmRelease, detectDrift, formatDrift, stackOwnedObjects } from "../../ops/drift";
import { deployedCommit, previewProblems, withHealToken } from "../../ops/heal-gate";
import { compareObject, quantity, yaml11Octals } from "../../ops/live-compare";
import { K8sObject } from "../../ops/manifests";

/* eslint-disable @typescript-eslint/no-explicit-any */
const helmFields = (fields: any) => ({ manager: "helm", operation: "Update", time: "2026-01-01T00:00:00Z", fieldsV1: { "f:metadata": { "f:annotations": { "f:meta.helm.sh/release-name": {} } }, ...fields } });
const by = (manager: string, fields: any, time = "2026-01-02T00:00:00Z") => ({ manager, operation: "Update", time, fieldsV1: fields });

const deployment = (live: boolean, patch: (o: any) => void = () => undefined): K8sObject => {
    const o: any = {
        apiVersion: "apps/v1", kind: "Deployment",
        metadata: { name: "api", labels: { app: "api" }, annotations: { "meta.helm.sh/release-name": "api" } },
        spec: {
            replicas: 1,
            template: { spec: { containers: [{ name: "api", image: "app:1", env: [{ name: "A", value: "1" }], resources: { requests: { cpu: "0.5", memory: "1Gi" } }, ports: [{ name: "http", containerPort: 8080 }] }], volumes: [{ name: "cfg", configMap: { name: "cfg", defaultMode: 365 } }] } },
        },
    };
    if (live) {
        o.metadata.namespace = "ns";
        o.metadata.resourceVersion = "9";
        o.metadata.annotations["deployment.kubernetes.io/revision"] = "3";
        o.spec.template.spec.containers[0].resources.requests = { cpu: "500m", memory: "1024Mi" };
        o.spec.template.spec.containers[0].terminationMessagePath = "/dev/termination-log";
        o.metadata.managedFields = [helmFields({}), { manager: "kube-controller-manager", operation: "Update", subresource: "status", fieldsV1: { "f:status": {} } }];
        o.status = { replicas: 1 };
    }
    patch(o);
    return o;
};

describe("drift: comparing the stack's objects with the live ones (reads only)", () => {
    it("an unchanged object, with server defaults, normalised quantities and status, is no drift", () => {
        assert.deepStrictEqual(compareObject(deployment(false), deployment(true)), { changed: [], added: [] });
    });

    it("a zero the release sets and the API server dropped (initialDelaySeconds: 0) is no drift", () => {
        const c = compareObject(deployment(false, (o) => (o.spec.template.spec.containers[0].livenessProbe = { initialDelaySeconds: 0, periodSeconds: 5 })),
            deployment(true, (o) => (o.spec.template.spec.containers[0].livenessProbe = { periodSeconds: 5 })));
        assert.deepStrictEqual(c.changed, []);
    });

    it("names a changed field the release sets, with container and env entries by name", () => {
        const c = compareObject(deployment(false), deployment(true, (o) => {
            o.spec.template.spec.containers[0].image = "app:hand";
            o.spec.template.spec.containers[0].env[0].value = "2";
        }));
        assert.deepStrictEqual(c.changed.map((f) => `${f.path}: ${f.live} -> ${f.release}`), [
            "spec.template.spec.containers[api].env[A].value: 2 -> 1",
            "spec.template.spec.containers[api].image: app:hand -> app:1",
        ]);
    });

    it("reports what another manager added and the release does not set: a label, an env var, a sidecar, with JSON pointers for heal", () => {
        const live = deployment(true, (o) => {
            o.metadata.labels.debug = "true";
            o.spec.template.spec.containers[0].env.push({ name: "NODE_OPTIONS", value: "--require x" });
            o.spec.template.spec.containers.push({ name: "sidecar", image: "busybox" });
            o.metadata.managedFields.push(
                by("kubectl-label", { "f:metadata": { "f:labels": { "f:debug": {} } } }),
                by("kubectl-set", { "f:spec": { "f:template": { "f:spec": { "f:containers": { 'k:{"name":"api"}': { "f:env": { 'k:{"name":"NODE_OPTIONS"}': { ".": {}, "f:name": {}, "f:value": {} } } } } } } } }),
                by("kubectl-patch", { "f:spec": { "f:template": { "f:spec": { "f:containers": { 'k:{"name":"sidecar"}': { ".": {}, "f:image": {}, "f:name": {} } } } } } }),
            );
        });
        const c = compareObject(deployment(false), live);
        assert.deepStrictEqual(c.changed, []);
        assert.deepStrictEqual(c.added.map((a) => `${a.path} by ${a.manager} at ${a.pointer}`), [
            "metadata.labels.debug by kubectl-label at /metadata/labels/debug",
            "spec.template.spec.containers[api].env[NODE_OPTIONS] by kubectl-set at /spec/template/spec/containers/0/env/1",
            "spec.template.spec.containers[sidecar] by kubectl-patch at /spec/template/spec/containers/1",
        ]);
    });

    it("a Service port edited under its name cannot be re-applied in place, and says why", () => {
        const svc = (port: number): K8sObject => ({ apiVersion: "v1", kind: "Service", metadata: { name: "api" }, spec: { ports: [{ name: "http", port, targetPort: "http" }] } });
        const live: any = svc(8081);
        live.spec.ports[0].protocol = "TCP";
        live.metadata.managedFields = [helmFields({}), by("kubectl-edit", { "f:spec": { "f:ports": { 'k:{"port":8081,"protocol":"TCP"}': { ".": {}, "f:port": {} } } } })];
        const c = compareObject(svc(80), live);
        assert.match(String(c.unappliable), /spec\.ports: port=8081 and port=80 would both be named "http"/);
        assert.deepStrictEqual(c.changed.map((f) => f.path), ["spec.ports[port=80]"]);
    });

    it("keys ports with their protocol: DNS on 53/UDP and 53/TCP is no drift", () => {
        const np = (withProtocol: boolean): K8sObject => ({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "api" },
            spec: { egress: [{ ports: [{ port: 53, protocol: "UDP" }, { port: 53, ...(withProtocol ? { protocol: "TCP" } : {}) }] }] } });
        const live: any = np(true);
        live.metadata.managedFields = [helmFields({})];
        assert.deepStrictEqual(compareObject(np(false), live), { changed: [], added: [] });
    });

    it("a PDB switched from minAvailable to maxUnavailable cannot be re-applied in place", () => {
        const live: any = { kind: "PodDisruptionBudget", metadata: { name: "api", managedFields: [helmFields({})] }, spec: { maxUnavailable: 1 } };
        const c = compareObject({ apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "api" }, spec: { minAvailable: 1 } }, live);
        assert.match(String(c.unappliable), /release sets minAvailable, the live object has maxUnavailable/);
    });

    it("reads quantities and YAML 1.1 octals as Kubernetes does", () => {
        assert.strictEqual(quantity("500m"), quantity("0.5"));
        assert.strictEqual(quantity("1Gi"), quantity("1024Mi"));
        assert.strictEqual(yaml11Octals("      defaultMode: 0555\n  port: 80\n"), "      defaultMode: 365\n  port: 80\n");
    });

    it("reports deleted and drifted objects, never a Secret value", () => {
        const secret: K8sObject = { apiVersion: "v1", kind: "Secret", metadata: { name: "creds", namespace: "ns" }, stringData: { password: "release" } };
        const report = detectDrift([secret, { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "api" }, spec: {} }], "ns", {
            get: (o) => (o.kind === "Secret" ? { kind: "Secret", metadata: { name: "creds", managedFields: [by("pulumi-kubernetes", {})] }, data: { password: Buffer.from("hand").toString("base64") } } : undefined),
        });
        const text = formatDrift(report).join("\n");
        assert.strictEqual(text, [
            "~ Secret ns/creds",
            "    data.password: live <secret>, release <secret>",
            "- NetworkPolicy ns/api (deleted: in the release, not in the cluster)",
            "2 of 2 objects drifted: 1 changed, 1 deleted. Heal: npm run heal -- --stack <stack> (docs/operations.md)",
        ].join("\n"));
        assert.ok(!text.includes("hand") && !text.includes("release\""));
    });

    it("reads a release's manifest from Helm's storage Secret (base64 of gzipped JSON, base64 again by the API)", () => {
        const helm = zlib.gzipSync(Buffer.from(JSON.stringify({ manifest: "kind: A\n", version: 3, info: { status: "deployed" } }))).toString("base64");
        assert.deepStrictEqual(decodeHelmRelease(Buffer.from(helm).toString("base64")), { manifest: "kind: A\n", version: 3, status: "deployed" });
    });

    it("takes the stack's own Kubernetes objects from its state, secrets unwrapped, the Release left to Helm's record", () => {
        const secret = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify({ "redis-password": "x" }) };
        const objs = stackOwnedObjects({ deployment: { resources: [
            { type: "kubernetes:core/v1:Namespace", inputs: { apiVersion: "v1", kind: "Namespace", metadata: { name: "ns", __defaults: [] } } },
            { type: "kubernetes:core/v1:Secret", inputs: { apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "ns" }, stringData: secret } },
            { type: "kubernetes:helm.sh/v3:Release", inputs: {} },
            { type: "pulumi:providers:kubernetes", inputs: {} },
        ] } });
        assert.deepStrictEqual(objs.map((o) => o.kind), ["Namespace", "Secret"]);
        assert.deepStrictEqual(objs[1].stringData, { "redis-password": "x" });
        assert.ok(!("__defaults" in objs[0].metadata));
    });
});

describe("heal's gate for a protected stack (ops/heal-gate.ts)", () => {
    const release = "urn:pulumi:prod::taskflow-api::taskflow:index:TaskflowApi$kubernetes:helm.sh/v3:Release::taskflow-api";
    it("passes a preview that changes only the Release's description", () => {
        assert.deepStrictEqual(previewProblems({ steps: [{ op: "same", urn: "urn:pulumi:prod::p::pulumi:pulumi:Stack::p" }, { op: "update", urn: release, diffReasons: ["description"] }] }), []);
    });
    it("refuses a preview that changes anything else: another Release input, or an AWS resource", () => {
        assert.deepStrictEqual(previewProblems({ steps: [
            { op: "update", urn: release, diffReasons: ["description", "values"] },
            { op: "replace", urn: "urn:pulumi:prod::p::aws:elasticache/replicationGroup:ReplicationGroup::rg" },
        ] }), [`${release}: changes values besides the heal token`, "urn:pulumi:prod::p::aws:elasticache/replicationGroup:ReplicationGroup::rg: replace"]);
    });
    it("lets through the refresh putting back the stack's own Kubernetes objects, under their parent component", () => {
        assert.deepStrictEqual(previewProblems({ steps: [
            { op: "update", urn: "urn:pulumi:prod::taskflow-api::taskflow:app:TaskflowApi$kubernetes:core/v1:Secret::taskflow-api-redis-auth" },
            { op: "update", urn: release, diffReasons: ["description"] },
        ] }), []);
    });

    it("finds the commit of the last successful update (newest first)", () => {
        assert.strictEqual(deployedCommit([{ kind: "update", result: "failed", environment: { "git.head": "b" } }, { kind: "update", result: "succeeded", environment: { "git.head": "a" } }]), "a");
    });
    it("writes the token into the release section, keeping the rest of the config", () => {
        const out = withHealToken("encryptionsalt: v1:abc\nconfig:\n  taskflow-api:release:\n    name: api\n  taskflow-api:x:\n    secure: AAA\n", "20261203T120000Z");
        assert.match(out, /healToken: 20261203T120000Z/);
        assert.match(out, /encryptionsalt: v1:abc/);
        assert.match(out, /secure: AAA/);
        assert.match(out, /name: api/);
    });
});

describe("which cluster drift and heal use (ops/cluster-target.ts)", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { clusterTarget, operatorContext } = require("../../ops/cluster-target") as typeof import("../../ops/cluster-target");
    it("prod: its cluster.context; staging: the cluster stack's kubeconfig output; dev: only the local cluster or --context", () => {
        assert.strictEqual(operatorContext(clusterTarget("prod"), undefined, false), clusterTarget("prod").context);
        assert.deepStrictEqual(clusterTarget("staging").stackReference, { stack: "acme/eks-platform/staging", kubeconfigOutput: "kubeconfig" });
        assert.strictEqual(operatorContext(clusterTarget("staging"), undefined, false, true), undefined);
        assert.throws(() => operatorContext(clusterTarget("staging"), undefined, false), /cluster.stackReference: name the cluster with --context/);
        assert.throws(() => operatorContext(clusterTarget("dev"), undefined, false), /has no cluster.context/);
        assert.strictEqual(operatorContext(clusterTarget("dev"), undefined, true), undefined);
        assert.strictEqual(operatorContext(clusterTarget("dev"), "kind-x", false), "kind-x");
    });
});
