#!/usr/bin/env node
// Keeps only the objects this chart renders (drops the Valkey subchart's), so linters judge our
// templates and not a dependency we do not own (or, offline, its stand-in).
"use strict";
const fs = require("fs");
const [file] = process.argv.slice(2);
const docs = fs.readFileSync(file, "utf8").split(/^---\s*$/m);
process.stdout.write(docs.filter((d) => !/^# Source: taskflow-api\/charts\//m.test(d) && /\bkind:/.test(d)).join("---\n"));
