#!/usr/bin/env python3
"""Print core/base/dtoa.c's table of powers of ten (g1, g0 per k), after
checking the floor-log approximations dtoa.c uses over their whole range.

For k in [K_MIN, K_MAX] (-324 .. 292 for doubles), with b = floor(log2
10^-k): g = floor(10^-k * 2^(125 - b)) + 1, so 2^125 <= g < 2^126,
written as g1 = g >> 63 and g0 = g & (2^63 - 1) (Giulietti's Schubfach,
section 10). Usage: python3 scripts/gen_dtoa_pow10.py > table.txt
"""
from fractions import Fraction
import math


def flog10pow2(e):
    return (e * 661971961083) >> 41


def flog10_three_quarters_pow2(e):
    return (e * 661971961083 - 274743187321) >> 41


def flog2pow10(e):
    return (e * 913124641741) >> 38


def floor_log(base, x):
    n = 0
    while Fraction(base) ** (n + 1) <= x:
        n += 1
    while Fraction(base) ** n > x:
        n -= 1
    return n


def main():
    for q in range(-1074 - 20, 971 + 20):
        p = Fraction(2) ** q
        assert flog10pow2(q) == floor_log(10, p), q
        assert flog10_three_quarters_pow2(q) == floor_log(10, p * 3 / 4), q
    for e in range(-330, 330):
        assert flog2pow10(e) == floor_log(2, Fraction(10) ** e), e
    k_min, k_max = flog10pow2(-1074), flog10pow2(971)
    assert (k_min, k_max) == (-324, 292)
    for k in range(k_min, k_max + 1):
        b = flog2pow10(-k)
        g = math.floor(Fraction(10) ** -k * Fraction(2) ** (125 - b)) + 1
        assert 2 ** 125 <= g < 2 ** 126
        print("    {0x%016xu, 0x%016xu}, /* %d */"
              % (g >> 63, g & (2 ** 63 - 1), k))


if __name__ == "__main__":
    main()
