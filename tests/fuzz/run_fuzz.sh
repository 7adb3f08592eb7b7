#!/usr/bin/env bash
# Run a libFuzzer target for a bounded time on a copy of its seed corpus,
# so the committed corpus is never modified: run_fuzz.sh FUZZER CORPUS_DIR
# FUZZ_SECONDS (30) bounds the run, FUZZ_RSS_LIMIT_MB (2048) its memory:
# past it (or one malloc that large) libFuzzer reports an OOM and fails.
# FUZZ_ASAN_OPTIONS are appended to ASAN_OPTIONS.
set -euo pipefail
fuzzer=$1 corpus=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$corpus"/. "$work"/ 2>/dev/null || true
cd "$work"
if [ -n "${FUZZ_ASAN_OPTIONS:-}" ]; then
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}$FUZZ_ASAN_OPTIONS"
fi
# libFuzzer's own exit code for a finding is 77, which meson reads as a
# skipped test: a crash, leak, OOM or timeout must fail it (exit 1)
exec "$fuzzer" -max_total_time="${FUZZ_SECONDS:-30}" \
  -rss_limit_mb="${FUZZ_RSS_LIMIT_MB:-2048}" -timeout=5 -print_final_stats=1 \
  -error_exitcode=1 -timeout_exitcode=1 \
  "$work"
