#!/usr/bin/env bash
# Copies chart/ into DEST/taskflow-api with its dependency in place, and prints that path.
#
#   bash scripts/stage-chart.sh DEST
#
# Helm refuses to render a chart whose declared dependencies are missing from charts/, even
# when their condition (redis.enabled) is false, so the real Valkey chart is put in place first
# (scripts/chart-deps.sh). The copy leaves out chart/tests, which are not part of the chart.
set -euo pipefail
dest=${1:?usage: stage-chart.sh DEST}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$root/scripts/chart-deps.sh"
mkdir -p "$dest"
rm -rf "$dest/taskflow-api"
cp -R "$root/chart" "$dest/taskflow-api"
rm -rf "$dest/taskflow-api/tests"
echo "$dest/taskflow-api"
