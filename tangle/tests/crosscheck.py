#!/usr/bin/env python3
"""Cross-check tangle's view of the tangle blocks against pandoc's.

Usage: crosscheck.py DUMP FILE.md...

For each file, the fenced code blocks that carry an id or a file= attribute
in `pandoc -f commonmark_x -t json --preserve-tabs` must be exactly the
blocks that DUMP (tests/dump.c: tangle's parser) finds: same order, id,
classes, key=value attributes and content (pandoc drops the final newline
of a block; tangle keeps it).
Prints one line per file and a "N passed, N failed" summary."""
import json
import subprocess
import sys


def pandoc_blocks(path):
    out = subprocess.run(["pandoc", "-f", "commonmark_x", "-t", "json", "--preserve-tabs", path],
                         check=True, capture_output=True, text=True).stdout

    def walk(x):
        if isinstance(x, dict):
            if x.get("t") == "CodeBlock":
                (ident, classes, kvs), text = x["c"]
                if ident or any(k == "file" for k, _ in kvs):
                    yield {"id": ident, "classes": classes, "attrs": [list(kv) for kv in kvs],
                           "text": text}
            else:
                for v in x.values():
                    yield from walk(v)
        elif isinstance(x, list):
            for v in x:
                yield from walk(v)

    return list(walk(json.loads(out)["blocks"]))


def tangle_blocks(dump, path):
    out = subprocess.run([dump, path], check=True, capture_output=True, text=True).stdout
    blocks = []
    for line in out.splitlines():
        b = json.loads(line)
        text = b["text"][:-1] if b["text"].endswith("\n") else b["text"]
        blocks.append({"id": b["id"], "classes": b["classes"], "attrs": b["attrs"], "text": text,
                       "line": b["line"]})
    return blocks


def main():
    dump, files = sys.argv[1], sys.argv[2:]
    passed = failed = 0
    for path in files:
        want, got = pandoc_blocks(path), tangle_blocks(dump, path)
        problems = []
        if len(want) != len(got):
            problems.append(f"pandoc sees {len(want)} tangle blocks, tangle sees {len(got)}")
        for i, (w, g) in enumerate(zip(want, got)):
            line = g.pop("line")
            if w != g:
                problems.append(f"block {i + 1} (tangle: line {line}): pandoc {w!r} != tangle {g!r}")
        if problems:
            failed += 1
            print(f"[  FAILED  ] crosscheck {path}")
            for p in problems:
                print("    " + p)
        else:
            passed += 1
            print(f"[       OK ] crosscheck {path} ({len(want)} blocks)")
    print(f"crosscheck: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
