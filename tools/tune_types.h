/*
 * tools/tune_types.h - what `sluice tune check` found and recommends.
 */
#ifndef SLUICE_TOOLS_TUNE_TYPES_H
#define SLUICE_TOOLS_TUNE_TYPES_H

#include "core/base/limits.h"

enum tools_tune_kind {
  TOOLS_TUNE_SYSCTL = 0,   /* /proc/sys: `tune apply` writes these */
  TOOLS_TUNE_RPS,          /* /sys/class/net/IF/queues/rx-N/rps_cpus */
  TOOLS_TUNE_IRQ,          /* /proc/irq/N/smp_affinity_list */
  TOOLS_TUNE_GOVERNOR,     /* cpufreq scaling_governor */
  TOOLS_TUNE_QUEUES,       /* NIC RX queues vs shard cores (ethtool -L) */
  TOOLS_TUNE_DPDK,         /* --dpdk: hugepages, vfio/uio, a NIC bound */
};

enum tools_tune_status {
  TOOLS_TUNE_OK = 0,
  TOOLS_TUNE_CHANGE,       /* current differs from the recommendation */
  TOOLS_TUNE_ABSENT,       /* this kernel or box has no such setting */
};

struct tools_tune_row {
  enum tools_tune_kind kind;
  enum tools_tune_status status;
  char setting[96];        /* "net.core.rmem_max", "eth0 rx-0 rps_cpus" */
  char path[192];          /* relative to the root, "" when not a file */
  char current[TOOLS_TUNE_VALUE_BYTES_MAX];
  char recommended[TOOLS_TUNE_VALUE_BYTES_MAX];
  const char *why;
};

struct tools_tune_report {
  unsigned count;
  unsigned changes;        /* rows with TOOLS_TUNE_CHANGE */
  unsigned truncated;      /* rows that did not fit */
  struct tools_tune_row rows[TOOLS_TUNE_ROWS_MAX];
};

struct tools_tune_opts {
  const char *root;        /* "" for the live system, else a fixture tree */
  const char *iface;       /* NULL: every NIC with a device link */
  int cores[CORE_SHARDS_MAX]; /* shard cores, in shard order */
  unsigned core_count;     /* 0: the root's online CPUs */
  int dpdk;                /* --dpdk: check what `run --dpdk` needs */
};

#endif
