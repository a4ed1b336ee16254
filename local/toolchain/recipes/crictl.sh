# shellcheck shell=bash
# crictl, the CRI client. cluster.sh uses it to stop and remove every pod sandbox through
# containerd's CRI service on `down`, which is what runs the CNI DEL that releases each pod's
# veth, IP and port mappings (killing containers by hand would leave them behind). The proxy
# serves v1.34.0 and v1.37.0; v1.34.0 is the one nearest our Kubernetes 1.35 (CRI v1 either way).
CRICTL_VERSION=v1.34.0

ensure_crictl() {
  local v=$CRICTL_VERSION mod=sigs.k8s.io/cri-tools
  tool_begin crictl "$v"
  if cached_at crictl "$v" --version; then tool_done cached; return; fi
  rm -f "$TOOLS_BIN/crictl"
  if from_path crictl crictl "$v" --version; then tool_done PATH; return; fi
  have_go || missing crictl "$v" "https://github.com/kubernetes-sigs/cri-tools/releases"
  if proxy_serves "$mod@$v"; then
    local out=$TOOLS_SRC/crictl-build; rm -rf "$out"
    if go_wrapper_build "$out" "$mod@$v" "-X $mod/pkg/version.Version=$v" "$mod/cmd/crictl"; then
      mv -f "$out/crictl" "$TOOLS_BIN/crictl"; rm -rf "$out"
      tool_done "the Go module proxy"; return
    fi
  fi
  missing crictl "$v" "https://github.com/kubernetes-sigs/cri-tools/releases"
}
