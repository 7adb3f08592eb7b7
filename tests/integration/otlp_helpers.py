"""Helpers the OTLP integration tests share (test_otlp_*.py,
test_shard_heap.py): the OTLP fixtures, one OTLP/HTTP request, query port
reads, the npm-installed JS SDK runs, and a kill -9 with a restart on the
same data directory. Beside harness.py, which runs sluice itself."""

import http.client
import json
import os
import shutil
import signal
import subprocess
import urllib.parse
import urllib.request

from harness import Skip, Sluice, check

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures", "otlp")
PROTO = "application/x-protobuf"


def fixture(name):
    """The bytes of tests/fixtures/otlp/NAME (written by the JS SDK)."""
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


def post(s, path, body, ctype=PROTO, headers=None, conn=None,
         method="POST"):
    """One OTLP/HTTP request; returns (status, headers dict, body). conn:
    a keep-alive http.client connection to reuse (else one of its own)."""
    own = conn is None
    if own:
        conn = http.client.HTTPConnection("127.0.0.1", s.otlp_http_port,
                                          timeout=30)
    h = {"Content-Type": ctype} if ctype else {}
    h.update(headers or {})
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    out = (r.status, {k.lower(): v for k, v in r.getheaders()}, data)
    if own:
        conn.close()
    return out


def get(s, path, **params):
    """GET path?params on the query port; the body as text."""
    q = urllib.parse.urlencode(params, doseq=True)
    with urllib.request.urlopen(s.url(f"{path}?{q}"), timeout=10) as r:
        return r.read().decode()


def npm_ready(js_dir, probe):
    """npm install the pinned package.json of js_dir once (probe: a
    package directory under node_modules that says it is done); Skip when
    node/npm are missing or the install fails (no registry)."""
    if os.path.isdir(os.path.join(js_dir, "node_modules", probe)):
        return
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise Skip("node or npm missing (scripts/deps.sh test installs them)")
    p = subprocess.run(["npm", "install", "--no-audit", "--no-fund"],
                       cwd=js_dir, capture_output=True, text=True,
                       timeout=600)
    if p.returncode != 0:
        raise Skip("npm install failed (no registry?): " + p.stderr[-2000:])


def node_json(js_dir, args, timeout=120):
    """node ARGS in js_dir must exit 0; its last stdout line is JSON."""
    p = subprocess.run(["node"] + list(args), cwd=js_dir,
                       capture_output=True, text=True, timeout=timeout)
    check(p.returncode == 0, f"node exit {p.returncode}: {p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def start_with_env(binary, **env):
    """A Sluice started with env added to its environment (SLUICE_FAULT,
    LD_PRELOAD, ...), and only its: the clients the test runs later do
    not get it."""
    os.environ.update(env)
    try:
        return Sluice(binary)
    finally:
        for k in env:
            del os.environ[k]


def bench_grpc(binary, s, extra=()):
    """`sluice bench otlp --grpc` against s for half a second (3 calls in
    flight, 10 points each over 30 series); its figures as a dict."""
    p = subprocess.run(
        [binary, "bench", "otlp", "--grpc", "--target",
         f"127.0.0.1:{s.otlp_grpc_port}", "--duration", "0.5",
         "--items", "10", "--series", "30", "--attrs", "2",
         "--requests", "3"] + list(extra),
        capture_output=True, text=True, timeout=60)
    out = dict(l.rsplit(" ", 1) for l in p.stdout.splitlines())
    out["rc"] = str(p.returncode)
    out["stderr"] = p.stderr[-2000:]
    return out


def kill_9_and_restart(binary, s):
    """SIGKILL s (no flush, no clean stop) and start sluice again on its
    data directory; close the new one with close_restarted."""
    try:
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait()
    finally:
        s.close(keep_data=True)
    return Sluice(binary, data_dir=s.data_dir)


def close_restarted(s):
    """Close a restarted sluice and remove the data directory it reused."""
    s.close()
    shutil.rmtree(os.path.dirname(s.data_dir), ignore_errors=True)
