"""The OpenTelemetry JS SDK's OTLP/HTTP exporters against a real `sluice
run`: otlp_js/export.mjs exports a counter, a gauge, a histogram, a log
record and a span with the -proto exporters (protobuf) and the -http ones
(JSON), each with compression none and gzip; every export must get a
success, and every metric name and value arrive at the query port (exact
reads of the mapping are test_otlp_import.py's). Skips when npm cannot
install the pinned packages (otlp_js/package.json), and the JSON runs skip
while this build's mapping has no JSON decoder (a probe request says so).

usage: /usr/bin/python3 test_otlp_js.py PATH/TO/sluice
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Skip, Sluice, check, main  # noqa: E402
from otlp_helpers import get, node_json, npm_ready, post  # noqa: E402

JS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "otlp_js")


def npm_install():
    npm_ready(JS, "@opentelemetry/exporter-trace-otlp-http")


def export(s, protocol, compression, tag):
    return node_json(JS, ["export.mjs", f"http://127.0.0.1:{s.otlp_http_port}",
                          protocol, compression, tag])


def json_supported(s):
    st, _, body = post(s, "/v1/metrics", b"{}", ctype="application/json")
    return st == 200, body


def check_arrived(s, tag):
    """Every metric name of the run, with its value; the log record."""
    got = {}
    for line in get(s, "/api/v1/export",
                      **{"match[]": f'{{__name__=~"js_{tag}_.*"}}'}
                      ).splitlines():
        o = json.loads(line)
        m = o["metric"]
        key = m["__name__"] + (f'{{le={m["le"]}}}' if "le" in m else "")
        got[key] = set(o["values"])
        check(m.get("service.name") == f"js-{tag}", f"resource label: {m}")
    p = f"js_{tag}_"
    want = {p + "requests": {7}, p + "temp": {21.5},
            p + "latency_count": {2}, p + "latency_sum": {15},
            p + "latency_min": {3}, p + "latency_max": {12},
            p + "latency_bucket{le=5}": {1}, p + "latency_bucket{le=10}": {1},
            p + "latency_bucket{le=+Inf}": {2}}
    check(got == want, f"{tag}: got {got}")
    logs = get(s, "/api/v1/logs", contains=f"js log {tag}")
    check(f"js log {tag}" in logs, f"{tag}: log record missing: {logs}")


def run_variants(binary, protocol):
    npm_install()
    s = Sluice(binary)
    try:
        if protocol == "http":
            ok, body = json_supported(s)
            if not ok:
                raise Skip(f"this build answers JSON with {body[:120]!r}")
        for compression in ("none", "gzip"):
            tag = f"{protocol}{compression}"
            r = export(s, protocol, compression, tag)
            check(r["metrics"] == 0 and r["logs"] == 0 and r["traces"] == 0
                  and not r["errors"], f"{tag}: exports {r}")
            # A success means durable, so served: no flush asked.
            check_arrived(s, tag)
        enc = "protobuf" if protocol == "proto" else "json"
        n = s.total("sluice_otlp_requests_total", encoding=enc, code="200")
        check(n >= 6, f"{n} requests answered 200")
    finally:
        s.close()


def test_js_proto_exporters(binary):
    run_variants(binary, "proto")


def test_js_json_exporters(binary):
    run_variants(binary, "http")


if __name__ == "__main__":
    main([test_js_proto_exporters, test_js_json_exporters])
