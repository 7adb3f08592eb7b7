#!/usr/bin/env bash
# Install what building and running needs (scripts/deps.sh run), build
# release into ./build, and run ./build/sluice run with defaults in the
# foreground (extra arguments are passed to `sluice run`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh run
[ -d build ] || meson setup build --buildtype=release >/dev/null
ninja -C build sluice
exec ./build/sluice run "$@"
