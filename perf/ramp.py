#!/usr/bin/python3
"""perf/ramp.py - loopback ramp of `sluice run` (and of a peer StatsD
server) driven by `sluice bench`; called by perf/run.sh.

  ramp.py ramp   --sluice BIN --out FILE.json [--statsite BIN] [options]
  ramp.py tuning --sluice BIN --out FILE.json [options]   (root: sysctls)
  ramp.py dump   --sluice BIN --lines N --out FILE        (fleet-like file)
  ramp.py report --ramp FILE.json [--tuning FILE.json] [--extra FILE.json]
                 --results perf/RESULTS.md --plots DIR

A ramp step sends at one offered rate for a few seconds from CPU 0 to a
server pinned to CPU 1 (one server core), then counts what the server
received: sluice from /metrics before and after (`bench --check`), statsite
from its own `input_counter`, flushed every second to a file. Loss is
1 - received / sent; a step is loss-free at <= 0.1 %.
"""

import argparse
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from harness import free_port  # noqa: E402  (free for UDP and TCP)

LOSS_FREE_PCT = 0.1
DEFAULT_RATES = "250k,1M,1.5M,2M,2.5M,3M,4M,5M,6M,8M,max"
SENDER_CPU, SERVER_CPU = "0", "1"
BEGIN = "<!-- BEGIN perf/run.sh: Loopback ramp, Peers (written by perf/ramp.py) -->"
END = "<!-- END perf/run.sh -->"


def key_values(text):
    """`sluice bench` prints `key words value` lines."""
    return dict(l.rsplit(" ", 1) for l in text.splitlines() if " " in l)


def bench_rate(label):
    """'1.5M' -> '1500000' (bench takes whole numbers); 'max' stays."""
    mult = {"k": 1e3, "M": 1e6}.get(label[-1], 1)
    try:
        return str(int(float(label.rstrip("kM")) * mult))
    except ValueError:  # max, or a placeholder
        return label


class Bench:
    """`sluice bench statsd` from the sender CPU, one thread."""

    def __init__(self, binary, duration_s):
        self.binary = binary
        self.duration_s = duration_s

    def argv(self, port, rate, size, tags, check_url=None):
        a = ["taskset", "-c", SENDER_CPU, self.binary, "bench", "statsd",
             "--target", f"127.0.0.1:{port}", "--rate", bench_rate(rate),
             "--duration", str(self.duration_s), "--cpus", SENDER_CPU,
             "--datagram-bytes", str(size), "--tags", str(tags)]
        return a + (["--check", check_url] if check_url else [])

    def run(self, port, rate, size, tags, check_url=None):
        p = subprocess.run(self.argv(port, rate, size, tags, check_url),
                           capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            raise RuntimeError(f"bench failed: {p.stdout}{p.stderr}")
        return key_values(p.stdout)


class SluiceServer:
    """`sluice run --cores 1` pinned to the server CPU."""
    name = "sluice"

    def __init__(self, binary, extra=()):
        self.tmp = tempfile.TemporaryDirectory(prefix="sluice-perf-")
        self.port, self.http = free_port(), free_port()
        self.argv = ["taskset", "-c", SERVER_CPU, binary, "run",
                     "--cores", "1", "--statsd-udp", f"127.0.0.1:{self.port}",
                     "--statsd-tcp", "off",
                     "--http", f"127.0.0.1:{self.http}",
                     "--data-dir", os.path.join(self.tmp.name, "data"),
                     *extra]
        self.log = open(os.path.join(self.tmp.name, "log"), "w+")
        self.proc = subprocess.Popen(self.argv, stdout=self.log,
                                     stderr=self.log)
        self.url = f"http://127.0.0.1:{self.http}/metrics"
        wait_for(lambda: urllib.request.urlopen(
            f"http://127.0.0.1:{self.http}/-/ready", timeout=1), self.proc)

    def step(self, bench, rate, size, tags):
        r = bench.run(self.port, rate, size, tags, self.url)
        return int(r["lines sent"]), int(r["received"]), r

    def close(self):
        stop(self.proc)
        self.log.close()
        self.tmp.cleanup()


def wait_for(probe, proc, timeout_s=10.0):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early: {proc.args}")
        try:
            probe()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server not ready: {proc.args}")


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def accepted_without_d(sent, pool_lines=65536, metrics=20, d_index=(9, 12)):
    """Lines of bench's workload a server without the DogStatsD `d` type
    accepts. One bench thread sends its pool of 65536 lines from the first
    line on and wraps; with --series a multiple of 20, line k has metric
    k % 20 (tools/workload.c), and metrics 9 and 12 have type `d`. The
    lowest ramp step checks this count exactly."""
    def d_lines(n):
        full, rest = divmod(n, metrics)
        return len(d_index) * full + sum(1 for i in d_index if rest > i)
    wraps, rest = divmod(sent, pool_lines)
    return sent - (wraps * d_lines(pool_lines) + d_lines(rest))


class StatsiteServer:
    """statsite pinned to the server CPU; counts lines with its own
    input_counter, flushed every second through `cat >> FILE`."""
    name = "statsite"
    COUNTER = "perf.lines_in"

    def __init__(self, binary, rcvbuf_bytes):
        self.tmp = tempfile.TemporaryDirectory(prefix="statsite-perf-")
        self.port = free_port()
        self.sink = os.path.join(self.tmp.name, "flush.out")
        conf = os.path.join(self.tmp.name, "statsite.conf")
        with open(conf, "w") as f:
            f.write(f"[statsite]\nport = 0\nudp_port = {self.port}\n"
                    "bind_address = 127.0.0.1\nflush_interval = 1\n"
                    f"udp_rcvbuf = {rcvbuf_bytes}\n"
                    f"input_counter = {self.COUNTER}\n"
                    f"stream_cmd = cat >> {self.sink}\nlog_level = ERROR\n")
        self.argv = ["taskset", "-c", SERVER_CPU, binary, "-f", conf]
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        if self.proc.poll() is not None:
            raise RuntimeError(f"statsite exited: {self.argv}")

    def counted(self):
        try:
            with open(self.sink) as f:
                return sum(float(l.split("|")[1]) for l in f
                           if l.startswith(f"counts.{self.COUNTER}|"))
        except FileNotFoundError:
            return 0.0

    def settle(self, before, want):
        """Wait until the count reaches want, or stops moving for three
        flush intervals after the sender has finished (after a flood,
        statsite's first flush comes about 2 s late)."""
        last, still_since = self.counted(), time.time()
        deadline = time.time() + 10
        while time.time() < deadline and last - before < want:
            time.sleep(0.2)
            now = self.counted()
            if now != last:
                last, still_since = now, time.time()
            elif time.time() - still_since > 3.5:
                break
        return int(round(last - before))

    def step(self, bench, rate, size, tags):
        before = self.counted()
        r = bench.run(self.port, rate, size, tags)
        sent = int(r["lines sent"])
        want = accepted_without_d(sent)
        got = self.settle(before, want)
        r["accepted lines sent"] = str(want)
        return want, got, r

    def close(self):
        stop(self.proc)
        self.tmp.cleanup()


SATURATED_PCT = 1.0  # a step this lossy is past the server's limit


def ramp(server, bench, rates, size, tags):
    """Steps at increasing rates; after two steps in a row lose more than
    1 % (saturated: a lone noisy step on a shared box does not end the
    ramp) only the `max` step is still run. Returns a list of steps."""
    steps, lossy = [], 0
    for label in rates:
        if lossy >= 2 and label != "max":
            continue
        sent, got, raw = server.step(bench, label, size, tags)
        secs, offered = float(raw["seconds"]), float(raw["lines/s"])
        loss = 100.0 * (sent - got) / sent if sent else 0.0
        # received in lines of the offered mix (a peer that skips some
        # line types is scaled up to the whole mix)
        steps.append({"rate": label, "offered": offered,
                      "sent": sent, "received": got,
                      "bytes_per_line": int(raw["bytes"]) / max(
                          int(raw["lines sent"]), 1),
                      "received_rate": offered * (1 - loss / 100),
                      "loss_pct": loss, "seconds": secs})
        lossy = lossy + 1 if loss > SATURATED_PCT else 0
        print(f"  {server.name:8s} {size:5d} B tags {tags} {label:>5s}: "
              f"offered {steps[-1]['offered'] / 1e6:6.3f} M/s  received "
              f"{steps[-1]['received_rate'] / 1e6:6.3f} M/s  loss "
              f"{loss:7.3f} %", flush=True)
    return steps


def loss_free(steps):
    """Highest offered rate of a step with loss <= 0.1 % (0 if none)."""
    ok = [s["offered"] for s in steps if s["loss_pct"] <= LOSS_FREE_PCT]
    return max(ok) if ok else 0.0


def one_ramp(kind, args, size, tags, bench, extra=()):
    if kind == "sluice":
        server = SluiceServer(args.sluice, extra)
    else:
        server = StatsiteServer(args.statsite, args.rcvbuf_bytes)
    try:
        steps = ramp(server, bench, args.rates.split(","), size, tags)
    finally:
        server.close()
    return {"server": kind, "size": size, "tags": tags, "steps": steps,
            "loss_free": loss_free(steps), "argv": server.argv}


def cmd_ramp(args):
    bench = Bench(args.sluice, args.duration)
    runs = []
    for i in range(args.runs):
        print(f"run {i + 1} of {args.runs}", flush=True)
        for size in map(int, args.sizes.split(",")):
            runs.append(dict(one_ramp("sluice", args, size, 4, bench),
                             run=i, kind="main"))
            if not args.statsite:
                continue
            # same run, same workload: untagged lines (statsite has no tags)
            runs.append(dict(one_ramp("sluice", args, size, 0, bench),
                             run=i, kind="peer"))
            runs.append(dict(one_ramp("statsite", args, size, 0, bench),
                             run=i, kind="peer"))
    doc = {"machine": machine(), "duration_s": args.duration,
           "rates": args.rates, "runs": runs,
           "bench_argv": bench.argv("PORT", "RATE", 0, 0, "URL"),
           "statsite": args.statsite and peer_version(args.statsite)}
    write_json(args.out, doc)


SYSCTLS = {  # row: {sysctl: (Linux default, kernel-tuning/10-sluice.conf)}
    "net.core.rmem_max": {"net.core.rmem_max": ("212992", "33554432")},
    "net.core.netdev_max_backlog": {
        "net.core.netdev_max_backlog": ("1000", "250000")},
    "net.core.busy_poll": {"net.core.busy_poll": ("0", "50"),
                           "net.core.busy_read": ("0", "50")},
}
SYSCTL_NAMES = [n for row in SYSCTLS.values() for n in row]


def sysctl(name, value=None):
    path = "/proc/sys/" + name.replace(".", "/")
    if value is None:
        with open(path) as f:
            return f.read().strip()
    with open(path, "w") as f:
        f.write(value + "\n")
    return value


def cmd_tuning(args):
    """Each row's sysctls at the Linux default and at ours, the others
    left as the box has them; every value is restored at the end."""
    bench = Bench(args.sluice, args.duration)
    saved = {n: sysctl(n) for n in SYSCTL_NAMES}
    rows = []
    try:
        for i in range(args.runs):
            for row, names in SYSCTLS.items():
                for which in (0, 1):
                    for name, values in names.items():
                        sysctl(name, values[which])
                    for size in map(int, args.sizes.split(",")):
                        r = one_ramp("sluice", args, size, 4, bench)
                        rows.append(dict(r, run=i, setting=row,
                                         which=("stock", "tuned")[which],
                                         value=names[row][which]))
                    for name in names:
                        sysctl(name, saved[name])
    finally:
        for n, v in saved.items():
            sysctl(n, v)
    write_json(args.out, {"machine": machine(), "saved": saved,
                          "sysctls": SYSCTLS, "rows": rows,
                          "duration_s": args.duration})


def cmd_dump(args):
    """A fleet-like StatsD file: bench's own workload over TCP into a sink."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    rate = max(args.lines // 2, 1)
    p = subprocess.Popen([args.sluice, "bench", "statsd", "--tcp",
                          "--target", f"127.0.0.1:{port}", "--rate",
                          str(rate), "--duration", "2", "--tags",
                          str(args.tags)], stdout=subprocess.PIPE, text=True)
    conn, _ = srv.accept()
    with open(args.out, "wb") as f:
        while True:
            b = conn.recv(1 << 20)
            if not b:
                break
            f.write(b)
    out, _ = p.communicate()
    r = key_values(out)
    lines, size = int(r["lines sent"]), os.path.getsize(args.out)
    print(f"{lines} lines, {size / 1e6:.1f} MB ({size / max(lines, 1):.1f} "
          f"bytes a line), 10000 series, {args.tags} tags a line")
    return p.returncode


def peer_version(binary):
    """statsite prints its version on stderr when it stops."""
    p = subprocess.Popen([binary, "-f", "/nonexistent"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    try:
        out, _ = p.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
    m = re.search(r"version (\S+)", out)
    return {"path": binary, "version": m.group(1) if m else "unknown"}


def machine():
    model = ""
    for line in subprocess.run(["lscpu"], capture_output=True,
                               text=True).stdout.splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    return {"cpu": model, "cpus": os.cpu_count(),
            "kernel": platform.release(), "uname": " ".join(platform.uname()),
            "load": os.getloadavg(),
            "sysctl": {n: sysctl(n) for n in SYSCTL_NAMES},
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def write_json(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    from ramp_report import cmd_report  # noqa: E402

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("ramp", "tuning"):
        p = sub.add_parser(name)
        p.add_argument("--sluice", required=True)
        p.add_argument("--statsite")
        p.add_argument("--out", required=True)
        p.add_argument("--runs", type=int, default=3)
        p.add_argument("--sizes", default="1400,8192")
        p.add_argument("--rates", default=DEFAULT_RATES)
        p.add_argument("--duration", type=float, default=2.0)
        p.add_argument("--rcvbuf-bytes", type=int, default=8 << 20)
    p = sub.add_parser("dump")
    p.add_argument("--sluice", required=True)
    p.add_argument("--lines", type=int, default=1000000)
    p.add_argument("--tags", type=int, default=4)
    p.add_argument("--out", required=True)
    p = sub.add_parser("report")
    p.add_argument("--ramp")
    p.add_argument("--tuning")
    p.add_argument("--extra", help="JSON of parser/import figures")
    p.add_argument("--results")
    p.add_argument("--plots")
    p.add_argument("--readme", help="kernel-tuning/README.md to update")
    a = ap.parse_args()
    sys.exit({"ramp": cmd_ramp, "tuning": cmd_tuning, "dump": cmd_dump,
              "report": cmd_report}[a.cmd](a) or 0)
