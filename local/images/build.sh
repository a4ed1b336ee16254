#!/usr/bin/env bash
# Container images of the local real node, built from files on this machine: the node has no
# registry access, so every image the chart (and its Valkey subchart) names must already be in
# containerd, under exactly that name, before a pod asks for it (pull policy IfNotPresent).
#
#   local/images/build.sh build            build the OCI archives (only those whose inputs changed)
#   local/images/build.sh verify           unpack each archive, check it, run its binaries (chroot)
#   local/images/build.sh import SOCKET    build if needed, then import into containerd (k8s.io), pinned
#   local/images/build.sh list             the image names, one per line
#   local/images/build.sh host-redis       a redis-server runnable on the host (reference-app tests)
#
# Images (one uncompressed layer each; names as containerd normalises them):
#   pause    localhost/taskflow/pause:3.10       Kubernetes' build/pause/linux/pause.c (k8s.io/kubernetes module), gcc -Os -static
#   valkey   docker.io/valkey/valkey:<subchart appVersion>   Debian redis 7.0.15 standing in
#   busybox  docker.io/library/busybox:<chart helmTest.image tag>   busybox + GNU wget
#   app      ghcr.io/example/taskflow-api:<appVersion> (+ Pulumi.dev.yaml's tag)   node + app/src +
#            app/package-lock.json's node_modules (ioredis)
#
# Inputs: Debian packages (apt-get download, cached once under $IMAGES_DIR/debs), the pinned
# Node.js of local/toolchain/recipes/node.sh, and host shared libraries that `ldd` resolves for each binary.
# Outputs: $IMAGES_DIR/<image>.oci.tar, with <image>.stamp (hash of the inputs: an image is
# rebuilt only when it changes), <image>.names and <image>.digest (what `import` compares).
set -euo pipefail
# Errors inside $(...) stop the script too (the stamp is computed in one).
shopt -s inherit_errexit
umask 022

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TOOLS_DIR=${TASKFLOW_TOOLS_DIR:-$HOME/.cache/taskflow-api/tools}
IMAGES_DIR=$TOOLS_DIR/images
DEB_DIR=$IMAGES_DIR/debs
DEB_ROOT=$IMAGES_DIR/debroot
WORK_DIR=$IMAGES_DIR/work
IMAGES=(pause valkey busybox app)
ARCH_LIBS=lib/x86_64-linux-gnu
# Where the images put binaries; also the PATH of their configs.
IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

die() { echo "images: error: $*" >&2; exit 1; }
say() { echo "images: $*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found: $2"; }
now() { echo "${EPOCHREALTIME/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
mib() { awk -v n="$(stat -c %s "$1")" 'BEGIN { printf "%.1f MB", n / 1e6 }'; }

# --- the pins: read from the files that own them, never repeated here ---------------------------

node_bin() {
  local v
  v=$(sed -n 's/^NODE_VERSION=//p' "$root/local/toolchain/recipes/node.sh")
  [[ -n $v ]] || die "no NODE_VERSION= line in local/toolchain/recipes/node.sh"
  local bin=$TOOLS_DIR/node-v$v/bin/node
  [[ -x $bin ]] || die "Node.js $v not found at $bin: run local/toolchain/tools.sh node first"
  echo "$bin"
}

# The pause program is Kubernetes' own (build/pause/linux/pause.c of the k8s.io/kubernetes module,
# at the version the kubelet is built from), not one of ours: the module is already in the Go
# module cache when the toolchain built the node, else the proxy serves it.
kubernetes_version() {
  local v
  v=$(sed -n 's/^KUBERNETES_VERSION=//p' "$root/local/toolchain/recipes/kubernetes.sh")
  [[ -n $v ]] || die "no KUBERNETES_VERSION= line in local/toolchain/recipes/kubernetes.sh"
  echo "$v"
}
pause_source() {
  local v dir src
  v=$(kubernetes_version)
  command -v go >/dev/null 2>&1 || die "the pause image compiles Kubernetes' pause.c from the k8s.io/kubernetes@$v Go module: Go is needed to fetch it"
  # Outside any module, not from /tmp (a planted go.mod there: review m4 of 2026-12-07).
  dir=$(mkdir -p "$TOOLS_DIR/.go-cwd" && cd "$TOOLS_DIR/.go-cwd" && GOWORK=off GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$v" 2>/dev/null | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  src=$dir/build/pause/linux/pause.c
  [[ -n $dir && -f $src ]] || die "k8s.io/kubernetes@$v (build/pause/linux/pause.c) is not in the Go module cache and the proxy did not serve it"
  echo "$src"
}

# Docker-style normalisation, as the CRI does: busybox:1.37 -> docker.io/library/busybox:1.37.
normalize_ref() {
  local ref=$1 first=${1%%/*}
  if [[ $ref != */* ]]; then
    ref=docker.io/library/$ref
  elif [[ $first != *.* && $first != *:* && $first != localhost ]]; then
    ref=docker.io/$ref
  fi
  [[ ${ref##*/} == *:* ]] || ref=$ref:latest
  echo "$ref"
}

# The tag the Valkey subchart renders: its appVersion (the chart leaves image.tag empty).
valkey_tag() {
  local version tgz mirror=${TASKFLOW_OFFLINE_MIRROR:-$root/../shared/offline-mirror}
  version=$(awk '/- name: valkey/ { f = 1 } f && /version:/ { gsub(/[" ]/, ""); sub(/version:/, ""); print; exit }' "$root/chart/Chart.yaml")
  [[ -n $version ]] || die "no valkey dependency in chart/Chart.yaml"
  for tgz in "$root/chart/charts/valkey-$version.tgz" "$mirror/charts/valkey-$version.tgz"; do
    if [[ -f $tgz ]]; then
      tar -xzOf "$tgz" valkey/Chart.yaml | sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\} *$/\1/p'
      return
    fi
  done
  die "valkey-$version.tgz not found in chart/charts/ or $mirror/charts/: run scripts/chart-deps.sh"
}

names_of() {
  case $1 in
    pause) echo localhost/taskflow/pause:3.10 ;;
    valkey) echo "docker.io/valkey/valkey:$(valkey_tag)" ;;
    busybox)
      local img
      img=$(awk '/^helmTest:/ { f = 1; next } f && /^[^ #]/ { exit } f && /^ +image:/ { print $2; exit }' "$root/chart/values.yaml")
      [[ -n $img ]] || die "no helmTest.image in chart/values.yaml"
      normalize_ref "$img"
      ;;
    app)
      local repo tag dev
      repo=$(awk '/^image:/ { f = 1; next } f && /^[^ #]/ { exit } f && /^ +repository:/ { print $2; exit }' "$root/chart/values.yaml")
      tag=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\} *$/\1/p' "$root/chart/Chart.yaml")
      [[ -n $repo && -n $tag ]] || die "no image.repository in chart/values.yaml or appVersion in chart/Chart.yaml"
      normalize_ref "$repo:$tag"
      # The dev stack pins its own tag (Pulumi.dev.yaml app.image); tag the same image with it.
      dev=$(awk '/^  taskflow-api:app:/ { f = 1; next } f && /^  [^ ]/ { exit }
                 f && /repository:/ { r = $2 } f && /tag:/ { t = $2; gsub(/"/, "", t) }
                 END { if (r != "" && t != "") print r ":" t }' "$root/Pulumi.dev.yaml")
      if [[ -n $dev && $(normalize_ref "$dev") != $(normalize_ref "$repo:$tag") ]]; then normalize_ref "$dev"; fi
      ;;
    *) die "unknown image $1" ;;
  esac
}

# --- Debian packages -----------------------------------------------------------------------------

debs_of() {
  case $1 in
    pause | app) ;;
    valkey) echo busybox-static redis-tools libjemalloc2 liblzf1 ;;
    busybox) echo busybox-static wget ;;
    host-redis) echo redis-tools libjemalloc2 liblzf1 ;;
  esac
}

# Downloads each package once (the first version seen stays until the cache is cleared, so a
# Debian point release does not silently rebuild images), and unpacks it into $DEB_ROOT.
fetch_debs() {
  local pkg missing=()
  mkdir -p "$DEB_DIR" "$DEB_ROOT"
  for pkg in "$@"; do
    compgen -G "$DEB_DIR/${pkg}_*.deb" >/dev/null || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    need apt-get "the images are built from Debian packages (apt-get download ${missing[*]})"
    need dpkg-deb "the images are built from Debian packages"
    say "downloading ${missing[*]}"
    # The sandbox user _apt cannot write to a cache under root's home: download as root.
    if ! (cd "$DEB_DIR" && apt-get download -q -o APT::Sandbox::User=root "${missing[@]}" >/dev/null); then
      say "apt-get download failed; running apt-get update once and retrying"
      apt-get update -q >/dev/null || die "apt-get update failed (no Debian mirror reachable?)"
      (cd "$DEB_DIR" && apt-get download -q -o APT::Sandbox::User=root "${missing[@]}" >/dev/null) ||
        die "apt-get download ${missing[*]} failed"
    fi
  fi
  for pkg in "$@"; do
    local deb
    deb=$(compgen -G "$DEB_DIR/${pkg}_*.deb" | sort | tail -n 1)
    dpkg-deb -x "$deb" "$DEB_ROOT"
    echo "$deb"
  done
}

# --- rootfs helpers ------------------------------------------------------------------------------

# Shared libraries a binary needs, as absolute host paths. The packages' own libraries
# (libjemalloc, liblzf) are not installed on the host, so $DEB_ROOT's directory is searched
# first. ldd prints "statically linked" / "not a dynamic executable" for static binaries.
libs_of() {
  local out
  out=$(LD_LIBRARY_PATH=$DEB_ROOT/usr/$ARCH_LIBS:$DEB_ROOT/$ARCH_LIBS ldd "$1" 2>&1) || {
    [[ $out == *"not a dynamic executable"* || $out == *"statically linked"* ]] && return 0
    die "ldd $1 failed: $out"
  }
  [[ $out != *"not found"* ]] || die "ldd $1: missing libraries:"$'\n'"$(grep 'not found' <<<"$out")"
  awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$out"
}

# add_bin ROOTFS SRC DEST: the binary at DEST, each library at the path the loader searches
# (the host path, or for $DEB_ROOT libraries the path the package installs them to).
add_bin() {
  local rootfs=$1 src=$2 dest=$3 lib target libs
  libs=$(libs_of "$src")
  mkdir -p "$rootfs$(dirname "$dest")"
  cp -L "$src" "$rootfs$dest"
  while read -r lib; do
    [[ -n $lib ]] || continue
    target=${lib#"$DEB_ROOT"}
    mkdir -p "$rootfs$(dirname "$target")"
    [[ -e $rootfs$target ]] || cp -L "$lib" "$rootfs$target"
  done <<<"$libs"
}

# Busybox and a link for each applet, except wget: Debian's busybox 1.35 `wget -T` segfaults,
# and an image that needs wget gets GNU wget instead.
add_busybox() {
  local rootfs=$1 applet
  mkdir -p "$rootfs/bin" "$rootfs/usr/bin"
  cp "$DEB_ROOT/bin/busybox" "$rootfs/bin/busybox"
  while read -r applet; do
    [[ -n $applet && $applet != wget && $applet != busybox ]] || continue
    [[ -e $rootfs/bin/$applet ]] || ln -s busybox "$rootfs/bin/$applet"
  done < <("$DEB_ROOT/bin/busybox" --list)
  ln -sf ../../bin/env "$rootfs/usr/bin/env"
}

# /etc/passwd and /etc/group: `id`, `ls -l` and libc lookups need them, and a uid without an
# entry shows up as "I have no name!" in every shell prompt an operator opens.
add_etc() {
  local rootfs=$1 passwd=$2 group=$3
  # Mount points the runtime fills in (runc would create them, but the root is read-only later).
  mkdir -p "$rootfs/etc" "$rootfs/tmp" "$rootfs/dev" "$rootfs/proc" "$rootfs/sys"
  chmod 1777 "$rootfs/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\n%bnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' "$passwd" >"$rootfs/etc/passwd"
  printf 'root:x:0:\n%bnogroup:x:65534:\n' "$group" >"$rootfs/etc/group"
  # glibc (node, wget, redis) resolves names through nsswitch; files then DNS, like a distro.
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
}

# --- the images: inputs, rootfs, runtime config --------------------------------------------------

# Files whose content decides the image (besides this script, the helper and the names).
inputs_of() {
  local key=$1 bin pkgs
  case $key in
    pause) pause_source ;;
    valkey)
      read -ra pkgs <<<"$(debs_of valkey)"
      fetch_debs "${pkgs[@]}"
      for bin in usr/bin/redis-check-rdb usr/bin/redis-cli; do libs_of "$DEB_ROOT/$bin"; done
      ;;
    busybox)
      read -ra pkgs <<<"$(debs_of busybox)"
      fetch_debs "${pkgs[@]}"
      libs_of "$DEB_ROOT/usr/bin/wget"
      ;;
    app)
      bin=$(node_bin)
      echo "$bin"
      libs_of "$bin"
      ls "$root"/app/src/*.js "$root/app/package.json" "$root/app/package-lock.json"
      ;;
  esac
}

rootfs_pause() {
  local rootfs=$1
  need gcc "the pause image is built with gcc -Os -static (apt-get install gcc libc6-dev)"
  local src; src=$(pause_source)
  # The upstream Makefile's flags; VERSION is what `/pause -v` prints.
  gcc -Os -static -Wall -Werror -DVERSION="k8s.io/kubernetes@$(kubernetes_version)" -o "$rootfs/pause" "$src" ||
    die "gcc -static failed (is libc6-dev, with libc.a, installed?)"
  strip "$rootfs/pause" 2>/dev/null || true
  # 65535: the upstream pause image's user; the sandbox needs no privilege to sleep.
  CONFIG='{"User":"65535:65535","Entrypoint":["/pause"],"WorkingDir":"/"}'
}

# The Valkey subchart's image, played by Debian's Redis 7.0.15 (Valkey is not packaged for
# Debian 12 and no Valkey source is reachable offline). Redis speaks the same RESP protocol and
# the subchart's generated config (port, bind "* -::*", dir, aclfile, "user ... on #<sha256>")
# uses only directives Redis 7.0 has. What the subchart runs in it:
#   init container  /scripts/init.sh: sh, date, tee, rm, mkdir, chmod, touch, cat, sha256sum, cut
#   server          valkey-server /data/conf/valkey.conf
#   probes, test    valkey-cli ping, valkey-cli -h ... --user ... --pass ... PING/SET/GET
# Redis picks server mode from argv[0] (anything but redis-check-rdb/-aof), so valkey-server ->
# redis-server -> the redis-check-rdb binary runs the server; `build` checks this.
rootfs_valkey() {
  local rootfs=$1
  add_busybox "$rootfs"
  add_bin "$rootfs" "$DEB_ROOT/usr/bin/redis-check-rdb" /usr/local/bin/redis-server
  add_bin "$rootfs" "$DEB_ROOT/usr/bin/redis-cli" /usr/local/bin/redis-cli
  ln -s redis-server "$rootfs/usr/local/bin/valkey-server"
  ln -s redis-cli "$rootfs/usr/local/bin/valkey-cli"
  # Mount points of the subchart's volumes; the root filesystem is read-only in the pod.
  mkdir -p "$rootfs/data" "$rootfs/etc/valkey" "$rootfs/scripts" "$rootfs/usr/local/etc/valkey"
  # uid 1000: the subchart's default runAsUser.
  add_etc "$rootfs" 'valkey:x:1000:1000:valkey:/data:/bin/false\n' 'valkey:x:1000:\n'
  CONFIG='{"Env":["PATH='$IMAGE_PATH'"],"Cmd":["valkey-server"],"WorkingDir":"/data","ExposedPorts":{"6379/tcp":{}},"Labels":{"org.opencontainers.image.description":"Debian redis-server 7.0.15 as valkey-server (local stand-in for the valkey subchart)"}}'
}

# The helm test image: busybox applets, but GNU wget at /usr/bin/wget so the chart's
# `wget -q -O- -T 5 URL` (exec'd directly, no shell) works.
rootfs_busybox() {
  local rootfs=$1
  add_busybox "$rootfs"
  add_bin "$rootfs" "$DEB_ROOT/usr/bin/wget" /usr/bin/wget
  add_etc "$rootfs" '' ''
  # The root filesystem is read-only and HOME may be /: no HSTS database to write.
  printf 'hsts = off\n' >"$rootfs/etc/wgetrc"
  CONFIG='{"Env":["PATH='$IMAGE_PATH'"],"Cmd":["sh"],"WorkingDir":"/"}'
}

# The reference app (app/): the contract the chart assumes of the real image.
rootfs_app() {
  local rootfs=$1 f
  add_busybox "$rootfs"
  add_bin "$rootfs" "$(node_bin)" /usr/local/bin/node
  mkdir -p "$rootfs/app/dist"
  for f in "$root"/app/src/*.js; do cp "$f" "$rootfs/app/dist/"; done
  # Its npm dependencies (ioredis), exactly as locked, without dev dependencies or install
  # scripts; installed from app/package-lock.json with the pinned Node.js' npm, never copied from
  # a checkout's node_modules (which may hold anything).
  local npm_dir=$WORK_DIR/app-npm
  rm -rf "$npm_dir"; mkdir -p "$npm_dir"
  cp "$root/app/package.json" "$root/app/package-lock.json" "$npm_dir/"
  PATH=$(dirname "$(node_bin)"):$PATH npm ci --prefix "$npm_dir" --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >&2 ||
    die "app: npm ci of app/package-lock.json failed (is the npm registry or its cache reachable?)"
  cp -a "$npm_dir/node_modules" "$rootfs/app/node_modules"
  rm -rf "$npm_dir"
  # Explicit module type: Node otherwise looks for package.json up to / on every start.
  printf '{"name":"taskflow-api","private":true,"type":"commonjs"}\n' >"$rootfs/app/package.json"
  add_etc "$rootfs" 'app:x:10001:10001:taskflow-api:/app:/bin/false\n' 'app:x:10001:\n'
  CONFIG='{"User":"10001:10001","Env":["PATH='$IMAGE_PATH'","NODE_ENV=production"],"Cmd":["node","dist/server.js"],"WorkingDir":"/app","ExposedPorts":{"8080/tcp":{}}}'
}

# --- build ---------------------------------------------------------------------------------------

stamp_of() {
  local key=$1 names=$2
  {
    printf '%s\n' "$names"
    sha256sum "$root/local/images/build.sh" "$root/local/images/oci-layout.js"
    inputs_of "$key" | sort -u | xargs -r sha256sum
    [[ $key != pause ]] || gcc --version | head -n 1
  } | sha256sum | cut -d' ' -f1
}

# Checks the archive as an importer reads it: unpack, then every digest, size and name.
verify_archive() {
  local key=$1 node tmp names=()
  node=$(node_bin)
  mapfile -t names <"$IMAGES_DIR/$key.names"
  tmp=$(mktemp -d "$WORK_DIR/verify-$key.XXXXXX")
  tar -xf "$IMAGES_DIR/$key.oci.tar" -C "$tmp"
  local args=() n
  for n in "${names[@]}"; do args+=(--name "$n"); done
  "$node" "$root/local/images/oci-layout.js" verify "$tmp" "${args[@]}" >"$tmp.json" || { rm -rf "$tmp" "$tmp.json"; die "$key: archive check failed"; }
  rm -rf "$tmp" "$tmp.json"
}

build_one() {
  local key=$1 names stamp start node tar_flags dir rootfs entries=()
  names=$(names_of "$key")
  stamp=$(stamp_of "$key" "$names")
  if [[ -f $IMAGES_DIR/$key.oci.tar && $(cat "$IMAGES_DIR/$key.stamp" 2>/dev/null) == "$stamp" ]]; then
    say "$key: up to date ($(mib "$IMAGES_DIR/$key.oci.tar"), $(tr '\n' ' ' <<<"$names"))"
    return
  fi
  start=$(now)
  node=$(node_bin)
  dir=$WORK_DIR/$key
  rootfs=$dir/rootfs
  rm -rf "$dir"
  mkdir -p "$rootfs"
  CONFIG=''
  "rootfs_$key" "$rootfs"
  printf '%s\n' "$CONFIG" >"$dir/config.json"

  # One reproducible layer: sorted names, epoch mtimes, root ownership by number; no "./"
  # prefix, so entries read like a registry image's.
  tar_flags=(--sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu)
  mapfile -t entries < <(LC_ALL=C ls -A "$rootfs")
  tar "${tar_flags[@]}" -C "$rootfs" -cf "$dir/layer.tar" -- "${entries[@]}"
  local args=() n
  while read -r n; do args+=(--name "$n"); done <<<"$names"
  "$node" "$root/local/images/oci-layout.js" write --layer "$dir/layer.tar" --out "$dir/layout" --config "$dir/config.json" "${args[@]}" >"$dir/write.json"
  tar "${tar_flags[@]}" -C "$dir/layout" -cf "$IMAGES_DIR/$key.oci.tar.part" oci-layout index.json blobs
  mv "$IMAGES_DIR/$key.oci.tar.part" "$IMAGES_DIR/$key.oci.tar"
  printf '%s\n' "$names" >"$IMAGES_DIR/$key.names"
  sed -n 's/.*"manifest":"\(sha256:[0-9a-f]*\)".*/\1/p' "$dir/write.json" >"$IMAGES_DIR/$key.digest"
  # Only the rootfs stays: `verify` runs its binaries, `host-redis` reuses nothing from it.
  rm -rf "$dir/layer.tar" "$dir/layout"
  verify_archive "$key"
  printf '%s\n' "$stamp" >"$IMAGES_DIR/$key.stamp"
  say "$key: built $(mib "$IMAGES_DIR/$key.oci.tar") in $(since "$start") s ($(tr '\n' ' ' <<<"$names")$(cat "$IMAGES_DIR/$key.digest"))"
}

cmd_build() {
  need tar "images are tar archives"
  need ldd "binaries are copied with the libraries ldd resolves"
  mkdir -p "$IMAGES_DIR" "$WORK_DIR"
  local key
  for key in "${IMAGES[@]}"; do build_one "$key"; done
}

# --- verify: run what each image runs, from its rootfs (chroot; root only) -----------------------

cmd_verify() {
  local key
  for key in "${IMAGES[@]}"; do
    [[ -f $IMAGES_DIR/$key.oci.tar ]] || die "$key: not built (local/images/build.sh build)"
    verify_archive "$key"
    say "$key: archive ok ($(tr '\n' ' ' <<<"$(cat "$IMAGES_DIR/$key.names")"))"
  done
  if [[ $(id -u) != 0 ]] || ! command -v chroot >/dev/null; then
    say "binaries not run: chroot needs root"
    return
  fi
  # env -i: a container starts with the image's Env only, not this shell's.
  local r=$WORK_DIR port out
  env -i PATH=$IMAGE_PATH HOME=/ chroot "$r/pause/rootfs" /pause -v >/dev/null || die "pause: /pause -v failed"
  say "pause: /pause runs"

  out=$(env -i PATH=$IMAGE_PATH HOME=/ chroot "$r/valkey/rootfs" /bin/sh -c 'valkey-server --version && valkey-cli --version && echo x | sha256sum | cut -c1-8 && date +%Y') ||
    die "valkey: binaries do not run: $out"
  say "valkey: $(head -n 1 <<<"$out")"
  # A server from the subchart's kind of config, as its uid, with AUTH: PONG only with the password.
  port=$(free_port)
  local data=$r/valkey/rootfs/tmp/verify
  mkdir -p "$data"
  chown 1000:1000 "$data"
  # Loopback only, and a password made here, passed to the client in its environment (review m3
  # of 2026-12-07: the check's server listened on every interface with a public password).
  local pass; pass=$(openssl rand -hex 16)
  printf 'user default on #%s ~* &* +@all\n' "$(printf %s "$pass" | sha256sum | cut -d' ' -f1)" >"$data/users.acl"
  printf 'port %s\nprotected-mode yes\nbind 127.0.0.1\ndir /tmp/verify\naclfile /tmp/verify/users.acl\n' "$port" >"$data/valkey.conf"
  env -i PATH=$IMAGE_PATH HOME=/ chroot --userspec=1000:1000 "$r/valkey/rootfs" valkey-server /tmp/verify/valkey.conf >"$data/server.log" 2>&1 &
  local pid=$! _
  for _ in $(seq 50); do
    out=$(env -i PATH=$IMAGE_PATH HOME=/ REDISCLI_AUTH="$pass" chroot "$r/valkey/rootfs" valkey-cli -h 127.0.0.1 -p "$port" --no-auth-warning ping 2>&1) && [[ $out == PONG ]] && break
    sleep 0.1
  done
  local noauth
  noauth=$(env -i PATH=$IMAGE_PATH HOME=/ chroot "$r/valkey/rootfs" valkey-cli -h 127.0.0.1 -p "$port" ping 2>&1 || true)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  [[ $out == PONG ]] || die "valkey: server did not answer PONG: $out; log: $(cat "$data/server.log")"
  say "valkey: valkey-server answers PONG with the password, '$noauth' without"
  rm -rf "$data"

  out=$(env -i PATH=$IMAGE_PATH HOME=/ chroot "$r/busybox/rootfs" wget --version | head -n 1)
  say "busybox: $out"
  port=$(free_port)
  "$(node_bin)" -e 'require("http").createServer((q, s) => s.end("verify-ok")).listen(+process.argv[1], "127.0.0.1")' "$port" &
  pid=$!
  sleep 0.5
  out=$(env -i PATH=$IMAGE_PATH HOME=/ chroot --userspec=10001:10001 "$r/busybox/rootfs" wget -q -O- -T 5 "http://127.0.0.1:$port/" 2>&1 || true)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  [[ $out == verify-ok ]] || die "busybox: wget -q -O- -T 5 failed: $out"
  say "busybox: wget -q -O- -T 5 works (as uid 10001)"

  out=$(env -i PATH=$IMAGE_PATH HOME=/ chroot --userspec=10001:10001 "$r/app/rootfs" /bin/sh -c 'cd /app && id && node -e "console.log(process.version)" && node --check dist/server.js && node --check dist/migrate.js && node -e "require(\"/app/dist/redis.js\")" && ! touch /x 2>/tmp/touch.err && touch /tmp/x && ls /tmp/x && rm /tmp/x /tmp/touch.err') ||
    die "app: checks failed: $out"
  say "app: $(tr '\n' ' ' <<<"$out")"
  out=$(env -i PATH=$IMAGE_PATH HOME=/ chroot --userspec=10001:10001 "$r/app/rootfs" /bin/sh -c 'cd /app && MIGRATION_FAIL=verify node dist/migrate.js up' 2>&1) && die "app: MIGRATION_FAIL did not fail"
  say "app: migrate with MIGRATION_FAIL exits 1: $out"
}

free_port() {
  "$(node_bin)" -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

# --- import --------------------------------------------------------------------------------------

ctr_bin() {
  local bin=${TOOLS_BIN:-$TOOLS_DIR/bin}/ctr
  if [[ -x $bin ]]; then echo "$bin"; return; fi
  command -v ctr || die "ctr not found in ${TOOLS_BIN:-$TOOLS_DIR/bin} or on PATH (containerd's client)"
}

# ctr ARGS... : the client, minus the cgroup v1 deprecation warning containerd 2.2 prints on
# every call on this host (known, and said once in the README).
ctr_quiet() { "$ctr" "$@" 2> >(grep -v 'support for cgroup v1 is deprecated' >&2); }

cmd_import() {
  local sock=${1:-}
  [[ -n $sock ]] || die "usage: local/images/build.sh import <containerd socket>"
  [[ -S $sock ]] || die "$sock is not a socket (is containerd running?)"
  # Build first: a no-op (a few seconds of hashing) when every stamp matches, and a fresh
  # clone's first `cluster.sh up` needs no separate step.
  cmd_build
  local ctr key start present ref digest names=() todo
  ctr=$(ctr_bin)
  # Refs and target digests already in the CRI's namespace.
  present=$("$ctr" -a "$sock" -n k8s.io images ls 2>/dev/null | awk 'NR > 1 { print $1, $3 }') ||
    die "ctr -a $sock images ls failed"
  for key in "${IMAGES[@]}"; do
    [[ -f $IMAGES_DIR/$key.oci.tar ]] || die "$key: not built (local/images/build.sh build)"
    start=$(now)
    digest=$(cat "$IMAGES_DIR/$key.digest")
    mapfile -t names <"$IMAGES_DIR/$key.names"
    todo=0
    for ref in "${names[@]}"; do
      grep -qxF "$ref $digest" <<<"$present" || todo=1
    done
    if ((todo)); then
      # --snapshotter: the CRI unpacks into (and looks in) its own snapshotter, overlayfs by default.
      ctr_quiet -a "$sock" -n k8s.io images import --snapshotter "${TASKFLOW_SNAPSHOTTER:-overlayfs}" \
        --label io.cri-containerd.pinned=pinned "$IMAGES_DIR/$key.oci.tar" >/dev/null ||
        die "$key: ctr images import failed"
    fi
    # Pinned: the kubelet's image garbage collection never removes them, since nothing can
    # pull them back. Labelled again when skipped, in case an earlier import was not.
    for ref in "${names[@]}"; do
      ctr_quiet -a "$sock" -n k8s.io images label "$ref" io.cri-containerd.pinned=pinned >/dev/null ||
        die "$key: labelling $ref failed (was it imported under another name?)"
    done
    printf '%-48s %10s %6s s  %s\n' "${names[0]}" "$(mib "$IMAGES_DIR/$key.oci.tar")" "$(since "$start")" \
      "$( ((todo)) && echo imported || echo "already present ($digest)")"
  done
}

# --- host-redis: for test/app (a real redis-server with requirepass) -----------------------------

# Prints the path of a redis-server wrapper that runs Debian's binary on this host with the
# package's own libraries (libjemalloc, liblzf are not installed here).
cmd_host_redis() {
  local dir=$IMAGES_DIR/host
  local pkgs
  read -ra pkgs <<<"$(debs_of host-redis)"
  fetch_debs "${pkgs[@]}" >/dev/null
  libs_of "$DEB_ROOT/usr/bin/redis-check-rdb" >/dev/null
  mkdir -p "$dir/bin"
  # A copy named redis-server: the binary runs as a server only under that kind of name.
  cp "$DEB_ROOT/usr/bin/redis-check-rdb" "$dir/bin/redis-server"
  printf '#!/bin/sh\n# Debian redis-server (local/images/build.sh host-redis), with the package libraries.\nLD_LIBRARY_PATH=%s exec %s "$@"\n' \
    "$DEB_ROOT/usr/$ARCH_LIBS" "$dir/bin/redis-server" >"$dir/redis-server"
  chmod 755 "$dir/redis-server"
  "$dir/redis-server" --version >/dev/null || die "$dir/redis-server does not run"
  echo "$dir/redis-server"
}

case ${1:-} in
  build) cmd_build ;;
  verify) cmd_verify ;;
  import) cmd_import "${2:-}" ;;
  list) for key in "${IMAGES[@]}"; do names_of "$key"; done ;;
  host-redis) cmd_host_redis ;;
  *) die "usage: local/images/build.sh build | verify | import <containerd-socket> | list | host-redis" ;;
esac
