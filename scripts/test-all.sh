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
# What to run after a step failed (the step's own errors, above, say where).
next_step() {
  case $1 in
    tangle-check)      echo "make code, then commit code/ with the chapter (git add code)" ;;
    code)              echo "fix the chapter at the FILE:LINE tangle printed, then make code" ;;
    programs)          echo "fix the chunk at the chapters/X.md:LINE the compiler printed, then make programs" ;;
    test-c|test-c-asan) echo "run the failed test alone (the FAILED lines name it, e.g. BIN_DIR=build/bin build/bin/pipe/test_pipe), or make check CHAPTER=NN-slug" ;;
    check-claims)      echo "make test-c test-c-asan check-claims (the claim's FILE:LINE is above)" ;;
    check-transcripts) echo "if the program's new output is right: make transcripts CHAPTER=NN-slug; else fix the program" ;;
    check-book)        echo "make check-book (it renders the book first)" ;;
    lint-shell)        echo "shellcheck FILE for the files above" ;;
    lint-prose)        echo "node_modules/.bin/autocorrect --fix FILE (rules: .autocorrectrc)" ;;
    test-tangle)       echo "make test-tangle-unit, make test-tangle-fixtures or make test-tangle-crosscheck (tangle/tests/)" ;;
    test-browser)      echo "make test-browser (screenshots: build/screenshots/)" ;;
    *)                 echo "make $1" ;;
  esac
}
echo
echo "==== summary"
for s in "${failed_steps[@]}"; do echo "FAILED: $s    next: $(next_step "$s")"; done
echo "checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
