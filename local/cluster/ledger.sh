# shellcheck shell=bash
# The teardown ledger of one local cluster: what its `up` created on this host, written as it
# is created, so that `down` undoes exactly that and nothing else. Sourced by
# local/cluster/cluster.sh; not a program. Needs no toolchain (bash, coreutils, /proc).
#
# $LEDGER_DIR (the cluster's state dir + /ledger, mode 0700):
#   created        one line per thing created: "KIND ARG...", in creation order, first line
#                  "boot <boot id>". Kinds: boot, dir, link, cgroup, chain, netns, sysctl,
#                  sysctl-ours, bin. A ledger from an earlier boot describes nothing that still
#                  runs (processes, links, chains, mounts and netns die with the boot).
#   pids/NAME.pid  "PID STARTTIME EXE BOOTID": a process we started. Its identity is the boot,
#                  the pid and the start time (field 22 of /proc/PID/stat, clock ticks since
#                  boot), checked before any signal: a pid reused after an exit or a reboot
#                  is never ours. EXE is information only (what it was started from).
#
# Why not pid files alone (review M2 of 2026-11): `kill -0 PID` is true for any process that got
# the pid since, so a stale file made `up` skip a daemon and `down` SIGKILL a stranger. Why not
# the executable (review M2 of 2026-12-07): after a rebuild or an apt upgrade /proc/PID/exe reads
# "PATH (deleted)", so a live daemon looked dead; `up` collided with it and `down` left it.

BOOT_ID=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown-boot)

# --- the ledger file ---------------------------------------------------------------------------
ledger_file() { echo "$LEDGER_DIR/created"; }

# ledger_state: "current" (written this boot), "stale" (an earlier boot) or "absent".
ledger_state() {
  local f; f=$(ledger_file)
  [[ -f $f ]] || { echo absent; return; }
  if [[ $(head -1 "$f") == "boot $BOOT_ID" ]]; then echo current; else echo stale; fi
}

ledger_open() { # creates the ledger for this boot (a stale one is set aside first)
  if [[ $(ledger_state) == stale ]]; then mv "$LEDGER_DIR" "$LEDGER_DIR.stale.$$"; rm -rf "$LEDGER_DIR.stale.$$"; fi
  (umask 077; mkdir -p "$LEDGER_DIR/pids") || return 1
  [[ -f $(ledger_file) ]] || echo "boot $BOOT_ID" 2>/dev/null > "$(ledger_file)" ||
    { printf '[ledger] cannot write %s\n' "$(ledger_file)" >&2; rm -f "$(ledger_file)"; return 1; }
}

# ledger_add KIND ARG... : once per distinct line. A write that fails (a full disk) is fatal while
# LEDGER_STRICT is set (`up`): it exits, so the EXIT trap undoes what exists, even where the
# caller runs in a || list and errexit is off (review M5); elsewhere it fails.
ledger_add() {
  local line="$*"
  grep -qxF -- "$line" "$(ledger_file)" 2>/dev/null && return 0
  printf '%s\n' "$line" 2>/dev/null >> "$(ledger_file)" && return 0
  printf '[ledger] cannot write %s (disk full?): %s\n' "$(ledger_file)" "$line" >&2
  [[ -z ${LEDGER_STRICT:-} ]] || exit 75
  return 1
}
ledger_has() { grep -qxF -- "$*" "$(ledger_file)" 2>/dev/null; }
ledger_list() { # KIND : the ARG part of every line of that kind, in order
  [[ -f $(ledger_file) ]] || return 0
  awk -v k="$1" '$1 == k { sub(/^[^ ]+ /, ""); print }' "$(ledger_file)"
}
ledger_bin() { # NAME : the binary `up` used for NAME (recorded), or nothing
  ledger_list bin | awk -v n="$1" '$1 == n { print $2; exit }'
}

# --- processes: identity, not just a pid --------------------------------------------------------
# proc_start PID : the process's start time (field 22 of /proc/PID/stat, ticks since boot);
# fails when there is no such process or it has exited (a zombie, state Z/X: not running).
proc_start() {
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) } # the command name (field 2) may contain spaces and parentheses
  # shellcheck disable=SC2086 # split into fields on purpose
  set -- $s
  [[ $1 != [ZX] ]] || return 1
  echo "${20}" # fields 3.. follow the name, so field 22 is the 20th here
}
# proc_exe PID : the path the process runs, also after that file was replaced or removed on disk
# (the kernel then appends " (deleted)"). Information, and the match of scans by binary.
proc_exe() { local e; e=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1; echo "${e% (deleted)}"; }

# pidrec_write FILE PID EXE : records PID at once (its start time is fixed at the fork, so a
# SIGKILL of `up` right after leaves a record `down` can act on: review m6), then waits until it
# runs EXE (a background job is the shell's fork for a moment first). Fails, leaving the record
# for the teardown, if PID never becomes EXE; fails if the record cannot be written (M5).
pidrec_write() {
  local file=$1 pid=$2 exe i start
  exe=$(readlink -f "$3")
  start=$(proc_start "$pid") || return 1
  printf '%s %s %s %s\n' "$pid" "$start" "$exe" "$BOOT_ID" > "$file.tmp" && mv "$file.tmp" "$file" || return 1
  for ((i = 0; i < 100; i++)); do
    [[ $(proc_exe "$pid") == "$exe" ]] && return 0
    pidrec_check "$file" || return 1
    sleep 0.05
  done
  return 1
}

# pidrec_check FILE : true when the process FILE names is still that process (same boot, same
# pid, same start time), whatever its executable on disk has become since.
pidrec_check() {
  local pid start exe boot
  [[ -f $1 ]] || return 1
  read -r pid start exe boot < "$1" || return 1
  [[ $pid =~ ^[0-9]+$ && $boot == "$BOOT_ID" ]] || return 1
  [[ $(proc_start "$pid") == "$start" ]]
}
pidrec_pid() { local pid; read -r pid _ < "$1" && echo "$pid"; }

# pidrec_stop FILE NAME [SECONDS] : SIGTERM, SIGKILL after SECONDS (default 20), only while the
# identity holds; the record goes either way. A record that no longer matches is reported and
# nobody is signalled.
pidrec_stop() {
  local file=$1 name=$2 limit=${3:-20} pid i
  [[ -f $file ]] || return 0
  pid=$(pidrec_pid "$file")
  if pidrec_check "$file"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < limit * 10; i++)); do pidrec_check "$file" || break; sleep 0.1; done
    if pidrec_check "$file"; then
      printf '[ledger] %s (pid %s) ignored SIGTERM for %ss; killing it\n' "$name" "$pid" "$limit" >&2
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 100; i++)); do pidrec_check "$file" || break; sleep 0.1; done
    fi
  elif [[ -d /proc/$pid ]]; then
    printf '[ledger] %s: pid %s now belongs to another process (%s); not signalled\n' "$name" "$pid" "$(proc_exe "$pid" || echo '?')" >&2
  fi
  rm -f "$file"
}

# close_fds: closes every file descriptor of this shell but 0-2. A lock the caller holds (our
# own, or `flock FILE npm start` around us) must not live on in a daemon, nor in what kwokctl
# forks: bash opens files without close-on-exec.
close_fds() {
  local fd
  for fd in "/proc/$BASHPID/fd"/*; do
    fd=${fd##*/}
    if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
}
run_clean() { (close_fds; exec "$@"); }
# run_detached LOG CMD... : CMD in its own session (so a stop reaches its children), stdin from
# /dev/null, output appended to LOG. Prints the pid (the subshell execs setsid, which execs CMD
# without a fork: a background job is never a process group leader).
run_detached() {
  local log=$1; shift
  (close_fds; exec setsid "$@" >>"$log" 2>&1 < /dev/null) &
  echo $!
}

# --- kernel settings ------------------------------------------------------------------------------
# sysctl_decide BEFORE OURS NOW : what `down` does with one setting. BEFORE is the value before
# `up`, OURS the value our node left it at, NOW the value at `down`.
#   unchanged   our node did not change it: nothing to do
#   restore     it still holds our value: put BEFORE back
#   keep        someone changed it after us (say Docker set ip_forward=1): leave it (review m15)
sysctl_decide() {
  if [[ $2 == "$1" ]]; then echo unchanged
  elif [[ $3 == "$2" ]]; then echo restore
  else echo keep; fi
}
sysctl_get() { sysctl -n "$1" 2>/dev/null | tr '\t' ' '; }
