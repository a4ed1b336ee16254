# shellcheck shell=bash
# actionlint: static checker for the GitHub Actions workflows in .github/workflows (syntax,
# expressions, `needs`, matrix keys, permissions, known action inputs). GitHub itself is not
# reachable from CI machines, so this is how the workflows are tested before they ever run.
ACTIONLINT_VERSION=v1.7.12

ensure_actionlint() {
  local mod=github.com/rhysd/actionlint
  tool_begin actionlint "$ACTIONLINT_VERSION"
  if cached_at actionlint "$ACTIONLINT_VERSION" -version; then tool_done cached; return; fi
  rm -f "$TOOLS_BIN/actionlint"
  if from_path actionlint actionlint "$ACTIONLINT_VERSION" -version; then tool_done PATH; return; fi
  if proxy_serves "$mod@$ACTIONLINT_VERSION"; then
    tool_progress "building from the Go module proxy (about 1 min on 2 cores) ..."
    # Built through a wrapper module, the binary cannot read its own module version from the
    # build info; the release builds set it the same way.
    go_wrapper_build "$TOOLS_BIN" "$mod@$ACTIONLINT_VERSION" "-X $mod.version=${ACTIONLINT_VERSION#v}" \
      "$mod/cmd/actionlint" && { tool_done "the Go module proxy"; return; }
  fi
  missing actionlint "$ACTIONLINT_VERSION" \
    "https://github.com/rhysd/actionlint/releases/tag/$ACTIONLINT_VERSION (or: go install $mod/cmd/actionlint@$ACTIONLINT_VERSION)"
}
