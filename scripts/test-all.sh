#!/usr/bin/env bash
# Run each check step (a make target) and print one summary at the end.
# Usage: scripts/test-all.sh STEP...   (the Makefile passes $(TEST_STEPS))
# Every step runs even when an earlier one fails, so that one run shows all
# problems; the exit status is non-zero when any step failed.
set -u
passed=0 failed=0 failed_steps=()
for step in "$@"; do
  echo
  echo "==== $step"
  if make --no-print-directory "$step"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)) failed_steps+=("$step")
  fi
done
echo
echo "==== summary"
for s in "${failed_steps[@]}"; do echo "FAILED: $s"; done
echo "checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
