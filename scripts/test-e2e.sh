#!/usr/bin/env bash
# The end-to-end suite: the real Pulumi engine (pinned CLI, kubernetes and random plugins) and
# the real chart against a private local cluster with a real node (real containers) that the
# suite starts and deletes itself. Where the host cannot run a real node the suite is skipped
# with the reason, except under CI=true, where that is a failure.
#
#   npm run test:e2e
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=../local/toolchain/tools.sh
source local/toolchain/tools.sh chart engine cluster node plugins || exit 1  # chart: helm 3/4 (recover, helm test)
bash scripts/chart-deps.sh
exec npx --no-install mocha --config .mocharc.e2e.yml "$@"
