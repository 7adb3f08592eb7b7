"""OTLP/HTTP against a real `sluice run`: the JS SDK fixtures
(tests/fixtures/otlp/*.bin) posted by curl and by Python over real
sockets (identity, gzip, chunked, 100-continue, keep-alive), every refusal
(413, 413 for a gzip bomb with bounded memory, 415, 400, 404, 405, 408),
every decoder bound as a 400 counted by bound,
503 with Retry-After when the disk fails, and durability: a 200 means the
points survive a kill -9 (read back through the query port after a
restart, with no flush asked), also for every 200 received while 8
connections post and sluice is stopped or killed under them.

usage: /usr/bin/python3 test_otlp_http.py PATH/TO/sluice
"""

import gzip
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Sluice, check, main  # noqa: E402
from otlp_helpers import (PROTO, close_restarted, fixture,  # noqa: E402
                          kill_9_and_restart, post, start_with_env)
BODY_MAX = 16 << 20          # NET_OTLP_HTTP_BODY_BYTES_MAX
INFLATED_MAX = 64 << 20      # NET_OTLP_HTTP_INFLATED_BYTES_MAX
HEADER_TIMEOUT_S = 10        # NET_OTLP_HTTP_HEADER_TIMEOUT_MS
BODY_TIMEOUT_S = 30          # NET_OTLP_HTTP_BODY_TIMEOUT_MS


def metric_names():
    return sorted({json.loads(l)["name"] for l in
                   fixture("metrics.json").decode().splitlines()})


def pb_fields(b):
    """Top-level fields of a protobuf message: {field: [values]} (varints
    as ints, length-delimited as bytes)."""
    out, i = {}, 0
    while i < len(b):
        key, i = varint_at(b, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint_at(b, i)
        elif wt == 2:
            n, i = varint_at(b, i)
            v, i = b[i:i + n], i + n
        else:
            raise ValueError(f"wire type {wt}")
        out.setdefault(f, []).append(v)
    return out


def varint_at(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, i


def status_message(body):
    """google.rpc.Status.message of a protobuf error body."""
    return pb_fields(body)[2][0].decode()


def series_names(s):
    q = urllib.parse.urlencode({"match[]": '{__name__=~".+"}'})
    with urllib.request.urlopen(s.url(f"/api/v1/series?{q}"),
                                timeout=10) as r:
        return {m["__name__"] for m in json.loads(r.read())["data"]}


def export_values(s, selector):
    q = urllib.parse.urlencode({"match[]": selector})
    with urllib.request.urlopen(s.url(f"/api/v1/export?{q}"),
                                timeout=10) as r:
        return [v for line in r.read().decode().splitlines()
                for v in json.loads(line)["values"]]


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_fixtures_identity_gzip_chunked(binary):
    s = Sluice(binary)
    try:
        for sig in ("metrics", "logs"):
            st, h, b = post(s, f"/v1/{sig}", fixture(f"{sig}.bin"))
            check(st == 200 and b == b"", f"{sig}: {st} {b!r}")
            check(h["content-type"] == PROTO, f"{sig}: {h}")
        # Spans: stored (an empty Export response) and, the 200 being
        # durable, served by /api/v1/traces at once with every field.
        st, h, b = post(s, "/v1/traces", fixture("traces.bin"))
        check(st == 200 and b == b"", f"traces: {st} {b!r}")
        for want in map(json.loads, fixture("traces.json").splitlines()):
            with urllib.request.urlopen(
                    s.url(f"/api/v1/traces/{want['trace']}"), timeout=10) as r:
                got = json.loads(r.read())
            text = json.dumps(got)
            for field in (want["span"], want["name"], want["start"],
                          want["end"]):
                check(field in text, f"trace {want['trace']}: {field} "
                                     f"missing from {text[:300]}")
        # A 200 means sealed and fsynced: visible without a flush.
        names = series_names(s)
        for n in ("requests", "queue.delta", "temp", "latency_bucket"):
            check(n in names, f"{n} not served after the 200: {names}")
        st, _, _ = post(s, "/v1/metrics", gzip.compress(fixture("metrics.bin")),
                        headers={"Content-Encoding": "gzip"})
        check(st == 200, f"gzip: {st}")
        conn = http.client.HTTPConnection("127.0.0.1", s.otlp_http_port,
                                          timeout=30)
        body = fixture("metrics.bin")
        pieces = [body[i:i + 100] for i in range(0, len(body), 100)]
        conn.request("POST", "/v1/metrics", body=iter(pieces),
                     headers={"Content-Type": PROTO},
                     encode_chunked=True)
        r = conn.getresponse()
        check(r.status == 200 and r.read() == b"", f"chunked: {r.status}")
        conn.close()
        p = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
             "-H", "Content-Type: application/x-protobuf",
             "-H", "Transfer-Encoding: chunked", "-H", "Content-Encoding: gzip",
             "--data-binary", "@-",
             f"http://127.0.0.1:{s.otlp_http_port}/v1/metrics"],
            input=gzip.compress(body), capture_output=True, timeout=30)
        check(p.stdout == b"200", f"curl chunked gzip: {p.stdout} {p.stderr}")
        vals = export_values(s, "requests")
        check(vals == [1234567] * 4, f"requests values: {vals}")
        check(s.total("sluice_otlp_requests_total", signal="metrics",
                      encoding="protobuf", code="200") == 4,
              "requests_total{code=200}")
        check(s.total("sluice_otlp_http_flushes_total") >= 1, "no flush asked")
        # the same request four times (one shard): its four gauge and sum
        # points (array attributes too) cached at the first send's commit,
        # found there at each of the three others; the misses are the
        # first send's (a point looked up at most twice: raw attributes
        # offered by the decoder, then the point mapped)
        hits = s.wait_total("sluice_key_cache_hits_total", 3 * 4,
                            cache="otlp")
        miss = s.total("sluice_key_cache_misses_total", cache="otlp")
        check(hits == 3 * 4 and 0 < miss <= 2 * 4,
              f"otlp series id cache: hits {hits}, misses {miss}")
        check(s.total("sluice_key_cache_hits_total", cache="statsd") == 0,
              "statsd raw key cache untouched by OTLP")
    finally:
        s.close()


def test_expect_continue_and_keep_alive(binary):
    s = Sluice(binary)
    try:
        body = fixture("logs.bin")
        with socket.create_connection(("127.0.0.1", s.otlp_http_port),
                                      timeout=10) as c:
            c.sendall(b"POST /v1/logs HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Type: application/x-protobuf\r\n"
                      b"Expect: 100-continue\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(body))
            got = c.recv(100)
            check(got == b"HTTP/1.1 100 Continue\r\n\r\n", f"100: {got!r}")
            c.sendall(body)
            got = c.recv(1000)
            check(got.startswith(b"HTTP/1.1 200 OK\r\n"), f"after 100: {got!r}")
            # The head alone refuses: no 100, a final 404.
            c2 = socket.create_connection(("127.0.0.1", s.otlp_http_port),
                                          timeout=10)
            c2.sendall(b"POST /v1/nothing HTTP/1.1\r\nHost: x\r\n"
                       b"Content-Type: application/x-protobuf\r\n"
                       b"Expect: 100-continue\r\nContent-Length: 5\r\n\r\n")
            got = c2.recv(1000)
            check(got.startswith(b"HTTP/1.1 404 "), f"404 first: {got!r}")
            c2.close()
        conn = http.client.HTTPConnection("127.0.0.1", s.otlp_http_port,
                                          timeout=30)
        before = s.total("sluice_otlp_http_connections_accepted_total")
        for i in range(200):
            st, _, b = post(s, "/v1/metrics", fixture("metrics.bin"),
                            conn=conn)
            check(st == 200, f"request {i} on one connection: {st} {b!r}")
        conn.close()
        after = s.total("sluice_otlp_http_connections_accepted_total")
        check(after - before == 1, f"keep-alive: {after - before} connections")
        # Two requests in one write (pipelined): two replies, in order.
        one = (b"POST /v1/traces HTTP/1.1\r\nHost: x\r\n"
               b"Content-Type: application/x-protobuf\r\n"
               b"Content-Length: %d\r\n\r\n" % len(fixture("traces.bin"))
               + fixture("traces.bin"))
        with socket.create_connection(("127.0.0.1", s.otlp_http_port),
                                      timeout=10) as c:
            c.sendall(one + one.replace(b"/v1/traces", b"/v1/nope"))
            got, deadline = b"", time.time() + 10
            while got.count(b"HTTP/1.1 ") < 2 and time.time() < deadline:
                got += c.recv(4096)
            check(got.startswith(b"HTTP/1.1 200 ") and
                  b"HTTP/1.1 404 " in got, f"pipelined: {got!r}")
    finally:
        s.close()


def test_refusals(binary):
    s = Sluice(binary)
    try:
        m = fixture("metrics.bin")
        st, h, b = post(s, "/v1/metrics", m, ctype="text/plain")
        check(st == 415 and "Content-Type" in status_message(b),
              f"415: {st} {b!r}")
        st, _, b = post(s, "/v1/metrics", m, headers={"Content-Encoding": "br"})
        check(st == 415 and "Content-Encoding" in status_message(b),
              f"415 br: {st} {b!r}")
        st, h, b = post(s, "/v1/metrics", m, ctype=PROTO + "; charset=x")
        check(st == 200, f"media type parameters: {st}")
        st, h, b = post(s, "/v1/metrics", b"\xff\xff\xff garbage")
        check(st == 400 and "does not decode" in status_message(b),
              f"400: {st} {b!r}")
        check(pb_fields(b)[1] == [3], f"Status.code INVALID_ARGUMENT: {b!r}")
        st, h, b = post(s, "/v1/metrics", b"{not json", ctype="application/json")
        check(st == 400 and h["content-type"] == "application/json",
              f"JSON 400: {st} {h}")
        check(json.loads(b)["code"] == 3, f"JSON Status: {b!r}")
        st, h, b = post(s, "/v1/metrics", gzip.compress(m)[:-6],
                        headers={"Content-Encoding": "gzip"})
        check(st == 400 and "gzip" in status_message(b), f"cut gzip: {st}")
        st, h, b = post(s, "/v2/metrics", m)
        check(st == 404, f"404: {st}")
        st, h, b = post(s, "/v1/metrics", None, method="GET")
        check(st == 405 and h.get("allow") == "POST", f"405: {st} {h}")
        st, h, b = post(s, "/v1/metrics", b"\0" * (BODY_MAX + (1 << 20)))
        check(st == 413 and "16 MiB" in status_message(b), f"413: {st} {b!r}")
        for reason, n in (("bad_content_type", 1), ("bad_encoding", 1),
                          ("decode_error", 2), ("bad_gzip", 1),
                          ("not_found", 1), ("method_not_allowed", 1),
                          ("body_too_large", 1)):
            got = s.total("sluice_otlp_http_rejected_total", reason=reason)
            check(got == n, f"rejected{{reason={reason}}} = {got}, want {n}")
    finally:
        s.close()


def gauge_json(n_points, n_attrs=1, value="v", name="g"):
    """An OTLP JSON metrics request: one gauge of n_points points, each
    with n_attrs string attributes of the given value."""
    attrs = [{"key": f"k{i}", "value": {"stringValue": value}}
             for i in range(n_attrs)]
    pts = [{"timeUnixNano": "1765000000000000000", "asDouble": 1.5,
            "attributes": attrs}] * n_points
    return json.dumps({"resourceMetrics": [{"scopeMetrics": [{"metrics": [
        {"name": name, "gauge": {"dataPoints": pts}}]}]}]}).encode()


def test_decoder_bounds_counted(binary):
    """Every decoder bound (issue 11): a request past it is a 400 naming
    it, counted in sluice_otlp_bound_rejected_total{bound}; an attribute
    value too long for a series key is a counted partial_success."""
    s = Sluice(binary)
    J = "application/json"
    deep = {"stringValue": "x"}
    for _ in range(9):                       # CORE_OTLP_ANY_DEPTH_MAX 8
        deep = {"arrayValue": {"values": [deep]}}
    log = {"resourceLogs": [{"scopeLogs": [{"logRecords": [
        {"body": {"stringValue": "hi"},
         "attributes": [{"key": "a", "value": deep}]}]}]}]}
    hist = {"resourceMetrics": [{"scopeMetrics": [{"metrics": [
        {"name": "h", "histogram": {"aggregationTemporality": 2,
                                    "dataPoints": [{
                                        "count": "1",
                                        "bucketCounts": ["0"] * 514,
                                        "explicitBounds": list(range(513))}]}}
    ]}]}]}
    span = {"traceId": "5b8efff798038103d269b633813fc60c",
            "spanId": "eee19b7ec3c1b174", "name": "s"}
    spans = {"resourceSpans": [{"scopeSpans": [
        {"spans": [span] * 65537}]}]}
    cases = [("items", "/v1/metrics", gauge_json(65537), "too many items"),
             ("items", "/v1/traces", json.dumps(spans).encode(),
              "too many items"),
             ("attributes", "/v1/metrics", gauge_json(1, 129),
              "too many attributes"),
             ("buckets", "/v1/metrics", json.dumps(hist).encode(),
              "too many buckets"),
             ("anyvalue_depth", "/v1/logs", json.dumps(log).encode(),
              "AnyValue nested too deep"),
             ("nesting", "/v1/metrics",
              b'{"x":' + b"[" * 1000 + b"]" * 1000 + b"}",
              "JSON nested too deep")]
    try:
        for bound, path, body, why in cases:
            st, h, b = post(s, path, body, ctype=J)
            check(st == 400 and why in json.loads(b)["message"],
                  f"{bound} {path}: {st} {b[:200]!r}")
        for bound in ("items", "attributes", "buckets", "anyvalue_depth",
                      "nesting"):
            want = sum(1 for c in cases if c[0] == bound)
            got = s.total("sluice_otlp_bound_rejected_total",
                          transport="http", bound=bound)
            check(got == want, f"bound_rejected{{bound={bound}}} = {got}")
        got = s.total("sluice_otlp_http_rejected_total", reason="decode_error")
        check(got == len(cases), f"decode_error = {got}")
        # attribute value bytes: past the series key bound, one point
        st, _, b = post(s, "/v1/metrics", gauge_json(1, 1, "x" * 5000), ctype=J)
        ps = json.loads(b).get("partialSuccess", {})
        check(st == 200 and ps.get("rejectedDataPoints") == "1" and
              "key_too_long" in ps.get("errorMessage", ""), f"{st} {b!r}")
        check(s.total("sluice_otlp_rejected_points_total",
                      reason="key_too_long") == 1, "key_too_long counted")
        check(s.proc.poll() is None, "sluice still runs")
    finally:
        s.close()


def test_gzip_bomb_bounded(binary):
    s = Sluice(binary)
    try:
        bomb = gzip.compress(b"\0" * (256 << 20), compresslevel=9)
        check(len(bomb) < BODY_MAX, f"bomb {len(bomb)} bytes")
        base = rss_kb(s.proc.pid)
        for _ in range(3):
            st, _, b = post(s, "/v1/metrics", bomb,
                            headers={"Content-Encoding": "gzip"})
            check(st == 413 and "inflates" in status_message(b),
                  f"bomb: {st} {b!r}")
        grew = rss_kb(s.proc.pid) - base
        # One shard: the inflate buffer (64 MiB) and the body, no more.
        check(grew < (INFLATED_MAX + 2 * BODY_MAX) // 1024,
              f"RSS grew {grew} KiB for a 256 MiB bomb")
        check(s.total("sluice_otlp_http_rejected_total",
                      reason="inflated_too_large") == 3, "bomb not counted")
        st, _, _ = post(s, "/v1/metrics", gzip.compress(fixture("metrics.bin")),
                        headers={"Content-Encoding": "gzip"})
        check(st == 200, f"gzip after the bombs: {st}")
    finally:
        s.close()


def post_until(s, sig, after_s=1.0, conns=8):
    """conns connections post metrics.bin back to back; after after_s,
    send sig to sluice. Returns (200s received, (rc, seconds to exit))."""
    import threading
    ok, stop = [0] * conns, threading.Event()

    def sender(i):
        try:
            c = http.client.HTTPConnection("127.0.0.1", s.otlp_http_port,
                                           timeout=10)
            while not stop.is_set():
                c.request("POST", "/v1/metrics", body=fixture("metrics.bin"),
                          headers={"Content-Type": PROTO})
                r = c.getresponse()
                r.read()
                if r.status == 200:
                    ok[i] += 1
        except (OSError, http.client.HTTPException):
            pass  # closed at the stop: not answered, not promised

    ts = [threading.Thread(target=sender, args=(i,)) for i in range(conns)]
    for t in ts:
        t.start()
    time.sleep(after_s)
    res = s.stop(sig)
    stop.set()
    for t in ts:
        t.join()
    return sum(ok), res


def read_back_after_restart(binary, s, answered):
    s = Sluice(binary, data_dir=s.data_dir)
    try:
        n = len(export_values(s, "requests"))
        check(answered > 0 and n >= answered,
              f"{answered} answered 200, {n} read back")
        print(f"  {answered} answered 200 before the exit, {n} stored")
    finally:
        close_restarted(s)


def test_kill_9_under_load_keeps_every_200(binary):
    """The same with SIGKILL: nothing is flushed at the end, yet every 200
    was already durable."""
    s = Sluice(binary)
    try:
        answered, _ = post_until(s, signal.SIGKILL)
    finally:
        s.close(keep_data=True)
    read_back_after_restart(binary, s, answered)


def test_stop_under_load_keeps_every_200(binary):
    """SIGTERM while 8 connections post back to back: the process exits 0,
    new connections are refused, and every request answered 200 (before or
    during the stop) is read back after a restart."""
    s = Sluice(binary)
    try:
        answered, (rc, took) = post_until(s, signal.SIGTERM)
        check(rc == 0 and took < 3, f"stop: rc {rc} in {took:.1f} s")
        try:
            post(s, "/v1/logs", fixture("logs.bin"))
            check(False, "served after the stop")
        except OSError:
            pass
    finally:
        s.close(keep_data=True)
    read_back_after_restart(binary, s, answered)


def test_slow_client_timeouts(binary):
    """A head cut short gets 408 at the header deadline; a body cut short
    at the body deadline (counted from the end of the head)."""
    s = Sluice(binary)
    try:
        addr = ("127.0.0.1", s.otlp_http_port)
        body = socket.create_connection(addr, timeout=BODY_TIMEOUT_S + 5)
        t0 = time.time()
        body.sendall(b"POST /v1/metrics HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/x-protobuf\r\n"
                     b"Content-Length: 100\r\n\r\nonly part")
        with socket.create_connection(addr, timeout=HEADER_TIMEOUT_S + 5) as c:
            c.sendall(b"POST /v1/metrics HTTP/1.1\r\nHost: x\r\n")
            got = c.recv(1000)
            took = time.time() - t0
        check(got.startswith(b"HTTP/1.1 408 "), f"slow head: {got!r}")
        check(HEADER_TIMEOUT_S - 0.5 < took < HEADER_TIMEOUT_S + 2,
              f"408 after {took:.1f} s")
        got = body.recv(1000)
        took = time.time() - t0
        body.close()
        check(got.startswith(b"HTTP/1.1 408 ") and b"body" in got,
              f"slow body: {got!r}")
        check(BODY_TIMEOUT_S - 0.5 < took < BODY_TIMEOUT_S + 2,
              f"body 408 after {took:.1f} s")
        check(s.total("sluice_otlp_http_rejected_total", reason="timeout") == 2,
              "timeouts not counted")
        check(s.total("sluice_otlp_requests_total", signal="metrics",
                      code="408") == 1, "the body's 408 counted per signal")
        st, _, _ = post(s, "/v1/metrics", fixture("metrics.bin"))
        check(st == 200, f"others still served: {st}")
    finally:
        s.close()


def test_failed_fsync_is_503_with_retry_after(binary):
    s = start_with_env(binary, SLUICE_FAULT="fsync_eio=1")
    try:
        st, h, b = post(s, "/v1/metrics", fixture("metrics.bin"))
        check(st == 503 and h.get("retry-after") == "1",
              f"lost data answered {st} {h}")
        check("durable" in status_message(b), f"503 body: {b!r}")
        check(pb_fields(b)[1] == [14], f"Status.code UNAVAILABLE: {b!r}")
        check(s.total("sluice_otlp_http_rejected_total",
                      reason="not_durable") == 1, "not_durable not counted")
    finally:
        s.close()


def test_backpressure_retry_after(binary):
    """Every write fails: blocks pile up in the writer's retries. Each
    refusal is a 503 with Retry-After (writer_behind before ingesting, or
    not_durable after); none is a 200."""
    s = start_with_env(binary, SLUICE_FAULT="write_eio=1")
    try:
        conns = [http.client.HTTPConnection("127.0.0.1", s.otlp_http_port,
                                            timeout=60) for _ in range(8)]
        codes = []
        for _ in range(4):
            for c in conns:
                c.request("POST", "/v1/metrics", body=fixture("metrics.bin"),
                          headers={"Content-Type": PROTO})
            for c in conns:
                r = c.getresponse()
                r.read()
                codes.append(r.status)
                check(r.status != 503 or r.getheader("Retry-After") == "1",
                      "503 without Retry-After")
        check(set(codes) == {503}, f"codes: {codes}")
        behind = s.total("sluice_otlp_http_rejected_total",
                         reason="writer_behind")
        lost = s.total("sluice_otlp_http_rejected_total", reason="not_durable")
        check(behind + lost == len(codes), f"{behind} + {lost} counted")
        print(f"  writer_behind {behind}, not_durable {lost}")
    finally:
        s.close()


def test_durable_after_kill_9(binary):
    s = Sluice(binary)
    try:
        st, _, _ = post(s, "/v1/metrics", fixture("metrics.bin"))
        check(st == 200, f"post: {st}")
    finally:
        s = kill_9_and_restart(binary, s)
    try:
        names = series_names(s)
        for n in metric_names():
            check(any(x == n or x.startswith(n + "_") for x in names),
                  f"{n} lost by kill -9 after its 200: {sorted(names)}")
        check(export_values(s, "requests") == [1234567], "requests value")
    finally:
        close_restarted(s)


def test_stop_answers_waiting(binary):
    """SIGTERM: the listener stops accepting; the process exits 0."""
    s = Sluice(binary)
    try:
        st, _, _ = post(s, "/v1/logs", fixture("logs.bin"))
        check(st == 200, f"post: {st}")
        rc, took = s.stop()
        check(rc == 0 and took < 3, f"stop: rc {rc} in {took:.1f} s")
        try:
            post(s, "/v1/logs", fixture("logs.bin"))
            check(False, "served after the stop")
        except OSError:
            pass
    finally:
        s.close()


if __name__ == "__main__":
    if shutil.which("curl") is None:
        print("SKIP: curl missing")
        sys.exit(77)
    main([test_decoder_bounds_counted, test_fixtures_identity_gzip_chunked,
          test_expect_continue_and_keep_alive, test_refusals,
          test_gzip_bomb_bounded, test_failed_fsync_is_503_with_retry_after,
          test_backpressure_retry_after, test_durable_after_kill_9,
          test_stop_under_load_keeps_every_200,
          test_kill_9_under_load_keeps_every_200, test_slow_client_timeouts,
          test_stop_answers_waiting])
