"""One daemon per data directory and per port: a second `sluice run` or a
`sluice import` into a live data directory is refused (DATA_DIR/LOCK), and
a second `sluice run` on the ports of a live one is refused instead of
silently taking part of their traffic through SO_REUSEPORT.

usage: /usr/bin/python3 test_instance.py PATH/TO/sluice
"""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Sluice, check, free_port, main  # noqa: E402

OFF = ["--statsd-udp", "off", "--statsd-tcp", "off", "--syslog-udp", "off",
       "--syslog-tcp", "off", "--http", "off", "--otlp-http", "off",
       "--otlp-grpc", "off"]


def run_cli(binary, *args, timeout=10):
    """Run a command that should exit at once; (rc, output). A process
    still running at timeout (the bug: it started) is killed: rc None."""
    p = subprocess.Popen([binary, *args], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        return p.returncode, out
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate()
        return None, out


def test_second_run_on_a_live_data_dir_is_refused(binary):
    s = Sluice(binary, cores="1")
    try:
        with open(os.path.join(s.data_dir, "LOCK")) as f:
            check(f.read().strip() == str(s.proc.pid), "LOCK holds the pid")
        rc, out = run_cli(binary, "run", "--cores", "1", "--data-dir",
                          s.data_dir, *OFF)
        check(rc == 1, f"second run: exit {rc}, want 1: {out}")
        check(s.data_dir in out and f"process {s.proc.pid}" in out and
              "--data-dir" in out, f"message names dir, pid, fix: {out}")
        check(s.proc.poll() is None, "the first daemon still runs")
    finally:
        s.close()


def test_import_into_a_live_data_dir_is_refused(binary):
    s = Sluice(binary, cores="1")
    path = os.path.join(s.tmp.name, "in.statsd")
    with open(path, "w") as f:
        f.write("".join(f"imp.c:{i}|c\n" for i in range(100)))
    try:
        rc, out = run_cli(binary, "import", "--proto", "statsd", "--cores",
                          "1", "--data-dir", s.data_dir, path)
        check(rc == 1, f"import into a live dir: exit {rc}: {out}")
        check(s.data_dir in out and f"process {s.proc.pid}" in out,
              f"message names the dir and the pid: {out}")
        rc, out = run_cli(binary, "import", "--proto", "statsd", "--cores",
                          "1", "--no-store", "--data-dir", s.data_dir, path)
        check(rc == 0, f"--no-store writes nothing and needs no lock: {out}")
        rc, _ = s.stop()
        check(rc == 0, f"stop: {rc}")
        rc, out = run_cli(binary, "import", "--proto", "statsd", "--cores",
                          "1", "--data-dir", s.data_dir, path)
        check(rc == 0 and "points 100 " in out, f"import once free: {out}")
        s2 = Sluice(binary, cores="1", data_dir=s.data_dir)
        s2.close()
    finally:
        s.close()


def statsd_port(log):
    m = re.search(r"statsd udp 127\.0\.0\.1:(\d+)", log)
    return int(m.group(1)) if m else None


def test_second_run_on_live_ports_is_refused(binary):
    s = Sluice(binary, cores="2")
    other = tempfile.mkdtemp(prefix="sluice-it-data-")
    try:
        for flag, extra in (("--statsd-udp", []), ("--statsd-tcp", []),
                            ("--syslog-udp", []), ("--syslog-tcp", [])):
            port = s.syslog_port if flag.startswith("--syslog") else s.port
            args = ["run", "--cores", "2", "--data-dir", other] + OFF
            i = args.index(flag)
            args[i + 1] = f"127.0.0.1:{port}"
            rc, out = run_cli(binary, *args)
            check(rc == 1, f"{flag} on a live port: exit {rc}: {out}")
            check(f"127.0.0.1:{port}" in out and flag in out and
                  "another port" in out, f"names port, flag, fix: {out}")
        # every datagram, from many source ports, still reaches the first
        socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                 for _ in range(64)]
        for k, u in enumerate(socks):
            u.sendto(f"own.c:{k}|c".encode(), ("127.0.0.1", s.port))
            u.close()
        got = s.wait_total("sluice_points_ingested_total", 64)
        check(got == 64, f"the first daemon got {got} of 64")
    finally:
        s.close()
        os.system(f"rm -rf {other}")


def test_port_zero_still_shared_by_own_shards(binary):
    """--statsd-udp on port 0: shard 0's bind picks the port, shard 1
    joins it, and a second sluice on that port is refused."""
    d = tempfile.mkdtemp(prefix="sluice-it-data-")
    http = free_port()
    p = subprocess.Popen([binary, "run", "--cores", "2", "--data-dir", d,
                          "--http", f"127.0.0.1:{http}", "--statsd-tcp",
                          "off", "--syslog-udp", "off", "--syslog-tcp",
                          "off", "--statsd-udp", "127.0.0.1:0",
                          "--otlp-http", "off", "--otlp-grpc", "off"],
                         stderr=subprocess.PIPE, text=True)
    try:
        line = p.stderr.readline()
        port = statsd_port(line)
        check(port and port > 0, f"announce names the port: {line!r}")
        rc, out = run_cli(binary, "run", "--cores", "1", "--data-dir",
                          d + "-2", "--http", "off", "--statsd-tcp", "off",
                          "--syslog-udp", "off", "--syslog-tcp", "off",
                          "--statsd-udp", f"127.0.0.1:{port}")
        check(rc == 1, f"joining port 0's pick: exit {rc}: {out}")
        for k in range(256):  # many flows: the kernel hashes them over both
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.sendto(f"zero.c:{k}|c".encode(), ("127.0.0.1", port))
        per = {}
        deadline = time.time() + 5
        while time.time() < deadline and sum(per.values()) < 256:
            per = shard_points(http)
            time.sleep(0.05)
        check(sum(per.values()) == 256, f"ingested {per}")
        check(per.get("0", 0) > 0 and per.get("1", 0) > 0,
              f"both shards serve the port: {per}")
    finally:
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=10)
        os.system(f"rm -rf {d} {d}-2")
    check(rc == 0, f"stop: {rc}")


def shard_points(http):
    import urllib.request
    from harness import parse_metrics
    with urllib.request.urlopen(f"http://127.0.0.1:{http}/metrics",
                                timeout=5) as r:
        m = parse_metrics(r.read().decode())
    per = {}
    for n, labels, v in m:
        if n == "sluice_points_ingested_total":
            per[labels["shard"]] = per.get(labels["shard"], 0) + int(v)
    return per


if __name__ == "__main__":
    main([test_second_run_on_a_live_data_dir_is_refused,
          test_import_into_a_live_data_dir_is_refused,
          test_second_run_on_live_ports_is_refused,
          test_port_zero_still_shared_by_own_shards])
