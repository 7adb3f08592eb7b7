#!/bin/sh
# perf/syslog_vs_rsyslog.sh - syslog over loopback TCP into one core:
# sluice (parse, log blocks with igzip, segment writes, grouped fdatasync)
# against rsyslogd from Debian (imtcp -> omfile, plain text, no fsync: the
# least it can do with a message). Each server is pinned to CPU 0, the
# sender (`sluice bench syslog --tcp --rate max`) to CPU 1. A run's rate is
# messages sent / time from the sender's start until the server has taken
# the last one (sluice: sluice_logs_ingested_total; rsyslog: lines in its
# output file), polled every 50 ms. Runs alternate; prints each and the
# medians.
#
#   perf/syslog_vs_rsyslog.sh [BUILD_DIR] [SECONDS] [RUNS]
set -eu
B=${1:-build}
SECS=${2:-5}
RUNS=${3:-3}
T=$(mktemp -d /tmp/sluice-vs-rsyslog-XXXXXX)
SPORT=16514
HPORT=19401
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; rm -rf "$T"; }
trap cleanup EXIT
command -v rsyslogd >/dev/null || { echo "rsyslogd missing: apt-get install rsyslog"; exit 1; }
ninja -C "$B" sluice >/dev/null

now() { date +%s.%N; }
ingested() {
  curl -s "http://127.0.0.1:$HPORT/metrics" |
    awk '/^sluice_logs_ingested_total/ {s += $2} END {print s + 0}'
}
# wait_until CMD WANT: poll CMD until it prints WANT (at most 120 s)
wait_until() {
  i=0
  while [ "$($1)" -lt "$2" ] && [ $i -lt 2400 ]; do sleep 0.05; i=$((i + 1)); done
}
send() {
  taskset -c 1 "$B/sluice" bench syslog --tcp --target "127.0.0.1:$SPORT" \
    --rate max --duration "$SECS" | awk '/^lines sent/ {print $3}'
}
rs_lines() { wc -l <"$T/rs.out"; }

one_sluice() {
  rm -rf "$T/data"
  taskset -c 0 "$B/sluice" run --cores 1 --statsd-udp off --statsd-tcp off \
    --syslog-udp off --syslog-tcp "127.0.0.1:$SPORT" \
    --http "127.0.0.1:$HPORT" --data-dir "$T/data" >"$T/sluice.log" 2>&1 &
  p=$!; pids="$pids $p"; sleep 0.5
  t0=$(now); n=$(send); wait_until ingested "$n"; t1=$(now)
  curl -s -X POST "http://127.0.0.1:$HPORT/api/v1/flush" >/dev/null
  kill "$p"; wait "$p" 2>/dev/null || true
  echo "sluice  $n $(echo "$n $t0 $t1" | awk '{printf "%.0f", $1 / ($3 - $2)}')"
}

one_rsyslog() {
  rm -rf "$T/rs.out" "$T/work"; mkdir -p "$T/work"
  cat >"$T/rs.conf" <<CONF
global(workDirectory="$T/work")
module(load="imtcp" MaxSessions="100")
input(type="imtcp" port="$SPORT")
action(type="omfile" file="$T/rs.out" template="RSYSLOG_FileFormat")
CONF
  : >"$T/rs.out"
  taskset -c 0 rsyslogd -n -f "$T/rs.conf" -i "$T/rs.pid" >"$T/rs.log" 2>&1 &
  p=$!; pids="$pids $p"; sleep 1
  t0=$(now); n=$(send); wait_until rs_lines "$n"; t1=$(now)
  kill "$p"; wait "$p" 2>/dev/null || true
  echo "rsyslog $n $(echo "$n $t0 $t1" | awk '{printf "%.0f", $1 / ($3 - $2)}')"
}

: >"$T/runs"
for r in $(seq "$RUNS"); do
  one_sluice | tee -a "$T/runs"
  one_rsyslog | tee -a "$T/runs"
done
med() { awk -v k="$1" '$1 == k {print $3}' "$T/runs" | sort -n |
  awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
s=$(med sluice); r=$(med rsyslog)
echo "median messages/s: sluice $s, rsyslog $r, ratio $(echo "$s $r" | awk '{printf "%.2f", $1 / $2}')x"
