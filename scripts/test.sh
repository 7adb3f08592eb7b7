#!/usr/bin/env bash
# Install dependencies, build, and run the whole test suite:
#   1. release build: unit (fast, slow) and integration suites
#   2. ASan+UBSan debug build: the same suites
#   3. clang libFuzzer build: every fuzz target for a bounded time, two
#      at a time (each target is one process for FUZZ_SECONDS)
# Prints one closing line "N passed, N failed, N skipped" over all three and
# exits non-zero when any test failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh run test dpdk || exit 1

status=0
logs=()

suite() { # name builddir setup-args... -- meson-test-args (--num-processes)
  local name=$1 dir=$2; shift 2
  local setup=() rest=()
  while (($#)) && [ "$1" != "--" ]; do setup+=("$1"); shift; done
  shift; rest=("$@")
  echo "=== $name ($dir) ==="
  if [ ! -d "$dir" ]; then
    meson setup "$dir" "${setup[@]}" >/dev/null || { status=1; return; }
  fi
  ninja -C "$dir" || { echo "build failed: $dir"; status=1; return; }
  meson test -C "$dir" --print-errorlogs "${rest[@]}" ||
    status=1
  logs+=("$dir/meson-logs/testlog.json")
}

suite release build-test --buildtype=release -- \
  --num-processes 1 --suite fast --suite slow --suite integration
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
suite asan build-asan --buildtype=debug -Db_sanitize=address,undefined \
  -Db_lundef=false -- --num-processes 1 --suite fast --suite slow \
  --suite integration
export CC=clang
suite fuzz build-fuzz --buildtype=debug -Dfuzz=true -Dtests=false \
  -- --num-processes 2 --suite fuzz

/usr/bin/python3 - "${logs[@]}" <<'PY'
import json, sys
p = f = s = 0
for path in sys.argv[1:]:
    try:
        for line in open(path):
            r = json.loads(line)["result"]
            if r in ("OK", "EXPECTEDFAIL"): p += 1
            elif r == "SKIP": s += 1
            else: f += 1
    except OSError:
        f += 1
print(f"{p} passed, {f} failed, {s} skipped")
PY
exit $status
