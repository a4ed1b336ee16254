#!/usr/bin/env bash
# The main job: deploy a stack (default: dev) for real.
#
#   npm start                                  # dev, on the local cluster (no questions)
#   npm start -- rehearsal                     # prod's release on the local cluster, against the
#                                              # ElastiCache stand-in (local/standin/elasticache.sh)
#   npm start -- <stack> --context <name>      # your cluster: preview, then asks
#   npm start -- <stack>                       # a stack whose config names its cluster
#
# 1. The default (no cloud account, no cluster, no internet needed): bootstrap the pinned
#    toolchain (local/toolchain/tools.sh), start the local cluster with its real node
#    (local/cluster/cluster.sh), use a file backend and a generated passphrase in the state dir
#    (local/stack.sh), and run the real `pulumi up --stack dev --yes` on it. Your kube contexts
#    and your Pulumi backend are never touched.
# 2. Your own cluster, only when named: `--context NAME`, or a stack config that names its
#    cluster (cluster.context, cluster.kubeconfig or cluster.stackReference). Then it is your
#    Pulumi CLI and backend, the preview first, and `pulumi up` asks before changing anything.
#    The current kube context is never used because it happens to be current (review M7): a
#    developer whose context is the prod cluster gets nothing deployed there.
# The offline plan (config validated, stack built under mocks, manifests rendered) is
# `npm run plan`; it is never run in place of a deploy.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
stack=dev context=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --context) context=${2:?--context needs a kube context name}; shift 2 ;;
    --context=*) context=${1#*=}; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    -*) echo "npm start: unknown option $1 (usage: npm start [-- <stack>] [--context NAME])" >&2; exit 2 ;;
    *) stack=$1; shift ;;
  esac
done
[[ -f Pulumi.$stack.yaml ]] || { echo "no Pulumi.$stack.yaml: choose one of: $(ls Pulumi.*.yaml | sed -n 's/^Pulumi\.\(.*\)\.yaml$/\1/p' | tr '\n' ' ')" >&2; exit 2; }
bash scripts/ensure-npm.sh
# How the stack's config reaches its cluster (ops/cluster-target.ts): ambient (no credentials in
# the config), with or without cluster.context; or carried by the config.
target=$(node node_modules/ts-node/dist/bin.js --transpile-only ops/cluster-target.ts --stack "$stack")
field() { node -p "JSON.parse(process.argv[1]).$1 ?? ''" "$target"; }
credentials=$(field credentials) config_context=$(field context)

if [[ -n $context || -n $config_context || $credentials != ambient ]]; then
  command -v pulumi >/dev/null 2>&1 || { echo "npm start: deploying to your cluster needs the Pulumi CLI on PATH (https://www.pulumi.com/docs/iac/download-install/); without --context, npm start deploys dev to the local cluster" >&2; exit 2; }
  env_args=()
  if [[ -n $context ]]; then
    [[ -z $config_context || $config_context == "$context" ]] || { echo "npm start: --context $context, but Pulumi.$stack.yaml pins cluster.context $config_context" >&2; exit 2; }
    [[ $credentials == ambient ]] || { echo "npm start: Pulumi.$stack.yaml carries its cluster's credentials ($credentials): drop --context" >&2; exit 2; }
    command -v kubectl >/dev/null 2>&1 || { echo "npm start: --context needs kubectl on PATH" >&2; exit 2; }
    # A kubeconfig holding only that context, as the current one: the program's ambient
    # kubeconfig then cannot be anything else.
    kc=$(mktemp); trap 'rm -f "$kc"' EXIT
    kubectl config view --flatten --minify --context "$context" > "$kc" || { echo "npm start: no kube context $context" >&2; exit 2; }
    env_args=(KUBECONFIG="$kc")
  fi
  where=${context:-${config_context:-the cluster named by Pulumi.$stack.yaml ($credentials)}}
  # The cluster must answer before the engine starts (issue 21, item 4): otherwise the preview
  # lists the changes as if it could read the cluster (the provider does not say it cannot), and
  # the up fails later with the server's URL only.
  if [[ -n $context || -n $config_context ]] && command -v kubectl >/dev/null 2>&1; then
    ctx=${context:-$config_context}
    kc_args=(); [[ -z $context ]] || kc_args=(--kubeconfig "$kc")
    if ! err=$(kubectl "${kc_args[@]}" --context "$ctx" get --raw /readyz --request-timeout=10s 2>&1 >/dev/null); then
      server=$(kubectl "${kc_args[@]}" config view --minify --context "$ctx" -o 'jsonpath={.clusters[0].cluster.server}' 2>/dev/null || true)
      echo "npm start: the Kubernetes API server of context $ctx (${server:-server unknown}) does not answer; nothing was changed. ${err##*$'\n'}" >&2
      exit 1
    fi
  fi
  echo "== pulumi up --stack $stack on $where (your Pulumi CLI and backend: $(pulumi whoami --verbose 2>/dev/null | sed -n 's/^Backend URL: //p' || echo unknown))"
  bash scripts/chart-deps.sh
  # No --yes: pulumi up shows the preview, then asks.
  env "${env_args[@]}" pulumi up --stack "$stack" --diff --policy-pack policy --policy-pack-config policy/policy-config.json
  pulumi stack output --stack "$stack"
  exit 0
fi

if [[ $stack != dev && $stack != rehearsal ]]; then
  echo "Stack '$stack' names no cluster (no cluster.context, kubeconfig or stackReference): name one with" >&2
  echo "  npm start -- $stack --context <kube context>. The local cluster runs dev and rehearsal: npm start [-- rehearsal]" >&2
  exit 2
fi

echo "== deploying $stack to the local cluster (real node, real containers); your own cluster: npm start -- $stack --context <name>"
# shellcheck source=../local/toolchain/tools.sh
# chart: helm, so the next commands of docs/operations.md (npm run drift, diff, plan) work on this machine.
source local/toolchain/tools.sh engine cluster node plugins chart || exit 1
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
  # Prod's Ingress names the IngressClass `alb` and the preflight reads it (the AWS Load Balancer
  # Controller makes it on EKS). Here the object alone: no controller serves it, so the Ingress
  # is an object only and the app is reached through its Service. (Same object:
  # e2e/rehearsal-stack.ts.) Gone with the cluster (cluster.sh down).
  "$TOOLS_BIN/kubectl" apply -f - <<'YAML'
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: alb
  labels: { app.kubernetes.io/managed-by: taskflow-local }
  annotations: { taskflow-api/note: "object only: no controller on the local cluster" }
spec:
  controller: ingress.k8s.aws/alb
YAML
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
