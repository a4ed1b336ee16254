# shellcheck shell=bash
# Helpers shared by the tool recipes in local/toolchain/recipes/. Sourced by local/toolchain/tools.sh; not a program.
#
# Every recipe asks the same questions in the same order and stops at the first yes:
#   1. cached?     a binary in $TOOLS_BIN that reports the pinned version
#   2. on PATH?    a binary the user already has, at the pinned version (linked, never copied)
#   3. registry?   a build from the Go module proxy (or the npm registry, for Node.js)
#   4. mirror?     a build from the offline mirror's source tarball, checksum-verified
#   5. otherwise   a clear error naming the tool, the version and where to get it

TASKFLOW_TOOLS_DIR=${TASKFLOW_TOOLS_DIR:-$HOME/.cache/taskflow-api/tools}
TOOLS_BIN=$TASKFLOW_TOOLS_DIR/bin
TOOLS_SRC=$TASKFLOW_TOOLS_DIR/src
TOOLS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# The offline mirror is resolved relative to the project, like the shared/ folder beside it.
TASKFLOW_OFFLINE_MIRROR=${TASKFLOW_OFFLINE_MIRROR:-$TOOLS_ROOT/../shared/offline-mirror}

_tools_t0=$SECONDS
_tool_name="" _tool_t0=0

_log() { printf '[tools %4ds] %s\n' "$((SECONDS - _tools_t0))" "$*" >&2; }
_die() { printf '[tools] ERROR: %s\n' "$*" >&2; exit 1; }

# tool_begin NAME VERSION / tool_done SOURCE: one line per tool with the time it took, so a long
# cold run is never silent and the slow recipes are visible.
# Each tool is built under its own lock, so two runs at once (npm test beside npm start) never
# build the same tool twice; the second waits, then finds it cached.
tool_begin() {
  _tool_name="$1 $2"; _tool_t0=$SECONDS
  mkdir -p "$TASKFLOW_TOOLS_DIR/.locks"
  exec {_tool_lock}>"$TASKFLOW_TOOLS_DIR/.locks/${1//\//_}"
  if ! flock -n "$_tool_lock"; then
    _log "$_tool_name: another run is building it; waiting ..."
    flock "$_tool_lock"
  fi
}
tool_done() {
  flock -u "$_tool_lock" 2>/dev/null || true
  local took=$((SECONDS - _tool_t0))
  if [[ $1 == cached ]]; then
    [[ -n ${TOOLS_VERBOSE:-} ]] && _log "$_tool_name: cached"
  else
    _log "$_tool_name: ready from $1 in ${took}s"
  fi
  return 0
}
tool_progress() { _log "$_tool_name: $*"; }

# missing NAME VERSION HOW : the final answer of every recipe.
missing() {
  _die "$1 $2 is not installed and could not be built here.
        Tried: the cache ($TOOLS_BIN), PATH, the Go module proxy, the offline mirror ($TASKFLOW_OFFLINE_MIRROR).
        Get it yourself: $3
        and put it on PATH (at exactly that version), then run this again."
}

have_go() { command -v go >/dev/null 2>&1; }

# version_of BIN ARGS... : the first line of a binary's version output ("" if it cannot run).
version_of() { "$@" 2>/dev/null | head -1 || true; }

# cached_at OUT VERSION ARGS... : $TOOLS_BIN/OUT exists and `OUT ARGS...` mentions VERSION.
cached_at() {
  local out=$1 version=$2; shift 2
  [[ -x $TOOLS_BIN/$out ]] && version_of "$TOOLS_BIN/$out" "$@" | grep -qF -- "${version#v}"
}

# from_path NAME OUT VERSION ARGS... : when NAME on PATH (outside the cache) reports VERSION,
# link it into the cache as OUT.
from_path() {
  local name=$1 out=$2 version=$3; shift 3
  local found; found=$(command -v "$name" 2>/dev/null) || return 1
  [[ $(readlink -f "$found") == "$(readlink -f "$TOOLS_BIN")"/* ]] && return 1
  version_of "$found" "$@" | grep -qF -- "${version#v}" || return 1
  ln -sf "$found" "$TOOLS_BIN/$out"
}

# go_outside_module CMD... : a go command run outside any module: from an empty directory of
# the tools cache with GOWORK off. Not /tmp, where any user can plant a go.mod (say `go 1.99`)
# that fails every check, which is then saved as "refused" for good (review m4 of 2026-12-07).
go_outside_module() {
  local d=$TASKFLOW_TOOLS_DIR/.go-cwd
  mkdir -p "$d" && (cd "$d" && GOWORK=off GOFLAGS=-mod=mod "$@")
}

# proxy_serves MODULE@VERSION : the Go module proxy answers for this module version. Refusals
# (HTTP 403/404) are remembered in the cache so a warm run does not ask again.
proxy_serves() {
  have_go || return 1
  local marker=$TASKFLOW_TOOLS_DIR/.refused/${1//\//_}
  [[ -f $marker ]] && return 1
  if go_outside_module go mod download -json "$1" >/dev/null 2>&1; then return 0; fi
  mkdir -p "$(dirname "$marker")"
  echo "refused by $(go env GOPROXY) on $(date -u +%F)" > "$marker"
  tool_progress "$1 is not served by the Go module proxy"
  return 1
}

# module_dir MODULE@VERSION : where `go mod download` unpacked it (read-only).
module_dir() { go_outside_module go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'; }

# mirror_file REL : the path of a mirror file after checking it against the mirror's SHA256SUMS;
# fails (quietly) when the mirror or the file is absent, loudly when the checksum is wrong.
mirror_file() {
  local rel=$1 sums=$TASKFLOW_OFFLINE_MIRROR/SHA256SUMS want
  [[ -f $TASKFLOW_OFFLINE_MIRROR/$rel && -f $sums ]] || return 1
  want=$(awk -v f="$rel" '$2 == f || $2 == "*"f { print $1 }' "$sums")
  [[ -n $want ]] || _die "offline mirror: $rel is not listed in $sums"
  [[ $(sha256sum "$TASKFLOW_OFFLINE_MIRROR/$rel" | cut -d' ' -f1) == "$want" ]] ||
    _die "offline mirror: $rel does not match its SHA256SUMS entry (corrupt or tampered copy)"
  echo "$TASKFLOW_OFFLINE_MIRROR/$rel"
}

# unpack_mirror REL NAME : a fresh work copy of a verified mirror tarball under $TOOLS_SRC/NAME.
unpack_mirror() {
  local tgz; tgz=$(mirror_file "$1") || return 1
  rm -rf "${TOOLS_SRC:?}/$2"; mkdir -p "$TOOLS_SRC/$2"
  tar -xzf "$tgz" -C "$TOOLS_SRC/$2"
  echo "$TOOLS_SRC/$2"
}

# go_wrapper_build OUTDIR MODULE@VERSION LDFLAGS PKG... [-- EXTRA go mod edit ARGS...]
# Builds main packages of a module through a throw-away wrapper module. `go install pkg@v`
# refuses modules whose go.mod has replace lines; the wrapper copies those lines (the ones that
# point at other modules; local paths are dropped) so the build sees what the release build saw.
go_wrapper_build() {
  local outdir=$1 modver=$2 ldflags=$3; shift 3
  local pkgs=() edits=()
  while (($#)); do [[ $1 == -- ]] && { shift; edits=("$@"); break; }; pkgs+=("$1"); shift; done
  local mod=${modver%@*} work gomod
  work=$(mktemp -d)
  (
    set -e
    cd "$work"
    go mod init "taskflow-tools/$(basename "$mod")" >/dev/null 2>&1
    go mod edit -require="$modver"
    gomod=$(GOFLAGS=-mod=mod go mod download -json "$modver" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
    [[ -n $gomod ]]
    go mod edit -json "$gomod" | node -e '
      const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
      for (const r of m.Replace || []) {
        const from = r.Old.Path + (r.Old.Version ? "@" + r.Old.Version : "");
        const to = r.New.Path + (r.New.Version ? "@" + r.New.Version : "");
        if (!to.startsWith(".") && !to.startsWith("/")) console.log(`-replace=${from}=${to}`);
      }' | xargs -r go mod edit
    ((${#edits[@]} == 0)) || go mod edit "${edits[@]}"
    { echo "package tools"; printf 'import _ "%s"\n' "${pkgs[@]}"; } > tools.go
    GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || GOFLAGS=-mod=mod go get "${pkgs[@]}" >/dev/null
    mkdir -p "$outdir"
    CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w $ldflags" -o "$outdir/" "${pkgs[@]}"
  )
  local rc=$?
  rm -rf "$work"
  return $rc
}

# _apt_install PKG... : Debian packages, when this is a Debian-like machine and we are root (the
# recipes for host packages: runc, iptables, ipset, yamllint). Fails quietly otherwise.
_apt_install() {
  command -v apt-get >/dev/null 2>&1 && [[ $(id -u) == 0 ]] || return 1
  tool_progress "apt-get install $* ..."
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"; } \
    >"$TASKFLOW_TOOLS_DIR/apt.log" 2>&1 || { tail -5 "$TASKFLOW_TOOLS_DIR/apt.log" >&2; return 1; }
}
