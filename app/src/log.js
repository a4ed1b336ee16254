'use strict';
// One JSON object per line on stdout: what a cluster's log pipeline (and `kubectl logs | jq`)
// parses without a custom format. No dependencies, so the image needs nothing but node.

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 };

function createLogger(level = process.env.LOG_LEVEL || 'info') {
  // An unknown level logs everything rather than nothing: a typo in a ConfigMap must not
  // silence the pod.
  const threshold = LEVELS[String(level).toLowerCase()] ?? LEVELS.debug;
  const write = (lvl, msg, fields) => {
    process.stdout.write(JSON.stringify({ ts: new Date().toISOString(), level: lvl, msg, ...fields }) + '\n');
  };
  const at = (lvl) => (msg, fields) => { if (LEVELS[lvl] >= threshold) write(lvl, msg, fields); };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    isDebug: threshold <= LEVELS.debug,
    // Start, ready, drain and exit are logged at every level: they are what an operator reads
    // after a rollout or an eviction, and there are only a handful per process.
    lifecycle: (msg, fields) => write('info', msg, { event: 'lifecycle', ...fields }),
  };
}

module.exports = { createLogger };
