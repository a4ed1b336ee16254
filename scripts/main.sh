#!/usr/bin/env bash
# The main job: deploy a stack (default: dev) for real.
#
#   npm start                 # dev
#   npm start -- staging      # another stack (needs its cluster and AWS)
#
# 1. Your own setup: with the Pulumi CLI on PATH and a reachable Kubernetes context, this is
#    `pulumi up --stack S` against them, with your backend and plugins.
# 2. Otherwise, the embedded default (no cloud account, no cluster, no internet needed):
#    bootstrap the pinned toolchain (scripts/tools.sh), start the local kwok cluster
#    (scripts/cluster.sh), use a file backend and a generated passphrase in the state dir
#    (scripts/local-stack.sh), and run the real `pulumi up --stack dev --yes` on it.
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

if own_setup; then
  echo "== pulumi up --stack $stack (your Pulumi CLI, backend and kube context: $(kubectl config current-context))"
  bash scripts/ensure-npm.sh
  bash scripts/chart-deps.sh
  pulumi up --stack "$stack" --yes
  pulumi stack output --stack "$stack"
  exit 0
fi

if [[ $stack != dev ]]; then
  echo "Stack '$stack' needs its own cluster (and AWS for ElastiCache/IRSA): no Pulumi CLI with a reachable" >&2
  echo "kube context was found. The local cluster runs the dev stack only: npm start" >&2
  exit 2
fi

echo "== no Pulumi CLI with a reachable cluster on PATH: deploying dev to the local kwok cluster"
# shellcheck source=tools.sh
source scripts/tools.sh engine cluster plugins || exit 1
bash scripts/ensure-npm.sh
bash scripts/chart-deps.sh
bash scripts/cluster.sh up
# shellcheck source=local-stack.sh
source scripts/local-stack.sh
config=$(local_stack_init dev)

echo "== pulumi up --stack dev --yes (Pulumi $(pulumi version), backend $PULUMI_BACKEND_URL)"
# --refresh: the cluster may be new (cluster.sh down deletes it) while the state still lists what
# was deployed; refreshing first lets `up` re-create what is missing.
pulumi up --stack dev --config-file "$config" --yes --refresh
echo
echo "== stack outputs"
pulumi stack output --stack dev
ns=$(pulumi stack output namespace --stack dev)
echo
echo "== pods in $ns (kwok: simulated, no container runs)"
"$TOOLS_BIN/kubectl" get pods -n "$ns" -o wide
cat <<EOF

Deployed for real: stack dev on the local cluster (state and passphrase in $STATE).
  export KUBECONFIG=$KUBECONFIG PATH=$TOOLS_BIN:\$PATH
  kubectl -n $ns get all
  kubectl -n $ns port-forward svc/taskflow-api 8080:80   # the Service; kwok runs no container behind it
Stop the cluster: bash scripts/cluster.sh down   (the stack state stays in $STATE/backend)
EOF
