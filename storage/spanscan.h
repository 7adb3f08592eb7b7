/*
 * storage/spanscan.h - the span scan: the spans of a time window, or of
 * one trace, over every segment of a data directory (query port).
 * Blocking file I/O: never on a shard thread. Segments are read as
 * storage/reader.h says: a block that fails a check ends its segment,
 * counted, never an error.
 */
#ifndef SLUICE_STORAGE_SPANSCAN_H
#define SLUICE_STORAGE_SPANSCAN_H

#include "storage/reader_types.h"
#include "storage/spanscan_types.h"

/*
 * Visit every span of every shard of q->data_dir whose start time is in
 * [start_ns, end_ns] (and whose trace id is q->trace_id when set): shards
 * by id, segments by seq, blocks in file order, spans in block order.
 * Span blocks whose header range misses the window, or whose trace table
 * lacks q->trace_id (only that table is read), are not inflated (counted
 * in blocks_skipped); other kinds are passed over. A block is decoded to
 * its end before any of its spans is served: one that fails a check ends
 * its segment and serves nothing. One span decoder (stor_spandec) is
 * allocated per call. Counters go to st (spans: spans handed to q->fn).
 * With q->newest_first and q->floor, a caller that wants the newest spans
 * stops inflating early, as the log scan's caller does.
 * Returns 0 (a missing data_dir is empty), fn's negative return, -ETIME
 * past q->deadline_ms, -ENOMEM, or -errno.
 */
int stor_spanscan_run(const struct stor_spanscan *q,
                      struct stor_scan_stats *st);

#endif
