#!/usr/bin/env bash
# Every offline test suite, from a fresh clone: npm dependencies, the pinned chart toolchain,
# type check, lint, the Pulumi program's unit tests, then the chart suite.
#
#   npm test
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

bash scripts/ensure-npm.sh || exit 1

bash scripts/tools.sh || exit 1

log=$(mktemp); trap 'rm -f "$log"' EXIT
failed=()
run() { # run NAME CMD... : output is shown and kept in $log for the totals
  local name=$1; shift
  echo "== $name"
  "$@" 2>&1 | tee -a "$log"
  ((PIPESTATUS[0] == 0)) || failed+=("$name")
}
run "typecheck (tsc --noEmit, strict)" npm run --silent typecheck
run "eslint" npm run --silent lint
run "unit tests (mocha, Pulumi mocks)" npm run --silent test:unit
run "chart tests (helm 4 + helm 3, kubeconform, linter, helm-unittest, bad values)" bash scripts/test-chart.sh
run "deployments project (tsc, mocha under Pulumi mocks)" npm --prefix deployments run --silent test
run "policy pack (tsc, mocha: every policy on every stack, one mutation per rule)" npm --prefix policy run --silent test
run "workflows (actionlint)" bash scripts/check-workflows.sh

# One closing count over both runners: mocha's "N passing / N failing" and the chart's
# "chart: N passed, N failed". A suite that could not even start counts as one failure.
read -r passed bad < <(awk '
  /^ *[0-9]+ passing/ { p += $1 }
  /^ *[0-9]+ failing/ { f += $1 }
  /^chart: [0-9]+ passed, [0-9]+ failed/ { p += $2; f += $4 }
  /^workflows: [0-9]+ passed, [0-9]+ failed/ { p += $2; f += $4 }
  END { print p + 0, f + 0 }' "$log")
if ((${#failed[@]})); then
  printf 'FAILED suite: %s\n' "${failed[@]}"
  ((bad > 0)) || bad=${#failed[@]}
fi
echo "tests: $passed passed, $bad failed"
((${#failed[@]} == 0))
