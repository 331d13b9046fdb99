#!/usr/bin/env bash
# One chapter's checks, for the edit loop: make check CHAPTER=02-pipe
# Usage: scripts/check-chapter.sh NN-slug
#
# Checks chapters/NN-slug.md and its tests file chapters/NN-slug-*.md:
# the tangle of the book (and no hand edit in code/), the index checks
# (links, anchors, figures, claims' test names, the chapter list), the
# chapter's pages, the programs of its folders (plain and ASan+UBSan), their
# cmocka tests (both builds), the chapter's claims against those runs, and
# its transcripts.  Test logs go to build/check/NN-slug/, so the full
# `make test`'s logs are left alone.  The full `make test` is still what CI runs.
set -uo pipefail
if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "Usage: make check CHAPTER=NN-slug   (for example CHAPTER=02-pipe)" >&2
  exit 2
fi
chapter=$1
shopt -s nullglob
files=(chapters/"$chapter".md chapters/"$chapter"-*.md)
if [ ! -f "chapters/$chapter.md" ]; then
  known=()
  for f in chapters/[0-9][0-9]-*.md; do
    b=$(basename "$f" .md)
    [[ $b == *-tests ]] || known+=("$b")
  done
  echo "check: no chapters/$chapter.md (chapters: ${known[*]})" >&2
  exit 2
fi
start=$EPOCHREALTIME
results=build/check/$chapter
failed=()
step() {
  local name=$1; shift
  echo "== check $chapter: $name"
  "$@" || failed+=("$name")
}
mk() { make --no-print-directory -s -j2 "$@"; }

# Tangling and the index are book-wide, and both are fast.
if ! mk tangle-code || ! mk book-index; then
  echo "check $chapter: FAILED: tangle or index (see the errors above)" >&2
  exit 1
fi
# The program folders of the chapter's files, and of the files that hold
# the tests its claims name (they may live in another chapter).
mapfile -t dirs < <(python3 - "$chapter" <<'PY'
import json, os, sys
ch = sys.argv[1]
idx = json.load(open("build/chunks.json", encoding="utf-8"))
def mine(page):
    return page == ch or page.startswith(ch + "-")
pages = {c["page"] for c in idx["chapters"] if mine(c["page"])}
for c in idx["claims"]:
    t = idx["tests"].get(c["test"])
    if mine(os.path.splitext(os.path.basename(c["chapter"]))[0]) and t:
        pages.add(t["page"])
dirs = {b["file"].split("/")[0] for b in idx["blocks"].values()
        if b["file"] and b["page"] in pages and "/" in b["file"]}
print("\n".join(sorted(dirs)))
PY
)
echo "== check $chapter: files ${files[*]}; program folders: ${dirs[*]:-(none)}"
progs=() asan=()
for d in "${dirs[@]}"; do
  for c in code/"$d"/*.c; do
    n=${c#code/}; n=${n%.c}
    case $d in common) case ${n#common/} in test_*) ;; *) continue ;; esac ;; esac
    progs+=("build/bin/$n") asan+=("build/asan/bin/$n")
  done
done
# Programs of other chapters that the chapter's tests start by name
# ("fifo/fifo_client" in tu_program_path or tu_run): built too, in both
# flavours, so that the ASan run finds them under its BIN_DIR.  The names are
# looked for in the chapter's files and in every program folder whose tests
# run (chapter 6 runs chapter 8's test_epoll, which starts fifo/fifo_client).
srcs=("${files[@]}")
for d in "${dirs[@]}"; do srcs+=(code/"$d"/*.c); done
for n in $(grep -ohE '"[a-z0-9_]+/[a-z0-9_]+"' "${srcs[@]}" | tr -d '"' | sort -u); do
  [ -f "code/$n.c" ] || continue
  case " ${progs[*]} " in *" build/bin/$n "*) continue ;; esac
  progs+=("build/bin/$n") asan+=("build/asan/bin/$n")
done
pages=()
for f in "${files[@]}"; do
  b=$(basename "$f" .md)
  pages+=("build/html/$b.html")
done
step "pages" mk "${pages[@]}"
if [ ${#progs[@]} -gt 0 ]; then
  step "programs (plain)" mk "${progs[@]}"
  step "programs (ASan+UBSan)" mk "${asan[@]}"
  testdirs=()
  for d in "${dirs[@]}"; do
    compgen -G "build/bin/$d/test_*" >/dev/null && testdirs+=("$d")
  done
  if [ ${#testdirs[@]} -gt 0 ]; then
    step "tests (plain)" env TEST_RESULTS="$results" scripts/run-tests.sh build/bin plain "${testdirs[@]}"
    step "tests (ASan+UBSan)" env TEST_RESULTS="$results" scripts/run-tests.sh build/asan/bin asan "${testdirs[@]}"
  fi
fi
step "claims" tests/book/check-claims.py --chapter "$chapter" build/chunks.json "$results"
step "transcripts" tests/book/check-transcripts.py --chapter "$chapter" build/chunks.json build/bin
secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')
echo
for f in "${failed[@]}"; do echo "check $chapter: FAILED: $f"; done
printf 'check %s: %d failed, in %.1f s (the whole book: make test)\n' "$chapter" "${#failed[@]}" "$secs"
[ ${#failed[@]} -eq 0 ]
