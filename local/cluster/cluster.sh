#!/usr/bin/env bash
# The local Kubernetes cluster: a control plane run by kwokctl's binary runtime from the
# tools-dir binaries (etcd, kube-apiserver, kube-controller-manager, kube-scheduler), and one
# REAL node (local/cluster/node.sh): containerd + runc, a kubelet, kube-proxy, CoreDNS and
# kube-router's NetworkPolicy firewall, running real containers from locally built images.
# With --nodes N (or TASKFLOW_NODES=N), nodes 2..N more real nodes, each in its own network
# namespace with its own containerd, kubelet, kube-proxy and firewall, zones us-east-1a/b/c...
# (local/cluster/nodes.sh). No downloads, no registry.
#
#   bash local/cluster/cluster.sh up [--nodes N]  # start (or keep) the cluster; writes $STATE/kubeconfig
#                                     # (N = 1 by default, as `npm start` runs it; up to 9)
#   bash local/cluster/cluster.sh status    # what runs, every node, and anything of ours left on the host
#   bash local/cluster/cluster.sh down      # stop and remove what this cluster's `up` created (its
#                                     # ledger), restore the kernel settings it changed
#   bash local/cluster/cluster.sh check [--nodes N]  # can this host run N real nodes? (prints why not)
#   bash local/cluster/cluster.sh leftovers # one line per thing of ours still on the host
#
# Environment: TASKFLOW_STATE_DIR (default .state/ in the project) holds the cluster's files and
# its kubeconfig; TASKFLOW_CLUSTER (default "taskflow") names it. One local cluster (with its
# 1..N nodes) per host.
# TASKFLOW_KEEP_FAILED=1 keeps a cluster whose `up` failed (otherwise it is removed).
#
# Safe on a person's machine (local/cluster/ledger.sh, netfilter.sh):
#   - etcd serves TLS only and takes only the API server's client certificate (a local user
#     cannot read or write it: review B1 of 2026-12-07);
#   - every control-plane port listens on 127.0.0.1 only; beyond loopback there is only the
#     kubelet's 10250 on the node IP (the API server dials it there for logs/exec/port-forward;
#     client certificates only) and CoreDNS on the pod bridge's gateway (the pods' resolver);
#     extra nodes reach the API server through a forwarder listening on their own namespace's
#     loopback (nodes.sh), so `--nodes` opens nothing more but each kubelet's 10250;
#   - `up` writes a ledger as it creates things; `down` removes what the ledger lists and what
#     hangs off it, never anything matched by name, and does nothing without a ledger;
#   - pids are checked against the process's boot and start time before any signal;
#   - `up` and `down` hold a host-wide lock; an `up` that fails midway removes what it made;
#   - `down`, `status`, `check` and `leftovers` need no toolchain.
#
# The API server runs with authorization and admission on, so Pod Security admission is real:
# a namespace labelled pod-security.kubernetes.io/enforce=restricted refuses a non-compliant pod.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE=${TASKFLOW_STATE_DIR:-$root/.state}
(umask 077; mkdir -p "$STATE"); STATE=$(cd "$STATE" && pwd) # private if we make it (review m11)
CLUSTER=${TASKFLOW_CLUSTER:-taskflow}
export KWOK_WORKDIR=$STATE/kwok
KUBECONFIG_OUT=$STATE/kubeconfig
KWOK_CLUSTER_DIR=$KWOK_WORKDIR/clusters/$CLUSTER
KWOK_PKI=$KWOK_CLUSTER_DIR/pki
LEDGER_DIR=$STATE/ledger
# Host-wide, like the node: two `up`s (npm start beside an e2e run) must not interleave. Not the
# lock file a caller may hold around us (flock(1) on the same file from a child would deadlock).
LOCK_FILE=${TASKFLOW_NODE_LOCK:-/run/taskflow-node.lock}
CP_PROCS=(etcd kube-apiserver kube-controller-manager kube-scheduler)

log() { printf '[cluster] %s\n' "$*" >&2; }
# quietly CMD... : kwokctl logs JSON lines; keep them in the state dir, show them on failure.
quietly() {
  run_clean "$@" >>"$STATE/kwokctl.log" 2>&1 && return 0
  local rc=$?; log "'$*' failed ($rc); its log ($STATE/kwokctl.log):"; tail -20 "$STATE/kwokctl.log" >&2; return $rc
}

# Only the toolchain's locations (no recipe runs, nothing is built): `down`, `status`, `check`
# and `leftovers` must work with the tools cache gone (review m12). `up` sources the recipes.
# shellcheck source=SCRIPTDIR/../toolchain/common.sh
source "$root/local/toolchain/common.sh"
# shellcheck source=SCRIPTDIR/ledger.sh
source "$root/local/cluster/ledger.sh"
# shellcheck source=SCRIPTDIR/netfilter.sh
source "$root/local/cluster/netfilter.sh"
# shellcheck source=SCRIPTDIR/node.sh
source "$root/local/cluster/node.sh"
# shellcheck source=SCRIPTDIR/nodes.sh
source "$root/local/cluster/nodes.sh"
# Its discovery cache in the state dir too: by default kubectl creates ~/.kube/cache.
kubectl() { "$TOOLS_BIN/kubectl" --kubeconfig "$KUBECONFIG_OUT" --cache-dir "$STATE/kube-cache" "$@"; }

lock() {
  exec {LOCK_FD}>>"$LOCK_FILE"
  if ! flock -n "$LOCK_FD"; then
    log "another cluster.sh up/down holds $LOCK_FILE; waiting (up to 15 min) ..."
    flock -w 900 "$LOCK_FD" || { log "gave up waiting for $LOCK_FILE"; exit 1; }
  fi
}

api_ready() { [[ -f $KUBECONFIG_OUT ]] && kubectl get --raw /readyz --request-timeout=5s >/dev/null 2>&1; }

# --- control plane (kwokctl starts it; we record and check what it started) --------------------
cp_running() { # every control-plane process of ours runs (identity checked)
  [[ $(ledger_state) == current ]] || return 1
  local p; for p in "${CP_PROCS[@]}"; do pidrec_check "$LEDGER_DIR/pids/$p.pid" || return 1; done
}
# kwokctl trusts its own pid files as they are (kill -0, then SIGKILL at delete): drop every one
# that does not name the process we recorded, so it neither skips a component nor kills a stranger.
cp_drop_stale_pidfiles() {
  local f p pid
  for f in "$KWOK_CLUSTER_DIR"/pids/*.pid; do
    [[ -f $f ]] || continue
    p=$(basename "$f" .pid); pid=$(cat "$f" 2>/dev/null)
    if pidrec_check "$LEDGER_DIR/pids/$p.pid" && [[ $(pidrec_pid "$LEDGER_DIR/pids/$p.pid") == "$pid" ]]; then continue; fi
    rm -f "$f"
  done
}
cp_record_bins() { # before kwokctl runs: what its processes will run (review M3)
  local p
  for p in "${CP_PROCS[@]}"; do ledger_add bin "$p" "$(readlink -f "$TOOLS_BIN/$p")" || return 1; done
}
cp_record() { # what kwokctl started, with boot, pid and start time
  local p pid
  for p in "${CP_PROCS[@]}"; do
    pid=$(cat "$KWOK_CLUSTER_DIR/pids/$p.pid" 2>/dev/null) || { log "kwokctl left no pid file for $p"; return 1; }
    # kwokctl's word only: recorded (and so stopped later) only if it runs our binary now.
    [[ $(proc_exe "$pid") == "$(readlink -f "$TOOLS_BIN/$p")" ]] || { log "$p (pid $pid) is not running $TOOLS_BIN/$p"; return 1; }
    pidrec_write "$LEDGER_DIR/pids/$p.pid" "$pid" "$TOOLS_BIN/$p" || { log "could not record $p (pid $pid) in $LEDGER_DIR"; return 1; }
  done
}
# cp_adopt : a kwokctl create/start that failed or was killed midway leaves components running
# that we never recorded (kwokctl returns on an error without cleanup; they run under setsid).
# Adopt those kwok's pid files name, only if the process runs the binary recorded before
# kwokctl ran and has this cluster's directory in its arguments (review M3).
cp_adopt() {
  local p f pid bin
  for p in "${CP_PROCS[@]}"; do
    f=$KWOK_CLUSTER_DIR/pids/$p.pid
    [[ ! -f $LEDGER_DIR/pids/$p.pid && -f $f ]] || continue
    pid=$(cat "$f" 2>/dev/null) && [[ $pid =~ ^[0-9]+$ ]] || continue
    bin=$(ledger_bin "$p"); [[ -n $bin && $(proc_exe "$pid") == "$bin" ]] || continue
    tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF "$KWOK_CLUSTER_DIR/" || continue
    log "adopting $p (pid $pid), started by kwokctl but not recorded"
    # Unrecordable (a full disk): it is ours by the checks above, so it goes now.
    pidrec_write "$LEDGER_DIR/pids/$p.pid" "$pid" "$bin" && continue
    local start i; start=$(proc_start "$pid") && kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 100; i++)); do [[ $(proc_start "$pid") == "$start" ]] || break; sleep 0.1; done
  done
  return 0
}
cp_stop() {
  local i
  cp_adopt
  for ((i = ${#CP_PROCS[@]} - 1; i >= 0; i--)); do pidrec_stop "$LEDGER_DIR/pids/${CP_PROCS[i]}.pid" "${CP_PROCS[i]}" 20; done
  rm -f "$KWOK_CLUSTER_DIR"/pids/*.pid
}

# --- etcd, closed (review B1 of 2026-12-07) ----------------------------------------------------
# kwokctl runs etcd with plain HTTP and no client authentication: on 127.0.0.1 any local user (or
# code running as one: an npm postinstall) could read every Secret and write a privileged pod
# into /registry/pods, which the root kubelet would run. So etcd serves TLS only, on its client
# and peer ports, and asks every client for a certificate of its own CA; the one client
# certificate is the API server's. The CA's key is deleted once both certificates are signed,
# and the directory is root's (0700), so nobody can mint another.
ETCD_PKI=$KWOK_WORKDIR/etcd-pki-$CLUSTER
etcd_pki() {
  [[ -s $ETCD_PKI/apiserver-etcd-client.crt ]] && return 0
  rm -rf "$ETCD_PKI"
  # One && chain: errexit is off inside a subshell that is itself in a || list (review M5).
  (umask 077 && mkdir -p "$ETCD_PKI" && cd "$ETCD_PKI" &&
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=taskflow local etcd CA" -keyout ca.key -out ca.crt &&
    openssl req -newkey rsa:2048 -nodes -subj /CN=etcd -keyout server.key -out server.csr &&
    # Also a client certificate: etcd's peer listener dials itself with it.
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' > server.ext &&
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile server.ext -out server.crt &&
    openssl req -newkey rsa:2048 -nodes -subj /CN=kube-apiserver-etcd-client -keyout client.key -out client.csr &&
    printf 'extendedKeyUsage=clientAuth\n' > client.ext &&
    openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile client.ext -out client.crt &&
    rm -f ca.key ca.srl ./*.csr ./*.ext &&
    mv client.key apiserver-etcd-client.key && mv client.crt apiserver-etcd-client.crt) >/dev/null 2>&1 ||
    { log "could not make etcd's certificates (openssl) in $ETCD_PKI"; return 1; }
}
# free_port : a TCP port nothing on this host uses now, in 20000-31999: below the ports kwokctl
# picks for the API server (32766 down) and the kernel's ephemeral range (32768 up).
free_port() {
  local p used
  used=" $(ss -Htan 2>/dev/null | awk '{ n = split($4, a, ":"); printf "%s ", a[n] }')"
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 12000))
    [[ $used == *" $p "* ]] || { echo "$p"; return 0; }
  done
  return 1
}

config_file() { # the kwokctl configuration: our binaries, admission on, loopback only, etcd closed
  local f=$STATE/kwokctl-$CLUSTER.yaml ep pp e=https://127.0.0.1
  ep=$(free_port) && pp=$(free_port) && [[ $pp != "$ep" ]] || { log "no free TCP port for etcd"; return 1; }
  cat > "$f" <<YAML
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  runtime: binary
  kubeVersion: ${KUBERNETES_VERSION}
  kubeApiserverBinary: $TOOLS_BIN/kube-apiserver
  kubeControllerManagerBinary: $TOOLS_BIN/kube-controller-manager
  kubeSchedulerBinary: $TOOLS_BIN/kube-scheduler
  kubectlBinary: $TOOLS_BIN/kubectl
  etcdBinary: $TOOLS_BIN/etcd
  # kwokctl's default is 0.0.0.0 for etcd (plain HTTP, no auth: anyone who reaches this host
  # could write a privileged pod into etcd, which the real root kubelet would then run), the
  # API server, controller-manager and scheduler (review B3). Everything that talks to them
  # (the kubelet, kube-proxy, CoreDNS, kube-router, kubectl) does so over 127.0.0.1.
  bindAddress: 127.0.0.1
  # No kwok controller: it would manage every node (the real one included), fake pod states
  # and even "complete" Job pods that never ran. The real kubelet owns the node here.
  disable: [kwok-controller]
  kubeAuthorization: true
  kubeAdmission: true
  quietPull: true
  etcdPort: $ep
  etcdPeerPort: $pp
componentsPatches:
  # TLS only, a client certificate of etcd's own CA required, on both ports (the peer port
  # takes raft messages: as open as the client port otherwise). kwokctl writes http:// URLs;
  # override replaces its flag in place.
  - name: etcd
    extraArgs:
      - { key: listen-client-urls, value: "$e:$ep", override: true }
      - { key: advertise-client-urls, value: "$e:$ep", override: true }
      - { key: listen-peer-urls, value: "$e:$pp", override: true }
      - { key: initial-advertise-peer-urls, value: "$e:$pp", override: true }
      - { key: initial-cluster, value: "node0=$e:$pp", override: true }
      - { key: cert-file, value: "$ETCD_PKI/server.crt" }
      - { key: key-file, value: "$ETCD_PKI/server.key" }
      - { key: trusted-ca-file, value: "$ETCD_PKI/ca.crt" }
      - { key: client-cert-auth, value: "true" }
      - { key: peer-cert-file, value: "$ETCD_PKI/server.crt" }
      - { key: peer-key-file, value: "$ETCD_PKI/server.key" }
      - { key: peer-trusted-ca-file, value: "$ETCD_PKI/ca.crt" }
      - { key: peer-client-cert-auth, value: "true" }
  # The API server calls the real kubelet (logs, exec, port-forward) with the cluster's admin
  # client certificate; the kubelet trusts the cluster CA and authorizes through the API.
  - name: kube-apiserver
    extraArgs:
      - { key: kubelet-client-certificate, value: $KWOK_PKI/admin.crt }
      - { key: kubelet-client-key, value: $KWOK_PKI/admin.key }
      # The node's name is not in DNS here; its InternalIP is what to dial.
      - { key: kubelet-preferred-address-types, value: InternalIP }
      - { key: etcd-servers, value: "$e:$ep", override: true }
      - { key: etcd-cafile, value: "$ETCD_PKI/ca.crt" }
      - { key: etcd-certfile, value: "$ETCD_PKI/apiserver-etcd-client.crt" }
      - { key: etcd-keyfile, value: "$ETCD_PKI/apiserver-etcd-client.key" }
YAML
  # Several nodes (--nodes N, fixed at the cluster's creation): the node lifecycle controller at
  # Kubernetes' own defaults (grace 50 s, period 5 s; EKS does not let them be changed), so
  # that losing a node behaves as on a real cluster. kwok sets 3m20s / 25s for its simulated
  # nodes: a lost node's pods then stayed in the Service's endpoints for 212 s (measured by
  # e2e/zones.test.ts; docs/local-cluster.md "Several nodes").
  if ((NODES > 1)); then
    cat >> "$f" <<YAML
  - name: kube-controller-manager
    extraArgs:
      - { key: node-monitor-grace-period, value: 50s }
      - { key: node-monitor-period, value: 5s }
YAML
  fi
  echo "$f"
}

# --- up ----------------------------------------------------------------------------------------
up() {
  local t0=$SECONDS why
  why=$(node_check)
  [[ -z $why ]] || { log "this host cannot run the real node: $why"; return 4; }
  why=$(nodes_check "$NODES")
  [[ -z $why ]] || { log "$why"; return 4; }
  lock
  # Refusals come before anything is created, so they change nothing.
  why=$(node_preflight); [[ -z $why ]] || { log "$why"; return 1; }
  why=$(nodes_preflight "$NODES"); [[ -z $why ]] || { log "$why"; return 1; }
  # shellcheck source=SCRIPTDIR/../toolchain/tools.sh
  source "$root/local/toolchain/tools.sh" cluster node >/dev/null || exit 1
  # (the whole list first: grep -m1 closing the pipe early would fail the pipeline)
  local images
  images=$(bash "$root/local/images/build.sh" list)
  # shellcheck disable=SC2034 # used by cluster/node.sh (containerd's sandbox image)
  PAUSE_IMAGE=$(grep -m1 /pause: <<<"$images")

  ledger_open || exit 1
  trap 'up_failed $?' EXIT
  LEDGER_STRICT=1
  trap 'exit 130' INT; trap 'exit 143' TERM
  # kwok writes the cluster's CA and admin key (mode 0640) under its work dir: keep it private.
  (umask 077; mkdir -p "$KWOK_WORKDIR"); chmod 700 "$KWOK_WORKDIR"
  if cp_running; then
    log "cluster '$CLUSTER' is already running"
  else
    cp_drop_stale_pidfiles
    cp_record_bins || return 1
    # A cluster saved by an older version of this script binds 0.0.0.0, and `kwokctl start`
    # would bring it back so: recreate it instead (its Pulumi state stays in backend/).
    # Likewise one whose etcd takes clients without a certificate (review B1), or whose
    # certificates are gone.
    if [[ -d $KWOK_CLUSTER_DIR ]] && { ! grep -qs 'bindAddress: 127.0.0.1' "$KWOK_CLUSTER_DIR/kwok.yaml" ||
      ! grep -qs 'client-cert-auth' "$KWOK_CLUSTER_DIR/kwok.yaml" || [[ ! -s $ETCD_PKI/apiserver-etcd-client.crt ]]; }; then
      log "the saved cluster '$CLUSTER' does not bind to 127.0.0.1 only with etcd closed (made by an older version): recreating it"
      rm -rf "$KWOK_CLUSTER_DIR"
    fi
    if [[ -d $KWOK_CLUSTER_DIR ]]; then
      log "starting the existing cluster '$CLUSTER' ..."
      quietly kwokctl start cluster --name "$CLUSTER"
    else
      log "creating cluster '$CLUSTER' (Kubernetes $KUBERNETES_VERSION, kwok $KWOK_VERSION, binary runtime) ..."
      # --kubeconfig "": no context in ~/.kube/config (kwokctl would add one, with the admin
      # key inlined, and make it current); ours is $KUBECONFIG_OUT only.
      etcd_pki || return 1
      local conf; conf=$(config_file) || return 1
      quietly kwokctl create cluster --name "$CLUSTER" --config "$conf" --kubeconfig "" --wait 120s
    fi
    cp_record
  fi
  # The admin kubeconfig carries the admin key inline: created private, never world-readable.
  (umask 077; kwokctl get kubeconfig --name "$CLUSTER" > "$KUBECONFIG_OUT.tmp")
  mv "$KUBECONFIG_OUT.tmp" "$KUBECONFIG_OUT"
  local i
  for i in $(seq 60); do api_ready && break; sleep 1; done
  api_ready || { log "the API server did not become ready; logs: $KWOK_CLUSTER_DIR/logs/kube-apiserver.log"; return 1; }
  # Before the first pod's netns (issue 24): /run/netns a mount point of its own.
  ((NODES == 1)) || nodes_prepare_netns_dir
  node_up || { log "the real node did not start; its logs are in $STATE/node/"; return 1; }
  NODES_READY_SECONDS=0
  nodes_up "$NODES" || return 1
  # The ServiceAccount admission plugin refuses pods until their namespace's default
  # ServiceAccount exists; wait for the controller-manager to create it in `default`.
  for i in $(seq 60); do kubectl get serviceaccount default -n default >/dev/null 2>&1 && break; sleep 1; done
  # The resource metrics API, so an HPA scales on real CPU (its own file). run_clean: the daemon
  # must not inherit our lock's fd, or it holds the lock for its whole life and the next `down`
  # waits for it (found when the merged tree's e2e hung in down).
  run_clean bash "$root/local/cluster/metrics-server.sh" up || { log "metrics-server did not start"; return 1; }
  trap - EXIT INT TERM
  LEDGER_STRICT=
  if ((NODES > 1)); then
    log "cluster '$CLUSTER' ready in $((SECONDS - t0))s ($NODES nodes: node 1 ${NODE_READY_SECONDS}s, nodes 2..$NODES ${NODES_READY_SECONDS}s of it); KUBECONFIG=$KUBECONFIG_OUT"
  else
    log "cluster '$CLUSTER' ready in $((SECONDS - t0))s (the node ${NODE_READY_SECONDS}s of it); KUBECONFIG=$KUBECONFIG_OUT"
  fi
}

# An `up` that failed (or was interrupted) removes what it created (review m14), after keeping
# the logs; TASKFLOW_KEEP_FAILED=1 leaves it for inspection instead.
up_failed() {
  local rc=$1
  trap - EXIT INT TERM
  ((rc != 0)) || return 0
  set +e
  LEDGER_STRICT= # the teardown runs to its end whatever it cannot record
  mkdir -p "$STATE/failed-up"
  cp -r "$KWOK_CLUSTER_DIR/logs/." "$STATE/failed-up/" 2>/dev/null
  cp "$NODE_DIR"/*.log "$STATE/failed-up/" 2>/dev/null
  if [[ -n ${TASKFLOW_KEEP_FAILED:-} ]]; then
    log "up failed ($rc); TASKFLOW_KEEP_FAILED is set, so the half-created cluster stays (remove it: cluster.sh down)"
  else
    log "up failed ($rc): removing the half-created cluster (logs kept in $STATE/failed-up/; TASKFLOW_KEEP_FAILED=1 keeps the cluster)"
    teardown
  fi
  exit "$rc"
}

# --- down --------------------------------------------------------------------------------------
down() {
  lock
  case $(ledger_state) in
    absent)
      log "no owner record for cluster '$CLUSTER' ($LEDGER_DIR/created): nothing was started by it on this host (or its down already ran); nothing touched"
      return 0 ;;
    stale)
      # Processes, interfaces, chains, netns, mounts and cgroups did not survive the reboot;
      # anything like them now belongs to someone else. Only our files go.
      log "the owner record of cluster '$CLUSTER' is from an earlier boot: nothing of it runs; removing its files only"
      rm -rf "$KWOK_CLUSTER_DIR" "$ETCD_PKI" "$KUBECONFIG_OUT" "$LEDGER_DIR"
      return 0 ;;
  esac
  teardown
  log "cluster '$CLUSTER' is down"
}

teardown() { # everything the ledger lists; the ledger stays as $LEDGER_DIR.done (what `leftovers` checks)
  # Parts in their own files, each stopping only what its own pid file / ledger names.
  bash "$root/local/cluster/metrics-server.sh" down || true
  [[ ! -e $STATE/standin/ledger ]] || bash "$root/local/standin/elasticache.sh" down || true
  # Extra nodes first: node 1's node_down removes host-wide things they hang off (TFN-NODES).
  nodes_down
  node_down
  nodes_release_netns_dir
  cp_stop
  log "deleting cluster '$CLUSTER' ..."
  rm -rf "$KWOK_CLUSTER_DIR" "$ETCD_PKI" "$KUBECONFIG_OUT" "$KUBECONFIG_OUT.tmp"
  rm -rf "$LEDGER_DIR.done"; mv "$LEDGER_DIR" "$LEDGER_DIR.done"
}

# --- status and leftovers (read-only) ----------------------------------------------------------
# Processes running one of the binaries `up` recorded with this cluster's state dir (or, for
# the node's, its run dir) in their arguments: a check of the ledger that does not trust it.
scan_procs() {
  local bins d pid exe
  bins=" $(ledger_list bin | awk '{ printf "%s ", $2 }')"
  [[ $bins != " " ]] || return 0
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    exe=$(proc_exe "$pid") || continue
    [[ -n $exe && $bins == *" $exe "* ]] || continue
    tr '\0' ' ' < "$d/cmdline" 2>/dev/null | grep -qF -e "$STATE/" -e "$NODE_RUN/" &&
      echo "process: $(basename "$exe") (pid $pid)"
  done
  return 0
}

leftovers() {
  # The live ledger, or the receipt of the last down (this boot): either says what was ours.
  [[ -f $LEDGER_DIR/created ]] || LEDGER_DIR=$LEDGER_DIR.done
  [[ $(ledger_state) == current ]] || return 0
  local p
  for p in "${CP_PROCS[@]}"; do
    pidrec_check "$LEDGER_DIR/pids/$p.pid" && echo "process: $p (pid $(pidrec_pid "$LEDGER_DIR/pids/$p.pid"))"
  done
  scan_procs
  node_leftovers
  nodes_leftovers
  local k before ours now
  while read -r k before; do
    ours=$(ledger_list sysctl-ours | awk -v k="$k" '$1 == k { sub(/^[^ ]+ /, ""); v = $0 } END { print v }')
    now=$(sysctl_get "$k")
    [[ -n $ours && $(sysctl_decide "$before" "$ours" "$now") == restore ]] && echo "kernel setting: $k=$now (before up: $before)"
  done < <(ledger_list sysctl)
  [[ -d $KWOK_CLUSTER_DIR ]] && [[ $LEDGER_DIR == *.done ]] && echo "files: $KWOK_CLUSTER_DIR"
  return 0
}

status() {
  if [[ $(ledger_state) != current ]]; then
    echo "cluster '$CLUSTER': absent"
    local left; left=$(leftovers | sort -u)
    if [[ -n $left ]]; then echo "left on the host by its last run:"; echo "  ${left//$'\n'/$'\n'  }"; fi
    return 3
  fi
  if cp_running && [[ -x $TOOLS_BIN/kubectl ]] && api_ready; then
    echo "cluster '$CLUSTER': running (KUBECONFIG=$KUBECONFIG_OUT)"
    kubectl get nodes -o wide -L topology.kubernetes.io/zone
  elif cp_running; then
    echo "cluster '$CLUSTER': running (KUBECONFIG=$KUBECONFIG_OUT; no kubectl in $TOOLS_BIN to ask it more)"
  else
    echo "cluster '$CLUSTER': not running (partly started or stopped: cluster.sh down removes it)"
  fi
  local p
  for p in "${CP_PROCS[@]}"; do
    if pidrec_check "$LEDGER_DIR/pids/$p.pid"; then echo "  $p: running (pid $(pidrec_pid "$LEDGER_DIR/pids/$p.pid"))"; else echo "  $p: stopped"; fi
  done
  if node_mine; then echo "  node $NODE_NAME (host network, zone $NODE_ZONE):"; node_status | sed 's/^/  /'; nodes_status; else echo "  real node: $( (node_owner || echo none) | sed 's/^/owned by /')"; fi
  cp_running || return 3
}

cmd=${1:-}; shift || true
NODES=${TASKFLOW_NODES:-1}
while (($#)); do
  case $1 in
    --nodes) NODES=${2:-}; shift 2 || { echo "--nodes needs a number" >&2; exit 2; } ;;
    --nodes=*) NODES=${1#--nodes=}; shift ;;
    *) echo "unknown argument: $1 (usage: $0 up|check [--nodes N])" >&2; exit 2 ;;
  esac
done
if [[ $cmd == up || $cmd == check ]] && { ! [[ $NODES =~ ^[0-9]+$ ]] || ((10#$NODES < 1 || 10#$NODES > NODES_MAX)); }; then
  echo "--nodes / TASKFLOW_NODES must be a number 1..$NODES_MAX (got '$NODES')" >&2; exit 2
fi
case $cmd in
  up) up ;;
  down) down ;;
  status) status ;;
  check) why=$(node_check); [[ -n $why ]] || why=$(nodes_check "$NODES"); if [[ -n $why ]]; then echo "$why"; exit 4; fi ;;
  leftovers) leftovers | sort -u ;;
  *) echo "usage: $0 up|down|status|check|leftovers  (up and check: [--nodes N])" >&2; exit 2 ;;
esac
