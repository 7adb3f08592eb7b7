/*
 * storage/reader.h - reading a data directory's segments (query port,
 * `sluice inspect`). Blocking file I/O: never on a shard thread.
 *
 * Segments are read while shards append to them: a file's size is taken
 * when it is opened, and reading stops at the first block that fails a
 * check (format: docs/segment-format.md). Such a stop is counted, never an
 * error: at start-up recovery cuts torn tails; here the newest segment's
 * last block may simply be half written.
 *
 * The scans over a whole data directory built on this are in
 * storage/scan.h (metrics) and storage/logscan.h (logs).
 */
#ifndef SLUICE_STORAGE_READER_H
#define SLUICE_STORAGE_READER_H

#include <stdint.h>

#include "storage/reader_types.h"

/*
 * Open segment file name in directory dir_fd (AT_FDCWD for a path); inside
 * a walk (reader_internal.h) the file of the walk's snapshot
 * (storage/compact.h: stor_snap_openat), so that a compaction swapping
 * segments meanwhile is seen whole or not at all. Returns 0 or -errno.
 */
int stor_seg_open(struct stor_seg_reader *r, int dir_fd, const char *name);

/* Close the file and free the buffer. Safe after a failed open. */
void stor_seg_close(struct stor_seg_reader *r);

/*
 * Read the header of the next block into b: b->kind (metrics, logs, spans
 * or compacted series), b->frame, and b->hdr, b->lhdr or b->shdr by kind
 * (b->status says what was found; anything but STOR_BLK_OK ends the
 * segment, and a kind other than 1 to 4 is STOR_BLK_BAD_HEADER). Kind 4
 * (STOR_KIND_SERIES) blocks make up compacted segments: only their frame
 * is in b, and they are read through storage/compact.h, never with
 * stor_seg_load or stor_seg_load_log; a reader of one kind steps over
 * them. The payload is not read.
 * Returns 1 when b holds a block, 0 at the end of the segment (or after a
 * bad block), or -errno on an I/O error.
 */
int stor_seg_next(struct stor_seg_reader *r, struct stor_seg_block *b);

/*
 * Read the payload of the metric block stor_seg_next just returned (b->kind
 * must be STOR_KIND_METRICS) and check its CRC32C; on success b->rd is
 * ready for stor_block_next_dict/_run.
 * Returns 0, -EBADMSG (b->status = STOR_BLK_BAD_CRC; the segment ends), or
 * -errno on an I/O error or -ENOMEM.
 */
int stor_seg_load(struct stor_seg_reader *r, struct stor_seg_block *b);

/*
 * Read the payload of the log block stor_seg_next just returned (b->kind
 * must be STOR_KIND_LOGS), check its CRC32C and inflate it into dec; on
 * success b->lrd is ready for stor_logblock_next (its strings point into
 * r's buffer and dec, valid until the next load).
 * Returns 0, -EBADMSG (b->status = STOR_BLK_BAD_CRC, or STOR_BLK_BAD_DATA
 * for a stream that does not inflate; the segment ends), or -errno on an
 * I/O error or -ENOMEM.
 */
int stor_seg_load_log(struct stor_seg_reader *r, struct stor_seg_block *b,
                      struct stor_logdec *dec);

/*
 * Read the payload of the span block stor_seg_next just returned (b->kind
 * must be STOR_KIND_SPANS), check its CRC32C and inflate it into dec; on
 * success b->srd is ready for stor_spanblock_next (valid until the next
 * load). Returns 0, -EBADMSG (b->status = STOR_BLK_BAD_CRC or
 * STOR_BLK_BAD_DATA; the segment ends), or -errno.
 */
int stor_seg_load_spans(struct stor_seg_reader *r, struct stor_seg_block *b,
                        struct stor_spandec *dec);

/*
 * Read the first n bytes (n <= b->bytes) of the block stor_seg_next just
 * returned into r->buf, unchecked beyond its header: a part a scan tests
 * before loading the whole block (a span block's trace table).
 * Returns 0, or -errno (-ENOMEM).
 */
int stor_seg_read_part(struct stor_seg_reader *r,
                       const struct stor_seg_block *b, size_t n);

/*
 * Shard ids of the shard-<K> directories in data_dir (K < CORE_SHARDS_MAX),
 * ascending, into ids (CORE_SHARDS_MAX entries).
 * Returns the count, or -errno (-ENOENT when data_dir does not exist).
 */
int stor_shard_ids(const char *data_dir, unsigned *ids);

/*
 * Sequence numbers of the segment files in directory path, ascending, in
 * a malloc'ed array (*seqs; free it). At most STOR_SEGMENTS_MAX.
 * Returns the count, or -errno (-E2BIG over STOR_SEGMENTS_MAX).
 */
long stor_segment_seqs(const char *path, uint64_t **seqs);

#endif
