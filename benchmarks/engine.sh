#!/usr/bin/env bash
# Engine-time benchmark, every figure a ratio against a baseline measured in the same run (this
# machine is shared and noisy). Prints numbers; asserts nothing.
#
#   bash benchmarks/engine.sh            # RUNS=3 previews of each kind (median)
#
#   1. preview: `pulumi preview --stack dev` / preview of a program that registers nothing
#      (benchmarks/empty-program: same engine, language host, Node.js and SDK), with the
#      runtime tsconfig (transpile only, swc) and as the program ran before (a copy without
#      tsconfig.pulumi.json and swc: ts-node type-checks on every run). Goal <= 1.2x.
#   2. `up` from empty: wall time of the first `pulumi up --stack dev` on a fresh stack.
#   3. rollout under load: a 4-replica rolling restart of the app's Deployment on the real node
#      while benchmarks/load.ts hits the Service through kube-proxy, against its floor,
#      ceil(4 / maxSurge) x the median time a new pod took from creation to Ready (measured on
#      the pods of that rollout); plus the requests that failed (goal 0) and latency p50/p99.
#   4. unit suite / bare SDK import (benchmarks/unit-timing.sh). Goal <= 1.5x.
# staging and prod are not previewed here: they need the AWS provider plugin and AWS
# credentials, which this offline machine has neither of (see docs/tests-and-tools.md, "Benchmarks").
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
runs=${RUNS:-3}
# shellcheck source=../local/toolchain/tools.sh
source local/toolchain/tools.sh engine cluster node plugins >/dev/null 2>&1 || { echo "engine.sh: toolchain bootstrap failed (run bash local/toolchain/tools.sh)" >&2; exit 1; }
bash scripts/ensure-npm.sh >/dev/null
bash scripts/chart-deps.sh

export TASKFLOW_STATE_DIR; TASKFLOW_STATE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/taskflow-bench.XXXXXX")
export TASKFLOW_CLUSTER=taskflow-bench
cleanup() {
  bash local/cluster/cluster.sh down >/dev/null 2>&1 || true
  rm -rf "$TASKFLOW_STATE_DIR" "${empty:-}"
}
trap cleanup EXIT
bash local/cluster/cluster.sh up 2>/dev/null
# shellcheck source=../local/stack.sh
source local/stack.sh
config=$(local_stack_init dev)

now_ms() { date +%s%3N; }
median() { sort -n | sed -n "$(( (runs + 1) / 2 ))p"; }
# time_ms CMD... : wall time of one run in ms (the command must succeed)
time_ms() {
  local t0; t0=$(now_ms)
  "$@" >"$TASKFLOW_STATE_DIR/last.out" 2>&1 || { echo "engine.sh: '$*' failed:" >&2; tail -30 "$TASKFLOW_STATE_DIR/last.out" >&2; exit 1; }
  echo $(( $(now_ms) - t0 ))
}

# The empty program, in a scratch copy so `stack init` does not write into the repository.
empty=$(mktemp -d "${TMPDIR:-/tmp}/taskflow-empty.XXXXXX")
cp benchmarks/empty-program/* "$empty/"
sed -i "s#\"extends\": \"../../tsconfig.json\"#\"extends\": \"$root/tsconfig.json\"#" "$empty/tsconfig.json"
ln -s "$root/node_modules" "$empty/node_modules"
pulumi stack init bench --non-interactive --cwd "$empty" >/dev/null

echo "engine benchmark: pulumi $(pulumi version), node $(node --version), $runs runs each (median)"
# One warm-up of each, so the first measured run does not pay for cold disk caches.
time_ms pulumi preview --stack bench --non-interactive --cwd "$empty" >/dev/null
time_ms pulumi preview --stack dev --config-file "$config" --non-interactive >/dev/null

# "Before": a copy of the project as it ran before tsconfig.pulumi.json and swc, i.e. ts-node
# type-checking the program (and the SDKs' types) on every run.
before=$TASKFLOW_STATE_DIR/before
mkdir -p "$before"
tar -C "$root" --exclude=./node_modules --exclude=./.git --exclude=./.state -cf - . | tar -C "$before" -xf -
ln -s "$root/node_modules" "$before/node_modules"
sed -i '/tsconfig: tsconfig.pulumi.json/d' "$before/Pulumi.yaml"
node -e '
  const fs = require("fs"), ts = require("typescript"), f = process.argv[1];
  const cfg = ts.parseConfigFileTextToJson(f, fs.readFileSync(f, "utf8")).config;
  delete cfg["ts-node"];
  fs.writeFileSync(f, JSON.stringify(cfg, null, 2));' "$before/tsconfig.json"
# Interleaved (empty, now, before) x runs, so all three see the same machine noise.
b=() f=() w=()
for ((i = 0; i < runs; i++)); do
  b+=("$(time_ms pulumi preview --stack bench --non-interactive --cwd "$empty")")
  f+=("$(time_ms pulumi preview --stack dev --config-file "$config" --non-interactive)")
  w+=("$(time_ms pulumi preview --stack dev --config-file "$config" --non-interactive --cwd "$before")")
done
[[ "${b[*]} ${f[*]} ${w[*]}" =~ ^[0-9\ ]+$ ]] || { echo "engine.sh: a preview failed (see above)" >&2; exit 1; }
base=$(printf '%s\n' "${b[@]}" | median)
fast=$(printf '%s\n' "${f[@]}" | median)
slow=$(printf '%s\n' "${w[@]}" | median)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '  preview, empty program (baseline):            %6d ms\n' "$base"
printf '  preview dev, now (transpile only, swc):      %6d ms   ratio %s  (goal <= 1.2)\n' "$fast" "$(ratio "$fast" "$base")"
printf '  preview dev, before (ts-node type-checks):   %6d ms   ratio %s\n' "$slow" "$(ratio "$slow" "$base")"

upms=$(time_ms pulumi up --stack dev --config-file "$config" --non-interactive --yes --skip-preview)
printf '  up dev from empty (--skip-preview):          %6d ms   ratio to empty preview %s\n' "$upms" "$(ratio "$upms" "$base")"

# Rollout: 4 replicas, then a rolling restart timed from the restart to the rollout's end.
ns=$(pulumi stack output namespace --stack dev)
four=$TASKFLOW_STATE_DIR/stacks/Pulumi.dev-4.yaml
# 4 replicas; the release timeout grows with them (config validation: it must exceed the
# migration deadline plus ceil(4 / maxSurge) startup-probe budgets).
sed -e 's/^\(    replicaCount:\) 1$/\1 4/' -e 's/^\(    timeoutSeconds:\) [0-9]*$/\1 900/' "$config" > "$four"
grep -q 'replicaCount: 4' "$four" || { echo "engine.sh: could not set replicaCount 4 in $config" >&2; exit 1; }
time_ms pulumi up --stack dev --config-file "$four" --non-interactive --yes --skip-preview >/dev/null
surge=$(kubectl -n "$ns" get deployment taskflow-api -o jsonpath='{.spec.strategy.rollingUpdate.maxSurge}')
# maxSurge may be a percentage; Kubernetes rounds a surge percentage up.
if [[ $surge =~ ^([0-9]+)%$ ]]; then surge=$(( (4 * BASH_REMATCH[1] + 99) / 100 )); fi
[[ $surge =~ ^[0-9]+$ && $surge -gt 0 ]] || { echo "engine.sh: maxSurge '$surge' is not a count or percentage" >&2; exit 1; }
svc=$(kubectl -n "$ns" get service taskflow-api -o jsonpath='{.spec.clusterIP}:{.spec.ports[0].port}')
# node itself (not npx), so the SIGINT below reaches the generator.
node -r ts-node/register/transpile-only benchmarks/load.ts "http://$svc/v1/roundtrip" > "$TASKFLOW_STATE_DIR/load.json" &
loadpid=$!
sleep 2
roll=$(time_ms bash -c "kubectl -n '$ns' rollout restart deployment/taskflow-api && kubectl -n '$ns' rollout status deployment/taskflow-api --timeout=300s")
sleep 2
kill -INT "$loadpid"; wait "$loadpid" || true
# Readiness of the rollout's own pods: creation to the Ready condition, median (1 s resolution).
ready_ms=$(kubectl -n "$ns" get pods -l app.kubernetes.io/component=api -o json | node -e '
  const pods = JSON.parse(require("fs").readFileSync(0, "utf8")).items.filter((p) => !p.metadata.deletionTimestamp);
  const ms = pods.map((p) => Date.parse(p.status.conditions.find((c) => c.type === "Ready").lastTransitionTime) - Date.parse(p.metadata.creationTimestamp)).sort((a, b) => a - b);
  console.log(ms[Math.floor(ms.length / 2)]);')
floor=$(( (4 + surge - 1) / surge * ready_ms ))
printf '  rollout of 4 replicas under load, maxSurge %s: %6d ms   floor %d ms (ceil(4/%s) x %d ms median readiness)   ratio %s\n' \
  "$surge" "$roll" "$floor" "$surge" "$ready_ms" "$(ratio "$roll" "$floor")"
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`  load during that rollout: ${r.requests} requests, ${r.failed} failed (goal 0), p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms${r.failed ? "; " + r.failures.join("; ") : ""}`);' "$TASKFLOW_STATE_DIR/load.json"
time_ms pulumi destroy --stack dev --config-file "$four" --non-interactive --yes --skip-preview >/dev/null

echo "unit suite:"
RUNS=$runs bash benchmarks/unit-timing.sh | sed 's/^/  /'
