#!/usr/bin/env bash
# Compare how two tangle builds fail: for a change to write.c that must not
# change behaviour (not part of make test-tangle).
# Usage: tangle/tests/fault-sweep.sh OLD_TANGLE NEW_TANGLE   (FULL=1: all of it)
#
# For each old -> new chapter change (file <-> folder, pruning, new files,
# new contents, a `#!` added or removed, an x bit to fix with or without a
# hard link outside DIR), a real run of the new chapter is made to fail at
# the Nth call of one syscall (strace -e inject), by SIGKILL or an errno.
# N runs over 1-8, 10, 14, but never past the number of such calls that an
# unfaulted run makes (a fault that never fires is not run).
#   quick (default): SIGKILL and EIO at write unlinkat renameat mkdirat
#     fchmod fchmodat chmod openat close pread64 newfstatat getdents64 flock
#   FULL=1: also ENOSPC and EACCES, fstat, and EMFILE at openat
# Each build's transcript lists, for each fault, the run's status, stderr
# and the tree it leaves (type, mode, size and checksum of each entry, and
# of the hard link outside DIR).  The checks, each reported on a FAILED line:
# - recovery: the next run, of the new chapter or of the old one again,
#   exits 0, leaves the tree (contents and modes) a run from nothing leaves,
#   and --check then exits 0;
# - a faulted run leaves no temp file unless killed, and no file that the
#   manifest does not list; a run that exits 0 and says nothing leaves the
#   tree a run from nothing leaves;
# - the hard link outside DIR keeps its bytes and mode throughout.
# The two transcripts must be the same.  Exit 0 when all of this holds.
# shellcheck disable=SC2016
set -u
[ $# = 2 ] || { echo "usage: $0 OLD_TANGLE NEW_TANGLE" >&2; exit 2; }
command -v strace > /dev/null || { echo "fault-sweep: strace missing" >&2; exit 2; }
for b in "$1" "$2"; do
  if [ ! -f "$b" ] || [ ! -x "$b" ]; then
    echo "fault-sweep: $b: not an executable file" >&2
    exit 2
  fi
done
old_bin=$(realpath "$1") && new_bin=$(realpath "$2") || exit 2
root=$(mktemp -d "${TMPDIR:-/tmp}/tangle-sweep-XXXXXX") || exit 2
old_pid=
trap '[ -z "$old_pid" ] || kill "$old_pid" 2> /dev/null; wait; rm -rf "$root"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# glibc 2.36 makes fchmodat(AT_SYMLINK_NOFOLLOW), the x bit fix, an O_PATH
# openat and a chmod of /proc/self/fd/N: both names are faulted.
calls=(write unlinkat renameat mkdirat fchmod fchmodat chmod openat close pread64 newfstatat
       getdents64 flock)
faults=(signal=KILL error=EIO)
if [ "${FULL:-0}" = 1 ]; then
  calls+=(fstat)
  faults+=(error=ENOSPC error=EACCES error=EMFILE)
fi
whens=(1 2 3 4 5 6 7 8 10 14)
# OLD CHAPTER|NEW CHAPTER|WHAT IS DONE TO DIR AFTER THE OLD RUN.  A chapter
# is a list of paths, each one block: PATH `int v;`, PATH:v2 `int w;`,
# PATH:sh a `#!` script.  "link P": a hard link ../hardlink to DIR/P;
# "-x P", "+x P": chmod u-x, u+x.
changes=(
  "a.sh k.c|a.sh:sh k.c|link a.sh"        # a #! added, the old file linked outside
  "a.sh:sh k.c|a.sh k.c|link a.sh"        # a #! removed
  "a.sh:sh k.c|a.sh:sh k.c|-x a.sh"       # only the x bit to fix: fchmodat
  "k.c|k.c|+x k.c"
  "a.sh:sh k.c|a.sh:sh k.c|-x a.sh link a.sh"  # the same with a link: written anew
  "k.c x.c|k.c:v2 x.c:v2|"                # new contents
  "a/x.c a/y.c k.c|a k.c:v2|"             # a folder becomes a file
  "a k.c|a/x.c k.c|"                      # a file becomes a folder
  "d/e/f/g.c k.c|d:sh k.c|"
  "b/c c/a/b k.c|b/c k.c|"
  "k.c|k.c m.c|"
  "k.c gone/sub/x.c|k.c|"                 # a deep folder pruned
  "k.c old.c|k.c new.c|"
  "p/q.c|p/q.c:v2 p/r.c:sh|"              # a new file in a folder
)

use() {  # use CHAPTER: as c.md, so that both chapters give a file the same header
  cp "$1" c.md
}
chapter() {  # chapter FILE SPEC...
  local f=$1 p
  shift
  printf '# c\n' > "$f"
  for p in "$@"; do
    case $p in
      *:sh) printf '\n```{.sh file=%s}\n#!/bin/sh\necho\n```\n' "${p%:sh}" >> "$f" ;;
      *:v2) printf '\n```{.c file=%s}\nint w;\n```\n' "${p%:v2}" >> "$f" ;;
      *) printf '\n```{.c file=%s}\nint v;\n```\n' "$p" >> "$f" ;;
    esac
  done
}
setup() {  # setup WORD...: after the old run, see "changes"
  while [ $# -gt 1 ]; do
    case $1 in
      link) ln "out/$2" hardlink && link_to=out/$2 ;;
      -x) chmod u-x "out/$2" ;;
      +x) chmod u+x "out/$2" ;;
    esac
    shift 2
  done
}
unname() {  # temp names made alike
  sed -E 's/tangle-[A-Za-z0-9]{6}/tangle-XXXXXX/g'
}
tree() {  # tree DIR: each entry's path, type, mode and size, a file's checksum
  [ -e "$1" ] || { echo "(no $1)"; return; }
  (cd "$1" && find . -printf '%p %y %m %s\n' | unname | LC_ALL=C sort \
     && find . -type f -exec cksum {} + | awk '{ print $3, "cksum", $1 }' | unname \
     | LC_ALL=C sort)
}
link_state() {  # the hard link outside DIR, if any
  [ -e hardlink ] && stat -c 'hardlink %a %s' hardlink && cksum < hardlink
}
snap() {  # the tree, the manifest, the hard link
  tree out
  echo "manifest: $(od -An -c out/.tangled 2> /dev/null | tr -s ' ' | tr -d '\n')"
  link_state
}
invariants() {  # invariants FAULT RC: the faulted run's checks
  local f
  while IFS= read -r f; do
    case $f in
      */.tangle-*.tmp | .tangle-*.tmp)
        [ "$1" = signal=KILL ] || echo "FAILED ($at): temp file left: $f" ;;
      .tangled) ;;
      *) grep -qxF "$f" out/.tangled 2> /dev/null || echo "FAILED ($at): $f not in the manifest" ;;
    esac
  done < <(cd out 2> /dev/null && find . -type f | sed 's|^\./||')
  if [ "$2" = 0 ] && [ ! -s err.txt ] && [ "$(tree out)" != "$(cat fresh-new.txt)" ]; then
    echo "FAILED ($at): rc 0, no message, but not the tree of a run from nothing"
  fi
  [ "$(link_state)" = "$(cat link.txt)" ] || echo "FAILED ($at): the hard link outside DIR changed"
}
recover() {  # recover CHAPTER: the next run must end as a run from nothing
  use "$1"
  if ! "$t" -o out c.md > rerun.txt 2>&1 || [ "$(tree out)" != "$(cat "fresh-${1%.md}.txt")" ] \
     || ! "$t" --check -o out c.md > /dev/null 2>&1; then
    echo "FAILED ($at): no recovery by $1"
    cat rerun.txt
    diff <(cat "fresh-${1%.md}.txt") <(tree out) | head -6
  fi
  [ "$(link_state)" = "$(cat link.txt)" ] \
    || echo "FAILED ($at): the hard link outside DIR changed, recovering by $1"
}
sweep() {  # sweep TANGLE: the transcript on stdout
  local t=$1 at c o_spec n_spec s_spec fault sc n st err linked back link_to
  local -A count
  for c in "${changes[@]}"; do
    IFS='|' read -r o_spec n_spec s_spec <<< "$c"
    # shellcheck disable=SC2086
    chapter old.md $o_spec
    # shellcheck disable=SC2086
    chapter new.md $n_spec
    for back in new old; do
      rm -rf fresh && use "$back.md" && "$t" -o fresh c.md && tree fresh > "fresh-$back.txt"
    done
    rm -rf out hardlink && use old.md && "$t" -o out c.md
    # shellcheck disable=SC2086
    setup $s_spec
    link_state > link.txt
    count=()
    use new.md
    strace -f -qq -o calls.txt -e trace="$(IFS=,; echo "${calls[*]}")" "$t" -o out c.md \
      > /dev/null 2>&1
    while read -r sc n; do count[$sc]=$n; done < <(
      awk '{ n = $2; sub(/\(.*/, "", n); c[n]++ } END { for (k in c) print k, c[k] }' calls.txt)
    echo "=== $o_spec -> $n_spec ($s_spec): calls $(for sc in "${calls[@]}"; do
      printf ' %s %s' "$sc" "${count[$sc]:-0}"; done)"
    for fault in "${faults[@]}"; do
      for sc in "${calls[@]}"; do
        [ "$fault" != error=EMFILE ] || [ "$sc" = openat ] || continue
        for n in "${whens[@]}"; do
          [ "$n" -le "${count[$sc]:-0}" ] || break
          rm -rf out faulted hardlink
          use old.md && "$t" -o out c.md
          # shellcheck disable=SC2086
          setup $s_spec
          st=0
          use new.md
          (strace -f -o /dev/null -e inject="$sc:$fault:when=$n" "$t" -o out c.md \
             > /dev/null 2> err.txt; exit $?) 2> /dev/null || st=$?
          at="$o_spec -> $n_spec${s_spec:+ ($s_spec)}, $fault at $sc #$n"
          echo "== $fault at $sc #$n: rc $st"
          err=$(<err.txt)
          [ -z "$err" ] || printf '%s\n' "${err//"$t"/TANGLE}" | unname
          snap
          invariants "$fault" "$st"
          # A copy of DIR loses the link outside: made again if it held.
          linked=0
          [ ! -e hardlink ] || [ ! "$link_to" -ef hardlink ] || linked=1
          cp -a out faulted
          recover new.md
          rm -rf out && cp -a faulted out
          [ "$linked" = 0 ] || ln -f "$link_to" hardlink
          recover old.md
        done
      done
    done
  done
}
export ASAN_OPTIONS=detect_leaks=0   # (LeakSanitizer cannot run under ptrace)
mkdir "$root/old" "$root/new"
start=$SECONDS
# The two builds side by side (2 CPUs).
(cd "$root/old" && sweep "$old_bin") > "$root/old.txt" &
old_pid=$!
(cd "$root/new" && sweep "$new_bin") > "$root/new.txt"
wait "$old_pid"
old_pid=
nfaults=$(grep -c '^== ' "$root/new.txt")
bad=0
for b in old new; do
  if grep -q '^FAILED' "$root/$b.txt"; then
    echo "fault-sweep: the $b build fails checks:"
    grep -A4 '^FAILED' "$root/$b.txt" | head -60
    bad=1
  fi
done
if ! cmp -s "$root/old.txt" "$root/new.txt"; then
  diff -u "$root/old.txt" "$root/new.txt" | head -80
  echo "fault-sweep: the two builds fail differently"
  bad=1
fi
echo "fault-sweep: $nfaults faults a build; failed checks: old $(grep -c '^FAILED' "$root/old.txt")," \
  "new $(grep -c '^FAILED' "$root/new.txt"); $((SECONDS - start)) s"
exit $bad
