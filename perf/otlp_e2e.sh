#!/usr/bin/env bash
# perf/otlp_e2e.sh RUNS BIN_A BIN_B [BENCH_ARGS...] - OTLP/HTTP end to
# end, two sluice builds side by side: `sluice run --cores 0-0` (one
# shard, pinned to CPU 0, data on disk) takes `sluice bench otlp` from CPU
# 1 (4 connections, 4 s after a 1 s warm-up; BENCH_ARGS added, e.g.
# --gzip --series 1250). Prints items/s acknowledged (durable) and items
# a CPU-second of the sluice process (utime + stime from /proc around the
# measured run). Alternates A and B RUNS times; quote the medians.
set -euo pipefail
runs=$1 A=$2 B=$3; shift 3
port=24318 http=24319
dir=$(mktemp -d /tmp/sluice-otlpe2e-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
send() { nice -n -20 taskset -c 1 "$1" bench otlp --target 127.0.0.1:$port \
  --connections 4 --duration "$2" "${@:3}" 2>&1 || true; }
tck=$(getconf CLK_TCK)
for i in $(seq 1 "$runs"); do
  for tag in A B; do
    bin=$A; [ "$tag" = B ] && bin=$B
    rm -rf "$dir/data"
    nice -n -20 taskset -c 0 "$bin" run --cores 0-0 --data-dir "$dir/data" \
      --statsd-udp off --statsd-tcp off --syslog-udp off --syslog-tcp off \
      --otlp-grpc off --otlp-http 127.0.0.1:$port --http 127.0.0.1:$http \
      >"$dir/log" 2>&1 &
    pid=$!
    sleep 1
    send "$bin" 1 "$@" >/dev/null
    c0=$(cpu $pid)
    out=$(send "$bin" 4 "$@")
    c1=$(cpu $pid)
    kill $pid; wait $pid 2>/dev/null || true
    items=$(echo "$out" | awk '$1 == "items" && $2 == "acknowledged" {print $3; exit}')
    rate=$(echo "$out" | awk '$1 == "items/s" {print $2; exit}')
    errs=$(echo "$out" | awk '$1 == "errors" || $1 == "backpressure" {s = s $1 "=" $2 " "} END {print s}')
    echo "$tag run $i: items/s $rate items/cpu-s $(awk -v n="$items" -v c=$((c1 - c0)) -v t="$tck" 'BEGIN {printf "%.0f", c ? n * t / c : 0}') cpu-s $(awk -v c=$((c1 - c0)) -v t="$tck" 'BEGIN {print c / t}') $errs"
  done
done
