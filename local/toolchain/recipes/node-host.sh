# shellcheck shell=bash
# What the real node needs from the host's package manager rather than the Go proxy:
#   runc      the OCI runtime containerd's shim drives. Building it needs cgo and libseccomp
#             (seccomp RuntimeDefault is part of PSS restricted), so Debian's package it is;
#             any runc >= 1.1 speaks what containerd 2.2's shim uses.
#   iptables  kube-proxy (iptables mode; this kernel has no IPVS) and kube-router's firewall.
#   ipset     kube-router's address sets.
#   ip        iproute2, for the bridge, veths and network namespaces cleanup.
# On a machine with apt-get and root they are installed when missing; elsewhere the error says
# which command is missing and the package that has it.
RUNC_MIN_VERSION=1.1

_node_host_cmds=(runc:runc iptables:iptables ipset:ipset ip:iproute2 nsenter:util-linux curl:curl)


ensure_node_host() {
  tool_begin "node host commands (runc iptables ipset ip nsenter)" "runc>=$RUNC_MIN_VERSION"
  local want=() entry
  for entry in "${_node_host_cmds[@]}"; do command -v "${entry%%:*}" >/dev/null 2>&1 || want+=("${entry#*:}"); done
  if ((${#want[@]})); then
    _apt_install "${want[@]}" || _die "the real node needs these packages: ${want[*]} (commands: runc iptables ipset ip nsenter).
        Install them with your package manager (as root), then run this again."
  fi
  # The host's runc, never our own link: once $TOOLS_BIN is first on PATH (a script that sourced
  # tools.sh runs another), `command -v runc` is the link itself, and relinking it to itself made a
  # symlink loop that failed every pod sandbox.
  local runc_bin="" c rv
  for c in $(type -ap runc); do
    [[ $(readlink -f "$c") == "$(readlink -f "$TOOLS_BIN")"/* ]] && continue
    [[ -x $(readlink -f "$c") ]] && { runc_bin=$(readlink -f "$c"); break; }
  done
  [[ -n $runc_bin ]] || _die "runc is not on PATH (outside $TOOLS_BIN)"
  rv=$("$runc_bin" --version 2>/dev/null | sed -n 's/^runc version \([0-9]*\.[0-9]*\).*/\1/p')
  [[ -n $rv ]] && printf '%s\n%s\n' "$RUNC_MIN_VERSION" "$rv" | sort -VC ||
    _die "runc $rv is older than $RUNC_MIN_VERSION (or unreadable); install a newer runc"
  ln -sfn "$runc_bin" "$TOOLS_BIN/runc"
  if ((${#want[@]})); then tool_done "Debian packages (${want[*]})"; else tool_done cached; fi
}
