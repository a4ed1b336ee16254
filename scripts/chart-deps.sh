#!/usr/bin/env bash
# Puts the chart's pinned dependency (the official Valkey chart, alias `redis`) into
# chart/charts/, where Helm, `pulumi up` (the Release reads ./chart) and the tests look for it.
#
#   bash scripts/chart-deps.sh
#
# Sources, first that works: already in chart/charts/ at the pinned version; `helm dependency
# build chart` (a machine that reaches https://valkey.io/valkey-helm/); the offline mirror's
# copy (${TASKFLOW_OFFLINE_MIRROR:-../shared/offline-mirror}/charts/, checksum-verified).
# chart/Chart.lock is committed: `helm dependency build` refuses it when it no longer matches
# Chart.yaml (scripts/chart-lock.ts --write regenerates it offline after a dependency change).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../local/toolchain/common.sh
source "$root/local/toolchain/common.sh"

# The dependency's name and version, read from Chart.yaml (the pin lives only there).
read -r name version repo < <(awk '
  /^dependencies:/ { deps = 1; next }
  deps && /^[^ #-]/ { deps = 0 }
  deps && $1 == "-" && $2 == "name:" { n = $3 }
  deps && $1 == "name:" { n = $2 }
  deps && $1 == "version:" { gsub(/"/, "", $2); v = $2 }
  deps && $1 == "repository:" { r = $2 }
  deps && n != "" && v != "" && r != "" { print n, v, r; exit }' "$root/chart/Chart.yaml")
[[ -n ${name:-} && -n ${version:-} && -n ${repo:-} ]] || _die "cannot read the dependency from chart/Chart.yaml"
want=$root/chart/charts/$name-$version.tgz

if [[ -f $want ]]; then exit 0; fi
rm -f "$root/chart/charts/$name-"*.tgz
helm=$(command -v helm || true); [[ -n $helm ]] || helm=$TOOLS_BIN/helm4
# With a Chart.lock, `helm dependency build` first checks the lock's digest against Chart.yaml,
# then wants the repository in its repository config ("no repository definition" otherwise):
# a private config, so nothing is added to the user's own.
helm_build() {
  local cfg
  cfg=$(mktemp -d "${TMPDIR:-/tmp}/chart-deps.XXXXXX")
  trap 'rm -rf "$cfg"' RETURN
  "$helm" repo add chart-deps "$repo" --repository-config "$cfg/repositories.yaml" --repository-cache "$cfg/cache" &&
    "$helm" dependency build "$root/chart" --repository-config "$cfg/repositories.yaml" --repository-cache "$cfg/cache"
}
if [[ -x $helm ]] && helm_build >/dev/null 2>&1 && [[ -f $want ]]; then
  echo "chart-deps: $name $version from its chart repository (helm dependency build)" >&2
  exit 0
fi
if tgz=$(mirror_file "charts/$name-$version.tgz"); then
  mkdir -p "$root/chart/charts"
  cp "$tgz" "$want"
  echo "chart-deps: $name $version from the offline mirror ($TASKFLOW_OFFLINE_MIRROR)" >&2
  exit 0
fi
_die "the chart dependency $name $version is missing from chart/charts/.
        Run 'helm dependency build chart' on a machine that reaches its repository
        (https://valkey.io/valkey-helm/), or point TASKFLOW_OFFLINE_MIRROR at a mirror with charts/$name-$version.tgz."
