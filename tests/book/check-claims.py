#!/usr/bin/env python3
"""Claim check: every claim in the book names a cmocka test that ran and passed.

Usage: tests/book/check-claims.py build/chunks.json build/test-results

A claim is `[text]{.claim test=NAME}` in a chapter.  For each one this checks:
  * NAME is given;
  * a tangle block of the book defines the test function
    (`void NAME(void **state) {`), and only one block does;
  * `[       OK ] NAME` appears in a log under build/test-results/plain/ AND
    under build/test-results/asan/ (written by scripts/run-tests.sh, i.e. by
    `make test-c` and `make test-c-asan`), and no `[  FAILED  ] NAME` does.
Exit status 0 when every claim passes, 1 otherwise.
"""
import os
import re
import sys

from checklib import line_of, load_index

FLAVOURS = ("plain", "asan")



def read_logs(root):
    """{name: 'ok'|'failed'} from every cmocka log under root."""
    status = {}
    ok_re = re.compile(r"^\[\s+OK\s+\] (\S+)\s*$")
    bad_re = re.compile(r"^\[\s+(?:FAILED|ERROR|SKIPPED)\s+\] (\S+)\s*$")
    for dirpath, _dirs, files in os.walk(root):
        for fn in sorted(files):
            if not fn.endswith(".log"):
                continue
            with open(os.path.join(dirpath, fn), encoding="utf-8", errors="replace") as f:
                for line in f:
                    m = ok_re.match(line)
                    if m and status.get(m.group(1)) != "failed":
                        status[m.group(1)] = "ok"
                    m = bad_re.match(line)
                    if m:
                        status[m.group(1)] = "failed"
    return status


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("Usage: check-claims.py CHUNKS_JSON RESULTS_DIR\n")
        return 2
    index = load_index(argv[0])
    results = argv[1]
    logs = {fl: read_logs(os.path.join(results, fl)) for fl in FLAVOURS}
    missing_dirs = [fl for fl in FLAVOURS if not os.path.isdir(os.path.join(results, fl))]

    # A test function defined in two blocks would make the link ambiguous.
    defined = {}
    for anchor, block in index["blocks"].items():
        for t in block.get("tests", []):
            defined.setdefault(t, []).append(anchor)

    problems = []
    for claim in index["claims"]:
        name, chapter = claim["test"], claim["chapter"]
        text = claim["text"]
        where = "%s:%d" % (chapter, line_of(chapter, "test=" + name) if name
                           else line_of(chapter, text.split()[0] if text else ".claim"))
        if not name:
            problems.append("%s: error: claim \"%s\" has no test=NAME" % (where, text))
            continue
        if name not in index["tests"]:
            problems.append("%s: error: claim \"%s\" names test %s, but no code block "
                            "defines `void %s(void **state)`" % (where, text, name, name))
            continue
        if len(defined.get(name, [])) > 1:
            problems.append("%s: error: test %s is defined in several blocks: %s"
                            % (where, name, ", ".join(defined[name])))
        for fl in FLAVOURS:
            st = logs[fl].get(name)
            if st == "ok":
                continue
            why = "failed" if st == "failed" else "did not run"
            problems.append("%s: error: claim \"%s\": test %s %s (%s build; logs in %s/%s)"
                            % (where, text, name, why, fl, results, fl))

    for d in missing_dirs:
        print("check-claims: no %s/%s: run `make test-c test-c-asan` first" % (results, d))
    for p in problems:
        print(p)
    print("check-claims: %d claim(s), %d problem(s)" % (len(index["claims"]), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
