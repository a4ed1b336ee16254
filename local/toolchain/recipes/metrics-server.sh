# shellcheck shell=bash
# metrics-server: the resource metrics API (metrics.k8s.io) an HPA scales on. Without it the
# HPA never leaves its minimum (review m20). It runs as a host process on the local cluster
# (local/cluster/metrics-server.sh), registered with the API server as an APIService.
METRICS_SERVER_VERSION=v0.9.0

ensure_metrics_server() {
  local v=$METRICS_SERVER_VERSION mod=sigs.k8s.io/metrics-server
  tool_begin metrics-server "$v"
  if cached_at metrics-server "$v" --version; then tool_done cached; return; fi
  rm -f "$TOOLS_BIN/metrics-server"
  if from_path metrics-server metrics-server "$v" --version; then tool_done PATH; return; fi
  have_go || missing metrics-server "$v" "https://github.com/kubernetes-sigs/metrics-server/releases"
  if proxy_serves "$mod@$v"; then
    tool_progress "building from the Go module proxy (about 5 min on 2 cores) ..."
    local out=$TOOLS_SRC/metrics-server-build; rm -rf "$out"
    # The release's version stamp (its Makefile: client-go's version package), so --version and
    # the cache check read the pin. Big Go builds share the 2 cores: one at a time.
    local pkg=k8s.io/client-go/pkg/version
    if flock "$TASKFLOW_TOOLS_DIR/.locks/gobuild" bash -c "$(declare -f go_wrapper_build); go_wrapper_build \"\$@\"" _ \
        "$out" "$mod@$v" "-X $pkg.gitVersion=$v -X $pkg.gitCommit=proxy-$v -X $pkg.buildDate=1970-01-01T00:00:00Z" \
        "$mod/cmd/metrics-server"; then
      mv -f "$out/metrics-server" "$TOOLS_BIN/metrics-server"; rm -rf "$out"
      tool_done "the Go module proxy"; return
    fi
  fi
  local src
  if src=$(unpack_mirror "src/metrics-server-$v.tar.gz" metrics-server-src 2>/dev/null); then
    tool_progress "building from the offline mirror ..."
    (cd "$src"/* && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X k8s.io/client-go/pkg/version.gitVersion=$v" \
      -o "$TOOLS_BIN/metrics-server" ./cmd/metrics-server) && { tool_done "the offline mirror"; return; }
  fi
  missing metrics-server "$v" "https://github.com/kubernetes-sigs/metrics-server/releases"
}
