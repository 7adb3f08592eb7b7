/*
 * storage/logblock_internal.h - what the two log block layouts share
 * (storage/logblock.c: layout 1 and the entry points; storage/logblock2.c:
 * layout 2). Not for other files.
 */
#ifndef SLUICE_STORAGE_LOGBLOCK_INTERNAL_H
#define SLUICE_STORAGE_LOGBLOCK_INTERNAL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "storage/encode.h"
#include "storage/logblock_types.h"

#define STOR_LTIME_EXP_MAX 9
/* The stream's head: time-unit byte and one varint length a column. */
#define STOR_LFIELDS_HEAD_MAX (1 + STOR_LCOLS * 10)
#define STOR_LFIELDS_HEAD2_MAX (1 + STOR_LCOLS2 * 10)

/* 10^x for x <= STOR_LTIME_EXP_MAX. */
uint64_t stor_ltime_unit(unsigned x);

/* Largest x <= 9 with every time - min a multiple of 10^x. */
unsigned stor_ltime_exp(const struct stor_log_rec *recs, uint32_t n,
                        int64_t min);

/* Append varint v to field column c of e (inline: called for every
 * field of every record). */
static inline void stor_lput_varint(struct stor_logenc *e, int c, uint64_t v) {
  if (v < 0x80) { /* most refs and counts: one byte, no call */
    e->col[c][e->col_len[c]++] = (uint8_t)v;
    return;
  }
  e->col_len[c] += stor_varint_put(e->col[c] + e->col_len[c], v);
}

/* Append varint length + bytes to e's inline text (sets e->overflow when
 * it would pass STOR_LOGBLOCK_TEXT_BYTES_MAX). */
void stor_lput_text(struct stor_logenc *e, const char *p, uint32_t n);

/* Append s's ref to column c: empty, string table (when dictable and it
 * fits) or inline. */
void stor_lput_ref(struct stor_logenc *e, int c, struct core_syslog_str s,
                   int dictable);

/* Check record r's ranges and that column ATTRS has room for it:
 * 0, -EINVAL or -E2BIG. */
int stor_lrec_check(const struct stor_logenc *e, const struct stor_log_rec *r);

/* Empty the string table, the field columns and the text. */
void stor_lreset(struct stor_logenc *e);

/* The shared frame and the five log words (offsets 12, 44, 48, 52, 56). */
void stor_lput_header(uint8_t *b, uint16_t shard, uint64_t seq, uint32_t n,
                      int64_t min, int64_t max, uint32_t payload,
                      const uint32_t words[5]);

/* After writing: the header's rules and the CRC hold. */
void stor_lassert_written(const uint8_t *b, size_t len, uint32_t n,
                          uint64_t seq);

/* Min and max event time of recs[0..n); returns the OR of every time -
 * recs[0]'s (its trailing zeros: the power of 2 all times - min share). */
uint64_t stor_ltime_range(const struct stor_log_rec *recs, uint32_t n,
                          int64_t *min, int64_t *max);

/* A string of the reader: empty, or n bytes at p. */
struct core_syslog_str stor_lstr(const void *p, uint64_t n);

/* Layout 2 (storage/logblock2.c). */
int stor_log2_enc_init(struct stor_logenc *e);
void stor_log2_enc_free(struct stor_logenc *e);
long stor_log2_encode(struct stor_logenc *e, uint16_t shard, uint64_t seq,
                      const struct stor_log_rec *recs, uint32_t n,
                      uint8_t *out, size_t cap);
int stor_log2_dec_init(struct stor_logdec *d);
void stor_log2_dec_free(struct stor_logdec *d);
/* 1 when layout 2's header rules fail. */
int stor_log2_hdr_impossible(const struct stor_logblock_hdr *h);
/* Decompress and split the columns of a block whose CRC passed. */
int stor_log2_open(struct stor_logblock_reader *r, const uint8_t *payload);
int stor_log2_record(struct stor_logblock_reader *r, struct stor_log_rec *out,
                     struct core_syslog_attr *attrs, uint32_t cap);
int stor_log2_all_used(const struct stor_logblock_reader *r);

/* Layout 3 (storage/logblock3.c). */
/* The OTLP fields a STOR_LOTEL_* set holds. */
static inline unsigned stor_lotel_count(uint8_t has) {
  return (has & 1u) + (has >> 1 & 1u) + (has >> 2 & 1u);
}

/* Append r's OTLP column entry to e->otel: 0 or -EINVAL (bad bits, at
 * past the attributes, or over CORE_SYSLOG_SD_ATTRS_MAX with them).
 * Inline in layout 1's record loop (as a call, a record's spills). */
static inline int stor_log3_put(struct stor_logenc *e,
                                const struct stor_log_rec *r) {
  const struct stor_log_otel *o = &r->otel;
  uint8_t *d = e->otel + e->otel_len;

  if (o->has == 0) {
    e->otel[e->otel_len++] = 0;
    return 0;
  }
  if ((o->has & ~STOR_LOTEL_ALL) || o->at > r->attr_count ||
      r->attr_count + stor_lotel_count(o->has) > CORE_SYSLOG_SD_ATTRS_MAX)
    return -EINVAL;
  uint8_t bits = o->has;

  if ((bits & STOR_LOTEL_TRACE) && (e->otel_last & STOR_LOTEL_TRACE) &&
      memcmp(o->trace_id, e->otel_trace, 16) == 0)
    bits |= STOR_LOTEL_TRACE_SAME;
  if ((bits & STOR_LOTEL_SPAN) && (e->otel_last & STOR_LOTEL_SPAN) &&
      memcmp(o->span_id, e->otel_span, 8) == 0)
    bits |= STOR_LOTEL_SPAN_SAME;
  *d++ = bits;
  *d++ = o->at;
  if (o->has & STOR_LOTEL_OBS)
    d += stor_varint_put(d, stor_zigzag((int64_t)(o->observed_ns -
                                                  (uint64_t)r->time_ns)));
  if ((bits & (STOR_LOTEL_TRACE | STOR_LOTEL_TRACE_SAME)) == STOR_LOTEL_TRACE) {
    memcpy(d, o->trace_id, 16);
    memcpy(e->otel_trace, o->trace_id, 16);
    d += 16;
  }
  if ((bits & (STOR_LOTEL_SPAN | STOR_LOTEL_SPAN_SAME)) == STOR_LOTEL_SPAN) {
    memcpy(d, o->span_id, 8);
    memcpy(e->otel_span, o->span_id, 8);
    d += 8;
  }
  e->otel_last |= o->has & (STOR_LOTEL_TRACE | STOR_LOTEL_SPAN);
  e->otel_len = (size_t)(d - e->otel);
  return 0;
}

/* What o's fields count as text in stor_logblock_rec_text_bytes (their
 * served attributes: three varints, sd id, name, value each). */
size_t stor_log_otel_text_bytes(const struct stor_log_otel *o);
/* Read the OTLP column's length after the string table at payload p and
 * point r at the column; *stream gets where the deflated stream starts.
 * 0 or -EBADMSG. */
int stor_log3_open_column(struct stor_logblock_reader *r, const uint8_t *p,
                          const uint8_t **stream);
/* After a layout-1 record was read into out/attrs: its OTLP entry, served
 * as attributes. 0, -ENOSPC (cap) or -EBADMSG. */
int stor_log3_record(struct stor_logblock_reader *r, struct stor_log_rec *out,
                     struct core_syslog_attr *attrs, uint32_t cap);
/* 1 when r's attribute keys (sd id and name of each, in order) are those
 * of the record e wrote last in this block (e->kprev), else 0. */
int stor_log3_keys_same(const struct stor_logenc *e,
                        const struct stor_log_rec *r);
/* Keep the keys of attrs[0..n) for the next records marked "same keys". */
void stor_log3_keys_keep(struct stor_logblock_reader *r,
                         const struct core_syslog_attr *attrs, uint32_t n);

/* 1 when a block of this layout has the OTLP column (layouts 3 and 4). */
static inline int stor_log_otel_layout(unsigned layout) {
  return layout == STOR_LOG_LAYOUT3 || layout == STOR_LOG_LAYOUT4;
}

/* Layout 4 (storage/logblock3.c). Allocate e's static zstd context (and
 * set e->otlp_layout to the live default): 0 or -ENOMEM; free it. */
int stor_log4_enc_init(struct stor_logenc *e);
void stor_log4_enc_free(struct stor_logenc *e);
/* Compress e's stream into out[0..cap): its bytes, -ENOSPC or -ENOMEM. */
long stor_log4_compress(struct stor_logenc *e, uint8_t *out, size_t cap);
/* Decompress the stream at z (hdr.ztext_bytes) into r->dec->text: exactly
 * hdr.text_bytes, else -EBADMSG. */
int stor_log4_decompress(struct stor_logblock_reader *r, const uint8_t *z);

#endif
