"""Span attribute values of every AnyValue type over OTLP/HTTP protobuf,
served back as JSON: a span whose attributes, event, link and resource
hold arrays, kvlists (nested, empty), bytes, doubles and ints is posted
to POST /v1/traces (requests built with test_traces.py's and
test_forward.py's protobuf helpers); GET /api/v1/traces/ID and GET /api/v1/spans must serve it
exactly (the reply's bytes, then as parsed JSON), arrays and kvlists as
JSON, not as base64 protobuf. A log record with the same kvlist as its
body, posted to /v1/logs, must show the same JSON text as its _msg: the
two paths render with one renderer.

usage: /usr/bin/python3 test_span_values.py PATH/TO/sluice
"""

import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Sluice, check, main  # noqa: E402
from otlp_helpers import get, post  # noqa: E402
from test_forward import any_value, typed_kv  # noqa: E402
from test_otlp_import import varint  # noqa: E402
from test_traces import field, msg, text  # noqa: E402

TRACE = "7a" * 16
SPAN = "5e" * 8
LINK_TRACE = "0af7651916cd43dd8448eb211c80319c"
LINK_SPAN = "53995c3f42cd8ad8"
T0 = 1765000000123456789
SERVICE = "lists-svc"


def typed(v):
    """v in the form test_forward.any_value takes: None an AnyValue
    without a value, bytes, lists and dicts arrays and kvlists."""
    if v is None:
        return ("none",)
    if isinstance(v, bytes):
        return ("bytes", v)
    if isinstance(v, list):
        return ("array", [typed(x) for x in v])
    if isinstance(v, dict):
        return ("kvlist", [(k, typed(x)) for k, x in v.items()])
    return v


def attrs(num, pairs):
    """Repeated KeyValue field num."""
    return b"".join(msg(num, typed_kv(k, typed(v))) for k, v in pairs)


DB = {"hosts": ["h1", "h2"], "port": 5432,
      "opts": {"tls": True, "ratio": 0.125, "deep": [[1, [2]]], "none": None},
      "empty": {}}
SPAN_ATTRS = [
    ("s", "plain"),
    ("n", -7),
    ("raw", b"\x01\xfe"),
    ("tags", ["a", "b\"c", 7, -1, 2.5, 1e21, True, None, b"\x00\xff", [], {}]),
    ("db", DB),
    ("empty", []),
    ("big", [2**63 - 1, -2**63]),
]
EVENT_ATTRS = [("ev", {"k": [1, 2], "why": "retry"})]
LINK_ATTRS = [("lk", ["x", False])]
RES_ATTRS = [("service.name", SERVICE), ("res.list", ["r1", 2])]

# What the query port must serve for each, byte for byte (the log
# mapping's JSON: ints and doubles bare, bytes as hex, nested strings'
# controls as \u00XX).
WANT_ATTRS = ('{"s":"plain","n":-7,"raw":"01fe",'
              '"tags":["a","b\\"c",7,-1,2.5,1e+21,true,null,"00ff",[],{}],'
              '"db":{"hosts":["h1","h2"],"port":5432,'
              '"opts":{"tls":true,"ratio":0.125,"deep":[[1,[2]]],'
              '"none":null},"empty":{}},'
              '"empty":[],'
              '"big":[9223372036854775807,-9223372036854775808]}')
WANT_SPAN = (
    '{"traceId":"%s","spanId":"%s","parentSpanId":"","service":"%s",'
    '"name":"lists","kind":"SPAN_KIND_SERVER",'
    '"startTimeUnixNano":"%d","endTimeUnixNano":"%d",'
    '"status":{"code":"STATUS_CODE_UNSET","message":""},"traceState":"",'
    '"flags":0,"attributes":%s,'
    '"events":[{"timeUnixNano":"%d","name":"ev",'
    '"attributes":{"ev":{"k":[1,2],"why":"retry"}}}],'
    '"links":[{"traceId":"%s","spanId":"%s","traceState":"","flags":0,'
    '"attributes":{"lk":["x",false]}}],'
    '"resource":{"service.name":"%s","res.list":["r1",2]},'
    '"scope":{"name":"it.scope","version":"1.0"}}'
    % (TRACE, SPAN, SERVICE, T0, T0 + 1000, WANT_ATTRS, T0 + 5,
       LINK_TRACE, LINK_SPAN, SERVICE))


def traces_request():
    event = (field(1, 1, struct.pack("<Q", T0 + 5)) + text(2, "ev") +
             attrs(3, EVENT_ATTRS))
    link = (field(1, 2, bytes.fromhex(LINK_TRACE)) +
            field(2, 2, bytes.fromhex(LINK_SPAN)) + attrs(4, LINK_ATTRS))
    span = (field(1, 2, bytes.fromhex(TRACE)) +
            field(2, 2, bytes.fromhex(SPAN)) + text(5, "lists") +
            field(6, 0, varint(2)) +
            field(7, 1, struct.pack("<Q", T0)) +
            field(8, 1, struct.pack("<Q", T0 + 1000)) +
            attrs(9, SPAN_ATTRS) + msg(11, event) + msg(13, link))
    resource = msg(1, attrs(1, RES_ATTRS))
    scope = msg(1, text(1, "it.scope") + text(2, "1.0"))
    return msg(1, resource + msg(2, scope + msg(2, span)))


def logs_request(body):
    record = (field(1, 1, struct.pack("<Q", T0)) + field(2, 0, varint(9)) +
              msg(5, any_value(typed(body))))
    resource = msg(1, attrs(1, RES_ATTRS[:1]))
    return msg(1, resource + msg(2, msg(2, record)))


def test_span_values_served_as_json(binary):
    s = Sluice(binary)
    try:
        st, _, b = post(s, "/v1/traces", traces_request())
        check(st == 200 and b == b"", f"traces: {st} {b!r}")
        # The 200 is durable: served at once.
        body = get(s, f"/api/v1/traces/{TRACE}")
        want = ('{"status":"success","data":{"traceId":"%s","spans":[%s]}}\n'
                % (TRACE, WANT_SPAN))
        check(body == want, f"trace:\n got  {body}\n want {want}")
        check(json.loads(body) == json.loads(want), "trace as JSON")
        got = json.loads(body)["data"]["spans"][0]
        check(got["attributes"]["db"] == DB and
              got["attributes"]["tags"][:7] == ["a", "b\"c", 7, -1, 2.5,
                                                1e21, True],
              f"values as JSON values: {got['attributes']}")
        body = get(s, "/api/v1/spans", service=SERVICE)
        want = ('{"status":"success","data":{"spans":[%s],'
                '"truncated":false}}\n' % WANT_SPAN)
        check(body == want, f"spans:\n got  {body}\n want {want}")
        # A log body of the same kvlist: the same JSON text.
        st, _, b = post(s, "/v1/logs", logs_request(DB))
        check(st == 200, f"logs: {st} {b!r}")
        lines = get(s, "/api/v1/logs", start="0",
                    end="4000000000").splitlines()
        check(len(lines) == 1, f"logs: {lines}")
        msg_text = json.loads(lines[0])["_msg"]
        check(msg_text in WANT_ATTRS and json.loads(msg_text) == DB,
              f"log body {msg_text} is not the span's {WANT_ATTRS}")
    finally:
        s.close()


if __name__ == "__main__":
    main([test_span_values_served_as_json])
