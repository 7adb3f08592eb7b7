"""SIGTERM under TCP load: many connections keep sending as fast as sluice
takes them while it stops. Every stop must exit 0 within the 2 s budget,
and what a flush acknowledged before the stop must be there after the
restart. Twenty stops in a row, on one data directory (each round's
points are acknowledged before its flood, so that checking them stays
cheap; the flood then fills every buffer and puts the writer behind).

usage: /usr/bin/python3 test_stop.py PATH/TO/sluice
"""

import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Sluice, check, main  # noqa: E402

ROUNDS = 20
SENDERS = 16
MARKS = 100
PAYLOAD = "".join(f"load.c{i % 50}:{i}|c|#k:v\n"
                  for i in range(2000)).encode()


def flood(port, stop):
    """Send until told to stop or the connection goes (sluice stopped)."""
    try:
        t = socket.create_connection(("127.0.0.1", port))
        while not stop.is_set():
            t.sendall(PAYLOAD)
    except OSError:
        pass


def post_flush(s):
    req = urllib.request.Request(s.url("/api/v1/flush"), data=b"",
                                 method="POST")
    with urllib.request.urlopen(req, timeout=15) as r:
        return r.status


def marks_stored(s, name, since):
    """The values of `name` stored from `since` (seconds) on: the window
    keeps the scan off the flood of earlier rounds."""
    q = urllib.parse.urlencode([("match[]", name),
                                ("start", f"{since:.3f}")])
    with urllib.request.urlopen(s.url("/api/v1/export?" + q),
                                timeout=30) as r:
        rows = [json.loads(l) for l in r.read().decode().splitlines() if l]
    return sorted(int(v) for r in rows for v in r["values"])


def acknowledge(s, name):
    """Send MARKS lines of `name` and have a flush acknowledge them: flush
    until they are all in written blocks, then once more (that round
    started after their blocks were sealed, so its 200 covers them).
    Returns the time from which to look for them."""
    since = time.time() - 1
    with socket.create_connection(("127.0.0.1", s.port)) as t:
        t.sendall("".join(f"{name}:{i}|c\n" for i in range(MARKS)).encode())
    deadline = time.time() + 20
    while True:
        check(post_flush(s) == 200, "flush under load")
        if marks_stored(s, name, since) == list(range(MARKS)):
            break
        check(time.time() < deadline, f"{name} never stored")
        time.sleep(0.05)
    check(post_flush(s) == 200, "acknowledging flush")
    return since


def test_sigterm_under_tcp_load(binary):
    s = Sluice(binary, cores="2")
    times, since = [], []
    t0 = time.time()
    try:
        for r in range(ROUNDS):
            since.append(acknowledge(s, f"ack.r{r}"))
            stop = threading.Event()
            senders = [threading.Thread(target=flood, args=(s.port, stop))
                       for _ in range(SENDERS)]
            for t in senders:
                t.start()
            time.sleep(0.3)  # socket buffers full, the writer behind
            rc, secs = s.stop(signal.SIGTERM, timeout=10)
            stop.set()
            for t in senders:
                t.join(5)
            times.append(round(secs, 2))
            check(rc == 0, f"round {r}: exit {rc} after {secs:.2f}s; log: "
                  f"{s.logtext()[-2000:]}")
            check(secs < 2.5, f"round {r}: took {secs:.2f}s to exit")
            s.close(keep_data=True)
            s = Sluice(binary, cores="2", data_dir=s.data_dir)
        for k in range(ROUNDS):
            got = marks_stored(s, f"ack.r{k}", since[k])
            check(got == list(range(MARKS)), f"round {k}'s acknowledged "
                  f"points after the restarts: {len(got)} of {MARKS}")
        print(f"  stop times: {times}; {time.time() - t0:.1f}s", flush=True)
    finally:
        s.close()


def unacked(t):
    """Bytes the peer's kernel has not acknowledged yet (SIOCOUTQ)."""
    import fcntl
    import struct
    import termios
    return struct.unpack("i", fcntl.ioctl(t.fileno(), termios.TIOCOUTQ,
                                          b"\0" * 4))[0]


def test_burst_buffered_at_sigterm_is_stored(binary):
    """Lines the kernel holds for open connections when SIGTERM comes are
    read and stored (the storage keeps up here, so nothing is cut)."""
    s = Sluice(binary, cores="2")
    conns, lines = 8, 20000
    try:
        ts = [socket.create_connection(("127.0.0.1", s.port))
              for _ in range(conns)]
        for k, t in enumerate(ts):
            t.sendall("".join(f"burst.c:{k * lines + i}|c\n"
                              for i in range(lines)).encode())
        deadline = time.time() + 10
        while any(unacked(t) for t in ts):  # all of it in sluice's kernel
            check(time.time() < deadline, "the burst never arrived")
            time.sleep(0.005)
        since = time.time() - 5
        rc, secs = s.stop(signal.SIGTERM, timeout=10)
        check(rc == 0 and secs < 2.5, f"exit {rc} after {secs:.2f}s")
        for t in ts:
            t.close()
        s.close(keep_data=True)
        s = Sluice(binary, cores="2", data_dir=s.data_dir)
        got = marks_stored(s, "burst.c", since)
        check(got == list(range(conns * lines)),
              f"{len(got)} of {conns * lines} buffered points stored; log: "
              f"{s.logtext()[-1000:]}")
    finally:
        s.close()


if __name__ == "__main__":
    main([test_sigterm_under_tcp_load,
          test_burst_buffered_at_sigterm_is_stored])
