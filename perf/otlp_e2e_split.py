#!/usr/bin/env python3
"""perf/otlp_e2e_split.py PERF_DATA - the share of a shard's samples
(`perf record -g -p PID` of `sluice run` while `sluice bench otlp` runs,
perf/otlp_e2e.sh's set-up) by stage of an OTLP/HTTP metrics request:
decode, gzip, series (mapping, series id cache, dictionary), store (head
appends, block encoding, the writer; its io_uring workers' write and
fsync), HTTP (parser, connections, the listener) and the kernel's share of
the shard thread (recv copies, io_uring, scheduling). The io-wq workers'
share is then split by what their stacks run: the block writes (io_write),
the fdatasyncs (io_fsync) and the rest (the worker loop: waking, sleeping,
scheduling between items)."""
import re
import subprocess
import sys

STAGES = [
    ("gzip", r"^(decode_huffman|crc32_gzip|isal_|inflate|net_gzip)"),
    ("decode", r"^(rd_|core_pb_|otlp_|number_field|hist_field|exp_field|"
               r"summary_field|skip_known|decode_run|core_otlp_metrics_decode)"),
    ("series", r"^(core_otlp_sid|core_series|upsert|series_find|resource_tags|"
               r"point_tags|attr_tag|on_point|on_attrs_known|cached|map_|"
               r"commit_point|core_pipe_otlp|sort_by_series|stage_|put_id|"
               r"add_series|wanted|__memcmp)"),
    ("store: encode, heads", r"^(stor_|core_pipe_append|core_head|core_store|seal|crc32_iscsi|"
              r"__memset)"),
    ("HTTP", r"^(net_|on_|feed|reply|deliver|complete|fail|ingest|"
             r"check_head|classify|expire|reply_gen|take|mark|__vfprintf|"
             r"_IO_|__memmove|__memchr|__memcpy)"),
]


def main():
    out = subprocess.run(
        ["perf", "report", "-i", sys.argv[1], "--no-children", "-g", "none",
         "--sort", "comm,dso,sym", "--percent-limit", "0"],
        capture_output=True, text=True, check=True).stdout
    share = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+(\S+)\s+\[(.)\]\s+(\S+)", line)
        if not m:
            continue
        pct, comm, _dso, kind, sym = m.groups()
        pct = float(pct)
        if comm.startswith("iou-wrk"):
            stage = "store: io-wq write, fsync"
        elif kind == "k":
            stage = "kernel (shard thread)"
        else:
            stage = next((s for s, rx in STAGES if re.match(rx, sym)),
                         "other")
        share[stage] = share.get(stage, 0.0) + pct
    for stage, pct in sorted(share.items(), key=lambda kv: -kv[1]):
        print(f"{stage:24s} {pct:5.1f}%")
    iowq_split(sys.argv[1])


def iowq_split(data):
    """The io-wq samples by the io_uring op on their stack, as shares of
    every sample."""
    out = subprocess.run(["perf", "script", "-i", data, "-F", "comm,ip,sym"],
                         capture_output=True, text=True, check=True).stdout
    total, by = 0, {}
    for sample in out.split("\n\n"):
        lines = sample.strip().splitlines()
        if not lines:
            continue
        total += 1
        if not lines[0].strip().startswith("iou-wrk"):
            continue
        stack = " ".join(lines[1:])
        kind = ("fsync" if " io_fsync" in stack else
                "write" if " io_write" in stack else "worker loop")
        by[kind] = by.get(kind, 0) + 1
    for kind in ("write", "fsync", "worker loop"):
        print(f"  io-wq {kind:18s} {100.0 * by.get(kind, 0) / max(total, 1):5.1f}%")


if __name__ == "__main__":
    main()
