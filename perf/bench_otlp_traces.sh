#!/bin/sh
# perf/bench_otlp_traces.sh - spans/s into one shard from `sluice bench
# otlp --signal traces` (512 spans a request, 2 connections, 3 s a run):
# sluice pinned to CPU 1 (nice -20), the bench to CPU 0, a fresh data
# directory a run; five rounds, alternating.
#   perf/bench_otlp_traces.sh transports SLUICE   HTTP then gRPC, one server
#   perf/bench_otlp_traces.sh ab BASE SLUICE      traces into BASE, traces
#                                                 into SLUICE, logs into SLUICE
# (the bench is always SLUICE's). Prints one line a round; take medians.
set -eu
MODE=$1
shift
BENCH=$(eval echo \${$#})
DIR=$(mktemp -d /tmp/bench-traces.XXXXXX)
trap 'rm -rf "$DIR"' EXIT

# one SERVER SIGNAL TRANSPORT: items/s of one 3 s run
one() {
  rm -rf "$DIR/data"
  nice -n -20 taskset -c 1 "$1" run --cores 1-1 --http 127.0.0.1:19090 \
    --otlp-http 127.0.0.1:14318 --otlp-grpc 127.0.0.1:14317 \
    --data-dir "$DIR/data" > "$DIR/sluice.log" 2>&1 &
  pid=$!
  sleep 2
  port=14318 grpc=
  if [ "$3" = grpc ]; then port=14317 grpc=--grpc; fi
  r=$(taskset -c 0 "$BENCH" bench otlp --signal "$2" \
        --target "127.0.0.1:$port" $grpc --connections 2 --duration 3 |
      awk '/^items\/s/{print $2}')
  kill "$pid"; wait "$pid" || true
  echo "$r"
}

for i in $(seq "${ROUNDS:-5}"); do
  if [ "$MODE" = ab ]; then
    echo "$i A traces $(one "$1" traces http)" \
         "B traces $(one "$2" traces http) B logs $(one "$2" logs http)"
  else
    echo "$i http $(one "$1" traces http) grpc $(one "$1" traces grpc)"
  fi
done
