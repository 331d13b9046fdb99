# mk/code.mk: build the tangled programs in code/ and run their tests.
#
# Conventions (see CONTRIBUTING.md):
#   code/DIR/NAME.c      -> build/bin/DIR/NAME        (plain build)
#                        -> build/asan/bin/DIR/NAME   (ASan + UBSan build)
#   code/common/*.c      -> build/lib/libcommon.a, linked into every program;
#                           code/common/test_*.c are tests, not library parts.
#   code/DIR/test_*.c    -> cmocka tests, linked with -lcmocka.
# Programs include shared helpers as "common/err.h" (-Icode).

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
	$(CC) $(CSTD) $(WARNINGS) $(1) -Icode -MMD -MP -MF $(BUILD)/dep/$(2)/$*.d \
	  -o $@ $< $(BUILD)/$(2)/libcommon.a $(if $(filter test_%,$(notdir $*)),-lcmocka) $(LDLIBS_ALL)
endef

# $(call obj-cmd,FLAGS): compile one object of the common library.
define obj-cmd
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARNINGS) $(1) -Icode -MMD -MP -c -o $@ $<
endef

$(BUILD)/lib/obj/%.o: code/common/%.c
	$(call obj-cmd,$(CFLAGS))
$(BUILD)/asan/lib/obj/%.o: code/common/%.c
	$(call obj-cmd,$(SAN_FLAGS))

$(BUILD)/lib/libcommon.a: $(COMMON_LIB_SRCS:code/common/%.c=$(BUILD)/lib/obj/%.o)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/asan/lib/libcommon.a: $(COMMON_LIB_SRCS:code/common/%.c=$(BUILD)/asan/lib/obj/%.o)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/bin/%: code/%.c $(BUILD)/lib/libcommon.a
	$(call link-cmd,$(CFLAGS),lib)
$(BUILD)/asan/bin/%: code/%.c $(BUILD)/asan/lib/libcommon.a
	$(call link-cmd,$(SAN_FLAGS),asan/lib)

-include $(shell find $(BUILD)/dep $(BUILD)/lib/obj $(BUILD)/asan/lib/obj -name '*.d' 2>/dev/null)

.PHONY: programs asan-programs test-c test-c-asan

programs: $(PROGRAMS) ## compile every tangled program (plain build)
asan-programs: $(ASAN_PROGRAMS)

# Each runs every build/.../test_* under a timeout and logs cmocka's output
# in build/test-results/FLAVOUR/, which the claim check reads.
test-c: programs ## run the cmocka tests
	@scripts/run-tests.sh $(BUILD)/bin plain
test-c-asan: asan-programs ## run the cmocka tests under ASan + UBSan
	@scripts/run-tests.sh $(BUILD)/asan/bin asan

TEST_STEPS += test-c test-c-asan
