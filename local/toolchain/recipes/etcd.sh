# shellcheck shell=bash
# etcd for the local control plane. Kubernetes >= 1.31 needs etcd >= 3.5.11; 3.6 is what
# current Kubernetes releases are tested with.
ETCD_VERSION=v3.6.16

ensure_etcd() {
  tool_begin etcd "$ETCD_VERSION"
  if cached_at etcd "$ETCD_VERSION" --version; then tool_done cached; return; fi
  rm -f "$TOOLS_BIN/etcd"
  if from_path etcd etcd "$ETCD_VERSION" --version; then tool_done PATH; return; fi
  have_go || missing etcd "$ETCD_VERSION" "https://github.com/etcd-io/etcd/releases"
  # The etcd server's main package lives in the server module (the repository's root module,
  # go.etcd.io/etcd/v3, is not published to the proxy).
  if proxy_serves "go.etcd.io/etcd/server/v3@$ETCD_VERSION"; then
    local out=$TOOLS_SRC/etcd-build; rm -rf "$out"
    if go_wrapper_build "$out" "go.etcd.io/etcd/server/v3@$ETCD_VERSION" "" go.etcd.io/etcd/server/v3; then
      mv -f "$out"/* "$TOOLS_BIN/etcd"; rm -rf "$out"
      tool_done "the Go module proxy"; return
    fi
  fi
  missing etcd "$ETCD_VERSION" "https://github.com/etcd-io/etcd/releases"
}
