#!/usr/bin/env python3
"""DPDK back end throughput from net_pcap replay, one shard (docs/dpdk.md).

Writes a pcap of StatsD datagrams (tests/integration/dpdk_frames.py), runs
`sluice run --cores 1 --dpdk '--no-huge --no-pci --vdev
net_pcap0,rx_pcap=F,infinite_rx=1'` (the PMD replays the file from an
in-memory ring forever), samples /metrics for SECONDS and prints frames/s
and lines/s per core and the cost per frame, for:
  drop       UDP to a port sluice does not serve: the PMD plus the
             classifier, nothing parsed (the ceiling of this set-up)
  1-line     one StatsD line a datagram
  N-line     N short lines a datagram (--lines)
  1400B      DogStatsD lines with 4 tags (about 80 bytes, like bench's
             fleet mix) packed into 1400-byte datagrams, as in the
             kernel path's loopback ramp (perf/RESULTS.md)
The shard core also runs the PMD's replay, so these are the PMD's limit
as much as sluice's; a hardware NIC moves frames by DMA instead. The last
column is the process's system calls (every thread: `perf stat -e
raw_syscalls:sys_enter -p PID`, "-" without perf) per frame received:
the shard makes about one a millisecond, none a frame.

usage: perf/dpdk_pcap.py BUILD/sluice [--seconds S] [--lines N] [--cpu C]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))
import dpdk_frames as fr  # noqa: E402

OUR_IP = "10.0.0.5"


def total(text, name):
    return sum(float(m.group(1)) for m in
               re.finditer(r"^" + name + r"\{[^}]*\} (\S+)$", text, re.M))


def metrics(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics",
                                timeout=5) as r:
        return r.read().decode()


def count_syscalls(pid, seconds):
    """System calls of every thread of pid over seconds (perf stat on the
    raw_syscalls:sys_enter tracepoint); None where perf cannot count them
    (then the window is slept)."""
    end = time.time() + seconds
    m = None
    try:
        r = subprocess.run(["perf", "stat", "-x", ",", "-e",
                            "raw_syscalls:sys_enter", "-p", str(pid), "--",
                            "sleep", str(seconds)], capture_output=True,
                           text=True, timeout=seconds + 30)
        m = re.search(r"^(\d+),.*raw_syscalls:sys_enter", r.stderr, re.M)
    except (OSError, subprocess.TimeoutExpired):
        pass
    time.sleep(max(0.0, end - time.time()))
    return int(m.group(1)) if m else None


def frames_for(kind, lines, series=1000):
    out = []
    for i in range(4096):
        if kind == "drop":
            out.append(fr.udp_frame(OUR_IP, 9999, b"x:1|c", sport=1000 + i))
            continue
        if kind == "1400B":
            body, k = "", 0
            while True:
                line = (f"api.request.m{(i * 17 + k) % series}:{k + 1}|c|"
                        f"#env:prod,host:api-{k % 50:03d},region:us-east-1,"
                        f"team:obs")
                if len(body) + len(line) + 1 > 1400:
                    break
                body, k = body + ("\n" if body else "") + line, k + 1
        else:
            n = 1 if kind == "1-line" else lines
            body = "\n".join(f"app.req.m{(i * n + k) % series}:{k + 1}|c"
                             for k in range(n))
        out.append(fr.udp_frame(OUR_IP, 8125, body.encode(),
                                sport=1000 + i % 512))
    return out


def run(binary, kind, lines, seconds, cpu, port):
    tmp = tempfile.mkdtemp(prefix="sluice-perf-dpdk-")
    try:
        frames = frames_for(kind, lines)
        pcap = os.path.join(tmp, "rx.pcap")
        fr.write_pcap(pcap, frames)
        eal = (f"--no-huge --no-pci -m 1024 --no-telemetry --file-prefix "
               f"sluice-perf-{os.getpid()} --vdev "
               f"net_pcap0,rx_pcap={pcap},infinite_rx=1")
        args = [binary, "run", "--cores", f"{cpu}-{cpu}", "--data-dir",
                os.path.join(tmp, "data"), "--http", f"127.0.0.1:{port}",
                "--statsd-udp", f"{OUR_IP}:8125", "--syslog-udp", "off",
                "--statsd-tcp", "off", "--syslog-tcp", "off",
                "--dpdk", eal, "--dpdk-ip", OUR_IP]
        log = open(os.path.join(tmp, "log"), "w+")
        p = subprocess.Popen(args, stdout=log, stderr=log)
        try:
            for _ in range(200):
                try:
                    metrics(port)
                    break
                except OSError:
                    time.sleep(0.05)
            time.sleep(1.0)  # warm: the ring filled, series created
            a, t0 = metrics(port), time.time()
            calls = count_syscalls(p.pid, seconds)
            b, t1 = metrics(port), time.time()
        finally:
            p.terminate()
            p.wait(timeout=10)
            shutil.rmtree(f"/var/run/dpdk/sluice-perf-{os.getpid()}",
                          ignore_errors=True)
        dt = t1 - t0
        fps = (total(b, "sluice_dpdk_rx_packets_total") -
               total(a, "sluice_dpdk_rx_packets_total")) / dt
        lps = (total(b, "sluice_points_ingested_total") -
               total(a, "sluice_points_ingested_total")) / dt
        size = sum(len(f) for f in frames) / len(frames)
        per = f"{calls / (fps * dt):.6f}" if calls is not None and fps \
            else "-"
        print(f"| {kind} | {size:.0f} | {fps / 1e6:.2f} | {lps / 1e6:.2f} | "
              f"{1e9 / fps if fps else 0:.0f} | {per} |", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--lines", type=int, default=20)
    ap.add_argument("--cpu", type=int, default=1)
    ap.add_argument("--port", type=int, default=19471)
    a = ap.parse_args()
    print("| workload | frame bytes | M frames/s | M lines/s | ns/frame | "
          "syscalls/frame |")
    print("|---|---|---|---|---|---|")
    for kind in ("drop", "1-line", f"{a.lines}-line", "1400B"):
        run(a.binary, kind, a.lines, a.seconds, a.cpu, a.port)


if __name__ == "__main__":
    main()
