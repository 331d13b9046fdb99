#!/usr/bin/env bash
# Turn a fuzzer finding into a regression fixture.
# Usage: tangle/fuzz/crash-to-fixture.sh ARTIFACT NAME
# Copies ARTIFACT to tangle/fuzz/regressions/NAME (a seed for later runs) and
# makes tangle/tests/fixtures/fuzz-NAME/, whose gen.sh splits the input into
# a.md, b.md, ... at the fuzz target's "%%%%" separator lines.  Then run
# BLESS=1 tangle/tests/run-fixtures.sh build/tangle fuzz-NAME, and review
# the recorded expectation: the case passes when tangle (plain and ASan)
# exits 0 or 2 with the recorded output and no sanitizer report.
set -euo pipefail
artifact=$1 name=$2
cp "$artifact" "tangle/fuzz/regressions/$name"
dir="tangle/tests/fixtures/fuzz-$name"
mkdir -p "$dir"
base64 < "$artifact" > "$dir/input.b64"
cat > "$dir/gen.sh" <<'GEN'
# shellcheck shell=bash
# A fuzzer finding, kept as base64 (it may hold any bytes): split it into
# a.md, b.md, ... at the fuzz target's separator lines "%%%%".
base64 -d input.b64 | python3 -c '
import sys
data = sys.stdin.buffer.read()
for i, part in enumerate(data.split(b"\n%%%%\n")[:8]):
    open("abcdefgh"[i] + ".md", "wb").write(part)
'
GEN
echo "made $dir"
