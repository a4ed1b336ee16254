'use strict';
// taskflow-api reference server: the contract the Helm chart assumes of the real image, in the
// smallest program that honours it (chart/README.md, "What the chart expects of the image").
//
//   GET /health/live   the event loop answers (liveness and startup probes)
//   GET /health/ready  200 once Redis has answered AUTH + PING and the schema check since start,
//                      while Redis has not been unreachable for REDIS_UNREACHABLE_READY_MS, and
//                      until SIGTERM
//   GET /v1/roundtrip  a real Redis round trip; 503 while Redis is unreachable
//   GET /              name and version
//
// Environment (ConfigMap + Secret of the chart): PORT, REDIS_URL, REDIS_PASSWORD,
// REDIS_USERNAME (optional), LOG_LEVEL, APP_VERSION; DRAIN_TIMEOUT_MS and
// REDIS_UNREACHABLE_READY_MS for tests.

const http = require('node:http');
const os = require('node:os');
const { RedisClient, redisOptionsFromEnv } = require('./redis');
const { createLogger } = require('./log');

const NAME = 'taskflow-api';
const VERSION = process.env.APP_VERSION || 'reference';
const PORT = Number(process.env.PORT || 8080);
// SIGTERM arrives after the chart's preStop sleep (10 s) inside a 30 s grace period: draining
// must end well before the kubelet's SIGKILL, or in-flight requests are cut without a log line.
const DRAIN_TIMEOUT_MS = Number(process.env.DRAIN_TIMEOUT_MS || 15000);
const MAX_DELAY_MS = 5000;
const SCHEMA_KEY = 'taskflow:schema';
// The data schema this build serves (the migration it ships with writes the same number).
const APP_SCHEMA = Number(process.env.SCHEMA_VERSION || 1);
const COUNTER_KEY = 'taskflow:roundtrip:counter';

const log = createLogger();
const pod = os.hostname();
const redis = new RedisClient(redisOptionsFromEnv());

// Readiness is "this pod can serve" (chart audit D14), and, since review M7, "... or could
// within a short outage": it turns true after the first successful AUTH + PING + schema check,
// stays true through an outage shorter than UNREACHABLE_READY_MS (a clean failover is over in a
// few seconds, and emptying every Service endpoint for it would turn 503s into refused
// connections), and turns false beyond it (a pod cut off from Redis, say by a node or a zone
// that died without resetting its connections, leaves the load balancer's rotation while its
// peers serve), true again at the first answer. 10 s: twice a clean failover measured on the
// stand-in, and with the probe's failureThreshold (3 x 5 s) a cut-off pod leaves rotation in
// ~25 s, not ~15 min. It still gates the first start on Redis, which catches a wrong password or
// URL at rollout time (the new ReplicaSet never becomes Ready, the old one keeps serving).
const UNREACHABLE_READY_MS = Number(process.env.REDIS_UNREACHABLE_READY_MS || 10000);
// The first schema check is retried on this timer while the connection stays up (review m2): a
// timed-out HGET on a connection that never drops would otherwise never be retried.
const SCHEMA_RETRY_MS = 1000;
let redisConfirmed = false;
let draining = false;
// Data this build cannot serve: a migration newer than it declared itself incompatible with it
// (compatibleWith > APP_SCHEMA). The pod then never turns Ready, so a rollback to a too-old
// image fails its rollout instead of serving misread data.
let schemaProblem = null;
let schemaInFlight = false;
let schemaTimer = null;
let unreachableLogged = false;

// Runs until it succeeds once: on the first 'ready', then every SCHEMA_RETRY_MS while it fails on
// a connection that is still up (a new connection's 'ready' runs it too).
async function checkSchema() {
  if (redisConfirmed || schemaInFlight || draining) return;
  clearTimeout(schemaTimer);
  schemaInFlight = true;
  try {
    const needs = Number(await redis.command(['HGET', SCHEMA_KEY, 'compatibleWith'])) || 0;
    schemaProblem = needs > APP_SCHEMA ? `data schema needs app schema >= ${needs}; this build serves ${APP_SCHEMA}` : null;
    if (schemaProblem) log.error('refusing readiness', { reason: schemaProblem });
    log.lifecycle('redis ready', { host: redis.opts.host, port: redis.opts.port, tls: redis.opts.tls, appSchema: APP_SCHEMA });
    redisConfirmed = true;
  } catch (err) {
    log.warn('schema check failed; retrying', { error: err.message, retryMs: SCHEMA_RETRY_MS });
    schemaTimer = setTimeout(() => { if (redis.ready) checkSchema(); }, SCHEMA_RETRY_MS);
    schemaTimer.unref();
  } finally {
    schemaInFlight = false;
  }
}

function isReady() {
  const unreachableMs = redis.unreachableMs();
  const cutOff = redisConfirmed && unreachableMs >= UNREACHABLE_READY_MS;
  // Logged once per outage, when a probe first sees it: the probe itself only shows a 503.
  if (cutOff && !unreachableLogged) log.error('redis unreachable beyond the readiness bound; reporting not ready', { unreachableMs, boundMs: UNREACHABLE_READY_MS });
  unreachableLogged = cutOff;
  return redisConfirmed && !draining && !schemaProblem && !cutOff;
}

redis.on('ready', () => {
  if (!redisConfirmed) checkSchema();
  else log.info('redis reconnected', {});
});
redis.on('stalled', (n) => {
  log.warn('redis connection stalled; reconnecting', { timedOutCommands: n });
});
redis.on('ca-changed', () => {
  log.lifecycle('redis CA bundle changed on disk; new connections trust it', { caFile: redis.opts.caFile });
});
redis.on('reconnect-on-error', (err) => {
  // After a failover: this connection reached the demoted primary. Dialling again resolves the
  // primary endpoint afresh (review m1).
  log.warn('redis reconnecting after an error reply', { error: err.message });
});
// One line for the first failed attempt of an outage, then at most one every DOWN_LOG_MS with
// the attempt count: enough to see a wrong password in `kubectl logs` without a line per
// backoff step (one a second at the cap).
const DOWN_LOG_MS = 5000;
let downLoggedAt = 0;
redis.on('down', (err) => {
  const now = Date.now();
  if (redis.attempt > 1 && now - downLoggedAt < DOWN_LOG_MS) return;
  downLoggedAt = now;
  log.warn('redis unavailable', { error: err.message, attempt: redis.attempt });
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function send(res, status, body) {
  // While draining, every response closes its connection: a keep-alive client would otherwise
  // keep sending to a process that is about to exit.
  if (draining) res.setHeader('Connection', 'close');
  const json = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json), 'Cache-Control': 'no-store' });
  res.end(json);
}

async function roundtrip(url) {
  const delayMs = Math.min(MAX_DELAY_MS, Math.max(0, Number(url.searchParams.get('delayMs')) || 0));
  // The delay exists so tests can hold a request in flight across SIGTERM.
  if (delayMs) await sleep(delayMs);
  const started = process.hrtime.bigint();
  const key = `taskflow:roundtrip:${pod}:${process.pid}:${Date.now()}:${Math.random().toString(36).slice(2)}`;
  const value = String(Date.now());
  // Short TTL: the per-request keys must never accumulate, even if the GET below fails.
  await redis.command(['SET', key, value, 'PX', '30000']);
  const read = await redis.command(['GET', key]);
  if (read !== value) throw new Error(`read back ${JSON.stringify(read)}, wrote ${JSON.stringify(value)}`);
  const counter = await redis.command(['INCR', COUNTER_KEY]);
  const schema = await redis.command(['HGET', SCHEMA_KEY, 'version']);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { ok: true, pod, counter, schema, redis: Math.round(ms * 100) / 100, delayMs };
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'method not allowed' });
  switch (url.pathname) {
    case '/':
      return send(res, 200, { name: NAME, version: VERSION, pod });
    case '/health/live':
      return send(res, 200, { live: true });
    case '/health/ready': {
      const ready = isReady();
      return send(res, ready ? 200 : 503, {
        ready, redis: redis.status, redisConfirmed, redisUnreachableMs: redis.unreachableMs(), draining, ...(schemaProblem && { schemaProblem }),
      });
    }
    case '/v1/roundtrip':
      try {
        return send(res, 200, await roundtrip(url));
      } catch (err) {
        return send(res, 503, { ok: false, pod, error: err.message });
      }
    default:
      return send(res, 404, { error: 'not found' });
  }
}

const server = http.createServer((req, res) => {
  const started = process.hrtime.bigint();
  if (log.isDebug) {
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log.debug('request', { method: req.method, path: req.url, status: res.statusCode, ms: Math.round(ms * 100) / 100 });
    });
  }
  handle(req, res).catch((err) => {
    log.error('request failed', { path: req.url, error: err.message });
    if (!res.headersSent) send(res, 500, { error: 'internal error' });
    else res.destroy();
  });
});
// Idle keep-alive connections outlive any load balancer's idle timeout (ALB: 60 s), so the
// balancer, not Node, closes them: otherwise a request can race Node's close and get a 502.
server.keepAliveTimeout = 65000;
server.headersTimeout = 66000;

function shutdown(signal) {
  if (draining) return;
  draining = true;
  log.lifecycle('draining', { signal, deadlineMs: DRAIN_TIMEOUT_MS });
  // A hung request must not keep the pod until SIGKILL: exit 1 so the drain failure is visible.
  setTimeout(() => {
    log.lifecycle('drain deadline exceeded, exiting', { deadlineMs: DRAIN_TIMEOUT_MS });
    process.exit(1);
  }, DRAIN_TIMEOUT_MS).unref();
  // close() stops accepting and calls back once every connection is gone; idle keep-alive
  // sockets are closed now, busy ones after their response (Connection: close, see send()).
  server.close(() => {
    redis.stop();
    log.lifecycle('drained, exiting', {});
    process.exit(0);
  });
  server.closeIdleConnections();
}

process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

server.listen(PORT, () => {
  log.lifecycle('listening', { name: NAME, version: VERSION, port: PORT, pod, node: process.version, pid: process.pid });
  redis.start();
});
