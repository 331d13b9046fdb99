#!/usr/bin/env python3
"""bench/ipc/ref-tables.py: the book's benchmark tables, from the reference run.

Usage: bench/ipc/ref-tables.py --check | --write | --print

The tables that cite bench/ipc/reference/ are made from its files, not typed:
  chapters/06-compare.md  tbl:cmp-latency     latency-{free,split,same}.csv
                          tbl:cmp-tput-free   throughput-free.csv
                          tbl:cmp-tput-same   throughput-same.csv
  chapters/07-ring.md     tbl:ring-ratios     ring-ratios.txt (bench/ipc/ring-ratios.py)
Each table is the block between its "::: {#tbl:NAME ...}" line and the next
":::" line.  --check exits 1 and names each table that differs from what the
reference files give (run by `make check-bench-tables`); --write rewrites
them in place (run by `make bench-reference`); --print shows them.  Every
row of a CSV is a row of its table, in the CSV's order, so a new mechanism
in bench_ipc appears in the book at the next reference run.  The prose that
quotes numbers from these tables still has to be read again by a person.
"""
import csv, os, re, sys

REF = "bench/ipc/reference"
SIZES = [(64, "64 B"), (4096, "4 KiB"), (65536, "64 KiB"), (1048576, "1 MiB")]


def rows(name):
    with open(os.path.join(REF, name), newline="") as fh:
        return list(csv.DictReader(fh))


def us(ns):
    """Microseconds as chapter 6 prints them: 0.44, 4.18, 47.8, 512, 3407."""
    x = float(ns) / 1000
    return f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def mb(v):
    x = float(v)
    return f"{x:.1f}" if x < 100 else f"{x:,.0f}"


def msgs(v):
    x = float(v)
    if x >= 1e6:
        u, unit, small = x / 1e6, "M", "{:.2f}"
    else:
        u, unit, small = x / 1e3, "k", "{:.1f}"
    return (small.format(u) if u < 10 else f"{u:.0f}") + " " + unit


def latency_table():
    cols = [rows(f"latency-{c}.csv") for c in ("free", "split", "same")]
    by = [{r["mechanism"]: r for r in c} for c in cols]
    out = ["| 机制 | 不绑定：中位数 | p99 | `-c 0,1`：中位数 | p99 | `-c 0,0`：中位数 | p99 |",
           "|---|--:|--:|--:|--:|--:|--:|"]
    for r in cols[0]:
        m = r["mechanism"]
        cells = []
        for b in by:
            if m in b:
                cells += [us(b[m]["median_ns"]), us(b[m]["p99_ns"])]
            else:
                cells += ["—", "—"]
        out.append(f"| `{m}` | " + " | ".join(cells) + " |")
    return out


def tput_table(config):
    data = rows(f"throughput-{config}.csv")
    cell = {(r["mechanism"], int(r["size"])): r for r in data}
    out = ["| 机制 | " + " | ".join(label for _, label in SIZES) + " |",
           "|---|" + "--:|" * len(SIZES)]
    seen = []
    for r in data:
        if r["mechanism"] not in seen:
            seen.append(r["mechanism"])
    for m in seen:
        cells = []
        for size, _ in SIZES:
            r = cell.get((m, size))
            cells.append("—" if r is None else f"{mb(r['mb_per_s'])}（{msgs(r['msgs_per_s'])}）")
        out.append(f"| `{m}` | " + " | ".join(cells) + " |")
    return out


RING_ROWS = [
    ("tput64", "64 B 消息每秒条数：`shm-ring` ÷ `pipe`", "≥ 10"),
    ("tput64k", "64 KiB 带宽：`shm-ring` ÷ `memcpy`", "≥ 0.6"),
    ("across", "64 KiB 带宽：`shm-ring` ÷ `line_copy`（两个核之间）", "—"),
    ("copy", "64 KiB 带宽：`line_copy`（两个核之间）÷ `memcpy`（一个核）", "—"),
    ("spin", "64 B 往返：`shm-ring-spin` ÷ `spin-pingpong`", "≤ 2"),
    ("sleep", "64 B 往返：`shm-ring-sleep` ÷ `futex-wake`", "≤ 1.2"),
    ("false", "伪共享，各写各的：同一行 ÷ 不同的行（每次写的时间）", "—"),
    ("lockstep", "伪共享，锁步：同一行 ÷ 不同的行（每步的时间）", "—"),
]


def ring_table():
    with open(os.path.join(REF, "ring-ratios.txt")) as fh:
        text = fh.read()
    got = {}
    for line in text.splitlines():
        m = re.match(r"(\w+): .*: ([\d.]+) \(([\d.]+)-([\d.]+)\)$", line)
        if m:
            got[m[1]] = (m[2], m[3], m[4])
    load = re.search(r"load average before: ([\d. ]+); after: ([\d. ]+); date: (\S+)", text)
    if load is None or any(k not in got for k, _, _ in RING_ROWS):
        raise SystemExit(f"ref-tables: {REF}/ring-ratios.txt is not a ring-ratios.py report")
    caption = (f"本章的环与它的极限：五轮的比值，中位数（最小～最大）；{load[3]} 的一次运行，"
               f"开始时负载 {load[1].split()[0]}，结束时 {load[2].split()[0]}")
    out = [f'::: {{#tbl:ring-ratios .table caption="{caption}"}}',
           "| 比较 | 比值 | 目标 |", "|---|--:|--:|"]
    for key, what, goal in RING_ROWS:
        med, lo, hi = got[key]
        out.append(f"| {what} | {med}（{lo}～{hi}） | {goal} |")
    return out


TABLES = [
    ("chapters/06-compare.md", "cmp-latency", latency_table),
    ("chapters/06-compare.md", "cmp-tput-free", lambda: tput_table("free")),
    ("chapters/06-compare.md", "cmp-tput-same", lambda: tput_table("same")),
    ("chapters/07-ring.md", "ring-ratios", ring_table),
]


def replace(text, name, body):
    """TEXT with the body of table NAME replaced (and its "::: {#tbl:...}"
    line, when BODY starts with one); None if it has no such table."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("::: {#tbl:" + name + " "):
            start = i if body[0].startswith("::: {#tbl:") else i + 1
            for j in range(i + 1, len(lines)):
                if lines[j] == ":::":
                    return "\n".join(lines[:start] + body + lines[j:])
            return None
    return None


def main(argv):
    if argv not in (["--check"], ["--write"], ["--print"]):
        sys.stderr.write(__doc__)
        return 2
    bad = 0
    texts = {}
    for path, name, make in TABLES:
        body = make()
        if argv == ["--print"]:
            print(f"{path} tbl:{name}\n" + "\n".join(body) + "\n")
            continue
        text = texts.setdefault(path, open(path, encoding="utf-8").read())
        new = replace(text, name, body)
        if new is None:
            print(f"ref-tables: {path}: no table tbl:{name}", file=sys.stderr)
            bad = 1
        elif new != text:
            if argv == ["--check"]:
                print(f"ref-tables: {path}: tbl:{name} differs from {REF}/ "
                      "(make bench-reference rewrites it)", file=sys.stderr)
                bad = 1
            texts[path] = new
    if argv == ["--write"]:
        for path, text in texts.items():
            with open(path + ".tmp", "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(path + ".tmp", path)
            print(f"ref-tables: wrote the tables of {path}")
    elif argv == ["--check"] and not bad:
        print(f"ref-tables: every table agrees with {REF}/")
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
