#!/usr/bin/env bash
# metrics-server on the local cluster: the resource metrics API (metrics.k8s.io/v1beta1) that an
# HPA scales on, and that EKS does not install by default (docs/operations.md, cluster prerequisites).
#
#   bash local/cluster/metrics-server.sh up     # start (or keep) it; returns once the API serves
#   bash local/cluster/metrics-server.sh down   # stop it by pid; remove its APIService and Service
#
# A host process, like the node's other parts, listening on 127.0.0.1 only. The API server (also
# on this host) reaches it through an APIService whose Service is an ExternalName for 127.0.0.1;
# the aggregator authenticates with its proxy client certificate, which metrics-server checks
# against the cluster CA (delegated authentication). It scrapes the real kubelet's
# /metrics/resource on the node's InternalIP with the cluster's admin credentials.
# insecureSkipTLSVerify on the APIService: the serving certificate is self-signed, generated at
# start into the state dir, and the only client is the API server on the same host.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE=${TASKFLOW_STATE_DIR:-$root/.state}
mkdir -p "$STATE"; STATE=$(cd "$STATE" && pwd)
DIR=$STATE/metrics-server
TOOLS_DIR=${TASKFLOW_TOOLS_DIR:-$HOME/.cache/taskflow-api/tools}
BIN=${TOOLS_BIN:-$TOOLS_DIR/bin}
KUBECONFIG_FILE=$STATE/kubeconfig
# Not the kubelet's 10250: 4443 is metrics-server's own default; taken from the env if busy.
PORT=${TASKFLOW_METRICS_SERVER_PORT:-4443}

log() { printf '[metrics-server] %s\n' "$*" >&2; }
kubectl() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

alive() {
  local pid start
  [[ -f $DIR/pid ]] || return 1
  read -r pid start <"$DIR/pid"
  [[ -d /proc/$pid && $(awk '{print $22}' "/proc/$pid/stat" 2>/dev/null) == "$start" ]]
}

up() {
  [[ -x $BIN/metrics-server ]] || { log "not built: bash local/toolchain/tools.sh node"; return 1; }
  mkdir -p "$DIR"
  if ! alive; then
    "$BIN/metrics-server" --bind-address=127.0.0.1 --secure-port="$PORT" --cert-dir="$DIR/certs" \
      --kubeconfig="$KUBECONFIG_FILE" --authentication-kubeconfig="$KUBECONFIG_FILE" --authorization-kubeconfig="$KUBECONFIG_FILE" \
      --kubelet-preferred-address-types=InternalIP --kubelet-use-node-status-port --kubelet-insecure-tls \
      --metric-resolution=15s >"$DIR/log" 2>&1 &
    local pid=$!
    sleep 0.2
    echo "$pid $(awk '{print $22}' "/proc/$pid/stat")" >"$DIR/pid"
  fi
  kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata:
  name: metrics-server
  namespace: kube-system
  labels: {app.kubernetes.io/managed-by: taskflow-local}
spec:
  type: ExternalName
  externalName: 127.0.0.1
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: v1beta1.metrics.k8s.io
  labels: {app.kubernetes.io/managed-by: taskflow-local}
spec:
  group: metrics.k8s.io
  version: v1beta1
  service: {name: metrics-server, namespace: kube-system, port: $PORT}
  insecureSkipTLSVerify: true
  groupPriorityMinimum: 100
  versionPriority: 100
EOF
  # Ready when the API answers for the node: the first scrape takes one resolution period.
  local i
  for i in $(seq 90); do
    if kubectl get --raw /apis/metrics.k8s.io/v1beta1/nodes 2>/dev/null | grep -q '"usage"'; then
      log "serving metrics.k8s.io (127.0.0.1:$PORT) after ${i}s"; return 0
    fi
    alive || { log "exited; log: $DIR/log"; tail -5 "$DIR/log" >&2; return 1; }
    sleep 1
  done
  log "metrics.k8s.io did not serve node metrics within 90 s; log: $DIR/log"; tail -5 "$DIR/log" >&2
  return 1
}

down() {
  if alive; then
    local pid start
    read -r pid start <"$DIR/pid"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do [[ -d /proc/$pid ]] || break; sleep 0.1; done
    if [[ -d /proc/$pid ]]; then kill -9 "$pid" 2>/dev/null || true; fi
  fi
  if [[ -f $KUBECONFIG_FILE ]] && kubectl get --raw /readyz >/dev/null 2>&1; then
    kubectl delete apiservice v1beta1.metrics.k8s.io --ignore-not-found >/dev/null 2>&1 || true
    kubectl -n kube-system delete service metrics-server --ignore-not-found >/dev/null 2>&1 || true
  fi
  rm -rf "$DIR"
}

case ${1:-} in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
