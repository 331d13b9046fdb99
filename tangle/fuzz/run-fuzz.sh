#!/usr/bin/env bash
# Run the tangle fuzzer for N seconds, seeded from the fixtures and chapters.
# Usage: tangle/fuzz/run-fuzz.sh FUZZER SECONDS
# The corpus grows in build/fuzz/corpus (kept between runs); crashes land in
# build/fuzz/artifacts/.  Prints libFuzzer's final stats (execs per second).
set -euo pipefail
fuzzer=$1 seconds=$2
root=build/fuzz
mkdir -p "$root/corpus" "$root/seeds" "$root/artifacts"

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

# The fuzzer's own status decides (a finding is non-zero); grep's does not.
set +e
"$fuzzer" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$root/artifacts/" \
  -dict=tangle/fuzz/markdown.dict "$root/corpus" "$root/seeds" 2>&1 |
  tee "$root/last-run.log" | grep -E '^(#[0-9]+ +(INITED|DONE)|stat::|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)'
status=${PIPESTATUS[0]}
set -e
echo "fuzz: exit status $status, log in $root/last-run.log"
exit "$status"
