#!/usr/bin/env bash
# Install what sluice needs to build, test and benchmark on Debian 12.
# Idempotent: runs apt-get only when a package is missing.
set -euo pipefail

PKGS=(
  # build
  build-essential meson ninja-build pkg-config cmake
  liburing-dev libisal-dev
  # tests: unit, sanitizers, fuzzing
  libcriterion-dev clang libclang-rt-14-dev llvm
  # integration tests: real clients and tools
  python3 python3-statsd python3-aiodogstatsd netcat-openbsd curl procps
  # syslog senders: rsyslogd (run as its own process) and logger (bsdutils)
  rsyslog bsdutils
  # perf only: perf/run.sh plots with gnuplot; taskset is in util-linux
  gnuplot-nox util-linux
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
