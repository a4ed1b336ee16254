#!/usr/bin/env bash
# The main job: deploy a stack (default: dev) for real.
#
#   npm start                 # dev
#   npm start -- staging      # another stack (needs its cluster and AWS)
#   npm start -- rehearsal    # prod's release on the local cluster, against the ElastiCache
#                             # stand-in (local/standin/elasticache.sh): always the local path
#
# 1. Your own setup: with the Pulumi CLI on PATH and a reachable Kubernetes context, this is
#    `pulumi up --stack S` against them, with your backend and plugins.
# 2. Otherwise, the embedded default (no cloud account, no cluster, no internet needed):
#    bootstrap the pinned toolchain (local/toolchain/tools.sh), start the local cluster with its real
#    node (local/cluster/cluster.sh), use a file backend and a generated passphrase in the state dir
#    (local/stack.sh), and run the real `pulumi up --stack dev --yes` on it.
# The offline plan (config validated, stack built under mocks, manifests rendered) is
# `npm run plan`; it is never run in place of a deploy.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
stack=${1:-dev}
[[ -f Pulumi.$stack.yaml ]] || { echo "no Pulumi.$stack.yaml: choose one of: $(ls Pulumi.*.yaml | sed -n 's/^Pulumi\.\(.*\)\.yaml$/\1/p' | tr '\n' ' ')" >&2; exit 2; }

own_setup() {
  command -v pulumi >/dev/null 2>&1 && command -v kubectl >/dev/null 2>&1 &&
    kubectl version --request-timeout=5s >/dev/null 2>&1
}

# The rehearsal needs the stand-in, which runs on this host next to the local cluster.
if [[ $stack != rehearsal ]] && own_setup; then
  echo "== pulumi up --stack $stack (your Pulumi CLI, backend and kube context: $(kubectl config current-context))"
  bash scripts/ensure-npm.sh
  bash scripts/chart-deps.sh
  pulumi up --stack "$stack" --yes
  pulumi stack output --stack "$stack"
  exit 0
fi

if [[ $stack != dev && $stack != rehearsal ]]; then
  echo "Stack '$stack' needs its own cluster (and AWS for ElastiCache/IRSA): no Pulumi CLI with a reachable" >&2
  echo "kube context was found. The local cluster runs dev and rehearsal: npm start [-- rehearsal]" >&2
  exit 2
fi

echo "== deploying $stack to the local cluster (real node, real containers)"
# shellcheck source=../local/toolchain/tools.sh
source local/toolchain/tools.sh engine cluster node plugins || exit 1
bash scripts/ensure-npm.sh
bash scripts/chart-deps.sh
bash local/cluster/cluster.sh up
# shellcheck source=../local/stack.sh
source local/stack.sh
config=$(local_stack_init "$stack")
if [[ $stack == rehearsal ]]; then
  bash local/standin/elasticache.sh up
  # The stand-in's token and CA become the stack's secret config values, in the private config
  # copy only (encrypted with this backend's passphrase). The token goes through stdin, not argv.
  pulumi config set --stack rehearsal --config-file "$config" --secret --path 'taskflow-api:redis.authToken' <"$STATE/standin/token"
  pulumi config set --stack rehearsal --config-file "$config" --secret --path 'taskflow-api:redis.caCert' -- "$(cat "$STATE/standin/ca.crt")"
fi

echo "== pulumi up --stack $stack --yes (Pulumi $(pulumi version), backend $PULUMI_BACKEND_URL)"
# --refresh: the cluster may be new (cluster.sh down deletes it) while the state still lists what
# was deployed; refreshing first lets `up` re-create what is missing.
pulumi up --stack "$stack" --config-file "$config" --yes --refresh
echo
echo "== stack outputs"
pulumi stack output --stack "$stack"
ns=$(pulumi stack output namespace --stack "$stack")
echo
echo "== pods in $ns (real containers on the local node)"
"$TOOLS_BIN/kubectl" get pods -n "$ns" -o wide
# The app answering from its container, through the Service (kube-proxy's rules on this host):
# /v1/roundtrip does an authenticated Redis write and read against the Valkey pod (dev) or, over
# TLS, the stand-in's primary (rehearsal).
svc=$("$TOOLS_BIN/kubectl" get service taskflow-api -n "$ns" -o jsonpath='{.spec.clusterIP}:{.spec.ports[0].port}')
echo
echo "== GET http://$svc/v1/roundtrip (the app, through the Service, with a Redis round trip)"
answer=""
for _ in $(seq 30); do
  answer=$(curl -fsS --max-time 5 "http://$svc/v1/roundtrip" 2>/dev/null) && break
  sleep 1
done
[[ -n $answer ]] || { echo "the app did not answer on http://$svc/v1/roundtrip" >&2; exit 1; }
echo "$answer"
cat <<EOF

Deployed for real: stack $stack on the local cluster (state and passphrase in $STATE).
  export KUBECONFIG=$KUBECONFIG PATH=$TOOLS_BIN:\$PATH
  kubectl -n $ns get all
  curl http://$svc/v1/roundtrip                              # from this host, via kube-proxy
  kubectl -n $ns port-forward svc/taskflow-api 8080:80       # or through the API server
Stop the cluster: bash local/cluster/cluster.sh down   (the stack state stays in $STATE/backend)
EOF
