# mk/code.mk: build the tangled programs in code/ and run their tests.
#
# The list of programs is code/'s; each is compiled from its copy in
# $(CODE_LINED) (tangled with #line directives, see the Makefile), so that
# compiler messages and cmocka's assertion messages name chapters/X.md:LINE.
#
# Conventions (see CONTRIBUTING.md):
#   code/DIR/NAME.c      -> build/bin/DIR/NAME        (plain build)
#                        -> build/asan/bin/DIR/NAME   (ASan + UBSan build)
#   code/common/*.c      -> build/lib/libcommon.a, linked into every program;
#                           code/common/test_*.c are tests, not library parts.
#   code/DIR/test_*.c    -> cmocka tests, linked with -lcmocka.
# Programs include shared helpers as "common/err.h" (-I$(CODE_LINED)).

COMMON_LIB_SRCS := $(filter-out code/common/test_%,$(wildcard code/common/*.c))
PROG_SRCS       := $(filter-out $(COMMON_LIB_SRCS),$(wildcard code/*/*.c))
PROG_NAMES      := $(PROG_SRCS:code/%.c=%)
PROGRAMS        := $(PROG_NAMES:%=$(BUILD)/bin/%)
ASAN_PROGRAMS   := $(PROG_NAMES:%=$(BUILD)/asan/bin/%)
LDLIBS_ALL      := -pthread -lm

# $(call link-cmd,FLAGS,LIBDIR): compile one program from code/$*.c.
# Tests (test_*) also link cmocka.  -MMD records header dependencies.
define link-cmd
	@mkdir -p $(@D) $(dir $(BUILD)/dep/$(2)/$*)
	$(CC) $(CSTD) $(WARNINGS) $(1) -I$(CODE_LINED) -MMD -MP -MF $(BUILD)/dep/$(2)/$*.d \
	  -o $@ $< $(BUILD)/$(2)/libcommon.a $(if $(filter test_%,$(notdir $*)),-lcmocka) $(LDLIBS_ALL)
endef

# $(call obj-cmd,FLAGS): compile one object of the common library.
define obj-cmd
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARNINGS) $(1) -I$(CODE_LINED) -MMD -MP -c -o $@ $<
endef

# Everything compiled depends on $(CC_STAMP): `make CC=clang` after a gcc
# build (or a new CFLAGS) rebuilds instead of linking objects of two compilers.
CC_STAMP := $(BUILD)/cc-flags
CC_LINE  := $(CC) $(CSTD) $(WARNINGS) $(CFLAGS) | $(SAN_FLAGS) | $(LDLIBS_ALL)
ifneq ($(CC_LINE),$(shell cat $(CC_STAMP) 2>/dev/null))
$(shell mkdir -p $(BUILD) && echo '$(CC_LINE)' > $(CC_STAMP))
endif

# `make programs` without `make` first: the tangle stamp writes the tree.
$(CODE_LINED)/%.c $(CODE_LINED)/%.h: $(TANGLE_STAMP) ;

$(BUILD)/lib/obj/%.o: $(CODE_LINED)/common/%.c $(CC_STAMP)
	$(call obj-cmd,$(CFLAGS))
$(BUILD)/asan/lib/obj/%.o: $(CODE_LINED)/common/%.c $(CC_STAMP)
	$(call obj-cmd,$(SAN_FLAGS))

$(BUILD)/lib/libcommon.a: $(COMMON_LIB_SRCS:code/common/%.c=$(BUILD)/lib/obj/%.o)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/asan/lib/libcommon.a: $(COMMON_LIB_SRCS:code/common/%.c=$(BUILD)/asan/lib/obj/%.o)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/bin/%: $(CODE_LINED)/%.c $(BUILD)/lib/libcommon.a $(CC_STAMP)
	$(call link-cmd,$(CFLAGS),lib)
$(BUILD)/asan/bin/%: $(CODE_LINED)/%.c $(BUILD)/asan/lib/libcommon.a $(CC_STAMP)
	$(call link-cmd,$(SAN_FLAGS),asan/lib)

-include $(shell find $(BUILD)/dep $(BUILD)/lib/obj $(BUILD)/asan/lib/obj $(BUILD)/tsan/lib/obj -name '*.d' 2>/dev/null)

# ThreadSanitizer, for the chapters whose tests race threads on purpose
# (TSan cannot be combined with ASan, so it is a build of its own): the
# tests of the folders in TSAN_DIRS.  The programs those tests start are
# the plain build's: they are single-threaded, so TSan has nothing to see
# in them.
TSAN_DIRS       := ring
TSAN_FLAGS      := -O1 -g -fno-omit-frame-pointer -fsanitize=thread
TSAN_TESTS      := $(foreach d,$(TSAN_DIRS),$(filter $(d)/test_%,$(PROG_NAMES)))
TSAN_PROGRAMS   := $(TSAN_TESTS:%=$(BUILD)/tsan/bin/%)

$(BUILD)/tsan/lib/obj/%.o: code/common/%.c
	$(call obj-cmd,$(TSAN_FLAGS))
$(BUILD)/tsan/lib/libcommon.a: $(COMMON_LIB_SRCS:code/common/%.c=$(BUILD)/tsan/lib/obj/%.o)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/tsan/bin/%: code/%.c $(BUILD)/tsan/lib/libcommon.a
	$(call link-cmd,$(TSAN_FLAGS),tsan/lib)

.PHONY: programs asan-programs tsan-programs test-c test-c-asan test-c-tsan

programs: $(PROGRAMS) ## compile every tangled program (plain build)
asan-programs: $(ASAN_PROGRAMS)

# Each runs every build/.../test_* under a timeout and logs cmocka's output
# in build/test-results/FLAVOUR/, which the claim check reads.
test-c: programs ## run the cmocka tests
	@scripts/run-tests.sh $(BUILD)/bin plain
test-c-asan: asan-programs ## run the cmocka tests under ASan + UBSan
	@scripts/run-tests.sh $(BUILD)/asan/bin asan

tsan-programs: $(TSAN_PROGRAMS)
test-c-tsan: tsan-programs programs ## run the tests of $(TSAN_DIRS) under ThreadSanitizer
	@PROG_DIR=$(BUILD)/bin scripts/run-tests.sh $(BUILD)/tsan/bin tsan

TEST_STEPS += test-c test-c-asan test-c-tsan
