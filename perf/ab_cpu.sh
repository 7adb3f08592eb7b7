#!/usr/bin/env bash
# perf/ab_cpu.sh RUNS SIZE RATE BIN_A BIN_B - two sluice builds side by
# side over UDP loopback: the CPU time `sluice run --cores 1` (pinned to
# CPU 1) spends per received line at a loss-free RATE (lines/s) of
# SIZE-byte datagrams from `sluice bench` (CPU 0, bench's fleet mix, 4
# tags): 2 s warm-up, then 4 s measured (utime + stime of the process from
# /proc). Alternates A and B RUNS times; quote the medians. Less noisy than
# the loss threshold of a ramp on a shared VM.
set -euo pipefail
runs=$1 size=$2 rate=$3 A=$4 B=$5
port=18125 http=19400
dir=$(mktemp -d /tmp/sluice-ab-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
send() { taskset -c 0 "$1" bench statsd --target 127.0.0.1:$port --rate "$rate" \
  --duration "$2" --cpus 0 --datagram-bytes "$size" --tags 4 \
  --check http://127.0.0.1:$http/metrics 2>&1; }
for i in $(seq 1 "$runs"); do
  for tag in A B; do
    bin=$A; [ "$tag" = B ] && bin=$B
    rm -rf "$dir/data"
    taskset -c 1 "$bin" run --cores 1 --statsd-udp 127.0.0.1:$port \
      --statsd-tcp off --syslog-udp off --syslog-tcp off \
      --http 127.0.0.1:$http --data-dir "$dir/data" >"$dir/log" 2>&1 &
    pid=$!
    sleep 1
    send "$bin" 2 >/dev/null
    c0=$(cpu $pid)
    out=$(send "$bin" 4)
    c1=$(cpu $pid)
    kill $pid; wait $pid 2>/dev/null || true
    rx=$(echo "$out" | awk '/^received/ {print $2}')
    loss=$(echo "$out" | awk '/^loss %/ {print $3}')
    tick_ns=$((1000000000 / $(getconf CLK_TCK)))
    echo "$tag run $i: $(( (c1 - c0) * tick_ns / rx )) ns of CPU a line, received $rx, loss $loss %"
  done
done
