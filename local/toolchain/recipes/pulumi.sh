# shellcheck shell=bash
# The Pulumi engine: the `pulumi` CLI and, beside it, the Node.js language host it starts for a
# TypeScript program. The CLI is at the version of @pulumi/pulumi in package.json (the SDK and
# the engine of one release are tested together: e2e/upgrade.test.ts).
PULUMI_VERSION=v3.276.0
# The language host: the Go module proxy refuses its module at every version and the offline
# mirror carries 3.255.0 only, so it stays at the newest version obtainable here, older than the
# CLI. The engine runs the language host it finds beside it; the upgrade e2e proves this pair. One
# of the CLI's own version (the CLI archive's, on PATH) is taken instead when there is one.
PULUMI_LANGUAGE_NODEJS_VERSION=v3.255.0

_pulumi_ldflags="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"

ensure_pulumi() {
  tool_begin pulumi "$PULUMI_VERSION"
  if cached_at pulumi "$PULUMI_VERSION" version; then tool_done cached; return; fi
  rm -f "$TOOLS_BIN/pulumi"
  if from_path pulumi pulumi "$PULUMI_VERSION" version; then tool_done PATH; return; fi
  if proxy_serves "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION"; then
    tool_progress "building from the Go module proxy (about 10 min on 2 cores) ..."
    # pkg/v3 replaces sdk/v3 with a local path, so the wrapper requires the matching sdk itself.
    go_wrapper_build "$TOOLS_BIN" "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" "$_pulumi_ldflags" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi -- -require="github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION" &&
      { tool_done "the Go module proxy"; return; }
  fi
  missing pulumi "$PULUMI_VERSION" "https://www.pulumi.com/docs/install/ (pulumi ${PULUMI_VERSION#v})"
}

# The engine looks for pulumi-language-nodejs next to the pulumi binary (then on PATH).
ensure_pulumi_language_nodejs() {
  local out=pulumi-language-nodejs mod=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
  local v=$PULUMI_LANGUAGE_NODEJS_VERSION ldflags="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_LANGUAGE_NODEJS_VERSION"
  tool_begin "$out" "$v"
  # The CLI's own release of it (a CLI archive on PATH) is as good as the pinned one.
  if cached_at "$out" "$v" -version || cached_at "$out" "$PULUMI_VERSION" -version; then tool_done cached; return; fi
  rm -f "$TOOLS_BIN/$out"
  if from_path "$out" "$out" "$PULUMI_VERSION" -version || from_path "$out" "$out" "$v" -version; then tool_done PATH; return; fi
  if proxy_serves "$mod@$v"; then
    go_wrapper_build "$TOOLS_BIN" "$mod@$v" "$ldflags" "$mod" \
      -- -require="github.com/pulumi/pulumi/sdk/v3@$v" -require="github.com/pulumi/pulumi/pkg/v3@$v" &&
      { tool_done "the Go module proxy"; return; }
  fi
  local src
  if have_go && src=$(unpack_mirror "src/pulumi-language-nodejs-$v.tar.gz" language-nodejs); then
    tool_progress "building from the offline mirror ..."
    (
      set -e
      cd "$src/sdk/nodejs/cmd/pulumi-language-nodejs"
      # Upstream builds it inside the pulumi monorepo; outside it, take pkg and sdk from the
      # proxy at the same version instead of the repository's local paths.
      go mod edit -dropreplace=github.com/pulumi/pulumi/pkg/v3 -dropreplace=github.com/pulumi/pulumi/sdk/v3 \
        -require="github.com/pulumi/pulumi/pkg/v3@$v" -require="github.com/pulumi/pulumi/sdk/v3@$v"
      GOFLAGS=-mod=mod go mod tidy >/dev/null
      CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w $ldflags" -o "$TOOLS_BIN/$out" .
    ) && { rm -rf "$src"; tool_done "the offline mirror"; return; }
  fi
  missing "$out" "$v" "it ships in the Pulumi CLI archive: https://www.pulumi.com/docs/install/"
}

# The engine starts a Node.js policy pack (`--policy-pack policy`) through pulumi-analyzer-policy,
# a launcher the Pulumi CLI archive ships beside `pulumi`; a CLI built from source has none. The
# engine looks for it beside the pulumi binary (not on PATH, which PULUMI_IGNORE_AMBIENT_PLUGINS
# turns off), and runs it in the pack's directory: it starts the pack's own SDK's policy runner.
ensure_policy_analyzer() {
  local out=$TOOLS_BIN/pulumi-analyzer-policy
  local body='exec node "$(node -p '\''require.resolve("@pulumi/pulumi/cmd/run-policy-pack")'\'')" "$@"'
  tool_begin pulumi-analyzer-policy "$PULUMI_VERSION"
  if [[ -x $out ]] && grep -qxF "$body" "$out"; then tool_done cached; return; fi
  printf '#!/bin/sh\n# Written by local/toolchain/recipes/pulumi.sh: starts a Node.js policy pack with its own @pulumi/pulumi.\n%s\n' "$body" > "$out"
  chmod +x "$out"
  tool_done "local/toolchain/recipes/pulumi.sh"
}
