#!/usr/bin/env python3
"""Book check: the rendered book is complete and its links resolve.

Usage: tests/book/check-book.py book/chapters.txt build/chunks.json build

Checks (each failure is one line; exit status 1 if there is any):
  * every chapter listed in book/chapters.txt exists;
  * every figure a chapter shows (figures/NAME.svg) has its source,
    figures/NAME.dot or figures/NAME.svg;
  * HTML (build/html/*.html): every id is unique in its page; every local
    href/src (a, img, link, script, source) names an existing file, and every
    #fragment names an id in the target page; every listed chapter has its
    page, with its title, and the front page links to it;
  * PDF (build/book.pdf): pdftotext finds every chapter title; pdffonts
    shows embedded CJK fonts and no font that is not embedded; every
    internal link (\hyperlink in build/book/book.tex) has its target;
  * EPUB (build/book.epub): every chapter title appears in the text, and
    every internal link and image in the EPUB resolves.
"""
import html.parser
import os
import posixpath
import re
import subprocess
import sys
import zipfile
from urllib.parse import unquote, urlsplit

from checklib import line_of, load_index


class Collector(html.parser.HTMLParser):
    """Ids, and links/sources, of one HTML page; plus its visible text."""

    LINK_ATTRS = {"a": "href", "img": "src", "link": "href", "script": "src",
                  "source": "src", "image": "href", "use": "href"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.dup_ids, self.links, self.text = set(), set(), [], []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id",) + (("name",) if tag == "a" else ()):
            if a.get(key):
                if a[key] in self.ids and key == "id":
                    self.dup_ids.add(a[key])
                self.ids.add(a[key])
        attr = self.LINK_ATTRS.get(tag)
        for k in (attr, "xlink:href") if attr else ():
            if a.get(k):
                self.links.append((tag, a[k], self.getpos()[0]))
        if tag in ("script", "style"):
            self._skip += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def parse(data):
    c = Collector()
    c.feed(data)
    c.close()
    return c



def squash(s):
    return re.sub(r"\s+", "", s)


def check_links(pages, exists, label, problems):
    """pages: {path: Collector}; exists(path) -> bool.  Paths are posix."""
    for path, c in sorted(pages.items()):
        for dup in sorted(c.dup_ids):
            problems.append("%s: error: duplicate id \"%s\"" % (path, dup))
        for tag, url, line in c.links:
            parts = urlsplit(url)
            if parts.scheme or url.startswith("//"):
                continue                    # external: not checked (offline)
            target = path
            if parts.path:
                target = posixpath.normpath(posixpath.join(posixpath.dirname(path),
                                                           unquote(parts.path)))
                if not exists(target):
                    problems.append("%s:%d: error: <%s> %s: %s does not exist"
                                    % (path, line, tag, url, target))
                    continue
            frag = unquote(parts.fragment)
            if frag and target in pages and frag not in pages[target].ids:
                problems.append("%s:%d: error: <%s> %s: no id \"%s\" in %s"
                                % (path, line, tag, url, frag, target))
    return problems


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("Usage: check-book.py CHAPTERS_TXT CHUNKS_JSON BUILD_DIR\n")
        return 2
    list_path, index_path, build = argv
    problems = []

    # Chapters listed.
    listed = []
    with open(list_path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            p = line.split("#", 1)[0].strip()
            if not p:
                continue
            listed.append(p)
            if not os.path.isfile(p):
                problems.append("%s:%d: error: chapter %s does not exist" % (list_path, n, p))
    index = load_index(index_path)
    chapters = index["chapters"]
    indexed = [c["file"] for c in chapters]
    for p in listed:
        if os.path.isfile(p) and p not in indexed:
            problems.append("%s: error: chapter %s is not in the book index (%s): run make"
                            % (list_path, p, index_path))
    # Figure sources: figures/NAME.svg in a chapter needs figures/NAME.dot or .svg.
    for c in chapters:
        for src in c.get("images", []):
            m = re.match(r"figures/([^/]+)\.svg$", src)
            if not m:
                if not re.match(r"[a-z]+:", src):
                    problems.append("%s:%d: error: image %s: reference figures as "
                                    "figures/NAME.svg" % (c["file"], line_of(c["file"], src), src))
                continue
            name = m.group(1)
            if not (os.path.isfile("figures/%s.dot" % name) or os.path.isfile("figures/%s.svg" % name)):
                problems.append("%s:%d: error: figure %s has no source figures/%s.dot or "
                                "figures/%s.svg" % (c["file"], line_of(c["file"], src), src, name, name))
    for e in index.get("errors", []):
        problems.append("%s: error: %s" % (index_path, e))

    # HTML.
    html_dir = os.path.join(build, "html")
    pages = {}
    book_pages = {c["html"] for c in chapters}
    for fn in sorted(os.listdir(html_dir)) if os.path.isdir(html_dir) else []:
        if re.match(r"\d+-.*\.html$", fn) and fn not in book_pages:
            print("check-book: note: skipping %s/%s, a page of a chapter that is no "
                  "longer listed" % (html_dir, fn))
            continue
        if fn.endswith(".html"):
            with open(os.path.join(html_dir, fn), encoding="utf-8") as f:
                pages[posixpath.join(html_dir, fn)] = parse(f.read())
    check_links(pages, os.path.isfile, "html", problems)
    front = pages.get(posixpath.join(html_dir, "index.html"))
    if front is None:
        problems.append("%s/index.html: error: missing" % html_dir)
    for c in chapters:
        page = posixpath.join(html_dir, c["html"])
        if page not in pages:
            problems.append("%s: error: no HTML page %s" % (c["file"], page))
            continue
        if squash(c["title"]) not in squash("".join(pages[page].text)):
            problems.append("%s: error: title \"%s\" not found in %s" % (c["file"], c["title"], page))
        if front is not None and not any(u.split("#")[0] == c["html"] for _t, u, _l in front.links):
            problems.append("%s/index.html: error: no link to %s" % (html_dir, c["html"]))

    # PDF.
    pdf = os.path.join(build, "book.pdf")
    if not os.path.isfile(pdf):
        problems.append("%s: error: missing" % pdf)
    else:
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", pdf, "-"], capture_output=True,
                              text=True, check=True).stdout
        flat = squash(text)
        for c in chapters:
            if squash(c["title"]) not in flat:
                problems.append("%s: error: title \"%s\" not found in %s (pdftotext)"
                                % (c["file"], c["title"], pdf))
        fonts = subprocess.run(["pdffonts", pdf], capture_output=True, text=True,
                               check=True).stdout.splitlines()[2:]
        cjk = 0
        for line in fonts:
            cols = line.split()
            # name type... emb sub uni object ID: emb is the 5th field from the end.
            name, emb = cols[0], cols[-5]
            if emb != "yes":
                problems.append("%s: error: font %s is not embedded" % (pdf, name))
            elif "CJK" in name:
                cjk += 1
        if cjk == 0:
            problems.append("%s: error: pdffonts shows no embedded CJK font" % pdf)
        # Internal links of the PDF: every \hyperlink has its target.
        tex = os.path.join(build, "book", "book.tex")
        if os.path.isfile(tex):
            with open(tex, encoding="utf-8") as f:
                src = f.read()
            targets = set(re.findall(r"\\(?:hypertarget|label)\{([^}]*)\}", src))
            for link in sorted(set(re.findall(r"\\hyperlink\{([^}]*)\}", src))):
                if link not in targets:
                    problems.append("%s: error: internal link to \"%s\" has no target"
                                    % (pdf, link))

    # EPUB.
    epub = os.path.join(build, "book.epub")
    if not os.path.isfile(epub):
        problems.append("%s: error: missing" % epub)
    else:
        with zipfile.ZipFile(epub) as z:
            names = set(z.namelist())
            docs = {n: parse(z.read(n).decode("utf-8")) for n in names
                    if n.endswith((".xhtml", ".html"))}
            epub_problems = check_links(docs, lambda p: p in names, "epub", [])
            problems.extend("%s: %s" % (epub, p) for p in epub_problems)
            alltext = squash("".join("".join(d.text) for n, d in sorted(docs.items())
                                     if not n.endswith("nav.xhtml")))
            for c in chapters:
                if squash(c["title"]) not in alltext:
                    problems.append("%s: error: title \"%s\" not found in %s"
                                    % (c["file"], c["title"], epub))

    for p in problems:
        print(p)
    print("check-book: %d chapter(s), %d HTML page(s), %d problem(s)"
          % (len(chapters), len(pages), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
