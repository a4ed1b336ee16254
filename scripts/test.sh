#!/usr/bin/env bash
# Every offline test suite, from a fresh clone: npm dependencies, the pinned chart toolchain,
# type check, lint, the Pulumi program's unit tests, then the chart suite.
#
#   npm test
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# npm ci only when the lock file changed since the last install (a warm run skips it).
stamp=node_modules/.taskflow-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "== npm ci"
  npm ci --no-audit --no-fund || exit 1
  echo "$want" > "$stamp"
fi

bash scripts/tools.sh || exit 1

failed=()
run() { # run NAME CMD...
  local name=$1; shift
  echo "== $name"
  "$@" || failed+=("$name")
}
run "typecheck (tsc --noEmit, strict)" npm run --silent typecheck
run "eslint" npm run --silent lint
run "unit tests (mocha, Pulumi mocks)" npm run --silent test:unit
run "chart tests (helm 4 + helm 3, kubeconform, linter, helm-unittest, bad values)" bash scripts/test-chart.sh

if ((${#failed[@]})); then
  printf 'FAILED: %s\n' "${failed[@]}"
  exit 1
fi
echo "all suites passed"
