# shellcheck shell=bash
# containerd, its runc shim and ctr, for the local cluster's real node. Kubernetes 1.35 supports
# containerd 2.2.0+, 2.1.5+ and 1.7.28+ (containerd RELEASES.md, "Kubernetes support"); Debian
# 12's containerd 1.6.20 is outside that table, so we build a supported release from the proxy.
# Built with CGO_ENABLED=0 like upstream's static release: the btrfs snapshotter (cgo only) is
# left out, overlayfs and native are in.
CONTAINERD_VERSION=v2.2.9

ensure_containerd() {
  local v=$CONTAINERD_VERSION mod=github.com/containerd/containerd/v2
  tool_begin "containerd + shim + ctr" "$v"
  if cached_at containerd "$v" --version && cached_at ctr "$v" --version &&
      [[ -x $TOOLS_BIN/containerd-shim-runc-v2 ]]; then tool_done cached; return; fi
  rm -f "$TOOLS_BIN/containerd" "$TOOLS_BIN/ctr" "$TOOLS_BIN/containerd-shim-runc-v2"
  if from_path containerd containerd "$v" --version && from_path ctr ctr "$v" --version &&
      command -v containerd-shim-runc-v2 >/dev/null; then
    ln -sf "$(command -v containerd-shim-runc-v2)" "$TOOLS_BIN/containerd-shim-runc-v2"
    tool_done PATH; return
  fi
  have_go || missing containerd "$v" "https://github.com/containerd/containerd/releases"
  if proxy_serves "$mod@$v"; then
    tool_progress "building from the Go module proxy (about 5 min) ..."
    local out=$TOOLS_SRC/containerd-build; rm -rf "$out"
    if go_wrapper_build "$out" "$mod@$v" "-X $mod/version.Version=$v -X $mod/version.Revision=proxy" \
        "$mod/cmd/containerd" "$mod/cmd/containerd-shim-runc-v2" "$mod/cmd/ctr"; then
      mv -f "$out"/containerd "$out"/containerd-shim-runc-v2 "$out"/ctr "$TOOLS_BIN/"; rm -rf "$out"
      tool_done "the Go module proxy"; return
    fi
  fi
  missing containerd "$v" "https://github.com/containerd/containerd/releases"
}
