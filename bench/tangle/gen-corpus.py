#!/usr/bin/env python3
"""Generate the benchmark corpus in two syntaxes with the same content.

Usage: gen-corpus.py OUTDIR [TARGET_LINES]

Writes OUTDIR/md/chNN.md (our Markdown dialect) and OUTDIR/noweb/book.nw
(noweb: "<<name>>=" ... "@"), about TARGET_LINES (default 200000) lines
each.  Every chapter has prose, output files (21 per chapter at the default
size), named chunks that are appended to twice, and references nested four
deep.  In noweb every file root is a chunk named by its path, and the
chunk "all" references every root, so that one `notangle -Rall` expands
everything that one tangle run writes.
"""
import os
import random
import sys

out = sys.argv[1]
target = int(sys.argv[2]) if len(sys.argv) > 2 else 200000
rng = random.Random(42)
CHAPTERS = 40
DEPTH = 4


def code_lines(tag, n):
    return [f"    value_{tag}_{i} = compute_{tag}({i}, x << {i % 7}); /* line {i} */"
            for i in range(n)]


def prose(n):
    words = "the pipe buffer holds data until a reader drains it and the kernel wakes the writer".split()
    return [" ".join(rng.choice(words) for _ in range(12)) + "." for _ in range(n)]


# The logical book: a list of chapters, each a list of items:
# ("prose", lines) | ("code", name, path, lines)   (name or path may be None)
book = []
lines_total = 0
per_chapter = target // CHAPTERS
for c in range(CHAPTERS):
    items = []
    count = 0
    f = 0
    while count < per_chapter:
        base = f"c{c}-f{f}"
        path = f"ch{c:02d}/file{f}.c"
        root = ["#include <stdio.h>", "", f"<<{base}-decls>>", "",
                "int main(void)", "{", f"    <<{base}-body>>", "    return 0;", "}"]
        items.append(("prose", prose(4)))
        items.append(("code", None, path, root))
        items.append(("prose", prose(3)))
        items.append(("code", f"{base}-decls", None, [f"static int decl_{base}_{i};" for i in range(8)]))
        # body -> level1 -> level2 -> level3 (nested references, indented)
        for d in range(DEPTH):
            name = f"{base}-body" if d == 0 else f"{base}-l{d}"
            nxt = f"{base}-l{d + 1}"
            body = code_lines(f"{c}_{f}_{d}", 12)
            if d < DEPTH - 1:
                body.insert(6, f"    <<{nxt}>>")
            items.append(("prose", prose(3)))
            items.append(("code", name, None, body))
            # append to the same chunk twice more
            for k in range(2):
                items.append(("prose", prose(2)))
                items.append(("code", name, None, code_lines(f"{c}_{f}_{d}_a{k}", 10)))
        count = sum(len(i[-1]) + (3 if i[0] == "code" else 1) for i in items)
        f += 1
    book.append(items)
    lines_total += count

os.makedirs(os.path.join(out, "md"), exist_ok=True)
os.makedirs(os.path.join(out, "noweb"), exist_ok=True)
md_lines = nw_lines = 0
roots = []
for c, items in enumerate(book):
    md = [f"# Chapter {c}", ""]
    for it in items:
        if it[0] == "prose":
            md += it[1] + [""]
        else:
            _, name, path, body = it
            attrs = ".c" + (f" #{name}" if name else "") + (f" file={path}" if path else "")
            md += ["```{" + attrs + "}"] + body + ["```", ""]
    with open(os.path.join(out, "md", f"ch{c:02d}.md"), "w") as fh:
        fh.write("\n".join(md) + "\n")
    md_lines += len(md)

nw = []
for c, items in enumerate(book):
    nw += ["@ \\section{Chapter %d}" % c, ""]
    for it in items:
        if it[0] == "prose":
            nw += ["@ " + it[1][0]] + it[1][1:] + [""]
        else:
            _, name, path, body = it
            chunk = path if path else name
            if path:
                roots.append(path)
                if name:
                    raise SystemExit("a block with both file= and #name is not generated")
            nw += [f"<<{chunk}>>="] + body + ["@", ""]
nw += ["<<all>>="] + [f"<<{r}>>" for r in roots] + ["@"]
with open(os.path.join(out, "noweb", "book.nw"), "w") as fh:
    fh.write("\n".join(nw) + "\n")
nw_lines = len(nw)
print(f"corpus: {len(book)} chapters, {len(roots)} files, {md_lines} Markdown lines, "
      f"{nw_lines} noweb lines")
