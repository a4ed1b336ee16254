#!/usr/bin/env bash
# Installs and locates the pinned toolchain: the chart tools, the Pulumi engine and its plugins,
# and the local Kubernetes control plane. A thin driver: each tool's pin, source order and build
# live in its own recipe under local/toolchain/recipes/, sharing the helpers in local/toolchain/common.sh.
#
#   bash local/toolchain/tools.sh            # install what is missing, print what is ready
#   source local/toolchain/tools.sh all      # same, and export the tool paths and engine settings
#   source local/toolchain/tools.sh cluster  # only some groups: chart ci engine cluster node plugins lint
#
# (A sourcing script always names its groups: `source` would otherwise pass on its own args.)
# Cache: ${TASKFLOW_TOOLS_DIR:-~/.cache/taskflow-api/tools}. Offline mirror (last resort):
# ${TASKFLOW_OFFLINE_MIRROR:-../shared/offline-mirror}. Nothing is downloaded from GitHub, a
# chart repository or get.pulumi.com: this works on a machine that reaches only registries.
_tools_sourced=0; [[ ${BASH_SOURCE[0]} != "$0" ]] && _tools_sourced=1
if ((!_tools_sourced)); then set -euo pipefail; fi

_tools_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
source "$_tools_here/common.sh"
for _recipe in "$_tools_here"/recipes/*.sh; do
  # shellcheck disable=SC1090
  source "$_recipe"
done

# The groups, in build order: cheap tools first, then the big Go builds one at a time (they
# compete for the same cores and share one Go build cache, so later builds reuse earlier ones').
tools_group() {
  case $1 in
    chart) ensure_helm 4; ensure_helm 3; ensure_helm_unittest; ensure_helm_docs; ensure_kubeconform; ensure_schemas; ensure_yamllint ;;
    ci) ! declare -F ensure_actionlint >/dev/null || ensure_actionlint ;;
    engine) ensure_pulumi; ensure_pulumi_language_nodejs; ensure_policy_analyzer ;;
    cluster) ensure_kubernetes; ensure_etcd; ensure_kwok ;;
    node) ensure_node_host; ensure_containerd; ensure_crictl; ensure_cni_plugins; ensure_kube_router; ensure_coredns; ensure_metrics_server ;;
    plugins) ensure_plugin_kubernetes; ensure_plugin_random ;;
    lint) ensure_kube_linter ;;
    *) _die "unknown tool group '$1' (chart, ci, engine, cluster, node, plugins, lint)" ;;
  esac
}

tools_main() { # [GROUP...] (default: all)
  mkdir -p "$TOOLS_BIN" "$TOOLS_SRC"
  command -v node >/dev/null 2>&1 || _die "node (Node.js 20+) is required to run this script: https://nodejs.org"
  local groups=("$@") g
  if ((${#groups[@]} == 0)) || [[ ${groups[*]} == all ]]; then groups=(chart ci engine cluster node plugins lint); fi
  ensure_node
  for g in "${groups[@]}"; do tools_group "$g"; done
  _log "toolchain ready in $((SECONDS - _tools_t0))s (${groups[*]}; $TASKFLOW_TOOLS_DIR)"
}

# What scripts and tests need from the toolchain, exported into the caller's environment.
tools_export() {
  export TASKFLOW_TOOLS_DIR TOOLS_BIN TOOLS_SCHEMAS K8S_SCHEMA_VERSIONS
  export HELM4=$TOOLS_BIN/helm4 HELM3=$TOOLS_BIN/helm3 HELM_DOCS=$TOOLS_BIN/helm-docs KUBECONFORM=$TOOLS_BIN/kubeconform
  export KUBE_LINTER=$TOOLS_BIN/kube-linter HELM_PLUGINS=$TOOLS_HELM_PLUGINS TOOLS_CNI_BIN
  # The engine: our pulumi and language host first on PATH, Node >= 22 before them, plugins only
  # from our PULUMI_HOME at exactly the requested versions, no update check, no downloads.
  export PATH=${TOOLS_NODE_BIN:+$TOOLS_NODE_BIN:}$TOOLS_BIN:$PATH
  export PULUMI_HOME=$PULUMI_HOME_DIR
  export PULUMI_IGNORE_AMBIENT_PLUGINS=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  export PULUMI_SKIP_UPDATE_CHECK=true
  # The random plugin here is a labelled build of an upstream commit (4.21.2-dev.f64d8726, see
  # local/toolchain/recipes/pulumi-plugins.sh), newer than the 4.21.1 that @pulumi/random requests. The
  # engine's default search wants an exact match; the semver search takes the newest installed
  # version >= the request. Only one version of each plugin is in our PULUMI_HOME, so kubernetes
  # still resolves to exactly 4.32.0.
  export PULUMI_ENABLE_LEGACY_PLUGIN_SEARCH=true
}

if ((_tools_sourced)); then
  # Sourced: failures must not kill the caller's shell, so run in a subshell first.
  ( set -euo pipefail; tools_main "$@" ) || return 1
  TOOLS_VERBOSE="" ensure_node >/dev/null 2>&1 # sets TOOLS_NODE_BIN (cached by now)
  tools_export
else
  tools_main "$@"
fi
