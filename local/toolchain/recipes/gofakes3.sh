# shellcheck shell=bash
# gofakes3: a small S3-compatible server (in-memory), for the e2e that runs `npm run recover`
# against a remote DIY backend (`pulumi login s3://...`). MinIO would do the same at many times
# the build; this one is a single Go package. It prints no version, so the pin is stamped next
# to the binary (as cni-plugins does) and the cache is trusted only when the stamp matches.
GOFAKES3_VERSION=v1.2.0

ensure_gofakes3() {
  local mod=github.com/johannesboyne/gofakes3 stamp=$TOOLS_BIN/.gofakes3.version
  tool_begin gofakes3 "$GOFAKES3_VERSION"
  if [[ -x $TOOLS_BIN/gofakes3 && $(cat "$stamp" 2>/dev/null) == "$GOFAKES3_VERSION" ]]; then tool_done cached; return; fi
  rm -f "$TOOLS_BIN/gofakes3" "$stamp"
  # Not looked up on PATH: without a version flag a binary there could be any release.
  if proxy_serves "$mod@$GOFAKES3_VERSION"; then
    tool_progress "building from the Go module proxy (about 1 min on 2 cores) ..."
    if go_wrapper_build "$TOOLS_BIN" "$mod@$GOFAKES3_VERSION" "" "$mod/cmd/gofakes3"; then
      echo "$GOFAKES3_VERSION" > "$stamp"
      tool_done "the Go module proxy"; return
    fi
  fi
  missing gofakes3 "$GOFAKES3_VERSION" "go install $mod/cmd/gofakes3@$GOFAKES3_VERSION"
}
