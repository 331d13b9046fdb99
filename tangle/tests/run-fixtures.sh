#!/usr/bin/env bash
# Run the fixture suite against one tangle binary.
# Usage: tangle/tests/run-fixtures.sh TANGLE [CASE...]
#
# Each case is a folder tangle/tests/fixtures/NAME/ holding:
#   *.md             the input chapters (passed in C sort order), unless
#   args             gives the whole argument list (then add -o yourself);
#                    the default is "-o out *.md"
#   gen.sh           optional: generates inputs/expectations (large cases)
#   setup.sh         optional: prepares the output folder before the run
#   expected-status  exit status (default 0)
#   expected-stderr  exact stderr (default: empty)
#   expected-stdout  exact stdout (default: not compared)
#   expected/        the exact output tree (compared with out/, dotfiles too)
#   check.sh         optional: extra assertions after the run (exit 0 = pass)
# Each case runs in a fresh temp folder (a copy of the case), so error
# messages name the inputs as "a.md".  When the run fails (status != 0) or
# only checks (--check, --list), the output folder must be left exactly as it
# was: same files, bytes, modes and mtimes.
# The scripts get $TANGLE (absolute path).
# BLESS=1 records the actual stderr / output tree of cases that have none
# yet (review them before committing!).
set -u
bin_arg=$1
TANGLE=$(realpath "$1")
export TANGLE
shift
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/fixtures" || exit 2
if [ $# -gt 0 ]; then cases=("$@"); else cases=(*/); fi

snapshot() {  # a listing of out/ that changes if anything in it changes
  [ -e out ] || { echo "(no out)"; return; }
  find out -printf '%p %y %m %s %T@ %l\n' | LC_ALL=C sort
  find out -type f -print0 | LC_ALL=C sort -z | xargs -0r md5sum
}

passed=0 failed=0 failures=()
tmproot=$(mktemp -d "${TMPDIR:-/tmp}/tangle-fixtures-XXXXXX")
trap 'rm -rf "$tmproot"' EXIT
for c in "${cases[@]}"; do
  c=${c%/}
  work="$tmproot/$c"
  mkdir -p "$work"
  cp -a "$c/." "$work/"
  log="$work.log"
  casedir="$here/fixtures/$c"
  ok=1
  (
    cd "$work" || exit 1
    [ ! -f gen.sh ] || bash gen.sh || { echo "gen.sh failed"; exit 1; }
    [ ! -f setup.sh ] || bash setup.sh || { echo "setup.sh failed"; exit 1; }
    if [ -f args ]; then
      read -r -a argv < <(tr '\n' ' ' < args)
    else
      argv=(-o out)
      for f in *.md; do [ -e "$f" ] && argv+=("$f"); done
    fi
    before=$(snapshot)
    # A hang (say, on a FIFO in out/) fails the case instead of the suite.
    timeout 60 "$TANGLE" "${argv[@]}" > actual-stdout 2> actual-stderr
    status=$?
    after=$(snapshot)
    fail=0
    want=0; [ ! -f expected-status ] || want=$(cat expected-status)
    if [ "$status" != "$want" ]; then
      echo "exit status $status, expected $want"; fail=1
    fi
    if [ -f expected-stderr ]; then
      diff -u expected-stderr actual-stderr || { echo "stderr differs"; fail=1; }
    elif [ -s actual-stderr ]; then
      echo "unexpected stderr:"; cat actual-stderr; fail=1
    fi
    if [ -f expected-stdout ]; then
      diff -u expected-stdout actual-stdout || { echo "stdout differs"; fail=1; }
    fi
    if [ "$status" != 0 ] || [[ " ${argv[*]} " == *" --check "* ]] \
       || [[ " ${argv[*]} " == *" --list "* ]]; then
      if [ "$before" != "$after" ]; then
        echo "the output folder changed although nothing may be written:"
        diff <(echo "$before") <(echo "$after"); fail=1
      fi
    fi
    if [ -d expected ]; then
      diff -r expected out || { echo "output tree differs"; fail=1; }
    fi
    if [ "${BLESS:-0}" = 1 ]; then
      [ -f "$casedir/expected-stderr" ] || [ ! -s actual-stderr ] \
        || cp actual-stderr "$casedir/expected-stderr"
      [ -f "$casedir/expected-status" ] || [ "$status" = 0 ] \
        || echo "$status" > "$casedir/expected-status"
      if [ "$status" = 0 ] && [ ! -d "$casedir/expected" ] && [ -d out ] \
         && [ ! -f "$casedir/gen.sh" ] && [ ! -f "$casedir/setup.sh" ]; then
        cp -a out "$casedir/expected"
      fi
    fi
    if [ -f check.sh ]; then
      bash check.sh || { echo "check.sh failed"; fail=1; }
    fi
    exit $fail
  ) > "$log" 2>&1 || ok=0
  if [ $ok = 1 ]; then
    passed=$((passed + 1))
    echo "[       OK ] fixture $c"
  else
    failed=$((failed + 1)) failures+=("$c")
    echo "[  FAILED  ] fixture $c"
    sed 's/^/    /' "$log" | head -40
  fi
done
echo "fixtures ($bin_arg): $passed passed, $failed failed"
[ "$failed" -eq 0 ]
