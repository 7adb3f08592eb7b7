#!/usr/bin/env bash
# Install dependencies, build release, and start `sluice run` with defaults
# (extra arguments are passed to `sluice run`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
[ -d build ] || meson setup build --buildtype=release >/dev/null
ninja -C build sluice
exec ./build/sluice run "$@"
