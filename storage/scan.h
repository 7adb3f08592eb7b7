/*
 * storage/scan.h - the metric scan: series and points of a time range over
 * every segment of a data directory (query port). Blocking file I/O: never
 * on a shard thread. Segments are read as storage/reader.h says: a block
 * that fails a check ends its segment, counted, never an error.
 */
#ifndef SLUICE_STORAGE_SCAN_H
#define SLUICE_STORAGE_SCAN_H

#include "storage/reader_types.h"
#include "storage/scan_types.h"

/*
 * Scan every segment of every shard of q->data_dir in order (shards by id,
 * segments by seq, blocks from the first). Log blocks are passed over.
 * With q->points: q->series is called for every dictionary entry read (a
 * block outside the range is not decoded but its dictionary still is); a
 * block that fails a check is never served, its points not even in part.
 * Without q->points (series only): q->series is called for the dictionary
 * entries of the segments that have a block overlapping the range, which
 * is the segment-level answer Prometheus gives at block level for
 * /api/v1/series and labels; no points are decoded.
 * A compacted segment (storage/compact.h) answers per series, in both
 * modes: q->series is called for the series with a run overlapping the
 * range, and only the data blocks of wanted runs are read; q->expect, when
 * set, hears how many points of a wanted series its runs hold first, and
 * q->room, when set, may give the room each run is decoded into. Segments that a
 * compacted segment replaces (an interrupted pass's leftovers) are skipped.
 * Counters go to st. Returns 0 (a missing data_dir is empty), a callback's
 * negative return, -ETIME past q->deadline_ms, -ENOMEM, or -errno when a
 * directory cannot be read.
 */
int stor_scan_run(const struct stor_scan *q, struct stor_scan_stats *st);

#endif
