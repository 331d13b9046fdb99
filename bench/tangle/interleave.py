#!/usr/bin/env python3
"""CPU time of tangle, the floor and notangle, interleaved: each round runs
every command once, in turn, so that a change in the machine's load hits
them all alike (hyperfine runs all the runs of one command, then the next).

Usage: interleave.py ROUNDS NAME=COMMAND...   (COMMAND split at blanks)
NAMEs are "SHAPE: WHAT" with WHAT one of floor, tangle (no-op), tangle
--check, notangle -Rall.  Prints each median (user + system of the child
and what it waited for, exec included) and the ratios per shape."""
import os
import statistics
import sys

rounds = int(sys.argv[1])
cmds = [(a.split("=", 1)[0], a.split("=", 1)[1].split()) for a in sys.argv[2:]]
cpu = {name: [] for name, _ in cmds}
for r in range(rounds + 1):                  # round 0 warms the caches
    for name, argv in cmds:
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
med = {name: statistics.median(v) for name, v in cpu.items()}
print(f"\nInterleaved, {rounds} rounds: CPU ms, median (min, max)")
for name, v in cpu.items():
    print(f"{name:28} {med[name]:8.2f} ({min(v):.2f}, {max(v):.2f})")
print(f"{'':28} {'tangle / floor':>15} {'notangle / tangle':>18}")
for shape in dict.fromkeys(n.split(":")[0] for n in med):
    for what in ("tangle (no-op)", "tangle --check"):
        t = med.get(f"{shape}: {what}")
        nt = med.get(f"{shape}: notangle -Rall")
        if t is not None:
            print(f"{shape + ': ' + what:28} {t / med[shape + ': floor']:14.2f}x "
                  + (f"{nt / t:17.1f}x" if nt else f"{'-':>18}"))
print("goals: tangle / floor at most 1.5x, notangle / tangle at least 6x")
