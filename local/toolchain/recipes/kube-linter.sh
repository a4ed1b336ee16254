# shellcheck shell=bash
# kube-linter: the static linter every render of the chart is held to (zero findings, default
# checks; exclusions with reasons in chart/.kube-linter.yaml).
KUBE_LINTER_VERSION=v0.8.3

ensure_kube_linter() {
  local mod=golang.stackrox.io/kube-linter src
  local ldflags="-X golang.stackrox.io/kube-linter/internal/version.version=$KUBE_LINTER_VERSION"
  tool_begin kube-linter "$KUBE_LINTER_VERSION"
  if cached_at kube-linter "$KUBE_LINTER_VERSION" version; then tool_done cached; return; fi
  rm -f "$TOOLS_BIN/kube-linter"
  if from_path kube-linter kube-linter "$KUBE_LINTER_VERSION" version; then tool_done PATH; return; fi
  have_go || missing kube-linter "$KUBE_LINTER_VERSION" "https://docs.kubelinter.io/#/?id=installing-kubelinter"
  if proxy_serves "$mod@$KUBE_LINTER_VERSION"; then
    local out=$TOOLS_SRC/kube-linter-build; rm -rf "$out"
    if go_wrapper_build "$out" "$mod@$KUBE_LINTER_VERSION" "$ldflags" "$mod/cmd/kube-linter"; then
      mv -f "$out/kube-linter" "$TOOLS_BIN/"; rm -rf "$out"; tool_done "the Go module proxy"; return
    fi
  fi
  if src=$(unpack_mirror "src/kube-linter-$KUBE_LINTER_VERSION.tar.gz" kube-linter); then
    tool_progress "building from the offline mirror (about 10 min) ..."
    (cd "$src/kube-linter-${KUBE_LINTER_VERSION#v}" &&
      CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w $ldflags" -o "$TOOLS_BIN/kube-linter" ./cmd/kube-linter) &&
      { rm -rf "$src"; tool_done "the offline mirror"; return; }
  fi
  missing kube-linter "$KUBE_LINTER_VERSION" "https://docs.kubelinter.io/#/?id=installing-kubelinter"
}
