# shellcheck shell=bash
# helm-docs: writes chart/README.md's values table from the `# --` comments in chart/values.yaml
# (and chart/README.md.gotmpl). The chart suite fails when the committed README is not what it
# writes, so a new value cannot ship undocumented. Replaces our own table generator.
HELM_DOCS_VERSION=v1.14.2

ensure_helm_docs() {
  local mod=github.com/norwoodj/helm-docs
  tool_begin helm-docs "$HELM_DOCS_VERSION"
  if cached_at helm-docs "$HELM_DOCS_VERSION" --version; then tool_done cached; return; fi
  rm -f "$TOOLS_BIN/helm-docs"
  if from_path helm-docs helm-docs "$HELM_DOCS_VERSION" --version; then tool_done PATH; return; fi
  if proxy_serves "$mod@$HELM_DOCS_VERSION"; then
    tool_progress "building from the Go module proxy (about 2 min on 2 cores) ..."
    # The release build stamps the version into main; through a wrapper module it would be empty.
    go_wrapper_build "$TOOLS_BIN" "$mod@$HELM_DOCS_VERSION" "-X main.version=${HELM_DOCS_VERSION#v}" \
      "$mod/cmd/helm-docs" && { tool_done "the Go module proxy"; return; }
  fi
  missing helm-docs "$HELM_DOCS_VERSION" \
    "https://github.com/norwoodj/helm-docs/releases/tag/$HELM_DOCS_VERSION (or: go install $mod/cmd/helm-docs@$HELM_DOCS_VERSION)"
}
