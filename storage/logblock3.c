/*
 * storage/logblock3.c - log block layout 3: layout 1 plus a raw OTLP
 * column holding each record's observed time, trace id and span id in
 * binary (storage/logblock_types.h, docs/segment-format.md "Layout 3").
 *
 * The ids are random bytes: DEFLATE gains nothing on them, so the column
 * stays out of the deflated stream. Readers serve the fields as the text
 * attributes the OTLP mapping wrote before layout 3, formatted at read
 * time (stor_log_otel_serve), so query output is what it was.
 *
 * Layout 4 is layout 3 with the stream zstd-compressed (level
 * STOR_LOG4_ZLEVEL) instead of deflated.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_initStaticCCtx: no allocation
                                    while encoding */
#include <zstd.h>
#include <zstd_errors.h>
#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#endif

#include "core/base/assert.h"
#include "core/base/numfmt.h"
#include "storage/encode.h"
#include "storage/logblock.h"
#include "storage/logblock_internal.h"

static const struct core_syslog_str otel_sdid = {"otel", 4},
                                    otel_names[STOR_LOTEL_ATTRS_MAX] = {
                                        {"observed_time_unix_nano", 23},
                                        {"trace_id", 8},
                                        {"span_id", 7}};

/* The decoder's arena holds a block's served text (records stay valid
 * until the next block): STOR_LOTEL_TEXT_BYTES_MAX a record. */
_Static_assert((uint64_t)STOR_LOGBLOCK_RECORDS_MAX * STOR_LOTEL_TEXT_BYTES_MAX <=
                   STOR_LOGBLOCK_TEXT_BYTES_MAX,
               "layout 3 text fits the decoder arena");

unsigned stor_log_dec_digits(uint64_t v) {
  static const uint64_t p10[20] = {
      1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u,
      100000000u, 1000000000u, 10000000000u, 100000000000u,
      1000000000000u, 10000000000000u, 100000000000000u,
      1000000000000000u, 10000000000000000u, 100000000000000000u,
      1000000000000000000u, 10000000000000000000u};
  /* bit length * log10(2) (1233 / 4096) is the count or one less; v | 1
   * has v's count (no power of ten past 1 is odd) and a bit */
  uint64_t w = v | 1;
  unsigned t = (unsigned)(64 - __builtin_clzll(w)) * 1233u >> 12;

  return t + (w >= p10[t]);
}

size_t stor_log_otel_text_bytes(const struct stor_log_otel *o) {
  /* per field: three varints, sd id, name, value; the observed time's
   * value is its decimal digits */
  static const uint8_t fixed[STOR_LOTEL_ATTRS_MAX] = {
      3 * STOR_VARINT_BYTES_MAX + 4 + 23, 3 * STOR_VARINT_BYTES_MAX + 4 + 8 + 32,
      3 * STOR_VARINT_BYTES_MAX + 4 + 7 + 16};
  size_t n = 0;

  if (o->has & STOR_LOTEL_OBS)
    n += fixed[0] + stor_log_dec_digits(o->observed_ns);
  if (o->has & STOR_LOTEL_TRACE)
    n += fixed[1];
  if (o->has & STOR_LOTEL_SPAN)
    n += fixed[2];
  return n;
}

int stor_log_otel_serve(struct stor_log_rec *r, struct core_syslog_attr *attrs,
                        uint32_t cap, char *text) {
  const struct stor_log_otel *o = &r->otel;
  unsigned k = stor_lotel_count(o->has), j = 0;
  struct core_syslog_str v[STOR_LOTEL_ATTRS_MAX];
  uint32_t n = r->attr_count;

  if (o->has == 0)
    return 0;
  if ((o->has & ~STOR_LOTEL_ALL) || o->at > n ||
      n + k > CORE_SYSLOG_SD_ATTRS_MAX)
    return -EINVAL;
  if (n + k > cap)
    return -ENOSPC;
  if (o->has & STOR_LOTEL_OBS) { /* past 2^63 (no real clock): printf */
    char t[CORE_FMT_NUM_BYTES];
    int len = o->observed_ns <= INT64_MAX
                  ? core_fmt_i64((int64_t)o->observed_ns, t)
                  : snprintf(t, sizeof(t), "%llu",
                             (unsigned long long)o->observed_ns);
    ASSERT(len > 0 && len <= 20);
    memcpy(text, t, (size_t)len);
    v[0] = (struct core_syslog_str){text, (uint32_t)len};
    text += len;
  }
  if (o->has & STOR_LOTEL_TRACE) {
    core_fmt_hex(o->trace_id, 16, text);
    v[1] = (struct core_syslog_str){text, 32};
    text += 32;
  }
  if (o->has & STOR_LOTEL_SPAN) {
    core_fmt_hex(o->span_id, 8, text);
    v[2] = (struct core_syslog_str){text, 16};
  }
  if (attrs != r->attrs)
    memcpy(attrs, r->attrs, n * sizeof(*attrs));
  memmove(attrs + o->at + k, attrs + o->at, (n - o->at) * sizeof(*attrs));
  for (unsigned b = 0; b < STOR_LOTEL_ATTRS_MAX; b++)
    if (o->has & (1u << b))
      attrs[o->at + j++] = (struct core_syslog_attr){
          .sdid = otel_sdid, .name = otel_names[b], .value = v[b]};
  r->attrs = attrs;
  r->attr_count = n + k;
  r->otel.has = 0;
  return (int)k;
}

/* The record's entry of the OTLP column into out->otel. */
static int get_entry(struct stor_logblock_reader *r, struct stor_log_rec *out) {
  struct stor_log_otel *o = &out->otel;
  const uint8_t *p = r->op;
  uint64_t dz;
  uint8_t bits;

  if (p == r->oend)
    return -EBADMSG;
  o->has = *p++;
  if (o->has == 0) {
    r->op = p;
    return 0;
  }
  bits = o->has;
  /* a repeat needs its id present and a last one to repeat */
  if ((bits & ~(STOR_LOTEL_ALL | STOR_LOTEL_TRACE_SAME |
                STOR_LOTEL_SPAN_SAME)) ||
      ((bits & STOR_LOTEL_TRACE_SAME) &&
       !(bits & r->olast & STOR_LOTEL_TRACE)) ||
      ((bits & STOR_LOTEL_SPAN_SAME) && !(bits & r->olast & STOR_LOTEL_SPAN)) ||
      p == r->oend)
    return -EBADMSG;
  o->has = bits & STOR_LOTEL_ALL;
  o->at = *p++;
  if (bits & STOR_LOTEL_OBS) {
    if (stor_varint_get(&p, r->oend, &dz) < 0)
      return -EBADMSG;
    o->observed_ns = (uint64_t)out->time_ns + (uint64_t)stor_unzigzag(dz);
  }
  if ((bits & (STOR_LOTEL_TRACE | STOR_LOTEL_TRACE_SAME)) == STOR_LOTEL_TRACE) {
    if (r->oend - p < 16)
      return -EBADMSG;
    memcpy(r->otrace, p, 16);
    p += 16;
  }
  if ((bits & (STOR_LOTEL_SPAN | STOR_LOTEL_SPAN_SAME)) == STOR_LOTEL_SPAN) {
    if (r->oend - p < 8)
      return -EBADMSG;
    memcpy(r->ospan, p, 8);
    p += 8;
  }
  memcpy(o->trace_id, r->otrace, 16);
  memcpy(o->span_id, r->ospan, 8);
  r->olast |= o->has & (STOR_LOTEL_TRACE | STOR_LOTEL_SPAN);
  r->op = p;
  return 0;
}

int stor_log3_record(struct stor_logblock_reader *r, struct stor_log_rec *out,
                     struct core_syslog_attr *attrs, uint32_t cap) {
  int rc = get_entry(r, out);

  if (rc < 0 || out->otel.has == 0)
    return rc;
  rc = stor_log_otel_serve(out, attrs, cap, r->dec->arena + r->expanded);
  if (rc == -EINVAL)
    return -EBADMSG;
  if (rc < 0)
    return rc;
  r->expanded += STOR_LOTEL_TEXT_BYTES_MAX;
  return 0;
}

int stor_log3_open_column(struct stor_logblock_reader *r, const uint8_t *p,
                          const uint8_t **stream) {
  uint64_t o;
  const struct stor_logblock_hdr *h = &r->hdr;

  p += h->dict_bytes;
  o = (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
      (uint64_t)p[3] << 24;
  if ((uint64_t)h->dict_bytes + 4 + o + h->ztext_bytes != h->payload_bytes ||
      o < h->count || o > (uint64_t)h->count * STOR_LOTEL_REC_BYTES_MAX)
    return -EBADMSG;
  r->hdr.otel_bytes = (uint32_t)o;
  r->op = p + 4;
  r->oend = r->op + o;
  *stream = r->oend;
  return 0;
}

static int str_eq(struct core_syslog_str a, struct core_syslog_str b) {
  return a.len == b.len && (a.ptr == b.ptr || memcmp(a.ptr, b.ptr, a.len) == 0);
}

#if defined(__SSE2__) && defined(__x86_64__)
_Static_assert(sizeof(struct core_syslog_str) == 16 &&
                   offsetof(struct core_syslog_str, len) == 8 &&
                   offsetof(struct core_syslog_attr, name) == 16,
               "a key string is one 16-byte vector: address, length, pad");

/* 1 when a[0..n) and b[0..n) have the same sd id and name addresses and
 * lengths: one vector compare a string, no branch an attribute (the
 * common case costs a third of the scalar loop's). The padding lanes are
 * masked out before they can count. */
static int keys_same_addr(const struct core_syslog_attr *a,
                          const struct core_syslog_attr *b, uint32_t n) {
  __m128i acc = _mm_set1_epi32(-1);

  for (uint32_t i = 0; i < n; i++) {
    __m128i s = _mm_cmpeq_epi32(_mm_loadu_si128((const void *)&a[i].sdid),
                                _mm_loadu_si128((const void *)&b[i].sdid));
    __m128i m = _mm_cmpeq_epi32(_mm_loadu_si128((const void *)&a[i].name),
                                _mm_loadu_si128((const void *)&b[i].name));
    acc = _mm_and_si128(acc, _mm_and_si128(s, m));
  }
  return (_mm_movemask_epi8(acc) & 0x0fff) == 0x0fff;
}
#else
static int keys_same_addr(const struct core_syslog_attr *a,
                          const struct core_syslog_attr *b, uint32_t n) {
  (void)a, (void)b, (void)n;
  return 0; /* the scalar loop decides */
}
#endif

int stor_log3_keys_same(const struct stor_logenc *e,
                        const struct stor_log_rec *r) {
  const struct stor_log_rec *p = e->kprev;

  const struct core_syslog_attr *a, *b;
  uint32_t i = 0, n;

  if (!p || p->attr_count != r->attr_count)
    return 0;
  a = p->attrs;
  b = r->attrs;
  n = r->attr_count;
  if (keys_same_addr(a, b, n))
    return 1;
  /* the OTLP mapping hands the last record's key strings again: by
   * address first, the bytes only where those differ */
  while (i < n && a[i].sdid.ptr == b[i].sdid.ptr &&
         a[i].name.ptr == b[i].name.ptr && a[i].sdid.len == b[i].sdid.len &&
         a[i].name.len == b[i].name.len)
    i++;
  for (; i < n; i++)
    if (!str_eq(a[i].sdid, b[i].sdid) || !str_eq(a[i].name, b[i].name))
      return 0;
  return 1;
}

void stor_log3_keys_keep(struct stor_logblock_reader *r,
                         const struct core_syslog_attr *attrs, uint32_t n) {
  ASSERT(n <= CORE_SYSLOG_SD_ATTRS_MAX);
  for (uint32_t i = 0; i < n; i++) {
    r->keys[i][0] = attrs[i].sdid;
    r->keys[i][1] = attrs[i].name;
  }
  r->nkeys = n;
  r->kset = 1;
}

/* ---- layout 4: the stream as a zstd frame -------------------------------- */

/* Level STOR_LOG4_ZLEVEL with its hash table at STOR_LOG4_HASH_LOG (the
 * level's own for these stream sizes is one bit more: 64 KiB of table, past
 * L1 on the varied mix). What the context needs for any stream: the
 * level's parameters for an unknown size (the largest window and block),
 * the hash table as set. */
int stor_log4_enc_init(struct stor_logenc *e) {
  ZSTD_compressionParameters cp = ZSTD_getCParams(STOR_LOG4_ZLEVEL, 0, 0);
  size_t n;

  cp.hashLog = STOR_LOG4_HASH_LOG;
  n = ZSTD_estimateCCtxSize_usingCParams(cp);
  e->otlp_layout = STOR_LOG_OTLP_LAYOUT_LIVE;
  e->z4_mem = malloc(n);
  e->z4 = e->z4_mem ? ZSTD_initStaticCCtx(e->z4_mem, n) : NULL;
  /* a static context starts with every parameter 0 (no content size in
   * the frame header): zstd's defaults first */
  if (!e->z4 || ZSTD_isError(ZSTD_CCtx_reset(e->z4, ZSTD_reset_parameters)) ||
      ZSTD_isError(ZSTD_CCtx_setParameter(e->z4, ZSTD_c_compressionLevel,
                                          STOR_LOG4_ZLEVEL)) ||
      ZSTD_isError(ZSTD_CCtx_setParameter(e->z4, ZSTD_c_hashLog,
                                          STOR_LOG4_HASH_LOG)))
    return -ENOMEM;
  return 0;
}

void stor_log4_enc_free(struct stor_logenc *e) {
  free(e->z4_mem); /* a static context owns nothing else */
  e->z4_mem = NULL;
  e->z4 = NULL;
}

long stor_log4_compress(struct stor_logenc *e, uint8_t *out, size_t cap) {
  /* the parameters set at stor_log4_enc_init (level, hash table) */
  size_t z = ZSTD_compress2(e->z4, out, cap, e->src, e->stream_len);

  if (ZSTD_isError(z))
    return ZSTD_getErrorCode(z) == ZSTD_error_dstSize_tooSmall ? -ENOSPC
                                                                : -ENOMEM;
  return (long)z;
}

int stor_log4_decompress(struct stor_logblock_reader *r, const uint8_t *z) {
  size_t u = ZSTD_decompressDCtx(r->dec->zd, r->dec->text, r->hdr.text_bytes,
                                 z, r->hdr.ztext_bytes);

  return ZSTD_isError(u) || u != r->hdr.text_bytes ? -EBADMSG : 0;
}
