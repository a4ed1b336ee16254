# shellcheck shell=bash
# Extra real nodes (cluster.sh up --nodes N, N > 1): nodes 2..N, each in its own network
# namespace, the way kind's nodes are containers. Sourced by local/cluster/cluster.sh after
# node.sh (whose functions it reuses with per-node globals); not a program.
#
# Node i (2..N), letter x = b, c, ...:
#   name taskflow-node-x, zone us-east-1x; netns tfn<i>; veth tfn<i>-h 10.250.<i>.1/30 (host)
#   <-> tfn<i>-n 10.250.<i>.2/30 (node IP); pod CIDR 10.244.<i-1>.0/24 on bridge tfbr<i>; CNI
#   network taskflow-x (the libcni result cache /var/lib/cni/results is keyed by it).
#   Own containerd (root $STATE/node-x, state/socket /run/tfn<i>), kubelet (own root dir, cert
#   dir, cgroupRoot /tfn<i>), kube-proxy and kube-router firewall: iptables, ipsets and
#   conntrack are per netns, so each node programs only its own, and they vanish with it.
#   CoreDNS stays on node 1 (10.244.0.1); every node reaches it by routing.
#
# Processes start as `setsid nsenter --net=/run/netns/tfn<i> BIN` (not `ip netns exec`, which
# remounts /sys in a private mount namespace where /sys/fs/cgroup is empty:
# ../shared/reviews/multinode-feasibility.md pitfall 1). They stay in the host's mount namespace,
# so their mounts (rootfs, volumes) are visible to `down`.
#
# The API server listens on the host's 127.0.0.1 only (cluster.sh, review B3), which a node's
# namespace cannot reach. netns-forward (local/cluster/netns-forward/main.go, built with Go's
# standard library at `up`) listens on each node namespace's OWN 127.0.0.1:<API port> and dials
# the host's 127.0.0.1:<API port>: the node's kubelet, kube-proxy and kube-router use the host's
# kubeconfig unchanged (the serving certificate covers 127.0.0.1), and nothing new listens on the
# host or on any interface (not the API server on 0.0.0.0, not etcd). The only non-loopback
# listener of an extra node is its kubelet's 10250 on its node IP, as on node 1.
#
# Pod-to-pod traffic is routed, never masqueraded, so NetworkPolicies see pod IPs: the host
# routes 10.244.<i-1>.0/24 via 10.250.<i>.2; node 1's CNI (ipMasq) would masquerade its pods'
# traffic to other nodes' pods, so the nat chain TFN-NODES (jumped to first from POSTROUTING)
# ACCEPTs exactly node 1's pod CIDR -> extra nodes' pod CIDRs (the hairpin and off-cluster cases
# of node 1 are untouched). Extra nodes use ipMasq false and masquerade only off 10.244.0.0/16.
#
# Ledger: each extra node has its own ledger under $LEDGER_DIR/nodes/tfn<i> (same format), and
# node.sh's node_down / node_leftovers / node_status run on it with that node's globals. The
# netns, veth and host route go with `ip netns delete`; TFN-NODES is a chain in the main ledger.
#
# The host is not node-local for nodes 2..N: kube-router there drops host traffic (source
# 10.250.<i>.1) to pods a policy selects, unless the policy admits any source on that port (the
# rehearsal's HTTP port does, so e2e/zones.test.ts loads the app from the host and checks that
# all three zones answer). Otherwise check such pods through a pod, exec or port-forward.

NODES_MAX=9
NODES_CHAIN=TFN-NODES
# shellcheck disable=SC2154 # root: set by cluster.sh
FORWARD_SRC=$root/local/cluster/netns-forward/main.go
FORWARD_BIN=$STATE/bin/netns-forward
NODE1_POD_CIDR=10.244.0.0/24

node_letter() { local l=abcdefghi; echo "${l:$(($1 - 1)):1}"; }
xnode_name() { echo "taskflow-node-$(node_letter "$1")"; }
xnode_ledger() { echo "$LEDGER_DIR/nodes/tfn$1"; }

# nodes_check N : empty when this host can run N nodes, else the first missing requirement.
nodes_check() {
  local n=$1 avail need
  if ! [[ $n =~ ^[0-9]+$ ]] || ((n < 1 || n > NODES_MAX)); then echo "--nodes must be 1..$NODES_MAX (got '$n')"; return; fi
  ((n > 1)) || return 0
  command -v nsenter >/dev/null 2>&1 || { echo "cannot run $n nodes: no nsenter (util-linux) to start a node's processes in its network namespace"; return; }
  ip netns list >/dev/null 2>&1 || { echo "cannot run $n nodes: 'ip netns' does not work (iproute2 with network namespaces)"; return; }
  if ! ip link add "tfck$$a" type veth peer name "tfck$$b" 2>/dev/null; then
    echo "cannot run $n nodes: cannot create a veth pair (CONFIG_VETH) to link a node's network namespace"; return
  fi
  ip link del "tfck$$a"
  [[ -x $FORWARD_BIN ]] || command -v go >/dev/null 2>&1 ||
    { echo "cannot run $n nodes: no Go toolchain (go on PATH) to build local/cluster/netns-forward, which lets the extra nodes reach the API server on the host's loopback"; return; }
  avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
  need=$(((n - 1) * 400))
  ((avail >= need)) || { echo "cannot run $n nodes: ${avail} MiB available, an extra node needs about 400 MiB with its pods ($need MiB for $((n - 1)))"; return; }
}

# nodes_preflight N : why the extra nodes must not start ("" when they may). Before anything exists.
nodes_preflight() {
  local n=$1 i h
  for ((i = 2; i <= n; i++)); do
    [[ -f $(xnode_ledger "$i")/created ]] && continue # ours, from an earlier up of this cluster
    [[ -e /run/netns/tfn$i ]] && { echo "network namespace tfn$i exists but no ledger of ours created it; check it and remove it: ip netns delete tfn$i"; return; }
    ip link show "tfn$i-h" >/dev/null 2>&1 && { echo "interface tfn$i-h exists but no ledger of ours created it: ip link del tfn$i-h"; return; }
    ip route show "10.244.$((i - 1)).0/24" | grep -q . && { echo "a route to 10.244.$((i - 1)).0/24 (node $i's pod CIDR) exists already: $(ip route show "10.244.$((i - 1)).0/24")"; return; }
    for h in /sys/fs/cgroup/*/"tfn$i" "/sys/fs/cgroup/tfn$i"; do
      [[ -d $h ]] && { echo "cgroup $h exists but no ledger of ours created it"; return; }
    done
  done
  return 0
}

# nodes_prepare_netns_dir : /run/netns a mount point before the first pod. `ip netns add` makes
# it a bind mount on itself when it is not one yet; pod netns (cni-*) that containerd made before
# are then hidden under the new mount, and `down` cannot delete them (EBUSY). If it is already a
# mount (this host: bind-mounted on itself), it is left as it is.
nodes_prepare_netns_dir() {
  mountpoint -q /run/netns && return 0
  [[ -d /run/netns ]] || { mkdir -p /run/netns; ledger_add dir /run/netns; }
  mount --bind /run/netns /run/netns && mount --make-shared /run/netns && ledger_add mount /run/netns
}
nodes_release_netns_dir() { # only our mount, only when nothing is left in it
  ledger_has mount /run/netns || return 0
  mountpoint -q /run/netns && [[ -z $(ls -A /run/netns 2>/dev/null) ]] && umount /run/netns 2>/dev/null
  ledger_has dir /run/netns && rmdir /run/netns 2>/dev/null
  return 0
}

forward_build() {
  [[ -x $FORWARD_BIN && $FORWARD_BIN -nt $FORWARD_SRC ]] && return 0
  mkdir -p "$(dirname "$FORWARD_BIN")"
  (cd "$(dirname "$FORWARD_SRC")" && CGO_ENABLED=0 GOFLAGS='' GO111MODULE=off go build -trimpath -o "$FORWARD_BIN.tmp" main.go) &&
    mv "$FORWARD_BIN.tmp" "$FORWARD_BIN"
}

api_port() { sed -n 's#^ *server: https://127\.0\.0\.1:\([0-9]*\)$#\1#p' "$KUBECONFIG_OUT" | head -1; }

# with_xnode I FUNC ARGS... : FUNC (of node.sh) with node I's globals, in a subshell.
with_xnode() (
  local i=$1; shift
  set_xnode_globals "$i"
  "$@"
)
set_xnode_globals() {
  local i=$1 x
  x=$(node_letter "$i")
  XI=$i
  XNS=tfn$i
  NODE_NAME=taskflow-node-$x
  NODE_ZONE=us-east-1$x
  POD_CIDR=10.244.$((i - 1)).0/24
  XGW=10.244.$((i - 1)).1
  XIP=10.250.$i.2
  XHOSTIP=10.250.$i.1
  BRIDGE=tfbr$i
  CNI_NET=taskflow-$x
  NODE_DIR=$STATE/node-$x
  NODE_RUN=/run/tfn$i
  CTR_SOCK=$NODE_RUN/containerd.sock
  NODE_OWNER=$NODE_RUN/owner
  NODE_PROCS=(containerd kubelet kube-proxy kube-router netns-forward)
  # shellcheck disable=SC2034 # read by node.sh's functions
  NODE_HOST_DIRS=()
  LEDGER_DIR=$(xnode_ledger "$i")
  NSENTER=(nsenter "--net=/run/netns/$XNS")
}

# start_in_netns NAME BIN ARGS... : like node.sh's start_proc, inside the node's netns.
start_in_netns() {
  local name=$1 bin=$2 pid; shift 2
  pid=$(run_detached "$NODE_DIR/$name.log" "${NSENTER[@]}" "$bin" "$@")
  pidrec_write "$LEDGER_DIR/pids/$name.pid" "$pid" "$bin" || { nlog "$name (pid $pid) exited at once"; show_log "$name"; return 1; }
}

# xnode_up I : node I, with node I's globals set (with_xnode). Idempotent per part.
xnode_up() {
  local t0=$SECONDS h b port main_ledger=$1
  ledger_open
  ledger_add dir "$NODE_RUN" || return 1
  mkdir -p "$NODE_DIR/cni/net.d" "$NODE_DIR/cni/ipam" "$NODE_DIR/pod-logs" "$NODE_DIR/kubelet" "$NODE_RUN" &&
    printf '%s\n%s\n' "$STATE" "$BOOT_ID" > "$NODE_OWNER" || return 1
  for b in containerd containerd-shim-runc-v2 crictl kubelet kube-proxy kube-router; do
    ledger_add bin "$b" "$(readlink -f "$TOOLS_BIN/$b")"
  done
  ledger_add bin netns-forward "$(readlink -f "$FORWARD_BIN")"

  # The namespace, its link to the host and the routes (all go with `ip netns delete`).
  if [[ ! -e /run/netns/$XNS ]]; then
    ledger_add xnetns "$XNS" && # (errexit is off here: a || list, review M5)
    ip netns add "$XNS" &&
    ip link add "$XNS-h" type veth peer name "$XNS-n" &&
    ip link set "$XNS-n" netns "$XNS" &&
    ip addr add "$XHOSTIP/30" dev "$XNS-h" && ip link set "$XNS-h" up &&
    "${NSENTER[@]}" ip link set lo up &&
    "${NSENTER[@]}" ip addr add "$XIP/30" dev "$XNS-n" &&
    "${NSENTER[@]}" ip link set "$XNS-n" up &&
    "${NSENTER[@]}" ip route add default via "$XHOSTIP" &&
    ip route add "$POD_CIDR" via "$XIP" dev "$XNS-h" &&
    # Per-namespace settings (they vanish with it): routing, and bridged pod traffic through
    # iptables (Services, policies).
    "${NSENTER[@]}" sysctl -qw net.ipv4.ip_forward=1 >/dev/null &&
    { "${NSENTER[@]}" sysctl -qw net.bridge.bridge-nf-call-iptables=1 >/dev/null 2>&1 || true; } &&
    "${NSENTER[@]}" iptables -w -t nat -A POSTROUTING -s "$POD_CIDR" ! -d 10.244.0.0/16 -m comment --comment "taskflow: off-cluster traffic of $NODE_NAME's pods" -j MASQUERADE &&
    "${NSENTER[@]}" ip link add "$BRIDGE" type bridge &&
    "${NSENTER[@]}" ip addr add "$XGW/24" dev "$BRIDGE" &&
    "${NSENTER[@]}" ip link set "$BRIDGE" up ||
      { nlog "could not create $XNS and its link to the host"; return 1; }
  fi
  # The host no longer masquerades node 1's pods towards this node's pods.
  iptables -w -t nat -C "$NODES_CHAIN" -s "$NODE1_POD_CIDR" -d "$POD_CIDR" -j ACCEPT 2>/dev/null ||
    iptables -w -t nat -A "$NODES_CHAIN" -s "$NODE1_POD_CIDR" -d "$POD_CIDR" -m comment --comment "taskflow: pod to pod across nodes, not masqueraded" -j ACCEPT

  # cgroupRoot /tfn<i>: the kubelet refuses one that does not exist, in every hierarchy.
  for h in /sys/fs/cgroup/*/; do
    [[ -d ${h}$XNS ]] || { mkdir "${h}$XNS" && ledger_add cgroup "${h}$XNS"; }
  done
  if [[ -f /sys/fs/cgroup/cpuset/cpuset.cpus ]]; then
    cat /sys/fs/cgroup/cpuset/cpuset.cpus > "/sys/fs/cgroup/cpuset/$XNS/cpuset.cpus"
    cat /sys/fs/cgroup/cpuset/cpuset.mems > "/sys/fs/cgroup/cpuset/$XNS/cpuset.mems"
  fi
  if ! mountpoint -q "$NODE_DIR/kubelet"; then
    mount --bind "$NODE_DIR/kubelet" "$NODE_DIR/kubelet" && mount --make-rshared "$NODE_DIR/kubelet"
  fi

  # Configuration: node 1's files (written by node.sh this run) with this node's paths.
  local n1=$STATE/node
  sed -e "s#$n1/#$NODE_DIR/#g" -e "s#/run/taskflow-node/#$NODE_RUN/#g" "$n1/containerd.toml" > "$NODE_DIR/containerd.toml"
  sed -e "s#$n1/#$NODE_DIR/#g" -e "s#/run/taskflow-node/#$NODE_RUN/#g" -e "s#^address: .*#address: $XIP#" "$n1/kubelet.yaml" > "$NODE_DIR/kubelet.yaml"
  # Its own cgroup tree beside node 1's /kubepods.
  echo "cgroupRoot: /$XNS" >> "$NODE_DIR/kubelet.yaml"
  sed -e "s#^hostnameOverride: .*#hostnameOverride: $NODE_NAME#" -e "s#^clusterCIDR: .*#clusterCIDR: 10.244.0.0/16#" "$n1/kube-proxy.yaml" > "$NODE_DIR/kube-proxy.yaml"
  cat > "$NODE_DIR/cni/net.d/10-taskflow.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "$CNI_NET",
  "plugins": [
    {
      "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$NODE_DIR/cni/ipam",
        "ranges": [[{ "subnet": "$POD_CIDR", "gateway": "$XGW" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
JSON

  port=$(api_port); [[ -n $port ]] || { nlog "no https://127.0.0.1:<port> server in $KUBECONFIG_OUT"; return 1; }
  if ! proc_alive netns-forward; then
    start_in_netns_host netns-forward "$FORWARD_BIN" "/run/netns/$XNS" "127.0.0.1:$port" || return 1
    wait_for 10 "the API forwarder in $XNS" "${NSENTER[@]}" curl -sk -o /dev/null "https://127.0.0.1:$port/readyz" || { show_log netns-forward; return 1; }
  fi
  if ! proc_alive containerd; then
    PATH=$TOOLS_BIN:$PATH start_in_netns containerd "$TOOLS_BIN/containerd" --config "$NODE_DIR/containerd.toml" || return 1
    wait_for 30 "containerd's socket" "$TOOLS_BIN/ctr" -a "$CTR_SOCK" version || { show_log containerd; return 1; }
  fi
  bash "$root/local/images/build.sh" import "$CTR_SOCK" >/dev/null || return 1
  if ! proc_alive kubelet; then
    start_in_netns kubelet "$TOOLS_BIN/kubelet" --config "$NODE_DIR/kubelet.yaml" --kubeconfig "$KUBECONFIG_OUT" \
      --root-dir "$NODE_DIR/kubelet" --cert-dir "$NODE_DIR/kubelet/pki" --hostname-override "$NODE_NAME" \
      --node-ip "$XIP" --v 1 \
      --node-labels "topology.kubernetes.io/zone=$NODE_ZONE,topology.kubernetes.io/region=${NODE_ZONE%?},taskflow.dev/node=real-$(node_letter "$XI")" || return 1
  fi
  if ! proc_alive kube-proxy; then
    start_in_netns kube-proxy "$TOOLS_BIN/kube-proxy" --config "$NODE_DIR/kube-proxy.yaml" --v 1 || return 1
  fi
  wait_for 120 "node $NODE_NAME to be Ready" kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout=2s || { show_log kubelet; return 1; }
  if ! proc_alive kube-router; then
    : > "$NODE_DIR/kube-router.log"
    start_in_netns kube-router "$TOOLS_BIN/kube-router" --kubeconfig "$KUBECONFIG_OUT" --hostname-override "$NODE_NAME" \
      --run-firewall=true --run-router=false --run-service-proxy=false --enable-cni=false --enable-ipv6=false \
      --service-cluster-ip-range "$(LEDGER_DIR=$main_ledger service_cidr)" --metrics-port 0 --health-port 0 --v 1 || return 1
  fi
  wait_for 60 "kube-router's firewall to sync on $NODE_NAME" grep -q "sync iptables took" "$NODE_DIR/kube-router.log" || { show_log kube-router; return 1; }
  local p
  for p in "${NODE_PROCS[@]}"; do proc_alive "$p" || { nlog "$p of $NODE_NAME exited"; show_log "$p"; return 1; }; done
  nlog "node $NODE_NAME Ready in $((SECONDS - t0))s ($XIP in netns $XNS, zone $NODE_ZONE, pods $POD_CIDR)"
}
# The forwarder starts in the HOST namespace (it dials the host's loopback) and opens its
# listener inside the node's namespace itself.
start_in_netns_host() {
  local name=$1 bin=$2 pid; shift 2
  pid=$(run_detached "$NODE_DIR/$name.log" "$bin" "$@")
  pidrec_write "$LEDGER_DIR/pids/$name.pid" "$pid" "$bin" || { nlog "$name (pid $pid) exited at once"; show_log "$name"; return 1; }
}

# nodes_up N : nodes 2..N (node 1 and the control plane run already).
nodes_up() {
  local n=$1 i t0=$SECONDS
  ((n > 1)) || return 0
  forward_build || { log "could not build local/cluster/netns-forward with go"; return 1; }
  ledger_add bin netns-forward "$(readlink -f "$FORWARD_BIN")"
  if ! iptables -w -t nat -S "$NODES_CHAIN" >/dev/null 2>&1; then
    ledger_add chain iptables nat "$NODES_CHAIN"
    iptables -w -t nat -N "$NODES_CHAIN"
    iptables -w -t nat -I POSTROUTING 1 -j "$NODES_CHAIN"
  fi
  for ((i = 2; i <= n; i++)); do
    ledger_add xnode "$i"
    with_xnode "$i" xnode_up "$LEDGER_DIR" || { log "node $(xnode_name "$i") did not start; its logs are in $STATE/node-$(node_letter "$i")/"; return 1; }
  done
  # shellcheck disable=SC2034 # read by cluster.sh
  NODES_READY_SECONDS=$((SECONDS - t0))
}

# xnode_down : node.sh's node_down on this node's ledger, then its forwarder, namespace and dirs.
xnode_down() (
  set +e +o pipefail
  [[ -f $LEDGER_DIR/created ]] || return 0
  node_down
  stop_proc netns-forward
  if ledger_has xnetns "$XNS" && [[ -e /run/netns/$XNS ]]; then
    ip netns delete "$XNS" 2>/dev/null || nlog "could not delete netns $XNS (still in use?)"
  fi
  node_remove_cgroups
  rm -rf "$NODE_DIR"
  return 0
)

nodes_down() { # every extra node the ledger lists, last first; before node 1 (see node_down)
  local i
  for i in $(ledger_list xnode | sort -rn); do with_xnode "$i" xnode_down; done
  return 0
}

xnode_leftovers() (
  set +e +o pipefail
  [[ -f $LEDGER_DIR/created ]] || return 0
  node_leftovers | sed "s/^/$NODE_NAME: /"
  [[ -e /run/netns/$XNS ]] && ledger_has xnetns "$XNS" && echo "$NODE_NAME: network namespace: $XNS"
  ip link show "$XNS-h" >/dev/null 2>&1 && echo "$NODE_NAME: interface: $XNS-h"
  ip route show "$POD_CIDR" | grep -q . && echo "$NODE_NAME: route: $(ip route show "$POD_CIDR")"
  [[ -e $NODE_DIR ]] && echo "$NODE_NAME: files: $NODE_DIR"
  return 0
)
nodes_leftovers() {
  local i
  for i in $(ledger_list xnode); do with_xnode "$i" xnode_leftovers; done
  if ledger_has mount /run/netns && mountpoint -q /run/netns && [[ -z $(ls -A /run/netns 2>/dev/null) ]]; then echo "mount: /run/netns (made a mount point by up)"; fi
  return 0
}
xnode_status() {
  echo "  node $NODE_NAME (netns $XNS, $XIP, zone $NODE_ZONE):"
  node_status | sed 's/^/  /'
}
nodes_status() {
  local i
  for i in $(ledger_list xnode); do with_xnode "$i" xnode_status; done
}
