"""Traces end to end without HTTP ingest: `sluice import --otlp traces`
stores length-delimited ExportTraceServiceRequest files (the JS SDK
fixture of tests/fixtures/otlp and requests built here, spread over two
shards, plus a corrupt request that must store nothing); a `sluice run`
on the data directory then serves every span back through
GET /api/v1/traces/TRACE_ID (spans from both shards, ordered by start)
and GET /api/v1/spans (service, name, time window, limit), counts on
/metrics, and `sluice inspect --spans` lists and checks the span blocks.

usage: /usr/bin/python3 test_traces.py PATH/TO/sluice
"""

import json
import os
import struct
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Sluice, check, main  # noqa: E402
from test_otlp_import import fixture, varint  # noqa: E402

FIX_TRACE = "5b8efff798038103d269b633813fc60c"
FIX_ROOT = "eee19b7ec3c1b174"
T0 = 1765000000123456789


def field(num, wire, payload):
    key = varint(num << 3 | wire)
    if wire == 2:
        return key + varint(len(payload)) + payload
    return key + payload


def msg(num, payload):
    return field(num, 2, payload)


def text(num, s):
    return field(num, 2, s.encode())


def kv(key, value):
    if isinstance(value, int):
        any_value = field(3, 0, varint(value & (2**64 - 1)))
    else:
        any_value = text(1, value)
    return text(1, key) + msg(2, any_value)


def span(trace, sid, name, start, parent=None, attrs=(), kind=2):
    b = field(1, 2, bytes.fromhex(trace)) + field(2, 2, bytes.fromhex(sid))
    if parent:
        b += field(4, 2, bytes.fromhex(parent))
    b += text(5, name) + field(6, 0, varint(kind))
    b += field(7, 1, struct.pack("<Q", start))
    b += field(8, 1, struct.pack("<Q", start + 1000))
    for k, v in attrs:
        b += msg(9, kv(k, v))
    b += msg(11, field(1, 1, struct.pack("<Q", start + 5)) + text(2, "mark"))
    b += msg(15, field(3, 0, varint(1)))
    return b


def request(service, spans):
    resource = msg(1, msg(1, kv("service.name", service)))
    scope = msg(1, text(1, "it.scope") + text(2, "1.0"))
    body = resource + msg(2, scope + b"".join(msg(2, s) for s in spans))
    return msg(1, body)


def write_ld(path, requests):
    with open(path, "wb") as f:
        for r in requests:
            f.write(varint(len(r)) + r)


def get(s, path, **params):
    q = urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(s.url(f"{path}?{q}"), timeout=10) as r:
            return r.status, json.loads(r.read().decode()), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode()), dict(e.headers)


def build(tmp):
    """Two files: file 0 (shard 0) the fixture and a corrupt request;
    file 1 (shard 1) billing spans: 3 children of the fixture's root and
    200 spans of trace 'aa..' starting at T0 + 10 s + i ms."""
    fix = fixture("traces.bin")
    f0 = os.path.join(tmp, "a.ld")
    write_ld(f0, [fix, fix[:-7]])
    kids = [span(FIX_TRACE, f"{0xb0 + i:016x}", "charge", T0 + 100 + i,
                 parent=FIX_ROOT, attrs=[("amount", 100 + i)])
            for i in range(3)]
    many = [span("aa" * 16, f"{0x1000 + i:016x}",
                 "poll" if i % 2 else "tick", T0 + 10**10 + i * 10**6,
                 attrs=[("i", i)], kind=1)
            for i in range(200)]
    f1 = os.path.join(tmp, "b.ld")
    write_ld(f1, [request("billing", kids), request("billing", many[:120]),
                  request("billing", many[120:])])
    return [f0, f1]


def test_import_then_query_traces(binary):
    with tempfile.TemporaryDirectory(prefix="sluice-it-traces-") as tmp:
        data = os.path.join(tmp, "d")
        files = build(tmp)
        p = subprocess.run([binary, "import", "--otlp", "traces", "--cores",
                            "2", "--data-dir", data] + files,
                           capture_output=True, text=True, timeout=120)
        check(p.returncode == 0, f"import exit {p.returncode}: {p.stderr}")
        words = p.stdout.split()
        got = {words[i]: words[i + 1] for i in range(0, 10, 2)}
        check(got["spans"] == "205" and got["errors"] == "1" and
              got["rejected"] == "0", f"summary: {p.stdout}")
        check("bytes/span" in p.stdout, f"summary: {p.stdout}")
        ins = subprocess.run([binary, "inspect", "--spans", data],
                             capture_output=True, text=True, timeout=60)
        check(ins.returncode == 0 and "kind=spans" in ins.stdout and
              "spans=205" in ins.stdout, f"inspect: {ins.stdout}{ins.stderr}")
        s = Sluice(binary, data_dir=data)
        try:
            check_trace(s)
            check_spans(s)
            check_cli(binary, s)
        finally:
            s.close()


def check_trace(s):
    status, body, _ = get(s, f"/api/v1/traces/{FIX_TRACE}")
    check(status == 200, f"trace: {status} {body}")
    spans = body["data"]["spans"]
    check(body["data"]["traceId"] == FIX_TRACE and len(spans) == 5,
          f"trace spans: {spans}")
    check([x["service"] for x in spans] ==
          ["checkout", "checkout", "billing", "billing", "billing"],
          f"order by start, both shards: {spans}")
    root = [x for x in spans if x["spanId"] == FIX_ROOT][0]
    check(root["parentSpanId"] == "" and root["name"] == "GET /api/cart" and
          root["kind"] == "SPAN_KIND_SERVER" and
          root["startTimeUnixNano"] == "1765000000123456789" and
          root["endTimeUnixNano"] == "1765000001987654321" and
          root["status"] == {"code": "STATUS_CODE_ERROR",
                             "message": "upstream timeout"} and
          root["attributes"] == {"http.method": "GET",
                                 "http.status_code": 500} and
          root["resource"]["service.name"] == "checkout" and
          root["resource"]["pid"] == 4242 and
          root["scope"]["name"] == "sluice.fixture", f"root: {root}")
    check([e["name"] for e in root["events"]] == ["retry", "give up"] and
          root["events"][0]["attributes"] == {"attempt": 2} and
          root["links"][0]["traceId"] == "0af7651916cd43dd8448eb211c80319c" and
          root["links"][0]["attributes"] == {"why": "batch"},
          f"events, links: {root}")
    kids = [x for x in spans if x["service"] == "billing"]
    check(all(k["parentSpanId"] == FIX_ROOT for k in kids) and
          [k["attributes"]["amount"] for k in kids] == [100, 101, 102] and
          kids[0]["events"][0]["timeUnixNano"] == str(T0 + 105) and
          kids[0]["scope"] == {"name": "it.scope", "version": "1.0"},
          f"children: {kids}")
    status, body, _ = get(s, "/api/v1/traces/" + "00" * 15 + "01")
    check(status == 404 and body["errorType"] == "not_found", f"{body}")
    status, body, _ = get(s, "/api/v1/traces/nothex")
    check(status == 400 and "trace ID" in body["error"], f"{body}")


def check_spans(s):
    status, body, hdr = get(s, "/api/v1/spans", service="billing",
                            name="poll", limit="10")
    spans = body["data"]["spans"]
    check(status == 200 and body["data"]["truncated"] and
          hdr.get("X-Sluice-Spans-Truncated") == "true", f"{status} {hdr}")
    want = [T0 + 10**10 + i * 10**6 for i in range(181, 200, 2)]
    check([int(x["startTimeUnixNano"]) for x in spans] == want,
          f"newest 10 polls, oldest first: {[x['startTimeUnixNano'] for x in spans]}")
    check(all(x["kind"] == "SPAN_KIND_INTERNAL" for x in spans), f"{spans[0]}")
    ms = (T0 + 10**10) // 10**6
    status, body, _ = get(s, "/api/v1/spans", start=str(ms),
                          end=str(ms + 4), limit="100")
    check([x["attributes"]["i"] for x in body["data"]["spans"]] ==
          [0, 1, 2, 3, 4] and not body["data"]["truncated"],
          f"window: {body}")
    status, body, _ = get(s, "/api/v1/spans", service="checkout")
    check(len(body["data"]["spans"]) == 2, f"checkout: {body}")
    status, body, _ = get(s, "/api/v1/spans", limit="100000")
    check(status == 400 and '"limit"' in body["error"], f"{body}")
    check(s.total("sluice_spans_ingested_total") == 0,
          "spans ingested counts this process's ingest only")
    status, body, _ = get(s, "/api/v1/spans", limit="10000")
    check(len(body["data"]["spans"]) == 205, f"all: {len(body['data']['spans'])}")


def check_cli(binary, s):
    """sluice query trace and spans ask the same routes."""
    q = [binary, "query", "--url", s.url("")]
    p = subprocess.run(q + ["trace", FIX_TRACE], capture_output=True,
                       text=True, timeout=30)
    check(p.returncode == 0 and
          len(json.loads(p.stdout)["data"]["spans"]) == 5, f"{p}")
    p = subprocess.run(q + ["spans", "--service", "billing", "--name",
                            "charge"], capture_output=True, text=True,
                       timeout=30)
    spans = json.loads(p.stdout)["data"]["spans"] if p.returncode == 0 else 0
    check(spans and [x["attributes"]["amount"] for x in spans] ==
          [100, 101, 102], f"{p}")
    p = subprocess.run(q + ["trace", "xyz"], capture_output=True, text=True,
                       timeout=30)
    check(p.returncode == 1 and "trace ID" in p.stderr, f"{p}")


if __name__ == "__main__":
    main([test_import_then_query_traces])
