# mk/tangle.mk: build and test the tangle tool.
#
#   make build/tangle          the tool (-Wall -Wextra -Werror)
#   make test-tangle           unit tests, fixtures, #line test and pandoc
#                              cross-check, against the plain and the
#                              ASan+UBSan build (a TEST_STEPS step)
#   make fuzz FUZZ_SECONDS=N   both libFuzzer targets, seeded from the fixtures,
#                              then line coverage per tangle/src file
#   make bench-tangle          tangle vs floor and notangle on two corpus shapes

TANGLE_SRCS     := $(wildcard tangle/src/*.c)
TANGLE_HDRS     := $(wildcard tangle/src/*.h)
TANGLE_LIB_SRCS := $(filter-out tangle/src/main.c,$(TANGLE_SRCS))
TANGLE_ASAN     := $(BUILD)/asan/tangle
TANGLE_UNIT     := $(patsubst tangle/tests/unit/%.c,$(BUILD)/tangle-tests/%,$(wildcard tangle/tests/unit/test_*.c))
TANGLE_UNIT_ASAN := $(patsubst tangle/tests/unit/%.c,$(BUILD)/tangle-tests/asan/%,$(wildcard tangle/tests/unit/test_*.c))
TANGLE_DUMP     := $(BUILD)/tangle-tests/dump $(BUILD)/tangle-tests/asan/dump
TANGLE_FUZZER   := $(BUILD)/fuzz/fuzz_tangle
TANGLE_FUZZ_TOOL := $(BUILD)/fuzz/fuzz_tool
FUZZ_COV        := -fprofile-instr-generate -fcoverage-mapping
FUZZ_SECONDS    ?= 60
FUZZ_CC         ?= clang

$(TANGLE): $(TANGLE_SRCS) $(TANGLE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARNINGS) $(CFLAGS) -o $@ $(TANGLE_SRCS) -lmd4c

$(TANGLE_ASAN): $(TANGLE_SRCS) $(TANGLE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARNINGS) $(SAN_FLAGS) -o $@ $(TANGLE_SRCS) -lmd4c

$(BUILD)/tangle-tests/test_%: tangle/tests/unit/test_%.c $(TANGLE_LIB_SRCS) $(TANGLE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARNINGS) $(CFLAGS) -Itangle/src -o $@ $< $(TANGLE_LIB_SRCS) -lmd4c -lcmocka

$(BUILD)/tangle-tests/asan/test_%: tangle/tests/unit/test_%.c $(TANGLE_LIB_SRCS) $(TANGLE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARNINGS) $(SAN_FLAGS) -Itangle/src -o $@ $< $(TANGLE_LIB_SRCS) -lmd4c -lcmocka

# The parser's view of the blocks, for the pandoc cross-check.
$(BUILD)/tangle-tests/dump: tangle/tests/dump.c $(TANGLE_LIB_SRCS) $(TANGLE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARNINGS) $(CFLAGS) -Itangle/src -o $@ $< $(TANGLE_LIB_SRCS) -lmd4c

$(BUILD)/tangle-tests/asan/dump: tangle/tests/dump.c $(TANGLE_LIB_SRCS) $(TANGLE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARNINGS) $(SAN_FLAGS) -Itangle/src -o $@ $< $(TANGLE_LIB_SRCS) -lmd4c

$(TANGLE_FUZZER): tangle/fuzz/fuzz_tangle.c $(TANGLE_LIB_SRCS) $(TANGLE_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CSTD) $(WARNINGS) -g -O1 -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=undefined -o $@ $< $(TANGLE_LIB_SRCS) -lmd4c

.PHONY: test-tangle test-tangle-unit test-tangle-fixtures fuzz bench-tangle

test-tangle: $(TANGLE) $(TANGLE_ASAN) $(TANGLE_UNIT) $(TANGLE_UNIT_ASAN) $(TANGLE_DUMP) ## all tangle tests (plain + ASan/UBSan)
	@tangle/tests/run-all.sh $(TANGLE) $(TANGLE_ASAN) $(BUILD)/tangle-tests

test-tangle-unit: $(TANGLE_UNIT) $(TANGLE_UNIT_ASAN)
	@for t in $^; do $$t || exit 1; done

test-tangle-fixtures: $(TANGLE) $(TANGLE_ASAN)
	@tangle/tests/run-fixtures.sh $(TANGLE) && tangle/tests/run-fixtures.sh $(TANGLE_ASAN)

# The whole tool (main.c's main renamed) on a scratch folder, and both
# targets again with clang's source coverage (no sanitizers) for the report.
$(TANGLE_FUZZ_TOOL): tangle/fuzz/fuzz_tool.c $(TANGLE_SRCS) $(TANGLE_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CSTD) $(WARNINGS) -g -O1 -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=undefined -Dmain=tangle_main -o $@ $< $(TANGLE_SRCS) -lmd4c

$(BUILD)/fuzz/cov/fuzz_tangle: tangle/fuzz/fuzz_tangle.c $(TANGLE_LIB_SRCS) $(TANGLE_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CSTD) $(WARNINGS) -g -O1 -fsanitize=fuzzer $(FUZZ_COV) -o $@ $< \
	  $(TANGLE_LIB_SRCS) -lmd4c

$(BUILD)/fuzz/cov/fuzz_tool: tangle/fuzz/fuzz_tool.c $(TANGLE_SRCS) $(TANGLE_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CSTD) $(WARNINGS) -g -O1 -fsanitize=fuzzer $(FUZZ_COV) -Dmain=tangle_main \
	  -o $@ $< $(TANGLE_SRCS) -lmd4c

fuzz: $(TANGLE_FUZZER) $(TANGLE_FUZZ_TOOL) $(BUILD)/fuzz/cov/fuzz_tangle $(BUILD)/fuzz/cov/fuzz_tool ## fuzz both targets for FUZZ_SECONDS each (default 60), then line coverage per file
	@tangle/fuzz/run-fuzz.sh $(FUZZ_SECONDS) $(TANGLE_FUZZER) $(TANGLE_FUZZ_TOOL) \
	  $(BUILD)/fuzz/cov/fuzz_tangle $(BUILD)/fuzz/cov/fuzz_tool

TANGLE_FLOOR := $(BUILD)/bench-tangle/floor

$(TANGLE_FLOOR): bench/tangle/floor.c
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARNINGS) $(CFLAGS) -o $@ $< -lmd4c

bench-tangle: $(TANGLE) $(TANGLE_FLOOR) ## tangle vs a parse floor and notangle, on two corpus shapes
	@bench/tangle/bench.sh $(TANGLE) $(TANGLE_FLOOR)

TEST_STEPS    += test-tangle
BENCH_TARGETS += bench-tangle
