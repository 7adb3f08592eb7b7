"""SIGHUP re-reads the --config file: live options change without a restart
and without losing the open block, the others are reported as needing a
restart, a bad file keeps the running configuration, and without --config
nothing is read.

usage: /usr/bin/python3 test_reload.py PATH/TO/sluice
"""

import json
import os
import signal
import socket
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Sluice, check, main  # noqa: E402


def write(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


def values(s, name):
    q = urllib.parse.urlencode([("match[]", name)])
    with urllib.request.urlopen(s.url("/api/v1/export?" + q),
                                timeout=10) as r:
        rows = [json.loads(l) for l in r.read().decode().splitlines() if l]
    return sorted(int(v) for r in rows for v in r["values"])


def hup_and_wait(s, text, timeout=5.0):
    """SIGHUP; wait until the log shows `text` (after what it showed)."""
    seen = len(s.logtext())
    s.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + timeout
    while time.time() < deadline:
        log = s.logtext()[seen:]
        if text in log:
            return log
        check(s.proc.poll() is None, f"sluice died on SIGHUP: {s.logtext()}")
        time.sleep(0.02)
    raise AssertionError(f"no {text!r} after SIGHUP: {s.logtext()[seen:]}")


def send_tcp(s, lines):
    with socket.create_connection(("127.0.0.1", s.port)) as t:
        t.sendall("".join(l + "\n" for l in lines).encode())


BASE = "block-max-age-ms = 60000\nmax-series = 100\n"


def test_sighup_applies_live_options_and_keeps_data(binary):
    s = None
    path = f"/tmp/sluice-it-reload-{os.getpid()}.conf"
    write(path, BASE + "segment-max-age = 1s\n")
    try:
        s = Sluice(binary, cores="1", extra=["--config", path])
        # an open block (sealed by age only after 60 s) when SIGHUP comes
        send_tcp(s, [f"hup.a:{i}|c" for i in range(500)])
        check(s.wait_total("sluice_points_ingested_total", 500) == 500, "in")
        write(path, "block-max-age-ms = 200\nmax-series = 200\n"
              "segment-max-age = 1s\nmax-disk-bytes = 1\n")
        log = hup_and_wait(s, "--max-disk-bytes 0 -> 1: applied")
        check("--block-max-age-ms 60000 -> 200: applied" in log, log)
        check("--max-series 100 -> 200 needs a restart; 100 stays" in log,
              log)
        # the open block was kept, and is sealed by the new age bound
        # (no flush: only a shard that took the new bound seals it now)
        deadline = time.time() + 5
        while time.time() < deadline and values(s, "hup.a") != \
                list(range(500)):
            time.sleep(0.1)
        check(values(s, "hup.a") == list(range(500)),
              "the open block across SIGHUP, sealed at the new age")
        # max-disk-bytes went into force: retention deletes old segments
        for r in range(3):
            send_tcp(s, [f"hup.b:{r}|c"])
            time.sleep(1.1)  # --segment-max-age 1s: a new segment each
        deadline = time.time() + 5
        while time.time() < deadline and \
                s.total("sluice_retention_deleted_by_size_total") == 0:
            time.sleep(0.1)
        check(s.total("sluice_retention_deleted_by_size_total") > 0,
              "retention did not take the new --max-disk-bytes")
        # the same file again: nothing changed (max-series still differs)
        log = hup_and_wait(s, "needs a restart")
        check("applied" not in log, log)
    finally:
        if s:
            s.close()
        os.unlink(path)


def test_bad_file_keeps_running_config(binary):
    s = None
    path = f"/tmp/sluice-it-reload-bad-{os.getpid()}.conf"
    write(path, BASE)
    try:
        s = Sluice(binary, cores="1", extra=["--config", path])
        write(path, "block-max-age-ms = 200\n# ok so far\nretention = soon\n")
        log = hup_and_wait(s, "stays in force")
        check(f"{path}:3" in log and "--retention" in log and "soon" in log,
              f"the message names the file, line and value: {log}")
        # nothing was applied: the block age is still 60 s
        send_tcp(s, [f"bad.a:{i}|c" for i in range(10)])
        check(s.wait_total("sluice_points_ingested_total", 10) == 10, "in")
        time.sleep(0.6)
        check(values(s, "bad.a") == [], "a bad file changed the block age")
        write(path, BASE)
        log = hup_and_wait(s, "nothing changed")
        rc, _ = s.stop()
        check(rc == 0, f"stop after SIGHUPs: {rc}")
    finally:
        if s:
            s.close()
        os.unlink(path)


def test_sighup_without_config_reads_nothing(binary):
    s = Sluice(binary, cores="1")
    try:
        hup_and_wait(s, "no --config file: nothing to re-read")
        send_tcp(s, [f"plain.a:{i}|c" for i in range(10)])
        check(s.wait_total("sluice_points_ingested_total", 10) == 10, "in")
        s.flush()
        check(values(s, "plain.a") == list(range(10)), "still serving")
    finally:
        s.close()


if __name__ == "__main__":
    main([test_sighup_applies_live_options_and_keeps_data,
          test_bad_file_keeps_running_config,
          test_sighup_without_config_reads_nothing])
