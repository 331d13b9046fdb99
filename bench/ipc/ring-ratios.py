#!/usr/bin/env python3
"""bench/ipc/ring-ratios.py: chapter 7's ring against its limits, side by side.

Usage: bench/ipc/ring-ratios.py BENCH_IPC FALSE_SHARING OUT_DIR [ROUNDS]

Runs ROUNDS (default 5) rounds; each round runs, in one go and with the two
processes on CPUs 0 and 1, the throughput of pipe, shm-ring and memcpy (64 B
and 64 KiB) and the round-trip latency of shm-ring-spin, spin-pingpong,
shm-ring-sleep and futex-wake (64 B), then false_sharing (both of its
experiments: each side writing its own counter, and lock step) and
line_copy (64 KiB blocks from one CPU to the other; found next to
FALSE_SHARING).  Every ratio is
taken within one round, and the report gives each ratio's median and its
range over the rounds.  Raw CSVs go to OUT_DIR/ring-*.csv (written to a
temporary name first, so an interrupted run leaves nothing that looks like
a result), the report to OUT_DIR/ring-ratios.txt and stdout: one line per
ratio, "KEY: what (goal): median (min-max)", which bench/ipc/ref-tables.py
turns into chapter 7's table once `make bench-reference` adopted it.
"""
import csv, io, os, statistics, subprocess, sys, time


def run(cmd):
    r = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return r.stdout


def table(text, key):
    return {(row["mechanism"], int(row["size"])): float(row[key])
            for row in csv.DictReader(io.StringIO(text))}


def load():
    with open("/proc/loadavg") as fh:
        return " ".join(fh.read().split()[:3])


def slower(lines, label):
    """The "同一行慢 R 倍" ratio of false_sharing's line that starts with LABEL."""
    for line in lines:
        if line.startswith(label + "："):
            return float(line.split("慢 ")[1].split(" 倍")[0])
    raise SystemExit(f"ring-ratios: false_sharing printed no line for {label}")


def main(argv):
    if len(argv) not in (3, 4):
        sys.stderr.write(__doc__)
        return 2
    bench, fs, out = argv[0], argv[1], argv[2]
    rounds = int(argv[3]) if len(argv) == 4 else 5
    cpus = "0,1" if os.cpu_count() and os.cpu_count() >= 2 else "0,0"
    os.makedirs(out, exist_ok=True)
    load_before = load()
    line_copy = os.path.join(os.path.dirname(fs), "line_copy")
    ratios = {k: [] for k in ("tput64", "tput64k", "across", "copy", "spin", "sleep",
                              "false", "lockstep")}
    raw_t, raw_l, raw_f = [], [], []
    for r in range(rounds):
        t = run([bench, "-k", "tput", "-m", "pipe,shm-ring,memcpy", "-s", "64,65536",
                 "-c", cpus, "-r", "5"])
        l = run([bench, "-k", "lat", "-m", "shm-ring-spin,spin-pingpong,shm-ring-sleep,futex-wake",
                 "-s", "64", "-c", cpus, "-r", "5"])
        f = run([fs])
        c = run([line_copy]).splitlines()
        across = float(c[0].split("：")[1].split()[0])
        local = float(c[1].split("：")[1].split()[0])
        raw_t.append(t); raw_l.append(l); raw_f.append(f)
        tp = table(t, "msgs_per_s")
        tb = table(t, "mb_per_s")
        la = table(l, "median_ns")
        ratios["tput64"].append(tp[("shm-ring", 64)] / tp[("pipe", 64)])
        ratios["tput64k"].append(tb[("shm-ring", 65536)] / tb[("memcpy", 65536)])
        ratios["across"].append(tb[("shm-ring", 65536)] / across)
        ratios["copy"].append(across / local)
        ratios["spin"].append(la[("shm-ring-spin", 64)] / la[("spin-pingpong", 0)])
        ratios["sleep"].append(la[("shm-ring-sleep", 64)] / la[("futex-wake", 0)])
        fl = f.strip().splitlines()
        ratios["false"].append(slower(fl, "各写各的"))
        ratios["lockstep"].append(slower(fl, "锁步"))
        print(f"round {r + 1}/{rounds}: " + ", ".join(
            f"{k} {v[-1]:.2f}" for k, v in ratios.items()), file=sys.stderr)
    for name, chunks in (("ring-throughput.csv", raw_t), ("ring-latency.csv", raw_l)):
        body = chunks[0].splitlines(True)[:1] + [
            line for c in chunks for line in c.splitlines(True)[1:]]
        tmp = os.path.join(out, name + ".tmp")
        with open(tmp, "w") as fh:
            fh.writelines(body)
        os.replace(tmp, os.path.join(out, name))
    label = {
        "tput64": "shm-ring ÷ pipe, 64 B messages per second (goal >= 10)",
        "tput64k": "shm-ring ÷ memcpy, 64 KiB bandwidth (goal >= 0.60)",
        "across": "shm-ring ÷ line_copy across two CPUs, 64 KiB bandwidth",
        "copy": "line_copy: across two CPUs ÷ memcpy on one, 64 KiB bandwidth",
        "spin": "shm-ring-spin ÷ spin-pingpong, 64 B round trip (goal <= 2)",
        "sleep": "shm-ring-sleep ÷ futex-wake, 64 B round trip (goal <= 1.2)",
        "false": "false sharing, each side writing its own counter: one line ÷ two lines, ns per store",
        "lockstep": "false sharing, lock step: one line ÷ two lines, ns per step",
    }
    lines = [f"{rounds} rounds, CPUs {cpus}; median (min-max) of the per-round ratios",
             f"load average before: {load_before}; after: {load()}; "
             f"date: {time.strftime('%Y-%m-%d', time.gmtime())}"]
    for k, v in ratios.items():
        lines.append(f"{k}: {label[k]}: {statistics.median(v):.2f} ({min(v):.2f}-{max(v):.2f})")
    report = "\n".join(lines) + "\n"
    tmp = os.path.join(out, "ring-ratios.txt.tmp")
    with open(tmp, "w") as fh:
        fh.write(report)
    os.replace(tmp, os.path.join(out, "ring-ratios.txt"))
    sys.stdout.write(report)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
