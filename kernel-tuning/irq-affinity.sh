#!/bin/sh
# kernel-tuning/irq-affinity.sh - map a NIC's RX queues to sluice's shard
# cores one to one: queue k's IRQ -> core k, RPS off when there are enough
# queues (RSS spreads in hardware) or over all shard cores when there are
# fewer queues than shards, XPS tx-k -> core k.
#
# Usage: irq-affinity.sh [--dry-run] [--root DIR] IFACE CORES
#   CORES   the shard cores as given to `sluice run --cores`, e.g. 0-3 or 2,3
#   --dry-run  print what would be written, write nothing
#   --root DIR read and write DIR/proc and DIR/sys (for fixture trees)
# Stop irqbalance first (systemctl disable --now irqbalance), or it moves
# the IRQs back. Check the result with `sluice tune check --iface IFACE`.
set -eu

dry=0
root=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry=1; shift ;;
    --root) root="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    --*) echo "irq-affinity.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -eq 2 ] || { echo "irq-affinity.sh: give IFACE and CORES (see --help)" >&2; exit 2; }
iface="$1"
cores_spec="$2"

# Expand "0-3,8" into "0 1 2 3 8".
expand() {
  echo "$1" | tr ',' '\n' | while IFS=- read -r lo hi; do
    [ -n "$lo" ] || continue
    seq "$lo" "${hi:-$lo}"
  done | tr '\n' ' '
}
cores=$(expand "$cores_spec")
ncores=$(echo $cores | wc -w)
[ "$ncores" -gt 0 ] || { echo "irq-affinity.sh: bad CORES '$cores_spec'" >&2; exit 2; }
qdir="$root/sys/class/net/$iface/queues"
[ -d "$qdir" ] || { echo "irq-affinity.sh: no $qdir: is $iface a NIC?" >&2; exit 1; }

put() { # put VALUE FILE
  if [ "$dry" -eq 1 ]; then echo "would write $1 > $2"; else echo "$1" > "$2" && echo "wrote $1 > $2"; fi
}
core_of() { # core_of K: the K-th shard core (wrapping)
  echo $cores | tr ' ' '\n' | sed -n "$(( $1 % ncores + 1 ))p"
}
mask_of() { # hex mask of a core list
  m=0; for c in $1; do m=$(( m | (1 << c) )); done; printf '%x' "$m"
}

nrx=$(ls -d "$qdir"/rx-* 2>/dev/null | wc -l)
[ "$nrx" -eq "$ncores" ] || echo "note: $iface has $nrx RX queues for $ncores shard cores; one to one wants 'ethtool -L $iface combined $ncores'" >&2

# IRQs named IFACE-...-K in /proc/interrupts (mlx5 and others name them
# differently: use their own set_irq_affinity scripts).
grep -E "[[:space:]]$iface-[^[:space:]]*[0-9]+\$" "$root/proc/interrupts" | while read -r irq rest; do
  irq=${irq%:}
  name=${rest##* }
  q=$(echo "$name" | sed -E 's/.*[^0-9]([0-9]+)$/\1/')
  put "$(core_of "$q")" "$root/proc/irq/$irq/smp_affinity_list"
done

if [ "$nrx" -ge "$ncores" ]; then rps=0; else rps=$(mask_of "$cores"); fi
for d in "$qdir"/rx-*; do
  [ -f "$d/rps_cpus" ] && put "$rps" "$d/rps_cpus"
done
for d in "$qdir"/tx-*; do
  k=${d##*tx-}
  [ -f "$d/xps_cpus" ] && put "$(mask_of "$(core_of "$k")")" "$d/xps_cpus"
done
exit 0
