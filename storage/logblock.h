/*
 * storage/logblock.h - encoding and decoding log blocks (kind 2; layout in
 * storage/logblock_types.h and docs/segment-format.md, "Log blocks").
 *
 * Pure functions over memory, like storage/block.h. Header check and
 * CRC32C are the metric block's (stor_block_reseal, stor_block_crc).
 */
#ifndef SLUICE_STORAGE_LOGBLOCK_H
#define SLUICE_STORAGE_LOGBLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "storage/logblock_types.h"

/*
 * Prepare an encoder for blocks of up to records_max records (1 ..
 * STOR_LOGBLOCK_RECORDS_MAX). Allocates its scratch (start-up only).
 * Returns 0, -EINVAL or -ENOMEM.
 */
int stor_logenc_init(struct stor_logenc *e, uint32_t records_max);

/*
 * Set the zstd level of the layout-2 blocks e writes (-7..-1: zstd's fast
 * levels, or 1..22; default
 * STOR_LOG2_ZLEVEL_LIVE; compaction uses STOR_LOG2_ZLEVEL_PACK).
 * Returns 0 or -EINVAL.
 */
int stor_logenc_set_level(struct stor_logenc *e, int level);

/*
 * The layout stor_logblock_encode writes: 1 (igzip, the live default:
 * STOR_LOG_LAYOUT_LIVE) or STOR_LOG_LAYOUT2; or, for blocks of layout 1's
 * path holding OTLP records, STOR_LOG_LAYOUT3 (deflate) or
 * STOR_LOG_LAYOUT4 (zstd, the default: STOR_LOG_OTLP_LAYOUT_LIVE), which
 * also selects layout 1's path. Returns 0 or -EINVAL.
 */
int stor_logenc_set_layout(struct stor_logenc *e, unsigned layout);

/*
 * Template-code messages and attribute values (on, the default) or store
 * them inline (off: the cheaper encoder of the two; the block is layout 2
 * either way and readers need not know).
 */
void stor_logenc_set_templates(struct stor_logenc *e, int on);

/* Release the encoder's memory. Safe on a zeroed struct. */
void stor_logenc_free(struct stor_logenc *e);

/*
 * Upper bound of the inline-text bytes one record adds (every string and
 * its length varint, as if none were dictionary-coded). A writer seals its
 * block before the sum of its records' figures plus
 * stor_logblock_bytes_max's fields share would pass
 * STOR_LOGBLOCK_TEXT_BYTES_MAX; the encoder returns -E2BIG otherwise.
 */
size_t stor_logblock_rec_text_bytes(const struct stor_log_rec *r);

/*
 * Upper bound of an encoded block of n records holding `attrs` attributes
 * in all and text_bytes of stor_logblock_rec_text_bytes in all.
 */
size_t stor_logblock_bytes_max(uint32_t n, uint64_t attrs, size_t text_bytes);

/*
 * Encode recs[0..n) (kept in the given order) as one log block (in e's
 * layout; layout 2 at e's zstd level) of shard
 * `shard`, sequence number seq, into out (cap bytes).
 * Records with binary OTLP fields (otel.has) make a layout-3 block in
 * layout 1 (layout 2 refuses them: -EINVAL); without them layout 1 is
 * written byte for byte as before. Layout 2 writes layout 1 instead when
 * the records' times span more than its time column holds (2^62 units).
 * Returns the block's size; -EINVAL for n == 0 or over records_max, seq 0
 * or over STOR_BLOCK_SEQ_MAX, facility > 23, severity > 7 or over
 * CORE_SYSLOG_SD_ATTRS_MAX attributes; -E2BIG when the text passes
 * STOR_LOGBLOCK_TEXT_BYTES_MAX; -ENOSPC when cap is too small.
 */
long stor_logblock_encode(struct stor_logenc *e, uint16_t shard, uint64_t seq,
                          const struct stor_log_rec *recs, uint32_t n,
                          uint8_t *out, size_t cap);

/*
 * As stor_logblock_encode, in layout 1 (string table, igzip level 1)
 * whatever e's layout.
 */
long stor_logblock_encode_v1(struct stor_logenc *e, uint16_t shard,
                             uint64_t seq, const struct stor_log_rec *recs,
                             uint32_t n, uint8_t *out, size_t cap);

/*
 * Records added one by one (the live log head's OTLP path): the columns
 * stor_logblock_encode_v1 would build for the same records, built as
 * each arrives, the block written by stor_logenc_finish. Layout 1's path
 * only (e's layout 1: layouts 1, 3, 4).
 *
 * stor_logenc_open starts an empty block; layout3: the block has the
 * OTLP column (as stor_logblock_encode_v1 decides when any record has
 * binary OTLP fields: open with the first record's otel.has).
 */
void stor_logenc_open(struct stor_logenc *e, int layout3);

/*
 * Add r (its strings, and r itself, must stay valid and unchanged until
 * the block is finished or rewound past it). Returns 0; -EAGAIN when r
 * has binary OTLP fields and the block was opened without (nothing
 * added: the block's records so far must be written again with
 * stor_logblock_encode_v1); -EINVAL (no open block, or r out of range:
 * as stor_logblock_encode_v1) or -E2BIG (records_max, the text bound),
 * after which the block is closed (stor_logenc_finish refuses it).
 * (For the mapping writing records straight into the columns, with
 * stor_logenc_mark and _rewind for a request's all or none; the log head
 * adds a request's records at its commit: stor_logenc_add_n.)
 */
int stor_logenc_add(struct stor_logenc *e, const struct stor_log_rec *r);

/*
 * stor_logenc_add of recs[0..n) in order (the column cursors kept in
 * registers across them: a request's records at once). Returns 0 or the
 * first record's error; the records before it were added.
 */
int stor_logenc_add_n(struct stor_logenc *e, const struct stor_log_rec *recs,
                      uint32_t n);

/* The open block's position, for stor_logenc_rewind. */
void stor_logenc_mark(const struct stor_logenc *e, struct stor_logmark *m);

/* Drop the records added since m was taken (same block): the columns,
 * text, string table, memos and OTLP column as they were then. */
void stor_logenc_rewind(struct stor_logenc *e, const struct stor_logmark *m);

/* Records in the open block (0 when none is open). */
static inline uint32_t stor_logenc_count(const struct stor_logenc *e) {
  return e->iopen ? e->icount : 0;
}

/*
 * Write the open block as shard `shard`, sequence seq, into out (cap
 * bytes): byte for byte what stor_logblock_encode_v1 writes for the same
 * records. The block stays open (a later call writes it again). Returns
 * its size, -EINVAL (no open block, no record, bad seq), -E2BIG or
 * -ENOSPC as stor_logblock_encode_v1.
 */
long stor_logenc_finish(struct stor_logenc *e, uint16_t shard, uint64_t seq,
                        uint8_t *out, size_t cap);

/*
 * Serve r's binary OTLP fields (r->otel, layout 3) as the attributes
 * otel/observed_time_unix_nano, otel/trace_id, otel/span_id, inserted at
 * index r->otel.at: attrs (cap entries; may be r->attrs itself) gets the
 * record's attributes with them, their text goes to text
 * (STOR_LOTEL_TEXT_BYTES_MAX bytes, kept while r is used); r->attrs,
 * attr_count are updated and r->otel.has cleared. Returns how many were
 * inserted (0 when none), -EINVAL for bits or at out of range, -ENOSPC
 * when cap is too small.
 */
int stor_log_otel_serve(struct stor_log_rec *r, struct core_syslog_attr *attrs,
                        uint32_t cap, char *text);

/* Decimal digits of v (1 for 0): what an observed time served as text
 * takes (the OTLP mapping counts it against its record bound). */
unsigned stor_log_dec_digits(uint64_t v);

/* Allocate decoder scratch. Returns 0 or -ENOMEM. */
int stor_logdec_init(struct stor_logdec *d);

/* Release decoder scratch. Safe on a zeroed struct. */
void stor_logdec_free(struct stor_logdec *d);

/*
 * Decode and check a log block header from the first len bytes of buf
 * (magic, version, kind 2, header check, impossible fields).
 * Returns 0, -EAGAIN when len < 64, or -EBADMSG.
 */
int stor_logblock_hdr_read(const uint8_t *buf, size_t len,
                           struct stor_logblock_hdr *h);

/*
 * Open a whole log block (len bytes; bytes after it are ignored): checks
 * the header and the CRC32C, reads the string table and inflates the
 * stream into dec (room for exactly the header's U bytes: a stream that
 * wants more, or yields fewer, is rejected), then splits the fields.
 * Returns 0, -EAGAIN when len is shorter than the header says, -EBADMSG.
 */
int stor_logblock_reader_init(struct stor_logblock_reader *r,
                              struct stor_logdec *dec, const uint8_t *block,
                              size_t len);

/*
 * Next record, in the encoder's order. Strings point into the block or
 * into dec's text; attributes go to attrs[0..cap) (out->attrs = attrs).
 * Returns 1, 0 after the last (once the columns proved used up exactly
 * and the header's time range met), -ENOSPC when cap is too small for
 * this record's attributes (cap >= CORE_SYSLOG_SD_ATTRS_MAX always
 * suffices), or -EBADMSG. After an error the reader only returns -EBADMSG.
 */
int stor_logblock_next(struct stor_logblock_reader *r, struct stor_log_rec *out,
                       struct core_syslog_attr *attrs, uint32_t cap);

#endif
