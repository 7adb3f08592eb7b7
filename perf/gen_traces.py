#!/usr/bin/env python3
"""Write length-delimited ExportTraceServiceRequests for
`sluice import --otlp traces` (perf/RESULTS.md, "sluice import --otlp
traces"): REQUESTS requests of 1000 spans, 8 services as resources,
traces of 8 spans, 4 attributes and an event on every span.

usage: perf/gen_traces.py OUT [REQUESTS]
"""
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))
import test_traces as t  # noqa: E402

T0 = 1765000000123456789
SERVICES = ["frontend", "checkout", "cart", "payment", "shipping", "email",
            "currency", "catalog"]
ROUTES = ["/api/cart", "/api/checkout", "/api/products/{id}", "/healthz"]


def one_request(n0):
    by = {}
    for k in range(1000):
        if k % 8 == 0:
            trace = "%032x" % random.getrandbits(128)
            root = "%016x" % random.getrandbits(64)
        sid = root if k % 8 == 0 else "%016x" % random.getrandbits(64)
        svc = SERVICES[0] if k % 8 == 0 else random.choice(SERVICES)
        start = T0 + (n0 + k) * 1000000 + random.randrange(1000) * 1000
        attrs = [("http.method", "GET"), ("http.route", random.choice(ROUTES)),
                 ("http.status_code", 200 if random.random() < 0.95 else 500),
                 ("net.peer.ip", "10.0.%d.%d" % (random.randrange(4),
                                                 random.randrange(256)))]
        by.setdefault(svc, []).append(
            t.span(trace, sid, random.choice(ROUTES), start,
                   parent=None if k % 8 == 0 else root, attrs=attrs,
                   kind=2 if k % 8 == 0 else 3))
    return b"".join(t.request(s, sp) for s, sp in by.items())


def main():
    random.seed(7)
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    t.write_ld(sys.argv[1], [one_request(r * 1000) for r in range(count)])


if __name__ == "__main__":
    main()
