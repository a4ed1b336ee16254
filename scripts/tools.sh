#!/usr/bin/env bash
# Installs and locates the pinned chart toolchain: helm 4 + helm 3, the helm-unittest plugin,
# kubeconform with offline Kubernetes JSON schemas, and a static manifest linter.
#
#   bash scripts/tools.sh            # install what is missing, print where everything is
#   source scripts/tools.sh          # same, and export TOOLS_BIN, HELM3, HELM4, ... into the shell
#
# Order of preference for every tool: the cache (${TASKFLOW_TOOLS_DIR}), then a binary already
# on PATH whose version matches the pin, then a build from the Go module proxy. With neither the
# tool nor Go, it fails naming the tool, the version and how to get it. Nothing is downloaded
# from GitHub or a chart repository: this must work on a machine that reaches only registries.
set -euo pipefail

# ---- pins (bump here only) -------------------------------------------------------------------
HELM4_VERSION=v4.2.4          # latest 4.2.x: what users run
HELM3_VERSION=v3.21.4         # latest 3.21.x: what the Pulumi Kubernetes provider embeds
HELM_UNITTEST_VERSION=v1.1.2
KUBECONFORM_VERSION=v0.8.0
KUBE_LINTER_VERSION=v0.7.6
KUBE_SCORE_VERSION=v1.20.0
# Kubernetes versions the rendered manifests are validated against: our floor (Chart.yaml
# kubeVersion) and the newest release we support. Schemas come from the OpenAPI spec that the
# k8s.io/kubernetes module ships under api/openapi-spec.
K8S_SCHEMA_VERSIONS="1.28.15 1.36.3"
# Helm 3 only learns its default Kubernetes version from ldflags (otherwise `helm template`
# advertises v1.20 and our kubeVersion constraint rejects every render). Helm 4 reads it from the
# embedded client-go build info, so it needs nothing.
HELM3_KUBE_MINOR=36

TASKFLOW_TOOLS_DIR=${TASKFLOW_TOOLS_DIR:-$HOME/.cache/taskflow-api/tools}
TOOLS_BIN=$TASKFLOW_TOOLS_DIR/bin
TOOLS_SCHEMAS=$TASKFLOW_TOOLS_DIR/schemas
TOOLS_HELM_PLUGINS=$TASKFLOW_TOOLS_DIR/helm-plugins
_tools_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

_log() { printf '[tools] %s\n' "$*" >&2; }
_die() { printf '[tools] ERROR: %s\n' "$*" >&2; exit 1; }

_need_go() { # $1 tool, $2 version, $3 how to get it otherwise
  command -v go >/dev/null 2>&1 && return 0
  _die "$1 $2 is not installed and Go is not available to build it.
        Install $1 $2 yourself ($3) and put it on PATH, or install Go >= 1.26 (https://go.dev/dl)
        so this script can build it from the Go module proxy."
}

# _from_path NAME OUT VERSION ARGS... : when `NAME ARGS...` (found on PATH) prints VERSION,
# link it into the cache as OUT.
_from_path() {
  local name=$1 out=$2 version=$3; shift 3
  local found; found=$(command -v "$name" 2>/dev/null) || return 1
  [[ $found == "$TOOLS_BIN"/* ]] && return 1
  "$found" "$@" 2>/dev/null | grep -qF "${version#v}" || return 1
  ln -sf "$found" "$TOOLS_BIN/$out"
  _log "using $found ($name $version from PATH)"
}

# _go_build OUT MODULE@VERSION PKG [LDFLAGS] : build a main package of a module into $TOOLS_BIN/OUT
# through a throw-away wrapper module, so a tool whose go.mod has `replace` lines (which
# `go install pkg@version` refuses) builds the same way as one without.
_go_build() {
  local out=$1 modver=$2 pkg=$3 ldflags=${4:-}
  local mod=${modver%@*} ver=${modver#*@} work
  work=$(mktemp -d)
  _log "building $out from $modver (Go module proxy) ..."
  (
    cd "$work"
    go mod init taskflow-tools/$out >/dev/null 2>&1
    go mod edit -require="$mod@$ver"
    # Copy the tool's own replace directives, as its release build would see them.
    local gomod; gomod=$(go mod download -json "$mod@$ver" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
    [[ -n $gomod ]] || { echo "cannot download $mod@$ver from the Go module proxy" >&2; exit 1; }
    go mod edit -json "$gomod" | node -e '
      const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
      for (const r of m.Replace || []) {
        const from = r.Old.Path + (r.Old.Version ? "@" + r.Old.Version : "");
        const to = r.New.Path + (r.New.Version ? "@" + r.New.Version : "");
        if (!to.startsWith(".") && !to.startsWith("/")) console.log(`-replace=${from}=${to}`);
      }' | xargs -r go mod edit
    printf 'package tools\nimport _ "%s"\n' "$pkg" > tools.go
    go mod tidy >/dev/null 2>&1 || go get "$pkg" >/dev/null
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $ldflags" -o "$TOOLS_BIN/$out" "$pkg"
  ) || { rm -rf "$work"; return 1; }
  rm -rf "$work"
}

ensure_helm() { # $1 = 3|4
  local major=$1 version out=helm$1 ldflags=""
  if [[ $major == 4 ]]; then version=$HELM4_VERSION; else version=$HELM3_VERSION; fi
  if [[ -x $TOOLS_BIN/$out ]] && "$TOOLS_BIN/$out" version --template '{{.Version}}' 2>/dev/null | grep -qx "$version"; then return 0; fi
  rm -f "$TOOLS_BIN/$out"
  _from_path helm "$out" "$version" version --template '{{.Version}}' && return 0
  _need_go "helm" "$version" "https://helm.sh/docs/intro/install/"
  ldflags="-X helm.sh/helm/v$major/internal/version.version=$version"
  if [[ $major == 3 ]]; then
    ldflags+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$HELM3_KUBE_MINOR"
    ldflags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$HELM3_KUBE_MINOR"
  fi
  _go_build "$out" "helm.sh/helm/v$major@$version" "helm.sh/helm/v$major/cmd/helm" "$ldflags"
}

ensure_helm_unittest() {
  local dir=$TOOLS_HELM_PLUGINS/unittest
  if [[ -x $dir/untt ]] && grep -q "version: \"${HELM_UNITTEST_VERSION#v}\"" "$dir/plugin.yaml" 2>/dev/null; then return 0; fi
  _need_go "helm-unittest" "$HELM_UNITTEST_VERSION" "helm plugin install https://github.com/helm-unittest/helm-unittest --version ${HELM_UNITTEST_VERSION#v}"
  mkdir -p "$dir"
  _go_build untt "github.com/helm-unittest/helm-unittest@$HELM_UNITTEST_VERSION" \
    "github.com/helm-unittest/helm-unittest/cmd/helm-unittest"
  mv "$TOOLS_BIN/untt" "$dir/untt"
  # A plugin is just a directory with plugin.yaml under HELM_PLUGINS. Writing it ourselves
  # skips the upstream install hook, which downloads a release binary from GitHub.
  cat > "$dir/plugin.yaml" <<YAML
name: "unittest"
version: "${HELM_UNITTEST_VERSION#v}"
usage: "unittest for helm charts"
description: "helm-unittest ${HELM_UNITTEST_VERSION}, built from the Go module proxy by taskflow-api/scripts/tools.sh"
ignoreFlags: false
command: "\$HELM_PLUGIN_DIR/untt"
YAML
}

ensure_kubeconform() {
  if [[ -x $TOOLS_BIN/kubeconform ]] && "$TOOLS_BIN/kubeconform" -v 2>/dev/null | grep -qF "$KUBECONFORM_VERSION"; then return 0; fi
  rm -f "$TOOLS_BIN/kubeconform"
  _from_path kubeconform kubeconform "$KUBECONFORM_VERSION" -v && return 0
  _need_go kubeconform "$KUBECONFORM_VERSION" "https://github.com/yannh/kubeconform/releases"
  _go_build kubeconform "github.com/yannh/kubeconform@$KUBECONFORM_VERSION" \
    "github.com/yannh/kubeconform/cmd/kubeconform" "-X main.version=$KUBECONFORM_VERSION"
}

# Offline JSON schemas in kubeconform's own layout, generated from the official OpenAPI spec.
ensure_schemas() {
  local v dir spec
  for v in $K8S_SCHEMA_VERSIONS; do
    dir=$TOOLS_SCHEMAS/v$v-standalone-strict
    [[ -f $dir/.complete ]] && continue
    _need_go "Kubernetes $v JSON schemas" "v$v" "k8s.io/kubernetes api/openapi-spec/swagger.json"
    _log "generating Kubernetes v$v JSON schemas from k8s.io/kubernetes@v$v api/openapi-spec ..."
    spec=$(cd /tmp && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@v$v" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
    [[ -f $spec/api/openapi-spec/swagger.json ]] || _die "k8s.io/kubernetes@v$v has no api/openapi-spec/swagger.json"
    rm -rf "$dir"
    node "$_tools_root/scripts/openapi-to-jsonschema.js" "$spec/api/openapi-spec/swagger.json" "$dir"
    touch "$dir/.complete"
  done
}

# kube-linter is the linter the chart is held to. Its module (golang.stackrox.io/kube-linter)
# is refused by some Go proxies; then kube-score, another static manifest linter, stands in and
# the caller says so loudly. LINTER is exported as kube-linter or kube-score.
ensure_linter() {
  if [[ -x $TOOLS_BIN/kube-linter ]]; then LINTER=kube-linter; return 0; fi
  if _from_path kube-linter kube-linter "$KUBE_LINTER_VERSION" version; then LINTER=kube-linter; return 0; fi
  if command -v go >/dev/null 2>&1 && [[ ! -f $TASKFLOW_TOOLS_DIR/.kube-linter-unavailable ]]; then
    if _go_build kube-linter "golang.stackrox.io/kube-linter@$KUBE_LINTER_VERSION" \
        "golang.stackrox.io/kube-linter/cmd/kube-linter" 2>/dev/null; then LINTER=kube-linter; return 0; fi
    # Remember the refusal so a warm run does not ask the proxy again (delete to retry).
    echo "golang.stackrox.io/kube-linter@$KUBE_LINTER_VERSION was refused by $(go env GOPROXY)" \
      > "$TASKFLOW_TOOLS_DIR/.kube-linter-unavailable"
  fi
  _log "WARNING: kube-linter $KUBE_LINTER_VERSION is not on PATH and cannot be built here;"
  _log "         using kube-score $KUBE_SCORE_VERSION as the static linter instead."
  if [[ ! -x $TOOLS_BIN/kube-score ]] || ! "$TOOLS_BIN/kube-score" version 2>/dev/null | grep -qF "${KUBE_SCORE_VERSION#v}"; then
    if ! _from_path kube-score kube-score "$KUBE_SCORE_VERSION" version; then
      _need_go "kube-linter $KUBE_LINTER_VERSION (or kube-score $KUBE_SCORE_VERSION)" "" "https://docs.kubelinter.io/#/?id=installing-kubelinter"
      _go_build kube-score "github.com/zegl/kube-score@$KUBE_SCORE_VERSION" "github.com/zegl/kube-score/cmd/kube-score" \
        "-X main.version=${KUBE_SCORE_VERSION#v}"
    fi
  fi
  LINTER=kube-score
}

tools_main() {
  command -v node >/dev/null 2>&1 || _die "node (Node.js 20+) is required: https://nodejs.org"
  mkdir -p "$TOOLS_BIN" "$TOOLS_SCHEMAS" "$TOOLS_HELM_PLUGINS"
  local t0=$SECONDS
  ensure_helm 4
  ensure_helm 3
  ensure_helm_unittest
  ensure_kubeconform
  ensure_schemas
  ensure_linter
  export TASKFLOW_TOOLS_DIR TOOLS_BIN TOOLS_SCHEMAS LINTER K8S_SCHEMA_VERSIONS
  export HELM4=$TOOLS_BIN/helm4 HELM3=$TOOLS_BIN/helm3 KUBECONFORM=$TOOLS_BIN/kubeconform
  export HELM_PLUGINS=$TOOLS_HELM_PLUGINS
  _log "ready in $((SECONDS - t0))s: helm4 $HELM4_VERSION, helm3 $HELM3_VERSION, helm-unittest $HELM_UNITTEST_VERSION, kubeconform $KUBECONFORM_VERSION, $LINTER; schemas: $K8S_SCHEMA_VERSIONS ($TASKFLOW_TOOLS_DIR)"
}

tools_main
