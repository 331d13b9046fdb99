# mk/site.mk: the reader's website on top of the pandoc HTML (build/html).
#
#   make site          copy book/site/ into build/html/site/, build the search
#                      index (Pagefind) after the HTML pages; part of `make`
#   make serve         serve build/html on http://127.0.0.1:$(PORT)/ with live
#                      reload: a saved chapter's page is rebuilt and reloaded
#   make test-browser  the headless-Chromium test (tests/browser/); in `make test`
#
# npm packages (package.json, package-lock.json): pagefind (ships its own
# binary, the "extended" one with Chinese word segmentation), playwright-core
# (drives Debian's /usr/bin/chromium; never downloads a browser), anchor-js.

SITE_HTML     := $(BUILD)/html
SITE_OUT      := $(SITE_HTML)/site
SITE_SOURCES  := $(filter-out %.md,$(wildcard book/site/*))
SITE_ASSETS   := $(patsubst book/site/%,$(SITE_OUT)/%,$(SITE_SOURCES))
SEARCH_INDEX  := $(SITE_HTML)/pagefind/pagefind-entry.json
NODE_STAMP    := node_modules/.package-lock.json
PAGEFIND      := node_modules/.bin/pagefind
PORT          ?= 8000

# The HTML pages the index is built from: mk/book.mk names them (BOOK_HTML).
SITE_PAGES    = $(BOOK_HTML)

# What Pagefind must not index: navigation that repeats on every page (the
# chapter list would make every page match every chapter title), the
# front page's table of contents (it would match every section title), and
# the literate apparatus around code (labels "代码 B.9 «name» ≡", "用于代码
# 2.1", the "测试" marks), which would fill the result excerpts.  Code blocks
# of the reading flow are left out too (book/filters/book.lua marks them):
# excerpts are sentences; the appendices' code stays searchable.
PAGEFIND_EXCLUDE := \#sidebar \#topbar .page-nav \#book-toc \
  .chunk-label .chunk-xref .chunk-ref-label .claim-test .skip-link .edit-page \
  .appendix-pointer .table-hint template

BOOK_TARGETS += site
TEST_STEPS   += test-browser

.PHONY: site serve test-browser node-deps

site: $(SITE_ASSETS) $(SEARCH_INDEX) ## site assets and search index in build/html

node-deps: $(NODE_STAMP)

# `make setup` runs npm ci; this catches a checkout whose lockfile changed
# since (or a `make` without `make setup`).
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

$(SITE_OUT)/%: book/site/% mk/site.mk
	@mkdir -p $(@D)
	cp $< $@

# site.js ships with AnchorJS in front of it: one request, no template change.
$(SITE_OUT)/site.js: book/site/site.js $(NODE_STAMP) mk/site.mk
	@mkdir -p $(@D)
	{ cat node_modules/anchor-js/anchor.min.js; echo; cat $<; } > $@.tmp && mv $@.tmp $@

# Pagefind rewrites build/html/pagefind/ as a whole.  It reads the language
# from <html lang="zh-CN"> and segments Chinese text into words.
$(SEARCH_INDEX): $(SITE_PAGES) $(NODE_STAMP) mk/site.mk
	@test -f $(SITE_HTML)/index.html || { echo "site: $(SITE_HTML)/index.html is missing" >&2; exit 1; }
	rm -rf $(SITE_HTML)/pagefind
	$(PAGEFIND) --site $(SITE_HTML) --quiet --glob '{index,[0-9]*}.html' \
	  $(foreach s,$(PAGEFIND_EXCLUDE),--exclude-selectors '$(s)')
	@test -f $@

# Pagefind loads its index with import(), which browsers refuse on file://:
# the book reads from file:// too, but search needs http.
# Live preview: a saved chapter is re-rendered (`make html`: its page, not
# the PDF or EPUB) and the open page reloads; see tests/browser/server.mjs.
# `make` builds book.pdf and book.epub, which the front page links to.
serve: $(NODE_STAMP) ## live preview on http://127.0.0.1:PORT/ (PORT=8000): a saved chapter reloads its page
	@$(MAKE) --no-print-directory html site
	node tests/browser/server.mjs --watch $(SITE_HTML) $(PORT)

# CI runs `make test` without a prior `make`: build the whole book first
# (the pages link to book.pdf and book.epub; the site is in BOOK_TARGETS).
test-browser: $(NODE_STAMP) ## headless Chromium test of the website
	@$(MAKE) --no-print-directory $(BOOK_TARGETS)
	PAGEFIND='$(PAGEFIND)' PAGEFIND_EXCLUDE='$(PAGEFIND_EXCLUDE)' node tests/browser/site.test.mjs
	node tests/browser/reload.test.mjs
