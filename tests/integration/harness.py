"""Shared helpers for sluice integration tests: start a real `sluice run`
on free loopback ports, read its /metrics, run test functions and print a
closing 'N passed, N failed' line."""

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request


_HANDED_OUT = set()


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
            return lo, hi
    except (OSError, ValueError):
        return 32768, 60999


def free_port(kind=socket.SOCK_STREAM):
    """A port free for both UDP and TCP on 127.0.0.1, chosen at random
    below the kernel's ephemeral range: a port the kernel hands out for
    bind(0) or for a client's connect() can be taken again by any other
    test running beside this one before sluice binds it (seen in CI),
    a port outside that range only by another free_port() caller, and
    never twice by this process."""
    lo_eph, hi_eph = _ephemeral_range()
    lo, hi = (10000, lo_eph - 1) if lo_eph > 12000 else (hi_eph + 1, 65000)
    rng = random.Random(os.getpid() ^ time.monotonic_ns())
    for _ in range(1000):
        port = rng.randint(lo, hi)
        if port in _HANDED_OUT:
            continue
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                t.bind(("127.0.0.1", port))
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                    u.bind(("127.0.0.1", port))
        except OSError:
            continue
        _HANDED_OUT.add(port)
        return port
    raise RuntimeError("no free port")


class Skip(Exception):
    """The kernel lacks what the test needs: skip, do not fail."""


class Sluice:
    """A running `sluice run` process on loopback."""

    def __init__(self, binary, extra=(), cores="1", data_dir=None):
        """data_dir: reuse a data directory (a restart); else a new one,
        removed by close() unless close(keep_data=True)."""
        self.binary = binary
        self.tmp = tempfile.TemporaryDirectory(prefix="sluice-it-")
        self.data_dir = data_dir or os.path.join(self.tmp.name, "data")
        self.own_data = data_dir is None
        for attempt in range(3):
            try:
                self._start(extra, cores, attempt)
                return
            except RuntimeError as e:
                # Another test took one of our ports between free_port()
                # and sluice's bind: start again on new ports.
                if "already in use" not in str(e) or attempt == 2:
                    raise

    def _start(self, extra, cores, attempt):
        self.port = free_port()
        self.http_port = free_port()
        self.syslog_port = free_port()
        self.otlp_http_port = free_port()
        self.otlp_grpc_port = free_port()
        args = [self.binary, "run", "--cores", cores,
                "--statsd-udp", f"127.0.0.1:{self.port}",
                "--statsd-tcp", f"127.0.0.1:{self.port}",
                "--syslog-udp", f"127.0.0.1:{self.syslog_port}",
                "--syslog-tcp", f"127.0.0.1:{self.syslog_port}",
                "--http", f"127.0.0.1:{self.http_port}",
                "--otlp-http", f"127.0.0.1:{self.otlp_http_port}",
                "--otlp-grpc", f"127.0.0.1:{self.otlp_grpc_port}",
                "--data-dir", self.data_dir]
        args += list(extra)
        self.log = open(os.path.join(self.tmp.name, f"sluice.{attempt}.log"),
                        "w+")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log)
        self.wait_healthy()

    def url(self, path):
        return f"http://127.0.0.1:{self.http_port}{path}"

    def wait_healthy(self, timeout=10.0):
        """Until /-/ready answers 200: recovery done, every listener up
        (/health answers as soon as the query port serves)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                log = self.logtext()
                if "cannot set up io_uring" in log:
                    raise Skip("kernel lacks an io_uring feature: " + log)
                raise RuntimeError("sluice exited early: " + log)
            try:
                with urllib.request.urlopen(self.url("/-/ready"),
                                            timeout=1) as r:
                    if r.status == 200 and r.read().strip() == b"ready":
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("sluice did not become healthy: " + self.logtext())

    def logtext(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def metrics(self):
        try:
            with urllib.request.urlopen(self.url("/metrics"), timeout=5) as r:
                return parse_metrics(r.read().decode())
        except OSError as e:
            # Say whether sluice was still there: a failed fetch alone does
            # not tell a crash from a refused or dropped connection.
            raise RuntimeError(f"GET /metrics: {e!r}; {self.state()}") from e

    def state(self):
        """One line: sluice running or its exit code, and its log's end."""
        rc = self.proc.poll()
        tail = self.logtext()[-600:].replace("\n", " | ")
        return (("sluice running" if rc is None else f"sluice exited {rc}")
                + f"; log ends: {tail}")

    def total(self, name, **labels):
        return sum_metric(self.metrics(), name, **labels)

    def flush(self, timeout=15.0):
        """POST /api/v1/flush: every shard sealed and fsynced on return."""
        req = urllib.request.Request(self.url("/api/v1/flush"), data=b"",
                                     method="POST")
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body = r.read()
            if r.status != 200:
                raise RuntimeError(f"flush answered {r.status}: {body}")
            return body

    def wait_total(self, name, want, timeout=5.0, **labels):
        """Poll until sum(name{labels}) == want; return the last value."""
        deadline = time.time() + timeout
        got = None
        while time.time() < deadline:
            got = self.total(name, **labels)
            if got == want:
                return got
            time.sleep(0.05)
        return got

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        """Send sig; return (exit code, seconds to exit)."""
        if self.proc.poll() is not None:
            return self.proc.returncode, 0.0
        t0 = time.time()
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        return rc, time.time() - t0

    def close(self, keep_data=False):
        """Kill if still running; remove the temporary files. A data
        directory this instance created is moved out first if kept."""
        if self.proc.poll() is None:
            self.stop(signal.SIGKILL)
        elif self.proc.returncode not in (0, -signal.SIGKILL,
                                          -signal.SIGTERM):
            sys.stderr.write(f"sluice exited {self.proc.returncode}; its "
                             f"log:\n{self.logtext()[-6000:]}\n")
        text = "" if self.log.closed else self.logtext()
        sanitizer = SANITIZER.search(text)
        if not self.log.closed:
            self.log.close()
        if keep_data and self.own_data and os.path.isdir(self.data_dir):
            kept = tempfile.mkdtemp(prefix="sluice-it-data-")
            os.rename(self.data_dir, os.path.join(kept, "data"))
            self.data_dir = os.path.join(kept, "data")
            self.own_data = False
        elif not keep_data and "sluice-it-data-" in self.data_dir:
            shutil.rmtree(os.path.dirname(self.data_dir), ignore_errors=True)
        if sanitizer is not None:
            self.tmp.cleanup()
            raise AssertionError("sluice's sanitizer reported: "
                                 + text[sanitizer.start():][:6000])
        self.tmp.cleanup()


# What ASan, LSan and UBSan print (the ASan build of .ci/run): a report in
# sluice's own log fails the test even when sluice went on or exited 0.
SANITIZER = re.compile(r'ERROR: (AddressSanitizer|LeakSanitizer)|'
                       r'runtime error: ')


LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """[(name, {labels}, value)] from Prometheus text."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = LINE.match(line)
        if not m:
            raise ValueError("bad metrics line: " + line)
        labels = dict(LABEL.findall(m.group(2) or ""))
        out.append((m.group(1), labels, float(m.group(3))))
    return out


def sum_metric(samples, name, **labels):
    total = 0
    for n, l, v in samples:
        if n == name and all(l.get(k) == str(val) for k, val in labels.items()):
            total += v
    return int(total)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def main(tests):
    """Run test functions (each takes the sluice binary path)."""
    binary = sys.argv[1]
    passed = failed = skipped = 0
    for t in tests:
        t0 = time.time()
        try:
            t(binary)
            passed += 1
            print(f"PASS {t.__name__} ({time.time() - t0:.2f}s)", flush=True)
        except Skip as e:
            skipped += 1
            print(f"SKIP {t.__name__}: {e}", flush=True)
        except Exception:
            failed += 1
            # the cause on the FAIL line itself: CI keeps the start of the
            # output, where a long traceback's last line may be cut off
            why = repr(sys.exc_info()[1])[:400]
            print(f"FAIL {t.__name__}: {why}", flush=True)
            traceback.print_exc()
    print(f"{passed} passed, {failed} failed, {skipped} skipped", flush=True)
    # 77 tells meson the test was skipped.
    sys.exit(1 if failed else (77 if skipped and not passed else 0))
