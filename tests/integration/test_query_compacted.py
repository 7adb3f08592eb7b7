"""Queries by exact metric name on compacted segments: a compacted
segment looks the name up in its sorted dictionary (storage/scan.c,
stor_scan.name) instead of offering every key to the selector. Export,
series, labels and label values by `name`, `name{tag}`, two match[] of
one name, and `{__name__="name"}` must serve what the same queries
served before compaction, and what the regex form (which scans every
key) serves after it; names that share a prefix (cmp.m1, cmp.m1x,
cmp.m) stay apart.

usage: /usr/bin/python3 test_query_compacted.py PATH/TO/sluice
"""

import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Sluice, check, main  # noqa: E402
from test_compact import T0, compact, get, import_into, statsd_file  # noqa

NAMES = ["cmp.m1", "cmp.m1x", "cmp.m", "cmp.m6", "cmp.none"]
RANGE = {"start": "0", "end": "4000000000"}


def prefix_lines(path):
    """Series whose names extend others: cmp.m1x and cmp.m, with and
    without tags."""
    with open(path, "a") as f:
        for k in range(30):
            t = T0 + k * 10
            f.write(f"cmp.m1x:{k}|g|T{t}\ncmp.m1x:{k}.5|g|#host:h1|T{t}\n"
                    f"cmp.m:{k}|c|T{t}\ncmp.m1:{k}|g|T{t}\n")


def ask(s, selectors):
    """Export (sorted lines), series, label names and host values."""
    m = {"match[]": selectors, **RANGE}
    exp = sorted(get(s, "/api/v1/export", **m).splitlines())
    ser = json.loads(get(s, "/api/v1/series", **m))["data"]
    lab = json.loads(get(s, "/api/v1/labels", **m))["data"]
    val = json.loads(get(s, "/api/v1/label/host/values", **m))["data"]
    return exp, sorted(json.dumps(x, sort_keys=True) for x in ser), lab, val


def queries(regex=False):
    """Each query's match[] list; with regex, the same selection by
    __name__=~ (no exact name: the scan offers every key)."""
    out = []
    for n in NAMES:
        e = n.replace(".", "[.]")
        nm = ('__name__=~"%s"' % e) if regex else ('__name__="%s"' % n)
        if regex:
            out += [["{%s}" % nm], ['{%s,host="h1"}' % nm],
                    ["{%s}" % nm, '{%s,dc="d0"}' % nm], ["{%s}" % nm]]
        else:
            out += [[n], [n + '{host="h1"}'], [n, n + '{dc="d0"}'],
                    ["{%s}" % nm]]
    return out


def serve_all(binary, data, regex=False):
    s = Sluice(binary, cores="2", data_dir=data)
    try:
        return [ask(s, q) for q in queries(regex)]
    finally:
        s.stop()
        s.close(keep_data=True)


def test_exact_name_on_compacted(binary):
    with tempfile.TemporaryDirectory(prefix="sluice-it-qcompact-") as tmp:
        data, src = os.path.join(tmp, "data"), os.path.join(tmp, "in.statsd")
        statsd_file(src, series=70, steps=30)
        prefix_lines(src)
        import_into(binary, data, src, "--no-compact")
        before = serve_all(binary, data)
        p = compact(binary, data)
        check(p.returncode == 0, f"compact exit {p.returncode}: {p.stderr}")
        p = subprocess.run([binary, "inspect", data], capture_output=True,
                           text=True, timeout=60)
        check("kind=compacted" in p.stdout, "no compacted segment")
        after = serve_all(binary, data)
        by_regex = serve_all(binary, data, regex=True)
        for q, b, a, r in zip(queries(), before, after, by_regex):
            check(b == a, f"{q}: differs after compaction")
            check(a == r, f"{q}: differs from its regex form")
        # prefixes stay apart: cmp.m1 has its 10 tagged series and the
        # bare one, cmp.m1x two, cmp.m one, cmp.none none
        counts = [len(after[4 * i][0]) for i in range(len(NAMES))]
        check(counts == [11, 2, 1, 10, 0], f"series per name: {counts}")
        check(len(after[1][0]) == 1, f"cmp.m1{{host=h1}}: {after[1][0]}")


if __name__ == "__main__":
    main([test_exact_name_on_compacted])
