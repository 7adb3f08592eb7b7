"""Prometheus remote-read end to end: StatsD counters, gauges and timers
with dots and tags go into a real sluice, a real Prometheus (Debian's
`prometheus`, remote_read with read_recent: true, nothing of its own)
queries them with PromQL, and every answer is checked against what
sluice stored (/api/v1/export). Also: the docs' PromQL recipe for StatsD
counters, both response types read directly (SAMPLES and
STREAMED_XOR_CHUNKS, frames and XOR chunks decoded from the format's
description), sluice's XOR chunks byte for byte against the chunks
Prometheus itself encodes for the same samples, and hostile bodies.

usage: /usr/bin/python3 test_remote_read.py PATH/TO/sluice
"""

import atexit
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import prompb_wire as pw  # noqa: E402
from harness import Skip, Sluice, check, free_port, main  # noqa: E402

NOW = int(time.time())
# Every sample within one 2-hour-aligned window (Prometheus cuts its head
# chunks there) and at least 3 minutes in the past.
BASE = (NOW - 1500) // 7200 * 7200 + 60
TEND = BASE + 1260


def prom_name(name, metric):
    """net_prompb_name_map, byte by byte."""
    ok = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_" + \
        (":" if metric else "")
    b = name.encode()
    out = "_" if b[:1].isdigit() else ""
    for c in b:
        ch = chr(c)
        out += ch if ch in ok or (ch.isdigit() and out) else "_"
    return out


def lines():
    """(StatsD line, stored name, tags, ts_ms, stored value)."""
    out = []
    for i in range(100):
        out.append(("web.requests", {"env": "prod", "host": "a"}, "c",
                    BASE + i * 7, (i % 5) + 1))
    for i in range(50):
        out.append(("web.requests", {"env": "dev", "host": "b"}, "c",
                    BASE + i * 13, 10))
    for i in range(40):
        out.append(("db.pool.size", {"env": "prod", "kube.ns": "default"},
                    "g", BASE + i * 30, i * 1.5 + 0.25))
    for i in range(150):
        out.append(("api.latency", {"env": "prod"}, "ms", BASE + i * 5,
                    (i * 37 % 101) / 4))
    # times with gaps: delta-of-deltas of every width
    # (gauges without a sign: a signed gauge value is a delta)
    for i, dt in enumerate([0, 1, 2, 3, 300, 301, 900, 1100, 1101, 1103]):
        out.append(("9lives.odd-name", {"a.b": "x"}, "g", BASE + dt,
                    [1e300, 0.0, 3.5, 3.5, 1.0, 1.0000000000000002,
                     1.0000000000000004, 2e9, 1e-300, 42][i]))
    return out


class Env:
    """One sluice with the data and one Prometheus reading it."""

    def __init__(self, binary):
        if shutil.which("prometheus") is None:
            raise Skip("Debian's prometheus is not installed "
                       "(scripts/deps.sh test)")
        # two shards, and the lines of every series spread over both
        # (SO_REUSEPORT picks a shard by the source port): remote-read
        # merges each series across shards
        self.s = Sluice(binary, cores="2")
        self.tmp = tempfile.mkdtemp(prefix="sluice-rread-")
        self.prom = None
        atexit.register(self.close)
        socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                 for _ in range(8)]
        for i, (name, tags, kind, ts, v) in enumerate(lines()):
            tagtext = ",".join(f"{k}:{tv}" for k, tv in tags.items())
            socks[i % len(socks)].sendto(
                f"{name}:{v!r}|{kind}|#{tagtext}|T{ts}".encode(),
                ("127.0.0.1", self.s.port))
        want = len(lines())
        got = self.s.wait_total("sluice_points_ingested_total", want)
        check(got == want, f"sluice took {got} of {want} samples")
        per_shard = [self.s.total("sluice_points_ingested_total", shard=k)
                     for k in (0, 1)]
        if min(per_shard) == 0:
            raise Skip(f"every datagram went to one shard: {per_shard}")
        self.s.flush()
        self.start_prometheus()

    def start_prometheus(self):
        self.port = free_port()
        cfg = os.path.join(self.tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 15s\nremote_read:\n"
                    f"  - url: http://127.0.0.1:{self.s.http_port}"
                    "/api/v1/read\n    read_recent: true\n")
        self.log = open(os.path.join(self.tmp, "prometheus.log"), "w+")
        self.prom = subprocess.Popen(
            ["prometheus", f"--config.file={cfg}",
             f"--storage.tsdb.path={self.tmp}/tsdb",
             f"--web.listen-address=127.0.0.1:{self.port}",
             "--web.enable-remote-write-receiver"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.purl("/-/ready"),
                                            timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.log.seek(0)
        raise RuntimeError("prometheus not ready: " + self.log.read()[-3000:])

    def purl(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self):
        if self.prom and self.prom.poll() is None:
            self.prom.terminate()
            self.prom.wait(timeout=10)
        self.s.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


ENV = None


def env(binary):
    global ENV
    if ENV is None:
        ENV = Env(binary)
    return ENV


def promql(e, path, **params):
    url = e.purl(path) + "?" + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            doc = json.load(r)
    except urllib.error.HTTPError as err:
        raise AssertionError(f"{path} {params}: {err.code} {err.read()}")
    check(doc["status"] == "success", f"{params}: {doc}")
    return doc["data"]


def export(e, selector):
    """{frozenset(Prometheus labels): [(ts_ms, value)]} from sluice."""
    url = e.s.url("/api/v1/export?" +
                  urllib.parse.urlencode({"match[]": selector}))
    with urllib.request.urlopen(url, timeout=30) as r:
        body = r.read().decode()
    out = {}
    for line in body.splitlines():
        row = json.loads(line)
        labels = {}
        for k, v in row["metric"].items():
            if k == "__name__":
                labels[k] = prom_name(v, True)
            else:
                labels[prom_name(k, False)] = v
        out[frozenset(labels.items())] = list(zip(row["timestamps"],
                                                  row["values"]))
    return out


def matrix(data):
    """{frozenset(labels): [(ts_ms, value)]} of a Prometheus matrix."""
    return {frozenset(r["metric"].items()):
            [(int(round(float(t) * 1000)), float(v)) for t, v in r["values"]]
            for r in data["result"]}


def vector(data):
    return {frozenset(r["metric"].items()): float(r["value"][1])
            for r in data["result"]}


PROM_MAJOR = []


def prom_major():
    if not PROM_MAJOR:
        out = subprocess.run(["prometheus", "--version"],
                             capture_output=True, text=True).stdout
        m = re.search(r"version (\d+)\.", out)
        PROM_MAJOR.append(int(m.group(1)) if m else 2)
    return PROM_MAJOR[0]


def in_window(ts, t_ms, w_ms):
    """Prometheus 2 windows are [t-w, t]; Prometheus 3 made them (t-w, t]."""
    lo_ok = ts > t_ms - w_ms if prom_major() >= 3 else ts >= t_ms - w_ms
    return lo_ok and ts <= t_ms


# ---- through Prometheus ---------------------------------------------------


def test_raw_samples_exact(binary):
    """`{__name__=~".+"}[21m]` through Prometheus: every series and every
    sample exactly as sluice stored them, names and label names mapped."""
    e = env(binary)
    want = export(e, '{__name__=~".+"}')
    check(len(want) == 5, f"sluice stored {len(want)} series")
    got = matrix(promql(e, "/api/v1/query", query='{__name__=~".+"}[21m]',
                        time=TEND))
    check(set(got) == set(want),
          f"series differ: {set(got) ^ set(want)}")
    for k in want:
        w = [(t, float(v)) for t, v in want[k]]
        check(got[k] == w, f"{dict(k)}: prometheus {got[k][:5]}... "
                           f"sluice {w[:5]}...")
    names = {dict(k)["__name__"] for k in got}
    check(names == {"web_requests", "db_pool_size", "api_latency",
                    "_9lives_odd_name"}, f"names {names}")


def test_label_matchers(binary):
    """= != =~ !~ and a dotted StatsD name through its mapped name select
    the same series as sluice's own selectors on the stored names."""
    e = env(binary)
    cases = [
        ('web_requests{env="prod"}', 'web.requests{env="prod"}'),
        ('web_requests{env!="prod"}', 'web.requests{env!="prod"}'),
        ('web_requests{host=~"a|b"}', 'web.requests{host=~"a|b"}'),
        ('web_requests{host!~"a"}', 'web.requests{host!~"a"}'),
        ('{__name__="db_pool_size",kube_ns="default"}',
         'db.pool.size{kube.ns="default"}'),
        ('{__name__=~"api_.*",env=~"pr.*"}', 'api.latency'),
        ('{__name__=~"web_requests|db_pool_size",env!~"dev"}',
         '{__name__=~"web.requests|db.pool.size",env!="dev"}'),
        ('_9lives_odd_name{a_b="x"}', '{"9lives.odd-name"}'),
    ]
    for promsel, sluicesel in cases:
        want = {k: float(len(v)) for k, v in export(e, sluicesel).items()}
        got = vector(promql(e, "/api/v1/query",
                            query=f"count_over_time({promsel}[21m])",
                            time=TEND))
        want = {frozenset((a, b) for a, b in k if a != "__name__"): v
                for k, v in want.items()}
        check(want and got == want, f"{promsel}: prometheus {got}, "
                                    f"sluice {want}")
    none = promql(e, "/api/v1/query", query='web_requests{env="nope"}',
                  time=TEND)
    check(none["result"] == [], f"no match: {none}")
    dotted = promql(e, "/api/v1/query", query='{__name__="web.requests"}',
                    time=TEND) if prom_major() >= 3 else {"result": []}
    check(dotted["result"] == [], "the stored dotted name is not served")


def test_counter_recipe(binary):
    """docs/query-api.md's recipe: counters are increments, so
    sum_over_time(c[1m]) is the count of the minute and
    sum_over_time(c[1m]) / 60 the rate per second; a range query over
    both, checked at every step against sums of what sluice stored."""
    e = env(binary)
    want = export(e, 'web.requests')
    start, end, step = BASE + 60, BASE + 720, 60
    counts = matrix(promql(e, "/api/v1/query_range",
                           query="sum_over_time(web_requests[1m])",
                           start=start, end=end, step=step))
    rates = matrix(promql(e, "/api/v1/query_range",
                          query="sum_over_time(web_requests[1m]) / 60",
                          start=start, end=end, step=step))
    total = vector(promql(e, "/api/v1/query",
                          query="sum(sum_over_time(web_requests[21m]))",
                          time=TEND))
    check(len(counts) == 2, f"series {list(counts)}")
    for k, samples in want.items():
        k2 = frozenset((a, b) for a, b in k if a != "__name__")
        for t_ms, got in counts[k2]:
            exp = sum(v for ts, v in samples if in_window(ts, t_ms, 60000))
            check(got == exp, f"{dict(k2)} at {t_ms}: {got} != {exp}")
        check([(t, v / 60) for t, v in counts[k2]] == rates[k2],
              f"rate of {dict(k2)}")
        check(len(counts[k2]) >= 10, f"steps {len(counts[k2])}")
    grand = sum(v for s in want.values() for _, v in s)
    check(list(total.values()) == [grand], f"total {total} != {grand}")


def test_gauges_and_timers(binary):
    """Gauges: the last value at or before t within the lookback; timers:
    count, max and average of a minute's samples."""
    e = env(binary)
    (gk, gauge), = export(e, 'db.pool.size').items()
    (tk, timer), = export(e, 'api.latency').items()
    for t in range(BASE + 15, BASE + 1200, 95):
        got = vector(promql(e, "/api/v1/query", query="db_pool_size",
                            time=t))
        exp = [v for ts, v in gauge if ts <= t * 1000][-1]
        check(list(got.values()) == [exp], f"gauge at {t}: {got} != {exp}")
        win = [v for ts, v in timer if in_window(ts, t * 1000, 60000)]
        if not win:
            continue
        for fn, exp in (("count_over_time", len(win)),
                        ("max_over_time", max(win)),
                        ("sum_over_time", sum(win))):
            got = vector(promql(e, "/api/v1/query",
                                query=f"{fn}(api_latency[1m])", time=t))
            check(abs(list(got.values())[0] - exp) <= 1e-9 * abs(exp),
                  f"{fn} at {t}: {got} != {exp}")


# ---- direct requests ------------------------------------------------------


def post_read(url, body, headers=None):
    h = {"Content-Type": "application/x-protobuf",
         "Content-Encoding": "snappy",
         "X-Prometheus-Remote-Read-Version": "0.1.0"}
    h.update(headers or {})
    req = urllib.request.Request(url, data=body, method="POST", headers=h)
    t0 = time.time()
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read(), time.time() - t0
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read(), time.time() - t0


QUERIES = [(BASE * 1000, TEND * 1000, [(pw.RE, "__name__", "web_.*")]),
           (BASE * 1000, TEND * 1000, [(pw.EQ, "env", "prod"),
                                       (pw.NRE, "__name__", "web_.*")]),
           (BASE * 1000 + 100000, BASE * 1000 + 200000,
            [(pw.EQ, "__name__", "api_latency")])]


def expected(e):
    allser = export(e, '{__name__=~".+"}')

    def sel(q):
        start, end, ms = q
        out = {}
        for k, samples in allser.items():
            d = dict(k)
            ok = True
            for t, n, v in ms:
                val = d.get(n, "")
                hit = {pw.EQ: val == v, pw.NEQ: val != v,
                       pw.RE: re.fullmatch(v, val) is not None,
                       pw.NRE: re.fullmatch(v, val) is None}[t]
                ok = ok and hit
            pts = [(t, float(v)) for t, v in samples if start <= t <= end]
            if ok and pts:
                out[k] = pts
        return out
    return [sel(q) for q in QUERIES]


def test_samples_response(binary):
    """A ReadRequest without accepted_response_types (and one that lists
    SAMPLES): a snappy ReadResponse, one QueryResult per query in order,
    labels sorted, samples exactly as stored."""
    e = env(binary)
    want = expected(e)
    for accepted in ((), (pw.SAMPLES, pw.STREAMED_XOR_CHUNKS)):
        body = pw.snappy_compress(pw.read_request(QUERIES, accepted))
        st, h, b, _ = post_read(e.s.url("/api/v1/read"), body)
        check(st == 200, f"{st} {b[:300]}")
        check(h["Content-Type"] == "application/x-protobuf" and
              h["Content-Encoding"] == "snappy", str(h))
        res = pw.parse_read_response(pw.snappy_uncompress(b))
        check(len(res) == len(QUERIES), f"{len(res)} results")
        for i, series in enumerate(res):
            got = {}
            for labels, samples in series:
                check(labels == sorted(labels), f"unsorted {labels}")
                got[frozenset(labels)] = samples
            check(got == want[i], f"query {i}: {got} != {want[i]}")


def test_streamed_chunks(binary):
    """accepted_response_types [STREAMED_XOR_CHUNKS]: CRC32C frames of
    ChunkedReadResponse, query_index per query, XOR chunks of at most 120
    samples whose min/max times bound them, decoding to what is stored."""
    e = env(binary)
    want = expected(e)
    body = pw.snappy_compress(pw.read_request(QUERIES,
                                              [pw.STREAMED_XOR_CHUNKS]))
    st, h, b, _ = post_read(e.s.url("/api/v1/read"), body)
    check(st == 200, f"{st} {b[:300]}")
    check(h["Content-Type"] == "application/x-streamed-protobuf; "
          "proto=prometheus.ChunkedReadResponse", h["Content-Type"])
    check(h.get("Content-Encoding") in (None, ""), "no content encoding")
    got = [{} for _ in QUERIES]
    nchunks = 0
    for qi, labels, chunks in pw.parse_chunked(b):
        samples = []
        for mint, maxt, typ, data in chunks:
            check(typ == 1, f"chunk type {typ}")
            d = pw.xor_decode(data)
            check(0 < len(d) <= 120 and d[0][0] == mint and d[-1][0] == maxt,
                  f"chunk {mint}..{maxt}: {len(d)} samples")
            samples += d
            nchunks += 1
        got[qi][frozenset(labels)] = samples
    check(nchunks >= 4, f"{nchunks} chunks")  # api.latency: 150 samples
    for i in range(len(QUERIES)):
        check(str(got[i]) == str(want[i]), f"query {i}: {got[i]} != "
                                           f"{want[i]}")


def test_chunks_match_prometheus(binary):
    """The same samples remote-written into Prometheus and read back from
    its own /api/v1/read as STREAMED_XOR_CHUNKS: its chunkenc encoder and
    sluice's produce the same bytes (series of at most 100 samples, which
    Prometheus keeps in one head chunk)."""
    e = env(binary)
    compared = 0
    for stored in ('db.pool.size', '{"9lives.odd-name"}',
                   'web.requests{env="dev"}'):
        (k, samples), = export(e, stored).items()
        samples = [(t, float(v)) for t, v in samples]
        name = "oracle_" + dict(k)["__name__"]
        wr = pw.write_request([({"__name__": name}, samples)])
        req = urllib.request.Request(
            e.purl("/api/v1/write"), data=pw.snappy_compress(wr),
            method="POST",
            headers={"Content-Type": "application/x-protobuf",
                     "Content-Encoding": "snappy",
                     "X-Prometheus-Remote-Write-Version": "0.1.0"})
        with urllib.request.urlopen(req, timeout=30) as r:
            check(r.status in (200, 204), f"remote write {r.status}")
        q = [(BASE * 1000 - 1, TEND * 1000, [(pw.EQ, "__name__", name)])]
        body = pw.snappy_compress(pw.read_request(q, [1]))
        st, _, theirs, _ = post_read(e.purl("/api/v1/read"), body)
        check(st == 200, f"prometheus read {st} {theirs[:200]}")
        q = [(BASE * 1000 - 1, TEND * 1000,
              [(pw.EQ, "__name__", dict(k)["__name__"])] +
              [(pw.EQ, a, b) for a, b in k if a != "__name__"])]
        body = pw.snappy_compress(pw.read_request(q, [1]))
        st, _, ours, _ = post_read(e.s.url("/api/v1/read"), body)
        check(st == 200, f"sluice read {st}")
        (_, _, pchunks), = pw.parse_chunked(theirs)
        (_, _, schunks), = pw.parse_chunked(ours)
        check(pw.xor_decode(pchunks[0][3]) == samples[:len(
            pw.xor_decode(pchunks[0][3]))], "the decoder reads Prometheus")
        if len(pchunks) == 1:
            check(len(schunks) == 1, f"{len(schunks)} chunks")
            check(schunks[0] == pchunks[0],
                  f"{stored}: sluice {schunks[0][3].hex()} != prometheus "
                  f"{pchunks[0][3].hex()}")
            compared += 1
    check(compared >= 2, f"only {compared} series compared byte for byte")


def test_matchers_matching_empty(binary):
    """Matchers that all match "" (PromQL refuses such a selector, a
    remote-read client may send it, and Prometheus' own endpoint takes
    it): every series that passes them, absent labels being ""."""
    e = env(binary)
    allser = export(e, '{__name__=~".+"}')
    for ms, keep in (([(pw.NEQ, "env", "dev")],
                      lambda d: d.get("env", "") != "dev"),
                     ([(pw.EQ, "kube_ns", "")],
                      lambda d: "kube_ns" not in d),
                     ([(pw.NRE, "host", ".+")], lambda d: "host" not in d)):
        q = [(BASE * 1000, TEND * 1000, ms)]
        body = pw.snappy_compress(pw.read_request(q))
        st, _, b, _ = post_read(e.s.url("/api/v1/read"), body)
        check(st == 200, f"{ms}: {st} {b[:200]}")
        (got,) = pw.parse_read_response(pw.snappy_uncompress(b))
        want = {k for k in allser if keep(dict(k))}
        check({frozenset(lab) for lab, _ in got} == want,
              f"{ms}: {len(got)} series, want {len(want)}")


# ---- hostile input --------------------------------------------------------


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_bad_bodies(binary):
    """Malformed bodies get a 4xx that names the problem, at once, and
    sluice's memory stays put; every refusal is counted by reason."""
    e = env(binary)
    url = e.s.url("/api/v1/read")
    ok_q = [(0, 1, [(pw.EQ, "__name__", "x")])]
    many = [(0, 1, [(pw.EQ, f"l{i}", "v") for i in range(33)])]
    cases = [
        ("bad snappy", b"\x05not snappy", 400, "bad_snappy", "snappy"),
        ("snappy claiming 4 GiB", pw.uvarint(0xFFFFFFFF) + b"\x00", 413,
         "body_size", "inflates"),
        ("2 MiB body", b"\x00" * (2 << 20), 413, "body_size", "body"),
        ("bad protobuf", pw.snappy_compress(b"\x0a\xff\xff\x01"), 400,
         "bad_protobuf", "protobuf"),
        ("unknown matcher type",
         pw.snappy_compress(pw.read_request([(0, 1, [(9, "a", "b")])])),
         400, "bad_protobuf", "matcher type"),
        ("33 matchers", pw.snappy_compress(pw.read_request(many)), 400,
         "request_bound", "matchers"),
        ("17 queries", pw.snappy_compress(pw.read_request(ok_q * 17)), 400,
         "request_bound", "queries"),
        ("5000-byte matcher value", pw.snappy_compress(pw.read_request(
            [(0, 1, [(pw.EQ, "a", "v" * 5000)])])), 400, "request_bound",
         "NET_SELECTOR_BYTES_MAX"),
        ("(a*)* regex", pw.snappy_compress(pw.read_request(
            [(0, 1, [(pw.RE, "a", "(a*)*")])])), 400, "bad_matcher",
         "regex"),
        ("a{1,1000}{1,1000} regex", pw.snappy_compress(pw.read_request(
            [(0, 1, [(pw.RE, "__name__", "a{1,1000}{1,1000}")])])), 400,
         "bad_matcher", "NET_REGEX_PROGRAM_MAX"),
        ("RE2-only \\d", pw.snappy_compress(pw.read_request(
            [(0, 1, [(pw.RE, "__name__", "\\d+")])])), 400, "bad_matcher",
         "[0-9]"),
        ("no response type sluice has", pw.snappy_compress(
            pw.read_request(ok_q, [7])), 400, "response_type",
         "accepted_response_types"),
    ]
    before = {r: e.s.total("sluice_remote_read_rejected_total", reason=r)
              for _, _, _, r, _ in cases}
    rss0 = rss_kb(e.s.proc.pid)
    for _ in range(3):
        for what, body, code, reason, words in cases:
            st, _, b, dt = post_read(url, body)
            check(st == code, f"{what}: {st} {b[:300]}")
            check(words.encode() in b, f"{what}: {b[:300]}")
            check(dt < 2.0, f"{what}: took {dt:.2f}s")
    growth = rss_kb(e.s.proc.pid) - rss0
    check(growth < 64 * 1024, f"RSS grew by {growth} KiB")
    for r in before:
        n = sum(3 for c in cases if c[3] == r)
        got = e.s.total("sluice_remote_read_rejected_total", reason=r)
        check(got - before[r] == n, f"{r}: {got - before[r]} != {n}")
    with urllib.request.urlopen(url.replace("/read", "/export?match[]=x"),
                                timeout=5):
        pass  # still serving
    try:
        urllib.request.urlopen(url, timeout=5)
        check(False, "GET /api/v1/read answered 2xx")
    except urllib.error.HTTPError as err:
        check(err.code == 405 and err.headers["Allow"] == "POST",
              f"GET: {err.code}")


def imported(binary, tmp, name, lines):
    """A sluice serving a data directory of its own that `sluice import`
    filled with the StatsD lines (one scan reads only them)."""
    src = os.path.join(tmp, name + ".statsd")
    with open(src, "w") as f:
        f.writelines(lines)
    data = os.path.join(tmp, name)
    p = subprocess.run([binary, "import", "--proto", "statsd",
                        "--data-dir", data, src],
                       capture_output=True, text=True, timeout=240)
    check(p.returncode == 0, f"import: {p.returncode} {p.stderr}")
    return Sluice(binary, data_dir=data)


def read_req(s, queries, accepted=()):
    body = pw.snappy_compress(pw.read_request(queries, accepted))
    return post_read(s.url("/api/v1/read"), body)


def rejected(s, reason):
    return s.total("sluice_remote_read_rejected_total", reason=reason)


END_MS = int(time.time() * 1000) + 3600 * 1000


def refused_once(s, queries, reason, words, accepted=()):
    """The request gets a 422 naming the bound, counted under reason."""
    before = rejected(s, reason)
    st, _, b, dt = read_req(s, queries, accepted)
    check(st == 422 and words.encode() in b, f"{reason}: {st} {b[:300]}")
    check(rejected(s, reason) == before + 1, f"{reason} counted")
    check(dt < 10, f"{reason}: refused after {dt:.1f}s")


def test_selection_bounds(binary):
    """More series than CORE_QUERY_SERIES_MAX in a query, or more samples
    than CORE_QUERY_POINTS_MAX over the request's queries together, get
    a 422 that names the bound, counted by reason, while a narrower
    request on the same data is served whole."""
    series_max, points_max = 100000, 1 << 22  # core/base/limits.h
    per = 300000
    with tempfile.TemporaryDirectory(prefix="sluice-rread-bound-") as tmp:
        s = imported(binary, tmp, "series",
                     (f"bnd.x:1|c|#i:{i}\n" for i in range(series_max + 1)))
        try:
            st, _, b, _ = read_req(s, [(0, END_MS, [
                (pw.EQ, "__name__", "bnd_x"), (pw.EQ, "i", "77")])])
            check(st == 200, f"narrow: {st} {b[:200]}")
            (res,) = pw.parse_read_response(pw.snappy_uncompress(b))
            check(len(res) == 1, f"{len(res)} series for i=77")
            refused_once(s, [(0, END_MS, [(pw.EQ, "__name__", "bnd_x")])],
                         "series", f"more than {series_max} series")
        finally:
            s.close()
        s = imported(binary, tmp, "samples",
                     (f"pts.one:{i % 97}|g|#k:v\n" for i in range(per)))
        try:
            one = (0, END_MS, [(pw.EQ, "__name__", "pts_one")])
            st, _, b, _ = read_req(s, [one])
            check(st == 200, f"one query: {st} {b[:200]}")
            (res,) = pw.parse_read_response(pw.snappy_uncompress(b))
            check(len(res) == 1 and len(res[0][1]) == per,
                  f"{sum(len(x[1]) for x in res)} samples, want {per}")
            n = points_max // per + 1  # together just over the bound
            refused_once(s, [one] * n, "samples",
                         f"more than {points_max} samples")
        finally:
            s.close()


def test_response_size_bound(binary):
    """A response over NET_REMOTE_READ_RESPONSE_BYTES_MAX (128 MiB: long
    labels, many queries) gets a 422 in either response type, counted,
    while one of its queries alone is served."""
    pad = "p" * 3500  # 2500 series of 3.5 KB labels: 8.75 MB a query
    with tempfile.TemporaryDirectory(prefix="sluice-rread-bound-") as tmp:
        s = imported(binary, tmp, "big", (f"big.x:1|g|#i:{i},pad:{pad}\n"
                                          for i in range(2500)))
        try:
            big = (0, END_MS, [(pw.EQ, "__name__", "big_x")])
            st, _, b, _ = read_req(s, [big])
            check(st == 200, f"one big query: {st} {b[:200]}")
            (res,) = pw.parse_read_response(pw.snappy_uncompress(b))
            check(len(res) == 2500, f"{len(res)} big series")
            for accepted in ([pw.SAMPLES], [pw.STREAMED_XOR_CHUNKS]):
                refused_once(s, [big] * 16, "response_size",
                             "the response is over 134217728", accepted)
            check(s.total("sluice_remote_read_requests_total", code="422")
                  == 2, "two 422 answers counted")
        finally:
            s.close()


def test_time_budget(binary):
    """A request still running when its CORE_QUERY_TIME_MS_MAX (10 s)
    budget is spent gets a 503 that says so, counted as timeout: sluice
    is stopped (SIGSTOP) for longer than the budget while it scans, then
    continued. A stop that falls before or after the scan leaves a 200;
    the attempt is made again (at most 4 times)."""
    import signal
    import threading
    with tempfile.TemporaryDirectory(prefix="sluice-rread-time-") as tmp:
        s = imported(binary, tmp, "time",
                     (f"bnd.x:1|c|#i:{i}\n" for i in range(100001)))
        try:
            q = [(0, END_MS, [(pw.EQ, "__name__", "bnd_x"),
                              (pw.RE, "i", ".*7.*")])] * 16
            for attempt in range(4):
                before = rejected(s, "timeout")
                out = []
                th = threading.Thread(
                    target=lambda: out.append(read_req(s, q)))
                th.start()
                time.sleep(0.15)
                os.kill(s.proc.pid, signal.SIGSTOP)
                time.sleep(10.5)
                os.kill(s.proc.pid, signal.SIGCONT)
                th.join(60)
                st, _, b, _ = out[0]
                if st == 503:
                    break
                check(st == 200, f"attempt {attempt}: {st} {b[:200]}")
            check(st == 503 and b"exceeded the time budget of 10000 ms" in b,
                  f"{st} {b[:300]}")
            check(rejected(s, "timeout") == before + 1, "timeout counted")
        finally:
            s.close()


if __name__ == "__main__":
    main([test_raw_samples_exact, test_label_matchers, test_counter_recipe,
          test_gauges_and_timers, test_samples_response,
          test_streamed_chunks, test_chunks_match_prometheus,
          test_matchers_matching_empty, test_bad_bodies,
          test_selection_bounds, test_response_size_bound,
          test_time_budget])
