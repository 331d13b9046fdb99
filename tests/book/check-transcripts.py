#!/usr/bin/env python3
"""Transcript check: every console block in the book matches a real run.

Usage: tests/book/check-transcripts.py build/chunks.json build/bin

A transcript is a fenced block ```{.console run="DIR/NAME ARGS"} whose content
is the expected combined stdout+stderr of `build/bin/DIR/NAME ARGS`.  For each
one this script (see CONTRIBUTING.md, "Transcripts"):
  * splits run= into words like a POSIX shell (quotes allowed; no pipes,
    redirections or variables), the first word is the program DIR/NAME;
  * runs build/bin/DIR/NAME from the repository root, with stdin from
    /dev/null, stdout and stderr on one pipe, env BIN_DIR=build/bin and
    LC_ALL=C.UTF-8, and a 20 s timeout;
  * requires the exit status to be `status=N` (default 0);
  * applies the normalisation rules the block names in normalize="RULE ..."
    to BOTH the expected text and the real output (never anything else),
    drops trailing newlines on both, and compares; a difference is printed as
    a unified diff.
Exit status 0 when every transcript matches, 1 otherwise.
"""
import difflib
import os
import re
import shlex
import subprocess
import sys

from checklib import load_index

TIMEOUT = 20

# The normalisation rules, exactly as documented in CONTRIBUTING.md.
RULES = {
    # tmp: a path component made by mkdtemp/mkstemp, right after a '/':
    # NAME.XXXXXX or NAME-XXXXXX, the last 6 characters random.
    "tmp": (re.compile(r"(?<=/)[A-Za-z0-9_]+[.-][A-Za-z0-9]{6}(?=$|[/\s'\":,;)\]])",
                       re.M), "<TMP>"),
    # addr: 0x followed by hex digits.
    "addr": (re.compile(r"0x[0-9A-Fa-f]+"), "0x<ADDR>"),
    # pid: a decimal number right after the word pid, PID or ppid,
    # optionally followed by one ' ', '=' or ':'.
    "pid": (re.compile(r"\b(pid|PID|ppid)([ =:]?)[0-9]+\b"), r"\1\2<PID>"),
    # time: a decimal number, optional fraction, optional space, a unit.
    "time": (re.compile(r"(?<![\w.])[0-9]+(?:\.[0-9]+)?[ ]?(ns|us|µs|ms|s)(?![A-Za-z])"),
             r"<T> \1"),
}
RULE_ORDER = ("tmp", "addr", "pid", "time")


def normalise(text, rules):
    for name in RULE_ORDER:
        if name in rules:
            rx, repl = RULES[name]
            text = rx.sub(repl, text)
    return text.rstrip("\n")


def find_line(chapter, run, nth):
    """Line of the nth block (0-based) with this run= attribute."""
    seen = 0
    try:
        with open(chapter, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if line.lstrip().startswith(("```", "~~~")) and "run=" in line \
                        and (('"%s"' % run) in line or ("'%s'" % run) in line):
                    if seen == nth:
                        return n
                    seen += 1
    except OSError:
        pass
    return 0


def check_one(t, bin_dir, where):
    """Return a list of problem messages for one transcript."""
    try:
        words = shlex.split(t["run"])
    except ValueError as e:
        return ["%s: error: run=\"%s\": %s" % (where, t["run"], e)]
    if not words:
        return ["%s: error: empty run=" % where]
    prog = words[0]
    if prog.startswith("/") or ".." in prog.split("/") or "/" not in prog:
        return ["%s: error: run= must name a program as DIR/NAME under %s, not %s"
                % (where, bin_dir, prog)]
    rules = t.get("normalize", "").split()
    unknown = [r for r in rules if r not in RULES]
    if unknown:
        return ["%s: error: unknown normalize rule(s) %s (known: %s)"
                % (where, " ".join(unknown), " ".join(RULE_ORDER))]
    try:
        want_status = int(t.get("status", "0"))
    except ValueError:
        return ["%s: error: status=%s is not a number" % (where, t.get("status"))]
    path = os.path.join(bin_dir, prog)
    if not os.access(path, os.X_OK):
        return ["%s: error: %s does not exist (is code/%s.c tangled and built?)"
                % (where, path, prog)]
    env = dict(os.environ, BIN_DIR=bin_dir, LC_ALL="C.UTF-8")
    try:
        p = subprocess.run([path] + words[1:], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           env=env, timeout=TIMEOUT, start_new_session=True)
    except subprocess.TimeoutExpired:
        return ["%s: error: `%s` did not finish within %d s" % (where, t["run"], TIMEOUT)]
    out = p.stdout.decode("utf-8", errors="replace")
    problems = []
    if p.returncode != want_status:
        problems.append("%s: error: `%s` exited with status %d, the block expects %d%s"
                        % (where, t["run"], p.returncode, want_status,
                           "" if want_status else " (add status=N if that is intended)"))
    want = normalise(t["expected"], rules)
    got = normalise(out, rules)
    if want != got:
        diff = difflib.unified_diff(want.split("\n"), got.split("\n"),
                                    "expected (%s)" % where, "actual (%s)" % t["run"],
                                    lineterm="")
        problems.append("%s: error: output of `%s` differs from the book%s:\n%s"
                        % (where, t["run"],
                           " (after normalize=%s)" % " ".join(rules) if rules else "",
                           "\n".join(diff)))
    return problems


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("Usage: check-transcripts.py CHUNKS_JSON BIN_DIR\n")
        return 2
    index = load_index(argv[0])
    bin_dir = argv[1]
    problems, counts = [], {}
    for t in index["consoles"]:
        key = (t["chapter"], t["run"])
        nth = counts.get(key, 0)
        counts[key] = nth + 1
        where = "%s:%d" % (t["chapter"], find_line(t["chapter"], t["run"], nth))
        problems.extend(check_one(t, bin_dir, where))
    for p in problems:
        print(p)
    print("check-transcripts: %d transcript(s), %d problem(s)"
          % (len(index["consoles"]), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
