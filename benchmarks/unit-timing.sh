#!/usr/bin/env bash
# Wall time of the unit suite against a baseline: a mocha run whose only test imports the four
# Pulumi SDKs (benchmarks/baseline.test.ts). The ratio shows what the tests themselves cost
# on top of loading the SDKs.
#
#   bash benchmarks/unit-timing.sh          # RUNS=3 by default; prints the median of each
#   RUNS=5 bash benchmarks/unit-timing.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs=${RUNS:-3}
mocha=node_modules/.bin/mocha
# Same loader and settings as .mocharc.yml, but only the baseline file.
baseline=("$mocha" --no-config --require ts-node/register/transpile-only --extension ts --timeout 60000 benchmarks/baseline.test.ts)
suite=("$mocha")   # .mocharc.yml: test/unit/**/*.test.ts

now_ms() { date +%s%3N; }

# median_ms CMD... : run CMD $runs times (output discarded, failures fatal), print the median.
median_ms() {
  local times=() start
  for ((i = 0; i < runs; i++)); do
    start=$(now_ms)
    "$@" >/dev/null 2>&1 || { echo "unit-timing: '$*' failed" >&2; exit 1; }
    times+=($(( $(now_ms) - start )))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p"
}

base=$(median_ms "${baseline[@]}")
full=$(median_ms "${suite[@]}")
tests=$("$mocha" --reporter json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).stats.tests))')

echo "unit timing (median of $runs runs, node $(node --version))"
printf '  baseline (mocha + ts-node + Pulumi SDK imports): %6d ms\n' "$base"
printf '  unit suite (%s tests):                          %6d ms\n' "$tests" "$full"
awk -v b="$base" -v f="$full" 'BEGIN { printf "  ratio suite/baseline: %.2f  (tests add %d ms)\n", f / b, f - b }'
