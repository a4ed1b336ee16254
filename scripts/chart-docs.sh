#!/usr/bin/env bash
# Writes chart/README.md with helm-docs from chart/README.md.gotmpl and the `# --` comments in
# chart/values.yaml. With --check, renders to stdout and fails when the committed README differs
# or a value has no description, naming the fix.
#
#   bash scripts/chart-docs.sh           # rewrite chart/README.md
#   bash scripts/chart-docs.sh --check   # exit 1 when chart/README.md is stale
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
helm_docs=${HELM_DOCS:-$(command -v helm-docs 2>/dev/null || echo "${TASKFLOW_TOOLS_DIR:-$HOME/.cache/taskflow-api/tools}/bin/helm-docs")}
[[ -x $helm_docs ]] || { echo "helm-docs not found: run bash scripts/tools.sh chart" >&2; exit 2; }

# Only our chart (-g), not the fetched subchart's; values in file order, as values.yaml reads; no
# footer, so the output does not depend on which helm-docs build wrote it. (helm-docs' own strict
# mode only counts `# key -- text` comments, not the `# --` form above each key: the empty
# Description check below does that job.)
args=(--chart-search-root "$root" -g "$root/chart" --sort-values-order file --skip-version-footer --log-level warning)

if [[ ${1:-} != --check ]]; then
  "$helm_docs" "${args[@]}"
  exit 0
fi
want=$("$helm_docs" "${args[@]}" --dry-run)
undocumented=$(grep -E '^\| [^ ]+ \| [^|]+ \| .* \|  *\|$' <<<"$want" | cut -d'|' -f2 | tr -d ' ' | paste -sd, || true)
[[ -z $undocumented ]] || { echo "values.yaml keys without a \"# --\" comment: $undocumented" >&2; exit 1; }
if ! diff -u "$root/chart/README.md" - <<<"$want" >&2; then
  echo "chart/README.md is not what helm-docs writes: run bash scripts/chart-docs.sh" >&2
  exit 1
fi
echo "chart/README.md is what helm-docs $("$helm_docs" --version | awk '{print $3}') writes ($(grep -c '^| [a-zA-Z]' <<<"$want") values)"
