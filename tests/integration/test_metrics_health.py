"""The query port's operational routes: GET /-/healthy (alive), GET /-/ready
(503 until recovery is done and every listener is up), and /metrics'
sluice_build_info and standard process_* metrics, checked against /proc.

usage: /usr/bin/python3 test_metrics_health.py PATH/TO/sluice
"""

import glob
import os
import resource
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Sluice, check, free_port, main, parse_metrics  # noqa


def get(url, method="GET"):
    """(status, body) of a request, errors included."""
    req = urllib.request.Request(url, method=method,
                                 data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def metric_lines(s, name):
    with urllib.request.urlopen(s.url("/metrics"), timeout=5) as r:
        text = r.read().decode()
    return [l for l in text.splitlines() if l.startswith(name)], text


def test_routes_and_build_info(binary):
    s = Sluice(binary, cores="1", extra=["--simd", "scalar"])
    try:
        check(get(s.url("/-/healthy")) == (200, "ok\n"), "healthy")
        check(get(s.url("/-/ready")) == (200, "ready\n"), "ready")
        check(get(s.url("/-/ready"), "HEAD")[0] == 200, "HEAD ready")
        check(get(s.url("/-/ready"), "POST")[0] == 405, "POST ready")
        version = subprocess.run([binary, "--version"], capture_output=True,
                                 text=True).stdout.split()[1]
        lines, text = metric_lines(s, "sluice_build_info")
        check(lines == [f'sluice_build_info{{version="{version}",'
                        f'simd="scalar"}} 1'], f"build info: {lines}")
        check("# TYPE sluice_build_info gauge" in text, "TYPE line")
        parse_metrics(text)  # every line well formed
    finally:
        s.close()


def proc_limits_nofile(pid):
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                return int(line.split()[3])
    return None


def test_process_metrics_match_proc(binary):
    s = Sluice(binary, cores="2")
    try:
        m = {n: v for n, l, v in parse_metrics(metric_lines(s, "")[1])
             if n.startswith("process_")}
        pid = s.proc.pid
        check(set(m) == {"process_cpu_seconds_total",
                         "process_resident_memory_bytes",
                         "process_virtual_memory_bytes",
                         "process_start_time_seconds", "process_open_fds",
                         "process_max_fds"}, f"process metrics: {m}")
        with open(f"/proc/{pid}/statm") as f:
            size, resident = (int(x) * os.sysconf("SC_PAGESIZE")
                              for x in f.read().split()[:2])
        check(abs(m["process_virtual_memory_bytes"] - size) < (64 << 20),
              f"virtual {m['process_virtual_memory_bytes']} vs {size}")
        check(0 < m["process_resident_memory_bytes"] <=
              m["process_virtual_memory_bytes"], f"resident {m}")
        check(abs(m["process_resident_memory_bytes"] - resident) < (64 << 20),
              f"resident {m['process_resident_memory_bytes']} vs {resident}")
        started = os.stat(f"/proc/{pid}").st_mtime
        check(abs(m["process_start_time_seconds"] - started) < 5 and
              m["process_start_time_seconds"] <= time.time(),
              f"start time {m['process_start_time_seconds']} vs {started}")
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        check(abs(m["process_open_fds"] - fds) <= 4,
              f"open fds {m['process_open_fds']} vs {fds}")
        check(m["process_max_fds"] == proc_limits_nofile(pid), "max fds")
        check(0 <= m["process_cpu_seconds_total"] < 60, "cpu seconds")
        # the counter moves with work
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(2000):
            u.sendto(b"cpu.c:1|c\n" * 50, ("127.0.0.1", s.port))
        s.wait_total("sluice_points_ingested_total", 100000)
        after = {n: v for n, l, v in parse_metrics(metric_lines(s, "")[1])}
        check(after["process_cpu_seconds_total"] >=
              m["process_cpu_seconds_total"], "cpu seconds went back")
    finally:
        s.close()


def big_data_dir(binary, copies):
    """A data directory whose recovery takes a while: `copies` segment
    files (links to one small real segment)."""
    s = Sluice(binary, cores="1")
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.sendto(b"big.a:1|c\nbig.b:2|c", ("127.0.0.1", s.port))
    s.wait_total("sluice_points_ingested_total", 2)
    s.flush()
    s.stop()
    s.close(keep_data=True)
    seg = glob.glob(os.path.join(s.data_dir, "shard-0", "*.seg"))[0]
    for i in range(copies):  # hard links: recovery reads each name
        os.link(seg, os.path.join(s.data_dir, "shard-0",
                                  "%020d.seg" % (1000 + i)))
    return s.data_dir


def test_ready_only_after_recovery_and_listeners(binary):
    data_dir = big_data_dir(binary, 20000)
    http, port = free_port(), free_port()
    p = subprocess.Popen([binary, "run", "--cores", "1", "--data-dir",
                          data_dir, "--http", f"127.0.0.1:{http}",
                          "--statsd-udp", f"127.0.0.1:{port}",
                          "--statsd-tcp", "off", "--syslog-udp", "off",
                          "--syslog-tcp", "off", "--otlp-http", "off",
                          "--otlp-grpc", "off"],
                         stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{http}"
    seen, deadline = [], time.time() + 30
    try:
        while time.time() < deadline:
            try:  # healthy and flush first: ready then says what held
                healthy = get(base + "/-/healthy")
                flush = get(base + "/api/v1/flush", "POST")
                ready = get(base + "/-/ready")
            except OSError:
                continue  # not listening yet
            if ready[0] == 200:
                break
            seen.append((healthy[0], ready, flush[0]))
        check(seen, "never saw the daemon before it was ready")
        check(all(h == 200 for h, _, _ in seen), f"healthy: {seen[:3]}")
        check(all(r == (503, "not ready: starting: recovering segments and "
                        "opening listeners\n") for _, r, _ in seen),
              f"ready before recovery: {seen[:3]}")
        check(all(f == 503 for _, _, f in seen), "flush before ready")
        # ready means listening: the very next datagram is taken
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.sendto(b"now.a:1|c", ("127.0.0.1", port))
        deadline = time.time() + 5
        while time.time() < deadline:
            m = parse_metrics(get(base + "/metrics")[1])
            if sum(v for n, _, v in m
                   if n == "sluice_points_ingested_total") == 1:
                break
            time.sleep(0.02)
        else:
            raise AssertionError("the first datagram after ready was lost")
    finally:
        p.terminate()
        p.wait(timeout=10)
        shutil.rmtree(os.path.dirname(data_dir), ignore_errors=True)
    print(f"  {len(seen)} answers before ready", flush=True)


if __name__ == "__main__":
    main([test_routes_and_build_info, test_process_metrics_match_proc,
          test_ready_only_after_recovery_and_listeners])
