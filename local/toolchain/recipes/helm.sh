# shellcheck shell=bash
# Helm 4 (what users run) and Helm 3 (what the Pulumi Kubernetes provider embeds), plus the
# helm-unittest plugin. Every chart check runs under both majors.
HELM4_VERSION=v4.2.4
HELM3_VERSION=v3.21.4
HELM_UNITTEST_VERSION=v1.1.2
# Helm 3 learns its default Kubernetes version only from ldflags (otherwise `helm template`
# advertises v1.20 and the chart's kubeVersion constraint rejects every render). Helm 4 reads it
# from the embedded client-go build info.
HELM3_KUBE_MINOR=36

TOOLS_HELM_PLUGINS=$TASKFLOW_TOOLS_DIR/helm-plugins

ensure_helm() { # $1 = 3|4
  local major=$1 version out=helm$1 ldflags=""
  if [[ $major == 4 ]]; then version=$HELM4_VERSION; else version=$HELM3_VERSION; fi
  tool_begin "$out" "$version"
  if cached_at "$out" "$version" version --template '{{.Version}}'; then tool_done cached; return; fi
  rm -f "$TOOLS_BIN/$out"
  if from_path helm "$out" "$version" version --template '{{.Version}}'; then tool_done PATH; return; fi
  have_go || missing helm "$version" "https://helm.sh/docs/intro/install/"
  ldflags="-X helm.sh/helm/v$major/internal/version.version=$version"
  if [[ $major == 3 ]]; then
    local p
    for p in pkg/lint/rules pkg/chartutil; do
      ldflags+=" -X helm.sh/helm/v3/$p.k8sVersionMajor=1 -X helm.sh/helm/v3/$p.k8sVersionMinor=$HELM3_KUBE_MINOR"
    done
  fi
  local out_dir=$TOOLS_SRC/$out-build; rm -rf "$out_dir"
  if proxy_serves "helm.sh/helm/v$major@$version" &&
      go_wrapper_build "$out_dir" "helm.sh/helm/v$major@$version" "$ldflags" "helm.sh/helm/v$major/cmd/helm"; then
    mv -f "$out_dir/helm" "$TOOLS_BIN/$out"; rm -rf "$out_dir"
    tool_done "the Go module proxy"; return
  fi
  missing helm "$version" "https://helm.sh/docs/intro/install/"
}

# A plugin is a directory with plugin.yaml under HELM_PLUGINS. Writing it ourselves skips the
# upstream install hook, which downloads a release binary from GitHub.
ensure_helm_unittest() {
  local dir=$TOOLS_HELM_PLUGINS/unittest mod=github.com/helm-unittest/helm-unittest
  tool_begin helm-unittest "$HELM_UNITTEST_VERSION"
  if [[ -x $dir/untt ]] && grep -q "version: \"${HELM_UNITTEST_VERSION#v}\"" "$dir/plugin.yaml" 2>/dev/null; then
    tool_done cached; return
  fi
  have_go || missing helm-unittest "$HELM_UNITTEST_VERSION" \
    "helm plugin install https://github.com/helm-unittest/helm-unittest --version ${HELM_UNITTEST_VERSION#v}"
  local out_dir=$TOOLS_SRC/untt-build; rm -rf "$out_dir"
  proxy_serves "$mod@$HELM_UNITTEST_VERSION" &&
    go_wrapper_build "$out_dir" "$mod@$HELM_UNITTEST_VERSION" "" "$mod/cmd/helm-unittest" ||
    missing helm-unittest "$HELM_UNITTEST_VERSION" "helm plugin install https://github.com/helm-unittest/helm-unittest"
  mkdir -p "$dir"; mv -f "$out_dir/helm-unittest" "$dir/untt"; rm -rf "$out_dir"
  cat > "$dir/plugin.yaml" <<YAML
name: "unittest"
version: "${HELM_UNITTEST_VERSION#v}"
usage: "unittest for helm charts"
description: "helm-unittest ${HELM_UNITTEST_VERSION}, built from the Go module proxy by taskflow-api/local/toolchain/tools.sh"
ignoreFlags: false
command: "\$HELM_PLUGIN_DIR/untt"
YAML
  tool_done "the Go module proxy"
}
