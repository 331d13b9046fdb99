#!/usr/bin/env python3
"""figure-pdf.py: lay out a Graphviz figure for the printed page.

Usage: book/tools/figure-pdf.py FIGURE.dot OUT.svg

The PDF shows a figure at its natural size, capped to the text block
(book/templates/preamble.tex), so a figure wider than the text is scaled
down and its text shrinks with it.  Many figures are drawn left to right
(rankdir=LR), which suits a wide browser window but not a portrait page.
This tool renders the figure as it is and, when that does not fit, also top
to bottom (rankdir=TB) and with its nodes closer together (half the
nodesep), and writes the first layout that fits, or else the one scaled
down least.  The HTML and EPUB keep the source layout.

TEXT_WIDTH and TEXT_HEIGHT (in pt) are those of the book's text block
(A4, 2.4 cm margins; the height leaves room for the caption).
tests/book/check-pdf.py measures the text size of every figure as printed.
"""
import re
import subprocess
import sys

TEXT_WIDTH = 459.2
TEXT_HEIGHT = 620.0


def render(dot_source):
    out = subprocess.run(["dot", "-Tsvg"], input=dot_source.encode(),
                         capture_output=True, check=True).stdout.decode()
    m = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', out)
    if not m:
        sys.exit("figure-pdf.py: no size in dot's SVG output")
    w, h = float(m.group(1)), float(m.group(2))
    return out, min(1.0, TEXT_WIDTH / w, TEXT_HEIGHT / h)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: figure-pdf.py FIGURE.dot OUT.svg")
    src = open(sys.argv[1], encoding="utf-8").read()
    # Variants, from the least changed: as drawn; top to bottom; each of
    # those with the nodes of a rank closer together.
    variants = [src]
    if re.search(r"rankdir\s*=\s*\"?LR", src):
        variants.append(re.sub(r"rankdir\s*=\s*\"?LR\"?", "rankdir=TB", src))
    variants += [re.sub(r"nodesep\s*=\s*([\d.]+)",
                        lambda m: "nodesep=%.2f" % (float(m.group(1)) * 0.5), v)
                 for v in variants if re.search(r"nodesep\s*=", v)]
    best, best_scale = render(src)
    for v in variants[1:]:
        if best_scale >= 1.0:
            break
        alt, alt_scale = render(v)
        if alt_scale > best_scale:
            best, best_scale = alt, alt_scale
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write(best)


if __name__ == "__main__":
    main()
