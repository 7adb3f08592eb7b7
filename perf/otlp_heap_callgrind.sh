#!/bin/bash
# usage: perf/otlp_heap_callgrind.sh SLUICE TAG MODE
#   MODE: http, grpc (sluice bench otlp for 5 s) or idle (no traffic)
# Runs `SLUICE run --cores 1` under callgrind and prints the busiest
# thread's (the shard's) instructions per acknowledged item: the figure of
# perf/RESULTS.md, "Per-shard heaps". BENCH=path picks the bench client
# (default: SLUICE itself). Ports 3xxxx on 127.0.0.1 must be free.
set -u
B=$1 T=$2 M=$3 BENCH=${BENCH:-$1}
D=$(mktemp -d)
valgrind --tool=callgrind --separate-threads=yes \
  --callgrind-out-file="$D/cg.out" "$B" run --cores 1 \
  --statsd-udp 127.0.0.1:38125 --statsd-tcp 127.0.0.1:38125 \
  --syslog-udp 127.0.0.1:35514 --syslog-tcp 127.0.0.1:35514 \
  --http 127.0.0.1:39400 --otlp-http 127.0.0.1:34318 \
  --otlp-grpc 127.0.0.1:34317 --data-dir "$D/d" > "$D/log" 2>&1 &
P=$!
for _ in $(seq 300); do
  curl -sf 127.0.0.1:39400/-/ready > /dev/null && break
  sleep 0.2
done
args=(--target 127.0.0.1:34318)
[ "$M" = grpc ] && args=(--grpc --target 127.0.0.1:34317)
if [ "$M" = idle ]; then
  sleep 5
  items=1
else
  "$BENCH" bench otlp "${args[@]}" --duration 5 --items 1000 \
    --series 10000 --requests 16 --connections 1 > "$D/bench.txt" 2>&1
  items=$(awk '/^items acknowledged/{print $3}' "$D/bench.txt")
fi
kill "$P"
wait "$P" 2> /dev/null
best=0
for f in "$D"/cg.out-*; do
  ir=$(grep -m1 '^summary:' "$f" | awk '{print $2}')
  [ -n "$ir" ] && [ "$ir" -gt "$best" ] && best=$ir
done
echo "$T $M items $items shard_Ir $best Ir/item $((best / items))"
rm -rf "$D"
