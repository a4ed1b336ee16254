'use strict';
// A minimal RESP2 client: enough for the reference app's contract (AUTH, PING, SET/GET/INCR,
// HGET, EVAL), with no npm dependency so the image is node + these files and nothing else.
//
// Behaviour that matters to the chart:
// - Every connection starts with AUTH (when a password is set) and PING. The client is "ready"
//   only after both answered: a TCP connect alone says nothing about the password.
// - No offline queue: a command issued while disconnected fails at once. An HTTP request then
//   gets a fast 503 instead of piling up behind a Redis that may be gone for a minute.
// - A command that does not answer within commandTimeoutMs fails, and the connection is dropped:
//   a late reply would otherwise be matched to the next command on the same socket.
// - A dropped connection is retried forever with capped exponential backoff; callers that need
//   a bound (the migration) impose their own deadline.

const net = require('node:net');
const tls = require('node:tls');
const { EventEmitter } = require('node:events');

class RedisError extends Error {
  constructor(message) {
    super(message);
    this.name = 'RedisError';
    // The first word of a Redis error is its class: ERR, WRONGPASS, NOAUTH, LOADING, ...
    this.code = message.split(' ')[0];
  }
}

// An AUTH reply that no retry will fix (wrong password or user, or a password sent to a server
// without one). The migration stops at once on it instead of waiting out its deadline.
function isAuthError(err) {
  return err instanceof RedisError &&
    (err.code === 'WRONGPASS' || err.code === 'NOAUTH' || /invalid (username|password)|without any password configured/i.test(err.message));
}

function encodeCommand(args) {
  const parts = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const b = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg));
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

// Parses one RESP2 value at `pos`; returns { value, end } or null when the buffer does not yet
// hold a complete value. Error replies are returned as RedisError values, not thrown, so an
// error inside an array (EXEC, EVAL) does not desynchronise the stream.
function parseReply(buf, pos) {
  if (pos >= buf.length) return null;
  const lineEnd = buf.indexOf('\r\n', pos);
  if (lineEnd < 0) return null;
  const line = buf.toString('utf8', pos + 1, lineEnd);
  const next = lineEnd + 2;
  switch (buf[pos]) {
    case 0x2b: // '+' simple string
      return { value: line, end: next };
    case 0x2d: // '-' error
      return { value: new RedisError(line), end: next };
    case 0x3a: // ':' integer
      return { value: Number(line), end: next };
    case 0x24: { // '$' bulk string, -1 = nil
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (buf.length < next + len + 2) return null;
      return { value: buf.toString('utf8', next, next + len), end: next + len + 2 };
    }
    case 0x2a: { // '*' array, -1 = nil
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, at);
        if (!item) return null;
        items.push(item.value);
        at = item.end;
      }
      return { value: items, end: at };
    }
    default:
      throw new Error(`redis protocol error: unexpected byte 0x${buf[pos].toString(16)}`);
  }
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

// The settings the chart injects: REDIS_URL (ConfigMap), REDIS_PASSWORD (Secret), and an
// optional REDIS_USERNAME for ACL users other than `default`.
function redisOptionsFromEnv(env = process.env) {
  const fromUrl = parseRedisUrl(env.REDIS_URL || 'redis://127.0.0.1:6379');
  return {
    ...fromUrl,
    username: env.REDIS_USERNAME || fromUrl.username || undefined,
    password: env.REDIS_PASSWORD || fromUrl.password || undefined,
    commandTimeoutMs: Number(env.REDIS_COMMAND_TIMEOUT_MS || 2000),
  };
}

class RedisClient extends EventEmitter {
  /**
   * Events: 'ready' (AUTH + PING answered on a new connection), 'down' (err: a connection
   * attempt failed or a ready connection was lost).
   */
  constructor(opts) {
    super();
    this.opts = { connectTimeoutMs: 5000, commandTimeoutMs: 2000, minBackoffMs: 100, maxBackoffMs: 5000, ...opts };
    this.status = 'idle'; // idle | connecting | ready | reconnecting | stopped
    this.socket = null;
    this.pending = [];
    this.attempt = 0;
    this.lastError = null;
    this.retryTimer = null;
  }

  get ready() { return this.status === 'ready'; }

  start() {
    if (this.status === 'idle') this._connect();
    return this;
  }

  /** Sends a command on the ready connection; rejects at once when there is none. */
  command(args) {
    if (this.status !== 'ready') {
      const why = this.lastError ? `: ${this.lastError.message}` : '';
      return Promise.reject(new Error(`redis not connected (${this.status})${why}`));
    }
    return this._send(this.socket, args);
  }

  stop() {
    this.status = 'stopped';
    clearTimeout(this.retryTimer);
    if (this.socket) this.socket.destroy();
  }

  _connect() {
    const { host, port, connectTimeoutMs } = this.opts;
    this.status = this.attempt === 0 ? 'connecting' : 'reconnecting';
    const socket = this.opts.tls
      ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host })
      : net.connect({ host, port });
    this.socket = socket;
    this.pending = [];
    let buffered = Buffer.alloc(0);
    let failure = null;

    socket.setNoDelay(true);
    const connectTimer = setTimeout(
      () => socket.destroy(new Error(`connect to ${host}:${port} timed out after ${connectTimeoutMs} ms`)),
      connectTimeoutMs,
    );

    socket.once(this.opts.tls ? 'secureConnect' : 'connect', async () => {
      clearTimeout(connectTimer);
      socket.setKeepAlive(true, 10000);
      try {
        if (this.opts.password) {
          const auth = this.opts.username ? ['AUTH', this.opts.username, this.opts.password] : ['AUTH', this.opts.password];
          await this._send(socket, auth);
        }
        const pong = await this._send(socket, ['PING']);
        if (pong !== 'PONG') throw new Error(`unexpected PING reply: ${JSON.stringify(pong)}`);
        if (this.status === 'stopped' || socket !== this.socket) return;
        this.status = 'ready';
        this.attempt = 0;
        this.lastError = null;
        this.emit('ready');
      } catch (err) {
        failure = err;
        socket.destroy();
      }
    });

    socket.on('data', (chunk) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      let pos = 0;
      try {
        for (;;) {
          const reply = parseReply(buffered, pos);
          if (!reply) break;
          pos = reply.end;
          const waiter = this.pending.shift();
          if (!waiter) throw new Error('redis protocol error: reply without a command');
          waiter.settle(reply.value);
        }
      } catch (err) {
        socket.destroy(err);
        return;
      }
      buffered = buffered.subarray(pos);
    });

    socket.on('error', (err) => { failure = failure || err; });

    socket.on('close', () => {
      clearTimeout(connectTimer);
      const err = failure || new Error(`connection to ${host}:${port} closed`);
      for (const waiter of this.pending.splice(0)) waiter.settle(err);
      if (socket !== this.socket) return;
      this.socket = null;
      this.lastError = err;
      if (this.status === 'stopped') return;
      this.emit('down', err);
      // Capped exponential backoff: fast recovery from a blip, no hammering of a Redis that is
      // restarting (or refusing our password) for minutes.
      const delay = Math.min(this.opts.maxBackoffMs, this.opts.minBackoffMs * 2 ** this.attempt);
      this.attempt++;
      this.status = 'reconnecting';
      this.retryTimer = setTimeout(() => this._connect(), delay);
    });
  }

  _send(socket, args) {
    return new Promise((resolve, reject) => {
      if (socket.destroyed) {
        reject(new Error(`redis connection closed before ${args[0]}`));
        return;
      }
      const timer = setTimeout(() => {
        // The reply may still come, but it would be read as the answer to the next command.
        socket.destroy(new Error(`redis command ${args[0]} timed out after ${this.opts.commandTimeoutMs} ms`));
      }, this.opts.commandTimeoutMs);
      this.pending.push({
        settle: (value) => {
          clearTimeout(timer);
          if (value instanceof Error) reject(value); else resolve(value);
        },
      });
      socket.write(encodeCommand(args));
    });
  }
}

module.exports = { RedisClient, RedisError, isAuthError, parseReply, encodeCommand, parseRedisUrl, redisOptionsFromEnv };
