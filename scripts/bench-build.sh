#!/usr/bin/env bash
# Measure the book build's speed and incrementality (make bench-build).
# Usage: scripts/bench-build.sh [CHAPTER.md]
#
#   1. no-op `make` (goal: < 1 s), best and median of 5 runs;
#   2. touch one chapter (default: the last one in book/chapters.txt), then
#      `make`: prints the time and every file the run rewrote under build/
#      and code/ (goal: that chapter's page, its programs, PDF and EPUB);
#      then the same after a real edit (an HTML comment appended to the
#      chapter, removed again at the end, even on failure or ^C);
#   3. HTML-only clean build: remove the book's build outputs, `make html`
#      (goal: < 15 s);
#   4. then `make pdf` and `make epub` from that state.
# It leaves build/ complete (it ends with `make`).
set -euo pipefail
cd "$(dirname "$0")/.."

list=${BOOK_LIST:-book/chapters.txt}
chapter=${1:-$(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$list" | grep -v '^$' | tail -n 1 || true)}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

echo "bench-build: preparing (make)"
make --no-print-directory >/dev/null

echo "== 1. no-op make (5 runs)"
times=()
for _ in 1 2 3 4 5; do
  t0=$(now); make --no-print-directory >/dev/null; t1=$(now)
  times+=("$(elapsed "$t0" "$t1")")
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
echo "   runs: ${times[*]} s; best $(head -n 1 <<<"$sorted") s, median $(sed -n 3p <<<"$sorted") s"

if [ -n "$chapter" ] && [ -f "$chapter" ]; then
  echo "== 2. touch $chapter, then make"
  marker=$(mktemp /tmp/ipcbook-bench-XXXXXX)
  sleep 1
  touch "$chapter"
  t0=$(now); make --no-print-directory >/dev/null; t1=$(now)
  echo "   time: $(elapsed "$t0" "$t1") s; files rewritten:"
  find build code -type f -newer "$marker" ! -name '*.d' ! -name '*.log' ! -name '*.aux' \
       ! -name '*.toc' ! -name '*.out' 2>/dev/null | sort | sed 's/^/     /'

  echo "== 2b. edit $chapter (append an HTML comment), then make"
  backup=$(mktemp /tmp/ipcbook-bench-XXXXXX)
  cp -p "$chapter" "$backup"
  trap 'cp -p "$backup" "$chapter"; rm -f "$backup" "$marker"' EXIT
  sleep 1
  touch "$marker"
  printf '\n<!-- bench-build edit -->\n' >>"$chapter"
  t0=$(now); make --no-print-directory >/dev/null; t1=$(now)
  echo "   time: $(elapsed "$t0" "$t1") s; files rewritten:"
  find build code -type f -newer "$marker" ! -name '*.d' ! -name '*.log' ! -name '*.aux' \
       ! -name '*.toc' ! -name '*.out' 2>/dev/null | sort | sed 's/^/     /'
  cp -p "$backup" "$chapter"
else
  echo "== 2. skipped: no chapter listed in $list"
fi

echo "== 3. HTML-only clean build (rm build/html build/book build/figures; make html)"
rm -rf build/html build/book build/figures build/chunks.json
t0=$(now); make --no-print-directory html >/dev/null; t1=$(now)
echo "   time: $(elapsed "$t0" "$t1") s"

echo "== 4. PDF after that (make pdf), EPUB (make epub)"
t0=$(now); make --no-print-directory pdf >/dev/null; t1=$(now)
echo "   pdf:  $(elapsed "$t0" "$t1") s"
t0=$(now); make --no-print-directory epub >/dev/null; t1=$(now)
echo "   epub: $(elapsed "$t0" "$t1") s"
make --no-print-directory >/dev/null
echo "bench-build: done"
