# shellcheck shell=bash
# kubeconform and the offline JSON schemas it validates every render against: our floor
# (Chart.yaml kubeVersion) and the newest Kubernetes we support, generated from the OpenAPI spec
# that the k8s.io/kubernetes module ships under api/openapi-spec.
KUBECONFORM_VERSION=v0.8.0
K8S_SCHEMA_VERSIONS="1.28.15 1.36.3"

TOOLS_SCHEMAS=$TASKFLOW_TOOLS_DIR/schemas

ensure_kubeconform() {
  local mod=github.com/yannh/kubeconform
  tool_begin kubeconform "$KUBECONFORM_VERSION"
  if cached_at kubeconform "$KUBECONFORM_VERSION" -v; then tool_done cached; return; fi
  rm -f "$TOOLS_BIN/kubeconform"
  if from_path kubeconform kubeconform "$KUBECONFORM_VERSION" -v; then tool_done PATH; return; fi
  have_go || missing kubeconform "$KUBECONFORM_VERSION" "https://github.com/yannh/kubeconform/releases"
  proxy_serves "$mod@$KUBECONFORM_VERSION" &&
    go_wrapper_build "$TOOLS_BIN" "$mod@$KUBECONFORM_VERSION" "-X main.version=$KUBECONFORM_VERSION" "$mod/cmd/kubeconform" ||
    missing kubeconform "$KUBECONFORM_VERSION" "https://github.com/yannh/kubeconform/releases"
  tool_done "the Go module proxy"
}

ensure_schemas() {
  local v dir spec
  for v in $K8S_SCHEMA_VERSIONS; do
    dir=$TOOLS_SCHEMAS/v$v-standalone-strict
    tool_begin "Kubernetes JSON schemas" "v$v"
    if [[ -f $dir/.complete ]]; then tool_done cached; continue; fi
    have_go && proxy_serves "k8s.io/kubernetes@v$v" ||
      missing "Kubernetes JSON schemas" "v$v" "kubeconform's schema repository (see its README)"
    spec=$(module_dir "k8s.io/kubernetes@v$v")/api/openapi-spec/swagger.json
    [[ -f $spec ]] || _die "k8s.io/kubernetes@v$v has no api/openapi-spec/swagger.json"
    rm -rf "$dir"
    node "$TOOLS_ROOT/scripts/openapi-to-jsonschema.js" "$spec" "$dir"
    touch "$dir/.complete"
    tool_done "the Go module proxy (OpenAPI spec)"
  done
}
