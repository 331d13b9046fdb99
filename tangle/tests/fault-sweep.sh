#!/usr/bin/env bash
# Compare how two tangle builds fail: for a change to write.c that must not
# change behaviour (not part of make test-tangle: about a minute a build).
# Usage: tangle/tests/fault-sweep.sh OLD_TANGLE NEW_TANGLE
#
# For each old -> new chapter change (file <-> folder, pruning, new files),
# a real run is made to fail at the Nth call (N = 1..6) of write, unlinkat,
# renameat, mkdirat or fchmod, by SIGKILL, ENOSPC or EIO (strace -e
# inject).  Each build's transcript lists the failed run's status, stderr
# and the tree and manifest it leaves; then the next run, of the new chapter
# or of the old one again, must end as a run from nothing does, and --check
# must be clean.  The two transcripts must be the same, and no recovery may
# fail.  Exit 0 when both hold.
# shellcheck disable=SC2016
set -u
[ $# = 2 ] || { echo "usage: $0 OLD_TANGLE NEW_TANGLE" >&2; exit 2; }
command -v strace > /dev/null || { echo "fault-sweep: strace missing" >&2; exit 2; }
old_bin=$(realpath "$1")
new_bin=$(realpath "$2")
root=$(mktemp -d "${TMPDIR:-/tmp}/tangle-sweep-XXXXXX")
trap 'rm -rf "$root"' EXIT

chapter() {  # chapter FILE PATH...: one block per path
  local f=$1 p
  shift
  printf '# c\n' > "$f"
  for p in "$@"; do printf '\n```{.c file=%s}\nint v;\n```\n' "$p" >> "$f"; done
}
snap() {  # the tree and the manifest, temp names made alike
  find out -printf '%p %y %m %s\n' 2> /dev/null \
    | sed -E 's/tangle-[A-Za-z0-9]{6}/tangle-XXXXXX/' | LC_ALL=C sort
  echo "manifest: $(od -An -c out/.tangled 2> /dev/null | tr -s ' ' | tr -d '\n')"
}
sweep() {  # sweep TANGLE: the transcript on stdout, "RECOVERY FAILED" lines
  local t=$1 o n fault sc back st
  local -a pairs=("a/x.c a/y.c k.c|a k.c" "a k.c|a/x.c k.c" "b/c c/a/b k.c|b/c k.c"
                  "d/e/f/g.c k.c|d k.c" "k.c|k.c m.c" "k.c gone/sub/x.c|k.c"
                  "k.c old.c|k.c new.c")
  for o in "${pairs[@]}"; do
    # shellcheck disable=SC2086
    chapter old.md ${o%|*}
    # shellcheck disable=SC2086
    chapter new.md ${o#*|}
    for fault in signal=KILL error=ENOSPC error=EIO; do
      for sc in write unlinkat renameat mkdirat fchmod; do
        for n in 1 2 3 4 5 6; do
          rm -rf out faulted
          "$t" -o out old.md
          st=0
          (strace -f -o /dev/null -e inject="$sc:$fault:when=$n" "$t" -o out new.md \
             > /dev/null 2> err.txt; exit $?) 2> /dev/null || st=$?
          echo "== ${o%|*} -> ${o#*|}, $fault at $sc #$n: rc $st"
          sed -E 's/tangle-[A-Za-z0-9]{6}/tangle-XXXXXX/g' err.txt
          snap
          cp -a out faulted
          for back in new.md old.md; do
            rm -rf out fresh
            cp -a faulted out
            "$t" -o fresh "$back"
            if ! "$t" -o out "$back" > rerun.txt 2>&1 || ! diff -r fresh out > /dev/null \
               || ! "$t" --check -o out "$back" > /dev/null; then
              echo "RECOVERY FAILED: then $back"
              cat rerun.txt
            fi
          done
        done
      done
    done
  done
}
export ASAN_OPTIONS=detect_leaks=0   # (LeakSanitizer cannot run under ptrace)
mkdir "$root/old" "$root/new"
(cd "$root/old" && sweep "$old_bin") > "$root/old.txt"
(cd "$root/new" && sweep "$new_bin") > "$root/new.txt"
faults=$(grep -c '^== ' "$root/new.txt")
bad=0
if grep -q 'RECOVERY FAILED' "$root/new.txt"; then
  grep -B1 -A3 'RECOVERY FAILED' "$root/new.txt" | head -40
  bad=1
fi
if ! diff -u "$root/old.txt" "$root/new.txt"; then
  echo "fault-sweep: the two builds fail differently"
  bad=1
fi
echo "fault-sweep: $faults faults, $(grep -c 'RECOVERY FAILED' "$root/new.txt") recovery failures"
exit $bad
