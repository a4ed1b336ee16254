#!/usr/bin/env bash
# Every test suite, from a fresh clone: the pinned toolchain (local/toolchain/tools.sh: Node.js 24, the
# chart tools, the Pulumi engine and plugins, the local control plane), npm dependencies, then
# the offline suites (type check, lint, unit tests, chart, deployments, policy pack, workflows)
# and last the end-to-end suite on the real engine and a local cluster whose node runs real containers.
#
#   npm test
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# Sourced: the suites below run on the toolchain's Node.js (>= 22, what the SDK declares) and
# find helm, kube-linter, pulumi and kubectl through the exported paths.
# shellcheck source=../local/toolchain/tools.sh
source local/toolchain/tools.sh all || exit 1
bash scripts/ensure-npm.sh || exit 1
bash scripts/chart-deps.sh || exit 1

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
run "reference app (mocha, app/ against a real redis-server)" npm run --silent test:app
run "chart tests (helm 4 + helm 3, kubeconform, linter, helm-unittest, bad values)" bash scripts/test-chart.sh
run "deployments project (tsc, mocha under Pulumi mocks)" npm --prefix deployments run --silent test
run "policy pack (tsc, mocha: every policy on every stack, one mutation per rule)" npm --prefix policy run --silent test
run "workflows (actionlint)" bash scripts/check-workflows.sh
# Last: the real engine. The toolchain above installed it, so a missing engine is a failure here.
run "policy pack on the real engine (pulumi preview --policy-pack policy)" env TASKFLOW_REQUIRE_ENGINE=1 bash policy/test/engine-check.sh
run "end-to-end (real Pulumi engine, local cluster with a real node)" bash scripts/test-e2e.sh

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
