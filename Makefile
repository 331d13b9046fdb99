# The one entry point of the IPC book.  `make help` lists the targets.
#
# The build has two phases.  Phase 1 builds the tangle tool and runs it over
# the chapters, which (re)writes code/.  Phase 2 is a sub-make that globs the
# now up-to-date code/ and builds programs, tests and the book.  Splitting it
# this way means a chapter that adds a new program is picked up by the very
# same `make` run.

SHELL      := /bin/bash
.DEFAULT_GOAL := all

BUILD      := build
TANGLE     := $(BUILD)/tangle
# Chapters in file-name order: the order tangle reads them (and the hook's
# `tangle --check chapters/*.md`).  Reading order for the book is in
# book/chapters.txt.
CHAPTER_SRCS := $(sort $(wildcard chapters/*.md))

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

.PHONY: all help setup code tangle-code tangle-check lint-shell test clean

all: ## tangle, compile every program and test, render the book
	@$(MAKE) --no-print-directory tangle-code
	@$(MAKE) --no-print-directory programs $(BOOK_TARGETS)

setup: ## install every Debian and npm package the build needs
	@scripts/setup.sh

code: tangle-code ## tangle the chapters into code/

tangle-code: $(BUILD)/.tangle.stamp

$(BUILD)/.tangle.stamp: $(TANGLE) $(CHAPTER_SRCS)
	@mkdir -p $(BUILD)
	$(TANGLE) -o code $(CHAPTER_SRCS)
	@touch $@

# The first step compares the committed code/ with the chapters *before*
# anything re-tangles it; `code` then brings code/ up to date for the rest.
test: ## run every check; ends with a summary line
	@$(MAKE) --no-print-directory $(TANGLE)
	@scripts/test-all.sh tangle-check code programs $(TEST_STEPS)

tangle-check: $(TANGLE) ## fail when committed code/ differs from the chapters
	$(TANGLE) -o code --check $(CHAPTER_SRCS)

# Every committed shell script, except the expected outputs of tangle's
# fixtures (they are data, compared byte for byte).
SHELL_SCRIPTS = .ci/run $(shell git ls-files '*.sh' 2>/dev/null | grep -v /expected/)

lint-shell: ## shellcheck every shell script
	shellcheck $(SHELL_SCRIPTS)

TEST_STEPS += lint-shell

clean: ## remove build/ (code/ is committed and stays)
	rm -rf $(BUILD)

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk -F':.*## ' '{ printf "  %-14s %s\n", $$1, $$2 }'
