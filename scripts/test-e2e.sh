#!/usr/bin/env bash
# The end-to-end suite: the real Pulumi engine (pinned CLI, kubernetes and random plugins) and
# the real chart against a private local cluster with a real node (real containers) that the
# suite starts and deletes itself. Where the host cannot run a real node the suite is skipped
# with the reason, except under CI=true, where that is a failure.
#
#   npm run test:e2e
#   npm run test:e2e -- --spec e2e/drift.test.ts [--grep 'heal']   # one suite (or scenario) alone
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=../local/toolchain/tools.sh
source local/toolchain/tools.sh chart engine cluster node plugins || exit 1  # chart: helm 3/4 (recover, helm test)
bash scripts/chart-deps.sh
# One suite alone (`--spec e2e/x.test.ts`, or the file itself): mocha merges a config file's spec
# list with the command line's, so through .mocharc.e2e.yml that would run every suite.
for arg in "$@"; do
  if [[ $arg == --spec || $arg == *.test.ts ]]; then
    exec npx --no-install mocha --no-config --require ts-node/register/transpile-only --extension ts --timeout 900000 "$@"
  fi
done
exec npx --no-install mocha --config .mocharc.e2e.yml "$@"
