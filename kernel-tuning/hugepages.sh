#!/bin/sh
# kernel-tuning/hugepages.sh - reserve 2 MiB hugepages for sluice's DPDK
# receive path and mount hugetlbfs.
#
# Usage: hugepages.sh [--dry-run] [PAGES] [NODE]
#   PAGES  2 MiB pages to reserve (default 1024 = 2 GiB: mbuf pools of
#          every shard's RX queue; see README)
#   NODE   NUMA node of the NIC (default: all nodes, via the global knob)
# Persistent alternative: kernel command line
#   default_hugepagesz=2M hugepagesz=2M hugepages=1024
# The kernel path (io_uring, the default) needs no hugepages.
set -eu
dry=0
[ "${1:-}" = "--dry-run" ] && { dry=1; shift; }
case "${1:-}" in -h|--help) sed -n '2,12p' "$0"; exit 0 ;; esac
pages="${1:-1024}"
node="${2:-}"
mnt=/dev/hugepages

run() { if [ "$dry" -eq 1 ]; then echo "would run: $*"; else echo "+ $*"; "$@"; fi; }
put() { if [ "$dry" -eq 1 ]; then echo "would write $1 > $2"; else echo "$1" > "$2" && echo "wrote $1 > $2"; fi; }

if [ -n "$node" ]; then
  put "$pages" "/sys/devices/system/node/node$node/hugepages/hugepages-2048kB/nr_hugepages"
else
  put "$pages" /proc/sys/vm/nr_hugepages
fi
if ! grep -qs " $mnt hugetlbfs " /proc/mounts; then
  run mkdir -p "$mnt"
  run mount -t hugetlbfs -o pagesize=2M nodev "$mnt"
fi
[ "$dry" -eq 1 ] || grep -E 'HugePages_(Total|Free)' /proc/meminfo
