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
  * string literals with Chinese in the book's code blocks come out of the
    PDF as written (xeCJK put a space between " and a Chinese character);
  * no running head in capitals ("共享内存映射：MMAP"): no ASCII-uppercased
    form of a heading with small letters appears in the text;
  * a page with no body text (the blank page before a right-hand chapter
    opening) has no running head and no page number either;
  * front matter: the preface is on a roman-numbered page and chapter 1 on
    page 1, and the preface's sections are unnumbered (build/book/book.toc);
    chapter headings read "第 N 章", never "第二章";
  * no chunk label ("代码 2.3 ...") and no "答案" is the last line of a page;
  * no line break inside "——", between a number and its unit ("64⏎B"), or
    in a word that the source does not hyphenate ("Post-⏎greSQL");
  * captions: "图 N.M：" and "表 N.M：" with the Chinese colon, and every
    table (longtable in book.tex) has a caption;
  * PDF bookmarks of numbered chapters and sections carry their numbers;
  * no fake-slanted font (AutoFakeSlant, FakeSlant) in the LaTeX source.
Prints one line per figure with its smallest printed text size.
"""
import json
import os
import re
import subprocess
import sys
import zlib

BODY_BP = 12.0            # 小四 (zihao=-4)
MIN_FIGURE_BP = BODY_BP - 2.0
PT_PER_BP = 72.27 / 72


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


def pdf_outline_titles(path):
    """The /Title strings in the PDF (the bookmarks), also from compressed
    object streams."""
    with open(path, "rb") as f:
        data = f.read()
    chunks = [data]
    for m in re.finditer(rb"stream\r?\n", data):
        end = data.find(b"endstream", m.end())
        try:
            chunks.append(zlib.decompress(data[m.end():end]))
        except zlib.error:
            pass
    titles = []
    for c in chunks:
        for m in re.finditer(rb"/Title\s*(\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>)", c):
            s = m.group(1)
            if s[:1] == b"(":
                raw = re.sub(rb"\\([0-7]{1,3}|.)", lambda e: bytes([int(e.group(1), 8) & 255])
                             if e.group(1)[:1].isdigit() else
                             {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(e.group(1), e.group(1)),
                             s[1:-1], flags=re.S)
            else:
                raw = bytes.fromhex(re.sub(rb"\s", b"", s[1:-1]).decode())
            if raw[:2] == b"\xfe\xff":
                titles.append(raw[2:].decode("utf-16-be", "replace"))
            else:
                titles.append(raw.decode("latin-1"))
    return titles


def code_literals(book_json):
    """C string literals with Chinese in them, from the book's code blocks."""
    with open(book_json, encoding="utf-8") as f:
        doc = json.load(f)
    found = []

    def walk(x):
        if isinstance(x, dict):
            if x.get("t") == "CodeBlock":
                found.extend(re.findall(r'"[^"\n]*[\u4e00-\u9fff][^"\n]*"', x["c"][1]))
            else:
                for v in x.values():
                    walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
    walk(doc["blocks"])
    return found


def squash_spaces(s):
    return re.sub(r"[ \t]+", " ", s)


def check_text(msgs, pdf, text, build):
    """Checks on the PDF's text, page by page."""
    pages = text.split("\f")
    flat = squash_spaces(text.replace("\n", " "))
    for lit in code_literals(os.path.join(build, "book", "book.json")):
        if squash_spaces(lit) not in flat:
            fail(msgs, "%s: the string literal %s does not come out as written" % (pdf, lit))
    names = re.findall(r"第[一二三四五六七八九十]+章", text)
    for name in sorted(set(names)):
        fail(msgs, "%s: %d x %r (the book says 第 N 章)" % (pdf, names.count(name), name))
    for n, page in enumerate(pages, 1):
        lines = [l.strip() for l in page.split("\n") if l.strip()]
        if not lines:
            continue
        if len(lines) <= 2 and all(len(l) < 60 for l in lines) and \
                any(re.fullmatch(r"[0-9]+|[ivxlc]+", l) for l in lines) and \
                not any(re.match(r"第 ?\d+ ?章|附录", l) for l in lines):
            fail(msgs, "%s: page %d is blank but for a running head or page number: %r"
                 % (pdf, n, lines))
        body = lines[:]
        if re.fullmatch(r"[0-9]+|[ivxlc]+", body[-1]):
            body.pop()
        if body and (re.match(r"代码 \d+(\.\d+)? ", body[-1]) or body[-1] == "答案"):
            fail(msgs, "%s: page %d ends with %r, apart from what it labels" % (pdf, n, body[-1]))
    # (not "425" at a page's foot and "s->x" opening the code on the next)
    units = r"(B|KiB|MiB|GiB|KB|MB|GB|ms|µs|us|ns|s|MB/s|GB/s)(?![A-Za-z]|\.\d|->)"
    for m in re.finditer(r"(\S*\d)[ \t]*\n\s*" + units, text):
        fail(msgs, "%s: a line break between %r and its unit %r" % (pdf, m.group(1), m.group(2)))
    for m in re.finditer(r"\S*—[ \t]*\n\s*—\S*", text):
        fail(msgs, "%s: a line break inside ——: %r" % (pdf, m.group(0)))
    with open(os.path.join(build, "book", "book.json"), encoding="utf-8") as f:
        source = f.read()
    for m in re.finditer(r"([A-Za-z]+)-[ \t]*\n\s*([a-z][A-Za-z]*)", text):
        if "%s-%s" % m.groups() not in source:
            fail(msgs, "%s: a word hyphenated at a line end: %s-/%s" % ((pdf,) + m.groups()))
    # a cross reference against Chinese text, without xeCJK's glue (book.lua's
    # \bookecglue): "见6.4 节", "图 2.1画出了"
    han = "[\u4e00-\u9fff]"
    for m in re.finditer(han + r"(\d+(\.\d+)* 节)|(图|表|代码) [A-Z\d]+\.\d+" + han, text):
        fail(msgs, "%s: no space between a cross reference and the Chinese text: %r"
             % (pdf, m.group(0)))
    for kind in ("图", "表"):
        for m in re.finditer(kind + r" (\d+\.\d+)\s*[:：]", text):
            if ":" in m.group(0):
                fail(msgs, "%s: caption %r with a Latin colon" % (pdf, m.group(0)))


def check_toc_and_headings(msgs, build, text):
    toc = os.path.join(build, "book", "book.toc")
    try:
        with open(toc, encoding="utf-8") as f:
            entries = re.findall(r"\\contentsline \{(\w+)\}\{(.*)\}\{([^{}]*)\}\{[^{}]*\}%", f.read())
    except OSError as e:
        fail(msgs, "%s: %s" % (toc, e.strerror))
        return
    chapters = [e for e in entries if e[0] == "chapter"]
    if not chapters:
        fail(msgs, "%s: no chapters" % toc)
        return
    unnumbered = [e for e in chapters if "\\numberline" not in e[1]]
    numbered = [e for e in chapters if "\\numberline" in e[1]]
    if unnumbered and not re.fullmatch(r"[ivxlc]+", unnumbered[0][2]):
        fail(msgs, "%s: %s starts on page %s, not a roman-numbered one"
             % (toc, unnumbered[0][1], unnumbered[0][2]))
    if numbered and numbered[0][2] != "1":
        fail(msgs, "%s: the first numbered chapter starts on page %s, not 1" % (toc, numbered[0][2]))
    # The sections of the unnumbered chapters (the preface) are unnumbered.
    in_unnumbered = False
    for kind, title, page in entries:
        if kind == "chapter":
            in_unnumbered = "\\numberline" not in title
            chapter = title
        elif in_unnumbered and "\\numberline" in title:
            fail(msgs, "%s: section %s of %s is numbered" % (toc, title, chapter))
    # Running heads: a heading with small ASCII letters never appears uppercased.
    for kind, title, page in entries:
        plain = re.sub(r"\\numberline \{[^{}]*\}|\\[a-zA-Z]+ ?|[{}]", "", title)
        plain = plain.replace("\\", "")
        if re.search(r"[a-z]", plain):
            up = re.sub(r"[a-z]+", lambda m: m.group(0).upper(), plain)
            if up in text:
                fail(msgs, "running head in capitals: %r" % up)
    # Bookmarks carry the numbers of numbered chapters and sections.
    titles = pdf_outline_titles(os.path.join(build, "book.pdf"))
    for kind, title, page in entries:
        m = re.match(r"\\numberline \{([^{}]*?)(\\hspace \{[^{}]*\})?\}", title)
        if not m or kind not in ("chapter", "section"):
            continue
        num = re.sub(r"\s", "", m.group(1))
        if not any(re.sub(r"\s", "", t).startswith(num) for t in titles):
            fail(msgs, "no PDF bookmark starts with %s (%s %s)" % (num, kind, title[m.end():]))


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
    check_text(msgs, pdf, text, build)
    check_toc_and_headings(msgs, build, text)

    tex = os.path.join(build, "book", "book.tex")
    with open(tex, encoding="utf-8") as f:
        source = f.read()
    if re.search(r"FakeSlant", source):
        fail(msgs, "%s: a fake-slanted font (FakeSlant)" % tex)
    for m in re.finditer(r"\\begin\{longtable\}(.*?)\\end\{longtable\}", source, re.S):
        if "\\caption" not in m.group(1):
            fail(msgs, "%s:%d: a table without a caption" % (tex, source.count("\n", 0, m.start()) + 1))

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
        floor = MIN_FIGURE_BP
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
