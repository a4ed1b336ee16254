# shellcheck shell=bash
# The CNI plugins the real node's network uses: bridge (pods on one Linux bridge), host-local
# (pod IPs from the node's range), loopback, and portmap (hostPort). They live in their own
# directory, which is the kubelet/containerd CNI bin_dir; .version records the pinned release
# (a CNI plugin prints its version only when driven through the CNI protocol).
CNI_PLUGINS_VERSION=v1.9.1
TOOLS_CNI_BIN=$TASKFLOW_TOOLS_DIR/bin/cni
_cni_plugins=(main/bridge ipam/host-local main/loopback meta/portmap)

ensure_cni_plugins() {
  local v=$CNI_PLUGINS_VERSION mod=github.com/containernetworking/plugins p ok=1
  tool_begin "CNI plugins (bridge host-local loopback portmap)" "$v"
  [[ $(cat "$TOOLS_CNI_BIN/.version" 2>/dev/null) == "$v" ]] || ok=0
  for p in "${_cni_plugins[@]}"; do [[ -x $TOOLS_CNI_BIN/${p#*/} ]] || ok=0; done
  if ((ok)); then tool_done cached; return; fi
  have_go || missing "CNI plugins" "$v" "https://github.com/containernetworking/plugins/releases (unpack into $TOOLS_CNI_BIN)"
  if proxy_serves "$mod@$v"; then
    local out=$TOOLS_SRC/cni-build pkgs=(); rm -rf "$out"
    for p in "${_cni_plugins[@]}"; do pkgs+=("$mod/plugins/$p"); done
    if go_wrapper_build "$out" "$mod@$v" "-X $mod/pkg/utils/buildversion.BuildVersion=$v" "${pkgs[@]}"; then
      rm -rf "$TOOLS_CNI_BIN"; mkdir -p "$TOOLS_CNI_BIN"
      mv -f "$out"/* "$TOOLS_CNI_BIN/"; echo "$v" > "$TOOLS_CNI_BIN/.version"; rm -rf "$out"
      tool_done "the Go module proxy"; return
    fi
  fi
  missing "CNI plugins" "$v" "https://github.com/containernetworking/plugins/releases (unpack into $TOOLS_CNI_BIN)"
}
