#!/usr/bin/env bash
# Run a libFuzzer target for a bounded time on a copy of its seed corpus,
# so the committed corpus is never modified: run_fuzz.sh FUZZER CORPUS_DIR
set -euo pipefail
fuzzer=$1 corpus=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$corpus"/. "$work"/ 2>/dev/null || true
cd "$work"
exec "$fuzzer" -max_total_time="${FUZZ_SECONDS:-30}" -rss_limit_mb=2048 \
  -timeout=5 -print_final_stats=1 "$work"
