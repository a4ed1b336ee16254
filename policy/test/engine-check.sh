#!/usr/bin/env bash
# The policy pack under the real Pulumi engine, on a private file backend (nothing is deployed:
# previews only):
#   1. `pulumi preview --stack dev --policy-pack policy` on the committed program passes, and the
#      pack really ran (the preview names it);
#   2. a test-only variant whose Release is not atomic is refused with helm-release-atomic's
#      message;
#   3. a test-only variant whose Release values carry a literal password is refused with
#      helm-values-no-secret-literals' message;
#   4. a test-only variant that installs the Release into `default` is refused by the stack
#      policy helm-release-namespace-pss-restricted (validateStack, with the real dependencies).
# The variants are copies of the project whose index.ts registers a resource transform before
# loading the real program, so they break exactly one input without editing any source.
# AWS policies cannot run here: dev has no AWS resources and there are no AWS credentials; the
# unit suite (npm --prefix policy test) covers them on staging and prod under mocks.
#
#   bash policy/test/engine-check.sh
#
# Needs the pinned engine and plugins (local/toolchain/tools.sh; sourced or cached under
# ${TASKFLOW_TOOLS_DIR:-~/.cache/taskflow-api/tools}) and npm dependencies (scripts/ensure-npm.sh).
# Without the engine it says so and exits 0, unless TASKFLOW_REQUIRE_ENGINE=1.
# Prints mocha-style "N passing" / "N failing" lines so `npm test` counts its checks.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tools=${TASKFLOW_TOOLS_DIR:-$HOME/.cache/taskflow-api/tools}

skip() {
  echo "engine check: SKIPPED: $*"
  if [[ ${TASKFLOW_REQUIRE_ENGINE:-} == 1 ]]; then echo "  0 passing"; echo "  1 failing"; exit 1; fi
  exit 0
}

# The engine's environment, exactly as local/toolchain/tools.sh exports it (plugin search, PULUMI_HOME,
# Node). A caller that sourced it already (npm test) has it; otherwise the engine and plugin
# groups are sourced here, on a machine where the CLI is installed (without it: skipped).
if [[ -z ${PULUMI_HOME:-} ]]; then
  [[ -x $tools/bin/pulumi ]] || command -v pulumi >/dev/null || skip "no pulumi CLI (run local/toolchain/tools.sh)"
  # shellcheck source-path=SCRIPTDIR/../.. source=local/toolchain/tools.sh
  source "$root/local/toolchain/tools.sh" engine plugins || skip "the engine toolchain is incomplete (local/toolchain/tools.sh engine plugins)"
fi
export NO_COLOR=1

pulumi=$(command -v pulumi) || skip "no pulumi CLI (run local/toolchain/tools.sh)"
plugins=$("$pulumi" plugin ls 2>/dev/null)
for p in kubernetes random; do
  grep -qE "^$p +resource" <<<"$plugins" || skip "the $p resource plugin is not installed in $PULUMI_HOME (run local/toolchain/tools.sh)"
done
[[ -d $root/policy/node_modules/@pulumi/policy ]] || skip "policy/node_modules is missing (run scripts/ensure-npm.sh)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/taskflow-policy-engine-XXXXXX")
# TASKFLOW_ENGINE_CHECK_LOGS=DIR keeps the previews' output.
trap 'if [[ -n ${TASKFLOW_ENGINE_CHECK_LOGS:-} ]]; then mkdir -p "$TASKFLOW_ENGINE_CHECK_LOGS"; cp "$tmp"/*.log "$TASKFLOW_ENGINE_CHECK_LOGS"/ 2>/dev/null; fi; rm -rf "$tmp"' EXIT

# The engine starts Node.js policy packs through `pulumi-analyzer-policy`, a launcher the Pulumi
# CLI archive ships next to `pulumi`; a CLI built from source has none. This one does the same:
# run the pack's own @pulumi/pulumi/cmd/run-policy-pack (the engine starts it in the pack's dir).
if [[ ! -x $(dirname "$(readlink -f "$pulumi")")/pulumi-analyzer-policy ]]; then
  mkdir -p "$tmp/bin"
  cat > "$tmp/bin/pulumi-analyzer-policy" <<'EOF'
#!/bin/sh
exec node "$(node -p 'require.resolve("@pulumi/pulumi/cmd/run-policy-pack")')" "$@"
EOF
  chmod +x "$tmp/bin/pulumi-analyzer-policy"
  # A launcher on PATH is an "ambient" plugin, which the pinned environment otherwise ignores.
  export PATH=$tmp/bin:$PATH
  unset PULUMI_IGNORE_AMBIENT_PLUGINS
  echo "engine check: no pulumi-analyzer-policy beside $pulumi; using a launcher on PATH"
fi

# A private backend and passphrase (local/stack.sh), and the chart's dependency.
export TASKFLOW_STATE_DIR=$tmp/state
# shellcheck source-path=SCRIPTDIR/../.. source=local/stack.sh
source "$root/local/stack.sh"
bash "$root/scripts/chart-deps.sh" || skip "the chart dependency is missing (scripts/chart-deps.sh)"
config=$(local_stack_init dev) || { echo "engine check: cannot create the local dev stack"; exit 1; }

passed=0 failed=0
pass() { echo "  ✔ $*"; passed=$((passed + 1)); }
fail() { echo "  ✘ $*"; failed=$((failed + 1)); }

# preview DIR LOG : pulumi preview of the project in DIR with the pack; returns its exit code.
preview() {
  "$pulumi" preview --stack dev --config-file "$config" --cwd "$1" --non-interactive \
    --policy-pack "$root/policy" --policy-pack-config "$root/policy/policy-config.json" >"$2" 2>&1
}

# variant NAME TRANSFORM : a copy of the project whose index.ts applies TRANSFORM (the body of a
# resource transform over `args`) to every resource, then runs the real program.
variant() {
  local dir=$tmp/$1
  mkdir -p "$dir"
  tar -C "$root" --exclude=./node_modules --exclude=./.git --exclude=./.state --exclude=./out \
    --exclude=./policy --exclude=./deployments -cf - . | tar -C "$dir" -xf -
  ln -s "$root/node_modules" "$dir/node_modules"
  mv "$dir/index.ts" "$dir/program.ts"
  cat > "$dir/index.ts" <<EOF
// Test-only variant (policy/test/engine-check.sh): breaks one input, then runs the real program.
import * as pulumi from "@pulumi/pulumi";
pulumi.runtime.registerResourceTransform((args) => {
$2
});
module.exports = require("./program");
EOF
  echo "$dir"
}

echo "== engine check: pulumi preview --stack dev --policy-pack policy ($("$pulumi" version))"

log=$tmp/dev.log
if preview "$root" "$log" && grep -q "taskflow-api@v" "$log"; then
  pass "the committed dev stack passes the pack"
else
  fail "the committed dev stack should pass the pack"; tail -n 60 "$log"
fi

# refused NAME POLICY MESSAGE_REGEX TRANSFORM
refused() {
  local dir log=$tmp/$1.log
  dir=$(variant "$1" "$4")
  if preview "$dir" "$log"; then
    fail "$1: the preview should be refused by $2"; tail -n 60 "$log"
  elif grep -q "$2" "$log" && grep -qE "$3" "$log"; then
    pass "$1: refused by $2 ($(grep -oE "$3" "$log" | head -n 1))"
  else
    fail "$1: refused, but not with $2's message /$3/"; tail -n 60 "$log"
  fi
}

release='args.type === "kubernetes:helm.sh/v3:Release"'
refused "not-atomic" helm-release-atomic "atomic is not true" "
  if ($release) return { props: { ...args.props, atomic: false }, opts: args.opts };
  return undefined;"
refused "literal-password" helm-values-no-secret-literals "values\.redis\.auth\.password carries a literal credential" "
  if (!($release)) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const values = pulumi.output(args.props.values).apply((v: any) =>
    ({ ...v, redis: { ...v.redis, auth: { ...(v.redis?.auth ?? {}), password: \"hunter2\" } } }));
  return { props: { ...args.props, values }, opts: args.opts };"

# A stack policy (validateStack, at the end of the preview), through the program's dependencies.
refused "default-namespace" helm-release-namespace-pss-restricted "installs into namespace default, which this stack does not manage" "
  if ($release) return { props: { ...args.props, namespace: \"default\" }, opts: args.opts };
  return undefined;"

echo "  $passed passing"
echo "  $failed failing"
((failed == 0))
