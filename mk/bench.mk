# mk/bench.mk: benchmarks.  The top Makefile
# -includes it last, after every fragment that may add to BENCH_TARGETS.
#
#   make bench            run every $(BENCH_TARGETS); results in build/bench/
#   make bench-ipc        chapter 06: bench_ipc -> CSV -> gnuplot SVG and PDF
#   make bench-figures    re-render figures/bench-*.svg from the committed
#                         reference run in bench/ipc/reference/
#   make bench-reference  make the last `make bench-ipc` run the reference
#                         (copies its CSV and machine.txt, and the last
#                         `make bench-ring` report; rewrites the tables of
#                         chapters 6 and 7 and the figures chapter 6's prose
#                         quotes from them; then bench-figures)
#   make check-bench-tables  those tables and figures agree with bench/ipc/reference/
#
# BENCH_FLAGS adds bench_ipc options to every run, e.g. BENCH_FLAGS="-r 9".
# On a machine with one CPU the "different cores" run uses -c 0,0 as well.

BENCH_DIR   := $(BUILD)/bench
BENCH_BIN   := $(BUILD)/bin/compare/bench_ipc
BENCH_REF   := bench/ipc/reference
BENCH_CSV   := latency-free.csv latency-split.csv latency-same.csv \
               throughput-free.csv throughput-same.csv
BENCH_FLAGS ?=
GNUPLOT     ?= gnuplot

BENCH_TARGETS += bench-ipc bench-ring

RING_FS_BIN := $(BUILD)/bin/ring/false_sharing
RING_LC_BIN := $(BUILD)/bin/ring/line_copy
RING_ROUNDS ?= 5

# Chapter 7: the ring against pipe, memcpy, spin-pingpong and futex-wake,
# ratios taken side by side in each of RING_ROUNDS rounds.
bench-ring: $(BENCH_BIN) $(RING_FS_BIN) $(RING_LC_BIN) ## chapter 07: shm-ring ratios to its limits (~1 min) -> build/bench/
	@bench/ipc/ring-ratios.py $(BENCH_BIN) $(RING_FS_BIN) $(BENCH_DIR) $(RING_ROUNDS)

.PHONY: bench bench-ring bench-ipc bench-plots bench-figures bench-reference \
        check-bench-tables

# The recipe (not the prerequisite list) expands BENCH_TARGETS, so a fragment
# included after this one could still add to it.
bench: ## run every benchmark in BENCH_TARGETS (chapter 06: build/bench/)
	@$(MAKE) --no-print-directory tangle-code
	@$(MAKE) --no-print-directory $(BENCH_TARGETS)

# Each CSV is written to a temporary name first and renamed only when
# bench_ipc exited 0 (it exits 1 on any write error, a full disk included)
# and every line has as many fields as the header, so that an interrupted or
# failed run never leaves a truncated file that looks like a result.
bench-ipc: $(BENCH_BIN) ## chapter 06: IPC latency, throughput, plots (~1 min) -> build/bench/
	@mkdir -p $(BENCH_DIR)
	$(eval BENCH_LOAD := $(shell cut -d' ' -f1-3 /proc/loadavg))
	@split=0,1; [ "$$(nproc)" -ge 2 ] || split=0,0; \
	set -e; \
	run() { out=$$1; shift; echo "bench_ipc $$* > $(BENCH_DIR)/$$out"; \
	        tmp=$(BENCH_DIR)/$$out.tmp; \
	        if ! $(BENCH_BIN) "$$@" $(BENCH_FLAGS) > $$tmp \
	           || ! awk -F, 'NR == 1 { n = NF } NF != n || NF < 7 { bad = 1 } \
	                         END { exit bad || NR < 2 }' $$tmp; then \
	          rm -f $$tmp; \
	          echo "bench-ipc: $$out: bench_ipc failed or wrote a malformed CSV; not kept" >&2; \
	          exit 1; \
	        fi; \
	        mv $$tmp $(BENCH_DIR)/$$out; }; \
	run latency-free.csv  -k lat; \
	run latency-split.csv -k lat -c $$split; \
	run latency-same.csv  -k lat -c 0,0; \
	run throughput-free.csv -k tput; \
	run throughput-same.csv -k tput -c 0,0
	@{ echo "nproc: $$(nproc)"; \
	   echo "cpu: $$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"; \
	   echo "hypervisor: $$(lscpu 2>/dev/null | sed -n 's/^Hypervisor vendor:[[:space:]]*//p')"; \
	   echo "kernel: $$(uname -sr)"; \
	   echo "BENCH_FLAGS: $(or $(BENCH_FLAGS),(none))"; \
	   echo "load average before: $(BENCH_LOAD)"; \
	   echo "date: $$(date -u +%Y-%m-%d)"; } > $(BENCH_DIR)/machine.txt
	@$(MAKE) --no-print-directory bench-plots
	@echo "bench-ipc: results in $(BENCH_DIR)/"

bench-plots: ## render build/bench/*.csv as SVG and PDF plots
	@for p in latency throughput; do for fmt in svg pdf; do \
	  $(GNUPLOT) -e "datadir='$(BENCH_DIR)'; fmt='$$fmt'; out='$(BENCH_DIR)/bench-$$p.$$fmt'" \
	    bench/ipc/$$p.gp || exit 1; done; done

bench-figures: ## re-render figures/bench-*.svg from bench/ipc/reference/*.csv
	@for p in latency throughput; do \
	  $(GNUPLOT) -e "datadir='$(BENCH_REF)'; fmt='svg'; out='figures/bench-$$p.svg'" \
	    bench/ipc/$$p.gp || exit 1; done

# ring-ratios.txt only if bench-ring ran since bench-ipc did: an older one
# would pass an old ring off as part of this run.
bench-reference: ## adopt the last bench-ipc (and bench-ring) run as the book's reference run
	@mkdir -p $(BENCH_REF)
	cp $(addprefix $(BENCH_DIR)/,$(BENCH_CSV) machine.txt) $(BENCH_REF)/
	@if [ $(BENCH_DIR)/ring-ratios.txt -nt $(BENCH_DIR)/machine.txt ]; then \
	  cp $(BENCH_DIR)/ring-ratios.txt $(BENCH_REF)/ && echo "bench-reference: and ring-ratios.txt"; \
	else echo "bench-reference: no bench-ring report newer than this run: run make bench-ring, then bench-reference again" >&2; fi
	@bench/ipc/ref-tables.py --write
	@bench/ipc/ref-quotes.py --write || echo "bench-reference: chapter 6's prose says what this run does not (above): reword it, then make check-bench-tables" >&2
	@$(MAKE) --no-print-directory bench-figures

# The tables of chapters 6 and 7 are made from bench/ipc/reference/ by
# bench/ipc/ref-tables.py: typed numbers would drift from the files.  The
# figures chapter 6's prose quotes, and the directions it states in words,
# are checked against the same files by bench/ipc/ref-quotes.py.
check-bench-tables: ## the benchmark tables of chapters 6 and 7, and chapter 6's quoted figures, agree with bench/ipc/reference/
	@bench/ipc/ref-tables.py --check
	@bench/ipc/ref-quotes.py --check

TEST_STEPS += check-bench-tables

# ---- chapter 08: poll vs epoll wake-up cost -----------------------------------
#   make bench-wake            bench_ipc -k wake -> build/bench/wake.csv, plots
#   make bench-wake-figure     re-render figures/bench-wake.svg from the
#                              committed reference (part of bench-figures)
#   make bench-wake-reference  adopt the last bench-wake run as the reference
# WAKE_FLAGS adds bench_ipc options (default: 9 timed runs).  The waiter and
# its peer are pinned to different CPUs (0,0 on a machine with one CPU).
WAKE_FLAGS ?= -r 9
BENCH_TARGETS += bench-wake
.PHONY: bench-wake bench-wake-figure bench-wake-reference

bench-wake: $(BENCH_BIN) ## chapter 08: poll vs epoll, 10..10000 idle fds (~30 s) -> build/bench/
	@mkdir -p $(BENCH_DIR)
	$(eval WAKE_LOAD := $(shell cut -d' ' -f1-3 /proc/loadavg))
	@split=0,1; [ "$$(nproc)" -ge 2 ] || split=0,0; \
	tmp=$(BENCH_DIR)/wake.csv.tmp; \
	echo "bench_ipc -k wake -c $$split $(WAKE_FLAGS) > $(BENCH_DIR)/wake.csv"; \
	if ! $(BENCH_BIN) -k wake -c $$split $(WAKE_FLAGS) > $$tmp \
	   || ! awk -F, 'NF != 9 { bad = 1 } END { exit bad || NR != 9 }' $$tmp; then \
	  rm -f $$tmp; \
	  echo "bench-wake: bench_ipc failed or wrote a malformed CSV; not kept" >&2; \
	  exit 1; \
	fi; \
	mv $$tmp $(BENCH_DIR)/wake.csv
	@{ echo "nproc: $$(nproc)"; \
	   echo "cpu: $$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"; \
	   echo "hypervisor: $$(lscpu 2>/dev/null | sed -n 's/^Hypervisor vendor:[[:space:]]*//p')"; \
	   echo "kernel: $$(uname -sr)"; \
	   echo "WAKE_FLAGS: $(or $(WAKE_FLAGS),(none))"; \
	   echo "load average before: $(WAKE_LOAD)"; \
	   echo "load average after: $$(cut -d' ' -f1-3 /proc/loadavg)"; \
	   echo "date: $$(date -u '+%Y-%m-%d %H:%M UTC')"; } > $(BENCH_DIR)/wake-machine.txt
	@for fmt in svg pdf; do \
	  $(GNUPLOT) -e "datadir='$(BENCH_DIR)'; fmt='$$fmt'; out='$(BENCH_DIR)/bench-wake.$$fmt'" \
	    bench/ipc/wake.gp || exit 1; done
	@echo "bench-wake: results in $(BENCH_DIR)/wake.csv, bench-wake.svg, bench-wake.pdf"

bench-figures: bench-wake-figure
bench-wake-figure: ## re-render figures/bench-wake.svg from bench/ipc/reference/wake.csv
	$(GNUPLOT) -e "datadir='$(BENCH_REF)'; fmt='svg'; out='figures/bench-wake.svg'" bench/ipc/wake.gp

bench-wake-reference: ## adopt the last bench-wake run as the book's reference run
	@mkdir -p $(BENCH_REF)
	cp $(BENCH_DIR)/wake.csv $(BENCH_DIR)/wake-machine.txt $(BENCH_REF)/
	@$(MAKE) --no-print-directory bench-wake-figure
