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
# The APIService pins metrics-server's serving certificate (caBundle), made here for the
# Service's name: another local user who took port 4443 first could not feed the HPA made-up
# numbers (review m2 of 2026-12-07). The process is started in its own session with no fd of
# ours and recorded in the cluster's ledger (local/cluster/ledger.sh: boot + pid + start time).
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

LEDGER_DIR=$STATE/ledger
PIDREC=$LEDGER_DIR/pids/metrics-server.pid
# shellcheck source=SCRIPTDIR/ledger.sh
source "$root/local/cluster/ledger.sh"

log() { printf '[metrics-server] %s\n' "$*" >&2; }
kubectl() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

alive() { pidrec_check "$PIDREC"; }

serving_cert() { # self-signed, for the name the aggregator dials (the Service's) and 127.0.0.1
  [[ -s $DIR/tls.crt ]] && return 0
  (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=metrics-server.kube-system.svc \
    -addext "subjectAltName=DNS:metrics-server.kube-system.svc,IP:127.0.0.1" -keyout "$DIR/tls.key" -out "$DIR/tls.crt") >/dev/null 2>&1
}

up() {
  [[ -x $BIN/metrics-server ]] || { log "not built: bash local/toolchain/tools.sh node"; return 1; }
  [[ -d $LEDGER_DIR/pids ]] || { log "no cluster ledger in $LEDGER_DIR (cluster.sh up runs this)"; return 1; }
  (umask 077; mkdir -p "$DIR") && serving_cert || { log "cannot make its certificate in $DIR"; return 1; }
  if ! alive; then
    local pid
    pid=$(run_detached "$DIR/log" "$BIN/metrics-server" --bind-address=127.0.0.1 --secure-port="$PORT" \
      --tls-cert-file="$DIR/tls.crt" --tls-private-key-file="$DIR/tls.key" \
      --kubeconfig="$KUBECONFIG_FILE" --authentication-kubeconfig="$KUBECONFIG_FILE" --authorization-kubeconfig="$KUBECONFIG_FILE" \
      --kubelet-preferred-address-types=InternalIP --kubelet-use-node-status-port --kubelet-insecure-tls \
      --metric-resolution=15s)
    pidrec_write "$PIDREC" "$pid" "$BIN/metrics-server" || { log "exited at once; log: $DIR/log"; tail -5 "$DIR/log" >&2; return 1; }
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
  caBundle: $(base64 -w0 < "$DIR/tls.crt")
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
  pidrec_stop "$PIDREC" metrics-server 5
  local pid start # an older version's record: "PID STARTTIME" in $DIR/pid
  if read -r pid start 2>/dev/null <"$DIR/pid" && [[ $(proc_start "$pid") == "$start" ]]; then kill "$pid" 2>/dev/null || true; fi
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
