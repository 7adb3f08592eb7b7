"""POST /api/v1/flush under concurrency: flushes that arrive together
share rounds (one seal and one fsync per shard per round, not per
request), and every flush still answers 200 only once the data its client
saw ingested is durable (checked by kill -9 and a restart).

usage: /usr/bin/python3 test_flush.py PATH/TO/sluice
"""

import http.client
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


def flusher(s, until, results):
    """POST /api/v1/flush on one keep-alive connection until `until`."""
    c = http.client.HTTPConnection("127.0.0.1", s.http_port, timeout=20)
    try:
        while time.time() < until:
            c.request("POST", "/api/v1/flush", body=b"")
            r = c.getresponse()
            r.read()
            results.append(r.status)
    finally:
        c.close()


def stream(port, stop, tag):
    """A steady trickle of lines, so every round has a head to seal."""
    t = socket.create_connection(("127.0.0.1", port))
    i = 0
    while not stop.is_set():
        t.sendall("".join(f"trickle.{tag}:{i + j}|c\n"
                          for j in range(20)).encode())
        i += 20
        time.sleep(0.002)
    t.close()


def counters(s):
    m = s.metrics()
    def total(name):
        return sum(v for n, _, v in m if n == name)
    return {k: total(k) for k in (
        "sluice_storage_fsyncs_total", "sluice_head_sealed_blocks_total",
        "sluice_flush_requests_total", "sluice_flush_rounds_total")}


def test_spammed_flushes_share_rounds(binary):
    s = Sluice(binary, cores="2")
    stop = threading.Event()
    streams = [threading.Thread(target=stream, args=(s.port, stop, k))
               for k in range(4)]
    try:
        for t in streams:
            t.start()
        time.sleep(0.3)
        before = counters(s)
        results, until = [], time.time() + 2.0
        spam = [threading.Thread(target=flusher, args=(s, until, results))
                for _ in range(32)]
        for t in spam:
            t.start()
        for t in spam:
            t.join(30)
        after = counters(s)
        d = {k: after[k] - before[k] for k in after}
        n = len(results)
        print(f"  {n} flushes: {d}", flush=True)
        check(n >= 64, f"only {n} flushes answered in 2 s")
        check(all(r == 200 for r in results),
              f"non-200 answers: {sorted(set(results))}")
        check(d["sluice_head_sealed_blocks_total"] <= n / 4,
              f"{d['sluice_head_sealed_blocks_total']} sealed blocks for "
              f"{n} flushes")
        check(d["sluice_storage_fsyncs_total"] <= n / 4,
              f"{d['sluice_storage_fsyncs_total']} fsyncs for {n} flushes")
        check(d["sluice_flush_requests_total"] == n, f"requests {d}")
        check(d["sluice_flush_rounds_total"] <= n / 8,
              f"{d['sluice_flush_rounds_total']} rounds for {n} flushes")
    finally:
        stop.set()
        for t in streams:
            t.join(5)
        s.close()


def export_values(s, name):
    q = urllib.parse.urlencode([("match[]", name)])
    with urllib.request.urlopen(s.url("/api/v1/export?" + q),
                                timeout=30) as r:
        rows = [json.loads(l) for l in r.read().decode().splitlines() if l]
    return [v for r in rows for v in r["values"]]


def client(s, k, shared, acked, errors):
    """Send a batch, wait until sluice ingested everything sent so far by
    anyone, flush; a 200 acknowledges the batch."""
    t = socket.create_connection(("127.0.0.1", s.port))
    c = http.client.HTTPConnection("127.0.0.1", s.http_port, timeout=20)
    try:
        for b in range(4):
            base = k * 1_000_000 + b * 1000
            t.sendall("".join(f"dur.c:{base + j}|c\n"
                              for j in range(200)).encode())
            with shared["lock"]:
                shared["sent"] += 200
                target = shared["sent"]
            deadline = time.time() + 10
            while s.total("sluice_points_ingested_total") < target:
                check(time.time() < deadline, "ingestion stalled")
                time.sleep(0.01)
            c.request("POST", "/api/v1/flush", body=b"")
            r = c.getresponse()
            r.read()
            if r.status == 200:
                acked.update(base + j for j in range(200))
            else:
                errors.append(r.status)
    finally:
        c.close()
        t.close()


def test_every_answer_waits_for_durability(binary):
    s = Sluice(binary, cores="2")
    try:
        shared = {"lock": threading.Lock(), "sent": 0}
        acked, errors = set(), []
        ts = [threading.Thread(target=client,
                               args=(s, k, shared, acked, errors))
              for k in range(16)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        check(not errors, f"flush errors: {errors}")
        check(len(acked) == 16 * 4 * 200, f"acked {len(acked)}")
        s.proc.send_signal(signal.SIGKILL)  # only what is durable survives
        s.proc.wait()
        s.close(keep_data=True)
        s = Sluice(binary, cores="2", data_dir=s.data_dir)
        got = set(int(v) for v in export_values(s, "dur.c"))
        missing = acked - got
        check(not missing, f"{len(missing)} acknowledged points lost, e.g. "
              f"{sorted(missing)[:3]}")
    finally:
        s.close()


if __name__ == "__main__":
    main([test_spammed_flushes_share_rounds,
          test_every_answer_waits_for_durability])
