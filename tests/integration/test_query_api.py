"""Query port reads end to end: real StatsD clients (python3-statsd,
python3-aiodogstatsd) send, POST /api/v1/flush seals, and /api/v1/export,
/series, /labels and /label/NAME/values answer with exact values for each
selector operator.

usage: /usr/bin/python3 test_query_api.py PATH/TO/sluice
"""

import asyncio
import json
import os
import socket
import sys
import urllib.error
import urllib.parse
import urllib.request

import aiodogstatsd
import statsd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Sluice, check, main  # noqa: E402

T0 = 1700000000  # |T timestamps (seconds) of the raw lines below


def get(s, path, params=()):
    url = s.url(path + ("?" + urllib.parse.urlencode(params) if params else ""))
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def export(s, *selectors, **rng):
    params = [("match[]", sel) for sel in selectors] + list(rng.items())
    status, body = get(s, "/api/v1/export", params)
    check(status == 200, f"export {selectors}: {status} {body}")
    rows = [json.loads(l) for l in body.splitlines() if l.strip()]
    return {json.dumps(r["metric"], sort_keys=True): r for r in rows}


def key(**labels):
    return json.dumps(labels, sort_keys=True)


def api(s, path, params=()):
    status, body = get(s, path, params)
    check(status == 200, f"{path}: {status} {body}")
    doc = json.loads(body)
    check(doc["status"] == "success", body)
    return doc["data"]


def flush(s):
    req = urllib.request.Request(s.url("/api/v1/flush"), data=b"",
                                 method="POST")
    with urllib.request.urlopen(req, timeout=15) as r:
        check(r.status == 200, "flush")


async def send_dogstatsd(port):
    c = aiodogstatsd.Client(host="127.0.0.1", port=port)
    await c.connect()
    for i in range(5):
        c.increment("web.requests", value=i + 1,
                    tags={"env": "prod", "host": "a"})
        c.increment("web.requests", value=10 * (i + 1),
                    tags={"env": "dev", "host": "b"})
    c.gauge("db.pool", value=2.5, tags={"env": "prod"})
    await c.close()


def populate(s):
    """12 points over 4 series, with known values; 3 more with |T."""
    asyncio.run(send_dogstatsd(s.port))
    plain = statsd.StatsClient("127.0.0.1", s.port)
    plain.timing("api.latency", 12)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.sendto("\n".join(f"old.metric:{v}|g|#env:prod|T{T0 + 60 * v}"
                       for v in range(3)).encode(), ("127.0.0.1", s.port))
    u.close()
    got = s.wait_total("sluice_points_ingested_total", 15)
    check(got == 15, f"ingested {got} of 15")
    flush(s)


def test_export_each_operator(binary):
    s = Sluice(binary, cores="2")
    try:
        populate(s)
        prod = key(__name__="web.requests", env="prod", host="a")
        dev = key(__name__="web.requests", env="dev", host="b")
        rows = export(s, 'web.requests{env="prod"}')
        check(list(rows) == [prod], f"= : {list(rows)}")
        check(rows[prod]["values"] == [1, 2, 3, 4, 5], rows[prod]["values"])
        ts = rows[prod]["timestamps"]
        check(len(ts) == 5 and ts == sorted(ts), f"timestamps {ts}")
        rows = export(s, 'web.requests{env!="prod"}')
        check(list(rows) == [dev], f"!= : {list(rows)}")
        check(rows[dev]["values"] == [10, 20, 30, 40, 50], "dev values")
        rows = export(s, '{__name__=~"web\\\\..*",host=~"a|b"}')
        check(sorted(rows) == sorted([prod, dev]), f"=~ : {list(rows)}")
        rows = export(s, '{__name__=~"web.req"}')
        check(rows == {}, "regexes are anchored")
        rows = export(s, '{env!~"pro.*",__name__=~".+"}')
        check(sorted(rows) == sorted([dev, key(__name__="api.latency")]),
              f"!~ : {list(rows)}")
        rows = export(s, "api.latency")
        check(rows[key(__name__="api.latency")]["values"] == [12],
              "bare dotted name")
        rows = export(s, 'db.pool', '{"api.latency"}')
        check(rows[key(__name__="db.pool", env="prod")]["values"] == [2.5],
              "gauge 2.5")
        check(len(rows) == 2, "match[] are OR-ed")
    finally:
        s.close()


def test_time_range(binary):
    s = Sluice(binary)
    try:
        populate(s)
        old = key(__name__="old.metric", env="prod")
        rows = export(s, "old.metric")
        check(rows[old]["timestamps"] == [T0 * 1000 + 60000 * v
                                          for v in range(3)], "|T times")
        rows = export(s, "old.metric", start=str(T0 + 60), end=str(T0 + 120))
        check(rows[old]["values"] == [1, 2], f"seconds: {rows}")
        rows = export(s, "old.metric", start=str((T0 + 61) * 1000))
        check(rows[old]["values"] == [2], "ms")
        rows = export(s, "old.metric", end="2023-11-14T22:13:20Z")
        check(rows[old]["values"] == [0], "RFC 3339 (T0 is 22:13:20Z)")
        rows = export(s, "old.metric", start=f"{T0 + 59.999}",
                      end=f"{T0 + 60.001}")
        check(rows[old]["values"] == [1], "fractional seconds")
    finally:
        s.close()


def test_series_labels_values(binary):
    s = Sluice(binary, cores="2")
    try:
        populate(s)
        data = api(s, "/api/v1/series", [("match[]", "web.requests")])
        check(data == [{"__name__": "web.requests", "env": "dev", "host": "b"},
                       {"__name__": "web.requests", "env": "prod",
                        "host": "a"}], f"series {data}")
        data = api(s, "/api/v1/labels")
        check(data == ["__name__", "env", "host"], f"labels {data}")
        data = api(s, "/api/v1/labels", [("match[]", "api.latency")])
        check(data == ["__name__"], f"labels of api.latency {data}")
        data = api(s, "/api/v1/label/env/values")
        check(data == ["dev", "prod"], f"env values {data}")
        data = api(s, "/api/v1/label/__name__/values")
        check(data == ["api.latency", "db.pool", "old.metric",
                       "web.requests"], f"names {data}")
        data = api(s, "/api/v1/label/host/values",
                   [("match[]", '{env="prod"}')])
        check(data == ["a"], f"host values of env=prod {data}")
    finally:
        s.close()


def test_errors(binary):
    s = Sluice(binary)
    try:
        for params, want in [
                ([("match[]", 'web{env="x"')], "position 11: unexpected end"),
                ([("match[]", 'web{env=~"a("}')], "bad regex"),
                ([("match[]", '{env=""}')], "non-empty matcher"),
                ([], "no match[]"),
                ([("match[]", "web"), ("start", "yesterday")], "start"),
                ([("match[]", "web"), ("start", "20"), ("end", "10")],
                 "before start")]:
            status, body = get(s, "/api/v1/export", params)
            check(status == 400, f"{params}: {status}")
            doc = json.loads(body)
            check(doc["errorType"] == "bad_data" and want in doc["error"],
                  f"{params}: {doc}")
        status, _ = get(s, "/api/v1/series")
        check(status == 400, "series needs match[]")
        status, body = get(s, "/api/v1/label/env/nope")
        check(status == 404, f"bad label path {status}")
    finally:
        s.close()


if __name__ == "__main__":
    main([test_export_each_operator, test_time_range,
          test_series_labels_values, test_errors])
