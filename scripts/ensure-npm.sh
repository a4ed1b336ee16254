#!/usr/bin/env bash
# Installs npm dependencies with `npm ci`, but only when a package-lock.json changed since the
# last install, so warm runs of `npm test` / `npm start` skip it. The project root and each
# sub-project with its own lock file (deployments/, policy/) are installed the same way.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ci_when_lock_changed() { # DIR: npm ci in DIR when DIR/package-lock.json differs from its stamp
  local dir=$1 stamp want
  stamp=$dir/node_modules/.taskflow-lock.sha256
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
    if [[ $dir == . ]]; then echo "== npm ci"; else echo "== npm ci ($dir/)"; fi
    npm ci --no-audit --no-fund --prefix "$dir"
    echo "$want" > "$stamp"
  fi
}

ci_when_lock_changed .
# deployments/ (the Pulumi Deployments settings) is a project of its own with its own lock file.
ci_when_lock_changed deployments
# app/ (the reference image's app): its Redis client, ioredis, for test/app and the image build.
ci_when_lock_changed app
# policy/ (the CrossGuard policy pack) too: the engine loads it from its own node_modules.
ci_when_lock_changed policy
