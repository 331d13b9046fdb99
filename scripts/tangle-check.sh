#!/usr/bin/env bash
# Check that code/ is what the chapters tangle to, in the work tree and in
# the last commit.  Usage: scripts/tangle-check.sh TANGLE   (make tangle-check)
#
# The work tree alone is not enough: `make` re-tangles code/, so a chapter
# committed without its regenerated code/ passes a work-tree check while a
# fresh clone of that commit fails.  The commit is checked in a scratch
# export of HEAD's chapters/ and code/ (git archive), removed on every exit.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "Usage: $0 TANGLE" >&2
  exit 2
fi
tangle=$(realpath "$1")
status=0

echo "tangle-check: work tree"
if ! "$tangle" -o code --check chapters/*.md; then
  echo "tangle-check: code/ in the work tree differs from chapters/ (the paths above): run \`make code\`" >&2
  status=1
fi

if ! git rev-parse --verify -q HEAD >/dev/null 2>&1; then
  echo "tangle-check: not a git checkout with a commit: HEAD not checked"
  exit "$status"
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tangle-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT HUP TERM
git archive --format=tar HEAD -- chapters code | tar -x -C "$tmp"
rev=$(git rev-parse --short HEAD)
echo "tangle-check: commit $rev"
if ! (cd "$tmp" && "$tangle" -o code --check chapters/*.md); then
  echo "tangle-check: in commit $rev, code/ differs from chapters/ (the paths above):" >&2
  echo "tangle-check: run \`make code\`, then commit code/ with the chapter (git add code && git commit --amend)" >&2
  status=1
fi
exit "$status"
