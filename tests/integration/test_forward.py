"""Remote-write forwarding end to end (docs/forwarding.md): sluice forwards
what it stores to Debian's victoria-metrics (read back exactly through
its /api/v1/export) and to Debian's prometheus with
--web.enable-remote-write-receiver (read back through /api/v1/query) at
the same time; a target that is stopped gets everything once it returns,
nothing twice; sluice restarted mid-way resumes from its cursors; a
target answering 500 then 400 is retried then counted rejected, and one
that never answers holds up no one, while the other target keeps
receiving."""

import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Sluice, Skip, check, free_port, main  # noqa: E402
from prompb_wire import fields as pb_fields  # noqa: E402
from otlp_helpers import post as post_otlp  # noqa: E402


def get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def wait_up(url, proc, what, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited early")
        try:
            get(url, timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up")


class VM:
    """Debian's victoria-metrics on a free port, a temporary data path."""

    def __init__(self, tmp):
        exe = shutil.which("victoria-metrics")
        if exe is None:
            raise Skip("victoria-metrics is not installed (scripts/deps.sh)")
        self.exe, self.port = exe, free_port()
        self.path = os.path.join(tmp, "vm")
        self.log = open(os.path.join(tmp, "vm.log"), "a")
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            [self.exe, f"-httpListenAddr=127.0.0.1:{self.port}",
             f"-storageDataPath={self.path}", "-search.latencyOffset=0s",
             "-search.disableCache"],
            stdout=self.log, stderr=self.log)
        wait_up(f"http://127.0.0.1:{self.port}/health", self.proc, "vm")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=20)

    def url(self):
        return f"http://127.0.0.1:{self.port}/api/v1/write"

    def export(self):
        """{(name, ((k, v), ...)): [(ts_ms, value), ...]} of every series."""
        get(f"http://127.0.0.1:{self.port}/internal/force_flush")
        q = urllib.parse.urlencode({"match[]": '{__name__=~".+"}'})
        out = {}
        for line in get(f"http://127.0.0.1:{self.port}/api/v1/export?{q}",
                        timeout=20).splitlines():
            s = json.loads(line)
            m = dict(s["metric"])
            name = m.pop("__name__")
            key = (name, tuple(sorted(m.items())))
            pts = list(zip(s["timestamps"], s["values"]))
            out.setdefault(key, []).extend(pts)
        return {k: sorted(v) for k, v in out.items()}


class Prom:
    """Debian's prometheus as a remote-write receiver."""

    def __init__(self, tmp):
        exe = shutil.which("prometheus")
        if exe is None:
            raise Skip("prometheus is not installed (scripts/deps.sh)")
        self.port = free_port()
        cfg = os.path.join(tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1h\n")
        self.log = open(os.path.join(tmp, "prom.log"), "a")
        self.proc = subprocess.Popen(
            [exe, f"--config.file={cfg}",
             f"--storage.tsdb.path={os.path.join(tmp, 'prom')}",
             f"--web.listen-address=127.0.0.1:{self.port}",
             "--web.enable-remote-write-receiver"],
            stdout=self.log, stderr=self.log)
        wait_up(f"http://127.0.0.1:{self.port}/-/ready", self.proc,
                "prometheus")

    def url(self):
        return f"http://127.0.0.1:{self.port}/api/v1/write"

    def series(self, name):
        """{labels without __name__: [(ts_ms, value)]} of name, 1 h back."""
        q = urllib.parse.urlencode({"query": f"{name}[1h]",
                                    "time": f"{time.time() + 5:.3f}"})
        r = json.loads(get(f"http://127.0.0.1:{self.port}/api/v1/query?{q}"))
        out = {}
        for s in r["data"]["result"]:
            m = dict(s["metric"])
            m.pop("__name__", None)
            out[tuple(sorted(m.items()))] = [
                (round(float(t) * 1000), float(v)) for t, v in s["values"]]
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=20)


def prom_name(name):
    out = "".join(c if c.isalnum() or c in "_:" else "_" for c in name)
    return "_" + out if out[:1].isdigit() else out


def sluice_export(s):
    """sluice's own /api/v1/export, names mapped as sent to Prometheus."""
    q = urllib.parse.urlencode({"match[]": '{__name__=~".+"}'})
    out = {}
    for line in get(s.url(f"/api/v1/export?{q}"), timeout=20).splitlines():
        d = json.loads(line)
        m = dict(d["metric"])
        name = prom_name(m.pop("__name__"))
        labels = {}
        for k, v in sorted(m.items()):  # keys that map alike: one label
            k = prom_name(k).replace(":", "_")
            labels[k] = labels[k] + "," + v if k in labels else v
        key = (name, tuple(sorted(labels.items())))
        out.setdefault(key, []).extend(zip(d["timestamps"], d["values"]))
    return {k: sorted(v) for k, v in out.items()}


def send(s, lines):
    """StatsD over TCP (newline framed; nothing lost on loopback), then
    once every line is ingested, a flush: all of it sealed and durable."""
    before = ingested(s)
    with socket.create_connection(("127.0.0.1", s.port)) as c:
        c.sendall(("\n".join(lines) + "\n").encode())
    got = s.wait_total("sluice_points_ingested_total", before + len(lines),
                       timeout=10)
    check(got == before + len(lines), f"{got - before} of {len(lines)} "
          f"lines ingested")
    s.flush()


def batch(round_no, n=40):
    """121 lines: counters, gauges and timers with tags; every value
    distinct, one point a series (Prometheus refuses two values of a
    series in one millisecond, and lines sent together are received
    together)."""
    out = []
    # a name with a leading digit, tag keys that map to one label name,
    # a bare tag
    out.append(f"9lives.x:{round_no}|g|#a.b:1,a_b:2,canary")
    for i in range(n):
        out.append(f"web.req-{i % 8}:{round_no * 1000 + i}|c|#env:prod,"
                   f"host:h{i // 8}")
        out.append(f"cpu.temp:{round_no}.{i:03d}|g|#dc:eu-{i}")
        out.append(f"api.latency.{i}:{round_no * 10 + i * 0.25}|ms")
    return out


def ingested(s):
    return s.total("sluice_points_ingested_total")


def fwd(s, name, target):
    return s.total(f"sluice_forward_{name}", target=target)


def vm_id(vm):
    return f"127.0.0.1_{vm.port}_api_v1_write"


def wait_sent(s, target, want, timeout=30):
    deadline = time.time() + timeout
    got = None
    while time.time() < deadline:
        got = fwd(s, "sent_samples_total", target)
        if got >= want:
            return got
        time.sleep(0.1)
    raise AssertionError(f"{target}: {got} samples sent, want {want}; "
                         f"log: {s.logtext()[-3000:]}")


def wait_equal(vm, s, timeout=20):
    deadline = time.time() + timeout
    want = sluice_export(s)
    got = None
    while time.time() < deadline:
        got = vm.export()
        if got == want:
            return want
        time.sleep(0.3)
    missing = {k: v for k, v in want.items() if got.get(k) != v}
    raise AssertionError(f"victoria-metrics differs from sluice on "
                         f"{len(missing)} series, e.g. "
                         f"{list(missing.items())[:1]} vs "
                         f"{[got.get(k) for k in list(missing)[:1]]}")


def check_prom(prom, want):
    for (name, labels), pts in want.items():
        got = prom.series(name).get(labels)
        check(got == pts, f"prometheus {name}{labels}: {got} != {pts}")


def test_two_targets_exact_replay_and_restart(binary):
    tmp = tempfile.mkdtemp(prefix="sluice-fwd-")
    vm = prom = s = None
    try:
        vm, prom = VM(tmp), Prom(tmp)
        args = ["--remote-write", vm.url(), "--remote-write", prom.url(),
                "--remote-write-batch-samples", "50"]
        s = Sluice(binary, extra=args)
        send(s, batch(1))
        n = ingested(s)
        check(n == 121, f"121 points ingested, got {n}")
        wait_sent(s, vm_id(vm), n)
        want = wait_equal(vm, s)
        check(len(want) == 121, f"121 series forwarded: {len(want)}")
        check(fwd(s, "requests_total", vm_id(vm)) >= 3,
              "121 samples in batches of at most 50: 3 requests or more")
        check(("_9lives_x", (("a_b", "1,2"), ("canary", "no_label_value")))
              in want, "mapped names, joined labels, a bare tag")
        wait_sent(s, f"127.0.0.1_{prom.port}_api_v1_write", n)
        check_prom(prom, want)

        # the target goes away: sluice keeps taking data, retries, buffers
        vm.stop()
        send(s, batch(2))
        send(s, batch(3))
        n = ingested(s)
        deadline = time.time() + 15
        while time.time() < deadline and \
                fwd(s, "retries_total", vm_id(vm)) < 2:
            time.sleep(0.2)
        check(fwd(s, "failed_requests_total", vm_id(vm)) >= 2,
              "requests to the stopped target failed")
        check(fwd(s, "retries_total", vm_id(vm)) >= 2, "and were retried")
        check(fwd(s, "pending_bytes", vm_id(vm)) > 0, "bytes pending")
        deadline = time.time() + 10
        while time.time() < deadline and \
                fwd(s, "lag_seconds", vm_id(vm)) < 2:
            time.sleep(0.2)
        check(fwd(s, "lag_seconds", vm_id(vm)) >= 2,
              f"the lag grows: {fwd(s, 'lag_seconds', vm_id(vm))}")
        # the other target kept receiving
        wait_sent(s, f"127.0.0.1_{prom.port}_api_v1_write", n)

        # sluice restarts while the target is down: cursors resume
        rc, _ = s.stop()
        check(rc == 0, f"sluice stopped cleanly ({rc})")
        s.close(keep_data=True)
        data = s.data_dir
        s = Sluice(binary, extra=args, data_dir=data)
        send(s, batch(4))
        vm.start()
        wait_equal(vm, s, timeout=60)
        want = sluice_export(s)
        pts = sum(len(v) for v in want.values())
        check(pts == 4 * 121, f"every point once in sluice: {pts}")
        check(sum(len(v) for v in vm.export().values()) == pts,
              "nothing twice in victoria-metrics")
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                check_prom(prom, want)
                break
            except AssertionError:
                time.sleep(0.5)
        check_prom(prom, want)
        check(fwd(s, "rejected_samples_total", vm_id(vm)) == 0,
              "nothing rejected")
        deadline = time.time() + 10
        while time.time() < deadline and (
                fwd(s, "lag_seconds", vm_id(vm)) > 0 or
                fwd(s, "pending_bytes", vm_id(vm)) > 0):
            time.sleep(0.2)
        check(fwd(s, "lag_seconds", vm_id(vm)) == 0 and
              fwd(s, "pending_bytes", vm_id(vm)) == 0,
              "caught up: lag and pending bytes back to 0")
    finally:
        for x in (s,):
            if x:
                x.close()
        for x in (vm, prom):
            if x:
                x.stop()
        shutil.rmtree(tmp, ignore_errors=True)


class Scripted(http.server.BaseHTTPRequestHandler):
    """Answers POSTs with the statuses of `script` (0: a connection
    reset instead), then 204."""
    script = []
    seen = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Scripted.seen.append((dict(self.headers), len(body)))
        code = Scripted.script.pop(0) if Scripted.script else 204
        if code == 0:  # reset the connection instead of answering
            import struct
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        self.send_response(code)
        if code == 429:
            self.send_header("Retry-After", "1")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"no")

    def log_message(self, *a):
        pass


def test_failing_and_hanging_targets_block_no_one(binary):
    tmp = tempfile.mkdtemp(prefix="sluice-fwd-")
    vm = s = srv = hang = None
    try:
        vm = VM(tmp)
        Scripted.script = [0, 500, 500, 429, 400]
        Scripted.seen = []
        srv = http.server.HTTPServer(("127.0.0.1", 0), Scripted)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        hang = socket.socket()
        hang.bind(("127.0.0.1", 0))
        hang.listen(16)   # accepts (in the kernel), never answers
        tok = os.path.join(tmp, "token")
        with open(tok, "w") as f:
            f.write("s3cret\n")
        fake = f"http://127.0.0.1:{srv.server_port}/receive"
        args = ["--remote-write", fake,
                "--remote-write-header", "X-Scope-OrgID: tenant-1",
                "--remote-write-bearer-token-file", tok,
                "--remote-write", f"http://127.0.0.1:{hang.getsockname()[1]}/w",
                "--remote-write", vm.url()]
        s = Sluice(binary, extra=args, cores="2")  # two shards to tail
        for part in range(4):  # connections spread over the shards
            send(s, batch(1)[part::4])
        n = ingested(s)
        fid = f"127.0.0.1_{srv.server_port}_receive"
        # the healthy target gets everything while the others fail or hang
        wait_sent(s, vm_id(vm), n, timeout=15)
        wait_equal(vm, s)
        deadline = time.time() + 30
        while time.time() < deadline and \
                fwd(s, "rejected_samples_total", fid) == 0:
            time.sleep(0.2)
        check(0 < fwd(s, "rejected_samples_total", fid) <= n,
              f"the 400'd batch is rejected: "
              f"{fwd(s, 'rejected_samples_total', fid)} of {n}")
        check(fwd(s, "retries_total", fid) == 4,
              "reset, 500, 500, 429: 4 retries")
        check(fwd(s, "failed_requests_total", fid) == 5, "5 failed requests")
        check(fwd(s, "sent_samples_total", fid) == 0, "nothing sent")
        h = Scripted.seen[0][0]
        check(h.get("Content-Encoding") == "snappy" and
              h.get("Content-Type") == "application/x-protobuf" and
              h.get("X-Prometheus-Remote-Write-Version") == "0.1.0",
              f"remote-write headers: {h}")
        check(h.get("Authorization") == "Bearer s3cret", "bearer token")
        check(h.get("X-Scope-OrgID") == "tenant-1", "extra header")
        check(len({b for _, b in Scripted.seen}) == 1,
              "the same batch every try")
        # after the rejection the target gets the next data
        send(s, batch(2))
        wait_sent(s, fid, 120, timeout=15)
        rej = fwd(s, "rejected_samples_total", fid)
        wait_sent(s, fid, ingested(s) - rej, timeout=15)
        wait_sent(s, vm_id(vm), ingested(s), timeout=15)
        hid = f"127.0.0.1_{hang.getsockname()[1]}_w"
        check(fwd(s, "sent_samples_total", hid) == 0, "the hung target: 0")
        check(fwd(s, "lag_seconds", vm_id(vm)) == 0, "vm caught up")
        rc, took = s.stop()
        check(rc == 0 and took < 3, f"stop with a hung target: {rc} {took}")
    finally:
        if s:
            s.close()
        if srv:
            srv.shutdown()
        if hang:
            hang.close()
        if vm:
            vm.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def tls_server(tmp, name):
    """A Scripted receiver over https with a fresh self-signed certificate
    for localhost and 127.0.0.1. Returns (server, cert path)."""
    import ssl
    key, cert = os.path.join(tmp, name + ".key"), os.path.join(tmp, name + ".pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                    "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    srv = http.server.HTTPServer(("127.0.0.1", 0), Scripted)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, cert


def test_https_verified(binary):
    if shutil.which("openssl") is None:
        raise Skip("openssl is not installed")
    tmp = tempfile.mkdtemp(prefix="sluice-fwd-")
    s = good = bad = None
    try:
        Scripted.script, Scripted.seen = [], []
        good, cert = tls_server(tmp, "good")
        bad, _ = tls_server(tmp, "bad")  # its CA is not given: refused
        pw = os.path.join(tmp, "pw")
        with open(pw, "w") as f:
            f.write("pa:ss\n")
        args = ["--remote-write",
                f"https://localhost:{good.server_port}/w",
                "--remote-write-ca-file", cert,
                "--remote-write-basic-auth", f"alice:{pw}",
                "--remote-write", f"https://127.0.0.1:{bad.server_port}/w"]
        s = Sluice(binary, extra=args)
        send(s, batch(1))
        n = ingested(s)
        wait_sent(s, f"localhost_{good.server_port}_w", n)
        import base64
        check(Scripted.seen[0][0].get("Authorization") == "Basic " +
              base64.b64encode(b"alice:pa:ss").decode(), "basic auth")
        bid = f"127.0.0.1_{bad.server_port}_w"
        deadline = time.time() + 10
        while time.time() < deadline and \
                fwd(s, "failed_requests_total", bid) == 0:
            time.sleep(0.1)
        check(fwd(s, "failed_requests_total", bid) >= 1,
              "an unverified certificate fails the request")
        check(fwd(s, "sent_samples_total", bid) == 0, "and sends nothing")
        check("certificate" in s.logtext(), "the log says why")
        # the same with the CA, by IP address (checked against the IP SAN)
        s.stop()
        s.close()
        s = Sluice(binary, extra=["--remote-write",
                                  f"https://127.0.0.1:{bad.server_port}/w",
                                  "--remote-write-ca-file",
                                  os.path.join(tmp, "bad.pem")])
        send(s, batch(2))
        wait_sent(s, bid, ingested(s))
    finally:
        if s:
            s.close()
        for x in (good, bad):
            if x:
                x.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


def test_retention_is_not_blocked_by_a_dead_target(binary):
    """The target is down while retention deletes unsent segments: they
    are counted dropped, the rest arrives once the target returns."""
    tmp = tempfile.mkdtemp(prefix="sluice-fwd-")
    vm = s = None
    try:
        vm = VM(tmp)
        vm.stop()
        s = Sluice(binary, extra=["--remote-write", vm.url(),
                                  "--segment-max-bytes", "1M",
                                  "--max-disk-bytes", "3M"])
        subprocess.run([binary, "bench", "statsd", "--target",
                        f"127.0.0.1:{s.port}", "--tcp", "--rate", "400k",
                        "--duration", "4"], check=True, capture_output=True)
        s.flush()
        deadline = time.time() + 10
        while time.time() < deadline and \
                s.total("sluice_retention_deleted_segments_total") < 3:
            time.sleep(0.2)
        deleted = s.total("sluice_retention_deleted_segments_total")
        check(deleted >= 3, f"retention deleted {deleted} segments while "
              f"the target was down")
        vm.start()
        vid = vm_id(vm)
        deadline = time.time() + 60
        while time.time() < deadline and (
                fwd(s, "pending_bytes", vid) > 0 or
                fwd(s, "sent_samples_total", vid) == 0):
            time.sleep(0.3)
        check(fwd(s, "pending_bytes", vid) == 0, "caught up")
        dropped = fwd(s, "dropped_by_retention_total", vid)
        sent = fwd(s, "sent_samples_total", vid)
        n = ingested(s)
        deleted = s.total("sluice_retention_deleted_segments_total")
        check(1 <= dropped <= deleted, f"{dropped} segments counted dropped "
              f"of {deleted} deleted")
        check(0 < sent < n, f"{sent} of {n} points sent")
        check(fwd(s, "rejected_samples_total", vid) == 0, "none rejected")
    finally:
        if s:
            s.close()
        if vm:
            vm.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def test_token_file_read_per_request(binary):
    """A missing token file fails requests (retried), not sluice; a token
    written later, then rotated, is used from the next request on."""
    tmp = tempfile.mkdtemp(prefix="sluice-fwd-")
    s = srv = None
    try:
        Scripted.script, Scripted.seen = [], []
        srv = http.server.HTTPServer(("127.0.0.1", 0), Scripted)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        tok = os.path.join(tmp, "token")
        url = f"http://127.0.0.1:{srv.server_port}/w"
        s = Sluice(binary, extra=["--remote-write", url,
                                  "--remote-write-bearer-token-file", tok])
        tid = f"127.0.0.1_{srv.server_port}_w"
        send(s, batch(1))
        deadline = time.time() + 10
        while time.time() < deadline and \
                fwd(s, "failed_requests_total", tid) < 2:
            time.sleep(0.1)
        check(fwd(s, "failed_requests_total", tid) >= 2 and not
              Scripted.seen, "no request without its token")
        check(tok in s.logtext(), "the log names the token file")
        with open(tok, "w") as f:
            f.write("first\n")
        wait_sent(s, tid, 120)
        with open(tok, "w") as f:
            f.write("second\n")
        send(s, batch(2))
        wait_sent(s, tid, 240)
        auth = [h.get("Authorization") for h, _ in Scripted.seen]
        check(auth[0] == "Bearer first" and auth[-1] == "Bearer second",
              f"tokens used: {auth}")
    finally:
        if s:
            s.close()
        if srv:
            srv.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


RSYSLOG_CONF = """\
global(workDirectory="{dir}")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="{port}")
template(name="fields" type="string"
         string="%pri%|%timereported:::date-rfc3339%|%hostname%|%app-name%|%procid%|%msgid%|%structured-data%|%msg%\\n")
*.* action(type="omfile" file="{dir}/out.log" template="fields")
"""


class Rsyslog:
    """rsyslogd -n receiving on loopback TCP into a file, field by field."""

    def __init__(self, tmp):
        if shutil.which("rsyslogd") is None:
            raise Skip("rsyslogd is not installed (scripts/deps.sh)")
        self.dir = os.path.join(tmp, "rsyslog")
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.conf = os.path.join(self.dir, "rs.conf")
        with open(self.conf, "w") as f:
            f.write(RSYSLOG_CONF.format(dir=self.dir, port=self.port))
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            ["rsyslogd", "-n", "-f", self.conf, "-i",
             os.path.join(self.dir, "pid")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port)).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("rsyslogd did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def lines(self):
        try:
            with open(os.path.join(self.dir, "out.log")) as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []


def send_syslog(s, frames):
    """Octet-counted messages over TCP, then a flush once all are in."""
    before = s.total("sluice_logs_ingested_total")
    with socket.create_connection(("127.0.0.1", s.syslog_port)) as c:
        c.sendall(b"".join(b"%d %s" % (len(m), m) for m in frames))
    s.wait_total("sluice_logs_ingested_total", before + len(frames), 10)
    s.flush()


def wait_lines(rs, n, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline and len(rs.lines()) < n:
        time.sleep(0.1)
    return rs.lines()


def test_forward_syslog_to_rsyslog(binary):
    tmp = tempfile.mkdtemp(prefix="sluice-fwd-")
    rs = s = None
    try:
        rs = Rsyslog(tmp)
        s = Sluice(binary, extra=["--forward-syslog",
                                  f"127.0.0.1:{rs.port}"])
        tid = f"syslog_127.0.0.1_{rs.port}"
        send_syslog(s, [
            b'<165>1 2026-12-06T10:00:00.123456Z web1 myapp 42 ID7 '
            b'[zoo@123 tiger="hun\\]gry" eats="meat"][ex@1 a="b"] disk full',
            b"<13>Dec  6 10:00:01 web2 old[7]: a bsd line",
            b"<14>1 2026-12-06T10:00:02Z - - - - - ",
            b"<14>1 2026-12-06T10:00:02Z h app - - - two\nlines",
        ])
        got = wait_lines(rs, 4)
        check(got[0] == '165|2026-12-06T10:00:00.123456Z|web1|myapp|42|'
              'ID7|[zoo@123 tiger="hun\\]gry" eats="meat"][ex@1 a="b"]|'
              'disk full', f"5424 fields: {got[0]!r}")
        check(got[1].startswith("13|") and "|web2|old|7|-|-|a bsd line" in
              got[1], f"3164 fields: {got[1]!r}")
        check(got[2].startswith("14|2026-12-06T10:00:02") and
              got[2].endswith("|-|-|-|-|-|"), f"empty fields: {got[2]!r}")
        # octet counting: a newline inside a message does not end it
        # (rsyslog writes it escaped); newline framing would cut it in two
        time.sleep(0.5)
        got = rs.lines()
        check(len(got) == 4 and got[3].endswith("|app|-|-|-|two#012lines"),
              f"one message with its newline: {got[3:]!r}")
        check(s.total("sluice_forward_syslog_sent_records_total",
                      target=tid) == 4, "4 records sent")
        # rsyslog goes away: retried; back: everything arrives, once
        rs.stop()
        send_syslog(s, [b"<14>1 2026-12-06T10:00:03Z h a - - - m%d" % i
                        for i in range(50)])
        deadline = time.time() + 10
        while time.time() < deadline and s.total(
                "sluice_forward_syslog_retries_total", target=tid) < 2:
            time.sleep(0.1)
        check(s.total("sluice_forward_syslog_retries_total", target=tid) >= 2,
              "writes to the stopped receiver retried")
        rs.start()
        got = wait_lines(rs, 54)
        msgs = [l.rsplit("|", 1)[1] for l in got[4:]]
        check(msgs == [f"m{i}" for i in range(50)],
              f"all 50 after the restart, in order, once: {msgs[:5]}... "
              f"({len(msgs)})")
    finally:
        if s:
            s.close()
        if rs:
            rs.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def sub(msg, field):
    return [v for f, v in pb_fields(msg) if f == field]


def otlp_points(body):
    """{(name, ((k, v), ...)): [(ts_ms, value)]} of an OTLP metrics body."""
    import struct
    out = {}
    for rm in sub(body, 1):
        for sm in sub(rm, 2):
            for m in sub(sm, 2):
                name = sub(m, 1)[0].decode()
                for kind in (5, 7):
                    for g in sub(m, kind):
                        for dp in sub(g, 1):
                            attrs = tuple(sorted(
                                (sub(kv, 1)[0].decode(),
                                 sub(sub(kv, 2)[0], 1)[0].decode())
                                for kv in sub(dp, 7)))
                            t = struct.unpack("<Q", sub(dp, 3)[0])[0]
                            v = struct.unpack("<d", sub(dp, 4)[0])[0]
                            out.setdefault((name, attrs), []).append(
                                (t // 1000000, v))
    return out


def otlp_log_bodies(body):
    return [sub(sub(lr, 5)[0], 1)[0].decode()
            for rl in sub(body, 1) for sl in sub(rl, 2) for lr in sub(sl, 2)]


class Collector(http.server.BaseHTTPRequestHandler):
    """An OTLP/HTTP receiver: keeps (path, content type, body), 200."""
    got = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Collector.got.append((self.path, self.headers["Content-Type"], body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


def test_otlp_export(binary):
    tmp = tempfile.mkdtemp(prefix="sluice-fwd-")
    s = srv = None
    try:
        Collector.got = []
        srv = http.server.HTTPServer(("127.0.0.1", 0), Collector)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        s = Sluice(binary, extra=["--otlp-export",
                                  f"http://127.0.0.1:{srv.server_port}/"])
        base = f"otlp_127.0.0.1_{srv.server_port}"
        send(s, batch(1))
        wait_sent(s, base + "_metrics", ingested(s))
        time.sleep(1)  # its cursor saved before any log block exists
        msgs = [f"otlp line {i}" for i in range(20)]
        send_syslog(s, [b"<14>1 2026-12-06T10:00:00Z h app - - - " +
                        m.encode() for m in msgs])
        wait_sent(s, base + "_logs", 20)
        paths = {p for p, _, _ in Collector.got}
        check(paths == {"/v1/metrics", "/v1/logs"}, f"paths: {paths}")
        check(all(t == "application/x-protobuf" for _, t, _ in Collector.got),
              "content type")
        pts = {}
        for p, _, b in Collector.got:
            if p == "/v1/metrics":
                for k, v in otlp_points(b).items():
                    pts.setdefault(k, []).extend(v)
        q = urllib.parse.urlencode({"match[]": '{__name__=~".+"}'})
        want = {}
        for line in get(s.url(f"/api/v1/export?{q}")).splitlines():
            d = json.loads(line)
            m = dict(d["metric"])
            name = m.pop("__name__")
            want[(name, tuple(sorted(m.items())))] = list(
                zip(d["timestamps"], d["values"]))
        check({k: sorted(v) for k, v in pts.items()} ==
              {k: sorted(v) for k, v in want.items()},
              f"OTLP points == sluice's export ({len(pts)} vs {len(want)} "
              f"series)")
        bodies = [m for p, _, b in Collector.got if p == "/v1/logs"
                  for m in otlp_log_bodies(b)]
        check(bodies == msgs, f"log bodies in order, once: {bodies[:3]}")
        # the metrics target stepped over the log blocks: nothing pending
        time.sleep(1.5)  # the gauges are refreshed every second
        deadline = time.time() + 10
        while time.time() < deadline and \
                fwd(s, "pending_bytes", base + "_metrics") > 0:
            time.sleep(0.2)
        check(fwd(s, "pending_bytes", base + "_metrics") == 0 and
              fwd(s, "lag_seconds", base + "_metrics") == 0,
              "caught up past the other kind's blocks")
    finally:
        if s:
            s.close()
        if srv:
            srv.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


def any_value(v):
    """An OTLP AnyValue of a Python value (tuple: ('array', [values]),
    ('kvlist', [(k, v)]), ('bytes', b), ('none',))."""
    import struct
    from test_traces import field, msg, text, varint
    if isinstance(v, bool):
        return field(2, 0, varint(int(v)))
    if isinstance(v, int):
        return field(3, 0, varint(v & (2**64 - 1)))
    if isinstance(v, float):
        return field(4, 1, struct.pack("<d", v))
    if isinstance(v, str):
        return text(1, v)
    if v[0] == "array":
        return msg(5, b"".join(msg(1, any_value(x)) for x in v[1]))
    if v[0] == "kvlist":
        return msg(6, b"".join(msg(1, typed_kv(k, x)) for k, x in v[1]))
    if v[0] == "bytes":
        return field(7, 2, v[1])
    return b""  # an empty AnyValue


def typed_kv(key, value):
    from test_traces import msg, text
    return text(1, key) + msg(2, any_value(value))


def typed_spans(n, t0, salt):
    """An ExportTraceServiceRequest of two resources: n spans with every
    AnyValue type, trace states, flags, parents, events and links (ids
    made distinct by salt)."""
    import struct
    from test_traces import field, msg, text, varint
    out = b""
    for r, svc in enumerate(("typed-a", "typed-b")):
        spans = []
        for i in range(r, n, 2):
            b = field(1, 2, bytes([0xc0 + r, salt] + [i % 256] * 14))
            b += field(2, 2, (salt << 32 | 0xd000 + i).to_bytes(8, "big"))
            b += text(3, f"k{i}=v") if i % 3 == 0 else b""
            if i % 4:
                b += field(4, 2, (salt << 32 | 0xd000 + i - 1).to_bytes(
                    8, "big"))
            b += text(5, f"op {i % 7}") + field(6, 0, varint(i % 6))
            b += field(7, 1, struct.pack("<Q", t0 + i * 1000))
            b += field(8, 1, struct.pack("<Q", t0 + i * 1000 + 777))
            for k, v in (("d", i / 8), ("b", i % 2 == 0), ("neg", -i),
                         ("arr", ("array", [1, "x", 2.5])),
                         ("kv", ("kvlist", [("in", "side"), ("n", i)])),
                         ("raw", ("bytes", bytes([i % 256, 0, 255]))),
                         ("none", ("none",))):
                b += msg(9, typed_kv(k, v))
            b += msg(11, field(1, 1, struct.pack("<Q", t0 + i * 1000 + 5)) +
                     text(2, "ev") + msg(3, typed_kv("e", i)))
            b += msg(13, field(1, 2, bytes(range(16))) +
                     field(2, 2, bytes(range(8))) + text(3, "ls=1") +
                     msg(4, typed_kv("l", 1.5)) +
                     field(6, 5, struct.pack("<I", 0x101)))
            b += msg(15, text(2, "bad" if i % 5 == 0 else "") +
                     field(3, 0, varint(i % 3)))
            b += field(16, 5, struct.pack("<I", 1 if i % 2 else 0x301))
            spans.append(msg(2, b))
        resource = msg(1, msg(1, typed_kv("service.name", svc)) +
                       msg(1, typed_kv("rank", r)))
        scope = msg(1, text(1, f"scope-{r}") + text(2, "2.0"))
        out += msg(1, resource + msg(2, scope + b"".join(spans)))
    return out


def all_spans(s):
    """Every stored span as the query port serves it, by (trace, span)."""
    body = json.loads(get(s.url("/api/v1/spans?limit=10000")))
    return {(x["traceId"], x["spanId"]): x for x in body["data"]["spans"]}


def test_otlp_export_spans(binary):
    """Spans taken in over OTLP/HTTP go out to the collector as OTLP
    ExportTraceServiceRequests, each once, in batches of 50 (spans cut
    out of the middle of blocks); a second sluice given exactly what the
    collector received serves the same spans, field for field (every
    AnyValue type, events, links, status, flags, trace state, resource
    and scope)."""
    from otlp_helpers import fixture, post
    Collector.got = []
    s = s2 = srv = None
    try:
        srv = http.server.HTTPServer(("127.0.0.1", 0), Collector)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        s = Sluice(binary, cores="2", extra=[
            "--otlp-export", f"http://127.0.0.1:{srv.server_port}/",
            "--remote-write-batch-samples", "50"])
        tid = f"otlp_127.0.0.1_{srv.server_port}_traces"
        t0 = int(time.time()) * 10**9
        for body in (fixture("traces.bin"), typed_spans(160, t0, 1),
                     typed_spans(61, t0 + 10**9, 2)):
            st, _, b = post(s, "/v1/traces", body)
            check(st == 200, f"ingest: {st} {b[:200]}")
        s.flush()
        want = all_spans(s)
        check(len(want) == 2 + 160 + 61, f"{len(want)} spans stored")
        wait_sent(s, tid, len(want))
        time.sleep(0.5)
        bodies = [b for p, _, b in Collector.got if p == "/v1/traces"]
        sent = sum(len(sub(ss, 2)) for b in bodies for rs in sub(b, 1)
                   for ss in sub(rs, 2))
        check(sent == len(want) == fwd(s, "sent_samples_total", tid),
              f"each span once: {sent} sent, {len(want)} stored")
        per = [sum(len(sub(ss, 2)) for rs in sub(b, 1) for ss in sub(rs, 2))
               for b in bodies]
        check(max(per) == 50 and len(bodies) >= len(want) / 50,
              f"batches of at most 50 spans: {per}")
        s2 = Sluice(binary)
        for b in bodies:
            st, _, r = post(s2, "/v1/traces", b)
            check(st == 200, f"re-ingest: {st} {r[:200]}")
        s2.flush()
        got = all_spans(s2)
        check(got.keys() == want.keys(), f"{len(got)} of {len(want)} spans")
        for k in want:
            check(got[k] == want[k], f"span {k}:\n{got[k]}\n!=\n{want[k]}")
    finally:
        for x in (s, s2):
            if x:
                x.close()
        if srv:
            srv.shutdown()


class FlakyCollector(http.server.BaseHTTPRequestHandler):
    """An OTLP/HTTP receiver that takes `ok_left` requests (None: all),
    then answers 503; keeps the bodies it took."""
    ok_left = None
    got = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        cls = FlakyCollector
        ok = cls.ok_left is None or cls.ok_left > 0
        if ok:
            cls.got.append(body)
            if cls.ok_left is not None:
                cls.ok_left -= 1
        self.send_response(200 if ok else 503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


def span_ids(bodies):
    return [sub(sp, 2)[0] for b in bodies for rs in sub(b, 1)
            for ss in sub(rs, 2) for sp in sub(ss, 2)]


def test_otlp_spans_resume_mid_block(binary):
    """The collector takes two batches of 50 spans, then answers 503;
    sluice stops with its span cursors inside blocks and starts again on
    the same data directory: the collector, back, gets every other span,
    none twice."""
    FlakyCollector.ok_left, FlakyCollector.got = 2, []
    s = srv = None
    try:
        srv = http.server.HTTPServer(("127.0.0.1", 0), FlakyCollector)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        args = ["--otlp-export", f"http://127.0.0.1:{srv.server_port}/",
                "--remote-write-batch-samples", "50"]
        s = Sluice(binary, extra=args)
        tid = f"otlp_127.0.0.1_{srv.server_port}_traces"
        st, _, b = post_otlp(s, "/v1/traces",
                             typed_spans(301, int(time.time()) * 10**9, 3))
        check(st == 200, f"ingest: {st} {b[:200]}")
        s.flush()
        deadline = time.time() + 20
        while time.time() < deadline and \
                fwd(s, "failed_requests_total", tid) < 1:
            time.sleep(0.1)
        check(fwd(s, "sent_samples_total", tid) == 100 and
              fwd(s, "failed_requests_total", tid) >= 1,
              f"two batches taken: {fwd(s, 'sent_samples_total', tid)}")
        rc, _ = s.stop()
        check(rc == 0, f"stopped: {rc}")
        s.close(keep_data=True)
        cur = os.path.join(s.data_dir, "forward", tid, "shard-0.cursor")
        with open(cur) as f:
            line = f.read()
        check(" points=0 " not in line, f"the cursor is inside a block: "
              f"{line!r}")
        FlakyCollector.ok_left = None
        s = Sluice(binary, extra=args, data_dir=s.data_dir)
        wait_sent(s, tid, 201)
        time.sleep(0.5)
        ids = span_ids(FlakyCollector.got)
        check(len(ids) == 301 and len(set(ids)) == 301,
              f"{len(ids)} spans received, {len(set(ids))} distinct")
    finally:
        if s:
            s.close()
        if srv:
            srv.shutdown()


def test_damaged_cursor_is_refused(binary):
    tmp = tempfile.mkdtemp(prefix="sluice-fwd-")
    try:
        port = free_port()
        url = f"http://127.0.0.1:{port}/api/v1/write"
        s = Sluice(binary, extra=["--remote-write", url])
        rc, secs = s.stop(timeout=15.0)
        check(rc == 0, f"clean stop: exit {rc} after {secs:.1f} s; log: "
              f"{s.logtext()[-2000:]}")
        s.close(keep_data=True)
        data = s.data_dir
        cur = os.path.join(data, "forward", f"127.0.0.1_{port}_api_v1_write",
                           "shard-0.cursor")
        check(os.path.exists(cur), "a new target's cursor is written")
        with open(cur, "r+") as f:
            text = f.read()
            f.seek(0)
            f.write(text.replace("segment=", "segment=9"))
        try:
            Sluice(binary, extra=["--remote-write", url], data_dir=data)
            raise AssertionError("sluice started with a damaged cursor")
        except RuntimeError as e:
            check("is damaged" in str(e) and cur in str(e), str(e))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main([test_two_targets_exact_replay_and_restart,
          test_failing_and_hanging_targets_block_no_one,
          test_https_verified,
          test_retention_is_not_blocked_by_a_dead_target,
          test_token_file_read_per_request,
          test_forward_syslog_to_rsyslog, test_otlp_export,
          test_otlp_export_spans, test_otlp_spans_resume_mid_block,
          test_damaged_cursor_is_refused])
