#!/usr/bin/env bash
# perf/ab_import.sh RUNS FILE BIN_A BIN_B - two sluice builds side by side:
# `sluice import --proto statsd --cores 1` of FILE on CPU 1, --no-store and
# storing into a fresh directory, alternating A and B RUNS times (so both
# see the same noise). Prints points/s and bytes/point per run; quote the
# medians. Make FILE with: perf/ramp.py dump --sluice BIN --lines N --out FILE
set -euo pipefail
runs=$1 file=$2 A=$3 B=$4
dir=$(mktemp -d /tmp/sluice-ab-XXXXXX)
trap 'rm -rf "$dir"' EXIT
rate() { sed -n 's/.*points\/s \([0-9]*\).*/\1/p'; }
for i in $(seq 1 "$runs"); do
  for tag in A B; do
    bin=$A; [ "$tag" = B ] && bin=$B
    ns=$(taskset -c 1 "$bin" import --proto statsd --cores 1 --no-store "$file" | rate)
    rm -rf "$dir/data"
    st=$(taskset -c 1 "$bin" import --proto statsd --cores 1 --data-dir "$dir/data" "$file")
    echo "$tag run $i: no-store $ns points/s; store $(echo "$st" | rate) points/s, bytes/point ${st##* }"
  done
done
