#!/usr/bin/env python3
"""tests/check_layers.py SOURCE_ROOT - the folders read downward.

Every #include of a project header must name a header of the file's own
folder or of a folder below it in LAYERS (docs/architecture.md): the data
path (packet -> parser -> series/head -> store -> disk) never trips back
up. Prints each offending include and exits 1; exits 0 when there is none.
"""
import os
import re
import sys

# Lowest first. core/cmd (main, run, import) and tools/ are the top: main
# dispatches every subcommand, tools use the CLI helpers.
LAYERS = ["core/base", "simd", "core/parse", "storage", "core/ingest", "net",
          "net/query", "net/forward", "core/shard", "core/cmd", "tools"]
# Layers beside each other: the same rank (net/forward reads the label
# model of net/query's selectors, which never reads net/forward).
BESIDE = {"net/forward": "net/query"}
TOP = {"core/cmd", "tools"}


def main():
    root = sys.argv[1]
    rank = {d: i for i, d in enumerate(LAYERS)}
    for d, other in BESIDE.items():
        rank[d] = rank[other]
    bad = 0
    for d in LAYERS:
        for name in sorted(os.listdir(os.path.join(root, d))):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(d, name)
            text = open(os.path.join(root, path), encoding="utf-8").read()
            for inc in re.findall(r'^#include "([^"]+)"', text, re.M):
                to = os.path.dirname(inc)
                if to not in rank or (d in TOP and to in TOP):
                    continue
                if rank[to] > rank[d] or (d in BESIDE.values() and
                                          to in BESIDE):
                    print(f"{path}: includes {inc} ({to} is above {d})")
                    bad += 1
    print(f"{bad} includes against the layering" if bad else "layering ok")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
