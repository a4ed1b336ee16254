# shellcheck shell=bash
# The local cluster's real node: containerd + runc, the CNI bridge, a kubelet registering one
# node, kube-proxy (iptables), CoreDNS and kube-router's NetworkPolicy firewall, all host
# processes started and stopped by pid records checked against the process (ledger.sh). Sourced
# by local/cluster/cluster.sh; not a program.
#
# Host facts this is written for (../shared/reviews/node-feasibility.md): cgroup v1 without
# systemd (kubelet cgroupDriver cgroupfs + failCgroupV1: false); no CAP_SYS_RESOURCE (containerd
# restrict_oom_score_adj, kubelet oomScoreAdj 0); no IPVS (kube-proxy iptables mode); no
# registry (every image is built by local/images/build.sh and imported). The kubelet and kube-proxy
# rewrite kernel settings; `node_down` puts back the values read before the first `node_up`, each
# only if it still holds the value our node left (review m15).
#
# One real node per host: its bridge, iptables chains and pod cgroups are host-global. The owner
# file records which cluster's state dir the running node belongs to (and the boot it ran in);
# that cluster's ledger (ledger.sh) lists everything the node created, and `node_down` removes
# exactly that (netfilter.sh says how a chain is known to be ours).

NODE_NAME=${TASKFLOW_NODE_NAME:-taskflow-node}
NODE_ZONE=${TASKFLOW_NODE_ZONE:-us-east-1a}
POD_CIDR=10.244.0.0/24
POD_GATEWAY=10.244.0.1 # the bridge's address: pods' default route, and where CoreDNS listens
BRIDGE=tfbr0
# The CNI network's name: the bridge and portmap plugins tag each pod's iptables rules with it
# (comment 'name: "<net>" id: "<sandbox>"'), so it must not be a name someone else's CNI uses.
CNI_NET=taskflow-local-node
NODE_DIR=$STATE/node
# Sockets and containerd's state need short paths (a unix socket path is at most 107 bytes, and
# containerd puts shim sockets under its state dir), so they live under /run, not the state dir.
NODE_RUN=/run/taskflow-node
CTR_SOCK=$NODE_RUN/containerd.sock
NODE_OWNER=$NODE_RUN/owner
# Everything the kubelet, kube-proxy, kube-router and the CNI plugins may change.
NODE_SYSCTLS=(kernel.panic kernel.panic_on_oops vm.overcommit_memory vm.panic_on_oom
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.ip_forward net.ipv6.conf.all.forwarding
  net.ipv4.conf.all.route_localnet net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables
  net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_tcp_timeout_established
  net.netfilter.nf_conntrack_tcp_timeout_close_wait)
# Started in this order, stopped in reverse.
NODE_PROCS=(containerd coredns kubelet kube-proxy kube-router)
# Host directories the node's programs create when missing (containerd's netns mounts, the CNI
# result cache); removed at `down` only if `up` created them and they are empty again.
NODE_HOST_DIRS=(/run/netns /var/run/netns /var/lib/cni/results /var/lib/cni)

nlog() { printf '[node] %s\n' "$*" >&2; }

# node_check: empty output when this host can run the real node, else the first missing
# requirement, worded for a person (the e2e suite prints it as its skip reason).
node_check() {
  [[ $(uname -s) == Linux ]] || { echo "not Linux ($(uname -s)): the kubelet, containerd and runc need a Linux kernel"; return; }
  [[ $(id -u) == 0 ]] || { echo "not root: the kubelet, containerd and the CNI bridge need root"; return; }
  [[ -d /sys/fs/cgroup/memory || -f /sys/fs/cgroup/cgroup.controllers ]] || { echo "no memory cgroup under /sys/fs/cgroup"; return; }
  grep -qw overlay /proc/filesystems || { echo "the kernel has no overlay filesystem (containerd's snapshotter)"; return; }
  [[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]] || { echo "no br_netfilter (net.bridge.bridge-nf-call-iptables): Services and NetworkPolicies would not apply to bridged pod traffic"; return; }
  # A name of this process's own: two checks at once must not collide (review m10).
  ip link add "tfck$$" type bridge 2>/dev/null && ip link del "tfck$$" || { echo "cannot create a Linux bridge (CONFIG_BRIDGE)"; return; }
  iptables -w -L -n >/dev/null 2>&1 || { echo "iptables does not work here (kube-proxy and kube-router need it)"; return; }
  ipset list -n >/dev/null 2>&1 || { echo "ipset does not work here (kube-router's NetworkPolicy sets need CONFIG_IP_SET)"; return; }
}

# node_owner: the state dir whose cluster owns the node this boot (fails when none does).
node_owner() {
  local s="" b=""
  [[ -f $NODE_OWNER ]] || return 1
  { read -r s; read -r b; } < "$NODE_OWNER" || true
  [[ -n $s && $b == "$BOOT_ID" ]] || return 1
  echo "$s"
}
node_mine() { [[ $(node_owner) == "$STATE" ]]; }

# node_preflight: why `up` must not start a node here ("" when it may). Runs before anything
# is created, so a refusal changes nothing.
node_preflight() {
  local owner c h
  if owner=$(node_owner) && [[ $owner != "$STATE" ]]; then
    if [[ -f $owner/ledger/created ]]; then
      echo "another local cluster's real node runs on this host (state dir $owner); one real node per host. Stop it first: TASKFLOW_STATE_DIR=$owner bash local/cluster/cluster.sh down"
      return
    fi
    nlog "the node's owner ($owner) has no ledger any more (its state dir was deleted); taking over"
  fi
  node_mine && return 0 # a node of ours: everything below is in our ledger
  c=$(node_route_clash); [[ -z $c ]] || { echo "$c"; return; }
  c=$(nf_foreign_owner)
  [[ -z $c ]] || { echo "another kube-proxy or kube-router already programs this host ($c exists; k3s, kubeadm, minikube?). Ours would share its chains and could not tell them apart at down; stop it, or use another machine"; return; }
  ip link show "$BRIDGE" >/dev/null 2>&1 && { echo "interface $BRIDGE exists but no ledger of ours created it (an older version's leftover?); check it and remove it: ip link del $BRIDGE"; return; }
  for h in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    [[ -d $h ]] && { echo "cgroup $h exists: another kubelet (k3s, kubeadm?) runs pods here, or an older version left it; ours would share it"; return; }
  done
  return 0
}

# node_ip: the source address of the default route (not the first global address, which may be
# docker0, a VPN or tfcache0: review m9 of 2026-12-07); the first global one without a default route.
node_ip() {
  local ip
  ip=$(ip -4 -o route get 198.51.100.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')
  [[ -n $ip ]] || ip=$(ip -4 -o addr show scope global | awk '{ split($4, a, "/"); print a[1]; exit }')
  echo "$ip"
}
# node_route_clash: the host's own route into one of the cluster's ranges, if any (a LAN on
# 10.0.0.0/24 would see its traffic to 10.0.0.1 DNATed to the API server: review m9).
node_route_clash() {
  local a r
  for a in 10.244.0.1 10.250.0.1 10.245.0.9 "$(service_cidr | sed 's#\.0/.*#.1#')"; do
    r=$(ip -4 route show to match "$a" 2>/dev/null | grep -v '^default' | head -1)
    [[ -z $r ]] || { echo "this host already routes $a ($r), inside the local cluster's ranges (pods 10.244.0.0/16, nodes 10.250.0.0/16, the stand-in 10.245.0.8/29, Services $(service_cidr)); ours would hijack that traffic"; return; }
  done
}

# --- processes ---------------------------------------------------------------------------------
# start_proc NAME CMD... : in its own session (so a stop reaches its children), output to the
# node dir, recorded with its boot, pid and start time (ledger.sh).
start_proc() {
  local name=$1 pid; shift
  pid=$(run_detached "$NODE_DIR/$name.log" "$@")
  pidrec_write "$LEDGER_DIR/pids/$name.pid" "$pid" "$1" || { nlog "$name (pid $pid) exited at once"; return 1; }
}
proc_alive() { pidrec_check "$LEDGER_DIR/pids/$1.pid"; }
stop_proc() { pidrec_stop "$LEDGER_DIR/pids/$1.pid" "$1" "${2:-20}"; }
wait_for() { # wait_for SECONDS WHAT CMD... : polls CMD every 0.5 s
  local limit=$1 what=$2 i; shift 2
  for ((i = 0; i < limit * 2; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  nlog "timed out after ${limit}s waiting for $what"; return 1
}
show_log() { nlog "last lines of $NODE_DIR/$1.log:"; tail -15 "$NODE_DIR/$1.log" >&2; }

# --- kernel settings ---------------------------------------------------------------------------
sysctl_snapshot() { # once per node lifetime: the values before any of our processes touched them
  local k v
  [[ -n $(ledger_list sysctl) ]] && return 0
  for k in "${NODE_SYSCTLS[@]}"; do
    v=$(sysctl_get "$k") && [[ -n $v ]] || continue
    ledger_add sysctl "$k" "$v" || return 1
  done
}
sysctl_record_ours() { # the values our node left: what `down` may put back
  local k v
  while read -r k _; do v=$(sysctl_get "$k") && { ledger_add sysctl-ours "$k" "$v" || return 1; }; done < <(ledger_list sysctl)
  return 0
}
sysctl_restore() { # per key: restore only what still holds our value (sysctl_decide)
  local k before ours now restored=() kept=()
  while read -r k before; do
    ours=$(ledger_list sysctl-ours | awk -v k="$k" '$1 == k { sub(/^[^ ]+ /, ""); v = $0 } END { print v }')
    now=$(sysctl_get "$k")
    # `up` failed before it recorded our values: the value now is the one our processes left.
    [[ -n $ours ]] || ours=$now
    case $(sysctl_decide "$before" "$ours" "$now") in
      restore) sysctl -qw "$k=$before" >/dev/null 2>&1 && restored+=("$k=$before") ;;
      keep) kept+=("$k=$now (ours was $ours)") ;;
    esac
  done < <(ledger_list sysctl)
  ((${#restored[@]} == 0)) || nlog "kernel settings restored: ${restored[*]}"
  ((${#kept[@]} == 0)) || nlog "kernel settings changed by someone else since up, left as they are: ${kept[*]}"
}

# --- the guard (review M1 of 2026-12-07) --------------------------------------------------------
# Forwarding is on and Linux takes a packet for any local address on any interface: a machine on
# the LAN that routes the cluster's ranges through this host would reach CoreDNS, the stand-in,
# the extra nodes' kubelets and every pod and Service (kube-proxy DNATs in PREROUTING). The raw
# table sees a packet first, before conntrack and DNAT: there, anything for the cluster's ranges
# that does not come in on one of our interfaces (the pods' bridges, the extra nodes' veths, the
# stand-in's bridge) or loopback is dropped. The host's own traffic never passes PREROUTING.
GUARD_CHAIN=TF-GUARD
GUARD_IFACES=(lo 'tfbr+' 'tfn+' tfcache0)
GUARD_RANGES=(10.244.0.0/16 10.250.0.0/16 10.245.0.8/29) # pods, extra nodes, the stand-in (+ Services)
guard_up() {
  local r i
  if iptables -w -t raw -S "$GUARD_CHAIN" >/dev/null 2>&1; then
    ledger_has chain iptables raw "$GUARD_CHAIN" && return 0
    nlog "iptables -t raw chain $GUARD_CHAIN exists but no ledger of ours created it; check it and remove it"; return 1
  fi
  ledger_add chain iptables raw "$GUARD_CHAIN" || return 1 # recorded before it exists
  { printf '*raw\n:%s - [0:0]\n' "$GUARD_CHAIN"
    for i in "${GUARD_IFACES[@]}"; do printf -- '-A %s -i %s -j RETURN\n' "$GUARD_CHAIN" "$i"; done
    for r in "${GUARD_RANGES[@]}" "$(service_cidr)"; do
      printf -- '-A %s -d %s -m comment --comment "taskflow: the local cluster, from our interfaces only" -j DROP\n' "$GUARD_CHAIN" "$r"
    done
    printf -- '-I PREROUTING 1 -j %s\nCOMMIT\n' "$GUARD_CHAIN"; } | iptables-restore -w 5 --noflush
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
  "name": "$CNI_NET",
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
# node_record_dirs: host directories that do not exist yet and that our programs may create.
node_record_dirs() {
  local d
  for d in "$NODE_RUN" "${NODE_HOST_DIRS[@]}"; do [[ -e $d ]] || ledger_add dir "$d" || return 1; done
}
node_record_cgroups() { # the kubelet's kubepods tree (cgroupfs driver), in every hierarchy
  local h
  for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
    [[ -d ${h}kubepods ]] || ledger_add cgroup "${h}kubepods" || return 1
  done
}

node_up() {
  local t0=$SECONDS ip why
  ip=$(node_ip); [[ -n $ip ]] || { log "no global IPv4 address on this host for the node"; return 1; }
  why=$(node_preflight); [[ -z $why ]] || { log "$why"; return 1; }
  # Every step checked: node_up runs in a || list, where errexit is off (review M5).
  node_record_dirs || return 1
  mkdir -p "$NODE_DIR" "$NODE_RUN" && printf '%s\n%s\n' "$STATE" "$BOOT_ID" > "$NODE_OWNER" || return 1
  # What exists before our first process runs: everything else our programs add is ours.
  nf_record_before || { nlog "could not record the host's iptables chains in $LEDGER_DIR"; return 1; }
  node_record_cgroups || return 1
  sysctl_snapshot || return 1
  local b
  for b in containerd containerd-shim-runc-v2 crictl kubelet kube-proxy kube-router coredns; do
    ledger_add bin "$b" "$(readlink -f "$TOOLS_BIN/$b")" || return 1
  done
  # Before forwarding is on and before anything listens on the cluster's ranges.
  guard_up || { nlog "could not set up the guard chain (iptables -t raw $GUARD_CHAIN)"; return 1; }
  # Pod traffic is routed through the host (bridge -> eth0 / Service DNAT).
  sysctl -qw net.ipv4.ip_forward=1 >/dev/null

  # The kubelet's root dir must be a shared mount point (mount propagation for volumes).
  mkdir -p "$NODE_DIR/kubelet" || return 1
  if ! mountpoint -q "$NODE_DIR/kubelet"; then
    mount --bind "$NODE_DIR/kubelet" "$NODE_DIR/kubelet" && mount --make-rshared "$NODE_DIR/kubelet" || return 1
  fi
  # The bridge exists before CoreDNS binds its address; the CNI bridge plugin adopts it.
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ledger_add link "$BRIDGE" || return 1
    ip link add "$BRIDGE" type bridge && ip addr add "$POD_GATEWAY/${POD_CIDR#*/}" dev "$BRIDGE" || return 1
  fi
  ip link set "$BRIDGE" up || return 1

  { write_containerd_config && write_cni_config && write_kubelet_config "$ip" && write_kube_proxy_config && write_corefile; } ||
    { nlog "could not write the node's configuration in $NODE_DIR"; return 1; }

  if ! proc_alive containerd; then
    PATH=$TOOLS_BIN:$PATH start_proc containerd "$TOOLS_BIN/containerd" --config "$NODE_DIR/containerd.toml" || { show_log containerd; return 1; }
    wait_for 30 "containerd's socket" "$TOOLS_BIN/ctr" -a "$CTR_SOCK" version || { show_log containerd; return 1; }
  fi
  bash "$root/local/images/build.sh" import "$CTR_SOCK" || return 1

  if ! proc_alive coredns; then
    start_proc coredns "$TOOLS_BIN/coredns" -conf "$NODE_DIR/Corefile" || { show_log coredns; return 1; }
  fi
  if ! proc_alive kubelet; then
    start_proc kubelet "$TOOLS_BIN/kubelet" --config "$NODE_DIR/kubelet.yaml" --kubeconfig "$KUBECONFIG_OUT" \
      --root-dir "$NODE_DIR/kubelet" --cert-dir "$NODE_DIR/kubelet/pki" --hostname-override "$NODE_NAME" \
      --node-ip "$ip" --v 1 \
      --node-labels "topology.kubernetes.io/zone=$NODE_ZONE,topology.kubernetes.io/region=${NODE_ZONE%?},taskflow.dev/node=real" ||
      { show_log kubelet; return 1; }
  fi
  if ! proc_alive kube-proxy; then
    start_proc kube-proxy "$TOOLS_BIN/kube-proxy" --config "$NODE_DIR/kube-proxy.yaml" --v 1 || { show_log kube-proxy; return 1; }
  fi
  wait_for 120 "node $NODE_NAME to be Ready" kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout=2s ||
    { show_log kubelet; return 1; }
  if ! proc_alive kube-router; then
    # Firewall only: kube-proxy does Services and the CNI bridge does pod networking. It finds
    # its node by name, so it starts once the kubelet has registered it. No health or metrics
    # port: v2.1.0 binds them on every interface, with no flag for the address.
    : > "$NODE_DIR/kube-router.log"
    start_proc kube-router "$TOOLS_BIN/kube-router" --kubeconfig "$KUBECONFIG_OUT" --hostname-override "$NODE_NAME" \
      --run-firewall=true --run-router=false --run-service-proxy=false --enable-cni=false --enable-ipv6=false \
      --service-cluster-ip-range "$(service_cidr)" --metrics-port 0 --health-port 0 --v 1 || { show_log kube-router; return 1; }
  fi
  # Its own word that a full policy sync is done (logged at --v 1 at the end of each sync).
  wait_for 60 "kube-router's firewall to sync" grep -q "sync iptables took" "$NODE_DIR/kube-router.log" || { show_log kube-router; return 1; }
  wait_for 60 "CoreDNS to sync with the API server" curl -fsS http://127.0.0.1:10181/ready || { show_log coredns; return 1; }
  local p
  for p in "${NODE_PROCS[@]}"; do proc_alive "$p" || { nlog "$p exited"; show_log "$p"; return 1; }; done
  # Once per node lifetime: a later `up` of the running node must not claim what others
  # created or changed since.
  if ! ledger_has node-started; then
    sysctl_record_ours && ledger_add node-started || return 1
  fi
  NODE_READY_SECONDS=$((SECONDS - t0))
  nlog "node $NODE_NAME Ready in ${NODE_READY_SECONDS}s ($ip, zone $NODE_ZONE, pods $POD_CIDR)"
}

service_cidr() { # the API server's Service range, from its own flag (kwokctl leaves the default)
  local cidr pid
  pid=$(pidrec_pid "$LEDGER_DIR/pids/kube-apiserver.pid" 2>/dev/null) &&
    cidr=$(tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | sed -n 's/^--service-cluster-ip-range=//p')
  echo "${cidr:-10.0.0.0/24}"
}

# --- down --------------------------------------------------------------------------------------
# node_netns: the network namespaces of our pods: those our containerd's sandboxes use (asked
# through CRI while it runs), and those whose veth hangs on our bridge. Also recorded in the
# ledger, so a second `down` still knows them once containerd and the bridge are gone.
node_netns() {
  local crictl ns id
  crictl=$(ledger_bin crictl)
  if proc_alive containerd && [[ -x $crictl ]]; then
    for id in $("$crictl" -r "unix://$CTR_SOCK" -i "unix://$CTR_SOCK" --timeout 10s pods -q 2>/dev/null); do
      ns=$("$crictl" -r "unix://$CTR_SOCK" -i "unix://$CTR_SOCK" --timeout 10s inspectp -o go-template \
        --template '{{range .info.runtimeSpec.linux.namespaces}}{{if eq .type "network"}}{{.path}}{{end}}{{end}}' "$id" 2>/dev/null)
      [[ -n $ns ]] && ledger_add netns "${ns##*/}"
    done
  fi
  if ip link show "$BRIDGE" >/dev/null 2>&1 && ledger_has link "$BRIDGE"; then
    for ns in $(ip -o link show master "$BRIDGE" 2>/dev/null | grep -o 'link-netns [^ ]*' | cut -d' ' -f2); do ledger_add netns "$ns"; done
  fi
  ledger_list netns
}

# node_shims: containerd shims serving our containerd (their -address is our socket) and
# running the shim binary `up` recorded. Identity by argument and executable, not a pattern.
node_shims() {
  local shim d pid
  shim=$(ledger_bin containerd-shim-runc-v2); [[ -n $shim ]] || return 0
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    [[ $(proc_exe "$pid") == "$shim" ]] || continue
    tr '\0' '\n' < "$d/cmdline" 2>/dev/null | grep -qxF -- "$CTR_SOCK" && echo "$pid"
  done
  return 0
}

node_cgroup_procs() { # processes still in our kubepods trees
  local cg
  for cg in $(ledger_list cgroup); do
    [[ -d $cg ]] && find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null
  done
  return 0
}

# Best effort by design: every step runs even when an earlier one found nothing to do, so no
# errexit/pipefail here (a subshell: the caller keeps its own options). Everything it removes is
# in the ledger or hangs off something that is.
node_down() (
  set +e +o pipefail
  local owner p ns crictl ids left
  if ! owner=$(node_owner); then
    [[ -n $(ledger_list bin) ]] || return 0 # this cluster never started a node
  elif [[ $owner != "$STATE" ]]; then
    nlog "the real node belongs to another cluster ($owner); leaving it"; return 0
  fi
  for p in kube-router kube-proxy kubelet coredns; do stop_proc "$p"; done
  # Our netns first (CRI knows them), then every sandbox of OUR containerd through CRI: that runs
  # the CNI DEL which releases each pod's veth, IP, netns and tagged iptables rules.
  mapfile -t ns < <(node_netns)
  crictl=$(ledger_bin crictl)
  if proc_alive containerd && [[ -x $crictl ]]; then
    mapfile -t ids < <("$crictl" -r "unix://$CTR_SOCK" -i "unix://$CTR_SOCK" --timeout 10s pods -q 2>/dev/null)
    ((${#ids[@]} == 0)) || "$crictl" -r "unix://$CTR_SOCK" -i "unix://$CTR_SOCK" --timeout 30s rmp -f "${ids[@]}" >/dev/null 2>&1
  fi
  stop_proc containerd
  # Shims outlive containerd by design; ours go now, then anything left in our pods' cgroups.
  mapfile -t left < <(node_shims)
  ((${#left[@]} == 0)) || { kill -KILL "${left[@]}" 2>/dev/null; sleep 0.5; }
  mapfile -t left < <(node_cgroup_procs)
  ((${#left[@]} == 0)) || { nlog "killing ${#left[@]} process(es) left in our pods' cgroups"; kill -KILL "${left[@]}" 2>/dev/null; sleep 0.5; }
  nf_remove_ours | sed 's/^/[node] /' >&2
  for p in "${ns[@]}"; do
    [[ -n $p && -e /run/netns/$p ]] && ip netns delete "$p" 2>/dev/null
  done
  ledger_has link "$BRIDGE" && ip link show "$BRIDGE" >/dev/null 2>&1 && ip link del "$BRIDGE"
  node_unmount_all "${ns[@]}"
  node_remove_cgroups
  sysctl_restore
  rm -rf "$NODE_RUN"
  local d
  # Deepest first; only when empty: something else may have put files in them since.
  for d in $(ledger_list dir | awk '{ print length($0), $0 }' | sort -rn | cut -d' ' -f2-); do [[ -d $d ]] && rmdir "$d" 2>/dev/null; done
  return 0
)

node_mounts() { # NETNS... : mount points of ours, deepest first: under our dirs, our netns
  awk -v a="$NODE_DIR/" -v b="$NODE_RUN/" -v ns=" $* " '{ m = $5; gsub(/\\040/, " ", m) }
      index(m "/", a) == 1 || index(m "/", b) == 1 || (m ~ "^/run/netns/" && index(ns, " " substr(m, 12) " ")) { print length(m), m }' \
    /proc/self/mountinfo | sort -rn | cut -d' ' -f2-
}
node_unmount_all() { # NETNS... : pod volumes, container rootfs, shm, netns, the kubelet root bind
  local m
  while IFS= read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done < <(node_mounts "$@")
}

node_remove_cgroups() { # only the kubepods trees `up` saw created
  local cg
  for cg in $(ledger_list cgroup); do
    [[ -d $cg ]] && find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  return 0
}

# node_leftovers: one line per thing of this cluster's node still on the host (empty when
# clean). Read-only. Used by `status`, `leftovers` and the e2e suite after `down`.
node_leftovers() (
  set +e +o pipefail
  local p ns cg d
  for p in "${NODE_PROCS[@]}"; do proc_alive "$p" && echo "process: $p (pid $(pidrec_pid "$LEDGER_DIR/pids/$p.pid"))"; done
  for p in $(node_shims); do echo "process: containerd shim (pid $p)"; done
  for p in $(node_cgroup_procs); do echo "process: pid $p in our pods' cgroups"; done
  mapfile -t ns < <(ledger_list netns)
  for p in "${ns[@]}"; do [[ -e /run/netns/$p ]] && echo "network namespace: $p"; done
  if ledger_has link "$BRIDGE" && ip link show "$BRIDGE" >/dev/null 2>&1; then
    echo "interface: $BRIDGE"
    ip -o link show master "$BRIDGE" 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print "interface: " $2 }'
  fi
  nf_leftovers
  node_mounts "${ns[@]}" | sed 's/^/mount: /'
  for cg in $(ledger_list cgroup); do [[ -d $cg ]] && echo "cgroup: $cg"; done
  for d in $(ledger_list dir); do [[ -e $d && $d != "$NODE_RUN" ]] && [[ -z $(ls -A "$d" 2>/dev/null) ]] && echo "directory: $d (empty, created by up)"; done
  [[ -e $NODE_RUN ]] && node_mine && echo "directory: $NODE_RUN"
  return 0
)

node_status() {
  local p
  for p in "${NODE_PROCS[@]}"; do
    if proc_alive "$p"; then echo "  $p: running (pid $(pidrec_pid "$LEDGER_DIR/pids/$p.pid"))"; else echo "  $p: stopped"; fi
  done
}
