"""OTLP mapping end to end without HTTP: `sluice import --otlp` stores
length-delimited Export*ServiceRequest files (the JS SDK fixtures of
tests/fixtures/otlp, plus a corrupt request that must store nothing),
then a `sluice run` on the data directory serves exact values through the
query port: /api/v1/export, /api/v1/series, /api/v1/labels and
/api/v1/logs (with match= on OTLP fields). Expected values come from the
fixtures' JSON descriptions (metrics.json, logs.json: IEEE bits in hex).

usage: /usr/bin/python3 test_otlp_import.py PATH/TO/sluice
"""

import json
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Sluice, check, main  # noqa: E402
from otlp_helpers import fixture, get  # noqa: E402  (test_traces.py: fixture)

def varint(n):
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def dbl(h):
    return struct.unpack("<d", struct.pack("<Q", int(h, 16)))[0]


def import_file(binary, data, kind, requests, tmp):
    path = os.path.join(tmp, f"{kind}.ld")
    with open(path, "wb") as f:
        for r in requests:
            f.write(varint(len(r)) + r)
    p = subprocess.run([binary, "import", "--otlp", kind, "--cores", "1",
                        "--data-dir", data, path],
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, f"import exit {p.returncode}: {p.stderr}")
    words = p.stdout.split()
    return {words[i]: float(words[i + 1]) for i in range(0, 10, 2)}, p


def export(s, selector):
    out = {}
    for line in get(s, "/api/v1/export", **{"match[]": selector}).splitlines():
        o = json.loads(line)
        m = dict(o["metric"])
        name = m.pop("__name__")
        key = name + "{" + ",".join(f"{k}={m[k]}" for k in sorted(m)) + "}"
        out[key] = list(zip(o["timestamps"], o["values"]))
    return out


def test_metrics_import_then_query(binary):
    want_points = [json.loads(l) for l in
                   fixture("metrics.json").decode().splitlines()]
    body = fixture("metrics.bin")
    with tempfile.TemporaryDirectory(prefix="sluice-it-otlp-") as tmp:
        data = os.path.join(tmp, "d")
        got, p = import_file(binary, data, "metrics",
                             [body, body[:-5], body], tmp)
        check(got["points"] == 2 * len(want_points) and got["errors"] == 1,
              f"summary: {p.stdout}")
        check("offset" in p.stderr, f"corrupt request not named: {p.stderr}")
        s = Sluice(binary, data_dir=data)
        try:
            ts = int(want_points[0]["time"]) // 1000000
            attrs = ("ok=true,ratio=0.25,retries=-3,route=/api/cart,"
                     "service.name=checkout,tags=[\"a\",\"b\"]")
            lat = export(s, '{__name__=~"latency.*"}')
            h = [p for p in want_points if p["name"] == "latency"][0]
            cum, bounds = 0, [dbl(b) for b in h["bounds"]]
            for i, c in enumerate(h["counts"]):
                cum += int(c)
                le = "+Inf" if i == len(bounds) else f"{bounds[i]:g}"
                k = f"latency_bucket{{host.name=web-1,le={le},{attrs}}}"
                check(lat.get(k) == [(ts, cum), (ts, cum)],
                      f"{k}: {lat.get(k)} (have {sorted(lat)})")
            k = f"latency_sum{{host.name=web-1,{attrs}}}"
            check(lat[k] == [(ts, dbl(h["sum"]))] * 2, f"{k}: {lat[k]}")
            k = f"latency_count{{host.name=web-1,{attrs}}}"
            check(lat[k] == [(ts, int(h["count"]))] * 2, f"{k}: {lat[k]}")
            req = export(s, "requests")
            k = f"requests{{host.name=web-1,{attrs}}}"
            check(req == {k: [(ts, 1234567)] * 2}, f"requests: {req}")
            q = export(s, "queue.delta")
            check(list(q.values()) == [[(ts, -7)] * 2], f"queue.delta: {q}")
            temp = export(s, 'temp{room="b"}')
            check(list(temp.values()) == [[(ts, -0.1)] * 2], f"temp: {temp}")
            series = json.loads(get(s, "/api/v1/series",
                                    **{"match[]": '{__name__=~"size_.*"}'}))
            names = sorted({m["__name__"] for m in series["data"]})
            check(names == ["size_bucket", "size_count", "size_max",
                            "size_min", "size_negative_bucket", "size_sum",
                            "size_zero_count"], f"size series: {names}")
            idx = sorted(m["otel_index"] for m in series["data"]
                         if m["__name__"] == "size_bucket")
            check(idx == ["-2", "0"], f"populated positive buckets: {idx}")
            labels = json.loads(get(s, "/api/v1/labels"))["data"]
            for want in ("le", "otel_scale", "service.name", "host.name"):
                check(want in labels, f"label {want} missing: {labels}")
            check("pid" not in labels, f"pid is not a default label: {labels}")
            samples = s.metrics()
            have = {(n, l.get("proto", ""), l.get("type", ""),
                     l.get("reason", "")) for n, l, _ in samples}
            for want in [("sluice_points_ingested_total", "otlp",
                          "exponential_histogram", ""),
                         ("sluice_otlp_rejected_points_total", "", "",
                          "max_series"),
                         ("sluice_logs_ingested_total", "otlp", "", "")]:
                check(want in have, f"/metrics lacks {want}")
            check(s.total("sluice_otlp_rejected_points_total") == 0,
                  "rejections counted on import only")
            p = subprocess.run([binary, "inspect", "--points", data],
                               capture_output=True, text=True, timeout=60)
            types = {line.split()[1] for line in p.stdout.splitlines()
                     if line.startswith("    ")}
            check(types == {"otlp_gauge", "otlp_sum_cumulative",
                            "otlp_updown_delta", "otlp_histogram_cumulative",
                            "otlp_exphistogram_delta"},
                  f"inspect types: {types}")
        finally:
            s.close()


def test_logs_import_then_query(binary):
    with tempfile.TemporaryDirectory(prefix="sluice-it-otlp-") as tmp:
        data = os.path.join(tmp, "d")
        got, p = import_file(binary, data, "logs", [fixture("logs.bin")], tmp)
        check(got["records"] == 3 and got["errors"] == 0,
              f"summary: {p.stdout}")
        s = Sluice(binary, data_dir=data)
        try:
            lines = [json.loads(l) for l in
                     get(s, "/api/v1/logs", start="0").splitlines()]
            check(len(lines) == 3, f"{len(lines)} records: {lines}")
            err = [l for l in lines if l["_msg"] == "payment failed"]
            check(len(err) == 1, f"records: {lines}")
            e = err[0]
            check(e["_time"] == "2025-12-06T05:46:41.987654321Z" and
                  e["host"] == "web-1" and e["app"] == "checkout" and
                  e["severity"] == 3 and e["_proto"] == "otlp" and
                  e["otel.severity_text"] == "ERROR" and
                  e["otel.trace_id"] == "5b8efff798038103d269b633813fc60c" and
                  e["otel.span_id"] == "eee19b7ec3c1b174" and
                  e["attr.user.id"] == "u-17" and
                  e["resource.pid"] == "4242" and "facility" not in e,
                  f"record: {e}")
            kv = [l for l in lines if l.get("otel.body_type") == "kvlist"]
            check(kv and json.loads(kv[0]["_msg"]) == {"nested": "map", "n": 1},
                  f"kvlist body: {lines}")
            m = get(s, "/api/v1/logs", start="0",
                    match='{otel.trace_id="5b8efff798038103d269b633813fc60c"}')
            check(len(m.splitlines()) == 1 and "payment failed" in m,
                  f"match on trace_id: {m}")
            m = get(s, "/api/v1/logs", start="0",
                    match='{app="checkout",severity<=warning}')
            check(len(m.splitlines()) == 1, f"match on severity: {m}")
        finally:
            s.close()


if __name__ == "__main__":
    main([test_metrics_import_then_query, test_logs_import_then_query])
