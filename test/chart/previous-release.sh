#!/usr/bin/env bash
# The previous release's chart and values, as its own code computes them, for the chart suite's
# upgrade checks (scripts/test-chart.sh): the tree of commit BASE (git archive: the shared git
# dir gets no worktree entry), its npm dependencies (HEAD's node_modules when the lock files are
# identical, else its own `npm ci`), its chart dependency, and per stack the Helm values its
# Pulumi program computes (its own ops/plan.ts --values-only).
#
#   bash test/chart/previous-release.sh BASE DEST
# writes DEST/chart (staged, with charts/), DEST/values/<stack>.yaml, DEST/values-defaults.yaml
# (its chart/values.yaml); prints the stacks, one a line. Exit 4 when BASE has no chart.
set -euo pipefail
base=${1:?usage: previous-release.sh BASE DEST} dest=${2:?usage: previous-release.sh BASE DEST}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tree=$dest/tree
git -C "$root" cat-file -e "$base:chart/Chart.yaml" 2>/dev/null || { echo "no chart/ at $base" >&2; exit 4; }
mkdir -p "$tree" "$dest/values"
git -C "$root" archive "$base" | tar -x -C "$tree"

same() { [[ "$(git -C "$root" show "$base:$1" 2>/dev/null)" == "$(cat "$root/$1")" ]]; }
if same package-lock.json; then
  ln -s "$root/node_modules" "$tree/node_modules"
else
  echo "previous-release: its package-lock.json differs from HEAD's: npm ci in $tree" >&2
  (cd "$tree" && npm ci --prefer-offline --no-audit --no-fund >/dev/null)
fi
if same chart/Chart.lock && compgen -G "$root/chart/charts/*.tgz" >/dev/null; then
  mkdir -p "$tree/chart/charts" && cp "$root"/chart/charts/*.tgz "$tree/chart/charts/"
else
  # Its own script: the dependency it pins, from its repository or the same offline mirror.
  TASKFLOW_OFFLINE_MIRROR=${TASKFLOW_OFFLINE_MIRROR:-$(cd "$root/.." && pwd)/shared/offline-mirror} bash "$tree/scripts/chart-deps.sh"
fi
cp -R "$tree/chart" "$dest/chart" && rm -rf "$dest/chart/tests"
cp "$tree/chart/values.yaml" "$dest/values-defaults.yaml"
for f in "$tree"/Pulumi.*.yaml; do
  stack=$(basename "$f" .yaml); stack=${stack#Pulumi.}
  (cd "$tree" && npx --no-install ts-node --transpile-only ops/plan.ts --stack "$stack" --out "$dest/plan-$stack" --values-only >/dev/null)
  cp "$dest/plan-$stack/values.yaml" "$dest/values/$stack.yaml"
  echo "$stack"
done
