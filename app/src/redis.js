'use strict';
// The app's Redis connection: ioredis (a maintained client) with the behaviour the chart relies
// on, behind the small interface server.js and migrate.js use (start, command, stop, 'ready',
// 'down').
//
// - TLS (rediss://) verifies the server certificate against Node.js' roots plus the bundle at
//   REDIS_TLS_CA_FILE (the chart mounts externalRedis.caSecret there), e.g. a private CA.
// - AUTH (REDIS_PASSWORD, optional REDIS_USERNAME) on every connection. The client is "ready"
//   only after AUTH, ioredis' ready check and a PING answered: a TCP connect alone says nothing
//   about the password.
// - No offline queue: a command issued while disconnected fails at once. An HTTP request then
//   gets a fast 503 instead of piling up behind a Redis that may be gone for a minute.
// - Command timeout (REDIS_COMMAND_TIMEOUT_MS, default 2000): a command without an answer fails.
// - Reconnect forever with capped exponential backoff; callers that need a bound (the migration)
//   impose their own deadline.
// - A READONLY or LOADING reply drops the connection and reconnects (ioredis' reconnectOnError;
//   review m1). After a failover, a connection that still reaches the demoted primary (a stale
//   DNS answer or a long-lived conntrack entry) gets READONLY on every write but keeps answering
//   PING; without this it would stay there. The command that got READONLY fails (the offline
//   queue is off, so it cannot wait for the new connection); the next one runs on the promoted
//   primary.

const fs = require('node:fs');
const net = require('node:net');
const { EventEmitter } = require('node:events');
const Redis = require('ioredis');

// Error replies after which this connection cannot serve writes: close it and dial again, which
// resolves the primary endpoint name afresh.
const RECONNECT_REPLIES = /^(READONLY|LOADING)\b/;

// An AUTH reply that no retry will fix (wrong password or user, or a password sent to a server
// without one). The migration stops at once on it instead of waiting out its deadline.
function isAuthError(err) {
  const msg = String((err && err.message) || '');
  return /^(WRONGPASS|NOAUTH)\b/.test(msg) || /invalid (username|password)|without any password configured/i.test(msg);
}

// redis://[user:password@]host:port or rediss://... (TLS). The chart passes the password
// separately (REDIS_PASSWORD from a Secret), so credentials in the URL are only a fallback.
function parseRedisUrl(url) {
  const u = new URL(url);
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new Error(`REDIS_URL must start with redis:// or rediss:// (got ${u.protocol}//)`);
  }
  return {
    host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: Number(u.port || 6379),
    tls: u.protocol === 'rediss:',
    username: decodeURIComponent(u.username || ''),
    password: decodeURIComponent(u.password || ''),
  };
}

// The settings the chart injects: REDIS_URL and REDIS_TLS_CA_FILE (ConfigMap), REDIS_PASSWORD
// (Secret), and an optional REDIS_USERNAME for ACL users other than `default`.
function redisOptionsFromEnv(env = process.env) {
  const fromUrl = parseRedisUrl(env.REDIS_URL || 'redis://127.0.0.1:6379');
  return {
    ...fromUrl,
    username: env.REDIS_USERNAME || fromUrl.username || undefined,
    password: env.REDIS_PASSWORD || fromUrl.password || undefined,
    caFile: env.REDIS_TLS_CA_FILE || undefined,
    commandTimeoutMs: Number(env.REDIS_COMMAND_TIMEOUT_MS || 2000),
  };
}

class RedisClient extends EventEmitter {
  /**
   * Events: 'ready' (AUTH + PING answered on a new connection), 'down' (err: a connection
   * attempt failed or a ready connection was lost), 'reconnect-on-error' (err: a READONLY or
   * LOADING reply dropped the connection).
   */
  constructor(opts) {
    super();
    this.opts = { connectTimeoutMs: 5000, commandTimeoutMs: 2000, minBackoffMs: 100, maxBackoffMs: 5000, ...opts };
    this.status = 'idle'; // idle | connecting | ready | reconnecting | stopped
    this.attempt = 0;
    this.lastError = null;
    this.client = null;
  }

  get ready() { return this.status === 'ready'; }

  start() {
    if (this.status !== 'idle') return this;
    const o = this.opts;
    let tls;
    if (o.tls) {
      // Node's default roots plus the mounted bundle: `ca` alone would replace the roots.
      const ca = o.caFile ? [...require('node:tls').rootCertificates, fs.readFileSync(o.caFile, 'utf8')] : undefined;
      tls = { ca, servername: net.isIP(o.host) ? undefined : o.host };
    }
    this.status = 'connecting';
    this.client = new Redis({
      host: o.host,
      port: o.port,
      username: o.username,
      password: o.password,
      tls,
      lazyConnect: true,
      connectTimeout: o.connectTimeoutMs,
      commandTimeout: o.commandTimeoutMs,
      enableOfflineQueue: false,
      // Without the offline queue a command only ever runs on a ready connection: nothing to retry.
      maxRetriesPerRequest: 0,
      // CLIENT SETINFO is Redis 7.2+; older servers and ElastiCache 7.0 answer it with an error.
      disableClientInfo: true,
      retryStrategy: (times) => {
        this.attempt = times;
        // Capped exponential backoff: fast recovery from a blip, no hammering of a Redis that is
        // restarting (or refusing our password) for minutes.
        return Math.min(o.maxBackoffMs, o.minBackoffMs * 2 ** Math.max(0, times - 1));
      },
      reconnectOnError: (err) => {
        if (!RECONNECT_REPLIES.test(err.message)) return false;
        this.emit('reconnect-on-error', err);
        return 1;
      },
    });
    const c = this.client;
    c.on('ready', () => {
      // ioredis' ready check ran INFO after AUTH; a PING on top keeps the old contract exactly.
      c.ping().then((pong) => {
        if (pong !== 'PONG') throw new Error(`unexpected PING reply: ${JSON.stringify(pong)}`);
        if (this.status === 'stopped') return;
        this.status = 'ready';
        this.attempt = 0;
        this.lastError = null;
        this.emit('ready');
      }).catch((err) => { this.lastError = err; c.disconnect(true); });
    });
    c.on('error', (err) => {
      this.lastError = err;
      if (this.status === 'stopped') return;
      this.emit('down', err);
    });
    c.on('close', () => {
      if (this.status === 'stopped') return;
      if (this.status === 'ready') this.emit('down', this.lastError || new Error(`connection to ${o.host}:${o.port} closed`));
      this.status = 'reconnecting';
    });
    // The first connect is retried by retryStrategy like any other; its failure is an 'error'.
    c.connect().catch(() => {});
    return this;
  }

  /** Sends a command on the ready connection; rejects at once when there is none. */
  command(args) {
    if (this.status !== 'ready') {
      const why = this.lastError ? `: ${this.lastError.message}` : '';
      return Promise.reject(new Error(`redis not connected (${this.status})${why}`));
    }
    return this.client.call(String(args[0]), ...args.slice(1).map(String));
  }

  stop() {
    this.status = 'stopped';
    if (this.client) this.client.disconnect(false);
  }
}

module.exports = { RedisClient, isAuthError, parseRedisUrl, redisOptionsFromEnv, RECONNECT_REPLIES };
