#!/usr/bin/env bash
# The local Kubernetes cluster: a control plane run by kwokctl's binary runtime from the
# tools-dir binaries (etcd, kube-apiserver, kube-controller-manager, kube-scheduler), and one
# REAL node (local/cluster/node.sh): containerd + runc, a kubelet, kube-proxy, CoreDNS and
# kube-router's NetworkPolicy firewall, running real containers from locally built images.
# No downloads, no registry.
#
#   bash local/cluster/cluster.sh up       # start (or keep) the cluster; writes $STATE/kubeconfig
#   bash local/cluster/cluster.sh status   # what runs, its node, and anything of ours left on the host
#   bash local/cluster/cluster.sh down     # stop everything by pid, remove what it created, restore
#                                    # the kernel settings; nothing is left behind
#   bash local/cluster/cluster.sh check    # can this host run the real node? (prints why not)
#
# Environment: TASKFLOW_STATE_DIR (default .state/ in the project) holds the cluster's files and
# its kubeconfig; TASKFLOW_CLUSTER (default "taskflow") names it. One real node per host.
#
# The API server runs with authorization and admission on, so Pod Security admission is real:
# a namespace labelled pod-security.kubernetes.io/enforce=restricted refuses a non-compliant pod.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE=${TASKFLOW_STATE_DIR:-$root/.state}
mkdir -p "$STATE"; STATE=$(cd "$STATE" && pwd)
CLUSTER=${TASKFLOW_CLUSTER:-taskflow}
export KWOK_WORKDIR=$STATE/kwok
KUBECONFIG_OUT=$STATE/kubeconfig
KWOK_PKI=$KWOK_WORKDIR/clusters/$CLUSTER/pki

log() { printf '[cluster] %s\n' "$*" >&2; }
# quietly CMD... : kwokctl logs JSON lines; keep them in the state dir, show them on failure.
quietly() {
  "$@" >>"$STATE/kwokctl.log" 2>&1 && return 0
  local rc=$?; log "'$*' failed ($rc); its log ($STATE/kwokctl.log):"; tail -20 "$STATE/kwokctl.log" >&2; return $rc
}

# shellcheck source=../toolchain/tools.sh
source "$root/local/toolchain/tools.sh" cluster node >/dev/null || exit 1
# shellcheck source=node.sh
source "$root/local/cluster/node.sh"
# (the whole list first: grep -m1 closing the pipe early would fail the pipeline)
_images=$(bash "$root/local/images/build.sh" list)
# shellcheck disable=SC2034 # used by cluster/node.sh (containerd's sandbox image)
PAUSE_IMAGE=$(grep -m1 /pause: <<<"$_images")
kubectl() { "$TOOLS_BIN/kubectl" --kubeconfig "$KUBECONFIG_OUT" "$@"; }

cluster_exists() { kwokctl get clusters 2>/dev/null | grep -qx "$CLUSTER"; }
api_ready() { [[ -f $KUBECONFIG_OUT ]] && kubectl get --raw /readyz --request-timeout=5s >/dev/null 2>&1; }

config_file() { # the kwokctl configuration: our binaries, admission on
  local f=$STATE/kwokctl-$CLUSTER.yaml
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
  # No kwok controller: it would manage every node (the real one included), fake pod states
  # and even "complete" Job pods that never ran. The real kubelet owns the node here.
  disable: [kwok-controller]
  kubeAuthorization: true
  kubeAdmission: true
  quietPull: true
componentsPatches:
  # The API server calls the real kubelet (logs, exec, port-forward) with the cluster's admin
  # client certificate; the kubelet trusts the cluster CA and authorizes through the API.
  - name: kube-apiserver
    extraArgs:
      - { key: kubelet-client-certificate, value: $KWOK_PKI/admin.crt }
      - { key: kubelet-client-key, value: $KWOK_PKI/admin.key }
      # The node's name is not in DNS here; its InternalIP is what to dial.
      - { key: kubelet-preferred-address-types, value: InternalIP }
YAML
  echo "$f"
}

up() {
  local t0=$SECONDS why
  why=$(node_check)
  [[ -z $why ]] || { log "this host cannot run the real node: $why"; return 4; }
  node_owner_check || return 1
  if cluster_exists; then
    if api_ready; then log "cluster '$CLUSTER' is already running"; else
      log "starting the existing cluster '$CLUSTER' ..."
      quietly kwokctl start cluster --name "$CLUSTER"
    fi
  else
    log "creating cluster '$CLUSTER' (Kubernetes $KUBERNETES_VERSION, kwok $KWOK_VERSION, binary runtime) ..."
    quietly kwokctl create cluster --name "$CLUSTER" --config "$(config_file)" --wait 120s
  fi
  kwokctl get kubeconfig --name "$CLUSTER" > "$KUBECONFIG_OUT.tmp"
  chmod 600 "$KUBECONFIG_OUT.tmp"; mv "$KUBECONFIG_OUT.tmp" "$KUBECONFIG_OUT"
  local i
  for i in $(seq 60); do api_ready && break; sleep 1; done
  api_ready || { log "the API server did not become ready; logs: kwokctl logs kube-apiserver --name $CLUSTER"; return 1; }
  node_up || { log "the real node did not start; its logs are in $STATE/node/"; return 1; }
  # The ServiceAccount admission plugin refuses pods until their namespace's default
  # ServiceAccount exists; wait for the controller-manager to create it in `default`.
  for i in $(seq 60); do kubectl get serviceaccount default -n default >/dev/null 2>&1 && break; sleep 1; done
  # The resource metrics API, so an HPA scales on real CPU (its own file).
  bash "$root/local/cluster/metrics-server.sh" up || { log "metrics-server did not start"; return 1; }
  log "cluster '$CLUSTER' ready in $((SECONDS - t0))s (the node ${NODE_READY_SECONDS}s of it); KUBECONFIG=$KUBECONFIG_OUT"
}

down() {
  # Parts in their own files, each stopping only what its ledger / pid file names.
  bash "$root/local/cluster/metrics-server.sh" down || true
  [[ ! -f $STATE/standin/ledger ]] || bash "$root/local/standin/elasticache.sh" down || true
  node_down
  if cluster_exists; then
    log "deleting cluster '$CLUSTER' ..."
    quietly kwokctl delete cluster --name "$CLUSTER" || true
  fi
  rm -f "$KUBECONFIG_OUT"
  # kwokctl stops its processes by pid file; make sure nothing of this cluster survives.
  local left=()
  mapfile -t left < <(pgrep -f -- "$KWOK_WORKDIR/clusters/$CLUSTER/" || true)
  if ((${#left[@]})); then
    log "stopping leftover processes: ${left[*]}"
    kill "${left[@]}" 2>/dev/null || true; sleep 1; kill -9 "${left[@]}" 2>/dev/null || true
  fi
  log "cluster '$CLUSTER' is down"
}

status() {
  if ! cluster_exists; then
    echo "cluster '$CLUSTER': absent"
    local left; left=$(node_leftovers)
    [[ -z $left ]] || { echo "left on the host by a real node:"; echo "$left" | sed 's/^/  /'; }
    return 3
  fi
  if api_ready; then
    echo "cluster '$CLUSTER': running (KUBECONFIG=$KUBECONFIG_OUT)"
    kubectl get nodes -o wide -L topology.kubernetes.io/zone
    node_status
  else
    echo "cluster '$CLUSTER': stopped"; return 3
  fi
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) status ;;
  check) why=$(node_check); if [[ -n $why ]]; then echo "$why"; exit 4; fi ;;
  leftovers) node_leftovers ;;
  *) echo "usage: $0 up|down|status|check|leftovers" >&2; exit 2 ;;
esac
