# shellcheck shell=bash
# kwok (fake nodes and pods) and kwokctl (runs the control plane from our binaries, no downloads).
KWOK_VERSION=v0.8.0

ensure_kwok() {
  tool_begin "kwok + kwokctl" "$KWOK_VERSION"
  if cached_at kwokctl "$KWOK_VERSION" --version && cached_at kwok "$KWOK_VERSION" --version; then tool_done cached; return; fi
  rm -f "$TOOLS_BIN/kwok" "$TOOLS_BIN/kwokctl"
  if from_path kwokctl kwokctl "$KWOK_VERSION" --version && from_path kwok kwok "$KWOK_VERSION" --version; then
    tool_done PATH; return
  fi
  have_go || missing kwok "$KWOK_VERSION" "https://kwok.sigs.k8s.io/docs/user/installation/"
  if proxy_serves "sigs.k8s.io/kwok@$KWOK_VERSION"; then
    local out=$TOOLS_SRC/kwok-build; rm -rf "$out"
    if go_wrapper_build "$out" "sigs.k8s.io/kwok@$KWOK_VERSION" \
        "-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=${KUBERNETES_VERSION#v}" \
        sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl; then
      mv -f "$out/kwok" "$out/kwokctl" "$TOOLS_BIN/"; rm -rf "$out"
      tool_done "the Go module proxy"; return
    fi
  fi
  missing kwok "$KWOK_VERSION" "https://kwok.sigs.k8s.io/docs/user/installation/"
}
