#!/usr/bin/env python3
"""Book check: the rendered prose has no Markdown left over and no stray
spaces between Chinese characters.

Usage: tests/book/check-prose.py [--count] build/html

Reads every page build/html/*.html, takes the text a reader sees outside
code (<pre>, <code>, <script>, <style> and <svg> are skipped) and reports:

  * a literal `**` or `__`: emphasis that CommonMark did not close (it does
    not close `**` after "。" before a CJK letter, for instance), so the
    reader sees the asterisks;
  * a stray space: white space (a source line break, most often) between
    two CJK characters, which a browser shows as a space in the middle of a
    Chinese sentence.  Pandoc's east_asian_line_breaks extension drops such
    line breaks; this check proves it did.

Each finding is one line, FILE: KIND: ...context...; exit status 1 if there
is any.  --count prints the totals only (for before/after measurements) and
exits 0.
"""
import html.parser
import os
import re
import sys

CJK = "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
STRAY = re.compile("([%s])([ \t\n\r]+)([%s])" % (CJK, CJK))
LITERAL = re.compile(r"\*\*|__")
SKIP = {"pre", "code", "script", "style", "svg", "kbd", "samp", "textarea", "head", "template"}
# Text is joined within a block only: white space between two blocks (or list
# items) is markup layout, not something a reader sees.
BLOCK = {"p", "li", "ol", "ul", "td", "th", "tr", "table", "h1", "h2", "h3", "h4",
         "h5", "h6", "div", "figure", "figcaption", "dt", "dd", "dl", "blockquote",
         "section", "nav", "header", "main", "details", "summary", "body", "br"}


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}


def skipped(tag, attrs):
    """Elements whose text is not prose: code, navigation (it lists chapter
    titles side by side) and generated numbers ("第 2 章", "2.1", followed
    by a deliberate space)."""
    a = dict(attrs)
    classes = (a.get("class") or "").split()
    return (tag in SKIP or tag == "nav" or a.get("id") in ("topbar", "sidebar")
            or any(c.endswith("-number") for c in classes))


class Prose(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []         # (tag, skipped) of the open elements
        self.depth = 0          # how many open elements are skipped
        self.chunks = []        # runs of prose text, split at blocks and skips
        self.cur = []

    def handle_starttag(self, tag, attrs):
        skip = skipped(tag, attrs)
        if skip or tag in BLOCK:
            self.flush()
        if tag in VOID:
            return
        self.stack.append((tag, skip))
        self.depth += skip

    def handle_startendtag(self, tag, attrs):
        if skipped(tag, attrs) or tag in BLOCK:
            self.flush()

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        # pop to the matching element (tolerates unclosed <p>, <li>)
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                for _t, skip in self.stack[i:]:
                    self.depth -= skip
                    if skip:
                        self.flush()
                del self.stack[i:]
                break
        if tag in BLOCK:
            self.flush()

    def handle_data(self, data):
        if self.depth == 0:
            self.cur.append(data)

    def flush(self):
        if self.cur:
            self.chunks.append("".join(self.cur))
            self.cur = []

    def close(self):
        super().close()
        self.flush()


def check_page(path):
    p = Prose()
    with open(path, encoding="utf-8") as f:
        p.feed(f.read())
    p.close()
    stray, literal = [], []
    for text in p.chunks:
        for m in STRAY.finditer(text):
            stray.append(text[max(0, m.start() - 12):m.end() + 12])
        for m in LITERAL.finditer(text):
            literal.append(text[max(0, m.start() - 20):m.end() + 20])
    return stray, literal


def main(argv):
    count_only = False
    if argv and argv[0] == "--count":
        count_only = True
        argv = argv[1:]
    if len(argv) != 1:
        sys.stderr.write(__doc__)
        return 2
    site = argv[0]
    pages = sorted(f for f in os.listdir(site) if f.endswith(".html"))
    if not pages:
        print("check-prose: no HTML pages in %s" % site)
        return 1
    n_stray = n_literal = 0
    for page in pages:
        stray, literal = check_page(os.path.join(site, page))
        n_stray += len(stray)
        n_literal += len(literal)
        if count_only:
            continue
        for s in stray:
            print("%s/%s: stray space between CJK characters: %r" % (site, page, s))
        for s in literal:
            print("%s/%s: literal ** or __ in prose (unclosed emphasis?): %r" % (site, page, s))
    if count_only:
        print("stray CJK spaces: %d; literal **/__: %d; pages: %d" % (n_stray, n_literal, len(pages)))
        return 0
    if n_stray or n_literal:
        print("check-prose: %d stray CJK space(s), %d literal **/__ in %d pages"
              % (n_stray, n_literal, len(pages)))
        return 1
    print("check-prose: %d pages, no stray CJK space, no literal **/__" % len(pages))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
