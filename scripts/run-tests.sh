#!/usr/bin/env bash
# Run every cmocka test binary under BIN_ROOT; log each one's output.
# Usage: scripts/run-tests.sh BIN_ROOT FLAVOUR [DIR...]
#
# With DIRs (program folders such as pipe), only the tests in BIN_ROOT/DIR/
# run (make check CHAPTER=...).  Logs go to $TEST_RESULTS/FLAVOUR/
# (default build/test-results), which the claim check reads.
#
# Each test runs from the repository root with BIN_DIR=BIN_ROOT in its
# environment, so that a test can start the programs of its own build
# flavour ("$BIN_DIR/fifo/fifo_server").  A test binary that runs longer than
# TEST_TIMEOUT seconds (default 120) is killed and counts as failed: tests
# also carry their own alarm() watchdogs, this is the last line of defence.
# PROG_DIR, when set, is the BIN_DIR the tests get instead of BIN_ROOT: the
# ThreadSanitizer run tests only its test binaries, with the plain programs.
set -u
if [ $# -lt 2 ]; then
  echo "Usage: $0 BIN_ROOT FLAVOUR [DIR...]" >&2
  exit 2
fi
bin_root=$1 flavour=$2
shift 2
roots=("$bin_root")
[ $# -gt 0 ] && roots=("${@/#/$bin_root/}")
log_root=${TEST_RESULTS:-build/test-results}/$flavour
timeout_s=${TEST_TIMEOUT:-120}
rm -rf "$log_root" && mkdir -p "$log_root"

mapfile -t tests < <(find "${roots[@]}" -type f -name 'test_*' -perm -u+x 2>/dev/null | sort)
passed=0 failed=0 failed_names=()
for t in "${tests[@]}"; do
  rel=${t#"$bin_root"/}
  log=$log_root/$rel.log
  mkdir -p "$(dirname "$log")"
  echo "== [$flavour] $rel"
  BIN_DIR=${PROG_DIR:-$bin_root} timeout --kill-after=5 "$timeout_s" "$t" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
  else
    [ "$rc" -eq 124 ] && echo "$rel: killed after ${timeout_s}s" | tee -a "$log"
    failed=$((failed + 1)) failed_names+=("$rel")
  fi
done
echo "== [$flavour] test binaries: $passed passed, $failed failed"
for n in "${failed_names[@]}"; do
  echo "   FAILED: $n   (again, alone: BIN_DIR=$bin_root $bin_root/$n; log: $log_root/$n.log)"
done
if [ "${#tests[@]}" -eq 0 ]; then
  echo "== [$flavour] no test binary under ${roots[*]}" >&2
  exit 1
fi
[ "$failed" -eq 0 ]
