# mk/site.mk: the reader's website on top of the pandoc HTML (build/html).
#
#   make site          copy book/site/ into build/html/site/, build the search
#                      index (Pagefind) after the HTML pages; part of `make`
#   make serve         serve build/html on http://127.0.0.1:$(PORT)/
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
# chapter list would make every page match every chapter title), and the
# front page's table of contents (it would match every section title).
PAGEFIND_EXCLUDE := \#sidebar \#topbar .page-nav \#book-toc

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
	$(PAGEFIND) --site $(SITE_HTML) --quiet \
	  $(foreach s,$(PAGEFIND_EXCLUDE),--exclude-selectors '$(s)')
	@test -f $@

# Pagefind loads its index with import(), which browsers refuse on file://:
# the book reads from file:// too, but search needs http.
serve: $(NODE_STAMP) ## serve build/html on http://127.0.0.1:PORT/ (PORT=8000)
	@$(MAKE) --no-print-directory $(BOOK_TARGETS)
	node tests/browser/server.mjs $(SITE_HTML) $(PORT)

# CI runs `make test` without a prior `make`: build the whole book first
# (the pages link to book.pdf and book.epub; the site is in BOOK_TARGETS).
test-browser: $(NODE_STAMP) ## headless Chromium test of the website
	@$(MAKE) --no-print-directory $(BOOK_TARGETS)
	node tests/browser/site.test.mjs
