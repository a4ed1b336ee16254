'use strict';
// The reference app (app/src) against a REAL redis-server with requirepass: the behaviour the
// chart relies on (probes, migrate hook, SIGTERM drain), tested as processes, the way the
// kubelet and Helm see them. No mocks: a mocked Redis would not catch an AUTH or RESP mistake.
//
// redis-server comes from $REDIS_SERVER, the PATH, or `local/images/build.sh host-redis` (Debian's
// package from the image cache, downloaded once). Under CI=true a missing redis-server fails the
// suite instead of skipping it.
//
//   npm run test:app

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const { App, PASSWORD, Redis, freePort, get, migrate, sleep, waitFor, redisServerOrSkip } = require('./support');

describe('reference app (app/src) against a real redis-server', function () {
  this.timeout(60000);
  let bin;
  let redis;
  let url;
  const apps = [];
  const startApp = async (env) => { const app = await new App(env).start(); apps.push(app); return app; };

  before(async function () {
    bin = redisServerOrSkip(this);
    redis = new Redis(bin, await freePort());
    url = `redis://127.0.0.1:${redis.port}`;
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.stop();
  });

  after(async () => {
    if (redis) await redis.stop();
  });

  describe('readiness and the Redis round trip', () => {
    it('is live at once, and ready only after Redis has answered AUTH + PING', async () => {
      const app = await startApp({ REDIS_URL: url, REDIS_PASSWORD: PASSWORD });
      assert.equal((await get(app.port, '/health/live')).status, 200);
      await sleep(500);
      const before = await get(app.port, '/health/ready');
      assert.equal(before.status, 503, 'ready without Redis');
      assert.equal(before.body.redisConfirmed, false);
      assert.equal((await get(app.port, '/v1/roundtrip')).status, 503);

      await redis.start();
      await waitFor(() => get(app.port, '/health/ready').then((r) => r.status === 200), { what: 'readiness after Redis started' });
      assert.match(app.out, /"msg":"redis ready"/);
    });

    beforeEach(async function () {
      if (!this.currentTest.title.startsWith('is live at once')) await redis.start();
    });

    it('answers /v1/roundtrip with the pod, a counter, the schema marker and the Redis time', async () => {
      const app = await startApp({ REDIS_URL: url, REDIS_PASSWORD: PASSWORD });
      await waitFor(() => get(app.port, '/health/ready').then((r) => r.status === 200), { what: 'readiness' });
      await redis.raw(['HSET', 'taskflow:schema', 'version', '7']);
      const first = await get(app.port, '/v1/roundtrip');
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.ok, true);
      assert.equal(first.body.pod, os.hostname());
      assert.equal(first.body.schema, '7');
      assert.equal(typeof first.body.redis, 'number');
      const second = await get(app.port, '/v1/roundtrip');
      assert.equal(second.body.counter, first.body.counter + 1);
      assert.equal((await get(app.port, '/')).body.name, 'taskflow-api');
    });

    it('stays ready through an outage shorter than the bound, turns not ready beyond it, and ready again when Redis answers (audit D14, review M7)', async () => {
      // A 3 s bound (the default is 10 s; the frozen-primary suite runs with it) keeps this short.
      const app = await startApp({ REDIS_URL: url, REDIS_PASSWORD: PASSWORD, REDIS_UNREACHABLE_READY_MS: '3000' });
      await waitFor(() => get(app.port, '/health/ready').then((r) => r.status === 200), { what: 'readiness' });
      await redis.stop();
      const t0 = Date.now();
      await waitFor(() => get(app.port, '/v1/roundtrip').then((r) => r.status === 503), { what: 'roundtrip 503' });
      const during = await get(app.port, '/health/ready');
      assert.equal(during.status, 200, 'a short outage must not take the pod out of rotation');
      assert.notEqual(during.body.redis, 'ready');
      await waitFor(() => get(app.port, '/health/ready').then((r) => r.status === 503), { what: 'readiness to turn false', timeoutMs: 6000 });
      const notReadyAfter = Date.now() - t0;
      assert.ok(notReadyAfter >= 2500, `not ready after ${notReadyAfter} ms: before the 3 s bound`);
      assert.match(app.out, /redis unreachable beyond the readiness bound/);
      await redis.start();
      await waitFor(() => get(app.port, '/health/ready').then((r) => r.status === 200), { what: 'readiness after Redis came back' });
      assert.equal((await get(app.port, '/v1/roundtrip')).status, 200);
    });

    it('never turns ready with a wrong password, and its data endpoint answers 503', async () => {
      const app = await startApp({ REDIS_URL: url, REDIS_PASSWORD: 'wrong-password' });
      await sleep(1500);
      const ready = await get(app.port, '/health/ready');
      assert.equal(ready.status, 503);
      const rt = await get(app.port, '/v1/roundtrip');
      assert.equal(rt.status, 503);
      assert.equal(rt.body.ok, false);
      assert.match(app.out, /WRONGPASS|invalid password/);
    });

    it('logs one JSON line per request at LOG_LEVEL=debug, none at info', async () => {
      const debug = await startApp({ REDIS_URL: url, REDIS_PASSWORD: PASSWORD, LOG_LEVEL: 'debug' });
      const info = await startApp({ REDIS_URL: url, REDIS_PASSWORD: PASSWORD, LOG_LEVEL: 'info' });
      await get(debug.port, '/');
      await get(info.port, '/');
      await sleep(100);
      const lines = debug.out.trim().split('\n').map((l) => JSON.parse(l));
      assert.ok(lines.some((l) => l.msg === 'request' && l.path === '/' && l.status === 200), debug.out);
      assert.doesNotMatch(info.out, /"msg":"request"/);
    });
  });

  describe('migrate.js up', () => {
    beforeEach(() => redis.start());

    it('applies the schema marker once, and a second run says it is already applied', async () => {
      await redis.raw(['DEL', 'taskflow:schema']);
      const first = await migrate({ REDIS_URL: url, REDIS_PASSWORD: PASSWORD });
      assert.equal(first.code, 0, first.out);
      assert.match(first.out, /applied schema version 1 to taskflow:schema \(previous: none\)/);
      assert.equal(await redis.raw(['HGET', 'taskflow:schema', 'version']), '1');
      assert.match(await redis.raw(['HGET', 'taskflow:schema', 'appliedAt']), /^\d{4}-\d\d-\d\dT/);

      const second = await migrate({ REDIS_URL: url, REDIS_PASSWORD: PASSWORD });
      assert.equal(second.code, 0, second.out);
      assert.match(second.out, /already applied/);
      assert.equal(await redis.raw(['HGET', 'taskflow:schema', 'version']), '1');

      // Never backwards: an older version against a newer marker changes nothing.
      await redis.raw(['HSET', 'taskflow:schema', 'version', '3']);
      const older = await migrate({ REDIS_URL: url, REDIS_PASSWORD: PASSWORD, SCHEMA_VERSION: '2' });
      assert.equal(older.code, 0, older.out);
      assert.equal(await redis.raw(['HGET', 'taskflow:schema', 'version']), '3');
    });

    it('keeps a rollback safe: the previous release serves migrated data, a breaking migration is refused, and an app that cannot serve the data never turns ready', async () => {
      await redis.raw(['DEL', 'taskflow:schema']);
      const env = { REDIS_URL: url, REDIS_PASSWORD: PASSWORD };
      assert.equal((await migrate({ ...env, SCHEMA_VERSION: '1' })).code, 0);
      // Release 2 migrates forward; by default it stays servable by schema 1 (expand, not contract).
      const v2 = await migrate({ ...env, SCHEMA_VERSION: '2' });
      assert.equal(v2.code, 0, v2.out);
      assert.equal(await redis.raw(['HGET', 'taskflow:schema', 'compatibleWith']), '1');
      // ... so rolling back to release 1 serves: ready, and the data endpoint answers.
      const old = await startApp({ ...env, SCHEMA_VERSION: '1' });
      const rt = await waitFor(() => get(old.port, '/v1/roundtrip').then((r) => r.status === 200 && r.body));
      assert.equal(rt.schema, '2');
      assert.equal((await get(old.port, '/health/ready')).status, 200);
      await old.stop();
      // A migration that would strand the release running now is refused before it writes.
      const breaking = await migrate({ ...env, SCHEMA_VERSION: '3', SCHEMA_COMPATIBLE_WITH: '3' });
      assert.equal(breaking.code, 1, breaking.out);
      assert.match(breaking.out, /release running on version 2 could not serve the data/);
      assert.equal(await redis.raw(['HGET', 'taskflow:schema', 'version']), '2');
      // Forced through, a rollback to a build that cannot serve it fails its readiness instead.
      assert.equal((await migrate({ ...env, SCHEMA_VERSION: '3', SCHEMA_COMPATIBLE_WITH: '3', ALLOW_BREAKING_MIGRATION: '1' })).code, 0);
      const stale = await startApp({ ...env, SCHEMA_VERSION: '2' });
      await sleep(1500);
      const ready = await get(stale.port, '/health/ready');
      assert.equal(ready.status, 503);
      assert.match(ready.body.schemaProblem, /needs app schema >= 3; this build serves 2/);
      await redis.raw(['DEL', 'taskflow:schema']);
    });

    it('fails at once (exit 1) when Redis refuses the password', async () => {
      const r = await migrate({ REDIS_URL: url, REDIS_PASSWORD: 'wrong-password' });
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /refused the credentials/);
      assert.ok(r.ms < 10000, `took ${r.ms} ms: an auth failure must not wait out the deadline`);
    });

    it('with MIGRATION_FAIL set, exits 1 without opening a connection to Redis', async () => {
      let connections = 0;
      const fake = net.createServer((s) => { connections++; s.destroy(); });
      await new Promise((resolve) => fake.listen(0, '127.0.0.1', resolve));
      try {
        const r = await migrate({ REDIS_URL: `redis://127.0.0.1:${fake.address().port}`, REDIS_PASSWORD: PASSWORD, MIGRATION_FAIL: 'rollback test' });
        assert.equal(r.code, 1, r.out);
        assert.match(r.out, /MIGRATION_FAIL is set \(rollback test\); nothing was applied/);
        assert.equal(connections, 0);
      } finally {
        fake.close();
      }
    });

    it('waits for a Redis that is still starting, and gives up with exit 1 after its deadline', async () => {
      const port = await freePort();
      const late = new Redis(bin, port);
      const pending = migrate({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_PASSWORD: PASSWORD });
      await sleep(1500);
      await late.start();
      try {
        const r = await pending;
        assert.equal(r.code, 0, r.out);
        assert.match(r.out, /not reachable yet/);
        assert.match(r.out, /applied schema version 1/);
      } finally {
        await late.stop();
      }
      const never = await migrate({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_PASSWORD: PASSWORD, MIGRATE_TIMEOUT_MS: '1500' });
      assert.equal(never.code, 1, never.out);
      assert.match(never.out, /gave up after 2 s waiting for Redis/);
    });
  });

  describe('rediss:// (TLS)', () => {
    let tlsRedis;
    let dir;

    before(async function () {
      if (spawnSync('openssl', ['version']).status !== 0) {
        console.warn('  skipped: openssl (to make a test certificate) not found');
        this.skip();
      }
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-tls-'));
      const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=DNS:localhost', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')]);
      assert.equal(r.status, 0, String(r.stderr));
      tlsRedis = new Redis(bin, await freePort());
      tlsRedis.extraArgs = ['--port', '0', '--tls-port', String(tlsRedis.port), '--tls-cert-file', path.join(dir, 'cert.pem'),
        '--tls-key-file', path.join(dir, 'key.pem'), '--tls-auth-clients', 'no'];
      await tlsRedis.start();
    });

    after(async () => {
      if (tlsRedis) await tlsRedis.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('migrates and serves over rediss:// with the server certificate verified', async () => {
      const env = { REDIS_URL: `rediss://localhost:${tlsRedis.port}`, REDIS_PASSWORD: PASSWORD, NODE_EXTRA_CA_CERTS: path.join(dir, 'cert.pem') };
      const m = await migrate(env);
      assert.equal(m.code, 0, m.out);
      const app = await startApp(env);
      const rt = await waitFor(() => get(app.port, '/v1/roundtrip').then((r) => r.status === 200 && r.body));
      assert.equal(rt.schema, '1');
    });

    it('fails the migration at once on an untrusted certificate', async () => {
      const r = await migrate({ REDIS_URL: `rediss://localhost:${tlsRedis.port}`, REDIS_PASSWORD: PASSWORD });
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /TLS certificate is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
      assert.ok(r.ms < 10000, `took ${r.ms} ms`);
    });
  });

  describe('failover: READONLY from a demoted primary (review m1)', () => {
    const started = [];
    let proxy;
    after(async () => {
      if (proxy) proxy.close();
      for (const r of started.splice(0)) await r.stop();
    });

    it('drops the connection on READONLY and writes again on the promoted replica, staying ready', async () => {
      const a = new Redis(bin, await freePort());
      await a.start();
      started.push(a);
      const b = new Redis(bin, await freePort());
      b.extraArgs = ['--port', String(b.port), '--replicaof', '127.0.0.1', String(a.port), '--masterauth', PASSWORD];
      await b.start();
      started.push(b);
      // The primary endpoint name: new connections go to whichever node `target` names, while
      // established ones stay where they are, as with a DNS name that moves on failover.
      let target = a.port;
      proxy = net.createServer((client) => {
        const upstream = net.connect(target, '127.0.0.1');
        client.pipe(upstream).pipe(client);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      const app = await startApp({ REDIS_URL: `redis://127.0.0.1:${proxy.address().port}`, REDIS_PASSWORD: PASSWORD });
      await waitFor(() => get(app.port, '/v1/roundtrip').then((r) => r.status === 200), { what: 'a first round trip' });

      // Failover: promote b, demote a (it keeps answering PING, but refuses writes), move the name.
      assert.equal(await b.raw(['REPLICAOF', 'NO', 'ONE']), '+OK');
      await a.raw(['CONFIG', 'SET', 'masterauth', PASSWORD]);
      assert.equal(await a.raw(['REPLICAOF', '127.0.0.1', String(b.port)]), '+OK');
      target = b.port;
      const t0 = Date.now();
      const failed = [];
      const ok = await waitFor(async () => {
        const r = await get(app.port, '/v1/roundtrip');
        if (r.status !== 200) failed.push(r.body && r.body.error);
        return r.status === 200 && r.body;
      }, { timeoutMs: 5000, what: 'a write on the promoted replica' });
      assert.ok(ok.counter >= 1);
      assert.ok(failed.every((e) => /READONLY|not connected/.test(e)), failed.join('; '));
      assert.match(app.out, /redis reconnecting after an error reply.*READONLY/);
      assert.equal((await get(app.port, '/health/ready')).status, 200);
      console.log(`      first good write ${Date.now() - t0} ms after the failover; ${failed.length} failed request(s) before it`);
    });

    it('trusts the CA bundle at REDIS_TLS_CA_FILE without NODE_EXTRA_CA_CERTS', async function () {
      if (spawnSync('openssl', ['version']).status !== 0) this.skip();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-ca-'));
      const run = (...args) => assert.equal(spawnSync('openssl', args).status, 0, args.join(' '));
      run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=test CA', '-keyout', path.join(dir, 'ca.key'), '-out', path.join(dir, 'ca.crt'));
      run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'req.csr'));
      fs.writeFileSync(path.join(dir, 'ext'), 'subjectAltName=DNS:localhost\n');
      run('x509', '-req', '-in', path.join(dir, 'req.csr'), '-CA', path.join(dir, 'ca.crt'), '-CAkey', path.join(dir, 'ca.key'), '-CAcreateserial',
        '-days', '1', '-extfile', path.join(dir, 'ext'), '-out', path.join(dir, 'cert.pem'));
      const r = new Redis(bin, await freePort());
      r.extraArgs = ['--port', '0', '--tls-port', String(r.port), '--tls-cert-file', path.join(dir, 'cert.pem'),
        '--tls-key-file', path.join(dir, 'key.pem'), '--tls-auth-clients', 'no'];
      await r.start();
      started.push(r);
      const env = { REDIS_URL: `rediss://localhost:${r.port}`, REDIS_PASSWORD: PASSWORD, REDIS_TLS_CA_FILE: path.join(dir, 'ca.crt') };
      const m = await migrate(env);
      assert.equal(m.code, 0, m.out);
      const app = await startApp(env);
      await waitFor(() => get(app.port, '/v1/roundtrip').then((x) => x.status === 200), { what: 'a round trip over TLS' });
      fs.rmSync(dir, { recursive: true, force: true });
    });
  });

  describe('SIGTERM drain', () => {
    beforeEach(() => redis.start());

    it('stops accepting, lets an in-flight request finish, then exits 0', async () => {
      const app = await startApp({ REDIS_URL: url, REDIS_PASSWORD: PASSWORD });
      await waitFor(() => get(app.port, '/health/ready').then((r) => r.status === 200), { what: 'readiness' });
      const slow = get(app.port, '/v1/roundtrip?delayMs=1500');
      await sleep(300);
      app.proc.kill('SIGTERM');
      await sleep(200);
      await assert.rejects(get(app.port, '/health/live'), /ECONNREFUSED/, 'new connections must be refused while draining');
      const res = await slow;
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.ok, true);
      assert.equal(res.body.delayMs, 1500);
      assert.equal(res.headers.connection, 'close');
      assert.deepEqual(await app.exited, { code: 0, signal: null });
      assert.match(app.out, /"msg":"draining"/);
      assert.match(app.out, /"msg":"drained, exiting"/);
    });

    it('closes an idle keep-alive connection at once instead of waiting for it', async () => {
      const app = await startApp({ REDIS_URL: url, REDIS_PASSWORD: PASSWORD });
      const agent = new http.Agent({ keepAlive: true });
      await get(app.port, '/', { agent });
      const started = Date.now();
      app.proc.kill('SIGTERM');
      assert.deepEqual(await app.exited, { code: 0, signal: null });
      assert.ok(Date.now() - started < 3000, 'an idle keep-alive socket held the drain');
      agent.destroy();
    });

    it('exits 1 when draining outlasts its deadline', async () => {
      const app = await startApp({ REDIS_URL: url, REDIS_PASSWORD: PASSWORD, DRAIN_TIMEOUT_MS: '500' });
      const slow = get(app.port, '/v1/roundtrip?delayMs=5000').catch((err) => err);
      await sleep(200);
      app.proc.kill('SIGTERM');
      assert.deepEqual(await app.exited, { code: 1, signal: null });
      assert.match(app.out, /drain deadline exceeded/);
      assert.ok((await slow) instanceof Error, 'the request was cut by the exit');
    });

    it('caps ?delayMs= at 5000', async function () {
      // The response itself is the proof; 5 s of waiting is the cost.
      this.timeout(20000);
      const app = await startApp({ REDIS_URL: url, REDIS_PASSWORD: PASSWORD });
      await waitFor(() => get(app.port, '/health/ready').then((r) => r.status === 200), { what: 'readiness' });
      const res = await get(app.port, '/v1/roundtrip?delayMs=999999');
      assert.equal(res.body.delayMs, 5000);
    });
  });

});
