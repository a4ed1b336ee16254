'use strict';
// OCI image layout writer and checker for local/images/build.sh (no dependencies: the image build
// must work before `npm ci`).
//
//   node oci-layout.js write  --layer L.tar --out DIR --config C.json --name REF [--name REF...]
//   node oci-layout.js verify DIR [--name REF...]
//
// `write` turns one uncompressed layer tar into DIR/{oci-layout,index.json,blobs/sha256/*}:
// image config, manifest, and an index with one entry per name. Each entry carries
// `io.containerd.image.name` (the full reference containerd imports it as; what the CRI looks
// up, e.g. docker.io/library/busybox:1.37) and `org.opencontainers.image.ref.name` (the tag,
// as the OCI spec defines it). Every JSON is written with a fixed key order and a fixed
// `created` time, so the same rootfs always gives the same digests.
//
// `verify` re-reads a layout the way an importer does: every digest and size, media types,
// config diff_ids against the layer, and the expected names.

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const MT = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
};
const EPOCH = '1970-01-01T00:00:00Z';

function parseArgs(argv) {
  const out = { _: [], name: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) { out._.push(a); continue; }
    const key = a.slice(2);
    const val = argv[++i];
    if (val === undefined) throw new Error(`${a} needs a value`);
    if (key === 'name') out.name.push(val); else out[key] = val;
  }
  return out;
}

function sha256File(file) {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  try {
    let n;
    while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

// The tag part of a reference ("docker.io/valkey/valkey:9.1.1" -> "9.1.1"); a ':' before the
// last '/' is a registry port, not a tag.
function tagOf(ref) {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon <= slash) throw new Error(`${ref}: a reference with an explicit tag is required`);
  return ref.slice(colon + 1);
}

function writeBlob(dir, data) {
  const hex = crypto.createHash('sha256').update(data).digest('hex');
  fs.writeFileSync(path.join(dir, 'blobs', 'sha256', hex), data);
  return { digest: `sha256:${hex}`, size: data.length };
}

function write(args) {
  for (const k of ['layer', 'out', 'config']) if (!args[k]) throw new Error(`write: --${k} is required`);
  if (!args.name.length) throw new Error('write: at least one --name is required');
  const out = args.out;
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(path.join(out, 'blobs', 'sha256'), { recursive: true });

  const layerHex = sha256File(args.layer);
  const layerSize = fs.statSync(args.layer).size;
  const layerBlob = path.join(out, 'blobs', 'sha256', layerHex);
  // A hard link, not a copy: the app layer is ~130 MB and both files live in the same cache.
  try { fs.linkSync(args.layer, layerBlob); } catch { fs.copyFileSync(args.layer, layerBlob); }

  const runtime = JSON.parse(fs.readFileSync(args.config, 'utf8'));
  const config = {
    created: EPOCH,
    architecture: 'amd64',
    os: 'linux',
    config: runtime,
    // Uncompressed layer: its diff_id is its digest.
    rootfs: { type: 'layers', diff_ids: [`sha256:${layerHex}`] },
    history: [{ created: EPOCH, created_by: 'local/images/build.sh (taskflow-api, local build)' }],
  };
  const configDesc = writeBlob(out, Buffer.from(JSON.stringify(config)));
  const manifest = {
    schemaVersion: 2,
    mediaType: MT.manifest,
    config: { mediaType: MT.config, ...configDesc },
    layers: [{ mediaType: MT.layer, digest: `sha256:${layerHex}`, size: layerSize }],
  };
  const manifestDesc = writeBlob(out, Buffer.from(JSON.stringify(manifest)));
  const index = {
    schemaVersion: 2,
    mediaType: MT.index,
    manifests: args.name.map((ref) => ({
      mediaType: MT.manifest,
      ...manifestDesc,
      platform: { architecture: 'amd64', os: 'linux' },
      annotations: { 'io.containerd.image.name': ref, 'org.opencontainers.image.ref.name': tagOf(ref) },
    })),
  };
  fs.writeFileSync(path.join(out, 'index.json'), JSON.stringify(index));
  fs.writeFileSync(path.join(out, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  process.stdout.write(JSON.stringify({ manifest: manifestDesc.digest, config: configDesc.digest, layer: `sha256:${layerHex}`, layerSize, names: args.name }) + '\n');
}

function verify(args) {
  const dir = args._[1];
  if (!dir) throw new Error('verify: the layout directory is required');
  const problems = [];
  const blob = (desc, what) => {
    const m = /^sha256:([0-9a-f]{64})$/.exec(desc.digest || '');
    if (!m) { problems.push(`${what}: bad digest ${desc.digest}`); return null; }
    const file = path.join(dir, 'blobs', 'sha256', m[1]);
    if (!fs.existsSync(file)) { problems.push(`${what}: blob ${desc.digest} missing`); return null; }
    if (fs.statSync(file).size !== desc.size) problems.push(`${what}: size ${fs.statSync(file).size} != descriptor ${desc.size}`);
    if (sha256File(file) !== m[1]) problems.push(`${what}: content does not match ${desc.digest}`);
    return file;
  };
  const layout = JSON.parse(fs.readFileSync(path.join(dir, 'oci-layout'), 'utf8'));
  if (layout.imageLayoutVersion !== '1.0.0') problems.push(`oci-layout: version ${layout.imageLayoutVersion}`);
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
  if (index.schemaVersion !== 2 || index.mediaType !== MT.index) problems.push('index.json: not an OCI index v2');
  const names = [];
  let summary = null;
  for (const entry of index.manifests || []) {
    const ref = entry.annotations && entry.annotations['io.containerd.image.name'];
    names.push(ref);
    if (entry.mediaType !== MT.manifest) problems.push(`${ref}: manifest media type ${entry.mediaType}`);
    if (!ref || entry.annotations['org.opencontainers.image.ref.name'] !== tagOf(ref)) problems.push(`${ref}: ref.name annotation does not match the tag`);
    const mfile = blob(entry, `${ref} manifest`);
    if (!mfile) continue;
    const manifest = JSON.parse(fs.readFileSync(mfile, 'utf8'));
    if (manifest.schemaVersion !== 2 || manifest.mediaType !== MT.manifest) problems.push(`${ref}: manifest is not OCI v2`);
    if (manifest.config.mediaType !== MT.config) problems.push(`${ref}: config media type ${manifest.config.mediaType}`);
    const cfile = blob(manifest.config, `${ref} config`);
    const layers = manifest.layers || [];
    if (layers.length !== 1 || layers[0].mediaType !== MT.layer) problems.push(`${ref}: expected one uncompressed layer`);
    layers.forEach((l, i) => blob(l, `${ref} layer ${i}`));
    if (!cfile) continue;
    const config = JSON.parse(fs.readFileSync(cfile, 'utf8'));
    if (config.os !== 'linux' || config.architecture !== 'amd64') problems.push(`${ref}: platform ${config.os}/${config.architecture}`);
    const diffIds = (config.rootfs && config.rootfs.diff_ids) || [];
    if (JSON.stringify(diffIds) !== JSON.stringify(layers.map((l) => l.digest))) problems.push(`${ref}: diff_ids do not match the layers`);
    summary = { manifest: entry.digest, config: config.config, layerSize: layers.reduce((s, l) => s + l.size, 0) };
  }
  for (const want of args.name) if (!names.includes(want)) problems.push(`name ${want} is not in index.json (has: ${names.join(', ')})`);
  if (problems.length) {
    process.stderr.write(problems.map((p) => `oci-layout verify ${dir}: ${p}\n`).join(''));
    process.exit(1);
  }
  process.stdout.write(JSON.stringify({ names, ...summary }) + '\n');
}

try {
  const args = parseArgs(process.argv.slice(2));
  if (args._[0] === 'write') write(args);
  else if (args._[0] === 'verify') verify(args);
  else throw new Error('usage: oci-layout.js write|verify ...');
} catch (err) {
  process.stderr.write(`oci-layout: ${err.message}\n`);
  process.exit(1);
}
