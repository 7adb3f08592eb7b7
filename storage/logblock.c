/*
 * storage/logblock.c - log blocks (kind 2): string table, field sub-columns,
 * inline text deflated with igzip as one stream, and the checked reader
 * (docs/segment-format.md, "Log blocks").
 *
 * The reader trusts nothing: header fields are bounded, the CRC is checked
 * before any column is read, inflate writes at most the header's U bytes
 * into a buffer of STOR_LOGBLOCK_TEXT_BYTES_MAX and must produce exactly U,
 * and every ref and length is checked against what remains.
 */
#include "storage/logblock.h"

#include <errno.h>
#include <isa-l/igzip_lib.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/assert.h"
#include "core/base/limits.h"
#include "storage/block.h"
#include "storage/encode.h"

#define SLOTS (2 * STOR_LOGBLOCK_DICT_MAX)
#define TIME_EXP_MAX 9
/* Deflate expands at most 1032:1; anything claiming more is corrupt. */
#define INFLATE_RATIO_MAX 1032u
/* The fields' head: time-unit byte and one varint length a sub-column. */
#define FIELDS_HEAD_MAX (1 + STOR_LCOLS * STOR_VARINT_BYTES_MAX)
/* Deflate's worst case (stored blocks: 5 bytes per 65535), with margin. */
#define ZBOUND(u) ((u) + (u) / 256 + 1024)
#define ATTRS_FIELDS_RESERVE 16 /* attributes a record averages, worst case
                                   sizing of the fields scratch */

/* Worst-case bytes a record adds to each sub-column (attributes: their
 * count; each attribute adds STOR_LATTR_FIELDS_BYTES_MAX more). */
static const uint8_t col_rec_max[STOR_LCOLS] = {10, 10, 1, 5, 5, 5, 5, 5, 5, 5};

static const uint64_t pow10_tab[TIME_EXP_MAX + 1] = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
    1000000000};

static uint64_t ld(const uint8_t *p, unsigned n) {
  uint64_t v = 0;

  for (unsigned i = 0; i < n; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

static void st(uint8_t *p, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- encoder scratch ------------------------------------------------------ */

void stor_logenc_free(struct stor_logenc *e) {
  free(e->slots);
  free(e->dict);
  free(e->col[0]);
  free(e->text);
  free(e->stream);
  free(e->zs);
  free(e->level_buf);
  memset(e, 0, sizeof(*e));
}

int stor_logenc_init(struct stor_logenc *e, uint32_t records_max) {
  memset(e, 0, sizeof(*e));
  if (records_max == 0 || records_max > STOR_LOGBLOCK_RECORDS_MAX)
    return -EINVAL;
  e->records_max = records_max;
  size_t all = 0;
  for (int c = 0; c < STOR_LCOLS; c++) {
    e->col_cap[c] = (size_t)records_max * col_rec_max[c];
    if (c == STOR_LCOL_ATTRS)
      e->col_cap[c] += (size_t)records_max * ATTRS_FIELDS_RESERVE *
                       STOR_LATTR_FIELDS_BYTES_MAX;
    all += e->col_cap[c];
  }
  e->level_buf_bytes = ISAL_DEF_LVL1_DEFAULT;
  e->slots = calloc(SLOTS, sizeof(*e->slots));
  e->dict = malloc(STOR_LOGBLOCK_DICT_MAX * sizeof(*e->dict));
  e->col[0] = malloc(all);
  for (int c = 1; c < STOR_LCOLS && e->col[0]; c++)
    e->col[c] = e->col[c - 1] + e->col_cap[c - 1];
  e->text = malloc(STOR_LOGBLOCK_TEXT_BYTES_MAX);
  e->stream = malloc(STOR_LOGBLOCK_TEXT_BYTES_MAX);
  e->zs = malloc(sizeof(*e->zs));
  e->level_buf = malloc(e->level_buf_bytes);
  if (!e->slots || !e->dict || !e->col[0] || !e->text || !e->stream ||
      !e->zs || !e->level_buf) {
    stor_logenc_free(e);
    return -ENOMEM;
  }
  return 0;
}

/* ---- sizes ----------------------------------------------------------------- */

size_t stor_logblock_rec_text_bytes(const struct stor_log_rec *r) {
  size_t n = 5 * STOR_VARINT_BYTES_MAX + r->host.len + r->app.len +
             r->procid.len + r->msgid.len + r->msg.len;

  for (uint32_t i = 0; i < r->attr_count; i++)
    n += 3 * STOR_VARINT_BYTES_MAX + r->attrs[i].sdid.len +
         r->attrs[i].name.len + r->attrs[i].value.len;
  return n;
}

size_t stor_logblock_bytes_max(uint32_t n, uint64_t attrs, size_t text_bytes) {
  size_t dict = (size_t)STOR_LOGBLOCK_DICT_MAX *
                (2 + STOR_LOGBLOCK_DICT_STR_BYTES_MAX);
  size_t stream = FIELDS_HEAD_MAX + (size_t)n * STOR_LREC_FIELDS_BYTES_MAX +
                  attrs * STOR_LATTR_FIELDS_BYTES_MAX + text_bytes;

  return STOR_BLOCK_HEADER_BYTES + dict + ZBOUND(stream);
}

/* ---- encoder --------------------------------------------------------------- */

static uint32_t str_hash(const char *p, uint32_t n) {
  uint32_t h = 2166136261u;

  for (uint32_t i = 0; i < n; i++)
    h = (h ^ (uint8_t)p[i]) * 16777619u;
  return h;
}

static void put_varint(struct stor_logenc *e, int c, uint64_t v) {
  e->col_len[c] += stor_varint_put(e->col[c] + e->col_len[c], v);
}

/* Append len + bytes to the text column (sets overflow when full). */
static void put_text(struct stor_logenc *e, const char *p, uint32_t n) {
  if (e->text_len + STOR_VARINT_BYTES_MAX + n > STOR_LOGBLOCK_TEXT_BYTES_MAX) {
    e->overflow = 1;
    return;
  }
  e->text_len += stor_varint_put(e->text + e->text_len, n);
  memcpy(e->text + e->text_len, p, n);
  e->text_len += n;
}

/* String table index of s, adding it while there is room; -1 if full. */
static long dict_find(struct stor_logenc *e, struct core_syslog_str s) {
  uint32_t h = str_hash(s.ptr, s.len) & (SLOTS - 1);

  for (; e->slots[h].gen == e->gen; h = (h + 1) & (SLOTS - 1)) {
    const struct core_syslog_str *d = &e->dict[e->slots[h].idx];
    if (d->len == s.len && memcmp(d->ptr, s.ptr, s.len) == 0)
      return e->slots[h].idx;
  }
  if (e->dict_count == STOR_LOGBLOCK_DICT_MAX)
    return -1;
  e->slots[h] = (struct stor_lslot){.gen = e->gen, .idx = e->dict_count};
  e->dict[e->dict_count] = s;
  return e->dict_count++;
}

static void put_ref(struct stor_logenc *e, int c, struct core_syslog_str s,
                    int dictable) {
  long idx = -1;

  if (s.len == 0) {
    put_varint(e, c, STOR_LREF_EMPTY);
    return;
  }
  if (dictable && s.len <= STOR_LOGBLOCK_DICT_STR_BYTES_MAX)
    idx = dict_find(e, s);
  if (idx >= 0) {
    put_varint(e, c, STOR_LREF_DICT0 + (uint64_t)idx);
    return;
  }
  put_varint(e, c, STOR_LREF_INLINE);
  put_text(e, s.ptr, s.len);
}

/* Largest e <= 9 with every time - min a multiple of 10^e. */
static unsigned time_exp(const struct stor_log_rec *recs, uint32_t n,
                         int64_t min) {
  unsigned x = TIME_EXP_MAX;

  for (uint32_t i = 0; i < n && x > 0; i++)
    while (x > 0 && ((uint64_t)recs[i].time_ns - (uint64_t)min) % pow10_tab[x])
      x--;
  return x;
}

static void reset_table(struct stor_logenc *e) {
  if (++e->gen == 0) {
    memset(e->slots, 0, SLOTS * sizeof(*e->slots));
    e->gen = 1;
  }
  e->dict_count = 0;
  memset(e->col_len, 0, sizeof(e->col_len));
  e->text_len = 0;
  e->overflow = 0;
}

static int put_record(struct stor_logenc *e, const struct stor_log_rec *r,
                      uint64_t *prev_off, int64_t *prev_recv, int64_t min,
                      uint64_t unit) {
  uint64_t off = ((uint64_t)r->time_ns - (uint64_t)min) / unit;

  if (r->facility > 23 || r->severity > 7 ||
      r->attr_count > CORE_SYSLOG_SD_ATTRS_MAX)
    return -EINVAL;
  if (e->col_len[STOR_LCOL_ATTRS] + col_rec_max[STOR_LCOL_ATTRS] +
          (size_t)r->attr_count * STOR_LATTR_FIELDS_BYTES_MAX >
      e->col_cap[STOR_LCOL_ATTRS])
    return -E2BIG;
  put_varint(e, STOR_LCOL_TIME, stor_zigzag((int64_t)(off - *prev_off)));
  put_varint(e, STOR_LCOL_RECV, stor_zigzag((int64_t)((uint64_t)r->recv_ms -
                                                      (uint64_t)*prev_recv)));
  *prev_off = off;
  *prev_recv = r->recv_ms;
  e->col[STOR_LCOL_PRI][e->col_len[STOR_LCOL_PRI]++] =
      (uint8_t)(r->facility * 8 + r->severity);
  put_varint(e, STOR_LCOL_FLAGS, r->flags);
  put_ref(e, STOR_LCOL_HOST, r->host, 1);
  put_ref(e, STOR_LCOL_APP, r->app, 1);
  put_ref(e, STOR_LCOL_PROCID, r->procid, 1);
  put_ref(e, STOR_LCOL_MSGID, r->msgid, 1);
  put_varint(e, STOR_LCOL_ATTRS, r->attr_count);
  for (uint32_t i = 0; i < r->attr_count; i++) {
    put_ref(e, STOR_LCOL_ATTRS, r->attrs[i].sdid, 1);
    put_ref(e, STOR_LCOL_ATTRS, r->attrs[i].name, 1);
    put_ref(e, STOR_LCOL_ATTRS, r->attrs[i].value, 0);
  }
  put_ref(e, STOR_LCOL_MSG, r->msg, 0);
  return e->overflow ? -E2BIG : 0;
}

/* The stream: time unit, sub-column lengths, sub-columns, inline text. */
static int assemble(struct stor_logenc *e, unsigned x) {
  size_t n = 1 + STOR_LCOLS * STOR_VARINT_BYTES_MAX + e->text_len;
  uint8_t *p = e->stream;

  for (int c = 0; c < STOR_LCOLS; c++)
    n += e->col_len[c];
  if (n > STOR_LOGBLOCK_TEXT_BYTES_MAX)
    return -E2BIG;
  *p++ = (uint8_t)x;
  for (int c = 0; c < STOR_LCOLS; c++)
    p += stor_varint_put(p, e->col_len[c]);
  for (int c = 0; c < STOR_LCOLS; c++) {
    memcpy(p, e->col[c], e->col_len[c]);
    p += e->col_len[c];
  }
  e->fields_len = (size_t)(p - e->stream);
  memcpy(p, e->text, e->text_len);
  e->stream_len = e->fields_len + e->text_len;
  return 0;
}

/* Build the fields and text columns and the string table in e. */
static int build_columns(struct stor_logenc *e, const struct stor_log_rec *recs,
                         uint32_t n, int64_t min) {
  unsigned x = time_exp(recs, n, min);
  uint64_t prev_off = 0;
  int64_t prev_recv = min / 1000000;

  reset_table(e);
  for (uint32_t i = 0; i < n; i++) {
    int rc = put_record(e, &recs[i], &prev_off, &prev_recv, min, pow10_tab[x]);
    if (rc < 0)
      return rc;
  }
  return assemble(e, x);
}

static size_t put_dict(const struct stor_logenc *e, uint8_t *p) {
  size_t n = 0;

  for (uint32_t i = 0; i < e->dict_count; i++) {
    n += stor_varint_put(p + n, e->dict[i].len);
    memcpy(p + n, e->dict[i].ptr, e->dict[i].len);
    n += e->dict[i].len;
  }
  return n;
}

static size_t dict_bytes(const struct stor_logenc *e) {
  size_t n = 0;

  for (uint32_t i = 0; i < e->dict_count; i++)
    n += stor_varint_len(e->dict[i].len) + e->dict[i].len;
  return n;
}

/* Deflate e->stream at level 1 into out[0..cap). Returns bytes or -ENOSPC. */
static long deflate_text(struct stor_logenc *e, uint8_t *out, size_t cap) {
  struct isal_zstream *z = e->zs;
  int rc;

  isal_deflate_stateless_init(z);
  z->level = 1;
  z->level_buf = e->level_buf;
  z->level_buf_size = (uint32_t)e->level_buf_bytes;
  z->end_of_stream = 1;
  z->flush = NO_FLUSH;
  z->next_in = e->stream;
  z->avail_in = (uint32_t)e->stream_len;
  z->next_out = out;
  z->avail_out = cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap;
  rc = isal_deflate_stateless(z);
  if (rc == STATELESS_OVERFLOW)
    return -ENOSPC;
  ASSERT(rc == COMP_OK);
  return (long)z->total_out;
}

/* The shared frame, then the log kind's own fields. */
static void put_header(uint8_t *b, uint16_t shard, uint64_t seq, uint32_t n,
                       const struct stor_logenc *e, int64_t min, int64_t max,
                       size_t dict, size_t ztext) {
  stor_frame_write(b, &(struct stor_frame){.kind = STOR_KIND_LOGS,
                                           .shard = shard,
                                           .count = n,
                                           .seq = seq,
                                           .min = min,
                                           .max = max,
                                           .payload_bytes =
                                               (uint32_t)(dict + ztext)});
  st(b + STOR_LHDR_OFF_TEXT_BYTES, e->stream_len, 4);
  st(b + STOR_LHDR_OFF_DICT_COUNT, e->dict_count, 4);
  st(b + STOR_LHDR_OFF_DICT_BYTES, dict, 4);
  st(b + STOR_LHDR_OFF_FIELDS_BYTES, e->fields_len, 4);
  st(b + STOR_LHDR_OFF_ZTEXT_BYTES, ztext, 4);
}

/* What readers will check must hold when written: the header's rules and
 * the CRC over the whole block (cheap beside the deflate just done). */
static void assert_written(const uint8_t *b, size_t len, uint32_t n,
                           uint64_t seq) {
  struct stor_logblock_hdr h;

  ASSERT(stor_logblock_hdr_read(b, len, &h) == 0);
  ASSERT(h.count == n && h.seq == seq);
  ASSERT(STOR_BLOCK_HEADER_BYTES + (size_t)h.payload_bytes == len);
  ASSERT(stor_block_crc(b, len) == (uint32_t)ld(b + STOR_HDR_OFF_CRC, 4));
}

long stor_logblock_encode(struct stor_logenc *e, uint16_t shard, uint64_t seq,
                          const struct stor_log_rec *recs, uint32_t n,
                          uint8_t *out, size_t cap) {
  int64_t min, max;
  size_t dict, pos;
  long z;
  int rc;

  if (n == 0 || n > e->records_max || seq == 0 || seq > STOR_BLOCK_SEQ_MAX)
    return -EINVAL;
  min = max = recs[0].time_ns;
  for (uint32_t i = 1; i < n; i++) {
    min = recs[i].time_ns < min ? recs[i].time_ns : min;
    max = recs[i].time_ns > max ? recs[i].time_ns : max;
  }
  rc = build_columns(e, recs, n, min);
  if (rc < 0)
    return rc;
  dict = dict_bytes(e);
  pos = STOR_BLOCK_HEADER_BYTES + dict;
  if (pos >= cap)
    return -ENOSPC;
  z = deflate_text(e, out + pos, cap - pos);
  if (z < 0)
    return z;
  if (pos + (size_t)z - STOR_BLOCK_HEADER_BYTES > UINT32_MAX)
    return -E2BIG;
  put_dict(e, out + STOR_BLOCK_HEADER_BYTES);
  put_header(out, shard, seq, n, e, min, max, dict, (size_t)z);
  stor_block_reseal(out, pos + (size_t)z);
  assert_written(out, pos + (size_t)z, n, seq);
  return (long)(pos + (size_t)z);
}

/* ---- decoder scratch ------------------------------------------------------- */

void stor_logdec_free(struct stor_logdec *d) {
  free(d->text);
  free(d->dict);
  free(d->inf);
  memset(d, 0, sizeof(*d));
}

int stor_logdec_init(struct stor_logdec *d) {
  memset(d, 0, sizeof(*d));
  d->text = malloc(STOR_LOGBLOCK_TEXT_BYTES_MAX);
  d->dict = malloc(STOR_LOGBLOCK_DICT_MAX * sizeof(*d->dict));
  d->inf = malloc(sizeof(*d->inf));
  if (!d->text || !d->dict || !d->inf) {
    stor_logdec_free(d);
    return -ENOMEM;
  }
  return 0;
}

/* ---- header ---------------------------------------------------------------- */

static int hdr_impossible(const struct stor_logblock_hdr *h) {
  uint64_t n = h->count, d = h->dict_count, u = h->text_bytes;
  uint64_t c = h->ztext_bytes;

  if (n == 0 || n > STOR_LOGBLOCK_RECORDS_MAX || h->seq == 0 ||
      h->min_ns > h->max_ns || u > STOR_LOGBLOCK_TEXT_BYTES_MAX ||
      d > STOR_LOGBLOCK_DICT_MAX)
    return 1;
  if (h->dict_bytes < 2 * d ||
      h->dict_bytes > d * (2 + STOR_LOGBLOCK_DICT_STR_BYTES_MAX))
    return 1;
  if (h->fields_bytes < 1 + STOR_LCOLS + n * STOR_LREC_FIELDS_BYTES_MIN ||
      h->fields_bytes > u ||
      h->fields_bytes >
          FIELDS_HEAD_MAX +
              n * (STOR_LREC_FIELDS_BYTES_MAX +
                   CORE_SYSLOG_SD_ATTRS_MAX * STOR_LATTR_FIELDS_BYTES_MAX))
    return 1;
  if (c == 0 || u > INFLATE_RATIO_MAX * c || c > ZBOUND(u))
    return 1;
  return (uint64_t)h->dict_bytes + c != h->payload_bytes;
}

int stor_logblock_hdr_read(const uint8_t *b, size_t len,
                           struct stor_logblock_hdr *h) {
  struct stor_frame f;
  int rc = stor_frame_read(b, len, &f); /* magic, check, version, kind */

  if (rc < 0)
    return rc;
  /* the shared frame's fields come decoded; only the log ones are read */
  *h = (struct stor_logblock_hdr){
      .version = f.version,
      .kind = f.kind,
      .shard = f.shard,
      .count = f.count,
      .text_bytes = (uint32_t)ld(b + STOR_LHDR_OFF_TEXT_BYTES, 4),
      .seq = f.seq,
      .min_ns = f.min,
      .max_ns = f.max,
      .payload_bytes = f.payload_bytes,
      .dict_count = (uint32_t)ld(b + STOR_LHDR_OFF_DICT_COUNT, 4),
      .dict_bytes = (uint32_t)ld(b + STOR_LHDR_OFF_DICT_BYTES, 4),
      .fields_bytes = (uint32_t)ld(b + STOR_LHDR_OFF_FIELDS_BYTES, 4),
      .ztext_bytes = (uint32_t)ld(b + STOR_LHDR_OFF_ZTEXT_BYTES, 4)};
  if (h->kind != STOR_KIND_LOGS || hdr_impossible(h))
    return -EBADMSG;
  return 0;
}

/* ---- reader ---------------------------------------------------------------- */

static int read_dict(struct stor_logblock_reader *r, const uint8_t *p) {
  const uint8_t *end = p + r->hdr.dict_bytes;

  for (uint32_t i = 0; i < r->hdr.dict_count; i++) {
    uint64_t n;
    if (stor_varint_get(&p, end, &n) < 0 || n == 0 ||
        n > STOR_LOGBLOCK_DICT_STR_BYTES_MAX || n > (uint64_t)(end - p))
      return -EBADMSG;
    r->dec->dict[i] = (struct core_syslog_str){(const char *)p, (uint32_t)n};
    p += n;
  }
  return p == end ? 0 : -EBADMSG;
}

/* Inflate exactly U bytes; a stream that wants more is rejected unread. */
static int inflate_text(struct stor_logblock_reader *r, const uint8_t *z) {
  struct inflate_state *s = r->dec->inf;

  isal_inflate_init(s);
  s->crc_flag = ISAL_DEFLATE;
  s->next_in = (uint8_t *)z;
  s->avail_in = r->hdr.ztext_bytes;
  s->next_out = r->dec->text;
  s->avail_out = r->hdr.text_bytes;
  if (isal_inflate_stateless(s) != ISAL_DECOMP_OK ||
      s->total_out != r->hdr.text_bytes || s->avail_in != 0)
    return -EBADMSG;
  return 0;
}

/* Split the inflated fields into sub-columns; the text follows them. */
static int open_fields(struct stor_logblock_reader *r) {
  const uint8_t *p = r->dec->text + 1, *end = r->dec->text + r->hdr.fields_bytes;
  uint64_t len[STOR_LCOLS];

  r->time_exp = r->dec->text[0];
  if (r->time_exp > TIME_EXP_MAX)
    return -EBADMSG;
  for (int c = 0; c < STOR_LCOLS; c++)
    if (stor_varint_get(&p, end, &len[c]) < 0)
      return -EBADMSG;
  for (int c = 0; c < STOR_LCOLS; c++) {
    if (len[c] > (uint64_t)(end - p))
      return -EBADMSG;
    r->cp[c] = p;
    r->cend[c] = p + len[c];
    p += len[c];
  }
  r->tp = end;
  r->tend = r->dec->text + r->hdr.text_bytes;
  return p == end ? 0 : -EBADMSG;
}

int stor_logblock_reader_init(struct stor_logblock_reader *r,
                              struct stor_logdec *dec, const uint8_t *block,
                              size_t len) {
  const uint8_t *p = block + STOR_BLOCK_HEADER_BYTES;
  size_t total;
  int rc;

  memset(r, 0, sizeof(*r));
  r->failed = 1;
  r->dec = dec;
  rc = stor_logblock_hdr_read(block, len, &r->hdr);
  if (rc < 0)
    return rc;
  total = STOR_BLOCK_HEADER_BYTES + (size_t)r->hdr.payload_bytes;
  if (len < total)
    return -EAGAIN;
  if (stor_block_crc(block, total) != ld(block + STOR_HDR_OFF_CRC, 4) ||
      read_dict(r, p) < 0)
    return -EBADMSG;
  if (inflate_text(r, p + r->hdr.dict_bytes) < 0 || open_fields(r) < 0)
    return -EBADMSG;
  r->time_unit = pow10_tab[r->time_exp];
  r->prev_recv_ms = r->hdr.min_ns / 1000000;
  r->left = r->hdr.count;
  r->seen_min = INT64_MAX;
  r->seen_max = INT64_MIN;
  r->failed = 0;
  return 0;
}

static int get_varint(struct stor_logblock_reader *r, int c, uint64_t *v) {
  return stor_varint_get(&r->cp[c], r->cend[c], v);
}

static int get_ref(struct stor_logblock_reader *r, int c,
                   struct core_syslog_str *s) {
  uint64_t v, n;

  if (get_varint(r, c, &v) < 0)
    return -EBADMSG;
  if (v == STOR_LREF_EMPTY) {
    *s = (struct core_syslog_str){"", 0};
    return 0;
  }
  if (v >= STOR_LREF_DICT0) {
    if (v - STOR_LREF_DICT0 >= r->hdr.dict_count)
      return -EBADMSG;
    *s = r->dec->dict[v - STOR_LREF_DICT0];
    return 0;
  }
  if (stor_varint_get(&r->tp, r->tend, &n) < 0 || n == 0 ||
      n > (uint64_t)(r->tend - r->tp))
    return -EBADMSG;
  *s = (struct core_syslog_str){(const char *)r->tp, (uint32_t)n};
  r->tp += n;
  return 0;
}

static int get_times(struct stor_logblock_reader *r, struct stor_log_rec *out) {
  uint64_t dt, dr, off;
  uint64_t range = (uint64_t)r->hdr.max_ns - (uint64_t)r->hdr.min_ns;

  if (get_varint(r, STOR_LCOL_TIME, &dt) < 0 ||
      get_varint(r, STOR_LCOL_RECV, &dr) < 0)
    return -EBADMSG;
  off = r->prev_off + (uint64_t)stor_unzigzag(dt);
  if (off > range / r->time_unit)
    return -EBADMSG;
  r->prev_off = off;
  out->time_ns = (int64_t)((uint64_t)r->hdr.min_ns + off * r->time_unit);
  out->recv_ms = (int64_t)((uint64_t)r->prev_recv_ms +
                           (uint64_t)stor_unzigzag(dr));
  r->prev_recv_ms = out->recv_ms;
  r->seen_min = out->time_ns < r->seen_min ? out->time_ns : r->seen_min;
  r->seen_max = out->time_ns > r->seen_max ? out->time_ns : r->seen_max;
  return 0;
}

static int get_record(struct stor_logblock_reader *r, struct stor_log_rec *out,
                      struct core_syslog_attr *attrs, uint32_t cap) {
  uint64_t flags, na;
  uint8_t pri;

  if (get_times(r, out) < 0 || r->cp[STOR_LCOL_PRI] == r->cend[STOR_LCOL_PRI])
    return -EBADMSG;
  pri = *r->cp[STOR_LCOL_PRI]++;
  if (pri > 23 * 8 + 7 || get_varint(r, STOR_LCOL_FLAGS, &flags) < 0 ||
      flags > UINT32_MAX || get_ref(r, STOR_LCOL_HOST, &out->host) < 0 ||
      get_ref(r, STOR_LCOL_APP, &out->app) < 0 ||
      get_ref(r, STOR_LCOL_PROCID, &out->procid) < 0 ||
      get_ref(r, STOR_LCOL_MSGID, &out->msgid) < 0 ||
      get_varint(r, STOR_LCOL_ATTRS, &na) < 0 || na > CORE_SYSLOG_SD_ATTRS_MAX)
    return -EBADMSG;
  if (na > cap)
    return -ENOSPC;
  out->facility = pri >> 3;
  out->severity = pri & 7;
  out->flags = (uint32_t)flags;
  out->attr_count = (uint32_t)na;
  out->attrs = attrs;
  for (uint32_t i = 0; i < na; i++)
    if (get_ref(r, STOR_LCOL_ATTRS, &attrs[i].sdid) < 0 ||
        get_ref(r, STOR_LCOL_ATTRS, &attrs[i].name) < 0 ||
        get_ref(r, STOR_LCOL_ATTRS, &attrs[i].value) < 0)
      return -EBADMSG;
  return get_ref(r, STOR_LCOL_MSG, &out->msg);
}

/* After the last record: every sub-column and the text used up exactly. */
static int all_used(const struct stor_logblock_reader *r) {
  for (int c = 0; c < STOR_LCOLS; c++)
    if (r->cp[c] != r->cend[c])
      return 0;
  return r->tp == r->tend && r->seen_min == r->hdr.min_ns &&
         r->seen_max == r->hdr.max_ns;
}

int stor_logblock_next(struct stor_logblock_reader *r, struct stor_log_rec *out,
                       struct core_syslog_attr *attrs, uint32_t cap) {
  int rc;

  if (r->failed)
    return -EBADMSG;
  if (r->left == 0) {
    if (!all_used(r)) {
      r->failed = 1;
      return -EBADMSG;
    }
    return 0;
  }
  rc = get_record(r, out, attrs, cap);
  if (rc < 0) {
    r->failed = 1;
    return rc;
  }
  r->left--;
  return 1;
}
