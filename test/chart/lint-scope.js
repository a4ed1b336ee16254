#!/usr/bin/env node
// The objects a render is linted and policy-checked on: all of them, ours and the Valkey
// subchart's, except the subchart's `helm test` pods.
//
// Why those are left out: valkey 0.11.0's test pod (templates/tests/auth.yaml) has no
// securityContext and no value to add one, so it can never meet Pod Security "restricted".
// It is created only by `helm test` (never by `pulumi up`), the namespace's PSS admission would
// refuse it, and our runbook runs only this chart's own test: `helm test --filter name=...`
// (docs/operations.md). Everything the subchart deploys is linted.
//
// usage: lint-scope.js <manifests.yaml>  (prints the kept documents; names the dropped ones on stderr)
"use strict";
const fs = require("fs");
const [file] = process.argv.slice(2);
const docs = fs.readFileSync(file, "utf8").split(/^---\s*$/m).filter((d) => /\bkind:/.test(d));
const isSubchartTest = (d) =>
  /^# Source: [^/\n]+\/charts\/[^/\n]+\/templates\/tests\//m.test(d) && /["']?helm\.sh\/hook["']?: *["']?test/.test(d);
for (const d of docs.filter(isSubchartTest)) {
  process.stderr.write(`lint-scope: leaving out the subchart's helm test object ${(/^# Source: (.*)$/m.exec(d) || [])[1]}\n`);
}
process.stdout.write(docs.filter((d) => !isSubchartTest(d)).join("---\n"));
