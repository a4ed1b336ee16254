#!/usr/bin/env bash
# Runs offline-tests.yml's test job the way a GitHub-hosted runner runs it: as an unprivileged
# user (uid 65534, `nobody`; the runner's `runner` user has no root either), with CI=true and
# GITHUB_ACTIONS=true, in a fresh copy of the checkout it owns, with a home of its own. Fails
# if the job would fail there. This is what kept every deploy and preview dead (review B1):
# `npm test` ended in the real-node suite, which refuses non-root under CI=true, and nothing here
# ran the workflow's command as the runner does.
#
#   bash scripts/check-runner.sh        # needs root (to switch user); closing line "runner: N passed, N failed"
#
# The job's steps are read from the workflow, in order; each `uses:` step has a stand-in below
# (a step we do not know fails the check: teach it here) and each `run:` step runs verbatim, with
# TASKFLOW_TEST_QUICK=1 so every suite runs or runs its cheap stand-in (scripts/test.sh): the
# whole job takes about a minute instead of the runner's 10+ (warm). Stand-ins:
#   actions/checkout       the tracked and untracked-but-not-ignored files of this tree, copied
#   actions/setup-node     the toolchain's Node.js (the pinned 24) first on PATH
#   actions/setup-go       none: with the warm cache nothing is built, and without go a tool
#                          missing from the cache fails fast instead of starting a Go build
#   actions/cache          a warm hit: a copy of this host's tools cache (sources left out)
#   azure/setup-helm       the toolchain's helm 3 as `helm` on PATH
#   `npm ci`               node_modules of this tree linked read-only (same lock files)
# Then the canary: the same user and environment running the full `npm test` (quick) must FAIL,
# because it includes the real node; a check that cannot see that would pass anything.
# Also checked: the job's timeout covers a cold toolchain build (README: 37 min on 2 cores).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1
workflow=.github/workflows/offline-tests.yml
job=npm-test
uid=${TASKFLOW_RUNNER_UID:-65534}
# Cold toolchain for the offline groups (1,320 s = 22 min measured on 2 shared cores, 2026-12-03)
# plus npm ci, the Valkey chart and the suites; below this the first run after a pin change is
# killed.
MIN_TIMEOUT_MINUTES=50

passed=0 failed=0
pass() { echo "ok    $1"; passed=$((passed + 1)); }
fail() { echo "FAIL  $1"; failed=$((failed + 1)); }
finish() { echo "runner: $passed passed, $failed failed"; ((failed == 0)); exit; }

if [[ $(id -u) != 0 ]]; then
  # On the runner itself (or a non-root machine) there is no other user to become.
  echo "runner check: skipped: needs root to run the job as an unprivileged user (uid $uid)"
  [[ ${CI:-} == true && ${GITHUB_ACTIONS:-} != true ]] && fail "runner check ran (CI=true needs it)"
  finish
fi
tools=${TASKFLOW_TOOLS_DIR:-$HOME/.cache/taskflow-api/tools}
for b in helm3 helm4 kubeconform kube-linter actionlint pulumi; do
  [[ -x $tools/bin/$b ]] || { fail "the toolchain is built ($tools/bin/$b missing: run bash local/toolchain/tools.sh first)"; finish; }
done

# The job, as JSON lines: {"timeout":N} then one {"uses":...} or {"run":...} per step.
# shellcheck disable=SC2016 # JavaScript, not shell
steps=$(node -e '
  const yaml = require(require.resolve("js-yaml", { paths: [process.argv[1]] }));
  const wf = yaml.load(require("fs").readFileSync(process.argv[2], "utf8"));
  const job = wf.jobs?.[process.argv[3]];
  if (!job) { console.error(`no job ${process.argv[3]} in ${process.argv[2]}`); process.exit(1); }
  console.log(JSON.stringify({ timeout: job["timeout-minutes"] ?? 360, runsOn: job["runs-on"] }));
  for (const s of job.steps ?? []) console.log(JSON.stringify(s.uses ? { uses: s.uses } : { run: s.run }));
' "$root" "$workflow" "$job") || { fail "read $workflow job $job"; finish; }

timeout=$(head -1 <<<"$steps" | node -e 'process.stdin.on("data", d => console.log(JSON.parse(d).timeout))')
if ((timeout >= MIN_TIMEOUT_MINUTES)); then pass "$job timeout-minutes $timeout covers a cold toolchain (>= $MIN_TIMEOUT_MINUTES)"
else fail "$job timeout-minutes $timeout covers a cold toolchain (>= $MIN_TIMEOUT_MINUTES)"; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/taskflow-runner.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
home=$work/home repo=$work/repo bin=$work/bin
mkdir -p "$home" "$repo" "$bin"
path=$bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# shellcheck disable=SC2016 # the inner bash expands $0 and $@
as_runner() { # CMD... : as uid $uid in the copy, with the runner's environment only
  setpriv --reuid="$uid" --regid="$uid" --clear-groups -- env -i HOME="$home" PATH="$path" USER=runner \
    CI=true GITHUB_ACTIONS=true RUNNER_OS=Linux TASKFLOW_TEST_QUICK=1 LANG=C.UTF-8 \
    ${TASKFLOW_TEST_ONLY:+TASKFLOW_TEST_ONLY="$TASKFLOW_TEST_ONLY"} \
    TASKFLOW_OFFLINE_MIRROR="${TASKFLOW_OFFLINE_MIRROR:-$root/../shared/offline-mirror}" \
    bash -c 'cd "$0" && "$@"' "$repo" "$@"
}

while IFS= read -r line; do
  uses=$(node -p 'JSON.parse(process.argv[1]).uses ?? ""' "$line")
  cmd=$(node -p 'JSON.parse(process.argv[1]).run ?? ""' "$line")
  if [[ -n $uses ]]; then
    case ${uses%@*} in
      actions/checkout)
        git -C "$root" ls-files -z -c -o --exclude-standard |
          tar --null -T - -C "$root" -cf - 2>/dev/null | tar -C "$repo" -xf -
        # actions/checkout leaves a git repository (tests read `git ls-files`): the working tree
        # as one commit, like its shallow fetch of the pushed commit.
        git -C "$repo" init -q -b main && git -C "$repo" add -A &&
          git -C "$repo" -c user.name=runner -c user.email=runner@localhost commit -qm checkout ;;
      actions/setup-node) for n in "$tools"/node-v*/bin; do ln -sf "$n"/* "$bin"/; done ;;
      actions/setup-go) ;;
      actions/cache)
        mkdir -p "$home/.cache/taskflow-api/tools"
        tar -C "$tools" --exclude=./src -cf - . | tar -C "$home/.cache/taskflow-api/tools" -xf -
        # A restored cache sits at the path it was saved from ($HOME is the same on every run);
        # this copy does not, so the wrappers that name their own directory are pointed at it.
        grep -rlIF --exclude-dir=debroot --exclude-dir=debs --exclude-dir=node-v\* "$tools" "$home/.cache/taskflow-api/tools" 2>/dev/null |
          while IFS= read -r f; do sed -i "s|$tools|$home/.cache/taskflow-api/tools|g" "$f"; done ;;
      azure/setup-helm) ln -sf "$tools/bin/helm3" "$bin/helm" ;;
      *) fail "no stand-in for step uses: $uses (teach scripts/check-runner.sh)"; continue ;;
    esac
    chown -R "$uid:$uid" "$work"
    echo "      stand-in for $uses"
    continue
  fi
  if [[ $cmd =~ ^npm\ ci ]]; then
    for d in . deployments policy; do [[ -d $root/$d/node_modules ]] && ln -sfn "$root/$d/node_modules" "$repo/$d/node_modules"; done
    echo "      stand-in for: $cmd (node_modules linked read-only)"
    continue
  fi
  echo "      run (uid $uid, CI=true): $cmd"
  out=$(as_runner bash -e -c "$cmd" 2>&1); rc=$?
  # All of it when it failed (the reason is rarely in the last lines), else the end.
  if ((rc == 0)); then printf '%s\n' "$out" | tail -15 | sed 's/^/        /'; else printf '%s\n' "$out" | sed 's/^/        /'; fi
  if ((rc == 0)); then pass "as the runner: $cmd"; else fail "as the runner: $cmd (exit $rc)"; fi
done < <(tail -n +2 <<<"$steps")

# The canary: everything, the real node included, must not pass as this user.
out=$(TASKFLOW_TEST_ONLY="end-to-end" as_runner bash scripts/test.sh 2>&1); rc=$?
if ((rc != 0)) && grep -q "FAILED suite: end-to-end" <<<"$out"; then
  pass "canary: the full npm test (real node) fails as the runner ($(grep -m1 -o 'not root[^;]*' <<<"$out" || echo "exit $rc"))"
else
  printf '%s\n' "$out" | tail -20 | sed 's/^/        /'
  fail "canary: the full npm test (real node) fails as the runner (it did not: exit $rc)"
fi
finish
