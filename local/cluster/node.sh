# shellcheck shell=bash
# The local cluster's real node: containerd + runc, the CNI bridge, a kubelet registering one
# node, kube-proxy (iptables), CoreDNS and kube-router's NetworkPolicy firewall, all host
# processes started and stopped by pid. Sourced by local/cluster/cluster.sh; not a program.
#
# Host facts this is written for (../shared/reviews/node-feasibility.md): cgroup v1 without
# systemd (kubelet cgroupDriver cgroupfs + failCgroupV1: false); no CAP_SYS_RESOURCE (containerd
# restrict_oom_score_adj, kubelet oomScoreAdj 0); no IPVS (kube-proxy iptables mode); no
# registry (every image is built by local/images/build.sh and imported). The kubelet and kube-proxy
# rewrite kernel settings; `node_down` puts back the values read before the first `node_up`.
#
# One real node per host: its bridge, iptables chains and pod cgroups are host-global. The owner
# file records which cluster's state dir the running node belongs to.

NODE_NAME=${TASKFLOW_NODE_NAME:-taskflow-node}
NODE_ZONE=${TASKFLOW_NODE_ZONE:-us-east-1a}
POD_CIDR=10.244.0.0/24
POD_GATEWAY=10.244.0.1 # the bridge's address: pods' default route, and where CoreDNS listens
BRIDGE=tfbr0
NODE_DIR=$STATE/node
# Sockets and containerd's state need short paths (a unix socket path is at most 107 bytes, and
# containerd puts shim sockets under its state dir), so they live under /run, not the state dir.
NODE_RUN=/run/taskflow-node
CTR_SOCK=$NODE_RUN/containerd.sock
NODE_OWNER=$NODE_RUN/owner
SYSCTL_SNAPSHOT=$NODE_RUN/sysctl-before
# Everything the kubelet, kube-proxy, kube-router and the CNI plugins may change.
NODE_SYSCTLS=(kernel.panic kernel.panic_on_oops vm.overcommit_memory vm.panic_on_oom
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.ip_forward net.ipv6.conf.all.forwarding
  net.ipv4.conf.all.route_localnet net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables
  net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_tcp_timeout_established
  net.netfilter.nf_conntrack_tcp_timeout_close_wait)
# Started in this order, stopped in reverse.
NODE_PROCS=(containerd coredns kubelet kube-proxy kube-router)

nlog() { printf '[node] %s\n' "$*" >&2; }

# node_check: empty output when this host can run the real node, else the first missing
# requirement, worded for a person (the e2e suite prints it as its skip reason).
node_check() {
  [[ $(uname -s) == Linux ]] || { echo "not Linux ($(uname -s)): the kubelet, containerd and runc need a Linux kernel"; return; }
  [[ $(id -u) == 0 ]] || { echo "not root: the kubelet, containerd and the CNI bridge need root"; return; }
  [[ -d /sys/fs/cgroup/memory || -f /sys/fs/cgroup/cgroup.controllers ]] || { echo "no memory cgroup under /sys/fs/cgroup"; return; }
  grep -qw overlay /proc/filesystems || { echo "the kernel has no overlay filesystem (containerd's snapshotter)"; return; }
  [[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]] || { echo "no br_netfilter (net.bridge.bridge-nf-call-iptables): Services and NetworkPolicies would not apply to bridged pod traffic"; return; }
  ip link add tfcheck0 type bridge 2>/dev/null && ip link del tfcheck0 || { echo "cannot create a Linux bridge (CONFIG_BRIDGE)"; return; }
  iptables -w -L -n >/dev/null 2>&1 || { echo "iptables does not work here (kube-proxy and kube-router need it)"; return; }
  ipset list -n >/dev/null 2>&1 || { echo "ipset does not work here (kube-router's NetworkPolicy sets need CONFIG_IP_SET)"; return; }
}

node_owner_check() { # fails when another cluster's real node runs on this host
  [[ -f $NODE_OWNER ]] || return 0
  local owner; owner=$(cat "$NODE_OWNER")
  [[ $owner == "$STATE" ]] && return 0
  if [[ -f $owner/node/containerd.pid ]] && kill -0 "$(cat "$owner/node/containerd.pid")" 2>/dev/null; then
    log "another local cluster's real node runs on this host (state dir $owner); one real node per host."
    log "stop it first: TASKFLOW_STATE_DIR=$owner bash local/cluster/cluster.sh down"
    return 1
  fi
}

node_ip() { ip -4 -o addr show scope global | awk '{ split($4, a, "/"); print a[1]; exit }'; }

# --- processes ---------------------------------------------------------------------------------
# start_proc NAME CMD... : in its own session (so a stop reaches its children), pid and log in
# the node dir.
start_proc() {
  local name=$1; shift
  setsid "$@" >>"$NODE_DIR/$name.log" 2>&1 < /dev/null &
  echo $! > "$NODE_DIR/$name.pid"
}
proc_alive() { [[ -f $NODE_DIR/$1.pid ]] && kill -0 "$(cat "$NODE_DIR/$1.pid")" 2>/dev/null; }
# stop_proc NAME [SECONDS] : SIGTERM, wait for the exit, SIGKILL after SECONDS (default 20).
stop_proc() {
  local name=$1 limit=${2:-20} pid i
  [[ -f $NODE_DIR/$name.pid ]] || return 0
  pid=$(cat "$NODE_DIR/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < limit * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      nlog "$name (pid $pid) ignored SIGTERM for ${limit}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
  fi
  rm -f "$NODE_DIR/$name.pid"
}
wait_for() { # wait_for SECONDS WHAT CMD... : polls CMD every 0.5 s
  local limit=$1 what=$2 i; shift 2
  for ((i = 0; i < limit * 2; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  nlog "timed out after ${limit}s waiting for $what"; return 1
}
show_log() { nlog "last lines of $NODE_DIR/$1.log:"; tail -15 "$NODE_DIR/$1.log" >&2; }

# --- kernel settings ---------------------------------------------------------------------------
sysctl_snapshot() { # once per node lifetime: the values before any of our processes touched them
  [[ -f $SYSCTL_SNAPSHOT ]] && return 0
  local k v
  for k in "${NODE_SYSCTLS[@]}"; do
    v=$(sysctl -n "$k" 2>/dev/null) && printf '%s=%s\n' "$k" "$v"
  done > "$SYSCTL_SNAPSHOT.tmp"
  mv "$SYSCTL_SNAPSHOT.tmp" "$SYSCTL_SNAPSHOT"
}
sysctl_restore() {
  [[ -f $SYSCTL_SNAPSHOT ]] || return 0
  local line changed=()
  while IFS= read -r line; do
    [[ $(sysctl -n "${line%%=*}" 2>/dev/null) == "${line#*=}" ]] && continue
    sysctl -qw "$line" >/dev/null 2>&1 && changed+=("$line")
  done < "$SYSCTL_SNAPSHOT"
  ((${#changed[@]} == 0)) || nlog "kernel settings restored: ${changed[*]}"
  rm -f "$SYSCTL_SNAPSHOT"
}

# --- configuration files -----------------------------------------------------------------------
write_containerd_config() {
  cat > "$NODE_DIR/containerd.toml" <<TOML
# containerd $CONTAINERD_VERSION for the local real node (written by local/cluster/node.sh).
version = 3
root = "$NODE_DIR/containerd"
state = "$NODE_RUN/containerd"
# No btrfs/zfs/devmapper here, and no /opt/containerd install dir.
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.blockfile",
  "io.containerd.internal.v1.opt", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "$CTR_SOCK"
[ttrpc]
  address = "$CTR_SOCK.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""

[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  # Nothing is ever pulled: local/images/build.sh imports every image the node runs.
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = "$PAUSE_IMAGE"

[plugins."io.containerd.cri.v1.runtime"]
  enable_selinux = false
  # No CAP_SYS_RESOURCE on this host: a negative oom_score_adj (containerd gives sandboxes -998)
  # cannot be set, and without this clamp every pod fails to start.
  restrict_oom_score_adj = true
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        BinaryName = "$(readlink -f "$TOOLS_BIN/runc")"
        # cgroup v1 and no systemd here: cgroupfs, like the kubelet's cgroupDriver.
        SystemdCgroup = false
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["$TOOLS_CNI_BIN"]
    conf_dir = "$NODE_DIR/cni/net.d"

[plugins."io.containerd.grpc.v1.cri"]
  # The streaming server (exec, attach, port-forward) only for the kubelet, on loopback.
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
TOML
}

write_cni_config() {
  mkdir -p "$NODE_DIR/cni/net.d" "$NODE_DIR/cni/ipam"
  cat > "$NODE_DIR/cni/net.d/10-taskflow.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "taskflow",
  "plugins": [
    {
      "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$NODE_DIR/cni/ipam",
        "ranges": [[{ "subnet": "$POD_CIDR", "gateway": "$POD_GATEWAY" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
JSON
}

write_kubelet_config() {
  local ip=$1
  cat > "$NODE_DIR/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# cgroup v1, no systemd: cgroupfs, and 1.35 refuses v1 unless told not to.
cgroupDriver: cgroupfs
failCgroupV1: false
# No CAP_SYS_RESOURCE: the kubelet cannot lower its own oom_score_adj to -999.
oomScoreAdj: 0
containerRuntimeEndpoint: unix://$CTR_SOCK
address: $ip
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
# Only the API server (the control plane's client certificate, signed by its CA) may call the
# kubelet: logs, exec and port-forward go through it.
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: $KWOK_PKI/ca.crt }
authorization:
  mode: Webhook
clusterDNS: [$POD_GATEWAY]
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
podLogsDir: $NODE_DIR/pod-logs
failSwapOn: false
# The kubelet sets kernel tunables it wants (panic on oops, overcommit); node_down restores them.
protectKernelDefaults: false
serializeImagePulls: false
# Imported images are pinned, and the disk may be shared: evict only when it is really full.
evictionHard: { memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2%, nodefs.inodesFree: 2% }
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
maxPods: 110
shutdownGracePeriod: 0s
YAML
}

write_kube_proxy_config() {
  cat > "$NODE_DIR/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
# No IPVS in this kernel; iptables is what EKS's kube-proxy runs by default too.
mode: iptables
clientConnection: { kubeconfig: $KUBECONFIG_OUT }
hostnameOverride: $NODE_NAME
clusterCIDR: $POD_CIDR
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
iptables:
  # Off: it would need route_localnet=1 on every interface.
  localhostNodePorts: false
  minSyncPeriod: 1s
# Zero means "leave the host's conntrack settings alone" (shared machine).
conntrack: { maxPerCore: 0, min: 0 }
YAML
}

write_corefile() {
  cat > "$NODE_DIR/Corefile" <<COREFILE
# Cluster DNS of the local real node: Services and pods of cluster.local from the API server.
.:53 {
    bind $POD_GATEWAY
    errors
    ready 127.0.0.1:10181
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $KUBECONFIG_OUT
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 5
}
COREFILE
}

# --- up ----------------------------------------------------------------------------------------
node_up() {
  local t0=$SECONDS ip
  ip=$(node_ip); [[ -n $ip ]] || { log "no global IPv4 address on this host for the node"; return 1; }
  mkdir -p "$NODE_DIR" "$NODE_RUN"
  node_owner_check || return 1
  echo "$STATE" > "$NODE_OWNER"
  sysctl_snapshot
  # Pod traffic is routed through the host (bridge -> eth0 / Service DNAT).
  sysctl -qw net.ipv4.ip_forward=1 >/dev/null

  # The kubelet's root dir must be a shared mount point (mount propagation for volumes).
  mkdir -p "$NODE_DIR/kubelet"
  if ! mountpoint -q "$NODE_DIR/kubelet"; then
    mount --bind "$NODE_DIR/kubelet" "$NODE_DIR/kubelet" && mount --make-rshared "$NODE_DIR/kubelet"
  fi
  # The bridge exists before CoreDNS binds its address; the CNI bridge plugin adopts it.
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge && ip addr add "$POD_GATEWAY/${POD_CIDR#*/}" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up

  write_containerd_config; write_cni_config; write_kubelet_config "$ip"; write_kube_proxy_config; write_corefile

  if ! proc_alive containerd; then
    PATH=$TOOLS_BIN:$PATH start_proc containerd "$TOOLS_BIN/containerd" --config "$NODE_DIR/containerd.toml"
    wait_for 30 "containerd's socket" "$TOOLS_BIN/ctr" -a "$CTR_SOCK" version || { show_log containerd; return 1; }
  fi
  bash "$root/local/images/build.sh" import "$CTR_SOCK" || return 1

  if ! proc_alive coredns; then
    start_proc coredns "$TOOLS_BIN/coredns" -conf "$NODE_DIR/Corefile"
  fi
  if ! proc_alive kubelet; then
    start_proc kubelet "$TOOLS_BIN/kubelet" --config "$NODE_DIR/kubelet.yaml" --kubeconfig "$KUBECONFIG_OUT" \
      --root-dir "$NODE_DIR/kubelet" --cert-dir "$NODE_DIR/kubelet/pki" --hostname-override "$NODE_NAME" \
      --node-ip "$ip" --v 1 \
      --node-labels "topology.kubernetes.io/zone=$NODE_ZONE,topology.kubernetes.io/region=${NODE_ZONE%?},taskflow.dev/node=real"
  fi
  if ! proc_alive kube-proxy; then
    start_proc kube-proxy "$TOOLS_BIN/kube-proxy" --config "$NODE_DIR/kube-proxy.yaml" --v 1
  fi
  wait_for 120 "node $NODE_NAME to be Ready" kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout=2s ||
    { show_log kubelet; return 1; }
  if ! proc_alive kube-router; then
    # Firewall only: kube-proxy does Services and the CNI bridge does pod networking. It finds
    # its node by name, so it starts once the kubelet has registered it.
    start_proc kube-router "$TOOLS_BIN/kube-router" --kubeconfig "$KUBECONFIG_OUT" --hostname-override "$NODE_NAME" \
      --run-firewall=true --run-router=false --run-service-proxy=false --enable-cni=false --enable-ipv6=false \
      --service-cluster-ip-range "$(service_cidr)" --metrics-port 0 --health-port 20244 --v 1
  fi
  wait_for 60 "kube-router's firewall to sync" curl -fsS http://127.0.0.1:20244/healthz || { show_log kube-router; return 1; }
  wait_for 60 "CoreDNS to sync with the API server" curl -fsS http://127.0.0.1:10181/ready || { show_log coredns; return 1; }
  local p
  for p in "${NODE_PROCS[@]}"; do proc_alive "$p" || { nlog "$p exited"; show_log "$p"; return 1; }; done
  NODE_READY_SECONDS=$((SECONDS - t0))
  nlog "node $NODE_NAME Ready in ${NODE_READY_SECONDS}s ($ip, zone $NODE_ZONE, pods $POD_CIDR)"
}

service_cidr() { # the API server's Service range, from its own flag (kwokctl leaves the default)
  local cidr
  cidr=$(pgrep -af -- "$KWOK_WORKDIR/clusters/$CLUSTER/.*kube-apiserver" | grep -o -- '--service-cluster-ip-range=[^ ]*' | cut -d= -f2)
  echo "${cidr:-10.0.0.0/24}"
}

# --- down --------------------------------------------------------------------------------------
# Best effort by design: every step runs even when an earlier one found nothing to do, so no
# errexit/pipefail here (a subshell: the caller keeps its own options).
node_down() (
  set +e +o pipefail
  [[ -f $NODE_OWNER && $(cat "$NODE_OWNER") != "$STATE" ]] && { nlog "the real node belongs to another cluster ($(cat "$NODE_OWNER")); leaving it"; return 0; }
  local p
  for p in kube-router kube-proxy kubelet coredns; do stop_proc "$p"; done
  # Every pod sandbox through CRI while containerd still runs: that runs the CNI DEL which
  # releases the veth, the IP and the hostPort/masquerade chains of each pod.
  if proc_alive containerd && [[ -x $TOOLS_BIN/crictl ]]; then
    "$TOOLS_BIN/crictl" -r "unix://$CTR_SOCK" -i "unix://$CTR_SOCK" --timeout 30s rmp -fa >/dev/null 2>&1 || true
  fi
  stop_proc containerd
  # Shims outlive containerd by design; anything left of ours goes now.
  local left=()
  mapfile -t left < <(pgrep -f -- "-address $CTR_SOCK" || true)
  if ((${#left[@]})); then kill -KILL "${left[@]}" 2>/dev/null || true; sleep 0.5; fi
  # Rules: the tools' own cleanup modes, then any CNI chain a killed pod left.
  [[ -x $TOOLS_BIN/kube-proxy ]] && "$TOOLS_BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true
  [[ -x $TOOLS_BIN/kube-router ]] && "$TOOLS_BIN/kube-router" --cleanup-config >/dev/null 2>&1 || true
  node_flush_chains
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^cni-/ { print $1 }'); do ip netns delete "$ns" 2>/dev/null || true; done
  ip link show "$BRIDGE" >/dev/null 2>&1 && ip link del "$BRIDGE"
  node_unmount_all
  node_remove_cgroups
  sysctl_restore
  rm -rf "$NODE_RUN" /var/lib/cni/networks/taskflow
)

node_flush_chains() { # KUBE-*, KUBE-ROUTER-* and CNI-* chains and their jumps, in every table
  local t chains c
  command -v iptables-save >/dev/null || return 0
  for t in filter nat mangle raw; do
    mapfile -t chains < <(iptables-save -t "$t" 2>/dev/null | sed -n 's/^:\(\(KUBE\|CNI\)-[^ ]*\) .*/\1/p')
    ((${#chains[@]})) || continue
    # Jumps into our chains from the built-in ones first, then the chains themselves.
    iptables-save -t "$t" | grep -E '^-A [A-Z]+ .*-j (KUBE|CNI)-' | sed 's/^-A /-D /' |
      while IFS= read -r rule; do eval "iptables -w -t $t $rule" 2>/dev/null || true; done
    for c in "${chains[@]}"; do iptables -w -t "$t" -F "$c" 2>/dev/null || true; done
    for c in "${chains[@]}"; do iptables -w -t "$t" -X "$c" 2>/dev/null || true; done
  done
  local s
  for s in $(ipset list -n 2>/dev/null | grep -E '^(KUBE-|kube-router-|inet:KUBE)' || true); do ipset destroy "$s" 2>/dev/null || true; done
}

node_unmount_all() { # deepest first: pod volumes, container rootfs, shm, the kubelet root bind
  local m
  for m in $(awk -v a="$NODE_DIR/" -v b="$NODE_RUN/" '{ m = $5; gsub(/\\040/, " ", m) }
      index(m "/", a) == 1 || index(m "/", b) == 1 || m "/" == a { print length(m), m }' /proc/self/mountinfo | sort -rn | cut -d' ' -f2); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  for m in $(awk '$5 ~ "^/run/netns/cni-" { print $5 }' /proc/self/mountinfo); do umount "$m" 2>/dev/null || true; done
}

node_remove_cgroups() { # the kubepods tree the kubelet made (cgroupfs driver), in every hierarchy
  local h d
  for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
    [[ -d ${h}kubepods ]] || continue
    find "${h}kubepods" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
}

# node_leftovers: one line per thing of ours still on the host (empty when clean). Used by
# `status` and by the e2e suite after `down`.
node_leftovers() (
  set +e +o pipefail
  local p
  for p in "${NODE_PROCS[@]}"; do proc_alive "$p" && echo "process: $p (pid $(cat "$NODE_DIR/$p.pid"))"; done
  pgrep -af -- "$TOOLS_BIN/(containerd|kubelet|kube-proxy|kube-router|coredns)|containerd-shim-runc-v2" | sed 's/^/process: /'
  ip netns list 2>/dev/null | awk '$1 ~ /^cni-/ { print "network namespace: " $1 }'
  ip -o link show 2>/dev/null | awk -F': ' -v b="$BRIDGE" '$2 == b || $2 ~ /^veth/ { print "interface: " $2 }'
  iptables-save 2>/dev/null | sed -n 's/^:\(\(KUBE\|CNI\)-[^ ]*\) .*/iptables chain: \1/p' | sort -u
  ipset list -n 2>/dev/null | grep -E '^(KUBE-|kube-router-)' | sed 's/^/ipset: /'
  awk -v a="$NODE_DIR/" -v b="$NODE_RUN/" 'index($5 "/", a) == 1 || index($5 "/", b) == 1 || $5 ~ "^/run/netns/cni-" { print "mount: " $5 }' /proc/self/mountinfo
  local h; for h in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do [[ -d $h ]] && echo "cgroup: $h"; done
  if [[ -f $SYSCTL_SNAPSHOT ]]; then echo "kernel settings: not yet restored ($SYSCTL_SNAPSHOT)"; fi
  return 0
)

node_status() {
  local p
  for p in "${NODE_PROCS[@]}"; do
    if proc_alive "$p"; then echo "  $p: running (pid $(cat "$NODE_DIR/$p.pid"))"; else echo "  $p: stopped"; fi
  done
}
