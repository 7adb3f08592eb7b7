#!/usr/bin/env bash
# Install Debian 12 packages sluice needs, by purpose:
#   scripts/deps.sh run     build release and run it (scripts/run.sh), with
#                           the clients the README's examples use
#   scripts/deps.sh test    the test suites: Criterion, sanitizers, fuzzing,
#                           real peers and clients (scripts/test.sh installs
#                           run and test)
#   scripts/deps.sh perf    perf/run.sh's plots and CPU pinning
#   scripts/deps.sh dpdk    the DPDK receive back end (libdpdk-dev, large:
#                           ~300 MB with its libraries; skipped, with a
#                           note, on a CPU the Debian build cannot run on);
#                           meson's -Ddpdk=auto builds it when present
#   scripts/deps.sh         all of them
# Several groups may be given. Idempotent: runs apt-get only when a package
# is missing. Needs root (apt-get).
set -euo pipefail

RUN=(
  # build: compiler, meson (its python3 also writes the man page), libraries
  build-essential meson ninja-build pkg-config
  liburing-dev libisal-dev
  # log blocks v2: zstd for the columns (storage/logblock2.c)
  libzstd-dev
  # OTLP/gRPC (HTTP/2), remote-read/write (snappy), https to forward targets
  libnghttp2-dev libsnappy-dev libssl-dev
  # per-shard heaps (core/base/heap.c)
  libmimalloc-dev
  # the README's examples: nc, curl, logger (bsdutils)
  netcat-openbsd curl bsdutils
)
TEST=(
  # unit tests, sanitizers, fuzzing
  libcriterion-dev clang libclang-rt-14-dev llvm cmake
  # integration tests: real clients and tools
  python3 python3-statsd python3-aiodogstatsd netcat-openbsd curl procps
  # syslog senders: rsyslogd (run as its own process) and logger (bsdutils)
  rsyslog bsdutils
  # OTLP: protobuf-c as the decoders' oracle (the OpenTelemetry JS SDK
  # needs Node.js and npm: added below when the machine has none)
  libprotobuf-c-dev protobuf-c-compiler
  # net/gzip.c against bodies gzip'ed as OTLP senders do (zlib)
  zlib1g-dev
  # peers: remote-read client and remote-write targets
  prometheus victoria-metrics
  # test_install.py: systemd-analyze verify, systemd-sysusers, groff
  systemd groff-base
)
DPDK=(
  # net/dpdk.c and the net_pcap / net_af_packet PMDs the tests use
  libdpdk-dev
  # test_dpdk.py: the veth pair and network namespace (ip)
  iproute2
)
PERF=(
  # perf/run.sh plots with gnuplot; taskset is in util-linux
  gnuplot-nox util-linux
  # perf/dpdk_pcap.py counts system calls (perf stat)
  linux-perf
  # perf/bench_otlp gzips OTLP bodies with zlib, as real senders do
  zlib1g-dev
)

groups=("$@")
((${#groups[@]})) || groups=(run test perf dpdk)
pkgs=()
for g in "${groups[@]}"; do
  case "$g" in
    run) pkgs+=("${RUN[@]}") ;;
    test) pkgs+=("${TEST[@]}") ;;
    perf) pkgs+=("${PERF[@]}") ;;
    dpdk)
      # Debian's DPDK is built for x86-64 with SSE4.2 (-march=corei7) or
      # for arm64; elsewhere it cannot run, and sluice builds without it.
      arch=$(dpkg --print-architecture)
      if [[ $arch == arm64 ]] ||
         { [[ $arch == amd64 ]] && grep -qw sse4_2 /proc/cpuinfo; }; then
        pkgs+=("${DPDK[@]}")
      else
        echo "deps: dpdk: this $arch CPU cannot run Debian's DPDK;" \
             "building without it" >&2
      fi ;;
    *) echo "deps.sh: unknown group '$g'; use run, test, perf or dpdk" \
            "(none: all)" >&2
       exit 2 ;;
  esac
done

# Node.js may come from elsewhere than Debian (nodesource's package ships
# npm itself): ask for Debian's only when there is no npm at all.
for g in "${groups[@]}"; do
  [[ $g == test ]] && ! command -v npm >/dev/null && pkgs+=(nodejs npm)
done

missing=()
for p in "${pkgs[@]}"; do
  [[ " ${missing[*]} " == *" $p "* ]] && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
