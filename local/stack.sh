#!/usr/bin/env bash
# A Pulumi stack on this machine only: a file backend, a generated passphrase and a private copy
# of the stack's config file, all in the state dir. Used by `npm start` (ops/start.sh), the
# end-to-end suite (e2e) and the engine benchmark.
#
#   bash local/stack.sh init STACK   # create the stack if missing; print its config file
#   source local/stack.sh            # export the engine's environment only
#
# State dir: ${TASKFLOW_STATE_DIR:-.state}/
#   backend/        the file backend (PULUMI_BACKEND_URL=file://...): checkpoints and history
#   passphrase      the secrets passphrase, generated once, mode 0600 (never a fixed string)
#   stacks/Pulumi.<stack>.yaml
#                   the committed Pulumi.<stack>.yaml plus this backend's encryption salt. The
#                   salt belongs to this passphrase, so it never goes into the committed file;
#                   commands take this copy with --config-file.
#   kubeconfig      written by local/cluster/cluster.sh
_ls_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=${TASKFLOW_STATE_DIR:-$_ls_root/.state}
mkdir -p "$STATE"; STATE=$(cd "$STATE" && pwd)

local_stack_env() {
  mkdir -p "$STATE/backend"
  if [[ ! -s $STATE/passphrase ]]; then
    (umask 077; node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64url"))' > "$STATE/passphrase")
  fi
  chmod 600 "$STATE/passphrase"
  export PULUMI_BACKEND_URL=file://$STATE/backend
  export PULUMI_CONFIG_PASSPHRASE_FILE=$STATE/passphrase
  unset PULUMI_CONFIG_PASSPHRASE PULUMI_ACCESS_TOKEN
  export KUBECONFIG=$STATE/kubeconfig
  export TASKFLOW_STATE_DIR=$STATE
}

# local_stack_init STACK [SOURCE_CONFIG] : prints the path of the stack's private config file.
local_stack_init() {
  local stack=$1 src=${2:-$_ls_root/Pulumi.$1.yaml} salt_file=$STATE/stacks/.salt-$1
  [[ -f $src ]] || { echo "local-stack: no stack file $src" >&2; return 2; }
  mkdir -p "$STATE/stacks" "$STATE/project"
  if ! pulumi stack ls --json --cwd "$_ls_root" 2>/dev/null | grep -q "\"name\": \"$stack\""; then
    # `stack init` writes the new salt into the project's stack file; run it against a scratch
    # project of the same name so the committed Pulumi.<stack>.yaml stays untouched.
    sed -n '/^name:/p; /^runtime:/,$p' "$_ls_root/Pulumi.yaml" > "$STATE/project/Pulumi.yaml"
    rm -f "$STATE/project/Pulumi.$stack.yaml"
    pulumi stack init "$stack" --secrets-provider passphrase --non-interactive --cwd "$STATE/project" >/dev/null
    sed -n 's/^encryptionsalt: *//p' "$STATE/project/Pulumi.$stack.yaml" > "$salt_file"
  fi
  [[ -s $salt_file ]] || { echo "local-stack: stack '$stack' exists but its salt ($salt_file) is missing; delete $STATE to start over" >&2; return 1; }
  local out=$STATE/stacks/Pulumi.$stack.yaml
  { echo "encryptionsalt: $(cat "$salt_file")"; grep -v '^encryptionsalt:' "$src"; } > "$out"
  echo "$out"
}

local_stack_env
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  case ${1:-} in
    init) local_stack_init "${2:?usage: local-stack.sh init STACK [CONFIG_FILE]}" "${3:-}" ;;
    *) echo "usage: $0 init STACK [CONFIG_FILE]" >&2; exit 2 ;;
  esac
fi
