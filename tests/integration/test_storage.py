"""Storage end to end: what sluice acknowledges (a 200 to POST
/api/v1/flush) is on disk and comes back from /api/v1/export, across
clean stops, torn tails, kill -9 and injected write faults.

usage: /usr/bin/python3 test_storage.py PATH/TO/sluice
"""

import glob
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Sluice, check, main  # noqa: E402


def flush(s, timeout=15):
    req = urllib.request.Request(s.url("/api/v1/flush"), data=b"",
                                 method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def export(s, selector='{__name__=~".+"}', start=None, end=None):
    q = [("match[]", selector)]
    if start is not None:
        q.append(("start", str(start)))
    if end is not None:
        q.append(("end", str(end)))
    url = s.url("/api/v1/export?" + urllib.parse.urlencode(q))
    with urllib.request.urlopen(url, timeout=30) as r:
        body = r.read().decode()
    return [json.loads(l) for l in body.splitlines() if l.strip()]


def values_of(rows, name):
    out = []
    for r in rows:
        if r["metric"].get("__name__") == name:
            out += r["values"]
    return out


def send_udp(port, lines):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(0, len(lines), 20):
        u.sendto("\n".join(lines[i:i + 20]).encode(), ("127.0.0.1", port))
        if i % 400 == 0:
            time.sleep(0.001)
    u.close()


def segments(s):
    return sorted(glob.glob(os.path.join(s.data_dir, "shard-*", "*.seg")))


def restart(s, extra=()):
    """Stop s with SIGTERM and start a new sluice on the same data dir."""
    rc, _ = s.stop(signal.SIGTERM)
    check(rc == 0, f"clean stop: rc {rc}")
    s.close(keep_data=True)
    return Sluice(s.binary, extra=list(extra), data_dir=s.data_dir)


def test_flush_then_export_exact(binary):
    s = Sluice(binary, cores="2")
    try:
        lines = [f"st.count:{i}|c|#k:v" for i in range(1000)]
        lines += [f"st.gauge:{i * 0.25}|g" for i in range(500)]
        send_udp(s.port, lines)
        check(s.wait_total("sluice_points_ingested_total", 1500) == 1500,
              "ingested")
        status, body = flush(s)
        check(status == 200, f"flush: {status} {body}")
        check(s.total("sluice_storage_blocks_written_total") >= 1, "blocks")
        check(len(segments(s)) >= 1, "no segment file")
        rows = export(s)
        got = sorted(values_of(rows, "st.count"))
        check(got == list(range(1000)), f"counter values: {got[:5]}...")
        g = sorted(values_of(rows, "st.gauge"))
        check(g == [i * 0.25 for i in range(500)], "gauge values")
        s = restart(s)
        rows = export(s)
        check(sorted(values_of(rows, "st.count")) == list(range(1000)),
              "after restart")
    finally:
        s.close()


def test_torn_tail_is_cut_and_counted(binary):
    s = Sluice(binary, cores="1")
    try:
        send_udp(s.port, [f"torn.a:{i}|c" for i in range(300)])
        check(s.wait_total("sluice_points_ingested_total", 300) == 300, "in")
        check(flush(s)[0] == 200, "flush")
        rc, _ = s.stop(signal.SIGTERM)
        check(rc == 0, "stop")
        s.close(keep_data=True)
        seg = segments(s)[-1]
        with open(seg, "ab") as f:
            f.write(b"SLB1" + bytes(random.randrange(256) for _ in range(77)))
        s = Sluice(binary, cores="1", data_dir=s.data_dir)
        cut = s.total("sluice_recovery_truncated_bytes_total")
        check(cut == 81, f"truncated bytes {cut} != 81")
        check("cut 81 bytes" in s.logtext(), "recovery not logged")
        check(sorted(values_of(export(s), "torn.a")) == list(range(300)),
              "data before the torn tail")
    finally:
        s.close()


def test_flipped_byte_block_is_never_served(binary):
    s = Sluice(binary, cores="1")
    try:
        send_udp(s.port, [f"flip.a:{i}|c" for i in range(200)])
        check(s.wait_total("sluice_points_ingested_total", 200) == 200, "in")
        check(flush(s)[0] == 200, "flush 1")
        send_udp(s.port, [f"flip.b:{i}|c" for i in range(200)])
        check(s.wait_total("sluice_points_ingested_total", 400) == 400, "in2")
        check(flush(s)[0] == 200, "flush 2")
        rc, _ = s.stop(signal.SIGTERM)
        s.close(keep_data=True)
        seg = segments(s)[-1]
        size = os.path.getsize(seg)
        with open(seg, "r+b") as f:       # flip a byte in the last block
            f.seek(size - 10)
            b = f.read(1)
            f.seek(size - 10)
            f.write(bytes([b[0] ^ 0x5A]))
        s = Sluice(binary, cores="1", data_dir=s.data_dir)
        check(s.total("sluice_recovery_truncated_bytes_total") > 0, "counted")
        rows = export(s)
        check(sorted(values_of(rows, "flip.a")) == list(range(200)), "a")
        check(values_of(rows, "flip.b") == [], "bad block served")
    finally:
        s.close()


def test_kill9_keeps_every_flushed_point(binary):
    """kill -9 while a client streams; every point a flush acknowledged
    must be exported after the restart."""
    s = Sluice(binary, cores="2")
    data_dir, acked = s.data_dir, set()
    try:
        for rnd in range(4):
            t = socket.create_connection(("127.0.0.1", s.port))
            base, sent = rnd * 1_000_000, 0
            for _ in range(random.randint(2, 5)):
                t.sendall("".join(f"crash.c:{base + sent + j}|c\n"
                                  for j in range(500)).encode())
                sent += 500
                got = s.wait_total("sluice_points_ingested_total", sent)
                check(got == sent, f"ingested {got} != sent {sent}")
                if flush(s)[0] == 200:
                    acked.update(range(base, base + sent))
            # more points in flight, never acknowledged, then the crash
            t.sendall("".join(f"crash.c:{base + sent + j}|c\n"
                              for j in range(500)).encode())
            time.sleep(random.uniform(0, 0.05))
            s.proc.send_signal(signal.SIGKILL)
            s.proc.wait()
            t.close()
            s.close(keep_data=True)
            data_dir = s.data_dir  # close() moved a directory it owned
            s = Sluice(binary, cores="2", data_dir=data_dir)
            got = set(int(v) for v in values_of(export(s), "crash.c"))
            missing = acked - got
            check(not missing, f"round {rnd}: {len(missing)} acknowledged "
                  f"points missing after kill -9, e.g. {sorted(missing)[:3]}")
    finally:
        s.close()


def test_injected_write_errors(binary):
    os.environ["SLUICE_FAULT"] = "write_eio=2,write_short=3"
    try:
        s = Sluice(binary, cores="1")
    finally:
        del os.environ["SLUICE_FAULT"]
    try:
        for r in range(6):
            send_udp(s.port, [f"fault.a:{r * 100 + i}|c" for i in range(100)])
            check(s.wait_total("sluice_points_ingested_total", (r + 1) * 100)
                  == (r + 1) * 100, "in")
            check(flush(s)[0] == 200, f"flush {r}")
        check(s.total("sluice_storage_write_errors_total") >= 3, "errors")
        check(s.total("sluice_storage_blocks_lost_total") == 0, "lost")
        check(sorted(values_of(export(s), "fault.a")) == list(range(600)),
              "every point after retries")
    finally:
        s.close()
    os.environ["SLUICE_FAULT"] = "write_enospc=1"
    try:
        s = Sluice(binary, cores="1")
    finally:
        del os.environ["SLUICE_FAULT"]
    try:
        send_udp(s.port, [f"full.a:{i}|c" for i in range(100)])
        check(s.wait_total("sluice_points_ingested_total", 100) == 100, "in")
        status, body = flush(s)
        check(status == 500, f"flush on a full disk: {status} {body}")
        check(s.total("sluice_storage_blocks_lost_total") >= 1, "lost")
        check(s.total("sluice_storage_points_lost_total") == 100, "points")
        send_udp(s.port, [f"full.b:{i}|c" for i in range(10)])
        check(s.wait_total("sluice_points_ingested_total", 110) == 110,
              "still serving")
        rc, _ = s.stop(signal.SIGTERM)
        check(rc == 0, f"stop rc {rc}")
        s.close(keep_data=True)
        s = Sluice(binary, cores="1", data_dir=s.data_dir)
        check(s.total("sluice_recovery_truncated_bytes_total") == 0,
              "a block was left half-valid")
    finally:
        s.close()


def inspect(s):
    """`sluice inspect DATA_DIR` on s's directory: (exit code, output)."""
    r = subprocess.run([s.binary, "inspect", s.data_dir], capture_output=True,
                       text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def test_abandoned_write_is_cut_from_the_live_dir(binary):
    """A disk filling up: a block's writes fail (ENOSPC, EIO) or land half
    (short) until sluice gives it up. The half block must not stay in the
    segment until a restart: `sluice inspect` on the live directory finds
    every block good."""
    # writes: 1 whole; 2 ENOSPC, 3 short, 4 ENOSPC, 5 EIO (given up);
    # 6 ENOSPC, 7 whole (a retry, in a new segment)
    os.environ["SLUICE_FAULT"] = "write_enospc=2,write_short=3,write_eio=5"
    try:
        s = Sluice(binary, cores="1", extra=["--block-max-age-ms", "3600000"])
    finally:
        del os.environ["SLUICE_FAULT"]
    try:
        for r, name, want in ((0, "cut.a", 200), (1, "cut.b", 500)):
            send_udp(s.port, [f"{name}:{i}|c" for i in range(100)])
            check(s.wait_total("sluice_points_ingested_total", (r + 1) * 100)
                  == (r + 1) * 100, "in")
            status, body = flush(s)
            check(status == want, f"flush {name}: {status} {body}")
        check(s.total("sluice_storage_blocks_lost_total") == 1, "lost")
        check(s.wait_total("sluice_storage_tail_truncations_total", 1) == 1,
              "the abandoned half block was not cut")
        check(s.total("sluice_storage_tail_truncated_bytes_total") > 0,
              "cut bytes not counted")
        rc, out = inspect(s)
        check(rc == 0, f"inspect on the live directory: rc {rc}\n{out}")
        send_udp(s.port, [f"cut.c:{i}|c" for i in range(100)])
        check(s.wait_total("sluice_points_ingested_total", 300) == 300, "in")
        status, body = flush(s)
        check(status == 200, f"flush cut.c: {status} {body}")
        rc, out = inspect(s)
        check(rc == 0, f"inspect after the next segment: rc {rc}\n{out}")
        rows = export(s)
        check(sorted(values_of(rows, "cut.a")) == list(range(100)), "cut.a")
        check(values_of(rows, "cut.b") == [], "a lost block was served")
        check(sorted(values_of(rows, "cut.c")) == list(range(100)), "cut.c")
        s = restart(s)
        check(s.total("sluice_recovery_truncated_bytes_total") == 0,
              "recovery found a torn tail")
    finally:
        s.close()


def test_retention_deletes_old_segments(binary):
    s = Sluice(binary, cores="1", extra=["--segment-max-age", "1s",
                                         "--retention", "2s"])
    try:
        for r in range(5):
            send_udp(s.port, [f"ret.a:{i}|c" for i in range(50)])
            time.sleep(0.3)
            flush(s)
            time.sleep(0.8)
        deadline = time.time() + 5
        while time.time() < deadline and \
                s.total("sluice_retention_deleted_segments_total") == 0:
            time.sleep(0.2)
        d = s.total("sluice_retention_deleted_segments_total")
        check(d >= 1, f"deleted {d}")
        check(s.total("sluice_retention_deleted_by_age_total") == d, "age")
        check(len(segments(s)) >= 1, "the active segment was deleted")
    finally:
        s.close()


if __name__ == "__main__":
    main([test_flush_then_export_exact, test_torn_tail_is_cut_and_counted,
          test_flipped_byte_block_is_never_served,
          test_kill9_keeps_every_flushed_point, test_injected_write_errors,
          test_abandoned_write_is_cut_from_the_live_dir,
          test_retention_deletes_old_segments])
