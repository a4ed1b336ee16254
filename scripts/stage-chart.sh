#!/usr/bin/env bash
# Copies chart/ into DEST/taskflow-api with its dependency in place, and prints that path.
#
#   bash scripts/stage-chart.sh DEST
#
# Helm refuses to render a chart whose declared dependencies are missing from charts/, even
# when their condition (redis.enabled) is false. Real deploys fetch the official Valkey chart
# with `helm dependency build chart` (needs its repository). Where chart/charts/ has no copy
# (offline tests, this machine), the STAND-IN from test/fixtures/valkey-standin goes in instead,
# with a warning: it has the same name, version, Service name and port, but it is not the real
# chart.
set -euo pipefail
dest=${1:?usage: stage-chart.sh DEST}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
version=$(sed -n '/^dependencies:/,$ s/^ *version: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$root/chart/Chart.yaml" | head -1)

mkdir -p "$dest"
rm -rf "$dest/taskflow-api"
cp -R "$root/chart" "$dest/taskflow-api"
rm -rf "$dest/taskflow-api/tests"
if compgen -G "$root/chart/charts/valkey-$version.tgz" >/dev/null || [[ -d $root/chart/charts/valkey ]]; then
  : # the real dependency, from `helm dependency build chart`
else
  mkdir -p "$dest/taskflow-api/charts"
  cp -R "$root/test/fixtures/valkey-standin" "$dest/taskflow-api/charts/valkey"
  standin=$(sed -n 's/^version: *//p' "$root/test/fixtures/valkey-standin/Chart.yaml")
  [[ $standin == "$version" ]] || { echo "stage-chart: stand-in is valkey $standin but chart/Chart.yaml pins $version" >&2; exit 1; }
  if [[ -z ${TASKFLOW_QUIET_STANDIN:-} ]]; then
    echo "stage-chart: WARNING: chart/charts/ has no valkey-$version; using the offline STAND-IN, not the real valkey-io chart (run 'helm dependency build chart' for the real one)" >&2
  fi
fi
echo "$dest/taskflow-api"
