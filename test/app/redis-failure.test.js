'use strict';
// The reference app when Redis fails the hard way (review M7, m2, m3), against a REAL
// redis-server: a primary that stops answering without resetting its connections (SIGSTOP: the
// kernel keeps every socket up and even accepts new connections), replies that trickle in too
// late, a first schema check that fails on a connection that stays up, and a CA bundle replaced
// on disk. Each scenario fails on the app as it was before the fix (sticky readiness, no socket
// timeout, a schema check retried only on a new connection, a CA read once).
//
//   npm run test:app

const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const { App, PASSWORD, Redis, freePort, get, hasOpenssl, selfSigned, sleep, tlsArgs, waitFor, redisServerOrSkip } = require('./support');
const { DEFAULTS } = require('../../app/src/redis');

// The app's default bound (server.js UNREACHABLE_READY_MS): these tests run with it.
const READY_BOUND_MS = 10000;

// Requests in a loop, `concurrency` at a time, each with its start, end and status (0: no answer
// within get()'s 10 s, or a connection error).
function requestLoop(port, concurrency = 4) {
  const log = [];
  let running = true;
  const loop = async () => {
    while (running) {
      const start = Date.now();
      const r = await get(port, '/v1/roundtrip').catch((err) => ({ status: 0, body: { error: err.message } }));
      log.push({ start, end: Date.now(), status: r.status, error: r.body && r.body.error });
      await sleep(20);
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  return { log, stop: async () => { running = false; await Promise.all(loops); } };
}

// Polls /health/ready every 200 ms until `stop`; returns the times its status changed.
function readinessWatch(port) {
  const changes = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const r = await get(port, '/health/ready').catch(() => ({ status: 0 }));
      if (!changes.length || changes[changes.length - 1].status !== r.status) changes.push({ at: Date.now(), status: r.status });
      await sleep(200);
    }
  })();
  return { changes, stop: async () => { running = false; await done; } };
}

describe('reference app when Redis fails hard (review M7, m2, m3)', function () {
  this.timeout(90000);
  let bin;
  const started = [];
  const apps = [];
  const dirs = [];
  const startApp = async (env) => { const app = await new App(env).start(); apps.push(app); return app; };
  const startRedis = async (extraArgs) => {
    const r = new Redis(bin, await freePort());
    if (extraArgs) r.extraArgs = extraArgs(r.port);
    await r.start();
    started.push(r);
    return r;
  };

  before(function () {
    bin = redisServerOrSkip(this);
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.stop();
    for (const r of started.splice(0)) {
      if (r.proc) r.thaw(); // a stopped process only dies of SIGKILL, but leave none stopped
      await r.stop();
    }
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  for (const transport of ['plain', 'tls']) {
    it(`a frozen primary (${transport}): requests fail fast, readiness turns false within the bound, and both recover after SIGCONT`, async function () {
      let env;
      let redis;
      if (transport === 'tls') {
        if (!hasOpenssl()) this.skip();
        const pki = selfSigned();
        dirs.push(pki.dir);
        redis = await startRedis((port) => tlsArgs(port, pki.cert, pki.key));
        env = { REDIS_URL: `rediss://localhost:${redis.port}`, REDIS_PASSWORD: PASSWORD, REDIS_TLS_CA_FILE: pki.cert };
      } else {
        redis = await startRedis();
        env = { REDIS_URL: `redis://127.0.0.1:${redis.port}`, REDIS_PASSWORD: PASSWORD };
      }
      const app = await startApp(env);
      await waitFor(() => get(app.port, '/v1/roundtrip').then((r) => r.status === 200), { what: 'a first round trip' });
      await waitFor(() => get(app.port, '/health/ready').then((r) => r.status === 200), { what: 'readiness' });
      const load = requestLoop(app.port);
      const ready = readinessWatch(app.port);
      await sleep(1000);

      const t0 = Date.now();
      redis.freeze();
      await waitFor(() => ready.changes.find((c) => c.at > t0 && c.status === 503), { what: 'readiness to turn false', timeoutMs: READY_BOUND_MS + 8000 });
      const notReady = ready.changes.find((c) => c.at > t0 && c.status === 503).at - t0;
      await sleep(2000); // a while longer frozen: reconnect attempts now hang on the frozen node
      const t1 = Date.now();
      redis.thaw();
      const back = await waitFor(() => get(app.port, '/v1/roundtrip').then((r) => r.status === 200 && Date.now()), { what: 'a round trip after SIGCONT', timeoutMs: 15000 });
      await waitFor(() => ready.changes.find((c) => c.at > t1 && c.status === 200), { what: 'readiness again', timeoutMs: 5000 });
      const readyAgain = ready.changes.find((c) => c.at > t1 && c.status === 200).at - t1;
      await load.stop();
      await ready.stop();

      const frozen = load.log.filter((e) => e.start >= t0 && e.start < t1);
      const slowest = Math.max(...frozen.map((e) => e.end - e.start));
      const hung = frozen.filter((e) => e.status === 0);
      console.log(`      ${transport}: not ready ${notReady} ms after the freeze (bound ${READY_BOUND_MS} ms); ${frozen.length} requests while frozen, all failed, slowest ${slowest} ms; first good write ${back - t1} ms and ready ${readyAgain} ms after SIGCONT`);
      // Readiness follows the outage, neither at once (a blip keeps the pod) nor never (M7).
      assert.ok(notReady >= READY_BOUND_MS - 500, `not ready after ${notReady} ms: before the bound`);
      assert.ok(notReady <= READY_BOUND_MS + 3000, `not ready only after ${notReady} ms`);
      // Fail fast: no request waits for the kernel to give up on the socket; the slowest waited
      // for one command timeout (a request is four sequential commands, one of which times out).
      assert.deepEqual(hung, [], 'requests without an answer while frozen');
      assert.ok(frozen.every((e) => e.status === 503), `statuses while frozen: ${[...new Set(frozen.map((e) => e.status))]}`);
      assert.ok(slowest <= DEFAULTS.commandTimeoutMs + 1500, `a request took ${slowest} ms while Redis was frozen`);
      assert.ok(frozen.length >= 40, `only ${frozen.length} requests in ${t1 - t0} ms: requests are waiting, not failing fast`);
      // The dead connection was given up by the client, not by the kernel.
      assert.match(app.out, /redis connection stalled; reconnecting|Socket timeout/);
      assert.match(app.out, /redis unreachable beyond the readiness bound/);
    });
  }

  it('a connection whose replies arrive too late is dropped after 3 timed-out commands in a row', async () => {
    const redis = await startRedis();
    // A TCP relay that holds every reply for `delayMs`: bytes keep arriving (ioredis' socket
    // timeout never fires), but each one after the command gave up.
    let delayMs = 0;
    let connections = 0;
    const relay = net.createServer((client) => {
      connections += 1;
      const upstream = net.connect(redis.port, '127.0.0.1');
      client.pipe(upstream);
      upstream.on('data', (chunk) => setTimeout(() => { if (!client.destroyed) client.write(chunk); }, delayMs));
      const end = () => { client.destroy(); upstream.destroy(); };
      client.on('error', end); upstream.on('error', end); client.on('close', end); upstream.on('close', end);
    });
    await new Promise((resolve) => relay.listen(0, '127.0.0.1', resolve));
    try {
      const app = await startApp({ REDIS_URL: `redis://127.0.0.1:${relay.address().port}`, REDIS_PASSWORD: PASSWORD });
      await waitFor(() => get(app.port, '/v1/roundtrip').then((r) => r.status === 200), { what: 'a first round trip' });
      const before = connections;
      const load = requestLoop(app.port, 2);
      delayMs = DEFAULTS.commandTimeoutMs + 500;
      await waitFor(() => connections > before, { what: 'a new connection through the relay', timeoutMs: 15000 });
      const stalled = app.out.match(/"msg":"redis connection stalled; reconnecting","timedOutCommands":(\d+)/);
      delayMs = 0;
      await waitFor(() => get(app.port, '/v1/roundtrip').then((r) => r.status === 200), { what: 'a round trip once replies are prompt again', timeoutMs: 15000 });
      await load.stop();
      assert.ok(stalled, `no forced reconnect in the log:\n${app.out}`);
      assert.equal(Number(stalled[1]), DEFAULTS.maxTimeouts);
    } finally {
      relay.close();
    }
  });

  it('retries the first schema check on a timer when it fails on a connection that stays up (review m2)', async () => {
    const redis = await startRedis();
    // A user that may do everything but HGET: AUTH, the ready check and PING pass on one
    // connection, the schema check fails, and nothing makes ioredis dial again.
    assert.equal(await redis.raw(['ACL', 'SETUSER', 'app', 'on', '>app-password-1', '~*', '&*', '+@all', '-hget']), '+OK');
    const app = await startApp({ REDIS_URL: `redis://127.0.0.1:${redis.port}`, REDIS_USERNAME: 'app', REDIS_PASSWORD: 'app-password-1' });
    await waitFor(() => (app.out.match(/schema check failed; retrying/g) || []).length >= 2, { what: 'two failed schema checks' });
    assert.match(app.out, /NOPERM/);
    assert.equal((await get(app.port, '/health/ready')).status, 503, 'ready without a schema check');
    const clients = await redis.raw(['CLIENT', 'LIST', 'USER', 'app']);
    assert.equal(await redis.raw(['ACL', 'SETUSER', 'app', '+hget']), '+OK');
    await waitFor(() => get(app.port, '/health/ready').then((r) => r.status === 200), { what: 'readiness once HGET is allowed', timeoutMs: 5000 });
    // Same connection: the retry came from the timer, not from a reconnect.
    assert.equal(await redis.raw(['CLIENT', 'LIST', 'USER', 'app']), clients);
  });

  it('trusts a CA that replaced the bundle on disk, without a restart (review m3)', async function () {
    if (!hasOpenssl()) this.skip();
    const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'taskflow-ca-rotate-'));
    dirs.push(dir);
    const run = (...args) => assert.equal(spawnSync('openssl', args).status, 0, args.join(' '));
    fs.writeFileSync(path.join(dir, 'ext'), 'subjectAltName=DNS:localhost\n');
    const issue = (name) => {
      const f = (x) => path.join(dir, `${name}-${x}`);
      run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-keyout', f('ca.key'), '-out', f('ca.crt'));
      run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', f('key.pem'), '-out', f('req.csr'));
      run('x509', '-req', '-in', f('req.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '1',
        '-extfile', path.join(dir, 'ext'), '-out', f('cert.pem'));
      return { ca: f('ca.crt'), cert: f('cert.pem'), key: f('key.pem') };
    };
    const one = issue('ca-one');
    const two = issue('ca-two');
    // The mounted bundle, replaced the way the kubelet updates a Secret volume: a new file
    // renamed over the old path.
    const bundle = path.join(dir, 'bundle.crt');
    fs.copyFileSync(one.ca, bundle);
    const redis = await startRedis((port) => tlsArgs(port, one.cert, one.key));
    const app = await startApp({ REDIS_URL: `rediss://localhost:${redis.port}`, REDIS_PASSWORD: PASSWORD, REDIS_TLS_CA_FILE: bundle });
    await waitFor(() => get(app.port, '/v1/roundtrip').then((r) => r.status === 200), { what: 'a round trip under CA one' });

    fs.copyFileSync(two.ca, `${bundle}.new`);
    fs.renameSync(`${bundle}.new`, bundle);
    await redis.stop();
    redis.extraArgs = tlsArgs(redis.port, two.cert, two.key);
    await redis.start();
    await waitFor(() => get(app.port, '/v1/roundtrip').then((r) => r.status === 200), { what: 'a round trip under CA two', timeoutMs: 15000 });
    assert.match(app.out, /redis CA bundle changed on disk/);
  });
});
