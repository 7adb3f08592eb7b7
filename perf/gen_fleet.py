#!/usr/bin/env python3
"""Write a regular fleet as DogStatsD lines with |T timestamps (issue 14).

N tagged series (default 10,000: 20 metric names x 500 hosts, tags env,
region, host, role), each reporting one point every 10 s for an hour
(360 points, 3.6M lines), in time order (all series of one interval, then
the next), as a fleet of agents does. Types: half gauges (a random walk
with one decimal: cpu, memory, temperatures), half counters (small integer
increments per interval). The same points (same values) can be
written in Prometheus text exposition form with --prom (for
VictoriaMetrics' /api/v1/import/prometheus), with timestamps in ms.

  perf/gen_fleet.py --series 10000 --hours 1 --out FILE [--prom]

Deterministic for a given --seed.
"""
import argparse
import random
import sys

GAUGES = ["cpu.user", "cpu.system", "mem.used_pct", "disk.used_pct",
          "temp.cpu", "load.1m", "net.conns", "proc.threads", "gc.heap_mb",
          "queue.depth"]
COUNTERS = ["http.requests", "http.errors", "bytes.in", "bytes.out",
            "db.queries", "cache.hits", "cache.misses", "jobs.done",
            "logins", "retries"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=10000)
    ap.add_argument("--hours", type=float, default=1.0)
    ap.add_argument("--step", type=int, default=10)
    ap.add_argument("--start", type=int, default=1700000000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--prom", action="store_true")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    names = GAUGES + COUNTERS
    hosts = max(1, a.series // len(names))
    series = []
    for i in range(a.series):
        name = names[i % len(names)]
        h = i // len(names)
        tags = [("env", "prod" if h % 4 else "staging"),
                ("region", ["us-east-1", "eu-west-1", "ap-south-1"][h % 3]),
                ("host", "node-%04d" % h), ("role", ["web", "db", "cache"][h % 3])]
        gauge = name in GAUGES
        series.append([name, gauge, tags, rnd.uniform(10, 90) if gauge else 0])
    steps = int(a.hours * 3600 // a.step)
    n = 0
    with open(a.out, "w") as f:
        for k in range(steps):
            t = a.start + k * a.step
            buf = []
            for s in series:
                name, gauge, tags, v = s
                if gauge:
                    v = round(min(100.0, max(0.0, v + rnd.uniform(-2, 2))), 1)
                    s[3] = v
                    val = "%.1f" % v
                else:
                    val = "%d" % rnd.randint(0, 50)
                if a.prom:
                    lbl = ",".join('%s="%s"' % kv for kv in tags)
                    buf.append('%s{%s} %s %d' % (name.replace(".", "_"), lbl,
                                                 val, t * 1000))
                else:
                    tg = ",".join("%s:%s" % kv for kv in tags)
                    buf.append("%s:%s|%s|#%s|T%d" % (name, val,
                                                     "g" if gauge else "c",
                                                     tg, t))
                n += 1
            f.write("\n".join(buf) + "\n")
    print("points %d series %d" % (n, len(series)), file=sys.stderr)


if __name__ == "__main__":
    main()
