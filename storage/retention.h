/*
 * storage/retention.h - deleting whole segments by age and by disk bound.
 *
 * Runs on the main thread (never a shard): it lists and unlinks files.
 * A shard's active segment (the one being written) is never deleted.
 */
#ifndef SLUICE_STORAGE_RETENTION_H
#define SLUICE_STORAGE_RETENTION_H

#include <stdint.h>

struct stor_retention_stats {
  uint64_t deleted_segments;   /* counters, totals since start */
  uint64_t deleted_bytes;
  uint64_t deleted_by_age;
  uint64_t deleted_by_size;
  uint64_t disk_bytes;         /* gauge: bytes of segments after the run */
  uint64_t segments;           /* gauge: segments after the run */
};

/*
 * One pass over <data_dir>/shard-*: delete segments whose last change is
 * older than retention_ms (0: no age bound), then the oldest ones while
 * the total exceeds disk_bytes_max (0: no bound).
 *   active[k]  seq of shard k's active segment for k < shard_count
 *              (read atomically; 0 = none).
 * Counters in st are added to. Returns 0 or -errno if data_dir is
 * unreadable.
 */
int stor_retention_run(const char *data_dir, unsigned shard_count,
                       const uint64_t *const *active, uint64_t retention_ms,
                       uint64_t disk_bytes_max, int64_t now_ms,
                       struct stor_retention_stats *st);

struct core_strbuf;

/*
 * Append st as Prometheus text (sluice_retention_*, sluice_storage_disk_bytes,
 * sluice_storage_segments), read with relaxed atomic loads since the main
 * thread writes st while the query thread renders it.
 */
void stor_retention_render(const struct stor_retention_stats *st,
                           struct core_strbuf *out);

#endif
