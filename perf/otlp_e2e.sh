#!/usr/bin/env bash
# perf/otlp_e2e.sh RUNS BIN_A BIN_B [BENCH_ARGS...] - OTLP/HTTP end to
# end, two sluice builds side by side: `sluice run --cores 0-0` (one
# shard, pinned to CPU 0, data on disk) takes `sluice bench otlp` from CPU
# 1 (4 connections, 4 s after a 1 s warm-up; BENCH_ARGS added, e.g.
# --gzip --series 1250). Prints items/s acknowledged (durable), items a
# CPU-second of the sluice process (utime + stime from /proc around the
# measured run: the shard thread, and the io_uring workers that write and
# fsync for it) and of the shard thread alone (the busiest thread), and
# per request: the shard thread's sleeps (voluntary context switches) and
# preemptions (involuntary: mostly by the io-wq workers, which run on the
# shard's CPU), blocks written and fdatasyncs (from /metrics); and the
# reply latency's p50 and p99 that the bench prints.
# Alternates A and B RUNS times; quote the medians.
set -euo pipefail
runs=$1 A=$2 B=$3; shift 3
port=24318 http=24319
dir=$(mktemp -d /tmp/sluice-otlpe2e-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
threads() { for t in /proc/$1/task/*; do
  echo "${t##*/} $(awk '{print $14 + $15}' "$t/stat") $(awk \
    '/^voluntary/ {v = $2} /^nonvoluntary/ {n = $2} END {print v, n}' \
    "$t/status")"; done; }
# blocks written and fdatasyncs so far (every shard)
stor() { curl -s "127.0.0.1:$http/metrics" | awk '
  $1 ~ /^sluice_storage_blocks_written_total/ {b += $2}
  $1 ~ /^sluice_storage_fsyncs_total/ {f += $2} END {print b + 0, f + 0}'; }
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
    s0=$(stor)
    c0=$(cpu $pid)
    t0=$(threads $pid)
    out=$(send "$bin" 4 "$@")
    c1=$(cpu $pid)
    t1=$(threads $pid)
    s1=$(stor)
    # the busiest thread's CPU ticks, sleeps and preemptions
    read -r shard vol invol < <(printf '%s\n%s\n' "$t0" "$t1" | awk '
      {if ($1 in a) {d = $2 - a[$1]; if (d > m) {m = d; v = $3 - b[$1]; n = $4 - c[$1]}}
       else {a[$1] = $2; b[$1] = $3; c[$1] = $4}} END {print m + 0, v + 0, n + 0}')
    kill $pid; wait $pid 2>/dev/null || true
    items=$(echo "$out" | awk '$1 == "items" && $2 == "acknowledged" {print $3; exit}')
    rate=$(echo "$out" | awk '$1 == "items/s" {print $2; exit}')
    errs=$(echo "$out" | awk '$1 == "errors" || $1 == "backpressure" {s = s $1 "=" $2 " "} END {print s}')
    per() { awk -v n="$items" -v c="$1" -v t="$tck" 'BEGIN {printf "%.0f", c ? n * t / c : 0}'; }
    reqs=$(echo "$out" | awk '$1 == "requests" {print $2; exit}')
    lat=$(echo "$out" | awk '$1 == "latency" && ($2 == "p50" || $2 == "p99") {s = s $2 "-ms " $4 " "} END {print s}')
    perreq=$(printf '%s %s\n' "$s0" "$s1" | awk -v r="$reqs" -v v="$vol" \
      -v n="$invol" 'BEGIN {r = r ? r : 1} {printf "sleeps/req %.2f preempt/req %.2f blocks/req %.2f fsyncs/req %.2f", v / r, n / r, ($3 - $1) / r, ($4 - $2) / r}')
    echo "$tag run $i: items/s $rate items/cpu-s $(per $((c1 - c0))) items/shard-cpu-s $(per "$shard") cpu-s $(awk -v c=$((c1 - c0)) -v t="$tck" 'BEGIN {print c / t}') $lat$perreq $errs"
  done
done
