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
BOOK_FROM    := -f commonmark_x
BOOK_FILTER  := book/filters/book.lua
BOOK_INDEX   := $(BUILD)/book/index.lua
BOOK_JSON    := $(BUILD)/book/book.json
CHUNKS_JSON  := $(BUILD)/chunks.json

# The chapters in reading order (comments and blank lines skipped).  A
# listed chapter that does not exist is left out of the build with a warning;
# `make check-book` fails on it.
BOOK_CHAPTERS := $(shell sed -e 's/\#.*//' -e 's/[[:space:]]//g' $(BOOK_LIST) 2>/dev/null)
BOOK_MISSING  := $(filter-out $(wildcard $(BOOK_CHAPTERS)),$(BOOK_CHAPTERS))
ifneq ($(BOOK_MISSING),)
$(warning $(BOOK_LIST) lists missing chapter(s): $(BOOK_MISSING))
endif
BOOK_SRCS     := $(filter-out $(BOOK_MISSING),$(BOOK_CHAPTERS))
BOOK_PAGES    := $(basename $(notdir $(BOOK_SRCS)))
BOOK_ASTS     := $(BOOK_PAGES:%=$(BUILD)/book/ast/%.json)
# The chapter list as last built: rewritten when it changes, so that the
# index is rebuilt when a chapter is added, removed or moved.
BOOK_SEEN     := $(BUILD)/book/chapter-list
ifneq ($(BOOK_SRCS),$(shell cat $(BOOK_SEEN) 2>/dev/null))
$(shell mkdir -p $(BUILD)/book && echo '$(BOOK_SRCS)' > $(BOOK_SEEN))
endif
BOOK_HTML     := $(BOOK_PAGES:%=$(BUILD)/html/%.html) $(BUILD)/html/index.html
# Pages of chapters that are no longer listed: removed by `make html`.
BOOK_STALE    := $(filter-out $(BOOK_HTML),$(wildcard $(BUILD)/html/[0-9]*.html))

FIG_NAMES     := $(sort $(basename $(notdir $(wildcard figures/*.dot figures/*.svg))))
FIG_SVGS      := $(FIG_NAMES:%=$(BUILD)/figures/%.svg)
FIG_PDFS      := $(FIG_NAMES:%=$(BUILD)/figures/%.pdf)
HTML_ASSETS   := $(BUILD)/html/book.css $(BUILD)/html/highlight.css \
                 $(FIG_NAMES:%=$(BUILD)/html/figures/%.svg)

BOOK_TARGETS  := html pdf epub $(BUILD)/html/book.pdf $(BUILD)/html/book.epub

.PHONY: book html pdf epub book-index check-claims check-transcripts check-book bench-build

book: $(BOOK_TARGETS) ## render the whole book (HTML, PDF, EPUB)
html: $(BOOK_HTML) $(HTML_ASSETS) ## render build/html/ (a page per chapter)
	@$(if $(BOOK_STALE),rm -f $(BOOK_STALE))
pdf: $(BUILD)/book.pdf ## render build/book.pdf (XeLaTeX)
epub: $(BUILD)/book.epub ## render build/book.epub
book-index: $(CHUNKS_JSON)

# ---- per-chapter AST and the book-wide index ------------------------------
$(BUILD)/book/ast/%.json: chapters/%.md
	@mkdir -p $(@D)
	$(PANDOC) $(BOOK_FROM) -t json -o $@ $<

# index.py rewrites its outputs only when they change; the stamp records
# that it ran.  The empty recipe makes make look at the real mtimes.
$(CHUNKS_JSON) $(BOOK_INDEX) $(BOOK_JSON): $(BUILD)/book/.index.stamp ;
$(BUILD)/book/.index.stamp: $(BOOK_ASTS) $(BOOK_SEEN) book/tools/index.py
	@mkdir -p $(@D)
	$(PYTHON) book/tools/index.py $(CHUNKS_JSON) $(BOOK_INDEX) $(BOOK_JSON) \
	  $(join $(BOOK_SRCS:%=%=),$(BOOK_ASTS))
	@touch $@

# ---- HTML -------------------------------------------------------------------
BOOK_META    := book/metadata.yaml
HTML_DEPS    := $(BOOK_INDEX) $(BOOK_FILTER) book/templates/page.html $(BOOK_META)
HTML_OPTS     = -t html5 --standalone --template book/templates/page.html \
                --metadata-file $(BOOK_META) --lua-filter $(BOOK_FILTER) \
                -M book-index=$(BOOK_INDEX)

$(BUILD)/html/%.html: $(BUILD)/book/ast/%.json $(HTML_DEPS)
	@mkdir -p $(@D)
	$(PANDOC) -f json $(HTML_OPTS) -M book-page=$* -o $@ $<

$(BUILD)/html/index.html: book/index.md $(HTML_DEPS)
	@mkdir -p $(@D)
	$(PANDOC) $(BOOK_FROM) $(HTML_OPTS) -M book-page=index -o $@ $<

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
$(BUILD)/figures/%.svg: figures/%.dot
	@mkdir -p $(@D)
	dot -Tsvg -o $@ $<
$(BUILD)/figures/%.svg: figures/%.svg
	@mkdir -p $(@D)
	cp $< $@
$(BUILD)/figures/%.pdf: $(BUILD)/figures/%.svg
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
$(BUILD)/book.epub: $(BOOK_JSON) $(BOOK_INDEX) $(BOOK_FILTER) $(BOOK_META) \
                    book/css/epub.css $(BUILD)/html/highlight.css $(FIG_SVGS)
	$(PANDOC) -f json -t epub3 --metadata-file $(BOOK_META) \
	  --lua-filter $(BOOK_FILTER) -M book-index=$(BOOK_INDEX) \
	  --toc --toc-depth=2 --epub-chapter-level=1 \
	  --css book/css/epub.css --css $(BUILD)/html/highlight.css -o $@ $<

# ---- checks (run by `make test`, after test-c and test-c-asan) ----------------
# Each check builds what it reads: CI runs `make test` on a fresh clone.
check-claims: $(CHUNKS_JSON) ## every claim names a test that ran and passed
	@[ -d $(BUILD)/test-results/plain ] || $(MAKE) --no-print-directory test-c || true
	@[ -d $(BUILD)/test-results/asan ] || $(MAKE) --no-print-directory test-c-asan || true
	@tests/book/check-claims.py $(CHUNKS_JSON) $(BUILD)/test-results

check-transcripts: programs $(CHUNKS_JSON) ## every console block matches a real run
	@tests/book/check-transcripts.py $(CHUNKS_JSON) $(BUILD)/bin

check-book: ## links, anchors, images, chapters in HTML/PDF/EPUB, CJK fonts
	@$(MAKE) --no-print-directory $(BOOK_TARGETS)
	@tests/book/check-book.py $(BOOK_LIST) $(CHUNKS_JSON) $(BUILD)

TEST_STEPS += check-claims check-transcripts check-book

# Not in BENCH_TARGETS: it deletes and rebuilds the rendered book (about a
# minute), which `make bench` (chapter 06's IPC numbers and tangle's speed,
# together under a minute or two) should not have to wait for.
bench-build: ## time no-op make, one-chapter rebuild, clean HTML and PDF builds (run alone)
	@scripts/bench-build.sh
