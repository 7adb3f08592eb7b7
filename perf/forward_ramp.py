#!/usr/bin/python3
"""perf/forward_ramp.py - what a remote-write target costs ingestion, and
how fast the forwarder sends (docs/forwarding.md).

  forward_ramp.py --sluice BIN [--runs N] [--rates LIST] [--size BYTES]
                  [--duration S] [--replay-lines N]

1. Loopback ramps as perf/ramp.py runs them (sender on CPU 0, `sluice run
   --cores 1` on CPU 1, loss-free at <= 0.1 %), alternately without a
   target and with `--remote-write` to Debian's victoria-metrics (on
   CPU 0 beside the sender: the box has two cores). The forwarder thread
   shares CPU 1 with the shard.
2. Replay: sluice takes --replay-lines points while the target is down,
   then the target starts; samples/s forwarded = the backlog / the time
   until sluice_forward_pending_bytes is 0 and every point is sent.
Prints the figures; record them in perf/RESULTS.md.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from harness import free_port, parse_metrics, sum_metric  # noqa: E402
from ramp import (SENDER_CPU, Bench, SluiceServer, loss_free,  # noqa: E402
                  ramp)


class VM:
    def __init__(self, tmp):
        self.port = free_port()
        self.argv = ["taskset", "-c", SENDER_CPU,
                     shutil.which("victoria-metrics"),
                     f"-httpListenAddr=127.0.0.1:{self.port}",
                     f"-storageDataPath={tmp}/vm"]
        self.log = open(os.path.join(tmp, "vm.log"), "a")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.argv, stdout=self.log,
                                     stderr=self.log)
        for _ in range(200):
            try:
                urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/health", timeout=1)
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("victoria-metrics did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)

    def url(self):
        return f"http://127.0.0.1:{self.port}/api/v1/write"


def cpu_s(pid):
    """User + system CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        p = f.read().rsplit(")", 1)[1].split()
    return (int(p[11]) + int(p[12])) / os.sysconf("SC_CLK_TCK")


def metrics(server):
    with urllib.request.urlopen(server.url, timeout=5) as r:
        return parse_metrics(r.read().decode())


def one(args, bench, target):
    tmp = tempfile.mkdtemp(prefix="sluice-fwdperf-")
    vm = VM(tmp).start() if target else None
    extra = ["--remote-write", vm.url()] if vm else []
    server = SluiceServer(args.sluice, extra)
    server.name = "sluice+vm" if vm else "sluice"
    try:
        steps = ramp(server, bench, args.rates.split(","), args.size, 4)
        sent = None
        if vm:  # let the forwarder catch up, and say how long it took
            t0 = time.time()
            while time.time() - t0 < 120:
                m = metrics(server)
                ing = sum_metric(m, "sluice_points_ingested_total")
                sent = sum_metric(m, "sluice_forward_sent_samples_total")
                if sent >= ing:
                    break
                time.sleep(0.2)
            print(f"  forwarded {sent} of {ing} points; caught up "
                  f"{time.time() - t0:.1f} s after the ramp", flush=True)
        return loss_free(steps), steps
    finally:
        server.close()
        if vm:
            vm.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def replay(args, bench):
    """Backlog while the target is down, then the time to send it."""
    tmp = tempfile.mkdtemp(prefix="sluice-fwdperf-")
    vm = VM(tmp)
    server = SluiceServer(args.sluice, ["--remote-write", vm.url()] +
                          args.sluice_arg)
    try:
        rate = 500000
        secs = args.replay_lines / rate
        b = Bench(args.sluice, secs)
        r = b.run(server.port, str(rate), args.size, 4, server.url)
        ing = int(r["received"])
        time.sleep(2)  # the last blocks sealed and durable
        m = metrics(server)
        pending = sum_metric(m, "sluice_forward_pending_bytes")
        ing = sum_metric(m, "sluice_points_ingested_total")
        vm.start()
        t0 = s0 = None  # from the first batch taken (not the backoff)
        deadline = time.time() + 300
        while time.time() < deadline:
            sent = sum_metric(metrics(server),
                              "sluice_forward_sent_samples_total")
            if sent > 0 and t0 is None:
                t0, s0 = time.time(), sent
                c0 = cpu_s(server.proc.pid), cpu_s(vm.proc.pid)
            if sent >= ing:
                break
            time.sleep(0.1)
        if t0 is None:
            raise RuntimeError("nothing was forwarded within 300 s")
        dt = time.time() - t0
        cs = cpu_s(server.proc.pid) - c0[0], cpu_s(vm.proc.pid) - c0[1]
        print(f"  replay: {ing} points ({pending / 1e6:.1f} MB of segments); "
              f"after the first batch, {sent - s0} sent in {dt:.2f} s: "
              f"{(sent - s0) / dt / 1e6:.3f} M samples/s; CPU meanwhile: "
              f"sluice {cs[0]:.2f} s, victoria-metrics {cs[1]:.2f} s",
              flush=True)
        return {"points": ing, "pending_bytes": pending, "seconds": dt,
                "samples_per_s": (sent - s0) / dt}
    finally:
        server.close()
        vm.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--rates", default="500k,1M,1.5M,2M,2.5M,3M")
    ap.add_argument("--size", type=int, default=1400)
    ap.add_argument("--duration", type=float, default=2.0)
    ap.add_argument("--replay-lines", type=int, default=5000000)
    ap.add_argument("--sluice-arg", action="append", default=[],
                    help="an extra `sluice run` argument (repeat)")
    args = ap.parse_args()
    if shutil.which("victoria-metrics") is None:
        sys.exit("victoria-metrics is not installed (scripts/deps.sh perf)")
    bench = Bench(args.sluice, args.duration)
    for i in range(args.runs):
        for target in (False, True):
            lf, _ = one(args, bench, target)
            print(f"run {i + 1} {'with' if target else 'without'} a "
                  f"target: loss-free {lf / 1e6:.2f} M lines/s", flush=True)
    replay(args, bench)


if __name__ == "__main__":
    main()
