#!/usr/bin/env bash
# make bench-tangle: tangle against a floor and against noweb's notangle,
# on three corpus shapes, side by side in one hyperfine run.
# Usage: bench/tangle/bench.sh TANGLE FLOOR
#
# Shapes (each written in our Markdown and in noweb, with the same content):
#   many: gen-corpus.py, 40 chapters, 840 output files, ~200,000 lines
#   big:  gen-big.py, one 7 MB chapter, one output (~15 MB), chunks nested
#         40 deep with 4 more spaces of indentation per level
#   real book: chapters/*.md (20 chapters, 1 MB, 61 outputs; no
#         notangle twin), so that the result is not tuned to a made-up corpus
# Commands, per shape:
#   floor:           floor.c: md4c with empty callbacks over the inputs, mapped
#                    as tangle maps them, and every existing output read once
#                    through one 64 KiB buffer (the least any tangle does)
#   tangle (no-op):  the output is up to date (what `make` usually does)
#   tangle --check:  compare only
#   notangle -Rall:  noweb expands the same files as one stream
# plus, for "many", a fresh write.
# It prints medians, the spread (min, quartiles, max) and, by median and by
# CPU time, tangle / floor (goal: at most 1.5) and notangle / tangle (goal: 6);
# then the CPU-time ratios again from interleave.py, which runs the commands
# in a shuffled order, round after round (BENCH_ROUNDS, default 15), as the
# median of the per-round ratios; and last the instructions each command
# executes (valgrind), which the machine's load cannot move.
set -euo pipefail
tangle=$1
floor=$2
dir=build/bench-tangle
runs=${BENCH_RUNS:-40}   # a shared machine is noisy: 40 runs give a steadier median
command -v hyperfine >/dev/null || { echo "bench-tangle: hyperfine missing (make setup)"; exit 1; }
command -v notangle >/dev/null || { echo "bench-tangle: notangle missing (make setup)"; exit 1; }
mkdir -p "$dir"
gen() {  # gen SHAPE SCRIPT ARGS...
  local shape=$1 script=$2
  shift 2
  if [ ! -f "$dir/$shape/stamp" ] || [ "$script" -nt "$dir/$shape/stamp" ]; then
    rm -rf "${dir:?}/$shape"
    mkdir -p "$dir/$shape"
    python3 "$script" "$dir/$shape" "$@" > "$dir/$shape/corpus.txt"
    touch "$dir/$shape/stamp"
  fi
  echo "$shape: $(cat "$dir/$shape/corpus.txt")"
}
gen many bench/tangle/gen-corpus.py 200000
gen big bench/tangle/gen-big.py 7
big_md=$dir/big/md/big.md
"$tangle" -o "$dir/many/out" "$dir"/many/md/*.md      # for the no-op runs
"$tangle" -o "$dir/big/out" "$big_md"
"$tangle" -o "$dir/book-out" chapters/*.md
# hyperfine -N splits each command at blanks: the file lists go in as words.
many_md=$(echo "$dir"/many/md/*.md)
book_files=$(echo chapters/*.md)
du -b "$dir/big/out/big.c" | awk '{ printf "big: output %.1f MB\n", $1 / 1e6 }'
# -N: no shell in between (a real book run is ~1 ms, shell start-up would
# swamp it); --output=pipe: notangle really writes its 11 MB, to a pipe.
# Fresh write: each run's output is moved aside, not deleted, before the
# next run.  On ext4, creating files right after deleting hundreds makes the
# inode allocator skip the recently deleted inodes one by one (the kernel's
# recently_deleted()): that measured the previous run's rm -rf, at 5-8x the
# time of writing into an empty folder.  The moved copies go at the end
# (so a second bench-tangle within minutes of the first still pays some).
mkdir -p "$dir/trash"
set_aside="if [ -e $dir/fresh ]; then mv $dir/fresh $dir/trash/\$\$; fi"
sh -c "$set_aside"
# The fresh writes go last: the ~0.5 GB they leave for the kernel to write
# back would otherwise compete with the runs after them.
hyperfine -N --output=pipe --warmup 3 --runs "$runs" --export-json "$dir/results.json" \
  -n "many: floor" "$floor -o $dir/many/out $many_md" \
  -n "many: tangle (no-op)" "$tangle -o $dir/many/out $many_md" \
  -n "many: tangle --check" "$tangle -o $dir/many/out --check $many_md" \
  -n "many: notangle -Rall" "notangle -Rall $dir/many/noweb/book.nw" \
  -n "big: floor" "$floor -o $dir/big/out $big_md" \
  -n "big: tangle (no-op)" "$tangle -o $dir/big/out $big_md" \
  -n "big: tangle --check" "$tangle -o $dir/big/out --check $big_md" \
  -n "big: notangle -Rall" "notangle -Rall $dir/big/noweb/big.nw" \
  -n "real book: floor" "$floor -o $dir/book-out $book_files" \
  -n "real book: tangle (no-op)" "$tangle -o $dir/book-out $book_files" \
  -n "real book: tangle --check" "$tangle -o $dir/book-out --check $book_files" \
  -n "many: tangle (fresh write)" --prepare "sh -c '$set_aside'" "$tangle -o $dir/fresh $many_md"
rm -rf "$dir/trash"

python3 - "$dir/results.json" <<'PY'
import json, statistics, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
cpu = lambda r: r["user"] + r["system"]
ms = lambda x: f"{x * 1e3:8.2f}"
print()
print("Times in ms over the runs: median, spread (min, 1st and 3rd quartile, max), and the")
print("CPU time (user + system, mean): steadier than wall time on a shared machine.")
print(f"{'command':28} {'median':>8} {'min':>8} {'q1':>8} {'q3':>8} {'max':>8} {'cpu':>8}")
for name, r in res.items():
    q = statistics.quantiles(r["times"], n=4)
    print(f"{name:28} {ms(r['median'])} {ms(r['min'])} {ms(q[0])} {ms(q[2])} {ms(r['max'])} "
          f"{ms(cpu(r))}")
print()
print(f"{'':28} {'tangle / floor':>22} {'notangle / tangle':>22}")
print(f"{'':28} {'median':>10} {'cpu':>10}   {'median':>10} {'cpu':>10}")
for shape in ("many", "big", "real book"):
    fl, nt = res[f"{shape}: floor"], res.get(f"{shape}: notangle -Rall")
    for what in ("tangle (no-op)", "tangle --check"):
        t = res[f"{shape}: {what}"]
        vs_nt = (f"   {nt['median'] / t['median']:9.1f}x {cpu(nt) / cpu(t):9.1f}x" if nt
                 else f"   {'-':>10} {'-':>10}")
        print(f"{shape + ': ' + what:28} {t['median'] / fl['median']:9.2f}x {cpu(t) / cpu(fl):9.2f}x"
              + vs_nt)
print("goals: tangle / floor at most 1.5x, notangle / tangle at least 6x")
book = res["real book: tangle (no-op)"]
print(f"real book (chapters/*.md): median {book['median'] * 1e3:.2f} ms (goal: under 10 ms)")
PY

# The same ratios with the commands interleaved, round by round: steadier
# than the blocks above when the machine's load changes during the run.
python3 bench/tangle/interleave.py "${BENCH_ROUNDS:-15}" \
  "many: floor=$floor -o $dir/many/out $many_md" \
  "many: tangle (no-op)=$tangle -o $dir/many/out $many_md" \
  "many: tangle --check=$tangle -o $dir/many/out --check $many_md" \
  "many: notangle -Rall=notangle -Rall $dir/many/noweb/book.nw" \
  "big: floor=$floor -o $dir/big/out $big_md" \
  "big: tangle (no-op)=$tangle -o $dir/big/out $big_md" \
  "big: tangle --check=$tangle -o $dir/big/out --check $big_md" \
  "big: notangle -Rall=notangle -Rall $dir/big/noweb/big.nw" \
  "real book: floor=$floor -o $dir/book-out $book_files" \
  "real book: tangle (no-op)=$tangle -o $dir/book-out $book_files" \
  "real book: tangle --check=$tangle -o $dir/book-out --check $book_files"

# Instructions executed, counted by valgrind (cachegrind, no cache model):
# the one measure the machine's load cannot move.  Time is what a reader
# waits for; this says whether a change of a few percent is real.
if command -v valgrind >/dev/null; then
  irefs() {  # irefs COMMAND...: the instruction count of one run
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$@" \
      2>&1 >/dev/null | awk '/I *refs:/ { gsub(",", "", $NF); print $NF }'
  }
  echo
  echo "Instructions (valgrind): tangle / floor"
  for shape in many big "real book"; do
    case $shape in
      many) out=$dir/many/out files=$many_md ;;
      big) out=$dir/big/out files=$big_md ;;
      *) out=$dir/book-out files=$book_files ;;
    esac
    # shellcheck disable=SC2086  # the file lists are words
    fl=$(irefs "$floor" -o "$out" $files)
    # shellcheck disable=SC2086
    noop=$(irefs "$tangle" -o "$out" $files)
    # shellcheck disable=SC2086
    chk=$(irefs "$tangle" -o "$out" --check $files)
    awk -v s="$shape" -v f="$fl" -v n="$noop" -v c="$chk" 'BEGIN {
      printf "%-12s floor %6.1fM  no-op %6.1fM (%.2fx)  --check %6.1fM (%.2fx)\n",
             s ":", f / 1e6, n / 1e6, n / f, c / 1e6, c / f }'
  done
else
  echo "bench-tangle: valgrind missing: no instruction counts (make setup installs it)"
fi
