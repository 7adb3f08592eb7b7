"""Slow senders that declare large bodies against a real `sluice run` (the
body-budget audit): each connection declares a body near the bound and
sends 5 KB of it. Declared lengths used to be held up front, so a few such
connections (40 KB sent) filled a shard's 128 MiB OTLP/HTTP budget and
every other client's body got 503 for the 30 s body deadline. Now a body
holds what arrived (a 16 KiB window, then at most twice what came): the
slow connections hold little, another client's ordinary request is
served, nothing is counted as refused for memory, and what they held goes
back when they close (but the small buffer an OTLP/HTTP slot keeps). The same on the query port's 1 GiB budget.

usage: /usr/bin/python3 test_http_slow_body.py PATH/TO/sluice
"""

import os
import socket
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Sluice, check, main, parse_metrics, sum_metric  # noqa: E402
from otlp_helpers import fixture, post  # noqa: E402

SLOW = 8                       # the audit's connections
SENT = 5000                    # bytes of body each sends
WINDOW = 16384                 # NET_HTTP_BODY_WINDOW_BYTES
OTLP_BUDGET = 128 << 20        # NET_OTLP_HTTP_MEMORY_BYTES_MAX (one shard)
HTTP_BUDGET = 1 << 30          # NET_HTTP_MEMORY_BYTES_MAX
# Declared so that, held up front, SLOW of them leave 512 bytes of the
# budget: less than any real request below.
OTLP_DECLARED = (OTLP_BUDGET - 512) // SLOW - 1
HTTP_DECLARED = (HTTP_BUDGET - 512) // (2 * SLOW) - 1


def metrics(s):
    with urllib.request.urlopen(s.url("/metrics"), timeout=10) as r:
        return parse_metrics(r.read().decode())


def wait_gauge(s, name, ok, timeout=8.0):
    """The gauge's value once ok(value) holds (bounded wait)."""
    deadline = time.time() + timeout
    v = None
    while time.time() < deadline:
        v = sum_metric(metrics(s), name)
        if ok(v):
            return v
        time.sleep(0.05)
    raise AssertionError(f"{name} stayed at {v}")


def slow_senders(port, path, declared, n):
    conns = []
    for _ in range(n):
        c = socket.create_connection(("127.0.0.1", port), timeout=10)
        c.sendall((f"POST {path} HTTP/1.1\r\nHost: t\r\n"
                   f"Content-Type: application/x-protobuf\r\n"
                   f"Content-Length: {declared}\r\n\r\n").encode()
                  + b"\x0a" * SENT)
        conns.append(c)
    return conns


def test_otlp_http_slow_senders(binary):
    s = Sluice(binary)
    conns = []
    try:
        conns = slow_senders(s.otlp_http_port, "/v1/metrics",
                             OTLP_DECLARED, SLOW)
        held = wait_gauge(s, "sluice_otlp_http_memory_bytes",
                          lambda v: v >= SLOW * WINDOW)
        check(held <= SLOW * 4 * WINDOW,
              f"{SLOW} slow senders hold {held} bytes, not what they sent")
        # Another client's ordinary request (952 bytes) is served.
        st, _, body = post(s, "/v1/metrics", fixture("metrics.bin"))
        check(st == 200, f"a normal request beside the slow ones: {st} "
                         f"{body[:200]!r}")
        m = metrics(s)
        check(sum_metric(m, "sluice_otlp_http_rejected_total",
                         reason="memory") == 0, "nothing refused for memory")
        for c in conns:
            c.close()
        conns = []
        # A closed connection's slot keeps a small body buffer (at most
        # NET_HTTP_BODY_KEEP_BYTES) for the next one: no more is held.
        wait_gauge(s, "sluice_otlp_http_connections", lambda v: v == 0)
        after = wait_gauge(s, "sluice_otlp_http_memory_bytes",
                           lambda v: v <= held + 1024)
        check(after <= (SLOW + 1) * WINDOW, f"held after close: {after}")
    finally:
        for c in conns:
            c.close()
        s.close()


def test_query_port_slow_senders(binary):
    s = Sluice(binary)
    conns = []
    try:
        conns = slow_senders(s.http_port, "/api/v1/flush", HTTP_DECLARED,
                             2 * SLOW)
        held = wait_gauge(s, "sluice_http_memory_bytes",
                          lambda v: v >= 2 * SLOW * WINDOW)
        check(held <= 2 * SLOW * 4 * WINDOW,
              f"{2 * SLOW} slow senders hold {held} bytes")
        req = urllib.request.Request(s.url("/api/v1/flush"),
                                     data=b"x" * 100000, method="POST")
        with urllib.request.urlopen(req, timeout=15) as r:
            check(r.status == 200, f"an upload beside the slow ones: "
                                   f"{r.status}")
        check(sum_metric(metrics(s), "sluice_http_rejected_total",
                         reason="memory") == 0, "nothing refused for memory")
        for c in conns:
            c.close()
        conns = []
        wait_gauge(s, "sluice_http_memory_bytes", lambda v: v == 0)
    finally:
        for c in conns:
            c.close()
        s.close()


if __name__ == "__main__":
    main([test_otlp_http_slow_senders, test_query_port_slow_senders])
