#!/usr/bin/env bash
# The local Kubernetes control plane: kwokctl's binary runtime over the tools-dir binaries
# (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok), no downloads, no
# containers. Nodes and pods are simulated by kwok: pods become Ready, Job pods Succeed (see
# scripts/cluster/stages.yaml), but no container ever runs.
#
#   bash scripts/cluster.sh up       # start (or keep) the cluster; writes $STATE/kubeconfig
#   bash scripts/cluster.sh status   # what runs, and its nodes
#   bash scripts/cluster.sh down     # stop it and delete it; no process is left behind
#
# Environment: TASKFLOW_STATE_DIR (default .state/ in the project) holds the cluster's files and
# its kubeconfig; TASKFLOW_CLUSTER (default "taskflow") names it; TASKFLOW_READY_DELAY_MS
# (default 1000) is how long a pod takes to become Ready, standing in for a readiness probe.
#
# The API server runs with authorization and admission on, so Pod Security admission is real:
# a namespace labelled pod-security.kubernetes.io/enforce=restricted refuses a non-compliant pod.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=${TASKFLOW_STATE_DIR:-$root/.state}
mkdir -p "$STATE"; STATE=$(cd "$STATE" && pwd)
CLUSTER=${TASKFLOW_CLUSTER:-taskflow}
READY_DELAY_MS=${TASKFLOW_READY_DELAY_MS:-1000}
export KWOK_WORKDIR=$STATE/kwok
KUBECONFIG_OUT=$STATE/kubeconfig
# Three zones, like an EKS node group spread over three AZs: topology spread constraints and
# PDBs then behave as they would in staging/prod.
ZONES=(us-east-1a us-east-1b us-east-1c)
NODE_CPU=4 NODE_MEMORY=16Gi NODE_PODS=110

log() { printf '[cluster] %s\n' "$*" >&2; }
# quietly CMD... : kwokctl logs JSON lines; keep them in the state dir, show them on failure.
quietly() {
  "$@" >>"$STATE/kwokctl.log" 2>&1 && return 0
  local rc=$?; log "'$*' failed ($rc); its log ($STATE/kwokctl.log):"; tail -20 "$STATE/kwokctl.log" >&2; return $rc
}

# shellcheck source=tools.sh
source "$root/scripts/tools.sh" cluster >/dev/null || exit 1
kubectl() { "$TOOLS_BIN/kubectl" --kubeconfig "$KUBECONFIG_OUT" "$@"; }

cluster_exists() { kwokctl get clusters 2>/dev/null | grep -qx "$CLUSTER"; }
api_ready() { [[ -f $KUBECONFIG_OUT ]] && kubectl get --raw /readyz --request-timeout=5s >/dev/null 2>&1; }

config_file() { # the kwokctl configuration: our binaries, admission on, our Stages
  local f=$STATE/kwokctl-$CLUSTER.yaml
  {
    cat <<YAML
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
  kwokControllerBinary: $TOOLS_BIN/kwok
  kubeAuthorization: true
  kubeAdmission: true
  quietPull: true
---
YAML
    sed "s/__READY_DELAY_MS__/$READY_DELAY_MS/" "$root/scripts/cluster/stages.yaml"
  } > "$f"
  echo "$f"
}

nodes_manifest() {
  local i zone
  for i in "${!ZONES[@]}"; do
    zone=${ZONES[$i]}
    cat <<YAML
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    kubernetes.io/role: agent
    type: kwok
    topology.kubernetes.io/zone: $zone
    topology.kubernetes.io/region: ${zone%?}
status:
  allocatable: { cpu: "$NODE_CPU", memory: $NODE_MEMORY, pods: "$NODE_PODS" }
  capacity: { cpu: "$NODE_CPU", memory: $NODE_MEMORY, pods: "$NODE_PODS" }
YAML
  done
}

up() {
  local t0=$SECONDS
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
  # Nodes are created with their zone labels and allocatable resources; kwok makes them Ready.
  nodes_manifest | kubectl apply -f - >/dev/null
  kubectl wait --for=condition=Ready node --all --timeout=60s >/dev/null
  # The ServiceAccount admission plugin refuses pods until their namespace's default
  # ServiceAccount exists; wait for the controller-manager to create it in `default`.
  for i in $(seq 60); do kubectl get serviceaccount default -n default >/dev/null 2>&1 && break; sleep 1; done
  log "cluster '$CLUSTER' ready in $((SECONDS - t0))s: 3 nodes in ${ZONES[*]}; KUBECONFIG=$KUBECONFIG_OUT"
}

down() {
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
  if ! cluster_exists; then echo "cluster '$CLUSTER': absent"; return 3; fi
  if api_ready; then
    echo "cluster '$CLUSTER': running (KUBECONFIG=$KUBECONFIG_OUT)"
    kubectl get nodes -L topology.kubernetes.io/zone
  else
    echo "cluster '$CLUSTER': stopped"; return 3
  fi
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
