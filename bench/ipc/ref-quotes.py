#!/usr/bin/env python3
"""bench/ipc/ref-quotes.py: the figures chapter 6's prose quotes, from the reference run.

Usage: bench/ipc/ref-quotes.py [--dir DIR] --print | --check | --write

ref-tables.py makes chapter 6's tables from bench/ipc/reference/; this script
does the same for the numbers the prose quotes from them (the machine
bullets, every ratio in #sec:cmp-conclusions, the exercises' answers).
Each quote below is a template, a piece of the chapter's text with "{}"
where a number goes, the section it is in, and how each number is computed
from the CSV files.  Each claim is a direction the prose states in words
("faster", "within 2x"), as a test on the same data.

  --print  every quote, filled in from the reference, with its formula
  --check  exit 1 unless every filled-in quote occurs in its section and
           every claim holds (run by `make check-bench-tables`)
  --write  rewrite the numbers of each quote in place (each template must
           match exactly once in its section, with any numbers); run by
           `make bench-reference`.  A claim that no longer holds is
           reported, never rewritten: the words are for a person to change.
--dir reads another run's files (build/bench, say) instead of the reference.
"""
import csv, os, re, statistics, sys

CHAPTER = "chapters/06-compare.md"
REF = "bench/ipc/reference"
DIR = REF

# Which mechanisms wait how, for the ratios that take a range over a class.
KERNEL = ["pipe", "fifo", "uds-stream", "uds-dgram", "uds-seqpacket", "tcp", "mq"]
SLEEPERS = KERNEL + ["shm-futex", "shm-sem", "shm-ring-sleep"]   # always sleep to wait
WAKERS = ["pipe", "fifo", "shm-futex", "shm-sem"]    # "叫醒对方" paragraph
UDS = ["uds-stream", "uds-dgram", "uds-seqpacket"]
LIMITS = ["write+read", "futex-wake", "spin-pingpong", "memcpy"]


def load(name):
    with open(os.path.join(DIR, name), newline="") as fh:
        return list(csv.DictReader(fh))


def lat_table(config):
    return {r["mechanism"]: r for r in load(f"latency-{config}.csv")}


def tput_table(config):
    return {(r["mechanism"], int(r["size"])): r for r in load(f"throughput-{config}.csv")}


def machine():
    out = {}
    with open(os.path.join(DIR, "machine.txt")) as fh:
        for line in fh:
            k, _, v = line.partition(":")
            out[k.strip()] = v.strip()
    return out


class Data:
    def __init__(self):
        self.lat = {c: lat_table(c) for c in ("free", "split", "same")}
        self.tput = {c: tput_table(c) for c in ("free", "same")}
        self.machine = machine()

    def have(self, names):
        """The NAMES this run measured (an older run lacks the newer mechanisms)."""
        return [m for m in names if all(m in t for t in self.lat.values())]

    def med(self, m, c="same"):
        """Median round trip in µs."""
        return float(self.lat[c][m]["median_ns"]) / 1000

    def p99(self, m, c="same"):
        return float(self.lat[c][m]["p99_ns"]) / 1000

    def mbs(self, m, size, c="same"):
        """MB/s (10^6 bytes per second)."""
        return float(self.tput[c][(m, size)]["mb_per_s"])

    def mps(self, m, size, c="same"):
        return float(self.tput[c][(m, size)]["msgs_per_s"])

    def spread(self, c):
        """p99 ÷ median of every mechanism (not the limits) in config C:
        the quartiles, the middle half of them ("多在 A～B")."""
        r = sorted(float(v["p99_ns"]) / float(v["median_ns"])
                   for m, v in self.lat[c].items() if m not in LIMITS)
        q = statistics.quantiles(r, n=4, method="inclusive")
        return q[0], q[2]


# Number formats, as the prose writes them.
def f0(x): return f"{x:.0f}"
def f1(x): return f"{x:.1f}"
def f2(x): return f"{x:.2f}"
def pct(x): return f"{100 * x:.0f}"
def gb(mb): return f"{mb / 1000:.1f}"      # MB/s -> "13.6" GB/s


def us(x):
    """µs as the latency table prints them: 0.44, 4.18, 47.8, 512."""
    return f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def rng(vals, fmt=f1):
    return fmt(min(vals)), fmt(max(vals))


def quotes(d):
    """(section, template, [values], formula) for every quoted figure."""
    M = d.machine
    Q = []

    def q(sec, tmpl, vals, how):
        Q.append((sec, tmpl, list(vals), how))

    # sec:cmp-reference: the machine
    q("cmp-reference", "`nproc`：{}", [M["nproc"]], "machine.txt nproc")
    q("cmp-reference", "内核：Linux {}", [".".join(M["kernel"].split()[1].split(".")[:2])],
      "machine.txt kernel, major.minor")
    q("cmp-reference", 'BENCH_FLAGS="-r {}"', [M["BENCH_FLAGS"].split()[-1]], "machine.txt BENCH_FLAGS")
    q("cmp-reference", "开始测量时的负载（load average）约为 {}",
      [f1(float(M["load average before"].split()[0]))], "machine.txt load, 1-minute")

    # sec:cmp-conclusions
    fr, sm = d.spread("free"), d.spread("same")
    q("cmp-conclusions", "不绑定时多在 {}～{}，`-c 0,0` 时多在 {}～{}",
      [f1(fr[0]), f1(fr[1]), f1(sm[0]), f1(sm[1])],
      "p99/median over the mechanisms, quartiles, latency-free and latency-same")

    fw, fwf = d.med("futex-wake"), d.med("futex-wake", "free")
    W = d.have(WAKERS)
    wk = [d.med(m) / fw for m in W]
    wkf = [d.med(m, "free") / fwf for m in W]
    q("cmp-conclusions", "不绑定时是它的 {}～{} 倍（都在 {}～{} µs）",
      [f2(min(wkf)), f2(max(wkf)), f1(min(d.med(m, "free") for m in W)), f1(max(d.med(m, "free") for m in W))],
      "free: median of pipe, fifo, shm-futex, shm-sem ÷ futex-wake; their range in µs")
    q("cmp-conclusions", "是它的 {}～{} 倍（`shm-futex` 是 {} 倍）",
      [f2(min(wk)), f2(max(wk)), f2(d.med("shm-futex") / fw)],
      "same: the same four ÷ futex-wake; shm-futex ÷ futex-wake")
    q("cmp-conclusions", "一对 `write`+`read` 的 {} 倍（{} µs 对 {} µs）",
      [f1(d.med("pipe") / d.med("write+read")), us(d.med("pipe")), us(d.med("write+read"))],
      "same: pipe ÷ write+read")
    q("cmp-conclusions", "管道与 `shm-futex` 之比是 {}",
      [f2(d.med("pipe") / d.med("shm-futex"))], "same: pipe ÷ shm-futex")

    sl_split = [d.med(m, "split") for m in d.have(SLEEPERS)]
    sp = d.med("shm-spin", "split")
    q("cmp-conclusions", "睡眠式机制的 1/{}～1/{}（{} µs 对 {}～{} µs）",
      [f0(min(sl_split) / sp), f0(max(sl_split) / sp), us(sp), f0(min(sl_split)), f0(max(sl_split))],
      "split: each sleeper ÷ shm-spin (sleepers: kernel ones, shm-futex, shm-sem, shm-ring-sleep)")
    best = min((d.med(m, c), m, c) for m in d.have(SLEEPERS) for c in ("free", "same"))
    q("cmp-conclusions", "最好的睡眠式往返（`{w}` {w}时的 {} µs）的 1/{}",
      [best[1], {"free": "不绑定", "same": "同一个核上"}[best[2]], us(best[0]), f0(best[0] / sp)],
      "the lowest sleeper median in free or same ÷ shm-spin split")
    q("cmp-conclusions", "它就比管道慢 {} 倍（{} µs）",
      [f0(d.med("shm-spin") / d.med("pipe")), us(d.med("shm-spin"))], "same: shm-spin ÷ pipe")

    q("cmp-conclusions", "往返延迟 TCP 是 `uds-stream` 的 {} 倍、`uds-dgram` 的 {} 倍",
      [f2(d.med("tcp") / d.med("uds-stream")), f2(d.med("tcp") / d.med("uds-dgram"))], "same: tcp ÷ uds")
    q("cmp-conclusions", "吞吐量在 64 KiB 时 `uds-stream` 是 TCP 的 {} 倍，1 MiB 时是 {} 倍",
      [f1(d.mbs("uds-stream", 65536) / d.mbs("tcp", 65536)),
       f1(d.mbs("uds-stream", 1048576) / d.mbs("tcp", 1048576))], "same: uds-stream ÷ tcp MB/s")
    ul = [d.med(m) / d.med("pipe") for m in d.have(UDS)]
    ut = [d.mps(m, 64) / d.mps("pipe", 64) for m in d.have(UDS)]
    q("cmp-conclusions", "64 B 的往返是管道的 {}～{} 倍，64 B 消息的吞吐量只有管道的 {}%～{}%",
      [f1(min(ul)), f1(max(ul)), pct(min(ut)), pct(max(ut))], "same: each uds ÷ pipe, latency and 64 B msgs/s")

    q("cmp-conclusions", "64 KiB 消息时 `shm-futex` 的吞吐量是管道的 {} 倍（{} GB/s 对 {} GB/s）",
      [f1(d.mbs("shm-futex", 65536) / d.mbs("pipe", 65536)), gb(d.mbs("shm-futex", 65536)),
       gb(d.mbs("pipe", 65536))], "same: shm-futex ÷ pipe, 64 KiB")
    q("cmp-conclusions", "1 MiB 时是 {} 倍（{} GB/s 对 {} GB/s）",
      [f1(d.mbs("shm-futex", 1048576) / d.mbs("pipe", 1048576)), gb(d.mbs("shm-futex", 1048576)),
       gb(d.mbs("pipe", 1048576))], "same: shm-futex ÷ pipe, 1 MiB")
    us_p = [d.mbs("uds-stream", s) / d.mbs("pipe", s) for s in (65536, 1048576)]
    q("cmp-conclusions", "Unix 域流套接字在 64 KiB 以上比管道快 {}～{} 倍",
      [f1(min(us_p)), f1(max(us_p))], "same: uds-stream ÷ pipe at 64 KiB and 1 MiB")

    half1m = d.mbs("memcpy", 1048576) / 2
    q("cmp-conclusions", "1 MiB 时管道达到这个上限的 {}%（{} GB/s 对 {}÷2 GB/s）",
      [pct(d.mbs("pipe", 1048576) / half1m), gb(d.mbs("pipe", 1048576)), gb(d.mbs("memcpy", 1048576))],
      "same: pipe ÷ (memcpy ÷ 2), 1 MiB")
    q("cmp-conclusions", "64 KiB 时 `shm-futex` 达到 {}%",
      [pct(d.mbs("shm-futex", 65536) / (d.mbs("memcpy", 65536) / 2))], "same: shm-futex ÷ (memcpy ÷ 2), 64 KiB")

    kern_ratio = [d.med(m, "split") / d.med(m, "same") for m in d.have(SLEEPERS)]
    q("cmp-conclusions", "所有睡眠式机制的往返都慢了 {}～{} 倍（从 {}～{} µs 变成 {}～{} µs",
      [f0(min(kern_ratio)), f0(max(kern_ratio)),
       f1(min(d.med(m) for m in d.have(SLEEPERS))), f1(max(d.med(m) for m in d.have(SLEEPERS))),
       f0(min(sl_split)), f0(max(sl_split))], "each sleeper: split ÷ same; the ranges in µs")
    tail = [d.p99(m, "split") / d.med(m, "split") for m in d.have(SLEEPERS)]
    q("cmp-conclusions", "p99 只是中位数的 {}～{} 倍",
      [f1(min(tail)), f1(max(tail))], "split: p99 ÷ median of each sleeper")
    fs = [d.med(m, "free") / d.med(m) for m in d.have(SLEEPERS)]
    q("cmp-conclusions", "睡眠式机制不绑定与同一个核之比在 {}～{}）",
      [f2(min(fs)), f2(max(fs))], "each sleeper: free ÷ same")
    # the ring of chapter 7 and the queues of chapter 9
    ring64 = d.mps("shm-ring", 64)
    q("cmp-conclusions", "64 B 消息的吞吐量是管道的 {} 倍、`shm-futex` 的 {} 倍。",
      [f0(ring64 / d.mps("pipe", 64)), f0(ring64 / d.mps("shm-futex", 64))],
      "same: shm-ring ÷ pipe and ÷ shm-futex, 64 B msgs/s")
    rf = lambda c, s: d.mbs("shm-ring", s, c) / d.mbs("shm-futex", s, c)
    q("cmp-conclusions", "64 KiB 时是 `shm-futex` 的 {} 倍，1 MiB 时是 {} 倍；不绑定时是 {} 倍和 {} 倍",
      [f2(rf("same", 65536)), f2(rf("same", 1048576)), f2(rf("free", 65536)), f2(rf("free", 1048576))],
      "shm-ring ÷ shm-futex MB/s at 64 KiB and 1 MiB, same then free")
    rs = d.med("shm-ring", "split")
    q("cmp-conclusions", "它的往返是 {} µs，只有 `shm-futex`（{} µs）的 1/{}，\n和只自旋的 `shm-spin`（{} µs）",
      [us(rs), us(d.med("shm-futex", "split")), f0(d.med("shm-futex", "split") / rs),
       us(d.med("shm-spin", "split"))], "split: shm-ring, shm-futex, shm-spin medians")
    q("cmp-conclusions", "往返是 {} µs，是管道的 {} 倍",
      [us(d.med("shm-ring")), f0(d.med("shm-ring") / d.med("pipe"))], "same: shm-ring, ÷ pipe")
    q("cmp-conclusions", "`shm-ring-sleep` 在同一个核上和 `futex-wake` 几乎一样（{} 倍）",
      [f2(d.med("shm-ring-sleep") / fw)], "same: shm-ring-sleep ÷ futex-wake")
    q("cmp-conclusions", "64 B 的往返是管道的 {} 倍、`uds-dgram` 的 {} 倍",
      [f1(d.med("mq") / d.med("pipe")), f2(d.med("mq") / d.med("uds-dgram"))], "same: mq ÷ pipe, ÷ uds-dgram")
    q("cmp-conclusions", "64 B 消息的吞吐量只有管道的 {}%，1 MiB 时只有管道的 {}%",
      [pct(d.mps("mq", 64) / d.mps("pipe", 64)), pct(d.mbs("mq", 1048576) / d.mbs("pipe", 1048576))],
      "same: mq ÷ pipe, 64 B msgs/s and 1 MiB MB/s")
    q("cmp-conclusions", "（管道 1 MiB 只有同一个核上的 {}%）",
      [pct(d.mbs("pipe", 1048576, "free") / d.mbs("pipe", 1048576))], "pipe 1 MiB MB/s: free ÷ same")
    # the advice list
    q("cmp-conclusions", "（小消息的往返约 {} 倍）",
      [f1(statistics.mean(ul))], "same: the mean of uds-* ÷ pipe, 64 B round trip")
    shm_p = [d.mbs(m, s) / d.mbs("pipe", s) for m in ("shm-futex", "shm-sem") for s in (65536, 1048576)]
    q("cmp-conclusions", "吞吐量是管道的 {}～{} 倍；代价是同步要自己写",
      [f1(min(shm_p)), f1(max(shm_p))], "same: shm-futex and shm-sem ÷ pipe at 64 KiB and 1 MiB")
    q("cmp-conclusions", "64 B 消息的吞吐量是管道的 {} 倍。代价是",
      [f0(ring64 / d.mps("pipe", 64))], "same: shm-ring ÷ pipe, 64 B msgs/s")

    # sec:cmp-ipc-bench, its last paragraph (the rest of it is the earlier machine's)
    q("cmp-ipc-bench", "`shm-futex` 的往返中位数是 `futex-wake` 的 {} 倍，\n`shm-sem` 是 {} 倍",
      [f2(d.med("shm-futex", "free") / fwf), f2(d.med("shm-sem", "free") / fwf)], "free: ÷ futex-wake")

    # sec:cmp-exercises
    q("cmp-exercises", "`shm-spin` 在同一个核上的往返依然是 {} µs，比 `shm-futex` 慢 {} 倍",
      [us(d.med("shm-spin")), f0(d.med("shm-spin") / d.med("shm-futex"))], "same: shm-spin, ÷ shm-futex")
    q("cmp-exercises", "4 KiB 消息的吞吐量只有 {} MB/s，是 `shm-futex` 的 1/{}",
      [f0(d.mbs("shm-spin", 4096)), f0(d.mbs("shm-futex", 4096) / d.mbs("shm-spin", 4096))],
      "same: shm-spin 4 KiB MB/s; shm-futex ÷ shm-spin")
    q("cmp-exercises", "同一个核上的往返是 {} µs，比 `shm-spin` 好得多，仍是管道的 {} 倍",
      [us(d.med("shm-ring")), f0(d.med("shm-ring") / d.med("pipe"))], "same: shm-ring, ÷ pipe")
    mc = d.mbs("memcpy", 1048576)
    t_copy = 1048576 / mc          # µs: bytes ÷ (10^6 bytes/s) = µs
    t_msg = 1048576 / d.mbs("shm-futex", 1048576)
    q("cmp-exercises", "`memcpy` 在 1 MiB 时约 {} GB/s，复制 1 MiB 约 {} µs",
      [f0(mc / 1000), f0(t_copy)], "same: memcpy 1 MiB MB/s; 1 MiB ÷ it")
    q("cmp-exercises", "传一条 1 MiB 消息约 {} µs（{} GB/s）。省掉接收方的那次复制，每条消息约快 {} µs，\n   吞吐量大约提高到 {} 倍",
      [f0(t_msg), gb(d.mbs("shm-futex", 1048576)), f0(t_copy), f2(t_msg / (t_msg - t_copy)) if t_msg > t_copy else "?"],
      "same: 1 MiB ÷ shm-futex MB/s; that ÷ (that − the copy)")
    q("cmp-exercises", "1 MiB 时 `shm-ring` 是 {} GB/s，`shm-futex` 的 {} 倍；\n   不绑定时是 {} 倍",
      [gb(d.mbs("shm-ring", 1048576)), f2(rf("same", 1048576)), f2(rf("free", 1048576))],
      "shm-ring 1 MiB MB/s, ÷ shm-futex, same then free")
    return Q


def claims(d):
    """(what the prose says, whether the data agree)."""
    C = []

    def c(what, ok):
        C.append((what, bool(ok)))

    SL, K = d.have(SLEEPERS), 1048576
    mechs = [m for m in d.lat["same"] if m not in LIMITS]
    fw, fwf = d.med("futex-wake"), d.med("futex-wake", "free")
    fr, sm = d.spread("free"), d.spread("same")
    c("conclusions: -c 0,0 spreads no more than free (p99 ÷ median quartiles; the upper within 0.05)",
      sm[0] <= fr[0] and sm[1] <= fr[1] + 0.05)
    c("conclusions: unpinned, pipe, fifo, shm-futex, shm-sem are within 0.8-1.3x of futex-wake",
      all(0.8 * fwf <= d.med(m, "free") <= 1.3 * fwf for m in d.have(WAKERS)))
    c("conclusions: on one CPU, some of pipe, fifo, shm-futex, shm-sem are faster than futex-wake",
      any(d.med(m) < fw for m in d.have(WAKERS)))
    c("conclusions: a pipe round trip costs well over 2x one write+read", d.med("pipe") > 2 * d.med("write+read"))
    c("conclusions: shm-futex's round trip is not lower than pipe's (pipe ÷ shm-futex <= 1.25)",
      d.med("pipe") / d.med("shm-futex") <= 1.25)
    c("conclusions: on one CPU pipe and shm-futex are within 1.25x either way (\"两者几乎一样\")",
      1 / 1.25 <= d.med("pipe") / d.med("shm-futex") <= 1.25)
    c("conclusions: shm-spin across two CPUs is >= 10x below every sleeper there",
      all(d.med(m, "split") >= 10 * d.med("shm-spin", "split") for m in SL))
    c("conclusions: shm-spin on one CPU is slower than pipe", d.med("shm-spin") > d.med("pipe"))
    c("conclusions: tcp's round trip is longer than uds-stream's and uds-dgram's",
      d.med("tcp") > max(d.med("uds-stream"), d.med("uds-dgram")))
    c("conclusions: uds-stream outruns tcp at 64 KiB and 1 MiB",
      all(d.mbs("uds-stream", s) > d.mbs("tcp", s) for s in (65536, K)))
    c("conclusions: uds-* cost more than pipe: longer 64 B round trip, fewer 64 B messages",
      all(d.med(m) > d.med("pipe") and d.mps(m, 64) < d.mps("pipe", 64) for m in d.have(UDS)))
    c("conclusions: shm-futex outruns pipe at 64 KiB and 1 MiB",
      all(d.mbs("shm-futex", s) > d.mbs("pipe", s) for s in (65536, K)))
    c("conclusions: the fastest at 64 KiB and at 1 MiB is shared memory (shm-*)",
      all(max(mechs, key=lambda m: d.mbs(m, s)).startswith("shm-") for s in (65536, K)))
    c("conclusions: uds-stream outruns pipe at 64 KiB and 1 MiB",
      all(d.mbs("uds-stream", s) > d.mbs("pipe", s) for s in (65536, K)))
    c("conclusions: on one CPU, pipe and shm-futex stay below half of memcpy at every size",
      all(d.mbs(m, s) < d.mbs("memcpy", s) / 2 for m in ("pipe", "shm-futex")
          for s in (64, 4096, 65536, K)))
    two = d.have(KERNEL + ["shm-futex", "shm-sem", "shm-spin"])
    c("mechanisms (memcpy bullet): on one CPU no two-copy mechanism exceeds about half of memcpy (0.55)",
      all(d.mbs(m, s) <= 0.55 * d.mbs("memcpy", s) for m in two for s in (64, 4096, 65536, K)))
    c("conclusions, exercise 5: every sleeper is >= 2x slower across two CPUs than on one",
      all(d.med(m, "split") >= 2 * d.med(m) for m in SL))
    c("conclusions, exercise 5: on the idle machine free is like split, not like one CPU (free >= 2x same)",
      all(d.med(m, "free") >= 2 * d.med(m) for m in SL))
    c("conclusions: across two CPUs the tail is short (p99 <= 3x median for every sleeper)",
      all(d.p99(m, "split") <= 3 * d.med(m, "split") for m in SL))
    c("conclusions: the free throughput table is noisy (pipe 1 MiB free < half of same)",
      d.mbs("pipe", K, "free") < 0.5 * d.mbs("pipe", K))
    c("conclusions: shm-ring sends the most 64 B messages per second of all mechanisms",
      max(mechs, key=lambda m: d.mps(m, 64)).startswith("shm-ring"))
    c("conclusions: shm-ring's round trip across two CPUs is below shm-futex's, on one CPU above pipe's",
      d.med("shm-ring", "split") < d.med("shm-futex", "split") and d.med("shm-ring") > d.med("pipe"))
    c("conclusions: mq is not faster than pipe (round trip, 64 B and 1 MiB throughput)",
      d.med("mq") >= d.med("pipe") and d.mps("mq", 64) < d.mps("pipe", 64)
      and d.mbs("mq", K) < d.mbs("pipe", K))
    kern = d.have(KERNEL)
    c("advice: pipe's 64 B round trip and messages per second are the kernel mechanisms' best (within 15%)",
      d.med("pipe") <= 1.15 * min(d.med(m) for m in kern)
      and d.mps("pipe", 64) >= 0.85 * max(d.mps(m, 64) for m in kern))
    c("advice: fifo performs as pipe does (64 B round trip and 64 B throughput within 25%)",
      0.8 <= d.med("fifo") / d.med("pipe") <= 1.25 and 0.8 <= d.mps("fifo", 64) / d.mps("pipe", 64) <= 1.25)
    c("ipc-bench: unpinned, shm-futex and shm-sem are within 2x of futex-wake",
      max(d.med("shm-futex", "free"), d.med("shm-sem", "free")) < 2 * fwf)
    c("conclusions: shm-ring-sleep on one CPU is about futex-wake (0.7-1.3x)",
      0.7 <= d.med("shm-ring-sleep") / fw <= 1.3)
    c("conclusions: shm-ring across two CPUs is within 10x of shm-spin (same order)",
      d.med("shm-ring", "split") <= 10 * d.med("shm-spin", "split"))
    c("exercise 2: shm-spin on one CPU is >= 100x shm-futex", d.med("shm-spin") >= 100 * d.med("shm-futex"))
    c("exercise 2: shm-ring on one CPU is below shm-spin, above pipe",
      d.med("pipe") < d.med("shm-ring") < d.med("shm-spin"))
    c("exercise 5: across two CPUs every sleeper is slower than on one, every spinner faster",
      all(d.med(m, "split") > d.med(m) for m in SL)
      and all(d.med(m, "split") < d.med(m) for m in ("shm-spin", "shm-ring-spin", "shm-ring")))
    return C


def sections(text):
    """{anchor: (start, end)} of every section: from its heading to the next
    heading of the same or a higher level."""
    heads = [(m.start(), len(m[1]), m[2]) for m in
             re.finditer(r"^(#+) .*\{#sec:([\w-]+)", text, re.M)]
    out = {}
    for i, (start, level, name) in enumerate(heads):
        end = len(text)
        for s2, l2, _ in heads[i + 1:]:
            if l2 <= level:
                end = s2
                break
        out[name] = (start, end)
    return out


# "{}" in a template is a number, "{w}" a word (a mechanism's name, say).
SLOT = re.compile(r"\{w?\}")
NUM = r"[0-9?][0-9.,]*"
WORD = r"[^\s（）`，。]+"


def fill(tmpl, vals):
    it = iter(vals)
    return SLOT.sub(lambda m: str(next(it)), tmpl)


def pattern(tmpl):
    out, pos = [], 0
    for m in SLOT.finditer(tmpl):
        out.append(re.escape(tmpl[pos:m.start()]))
        out.append(NUM if m[0] == "{}" else WORD)
        pos = m.end()
    return "".join(out) + re.escape(tmpl[pos:])


def main(argv):
    global DIR
    if argv[:1] == ["--dir"] and len(argv) >= 2:
        DIR, argv = argv[1], argv[2:]
    if argv not in (["--check"], ["--write"], ["--print"]):
        sys.stderr.write(__doc__)
        return 2
    try:
        d = Data()
        Q, C = quotes(d), claims(d)
    except (OSError, KeyError, ValueError, IndexError) as e:
        print(f"ref-quotes: {DIR}/ is not a whole bench-ipc run: {type(e).__name__}: {e}",
              file=sys.stderr)
        return 1
    if argv == ["--print"]:
        for sec, tmpl, vals, how in Q:
            print(f"{sec}: {fill(tmpl, vals)}\n    {how}")
        for what, ok in C:
            print(f"claim {'holds' if ok else 'FAILS'}: {what}")
        return 0
    text = open(CHAPTER, encoding="utf-8").read()
    bad = 0
    for sec, tmpl, vals, how in Q:
        secs = sections(text)
        if sec not in secs:
            print(f"ref-quotes: {CHAPTER}: no section sec:{sec}", file=sys.stderr)
            bad = 1
            continue
        a, b = secs[sec]
        body = text[a:b]
        want = fill(tmpl, vals)
        if argv == ["--check"]:
            if want not in body:
                print(f"ref-quotes: {CHAPTER} #sec:{sec} does not say \"{want}\" ({how})",
                      file=sys.stderr)
                bad = 1
            continue
        found = list(re.finditer(pattern(tmpl), body))
        if len(found) != 1:
            print(f"ref-quotes: {CHAPTER} #sec:{sec}: \"{tmpl}\" occurs {len(found)} times, "
                  "not once: not rewritten", file=sys.stderr)
            bad = 1
            continue
        m = found[0]
        text = text[:a + m.start()] + want + text[a + m.end():]
    for what, ok in C:
        if not ok:
            print(f"ref-quotes: the prose says what the data in {DIR}/ do not: {what}",
                  file=sys.stderr)
            bad = 1
    if argv == ["--write"]:
        with open(CHAPTER + ".tmp", "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(CHAPTER + ".tmp", CHAPTER)
        print(f"ref-quotes: wrote the quoted figures of {CHAPTER}")
    elif not bad:
        print(f"ref-quotes: every quoted figure agrees with {DIR}/")
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
