#!/usr/bin/env python3
"""Build the book-wide index from the per-chapter pandoc ASTs.

Usage: book/tools/index.py OUT_JSON OUT_LUA OUT_BOOK CHAPTER.md=AST.json...
           [--list LIST_FILE] [--sources CHAPTER.md...]

Every page is rendered by its own pandoc run, but the literate cross-links
(a chunk defined in chapter 2 and used in chapter 3, a claim whose test lives
in another chapter, "图 2.1") need to know the whole book.  This script reads
the pandoc JSON AST of every chapter (in reading order) and writes:

  OUT_JSON  the index as JSON (build/chunks.json), read by the check scripts;
  OUT_LUA   the same data as a Lua table, read by book/filters/book.lua
            (pandoc 2.17 has no JSON decoder for Lua filters);
  OUT_BOOK  the ASTs of all chapters joined into one document (pandoc JSON),
            the input of the PDF and EPUB: the very AST that was indexed.

A chapter NN-slug-tests.md or NN-slug-harness.md is an appendix of
NN-slug.md: it gets a letter (A, B, ... in reading order) instead of a
number, so that its sections, figures and listings ("代码 B.1") never share
a number with a chapter's.  A block with <<references>> gets "expanded", the
text tangle would produce for it (the copy button copies that).

Each file is rewritten only when its content changes, so that `make` does
not re-render every page when a chapter changes only its own text.

It also checks what the whole book must agree on, and reports each mistake
as `FILE:LINE: error: ...` (exit status 1, and nothing is written):
  * a chapter file (--sources) that LIST_FILE (book/chapters.txt) does not
    list, and a listed chapter that does not exist;
  * a link to a chapter that is not listed, or to an #anchor that no heading,
    figure, div, span or code block of that chapter defines;
  * an image figures/NAME.svg with neither figures/NAME.dot nor .svg;
  * a claim with no test=, or naming a test function no code block defines;
  * two tangle blocks with the same anchor.
"""
import json
import os
import re
import sys

NAME_RE = r"[A-Za-z0-9][A-Za-z0-9_.:-]*"
REF_RE = re.compile(r"^\s*<<(" + NAME_RE + r")>>\s*$")
# A cmocka test function definition: "static void NAME(void **state) {".
TEST_RE = re.compile(r"\bvoid\s+([A-Za-z_]\w*)\s*\(\s*void\s*\*\*\s*\w*\s*\)\s*\{")


# NN-slug-tests.md / NN-slug-harness.md: the appendix of chapter NN-slug.md.
APPENDIX_RE = re.compile(r"^(\d+-.+)-(tests|harness)$")


def stringify(inlines):
    """Plain text of a list of pandoc inlines (like pandoc.utils.stringify)."""
    out = []

    def walk(x):
        if isinstance(x, list):
            for y in x:
                walk(y)
        elif isinstance(x, dict):
            t = x.get("t")
            c = x.get("c")
            if t == "Str":
                out.append(c)
            elif t in ("Space", "SoftBreak", "LineBreak"):
                out.append(" ")
            elif t in ("Code", "Math", "RawInline"):
                out.append(c[1] if t != "RawInline" else "")
            elif t == "Note":
                return
            elif t in ("Link", "Image", "Span"):
                walk(c[1])
            elif t == "Quoted":
                q = "“”" if c[0]["t"] == "DoubleQuote" else "‘’"
                out.append(q[0])
                walk(c[1])
                out.append(q[1])
            elif t == "Cite":
                walk(c[1])
            elif c is not None:
                walk(c)

    walk(inlines)
    return "".join(out).strip()


def anchor_safe(s):
    return re.sub(r"[^A-Za-z0-9_.:-]", "-", s)


def walk_blocks(blocks, visit):
    """Call visit(block) on every block and inline element, in document order."""
    def walk(x):
        if isinstance(x, list):
            for y in x:
                walk(y)
        elif isinstance(x, dict) and "t" in x:
            visit(x)
            c = x.get("c")
            if isinstance(c, (list, dict)):
                walk(c)
    walk(blocks)


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    out_json, out_lua, out_book, pairs = argv[0], argv[1], argv[2], argv[3:]
    book = {"pandoc-api-version": None, "meta": {}, "blocks": []}

    chapters, blocks, chunks, tests, figures = [], {}, {}, {}, {}
    claims, consoles, errors = [], [], []
    used_ids = set()
    links, images = [], []          # (md, target) in document order
    ids = {}                        # page -> set of anchors on it
    list_file, sources = None, []
    if "--sources" in pairs:
        i = pairs.index("--sources")
        pairs, sources = pairs[:i], pairs[i + 1:]
    if "--list" in pairs:
        i = pairs.index("--list")
        list_file = pairs[i + 1]
        pairs = pairs[:i] + pairs[i + 2:]
    n_appendices = 0
    texts, chunk_text = {}, {}

    for pair in pairs:
        md, ast_path = pair.split("=", 1)
        with open(ast_path, encoding="utf-8") as f:
            ast = json.load(f)
        book["pandoc-api-version"] = ast["pandoc-api-version"]
        book["blocks"].extend(ast["blocks"])
        base = os.path.splitext(os.path.basename(md))[0]
        m = re.match(r"(\d+)-", base)
        num = int(m.group(1)) if m else None
        # A chapter's tests (NN-slug-tests.md) and chapter 6's harness
        # (NN-slug-harness.md) are appendices: lettered A, B, ... in reading
        # order, so that their listings ("代码 B.1"), figures and sections
        # never share a number with the chapter's own.
        appendix = None
        parent = None
        a = APPENDIX_RE.match(base)
        if a:
            appendix = chr(ord("A") + n_appendices)
            n_appendices += 1
            num = None
            parent = a.group(1)
        ch = {"file": md, "page": base, "html": base + ".html", "num": num,
              "appendix": appendix, "parent": parent,
              "id": None, "title": base, "sections": [], "blocks": [],
              "figs": [], "images": []}
        prefix = str(num) if num is not None else appendix
        counters = [0] * 7
        state = {"k": 0, "fig": 0, "first_h1": True, "prefix": prefix}
        page_ids = ids.setdefault(base, set())

        def visit(el, ch=ch, counters=counters, state=state, md=md, page_ids=page_ids):
            t, c = el["t"], el.get("c")
            if t in ("Header", "Div", "Span", "Image", "Link", "Code", "CodeBlock", "Table"):
                attr = c[1] if t == "Header" else c[0]
                if isinstance(attr, list) and attr and isinstance(attr[0], str) and attr[0]:
                    page_ids.add(attr[0])
            if t == "Link":
                links.append((md, c[2][0]))
            elif t == "Image":
                images.append((md, c[2][0]))
            if t == "Header":
                level, (ident, classes, _kv), inl = c
                title = stringify(inl)
                if level == 1 and state["first_h1"]:
                    state["first_h1"] = False
                    ch["id"] = ident
                    ch["title"] = title
                    if "unnumbered" in classes or ch["num"] == 0:
                        ch["num"] = None
                        state["prefix"] = ch["appendix"]
                number = None
                if "unnumbered" not in classes and state["prefix"] is not None:
                    counters[level] += 1
                    for i in range(level + 1, 7):
                        counters[i] = 0
                    parts = [state["prefix"]] + [str(counters[i]) for i in range(2, level + 1)]
                    number = ".".join(parts)
                ch["sections"].append({"id": ident, "level": level,
                                       "title": title, "number": number})
            elif t == "CodeBlock":
                (ident, classes, kv), text = c
                kv = dict(kv)
                if "console" in classes and "run" in kv:
                    consoles.append({"chapter": md, "run": kv["run"],
                                     "status": kv.get("status", "0"),
                                     "normalize": kv.get("normalize", ""),
                                     "expected": text})
                if not ident and "file" not in kv:
                    return
                state["k"] += 1
                label = ("%s.%d" % (state["prefix"], state["k"]) if state["prefix"] is not None
                         else str(state["k"]))
                name = ident or None
                if name:
                    entry = chunks.setdefault(name, {"defs": [], "users": []})
                    n = len(entry["defs"]) + 1
                    anchor = name if n == 1 else "%s--%d" % (name, n)
                    kind = "def" if n == 1 else "append"
                    entry["defs"].append(anchor)
                else:
                    anchor = "file-" + anchor_safe(kv["file"])
                    kind = "file"
                if anchor in used_ids:
                    errors.append((md, "#" + (name or anchor), "duplicate tangle block anchor %s" % anchor))
                used_ids.add(anchor)
                page_ids.add(anchor)
                refs = []
                for line in text.split("\n"):
                    r = REF_RE.match(line)
                    if r and r.group(1) not in refs:
                        refs.append(r.group(1))
                found = TEST_RE.findall(text)
                for tname in found:
                    page_ids.add("test-" + tname)
                    tests.setdefault(tname, {"anchor": anchor, "page": ch["page"],
                                             "chapter": md})
                blocks[anchor] = {"page": ch["page"], "label": label, "name": name,
                                  "file": kv.get("file"), "kind": kind, "refs": refs,
                                  "tests": found}
                texts[anchor] = text
                if name:
                    chunk_text.setdefault(name, []).append(text)
                ch["blocks"].append(anchor)
            elif t == "Para" and len(c) == 1 and c[0]["t"] == "Image":
                # A paragraph holding only an image is a figure (the filter
                # makes it one: commonmark_x has no implicit_figures in 2.17).
                (ident, _cls, _kv), _cap, (src, _title) = c[0]["c"]
                state["fig"] += 1
                number = ("%s.%d" % (state["prefix"], state["fig"]) if state["prefix"] is not None
                          else str(state["fig"]))
                ch["figs"].append(number)
                ch["images"].append(src)
                if ident:
                    figures[ident] = {"page": ch["page"], "number": number}
            elif t == "Span":
                (_ident, classes, kv), inl = c
                if "claim" in classes:
                    claims.append({"chapter": md, "test": dict(kv).get("test", ""),
                                   "text": stringify(inl)})

        walk_blocks(ast["blocks"], visit)
        if ch["id"] is None:
            ch["id"] = "ch-" + base
        chapters.append(ch)

    # Who uses each chunk: every block whose code has a <<name>> line.
    for anchor, b in blocks.items():
        for r in b["refs"]:
            if r in chunks:
                if anchor not in chunks[r]["users"]:
                    chunks[r]["users"].append(anchor)
    # What the copy button of a block with <<refs>> copies: the block with
    # every reference expanded, as tangle does it (the chunk's blocks in
    # reading order, the reference's indentation on each non-empty line).
    # For a file= block that is the whole tangled file, minus its header.
    def expand(text, stack):
        out = []
        for line in text.split("\n"):
            r = REF_RE.match(line)
            if not r or r.group(1) not in chunk_text or r.group(1) in stack:
                out.append(line)
                continue
            indent = line[:len(line) - len(line.lstrip())]
            body = expand("\n".join(chunk_text[r.group(1)]), stack + [r.group(1)])
            out.extend(indent + l if l.strip() else l for l in body.split("\n"))
        return "\n".join(out)

    for anchor, b in blocks.items():
        if b["refs"]:
            b["expanded"] = expand(texts[anchor], [b["name"]] if b["name"] else [])

    # Each chapter lists its appendices (its tests, its harness), for the
    # pointer at the end of the chapter.
    by_page = {ch["page"]: ch for ch in chapters}
    for ch in chapters:
        ch["appendices"] = []
    for ch in chapters:
        if ch["parent"] in by_page:
            by_page[ch["parent"]]["appendices"].append(ch["page"])
        elif ch["appendix"]:
            errors.append("%s: appendix of a chapter that is not in the book (%s.md)"
                          % (ch["file"], ch["parent"]))
    for i, ch in enumerate(chapters):
        ch["prev"] = chapters[i - 1]["page"] if i > 0 else None
        ch["next"] = chapters[i + 1]["page"] if i + 1 < len(chapters) else None

    errors.extend(check_book(chapters, ids, links, images, claims, tests,
                             list_file, [p.split("=", 1)[0] for p in pairs], sources))
    messages = [locate(md, needle, errors) + ": error: " + msg for md, needle, msg in errors]
    if messages:
        # Nothing is written: the pages keep the last good index, so that
        # fixing the mistake re-renders only the page that changed.
        for m in messages:
            sys.stderr.write(m + "\n")
        sys.stderr.write("index: %d error(s) in the chapters (fix them at the lines above)\n"
                         % len(messages))
        return 1
    index = {"chapters": chapters, "blocks": blocks, "chunks": chunks,
             "tests": tests, "figures": figures, "claims": claims,
             "consoles": consoles}
    write_if_changed(out_json, json.dumps(index, ensure_ascii=False, indent=1,
                                          sort_keys=True) + "\n")
    if book["pandoc-api-version"] is None:
        book["pandoc-api-version"] = pandoc_api_version()
    write_if_changed(out_book, json.dumps(book, ensure_ascii=False) + "\n")
    # The filter reads only these: a claim's wording or a transcript's text
    # changes chunks.json, not index.lua, so it re-renders one page, not all.
    lua = {k: index[k] for k in ("chapters", "blocks", "chunks", "tests", "figures")}
    write_if_changed(out_lua, "-- generated by book/tools/index.py: do not edit\nreturn "
                     + to_lua(lua) + "\n")
    return 0


def check_book(chapters, ids, links, images, claims, tests, list_file, listed, sources):
    """Mistakes that span chapters, as (FILE, NEEDLE, MESSAGE): NEEDLE is the
    text whose line locate() reports (None: line 1)."""
    errors = []
    pages = {ch["page"]: ch for ch in chapters}
    if list_file:
        with open(list_file, encoding="utf-8") as f:
            listed = [x for x in (re.sub(r"#.*", "", line).strip() for line in f) if x]
        for md in listed:
            if not os.path.isfile(md):
                errors.append((list_file, md, "chapter %s does not exist (remove the line "
                               "or add the file)" % md))
        for md in sources:
            if md not in listed:
                errors.append((md, None, "chapter file is not listed in %s: add it there, "
                               "in reading order (its claims, transcripts and links are "
                               "checked only when it is listed)" % list_file))
    for md, target in links:
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):
            continue                            # http:, https:, mailto:
        m = re.match(r"^(?:\./|\.\./chapters/)?([\w-]+)\.md(?:#(.*))?$", target)
        here = os.path.splitext(os.path.basename(md))[0]
        if m:
            page, frag = m.group(1), m.group(2)
            if page not in pages:
                errors.append((md, "(" + target, "link to %s: chapters/%s.md is not in the book "
                               "(book/chapters.txt)" % (target, page)))
                continue
        elif target.startswith("#"):
            page, frag = here, target[1:]
        else:
            errors.append((md, "(" + target, "link to %s: link to a chapter as NN-slug.md, "
                           "to a section as NN-slug.md#id or #id" % target))
            continue
        if frag and frag not in ids.get(page, ()):
            errors.append((md, "(" + target, "link to %s: no heading, figure or code block "
                           "has the id %s in %s" % (target, frag, pages[page]["file"])))
    for md, src in images:
        m = re.match(r"^figures/([^/]+)\.svg$", src)
        if not m:
            errors.append((md, "(" + src, "image %s: a figure is figures/NAME.svg "
                           "(source figures/NAME.dot or .svg)" % src))
        elif not any(os.path.isfile("figures/%s.%s" % (m.group(1), e)) for e in ("dot", "svg")):
            errors.append((md, "(" + src, "figure %s: neither figures/%s.dot nor "
                           "figures/%s.svg exists" % (src, m.group(1), m.group(1))))
    for claim in claims:
        name = claim["test"]
        if not name:
            errors.append((claim["chapter"], ".claim", "claim \"%s\" has no test=NAME"
                           % claim["text"]))
        elif name not in tests:
            errors.append((claim["chapter"], "test=" + name,
                           "claim \"%s\" names test %s, but no code block defines "
                           "`void %s(void **state)`" % (claim["text"], name, name)))
    return errors


def locate(md, needle, all_errors, _seen={}):
    """FILE:LINE of the next not yet reported occurrence of NEEDLE in FILE
    (the same needle reported twice points at its second occurrence)."""
    if needle is None:
        return "%s:1" % md
    key = (md, needle)
    nth = _seen.get(key, 0)
    _seen[key] = nth + 1
    try:
        with open(md, encoding="utf-8") as f:
            lines = f.read().split("\n")
    except OSError:
        return md
    seen = 0
    for n, line in enumerate(lines, 1):
        k = line.count(needle)
        if seen + k > nth:
            return "%s:%d" % (md, n)
        seen += k
    return "%s:1" % md


def pandoc_api_version():
    """The AST version of the installed pandoc (for a book with no chapter)."""
    import subprocess
    out = subprocess.run(["pandoc", "-f", "markdown", "-t", "json"], input="",
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["pandoc-api-version"]


def to_lua(v):
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        # Printable ASCII as is; every other byte as a 3-digit decimal escape
        # (always 3 digits, so that a following digit is never swallowed).
        out = []
        for b in v.encode("utf-8"):
            if 32 <= b < 127 and b not in (34, 92):
                out.append(chr(b))
            else:
                out.append("\\%03d" % b)
        return '"' + "".join(out) + '"'
    if isinstance(v, list):
        return "{" + ",".join(to_lua(x) for x in v) + "}"
    if isinstance(v, dict):
        return "{" + ",".join("[%s]=%s" % (to_lua(k), to_lua(x))
                              for k, x in sorted(v.items()) if x is not None) + "}"
    raise TypeError(type(v))


def write_if_changed(path, text):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
