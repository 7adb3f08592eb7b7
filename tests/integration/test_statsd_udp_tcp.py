"""StatsD end to end: real clients (Debian's python3-statsd and
python3-aiodogstatsd, plain sockets for malformed input) against a real
`sluice run` on loopback; the counts in /metrics must equal what was sent.

usage: /usr/bin/python3 test_statsd_udp_tcp.py PATH/TO/sluice
"""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Sluice, check, free_port, main  # noqa: E402

import statsd  # noqa: E402  python3-statsd
import aiodogstatsd  # noqa: E402  python3-aiodogstatsd

TYPES = ("counter", "gauge", "timer", "histogram", "distribution", "set")


class CountingUDP(statsd.StatsClient):
    """python3-statsd's UDP client, counting the datagrams it sends."""
    datagrams = 0

    def _send(self, data):
        CountingUDP.datagrams += 1
        super()._send(data)
        if CountingUDP.datagrams % 50 == 0:
            time.sleep(0.002)  # stay far below the socket buffer


def points_by_type(s):
    m = s.metrics()
    return {t: sum(int(v) for n, l, v in m
                   if n == "sluice_points_ingested_total" and l["type"] == t)
            for t in TYPES}


def wait_points(s, want, timeout=5.0):
    deadline = time.time() + timeout
    got = None
    while time.time() < deadline:
        got = points_by_type(s)
        if got == want:
            return got
        time.sleep(0.05)
    return got


def send_mixed(c):
    """Send a known mix with a python3-statsd client; return counts."""
    for i in range(200):
        c.incr("app.requests", 1 + i % 3)
    for i in range(50):
        c.decr("app.inflight")
    for i in range(100):
        c.gauge("app.queue", i)
    for i in range(25):
        c.gauge("app.queue", 2, delta=True)
        c.gauge("app.queue", -1, delta=True)
    c.gauge("app.temp", -5)          # sent as "0|g" then "-5|g": 2 points
    for i in range(100):
        c.timing("app.latency", i * 0.5)
    for i in range(80):
        c.set("app.users", f"user{i % 20}")
    with c.pipeline() as p:           # many lines per datagram
        for i in range(300):
            p.incr(f"pipe.c{i % 7}")
            p.timing("pipe.t", i)
    return {"counter": 250 + 300, "gauge": 152, "timer": 400,
            "histogram": 0, "distribution": 0, "set": 80}


def test_udp_python_statsd(binary):
    s = Sluice(binary, cores="2")
    try:
        CountingUDP.datagrams = 0
        c = CountingUDP("127.0.0.1", s.port)
        want = send_mixed(c)
        got = wait_points(s, want)
        check(got == want, f"points by type {got} != sent {want}")
        dg = s.wait_total("sluice_rx_datagrams_total", CountingUDP.datagrams,
                          listener="statsd_udp")
        check(dg == CountingUDP.datagrams,
              f"datagrams {dg} != sent {CountingUDP.datagrams}")
        check(s.total("sluice_parse_errors_total") == 0, "parse errors")
        check(s.total("sluice_rx_dropped_total") == 0, "kernel drops")
    finally:
        s.close()


def test_tcp_python_statsd(binary):
    s = Sluice(binary, cores="2")
    try:
        c = statsd.TCPStatsClient("127.0.0.1", s.port)
        want = send_mixed(c)
        c.close()
        got = wait_points(s, want)
        check(got == want, f"points by type {got} != sent {want}")
        check(s.total("sluice_parse_errors_total") == 0, "parse errors")
        check(s.wait_total("sluice_tcp_connections", 0) == 0,
              "connection not closed")
        check(s.total("sluice_tcp_accepted_total") == 1, "accepted != 1")
    finally:
        s.close()


async def send_dogstatsd(port, series):
    async with aiodogstatsd.Client(host="127.0.0.1", port=port,
                                   constant_tags={"env": "ci"}) as c:
        for i in range(series):
            tags = {"host": f"web{i}", "dc": "eu:west:1"}  # ':' in a value
            c.increment("dd.hits", value=3, tags=tags)
            c.gauge("dd.load", value=0.5 * i, tags=tags)
            c.histogram("dd.size", value=i, tags=tags)
            c.distribution("dd.dist", value=i * 2, tags=tags)
            c.timing("dd.time", value=i, tags=tags)
            if i % 10 == 9:
                await asyncio.sleep(0.005)


def test_dogstatsd_tags_aiodogstatsd(binary):
    s = Sluice(binary, cores="2")
    try:
        n = 40
        asyncio.run(send_dogstatsd(s.port, n))
        want = {"counter": n, "gauge": n, "timer": n, "histogram": n,
                "distribution": n, "set": 0}
        got = wait_points(s, want)
        check(got == want, f"points by type {got} != sent {want}")
        # One client socket lands on one shard: every series is new there.
        active = s.total("sluice_series_active")
        check(active == 5 * n, f"series_active {active} != {5 * n}")
        check(s.total("sluice_parse_errors_total") == 0, "parse errors")
    finally:
        s.close()


MALFORMED = [  # (line, reason)
    (b"novalue", "no_value"),
    (b":1|c", "empty_name"),
    (b"a.b:1", "no_type"),
    (b"a.b:1|x", "bad_type"),
    (b"a.b:abc|c", "bad_value"),
    (b"a.b:1|c|@2", "bad_rate"),
    (b"a.b:1|c|@0", "bad_rate"),
    (b"a.b:1|c|Tabc", "bad_timestamp"),
    (b"a.b:nan|g", "bad_value"),
    (b"x" * 300 + b":1|c", "line_too_long"),
]


def test_malformed_counted(binary):
    s = Sluice(binary, extra=["--max-line-bytes", "256"])
    try:
        good = [b"ok.a:1|c", b"ok.b:2|g|#k:v", b"ok.c:1:2:3|h",
                b"ok.d:5|ms|@0.5|#a,b:c|T1700000000",
                b"ok.e:7|c|c:container-1"]
        events = [b"_e{5,4}:title|text|#t:1", b"_sc|check.name|0|#t:1"]
        lines = []
        for i, (bad, _) in enumerate(MALFORMED):
            lines += [good[i % len(good)], bad]
        lines += events
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.sendto(b"\n".join(lines[:10]) + b"\n", ("127.0.0.1", s.port))
        u.sendto(b"\r\n".join(lines[10:]), ("127.0.0.1", s.port))
        want_points = sum(3 if g == b"ok.c:1:2:3|h" else 1
                          for g in lines if g.startswith(b"ok."))
        got = s.wait_total("sluice_points_ingested_total", want_points)
        check(got == want_points, f"points {got} != {want_points}")
        for reason in sorted({r for _, r in MALFORMED}):
            want = sum(1 for _, r in MALFORMED if r == reason)
            got = s.total("sluice_parse_errors_total", reason=reason)
            check(got == want, f"reason {reason}: {got} != {want}")
        total = s.total("sluice_parse_errors_total")
        check(total == len(MALFORMED), f"errors {total} != {len(MALFORMED)}")
        check(s.total("sluice_statsd_events_total", kind="event") == 1,
              "event not counted")
        check(s.total("sluice_statsd_events_total", kind="service_check")
              == 1, "service check not counted")
    finally:
        s.close()


def tcp_send_parts(port, parts):
    """One TCP connection; each part its own write (TCP_NODELAY, a pause
    between them, so that sluice reads them apart); then close."""
    t = socket.create_connection(("127.0.0.1", port))
    t.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for i, part in enumerate(parts):
        if i:
            time.sleep(0.2)
        t.sendall(part)
    t.close()


def test_tcp_line_split_across_writes(binary):
    s = Sluice(binary, extra=["--max-line-bytes", "128"])
    try:
        tcp_send_parts(s.port, [
            b"split.a:1|c\nsplit.b:", b"2|c\nsplit.",
            b"c:3|c\r\n" + b"y" * 100,
            b"z" * 100 + b":1|c\n",                 # 200+ bytes: over the bound
            b"split.d:4|c\nlast.line:5|c"])         # no final newline
        got = s.wait_total("sluice_points_ingested_total", 5)
        check(got == 5, f"points {got} != 5")
        bad = s.total("sluice_parse_errors_total", reason="line_too_long")
        check(bad == 1, f"line_too_long {bad} != 1")
        check(s.total("sluice_parse_errors_total") == 1, "other errors")
        check(s.total("sluice_series_active") == 5, "series != 5")
    finally:
        s.close()


def test_max_series_rejects_and_counts(binary):
    s = Sluice(binary, extra=["--max-series", "10"])
    try:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        body = b"\n".join(b"s.%d:1|c" % i for i in range(25))
        u.sendto(body, ("127.0.0.1", s.port))
        u.sendto(b"s.0:1|c\ns.24:1|c", ("127.0.0.1", s.port))
        got = s.wait_total("sluice_points_ingested_total", 11)
        check(got == 11, f"points {got} != 11")
        check(s.total("sluice_series_active") == 10, "active != 10")
        rej = s.total("sluice_series_rejected_total")
        check(rej == 16, f"rejected {rej} != 16")
    finally:
        s.close()


def test_key_cache_counts_tagged_lines(binary):
    """Every tagged line is one raw key cache lookup: a hit once the
    series is known to the shard that took it, a miss the first time."""
    s = Sluice(binary, cores="1")
    try:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(20):
            u.sendto(b"kc.a:1|c|#x:1,y:2\nkc.b:%d|g|#z:3\nkc.u:1|c" % i,
                     ("127.0.0.1", s.port))
        check(s.wait_total("sluice_points_ingested_total", 60) == 60,
              "points")
        hits = s.total("sluice_key_cache_hits_total", cache="statsd")
        miss = s.total("sluice_key_cache_misses_total", cache="statsd")
        check(hits + miss == 40, f"hits {hits} + misses {miss} != 40")
        check(miss == 2, f"misses {miss} != 2 (one a series)")
        check(s.total("sluice_key_cache_hits_total", cache="otlp") == 0,
              "otlp cache untouched by StatsD")
    finally:
        s.close()


def test_sigterm_drains_and_exits_fast(binary):
    s = Sluice(binary, cores="2")
    try:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(200):
            u.sendto(b"term.c:1|c\nterm.g:2|g", ("127.0.0.1", s.port))
        check(s.wait_total("sluice_points_ingested_total", 400) == 400,
              "points before SIGTERM")
        rc, secs = s.stop(signal.SIGTERM)
        check(rc == 0, f"exit code {rc} after SIGTERM; log: {s.logtext()}")
        check(secs < 2.0, f"took {secs:.2f}s to exit")
        s2 = Sluice(binary)
        rc, secs = s2.stop(signal.SIGINT)
        s2.close()
        check(rc == 0 and secs < 2.0, f"SIGINT: rc {rc}, {secs:.2f}s")
    finally:
        s.close()


def run_cli(binary, *args):
    p = subprocess.run([binary, *args], capture_output=True, text=True,
                       timeout=20)
    return p.returncode, p.stdout + p.stderr


def test_cli_usage_errors(binary):
    rc, out = run_cli(binary, "run", "--max-series", "abc")
    check(rc == 2 and "--max-series" in out, f"bad number: {rc} {out}")
    rc, out = run_cli(binary, "run", "--bogus")
    check(rc == 2 and "--bogus" in out, f"unknown option: {rc} {out}")
    rc, out = run_cli(binary, "run", "--syslog-max-bytes", "100")
    check(rc == 2 and "--syslog-max-bytes" in out and "480" in out,
          f"--syslog-max-bytes 100: {rc} {out}")
    rc, out = run_cli(binary, "run", "--statsd-udp", "nonsense")
    check(rc == 2 and "--statsd-udp" in out, f"bad addr: {rc} {out}")
    rc, out = run_cli(binary, "frobnicate")
    check(rc == 2, f"unknown command: {rc}")
    for cmd in ("run", "import"):
        rc, out = run_cli(binary, cmd, "--help")
        check(rc == 0 and "Usage: sluice " + cmd in out, f"{cmd} --help")
    rc, out = run_cli(binary, "--help")
    check(rc == 0 and "run" in out and "import" in out, "sluice --help")


def test_port_in_use_is_a_clear_error(binary):
    port = free_port()
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    blocker.bind(("127.0.0.1", port))
    blocker.listen()
    try:
        rc, out = run_cli(binary, "run", "--cores", "1", "--statsd-udp",
                          "off", "--statsd-tcp", f"127.0.0.1:{port}",
                          "--syslog-udp", "off", "--syslog-tcp", "off",
                          "--http", "off", "--data-dir", "/tmp/sluice-it-x")
        check(rc == 1, f"exit {rc}, want 1: {out}")
        check(f"127.0.0.1:{port}" in out and "--statsd-tcp" in out,
              f"message does not name the address and flag: {out}")
        rc, out = run_cli(binary, "run", "--cores", "1", "--statsd-udp",
                          "off", "--statsd-tcp", "off", "--syslog-udp", "off",
                          "--syslog-tcp", f"127.0.0.1:{port}",
                          "--http", "off", "--data-dir", "/tmp/sluice-it-x")
        check(rc == 1, f"exit {rc}, want 1: {out}")
        check(f"127.0.0.1:{port}" in out and "--syslog-tcp" in out,
              f"message does not name the address and flag: {out}")
    finally:
        blocker.close()


def test_config_file(binary):
    port, http = free_port(), free_port()
    path = f"/tmp/sluice-it-{os.getpid()}.conf"
    with open(path, "w") as f:
        f.write(f"# test config\nstatsd-udp = 127.0.0.1:{port}\n"
                f"statsd-tcp = off\nhttp = \"127.0.0.1:{http}\"\n"
                "syslog-udp = off\nsyslog-tcp = off\n"
                # OTLP off: its default ports may be taken on this machine
                "otlp-http = off\notlp-grpc = off\n"
                "max-series = 3\ncores = 1\ndata-dir = /tmp/sluice-it-cfg\n")
    p = subprocess.Popen([binary, "run", "--config", path],
                         stderr=subprocess.PIPE)
    try:
        import urllib.request
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{http}/-/ready",
                                       timeout=1)
                break
            except OSError:
                if p.poll() is not None:
                    raise AssertionError("sluice --config exited "
                                         f"{p.returncode}: "
                                         f"{p.stderr.read().decode()!r}")
                time.sleep(0.05)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.sendto(b"a:1|c\nb:1|c\nc:1|c\nd:1|c", ("127.0.0.1", port))
        time.sleep(0.3)
        with urllib.request.urlopen(f"http://127.0.0.1:{http}/metrics") as r:
            text = r.read().decode()
        rej = [l for l in text.splitlines()
               if l.startswith("sluice_series_rejected_total")]
        check(any(l.endswith(" 1") for l in rej), f"max-series from file: {rej}")
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=5)
        os.unlink(path)
    with open(path, "w") as f:
        f.write("statsd-udp = off\nno-such-option = 1\n")
    rc, out = run_cli(binary, "run", "--config", path)
    os.unlink(path)
    check(rc == 2 and "no-such-option" in out and ":2" in out,
          f"bad config: {rc} {out}")


class AlwaysSampled:
    """Stands in for python3-statsd's `random`: every sampled call sends."""
    @staticmethod
    def random():
        return 0.0


def export_text(s):
    q = urllib.parse.urlencode([("match[]", '{__name__=~".+"}')])
    with urllib.request.urlopen(s.url("/api/v1/export?" + q),
                                timeout=30) as r:
        return r.read().decode()


def test_nothing_infinite_is_stored(binary):
    """A rate whose 1/rate overflows (bad_rate), a counter whose value /
    rate overflows and a gauge delta past DBL_MAX (bad_value) are refused;
    one '\r' ends a line, a second one is a bad byte (UDP and TCP alike)."""
    from statsd.client import base
    s = Sluice(binary)
    sampling = base.random
    base.random = AlwaysSampled
    try:
        c = statsd.StatsClient("127.0.0.1", s.port)
        c.incr("inf.x", 1, rate=1e-320)            # bad_rate
        c.incr("inf.big", 1e308, rate=0.1)         # bad_value
        c.timing("inf.t", 5, rate=1e-320)          # bad_rate
        c.incr("fin.edge", 2, rate=2.2250738585072014e-308)  # 8.99e307
        c.timing("fin.t", 5, rate=0.25)            # weight 4
        c.gauge("fin.g", 1e308)
        c.gauge("fin.g", 1e308, delta=True)        # bad_value
        c.gauge("fin.g", -1, delta=True)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.sendto(b"crlf.a:1|c\r\ncrlf.b:1|c\r\r\ncrlf.c:1\r|c\n"
                 b"crlf.d:1|c\r", ("127.0.0.1", s.port))
        u.close()
        tcp_send_parts(s.port, [b"crlf.e:1|c\r", b"\r\ncrlf.f:1|c\r",
                                b"\ncrlf.g:1|c\r"])  # the last: no '\n'
        for reason, n in (("bad_rate", 2), ("bad_value", 2),
                          ("bad_byte", 3)):
            got = s.wait_total("sluice_parse_errors_total", n, reason=reason)
            check(got == n, f"{reason}: {got} != {n}")
        # fin.edge, fin.t, fin.g twice; crlf.a and .d (UDP), .f and .g (TCP)
        got = s.wait_total("sluice_points_ingested_total", 8)
        check(got == 8, f"points {got} != 8")
        check(s.total("sluice_parse_errors_total") == 7, "other errors")
        s.flush()
        body = export_text(s)
        check("Inf" not in body and "inf\"" not in body and "NaN" not in body,
              f"a non-finite value or weight was stored: {body}")
        rows = [json.loads(l) for l in body.splitlines() if l.strip()]
        names = sorted(r["metric"]["__name__"] for r in rows)
        check(names == ["crlf.a", "crlf.d", "crlf.f", "crlf.g", "fin.edge",
                        "fin.g", "fin.t"], f"series {names}")
        by = {r["metric"]["__name__"]: r for r in rows}
        check(by["fin.edge"]["values"] == [2 / 2.2250738585072014e-308],
              f"edge {by['fin.edge']['values']}")
        check(by["fin.g"]["values"] == [1e308, 1e308 - 1],
              f"gauge {by['fin.g']['values']}")
        check(by["fin.t"]["metric"].get("__weight__") == "4",
              f"weight {by['fin.t']['metric']}")
    finally:
        base.random = sampling
        s.close()


if __name__ == "__main__":
    main([test_udp_python_statsd, test_tcp_python_statsd,
          test_dogstatsd_tags_aiodogstatsd, test_malformed_counted,
          test_tcp_line_split_across_writes,
          test_max_series_rejects_and_counts,
          test_sigterm_drains_and_exits_fast, test_cli_usage_errors,
          test_port_in_use_is_a_clear_error, test_config_file,
          test_nothing_infinite_is_stored])
