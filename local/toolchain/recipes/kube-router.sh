# shellcheck shell=bash
# The real node's NetworkPolicy enforcer: kube-router with only its firewall controller on
# (iptables + ipset; routing and service proxy off, kube-proxy does Services).
# Why not kind's kube-network-policies (v0.8.0 on the proxy): it hands each new connection to
# userspace through an nftables `queue` statement, and this machine type's kernel has no
# CONFIG_NFT_QUEUE, so every policy would fail closed. kube-router needs only iptables and
# ipset, which the kernel has (CONFIG_NETFILTER_XT_SET, CONFIG_IP_SET_HASH_*).
# v2.1.0 is the only v2 release the module proxy serves; the package index flags security
# reports for it. It runs only on the local test cluster, firewall-only, never in a deployed
# environment.
KUBE_ROUTER_VERSION=v2.1.0

ensure_kube_router() {
  local v=$KUBE_ROUTER_VERSION mod=github.com/cloudnativelabs/kube-router/v2
  tool_begin kube-router "$v"
  # It prints its version on stderr, which cached_at/from_path do not read.
  if "$TOOLS_BIN/kube-router" --version 2>&1 | grep -qF "version $v,"; then tool_done cached; return; fi
  rm -f "$TOOLS_BIN/kube-router"
  if command -v kube-router >/dev/null && kube-router --version 2>&1 | grep -qF "version $v,"; then
    ln -sf "$(command -v kube-router)" "$TOOLS_BIN/kube-router"; tool_done PATH; return
  fi
  have_go || missing kube-router "$v" "https://github.com/cloudnativelabs/kube-router/releases"
  if proxy_serves "$mod@$v"; then
    local out=$TOOLS_SRC/kube-router-build; rm -rf "$out"
    if go_wrapper_build "$out" "$mod@$v" "-X $mod/pkg/version.Version=$v -X $mod/pkg/version.BuildDate=1970-01-01" \
        "$mod/cmd/kube-router"; then
      mv -f "$out/kube-router" "$TOOLS_BIN/kube-router"; rm -rf "$out"
      tool_done "the Go module proxy"; return
    fi
  fi
  missing kube-router "$v" "https://github.com/cloudnativelabs/kube-router/releases"
}
