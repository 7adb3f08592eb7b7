"""Background compaction inside `sluice run` (--compact-after): points
sent over StatsD/TCP are read back through /api/v1/export exactly once
before, during and after compaction while segments close every second;
a run killed (SIGKILL through SLUICE_FAULT compact_crash) at every step of
a pass loses and duplicates nothing on the next start; a remote-write
target (Debian's victoria-metrics) gets every point exactly once while
compaction replaces the segments it has read; a segment at the default
--segment-max-bytes holding more points than the 16 MiB the old
workaround allowed rolls at 4 Mi points and is compacted.

usage: /usr/bin/python3 test_bgcompact.py PATH/TO/sluice
"""

import json
import os
import random
import socket
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Sluice, check, main  # noqa: E402

T0 = 1700000000


def export(s):
    """{(name, tags...): [(ts, value), ...]} of every series (unsorted:
    a point read twice shows twice)."""
    q = urllib.parse.urlencode({"match[]": '{__name__=~"bg.*"}',
                                "start": "0", "end": "4000000000"})
    with urllib.request.urlopen(s.url(f"/api/v1/export?{q}"),
                                timeout=30) as r:
        check(r.status == 200, f"export: {r.status}")
        body = r.read().decode()
    out = {}
    for line in body.splitlines():
        d = json.loads(line)
        key = tuple(sorted(d["metric"].items()))
        out.setdefault(key, []).extend(zip(d["timestamps"], d["values"]))
    return out


def lines_of(round_no, n=60, t0=T0):
    """n gauges of 12 series, each point at its own |T second: every
    (series, time) once, the value says which round and line."""
    out = []
    for i in range(n):
        t = t0 + round_no * n + i
        out.append(f"bg.g{i % 4}:{round_no * 1000 + i}|g|#host:h{i % 3}"
                   f"|T{t}")
    return out


def expected(rounds, n=60, t0=T0):
    want = {}
    for r in rounds:
        for i in range(n):
            key = tuple(sorted({"__name__": f"bg.g{i % 4}",
                                "host": f"h{i % 3}"}.items()))
            want.setdefault(key, []).append(
                ((t0 + r * n + i) * 1000, float(r * 1000 + i)))
    return {k: sorted(v) for k, v in want.items()}


def send(s, lines):
    """StatsD over TCP, then once ingested a flush: durable."""
    before = s.total("sluice_points_ingested_total")
    with socket.create_connection(("127.0.0.1", s.port)) as c:
        c.sendall(("\n".join(lines) + "\n").encode())
    got = s.wait_total("sluice_points_ingested_total", before + len(lines),
                       timeout=10)
    check(got == before + len(lines), f"{got - before} of {len(lines)} "
          "lines ingested")
    s.flush()


def check_exact(s, rounds, when, t0=T0):
    got = export(s)
    want = expected(rounds, t0=t0)
    for k, v in got.items():
        check(len(v) == len(set(v)), f"{when}: {k} has a point twice")
    got = {k: sorted(v) for k, v in got.items()}
    missing = sum(len(set(v) - set(got.get(k, []))) for k, v in want.items())
    extra = sum(len(set(v) - set(want.get(k, []))) for k, v in got.items())
    check(missing == 0 and extra == 0,
          f"{when}: {missing} points missing, {extra} unexpected")


def segments(data):
    n = 0
    for d in os.listdir(data):
        if d.startswith("shard-"):
            n += sum(f.endswith(".seg") for f in
                     os.listdir(os.path.join(data, d)))
    return n


LIVE = ["--compact-after", "1", "--segment-max-age", "1s"]


def test_live_every_point_once(binary):
    s = Sluice(binary, extra=LIVE, cores="2")
    try:
        rounds = []
        deadline = time.time() + 40
        r = 0
        while time.time() < deadline:
            send(s, lines_of(r))
            rounds.append(r)
            r += 1
            check_exact(s, rounds, f"round {r}")
            if r >= 12 and s.total("sluice_compaction_passes_total") >= 3:
                break
            time.sleep(0.4)
        passes = s.total("sluice_compaction_passes_total")
        check(passes >= 3, f"only {passes} compactions in 40 s")
        check(s.total("sluice_compaction_failures_total") == 0,
              "a compaction failed: " + s.logtext()[-2000:])
        check(s.total("sluice_compaction_segments_in_total") >= passes,
              "segments in below passes")
        # what remains after everything old enough is compacted
        time.sleep(3)
        check_exact(s, rounds, "after")
        rc, _ = s.stop()
        check(rc == 0, f"exit {rc}")
        s2 = Sluice(binary, extra=["--compact-after", "off"], cores="2",
                    data_dir=s.data_dir)
        try:
            check_exact(s2, rounds, "restarted")
        finally:
            s2.close()
    finally:
        s.close()


def test_killed_at_every_step(binary):
    """Segments written with compaction off, then a run that compacts
    them at once at start-up dies at step N of the pass; the next start
    serves every point once, and compacts what is left."""
    for step in range(1, 6):
        tmp = tempfile.mkdtemp(prefix="sluice-bgc-")
        data = os.path.join(tmp, "data")
        s = Sluice(binary, extra=["--compact-after", "off",
                                  "--segment-max-age", "1s"],
                   data_dir=data)
        rounds = list(range(4))
        try:
            for r in rounds:
                send(s, lines_of(r))
                time.sleep(1.1)  # the next round opens a new segment
            rc, _ = s.stop()
            check(rc == 0, f"exit {rc}")
        finally:
            s.close()
        check(segments(data) >= 3, f"only {segments(data)} segments")
        os.environ["SLUICE_FAULT"] = f"compact_crash={step}"
        try:
            s = Sluice(binary, extra=["--compact-after", "1"], data_dir=data)
        finally:
            del os.environ["SLUICE_FAULT"]
        try:
            t0 = time.time()
            while s.proc.poll() is None and time.time() < t0 + 20:
                time.sleep(0.1)
            check(s.proc.returncode == -9,
                  f"step {step}: not killed ({s.proc.returncode})")
        finally:
            s.close()
        s = Sluice(binary, extra=["--compact-after", "off"], data_dir=data)
        try:
            check_exact(s, rounds, f"after a kill at step {step}")
            rc, _ = s.stop()
        finally:
            s.close()
        s = Sluice(binary, extra=["--compact-after", "1"], data_dir=data)
        try:
            want = 0 if step >= 3 else 1  # the rename happened at 3
            got = s.wait_total("sluice_compaction_passes_total", want,
                               timeout=10)
            check(got == want, f"step {step}: {got} passes after restart")
            check_exact(s, rounds, f"compacted after a kill at step {step}")
            check(segments(data) == 1, f"step {step}: {segments(data)} "
                  "segments left")
        finally:
            s.close()
        for root, dirs, files in os.walk(tmp, topdown=False):
            for f in files:
                os.unlink(os.path.join(root, f))
            for d in dirs:
                os.rmdir(os.path.join(root, d))
        os.rmdir(tmp)


def test_forward_exactly_once_while_compacting(binary):
    from test_forward import VM  # noqa: E402
    with tempfile.TemporaryDirectory(prefix="sluice-it-vm-") as tmp:
        vm = VM(tmp)
        s = None
        try:
            s = Sluice(binary, cores="2", extra=LIVE + [
                "--remote-write", vm.url(),
                "--remote-write-batch-age-ms", "100"])
            rounds = []
            t0 = int(time.time()) - 3600  # within the target's retention
            for r in range(14):
                if r == 4:
                    vm.stop()  # segments wait for the target's cursor
                if r == 10:
                    passes = s.total("sluice_compaction_passes_total")
                    vm.start()
                send(s, lines_of(r, t0=t0))
                rounds.append(r)
                time.sleep(0.5)
            deadline = time.time() + 60
            while time.time() < deadline and \
                    s.total("sluice_compaction_passes_total") <= passes:
                time.sleep(0.5)
            check(s.total("sluice_compaction_passes_total") > passes,
                  f"no compaction once the target came back ({passes} "
                  "before; sent "
                  f"{s.total('sluice_forward_sent_samples_total')})")
            want = {tuple((k, v.replace(".", "_") if k == "__name__" else v)
                          for k, v in key): pts
                    for key, pts in expected(rounds, t0=t0).items()}
            deadline = time.time() + 30
            while True:
                got = {}
                for (name, tags), pts in vm.export().items():
                    key = tuple(sorted(((("__name__", name),) + tags)))
                    got[key] = pts
                if got == want or time.time() > deadline:
                    break
                time.sleep(0.5)
            sent = sum(v for n, l, v in s.metrics()
                       if n == "sluice_forward_sent_samples_total")
            check(sent == 14 * 60, f"{sent} samples sent, not {14 * 60}")
            check(got == want, "victoria-metrics does not hold every "
                  f"point exactly once: {sorted(got.items())[:2]} "
                  f"{sorted(want.items())[:2]}")
            check_exact(s, rounds, "sluice itself", t0=t0)
        finally:
            if s:
                s.close()
            vm.stop()


SEGMENT_POINTS_MAX = 4 << 20  # STOR_SEGMENT_POINTS_MAX, core/base/limits.h


def big_lines(n, series=2000, t0=T0):
    """n gauges over `series` series, each (series, second) once, with
    random full-precision values: more write-ahead bytes a point than a
    busy box's 6, so the first segment passes 16 MiB."""
    rnd = random.Random(14)
    for i in range(n):
        yield f"b{i % series}:{rnd.random()!r}|g|T{t0 + i // series}\n"


def test_segment_rolls_at_point_bound_and_compacts(binary):
    """At the default --segment-max-bytes (64M), more points than a
    compaction pass holds: the first segment rolls at 4 Mi points, over
    16 MiB, and the background compactor takes it whole (before the
    point bound it held every point and was skipped for good)."""
    n = SEGMENT_POINTS_MAX + 200_000
    s = Sluice(binary, extra=["--compact-after", "1"], cores="1")
    try:
        with socket.create_connection(("127.0.0.1", s.port)) as c:
            buf = []
            for line in big_lines(n):
                buf.append(line)
                if len(buf) == 100_000:
                    c.sendall("".join(buf).encode())
                    buf = []
            c.sendall("".join(buf).encode())
        got = s.wait_total("sluice_points_ingested_total", n, timeout=120)
        check(got == n, f"{got} of {n} lines ingested")
        s.flush()
        check(segments(s.data_dir) == 2,
              f"{segments(s.data_dir)} segments, not 2")
        s.wait_total("sluice_compaction_passes_total", 1, timeout=60)
        check(s.total("sluice_compaction_passes_total") == 1,
              "the first segment was not compacted: " + s.logtext()[-2000:])
        check(s.total("sluice_compaction_skipped_segments_total") == 0,
              "a segment was skipped")
        pts = s.total("sluice_compaction_points_total")
        check(pts == SEGMENT_POINTS_MAX, f"{pts} points compacted")
        b_in = s.total("sluice_compaction_bytes_in_total")
        check(b_in > 16 << 20, f"the segment held {b_in} bytes, not over "
              "the old 16 MiB workaround")
    finally:
        s.close()


def logs_body(s):
    q = urllib.parse.urlencode({"start": "0", "end": "4000000000",
                                "limit": "100000"})
    with urllib.request.urlopen(s.url(f"/api/v1/logs?{q}"),
                                timeout=30) as r:
        check(r.status == 200, f"logs: {r.status}")
        return r.read().decode()


def test_syslog_only_shard_compacts(binary):
    """A shard that receives only syslog (no metric point in any segment)
    is compacted in the background: every record served exactly once
    while segments close and are swapped, and the same bytes after a
    restart with compaction off."""
    s = Sluice(binary, extra=LIVE, cores="1")
    try:
        sent, r = 0, 0
        deadline = time.time() + 40
        while time.time() < deadline:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                for i in range(200):
                    k = r * 200 + i
                    u.sendto((f"<14>1 2023-11-14T22:{k // 60 % 60:02d}:"
                              f"{k % 60:02d}.{k:06d}Z host{k % 3} app "
                              f"{k} - - round {r} line {k}").encode(),
                             ("127.0.0.1", s.syslog_port))
            sent += 200
            r += 1
            got = s.wait_total("sluice_logs_ingested_total", sent,
                               timeout=10, proto="syslog")
            check(got == sent, f"{got} of {sent} records ingested")
            s.flush()
            lines = logs_body(s).splitlines()
            check(len(lines) == sent and len(set(lines)) == sent,
                  f"round {r}: {len(lines)} records served, "
                  f"{len(set(lines))} distinct, of {sent}")
            if r >= 6 and s.total("sluice_compaction_passes_total") >= 2:
                break
            time.sleep(0.4)
        passes = s.total("sluice_compaction_passes_total")
        check(passes >= 2, f"only {passes} compactions of a syslog-only "
              "shard in 40 s: " + s.logtext()[-2000:])
        check(s.total("sluice_compaction_failures_total") == 0,
              "a compaction failed: " + s.logtext()[-2000:])
        check(s.total("sluice_compaction_points_total") == 0, "points?")
        time.sleep(3)
        body = logs_body(s)
        check(len(body.splitlines()) == sent, "after: records lost")
        rc, _ = s.stop()
        check(rc == 0, f"exit {rc}")
        s2 = Sluice(binary, extra=["--compact-after", "off"], cores="1",
                    data_dir=s.data_dir)
        try:
            check(logs_body(s2) == body, "restarted: other records")
        finally:
            s2.close()
    finally:
        s.close()


if __name__ == "__main__":
    main([test_live_every_point_once, test_killed_at_every_step,
          test_forward_exactly_once_while_compacting,
          test_segment_rolls_at_point_bound_and_compacts,
          test_syslog_only_shard_compacts])
