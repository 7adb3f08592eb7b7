"""`sluice query` end to end: StatsD and syslog lines go to a real sluice,
`sluice query flush` seals them, and export / series / labels /
label-values / logs print what the query port answers (parsed here as
JSON). Errors: a bad selector is exit 1 with the server's message, an
unreachable URL exit 1 naming it, usage errors exit 2.

usage: /usr/bin/python3 test_query_cli.py PATH/TO/sluice
"""

import json
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Sluice, check, free_port, main  # noqa: E402

T0 = 1700000000  # |T seconds of the StatsD lines


def query(binary, url, *args):
    """(exit code, stdout, stderr) of `sluice query --url URL ARGS`."""
    r = subprocess.run([binary, "query", "--url", url, *args],
                       capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout, r.stderr


def ok(binary, s, *args):
    rc, out, err = query(binary, s.url(""), *args)
    check(rc == 0 and err == "", f"query {args}: rc {rc}, stderr {err!r}")
    return out


def ndjson(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def udp(port, datagrams):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        for d in datagrams:
            u.sendto(d.encode(), ("127.0.0.1", port))


def populate(binary, s):
    """Five points over three series (one datagram); three syslog records
    (a datagram each)."""
    udp(s.port, ["\n".join(
        [f"web.requests:{v}|c|#env:prod,host:a|T{T0 + 60 * v}"
         for v in range(3)] +
        ["web.requests:7|c|#env:dev,host:b|T1700000000",
         "db pool:2.5|g|#env:prod|T1700000000"])])
    udp(s.syslog_port, [
        "<34>1 2026-11-21T10:00:00.100Z web-1 sshd 4242 - - Failed password"
        " for root",
        "<30>1 2026-11-21T10:00:01.200Z web-1 cron 7 - - job done",
        "<35>1 2026-11-21T10:00:02.300Z web-2 sshd 4243 - - Failed password"
        " for admin"])
    check(s.wait_total("sluice_points_ingested_total", 5) == 5, "5 points")
    check(s.wait_total("sluice_logs_ingested_total", 3) == 3, "3 records")
    doc = json.loads(ok(binary, s, "flush"))
    check(doc == {"status": "success"}, f"flush: {doc}")


def test_metrics_commands(binary):
    s = Sluice(binary)
    try:
        populate(binary, s)
        rows = ndjson(ok(binary, s, "export",
                         'web.requests{env=~"prod|dev", host!="b"}'))
        check([r["metric"] for r in rows] ==
              [{"__name__": "web.requests", "env": "prod", "host": "a"}],
              f"export: {rows}")
        check(rows[0]["values"] == [0, 1, 2] and rows[0]["timestamps"] ==
              [T0 * 1000 + 60000 * v for v in range(3)], f"points: {rows}")
        rows = ndjson(ok(binary, s, "export", '{"db pool"}', "web.requests",
                         "--start", "2023-11-14T23:14:20+01:00", "--end",
                         "2023-11-14T22:15:20Z"))
        check([r["values"] for r in rows] == [[1, 2]],
              f"OR-ed selectors, time range: {rows}")
        data = json.loads(ok(binary, s, "series", '{"db pool"}',
                             'web.requests{host="b"}'))["data"]
        check(data == [{"__name__": "db pool", "env": "prod"},
                       {"__name__": "web.requests", "env": "dev",
                        "host": "b"}], f"series: {data}")
        data = json.loads(ok(binary, s, "labels"))["data"]
        check(data == ["__name__", "env", "host"], f"labels: {data}")
        data = json.loads(ok(binary, s, "labels", '{"db pool"}'))["data"]
        check(data == ["__name__", "env"], f"labels of db pool: {data}")
        data = json.loads(ok(binary, s, "label-values", "__name__"))["data"]
        check(data == ["db pool", "web.requests"], f"names: {data}")
        data = json.loads(ok(binary, s, "label-values", "host",
                             '{env="prod"}'))["data"]
        check(data == ["a"], f"host values of env=prod: {data}")
    finally:
        s.close()


def test_logs(binary):
    s = Sluice(binary)
    try:
        populate(binary, s)
        recs = ndjson(ok(binary, s, "logs", '{app=~"ssh.*", severity<=err}',
                         "--contains", "password for"))
        check([(r["host"], r["_msg"]) for r in recs] ==
              [("web-1", "Failed password for root"),
               ("web-2", "Failed password for admin")], f"logs: {recs}")
        recs = ndjson(ok(binary, s, "logs", "--start",
                         "2026-11-21T10:00:01Z", "--end",
                         "2026-11-21T10:00:02Z"))
        check([r["app"] for r in recs] == ["cron"], f"range: {recs}")
        check(len(ndjson(ok(binary, s, "logs", "--limit", "3"))) == 3,
              "3 records, not truncated")
        rc, out, err = query(binary, s.url(""), "logs", "--limit", "2")
        recs = ndjson(out)
        check(rc == 0 and [r["_time"][17:23] for r in recs] ==
              ["01.200", "02.300"], f"newest 2: {rc} {recs}")
        check("X-Sluice-Logs-Truncated" in err and "--limit" in err,
              f"truncation noted: {err!r}")
    finally:
        s.close()


def test_errors(binary):
    s = Sluice(binary)
    try:
        rc, out, err = query(binary, s.url(""), "export", 'web{env="x"')
        check(rc == 1 and out == "", f"bad selector: {rc} {out!r}")
        check("export 'web{env=\"x\"'" in err and "answered 400" in err and
              "position 11: unexpected end" in err, f"message: {err!r}")
        rc, _, err = query(binary, s.url(""), "logs", "{host=a}")
        check(rc == 1 and "expected a quoted string" in err, f"logs: {err!r}")
        rc, _, err = query(binary, s.url(""), "series", "web",
                           "--start", "20", "--end", "10")
        check(rc == 1 and "before start" in err, f"range: {err!r}")
    finally:
        s.close()
    dead = f"http://127.0.0.1:{free_port()}"
    rc, out, err = query(binary, dead, "labels")
    check(rc == 1 and out == "", f"unreachable: {rc}")
    check(dead in err and "is sluice running" in err and "--http" in err,
          f"unreachable names the URL and the fix: {err!r}")


def test_usage(binary):
    url = "http://127.0.0.1:9"  # never reached: usage is checked first
    for args, want in [
            ((), "give a command"),
            (("nope",), 'unknown command "nope"'),
            (("export",), "needs at least one SELECTOR"),
            (("label-values",), "needs a label NAME"),
            (("logs", "{a=\"b\"}", "x"), 'unexpected argument "x"'),
            (("logs", "--limit", "0"), '--limit "0"'),
            (("series", "m", "--limit", "5"), "--limit does not apply"),
            (("flush", "--start", "1"), "--start does not apply"),
            (("labels", "--bogus"), 'unknown option "--bogus"'),
            (("--url", "ftp://h", "labels"), '--url "ftp://h"')]:
        r = subprocess.run([binary, "query", *args] +
                           ([] if "--url" in args else ["--url", url]),
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 2 and want in r.stderr and r.stdout == "",
              f"{args}: {r.returncode} {r.stderr!r}")
    r = subprocess.run([binary, "query", "--help"], capture_output=True,
                       text=True, timeout=30)
    check(r.returncode == 0, "--help")
    for word in ["export", "series", "labels", "label-values", "logs",
                 "flush", "--url", "--start", "--contains", "--limit"]:
        check(word in r.stdout, f"--help explains {word}")


if __name__ == "__main__":
    main([test_metrics_commands, test_logs, test_errors, test_usage])
