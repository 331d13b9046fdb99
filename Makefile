# The one entry point of the IPC book.  `make help` lists the targets.
#
# The build has two phases.  Phase 1 builds the tangle tool and runs it over
# the chapters, which (re)writes code/.  Phase 2 is a sub-make that globs the
# now up-to-date code/ and builds programs, tests and the book.  Splitting it
# this way means a chapter that adds a new program is picked up by the very
# same `make` run.

SHELL      := /bin/bash
# No built-in rules: they would chain `%: %.o` onto the dependency files
# that mk/code.mk includes.
MAKEFLAGS  += --no-builtin-rules
.SUFFIXES:
.DEFAULT_GOAL := all

BUILD      := build
TANGLE     := $(BUILD)/tangle
# code/ tangled again with #line directives: what the programs are compiled
# from (see tangle-code below).
CODE_LINED := $(BUILD)/lined
# Inside that tree, so that removing it re-tangles.
TANGLE_STAMP := $(CODE_LINED)/.stamp
# The order tangle reads the chapters in: reading order (book/chapters.txt),
# then any chapter file not listed there, by name.  A chunk that a tests
# file appends to (02-pipe-tests.md) thus comes after the chapter's own
# blocks (02-pipe.md), as in the book, although "02-pipe-tests.md" sorts
# first.
CHAPTER_LISTED := $(shell sed -e 's/\#.*//' -e 's/[[:space:]]//g' book/chapters.txt 2>/dev/null)
CHAPTER_SRCS := $(filter $(wildcard chapters/*.md),$(CHAPTER_LISTED)) \
                $(filter-out $(CHAPTER_LISTED),$(sort $(wildcard chapters/*.md)))

# Compiler flags, defined once for everything we compile.
CC         ?= cc
WARNINGS   := -Wall -Wextra -Werror
CSTD       := -std=c11 -D_GNU_SOURCE
CFLAGS     ?= -O2 -g
SAN_FLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
              -fno-sanitize-recover=undefined

export CC

include mk/tangle.mk
include mk/code.mk
include mk/book.mk
include mk/site.mk
include mk/bench.mk

.PHONY: all help setup code stitch tangle-code tangle-check lint-shell lint-prose test check new-chapter clean

all: ## tangle, compile every program and test, render the book
	@$(MAKE) --no-print-directory tangle-code
	@$(MAKE) --no-print-directory programs $(BOOK_TARGETS)

setup: ## install every Debian and npm package the build needs
	@scripts/setup.sh

# The programs are compiled from a second tangle of the chapters with
# #line directives ($(CODE_LINED)), so that a compiler error, a warning and
# a failing cmocka assertion name the chapter's file and line.  code/ is the
# same text without the #line lines: what a reader opens and what is
# committed.  `tangle-code` tangles both when a chapter changed, then stops
# if code/ still differs from the chapters: then a file in code/ was edited
# by hand, and make would otherwise ignore the edit without a word.
tangle-code: $(TANGLE_STAMP)
	@$(TANGLE) -o code --check $(CHAPTER_SRCS) > $(BUILD)/code-drift.txt || { \
	  sed 's/^/  /' $(BUILD)/code-drift.txt >&2; \
	  echo "make: code/ differs from the chapters: the files above were edited by hand (or deleted)." >&2; \
	  echo "make: code/ is generated and never compiled; carry the edit into the chapter with" >&2; \
	  echo "make:   make stitch      (tangle --stitch: edits in code/ -> chapters/)" >&2; \
	  echo "make: or throw it away with" >&2; \
	  echo "make:   make code        (re-tangle code/ from the chapters)" >&2; \
	  exit 1; }

$(TANGLE_STAMP): $(TANGLE) $(CHAPTER_SRCS)
	@mkdir -p $(CODE_LINED)
	$(TANGLE) -o code $(CHAPTER_SRCS)
	@$(TANGLE) -o $(CODE_LINED) --line-directives $(CHAPTER_SRCS)
	@touch $@

# Always re-tangles (tangle leaves unchanged files alone), so that it also
# overwrites a file of code/ edited by hand.
code: $(TANGLE) ## re-tangle the chapters into code/ (throws away hand edits in code/)
	@mkdir -p $(CODE_LINED)
	$(TANGLE) -o code $(CHAPTER_SRCS)
	@$(TANGLE) -o $(CODE_LINED) --line-directives $(CHAPTER_SRCS)
	@touch $(TANGLE_STAMP)

stitch: $(TANGLE) ## carry hand edits in code/ back into the chapters (tangle --stitch)
	$(TANGLE) -o code --stitch $(CHAPTER_SRCS)
	@$(MAKE) --no-print-directory code

# The first step compares the committed code/ with the chapters *before*
# anything re-tangles it; `code` then brings code/ up to date for the rest.
test: ## run every check; ends with a summary line
	@$(MAKE) --no-print-directory $(TANGLE)
	@scripts/test-all.sh tangle-check code programs $(TEST_STEPS)

# Two checks: the work tree (chapters/ against code/ as they are now), and
# the last commit (HEAD's chapters against HEAD's code/, from a scratch
# export), so that committing a chapter without its code/ fails here even
# after `make` has re-tangled the work tree.
tangle-check: $(TANGLE) ## fail when code/ (in the work tree or in HEAD) differs from the chapters
	@scripts/tangle-check.sh $(TANGLE)

# Every committed shell script, except the expected outputs of tangle's
# fixtures (they are data, compared byte for byte).
SHELL_SCRIPTS = .ci/run $(shell git ls-files '*.sh' 2>/dev/null | grep -v /expected/)

lint-shell: ## shellcheck every shell script
	shellcheck $(SHELL_SCRIPTS)

TEST_STEPS += lint-shell

# The Chinese prose: CJK/Latin spacing and punctuation, by the rules in
# .autocorrectrc (autocorrect, an npm package).  Code blocks and inline code
# are not checked.
PROSE_FILES = $(CHAPTER_SRCS) book/index.md book/chapter-template.md book/chapter-tests-template.md
AUTOCORRECT := node_modules/.bin/autocorrect

lint-prose: $(NODE_STAMP) ## spacing and punctuation of the Chinese prose (autocorrect)
	@$(AUTOCORRECT) --lint --strict --quiet --no-diff-bg-color $(PROSE_FILES) || { \
	  echo "lint-prose: fix the lines above (FILE:LINE:COLUMN, then the line as it is and as it should be);" >&2; \
	  echo "lint-prose: $(AUTOCORRECT) --fix FILE rewrites them (code blocks are left alone)" >&2; exit 1; }
	@echo "lint-prose: $(words $(PROSE_FILES)) files clean"

TEST_STEPS += lint-prose

clean: ## remove build/ (code/ is committed and stays)
	rm -rf $(BUILD)

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk -F':.*## ' '{ printf "  %-14s %s\n", $$1, $$2 }'

check: ## one chapter's tangle, build, tests (plain, ASan), claims, transcripts, links: CHAPTER=02-pipe
	@scripts/check-chapter.sh "$(CHAPTER)"

new-chapter: ## start a chapter: SLUG=shm TITLE=共享内存 (chapter, tests file, figure, code/SLUG/)
	@scripts/new-chapter.sh "$(SLUG)" "$(TITLE)"
