#!/usr/bin/env python3
"""Write OTLP requests for `sluice import --otlp` (length-delimited
Export{Metrics,Logs}ServiceRequest, docs/otlp.md): batches like an SDK's.

metrics: REQUESTS requests of POINTS data points each, over SERIES series
  (gauges and cumulative sums, 8 attributes a point, 4 resource
  attributes, one resource and scope a request, one metric per 10 points),
  timestamps advancing 10 s a request.
logs: REQUESTS requests of POINTS log records (5 attributes, ~80-byte
  string bodies, severity, trace/span ids).

usage: gen_otlp.py metrics|logs OUT [REQUESTS] [POINTS] [SERIES]
"""
import struct
import sys


def varint(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, wt, payload):
    return varint(num << 3 | wt) + payload


def ld(num, b):
    return field(num, 2, varint(len(b)) + b)


def f64(num, v):
    return field(num, 1, struct.pack("<Q", v))


def dbl(num, v):
    return field(num, 1, struct.pack("<d", v))


def kv(k, v):
    return ld(1, k.encode()) + ld(2, ld(1, v.encode()))


RES = (ld(1, kv("service.name", "checkout")) + ld(1, kv("host.name", "web-7"))
       + ld(1, kv("service.instance.id", "i-0abc")) +
       ld(1, kv("telemetry.sdk.language", "go")))


def metrics_request(r, points, series):
    t = 1765000000000000000 + r * 10 * 10**9
    metrics = []
    for m in range(points // 10):
        dps = []
        for j in range(10):
            s = (m * 10 + j) % series
            attrs = b"".join(ld(7, kv(k, v)) for k, v in (
                ("http.method", "GET"), ("http.route", f"/api/v{s % 7}"),
                ("http.status_code", str(200 + s % 5)),
                ("net.peer", f"10.0.{s % 13}.{s % 17}"),
                ("region", "eu-west-1"), ("az", f"eu-west-1{'abc'[s % 3]}"),
                ("pod", f"checkout-{s % 11}"), ("series", str(s))))
            dps.append(ld(1, attrs + f64(2, t - 10**9) + f64(3, t) +
                          dbl(4, float(r * 3 + s))))
        name = f"app.metric.{m % 10}"
        if m % 2:
            data = ld(7, b"".join(dps) + field(2, 0, varint(2)) +
                      field(3, 0, varint(1)))
        else:
            data = ld(5, b"".join(dps))
        metrics.append(ld(2, ld(1, name.encode()) + data))
    sm = ld(1, ld(1, b"perf")) + b"".join(metrics)
    return ld(1, ld(1, RES) + ld(2, sm))


def logs_request(r, points):
    t = 1765000000000000000 + r * 10**9
    recs = []
    for i in range(points):
        attrs = b"".join(ld(6, kv(k, v)) for k, v in (
            ("user.id", f"u-{i % 977}"), ("http.route", f"/api/v{i % 7}"),
            ("code", str(200 + i % 5)), ("region", "eu-west-1"),
            ("pod", f"checkout-{i % 11}")))
        body = f"request {r}-{i} handled in {i % 97} ms for cart {i * 7919}"
        recs.append(ld(2, f64(1, t + i * 1000) + f64(11, t + i * 1000 + 5) +
                       field(2, 0, varint(9)) + ld(3, b"INFO") +
                       ld(5, ld(1, body.encode())) + attrs +
                       ld(9, bytes(range(16))) + ld(10, bytes(range(8)))))
    return ld(1, ld(1, RES) + ld(2, ld(1, ld(1, b"perf")) + b"".join(recs)))


def main():
    kind, out = sys.argv[1], sys.argv[2]
    requests = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    points = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    series = int(sys.argv[5]) if len(sys.argv) > 5 else 300
    with open(out, "wb") as f:
        for r in range(requests):
            b = (metrics_request(r, points, series) if kind == "metrics"
                 else logs_request(r, points))
            f.write(varint(len(b)) + b)


if __name__ == "__main__":
    main()
