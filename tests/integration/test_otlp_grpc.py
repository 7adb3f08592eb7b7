"""OTLP/gRPC against a real `sluice run`: the OpenTelemetry JS SDK's gRPC
exporters (tests/integration/otlp_grpc/, versions pinned in its
package.json) send metrics, a span and a log record, with compression
none and gzip; every value is read back through the query port with no
flush asked, and again after a kill -9 and a restart (an OK means
durable). Raw gRPC calls check UNIMPLEMENTED
and INVALID_ARGUMENT; curl (HTTP/2 prior knowledge) checks 415; an
HTTP/1.1 client on the gRPC port gets a GOAWAY and the server goes on.
Skipped when npm cannot install the SDK.

usage: /usr/bin/python3 test_otlp_grpc.py PATH/TO/sluice
"""

import json
import os
import shutil
import socket
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Sluice, check, main  # noqa: E402
from otlp_helpers import (bench_grpc, close_restarted, get,  # noqa: E402
                          kill_9_and_restart, node_json, npm_ready,
                          start_with_env)
from test_otlp_import import export  # noqa: E402

JS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "otlp_grpc")


def start(binary):
    return Sluice(binary)  # --otlp-grpc on a free port (harness)


def send(s, compression, tag):
    return node_json(JS_DIR, ["send.mjs",
                              f"http://127.0.0.1:{s.otlp_grpc_port}",
                              compression, tag])


def values(series):
    """{key: [values]} of test_otlp_import.export's {key: [(ts, value)]}."""
    return {k: [v for _, v in pts] for k, pts in series.items()}


def check_sdk_run(s, compression, tag):
    got = send(s, compression, tag)
    codes = {(r["signal"], r["code"]) for r in got["results"]}
    check(codes >= {("metrics", 0), ("traces", 0), ("logs", 0)},
          f"every export succeeded ({compression}): {got}")
    check(not [e for e in got["errors"]
                if "rror" in e and "partial" not in e.lower()],
          f"no SDK errors: {got['errors']}")
    read_back(s, tag)
    return got


def read_back(s, tag):
    """What send.mjs sent with tag, exactly, through the query port."""
    svc = f"service.name=grpc-it-{tag}"
    # no flush: an OK is sent only once the data is durable and sealed
    req = values(export(s, f"grpc_{tag}_requests"))
    want = {f"grpc_{tag}_requests{{host.name=box-1,route=/a,{svc}}}": [12.0],
            f"grpc_{tag}_requests{{host.name=box-1,route=/b,{svc}}}": [1.0]}
    check(req == want, f"counter read back: {req}")
    temp = values(export(s, f"grpc_{tag}_temp"))
    check(list(temp.values()) == [[21.5]] and "room=x" in list(temp)[0],
          f"gauge read back: {temp}")
    count = values(export(s, f"grpc_{tag}_latency_count"))
    total = values(export(s, f"grpc_{tag}_latency_sum"))
    buckets = values(export(s, f"grpc_{tag}_latency_bucket"))
    check(list(count.values()) == [[3.0]] and list(total.values()) == [[55.5]],
          f"histogram count/sum: {count} {total}")
    les = {k.split("le=")[1].split(",")[0].rstrip("}"): v[0]
           for k, v in buckets.items()}
    check(les == {"1": 1.0, "10": 2.0, "100": 3.0, "+Inf": 3.0},
          f"histogram buckets: {buckets}")
    logs = [json.loads(l) for l in get(
        s, "/api/v1/logs", start="0",
        match=f'{{app="grpc-it-{tag}"}}').splitlines()]
    check(len(logs) == 1, f"one log record: {logs}")
    rec = logs[0]
    check(rec["_msg"] == f"hello over grpc {tag}" and rec["host"] == "box-1"
          and rec["severity"] == 4 and rec["otel.severity_text"] == "WARN"
          and rec["attr.user.id"] == "u-9" and rec["_proto"] == "otlp",
          f"log record read back: {rec}")


def test_sdk_exporters_none_and_gzip(binary):
    npm_ready(JS_DIR, "@opentelemetry/exporter-logs-otlp-grpc")
    s = start(binary)
    try:
        got = check_sdk_run(s, "none", "plain")
        raw = got["raw"]
        check(raw["unknownMethod"]["code"] == 12,
              f"unknown method is UNIMPLEMENTED: {raw}")
        check(raw["undecodable"]["code"] == 3 and
              "does not decode" in raw["undecodable"]["details"],
              f"undecodable is INVALID_ARGUMENT: {raw}")
        check(raw["empty"]["code"] == 0, f"an empty request is OK: {raw}")
        check_sdk_run(s, "gzip", "zipped")
        m = s.metrics()
        ok = sum(v for n, l, v in m if n == "sluice_otlp_requests_total" and
                 l.get("transport") == "grpc" and l.get("code") == "OK")
        check(ok >= 7, f"OK answers counted: {ok}")
        bad = sum(v for n, l, v in m if n == "sluice_otlp_requests_total" and
                  l.get("transport") == "grpc" and
                  l.get("code") == "INVALID_ARGUMENT" and
                  l.get("signal") == "metrics")
        check(bad == 2, f"INVALID_ARGUMENT counted once a run: {bad}")
        rej = sum(v for n, l, v in m if n == "sluice_otlp_grpc_rejected_total"
                  and l.get("reason") == "method")
        check(rej == 2, f"unknown method counted once a run: {rej}")
    finally:
        s.close()


def test_ok_means_durable_after_kill_9(binary):
    npm_ready(JS_DIR, "@opentelemetry/exporter-logs-otlp-grpc")
    s = Sluice(binary)
    try:
        got = send(s, "gzip", "durable")
        check({(r["signal"], r["code"]) for r in got["results"]} >=
              {("metrics", 0), ("logs", 0)}, f"exports OK: {got}")
    finally:
        s = kill_9_and_restart(binary, s)
    try:
        read_back(s, "durable")
    finally:
        close_restarted(s)


def frame_types(data):
    """The HTTP/2 frame types in data (whole frames only)."""
    types, off = [], 0
    while off + 9 <= len(data):
        n = int.from_bytes(data[off:off + 3], "big")
        types.append(data[off + 3])
        off += 9 + n
    return types


def test_stop_sends_goaway(binary):
    s = Sluice(binary)
    try:
        c = socket.create_connection(("127.0.0.1", s.otlp_grpc_port),
                                     timeout=10)
        c.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
                  b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        data = c.recv(65536)
        check(frame_types(data)[:1] == [4], f"server SETTINGS: {data!r}")
        check(s.wait_total("sluice_otlp_grpc_connections", 1) == 1,
              "the connection is counted open")
        rc, secs = s.stop()
        while True:
            b = c.recv(65536)
            if not b:
                break
            data += b
        c.close()
        check(7 in frame_types(data), f"GOAWAY at stop: {data!r}")
        check(rc == 0 and secs < 5, f"clean stop: rc {rc} in {secs:.1f} s")
    finally:
        s.close()


def test_bench_otlp_grpc(binary):
    """`sluice bench otlp --grpc` (its own nghttp2 client): every call OK,
    every point acknowledged is served, with and without gzip."""
    s = Sluice(binary)
    try:
        total = 0
        for extra in ([], ["--gzip"]):
            out = bench_grpc(binary, s, extra)
            check(out["rc"] == "0" and out["transport"] == "grpc",
                  f"bench: {out}")
            check(int(out["ok"]) > 0 and int(out["errors"]) == 0 and
                  out["ok"] == out["requests"], f"bench: {out}")
            total += int(out["items acknowledged"])
        got = s.wait_total("sluice_points_ingested_total", total)
        check(got == total, f"points {got} != acknowledged {total}")
        series = export(s, '{__name__=~"bench.metric.*"}')
        check(len(series) == 30, f"{len(series)} series, not 30")
    finally:
        s.close()


def test_failed_fsync_is_unavailable(binary):
    """Every fsync fails: no call is answered OK (an OK promises durable
    data); the calls stored get UNAVAILABLE once their flush failed,
    counted not_durable (or writer_behind, refused before storing)."""
    s = start_with_env(binary, SLUICE_FAULT="fsync_eio=1")
    try:
        out = bench_grpc(binary, s)
        check(int(out["requests"]) > 0 and int(out["ok"]) == 0,
              f"no OK while nothing is durable: {out}")
        lost = s.total("sluice_otlp_grpc_rejected_total", reason="not_durable")
        behind = s.total("sluice_otlp_grpc_rejected_total",
                         reason="writer_behind")
        check(lost >= 1, f"not_durable counted: {lost}")
        ok = s.total("sluice_otlp_requests_total", transport="grpc",
                     code="OK")
        check(ok == 0, f"{ok} calls answered OK")
        print(f"  {out['requests']} calls: not_durable {lost:.0f}, "
              f"writer_behind {behind:.0f}, OK 0")
    finally:
        s.close()


def test_bad_content_type_and_http1_client(binary):
    s = start(binary)
    try:
        if shutil.which("curl"):
            p = subprocess.run(
                ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                 "--http2-prior-knowledge", "-X", "POST",
                 "-H", "content-type: application/json", "-H", "te: trailers",
                 "--data-binary", "{}",
                 f"http://127.0.0.1:{s.otlp_grpc_port}/opentelemetry.proto."
                 "collector.metrics.v1.MetricsService/Export"],
                capture_output=True, text=True, timeout=30)
            check(p.stdout == "415", f"curl: {p.stdout} {p.stderr}")
        # An HTTP/1.1 client: a GOAWAY frame (type 7) back, then the close.
        with socket.create_connection(("127.0.0.1", s.otlp_grpc_port),
                                      timeout=10) as c:
            c.sendall(b"POST /v1/metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while True:
                b = c.recv(65536)
                if not b:
                    break
                data += b
        check(7 in frame_types(data),
              f"GOAWAY sent to an HTTP/1.1 client: {data!r}")
        errs = s.total("sluice_otlp_grpc_connection_errors_total")
        check(errs == 1, f"connection error counted: {errs}")
        check(s.proc.poll() is None, "sluice still runs")
    finally:
        s.close()


def test_decoder_bound_counted(binary):
    """A call past a decoder bound (129 attributes on a span) is
    INVALID_ARGUMENT naming it, counted by bound, and nothing is stored."""
    if shutil.which("curl") is None:
        print("  curl missing: skipped")
        return
    from test_traces import FIX_ROOT, FIX_TRACE, T0, request, span
    attrs = [(f"k{i}", "v") for i in range(129)]
    req = request("svc", [span(FIX_TRACE, FIX_ROOT, "s", T0, attrs=attrs)])
    s = start(binary)
    try:
        path = os.path.join(s.tmp.name, "call")
        with open(path, "wb") as f:
            f.write(b"\0" + struct.pack(">I", len(req)) + req)
        p = subprocess.run(
            ["curl", "-sS", "-v", "-o", "/dev/null", "--http2-prior-knowledge",
             "-H", "content-type: application/grpc", "-H", "te: trailers",
             "--data-binary", "@" + path,
             f"http://127.0.0.1:{s.otlp_grpc_port}/opentelemetry.proto."
             "collector.trace.v1.TraceService/Export"],
            capture_output=True, text=True, timeout=30)
        check("grpc-status: 3" in p.stderr and
              "too many attributes" in p.stderr,
              f"curl: {p.stderr[-600:]}")
        got = s.total("sluice_otlp_bound_rejected_total", transport="grpc",
                      bound="attributes")
        check(got == 1, f"bound_rejected{{grpc,attributes}} = {got}")
        check(s.total("sluice_spans_ingested_total") == 0, "nothing stored")
    finally:
        s.close()


if __name__ == "__main__":
    main([test_sdk_exporters_none_and_gzip, test_ok_means_durable_after_kill_9,
          test_bench_otlp_grpc, test_failed_fsync_is_unavailable,
          test_stop_sends_goaway, test_bad_content_type_and_http1_client,
          test_decoder_bound_counted])
