#!/usr/bin/env bash
# Lints every GitHub Actions workflow in .github/workflows with actionlint (the pin lives in
# local/toolchain/recipes/actionlint.sh): syntax, expressions and their types, `needs`, matrix keys,
# reusable-workflow inputs, known action inputs, and the `run:` scripts through shellcheck when
# it is installed. GitHub itself is never reached, so this is the workflows' test.
#
#   bash scripts/check-workflows.sh      # closing line: "workflows: N passed, N failed"
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1

# shellcheck source=SCRIPTDIR/../local/toolchain/common.sh
source "$root/local/toolchain/common.sh"
# shellcheck source=SCRIPTDIR/../local/toolchain/recipes/actionlint.sh
source "$root/local/toolchain/recipes/actionlint.sh"
mkdir -p "$TOOLS_BIN"
# A subshell: the recipe exits when it cannot provide the tool, and the summary must still print.
if ! (ensure_actionlint); then
  echo "workflows: 0 passed, 1 failed"
  exit 1
fi
actionlint=$TOOLS_BIN/actionlint

# actionlint's table of action inputs stops at pulumi/actions@v6. v7 only moved the action to the
# Node 24 runtime (pulumi/actions README), so its inputs are checked against v6's: a misspelt
# input such as `policy-packs` (it is `policyPacks`) fails here instead of being ignored on the
# runner. Line numbers are unchanged. Drop a line when actionlint learns the newer version.
known_inputs() {
  sed -e 's#pulumi/actions@v7#pulumi/actions@v6#'
}

passed=0 failed=0
pass() { echo "ok    $1"; passed=$((passed + 1)); }
fail() { echo "FAIL  $1"; failed=$((failed + 1)); }

# The canary: a workflow with a known mistake must fail, or a broken linter would pass everything.
# shellcheck disable=SC2016 # the expression is for actionlint, not for bash
canary='on: push
jobs:
  a:
    runs-on: ubuntu-24.04
    steps:
      - run: echo ${{ github.no_such_property }}'
if printf '%s\n' "$canary" | "$actionlint" -no-color -stdin-filename canary.yml - >/dev/null 2>&1; then
  fail "actionlint rejects a workflow with an unknown context property"
else
  pass "actionlint rejects a workflow with an unknown context property"
fi

shopt -s nullglob
files=(.github/workflows/*.yml .github/workflows/*.yaml)
((${#files[@]})) || fail "there are workflows in .github/workflows"
for f in "${files[@]}"; do
  # shellcheck disable=SC2094 # -stdin-filename only names the input in messages
  if out=$(known_inputs < "$f" | "$actionlint" -no-color -oneline -stdin-filename "$f" - 2>&1); then
    pass "$f"
  else
    fail "$f"
    printf '%s\n' "$out" | sed 's/^/      /'
  fi
done

echo "workflows: $passed passed, $failed failed"
((failed == 0))
