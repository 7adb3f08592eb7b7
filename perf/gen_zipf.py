#!/usr/bin/env python3
"""Write a fleet-like DogStatsD file with realistic cardinality (issue 13).

Series are drawn Zipf-skewed (rank r with weight 1/r^s) from a fixed set of
tagged series: 3-5 DogStatsD tags each, the tag order fixed per series (as
a client library sends them, not sorted), types mixed (c, some @0.5; g; ms,
some @0.1; h; d; s with member values), about 90 bytes a line.

  perf/gen_zipf.py --lines 4000000 --series 50000 --zipf 0.8 --out FILE

Deterministic for a given --seed. Prints the line count, distinct series
drawn and mean bytes per line to stderr.
"""
import argparse
import bisect
import itertools
import random
import sys

APPS = ["api", "web", "db", "cache", "queue", "auth", "search", "billing"]
WHAT = ["request.latency", "request.count", "errors", "bytes.sent",
        "pool.size", "gc.pause", "queue.depth", "cpu.user", "users.active"]
TYPES = ["c", "c", "g", "ms", "ms", "h", "d", "s"]


def make_series(n, rnd):
    out = []
    for i in range(n):
        app = APPS[i % len(APPS)]
        name = "%s.%s" % (app, WHAT[(i // len(APPS)) % len(WHAT)])
        tags = ["env:%s" % ("prod" if i % 5 else "staging"),
                "host:%s-%04d" % (app, i % 1500),
                "region:%s" % ["us-east-1", "eu-west-1", "ap-south-1"][i % 3]]
        extra = rnd.randint(0, 2)
        if extra >= 1:
            tags.append("team:t%02d" % (i % 40))
        if extra >= 2:
            tags.append("version:1.%d.%d" % (i % 7, i % 13))
        rnd.shuffle(tags)   # a sender's own order, kept for the series
        typ = TYPES[i % len(TYPES)]
        out.append((name, typ, ",".join(tags)))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=4000000)
    ap.add_argument("--series", type=int, default=50000)
    ap.add_argument("--zipf", type=float, default=0.8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    series = make_series(a.series, rnd)
    order = list(range(a.series))
    rnd.shuffle(order)  # popularity is not the generation order
    cum = list(itertools.accumulate(1.0 / (r + 1) ** a.zipf
                                    for r in range(a.series)))
    total = cum[-1]
    seen, nbytes = set(), 0
    with open(a.out, "w") as f:
        buf = []
        for _ in range(a.lines):
            k = order[bisect.bisect_left(cum, rnd.random() * total)]
            seen.add(k)
            name, typ, tags = series[k]
            if typ == "c":
                line = "%s:%d|c%s|#%s" % (name, rnd.randint(1, 20),
                                          "|@0.5" if k % 4 == 0 else "", tags)
            elif typ == "s":
                line = "%s:user%d|s|#%s" % (name, rnd.randint(0, 5000), tags)
            elif typ == "ms":
                line = "%s:%.3f|ms%s|#%s" % (name, rnd.uniform(0.1, 900),
                                             "|@0.1" if k % 3 == 0 else "",
                                             tags)
            else:
                line = "%s:%.2f|%s|#%s" % (name, rnd.uniform(0, 1e4), typ,
                                           tags)
            buf.append(line)
            nbytes += len(line) + 1
            if len(buf) == 65536:
                f.write("\n".join(buf) + "\n")
                buf = []
        if buf:
            f.write("\n".join(buf) + "\n")
    print("lines %d series_drawn %d bytes/line %.1f" %
          (a.lines, len(seen), nbytes / a.lines), file=sys.stderr)


if __name__ == "__main__":
    main()
