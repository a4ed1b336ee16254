#!/usr/bin/env bash
# Chart test suite, offline, with real Helm:
#   1. for every stack (Pulumi.<stack>.yaml): the Helm values the Pulumi program computes
#      (`npm run plan -- --values-only`), linted by Helm 4 and Helm 3 (--strict), rendered for
#      the oldest and newest Kubernetes we support and validated by kubeconform -strict against
#      offline schemas, checked by kube-linter and by test/chart/check-manifests.js;
#   2. helm-unittest suites in chart/tests/ (one per template), under Helm 4 and Helm 3;
#   3. test/chart/bad-values/*.yaml: each must be rejected with an error naming its key;
#   4. Chart.yaml and values.yaml against chart-testing's default yamllint rules
#      (test/chart/ct-lintconf.yaml), when yamllint is installed (reported as SKIP otherwise);
#   5. version discipline: a change to what the chart deploys needs a Chart.yaml version bump
#      against $TASKFLOW_CHART_BASE (default origin/main, else main; SKIP without one), and
#      chart/Chart.lock is in sync with Chart.yaml (Helm's digest, checked by Helm itself).
#
#   bash scripts/test-chart.sh
#   CHART_TEST_VALUES_DIR=dir bash scripts/test-chart.sh   # use dir/<stack>.yaml instead of plan
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=local/toolchain/tools.sh
source local/toolchain/tools.sh chart lint
set +e

work=$(mktemp -d "${TMPDIR:-/tmp}/taskflow-chart-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
chart=$(bash scripts/stage-chart.sh "$work/stage") || exit 1

pass=0 fail=0
check() { # check NAME CMD... : run CMD, record the result, show its output only on failure
  local name=$1 out; shift
  if out=$("$@" 2>&1); then
    pass=$((pass + 1)); printf '  ok    %s\n' "$name"
  else
    fail=$((fail + 1)); printf '  FAIL  %s\n' "$name"; printf '%s\n' "$out" | sed 's/^/        /' | head -40
  fi
}

# render HELM OUT ARGS... : helm template into OUT, counted.
render() {
  local helm=$1 out=$2; shift 2
  "$helm" template taskflow-api "$chart" --namespace taskflow "$@" > "$out" || return 1
  echo "$out" >> "$work/renders"  # counted at the end: check runs this in a subshell
  grep -q '^kind: Deployment' "$out"
}

kubeconform_check() { # FILE K8S_VERSION
  "$KUBECONFORM" -strict -summary -kubernetes-version "$2" \
    -schema-location "$TOOLS_SCHEMAS/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    "$1"
}

# lint FILE : kube-linter (default checks, exclusions with reasons in chart/.kube-linter.yaml)
# over every object of the render, the Valkey subchart's included (see test/chart/lint-scope.js).
lint() {
  node test/chart/lint-scope.js "$1" > "$1.scope.yaml" 2>/dev/null || return 1
  "$KUBE_LINTER" lint --config chart/.kube-linter.yaml "$1.scope.yaml"
}

policy() { # FILE : PSS restricted, resources, no Secret (test/chart/check-manifests.js)
  node test/chart/lint-scope.js "$1" > "$1.scope.yaml" 2>/dev/null || return 1
  node test/chart/check-manifests.js "$1.scope.yaml"
}

if [[ -n ${CHART_TEST_VALUES_DIR:-} ]]; then
  stacks=$(cd "$CHART_TEST_VALUES_DIR" && ls *.yaml | sed 's/\.yaml$//')
else
  stacks=$(ls Pulumi.*.yaml 2>/dev/null | sed -n 's/^Pulumi\.\(.*\)\.yaml$/\1/p')
fi
[[ -n $stacks ]] || { echo "no Pulumi.<stack>.yaml files: nothing to render" >&2; exit 1; }
newest=${K8S_SCHEMA_VERSIONS##* }

echo "== stacks: values from the Pulumi program, rendered and validated"
for stack in $stacks; do
  dir=$work/values/$stack; mkdir -p "$dir"
  if [[ -n ${CHART_TEST_VALUES_DIR:-} ]]; then
    cp "$CHART_TEST_VALUES_DIR/$stack.yaml" "$dir/values.yaml"
  else
    check "$stack: plan computes Helm values from Pulumi.$stack.yaml" \
      npx --no-install ts-node --transpile-only ops/plan.ts --stack "$stack" --out "$dir" --values-only
  fi
  values=$dir/values.yaml
  [[ -f $values ]] || continue
  check "$stack: helm4 lint --strict" "$HELM4" lint --strict "$chart" --namespace taskflow -f "$values"
  check "$stack: helm3 lint --strict" "$HELM3" lint --strict "$chart" --namespace taskflow -f "$values"
  for kv in $K8S_SCHEMA_VERSIONS; do
    out=$dir/k8s-$kv.yaml
    check "$stack: helm4 template --kube-version $kv" render "$HELM4" "$out" -f "$values" --kube-version "$kv"
    check "$stack: kubeconform -strict (Kubernetes $kv)" kubeconform_check "$out" "$kv"
  done
  # The stack's own cluster version (cluster.kubernetesVersion), what plan and diff render for.
  skv=$(sed -n 's/^ *kubernetesVersion: *"\{0,1\}\([0-9.]*\)"\{0,1\}.*$/\1/p' "Pulumi.$stack.yaml" 2>/dev/null | head -1)
  if [[ -n $skv && -z ${CHART_TEST_VALUES_DIR:-} ]]; then
    check "$stack: helm4 template --kube-version $skv (the stack's cluster.kubernetesVersion)" render "$HELM4" "$dir/k8s-stack.yaml" -f "$values" --kube-version "$skv"
  fi
  out=$dir/helm3.yaml
  check "$stack: helm3 template" render "$HELM3" "$out" -f "$values"
  check "$stack: kubeconform -strict (Helm 3 render, Kubernetes $newest)" kubeconform_check "$out" "$newest"
  for kv in $K8S_SCHEMA_VERSIONS; do
    check "$stack: kube-linter finds nothing (Kubernetes $kv render)" lint "$dir/k8s-$kv.yaml"
  done
  check "$stack: pods are PSS restricted, resources set, no Secret rendered" policy "$dir/k8s-$newest.yaml"
done

echo "== the linter is live and its scope is narrow"
dev_values=$work/values/dev/values.yaml
# Canary: without the resources we give the Valkey subchart, kube-linter must find them missing
# (a linter that cannot fail proves nothing).
linter_catches() {
  [[ -x $KUBE_LINTER ]] || { echo "kube-linter is not installed ($KUBE_LINTER)"; return 1; }
  render "$HELM4" "$work/canary.yaml" -f "$dev_values" --set redis.resources=null --set redis.initResources=null || return 1
  if lint "$work/canary.yaml"; then echo "kube-linter found nothing in a render without Valkey resources"; return 1; fi
}
# The lint scope leaves out the subchart's helm test pod and nothing else.
scope_is_narrow() {
  local all kept
  all=$(grep -c '^kind:' "$work/values/dev/k8s-$newest.yaml")
  kept=$(node test/chart/lint-scope.js "$work/values/dev/k8s-$newest.yaml" 2>/dev/null | grep -c '^kind:')
  [[ $((all - kept)) == 1 ]] || { echo "lint-scope dropped $((all - kept)) objects, expected 1"; return 1; }
}
if [[ -f $dev_values ]]; then
  check "kube-linter flags a Valkey container without requests/limits (canary)" linter_catches
  check "the lint scope leaves out only the Valkey chart's helm test pod" scope_is_narrow
fi

echo "== helm-unittest suites (chart/tests)"
cp -R chart/tests "$chart/tests"
check "helm-unittest under Helm 4" "$HELM4" unittest "$chart"
check "helm-unittest under Helm 3" "$HELM3" unittest "$chart"

echo "== documentation"
check "chart/README.md is what helm-docs writes, every value described (scripts/chart-docs.sh --check)" bash scripts/chart-docs.sh --check

echo "== chart-testing's yamllint rules (ct lint)"
# ct is not in the toolchain; its yamllint step is the part that failed on our files.
if command -v yamllint >/dev/null 2>&1; then
  check "Chart.yaml and values.yaml pass ct's default yamllint rules" \
    yamllint --strict -c test/chart/ct-lintconf.yaml chart/Chart.yaml chart/values.yaml
elif [[ ${CI:-} == true ]]; then
  check "yamllint is installed (local/toolchain/tools.sh chart installs it)" false
else
  printf '  SKIP  ct yamllint rules: yamllint is not installed (apt-get install yamllint)\n'
fi

echo "== chart version discipline and Chart.lock"
version_out=$(npx --no-install ts-node --transpile-only scripts/chart-version.ts 2>&1); version_rc=$?
if [[ $version_rc -eq 0 && $version_out == *"SKIP "* ]]; then
  printf '  SKIP  %s\n' "${version_out#chart-version: SKIP }"
else
  check "a deployed chart change bumps Chart.yaml's version ($(sed -n 's/^chart-version: against \([^:]*\):.*/\1/p' <<<"$version_out" | head -1))" \
    bash -c 'printf "%s\n" "$1"; exit "$2"' _ "$version_out" "$version_rc"
fi
check "chart/Chart.lock is Helm's lock of Chart.yaml's dependencies" npx --no-install ts-node --transpile-only scripts/chart-lock.ts --check
# Helm itself recomputes the lock digest before it fetches anything; with no repositories
# configured it then stops at "no repository definition", offline and fast. Any other outcome
# than "out of sync" means Helm accepted the lock.
helm_accepts_lock() {
  local copy=$work/lockcheck out
  rm -rf "$copy"; cp -R chart "$copy"; rm -rf "$copy/charts"
  out=$(HELM_REPOSITORY_CONFIG=$work/no-repos.yaml HELM_REPOSITORY_CACHE=$work/no-cache timeout 60 "$HELM4" dependency build "$copy" 2>&1)
  if grep -q 'out of sync' <<<"$out"; then echo "$out"; return 1; fi
}
check "helm dependency build accepts chart/Chart.lock's digest (Helm 4)" helm_accepts_lock

echo "== bad values are rejected, naming the key"
baseline=test/chart/bad-values/baseline.yaml
check "the valid baseline renders (Helm 4)" render "$HELM4" "$work/baseline.yaml" -f "$baseline"
check "the valid baseline renders (Helm 3)" render "$HELM3" "$work/baseline3.yaml" -f "$baseline"
rejects() { # HELM FILE EXPECTED-REGEX
  local out
  if out=$("$1" template taskflow-api "$chart" -f "$baseline" -f "$2" 2>&1); then
    echo "rendered without error; expected an error matching: $3"; return 1
  fi
  grep -Eq -- "$3" <<<"$out" || { echo "error does not match /$3/:"; echo "$out"; return 1; }
}
for bad in test/chart/bad-values/*.yaml; do
  [[ $bad == "$baseline" ]] && continue
  expect=$(sed -n 's/^# expect: //p' "$bad")
  [[ -n $expect ]] || { check "$(basename "$bad") has an '# expect:' line" false; continue; }
  for helm in "$HELM4" "$HELM3"; do
    check "$(basename "$bad" .yaml) rejected by $(basename "$helm")" rejects "$helm" "$bad" "$expect"
  done
done

echo "chart: $(wc -l < "$work/renders" 2>/dev/null || echo 0) successful helm template renders"
echo "chart: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
