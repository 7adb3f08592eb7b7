"""Slow clients on the query port against a real `sluice run` (issue 16,
item 2): 300 slowloris connections from 127.0.0.1 trickle one byte every
0.5 s. Meanwhile /health and /metrics answer within 1 s (from the probe
reserve), another address is served normally, the connections over the
per-client bound are refused with 503 Retry-After: 1, the rest are closed
with 408 at the header deadline however many bytes they trickled, an idle
keep-alive connection is closed at the idle deadline, a trickled body at
the body deadline, and /metrics counts every one of them.

usage: /usr/bin/python3 test_http_slow.py PATH/TO/sluice
"""

import os
import select
import socket
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Sluice, check, main, parse_metrics, sum_metric  # noqa: E402

# core/base/limits.h
PER_CLIENT = 32        # NET_HTTP_CONNS_PER_CLIENT_MAX
RESERVE = 16           # NET_HTTP_CONNS_RESERVE_COUNT
HEADER_S = 10.0        # NET_HTTP_HEADER_TIMEOUT_MS
BODY_S = 30.0          # NET_HTTP_BODY_TIMEOUT_MS
IDLE_S = 10.0          # NET_HTTP_IDLE_TIMEOUT_MS
RESERVE_S = 2.0        # NET_HTTP_RESERVE_TIMEOUT_MS
SLACK_S = 2.5          # scheduling (2 shared cores), our 0.5 s tick

SLOW = 300
TICK_S = 0.5
SLOW_HEAD = (b"GET /api/v1/labels HTTP/1.1\r\nHost: t\r\nX-Slow: "
             + b"a" * 200)   # never complete within the test


class Conn:
    """A client connection and what became of it."""

    def __init__(self, port, src="127.0.0.1", data=b""):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5,
                                             source_address=(src, 0))
        self.t0 = time.monotonic()
        self.data = data      # bytes still to trickle
        self.reply = None     # what the server sent before closing
        self.t_end = None     # when that arrived (relative to t0)
        self.reset = False

    def readable(self):
        return bool(select.select([self.sock], [], [], 0)[0])

    def finish(self):
        """Read everything until EOF: the server answers, then closes."""
        out = b""
        self.sock.settimeout(3)
        try:
            while True:
                b = self.sock.recv(65536)
                if not b:
                    break
                out += b
        except ConnectionResetError:
            self.reset = True
        self.t_end = time.monotonic() - self.t0
        self.reply = out
        self.sock.close()

    def status(self):
        if not self.reply:
            return None
        return int(self.reply.split(b" ", 2)[1])

    def trickle(self):
        """Send the next byte unless the server has spoken."""
        if self.reply is not None:
            return
        if self.readable() or not self.data:
            self.finish()
            return
        try:
            self.sock.send(self.data[:1])
            self.data = self.data[1:]
        except (BrokenPipeError, ConnectionResetError):
            self.finish()


def refused_at_accept(conns):
    """Read the refusals the server sends as it accepts, before we send a
    byte (which could turn its close into a reset): until none has come
    for 0.3 s, within the reserve's deadline."""
    got, quiet, t_end = [], time.monotonic(), time.monotonic() + RESERVE_S / 2
    while time.monotonic() < t_end and time.monotonic() - quiet < 0.3:
        ready = select.select([c.sock for c in conns if c.reply is None],
                              [], [], 0.05)[0]
        for c in conns:
            if c.reply is None and c.sock in ready:
                c.finish()
                got.append(c)
                quiet = time.monotonic()
    return got


def timed_get(s, path, src=None):
    """(status, seconds) of one GET; src binds another loopback address."""
    t0 = time.monotonic()
    if src is None:
        with urllib.request.urlopen(s.url(path), timeout=1) as r:
            r.read()
            return r.status, time.monotonic() - t0
    c = Conn(s.http_port, src=src)
    c.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n"
                   "Connection: close\r\n\r\n".encode())
    c.finish()
    return c.status(), time.monotonic() - t0


def probe_all(s, probes):
    for path in ("/health", "/metrics"):
        try:
            status, secs = timed_get(s, path)
        except OSError as e:
            status, secs = str(e), None
        probes.append((path, status, secs))


def test_slowloris(binary):
    s = Sluice(binary)
    conns = []
    try:
        # A keep-alive connection that goes quiet after one request.
        idle = Conn(s.http_port)
        idle.sock.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        check(idle.sock.recv(4096).startswith(b"HTTP/1.1 200 "), "idle: 200")
        idle.t0 = time.monotonic()
        # A body that trickles: 1000 declared bytes, one a tick.
        body = Conn(s.http_port, data=b"x" * 1000)
        body.sock.sendall(b"POST /api/v1/flush HTTP/1.1\r\nHost: t\r\n"
                          b"Content-Length: 1000\r\n\r\n")
        body.t0 = time.monotonic()
        slow = [Conn(s.http_port, data=SLOW_HEAD) for _ in range(SLOW)]
        conns = [idle, body] + slow
        at_accept = refused_at_accept(slow)
        probes, other = [], []
        deadline = time.monotonic() + BODY_S + 2 * SLACK_S
        tick = 0
        while time.monotonic() < deadline:
            for c in slow + [body]:
                c.trickle()
            if idle.reply is None and idle.readable():
                idle.finish()
            if tick % 2 == 0:
                probe_all(s, probes)
            if tick % 4 == 1:   # another address, an ordinary query
                other.append(timed_get(s, "/api/v1/labels", src="127.0.0.2"))
            if all(c.reply is not None for c in conns):
                break
            tick += 1
            time.sleep(TICK_S)

        late = [p for p in probes if p[1] != 200 or p[2] >= 1.0]
        check(len(probes) >= 20 and not late,
              f"{len(probes)} probes, slow or failed: {late}")
        check(other and all(st == 200 for st, _ in other),
              f"127.0.0.2 is not bound by 127.0.0.1: {other}")
        check(all(c.reply is not None for c in conns), "all were closed")

        timed_out = [c for c in slow if c.status() == 408]
        refused = [c for c in slow if c.status() == 503]
        reset = [c for c in slow if c.reply == b"" and c.reset]
        check(len(timed_out) + len(refused) + len(reset) == SLOW,
              f"408 {len(timed_out)}, 503 {len(refused)}, reset "
              f"{len(reset)}: every slow connection answered")
        # 127.0.0.1's bound, less the idle and body connections (and the
        # harness's last probe, if the server has not yet seen it close).
        check(PER_CLIENT - 3 <= len(timed_out) <= PER_CLIENT - 2,
              f"{len(timed_out)} slow connections held a general slot")
        for c in timed_out:
            check(HEADER_S - 0.1 <= c.t_end <= HEADER_S + SLACK_S,
                  f"408 after {c.t_end:.2f} s, trickled "
                  f"{len(SLOW_HEAD) - len(c.data)} bytes")
            check(b"\r\nConnection: close\r\n" in c.reply, "408 closes")
        check(len(at_accept) == SLOW - len(timed_out) - RESERVE,
              f"{len(at_accept)} refused at accept")
        check(all(c.status() == 503 for c in at_accept), "at accept: 503")
        for c in refused:
            check(b"\r\nRetry-After: 1\r\n" in c.reply, f"{c.reply!r}")
            check(b"too many connections from this address" in c.reply,
                  f"{c.reply!r}")
            check(c.t_end <= RESERVE_S + SLACK_S,
                  f"refused after {c.t_end:.2f} s")
        check(len(reset) <= len(probes), "resets only from evictions")

        check(idle.reply == b"" and not idle.reset,
              f"idle: closed without a word: {idle.reply!r}")
        check(IDLE_S - 0.1 <= idle.t_end <= IDLE_S + SLACK_S,
              f"idle closed after {idle.t_end:.2f} s")
        check(body.status() == 408, f"body: {body.reply!r}")
        check(BODY_S - 0.1 <= body.t_end <= BODY_S + SLACK_S,
              f"body: 408 after {body.t_end:.2f} s")

        # Once they are gone 127.0.0.1 is served again, and every
        # connection shows in exactly one counter.
        status, _ = timed_get(s, "/api/v1/labels")
        check(status == 200, f"127.0.0.1 after the flood: {status}")
        with urllib.request.urlopen(s.url("/metrics"), timeout=5) as r:
            m = parse_metrics(r.read().decode())
        got = {k: sum_metric(m, "sluice_http_timeouts_total", phase=k)
               for k in ("header", "body", "idle", "send")}
        check(got == {"header": len(timed_out), "body": 1, "idle": 1,
                      "send": 0}, f"timeouts {got}")
        per_client = sum_metric(m, "sluice_http_rejected_total",
                                reason="per_client")
        check(per_client == len(refused) + len(reset),
              f"per_client {per_client}, refused {len(refused)} + reset "
              f"{len(reset)}")
        check(sum_metric(m, "sluice_http_rejected_total",
                         reason="connections") == 0, "no slot shortage")
        check(sum_metric(m, "sluice_http_memory_bytes") == 0,
              "the body's budget is back")
    finally:
        for c in conns:
            c.sock.close()
        s.close()


if __name__ == "__main__":
    main([test_slowloris])
