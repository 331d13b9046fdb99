#!/usr/bin/env bash
# All tangle tests: cmocka unit tests, the fixture suite and the pandoc
# cross-check, each against the plain and the ASan+UBSan build.
# Usage: tangle/tests/run-all.sh TANGLE TANGLE_ASAN UNIT_DIR
# (UNIT_DIR holds the test_* binaries and dump, UNIT_DIR/asan the same.)
# Prints one "N passed, N failed" line per part and a total; exits non-zero
# when anything failed.
set -u
tangle=$1 tangle_asan=$2 unit_dir=$3
here=$(dirname "$0")
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
parts_passed=0 parts_failed=0 failed_parts=()

log=$(mktemp "${TMPDIR:-/tmp}/tangle-tests-XXXXXX")
trap 'rm -f "$log"' EXIT

part() {  # part NAME COMMAND...
  local name=$1
  shift
  echo "---- $name"
  if "$@" 2>&1 | tee -a "$log"; [ "${PIPESTATUS[0]}" -eq 0 ]; then
    parts_passed=$((parts_passed + 1))
  else
    parts_failed=$((parts_failed + 1)) failed_parts+=("$name")
  fi
}

unit() {  # run every cmocka binary in $1
  local ok=0
  for t in "$1"/test_*; do
    [ -x "$t" ] || continue
    "$t" || ok=1
  done
  return $ok
}

part "unit tests (plain)" unit "$unit_dir"
part "unit tests (asan+ubsan)" unit "$unit_dir/asan"
part "fixtures (plain)" "$here/run-fixtures.sh" "$tangle"
part "fixtures (asan+ubsan)" "$here/run-fixtures.sh" "$tangle_asan"
if command -v pandoc >/dev/null && command -v python3 >/dev/null; then
  part "pandoc cross-check (plain)" "$here/crosscheck.py" "$unit_dir/dump" "$here"/crosscheck/*.md
  part "pandoc cross-check (asan+ubsan)" "$here/crosscheck.py" "$unit_dir/asan/dump" \
    "$here"/crosscheck/*.md
else
  echo "---- pandoc cross-check: pandoc or python3 missing (run make setup)"
  parts_failed=$((parts_failed + 1)) failed_parts+=("pandoc cross-check")
fi
echo
for p in "${failed_parts[@]}"; do echo "FAILED: $p"; done
# Individual tests: cmocka's "[       OK ]"/"[  FAILED  ] name" lines and the
# fixture / cross-check runners' lines of the same shape.
ok=$(grep -c '^\[       OK \]' "$log")
bad=$(( $(grep -c '^\[  FAILED  \] \(fixture\|crosscheck\) ' "$log") + \
        $(awk '/^\[  FAILED  \] [0-9]+ test\(s\)/ { n += $4 } END { print n + 0 }' "$log") ))
echo "tangle tests: $ok passed, $bad failed (in $parts_passed parts passed, $parts_failed failed)"
[ "$parts_failed" -eq 0 ]
