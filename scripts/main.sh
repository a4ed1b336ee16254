#!/usr/bin/env bash
# The main job: deploy a stack (default: dev).
#
#   npm start                 # dev
#   npm start -- staging
#
# With the Pulumi CLI on PATH and a reachable Kubernetes context, this is `pulumi up --stack S`.
# Without them (a fresh machine of this project's kind cannot download the Pulumi CLI or its
# Kubernetes provider plugin), it runs the offline plan instead: validates the stack config,
# builds the stack under mocks, prints the resource inventory and renders the manifests with
# real Helm, and says exactly what is missing for a real deploy.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
stack=${1:-dev}
[[ -f Pulumi.$stack.yaml ]] || { echo "no Pulumi.$stack.yaml: choose one of: $(ls Pulumi.*.yaml | sed -n 's/^Pulumi\.\(.*\)\.yaml$/\1/p' | tr '\n' ' ')" >&2; exit 2; }

bash scripts/ensure-npm.sh

missing=()
command -v pulumi >/dev/null 2>&1 || missing+=("the Pulumi CLI (>= $(node -p 'require("@pulumi/pulumi/package.json").version'); https://www.pulumi.com/docs/install/)")
if command -v kubectl >/dev/null 2>&1; then
  kubectl version --request-timeout=5s >/dev/null 2>&1 || missing+=("a reachable Kubernetes cluster (current kube context: $(kubectl config current-context 2>/dev/null || echo none))")
else
  missing+=("kubectl and a reachable Kubernetes cluster")
fi

if ((${#missing[@]} == 0)); then
  echo "== pulumi up --stack $stack"
  pulumi up --stack "$stack" --yes
  pulumi stack output --stack "$stack"
  exit 0
fi

echo "== offline plan for stack '$stack' (not deploying)"
printf '   missing for a real deploy: %s\n' "${missing[@]}"
bash scripts/tools.sh
out=out/$stack
npx --no-install ts-node --transpile-only scripts/plan.ts --stack "$stack" --out "$out"
echo
echo "Plan written to $out/ (values.yaml, manifests.yaml). Nothing was deployed."
echo "To deploy for real: install what is listed above, then: pulumi up --stack $stack"
