/*
 * storage/block.h - encoding and decoding one block (format in
 * storage/block_types.h and docs/segment-format.md).
 *
 * Pure functions over memory: no I/O. The writer (storage/writer.c) puts
 * encoded blocks into segment files through the shard's io_uring; the
 * readers (query port, `sluice inspect`, recovery) read files and decode.
 */
#ifndef SLUICE_STORAGE_BLOCK_H
#define SLUICE_STORAGE_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "storage/block_types.h"

/*
 * Prepare an encoder able to take blocks of up to points_max points
 * (scratch for grouping points by series is allocated here, at start-up).
 * Returns 0, -EINVAL or -ENOMEM.
 */
int stor_encoder_init(struct stor_encoder *e, uint32_t points_max);

/* Release the encoder's memory. Safe on a zeroed struct. */
void stor_encoder_free(struct stor_encoder *e);

/*
 * Upper bound of the encoded size of a block of `points` points whose
 * dictionary holds dict_count entries with dict_key_bytes key bytes in all.
 */
size_t stor_block_bytes_max(uint32_t points, uint32_t dict_count,
                            size_t dict_key_bytes);

/*
 * Encode in (points in any order; grouped by series, then by time, inside
 * the block) into out, header first, CRC32C last.
 * Returns the block's size in bytes, or -ENOSPC when cap is too small, or
 * -EINVAL for in->count == 0 or over the encoder's points_max, a seq of 0
 * or over STOR_BLOCK_SEQ_MAX, or a dictionary entry that is malformed
 * (empty or oversize key, unknown type), repeated, or names a series with
 * no point in this block. out is untouched unless the call succeeds.
 */
long stor_block_encode(struct stor_encoder *e, const struct stor_block_in *in,
                       uint8_t *out, size_t cap);

/*
 * Decode the frame every kind of block shares from the first len bytes of
 * buf and check what holds for all kinds: magic, header check, version,
 * a known kind (metrics, logs, spans or series), count >= 1 (0 only in a
 * compacted directory, role 1, that holds no series), seq >= 1, min <= max.
 * The kind's own rules are stor_block_hdr_read's, stor_logblock_hdr_read's
 * or stor_spanblock_hdr_read's.
 * Returns 0; -EAGAIN when len < STOR_BLOCK_HEADER_BYTES; -EBADMSG.
 */
int stor_frame_read(const uint8_t *buf, size_t len, struct stor_frame *f);

/*
 * Write the fields every kind shares (magic, version, kind, shard, count,
 * seq, time range, payload length; f->version and f->crc are ignored) into
 * the STOR_BLOCK_HEADER_BYTES at b, zeroing the rest: the one writer of the
 * shared header. The kind then writes its own fields, and
 * stor_block_reseal the header check and the CRC.
 */
void stor_frame_write(uint8_t *b, const struct stor_frame *f);

/* Bytes of the block f heads (header and payload): where the next begins. */
size_t stor_frame_total_bytes(const struct stor_frame *f);

/*
 * Decode and sanity-check a metric block header from the first len bytes
 * of buf (stor_frame_read, then kind 1 and the metric fields' rules).
 * Returns 0; -EAGAIN when len < STOR_BLOCK_HEADER_BYTES; -EBADMSG for a
 * bad magic, header check, version, kind or impossible field.
 */
int stor_block_hdr_read(const uint8_t *buf, size_t len,
                        struct stor_block_hdr *h);

/*
 * Open a whole block (header and payload, len bytes) for reading: checks
 * the header and the CRC32C. A block that fails is never decoded.
 * Bytes after the block (len over the header's size) are ignored.
 * Returns 0, -EAGAIN when len is shorter than the header says, or -EBADMSG.
 */
int stor_block_reader_init(struct stor_block_reader *r, const uint8_t *block,
                           size_t len);

/*
 * Next dictionary entry of the block (its key points into the block).
 * Returns 1, 0 after the last, or -EBADMSG.
 */
int stor_block_next_dict(struct stor_block_reader *r,
                         struct stor_dict_entry *out);

/*
 * Next run of points of one series: fills run, and ts_ms[0..count) and
 * value[0..count) (timestamps ascending within a run). cap is the room in
 * ts_ms and value; the block's point_count always suffices.
 * Returns 1, 0 after the last run, -ENOSPC if cap is too small, -EBADMSG.
 */
int stor_block_next_run(struct stor_block_reader *r, struct stor_run *run,
                        int64_t *ts_ms, double *value, uint32_t cap);

/*
 * CRC32C of a whole block of len bytes (header and payload) as the header
 * stores it: over bytes 0..59, four zero bytes in place of the CRC field,
 * then the payload. The CRC field's content is ignored.
 */
uint32_t stor_block_crc(const uint8_t *block, size_t len);

/*
 * Recompute the header check and the CRC32C of the len-byte block in place
 * (header fields as they are, payload_bytes == len - 64). For tests, fuzz
 * targets and repair tools that edit a block on purpose; the encoder seals
 * its blocks itself.
 */
void stor_block_reseal(uint8_t *block, size_t len);

/* Bytes of the block h heads (header and payload): where the next begins. */
size_t stor_block_total_bytes(const struct stor_block_hdr *h);

/*
 * Name of a dictionary type byte (enum stor_series_type): "counter", ...,
 * "set", "otlp_gauge", "otlp_sum_cumulative", ... as in
 * docs/segment-format.md. Never NULL ("unknown" past the last type).
 */
const char *stor_series_type_name(unsigned type);

#endif
