"""Syslog end to end with real senders: util-linux `logger` over UDP, TCP
(LF) and TCP --octet-count in RFC 5424 and RFC 3164 form, rsyslogd run as
its own process forwarding with omfwd, and raw sockets for the malformed
and edge cases. Every message must come back from GET /api/v1/logs with
the right fields (docs/syslog.md, docs/query-api.md).

What the senders put on the wire (util-linux 2.38, rsyslog 8.2302, both
recorded on Debian 12 with a plain listener):

  logger -d --rfc5424 -t myapp --id=4242 --msgid MID7 -p local3.warning
         --sd-id zoo@123 --sd-param 'tiger="hungry"' "hello"
    <156>1 2026-11-21T19:36:35.180372+00:00 vm myapp 4242 MID7
    [timeQuality tzKnown="1" isSynced="0"][zoo@123 tiger="hungry"] hello
  logger -d --rfc3164 -t myapp --id=4242 -p local3.warning "hello"
    <156>Nov 21 19:36:35 vm myapp[4242]: hello
  logger -T: each message ends with LF; -T --octet-count: "101 <13>1 ..."
    with no LF; -f FILE: one connection, one message per line.
  rsyslog omfwd, a 5424 message received from logger:
    RSYSLOG_SyslogProtocol23Format, octet-counted:
      135 <156>1 2026-11-21T19:41:35.965118+00:00 vm rsapp 77 M1 [...] txt\n
    RSYSLOG_ForwardFormat:
      <156>2026-11-21T19:41:35.965118+00:00 vm rsapp[77] txt\n
    RSYSLOG_TraditionalForwardFormat:
      <156>Nov 21 19:41:35 vm rsapp[77] txt\n
  and a 3164 message (its %msg% keeps the space after "tag:"):
      71 <11>1 2026-11-21T19:41:35+00:00 vm rsapp3 - - -  txt\n
      <11>2026-11-21T19:41:35+00:00 vm rsapp3: txt\n

usage: /usr/bin/python3 test_syslog.py PATH/TO/sluice
"""

import calendar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Sluice, check, free_port, main  # noqa: E402

HOST = socket.gethostname()
HOST3164 = HOST.split(".")[0]     # logger --rfc3164 cuts at the first dot
BASE = {"_time", "_msg", "host", "app", "severity", "facility", "procid",
        "msgid", "_parse_error"}


def token(tag):
    return f"tok{tag}{uuid.uuid4().hex[:12]}"


# --- sluice HTTP ---------------------------------------------------------

def get_logs(s, headers=None, **q):
    """(status, [records] or the error body as text). The body must be
    UTF-8 and every line strict JSON, whatever bytes were received.
    headers: a dict to receive the reply's headers."""
    url = s.url("/api/v1/logs?" + urllib.parse.urlencode(q))
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            if headers is not None:
                headers.update(r.headers.items())
            body = r.read().decode("utf-8")
            return r.status, [json.loads(l) for l in body.splitlines()
                              if l.strip()]
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def logs(s, **q):
    status, recs = get_logs(s, **q)
    check(status == 200, f"logs {q}: {status} {recs}")
    return recs


def wait_logs(s, tok, want, timeout=10.0, **q):
    """Flush and query contains=tok until want records come back."""
    deadline = time.time() + timeout
    while True:
        s.flush()
        recs = logs(s, contains=tok, limit=100000, **q)
        if len(recs) >= want or time.time() > deadline:
            return recs
        time.sleep(0.1)


def one(s, tok):
    recs = wait_logs(s, tok, 1)
    check(len(recs) == 1, f"{tok}: want 1 record, got {recs}")
    return recs[0]


def errors(s, reason):
    return s.total("sluice_parse_errors_total", proto="syslog",
                   reason=reason)


def ingested(s):
    return s.total("sluice_logs_ingested_total", proto="syslog")


RFC3339 = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)"
                     r"(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$")


def time_ns(text):
    """RFC3339Nano (as served in _time) to ns since the epoch."""
    m = RFC3339.match(text)
    check(m is not None, f"_time not RFC 3339: {text!r}")
    y, mo, d, h, mi, sec = (int(g) for g in m.groups()[:6])
    t = calendar.timegm((y, mo, d, h, mi, sec, 0, 0, 0))
    z = m.group(8)
    if z != "Z":
        off = int(z[1:3]) * 3600 + int(z[4:6]) * 60
        t -= off if z[0] == "+" else -off
    return t * 10**9 + int((m.group(7) or "0").ljust(9, "0"))


def check_time_near(rec, t0, t1, slack_s=2):
    ns = time_ns(rec["_time"])
    check((t0 - slack_s) * 1e9 <= ns <= (t1 + slack_s) * 1e9,
          f"_time {rec['_time']} not within [{t0}, {t1}]")


def check_rec(rec, **want):
    """Every field in want equal; a want of None means absent (or "").
    _time is compared as an instant (any RFC 3339 spelling)."""
    for k, v in want.items():
        if k == "_time":
            check(time_ns(rec.get(k, "")) == time_ns(v),
                  f"_time: want {v}, got {rec.get(k)!r}")
        elif v is None:
            check(rec.get(k, "") == "", f"{k} should be absent: {rec}")
        else:
            check(rec.get(k) == v, f"{k}: want {v!r}, got {rec.get(k)!r} "
                                   f"in {rec}")


def attrs(rec):
    return {k: v for k, v in rec.items() if k not in BASE}


# --- senders -------------------------------------------------------------

def logger(*args, tz="UTC"):
    """Run util-linux logger; return its pid (what -i puts in PROCID)."""
    env = dict(os.environ, TZ=tz)
    p = subprocess.Popen(["logger", *args], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out, _ = p.communicate(timeout=30)
    check(p.returncode == 0, f"logger {args}: rc {p.returncode} {out!r}")
    return p.pid


def udp_send(port, *datagrams):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        for d in datagrams:
            u.sendto(d, ("127.0.0.1", port))


def tcp_send(port, *chunks, pause=0.0):
    """One connection; each chunk its own write; closed at the end."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for ch in chunks:
            c.sendall(ch)
            if pause:
                time.sleep(pause)
        c.shutdown(socket.SHUT_WR)
        c.settimeout(5)
        try:
            c.recv(1)       # wait for sluice to close its side
        except OSError:
            pass


def start(binary, extra=(), **kw):
    return Sluice(binary, extra=list(extra), **kw)


# --- 1. logger over UDP ----------------------------------------------------

def test_logger_udp_both_formats(binary):
    s = start(binary)
    try:
        P = str(s.syslog_port)
        t5, t3 = token("u5"), token("u3")
        t0 = time.time()
        # A zone east of UTC (+05:30, POSIX TZ: no tzdata needed): the
        # offset must be applied, _time is still now.
        logger("-n", "127.0.0.1", "-P", P, "-d", "--rfc5424", "-t", "itapp",
               "--id=4242", "--msgid", "MID7", "-p", "local3.warning",
               "--sd-id", "zoo@123", "--sd-param", 'tiger="hungry"',
               f"hello {t5}", tz="XST-5:30")
        logger("-n", "127.0.0.1", "-P", P, "-d", "--rfc3164", "-t", "itapp3",
               "--id=4243", "-p", "local3.warning", f"hello {t3}")
        t1 = time.time()

        r = one(s, t5)
        check_rec(r, _msg=f"hello {t5}", host=HOST, app="itapp",
                  procid="4242", msgid="MID7", severity=4, facility=19)
        a = attrs(r)
        check(a.get("zoo@123.tiger") == "hungry", f"SD attribute: {r}")
        check(a.get("timeQuality.tzKnown") == "1", f"timeQuality: {r}")
        check(a.get("timeQuality.isSynced") in ("0", "1"), f"tq: {r}")
        check(set(a) == {"zoo@123.tiger", "timeQuality.tzKnown",
                         "timeQuality.isSynced"}, f"attributes: {a}")
        check_time_near(r, t0, t1)

        r = one(s, t3)
        check_rec(r, _msg=f"hello {t3}", host=HOST3164, app="itapp3",
                  procid="4243", msgid=None, severity=4, facility=19)
        check(attrs(r) == {}, f"3164 has no attributes: {r}")
        # 3164 has whole seconds and no zone: read as UTC (logger ran
        # with TZ=UTC), the year from the receive time.
        check_time_near(r, int(t0), t1)
        check(time_ns(r["_time"]) % 10**9 == 0, f"3164 time: {r['_time']}")

        check(ingested(s) == 2, f"ingested {ingested(s)} != 2")
        check(s.total("sluice_parse_errors_total", proto="syslog") == 0,
              "no parse errors")
    finally:
        s.close()


# --- 2. logger over TCP, LF and octet counting, 1000 lines each -----------

def test_logger_tcp_bulk(binary):
    s = start(binary, cores="2")
    try:
        P = str(s.syslog_port)
        n = 1000
        tmp = tempfile.TemporaryDirectory(prefix="sluice-it-logger-")
        runs = {}
        for fmt in ("--rfc5424", "--rfc3164"):
            for framing in ([], ["--octet-count"]):
                tok = token(fmt[5:] + ("oc" if framing else "lf"))
                path = os.path.join(tmp.name, tok)
                with open(path, "w") as f:
                    for i in range(n):
                        f.write(f"bulk {tok} line {i} of {n}\n")
                pid = logger("-n", "127.0.0.1", "-P", P, "-T", *framing,
                             fmt, "-t", "bulkapp", "-i",
                             "-p", "daemon.info", "-f", path)
                runs[tok] = (fmt, pid)
        tmp.cleanup()

        want = n * len(runs)
        s.flush()
        check(s.wait_total("sluice_logs_ingested_total", want, timeout=10,
                           proto="syslog") == want,
              f"ingested {ingested(s)} != {want}")
        check(s.total("sluice_parse_errors_total", proto="syslog") == 0,
              "no parse errors")
        for tok, (fmt, pid) in runs.items():
            recs = wait_logs(s, tok, n)
            msgs = sorted(r["_msg"] for r in recs)
            check(len(recs) == n, f"{tok}: {len(recs)} records != {n}")
            check(msgs == sorted(f"bulk {tok} line {i} of {n}"
                                 for i in range(n)),
                  f"{tok}: messages differ (lost or duplicated)")
            host = HOST if fmt == "--rfc5424" else HOST3164
            for r in recs:
                check_rec(r, host=host, app="bulkapp", procid=str(pid),
                          severity=6, facility=3)
        # One query for everything, with a large limit.
        every = logs(s, contains="bulk tok", limit=100000)
        check(len(every) == want, f"all: {len(every)} != {want}")
    finally:
        s.close()


# --- 3. rsyslogd as its own process, omfwd over TCP -------------------------

RSYSLOG_CONF = """\
global(workDirectory="{dir}" maxMessageSize="64k")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="{inport}")
*.* action(type="omfwd" target="127.0.0.1" port="{port}" protocol="tcp"
           TCP_Framing="octet-counted"
           template="RSYSLOG_SyslogProtocol23Format")
*.* action(type="omfwd" target="127.0.0.1" port="{port}" protocol="tcp"
           template="RSYSLOG_ForwardFormat")
*.* action(type="omfwd" target="127.0.0.1" port="{port}" protocol="tcp"
           template="RSYSLOG_TraditionalForwardFormat")
"""


def udp_bound(port):
    """True when something listens on 127.0.0.1:port (UDP)."""
    want = f"0100007F:{port:04X}"
    with open("/proc/net/udp") as f:
        return any(l.split()[1] == want for l in f.readlines()[1:])


class Rsyslogd:
    """rsyslogd -n on loopback in a temporary directory, not the system
    service: no imuxsock/imklog, no privilege drop, its own pid file."""

    def __init__(self, sluice_port):
        self.tmp = tempfile.TemporaryDirectory(prefix="sluice-it-rsyslog-")
        d = self.tmp.name
        self.port = free_port()
        conf = os.path.join(d, "rsyslog.conf")
        with open(conf, "w") as f:
            f.write(RSYSLOG_CONF.format(dir=d, inport=self.port,
                                        port=sluice_port))
        self.log = open(os.path.join(d, "rsyslogd.log"), "w+")
        # TZ=UTC: the traditional format writes local time without a
        # zone, which sluice reads as UTC.
        env = dict(os.environ, TZ="UTC")
        self.proc = subprocess.Popen(
            ["rsyslogd", "-n", "-f", conf, "-i", os.path.join(d, "pid")],
            stdout=self.log, stderr=self.log, env=env)
        deadline = time.time() + 10
        while not udp_bound(self.port):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("rsyslogd did not start: " + self.text())
            time.sleep(0.05)

    def text(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.tmp.cleanup()


def test_rsyslog_omfwd(binary):
    s = start(binary)
    rs = None
    try:
        rs = Rsyslogd(s.syslog_port)
        P = str(rs.port)
        t5, t3 = token("rs5"), token("rs3")
        t0 = time.time()
        logger("-n", "127.0.0.1", "-P", P, "-d", "--rfc5424", "-t", "rsapp",
               "--id=77", "--msgid", "M1", "-p", "local3.warning",
               "--sd-id", "zoo@123", "--sd-param", 'tiger="hungry"',
               f"via rsyslog {t5}")
        logger("-n", "127.0.0.1", "-P", P, "-d", "--rfc3164", "-t", "rsapp3",
               "-p", "user.err", f"via rsyslog 3164 {t3}")
        t1 = time.time()

        # Each message goes out through the three omfwd actions.
        r5 = wait_logs(s, t5, 3)
        r3 = wait_logs(s, t3, 3)
        check(len(r5) == 3, f"rsyslog 5424 input: {r5}\n{rs.text()}")
        check(len(r3) == 3, f"rsyslog 3164 input: {r3}\n{rs.text()}")

        for r in r5:
            check_rec(r, _msg=f"via rsyslog {t5}", host=HOST, app="rsapp",
                      procid="77", severity=4, facility=19)
            check_time_near(r, int(t0), t1)
        sd = [r for r in r5 if attrs(r)]
        check(len(sd) == 1, f"one record (SyslogProtocol23) has SD: {r5}")
        check_rec(sd[0], msgid="M1")
        check(attrs(sd[0]).get("zoo@123.tiger") == "hungry", f"SD: {sd}")
        for r in r5:
            if r is not sd[0]:
                check_rec(r, msgid=None)
        # Protocol23 and ForwardFormat carry the microseconds, the
        # traditional format only whole seconds of the same instant.
        ns = sorted(time_ns(r["_time"]) for r in r5)
        check(ns[0] // 10**9 == ns[2] // 10**9, f"times: {ns}")
        check(ns[0] % 10**9 == 0, f"traditional: whole seconds {ns}")
        check(ns[1] == ns[2], f"protocol23 and forward agree {ns}")

        for r in r3:
            check_rec(r, host=HOST3164, app="rsapp3", severity=3, facility=1,
                      msgid=None)
            check(attrs(r) == {}, f"no attributes: {r}")
            check_time_near(r, int(t0), t1)
        # rsyslog's %msg% of a 3164 message keeps the space after "tag:";
        # its RFC 5424 template puts it after the SP that ends SD, and
        # RFC 5424 makes it part of MSG. The 3164-layout formats have
        # "tag: msg", whose one space after ':' is not message.
        msgs = sorted(r["_msg"] for r in r3)
        check(msgs == sorted([f" via rsyslog 3164 {t3}"] +
                             [f"via rsyslog 3164 {t3}"] * 2),
              f"messages: {msgs}")
    finally:
        if rs is not None:
            rs.close()
        s.close()


# --- 4. malformed and edge input over raw sockets ---------------------------

def test_malformed_and_edges(binary):
    MAX = 1024
    s = start(binary, extra=["--syslog-max-bytes", str(MAX)])
    try:
        P = s.syslog_port
        before = {r: errors(s, r) for r in
                  ("bad_pri", "too_long", "truncated_frame")}

        # Not syslog at all: stored raw, counted as bad_pri.
        ta = token("a")
        raw_a = f"<abc>this is not syslog {ta}"
        udp_send(P, raw_a.encode())
        r = one(s, ta)
        check_rec(r, _msg=raw_a, host=None, app=None, _parse_error=True)

        # Bare text is RFC 3164 without PRI: user.notice, not an error.
        tb = token("b")
        udp_send(P, f"Use the BFG! {tb}\n".encode())
        r = one(s, tb)
        check_rec(r, _msg=f"Use the BFG! {tb}", severity=5, facility=1)
        check(not r.get("_parse_error", False), f"not an error: {r}")

        # Octet count larger than the data, then close: truncated_frame.
        # What arrived is parsed and stored, flagged (core/pipe.c keeps
        # the fields of a cut message).
        hdr = "<13>1 - h app - - - "
        tc = token("c")
        tcp_send(P, f"500 {hdr}partial {tc}".encode())
        check_rec(one(s, tc), _msg=f"partial {tc}", host="h", app="app",
                  _parse_error=True)

        # A frame over --syslog-max-bytes: its first MAX bytes are stored
        # (too_long), the rest skipped, the next frame is intact. LF
        # framing, then octet counting, then UDP.
        def cut(big):
            return big[:MAX].decode()[len(hdr):]

        td, td2 = token("d"), token("d2")
        big = f"{hdr}{td} ".encode() + b"x" * 2000
        tcp_send(P, big + b"\n", f"{hdr}after {td2}\n".encode())
        check_rec(one(s, td), _msg=cut(big), host="h", _parse_error=True)
        check_rec(one(s, td2), _msg=f"after {td2}", host="h", app="app")

        te, te2 = token("e"), token("e2")
        big = f"{hdr}{te} ".encode() + b"y" * 3000
        nxt = f"{hdr}after {te2}".encode()
        tcp_send(P, b"%d " % len(big) + big + b"%d " % len(nxt) + nxt)
        check_rec(one(s, te), _msg=cut(big), _parse_error=True)
        check_rec(one(s, te2), _msg=f"after {te2}", host="h", app="app")

        tu = token("u")
        big = f"{hdr}{tu} ".encode() + b"z" * 1500
        udp_send(P, big)
        check_rec(one(s, tu), _msg=cut(big), _parse_error=True)

        # Exactly MAX bytes passes and parses.
        tx = token("x")
        head = f"<13>1 - h app - - - {tx} ".encode()
        exact = head + b"q" * (MAX - len(head))
        tcp_send(P, b"%d " % len(exact) + exact)
        r = one(s, tx)
        check_rec(r, _msg=exact[len(head) - len(tx) - 1:].decode(),
                  host="h", app="app")
        check(not r.get("_parse_error", False), f"at the bound: {r}")

        check(errors(s, "bad_pri") - before["bad_pri"] == 1, "bad_pri")
        check(errors(s, "truncated_frame") - before["truncated_frame"] == 1,
              "truncated_frame counted once")
        check(errors(s, "too_long") - before["too_long"] == 3,
              f"too_long {errors(s, 'too_long')} != 3")

        # Invalid UTF-8 is data, not an error; served as valid JSON
        # (get_logs decodes strictly) with U+FFFD in place.
        tg = token("g")
        udp_send(P, b"<13>1 - h app - - - bad \xff\xfe\xc0\xaf utf " +
                 tg.encode())
        r = one(s, tg)
        check_rec(r, _msg=f"bad {chr(0xfffd) * 4} utf {tg}")  # one a byte
        check(not r.get("_parse_error", False), f"not an error: {r}")

        # BOM removed; SD escapes undone.
        tf = token("f")
        udp_send(P, b'<165>1 2003-10-11T22:14:15.003Z mymachine.example.com '
                 b'evntslog - ID47 [exampleSDID@32473 iut="3" q="a\\"b\\\\c'
                 b'\\]d" iut="4"][origin] \xef\xbb\xbfAn application event ' +
                 tf.encode())
        r = one(s, tf)
        check_rec(r, _msg=f"An application event {tf}", severity=5,
                  facility=20, host="mymachine.example.com", app="evntslog",
                  procid=None, msgid="ID47",
                  _time="2003-10-11T22:14:15.003Z")
        a = attrs(r)
        check(a.get("exampleSDID@32473.iut") == "3,4", f"repeated: {a}")
        check(a.get("exampleSDID@32473.q") == 'a"b\\c]d', f"escapes: {a}")
        check(a.get("origin") == "", f"element without params: {a}")
        check(list(a) == ["exampleSDID@32473.iut", "exampleSDID@32473.q",
                          "origin"], f"attributes in message order: {a}")

        # One message split across many small TCP writes (inside the
        # count, the header, the SD and the text), octet-counted; then an
        # LF-framed one, with CRLF.
        th = token("h")
        msg = (f'<34>1 2003-10-11T22:14:15.003+02:00 splithost su 123 ID9 '
               f'[s@1 k="v"] split across writes {th}').encode()
        framed = b"%d " % len(msg) + msg
        tcp_send(P, *[framed[i:i + 3] for i in range(0, len(framed), 3)],
                 pause=0.002)
        r = one(s, th)
        check_rec(r, _msg=f"split across writes {th}", host="splithost",
                  app="su", procid="123", msgid="ID9", severity=2,
                  facility=4, _time="2003-10-11T20:14:15.003Z")
        check(attrs(r) == {"s@1.k": "v"}, f"attrs {r}")

        ti = token("i")
        line = f"<34>Oct 11 22:14:15 mymachine su: lf split {ti}\r\n".encode()
        tcp_send(P, *[line[i:i + 2] for i in range(0, len(line), 2)],
                 pause=0.002)
        r = one(s, ti)
        check_rec(r, _msg=f"lf split {ti}", host="mymachine", app="su",
                  severity=2, facility=4)

        # 13 messages, each stored once; invalid UTF-8, a BOM, bare text
        # and split writes are not errors.
        check(ingested(s) == 13, f"ingested {ingested(s)} != 13")
        check(s.total("sluice_parse_errors_total", proto="syslog") == 5,
              "errors: bad_pri, truncated_frame, too_long x3")
    finally:
        s.close()


# --- 5. restart keeps every record ------------------------------------------

def test_restart_keeps_records(binary):
    s = start(binary, cores="2")
    try:
        P = str(s.syslog_port)
        tok = token("rst")
        tmp = tempfile.NamedTemporaryFile("w", delete=False)
        for i in range(300):
            tmp.write(f"restart {tok} {i}\n")
        tmp.close()
        logger("-n", "127.0.0.1", "-P", P, "-T", "--octet-count",
               "--rfc5424", "-t", "rstapp", "--msgid", "R", "-f", tmp.name)
        os.unlink(tmp.name)
        first = wait_logs(s, tok, 300)
        check(len(first) == 300, f"before: {len(first)}")
        # A second batch, not flushed: a clean stop seals it too.
        tok2 = token("rst2")
        udp_send(s.syslog_port, *[f"<14>1 - h2 late - - - late {tok2} {i}"
                                  .encode() for i in range(50)])
        check(s.wait_total("sluice_logs_ingested_total", 350,
                           proto="syslog") == 350, "ingested 350")
        rc, _ = s.stop(signal.SIGTERM)
        check(rc == 0, f"clean stop: rc {rc}")
        s.close(keep_data=True)
        s = start(binary, cores="2", data_dir=s.data_dir)
        again = logs(s, contains=tok, limit=100000)
        key = lambda r: r["_msg"]  # noqa: E731
        check(sorted(again, key=key) == sorted(first, key=key),
              f"after restart: {len(again)} records differ")
        late = logs(s, contains=tok2, limit=100000)
        check(sorted(r["_msg"] for r in late) ==
              sorted(f"late {tok2} {i}" for i in range(50)),
              f"unflushed batch after a clean stop: {len(late)}")
    finally:
        s.close()


# --- 6. query semantics ----------------------------------------------------

def test_query_semantics(binary):
    s = start(binary, cores="2")
    try:
        tok = token("q")
        base = 1748736000     # 2025-06-01T00:00:00Z
        hosts, apps = ("qa", "qb"), ("sshd", "sshguard", "cron", "nginx")
        sent = []
        lines = []
        for i in range(48):
            host, app, sev = hosts[i % 2], apps[i % 4], i % 8
            env = "prod" if i % 3 == 0 else "dev"
            needle = " needle" if i % 5 == 0 else ""
            ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(base + i))
            text = f"q{i}{needle} {tok}"
            lines.append(f"<{8 * 16 + sev}>1 {ts}.5Z {host} {app} {i} - "
                         f'[meta@1 env="{env}"] {text}\n')
            sent.append(dict(i=i, host=host, app=app, sev=sev, env=env,
                             t=base + i, msg=text))
        tcp_send(s.syslog_port, "".join(lines).encode())
        got = wait_logs(s, tok, 48)
        check(len(got) == 48, f"stored {len(got)}")

        def q(match=None, **kw):
            if match is not None:
                kw["match"] = match
            return sorted(int(r["procid"]) for r in
                          logs(s, contains=tok, **kw))

        def want(pred):
            return sorted(x["i"] for x in sent if pred(x))

        cases = [
            ('{host="qa"}', lambda x: x["host"] == "qa"),
            ('{host!="qa"}', lambda x: x["host"] != "qa"),
            ('{app=~"ssh.*"}', lambda x: x["app"].startswith("ssh")),
            ('{app=~"ssh"}', lambda x: False),          # anchored
            ('{app!~"ssh.*|cron"}', lambda x: x["app"] == "nginx"),
            ('{severity<=3}', lambda x: x["sev"] <= 3),
            ('{severity>5}', lambda x: x["sev"] > 5),
            ('{severity=err}', lambda x: x["sev"] == 3),
            ('{facility=local0}', lambda x: True),
            ('{host="qb",app="sshguard",severity>=4}',
             lambda x: x["host"] == "qb" and x["app"] == "sshguard"
             and x["sev"] >= 4),
            ('{meta@1.env="prod"}', lambda x: x["env"] == "prod"),
            ('{"meta@1.env"=~"d.*"}', lambda x: x["env"] == "dev"),
            ('{_msg=~"q1.*"}', lambda x: x["msg"].startswith("q1")),
            ('{}', lambda x: True),
        ]
        for m, pred in cases:
            check(q(m) == want(pred), f"match {m}: {q(m)} != {want(pred)}")

        needle = sorted(int(r["procid"]) for r in
                        logs(s, contains=f"needle {tok}"))
        check(needle == want(lambda x: x["i"] % 5 == 0), f"needle {needle}")
        check(logs(s, contains=f"absent-{tok}") == [], "contains nothing")

        # limit keeps the newest N.
        check(q(limit=5) == list(range(43, 48)), f"limit 5: {q(limit=5)}")
        h = {}
        status, recs = get_logs(s, h, contains=tok, limit=5)
        check([r["procid"] for r in recs] == ["43", "44", "45", "46", "47"],
              f"oldest first: {recs}")
        check(h.get("X-Sluice-Logs-Truncated") == "true", f"header: {h}")
        h = {}
        get_logs(s, h, contains=tok, limit=48)
        check("X-Sluice-Logs-Truncated" not in h, f"complete: {h}")
        check(q('{host="qa"}', limit=3) == [42, 44, 46], "limit + match")

        # start/end inclusive, RFC 3339 and seconds.
        check(q(start="2025-06-01T00:00:10Z", end="2025-06-01T00:00:20.5Z")
              == list(range(10, 21)), "window rfc3339")
        check(q(start=str(base + 40)) == list(range(40, 48)), "start secs")
        check(q(end=str(base + 2)) == [0, 1], "end secs (x.5 > end)")

        # Every field of one record as served.
        r = [r for r in got if r["procid"] == "7"][0]
        check_rec(r, _time="2025-06-01T00:00:07.5Z", host="qb", app="nginx",
                  severity=7, facility=16, msgid=None, _msg=f"q7 {tok}")
        check(attrs(r) == {"meta@1.env": "dev"}, f"attrs {r}")

        # A bad match is a 400 with a JSON error that names the problem.
        for bad, word in (('{host="a"', "}"), ('{severity<=abc}', "abc"),
                          ('{app=~"("}', "regex"), ('{host<"a"}', "host")):
            status, body = get_logs(s, match=bad)
            check(status == 400, f"{bad}: status {status}")
            try:
                err = json.loads(body)
            except ValueError:
                raise AssertionError(f"{bad}: error not JSON: {body!r}")
            text = json.dumps(err)
            check("error" in err and word in text,
                  f"{bad}: error should name {word!r}: {body}")
        status, _ = get_logs(s, limit="0")
        check(status == 400, f"limit=0: {status}")
        status, _ = get_logs(s, limit="100001")
        check(status == 400, f"limit over the max: {status}")
        status, _ = get_logs(s, start="2025-06-02T00:00:00Z",
                             end="2025-06-01T00:00:00Z")
        check(status == 400, f"end before start: {status}")
    finally:
        s.close()


if __name__ == "__main__":
    main([test_logger_udp_both_formats, test_logger_tcp_bulk,
          test_rsyslog_omfwd, test_malformed_and_edges,
          test_restart_keeps_records, test_query_semantics])
