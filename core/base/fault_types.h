/*
 * core/base/fault_types.h - built-in fault injection, for tests.
 *
 * Set by the environment variable SLUICE_FAULT at start-up, e.g.
 *   SLUICE_FAULT="write_eio=3,write_enospc=0,write_short=5,fsync_eio=0"
 * makes every 3rd segment write complete with -EIO and every 5th one short.
 * 0 (or absent) disables a fault. Read-only once shards run.
 */
#ifndef SLUICE_CORE_BASE_FAULT_TYPES_H
#define SLUICE_CORE_BASE_FAULT_TYPES_H

#include <stdint.h>

struct core_fault {
  uint32_t write_eio;     /* every Nth block write fails with -EIO */
  uint32_t write_enospc;  /* every Nth block write fails with -ENOSPC */
  uint32_t write_short;   /* every Nth block write is cut in half */
  uint32_t fsync_eio;     /* every Nth fsync fails with -EIO */
  uint32_t heap_fail;     /* every Nth allocation from a shard's heap is
                             refused (core/base/heap.h) */
  uint32_t compact_crash; /* a compaction pass dies (SIGKILL) at step N
                             (storage/compact.c: 1 temp half written,
                             2 before the rename, 3 after it, 4 after the
                             first original deleted, 5 after the last) */
};

#endif
