"""Remote-read wall time: one hour of one series, and one hour of 1,000
series, read by a real Prometheus (Debian's, remote_read with
read_recent: true) through PromQL, and read directly from sluice's
/api/v1/read (SAMPLES and STREAMED_XOR_CHUNKS) for comparison.

usage: python3 perf/remote_read.py PATH/TO/sluice [REPEATS]
Prints one markdown table row per query: median and best wall time over
REPEATS (default 5) runs, and what the reply held.
"""

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import prompb_wire as pw  # noqa: E402
from harness import Sluice, free_port  # noqa: E402

NOW = int(time.time())
T0 = NOW - 3660  # one hour of data ending a minute ago


def send(s, lines):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    batch = []
    size = 0
    sent = 0
    for line in lines:
        if size + len(line) + 1 > 1400:
            u.sendto("\n".join(batch).encode(), ("127.0.0.1", s.port))
            sent += 1
            if sent % 64 == 0:
                time.sleep(0.002)  # stay under the socket buffer
            batch, size = [], 0
        batch.append(line)
        size += len(line) + 1
    if batch:
        u.sendto("\n".join(batch).encode(), ("127.0.0.1", s.port))


def load(s):
    lines = [f"perf.single:{(i * 7919) % 1000 / 8}|g|#host:a|T{T0 + i}"
             for i in range(3600)]
    for i in range(360):
        for k in range(1000):
            lines.append(f"perf.many:{(i + k) % 17}|c|#host:h{k:04d},"
                         f"env:prod|T{T0 + i * 10}")
    send(s, lines)
    want = len(lines)
    got = s.wait_total("sluice_points_ingested_total", want, timeout=60)
    if got != want:
        raise SystemExit(f"sluice took {got} of {want} samples")
    s.flush()


def prometheus(s, tmp):
    port = free_port()
    cfg = os.path.join(tmp, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write(f"remote_read:\n  - url: http://127.0.0.1:{s.http_port}"
                "/api/v1/read\n    read_recent: true\n")
    p = subprocess.Popen(["prometheus", f"--config.file={cfg}",
                          f"--storage.tsdb.path={tmp}/tsdb",
                          f"--web.listen-address=127.0.0.1:{port}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready",
                                   timeout=1)
            return p, port
        except OSError:
            time.sleep(0.1)
    raise SystemExit("prometheus did not start")


def size(n):
    return f"{n / 1e6:.2f} MB" if n >= 100000 else f"{n / 1e3:.1f} kB"


def timed(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), out


def main():
    binary = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    s = Sluice(binary)
    tmp = tempfile.mkdtemp(prefix="sluice-perf-rread-")
    p = None
    try:
        load(s)
        p, port = prometheus(s, tmp)
        end = T0 + 3600

        def promql(path, **params):
            url = (f"http://127.0.0.1:{port}{path}?" +
                   urllib.parse.urlencode(params))
            with urllib.request.urlopen(url, timeout=120) as r:
                body = r.read()
            return f"{size(len(body))} JSON"

        def direct(name, accepted):
            q = [(T0 * 1000, end * 1000, [(pw.EQ, "__name__", name)])]
            body = pw.snappy_compress(pw.read_request(q, accepted))
            req = urllib.request.Request(
                s.url("/api/v1/read"), data=body, method="POST",
                headers={"Content-Encoding": "snappy"})
            with urllib.request.urlopen(req, timeout=120) as r:
                b = r.read()
            return size(len(b))

        rows = [
            ("PromQL `perf_single[1h]` (3,600 raw samples)",
             lambda: promql("/api/v1/query", query="perf_single[1h]",
                            time=end)),
            ("PromQL `sum_over_time(perf_single[1m])`, 1 h, step 60 s",
             lambda: promql("/api/v1/query_range",
                            query="sum_over_time(perf_single[1m])",
                            start=T0 + 60, end=end, step=60)),
            ("PromQL `count_over_time(perf_many[1h])` (1,000 series, "
             "360,000 samples)",
             lambda: promql("/api/v1/query",
                            query="count_over_time(perf_many[1h])",
                            time=end)),
            ("PromQL `sum(sum_over_time(perf_many[1m]))`, 1 h, step 60 s",
             lambda: promql("/api/v1/query_range",
                            query="sum(sum_over_time(perf_many[1m]))",
                            start=T0 + 60, end=end, step=60)),
            ("direct SAMPLES, perf_single",
             lambda: direct("perf_single", [])),
            ("direct STREAMED_XOR_CHUNKS, perf_single",
             lambda: direct("perf_single", [1])),
            ("direct SAMPLES, perf_many (1,000 series)",
             lambda: direct("perf_many", [])),
            ("direct STREAMED_XOR_CHUNKS, perf_many (1,000 series)",
             lambda: direct("perf_many", [1])),
        ]
        print(f"| read | median | best | reply |\n|---|---|---|---|")
        for what, fn in rows:
            med, best, out = timed(fn, repeats)
            print(f"| {what} | {med * 1000:.1f} ms | {best * 1000:.1f} ms "
                  f"| {out} |", flush=True)
    finally:
        if p:
            p.terminate()
            p.wait()
        s.close()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
