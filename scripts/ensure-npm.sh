#!/usr/bin/env bash
# Installs npm dependencies with `npm ci`, but only when package-lock.json changed since the
# last install, so warm runs of `npm test` / `npm start` skip it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
stamp=node_modules/.taskflow-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "== npm ci"
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi

# deployments/ (the Pulumi Deployments settings) is a project of its own with its own lock file.
stamp=deployments/node_modules/.taskflow-lock.sha256
want=$(sha256sum deployments/package-lock.json | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "== npm ci (deployments/)"
  npm ci --no-audit --no-fund --prefix deployments
  echo "$want" > "$stamp"
fi
