"""`sluice bench otlp --signal traces` against a real sluice (one shard)
for a second over OTLP/HTTP and over OTLP/gRPC: the spans sluice counts
on /metrics are exactly the spans the bench says were acknowledged, and
the trace id the bench reports is served by GET /api/v1/traces/TRACE_ID
as a tree of eight spans (one root, every parent present).

usage: /usr/bin/python3 test_bench_traces.py PATH/TO/sluice
"""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Sluice, check, main  # noqa: E402


def bench(binary, target, extra=()):
    """One second of traces at target; the bench's figures as a dict."""
    p = subprocess.run(
        [binary, "bench", "otlp", "--signal", "traces", "--target", target,
         "--duration", "1", "--requests", "4", "--connections", "2"] +
        list(extra), capture_output=True, text=True, timeout=60)
    check(p.returncode == 0 and "runtime error" not in p.stderr and
          "Sanitizer" not in p.stderr,
          f"bench exit {p.returncode}: {p.stderr[-2000:]}")
    return dict(line.rsplit(" ", 1) for line in p.stdout.splitlines())


def get_trace(s, trace_id):
    try:
        with urllib.request.urlopen(s.url(f"/api/v1/traces/{trace_id}"),
                                    timeout=10) as r:
            return r.status, json.loads(r.read().decode())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode())


def run_one(binary, grpc):
    s = Sluice(binary)
    try:
        port = s.otlp_grpc_port if grpc else s.otlp_http_port
        out = bench(binary, f"127.0.0.1:{port}", ["--grpc"] if grpc else [])
        ok, reqs = int(out["ok"]), int(out["requests"])
        spans = int(out["items acknowledged"])
        check(out["signal"] == "traces" and
              out["transport"] == ("grpc" if grpc else "http") and
              out["items/request"] == "512", f"bench: {out}")
        check(ok > 0 and int(out["errors"]) == 0 and spans == ok * 512,
              f"bench: {out}")
        check(ok + int(out["backpressure"]) == reqs, f"bench: {out}")
        got = s.wait_total("sluice_spans_ingested_total", spans)
        check(got == spans, f"ingested {got} != acknowledged {spans}")
        check(s.total("sluice_otlp_rejected_spans_total") == 0,
              "no span rejected")
        tid = out["trace id"]
        check(len(tid) == 32, f"trace id: {tid}")
        status, body = get_trace(s, tid)
        check(status == 200, f"trace {tid}: {status} {body}")
        # the pool repeats once used up: the trace may be stored repeatedly
        got = body["data"]["spans"]
        ids = {x["spanId"] for x in got}
        roots = [x for x in got if x["parentSpanId"] == ""]
        check(body["data"]["traceId"] == tid and len(ids) == 8 and
              len(got) % 8 == 0 and roots and
              all(x["parentSpanId"] in ids for x in got if x not in roots) and
              all(x["resource"]["service.name"] == "sluice-bench"
                  for x in got) and
              all(len(x["attributes"]) == 8 for x in got),
              f"trace {tid}: {got[:3]}")
        print(f"  {out['transport']}: {spans} spans, "
              f"{out['items/s']} spans/s")
    finally:
        s.close()


def test_bench_traces_http(binary):
    run_one(binary, grpc=False)


def test_bench_traces_grpc(binary):
    run_one(binary, grpc=True)


if __name__ == "__main__":
    main([test_bench_traces_http, test_bench_traces_grpc])
