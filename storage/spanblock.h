/*
 * storage/spanblock.h - encoding and decoding span blocks (kind 3; layout
 * in storage/spanblock_types.h and docs/segment-format.md, "Span blocks").
 *
 * Pure functions over memory, like storage/block.h. Header check and
 * CRC32C are the metric block's (stor_block_reseal, stor_block_crc).
 */
#ifndef SLUICE_STORAGE_SPANBLOCK_H
#define SLUICE_STORAGE_SPANBLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "storage/spanblock_types.h"

/*
 * Prepare an encoder for blocks of up to spans_max spans (1 ..
 * CORE_SPANHEAD_SPANS_MAX) holding at most the CORE_SPANHEAD_* events,
 * links, attributes and resources. Allocates its scratch (start-up only).
 * Returns 0, -EINVAL or -ENOMEM.
 */
int stor_spanenc_init(struct stor_spanenc *e, uint32_t spans_max);

/* Release the encoder's memory. Safe on a zeroed struct. */
void stor_spanenc_free(struct stor_spanenc *e);

/*
 * Upper bound of an encoded block of a full span head (every
 * CORE_SPANHEAD_* bound reached, CORE_SPANHEAD_ARENA_BYTES of strings):
 * what a writer's buffer must hold.
 */
size_t stor_spanblock_bytes_max(void);

/*
 * Encode spans[0..n) (kept in the given order) as one span block of shard
 * `shard`, sequence number seq, into out (cap bytes). Each span's res
 * points into res[0..nres).
 * Returns the block's size; -EINVAL for n == 0 or over spans_max, seq 0
 * or over STOR_BLOCK_SEQ_MAX, a res pointer outside res[], a span over a
 * CORE_SPAN_* count bound or a string over its byte bound, or totals over
 * the CORE_SPANHEAD_* bounds; -E2BIG when the stream passes
 * STOR_SPANBLOCK_TEXT_BYTES_MAX; -ENOSPC when cap is too small.
 */
long stor_spanblock_encode(struct stor_spanenc *e, uint16_t shard, uint64_t seq,
                           const struct stor_span *spans, uint32_t n,
                           const struct stor_span_res *res, uint32_t nres,
                           uint8_t *out, size_t cap);

/* Allocate decoder scratch. Returns 0 or -ENOMEM. */
int stor_spandec_init(struct stor_spandec *d);

/* Release decoder scratch. Safe on a zeroed struct. */
void stor_spandec_free(struct stor_spandec *d);

/*
 * Decode and check a span block header from the first len bytes of buf
 * (the shared frame, kind 3, impossible fields).
 * Returns 0, -EAGAIN when len < 64, or -EBADMSG.
 */
int stor_spanblock_hdr_read(const uint8_t *buf, size_t len,
                            struct stor_spanblock_hdr *h);

/*
 * Bytes from the start of a block (header included) that hold its trace
 * table: a reader looking for one trace id reads these first.
 */
size_t stor_spanblock_traces_end(const struct stor_spanblock_hdr *h);

/*
 * 1 when the trace table of h's block (tab: the 16 M bytes after the
 * header) holds id (16 bytes), else 0. No CRC is checked: a hit is only a
 * reason to read and check the whole block.
 */
int stor_spanblock_has_trace(const struct stor_spanblock_hdr *h,
                             const uint8_t *tab, const uint8_t *id);

/*
 * Open a whole span block (len bytes; bytes after it are ignored): checks
 * the header and the CRC32C, reads the string table, inflates the stream
 * into dec (exactly the header's U bytes), splits the sub-columns and
 * reads the resource table.
 * Returns 0, -EAGAIN when len is shorter than the header says, -EBADMSG.
 */
int stor_spanblock_reader_init(struct stor_spanblock_reader *r,
                               struct stor_spandec *dec, const uint8_t *block,
                               size_t len);

/*
 * Next span, in the encoder's order. Strings point into the block or
 * dec; attributes, events, links and the resource into dec, valid until
 * the next call. Returns 1, 0 after the last (once every sub-column and
 * the text proved used up exactly, every trace table entry used and the
 * header's time range met), or -EBADMSG; after an error only -EBADMSG.
 */
int stor_spanblock_next(struct stor_spanblock_reader *r, struct stor_span *out);

/*
 * The string value of the attribute service.name in attrs (the last one
 * when repeated), or an empty string.
 */
struct core_otlp_str stor_span_service(const struct core_otlp_attrs *attrs);

#endif
