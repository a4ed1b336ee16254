'use strict';
// `node dist/migrate.js up`: the chart's pre-install/pre-upgrade hook Job.
//
// Applies the schema marker `taskflow:schema` (a hash: version, appliedAt, appliedBy) only when
// its version is newer than the stored one, atomically in one EVAL, so a Job retried by its
// backoffLimit, or two releases racing, never moves the version backwards.
//
// Exit codes: 0 applied or already applied; 1 any failure (MIGRATION_FAIL set, Redis
// unreachable within MIGRATE_TIMEOUT_MS, authentication refused, an untrusted TLS certificate,
// a command error);
// 64 usage. A failed hook fails the Helm release, which is what rolls a deploy back.

const os = require('node:os');
const { RedisClient, isAuthError, redisOptionsFromEnv } = require('./redis');

const SCHEMA_KEY = 'taskflow:schema';
const SCHEMA_VERSION = Number(process.env.SCHEMA_VERSION || 1);
// The oldest app schema version that can still serve the data once this migration ran. A rollback
// does not undo a migration, so every migration must stay compatible with the release before it:
// by default it declares SCHEMA_VERSION - 1 (expand now, contract in a later release). The hook
// refuses one that would strand the release running now (see APPLY_SCRIPT), unless
// ALLOW_BREAKING_MIGRATION is set; the app refuses readiness on data it cannot serve.
const COMPATIBLE_WITH = Number(process.env.SCHEMA_COMPATIBLE_WITH || Math.max(1, SCHEMA_VERSION - 1));
const ALLOW_BREAKING = Boolean(process.env.ALLOW_BREAKING_MIGRATION);
// A Redis that is still starting (the Valkey pod is created in the same install) is waited
// for; a Redis that never comes fails the Job well inside activeDeadlineSeconds (300 s).
const TIMEOUT_MS = Number(process.env.MIGRATE_TIMEOUT_MS || 60000);

// Returns {1, previous} when it wrote, {0, current} when the stored version is not older, and
// {2, current} when the migration would break the release that runs on `current` (its
// compatibleWith is newer than current) and breaking is not allowed.
const APPLY_SCRIPT = `
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0') or 0
if current >= tonumber(ARGV[1]) then return {0, current} end
if current > 0 and tonumber(ARGV[4]) > current and ARGV[5] ~= '1' then return {2, current} end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'appliedAt', ARGV[2], 'appliedBy', ARGV[3], 'compatibleWith', ARGV[4])
return {1, current}
`;

// Certificate problems do not fix themselves within a minute: fail as fast as on a wrong password.
const TLS_TRUST_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const say = (msg) => process.stdout.write(`migrate: ${msg}\n`);
const fail = (msg) => { process.stderr.write(`migrate: FAILED: ${msg}\n`); return 1; };

// Waits for AUTH + PING on a fresh connection, up to the deadline. Wrong credentials end the
// wait at once: retrying them for a minute only delays the failed deploy.
function waitReady(client, deadline) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const last = client.lastError ? client.lastError.message : 'no answer';
      reject(new Error(`gave up after ${Math.round(TIMEOUT_MS / 1000)} s waiting for Redis at ${client.opts.host}:${client.opts.port}: ${last}`));
    }, Math.max(0, deadline - Date.now()));
    client.once('ready', () => { clearTimeout(timer); resolve(); });
    client.on('down', (err) => {
      if (isAuthError(err)) {
        clearTimeout(timer);
        reject(new Error(`Redis refused the credentials (check REDIS_PASSWORD / REDIS_USERNAME): ${err.message}`));
        return;
      }
      if (TLS_TRUST_ERRORS.has(err.code)) {
        clearTimeout(timer);
        reject(new Error(`the Redis server's TLS certificate is not trusted (${err.code}): ${err.message}`));
        return;
      }
      const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      say(`Redis not reachable yet (${err.message}); retrying, attempt ${client.attempt + 1}, ${left} s left`);
    });
  });
}

async function up() {
  // Checked before any connection: a rollback test must see the hook fail without the
  // migration having touched Redis.
  if (process.env.MIGRATION_FAIL) {
    return fail(`MIGRATION_FAIL is set (${process.env.MIGRATION_FAIL}); nothing was applied`);
  }
  if (!Number.isInteger(SCHEMA_VERSION) || SCHEMA_VERSION < 1) {
    return fail(`SCHEMA_VERSION must be a positive integer (got ${process.env.SCHEMA_VERSION})`);
  }
  if (!Number.isInteger(COMPATIBLE_WITH) || COMPATIBLE_WITH < 1 || COMPATIBLE_WITH > SCHEMA_VERSION) {
    return fail(`SCHEMA_COMPATIBLE_WITH must be an integer from 1 to SCHEMA_VERSION (${SCHEMA_VERSION}); got ${process.env.SCHEMA_COMPATIBLE_WITH}`);
  }
  const opts = redisOptionsFromEnv();
  const client = new RedisClient({ ...opts, maxBackoffMs: 2000 });
  say(`connecting to ${opts.tls ? 'rediss' : 'redis'}://${opts.host}:${opts.port} (auth: ${opts.password ? 'password' : 'none'}${opts.username ? `, user ${opts.username}` : ''})`);
  try {
    client.start();
    await waitReady(client, Date.now() + TIMEOUT_MS);
    const appliedAt = new Date().toISOString();
    const [wrote, previous] = await client.command(['EVAL', APPLY_SCRIPT, '1', SCHEMA_KEY, SCHEMA_VERSION, appliedAt, os.hostname(),
      COMPATIBLE_WITH, ALLOW_BREAKING ? '1' : '0']);
    if (wrote === 2) {
      return fail(`schema version ${SCHEMA_VERSION} declares SCHEMA_COMPATIBLE_WITH=${COMPATIBLE_WITH}, so the release running on version ${previous} could not serve the data, and a rollback would not undo it; migrate in two releases (expand, then contract) or set ALLOW_BREAKING_MIGRATION`);
    }
    if (wrote === 1) {
      say(`applied schema version ${SCHEMA_VERSION} to ${SCHEMA_KEY} (previous: ${previous || 'none'}) at ${appliedAt}; the data stays servable by app schema >= ${COMPATIBLE_WITH}`);
    } else {
      const at = await client.command(['HGET', SCHEMA_KEY, 'appliedAt']);
      say(`schema version ${previous} already applied (at ${at}); wanted ${SCHEMA_VERSION}: nothing to do`);
    }
    return 0;
  } catch (err) {
    return fail(err.message);
  } finally {
    client.stop();
  }
}

async function main(argv) {
  if (argv[2] !== 'up') {
    process.stderr.write('usage: node dist/migrate.js up\n');
    return 64;
  }
  return up();
}

// process.exit, not a natural end: a leftover timer or socket must never keep the hook Job
// running until its activeDeadlineSeconds. stdout/stderr are synchronous for files and pipes.
main(process.argv).then(
  (code) => process.exit(code),
  (err) => { process.stderr.write(`migrate: FAILED: ${err.stack || err}\n`); process.exit(1); },
);
