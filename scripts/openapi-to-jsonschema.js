#!/usr/bin/env node
// Turns a Kubernetes OpenAPI v2 spec (k8s.io/kubernetes api/openapi-spec/swagger.json) into
// standalone, strict JSON schemas laid out the way kubeconform looks them up:
//   <out>/<kind>[-<group's first label>]-<version>.json
// "standalone" = every $ref inlined, so each file validates on its own offline.
// "strict"     = additionalProperties:false on every object that lists its properties, so a
//                misspelt field in a rendered manifest is an error instead of being dropped.
"use strict";
const fs = require("fs");
const path = require("path");

const [specPath, outDir] = process.argv.slice(2);
if (!specPath || !outDir) {
  console.error("usage: openapi-to-jsonschema.js <swagger.json> <out-dir>");
  process.exit(2);
}
const defs = JSON.parse(fs.readFileSync(specPath, "utf8")).definitions;

function convert(node, seen) {
  if (Array.isArray(node)) return node.map((n) => convert(n, seen));
  if (node === null || typeof node !== "object") return node;
  if (node.$ref) {
    const name = node.$ref.replace("#/definitions/", "");
    // JSONSchemaProps refers to itself; an open schema at the cycle is what upstream does too.
    if (seen.has(name)) return {};
    return convert(defs[name], new Set(seen).add(name));
  }
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "properties") {
      out.properties = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, convert(s, seen)]));
    } else if (k !== "format" && !k.startsWith("x-kubernetes-")) {
      out[k] = convert(v, seen);
    }
  }
  if (node.format === "int-or-string") {
    delete out.type;
    out.oneOf = [{ type: "string" }, { type: "integer" }];
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  // Helm renders an empty value as null (e.g. `annotations:` with nothing under it); the API
  // server accepts null for optional fields, so the schema does too.
  if (typeof out.type === "string") out.type = [out.type, "null"];
  return out;
}

fs.mkdirSync(outDir, { recursive: true });
let count = 0;
for (const [name, def] of Object.entries(defs)) {
  for (const gvk of def["x-kubernetes-group-version-kind"] || []) {
    const schema = convert(def, new Set([name]));
    schema.$schema = "http://json-schema.org/schema#";
    if (schema.properties?.kind) schema.properties.kind = { type: "string", enum: [gvk.kind] };
    const suffix = (gvk.group ? `-${gvk.group.split(".")[0]}` : "") + `-${gvk.version}`;
    const file = path.join(outDir, `${gvk.kind.toLowerCase()}${suffix.toLowerCase()}.json`);
    fs.writeFileSync(file, JSON.stringify(schema));
    count++;
  }
}
console.error(`[tools] wrote ${count} schemas to ${outDir}`);
