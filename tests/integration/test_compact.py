"""`sluice compact` end to end: points sent live over StatsD/UDP and
imported with |T timestamps read back through the query port identical
before and after an offline compaction (export, series, labels); a live
directory is refused; a compaction killed (SIGKILL through SLUICE_FAULT
compact_crash) at every step of its pass loses and duplicates nothing on
the next start; `sluice import` compacts at its end unless --no-compact.

usage: /usr/bin/python3 test_compact.py PATH/TO/sluice
"""

import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Sluice, check, main  # noqa: E402

T0 = 1700000000


def get(s, path, **params):
    q = urllib.parse.urlencode(params, doseq=True)
    with urllib.request.urlopen(s.url(f"{path}?{q}"), timeout=30) as r:
        check(r.status == 200, f"{path}: {r.status}")
        return r.read().decode()


def everything(s):
    """Export of every series (sorted lines), series and label names."""
    exp = get(s, "/api/v1/export", **{"match[]": ['{__name__=~".+"}'],
                                     "start": "0", "end": "4000000000"})
    lines = sorted(exp.splitlines())
    series = json.loads(get(s, "/api/v1/series",
                            **{"match[]": ['{__name__=~"cmp.*"}'],
                               "start": "0", "end": "4000000000"}))
    labels = json.loads(get(s, "/api/v1/labels"))
    return lines, sorted(json.dumps(x, sort_keys=True)
                         for x in series["data"]), labels["data"]


def statsd_file(path, series=300, steps=60, seed=7):
    """Gauges and counters with |T on a 10 s grid, some jitter-free
    duplicates and points out of order."""
    rnd = random.Random(seed)
    lines = []
    for k in range(steps):
        for i in range(series):
            t = T0 + k * 10
            if rnd.random() < 0.02:
                t -= 30  # late
            typ = "g" if i % 2 else "c"
            v = f"{rnd.uniform(0, 100):.2f}" if typ == "g" else \
                str(rnd.randint(0, 9))
            lines.append(f"cmp.m{i % 7}:{v}|{typ}|#host:h{i},dc:d{i % 3}|T{t}")
            if rnd.random() < 0.01:
                lines.append(lines[-1])  # a duplicate
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return len(lines)


def import_into(binary, data, src, *extra, cores="2"):
    p = subprocess.run([binary, "import", "--proto", "statsd", "--cores", cores,
                        "--data-dir", data, *extra, src],
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, f"import exit {p.returncode}: {p.stderr}")
    return p.stdout


def compact(binary, data, env=None):
    return subprocess.run([binary, "compact", "--data-dir", data],
                          capture_output=True, text=True, timeout=120,
                          env=env)


def segment_files(data):
    return sorted(os.path.join(r, f) for r, _, fs in os.walk(data)
                  for f in fs if f.endswith(".seg"))


def send_live(binary, data, lines, while_live=None):
    """Sends the StatsD lines to a sluice on data (one datagram each),
    waits for them and flushes; calls while_live() before it stops.
    Returns what the query port served then."""
    s = Sluice(binary, cores="2", data_dir=data)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            for line in lines:
                u.sendto(line.encode(), ("127.0.0.1", s.port))
        s.wait_total("sluice_points_ingested_total", len(lines), timeout=10)
        s.flush()
        got = everything(s)
        if while_live:
            while_live()
        return got
    finally:
        s.stop()
        s.close(keep_data=True)


def fill(binary, tmp):
    """A directory with imported and live points, several segments a
    shard. Returns (data dir, what the query port serves)."""
    data, src = os.path.join(tmp, "data"), os.path.join(tmp, "in.statsd")
    statsd_file(src)
    import_into(binary, data, src, "--no-compact")
    import_into(binary, data, src, "--no-compact")  # every point twice

    def refused():  # a live directory is refused
        p = compact(binary, data)
        check(p.returncode == 1 and "LOCK" in p.stderr,
              f"compact of a live dir: {p.returncode} {p.stderr}")
    before = send_live(binary, data, [f"cmp.live:{i}|c|#n:{i % 50}"
                                      for i in range(2000)], refused)
    return data, before


def served(binary, data, what=everything, cores="2"):
    """what(s) of a sluice started on data (by default everything: export,
    series, labels), stopped after with its data kept."""
    s = Sluice(binary, cores=cores, data_dir=data)
    try:
        return what(s)
    finally:
        s.stop()
        s.close(keep_data=True)


def inspect(binary, data):
    """`sluice inspect` of data: the completed process (stdout, stderr)."""
    return subprocess.run([binary, "inspect", data], capture_output=True,
                          text=True, timeout=60)


def temp_file_left(data):
    return any(f.endswith(".tmp") for _, _, fs in os.walk(data) for f in fs)


def test_export_identical_after_compact(binary):
    with tempfile.TemporaryDirectory(prefix="sluice-it-compact-") as tmp:
        data, before = fill(binary, tmp)
        n_before = len(segment_files(data))
        p = compact(binary, data)
        check(p.returncode == 0, f"compact exit {p.returncode}: {p.stderr}")
        check(p.stdout.startswith("segments "), f"summary: {p.stdout}")
        check(len(segment_files(data)) < n_before,
              f"{n_before} segments before, {segment_files(data)} after")
        after = served(binary, data)
        check(before[0] == after[0], "export differs after compaction")
        check(before[1] == after[1], "series differ after compaction")
        check(before[2] == after[2], f"labels {before[2]} then {after[2]}")
        check(len(before[0]) >= 300, f"only {len(before[0])} series")
        p = inspect(binary, data)
        check(p.returncode == 0 and "kind=compacted" in p.stdout,
              f"inspect exit {p.returncode}: {p.stderr}")
        # A second generation: live points beside the compacted segments,
        # compacted in turn; the first compacted segments stay as they are.
        before2 = send_live(binary, data, [f"cmp.gen2:{i}|g|#n:{i % 20}"
                                           for i in range(500)])
        check(len(before2[0]) > len(after[0]), "gen2 series not served")
        p = compact(binary, data)
        check(p.returncode == 0 and " -> " in p.stdout, f"second compact: "
              f"{p.stdout} {p.stderr}")
        check(served(binary, data) == before2, "second generation differs")


def test_killed_at_every_step_loses_nothing(binary):
    for step in range(1, 6):
        with tempfile.TemporaryDirectory(prefix="sluice-it-compact-") as tmp:
            data, before = fill(binary, tmp)
            env = dict(os.environ, SLUICE_FAULT=f"compact_crash={step}")
            p = compact(binary, data, env)
            check(p.returncode == -9, f"step {step}: compact exit "
                  f"{p.returncode}, want SIGKILL: {p.stderr}")
            after = served(binary, data)
            check(before == after, f"step {step}: served data changed")
            p = compact(binary, data)
            check(p.returncode == 0, f"step {step}: compact again: "
                  f"{p.stderr}")
            check(served(binary, data) == before, f"step {step}: after "
                  "the second compaction")
            check(not temp_file_left(data), f"step {step}: temp file left")


def test_import_compacts_at_its_end(binary):
    with tempfile.TemporaryDirectory(prefix="sluice-it-compact-") as tmp:
        src = os.path.join(tmp, "in.statsd")
        n = statsd_file(src, series=100, steps=30)
        for d, extra, want in (("a", (), True), ("b", ("--no-compact",),
                                                      False)):
            out = import_into(binary, os.path.join(tmp, d), src, *extra)
            check(len(out.splitlines()) == 1, f"summary: {out}")
            p = inspect(binary, os.path.join(tmp, d))
            check(("kind=compacted" in p.stdout) == want,
                  f"import {extra}: compacted {not want}: {p.stdout[:300]}")
        a, b = served(binary, os.path.join(tmp, "a")), \
            served(binary, os.path.join(tmp, "b"))
        check(a == b, "compacted import serves other points")
        check(sum(line.count(",") for line in a[0]) > n // 2, "too few points")


def test_import_compacts_directly(binary):
    """import (statsd) compacts its heads directly: the same bytes as
    importing with --no-compact and compacting after; segments an earlier
    --no-compact import left are compacted at its end as before."""
    with tempfile.TemporaryDirectory(prefix="sluice-it-compact-") as tmp:
        src = os.path.join(tmp, "in.statsd")
        statsd_file(src, series=400, steps=40, seed=11)
        a, b = os.path.join(tmp, "a"), os.path.join(tmp, "b")
        out = import_into(binary, a, src)
        check(out.startswith("points "), f"summary: {out}")
        import_into(binary, b, src, "--no-compact")
        check(compact(binary, b).returncode == 0, "compact b")
        fa, fb = segment_files(a), segment_files(b)
        check([os.path.relpath(f, a) for f in fa] ==
              [os.path.relpath(f, b) for f in fb],
              f"segment names differ: {fa} {fb}")
        for x, y in zip(fa, fb):
            with open(x, "rb") as f1, open(y, "rb") as f2:
                check(f1.read() == f2.read(), f"{x} differs from {y}")
        # originals left by --no-compact, then a default import on top
        import_into(binary, a, src, "--no-compact")
        import_into(binary, a, src)
        p = inspect(binary, a)
        check("kind=compacted" in p.stdout and "kind=metrics" not in
              p.stdout, f"originals left: {p.stdout[:400]}")
        got = served(binary, a)
        once = served(binary, b)
        check(len(got[0]) == len(once[0]) and got[0] != once[0],
              "three imports serve other series or the same points")


def test_import_killed_while_compacting_directly(binary):
    """A direct compaction killed at each step of its swap leaves what was
    there before (steps 1, 2: the temporary file removed at the next
    start) or the new segment whole (step 3): nothing half."""
    with tempfile.TemporaryDirectory(prefix="sluice-it-compact-") as tmp:
        src1, src2 = os.path.join(tmp, "1.statsd"), os.path.join(tmp, "2")
        statsd_file(src1, series=100, steps=20, seed=1)
        statsd_file(src2, series=100, steps=20, seed=2)
        first = os.path.join(tmp, "first")
        import_into(binary, first, src1, cores="1")
        before = served(binary, first)
        both = os.path.join(tmp, "both")
        import_into(binary, both, src1, cores="1")
        import_into(binary, both, src2, cores="1")
        after = served(binary, both)
        check(before != after, "the second file adds points")
        for step in (1, 2, 3):
            data = os.path.join(tmp, f"s{step}")
            import_into(binary, data, src1, cores="1")
            p = subprocess.run(
                [binary, "import", "--proto", "statsd", "--cores", "1",
                 "--data-dir", data, src2], capture_output=True, text=True,
                timeout=120,
                env=dict(os.environ, SLUICE_FAULT=f"compact_crash={step}"))
            check(p.returncode == -9, f"step {step}: import exit "
                  f"{p.returncode}, want SIGKILL: {p.stderr}")
            want = after if step == 3 else before
            check(served(binary, data) == want, f"step {step}: served data")
            check(not temp_file_left(data), f"step {step}: temp file left")


def test_import_hands_over_when_keys_overflow_a_pass(binary):
    """A head whose distinct keys alone pass a compacted segment's key
    bound (6 MiB) hands the shard over to the segment writer: every point
    is stored all the same, as --no-compact stores it."""
    with tempfile.TemporaryDirectory(prefix="sluice-it-compact-") as tmp:
        src = os.path.join(tmp, "wide.statsd")
        pad = "p" * 90
        with open(src, "w") as f:
            for i in range(70000):
                f.write(f"cmp.wide:{i % 97}|g|#host:h{i:06d},pad:{pad}"
                        f"|T{T0 + i % 600}\n")
        a, b = os.path.join(tmp, "a"), os.path.join(tmp, "b")
        out = import_into(binary, a, src, cores="1")
        check(out.startswith("points 70000 errors 0 rejected 0"),
              f"summary: {out}")
        import_into(binary, b, src, "--no-compact", cores="1")
        p = inspect(binary, a)
        check("kind=metrics" in p.stdout, "no original segment: the "
              f"hand-over did not happen: {p.stdout[:300]}")
        check(served(binary, a) == served(binary, b),
              "the handed-over import serves other points")


def all_logs(s):
    """Every log record the query port serves, oldest first, as JSON."""
    with urllib.request.urlopen(s.url("/api/v1/logs?" + urllib.parse.urlencode(
            {"start": "0", "end": "4000000000", "limit": "100000"})),
            timeout=30) as r:
        check(r.status == 200, f"logs: {r.status}")
        return [json.loads(l) for l in r.read().decode().splitlines()
                if l.strip()]


def test_syslog_beside_statsd_compacted(binary):
    """Syslog lines (RFC 5424 and 3164) sent beside StatsD to one shard
    land in the same segments; `sluice compact` compacts them all (log blocks carried
    into the compacted segments) and /api/v1/logs serves the same records
    after, as export serves the same points."""
    with tempfile.TemporaryDirectory(prefix="sluice-it-compact-") as tmp:
        data = os.path.join(tmp, "data")
        s = Sluice(binary, cores="1", data_dir=data)
        n = 3000
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                for i in range(n):
                    u.sendto(f"cmp.mix:{i}|c|#n:{i % 40}".encode(),
                             ("127.0.0.1", s.port))
                    if i % 3:
                        line = (f"<{(i % 24) * 8 + i % 8}>1 2023-11-14T22:"
                                f"{i // 600 % 60:02d}:{i % 60:02d}.{i:06d}Z "
                                f"host{i % 5} app{i % 3} {i} ID{i % 4} "
                                f"[ex@1 k=\"{i}\"] request {i} took "
                                f"{i % 97} ms")
                    else:
                        line = (f"<13>Nov 14 22:13:{i % 60:02d} web{i % 4} "
                                f"cron[{i}]: job {i} done")
                    u.sendto(line.encode(), ("127.0.0.1", s.syslog_port))
            s.wait_total("sluice_points_ingested_total", n, timeout=10)
            s.wait_total("sluice_logs_ingested_total", n, timeout=10,
                         proto="syslog")
            s.flush()
            before, logs_before = everything(s), all_logs(s)
        finally:
            s.stop()
            s.close(keep_data=True)
        check(len(logs_before) == n, f"{len(logs_before)} records of {n}")
        n_before = len(segment_files(data))
        p = compact(binary, data)
        check(p.returncode == 0, f"compact exit {p.returncode}: {p.stderr}")
        p = inspect(binary, data)
        segs = [l for l in p.stdout.splitlines() if l.startswith("segment ")]
        check(p.returncode == 0 and len(segs) == n_before and
              all("kind=compacted" in l for l in segs),
              f"inspect exit {p.returncode}: {p.stdout[:600]} {p.stderr}")
        after, logs_after = served(
            binary, data, lambda s: (everything(s), all_logs(s)), cores="1")
        check(before == after, "points differ after compaction")
        check(logs_before == logs_after, "log records differ after "
              f"compaction: {len(logs_before)} then {len(logs_after)}")


def syslog_file(path, n):
    """n RFC 5424 and 3164 lines, times spread over an hour."""
    lines = []
    for i in range(n):
        if i % 3:
            lines.append(f"<{(i % 24) * 8 + i % 8}>1 2023-11-14T22:"
                         f"{i // 60 % 60:02d}:{i % 60:02d}.{i:06d}Z "
                         f"host{i % 5} app{i % 3} {i} ID{i % 4} "
                         f"[ex@1 k=\"{i}\"] request {i} took {i % 97} ms")
        else:
            lines.append(f"<13>Nov 14 22:{i // 60 % 60:02d}:{i % 60:02d} "
                         f"web{i % 4} cron[{i}]: job {i} done")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def raw_logs(s):
    """The body of /api/v1/logs over every record, as served."""
    return get(s, "/api/v1/logs", start="0", end="4000000000",
               limit="100000")


def test_syslog_only_import_compacted(binary):
    """A syslog-only import (no metric point in any segment) is compacted
    by `sluice compact`: fewer bytes, every segment a compacted one of no
    series, /api/v1/logs byte-identical before and after, and export,
    series and labels served (empty) from the empty dictionaries."""
    with tempfile.TemporaryDirectory(prefix="sluice-it-compact-") as tmp:
        data, src = os.path.join(tmp, "data"), os.path.join(tmp, "in.log")
        n = 20000
        syslog_file(src, n)
        p = subprocess.run([binary, "import", "--proto", "syslog", "--cores",
                            "2", "--no-compact", "--data-dir", data, src],
                           capture_output=True, text=True, timeout=120)
        check(p.returncode == 0, f"import exit {p.returncode}: {p.stderr}")
        before = served(binary, data)
        logs_before = served(binary, data, raw_logs)
        check(len(logs_before.splitlines()) == n,
              f"{len(logs_before.splitlines())} records of {n}")
        bytes_before = sum(os.path.getsize(f) for f in segment_files(data))
        p = compact(binary, data)
        check(p.returncode == 0, f"compact exit {p.returncode}: {p.stderr}")
        bytes_after = sum(os.path.getsize(f) for f in segment_files(data))
        check(bytes_after < bytes_before * 0.9,
              f"{bytes_before} bytes then {bytes_after}")
        p = inspect(binary, data)
        segs = [l for l in p.stdout.splitlines() if l.startswith("segment ")]
        check(p.returncode == 0 and segs and
              all("kind=compacted" in l and " series=0 " in l and
                  "check=ok" in l for l in segs),
              f"inspect exit {p.returncode}: {p.stdout[:600]} {p.stderr}")
        logs_after = served(binary, data, raw_logs)
        check(logs_before == logs_after, "/api/v1/logs differs after "
              "compaction")
        check(served(binary, data) == before, "export, series or labels "
              "differ after compaction")
        p = compact(binary, data)  # nothing left: the files stay
        check(p.returncode == 0 and sum(os.path.getsize(f) for f in
                                        segment_files(data)) == bytes_after,
              f"second compact: {p.returncode} {p.stderr}")


if __name__ == "__main__":
    main([test_export_identical_after_compact,
          test_killed_at_every_step_loses_nothing,
          test_import_compacts_at_its_end,
          test_import_compacts_directly,
          test_import_killed_while_compacting_directly,
          test_import_hands_over_when_keys_overflow_a_pass,
          test_syslog_beside_statsd_compacted,
          test_syslog_only_import_compacted])
