/*
 * storage/compact.h - compaction of a shard directory's sealed metric
 * segments into compacted segments (kind 4, format in
 * storage/compact_types.h), and reading them. Blocking file I/O and
 * allocation: offline (`sluice compact`, the end of `sluice import`) and
 * query threads only, never a shard.
 *
 * Crash safety. A pass takes a run of consecutive original segments
 * lo..hi, writes their points series-major to a temporary file
 * (<hi>.seg.tmp, not a segment name), fsyncs it, renames it over hi.seg,
 * fsyncs the directory, then deletes lo..hi-1 and fsyncs again. The
 * compacted segment's directory records lo and hi; a segment with a seq in
 * [lo, hi) beside it is a leftover that every reader skips
 * (stor_cseg_superseded) and that recovery and the next pass delete
 * (stor_compact_cleanup). So at every moment each point is served from
 * exactly one file: before the rename from the originals, after it from
 * the compacted segment.
 */
#ifndef SLUICE_STORAGE_COMPACT_H
#define SLUICE_STORAGE_COMPACT_H

#include <stdint.h>
#include <stdio.h>

#include "storage/compact_types.h"

/*
 * Compact the sealed segments of the shard directory dir_fd (named path
 * for messages on log, which may be NULL): first stor_compact_cleanup,
 * then passes over runs of original metric segments (a segment with log
 * blocks or a bad block is left as it is), each within points_max points
 * (0: STOR_COMPACT_POINTS_MAX, also its upper bound; the pass's memory is
 * about 24 bytes a point) and the bounds STOR_COMPACT_SERIES_MAX and
 * _KEY_BYTES_MAX. The directory must not be written meanwhile (the caller
 * holds the data dir's lock).
 * Returns 0, -ENOMEM, or -errno of a failed read, write, fsync or rename
 * (the originals are then intact).
 */
int stor_compact_dir(int dir_fd, const char *path, uint32_t points_max,
                     struct stor_compact_stats *st, FILE *log);

/*
 * Finish or undo an interrupted pass in dir_fd: delete temporary files
 * and the segments a compacted segment replaces. Counts in
 * st->leftovers_deleted (st may be NULL). Returns 0 or -errno.
 */
int stor_compact_cleanup(int dir_fd, const char *path,
                         struct stor_compact_stats *st, FILE *log);

/*
 * The header rules of a kind-4 block from the first len bytes of buf
 * (the frame already passed stor_frame_read). Returns 0 or -EBADMSG.
 */
int stor_chdr_read(const uint8_t *buf, size_t len, struct stor_chdr *h);

/*
 * Mark skip[i] = 1 for every seqs[i] (n, ascending) of directory dir_fd
 * that a compacted segment beside it replaces (a leftover). A compacted
 * segment whose directory fails its checks replaces nothing.
 * Returns 0 or -errno (-ENOMEM).
 */
int stor_cseg_superseded(int dir_fd, const uint64_t *seqs, long n,
                         uint8_t *skip);

/*
 * Open segment name in dir_fd as a compacted segment: read and check its
 * directory (CRC32C, dictionary, index, block table).
 * Returns 1 and c ready; 0 when the file is not a compacted segment (c is
 * closed); -EBADMSG for a compacted segment that fails a check; -errno.
 */
int stor_cseg_open(struct stor_cseg *c, int dir_fd, const char *name);

/* Release c. Safe on a zeroed or failed c. */
void stor_cseg_close(struct stor_cseg *c);

/* Dictionary entry of series s (< c->series); the key points into c. */
void stor_cseg_key(const struct stor_cseg *c, uint32_t s,
                   struct stor_dict_entry *e);

/*
 * Decode index entry i (< c->runs) into ts_ms and value (room for
 * c->run[i].count), loading and checking its data block if not loaded.
 * Returns 0, -EBADMSG (the block or the run fails a check), or -errno.
 */
int stor_cseg_read_run(struct stor_cseg *c, uint32_t i, int64_t *ts_ms,
                       double *value);

#endif
