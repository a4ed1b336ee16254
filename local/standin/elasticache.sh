#!/usr/bin/env bash
# An ElastiCache stand-in for the `rehearsal` stack: what the AWS half of prod hands the
# Kubernetes half (a primary endpoint name, a port, TLS, an AUTH token), played for real on this
# host, so the release that `pulumi up --stack prod` makes can run against it.
#
#   bash local/standin/elasticache.sh up         # CA + certificate, 3 nodes, the endpoint Service
#   bash local/standin/elasticache.sh failover   # promote a replica, demote the primary, move the name
#   bash local/standin/elasticache.sh rotate     # token step 1 (ROTATE): a new token, the old one still valid
#   bash local/standin/elasticache.sh retire     # token step 2 (SET): only the newest token stays valid
#   bash local/standin/elasticache.sh status     # role and address of every node, the endpoint's target
#   bash local/standin/elasticache.sh cli ARGS   # redis-cli against the primary endpoint (TLS, token)
#   bash local/standin/elasticache.sh down       # stop the nodes by pid, remove what `up` created
#
# What it is, and why so:
# - Three redis-server processes (Debian's 7.0 from local/images/build.sh host-redis; it has TLS),
#   a primary and two replicas replicating over TLS, like a Multi-AZ replication group with
#   numNodes 3. TLS only: `port 0`, so there is no plaintext listener at all.
# - Each node listens on its own private address (10.245.0.11-13, TLS port 6379) on a bridge
#   without ports, `tfcache0`, that this script creates: outside the pod network, like a VPC
#   subnet, reachable from this host and its pods (via the node's routing), from nowhere else.
#   Nothing listens on 0.0.0.0.
# - A local CA (made here, key never leaves $STATE/standin) signs the nodes' certificate; the
#   rehearsal stack trusts it through redis.caCert. `tls-auth-clients no`: ElastiCache does
#   not ask clients for certificates either.
# - requirepass and masterauth are the stack's token ($STATE/standin/token, 0600, generated once
#   and handed to the stack as the secret config value redis.authToken by ops/start.sh).
# - The primary endpoint name is a Service without selector in namespace taskflow-standin whose
#   EndpointSlice this script owns: primary.taskflow-standin.svc.cluster.local resolves (CoreDNS)
#   to the Service's ClusterIP, and kube-proxy sends new connections to the current primary.
#   `failover` moves it, as ElastiCache moves the primary endpoint's DNS record; established
#   connections stay on the demoted node, which answers writes with READONLY (review m1).
# - NetworkPolicy: kube-proxy DNATs the ClusterIP to the node's address before the filter, so
#   the app's egress rule names the nodes' CIDR (redis.egressCidrs: 10.245.0.8/29) and the TLS
#   port; kube-router enforces it on the pod's traffic to this host (its INPUT hook), which the
#   e2e suite checks (a non-allowed port on the same address is refused).
#
# Every process is recorded (boot, pid, start time) and stopped by that record; the bridge (tagged
# with this state dir) and the Kubernetes objects are recorded in the ledger before they exist and
# removed by `down`, nothing else (local/cluster/ledger.sh, as the cluster).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE=${TASKFLOW_STATE_DIR:-$root/.state}
mkdir -p "$STATE"; STATE=$(cd "$STATE" && pwd)
DIR=$STATE/standin
# The cluster's ledger rules (local/cluster/ledger.sh): the boot it was written in, each thing
# recorded before it exists, processes by boot + pid + start time (review M6 of 2026-12-07).
LEDGER_DIR=$DIR/ledger
# Host-wide: tfcache0 and the node addresses are one per host. Not the cluster's own lock: the
# cluster's `down` runs ours while holding that one.
LOCK_FILE=${TASKFLOW_STANDIN_LOCK:-/run/taskflow-standin.lock}
TOOLS_DIR=${TASKFLOW_TOOLS_DIR:-$HOME/.cache/taskflow-api/tools}
KUBECTL=${KUBECTL:-$TOOLS_DIR/bin/kubectl}
# This state dir's cluster, never the caller's ambient KUBECONFIG: `down` deletes a namespace, and
# must not do so in whatever cluster the caller's shell names (review M6 of 2026-12-07).
KUBECONFIG_FILE=$STATE/kubeconfig

IFACE=tfcache0
# The nodes' CIDR (redis.egressCidrs of the rehearsal stack): 10.245.0.8/29.
NODES=(10.245.0.11 10.245.0.12 10.245.0.13)
PORT=6379
NAMESPACE=taskflow-standin
SERVICE=primary
ENDPOINT=$SERVICE.$NAMESPACE.svc.cluster.local

say() { printf '[standin] %s\n' "$*" >&2; }
die() { printf '[standin] error: %s\n' "$*" >&2; exit 1; }
kubectl() { "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" "$@"; }
# shellcheck source=SCRIPTDIR/../cluster/ledger.sh
source "$root/local/cluster/ledger.sh"
lock() {
  exec {LOCK_FD}>>"$LOCK_FILE"
  flock -w 300 "$LOCK_FD" || die "another elasticache.sh up/down holds $LOCK_FILE"
}
# The tag `up` puts on the link it created: `down` deletes only a link that carries it.
link_tag() { echo "taskflow-standin:$DIR"; }
link_ours() { ledger_has link "$IFACE" && [[ $(ip link show dev "$IFACE" 2>/dev/null | sed -n 's/^ *alias //p') == "$(link_tag)" ]]; }

# Debian's redis-server and redis-cli with their package libraries (local/images/build.sh host-redis).
# The server binary is copied into the state dir: a running binary in the shared cache would make
# the next `host-redis` (which rewrites it) fail with "Text file busy" for everyone else.
redis_bins() {
  local debroot=$TOOLS_DIR/images/debroot
  CLI=$debroot/usr/bin/redis-cli
  LIBS=$debroot/usr/lib/x86_64-linux-gnu
  SERVER=$DIR/bin/redis-server
  if [[ ! -x $SERVER ]]; then
    [[ -x $debroot/usr/bin/redis-check-rdb && -x $CLI ]] ||
      bash "$root/local/images/build.sh" host-redis >/dev/null || die "no redis-server (local/images/build.sh host-redis failed)"
    mkdir -p "$DIR/bin"
    # Named redis-server: the binary runs as a server only under that kind of name.
    cp "$debroot/usr/bin/redis-check-rdb" "$SERVER"
  fi
  [[ -x $CLI ]] || die "redis-cli not found at $CLI"
}

# cli ADDR ARGS... : redis-cli over TLS with the current token (REDISCLI_AUTH: never in argv).
cli_at() {
  local addr=$1; shift
  REDISCLI_AUTH=$(token_current) LD_LIBRARY_PATH=$LIBS "$CLI" --tls --cacert "$DIR/ca.crt" -h "$addr" -p "$PORT" --no-auth-warning "$@"
}

token_current() { tail -n 1 "$DIR/tokens"; }

make_pki() {
  [[ -s $DIR/ca.crt && -s $DIR/server.crt ]] && return
  say "making a local CA and the nodes' certificate (SANs: $ENDPOINT, the node addresses)"
  (umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=taskflow ElastiCache stand-in CA" \
      -keyout "$DIR/ca.key" -out "$DIR/ca.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$ENDPOINT" -keyout "$DIR/server.key" -out "$DIR/server.csr" 2>/dev/null
    local san="DNS:$ENDPOINT,DNS:$SERVICE.$NAMESPACE.svc,DNS:$SERVICE.$NAMESPACE" ip
    for ip in "${NODES[@]}"; do san+=",IP:$ip"; done
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$san" >"$DIR/server.ext"
    openssl x509 -req -in "$DIR/server.csr" -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" -CAcreateserial -days 30 \
      -extfile "$DIR/server.ext" -out "$DIR/server.crt" 2>/dev/null)
  chmod 644 "$DIR/ca.crt"
}

make_token() {
  [[ -s $DIR/tokens ]] && return
  # 64 characters from [0-9a-f]: within ElastiCache's AUTH token rules (16-128, printable).
  (umask 077; openssl rand -hex 32 >"$DIR/tokens")
  cp "$DIR/tokens" "$DIR/token"; chmod 600 "$DIR/token"
}

net_up() {
  if ! ip link show "$IFACE" >/dev/null 2>&1; then
    # A bridge without ports: the kernel has no dummy driver here, and a bridge's addresses are
    # local like a dummy's. Created only if absent, so never someone else's interface.
    ledger_add link "$IFACE" || die "cannot write $LEDGER_DIR"
    ip link add "$IFACE" type bridge && ip link set "$IFACE" alias "$(link_tag)" || die "could not create $IFACE"
  elif ! link_ours; then
    die "$IFACE exists and is not ours (not in $LEDGER_DIR, or not tagged $(link_tag)): refusing to use it"
  fi
  ip link set "$IFACE" up
  local ip
  for ip in "${NODES[@]}"; do
    ip addr show dev "$IFACE" | grep -q " $ip/" || ip addr add "$ip/32" dev "$IFACE"
  done
}

proc_alive() { pidrec_check "$LEDGER_DIR/pids/$1.pid"; } # the process we started, still running

node_conf() { # node_conf I: the config of node I (0 = the first primary)
  local i=$1 ip=${NODES[$1]} token
  token=$(token_current)
  mkdir -p "$DIR/node$i"
  (umask 077; cat >"$DIR/node$i/redis.conf" <<EOF
# ElastiCache stand-in node $i (generated by local/standin/elasticache.sh)
bind $ip
protected-mode yes
port 0
tls-port $PORT
tls-cert-file $DIR/server.crt
tls-key-file $DIR/server.key
tls-ca-cert-file $DIR/ca.crt
tls-auth-clients no
tls-replication yes
requirepass $token
masterauth $token
dir $DIR/node$i
logfile $DIR/node$i/redis.log
save ""
appendonly no
# ElastiCache's default: writes to a replica fail rather than land on it.
replica-read-only yes
# Not ElastiCache's close-on-replica-write: the app must cope without it (review m1).
EOF
  if ((i > 0)); then echo "replicaof ${NODES[0]} $PORT" >>"$DIR/node$i/redis.conf"; fi)
}

start_node() {
  local i=$1
  proc_alive "node$i" && return
  node_conf "$i"
  local pid
  # Its own session, no fd of ours (the lock), recorded right after the fork (ledger.sh).
  pid=$(LD_LIBRARY_PATH=$LIBS run_detached "$DIR/node$i/stdout.log" "$SERVER" "$DIR/node$i/redis.conf")
  pidrec_write "$LEDGER_DIR/pids/node$i.pid" "$pid" "$SERVER" || die "node $i (pid $pid) did not start (log: $DIR/node$i/redis.log)"
}

wait_ready() {
  local i ok
  for _ in $(seq 100); do
    ok=1
    for i in 0 1 2; do
      [[ $(cli_at "${NODES[$i]}" PING 2>/dev/null) == PONG ]] || ok=0
    done
    # Replicas in sync: the primary reports both connected.
    [[ $ok == 1 && $(cli_at "$(cat "$DIR/primary")" INFO replication 2>/dev/null | tr -d '\r' | sed -n 's/^connected_slaves://p') == 2 ]] && return 0
    sleep 0.2
  done
  die "the nodes did not come up (logs: $DIR/node*/redis.log)"
}

endpoint_apply() { # points the primary endpoint's EndpointSlice at ADDR
  local addr=$1
  kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $NAMESPACE
  labels: {app.kubernetes.io/managed-by: taskflow-standin}
---
apiVersion: v1
kind: Service
metadata:
  name: $SERVICE
  namespace: $NAMESPACE
  labels: {app.kubernetes.io/managed-by: taskflow-standin}
spec:
  # No selector: the endpoints are the stand-in's nodes outside the pod network.
  ports: [{name: redis-tls, port: $PORT, targetPort: $PORT, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: $SERVICE-1
  namespace: $NAMESPACE
  labels:
    kubernetes.io/service-name: $SERVICE
    endpointslice.kubernetes.io/managed-by: taskflow-standin
addressType: IPv4
ports: [{name: redis-tls, port: $PORT, protocol: TCP}]
endpoints:
  - addresses: ["$addr"]
    conditions: {ready: true}
EOF
  ledger_add k8s "namespace/$NAMESPACE" || die "cannot write $LEDGER_DIR"
}

cmd_up() {
  command -v openssl >/dev/null || die "openssl is needed for the local CA"
  [[ -x $KUBECTL ]] || die "kubectl not found at $KUBECTL (local/toolchain/tools.sh cluster)"
  kubectl get --raw /readyz >/dev/null 2>&1 || die "no cluster at $KUBECONFIG_FILE (bash local/cluster/cluster.sh up)"
  lock
  [[ ! -f $DIR/ledger ]] || die "a stand-in of an older version runs from $DIR: elasticache.sh down first"
  (umask 077; mkdir -p "$DIR") && chmod 700 "$DIR" || die "cannot create $DIR"
  ledger_open || die "cannot write $LEDGER_DIR"
  # A failure (a full disk included: LEDGER_STRICT) undoes what this up made.
  trap 'rc=$?; if ((rc != 0)); then say "up failed ($rc): removing what it made"; LEDGER_STRICT= teardown; fi' EXIT
  LEDGER_STRICT=1
  redis_bins
  make_pki
  make_token
  net_up
  [[ -s $DIR/primary ]] || echo "${NODES[0]}" >"$DIR/primary"
  local i
  for i in 0 1 2; do start_node "$i"; done
  wait_ready
  endpoint_apply "$(cat "$DIR/primary")"
  trap - EXIT
  say "up: primary $(cat "$DIR/primary"), endpoint $ENDPOINT:$PORT (TLS only), CA $DIR/ca.crt, token $DIR/token"
}

# The node that is primary now, by asking every node (not trusting the file).
find_primary() {
  local ip
  for ip in "${NODES[@]}"; do
    if cli_at "$ip" ROLE 2>/dev/null | head -n 1 | grep -qx master; then echo "$ip"; return; fi
  done
  return 1
}

cmd_failover() {
  redis_bins
  local old new ip t0
  old=$(find_primary) || die "no primary found"
  for ip in "${NODES[@]}"; do [[ $ip != "$old" ]] && { new=$ip; break; }; done
  t0=$(date +%s.%N)
  # Promote first, then demote: as in an ElastiCache test failover, there is a short window
  # with two primaries and no window without one.
  cli_at "$new" REPLICAOF NO ONE >/dev/null
  for ip in "${NODES[@]}"; do
    [[ $ip == "$new" ]] || cli_at "$ip" REPLICAOF "$new" "$PORT" >/dev/null
  done
  echo "$new" >"$DIR/primary"
  endpoint_apply "$new"
  say "failover: $old -> $new in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}') s (endpoint moved; connections to $old now get READONLY on writes)"
  echo "$new"
}

# Step 1 (ElastiCache ROTATE): add a new token; the old one stays valid on every node.
cmd_rotate() {
  redis_bins
  local new ip
  new=$(openssl rand -hex 32)
  # Tokens go to redis-cli on stdin (one command a line), never on its argv, which `ps` shows
  # to every user (review m1 of 2026-12-07).
  for ip in "${NODES[@]}"; do
    printf 'ACL SETUSER default >%s\n' "$new" | cli_at "$ip" >/dev/null
    printf 'CONFIG SET masterauth %s\n' "$new" | REDISCLI_AUTH=$new LD_LIBRARY_PATH=$LIBS "$CLI" --tls --cacert "$DIR/ca.crt" -h "$ip" -p "$PORT" --no-auth-warning >/dev/null
  done
  (umask 077; echo "$new" >>"$DIR/tokens"; echo "$new" >"$DIR/token")
  say "rotate: a new token is valid on every node; the previous one still is (retire it after the app moved)"
}

# Step 2 (ElastiCache SET): only the newest token stays valid.
cmd_retire() {
  redis_bins
  local ip old
  [[ $(wc -l <"$DIR/tokens") -ge 2 ]] || die "nothing to retire: one token only"
  while read -r old; do
    [[ $old == "$(token_current)" ]] && continue
    for ip in "${NODES[@]}"; do printf 'ACL SETUSER default <%s\n' "$old" | cli_at "$ip" >/dev/null; done
  done <"$DIR/tokens"
  (umask 077; token_current >"$DIR/tokens.new"; mv "$DIR/tokens.new" "$DIR/tokens")
  say "retire: only the newest token is valid"
}

cmd_status() {
  redis_bins
  local ip
  for ip in "${NODES[@]}"; do
    printf '%s %s\n' "$ip" "$(cli_at "$ip" ROLE 2>/dev/null | head -n 1 || echo down)"
  done
  kubectl -n "$NAMESPACE" get endpointslice "$SERVICE-1" -o jsonpath='endpoint -> {.endpoints[0].addresses[0]}{"\n"}' 2>/dev/null || true
}

teardown() { # what the ledger lists; then the directory (CA, token, data: a new group starts empty)
  local i
  for i in 0 1 2; do pidrec_stop "$LEDGER_DIR/pids/node$i.pid" "node$i" 5; done
  if ledger_has k8s "namespace/$NAMESPACE" && [[ -x $KUBECTL ]] && kubectl get --raw /readyz >/dev/null 2>&1; then
    kubectl delete namespace "$NAMESPACE" --wait=false >/dev/null 2>&1 || true
  fi
  if link_ours; then ip link del "$IFACE" 2>/dev/null || true; fi
  rm -rf "$DIR"
}

cmd_down() {
  lock
  if [[ -f $DIR/ledger ]]; then # an older version's stand-in: its pid files held "PID STARTTIME"
    local i pid start
    for i in 0 1 2; do
      { read -r pid start <"$DIR/node$i.pid" && [[ $(proc_start "$pid") == "$start" ]] && kill "$pid"; } 2>/dev/null || true
    done
    if grep -qxF "link $IFACE" "$DIR/ledger"; then ip link del "$IFACE" 2>/dev/null || true; fi
    rm -rf "$DIR"; say "down: the older version's stand-in removed"; return
  fi
  case $(ledger_state) in
    absent) say "nothing to stop (no ledger in $LEDGER_DIR)"; return ;;
    stale) say "the ledger is from an earlier boot: nothing of it runs; removing its files only"; rm -rf "$DIR"; return ;;
  esac
  teardown
  say "down: nodes stopped, $IFACE and namespace $NAMESPACE removed"
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  failover) cmd_failover ;;
  rotate) cmd_rotate ;;
  retire) cmd_retire ;;
  status) cmd_status ;;
  cli) shift; redis_bins; cli_at "$(cat "$DIR/primary")" "$@" ;;
  *) echo "usage: $0 up|down|failover|rotate|retire|status|cli ARGS" >&2; exit 2 ;;
esac
