# mk/tangle.mk: build and test the tangle tool.
#
#   make build/tangle          the tool (-Wall -Wextra -Werror)
#   make test-tangle           unit tests, fixtures, #line test and pandoc
#                              cross-check, against the plain and the
#                              ASan+UBSan build (a TEST_STEPS step)
#   make fuzz FUZZ_SECONDS=N   libFuzzer run seeded from the fixtures
#   make bench-tangle          tangle vs notangle on a ~200,000-line corpus

TANGLE_SRCS     := $(wildcard tangle/src/*.c)
TANGLE_HDRS     := $(wildcard tangle/src/*.h)
TANGLE_LIB_SRCS := $(filter-out tangle/src/main.c,$(TANGLE_SRCS))
TANGLE_ASAN     := $(BUILD)/asan/tangle
TANGLE_UNIT     := $(patsubst tangle/tests/unit/%.c,$(BUILD)/tangle-tests/%,$(wildcard tangle/tests/unit/test_*.c))
TANGLE_UNIT_ASAN := $(patsubst tangle/tests/unit/%.c,$(BUILD)/tangle-tests/asan/%,$(wildcard tangle/tests/unit/test_*.c))
TANGLE_FUZZER   := $(BUILD)/fuzz/fuzz_tangle
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

$(TANGLE_FUZZER): tangle/fuzz/fuzz_tangle.c $(TANGLE_LIB_SRCS) $(TANGLE_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CSTD) $(WARNINGS) -g -O1 -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=undefined -o $@ $< $(TANGLE_LIB_SRCS) -lmd4c

.PHONY: test-tangle test-tangle-unit test-tangle-fixtures fuzz bench-tangle

test-tangle: $(TANGLE) $(TANGLE_ASAN) $(TANGLE_UNIT) $(TANGLE_UNIT_ASAN) ## all tangle tests (plain + ASan/UBSan)
	@tangle/tests/run-all.sh $(TANGLE) $(TANGLE_ASAN) $(BUILD)/tangle-tests

test-tangle-unit: $(TANGLE_UNIT) $(TANGLE_UNIT_ASAN)
	@for t in $^; do $$t || exit 1; done

test-tangle-fixtures: $(TANGLE) $(TANGLE_ASAN)
	@tangle/tests/run-fixtures.sh $(TANGLE) && tangle/tests/run-fixtures.sh $(TANGLE_ASAN)

fuzz: $(TANGLE_FUZZER) ## run the tangle fuzzer for FUZZ_SECONDS (default 60)
	@tangle/fuzz/run-fuzz.sh $(TANGLE_FUZZER) $(FUZZ_SECONDS)

bench-tangle: $(TANGLE) ## time tangle against notangle on a generated corpus
	@bench/tangle/bench.sh $(TANGLE)

TEST_STEPS    += test-tangle
BENCH_TARGETS += bench-tangle
