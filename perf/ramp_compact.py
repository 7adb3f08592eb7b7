#!/usr/bin/python3
"""perf/ramp_compact.py - the loopback ramp of perf/ramp.py with background
compaction on and off (issue 14): alternating runs of `sluice run --cores
1 --segment-max-age 1s` with `--compact-after 1` (every closed segment is
compacted about a second after it closes, on the shard's own CPU, since
ramp.py pins the whole process there) and `--compact-after off`.

  ramp_compact.py --sluice BIN [--runs 3] [--size 1400] [--rates ...]

Prints each step, then per mode the highest loss-free step of each run
and the compactions done during the run's ramp.
"""
import argparse
import os
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ramp as R  # noqa: E402
from harness import parse_metrics, sum_metric  # noqa: E402

MODES = {"off": ["--compact-after", "off", "--segment-max-age", "1s"],
         "on": ["--compact-after", "1", "--segment-max-age", "1s"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--size", type=int, default=1400)
    ap.add_argument("--rates", default="1M,1.5M,2M,2.5M,3M,3.5M,4M,5M")
    ap.add_argument("--duration", type=float, default=2)
    a = ap.parse_args()
    bench = R.Bench(a.sluice, a.duration)
    out = {m: [] for m in MODES}
    for run in range(a.runs):
        for mode, extra in MODES.items():
            server = R.SluiceServer(a.sluice, extra)
            try:
                steps = R.ramp(server, bench, a.rates.split(","), a.size, 4)
                with urllib.request.urlopen(server.url, timeout=10) as r:
                    m = parse_metrics(r.read().decode())
            finally:
                server.close()
            passes = sum_metric(m, "sluice_compaction_passes_total")
            pts = sum_metric(m, "sluice_compaction_points_total")
            out[mode].append((R.loss_free(steps), passes, pts))
            print(f"run {run + 1} compaction {mode}: loss-free "
                  f"{R.loss_free(steps) / 1e6:.2f} M/s, {passes} "
                  f"compactions of {pts} points", flush=True)
    for mode, rs in out.items():
        lf = sorted(r[0] for r in rs)
        print(f"compaction {mode}: loss-free M lines/s per run "
              f"{[round(r[0] / 1e6, 2) for r in rs]} median "
              f"{lf[len(lf) // 2] / 1e6:.2f}; compactions "
              f"{[r[1] for r in rs]}, points {[r[2] for r in rs]}")


if __name__ == "__main__":
    main()
