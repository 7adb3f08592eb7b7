#!/usr/bin/env python3
"""Feed a fleet file (perf/gen_fleet.py) to a running sluice as a live
fleet does, and report the bytes a stored point before and after the
background compaction of `sluice run --compact-after` (issue 14).

Each interval (the lines of one |T second) is sent over StatsD/TCP in one
burst, then the feeder waits --gap-ms, so that every write-ahead block
holds about one point a series, as a live box's 1 s blocks do (run sluice
with --block-max-age-ms below the gap). --strip-t drops the |T stamps:
the points then carry arrival milliseconds, as from agents that send
none.

  perf/feed_fleet.py --sluice BIN --fleet FILE [--gap-ms 120] [--strip-t]
                     [--compact-after 1]

Prints one line: points, bytes, bytes/point while feeding (write-ahead,
what was not compacted yet) and once compaction has settled.
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))
from harness import free_port, parse_metrics, sum_metric  # noqa: E402


def du(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            if f.endswith(".seg"):
                total += os.path.getsize(os.path.join(root, f))
    return total


def total(http, name):
    with urllib.request.urlopen(f"http://127.0.0.1:{http}/metrics",
                                timeout=10) as r:
        return sum_metric(parse_metrics(r.read().decode()), name)


def intervals(path, strip):
    cur, buf = None, []
    tre = re.compile(r"\|T(\d+)$")
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            m = tre.search(line)
            t = m.group(1) if m else None
            if t != cur and buf:
                yield buf
                buf = []
            cur = t
            buf.append(line[:m.start()] if strip and m else line)
    if buf:
        yield buf


def parse_age(s):
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    m = re.fullmatch(r"(\d+)(ms|s|m|h)", s)
    return int(m.group(1)) * units[m.group(2)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--fleet", required=True)
    ap.add_argument("--gap-ms", type=int, default=120)
    ap.add_argument("--strip-t", action="store_true")
    ap.add_argument("--compact-after", default="1")
    ap.add_argument("--segment-max-age", default="10s")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="sluice-feed-")
    data = os.path.join(tmp, "data")
    port, http = free_port(), free_port()
    argv = [a.sluice, "run", "--cores", "1",
            "--statsd-tcp", f"127.0.0.1:{port}", "--statsd-udp", "off",
            "--syslog-udp", "off", "--syslog-tcp", "off",
            "--otlp-http", "off", "--otlp-grpc", "off",
            "--http", f"127.0.0.1:{http}", "--data-dir", data,
            "--block-max-age-ms", str(max(10, a.gap_ms // 2)),
            "--segment-max-age", a.segment_max_age,
            "--compact-after", a.compact_after]
    log = open(os.path.join(tmp, "log"), "w")
    proc = subprocess.Popen(argv, stdout=log, stderr=log)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{http}/-/ready",
                                   timeout=1)
            break
        except OSError:
            time.sleep(0.05)
    sent = 0
    t0 = time.time()
    with socket.create_connection(("127.0.0.1", port)) as c:
        for lines in intervals(a.fleet, a.strip_t):
            c.sendall(("\n".join(lines) + "\n").encode())
            sent += len(lines)
            time.sleep(a.gap_ms / 1000)
    while total(http, "sluice_points_ingested_total") < sent:
        time.sleep(0.2)
    req = urllib.request.Request(f"http://127.0.0.1:{http}/api/v1/flush",
                                 data=b"", method="POST")
    urllib.request.urlopen(req, timeout=30).read()
    feed_s = time.time() - t0
    fed = du(data)
    # one point after the segment age: the shard closes the segment that
    # holds the feed's tail, and it becomes compactable too
    time.sleep(parse_age(a.segment_max_age) + 0.5)
    with socket.create_connection(("127.0.0.1", port)) as c:
        c.sendall(b"feed.end:1|c\n")
    sent += 1
    while total(http, "sluice_points_ingested_total") < sent:
        time.sleep(0.2)
    urllib.request.urlopen(req, timeout=30).read()
    last, still = -1, 0
    while still < 8:  # compaction settled: nothing new for 8 s
        n = total(http, "sluice_compaction_segments_in_total")
        still = still + 1 if n == last else 0
        last = n
        time.sleep(1)
    m = {k: total(http, "sluice_compaction_" + k) for k in
         ("passes_total", "segments_in_total", "bytes_in_total",
          "bytes_out_total", "points_total", "failures_total",
          "skipped_segments_total")}
    settled = du(data)
    proc.terminate()
    proc.wait(timeout=10)
    print(f"points {sent} fed in {feed_s:.1f} s; at the end of the feed "
          f"{fed} bytes ({fed / sent:.3f} B/pt); settled {settled} bytes "
          f"({settled / sent:.3f} B/pt); compacted segments alone "
          f"{m['bytes_out_total'] / max(1, m['points_total']):.3f} B/pt; "
          f"compaction {m}")
    subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
