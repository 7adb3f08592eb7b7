#!/usr/bin/env python3
"""Varied OTLP log requests for A/B output checks of the log block layouts
(perf/RESULTS.md, "OTLP logs: a binary live layout (issue 11)"): each
record draws its time (absent, set), observed time (absent, equal, later,
earlier, far, past 2^63, tiny), trace and span ids (absent, random, of a
wrong length now and then: the decoder refuses that request), severity,
flags, up to 70 attributes (past the 64 a stored record holds) of mixed
value types, and a body of any type.

usage: gen_otlp_logs_mix.py OUT [REQUESTS] [RECORDS] [SEED] [narrow]
(narrow: every record has its time, so a block's times span ~100 s)
"""
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_otlp import field, ld, varint, f64, kv, RES  # noqa: E402


def anyvalue(rng):
    k = rng.randrange(5)
    if k == 0:
        return ld(1, f"v{rng.randrange(40)}".encode())
    if k == 1:
        return field(2, 0, varint(rng.randrange(2)))
    if k == 2:
        return field(3, 0, varint(rng.randrange(1 << 40)))
    if k == 3:
        return field(4, 1, struct.pack("<d", rng.random() * 1e6))
    return ld(7, bytes(rng.randrange(256) for _ in range(rng.randrange(6))))


def record(rng, t, narrow):
    b = b""
    o = rng.randrange(7)
    obs = [None, t, t + rng.randrange(10**9), t - rng.randrange(10**12),
           rng.randrange(1, 1 << 63), (1 << 63) + rng.randrange(1 << 62),
           rng.randrange(1, 10)][o]
    # without a time the record takes its observed time, or the time of
    # arrival (never that here: two runs would differ)
    if narrow or rng.randrange(8) or obs is None or obs >= 1 << 63:
        b += f64(1, t)
    if obs is not None:
        b += f64(11, obs)
    b += field(2, 0, varint(rng.randrange(25)))
    if rng.randrange(2):
        b += ld(3, rng.choice([b"INFO", b"WARN", b"ERROR"]))
    if rng.randrange(6):
        body = anyvalue(rng) if rng.randrange(4) == 0 else \
            ld(1, f"message {rng.randrange(10**6)}".encode())
        b += ld(5, body)
    n = rng.choice([0, 1, 3, 5, 5, 5, 5, 5, 8, 8, 63, 70])
    for i in range(n):
        b += ld(6, ld(1, f"k{i % 9}".encode()) + ld(2, anyvalue(rng)))
    if rng.randrange(4):
        b += field(8, 5, struct.pack("<I", rng.randrange(3)))
    if rng.randrange(3):
        tl = 16 if rng.randrange(20000) else rng.choice([5, 15, 17])
        b += ld(9, bytes(rng.randrange(256) for _ in range(tl)))
    if rng.randrange(3):
        b += ld(10, bytes(rng.randrange(256) for _ in range(8)))
    return ld(2, b)


def main():
    out = sys.argv[1]
    requests = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    records = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 11)
    narrow = len(sys.argv) > 5 and sys.argv[5] == "narrow"
    with open(out, "wb") as f:
        for r in range(requests):
            t = 1765000000000000000 + r * 10**9
            recs = b"".join(record(rng, t + rng.randrange(-10**9, 10**9), narrow)
                            for _ in range(records))
            b = ld(1, ld(1, RES) + ld(2, ld(1, ld(1, b"mix")) + recs))
            f.write(varint(len(b)) + b)


if __name__ == "__main__":
    main()
