#!/usr/bin/env bash
# The credential step of every automated path that reaches a stack's cluster: the workflows
# (stack-operation.yml, drift.yml) and the Pulumi Deployments pre-run commands (deployments/).
# One way for all of them, so a fresh runner or executor never starts an `up` that creates the
# AWS resources and then fails at the first Kubernetes object (review B2).
#
#   EKS_CLUSTER_NAME=<cluster> [AWS_REGION=<region>] bash scripts/ci-kubeconfig.sh <stack>
#
# - The stack carries its own credentials (`cluster.kubeconfig`, or `cluster.stackReference`
#   whose cluster stack exports `kubeconfig`): nothing to write; says so.
# - Otherwise the provider reads the ambient kubeconfig: `aws eks update-kubeconfig` for
#   $EKS_CLUSTER_NAME with the job's AWS role, under the alias the stack names in
#   `cluster.context` (so the provider finds exactly that context), made the current context.
#   Without EKS_CLUSTER_NAME it fails before anything is deployed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
stack=${1:?usage: EKS_CLUSTER_NAME=<cluster> bash scripts/ci-kubeconfig.sh <stack>}
target=$(cd "$root" && node "$root/node_modules/ts-node/dist/bin.js" --transpile-only ops/cluster-target.ts --stack "$stack")
field() { node -p "JSON.parse(process.argv[1]).$1 ?? ''" "$target"; }
credentials=$(field credentials) context=$(field context)
case $credentials in
  stack-kubeconfig) echo "ci-kubeconfig: stack $stack carries its kubeconfig (cluster.kubeconfig): no ambient kubeconfig needed"; exit 0 ;;
  stack-reference) echo "ci-kubeconfig: stack $stack reads its kubeconfig from cluster.stackReference: no ambient kubeconfig needed"; exit 0 ;;
esac
if [[ -z ${EKS_CLUSTER_NAME:-} ]]; then
  echo "ci-kubeconfig: stack $stack uses the ambient kubeconfig${context:+ (context $context)}, and EKS_CLUSTER_NAME is not set:" >&2
  echo "  set it (GitHub Environment variable / the stack's Deployments environmentVariables), or give the stack cluster.kubeconfig or cluster.stackReference" >&2
  exit 1
fi
args=(eks update-kubeconfig --name "$EKS_CLUSTER_NAME" --region "${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}")
[[ -n $context ]] && args+=(--alias "$context")
echo "ci-kubeconfig: aws ${args[*]}"
aws "${args[@]}"
