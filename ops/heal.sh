#!/usr/bin/env bash
# Heal: put a stack's live Kubernetes objects back to its Helm release, with a deploy's safety.
#
#   npm run heal -- --stack S [--local] [--config-file FILE] [pulumi up flags, e.g. --yes]
#
# Sets `release.healToken` to a new UTC timestamp in the stack's config and runs `pulumi up`.
# The token changes only the Release's description (components/taskflow-api.ts), so the engine
# runs a Helm upgrade of the same chart and the same values: Helm's three-way merge patches
# every drifted field back to the manifest and re-creates deleted objects; the upgrade is atomic
# (a failure rolls back), runs the hooks (the migration Job, idempotent) and is one more entry
# in `helm history` ("heal <token>"). Nothing else in the stack changes, and the preview before
# `up` says so. `helm upgrade --reuse-values` by hand would bypass all that and the state.
#
#   --local        the local cluster's stack (npm start): file backend, passphrase and private
#                  config copy in ${TASKFLOW_STATE_DIR:-.state}/ (local/stack.sh)
#   --config-file  the stack config file to write the token into (default Pulumi.S.yaml)
#
# For a shared stack, commit the changed Pulumi.S.yaml: the next deploy then keeps the token
# (without it, that deploy's changed description is simply one more harmless heal).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
stack="" config="" local=0 up_args=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --stack) stack=${2:?--stack needs a name}; shift 2 ;;
    --stack=*) stack=${1#*=}; shift ;;
    --config-file) config=${2:?--config-file needs a file}; shift 2 ;;
    --config-file=*) config=${1#*=}; shift ;;
    --local) local=1; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) up_args+=("$1"); shift ;;
  esac
done
[[ -n $stack ]] || { echo "heal: --stack <name> is required" >&2; exit 2; }
[[ -f Pulumi.$stack.yaml ]] || { echo "heal: no stack file Pulumi.$stack.yaml" >&2; exit 2; }
if [[ $local == 1 ]]; then
  # shellcheck source=../local/toolchain/tools.sh
  source local/toolchain/tools.sh engine plugins || exit 1
  # shellcheck source=../local/stack.sh
  source local/stack.sh
  [[ -n $config ]] || config=$(local_stack_init "$stack")
fi
config=${config:-Pulumi.$stack.yaml}
token=$(date -u +%Y%m%dT%H%M%SZ)
echo "== heal $stack: release.healToken=$token in $config, then pulumi up (a Helm upgrade of the same chart and values)"
pulumi config set --path release.healToken "$token" --stack "$stack" --config-file "$config" --non-interactive
pulumi up --stack "$stack" --config-file "$config" "${up_args[@]}"
echo "== healed: npm run drift -- --stack $stack should now report no drift"
