#!/usr/bin/env python3
"""perf/otlp_http_load.py - OTLP/HTTP request latency and rate of `sluice
run`, with its data directory on a disk (every 200 waits for an fsync)
and on tmpfs (the fsync costs next to nothing): the difference is what the
durable reply costs.

Each of --conns keep-alive connections (one thread each) posts the same
ExportMetricsServiceRequest (--points gauge points, 5 attributes each,
over 100 series; protobuf, identity) for --seconds and times each request
from its first byte sent to its reply's last byte read.

usage: perf/otlp_http_load.py SLUICE [--disk-dir D] [--tmpfs-dir D]
           [--conns N] [--points N] [--seconds S] [--cpu-server N]
Prints one line per case: requests/s, points/s, p50/p90/p99/max in ms.
"""

import argparse
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time


def varint(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, payload):
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def kv(k, v):
    return field(1, k.encode()) + field(2, field(1, v.encode()))


def request(points, now_ns):
    """ExportMetricsServiceRequest: 100 gauges, points/100 points each."""
    metrics = b""
    per = max(1, points // 100)
    for m in range(100):
        dps = b""
        for p in range(per):
            attrs = b"".join(field(7, kv(k, f"{k}-{(p * 7 + i) % 10}"))
                             for i, k in enumerate(
                                 ("host", "region", "pod", "route", "code")))
            dp = (attrs + varint(3 << 3 | 1) + struct.pack("<Q", now_ns)
                  + varint(4 << 3 | 1) + struct.pack("<d", p * 1.5))
            dps += field(1, dp)
        metrics += field(2, field(1, f"load.gauge_{m}".encode())
                         + field(5, dps))
    scope = field(2, metrics)
    res = field(1, field(1, kv("service.name", "load")))
    return field(1, res + scope), per * 100


def http_request(body, port):
    return (b"POST /v1/metrics HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
            b"Content-Type: application/x-protobuf\r\n"
            b"Content-Length: %d\r\n\r\n" % (port, len(body))) + body


def read_reply(sock, buf):
    """Read one reply; returns (status, rest of buf)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    n = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v)
    while len(rest) < n:
        rest += sock.recv(65536)
    return status, rest[n:]


def worker(port, req, stop_at, lat, errors):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    while time.time() < stop_at:
        t0 = time.perf_counter()
        s.sendall(req)
        status, buf = read_reply(s, buf)
        lat.append(time.perf_counter() - t0)
        if status != 200:
            errors.append(status)
    s.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_case(args, data_parent, label):
    data = tempfile.mkdtemp(prefix="sluice-otlp-perf-", dir=data_parent)
    port, http = free_port(), free_port()
    cmd = ["taskset", "-c", str(args.cpu_server), args.sluice, "run",
           "--cores", "1", "--data-dir", data, "--statsd-udp", "off",
           "--statsd-tcp", "off", "--syslog-udp", "off", "--syslog-tcp",
           "off", "--http", f"127.0.0.1:{http}", "--otlp-http",
           f"127.0.0.1:{port}"]
    p = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port)).close()
                break
            except OSError:
                time.sleep(0.05)
        body, points = request(args.points, time.time_ns())
        req = http_request(body, port)
        # warm-up: the first segment file and its directory entry
        worker(port, req, time.time() + 0.5, [], [])
        lats = [[] for _ in range(args.conns)]
        errors = []
        stop_at = time.time() + args.seconds
        t0 = time.time()
        ts = [threading.Thread(target=worker,
                               args=(port, req, stop_at, lats[i], errors))
              for i in range(args.conns)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        took = time.time() - t0
        lat = sorted(x for lst in lats for x in lst)
        n = len(lat)

        def pct(q):
            return lat[min(n - 1, int(q * n))] * 1000

        print(f"{label:6s} conns {args.conns:2d} points/request {points}: "
              f"{n / took:8.0f} requests/s {n * points / took:10.0f} points/s"
              f"  latency ms p50 {pct(0.5):6.2f} p90 {pct(0.9):6.2f} "
              f"p99 {pct(0.99):6.2f} max {lat[-1] * 1000:6.2f}"
              f"  non-200 {len(errors)}", flush=True)
    finally:
        p.terminate()
        p.wait()
        shutil.rmtree(data, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sluice")
    ap.add_argument("--disk-dir", default=tempfile.gettempdir())
    ap.add_argument("--tmpfs-dir", default="/dev/shm")
    ap.add_argument("--conns", type=int, default=1)
    ap.add_argument("--points", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--cpu-server", type=int, default=0)
    args = ap.parse_args()
    for parent, label in ((args.tmpfs_dir, "tmpfs"), (args.disk_dir, "disk")):
        run_case(args, parent, label)


if __name__ == "__main__":
    sys.exit(main())
