'use strict';
// The app's Redis connection: ioredis (a maintained client) with the behaviour the chart relies
// on, behind the small interface server.js and migrate.js use (start, command, stop,
// unreachableMs, 'ready', 'down', 'stalled').
//
// - TLS (rediss://) verifies the server certificate against Node.js' roots plus the bundle at
//   REDIS_TLS_CA_FILE (the chart mounts externalRedis.caSecret there), e.g. a private CA. The
//   bundle is read again on every connection attempt (review m3): the kubelet refreshes a
//   mounted Secret in place, so a CA change reaches new connections without a pod restart.
// - AUTH (REDIS_PASSWORD, optional REDIS_USERNAME) on every connection. The client is "ready"
//   only after AUTH, ioredis' ready check and a PING answered: a TCP connect alone says nothing
//   about the password.
// - No offline queue: a command issued while disconnected fails at once. An HTTP request then
//   gets a fast 503 instead of piling up behind a Redis that may be gone for a minute.
// - A hard primary failure (review M7: a node that stops answering without resetting its
//   connections, so the kernel keeps the socket "up" for ~15 min of retransmissions, forever if
//   the process is merely frozen) is detected by the client itself: a command without an answer
//   fails after commandTimeoutMs; the socket is destroyed after socketTimeoutMs without a byte;
//   maxTimeouts timed-out commands in a row force a reconnect even if some bytes trickle in;
//   a PING every heartbeatMs on an idle connection finds a dead one without traffic; and a
//   connection attempt that does not finish TCP + TLS within connectTimeoutMs is abandoned.
//   unreachableMs() says for how long Redis has not answered (server.js bounds readiness by it).
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

// How the client copes with a Redis that fails, each value with its reason (review M7). The
// bound that matters: after the primary endpoint moves to a healthy node, a pod is writing again
// within connectTimeoutMs + maxBackoffMs (an attempt already hanging on the dead node, then the
// next one) plus the handshake: ~4 s, inside the 10 s goal with room for a loaded node.
const DEFAULTS = Object.freeze({
  // TCP connect + TLS handshake (ioredis clears it on 'secureConnect'). Same-VPC handshakes take
  // milliseconds; 3 s still allows one lost SYN (retransmitted after 1 s) on a loaded node. A
  // frozen node completes TCP from its kernel's backlog but never the TLS handshake, a dead one
  // never answers the SYN: both end here instead of in the kernel's 2-minute SYN retries.
  connectTimeoutMs: 3000,
  // One command without an answer fails (a fast 503), on a connection ioredis still calls ready.
  // Our commands are O(1); a healthy ElastiCache answers in about a millisecond.
  commandTimeoutMs: 2000,
  // ioredis' socketTimeout: no byte at all for this long while a command waits destroys the
  // socket and reconnects. Twice the command timeout: the command is reported first, the
  // connection given up second. Without it a socket to a node that died without RST stays
  // "ready" until tcp_retries2 (~15 min), forever if the process is only frozen (SIGSTOP).
  socketTimeoutMs: 4000,
  // Timed-out commands in a row (no reply of any kind in between) after which the connection is
  // dropped and dialled again: covers a connection whose bytes trickle in (the socket timeout
  // never fires) while every reply is too late to be of use. Three, so one slow command (a fork,
  // a big key) does not cost a reconnect, and under load a dead connection goes in ~2 s.
  maxTimeouts: 3,
  // A PING when nothing was answered for this long on a ready connection: a dead connection is
  // noticed (by the timeouts above) even while no request uses it, so readiness follows.
  heartbeatMs: 1000,
  // Reconnect backoff from 100 ms, doubling, capped: fast after a blip; at the cap one attempt
  // per second per pod, which no Redis notices, and which keeps the recovery bound above short.
  minBackoffMs: 100,
  maxBackoffMs: 1000,
});

// The settings the chart injects: REDIS_URL and REDIS_TLS_CA_FILE (ConfigMap), REDIS_PASSWORD
// (Secret), and an optional REDIS_USERNAME for ACL users other than `default`.
function redisOptionsFromEnv(env = process.env) {
  const fromUrl = parseRedisUrl(env.REDIS_URL || 'redis://127.0.0.1:6379');
  return {
    ...fromUrl,
    username: env.REDIS_USERNAME || fromUrl.username || undefined,
    password: env.REDIS_PASSWORD || fromUrl.password || undefined,
    caFile: env.REDIS_TLS_CA_FILE || undefined,
    commandTimeoutMs: Number(env.REDIS_COMMAND_TIMEOUT_MS || DEFAULTS.commandTimeoutMs),
  };
}

const isTimeout = (err) => /^Command timed out\b/.test(String(err && err.message));

class RedisClient extends EventEmitter {
  /**
   * Events: 'ready' (AUTH + PING answered on a new connection), 'down' (err: a connection
   * attempt failed or a ready connection was lost), 'reconnect-on-error' (err: a READONLY or
   * LOADING reply dropped the connection), 'stalled' (n: n timed-out commands in a row forced a
   * reconnect), 'ca-changed' (the CA bundle on disk changed; new connections use it).
   */
  constructor(opts) {
    super();
    this.opts = { ...DEFAULTS, ...opts };
    this.status = 'idle'; // idle | connecting | ready | reconnecting | stopped
    this.attempt = 0;
    this.lastError = null;
    this.client = null;
    // Since when Redis has not answered (null: it answers). Set by a lost connection, a failed
    // attempt or a timed-out command; cleared by any reply.
    this.unreachableSince = null;
    this.timeouts = 0;
    this.lastReplyAt = 0;
    this.heartbeat = null;
    this.pinging = false;
    this.ca = undefined;
  }

  get ready() { return this.status === 'ready'; }

  /** Milliseconds since Redis last answered, 0 while it answers (or before start). */
  unreachableMs(now = Date.now()) {
    return this.unreachableSince === null ? 0 : now - this.unreachableSince;
  }

  /** Redis has not answered since `since` (default now), unless an earlier time is recorded. */
  markUnreachable(since = Date.now()) {
    if (this.unreachableSince === null) this.unreachableSince = Math.max(since, this.lastReplyAt);
  }

  markAnswered() {
    this.unreachableSince = null;
    this.timeouts = 0;
    this.lastReplyAt = Date.now();
  }

  // Node's default roots plus the mounted bundle (`ca` alone would replace the roots), read on
  // every connection attempt. A failed read keeps the last bundle read: the kubelet swaps the
  // files atomically, so a failure means a broken mount, and the old CA is the better guess.
  readCa() {
    try {
      const pem = fs.readFileSync(this.opts.caFile, 'utf8');
      if (this.ca !== undefined && pem !== this.ca) this.emit('ca-changed');
      this.ca = pem;
    } catch (err) {
      if (this.ca === undefined) throw err;
      this.lastError = err;
    }
    return [...require('node:tls').rootCertificates, this.ca];
  }

  start() {
    if (this.status !== 'idle') return this;
    const o = this.opts;
    let tls;
    if (o.tls) {
      tls = { servername: net.isIP(o.host) ? undefined : o.host };
      // ioredis copies the `tls` object's properties into tls.connect()'s options on every
      // attempt (StandaloneConnector: Object.assign), so a getter is read per connection.
      if (o.caFile) {
        this.readCa(); // an unreadable CA at start is a configuration error: fail loudly now
        Object.defineProperty(tls, 'ca', { enumerable: true, get: () => this.readCa() });
      }
    }
    this.status = 'connecting';
    this.markUnreachable();
    this.client = new Redis({
      host: o.host,
      port: o.port,
      username: o.username,
      password: o.password,
      tls,
      lazyConnect: true,
      connectTimeout: o.connectTimeoutMs,
      commandTimeout: o.commandTimeoutMs,
      socketTimeout: o.socketTimeoutMs,
      // disconnect() ends the socket and destroys it after this long if the peer never closes
      // its side (ioredis' default: 2 s). A connection we give up on is presumed dead: destroy
      // it at once rather than keep it "ready" for 2 s more.
      disconnectTimeout: 0,
      enableOfflineQueue: false,
      // Without the offline queue a command only ever runs on a ready connection: nothing to retry.
      maxRetriesPerRequest: 0,
      // A command that timed out may still have run (an INCR, a SET): never replay it on the
      // next connection.
      autoResendUnfulfilledCommands: false,
      // CLIENT SETINFO is Redis 7.2+; older servers and ElastiCache 7.0 answer it with an error.
      disableClientInfo: true,
      retryStrategy: (times) => {
        this.attempt = times;
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
        this.markAnswered();
        this.emit('ready');
      }).catch((err) => { this.lastError = err; this.markUnreachable(); c.disconnect(true); });
    });
    c.on('error', (err) => {
      this.lastError = err;
      if (this.status === 'stopped') return;
      this.markUnreachable();
      this.emit('down', err);
    });
    c.on('close', () => {
      if (this.status === 'stopped') return;
      this.markUnreachable();
      if (this.status === 'ready') this.emit('down', this.lastError || new Error(`connection to ${o.host}:${o.port} closed`));
      this.status = 'reconnecting';
    });
    if (o.heartbeatMs > 0) {
      this.heartbeat = setInterval(() => this.beat(), o.heartbeatMs);
      this.heartbeat.unref(); // never what keeps a process (the migration hook) alive
    }
    // The first connect is retried by retryStrategy like any other; its failure is an 'error'.
    c.connect().catch(() => {});
    return this;
  }

  beat() {
    if (this.status !== 'ready' || this.pinging || Date.now() - this.lastReplyAt < this.opts.heartbeatMs) return;
    this.pinging = true;
    this.command(['PING']).catch(() => {}).finally(() => { this.pinging = false; });
  }

  /** Sends a command on the ready connection; rejects at once when there is none. */
  command(args) {
    if (this.status !== 'ready') {
      const why = this.lastError ? `: ${this.lastError.message}` : '';
      return Promise.reject(new Error(`redis not connected (${this.status})${why}`));
    }
    const c = this.client;
    const sentAt = Date.now();
    return c.call(String(args[0]), ...args.slice(1).map(String)).then((reply) => {
      this.markAnswered();
      return reply;
    }, (err) => {
      // An error reply is an answer; a timeout is not.
      if (!isTimeout(err)) {
        if (err && err.name === 'ReplyError') this.markAnswered();
        throw err;
      }
      this.lastError = err;
      // No answer since the command went out (ioredis writes it at once on a ready connection).
      this.markUnreachable(sentAt);
      this.timeouts += 1;
      if (this.timeouts >= this.opts.maxTimeouts && this.status === 'ready') {
        this.emit('stalled', this.timeouts);
        this.timeouts = 0;
        // Commands fail fast from now on, not after another timeout each.
        this.status = 'reconnecting';
        // disconnect(true): close this socket now and let retryStrategy dial again, which
        // resolves the endpoint afresh (ioredis marks the close as not manual).
        c.disconnect(true);
      }
      throw err;
    });
  }

  stop() {
    this.status = 'stopped';
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.client) this.client.disconnect(false);
  }
}

module.exports = { RedisClient, isAuthError, parseRedisUrl, redisOptionsFromEnv, DEFAULTS, RECONNECT_REPLIES };
