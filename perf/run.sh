#!/usr/bin/env bash
# perf/run.sh - sluice's benchmark suite, one entry point.
#
#   perf/run.sh [--quick] [--statsite PATH] [--tuning | --tuning-only]
#               [--runs N]
#
# 1. builds release in build-perf/ (meson, -O3 via buildtype=release);
# 2. parser benchmarks: perf/bench_statsd_parse and perf/bench_simd;
# 3. `sluice import` of a fleet-like file (bench's own workload, caught
#    from `sluice bench --tcp` by perf/ramp.py dump), --no-store and store;
# 4. loopback ramp: `sluice run --cores 1` pinned to CPU 1, `sluice bench`
#    pinned to CPU 0, offered rates 0.25M .. 8M lines/s and max, 2 s a
#    step, loss from /metrics; the highest rate with loss <= 0.1 % for
#    1400-byte and 8 KiB datagrams, 3 runs, medians;
# 5. with --statsite PATH, the same ramp against that statsite binary (a
#    peer StatsD server, built by you outside this repository) and sluice
#    on the same untagged workload, in the same runs: the ratio;
# 6. with --tuning (root; changes sysctls and restores them): the ramp with
#    net.core.rmem_max, netdev_max_backlog and busy_poll each at the Linux
#    default and at kernel-tuning/10-sluice.conf's value (1 s steps);
#    --tuning-only does only this, and writes only the README table.
#
# Writes the "Loopback ramp" and "Peers" sections of perf/RESULTS.md,
# perf/loopback-<size>.png and, with --tuning, the measurements table of
# kernel-tuning/README.md. --quick (1 run, fewer steps, 1 s each, smaller
# files) writes them under build-perf/results/ instead and takes about
# 2 minutes; the full run about 9 minutes on a 2-core box (add about 10 for
# --tuning). Raw outputs: build-perf/results/.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0 tuning=0 only=0 statsite="" runs=3
while (($#)); do
  case $1 in
    --quick) quick=1 ;;
    --tuning) tuning=1 ;;
    --tuning-only) tuning=1 only=1 ;;
    --statsite) statsite=$(realpath "$2"); shift ;;
    --runs) runs=$2; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "perf/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

py=/usr/bin/python3
build=build-perf
res=$build/results
out_md=perf/RESULTS.md plots=perf readme=kernel-tuning/README.md
rates=250k,1M,1.5M,2M,2.5M,3M,4M,5M,6M,8M,max duration=2 mb=64 passes=7
lines=2000000 trates=250k,500k,1M,2M,2.5M,3M,4M,6M,max
if ((quick)); then
  runs=1 rates=250k,1M,2M,4M,max duration=1 mb=16 passes=3 lines=300000
  trates=1M,2M,4M,max
  out_md=$res/RESULTS.md plots=$res readme=$res/README.md
fi
command -v gnuplot >/dev/null || { echo "perf/run.sh: needs gnuplot (scripts/deps.sh)" >&2; exit 1; }
if ((tuning)) && [ "$(id -u)" != 0 ]; then
  echo "perf/run.sh: --tuning writes sysctls: run as root" >&2; exit 1
fi
if [ -n "$statsite" ] && [ ! -x "$statsite" ]; then
  echo "perf/run.sh: --statsite $statsite is not an executable" >&2; exit 1
fi

echo "== build (release, $build)"
[ -d $build ] || meson setup $build --buildtype=release -Dtests=false >/dev/null
ninja -C $build sluice perf/bench_statsd_parse >/dev/null
ninja -C $build perf/bench_simd >/dev/null 2>&1 || echo "   (bench_simd not built: skipped)"
((only)) || rm -rf $res
mkdir -p $res
sluice=$build/sluice
if ((quick)); then
  cp perf/RESULTS.md "$out_md"
  cp kernel-tuning/README.md "$readme"
fi
if ((only)); then
  echo "== kernel tuning only (sysctls restored afterwards)"
  $py perf/ramp.py tuning --sluice $sluice --runs "$runs" --rates $trates \
    --duration 1 --out $res/tuning.json
  $py perf/ramp.py report --tuning $res/tuning.json --readme "$readme"
  echo "== wrote $readme"
  exit 0
fi
rec() { echo "$*" >> $res/commands.txt; "$@"; }  # run, and note the command

echo "== parser benchmarks"
rec taskset -c 1 $build/perf/bench_statsd_parse --mb $mb --passes $passes | tee $res/parse.txt
if [ -x $build/perf/bench_simd ]; then
  rec taskset -c 1 $build/perf/bench_simd $mb > $res/simd.txt
  grep -E '^(bench_simd|\| (level|avx512|scalar) )' $res/simd.txt || true
fi

echo "== import ($lines fleet-like lines)"
rec $py perf/ramp.py dump --sluice $sluice --lines $lines --out $res/fleet.statsd | tee $res/fleet.txt
for i in $(seq "$runs"); do
  rec taskset -c 1 $sluice import --proto statsd --cores 1 --no-store \
    $res/fleet.statsd | tee -a $res/import-nostore.txt
  rm -rf $res/import-data
  rec taskset -c 1 $sluice import --proto statsd --cores 1 \
    --data-dir $res/import-data $res/fleet.statsd | tee -a $res/import-store.txt
done
rm -rf $res/import-data

echo "== loopback ramp"
peer=()
[ -n "$statsite" ] && peer=(--statsite "$statsite")
$py perf/ramp.py ramp --sluice $sluice "${peer[@]}" --runs "$runs" \
  --rates $rates --duration $duration --out $res/ramp.json

report=(--ramp $res/ramp.json --extra $res --results "$out_md" --plots "$plots")
if ((tuning)); then
  echo "== kernel tuning (sysctls restored afterwards)"
  $py perf/ramp.py tuning --sluice $sluice --runs "$runs" --rates $trates \
    --duration 1 --out $res/tuning.json
  report+=(--tuning $res/tuning.json --readme "$readme")
fi
rm -f $res/fleet.statsd
$py perf/ramp.py report "${report[@]}"
echo "== wrote $out_md and $plots/loopback-*.png"; ((tuning)) && echo "== wrote $readme"; true
