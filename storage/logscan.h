/*
 * storage/logscan.h - the log scan: the log records of a time window over
 * every segment of a data directory (query port). Blocking file I/O: never
 * on a shard thread. Segments are read as storage/reader.h says: a block
 * that fails a check ends its segment, counted, never an error.
 */
#ifndef SLUICE_STORAGE_LOGSCAN_H
#define SLUICE_STORAGE_LOGSCAN_H

#include "storage/logscan_types.h"
#include "storage/reader_types.h"

/*
 * Visit every log record of every shard of q->data_dir whose time is in
 * [start_ns, end_ns]: shards by id, segments by seq, blocks in file order,
 * records in block order. Log blocks whose header range misses the window
 * are not inflated (counted in blocks_skipped); metric blocks are passed
 * over. A block that fails a check ends its segment and none of its
 * records is served. One log decoder scratch (stor_logdec) is allocated
 * per call. Counters go to st (records: records handed to q->fn).
 * With q->newest_first, segments go by descending seq and a segment's log
 * blocks from its last to its first (headers are read forward first, up
 * to the first bad one); a block that then fails its CRC or decode is
 * counted bad and passed over, and the older blocks are still read. With
 * q->floor, records and whole blocks older than the floor are passed over
 * (blocks counted in blocks_skipped): together they let a caller that
 * wants the newest records stop inflating early.
 * Returns 0 (a missing data_dir is empty), fn's negative return, -ETIME
 * past q->deadline_ms, -ENOMEM, or -errno.
 */
int stor_logscan_run(const struct stor_logscan *q, struct stor_scan_stats *st);

#endif
