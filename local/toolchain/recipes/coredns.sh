# shellcheck shell=bash
# CoreDNS, the cluster DNS of the real node (what EKS and kubeadm clusters run). It runs as a
# host process with its kubernetes plugin watching Services and EndpointSlices through the API,
# listening on the ClusterIP the kubelet hands pods as their nameserver.
COREDNS_VERSION=v1.14.2

ensure_coredns() {
  local v=$COREDNS_VERSION mod=github.com/coredns/coredns
  tool_begin coredns "$v"
  if cached_at coredns "$v" -version; then tool_done cached; return; fi
  rm -f "$TOOLS_BIN/coredns"
  if from_path coredns coredns "$v" -version; then tool_done PATH; return; fi
  have_go || missing coredns "$v" "https://github.com/coredns/coredns/releases"
  if proxy_serves "$mod@$v"; then
    tool_progress "building from the Go module proxy (about 10 min) ..."
    local out=$TOOLS_SRC/coredns-build; rm -rf "$out"
    if go_wrapper_build "$out" "$mod@$v" "-X $mod/coremain.GitCommit=proxy-$v" "$mod"; then
      mv -f "$out/coredns" "$TOOLS_BIN/coredns"; rm -rf "$out"
      tool_done "the Go module proxy"; return
    fi
  fi
  missing coredns "$v" "https://github.com/coredns/coredns/releases"
}
