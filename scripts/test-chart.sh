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
#      chart/Chart.lock is in sync with Chart.yaml (Helm's digest, checked by Helm itself);
#   6. upgrade from the previous release (scripts/release-base.sh: $TASKFLOW_RELEASE_BASE, the
#      newest v* tag, else the merge-base with main): no immutable field of an existing object
#      changes unless test/chart/upgrade-migrations.yaml says how it migrates, and its
#      chart/values.yaml and stack values pass HEAD's values.schema.json (Helm's own check).
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

echo "== upgrade from the previous release (scripts/release-base.sh)"
# A chart is only as good as its upgrade from what prod runs: an immutable field changed (a
# selector label, a hook Job's template, a Service's clusterIP) fails Helm half-way and the atomic
# release rolls back; a value renamed or removed fails every values file that still sets it.
prev=$work/prev
# schema_only DEST CHART : a copy of CHART and its subchart without templates: `helm template` of
# it runs Helm's values check (defaults merged, the subchart's schema included) and nothing else.
schema_only() {
  rm -rf "$1"; cp -R "$2" "$1"; rm -rf "$1/templates"
  local tgz; for tgz in "$1"/charts/*.tgz; do tar -xzf "$tgz" -C "$1/charts" && rm "$tgz"; done
  rm -rf "$1"/charts/*/templates
}
values_accepted() { # CHART FILE : Helm accepts FILE's values against CHART's schema
  "$HELM4" template taskflow-api "$1" --namespace taskflow -f "$2" > /dev/null
}
in_place() { # BASE_CHART BASE_VALUES HEAD_CHART HEAD_VALUES MIGRATIONS : upgrade-check of the two renders
  local a=$work/upgrade-base.yaml b=$work/upgrade-head.yaml
  "$HELM4" template taskflow-api "$1" --namespace taskflow -f "$2" --kube-version "$newest" > "$a" || return 1
  "$HELM4" template taskflow-api "$3" --namespace taskflow -f "$4" --kube-version "$newest" > "$b" || return 1
  npx --no-install ts-node --transpile-only test/chart/upgrade-check.ts "$a" "$b" "$5"
}
refused() { # what CMD... : CMD must fail (a check that cannot fail proves nothing)
  local what=$1 out; shift
  if out=$("$@" 2>&1); then echo "$what passed; it must fail"; return 1; fi
  grep -Eq -- "$what" <<<"$out" || { echo "failed, but not naming /$what/:"; echo "$out"; return 1; }
}
if ! base=$(bash scripts/release-base.sh 2>"$work/base.why"); then
  if [[ ${CI:-} == true ]]; then check "a previous release to upgrade from ($(cat "$work/base.why"))" false
  else printf '  SKIP  upgrade checks: %s\n' "$(sed 's/^release-base: //' "$work/base.why")"; fi
elif ! prev_stacks=$(bash test/chart/previous-release.sh "$base" "$prev" 2>"$work/prev.err"); then
  check "the previous release ${base:0:12} prepared (test/chart/previous-release.sh): $(tail -3 "$work/prev.err")" false
else
  printf '        base: %s\n' "$(sed 's/^release-base: //' "$work/base.why")"
  schema_only "$work/schema-chart" "$chart"
  check "the previous release's chart/values.yaml passes HEAD's values schema" values_accepted "$work/schema-chart" "$prev/values-defaults.yaml"
  for stack in $prev_stacks; do
    check "$stack: the previous release's stack values pass HEAD's values schema" values_accepted "$work/schema-chart" "$prev/values/$stack.yaml"
    [[ -f $work/values/$stack/values.yaml ]] || continue
    check "$stack: upgrade from ${base:0:12} changes no immutable field" \
      in_place "$prev/chart" "$prev/values/$stack.yaml" "$chart" "$work/values/$stack/values.yaml" test/chart/upgrade-migrations.yaml
  done
  # Canaries on copies of HEAD's chart, dev's values: each mutation must be refused by name.
  if [[ -f $work/values/dev/values.yaml ]]; then
    dv=$work/values/dev/values.yaml none=$work/no-migrations.yaml; echo 'migrations: []' > "$none"
    mutant() { rm -rf "$work/mutant"; cp -R "$chart" "$work/mutant"; }
    mutant; sed -i '/define "taskflow-api.selectorLabels"/,/end/ s|^app.kubernetes.io/component: api$|&\napp.kubernetes.io/part-of: taskflow|' "$work/mutant/templates/_helpers.tpl"
    check "a selector label added is refused (Deployment spec.selector)" refused "Deployment/taskflow-api spec.selector" in_place "$prev/chart" "$prev/values/dev.yaml" "$work/mutant" "$dv" "$none"
    mutant; sed -i 's|before-hook-creation,hook-succeeded|hook-succeeded|; s|^      restartPolicy: Never$|&\n      activeDeadlineSeconds: 600|' "$work/mutant/templates/migration-job.yaml"
    check "a hook Job's template changed without before-hook-creation is refused" refused "Job/taskflow-api-migrate-1 spec.template" in_place "$prev/chart" "$prev/values/dev.yaml" "$work/mutant" "$dv" "$none"
    mutant; sed -i 's|^  type: {{ .Values.service.type }}$|&\n  clusterIP: None|' "$work/mutant/templates/service.yaml"
    check "a Service made headless is refused (spec.clusterIP)" refused "Service/taskflow-api spec.clusterIP" in_place "$prev/chart" "$prev/values/dev.yaml" "$work/mutant" "$dv" "$none"
    printf 'migrations:\n  - object: Service/taskflow-api\n    field: spec.clusterIP\n    how: canary\n' > "$work/declared.yaml"
    check "the same change passes once declared in the migrations file" in_place "$prev/chart" "$prev/values/dev.yaml" "$work/mutant" "$dv" "$work/declared.yaml"
    schema_only "$work/mutant" "$chart"; sed -i 's/^replicaCount:/replicas:/' "$work/mutant/values.yaml"
    node -e 'const f=process.argv[1], s=require(f); s.properties.replicas=s.properties.replicaCount; delete s.properties.replicaCount; s.required=s.required.map((k)=>k==="replicaCount"?"replicas":k); require("fs").writeFileSync(f, JSON.stringify(s))' "$work/mutant/values.schema.json"
    check "a value renamed without a default (replicaCount -> replicas) fails the previous release's values" refused "replicaCount" values_accepted "$work/mutant" "$prev/values-defaults.yaml"
  fi
fi

echo "chart: $(wc -l < "$work/renders" 2>/dev/null || echo 0) successful helm template renders"
echo "chart: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
