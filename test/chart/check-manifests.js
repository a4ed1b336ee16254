#!/usr/bin/env node
// Policy checks on a rendered manifest stream that schemas and linters do not make:
//  - every pod (Deployment, Job hook, helm test Pod) meets Pod Security Standards "restricted";
//  - every container has CPU, memory and ephemeral-storage requests and limits (the scheduler
//    counts emptyDirs and logs only against ephemeral-storage);
//  - the chart renders no Secret (secret values are checked against the mocks' real tokens in
//    the unit tests, where they are known).
// usage: check-manifests.js <manifests.yaml>
"use strict";
const fs = require("fs");
const yaml = require("js-yaml");

const [file] = process.argv.slice(2);
const text = fs.readFileSync(file, "utf8");
const docs = yaml.loadAll(text).filter(Boolean);
const problems = [];

function podSpecOf(doc) {
  if (doc.kind === "Pod") return doc.spec;
  if (["Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"].includes(doc.kind)) return doc.spec.template.spec;
  if (doc.kind === "CronJob") return doc.spec.jobTemplate.spec.template.spec;
  return undefined;
}

for (const doc of docs) {
  const where = `${doc.kind}/${doc.metadata?.name}`;
  if (doc.kind === "Secret") problems.push(`${where}: the chart must reference Secrets, never render one`);
  const pod = podSpecOf(doc);
  if (!pod) continue;
  const psc = pod.securityContext || {};
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) problems.push(`${where}: host namespaces are not allowed`);
  for (const v of pod.volumes || []) {
    if (v.hostPath) problems.push(`${where}: hostPath volume ${v.name} is not allowed`);
  }
  for (const c of [...(pod.initContainers || []), ...pod.containers]) {
    const at = `${where} container ${c.name}`;
    const sc = c.securityContext || {};
    const runAsNonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
    const seccomp = (sc.seccompProfile || psc.seccompProfile || {}).type;
    if (runAsNonRoot !== true) problems.push(`${at}: runAsNonRoot must be true`);
    if ((sc.runAsUser ?? psc.runAsUser) === 0) problems.push(`${at}: runAsUser must not be 0`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${at}: allowPrivilegeEscalation must be false`);
    if (sc.privileged) problems.push(`${at}: privileged is not allowed`);
    if (!(sc.capabilities?.drop || []).includes("ALL")) problems.push(`${at}: capabilities must drop ALL`);
    if ((sc.capabilities?.add || []).some((cap) => cap !== "NET_BIND_SERVICE")) problems.push(`${at}: only NET_BIND_SERVICE may be added`);
    if (!["RuntimeDefault", "Localhost"].includes(seccomp)) problems.push(`${at}: seccompProfile must be RuntimeDefault or Localhost`);
    if (sc.readOnlyRootFilesystem !== true) problems.push(`${at}: readOnlyRootFilesystem must be true`);
    for (const kind of ["requests", "limits"]) {
      for (const r of ["cpu", "memory", "ephemeral-storage"]) {
        if (!c.resources?.[kind]?.[r]) problems.push(`${at}: resources.${kind}.${r} is missing`);
      }
    }
  }
}
if (problems.length) {
  console.error(problems.map((p) => `  - ${p}`).join("\n"));
  process.exit(1);
}
console.log(`${docs.length} objects: PSS restricted, resources set, no Secret rendered`);
