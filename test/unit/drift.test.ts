// The drift report's logic (ops/drift.ts, ops/live-compare.ts) on objects shaped as the API
// server returns them (managedFields included), and heal's gate (ops/heal-gate.ts). The real
// cluster is exercised by e2e/drift.test.ts.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import * as zlib from "zlib";

import { decodeHelmRelease, detectDrift, formatDrift, healPatches, stackOwnedObjects } from "../../ops/drift";
import { deployedCommit, previewProblems, withHealToken } from "../../ops/heal-gate";
import { compareObject, JsonPatchOp, quantity, yaml11Octals } from "../../ops/live-compare";
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
        // Repaired in one patch: the budget never lacks both fields.
        assert.deepStrictEqual(applyJsonPatch(live, c.repair ?? []).spec, { minAvailable: 1 });
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

    it("takes the app component's own Namespace and Secrets from its state by URN, secrets unwrapped; lookups and the Release are not the stack's (M2)", () => {
        const secret = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify({ "redis-password": "x" }) };
        const urn = (type: string, name: string) => `urn:pulumi:prod::taskflow-api::${type}::${name}`;
        const exported = (lookupInputs: unknown) => ({ deployment: { resources: [
            { urn: urn("pulumi:pulumi:Stack", "taskflow-api-prod"), type: "pulumi:pulumi:Stack" },
            { urn: urn("taskflow:app:TaskflowApi$kubernetes:core/v1:Namespace", "taskflow-api-ns"), type: "kubernetes:core/v1:Namespace", inputs: { apiVersion: "v1", kind: "Namespace", metadata: { name: "ns", __defaults: [] } } },
            { urn: urn("taskflow:app:TaskflowApi$kubernetes:core/v1:Secret", "taskflow-api-redis-auth"), type: "kubernetes:core/v1:Secret", inputs: { apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "ns" }, stringData: secret } },
            // The preflight's reads, stored as the engine's ReadStep keeps them: `external`, with
            // the inputs the SDK sent for `.get` (none, or an empty map).
            { urn: urn("taskflow:cluster:Preflight$kubernetes:networking.k8s.io/v1:IngressClass", "taskflow-api-preflight-ingressclass"), type: "kubernetes:networking.k8s.io/v1:IngressClass", external: true, id: "alb", ...(lookupInputs === undefined ? {} : { inputs: lookupInputs }) },
            { urn: urn("taskflow:cluster:Preflight$kubernetes:apiregistration.k8s.io/v1:APIService", "taskflow-api-preflight-metrics-api"), type: "kubernetes:apiregistration.k8s.io/v1:APIService", external: true, inputs: lookupInputs },
            { urn: urn("taskflow:app:TaskflowApi$kubernetes:helm.sh/v3:Release", "taskflow-api"), type: "kubernetes:helm.sh/v3:Release", inputs: {} },
            { urn: urn("pulumi:providers:kubernetes", "k8s"), type: "pulumi:providers:kubernetes", inputs: {} },
        ] } });
        for (const inputs of [undefined, {}]) {
            const objs = stackOwnedObjects(exported(inputs));
            assert.deepStrictEqual(objs.map((o) => `${o.kind} ${o.metadata.name}`), ["Namespace ns", "Secret s"], `lookup inputs ${JSON.stringify(inputs)}`);
            assert.deepStrictEqual(objs[1].stringData, { "redis-password": "x" });
            assert.ok(!("__defaults" in objs[0].metadata));
            // And the drift over them never asks the cluster for `undefined undefined`.
            const asked: string[] = [];
            detectDrift(objs, "ns", { get: (o) => { asked.push(`${o.kind} ${o.metadata?.name}`); return undefined; } });
            assert.deepStrictEqual(asked, ["Namespace ns", "Secret s"]);
        }
    });

    it("names the annotation key another manager added, not the annotations map Helm writes to too (item 9)", () => {
        const svc = (live: boolean): any => ({ apiVersion: "v1", kind: "Service", metadata: { name: "api", labels: { app: "api" }, ...(live ? { annotations: { "meta.helm.sh/release-name": "api", "meta.helm.sh/release-namespace": "ns", "team/owner": "someone" } } : {}) }, spec: { ports: [{ name: "http", port: 80 }] } });
        const live = svc(true);
        live.metadata.managedFields = [
            helmFields({ "f:metadata": { "f:annotations": { ".": {}, "f:meta.helm.sh/release-name": {}, "f:meta.helm.sh/release-namespace": {} } } }),
            by("kubectl-annotate", { "f:metadata": { "f:annotations": { "f:team/owner": {} } } }),
        ];
        const c = compareObject(svc(false), live);
        assert.deepStrictEqual(c.added.map((a) => `${a.path} by ${a.manager} at ${a.pointer}`), ['metadata.annotations["team/owner"] by kubectl-annotate at /metadata/annotations/team~1owner']);
    });

    it("a `kubectl rollout restart` is not drift: its restartedAt annotation is neither reported nor removed (m4)", () => {
        const live = deployment(true, (o) => {
            o.spec.template.metadata = { annotations: { "kubectl.kubernetes.io/restartedAt": "2026-12-07T10:00:00Z" } };
            o.metadata.managedFields.push(by("kubectl-rollout", { "f:spec": { "f:template": { "f:metadata": { "f:annotations": { ".": {}, "f:kubectl.kubernetes.io/restartedAt": {} } } } } }));
        });
        assert.deepStrictEqual(compareObject(deployment(false), live), { changed: [], added: [] });
    });

    it("a `kubectl apply` of an exported object carries Helm's annotation but is not the release: the sidecar it added is reported (m6)", () => {
        const live = deployment(true, (o) => {
            o.spec.template.spec.containers.push({ name: "sidecar", image: "busybox" });
            o.metadata.managedFields.push(by("kubectl-client-side-apply", { "f:metadata": { "f:annotations": { "f:meta.helm.sh/release-name": {} } }, "f:spec": { "f:template": { "f:spec": { "f:containers": { 'k:{"name":"sidecar"}': { ".": {}, "f:image": {}, "f:name": {} } } } } } }));
        });
        assert.deepStrictEqual(compareObject(deployment(false), live).added.map((a) => `${a.path} by ${a.manager}`), ["spec.template.spec.containers[sidecar] by kubectl-client-side-apply"]);
    });

    it("spec.replicas under an HPA is the HPA's: an operator's `kubectl scale` is not drift, and heal never removes spec.replicas (M3)", () => {
        const scaled = (hpa: boolean) => {
            const desired = deployment(false, (o) => delete o.spec.replicas);
            const live = deployment(true, (o) => { o.spec.replicas = 12; o.metadata.managedFields.push({ ...by("kubectl", { "f:spec": { "f:replicas": {} } }), subresource: "scale" }); });
            const objects = [desired, ...(hpa ? [{ apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata: { name: "api" }, spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "api" } } }] : [])];
            return detectDrift(objects, "ns", { get: (o) => (o.kind === "Deployment" ? live : { ...o, metadata: { ...o.metadata, managedFields: [helmFields({})] } }) });
        };
        assert.deepStrictEqual(scaled(true).drifted, []);
        const without = scaled(false);
        assert.deepStrictEqual(without.drifted[0].added.map((a) => a.path), ["spec.replicas"], "reported where no HPA owns it");
        assert.deepStrictEqual(healPatches(without), [], "but never removed: a patch to 1 replica is an outage");
    });

    it("a Service port and a container port edited under their names: heal patches the list in place, never deletes, and its undo puts the edit back (M3)", () => {
        const svc = (port: number): any => ({ apiVersion: "v1", kind: "Service", metadata: { name: "api" }, spec: { ports: [{ name: "http", port, targetPort: "http", protocol: "TCP" }] } });
        const liveSvc = svc(8081);
        liveSvc.metadata.managedFields = [helmFields({}), by("kubectl-patch", { "f:spec": { "f:ports": { 'k:{"port":8081,"protocol":"TCP"}': { ".": {}, "f:port": {} } } } })];
        const liveDep = deployment(true, (o) => {
            o.spec.template.spec.containers[0].ports = [{ name: "http", containerPort: 9090, protocol: "TCP" }];
            o.metadata.managedFields.push(by("kubectl-patch", { "f:spec": { "f:template": { "f:spec": { "f:containers": { 'k:{"name":"api"}': { "f:ports": { 'k:{"containerPort":9090,"protocol":"TCP"}': { ".": {}, "f:containerPort": {} } } } } } } } }));
        });
        const live: Record<string, any> = { Service: liveSvc, Deployment: liveDep };
        const desired = [svc(80), deployment(false)];
        const report = detectDrift(desired, "ns", { get: (o) => live[o.kind] });
        assert.match(formatDrift(report)[0], /^~ Service ns\/api \(cannot be re-applied in place: spec\.ports: port=8081 and port=80 would both be named "http"; heal patches the list in place\)$/);
        const patches = healPatches(report);
        assert.deepStrictEqual(patches.map((p) => `${p.key}: ${p.ops.map((o) => `${o.op} ${o.path}`).join(", ")}`), [
            "Service ns/api: test /spec/ports, replace /spec/ports",
            "Deployment ns/api: test /spec/template/spec/containers/0/ports, replace /spec/template/spec/containers/0/ports",
        ]);
        // Applied as the API server applies a JSON patch: the objects then match the release,
        // so Helm's upgrade applies; the undo gives back exactly the edited objects.
        for (const p of patches) {
            const kind = p.key.split(" ")[0];
            const healed = applyJsonPatch(live[kind], p.ops);
            const c = compareObject(desired.find((d) => d.kind === kind) as K8sObject, healed);
            assert.deepStrictEqual([c.unappliable, c.changed], [undefined, []], p.key);
            assert.deepStrictEqual(applyJsonPatch(healed, p.undo), live[kind], `${p.key}: undo`);
        }
        // A concurrent edit after drift's read: the guard fails the patch instead of overwriting it.
        const moved = structuredClone(liveSvc);
        moved.spec.ports[0].port = 8082;
        assert.throws(() => applyJsonPatch(moved, patches[0].ops), /test failed at \/spec\/ports/);
    });

    it("heal removes what other managers added deepest first and its undo adds it back", () => {
        const live = deployment(true, (o) => {
            o.spec.template.spec.containers[0].env.push({ name: "X", value: "1" }, { name: "Y", value: "2" });
            o.metadata.managedFields.push(by("kubectl-set", { "f:spec": { "f:template": { "f:spec": { "f:containers": { 'k:{"name":"api"}': { "f:env": { 'k:{"name":"X"}': { ".": {}, "f:name": {}, "f:value": {} }, 'k:{"name":"Y"}': { ".": {}, "f:name": {}, "f:value": {} } } } } } } } }));
        });
        const report = detectDrift([deployment(false)], "ns", { get: () => live });
        const [p] = healPatches(report);
        assert.deepStrictEqual(p.ops.filter((o) => o.op === "remove").map((o) => o.path), ["/spec/template/spec/containers/0/env/2", "/spec/template/spec/containers/0/env/1"]);
        const healed = applyJsonPatch(live, p.ops);
        assert.deepStrictEqual(healed.spec.template.spec.containers[0].env, [{ name: "A", value: "1" }]);
        assert.deepStrictEqual(applyJsonPatch(healed, p.undo), live);
    });
});

/** RFC 6902 as the API server applies it (the subset heal emits), on a copy. */
function applyJsonPatch(doc: any, ops: readonly JsonPatchOp[]): any {
    const out = structuredClone(doc);
    for (const o of ops) {
        const parts = o.path.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
        const last = parts.pop() as string;
        const parent = parts.reduce((v, k) => v[k], out);
        if (o.op === "test" && JSON.stringify(parent[last]) !== JSON.stringify(o.value)) throw new Error(`test failed at ${o.path}`);
        if (o.op === "replace" || (o.op === "add" && !Array.isArray(parent))) parent[last] = structuredClone(o.value);
        else if (o.op === "add") parent.splice(last === "-" ? parent.length : Number(last), 0, structuredClone(o.value));
        else if (o.op === "remove") {
            if (Array.isArray(parent)) parent.splice(Number(last), 1);
            else delete parent[last];
        }
    }
    return out;
}

describe("orphans: objects in the release's namespace that nothing owns (ops/orphans.ts, item 9)", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { findOrphans, formatOrphan, listNamespace } = require("../../ops/orphans") as typeof import("../../ops/orphans");
    const meta = (name: string, extra: any = {}) => ({ name, namespace: "ns", ...extra });
    const release: K8sObject[] = [
        { apiVersion: "v1", kind: "Service", metadata: { name: "api" }, spec: { selector: { app: "api", component: "api" } } },
        { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "api" } },
        { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "api" }, spec: { podSelector: { matchLabels: { app: "api" } } } },
        { apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "api-redis" } },
    ];
    const live: K8sObject[] = [
        // the release's and the platform's
        { apiVersion: "v1", kind: "Service", metadata: meta("api") },
        { apiVersion: "apps/v1", kind: "Deployment", metadata: meta("api") },
        { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: meta("api"), spec: { podSelector: { matchLabels: { app: "api" } }, ingress: [{ from: [{ podSelector: {} }] }] } },
        { apiVersion: "apps/v1", kind: "ReplicaSet", metadata: meta("api-5d9", { ownerReferences: [{ kind: "Deployment", name: "api" }] }) },
        { apiVersion: "v1", kind: "Pod", metadata: meta("api-5d9-x", { labels: { app: "api", component: "api" }, ownerReferences: [{ kind: "ReplicaSet", name: "api-5d9" }] }) },
        { apiVersion: "v1", kind: "ConfigMap", metadata: meta("kube-root-ca.crt") },
        { apiVersion: "v1", kind: "ServiceAccount", metadata: meta("default") },
        { apiVersion: "v1", kind: "Secret", type: "helm.sh/release.v1", metadata: meta("sh.helm.release.v1.api.v1", { labels: { owner: "helm", name: "api" } }) },
        { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: meta("data-api-redis-0") },
        // a migration hook an interrupted revision left (Helm keeps a hook that did not succeed)
        { apiVersion: "batch/v1", kind: "Job", metadata: meta("api-migrate-2", { labels: { "app.kubernetes.io/instance": "api" }, annotations: { "helm.sh/hook": "post-upgrade" } }) },
        // by hand
        { apiVersion: "batch/v1", kind: "Job", metadata: meta("other-migrate-1", { labels: { "app.kubernetes.io/instance": "other" }, annotations: { "helm.sh/hook": "post-upgrade" } }) },
        { apiVersion: "v1", kind: "ConfigMap", metadata: meta("notes") },
        { apiVersion: "v1", kind: "Pod", metadata: meta("impostor", { labels: { app: "api", component: "api", extra: "1" } }) },
        { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: meta("allow-all"), spec: { podSelector: {}, ingress: [{}], policyTypes: ["Ingress"] } },
        { apiVersion: "v1", kind: "Secret", type: "helm.sh/release.v1", metadata: meta("sh.helm.release.v1.other.v1", { labels: { owner: "helm", name: "other" } }) },
    ];

    it("reports a hand-made ConfigMap, a Pod the Service selects and an allow-all NetworkPolicy, and nothing the release, its controllers or the platform made", () => {
        assert.deepStrictEqual(findOrphans(release, live, "ns", "api").map(formatOrphan), [
            "? ConfigMap ns/notes (orphan: in the namespace, owned by nothing in the stack)",
            "? Job ns/other-migrate-1 (orphan: in the namespace, owned by nothing in the stack)",
            "? NetworkPolicy ns/allow-all (orphan: in the namespace, owned by nothing in the stack; allows all ingress to every pod in the namespace)",
            "? Pod ns/impostor (orphan: in the namespace, owned by nothing in the stack; matches the selector of Service api: it receives the app's traffic)",
            "? Secret ns/sh.helm.release.v1.other.v1 (orphan: in the namespace, owned by nothing in the stack)",
        ]);
    });

    it("counts orphans as drift in the report's last line, and lists kind by kind when one kind cannot be listed", () => {
        const lines = formatDrift({ objects: 4, drifted: [], orphans: findOrphans(release, live, "ns", "api") });
        assert.match(lines[lines.length - 1], /^no drift of the 4 objects; 5 orphan\(s\) in the namespace/);
        const asked: string[] = [];
        const listed = listNamespace((kinds) => {
            asked.push(kinds);
            if (kinds.includes("roles.rbac")) return { code: 1, stdout: "", stderr: "Error from server (Forbidden): roles.rbac.authorization.k8s.io is forbidden" };
            return { code: 0, stdout: JSON.stringify({ items: kinds === "configmaps" ? live.filter((o) => o.metadata.name === "notes") : [] }), stderr: "" };
        });
        assert.ok(asked[0].split(",").length > 10, "one call first");
        assert.deepStrictEqual(listed.items.map((o) => o.metadata.name), ["notes"]);
        assert.deepStrictEqual(listed.unreadable, ["roles.rbac.authorization.k8s.io (Error from server (Forbidden): roles.rbac.authorization.k8s.io is forbidden)"]);
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

describe("heal's arguments (ops/heal.sh, before it touches anything)", () => {
    const heal = (args: string[]) => spawnSync("bash", ["ops/heal.sh", ...args], { cwd: path.resolve(__dirname, "../.."), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PATH: "/usr/bin:/bin" } });
    it("refuses every argument it does not know, naming it (exit 2): it would reach pulumi up but not the reviewed preview (M4)", () => {
        for (const bad of [["-s", "prod"], ["--target", "urn:x"], ["-c", "taskflow-api:x=y"], ["--replace", "urn:x"], ["--skip-preview"]]) {
            const r = heal(["--stack", "dev", "--local", "--yes", ...bad]);
            assert.strictEqual(r.status, 2, `${bad.join(" ")}: ${r.stderr}`);
            assert.match(r.stderr, new RegExp(`^heal: unknown argument ${bad[0]} `));
        }
    });
    it("without --yes, a stdin that is not a terminal exits 1 saying --yes is needed (item 9)", () => {
        const r = heal(["--stack", "dev", "--local"]);
        assert.strictEqual(r.status, 1, r.stderr);
        assert.match(r.stderr, /stdin is not a terminal, so heal cannot ask before changing anything: pass --yes \(nothing was changed\)/);
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
