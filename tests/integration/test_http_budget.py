"""The query port's memory budget for request and response bodies
(NET_HTTP_MEMORY_BYTES_MAX, 1 GiB; here --http-memory-bytes 16M) against a
real `sluice run`: request bodies are held as their bytes arrive (a
declared length alone holds nothing: test_http_slow_body.py), so uploads
that sent most of their bodies fill it. Then a request whose declared body
could not fit what is free gets 503 Retry-After: 1 (before 100 Continue),
a response that would pass it gets 503 too, /metrics counts both, and
everything is given back when the connections close.

usage: /usr/bin/python3 test_http_budget.py PATH/TO/sluice
"""

import os
import socket
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Sluice, check, main, parse_metrics, sum_metric  # noqa: E402


def upload_head(length, expect=False):
    return (f"POST /api/v1/flush HTTP/1.1\r\nHost: t\r\n"
            f"Content-Length: {length}\r\n"
            + ("Expect: 100-continue\r\n" if expect else "")
            + "\r\n").encode()


def dial(s, head):
    c = socket.create_connection(("127.0.0.1", s.http_port), timeout=10)
    c.sendall(head)
    return c


def read_all(c):
    out = b""
    while True:
        b = c.recv(65536)
        if not b:
            return out
        out += b


def get_metrics(s):
    """(status, samples or None): /metrics itself may be refused."""
    try:
        with urllib.request.urlopen(s.url("/metrics"), timeout=5) as r:
            return r.status, parse_metrics(r.read().decode()), r.headers
    except urllib.error.HTTPError as e:
        return e.code, None, e.headers


def wait_memory(s, want, timeout=8.0):
    deadline = time.time() + timeout
    got = None
    while time.time() < deadline:
        status, m, _ = get_metrics(s)
        if status == 200:
            # Rendered before this reply itself is held: it is not in it.
            got = sum_metric(m, "sluice_http_memory_bytes")
            if got == want:
                return m
        time.sleep(0.05)
    raise AssertionError(f"sluice_http_memory_bytes {got}, want {want}")


def upload_most(s, length):
    """An upload of `length` that sent all but its last byte: it holds
    its whole buffer (length + 1: the NUL) while it waits for it."""
    c = dial(s, upload_head(length))
    c.sendall(b"x" * (length - 1))
    return c


def test_budget_refuses_and_recovers(binary):
    s = Sluice(binary, extra=["--http-memory-bytes", "16M"])
    small = 16 << 20
    held = []
    try:
        m = wait_memory(s, 0)
        check(sum_metric(m, "sluice_http_memory_bytes_max") == small,
              "budget figure")
        check(sum_metric(m, "sluice_http_rejected_total",
                         reason="memory") == 0, "nothing refused yet")
        part = 7 << 20
        for _ in range(2):
            held.append(upload_most(s, part))
        wait_memory(s, 2 * (part + 1))
        # What curl does for a large upload: Expect: 100-continue. 4 MiB
        # cannot fit the 2 MiB left: refused before its body is sent.
        c = dial(s, upload_head(4 << 20, expect=True))
        reply = read_all(c)
        c.close()
        check(reply.startswith(b"HTTP/1.1 503 "), f"refused upload: {reply}")
        check(b"\r\nRetry-After: 1\r\n" in reply, f"Retry-After: {reply}")
        check(b"100 Continue" not in reply, "refused before 100 Continue")
        # Fill the budget to 10 bytes short: a reply cannot be held now.
        left = small - 2 * (part + 1)
        held.append(upload_most(s, left - 11))
        deadline = time.time() + 8
        status, hdrs = 200, None
        while status == 200 and time.time() < deadline:
            status, _, hdrs = get_metrics(s)
        check(status == 503, f"/metrics with the budget full: {status}")
        check(hdrs.get("Retry-After") == "1", f"Retry-After: {hdrs}")
        for c in held:
            c.close()
        held = []
        m = wait_memory(s, 0)
        check(sum_metric(m, "sluice_http_rejected_total",
                         reason="memory") == 2, "one upload, one reply")
        # Real uploads go through again.
        req = urllib.request.Request(s.url("/api/v1/flush"),
                                     data=b"x" * 100000, method="POST")
        with urllib.request.urlopen(req, timeout=15) as r:
            check(r.status == 200, f"upload after release: {r.status}")
        wait_memory(s, 0)
    finally:
        for c in held:
            c.close()
        s.close()


def test_budget_option(binary):
    """--http-memory-bytes sets the budget: a 17 MiB upload, under the
    64 MiB body bound, passes a 16 MiB budget and is refused."""
    s = Sluice(binary, extra=["--http-memory-bytes", "16M"])
    try:
        m = wait_memory(s, 0)
        check(sum_metric(m, "sluice_http_memory_bytes_max") == 16 << 20,
              "budget figure")
        c = dial(s, upload_head(17 << 20, expect=True))
        reply = read_all(c)
        c.close()
        check(reply.startswith(b"HTTP/1.1 503 "), f"refused upload: {reply}")
        req = urllib.request.Request(s.url("/api/v1/flush"),
                                     data=b"x" * (8 << 20), method="POST")
        with urllib.request.urlopen(req, timeout=15) as r:
            check(r.status == 200, f"8 MiB upload: {r.status}")
    finally:
        s.close()


if __name__ == "__main__":
    main([test_budget_refuses_and_recovers, test_budget_option])
