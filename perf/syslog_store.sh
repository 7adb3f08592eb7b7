#!/bin/sh
# perf/syslog_store.sh - syslog parse-and-store on one core: `sluice import
# --proto syslog` (framer, parser, log head, log block encoding with igzip,
# segment writes through io_uring, fsync at the end) over generated
# octet-counted streams: the fleet-like 3164/5424 mix of perf/bench_logblock,
# and each format alone. Prints every run and the median records/s, the
# 5424/3164 time ratio and stored bytes per raw byte.
#
#   perf/syslog_store.sh [BUILD_DIR] [RECORDS] [RUNS]
set -eu
B=${1:-build}
N=${2:-1000000}
RUNS=${3:-5}
T=$(mktemp -d /tmp/sluice-syslog-store-XXXXXX)
trap 'rm -rf "$T"' EXIT
ninja -C "$B" sluice perf/bench_logblock >/dev/null
for f in mix 5424 3164; do
  if [ "$f" = mix ]; then fmt=""; else fmt="--format $f"; fi
  # shellcheck disable=SC2086
  "$B/perf/bench_logblock" --count "$N" $fmt --write "$T/$f.syslog"
done
for f in mix 5424 3164; do
  : >"$T/$f.runs"
  for r in $(seq "$RUNS"); do
    rm -rf "$T/data"
    "$B/sluice" import --proto syslog --cores 1 --data-dir "$T/data" \
      "$T/$f.syslog" | tee -a "$T/$f.runs"
  done
done
median() { # field name of the summary line -> median over runs
  awk -v k="$2" '{for (i = 1; i < NF; i++) if ($i == k) print $(i + 1)}' \
    "$1" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}
for f in mix 5424 3164; do
  echo "$f: median records/s $(median "$T/$f.runs" records/s)," \
    "seconds $(median "$T/$f.runs" seconds)," \
    "bytes/record $(median "$T/$f.runs" bytes/record)," \
    "stored/raw $(median "$T/$f.runs" stored/raw)"
done
s5=$(median "$T/5424.runs" seconds)
s3=$(median "$T/3164.runs" seconds)
echo "RFC 5424 / RFC 3164 time per message: $(echo "$s5 $s3" | awk '{printf "%.2f", $1 / $2}')x"
