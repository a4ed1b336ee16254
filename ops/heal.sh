#!/usr/bin/env bash
# Heal: put a stack's live Kubernetes objects back to its Helm release, through the same gate as
# a deploy.
#
#   npm run heal -- --stack S --local [--yes] [--diff]                 # the local cluster's stack
#   npm run heal -- --stack S [--config-file FILE] [--yes] [--diff]   # a shared stack: gated
#   gh workflow run deploy.yml --ref main -f heal=true                # staging, prod: preferred
#
# Sets `release.healToken` to a new UTC timestamp in a copy of the stack's config (the committed
# file is never modified, so a failed or aborted run leaves nothing behind), previews with the
# policy pack and saves that preview as an update plan, then applies exactly that plan
# (`pulumi up --plan`, review M4). The token changes only the Release's description
# (components/taskflow-api.ts), so the engine runs a Helm upgrade of the same chart and values:
# Helm's three-way merge patches every drifted field back and re-creates deleted objects; the
# upgrade is atomic, runs the hooks (the migration Job, idempotent) and is one more entry in
# `helm history` ("heal <token>"). What Helm's patch cannot put back (`npm run drift`: a list
# entry edited under its name, "cannot be re-applied in place"; fields added by other managers)
# is patched in place first, only after the preview passed, named in the plan: the conflicting
# list replaced by the release's, added fields removed. Nothing is deleted, spec.replicas is never
# touched (review M3), and a failed `up` undoes the patches (ops/drift.ts --undo-heal).
#
#   --local        the local cluster's stack (npm start): file backend, passphrase and private
#                  config copy in ${TASKFLOW_STATE_DIR:-.state}/ (local/stack.sh)
#   --config-file  the stack config file the copy is made from (default Pulumi.S.yaml)
#   --context      the kube context drift reads and patches (default: the stack's)
#   --yes, -y      no question before the changes (needed when stdin is not a terminal)
#   --diff         the preview and the update show the property-level diff
#   --non-interactive  passed to pulumi
# Any other argument is refused (exit 2): it would reach the `up` but not the reviewed preview.
#
# Any other stack is protected (review M8): heal it through the deploy workflow (the `heal`
# input of deploy.yml: main only, the policy pack, the prod Environment's reviewers). From a
# checkout, heal refuses unless the tree is clean, HEAD is the commit of the stack's last
# successful update and the preview changes nothing but the heal token (ops/heal-gate.ts); the
# deployed commit is checked again right before the `up`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
stack="" config="" local=0 yes=0 pulumi_args=() context_args=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --stack) stack=${2:?--stack needs a name}; shift 2 ;;
    --stack=*) stack=${1#*=}; shift ;;
    --config-file) config=${2:?--config-file needs a file}; shift 2 ;;
    --config-file=*) config=${1#*=}; shift ;;
    --context) context_args=(--context "${2:?--context needs a name}"); shift 2 ;;
    --context=*) context_args=(--context "${1#*=}"); shift ;;
    --local) local=1; shift ;;
    --yes|-y) yes=1; shift ;;
    --diff|--non-interactive) pulumi_args+=("$1"); shift ;;
    -h|--help) sed -n '2,38p' "$0"; exit 0 ;;
    *) echo "heal: unknown argument $1 (heal takes --stack, --local, --config-file, --context, --yes, --diff, --non-interactive: anything else would reach pulumi up unreviewed)" >&2; exit 2 ;;
  esac
done
[[ -n $stack ]] || { echo "heal: --stack <name> is required" >&2; exit 2; }
[[ -f Pulumi.$stack.yaml ]] || { echo "heal: no stack file Pulumi.$stack.yaml" >&2; exit 2; }
# The question below reads stdin: at the end of a pipe or in CI it would fail without a word.
[[ $yes == 1 || -t 0 ]] || { echo "heal: stdin is not a terminal, so heal cannot ask before changing anything: pass --yes (nothing was changed)" >&2; exit 1; }
ts() { node "$root/node_modules/ts-node/dist/bin.js" --transpile-only "$@"; }
if [[ $local != 1 ]]; then
  dirty=$(git status --porcelain --untracked-files=no)
  [[ -z $dirty ]] || { echo "heal: refused: the checkout has uncommitted changes, which would ship with the heal:" >&2; echo "$dirty" >&2; exit 1; }
fi
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
# Update plans: `--plan` is marked experimental (listed in `pulumi up --help` only with
# PULUMI_EXPERIMENTAL=true) but works without it (checked with the pinned CLI, 3.255.0): a change
# of the program's inputs after the preview fails the `up` with "violates plan".
on=(--stack "$stack" --config-file "$run_config")

# What Helm's patch cannot put back (npm run drift, reads only): named now, patched only after
# the preview passed.
drift_rc=0
ts ops/drift.ts --stack "$stack" "${context_args[@]}" --json > "$work/drift.json" || drift_rc=$?
((drift_rc != 3)) || { echo "heal: the release needs recovery, not heal (an interrupted deploy: npm run drift -- --stack $stack says why): npm run recover -- --stack $stack$([[ $local == 1 ]] && echo " --local"); nothing was changed" >&2; exit 1; }
((drift_rc <= 1)) || { echo "heal: npm run drift failed; nothing was changed" >&2; exit 1; }
mapfile -t plan < <(node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  for (const d of r.drifted) {
    if (d.replace) console.log(`patches ${d.key} in place (cannot be re-applied in place: ${d.replace}): the conflicting list replaced by the release'"'"'s`);
    // As ops/drift.ts healPatches: nothing under a replaced list, never spec.replicas.
    const replaced = (d.repair ?? []).filter((o) => o.op === "replace").map((o) => o.path);
    for (const a of d.added) {
      if (a.pointer === "/spec/replicas" || replaced.some((p) => a.pointer === p || a.pointer.startsWith(p + "/"))) continue;
      console.log(`removes ${a.path} from ${d.key} (added by ${a.manager})`);
    }
  }
  for (const o of r.orphans ?? []) console.log(`leaves ${o.key}: an orphan, not the stack'"'"'s to delete (review it; kubectl delete if unwanted)`);' "$work/drift.json")

# The reviewed preview, saved as the plan the `up` must follow: with the policy pack, refreshed
# (the Namespace and Secret put back from the state show here).
echo "== heal $stack: release.healToken=$token (in a copy of $config); preview with the policy pack, saved as an update plan"
pulumi preview "${on[@]}" --refresh --json "${policy[@]}" --save-plan "$work/plan.json" "${pulumi_args[@]}" > "$work/preview.json" 2> "$work/preview.err" ||
  { echo "heal: the preview failed; nothing was changed:" >&2; tail -20 "$work/preview.err" "$work/preview.json" >&2; exit 1; }
deployed_commit_check() { # [--preview FILE]: the gate of a protected stack (ops/heal-gate.ts)
  pulumi stack history --stack "$stack" --json > "$work/history.json"
  ts ops/heal-gate.ts check --stack "$stack" --head "$(git rev-parse HEAD)" --history "$work/history.json" "$@"
}
if [[ $local != 1 ]]; then
  echo "== heal $stack: protected (not --local); checking the gate (ops/heal-gate.ts)"
  deployed_commit_check --preview "$work/preview.json"
fi

echo "== heal $stack: the preview passed; then, in this order:"
for line in "${plan[@]}"; do echo "   $line"; done
echo "   pulumi up --plan (exactly the previewed plan: a Helm upgrade of the same chart and values, the stack's own objects put back from its state)"
if [[ $yes != 1 ]]; then
  read -r -p "Make these changes? [y/N] " answer
  [[ $answer == [yY]* ]] || { echo "heal: nothing changed"; exit 1; }
fi
undo() {
  echo "heal: the upgrade failed; undoing the preparation" >&2
  ts ops/drift.ts --stack "$stack" "${context_args[@]}" --undo-heal "$work/undo.json" >&2 || echo "heal: the undo failed too: npm run drift -- --stack $stack shows what is live" >&2
}
ts ops/drift.ts --stack "$stack" "${context_args[@]}" --prepare-heal --undo-file "$work/undo.json" ||
  { [[ -s $work/undo.json ]] && undo; echo "heal: the preparation failed; nothing was deployed" >&2; exit 1; }
# Between the check above and now, another deploy may have landed: heal would then roll it back.
if [[ $local != 1 ]]; then
  deployed_commit_check || { undo; echo "heal: the deployed commit changed during the heal; nothing was deployed" >&2; exit 1; }
fi
# --refresh as in the preview: the plan expects the updates of the stack's own objects that the
# refresh shows (a same where the plan has an update violates it).
pulumi up "${on[@]}" --refresh --plan "$work/plan.json" "${policy[@]}" --yes "${pulumi_args[@]}" || { undo; exit 1; }
echo "== healed: npm run drift -- --stack $stack should now report no drift"
