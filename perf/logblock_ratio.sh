#!/bin/sh
# perf/logblock_ratio.sh - log block bytes against gzip and zstd of the
# same raw stream (perf/RESULTS.md, "Log blocks v2"): writes the
# perf/gen_syslog.py corpus, compresses it whole with gzip -6, zstd -9 and
# zstd -19, then stores it with perf/bench_logblock in layout 1 (before
# issue 14) and layout 2, live (blocks of 2000 records: one second at the
# corpus' 2000 messages/s; and 8192, a full log head) and packed as
# compaction packs it (stor_logpack, 65536 records, zstd -19), and
# `sluice import --proto syslog` of the stream.
#
#   perf/logblock_ratio.sh [BUILD_DIR] [RECORDS]
set -eu
B=${1:-build}
N=${2:-200000}
T=$(mktemp -d /tmp/sluice-logratio-XXXXXX)
trap 'rm -rf "$T"' EXIT
ninja -C "$B" sluice perf/bench_logblock >/dev/null
python3 "$(dirname "$0")/gen_syslog.py" "$T/c.log" --count "$N"
raw=$(wc -c <"$T/c.log")
for c in "gzip -6" "zstd -q -9" "zstd -q -19"; do
  # shellcheck disable=SC2086
  z=$($c -c "$T/c.log" | wc -c)
  echo "$c: $z bytes, $(echo "$z $raw" | awk '{printf "%.4f", $1 / $2}') of raw"
done
for blk in 2000 8192; do
  echo "blocks of $blk records:"
  "$B/perf/bench_logblock" --file "$T/c.log" --count "$N" --passes 1 \
    --block "$blk" --layout 1 | grep stored/raw | sed 's/^/  layout 1: /'
  BENCH_PACK=0 "$B/perf/bench_logblock" --file "$T/c.log" --count "$N" \
    --passes 1 --block "$blk" | grep -E 'stored/raw|packed' | sed 's/^/  layout 2: /'
  BENCH_TEMPLATES=1 "$B/perf/bench_logblock" --file "$T/c.log" --count "$N" \
    --passes 1 --block "$blk" --level 3 | grep stored/raw |
    sed 's/^/  layout 2, templates, zstd -3: /'
done
"$B/sluice" import --proto syslog --cores 1 --data-dir "$T/data" "$T/c.log"
