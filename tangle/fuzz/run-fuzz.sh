#!/usr/bin/env bash
# Run both tangle fuzz targets for N seconds each, seeded from the fixtures
# and chapters, then report line coverage per tangle/src file.
# Usage: tangle/fuzz/run-fuzz.sh SECONDS FUZZ_TANGLE FUZZ_TOOL COV_TANGLE COV_TOOL
#   FUZZ_TANGLE  parse + link + expand in memory (fuzz_tangle.c, ASan+UBSan)
#   FUZZ_TOOL    the whole tool on a scratch folder (fuzz_tool.c, ASan+UBSan)
#   COV_*        the same targets built with clang's source coverage: they
#                run every input of both corpora once, for the report
# The corpora grow in build/fuzz/corpus-{tangle,tool} (kept between runs);
# findings land in build/fuzz/artifacts/.  Exit status: non-zero when a
# target found something.
set -euo pipefail
seconds=$1 fuzz_tangle=$2 fuzz_tool=$3 cov_tangle=$4 cov_tool=$5
root=build/fuzz
mkdir -p "$root/corpus-tangle" "$root/corpus-tool" "$root/seeds" "$root/artifacts"

# One seed per fixture: its .md files joined by the fuzz target's separator.
for dir in tangle/tests/fixtures/*/ tangle/tests/crosscheck; do
  [ -d "$dir" ] || continue
  name=$(basename "$dir")
  first=1
  : > "$root/seeds/$name"
  for md in "$dir"/*.md; do
    [ -f "$md" ] || continue
    [ $first -eq 1 ] || printf '\n%%%%%%%%\n' >> "$root/seeds/$name"
    head -c 65536 "$md" >> "$root/seeds/$name"
    first=0
  done
done
for md in chapters/*.md tangle/fuzz/regressions/*; do
  [ -f "$md" ] && cp "$md" "$root/seeds/"
done

# Each fuzzer's own status decides (a finding is non-zero); grep's does not.
# -close_fd_mask=3: tangle's own messages are not wanted (libFuzzer's are kept).
status=0
for target in tangle tool; do
  fuzzer=$fuzz_tangle; [ "$target" = tangle ] || fuzzer=$fuzz_tool
  echo "---- fuzz_$target, $seconds s"
  set +e
  "$fuzzer" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -close_fd_mask=3 -artifact_prefix="$root/artifacts/" \
    -dict=tangle/fuzz/markdown.dict "$root/corpus-$target" "$root/seeds" 2>&1 |
    tee "$root/last-run-$target.log" |
    grep -E '^(#[0-9]+ +(INITED|DONE)|stat::number_of_executed_units|stat::average_exec_per_sec|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)'
  s=${PIPESTATUS[0]}
  set -e
  echo "fuzz_$target: exit status $s, log in $root/last-run-$target.log"
  [ "$s" -eq 0 ] || status=$s
done

# Coverage: every input of both corpora once through the coverage builds.
echo "---- line coverage of tangle/src (both corpora through both targets)"
rm -rf "$root/profiles"
mkdir -p "$root/profiles"
for cov in "$cov_tangle" "$cov_tool"; do
  LLVM_PROFILE_FILE="$root/profiles/%p-%m.profraw" "$cov" -runs=0 -close_fd_mask=3 \
    -artifact_prefix="$root/profiles/" \
    "$root/corpus-tangle" "$root/corpus-tool" "$root/seeds" > "$root/profiles/run.log" 2>&1 || true
done
profdata=${LLVM_PROFDATA:-llvm-profdata}
llvmcov=${LLVM_COV:-llvm-cov}
"$profdata" merge -sparse "$root"/profiles/*.profraw -o "$root/profiles/all.profdata"
"$llvmcov" report "$cov_tool" -object "$cov_tangle" -instr-profile="$root/profiles/all.profdata" \
  tangle/src/*.c > "$root/coverage.txt"
# llvm-cov's columns: file, regions (3), functions (3), lines: count, missed, cover.
awk 'NR == 1 { print "file lines missed cover"; next } /^-/ { next } { print $1, $8, $9, $10 }' \
  "$root/coverage.txt" | column -t
exit "$status"
