#!/usr/bin/env bash
# make bench-tangle: tangle against noweb's notangle on the same content.
# Usage: bench/tangle/bench.sh TANGLE
#
# 1. gen-corpus.py writes a ~200,000-line corpus twice: our Markdown
#    (build/bench-tangle/md/*.md) and noweb (build/bench-tangle/noweb/book.nw).
# 2. hyperfine times
#      tangle, fresh:   every file created (into an output folder that is not there)
#      tangle, no-op:   the output is up to date (what `make` usually does)
#      tangle --check:  compare only
#      notangle -Rall:  noweb expands the same files as one stream into a file
#    and, for the real book, tangle over chapters/*.md (no-op).
# 3. It prints notangle's mean time divided by each tangle mean.
set -euo pipefail
tangle=$1
dir=build/bench-tangle
runs=${BENCH_RUNS:-40}   # a shared machine is noisy: 40 runs give a steadier median
command -v hyperfine >/dev/null || { echo "bench-tangle: hyperfine missing (make setup)"; exit 1; }
command -v notangle >/dev/null || { echo "bench-tangle: notangle missing (make setup)"; exit 1; }
mkdir -p "$dir"
if [ ! -f "$dir/stamp" ] || [ bench/tangle/gen-corpus.py -nt "$dir/stamp" ]; then
  rm -rf "$dir/md" "$dir/noweb"
  python3 bench/tangle/gen-corpus.py "$dir" 200000 | tee "$dir/corpus.txt"
  touch "$dir/stamp"
fi
cat "$dir/corpus.txt"
wc -l "$dir"/md/*.md | tail -1 | sed 's/total/Markdown lines/'
wc -l "$dir/noweb/book.nw" | sed 's|build.*|noweb lines|'
"$tangle" -o "$dir/out" "$dir"/md/*.md                 # for the no-op runs
"$tangle" -o "$dir/book-out" chapters/*.md

md_files=$(echo "$dir"/md/*.md)
book_files=$(echo chapters/*.md)
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
  -n "tangle (no-op)" --prepare true "$tangle -o $dir/out $md_files" \
  -n "tangle --check" --prepare true "$tangle -o $dir/out --check $md_files" \
  -n "notangle -Rall" --prepare true "notangle -Rall $dir/noweb/book.nw" \
  -n "tangle, real book (no-op)" --prepare true "$tangle -o $dir/book-out $book_files" \
  -n "tangle (fresh write)" --prepare "sh -c '$set_aside'" "$tangle -o $dir/fresh $md_files"
rm -rf "$dir/trash"

python3 - "$dir/results.json" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
nt = res["notangle -Rall"]
cpu = lambda r: r["user"] + r["system"]
print()
print("Times (ms). A busy machine inflates the mean; the median and min are steadier.")
print(f"{'command':28} {'mean':>8} {'median':>8} {'min':>8} {'cpu':>8}   notangle/tangle by median, min, cpu")
for name, r in res.items():
    ratio = "" if r is nt or "real book" in name else (
        f"{nt['median'] / r['median']:5.1f}x {nt['min'] / r['min']:5.1f}x {cpu(nt) / cpu(r):5.1f}x")
    print(f"{name:28} {r['mean'] * 1e3:8.2f} {r['median'] * 1e3:8.2f} {r['min'] * 1e3:8.2f} "
          f"{cpu(r) * 1e3:8.2f}   {ratio}")
book = res["tangle, real book (no-op)"]
print(f"real book (chapters/*.md): median {book['median'] * 1e3:.2f} ms, min {book['min'] * 1e3:.2f} ms"
      " (goal: under 10 ms)")
PY
