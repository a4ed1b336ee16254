# shellcheck shell=bash
# The engine's resource plugins, installed into a PULUMI_HOME of our own inside the tools dir
# with `pulumi plugin install resource NAME VERSION --file BINARY`. The engine then runs with
# PULUMI_IGNORE_AMBIENT_PLUGINS (exported by local/toolchain/tools.sh): exact version selection, no
# "using plugin from $PATH" warning, no download attempt.
#
# The kubernetes plugin version must equal @pulumi/kubernetes in package.json (a unit test
# checks it): the SDK asks the engine for exactly its own version.
PULUMI_KUBERNETES_VERSION=4.32.0
# The mirror's random provider is upstream commit f64d8726 (v4.21.1 + 9 commits that only bump
# the Terraform bridge), not a release. It is labelled as a pre-release of 4.21.2 naming that
# commit; @pulumi/random stays at 4.21.1, which this version satisfies (>= 4.21.1).
PULUMI_RANDOM_VERSION=4.21.2-dev.f64d8726
PULUMI_RANDOM_COMMIT=f64d8726

PULUMI_HOME_DIR=$TASKFLOW_TOOLS_DIR/pulumi-home

# plugin_installed NAME VERSION : the plugin is in our PULUMI_HOME, completely installed.
plugin_installed() {
  local dir=$PULUMI_HOME_DIR/plugins/resource-$1-v$2
  [[ -x $dir/pulumi-resource-$1 && ! -e $dir.partial && ! -e $dir/.partial ]]
}

# plugin_install NAME VERSION BINARY
plugin_install() {
  PULUMI_HOME=$PULUMI_HOME_DIR PULUMI_SKIP_UPDATE_CHECK=true "$TOOLS_BIN/pulumi" plugin install \
    resource "$1" "$2" --file "$3" --reinstall >/dev/null
}

# plugin_from_user_home NAME VERSION : a user with internet already has it in ~/.pulumi/plugins.
plugin_from_user_home() {
  local bin=${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-$1-v$2/pulumi-resource-$1
  [[ -x $bin && $(readlink -f "$bin") != "$(readlink -f "$PULUMI_HOME_DIR")"/* ]] || return 1
  plugin_install "$1" "$2" "$bin"
}

# provider_source NAME MODULE@VERSION MIRROR_TARBALL : prints the path of a writable copy of a
# provider's source tree under $TOOLS_SRC/NAME: the proxy's module, else the mirror's tarball.
provider_source() {
  local name=$1 modver=$2 rel=$3 dir
  if proxy_serves "$modver"; then
    dir=$TOOLS_SRC/$name; rm -rf "$dir"; mkdir -p "$TOOLS_SRC"
    cp -R "$(module_dir "$modver")" "$dir" && chmod -R u+w "$dir" && echo "$dir"
  else
    dir=$(unpack_mirror "$rel" "$name") && echo "$dir/provider"
  fi
}

# plugin_built NAME VERSION SRC : install the binary built from SRC, clean up, report the source.
plugin_built() {
  plugin_install "$1" "$2" "$TOOLS_SRC/pulumi-resource-$1"
  rm -rf "$TOOLS_SRC/pulumi-resource-$1" "${3%/provider}"
  tool_done "$([[ $3 == */provider ]] && echo "the offline mirror" || echo "the Go module proxy")"
}

ensure_plugin_kubernetes() {
  local v=$PULUMI_KUBERNETES_VERSION mod=github.com/pulumi/pulumi-kubernetes/provider/v4 src=""
  tool_begin pulumi-resource-kubernetes "$v"
  if plugin_installed kubernetes "$v"; then tool_done cached; return; fi
  if plugin_from_user_home kubernetes "$v"; then tool_done "~/.pulumi/plugins"; return; fi
  have_go || missing pulumi-resource-kubernetes "$v" "pulumi plugin install resource kubernetes $v (needs internet)"
  src=$(provider_source kubernetes-provider "$mod@v$v" "src/pulumi-kubernetes-v$v-provider.tar.gz") ||
    missing pulumi-resource-kubernetes "$v" "pulumi plugin install resource kubernetes $v (needs internet)"
  tool_progress "building from $src (12-13 min, 5 GB peak) ..."
  (
    set -e
    cd "$src"
    # Outside the upstream repository: the SDK comes from the proxy instead of ../sdk. The
    # checksum database has no entry for it, so its go.sum lines are pinned here (checked
    # against the upstream git blobs, see the offline mirror's README).
    go mod edit -dropreplace=github.com/pulumi/pulumi-kubernetes/sdk/v4 \
      -require="github.com/pulumi/pulumi-kubernetes/sdk/v4@v$v"
    if [[ $v == 4.32.0 ]]; then
      printf '%s\n' \
        "github.com/pulumi/pulumi-kubernetes/sdk/v4 v4.32.0 h1:QwJzM3PseaorfASUlDXxsyntVGac7ZSYjqjxa038uoU=" \
        "github.com/pulumi/pulumi-kubernetes/sdk/v4 v4.32.0/go.mod h1:MtckkCd6mzQQ3AYw+qjdt6ROfdBB3dr8dI/dE5/jxrM=" >> go.sum
      # Pseudo-versions the proxy refuses, bumped to the nearest served ones that compile.
      go mod edit -require=github.com/pulumi/pulumi/pkg/v3@v3.246.0 -require=github.com/pulumi/pulumi/sdk/v3@v3.246.0 \
        -require=github.com/pulumi/pulumi-dotnet/pulumi-language-dotnet/v3@v3.107.1 \
        -replace=github.com/fluxcd/pkg/ssa=github.com/fluxcd/pkg/ssa@v0.76.0
    fi
    export GONOSUMDB=github.com/pulumi/pulumi-kubernetes/sdk/v4 GOFLAGS=-mod=mod
    go mod tidy >/dev/null 2>&1 || true
    # main.go embeds the schema and the Terraform mapping that sit beside it.
    (cd cmd/pulumi-resource-kubernetes && VERSION=$v go generate ./main.go)
    CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$v" \
      -o "$TOOLS_SRC/pulumi-resource-kubernetes" ./cmd/pulumi-resource-kubernetes
  ) || missing pulumi-resource-kubernetes "$v" "pulumi plugin install resource kubernetes $v (needs internet)"
  plugin_built kubernetes "$v" "$src"
}

ensure_plugin_random() {
  local v=$PULUMI_RANDOM_VERSION mod=github.com/pulumi/pulumi-random/provider/v4 src=""
  tool_begin pulumi-resource-random "$v"
  if plugin_installed random "$v"; then tool_done cached; return; fi
  # A user with internet runs the released plugin that @pulumi/random asks for instead; this
  # labelled build exists only for machines that cannot download it.
  have_go || missing pulumi-resource-random "$v" "pulumi plugin install resource random (needs internet)"
  src=$(provider_source random-provider "$mod@$PULUMI_RANDOM_COMMIT" "src/pulumi-random-$PULUMI_RANDOM_COMMIT-provider.tar.gz") ||
    missing pulumi-resource-random "$v" "pulumi plugin install resource random (needs internet)"
  tool_progress "building commit $PULUMI_RANDOM_COMMIT (7-8 min) ..."
  (
    set -e
    cd "$src"
    export GOFLAGS=-mod=mod
    (cd cmd/pulumi-resource-random && VERSION=$v go run ./generate.go)
    CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/pulumi/pulumi-random/provider/v4/pkg/version.Version=$v" \
      -o "$TOOLS_SRC/pulumi-resource-random" ./cmd/pulumi-resource-random
  ) || missing pulumi-resource-random "$v" "pulumi plugin install resource random (needs internet)"
  plugin_built random "$v" "$src"
}
