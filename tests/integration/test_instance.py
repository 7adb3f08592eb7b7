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
       "--syslog-tcp", "off", "--http", "off"]


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


if __name__ == "__main__":
    main([test_second_run_on_a_live_data_dir_is_refused,
          test_import_into_a_live_data_dir_is_refused])
