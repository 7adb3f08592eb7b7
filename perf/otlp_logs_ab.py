#!/usr/bin/env python3
"""Same OTLP log requests into two sluice builds, /api/v1/logs compared
byte for byte: live blocks (`import --no-compact`) and compacted
(`import --no-compact`, then `sluice compact`: at 84f61d3 a plain
`import --otlp logs` leaves no segment behind), each build's own
and across builds. Used for the live layout change of issue 11
(perf/RESULTS.md, "OTLP logs: a binary live layout (issue 11)").

usage: otlp_logs_ab.py SLUICE_A SLUICE_B FILE.ld [FILE.ld ...]
"""
import hashlib
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from harness import Sluice  # noqa: E402
from otlp_helpers import get  # noqa: E402

QUERIES = [dict(start="0", limit="100000"),
           dict(start="0", limit="100000", match='{otel.flags="1"}'),
           dict(start="0", limit="50", match='{severity<=warning}')]


def served(binary, files, compact, tmp):
    data = os.path.join(tmp, "d")
    args = [binary, "import", "--otlp", "logs", "--cores", "1",
            "--no-compact", "--data-dir", data]
    p = subprocess.run(args + files, capture_output=True, text=True,
                       timeout=600)
    if p.returncode != 0:
        sys.exit(f"{binary}: import exit {p.returncode}: {p.stderr}")
    if compact:
        c = subprocess.run([binary, "compact", "--data-dir", data],
                           capture_output=True, text=True, timeout=600)
        if c.returncode != 0:
            sys.exit(f"{binary}: compact exit {c.returncode}: {c.stderr}")
    s = Sluice(binary, data_dir=data)
    try:
        return p.stdout.split()[:6], [get(s, "/api/v1/logs", **q)
                                      for q in QUERIES]
    finally:
        s.close()


def main():
    a, b, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    bad = 0
    outs = {}
    for compact in (0, 1):
        for name, binary in (("A", a), ("B", b)):
            with tempfile.TemporaryDirectory(prefix="otl-ab-") as tmp:
                outs[name, compact] = served(binary, files, compact, tmp)
    for key, (summary, bodies) in sorted(outs.items()):
        print(key, " ".join(summary), [len(x.splitlines()) for x in bodies],
              [hashlib.sha256(x.encode()).hexdigest()[:12] for x in bodies])
    for x, y in ((("A", 0), ("B", 0)), (("A", 1), ("B", 1)),
                 (("B", 0), ("B", 1))):
        same = outs[x][1] == outs[y][1]
        bad += not same
        print(x, "vs", y, "equal" if same else "DIFFER")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
