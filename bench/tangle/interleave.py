#!/usr/bin/env python3
"""CPU time of tangle, the floor and notangle, interleaved: each round runs
every command once, in an order shuffled anew each round, so that a change in
the machine's load, or a command's running right after another that filled
the page cache, hits them all alike (hyperfine runs all the runs of one
command, then the next).

Usage: interleave.py ROUNDS NAME=COMMAND...   (COMMAND split at blanks)
NAMEs are "SHAPE: WHAT" with WHAT one of floor, tangle (no-op), tangle
--check, notangle -Rall.  Prints each median (user + system of the child
and what it waited for, exec included) and, per shape, the median of the
per-round ratios (each round's tangle / that round's floor) with their
quartiles: a ratio taken side by side, round by round."""
import os
import random
import statistics
import sys

rounds = int(sys.argv[1])
cmds = [(a.split("=", 1)[0], a.split("=", 1)[1].split()) for a in sys.argv[2:]]
cpu = {name: [] for name, _ in cmds}
for r in range(rounds + 1):                  # round 0 warms the caches
    order = cmds[:]
    random.shuffle(order)
    for name, argv in order:
        pid = os.fork()
        if pid == 0:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.execvp(argv[0], argv)
        _, status, ru = os.wait4(pid, 0)
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            sys.exit(f"interleave: {name}: exit status {status}")
        if r > 0:
            cpu[name].append((ru.ru_utime + ru.ru_stime) * 1e3)


def ratio(a, b):
    """Median and quartiles of the per-round ratios a / b."""
    v = [x / y for x, y in zip(cpu[a], cpu[b])]
    q = statistics.quantiles(v, n=4) if len(v) > 1 else [v[0], v[0], v[0]]
    return f"{statistics.median(v):6.2f}x ({q[0]:.2f}-{q[2]:.2f})"


print(f"\nInterleaved in shuffled order, {rounds} rounds, load {os.getloadavg()[0]:.2f}: "
      "CPU ms, median (min, max)")
for name, v in cpu.items():
    print(f"{name:28} {statistics.median(v):8.2f} ({min(v):.2f}, {max(v):.2f})")
print("Per-round ratios: median (1st-3rd quartile)")
print(f"{'':28} {'tangle / floor':>22} {'notangle / tangle':>22}")
for shape in dict.fromkeys(n.split(":")[0] for n in cpu):
    for what in ("tangle (no-op)", "tangle --check"):
        t, nt = f"{shape}: {what}", f"{shape}: notangle -Rall"
        if t in cpu:
            print(f"{t:28} {ratio(t, shape + ': floor'):>22} "
                  + (f"{ratio(nt, t):>22}" if nt in cpu else f"{'-':>22}"))
print("goals: tangle / floor at most 1.5x, notangle / tangle at least 6x")
