#!/usr/bin/env bash
# Prints the commit of the previous release: what prod runs now, and so what the next upgrade
# starts from. The chart suite's upgrade checks and e2e/upgrade.test.ts compare HEAD with it.
# The rule, first that applies:
#   1. $TASKFLOW_RELEASE_BASE (any ref git resolves; an unknown ref is an error naming it);
#   2. the newest release tag v<semver> reachable from HEAD (`git describe --match 'v[0-9]*'`);
#   3. the merge-base of HEAD with origin/main, else main (what main deployed before this branch);
#      when that is HEAD itself (a build of main), its first parent.
# On stderr: which rule chose it. Exit 3 with the reason when there is none (no git, a shallow
# clone without the base: fetch with `fetch-depth: 0`).
#
#   bash scripts/release-base.sh            # -> 40-hex commit
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
g() { git -C "$root" "$@"; }
say() { echo "release-base: $*" >&2; }

g rev-parse --is-inside-work-tree >/dev/null 2>&1 || { say "$root is not a git work tree"; exit 3; }
if [[ -n ${TASKFLOW_RELEASE_BASE:-} ]]; then
  c=$(g rev-parse --verify --quiet "$TASKFLOW_RELEASE_BASE^{commit}") ||
    { say "TASKFLOW_RELEASE_BASE=$TASKFLOW_RELEASE_BASE is not a commit in this clone (fetch it, or fetch with tags)"; exit 3; }
  say "$TASKFLOW_RELEASE_BASE (TASKFLOW_RELEASE_BASE) = ${c:0:12}"; echo "$c"; exit 0
fi
if tag=$(g describe --tags --abbrev=0 --match 'v[0-9]*' HEAD 2>/dev/null); then
  c=$(g rev-parse "$tag^{commit}"); say "newest release tag $tag = ${c:0:12}"; echo "$c"; exit 0
fi
head=$(g rev-parse HEAD)
for ref in origin/main main; do
  g rev-parse --verify --quiet "$ref^{commit}" >/dev/null || continue
  mb=$(g merge-base HEAD "$ref") || continue
  if [[ $mb == "$head" ]]; then
    mb=$(g rev-parse --verify --quiet "HEAD^1") || { say "HEAD is $ref's first commit: no previous release"; exit 3; }
    say "no release tag; HEAD is on $ref, its first parent = ${mb:0:12}"
  else
    say "no release tag; merge-base with $ref = ${mb:0:12}"
  fi
  echo "$mb"; exit 0
done
say "no release tag (v*) and no origin/main or main in this clone; set TASKFLOW_RELEASE_BASE"
exit 3
