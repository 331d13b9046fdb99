#!/usr/bin/env python3
"""Generate the "one big file" benchmark shape in two syntaxes.

Usage: gen-big.py OUTDIR [MEGABYTES]

Writes OUTDIR/md/big.md (our Markdown, about MEGABYTES MB, default 7) and
OUTDIR/noweb/big.nw (noweb) with the same content: one output file, big.c,
whose chunks nest 40 deep.  Chunk level-D references level-(D+1) indented
by 4 more spaces, so every line of level D is written with 4*D spaces in
front: the output (about twice the input) is mostly indentation work.  Each
level is defined by several blocks spread over the whole file (appended to
in document order), with prose in between.
"""
import os
import sys

out = sys.argv[1]
megabytes = float(sys.argv[2]) if len(sys.argv) > 2 else 7.0
DEPTH = 40
ROUNDS = 30            # each level gets one block per round
LINE = "value_{d}_{r}_{i} = compute_{d}({i}, x << {m}) + table[{i}]; /* level {d} */"

# Lines per block, so that the Markdown comes out near the target size.
per_line = len(LINE.format(d=20, r=15, i=20, m=3)) + 1
lines_per_block = max(4, int(megabytes * 1e6 / (DEPTH * ROUNDS * per_line)))

def body(d, r):
    lines = [LINE.format(d=d, r=r, i=i, m=i % 7) for i in range(lines_per_block)]
    if r == 0 and d + 1 < DEPTH:
        lines.insert(lines_per_block // 2, "    " + f"<<level-{d + 1}>>")
    return lines

md = ["# One big chapter", ""]
nw = ["@ \\section{One big chapter}", ""]
prose = ("The writer fills the buffer while the reader drains it, and the kernel "
         "wakes whichever side is waiting.")
md += ["```{.c file=big.c}", "int main(void)", "{", "    <<level-0>>", "}", "```", ""]
nw += ["<<big.c>>=", "int main(void)", "{", "    <<level-0>>", "}", "@", ""]
for r in range(ROUNDS):
    for d in range(DEPTH):
        lines = body(d, r)
        md += [prose, "", "```{.c #level-%d}" % d] + lines + ["```", ""]
        nw += ["@ " + prose, "", "<<level-%d>>=" % d] + lines + ["@", ""]
nw += ["<<all>>=", "<<big.c>>", "@"]
for sub, name, text in (("md", "big.md", md), ("noweb", "big.nw", nw)):
    os.makedirs(os.path.join(out, sub), exist_ok=True)
    with open(os.path.join(out, sub, name), "w") as fh:
        fh.write("\n".join(text) + "\n")
size = os.path.getsize(os.path.join(out, "md", "big.md"))
print(f"corpus: 1 chapter, 1 file, {size / 1e6:.1f} MB of Markdown, chunks nested {DEPTH} deep")
