#!/usr/bin/env bash
# Heal: put a stack's live Kubernetes objects back to its Helm release, through the same gate as
# a deploy.
#
#   npm run heal -- --stack S --local [pulumi up flags, e.g. --yes]   # the local cluster's stack
#   npm run heal -- --stack S [--config-file FILE] [pulumi up flags]  # a shared stack: gated
#   gh workflow run deploy.yml --ref main -f heal=true                # staging, prod: preferred
#
# Sets `release.healToken` to a new UTC timestamp in a copy of the stack's config (the committed
# file is never modified, so a failed or aborted run leaves nothing behind) and runs `pulumi up`
# with the policy pack. The token changes only the Release's description
# (components/taskflow-api.ts), so the engine runs a Helm upgrade of the same chart and values:
# Helm's three-way merge patches every drifted field back and re-creates deleted objects; the
# upgrade is atomic, runs the hooks (the migration Job, idempotent) and is one more entry in
# `helm history` ("heal <token>"). Objects that can no longer be patched in place (a changed
# Service port, a PDB switched to maxUnavailable: `npm run drift` says "cannot be re-applied in
# place") are deleted first, named in the plan, and re-created by that upgrade.
#
#   --local        the local cluster's stack (npm start): file backend, passphrase and private
#                  config copy in ${TASKFLOW_STATE_DIR:-.state}/ (local/stack.sh)
#   --config-file  the stack config file the copy is made from (default Pulumi.S.yaml)
#
# Any other stack is protected (review M8): heal it through the deploy workflow (the `heal`
# input of deploy.yml: main only, the policy pack, the prod Environment's reviewers). From a
# checkout, heal refuses unless the tree is clean, HEAD is the commit of the stack's last
# successful update and the preview changes nothing but the heal token (ops/heal-gate.ts).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
stack="" config="" local=0 up_args=() context_args=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --stack) stack=${2:?--stack needs a name}; shift 2 ;;
    --stack=*) stack=${1#*=}; shift ;;
    --config-file) config=${2:?--config-file needs a file}; shift 2 ;;
    --config-file=*) config=${1#*=}; shift ;;
    --context) context_args=(--context "${2:?--context needs a name}"); shift 2 ;;
    --local) local=1; shift ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) up_args+=("$1"); shift ;;
  esac
done
[[ -n $stack ]] || { echo "heal: --stack <name> is required" >&2; exit 2; }
[[ -f Pulumi.$stack.yaml ]] || { echo "heal: no stack file Pulumi.$stack.yaml" >&2; exit 2; }
ts() { node "$root/node_modules/ts-node/dist/bin.js" --transpile-only "$@"; }
if [[ $local == 1 ]]; then
  # shellcheck source=../local/toolchain/tools.sh
  source local/toolchain/tools.sh engine plugins chart || exit 1
  # shellcheck source=../local/stack.sh
  source local/stack.sh
  [[ -n $config ]] || config=$(local_stack_init "$stack")
fi
command -v pulumi >/dev/null 2>&1 || { echo "heal: needs the Pulumi CLI on PATH (or --local, which brings the pinned one)" >&2; exit 2; }
config=${config:-Pulumi.$stack.yaml}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# The copy sits next to the original: `pulumi` resolves the project from the working directory,
# and the copy must keep the original's encryption salt and secure values.
run_config=$(dirname "$config")/.heal-$$-$(basename "$config")
trap 'rm -rf "$work" "$run_config"' EXIT
cp "$config" "$run_config"
token=$(ts ops/heal-gate.ts token --stack "$stack" --config-file "$run_config")
policy=(--policy-pack policy --policy-pack-config policy/policy-config.json)

if [[ $local != 1 ]]; then
  echo "== heal $stack: protected (not --local); checking the gate (ops/heal-gate.ts)"
  dirty=$(git status --porcelain --untracked-files=no)
  [[ -z $dirty ]] || { echo "heal: refused: the checkout has uncommitted changes, which would ship with the heal:" >&2; echo "$dirty" >&2; exit 1; }
  pulumi stack history --stack "$stack" --json > "$work/history.json"
  pulumi preview --stack "$stack" --config-file "$run_config" --refresh --json "${policy[@]}" > "$work/preview.json" 2> "$work/preview.err" ||
    { echo "heal: the preview failed:" >&2; tail -20 "$work/preview.err" "$work/preview.json" >&2; exit 1; }
  ts ops/heal-gate.ts check --stack "$stack" --head "$(git rev-parse HEAD)" --history "$work/history.json" --preview "$work/preview.json"
fi

# What Helm's patch cannot put back (npm run drift): objects that cannot be re-applied in place
# are deleted (the upgrade re-creates them), fields added by other managers are removed. The plan
# says so before anything is changed.
drift_rc=0
ts ops/drift.ts --stack "$stack" "${context_args[@]}" --json > "$work/drift.json" || drift_rc=$?
((drift_rc != 3)) || { echo "heal: the release needs recovery, not heal (an interrupted deploy: npm run drift -- --stack $stack says why): npm run recover -- --stack $stack$([[ $local == 1 ]] && echo " --local"); nothing was changed" >&2; exit 1; }
((drift_rc <= 1)) || { echo "heal: npm run drift failed; nothing was changed" >&2; exit 1; }
mapfile -t plan < <(node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  for (const d of r.drifted) {
    if (d.replace) console.log(`replaces ${d.key} (cannot be re-applied in place: ${d.replace}): deleted now, re-created by the upgrade`);
    else for (const a of d.added) console.log(`removes ${a.path} from ${d.key} (added by ${a.manager})`);
  }' "$work/drift.json")
echo "== heal $stack: release.healToken=$token (in a copy of $config), then pulumi up --refresh with the policy pack (a Helm upgrade of the same chart and values; the stack's own objects put back from its state)"
for line in "${plan[@]}"; do echo "   $line"; done
if ((${#plan[@]})); then
  if [[ " ${up_args[*]} " != *" --yes "* && " ${up_args[*]} " != *" -y "* ]]; then
    read -r -p "Make these changes, then run the upgrade? [y/N] " answer
    [[ $answer == [yY]* ]] || { echo "heal: nothing changed"; exit 1; }
  fi
  ts ops/drift.ts --stack "$stack" "${context_args[@]}" --prepare-heal
fi
pulumi up --stack "$stack" --config-file "$run_config" --refresh "${policy[@]}" "${up_args[@]}"
echo "== healed: npm run drift -- --stack $stack should now report no drift"
