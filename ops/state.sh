#!/usr/bin/env bash
# A stack's state (its checkpoint), saved before a deploy and put back after damage.
#
#   npm run state -- export --stack S --file F                      # what deploy.yml runs before every `up`
#   npm run state -- restore --stack S --file F [--config-file C]   # import F, then prove it matches the cluster
#
# export: `pulumi stack export` into F (mode 0600). Secrets stay encrypted by the stack's secrets
#   provider (no --show-secrets): the file is ciphertext wherever the state is, so it can be kept
#   as a workflow artifact. Refuses to keep a file holding a plaintext secret. A stack with no
#   resources (initialised, never deployed: the first deploy of a new stack) has nothing to keep:
#   F becomes a marker saying so, and the deploy goes on (review M1). A stack that does not exist
#   fails the export (`pulumi stack init` it first: its secrets provider must exist).
# restore: `pulumi stack import` of F into the SAME stack (its secrets provider decrypts what the
#   export encrypted; another stack's key cannot), then `pulumi preview --refresh
#   --expect-no-changes`: exit 0 only when the restored state, refreshed from the cluster, and
#   the program agree. A non-zero exit after the import says what differs (the preview's diff):
#   the cluster changed since the export (a later `up` ran), and the next `pulumi up` puts the
#   code's version back.
# The stack's backend and secrets come from the environment, as for any `pulumi` command (CI:
# the Pulumi Cloud token; the local cluster: `source local/stack.sh` first, or npm start's state dir).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
usage() { sed -n '2,5p' "$0" >&2; exit 2; }
cmd=${1:-}; shift || true
stack="" file="" config=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --stack) stack=${2:?--stack needs a name}; shift 2 ;;
    --file) file=${2:?--file needs a path}; shift 2 ;;
    --config-file) config=${2:?--config-file needs a file}; shift 2 ;;
    *) echo "state: unknown argument $1" >&2; usage ;;
  esac
done
[[ -n $stack && -n $file ]] || usage
command -v pulumi >/dev/null 2>&1 || { echo "state: needs the Pulumi CLI on PATH" >&2; exit 2; }

# check FILE : prints "empty" for a deployment without resources; otherwise refuses a secret in
# plaintext (an export made with --show-secrets has "plaintext" where the ciphertext belongs) and
# prints the summary.
check() {
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const text = require("fs").readFileSync(process.argv[1], "utf8");
    const doc = JSON.parse(text);
    if (doc.nothingToKeep) { console.log("marker"); process.exit(0); }
    const d = doc.deployment ?? {};
    const n = (d.resources ?? []).length, pending = (d.pending_operations ?? []).length;
    if (n === 0 && pending === 0) { console.log("empty"); process.exit(0); }
    if (/"plaintext"\s*:/.test(text)) { console.error(`state: ${process.argv[1]} holds secrets in plaintext (exported with its secrets shown?); not kept`); process.exit(1); }
    console.log(`${n} resources, ${pending} pending operations, secrets encrypted`);
  ' "$1"
}

# marker FILE STACK : what is kept for a stack with nothing to keep, so the workflow's artifact
# says so instead of missing (a restore of it refuses: there is no earlier state to go back to).
marker() {
  node -e '
    const [file, stack] = process.argv.slice(1);
    const body = { nothingToKeep: true, stack, reason: "the stack had no resources before this up (never deployed, or destroyed)", at: new Date().toISOString() };
    require("fs").writeFileSync(file, JSON.stringify(body, null, 2) + "\n", { mode: 0o600 });
  ' "$1" "$2"
}

case $cmd in
  export)
    mkdir -p "$(dirname "$file")"
    (umask 077; pulumi stack export --stack "$stack" --file "$file")
    if ! summary=$(check "$file"); then rm -f "$file"; exit 1; fi
    if [[ $summary == empty ]]; then
      marker "$file" "$stack"
      echo "state: stack $stack has no resources: nothing to keep; $file is a marker saying so"
      exit 0
    fi
    echo "state: exported stack $stack to $file ($summary)"
    ;;
  restore)
    [[ -f $file ]] || { echo "state: no file $file" >&2; exit 2; }
    summary=$(check "$file")
    case $summary in
      marker) echo "state: $file is the marker of a stack that had no resources: nothing to restore (to go back, pulumi destroy --stack $stack)" >&2; exit 1 ;;
      empty) echo "state: $file holds no resources: nothing to restore" >&2; exit 1 ;;
    esac
    echo "== pulumi stack import --stack $stack --file $file ($summary)"
    pulumi stack import --stack "$stack" --file "$file"
    echo "== pulumi preview --refresh --expect-no-changes: the restored state against the cluster and the code"
    pulumi preview --stack "$stack" ${config:+--config-file "$config"} --refresh --diff --expect-no-changes --non-interactive
    echo "state: stack $stack restored from $file and matches its cluster"
    ;;
  *) usage ;;
esac
