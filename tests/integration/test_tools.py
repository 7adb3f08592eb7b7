"""The operator tools end to end: `sluice bench --check` against a real
`sluice run` (what bench sent is exactly what sluice received, and
sluice's own /metrics agree), `sluice stats --once` against /metrics, and
`sluice tune check/apply` on copies of the fixture trees.

Rates are moderate (20k lines/s for 2 s) so the kernel never drops on a
shared 2-core box; nothing here asserts on time.

usage: /usr/bin/python3 test_tools.py PATH/TO/sluice
"""

import filecmp
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Sluice, check, main  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures", "tune")
CORES = "0-1"  # the fixture trees describe CPUs 0 and 1


def run_cli(binary, *args, timeout=60):
    p = subprocess.run([binary, *args], capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def key_values(text):
    """bench prints `key words value` lines: {key words: value}."""
    out = {}
    for line in text.splitlines():
        key, _, value = line.rpartition(" ")
        if key:
            out[key] = value
    return out


def bench(binary, s, *extra, proto="statsd", rate="20k", duration="2"):
    port = s.syslog_port if proto == "syslog" else s.port
    rc, out, err = run_cli(binary, "bench", proto, "--target",
                           f"127.0.0.1:{port}", "--rate", rate,
                           "--duration", duration, "--check",
                           s.url("/metrics"), *extra)
    check(rc == 0, f"bench exit {rc}: {out}{err}")
    return key_values(out)


def accounted(s):
    """Lines sluice accounted for: what bench --check counts as received."""
    m = s.metrics()
    total = 0
    for n, _, v in m:
        if n in ("sluice_points_ingested_total", "sluice_parse_errors_total",
                 "sluice_statsd_events_total", "sluice_series_rejected_total",
                 "sluice_logs_ingested_total"):
            total += int(v)
    return total


def check_bench_exact(s, r, transport):
    sent = int(r["lines sent"])
    check(sent > 0, f"nothing sent: {r}")
    check(r["transport"] == transport, f"transport {r['transport']}")
    check(int(r["send errors"]) == 0, f"send errors: {r}")
    check(int(r["received"]) == sent,
          f"received {r['received']} != sent {sent}")
    check(int(r["lost"]) == 0 and float(r["loss %"]) == 0.0, f"loss: {r}")
    check(int(r["sluice drops"]) == 0, f"drops: {r}")
    got = accounted(s)
    check(got == sent, f"/metrics accounts {got} lines, bench sent {sent}")
    check(s.total("sluice_parse_errors_total") == 0, "parse errors")
    check(s.total("sluice_rx_dropped_total") == 0, "kernel drops")


def test_bench_udp_sent_equals_received(binary):
    s = Sluice(binary, cores="2")
    try:
        r = bench(binary, s, "--datagram-bytes", "1400")
        check_bench_exact(s, r, "udp")
        dg = s.total("sluice_rx_datagrams_total", listener="statsd_udp")
        check(dg == int(r["datagrams"]),
              f"datagrams {dg} != sent {r['datagrams']}")
        rx = s.total("sluice_rx_bytes_total", listener="statsd_udp")
        check(rx == int(r["bytes"]), f"bytes {rx} != sent {r['bytes']}")
    finally:
        s.close()


def test_bench_tcp_sent_equals_received(binary):
    s = Sluice(binary, cores="2")
    try:
        r = bench(binary, s, "--tcp")
        check_bench_exact(s, r, "tcp")
        rx = s.total("sluice_rx_bytes_total", listener="statsd_tcp")
        check(rx == int(r["bytes"]), f"bytes {rx} != sent {r['bytes']}")
        check(s.total("sluice_tcp_accepted_total") == 1, "accepted != 1")
    finally:
        s.close()


def check_bench_received(s, r):
    """Every line bench sent was received, none lost or dropped."""
    sent = int(r["lines sent"])
    check(sent > 0 and int(r["send errors"]) == 0, f"sent: {r}")
    check(int(r["received"]) == sent and int(r["lost"]) == 0,
          f"received {r['received']} of {sent}: {r}")
    check(int(r["sluice drops"]) == 0, f"drops: {r}")


def test_bench_syslog_sent_equals_received(binary):
    """Syslog over UDP (one message a datagram) and TCP: every message is
    a stored record (sluice_logs_ingested_total), parsed without error."""
    s = Sluice(binary, cores="2")
    try:
        r = bench(binary, s, proto="syslog")
        check_bench_received(s, r)
        udp = int(r["lines sent"])
        check(s.total("sluice_rx_datagrams_total", listener="syslog_udp")
              == int(r["datagrams"]), "syslog datagrams")
        r = bench(binary, s, "--tcp", proto="syslog")
        check_bench_received(s, r)
        tcp = int(r["lines sent"])
        check(s.total("sluice_logs_ingested_total") == udp + tcp,
              f"logs ingested {s.total('sluice_logs_ingested_total')} != "
              f"{udp + tcp}")
        check(s.total("sluice_parse_errors_total") == 0, "parse errors")
        check(s.total("sluice_rx_bytes_total", listener="syslog_tcp")
              == int(r["bytes"]), "syslog tcp bytes")
        s.flush()
        check(s.total("sluice_loghead_sealed_records_total") == udp + tcp,
              "sealed records")
    finally:
        s.close()


def test_floods_under_storage_backpressure(binary):
    """Unpaced TCP floods of syslog and StatsD on one shard fill every
    write buffer, so seals wait for storage inside a receive completion:
    nothing may be handled twice or lost (a regression: the wait once
    re-read completions its caller was still handling, and aborted)."""
    s = Sluice(binary, cores="1")
    try:
        for proto in ("syslog", "statsd"):
            r = bench(binary, s, "--tcp", proto=proto, rate="max",
                      duration="3")
            check_bench_received(s, r)
        waits = s.total("sluice_storage_backpressure_waits_total")
        check(waits > 0, "no seal waited for storage: the floods did not "
              "reach back-pressure, so the wait went untested")
        s.flush()
        check(s.total("sluice_storage_logs_lost_total") == 0, "logs lost")
        check(s.total("sluice_storage_points_lost_total") == 0,
              "points lost")
    finally:
        s.close()


def test_bench_series_and_untagged(binary):
    """--series N makes exactly N series; --tags 0 sends plain StatsD."""
    s = Sluice(binary, cores="1")
    try:
        r = bench(binary, s, "--series", "500", "--tags", "0")
        check_bench_exact(s, r, "udp")
        active = s.total("sluice_series_active")
        check(active == 500, f"series_active {active} != 500")
        r = bench(binary, s, "--series", "700", "--tags", "3", "--seed", "7")
        check(int(r["received"]) == int(r["lines sent"]), f"tagged: {r}")
        active = s.total("sluice_series_active")
        check(active == 1200, f"series_active {active} != 500 + 700")
    finally:
        s.close()


STATS_COLUMNS = {  # stats --once column: (metric family, labels)
    "points": ("sluice_points_ingested_total", {}),
    "bytes": ("sluice_rx_bytes_total", {}),
    "datagrams": ("sluice_rx_datagrams_total", {}),
    "parse_errors": ("sluice_parse_errors_total", {}),
    "drops": ("sluice_rx_dropped_total", {}),
    "series": ("sluice_series_active", {}),
    "tcp": ("sluice_tcp_connections", {}),
    "logs": ("sluice_logs_ingested_total", {}),
    "stored": ("sluice_storage_bytes_written_total", {}),
    "segments": ("sluice_storage_segments_opened_total", {}),
}
LOSS_FAMILIES = ("sluice_rx_dropped_total", "sluice_series_rejected_total",
                 "sluice_storage_points_lost_total",
                 "sluice_storage_logs_lost_total")


def stats_loss(s, **labels):
    """What stats calls loss: drops, StatsD lines rejected, samples over
    --max-series, points and records storage gave up."""
    return (sum(s.total(f, **labels) for f in LOSS_FAMILIES)
            + s.total("sluice_parse_errors_total", proto="statsd", **labels))


def stats_rows(binary, s):
    rc, out, err = run_cli(binary, "stats", "--once", "--url",
                           s.url("/metrics"))
    check(rc == 0, f"stats exit {rc}: {out}{err}")
    lines = [l.split() for l in out.splitlines() if l.strip()]
    header = lines[0]
    check(header[0] == "shard" and header[-1] == "uptime" and
          set(STATS_COLUMNS) | {"loss"} <= set(header),
          f"stats header: {header}")
    # uptime: seconds from process_start_time_seconds, "-" without it
    return {row[0]: dict(zip(header[1:], [int(v) if v != "-" else v
                                          for v in row[1:]]))
            for row in lines[1:]}


def test_stats_once_matches_metrics(binary):
    s = Sluice(binary, cores="2")
    try:
        bench(binary, s)                       # UDP: lands on one shard
        bench(binary, s, "--tcp", "--seed", "3")
        bench(binary, s, proto="syslog")       # logs column; not points
        rows = stats_rows(binary, s)
        check(set(rows) == {"0", "1", "total"}, f"rows: {sorted(rows)}")
        for col, (family, labels) in STATS_COLUMNS.items():
            for shard in ("0", "1"):
                want = s.total(family, shard=shard, **labels)
                check(rows[shard][col] == want,
                      f"shard {shard} {col}: {rows[shard][col]} != {want}")
            want = s.total(family, **labels)
            check(rows["total"][col] == want,
                  f"total {col}: {rows['total'][col]} != {want}")
        for shard in ("0", "1", "total"):
            want = stats_loss(s) if shard == "total" else \
                stats_loss(s, shard=shard)
            check(rows[shard]["loss"] == want,
                  f"{shard} loss: {rows[shard]['loss']} != {want}")
        check(rows["total"]["points"] > 0, "no points counted")
        check(rows["total"]["logs"] > 0, "no log records counted")
        check(rows["total"]["stored"] > 0 and rows["total"]["segments"] > 0,
              "nothing stored")
        start = s.total("process_start_time_seconds")
        up = rows["total"]["uptime"]
        check(up == "-" if not start else 0 <= up < 600, f"uptime {up}")
    finally:
        s.close()


def test_stats_into_a_pipe_is_plain(binary):
    """stdout not a terminal: one plain block per refresh (a title line,
    the table, a blank line), no escape sequence, every column."""
    s = Sluice(binary, cores="2")
    try:
        bench(binary, s, duration="1")
        p = subprocess.run([binary, "stats", "--url", s.url("/metrics"),
                            "--count", "3", "--interval-ms", "200"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=30)
        check(p.returncode == 0, f"stats exit {p.returncode}: {p.stderr}")
        check(b"\x1b" not in p.stdout, f"escape bytes: {p.stdout[:200]!r}")
        blocks = p.stdout.decode().split("\n\n")
        check(blocks[-1] == "" and len(blocks) == 4,
              f"want 3 blocks ending in a blank line: {p.stdout!r}")
        for block in blocks[:3]:
            lines = block.split("\n")
            check(lines[0].startswith("sluice stats  " + s.url("/metrics")),
                  f"title: {lines[0]!r}")
            header = lines[1].split()
            check(header == ["shard", "points/s", "bytes/s", "dgrams/s",
                             "errors/s", "drops/s", "series", "tcp",
                             "logs/s", "stored/s", "segs", "loss/s",
                             "uptime"], f"header: {header}")
            rows = {l.split()[0]: l.split() for l in lines[2:]}
            check(set(rows) == {"0", "1", "total"}, f"rows: {lines[2:]}")
            check(all(len(r) == len(header) for r in rows.values()),
                  f"ragged rows: {lines}")
            up = rows["total"][-1]
            check(up.startswith(">") if not
                  s.total("process_start_time_seconds") else up[0].isdigit(),
                  f"uptime cell {up!r}")
        check(rows["total"][6] == "10.00k", f"series: {rows['total']}")
    finally:
        s.close()


def tune(binary, *args):
    rc, out, err = run_cli(binary, "tune", *args, "--cores", CORES)
    return rc, out + err


def status_rows(out):
    """{setting: status} from the tune check table."""
    rows = {}
    for line in out.splitlines()[1:]:
        for status in (" ok ", " CHANGE "):
            if status in line:
                rows[line.split(status)[0].split("  ")[0]] = status.strip()
    return rows


def test_tune_check_fixtures(binary):
    rc, out = tune(binary, "check", "--root", os.path.join(FIXTURES, "tuned"))
    check(rc == 0, f"tuned tree: exit {rc}: {out}")
    check("CHANGE" not in out, f"tuned tree recommends changes: {out}")
    rc, out = tune(binary, "check", "--root", os.path.join(FIXTURES, "stock"))
    check(rc == 1, f"stock tree: exit {rc}, want 1: {out}")
    rows = status_rows(out)
    check(rows.get("net.core.rmem_max") == "CHANGE",
          f"net.core.rmem_max not flagged: {out}")
    check("212992" in out and "33554432" in out, "rmem_max values missing")


def hybrid_tree(tmp):
    """The tuned tree with the stock sysctls: only sysctls need changing."""
    root = os.path.join(tmp, "root")
    shutil.copytree(os.path.join(FIXTURES, "tuned"), root, symlinks=True)
    sysctl = os.path.join(root, "proc", "sys")
    shutil.rmtree(sysctl)
    shutil.copytree(os.path.join(FIXTURES, "stock", "proc", "sys"), sysctl)
    return root


def tree_equal(a, b):
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files,
                                           shallow=False)
    if mismatch or errors:
        return False
    return all(tree_equal(os.path.join(a, d), os.path.join(b, d))
               for d in cmp.common_dirs)


def test_tune_apply_dry_run_changes_nothing(binary):
    with tempfile.TemporaryDirectory(prefix="sluice-it-tune-") as tmp:
        root = hybrid_tree(tmp)
        pristine = os.path.join(tmp, "pristine")
        shutil.copytree(root, pristine, symlinks=True)
        rc, out = tune(binary, "apply", "--dry-run", "--root", root)
        check(rc == 0, f"dry run exit {rc}: {out}")
        check("net.core.rmem_max = 33554432" in out,
              f"dry run does not list rmem_max: {out}")
        check(tree_equal(root, pristine), "dry run changed the tree")
        rc, out = tune(binary, "check", "--root", root)
        check(rc == 1, f"check after dry run: exit {rc}, want 1")


def read(root, rel):
    with open(os.path.join(root, rel)) as f:
        return f.read().split()


def test_tune_apply_then_check_passes(binary):
    with tempfile.TemporaryDirectory(prefix="sluice-it-tune-") as tmp:
        root = hybrid_tree(tmp)
        rc, out = tune(binary, "check", "--root", root)
        before = status_rows(out)
        check(rc == 1 and before.get("net.core.rmem_max") == "CHANGE",
              f"before apply: exit {rc}: {out}")
        rc, out = tune(binary, "apply", "--root", root)
        check(rc == 0, f"apply exit {rc}: {out}")
        check(read(root, "proc/sys/net/core/rmem_max") == ["33554432"],
              "rmem_max not written")
        check(read(root, "proc/sys/net/ipv4/udp_mem")
              == ["262144", "524288", "1048576"], "udp_mem not written")
        rc, out = tune(binary, "check", "--root", root)
        rows = status_rows(out)
        changes = [k for k, v in rows.items() if v == "CHANGE"]
        check(rc == 0 and not changes, f"after apply: exit {rc}, {changes}")
        check(rows.get("net.core.rmem_max") == "ok", "rmem_max row missing")
        # apply never lowers: a value above ours stays.
        with open(os.path.join(root, "proc/sys/net/core/rmem_max"), "w") as f:
            f.write("67108864\n")
        rc, out = tune(binary, "apply", "--root", root)
        check(read(root, "proc/sys/net/core/rmem_max") == ["67108864"],
              f"apply lowered rmem_max: {out}")


if __name__ == "__main__":
    main([test_bench_udp_sent_equals_received,
          test_bench_tcp_sent_equals_received,
          test_bench_series_and_untagged,
          test_bench_syslog_sent_equals_received,
          test_floods_under_storage_backpressure,
          test_stats_once_matches_metrics,
          test_stats_into_a_pipe_is_plain,
          test_tune_check_fixtures,
          test_tune_apply_dry_run_changes_nothing,
          test_tune_apply_then_check_passes])
