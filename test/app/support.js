'use strict';
// Shared by the test/app suites: a real redis-server (started, stopped, frozen), the app and the
// migration as child processes with the env the chart gives them, and a small HTTP client.
//
// redis-server comes from $REDIS_SERVER, the PATH, or `local/images/build.sh host-redis` (Debian's
// package from the image cache, downloaded once; built with TLS).

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const SERVER = path.join(root, 'app', 'src', 'server.js');
const MIGRATE = path.join(root, 'app', 'src', 'migrate.js');
const PASSWORD = 'test-password-1';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1', () => { sock.destroy(); resolve(true); });
    sock.on('error', () => resolve(false));
  });
}

function findRedisServer() {
  const candidates = [];
  if (process.env.REDIS_SERVER) candidates.push(process.env.REDIS_SERVER);
  for (const dir of (process.env.PATH || '').split(path.delimiter)) candidates.push(path.join(dir, 'redis-server'));
  const tools = process.env.TASKFLOW_TOOLS_DIR || path.join(os.homedir(), '.cache', 'taskflow-api', 'tools');
  candidates.push(path.join(tools, 'images', 'host', 'redis-server'));
  const works = (bin) => fs.existsSync(bin) && spawnSync(bin, ['--version']).status === 0;
  const found = candidates.find(works);
  if (found) return found;
  // Last resort: the image script fetches Debian's redis-tools into its cache (apt-get download).
  const r = spawnSync('bash', [path.join(root, 'local', 'images', 'build.sh'), 'host-redis'], { encoding: 'utf8' });
  const built = (r.stdout || '').trim();
  if (r.status === 0 && works(built)) return built;
  const why = (r.stderr || '').trim() || (r.error && r.error.message) || `exit ${r.status}`;
  return { error: `no redis-server: not in $REDIS_SERVER or PATH, and local/images/build.sh host-redis failed: ${why}` };
}

/**
 * For a suite's `before`: the redis-server binary, or the suite skipped with the reason; under
 * CI a missing redis-server is a failure, never a skip.
 */
function redisServerOrSkip(ctx) {
  const found = findRedisServer();
  if (typeof found === 'string') return found;
  if (process.env.CI) throw new Error(found.error);
  console.warn(`  skipped: ${found.error}`);
  ctx.skip();
  return undefined;
}

// A redis-server with requirepass on a fixed port (so it can be stopped and started again).
class Redis {
  constructor(bin, port) { this.bin = bin; this.port = port; this.proc = null; }

  async start() {
    if (this.proc) return;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-redis-'));
    const listen = this.extraArgs || ['--port', String(this.port)];
    this.proc = spawn(this.bin, [...listen, '--bind', '127.0.0.1', '--requirepass', PASSWORD,
      '--save', '', '--appendonly', 'no', '--dir', this.dir], { stdio: 'ignore' });
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      // A TLS port only needs to accept: the suite's own client speaks plain RESP.
      const up = this.extraArgs ? await canConnect(this.port) : (await this.raw(['PING']).catch(() => null)) === '+PONG';
      if (up) return;
      await sleep(50);
    }
    throw new Error(`redis-server did not start on ${this.port}`);
  }

  // SIGSTOP: the process stops answering while its kernel keeps every connection open and even
  // accepts new ones into the listen backlog; nothing is reset. What a hung node looks like to a
  // client (review M7), without touching the network.
  freeze() { this.proc.kill('SIGSTOP'); }

  thaw() { this.proc.kill('SIGCONT'); }

  async stop() {
    if (!this.proc) return;
    const proc = this.proc;
    this.proc = null;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  // An independent client (not app/src/redis.js): AUTH, then one inline command; returns the
  // reply's first line.
  raw(args) {
    return new Promise((resolve, reject) => {
      const sock = net.connect(this.port, '127.0.0.1');
      let data = '';
      sock.setTimeout(2000, () => sock.destroy(new Error('timeout')));
      sock.on('connect', () => sock.write(`AUTH ${PASSWORD}\r\n${args.join(' ')}\r\n`));
      sock.on('data', (chunk) => {
        data += chunk;
        const lines = data.split('\r\n');
        if (lines.length >= 3 && lines[0] === '+OK') {
          const reply = lines[1].startsWith('$') && lines[1] !== '$-1' ? lines[2] : lines[1];
          sock.end();
          resolve(reply);
        } else if (lines.length >= 2 && lines[0] !== '+OK') {
          sock.end();
          reject(new Error(`AUTH failed: ${lines[0]}`));
        }
      });
      sock.on('error', reject);
    });
  }
}

function get(port, pathname, { agent } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, agent: agent || false, timeout: 10000 }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => {
        let json = null;
        try { json = JSON.parse(body); } catch { /* not JSON: the assertion shows the status */ }
        resolve({ status: res.statusCode, headers: res.headers, body: json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${pathname} timed out`)));
    req.on('error', reject);
  });
}

async function waitFor(fn, { timeoutMs = 10000, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) { last = err; }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

// The app as a child process, with the env the chart gives it.
class App {
  constructor(env) { this.env = env; this.out = ''; }

  async start() {
    this.port = await freePort();
    this.proc = spawn(process.execPath, [SERVER], {
      env: { PATH: process.env.PATH, PORT: String(this.port), LOG_LEVEL: 'info', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout.on('data', (c) => { this.out += c; });
    this.proc.stderr.on('data', (c) => { this.out += c; });
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })));
    await waitFor(() => get(this.port, '/health/live').then((r) => r.status === 200), { what: 'the app to listen' });
    return this;
  }

  async stop() {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
  }
}

function migrate(env, { timeoutMs = 90000 } = {}) {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [MIGRATE, 'up'], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (c) => { out += c; });
    proc.stderr.on('data', (c) => { out += c; });
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    const started = Date.now();
    proc.on('exit', (code) => { clearTimeout(timer); resolve({ code, out, ms: Date.now() - started }); });
  });
}


// A self-signed certificate for localhost in a new temp dir: { dir, cert, key }.
function selfSigned(prefix = 'taskflow-tls-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')]);
  if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
  return { dir, cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') };
}

const hasOpenssl = () => spawnSync('openssl', ['version']).status === 0;

// Redis args for a TLS-only listener on `port` with `cert`/`key` (no plaintext port).
const tlsArgs = (port, cert, key) => ['--port', '0', '--tls-port', String(port), '--tls-cert-file', cert, '--tls-key-file', key, '--tls-auth-clients', 'no'];

module.exports = { App, PASSWORD, Redis, findRedisServer, freePort, redisServerOrSkip, get, hasOpenssl, migrate, selfSigned, sleep, tlsArgs, waitFor };
