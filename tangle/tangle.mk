# tangle/tangle.mk: build the tangle tool (owned by the tangle tool's issue).
TANGLE_SRCS := $(wildcard tangle/src/*.c)
TANGLE_HDRS := $(wildcard tangle/src/*.h)

$(TANGLE): $(TANGLE_SRCS) $(TANGLE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARNINGS) $(CFLAGS) -o $@ $(TANGLE_SRCS) -lmd4c
