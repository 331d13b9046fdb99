# mk/book.mk: render the book (HTML, PDF, EPUB) and check it.
# Included by the top Makefile.  Sets BOOK_TARGETS (what `make` builds for
# the book) and adds the book's checks to TEST_STEPS.  See CONTRIBUTING.md.
#
# Pipeline (every step reruns only when its inputs change):
#   chapters/X.md --pandoc--> build/book/ast/X.json            (one per chapter)
#   all ASTs --book/tools/index.py--> build/chunks.json         (book-wide index:
#        build/book/index.lua, build/book/book.json             chunks, tests, figures)
#   X.json + index --pandoc + book/filters/book.lua--> build/html/X.html
#   book.json + index --> build/book/book.tex --xelatex--> build/book.pdf
#   book.json + index --> build/book.epub
#   figures/N.dot --dot--> build/figures/N.svg --rsvg-convert--> build/figures/N.pdf
# The index files are rewritten only when their content changes, so editing
# the prose of one chapter re-renders that chapter's page and the combined
# PDF/EPUB, not every page.

PANDOC       ?= pandoc
PYTHON       ?= python3
BOOK_LIST    ?= book/chapters.txt
BOOK_FROM    := -f commonmark_x+east_asian_line_breaks
BOOK_FILTER  := book/filters/book.lua
BOOK_INDEX   := $(BUILD)/book/index.lua
BOOK_JSON    := $(BUILD)/book/book.json
CHUNKS_JSON  := $(BUILD)/chunks.json

# The chapters in reading order (comments and blank lines skipped).  A
# listed chapter that does not exist is left out of the page rules; the
# index step (book/tools/index.py) then fails naming it, and a file in
# chapters/ that the list leaves out.
BOOK_CHAPTERS := $(shell sed -e 's/\#.*//' -e 's/[[:space:]]//g' $(BOOK_LIST) 2>/dev/null)
BOOK_MISSING  := $(filter-out $(wildcard $(BOOK_CHAPTERS)),$(BOOK_CHAPTERS))
BOOK_SRCS     := $(filter-out $(BOOK_MISSING),$(BOOK_CHAPTERS))
BOOK_PAGES    := $(basename $(notdir $(BOOK_SRCS)))
BOOK_ASTS     := $(BOOK_PAGES:%=$(BUILD)/book/ast/%.json)
# The chapter list as last built: rewritten when it changes, so that the
# index is rebuilt when a chapter is added, removed or moved.
BOOK_SEEN     := $(BUILD)/book/chapter-list
BOOK_SEEN_NOW := $(BOOK_CHAPTERS) | $(CHAPTER_SRCS)
ifneq ($(BOOK_SEEN_NOW),$(shell cat $(BOOK_SEEN) 2>/dev/null))
$(shell mkdir -p $(BUILD)/book && echo '$(BOOK_SEEN_NOW)' > $(BOOK_SEEN))
endif
BOOK_HTML     := $(BOOK_PAGES:%=$(BUILD)/html/%.html) $(BUILD)/html/index.html \
                 $(BUILD)/html/print.html
# Pages of chapters that are no longer listed: removed by `make html`.
BOOK_STALE    := $(filter-out $(BOOK_HTML),$(wildcard $(BUILD)/html/[0-9]*.html))

FIG_NAMES     := $(sort $(basename $(notdir $(wildcard figures/*.dot figures/*.svg))))
FIG_SVGS      := $(FIG_NAMES:%=$(BUILD)/figures/%.svg)
FIG_PDFS      := $(FIG_NAMES:%=$(BUILD)/figures/%.pdf)
HTML_ASSETS   := $(BUILD)/html/book.css $(BUILD)/html/highlight.css \
                 $(FIG_NAMES:%=$(BUILD)/html/figures/%.svg)

BOOK_TARGETS  := html pdf epub $(BUILD)/html/book.pdf $(BUILD)/html/book.epub

.PHONY: book html html-pages pdf epub book-index check-claims check-transcripts transcripts check-book check-epub bench-build

book: $(BOOK_TARGETS) ## render the whole book (HTML, PDF, EPUB)
html: $(BUILD)/html/.prose-checked ## render build/html/ (a page per chapter)
	@$(if $(BOOK_STALE),rm -f $(BOOK_STALE))

# The build fails on a literal ** or __ in the rendered prose (unclosed
# emphasis) and on a stray space between Chinese characters.
$(BUILD)/html/.prose-checked: $(BOOK_HTML) $(HTML_ASSETS) tests/book/check-prose.py
	@$(PYTHON) tests/book/check-prose.py $(BUILD)/html
	@touch $@
# The live-preview loop (`make serve`) builds only this: every page but
# print.html, which re-renders the whole book (seconds, on every save) and
# waits for the next `make html`.
html-pages: $(filter-out $(BUILD)/html/print.html,$(BOOK_HTML)) $(HTML_ASSETS)
pdf: $(BUILD)/book.pdf ## render build/book.pdf (XeLaTeX)
epub: $(BUILD)/book.epub ## render build/book.epub
book-index: $(CHUNKS_JSON)

# ---- per-chapter AST and the book-wide index ------------------------------
$(BUILD)/book/ast/%.json: chapters/%.md mk/book.mk
	@mkdir -p $(@D)
	$(PANDOC) $(BOOK_FROM) -t json -o $@ $<

# index.py rewrites its outputs only when they change; the stamp records
# that it ran.  The empty recipe makes make look at the real mtimes.
$(CHUNKS_JSON) $(BOOK_INDEX) $(BOOK_JSON): $(BUILD)/book/.index.stamp ;
# It also checks links, anchors, figures, claims and the chapter list, and
# fails with FILE:LINE: error: lines (the stamp is then not touched).
$(BUILD)/book/.index.stamp: $(BOOK_ASTS) $(BOOK_SEEN) book/tools/index.py $(wildcard figures/*)
	@mkdir -p $(@D)
	@echo "index: $(CHUNKS_JSON) (and the checks of links, figures, claims, chapter list)"
	@$(PYTHON) book/tools/index.py $(CHUNKS_JSON) $(BOOK_INDEX) $(BOOK_JSON) \
	  $(join $(BOOK_SRCS:%=%=),$(BOOK_ASTS)) --list $(BOOK_LIST) --sources $(CHAPTER_SRCS)
	@touch $@

# ---- HTML -------------------------------------------------------------------
BOOK_META    := book/metadata.yaml
HTML_DEPS    := $(BOOK_INDEX) $(BOOK_FILTER) book/templates/page.html book/templates/sidebar-entry.html $(BOOK_META)
HTML_OPTS     = -t html5 --standalone --template book/templates/page.html \
                --metadata-file $(BOOK_META) --lua-filter $(BOOK_FILTER) \
                -M book-index=$(BOOK_INDEX)

$(BUILD)/html/%.html: $(BUILD)/book/ast/%.json $(HTML_DEPS)
	@mkdir -p $(@D)
	$(PANDOC) -f json $(HTML_OPTS) -M book-page=$* -o $@ $<

$(BUILD)/html/index.html: book/index.md $(HTML_DEPS)
	@mkdir -p $(@D)
	$(PANDOC) $(BOOK_FROM) $(HTML_OPTS) -M book-page=index -o $@ $<

# The whole book on one page, for printing (like mdBook's print.html): the
# combined document, rendered as the PDF and EPUB are.
$(BUILD)/html/print.html: $(BOOK_JSON) $(HTML_DEPS)
	@mkdir -p $(@D)
	$(PANDOC) -f json $(HTML_OPTS) -o $@ $<

$(BUILD)/html/book.css: book/css/book.css
	@mkdir -p $(@D)
	cp $< $@

# The filter renders every code block itself, so the highlighting CSS (and
# the LaTeX macros below) come from one tiny pandoc run, the same for all.
$(BUILD)/html/highlight.css: book/templates/highlight.html
	@mkdir -p $(@D)
	printf '```c\nint x;\n```\n' | $(PANDOC) $(BOOK_FROM) -t html5 -M title=highlight --template $< -o $@

$(BUILD)/html/figures/%.svg: $(BUILD)/figures/%.svg
	@mkdir -p $(@D)
	cp $< $@

$(BUILD)/html/book.pdf: $(BUILD)/book.pdf
	cp $< $@
$(BUILD)/html/book.epub: $(BUILD)/book.epub
	cp $< $@

# ---- figures ------------------------------------------------------------------
# Graphviz writes a DOCTYPE with an external DTD, which EPUB 3 forbids
# (epubcheck OPF-073, HTM-003): drop it.
$(BUILD)/figures/%.svg: figures/%.dot mk/book.mk
	@mkdir -p $(@D)
	set -o pipefail; dot -Tsvg $< | sed -e '/^<!DOCTYPE/,/>$$/d' > $@.tmp && mv $@.tmp $@
$(BUILD)/figures/%.svg: figures/%.svg
	@mkdir -p $(@D)
	cp $< $@
# The PDF's figures are laid out for the page: a Graphviz figure too wide for
# the text block is drawn top to bottom (book/tools/figure-pdf.py), and the
# benchmark plots are drawn at the text width with 10 pt text (fmt=book in
# bench/ipc/*.gp), so that no figure is scaled down below legibility.
$(BUILD)/figures/pdf/%.svg: figures/%.dot book/tools/figure-pdf.py
	@mkdir -p $(@D)
	$(PYTHON) book/tools/figure-pdf.py $< $@
$(BUILD)/figures/pdf/bench-%.svg: bench/ipc/%.gp $(wildcard bench/ipc/reference/*.csv)
	@mkdir -p $(@D)
	gnuplot -e "datadir='bench/ipc/reference'; fmt='book'; out='$@'" $<
$(BUILD)/figures/pdf/%.svg: figures/%.svg
	@mkdir -p $(@D)
	cp $< $@
.SECONDARY: $(FIG_NAMES:%=$(BUILD)/figures/pdf/%.svg)
$(BUILD)/figures/%.pdf: $(BUILD)/figures/pdf/%.svg
	rsvg-convert -f pdf -o $@ $<

# ---- PDF ------------------------------------------------------------------------
$(BUILD)/book/highlight.tex: book/templates/highlight.latex
	@mkdir -p $(@D)
	printf '```c\nint x;\n```\n' | $(PANDOC) $(BOOK_FROM) -t latex --template $< -o $@

$(BUILD)/book/book.tex: $(BOOK_JSON) $(BOOK_INDEX) $(BOOK_FILTER) $(BOOK_META) \
                        book/templates/preamble.tex $(BUILD)/book/highlight.tex $(FIG_PDFS)
	$(PANDOC) -f json -t latex --standalone --metadata-file $(BOOK_META) \
	  --lua-filter $(BOOK_FILTER) -M book-index=$(BOOK_INDEX) \
	  --top-level-division=chapter --number-sections --toc \
	  -H $(BUILD)/book/highlight.tex -H book/templates/preamble.tex -o $@ $<

# Two XeLaTeX passes (a third when LaTeX asks for one): TOC, bookmarks and
# cross references need them.  Output goes to build/book/book.log.
$(BUILD)/book.pdf: $(BUILD)/book/book.tex
	@for pass in 1 2 3; do \
	  if [ $$pass = 3 ] && ! grep -qE 'Rerun to get|Rerun LaTeX|may have changed' $(BUILD)/book/book.log; then break; fi; \
	  echo "pdf: xelatex pass $$pass (log: $(BUILD)/book/book.log)"; \
	  xelatex -interaction=nonstopmode -halt-on-error -output-directory=$(BUILD)/book \
	    $< >/dev/null 2>&1 || { tail -n 30 $(BUILD)/book/book.log; \
	    echo "pdf: xelatex failed, see $(BUILD)/book/book.log" >&2; exit 1; }; \
	done
	cp $(BUILD)/book/book.pdf $@

# ---- EPUB -----------------------------------------------------------------------
# epub.css comes after highlight.css: its rules (code wraps) must win.
$(BUILD)/book.epub: $(BOOK_JSON) $(BOOK_INDEX) $(BOOK_FILTER) $(BOOK_META) \
                    book/css/epub.css $(BUILD)/html/highlight.css $(FIG_SVGS) \
                    $(BUILD)/book/cover.png
	$(PANDOC) -f json -t epub3 --metadata-file $(BOOK_META) \
	  --lua-filter $(BOOK_FILTER) -M book-index=$(BOOK_INDEX) \
	  --toc --toc-depth=2 --epub-chapter-level=1 \
	  --epub-cover-image=$(BUILD)/book/cover.png \
	  --css $(BUILD)/html/highlight.css --css book/css/epub.css -o $@ $<

$(BUILD)/book/cover.png: book/cover/cover.svg
	@mkdir -p $(@D)
	rsvg-convert -f png -o $@ $<

# ---- checks (run by `make test`, after test-c and test-c-asan) ----------------
# Each check builds what it reads: CI runs `make test` on a fresh clone.
check-claims: $(CHUNKS_JSON) ## every claim names a test that ran and passed
	@[ -d $(BUILD)/test-results/plain ] || $(MAKE) --no-print-directory test-c || true
	@[ -d $(BUILD)/test-results/asan ] || $(MAKE) --no-print-directory test-c-asan || true
	@tests/book/check-claims.py $(CHUNKS_JSON) $(BUILD)/test-results

check-transcripts: programs $(CHUNKS_JSON) ## every console block matches a real run
	@tests/book/check-transcripts.py $(CHUNKS_JSON) $(BUILD)/bin

# CHAPTER=02-pipe: only that chapter (and its tests file).
transcripts: ## re-run every console block and write its output into the chapter (CHAPTER=NN-slug: one)
	@$(MAKE) --no-print-directory tangle-code
	@$(MAKE) --no-print-directory programs $(CHUNKS_JSON)
	@tests/book/check-transcripts.py --bless $(if $(CHAPTER),--chapter $(CHAPTER)) $(CHUNKS_JSON) $(BUILD)/bin

check-book: ## links, anchors, images, chapters in HTML/PDF/EPUB, CJK fonts; PDF copy/paste, glyphs, overfull, figure sizes
	@$(MAKE) --no-print-directory $(BOOK_TARGETS)
	@tests/book/check-book.py $(BOOK_LIST) $(CHUNKS_JSON) $(BUILD)
	@tests/book/check-pdf.py $(BUILD)

TEST_STEPS += check-claims check-transcripts check-book

# epubcheck (Debian's package): 0 errors and 0 warnings.  Debian's
# /usr/bin/epubcheck needs binfmt support for jars, which containers often
# lack, so run the jar through java.
EPUBCHECK ?= java -jar /usr/share/java/epubcheck.jar
check-epub: $(BUILD)/book.epub ## epubcheck: the EPUB has no error or warning
	@$(EPUBCHECK) --quiet $(BUILD)/book.epub > $(BUILD)/book/epubcheck.log 2>&1 || \
	  { cat $(BUILD)/book/epubcheck.log; echo "check-epub: epubcheck found problems in $(BUILD)/book.epub" >&2; exit 1; }
	@if grep -q '^WARNING' $(BUILD)/book/epubcheck.log; then cat $(BUILD)/book/epubcheck.log; \
	  echo "check-epub: epubcheck warnings in $(BUILD)/book.epub" >&2; exit 1; fi
	@echo "check-epub: epubcheck: no errors or warnings in $(BUILD)/book.epub"

TEST_STEPS += check-epub

# Not in BENCH_TARGETS: it deletes and rebuilds the rendered book (about a
# minute), which `make bench` (chapter 06's IPC numbers and tangle's speed,
# together under a minute or two) should not have to wait for.
bench-build: ## time no-op make, one-chapter rebuild, clean HTML and PDF builds (run alone)
	@scripts/bench-build.sh
