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
#include "storage/logblock_internal.h"
#include "storage/zcol.h"

#define STOR_LPC_BITS 8 /* log2(STOR_LPC_SLOTS) */
_Static_assert(STOR_LPC_SLOTS == 1u << STOR_LPC_BITS, "address front size");
#define ATTRS_FIELDS_RESERVE 16 /* attributes a record averages, worst case
                                   sizing of the fields scratch */

/* Worst-case bytes a record adds to each sub-column (attributes: their
 * count; each attribute adds STOR_LATTR_FIELDS_BYTES_MAX more). */
static const uint8_t col_rec_max[STOR_LCOLS] = {10, 10, 1, 5, 5, 5, 5, 5, 5, 5};

static const uint64_t pow10_tab[STOR_LTIME_EXP_MAX + 1] = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
    1000000000};

/* 10^x = 2^x * 5^x, and 5 is odd: a multiple d of 10^x divides as
 * (d >> x) * 5^-x mod 2^64, and d is a multiple of 5^x exactly when
 * d * 5^-x mod 2^64 <= (2^64 - 1) / 5^x (Hacker's Delight 10-17): no
 * 64-bit division a record. */
static const uint64_t inv5_tab[STOR_LTIME_EXP_MAX + 1] = {
    UINT64_C(0x1), UINT64_C(0xcccccccccccccccd), UINT64_C(0x8f5c28f5c28f5c29),
    UINT64_C(0x1cac083126e978d5), UINT64_C(0xd288ce703afb7e91),
    UINT64_C(0x5d4e8fb00bcbe61d), UINT64_C(0x790fb65668c26139),
    UINT64_C(0xe5032477ae8d46a5), UINT64_C(0xc767074b22e90e21),
    UINT64_C(0x8e47ce423a2e9c6d)};
static const uint64_t lim5_tab[STOR_LTIME_EXP_MAX + 1] = {
    UINT64_MAX, UINT64_MAX / 5, UINT64_MAX / 25, UINT64_MAX / 125,
    UINT64_MAX / 625, UINT64_MAX / 3125, UINT64_MAX / 15625,
    UINT64_MAX / 78125, UINT64_MAX / 390625, UINT64_MAX / 1953125};

/* d / 10^x for a multiple d of 10^x. */
static inline uint64_t ltime_div(uint64_t d, unsigned x) {
  return (d >> x) * inv5_tab[x];
}

uint64_t stor_ltime_unit(unsigned x) {
  ASSERT(x <= STOR_LTIME_EXP_MAX);
  return pow10_tab[x];
}

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
  stor_log2_enc_free(e);
  stor_log4_enc_free(e);
  stor_ztab_free(&e->tab);
  stor_zdeflate_free(&e->zd);
  free(e->col[0]);
  free(e->text_mem);
  free(e->stream);
  free(e->otel);
  free(e->itime);
  free(e->irecv);
  memset(e, 0, sizeof(*e));
}

int stor_logenc_init(struct stor_logenc *e, uint32_t records_max) {
  memset(e, 0, sizeof(*e));
  if (records_max == 0 || records_max > STOR_LOGBLOCK_RECORDS_MAX)
    return -EINVAL;
  e->records_max = records_max;
  e->layout = STOR_LOG_LAYOUT_LIVE;
  e->level = STOR_LOG2_ZLEVEL_LIVE;
  e->no_templates = !STOR_LOG2_TEMPLATES_LIVE;
  size_t all = 0;
  for (int c = 0; c < STOR_LCOLS; c++) {
    e->col_cap[c] = (size_t)records_max * col_rec_max[c];
    if (c == STOR_LCOL_ATTRS)
      e->col_cap[c] += (size_t)records_max * ATTRS_FIELDS_RESERVE *
                       STOR_LATTR_FIELDS_BYTES_MAX;
    all += e->col_cap[c];
  }
  e->col[0] = malloc(all);
  for (int c = 1; c < STOR_LCOLS && e->col[0]; c++)
    e->col[c] = e->col[c - 1] + e->col_cap[c - 1];
  e->text_head = STOR_LFIELDS_HEAD_MAX + all; /* the most fields can take */
  e->text_mem = malloc(e->text_head + STOR_LOGBLOCK_TEXT_BYTES_MAX);
  e->text = e->text_mem ? e->text_mem + e->text_head : NULL;
  e->stream = malloc(STOR_LOGBLOCK_TEXT_BYTES_MAX);
  e->otel = malloc((size_t)records_max * STOR_LOTEL_REC_BYTES_MAX);
  e->itime = malloc((size_t)records_max * sizeof(*e->itime));
  e->irecv = malloc((size_t)records_max * sizeof(*e->irecv));
  if (!e->col[0] || !e->text_mem || !e->stream || !e->otel || !e->itime ||
      !e->irecv ||
      stor_ztab_init(&e->tab, STOR_LOGBLOCK_DICT_MAX,
                     STOR_LOGBLOCK_DICT_STR_BYTES_MAX) < 0 ||
      stor_zdeflate_init(&e->zd) < 0 || stor_log2_enc_init(e) < 0 ||
      stor_log4_enc_init(e) < 0) {
    stor_logenc_free(e);
    return -ENOMEM;
  }
  return 0;
}

int stor_logenc_set_level(struct stor_logenc *e, int level) {
  if (level < -7 || level == 0 || level > 22)
    return -EINVAL;
  e->level = level;
  return 0;
}

int stor_logenc_set_layout(struct stor_logenc *e, unsigned layout) {
  if (layout < 1 || layout > STOR_LOG_LAYOUT4)
    return -EINVAL;
  if (stor_log_otel_layout(layout)) { /* layout 1's path, OTLP blocks */
    e->otlp_layout = layout;
    layout = 1;
  }
  e->layout = layout;
  return 0;
}

void stor_logenc_set_templates(struct stor_logenc *e, int on) {
  e->no_templates = !on;
}

/* ---- sizes ----------------------------------------------------------------- */

size_t stor_logblock_rec_text_bytes(const struct stor_log_rec *r) {
  size_t n = 5 * STOR_VARINT_BYTES_MAX + r->host.len + r->app.len +
             r->procid.len + r->msgid.len + r->msg.len;

  for (uint32_t i = 0; i < r->attr_count; i++)
    n += 3 * STOR_VARINT_BYTES_MAX + r->attrs[i].sdid.len +
         r->attrs[i].name.len + r->attrs[i].value.len;
  /* binary OTLP fields: what they take as served text (so that a head
   * seals where it did when they were text; the raw column is bounded
   * apart, STOR_LOTEL_REC_BYTES_MAX a record) */
  if (r->otel.has)
    n += stor_log_otel_text_bytes(&r->otel);
  return n;
}

/* Both layouts: layout 2's stream holds layout 1's stream and string
 * table, six more column lengths and at most STOR_LOG2_EXCESS_BYTES_MAX
 * of templates beyond the raw strings; zstd's bound is within
 * STOR_ZBOUND. */
size_t stor_logblock_bytes_max(uint32_t n, uint64_t attrs, size_t text_bytes) {
  size_t dict = (size_t)STOR_LOGBLOCK_DICT_MAX *
                (2 + STOR_LOGBLOCK_DICT_STR_BYTES_MAX);
  size_t stream = STOR_LFIELDS_HEAD2_MAX +
                  (size_t)n * STOR_LREC_FIELDS_BYTES_MAX +
                  attrs * STOR_LATTR_FIELDS_BYTES_MAX + text_bytes;

  return STOR_BLOCK_HEADER_BYTES + 4 +
         (size_t)n * STOR_LOTEL_REC_BYTES_MAX +
         STOR_ZBOUND(dict + stream + STOR_LOG2_EXCESS_BYTES_MAX);
}

/* ---- encoder (both layouts) ------------------------------------------------ */

/* Copy n <= 16 bytes without a call. */
static inline void copy_short(uint8_t *d, const char *p, uint32_t n) {
  if (n >= 8) {
    uint64_t a, b;
    memcpy(&a, p, 8);
    memcpy(&b, p + n - 8, 8);
    memcpy(d, &a, 8);
    memcpy(d + n - 8, &b, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    memcpy(&a, p, 4);
    memcpy(&b, p + n - 4, 4);
    memcpy(d, &a, 4);
    memcpy(d + n - 4, &b, 4);
  } else {
    for (uint32_t i = 0; i < n; i++)
      d[i] = (uint8_t)p[i];
  }
}

/* Layout 1's write cursors, held in a local by its record loop: the
 * column and text bytes are uint8_t, so each store through e->col[c] +
 * e->col_len[c] made the compiler reload both (and e->text_len) before the
 * next one. Loaded from e (lcur_load) and written back (lcur_store) once a
 * block; only always-inlined functions take its address, so it stays in
 * registers and stack slots no byte store can alias. */
struct lcur {
  uint8_t *c[STOR_LCOLS]; /* where column c's next byte goes */
  uint8_t *t;             /* the text's next byte */
  uint8_t *t_end;         /* a string starting at t that is longer than
                             t_end - t overflows (STOR_VARINT_BYTES_MAX
                             short of STOR_LOGBLOCK_TEXT_BYTES_MAX) */
  uint8_t *a_end;         /* the attributes column's capacity */
  int overflow;
};

#define LINLINE static inline __attribute__((always_inline))

LINLINE void lcur_load(const struct stor_logenc *e, struct lcur *w) {
  for (int c = 0; c < STOR_LCOLS; c++)
    w->c[c] = e->col[c] + e->col_len[c];
  w->t = e->text + e->text_len;
  w->t_end = e->text + STOR_LOGBLOCK_TEXT_BYTES_MAX - STOR_VARINT_BYTES_MAX;
  w->a_end = e->col[STOR_LCOL_ATTRS] + e->col_cap[STOR_LCOL_ATTRS];
  w->overflow = e->overflow;
}

LINLINE void lcur_store(struct stor_logenc *e, const struct lcur *w) {
  for (int c = 0; c < STOR_LCOLS; c++)
    e->col_len[c] = (size_t)(w->c[c] - e->col[c]);
  e->text_len = (size_t)(w->t - e->text);
  e->overflow = w->overflow;
}

/* stor_lput_varint through w. */
LINLINE void put_varint(struct lcur *w, int c, uint64_t v) {
  if (v < 0x80) { /* most refs and counts: one byte, no call */
    *w->c[c]++ = (uint8_t)v;
    return;
  }
  w->c[c] += stor_varint_put(w->c[c], v);
}

/* stor_lput_text through w. */
LINLINE void put_text(struct lcur *w, const char *p, uint32_t n) {
  uint8_t *d = w->t;

  if (n > (size_t)(w->t_end - d)) {
    w->overflow = 1;
    return;
  }
  if (n < 0x80) /* most strings: a one-byte length */
    *d++ = (uint8_t)n;
  else
    d += stor_varint_put(d, n);
  if (n <= 16) /* attribute values: two overlapping words, no call */
    copy_short(d, p, n);
  else
    memcpy(d, p, n);
  w->t = d + n;
}

void stor_lput_text(struct stor_logenc *e, const char *p, uint32_t n) {
  struct lcur w;

  lcur_load(e, &w);
  put_text(&w, p, n);
  lcur_store(e, &w);
}

/* The slot of s's address in an address front. */
static struct stor_lpc *lpc_slot(struct stor_lpc *front,
                                 struct core_syslog_str s) {
  uintptr_t a = (uintptr_t)s.ptr;

  return &front[(uint32_t)(((a >> 3) ^ (a >> 15) ^ s.len) * 0x9e3779b1u) >>
                (32 - STOR_LPC_BITS)];
}

/* s's string table index (added when new), or -1: through the address
 * front (struct stor_lpc) first; *front 1 when found there. */
LINLINE long dict_index_front(struct stor_logenc *e, struct core_syslog_str s,
                              int *front) {
  struct stor_lpc *c = lpc_slot(e->pc, s);
  long idx;

  *front = c->ptr == s.ptr && c->len == s.len && c->gen == e->tab.gen;
  if (*front)
    return c->idx;
  idx = stor_ztab_find(&e->tab, (struct stor_zstr){s.ptr, s.len});
  if (idx >= 0)
    *c = (struct stor_lpc){s.ptr, s.len, e->tab.gen, (uint32_t)idx};
  return idx;
}

/* dict_index_front without the flag. */
static long dict_index(struct stor_logenc *e, struct core_syslog_str s) {
  int front;

  return dict_index_front(e, s, &front);
}

/* stor_lput_ref through w. */
LINLINE void put_ref(struct stor_logenc *e, struct lcur *w, int c,
                     struct core_syslog_str s, int dictable) {
  long idx = -1;

  if (s.len == 0) {
    put_varint(w, c, STOR_LREF_EMPTY);
    return;
  }
  if (dictable)
    idx = dict_index(e, s);
  if (idx >= 0) {
    put_varint(w, c, STOR_LREF_DICT0 + (uint64_t)idx);
    return;
  }
  put_varint(w, c, STOR_LREF_INLINE);
  put_text(w, s.ptr, s.len);
}

_Static_assert(STOR_LCOL_MSGID - STOR_LCOL_HOST + 1 == STOR_LRM_COLS,
               "host, app, procid and msgid: the memo's columns in a row");

/* put_ref of a dictable head string (column STOR_LCOL_HOST + i): the last
 * record's one-byte ref when s is at its address (struct stor_lrm; the
 * front would give the same index), without hashing the address. Kept
 * only when the front knew s (an address seen before: OTLP records share
 * their resource's strings; a syslog record's are its own copies, whose
 * memo would cost a store and never be used). */
LINLINE void put_head_ref(struct stor_logenc *e, struct lcur *w, int c,
                          struct core_syslog_str s) {
  struct stor_lrm *m = &e->rm[c - STOR_LCOL_HOST];
  long idx;
  int front;

  if (s.len == 0) {
    put_varint(w, c, STOR_LREF_EMPTY);
    return;
  }
  if (m->ptr == s.ptr && m->len == s.len && m->ref) {
    *w->c[c]++ = m->ref;
    return;
  }
  idx = dict_index_front(e, s, &front);
  if (idx < 0) {
    put_varint(w, c, STOR_LREF_INLINE);
    put_text(w, s.ptr, s.len);
    return;
  }
  if (front && STOR_LREF_DICT0 + idx < 0x80)
    *m = (struct stor_lrm){s.ptr, s.len, (uint8_t)(STOR_LREF_DICT0 + idx)};
  put_varint(w, c, STOR_LREF_DICT0 + (uint64_t)idx);
}

void stor_lput_ref(struct stor_logenc *e, int c, struct core_syslog_str s,
                   int dictable) {
  struct lcur w;

  lcur_load(e, &w);
  put_ref(e, &w, c, s, dictable);
  lcur_store(e, &w);
}

/* stor_ltime_exp given the OR of every time - t for one of the times t
 * (stor_ltime_range's): the 2^x part for all records at once, as the
 * trailing zeros of any such OR are those of the OR of time - min. */
static unsigned ltime_exp_or(const struct stor_log_rec *recs, uint32_t n,
                             int64_t min, uint64_t all) {
  unsigned x = all ? (unsigned)__builtin_ctzll(all) : STOR_LTIME_EXP_MAX;

  x = x < STOR_LTIME_EXP_MAX ? x : STOR_LTIME_EXP_MAX;
  /* then 5^x, record by record (x only falls: 2^x still divides) */
  for (uint32_t i = 0; i < n && x > 0; i++) {
    uint64_t d = (uint64_t)recs[i].time_ns - (uint64_t)min;
    while (x > 0 && (d >> x) * inv5_tab[x] > lim5_tab[x])
      x--;
  }
  return x;
}

unsigned stor_ltime_exp(const struct stor_log_rec *recs, uint32_t n,
                        int64_t min) {
  uint64_t all = 0;

  for (uint32_t i = 0; i < n; i++)
    all |= (uint64_t)recs[i].time_ns - (uint64_t)min;
  return ltime_exp_or(recs, n, min, all);
}

void stor_lreset(struct stor_logenc *e) {
  stor_ztab_reset(&e->tab);
  if (e->tab.gen == 1) { /* wrapped: old entries would look current */
    memset(e->pc, 0, sizeof(e->pc));
    memset(e->am, 0, sizeof(e->am));
  }
  /* value memos: no string of this block has a NULL address (saves
   * put_value a generation check an attribute) */
  for (uint32_t i = 0; i < CORE_SYSLOG_SD_ATTRS_MAX; i++)
    e->am[i].value = NULL;
  for (uint32_t i = 0; i < STOR_LRM_COLS; i++)
    e->rm[i].ref = 0;
  memset(e->col_len, 0, sizeof(e->col_len));
  e->text_len = 0;
  e->overflow = 0;
}

/* stor_lrec_check through w, inlined into layout 1's record loop. */
LINLINE int rec_check(const struct lcur *w, const struct stor_log_rec *r) {
  if (r->facility > 23 || r->severity > 7 ||
      r->attr_count > CORE_SYSLOG_SD_ATTRS_MAX)
    return -EINVAL;
  if (col_rec_max[STOR_LCOL_ATTRS] +
          (size_t)r->attr_count * STOR_LATTR_FIELDS_BYTES_MAX >
      (size_t)(w->a_end - w->c[STOR_LCOL_ATTRS]))
    return -E2BIG;
  return 0;
}

int stor_lrec_check(const struct stor_logenc *e, const struct stor_log_rec *r) {
  struct lcur w;

  lcur_load(e, &w);
  return rec_check(&w, r);
}

uint64_t stor_ltime_range(const struct stor_log_rec *recs, uint32_t n,
                          int64_t *min, int64_t *max) {
  uint64_t all = 0;

  *min = *max = recs[0].time_ns;
  for (uint32_t i = 1; i < n; i++) {
    *min = recs[i].time_ns < *min ? recs[i].time_ns : *min;
    *max = recs[i].time_ns > *max ? recs[i].time_ns : *max;
    all |= (uint64_t)recs[i].time_ns - (uint64_t)recs[0].time_ns;
  }
  return all;
}

/* ---- layout 1 encoder (kept: tests write what older sluice wrote) ---------- */

/* Attribute i's value ref: inline, or from the string table when the
 * last record's value i had its address (struct stor_lam). */
LINLINE void put_value(struct stor_logenc *e, struct lcur *w, uint32_t i,
                       struct core_syslog_str s) {
  struct stor_lam *m = &e->am[i];

  /* most repeated values: a one-byte ref. Never an empty s: a memo's
   * value_len is 0 only as zeroed (stor_logenc_init, or stor_lreset at
   * the table generation's wrap), value_ref then 0 too; past that it is
   * a value's (not empty), and after stor_lreset the memo's address is
   * NULL, which no string of a length has. */
  if (__builtin_expect(m->value == s.ptr && m->value_len == s.len &&
                           m->value_ref != 0,
                       1)) {
    *w->c[STOR_LCOL_ATTRS]++ = m->value_ref;
    return;
  }
  if (s.len == 0) {
    put_varint(w, STOR_LCOL_ATTRS, STOR_LREF_EMPTY);
    return;
  }
  if (m->value == s.ptr && m->value_len == s.len) { /* stor_lreset: NULL */
    if (m->value_idx == STOR_LPC_ONCE) {
      long idx = stor_ztab_find(&e->tab, (struct stor_zstr){s.ptr, s.len});
      m->value_idx = idx >= 0 ? (uint32_t)idx : STOR_LPC_ONCE;
      if (idx >= 0 && STOR_LREF_DICT0 + idx < 0x80)
        m->value_ref = (uint8_t)(STOR_LREF_DICT0 + idx);
    }
    if (m->value_idx != STOR_LPC_ONCE) {
      put_varint(w, STOR_LCOL_ATTRS, STOR_LREF_DICT0 + (uint64_t)m->value_idx);
      return;
    }
  } else {
    m->value = s.ptr;
    m->value_len = s.len;
    m->value_idx = STOR_LPC_ONCE;
    m->value_ref = 0;
  }
  put_varint(w, STOR_LCOL_ATTRS, STOR_LREF_INLINE);
  put_text(w, s.ptr, s.len);
}

/* A string's ref when it is empty or in the string table, else -1. */
static long table_ref(struct stor_logenc *e, struct core_syslog_str s) {
  long idx;

  if (s.len == 0)
    return STOR_LREF_EMPTY;
  idx = dict_index(e, s);
  return idx < 0 ? -1 : STOR_LREF_DICT0 + idx;
}

/* Attribute i's sd id and name refs: from the memo when its addresses are
 * the last record's (struct stor_lam), else as stor_lput_ref writes them
 * (memoised when both are one byte). */
LINLINE void put_attr_names(struct stor_logenc *e, struct lcur *w, uint32_t i,
                            const struct core_syslog_attr *a) {
  struct stor_lam *m = &e->am[i];
  uint8_t *d = w->c[STOR_LCOL_ATTRS];
  long rs, rn;

  if (m->gen == e->tab.gen && m->sdid == a->sdid.ptr &&
      m->name == a->name.ptr && m->sdid_len == a->sdid.len &&
      m->name_len == a->name.len) {
    d[0] = m->ref[0];
    d[1] = m->ref[1];
    w->c[STOR_LCOL_ATTRS] = d + 2;
    return;
  }
  rs = table_ref(e, a->sdid);
  rn = rs < 0 ? -1 : table_ref(e, a->name);
  if (rs < 0 || rn < 0 || rs >= 128 || rn >= 128) {
    put_ref(e, w, STOR_LCOL_ATTRS, a->sdid, 1);
    put_ref(e, w, STOR_LCOL_ATTRS, a->name, 1);
    return;
  }
  m->sdid = a->sdid.ptr;
  m->name = a->name.ptr;
  m->sdid_len = a->sdid.len;
  m->name_len = a->name.len;
  m->gen = e->tab.gen;
  m->ref[0] = (uint8_t)rs;
  m->ref[1] = (uint8_t)rn;
  d[0] = m->ref[0];
  d[1] = m->ref[1];
  w->c[STOR_LCOL_ATTRS] = d + 2;
}

/* The TIME and RECV entries of a record (both relative to the block's
 * min time, and the last record's). */
LINLINE void put_times(struct lcur *w, int64_t time_ns, int64_t recv_ms,
                       uint64_t *prev_off, int64_t *prev_recv, int64_t min,
                       unsigned x) {
  uint64_t d = (uint64_t)time_ns - (uint64_t)min, off = ltime_div(d, x);

  /* always on: a unit that did not divide d would store another time
   * (the multiply by 5^-x is exact only for multiples of 10^x) */
  ASSERT(off * pow10_tab[x] == d);
  put_varint(w, STOR_LCOL_TIME, stor_zigzag((int64_t)(off - *prev_off)));
  put_varint(w, STOR_LCOL_RECV,
             stor_zigzag((int64_t)((uint64_t)recv_ms - (uint64_t)*prev_recv)));
  *prev_off = off;
  *prev_recv = recv_ms;
}

/* Record r's entries in every column; deferred (records added one by
 * one): TIME and RECV left to stor_logenc_finish, which knows min. */
LINLINE int put_record(struct stor_logenc *e, struct lcur *w,
                       const struct stor_log_rec *r, uint64_t *prev_off,
                       int64_t *prev_recv, int64_t min, unsigned x,
                       int deferred) {
  int rc = rec_check(w, r);

  if (rc < 0)
    return rc;
  if (!deferred)
    put_times(w, r->time_ns, r->recv_ms, prev_off, prev_recv, min, x);
  *w->c[STOR_LCOL_PRI]++ = (uint8_t)(r->facility * 8 + r->severity);
  put_varint(w, STOR_LCOL_FLAGS, r->flags);
  put_head_ref(e, w, STOR_LCOL_HOST, r->host);
  put_head_ref(e, w, STOR_LCOL_APP, r->app);
  put_head_ref(e, w, STOR_LCOL_PROCID, r->procid);
  put_head_ref(e, w, STOR_LCOL_MSGID, r->msgid);
  /* the producer's hint (keys_prev) spares the comparison; debug builds
   * check it (a wrong hint would write the last record's keys) */
  int same = e->layout3 && (r->keys_prev ? e->kprev != NULL
                                         : stor_log3_keys_same(e, r));
#ifndef NDEBUG
  ASSERT(!(e->layout3 && r->keys_prev && e->kprev != NULL) ||
         stor_log3_keys_same(e, r));
#endif

  put_varint(w, STOR_LCOL_ATTRS,
             e->layout3 ? (uint64_t)r->attr_count << 1 | (uint64_t)same
                        : r->attr_count);
  /* in locals: the column bytes written could alias r (no reloads) */
  const struct core_syslog_attr *a = r->attrs;
  const uint32_t n = r->attr_count;

  if (same) /* most OTLP records: values only, a loop without a branch */
    for (uint32_t i = 0; i < n; i++)
      put_value(e, w, i, a[i].value);
  else
    for (uint32_t i = 0; i < n; i++) {
      put_attr_names(e, w, i, &a[i]);
      put_value(e, w, i, a[i].value);
    }
  e->kprev = r;
  put_ref(e, w, STOR_LCOL_MSG, r->msg, 0);
  if (e->layout3 && (rc = stor_log3_put(e, r)) < 0)
    return rc;
  return w->overflow ? -E2BIG : 0;
}

/* The stream: time unit, sub-column lengths, sub-columns, inline text;
 * the fields written just before the text (e->src), which stays put. */
static int assemble(struct stor_logenc *e, unsigned x) {
  size_t n = 1 + STOR_LCOLS * STOR_VARINT_BYTES_MAX + e->text_len,
         f = 1;
  uint8_t *p;

  for (int c = 0; c < STOR_LCOLS; c++) {
    n += e->col_len[c];
    f += stor_varint_len(e->col_len[c]) + e->col_len[c];
  }
  if (n > STOR_LOGBLOCK_TEXT_BYTES_MAX)
    return -E2BIG;
  ASSERT(f <= e->text_head);
  p = e->text - f;
  e->src = p;
  *p++ = (uint8_t)x;
  for (int c = 0; c < STOR_LCOLS; c++)
    p += stor_varint_put(p, e->col_len[c]);
  for (int c = 0; c < STOR_LCOLS; c++) {
    memcpy(p, e->col[c], e->col_len[c]);
    p += e->col_len[c];
  }
  ASSERT(p == e->text);
  e->fields_len = f;
  e->stream_len = f + e->text_len;
  return 0;
}

/* Build the fields and text columns and the string table in e. */
static int build_columns(struct stor_logenc *e, const struct stor_log_rec *recs,
                         uint32_t n, int64_t min, uint64_t all) {
  unsigned x = ltime_exp_or(recs, n, min, all);
  uint64_t prev_off = 0;
  int64_t prev_recv = min / 1000000;

  struct lcur w;
  int rc = 0;

  stor_lreset(e);
  e->otel_len = 0;
  e->otel_last = 0;
  e->kprev = NULL;
  lcur_load(e, &w);
  for (uint32_t i = 0; i < n && rc == 0; i++)
    rc = put_record(e, &w, &recs[i], &prev_off, &prev_recv, min, x, 0);
  lcur_store(e, &w);
  return rc < 0 ? rc : assemble(e, x);
}

void stor_lput_header(uint8_t *b, uint16_t shard, uint64_t seq, uint32_t n,
                      int64_t min, int64_t max, uint32_t payload,
                      const uint32_t words[5]) {
  static const unsigned off[5] = {
      STOR_LHDR_OFF_TEXT_BYTES, STOR_LHDR_OFF_DICT_COUNT,
      STOR_LHDR_OFF_DICT_BYTES, STOR_LHDR_OFF_FIELDS_BYTES,
      STOR_LHDR_OFF_ZTEXT_BYTES};

  stor_frame_write(b, &(struct stor_frame){.kind = STOR_KIND_LOGS,
                                           .shard = shard,
                                           .count = n,
                                           .seq = seq,
                                           .min = min,
                                           .max = max,
                                           .payload_bytes = payload});
  for (int i = 0; i < 5; i++)
    st(b + off[i], words[i], 4);
  stor_block_reseal(b, STOR_BLOCK_HEADER_BYTES + (size_t)payload);
}

/* What readers will check must hold when written: the header's rules and
 * the CRC over the whole block (cheap beside the compression just done). */
void stor_lassert_written(const uint8_t *b, size_t len, uint32_t n,
                          uint64_t seq) {
  struct stor_logblock_hdr h;

  ASSERT(stor_logblock_hdr_read(b, len, &h) == 0);
  ASSERT(h.count == n && h.seq == seq);
  ASSERT(STOR_BLOCK_HEADER_BYTES + (size_t)h.payload_bytes == len);
  ASSERT(stor_block_crc(b, len) == (uint32_t)ld(b + STOR_HDR_OFF_CRC, 4));
}

/* 1 when a record has binary OTLP fields (the block is layout 3 or 4). */
static int any_otel(const struct stor_log_rec *recs, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    if (recs[i].otel.has)
      return 1;
  return 0;
}

static long write_v1(struct stor_logenc *e, uint16_t shard, uint64_t seq,
                     uint32_t n, int64_t min, int64_t max, uint8_t *out,
                     size_t cap);

long stor_logblock_encode_v1(struct stor_logenc *e, uint16_t shard,
                             uint64_t seq, const struct stor_log_rec *recs,
                             uint32_t n, uint8_t *out, size_t cap) {
  int64_t min, max;
  uint64_t all;
  int rc;

  if (n == 0 || n > e->records_max || seq == 0 || seq > STOR_BLOCK_SEQ_MAX)
    return -EINVAL;
  e->iopen = 0; /* its columns are this block's now */
  e->layout3 = any_otel(recs, n);
  all = stor_ltime_range(recs, n, &min, &max);
  rc = build_columns(e, recs, n, min, all);
  if (rc < 0)
    return rc;
  return write_v1(e, shard, seq, n, min, max, out, cap);
}

/* The block of e's built columns (n records, times min..max): string
 * table, OTLP column (layout 3 and 4), compressed stream, header. Writes
 * the same block each time it is called on the same e. */
static long write_v1(struct stor_logenc *e, uint16_t shard, uint64_t seq,
                     uint32_t n, int64_t min, int64_t max, uint8_t *out,
                     size_t cap) {
  size_t dict, pos, raw = 0;
  uint32_t w12;
  long z;

  dict = stor_ztab_bytes(&e->tab);
  if (e->layout3)
    raw = 4 + e->otel_len;
  pos = STOR_BLOCK_HEADER_BYTES + dict + raw;
  if (pos >= cap)
    return -ENOSPC;
  z = e->layout3 && e->otlp_layout == STOR_LOG_LAYOUT4
          ? stor_log4_compress(e, out + pos, cap - pos)
          : stor_zdeflate(&e->zd, e->src, e->stream_len, out + pos,
                          cap - pos);
  if (z < 0)
    return z;
  if (pos + (size_t)z - STOR_BLOCK_HEADER_BYTES > UINT32_MAX)
    return -E2BIG;
  stor_ztab_put(&e->tab, out + STOR_BLOCK_HEADER_BYTES);
  w12 = (uint32_t)e->stream_len;
  if (e->layout3) { /* the raw OTLP column after the string table */
    st(out + STOR_BLOCK_HEADER_BYTES + dict, e->otel_len, 4);
    memcpy(out + STOR_BLOCK_HEADER_BYTES + dict + 4, e->otel, e->otel_len);
    w12 |= e->otlp_layout << STOR_LOG_LAYOUT_SHIFT;
  }
  stor_lput_header(out, shard, seq, n, min, max,
                   (uint32_t)(dict + raw + (size_t)z),
                   (const uint32_t[5]){w12, e->tab.count,
                                       (uint32_t)dict, (uint32_t)e->fields_len,
                                       (uint32_t)z});
  stor_lassert_written(out, pos + (size_t)z, n, seq);
  return (long)(pos + (size_t)z);
}

/* ---- records added one by one (layouts 1, 3 and 4) --------------------- */

void stor_logenc_open(struct stor_logenc *e, int layout3) {
  stor_lreset(e);
  e->otel_len = 0;
  e->otel_last = 0;
  e->kprev = NULL;
  e->layout3 = layout3 != 0;
  e->icount = 0;
  e->iopen = e->layout == 1;
}

int stor_logenc_add_n(struct stor_logenc *e, const struct stor_log_rec *recs,
                      uint32_t n) {
  struct lcur w;
  uint64_t prev_off = 0;
  int64_t prev_recv = 0;
  uint32_t i;
  int rc = 0;

  if (!e->iopen)
    return -EINVAL;
  lcur_load(e, &w); /* the cursors in registers for the batch */
  for (i = 0; i < n; i++) {
    const struct stor_log_rec *r = &recs[i];
    if (e->icount == e->records_max) {
      rc = -E2BIG;
      break;
    }
    if (r->otel.has && !e->layout3) { /* the earlier records' ATTRS */
      rc = -EAGAIN;
      break;
    }
    rc = put_record(e, &w, r, &prev_off, &prev_recv, 0, 0, 1);
    if (rc < 0)
      break;
    e->itime[e->icount] = r->time_ns;
    e->irecv[e->icount++] = r->recv_ms;
  }
  lcur_store(e, &w);
  if (rc < 0 && rc != -EAGAIN)
    e->iopen = 0; /* its columns may hold part of recs[i] */
  return rc;
}

int stor_logenc_add(struct stor_logenc *e, const struct stor_log_rec *r) {
  return stor_logenc_add_n(e, r, 1);
}

void stor_logenc_mark(const struct stor_logenc *e, struct stor_logmark *m) {
  memcpy(m->col_len, e->col_len, sizeof(m->col_len));
  m->text_len = e->text_len;
  m->otel_len = e->otel_len;
  m->icount = e->icount;
  m->tab_count = e->tab.count;
  m->tab_gen = e->tab.gen;
  m->overflow = e->overflow;
  m->otel_last = e->otel_last;
  memcpy(m->otel_trace, e->otel_trace, sizeof(m->otel_trace));
  memcpy(m->otel_span, e->otel_span, sizeof(m->otel_span));
  m->kprev = e->kprev;
  memcpy(m->am, e->am, sizeof(m->am));
}

void stor_logenc_rewind(struct stor_logenc *e, const struct stor_logmark *m) {
  ASSERT(e->iopen && m->tab_gen == e->tab.gen && m->icount <= e->icount);
  memcpy(e->col_len, m->col_len, sizeof(e->col_len));
  e->text_len = m->text_len;
  e->otel_len = m->otel_len;
  e->icount = m->icount;
  stor_ztab_truncate(&e->tab, m->tab_count);
  e->overflow = m->overflow;
  e->otel_last = m->otel_last;
  memcpy(e->otel_trace, m->otel_trace, sizeof(e->otel_trace));
  memcpy(e->otel_span, m->otel_span, sizeof(e->otel_span));
  e->kprev = m->kprev;
  memcpy(e->am, m->am, sizeof(e->am));
  /* the address caches may name strings of the records dropped, whose
   * bytes the caller will reuse: emptied (they only spare lookups) */
  memset(e->pc, 0, sizeof(e->pc)); /* generation 0: never live */
  for (uint32_t i = 0; i < STOR_LRM_COLS; i++)
    e->rm[i].ref = 0;
}

/* stor_ltime_exp over an array of times. */
static unsigned ltime_exp_array(const int64_t *t, uint32_t n, int64_t min,
                                uint64_t all) {
  unsigned x = all ? (unsigned)__builtin_ctzll(all) : STOR_LTIME_EXP_MAX;

  x = x < STOR_LTIME_EXP_MAX ? x : STOR_LTIME_EXP_MAX;
  for (uint32_t i = 0; i < n && x > 0; i++) {
    uint64_t d = (uint64_t)t[i] - (uint64_t)min;
    while (x > 0 && (d >> x) * inv5_tab[x] > lim5_tab[x])
      x--;
  }
  return x;
}

long stor_logenc_finish(struct stor_logenc *e, uint16_t shard, uint64_t seq,
                        uint8_t *out, size_t cap) {
  uint32_t n = e->icount;
  int64_t min, max, prev_recv;
  uint64_t all = 0, prev_off = 0;
  struct lcur w;
  unsigned x;
  int rc;

  if (!e->iopen || n == 0 || seq == 0 || seq > STOR_BLOCK_SEQ_MAX)
    return -EINVAL;
  if (e->overflow)
    return -E2BIG;
  min = max = e->itime[0];
  for (uint32_t i = 1; i < n; i++) {
    min = e->itime[i] < min ? e->itime[i] : min;
    max = e->itime[i] > max ? e->itime[i] : max;
    all |= (uint64_t)e->itime[i] - (uint64_t)e->itime[0];
  }
  x = ltime_exp_array(e->itime, n, min, all);
  prev_recv = min / 1000000;
  /* written again at each call: a seal the writer could not take is
   * finished again later, the same block */
  e->col_len[STOR_LCOL_TIME] = e->col_len[STOR_LCOL_RECV] = 0;
  lcur_load(e, &w);
  for (uint32_t i = 0; i < n; i++)
    put_times(&w, e->itime[i], e->irecv[i], &prev_off, &prev_recv, min, x);
  lcur_store(e, &w);
  rc = assemble(e, x);
  if (rc < 0)
    return rc;
  return write_v1(e, shard, seq, n, min, max, out, cap);
}

/* 1 when layout 2 cannot hold recs' times: its TIME entries keep a gap
 * in 62 bits (zigzag, then the class bit), so (max - min) / 10^x must
 * stay under 2^62 (hostile or absurd times: 1970 beside 2260). */
static int log2_too_wide(const struct stor_log_rec *recs, uint32_t n) {
  int64_t min, max;
  uint64_t range;

  if (n == 0)
    return 0;
  stor_ltime_range(recs, n, &min, &max);
  range = (uint64_t)max - (uint64_t)min;
  if (range < UINT64_C(1) << 62)
    return 0;
  return range / stor_ltime_unit(stor_ltime_exp(recs, n, min)) >=
         UINT64_C(1) << 62;
}

long stor_logblock_encode(struct stor_logenc *e, uint16_t shard, uint64_t seq,
                          const struct stor_log_rec *recs, uint32_t n,
                          uint8_t *out, size_t cap) {
  e->iopen = 0; /* the columns are this block's now */
  if (e->layout == 1)
    return stor_logblock_encode_v1(e, shard, seq, recs, n, out, cap);
  if (n == 0 || n > e->records_max) /* before reading recs */
    return -EINVAL;
  if (any_otel(recs, n)) /* layout 2 has no OTLP column */
    return -EINVAL;
  if (log2_too_wide(recs, n)) /* readable, if larger, in layout 1 */
    return stor_logblock_encode_v1(e, shard, seq, recs, n, out, cap);
  return stor_log2_encode(e, shard, seq, recs, n, out, cap);
}

/* ---- decoder scratch ------------------------------------------------------- */

void stor_logdec_free(struct stor_logdec *d) {
  stor_log2_dec_free(d);
  free(d->text);
  free(d->dict);
  free(d->inf);
  memset(d, 0, sizeof(*d));
}

int stor_logdec_init(struct stor_logdec *d) {
  memset(d, 0, sizeof(*d));
  d->text = malloc(STOR_LOGBLOCK_TEXT_BYTES_MAX);
  d->dict = malloc(STOR_LOGBLOCK_DICT_MAX * sizeof(*d->dict));
  d->inf = stor_zinflate_new();
  if (!d->text || !d->dict || !d->inf || stor_log2_dec_init(d) < 0) {
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
  if (h->layout == STOR_LOG_LAYOUT2)
    return stor_log2_hdr_impossible(h);
  if (h->dict_bytes < 2 * d ||
      h->dict_bytes > d * (2 + STOR_LOGBLOCK_DICT_STR_BYTES_MAX))
    return 1;
  if (h->fields_bytes < 1 + STOR_LCOLS + n * STOR_LREC_FIELDS_BYTES_MIN ||
      h->fields_bytes > u ||
      h->fields_bytes >
          STOR_LFIELDS_HEAD_MAX +
              n * (STOR_LREC_FIELDS_BYTES_MAX +
                   CORE_SYSLOG_SD_ATTRS_MAX * STOR_LATTR_FIELDS_BYTES_MAX))
    return 1;
  if (c == 0 || c > STOR_ZBOUND(u) ||
      (h->layout != STOR_LOG_LAYOUT4 && u > STOR_ZRATIO_MAX * c))
    return 1;
  if (stor_log_otel_layout(h->layout)) /* O is read with the payload */
    return (uint64_t)h->dict_bytes + 4 + h->count + c > h->payload_bytes;
  return (uint64_t)h->dict_bytes + c != h->payload_bytes;
}

int stor_logblock_hdr_read(const uint8_t *b, size_t len,
                           struct stor_logblock_hdr *h) {
  struct stor_frame f;
  int rc = stor_frame_read(b, len, &f); /* magic, check, version, kind */
  uint32_t w12;

  if (rc < 0)
    return rc;
  w12 = (uint32_t)ld(b + STOR_LHDR_OFF_TEXT_BYTES, 4);
  /* the shared frame's fields come decoded; only the log ones are read */
  *h = (struct stor_logblock_hdr){
      .version = f.version,
      .kind = f.kind,
      .shard = f.shard,
      .count = f.count,
      .text_bytes = w12 & ((1u << STOR_LOG_LAYOUT_SHIFT) - 1),
      .seq = f.seq,
      .min_ns = f.min,
      .max_ns = f.max,
      .payload_bytes = f.payload_bytes,
      .dict_count = (uint32_t)ld(b + STOR_LHDR_OFF_DICT_COUNT, 4),
      .layout = (uint8_t)(w12 >> STOR_LOG_LAYOUT_SHIFT),
      .ztext_bytes = (uint32_t)ld(b + STOR_LHDR_OFF_ZTEXT_BYTES, 4)};
  if (h->layout == 0 || stor_log_otel_layout(h->layout)) {
    h->layout = h->layout ? h->layout : 1;
    h->dict_bytes = (uint32_t)ld(b + STOR_LHDR_OFF_DICT_BYTES, 4);
    h->fields_bytes = (uint32_t)ld(b + STOR_LHDR_OFF_FIELDS_BYTES, 4);
  } else {
    h->tpl_count = (uint32_t)ld(b + STOR_LHDR_OFF_DICT_BYTES, 4);
    h->expanded_bytes = (uint32_t)ld(b + STOR_LHDR_OFF_FIELDS_BYTES, 4);
  }
  if (h->kind != STOR_KIND_LOGS ||
      (h->layout != 1 && h->layout != STOR_LOG_LAYOUT2 &&
       !stor_log_otel_layout(h->layout)) ||
      hdr_impossible(h))
    return -EBADMSG;
  return 0;
}

/* ---- reader ---------------------------------------------------------------- */

struct core_syslog_str stor_lstr(const void *p, uint64_t n) {
  if (n == 0)
    return (struct core_syslog_str){"", 0};
  return (struct core_syslog_str){(const char *)p, (uint32_t)n};
}

/* Split the inflated fields into sub-columns; the text follows them. */
static int open_fields(struct stor_logblock_reader *r) {
  const uint8_t *p = r->dec->text + 1, *end = r->dec->text + r->hdr.fields_bytes;
  uint64_t len[STOR_LCOLS];

  r->time_exp = r->dec->text[0];
  if (r->time_exp > STOR_LTIME_EXP_MAX)
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

/* Layout 1: string table in the clear, then the deflated stream (layout
 * 3: the OTLP column between them; layout 4: as 3, the stream in zstd). */
static int open_v1(struct stor_logblock_reader *r, const uint8_t *p) {
  const uint8_t *z = p + r->hdr.dict_bytes;

  if (stor_log_otel_layout(r->hdr.layout) &&
      stor_log3_open_column(r, p, &z) < 0)
    return -EBADMSG;
  if (stor_ztab_read(p, r->hdr.dict_bytes, r->hdr.dict_count,
                     STOR_LOGBLOCK_DICT_STR_BYTES_MAX, r->dec->dict) < 0)
    return -EBADMSG;
  if (r->hdr.layout == STOR_LOG_LAYOUT4 ? stor_log4_decompress(r, z) < 0
                                        : stor_zinflate(r->dec->inf, z,
                                                        r->hdr.ztext_bytes,
                                                        r->dec->text,
                                                        r->hdr.text_bytes) < 0)
    return -EBADMSG;
  return open_fields(r);
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
  if (stor_block_crc(block, total) != ld(block + STOR_HDR_OFF_CRC, 4))
    return -EBADMSG;
  rc = r->hdr.layout != STOR_LOG_LAYOUT2 ? open_v1(r, p)
                                         : stor_log2_open(r, p);
  if (rc < 0)
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
    *s = stor_lstr(NULL, 0);
    return 0;
  }
  if (v >= STOR_LREF_DICT0) {
    if (v - STOR_LREF_DICT0 >= r->hdr.dict_count)
      return -EBADMSG;
    *s = stor_lstr(r->dec->dict[v - STOR_LREF_DICT0].ptr,
                   r->dec->dict[v - STOR_LREF_DICT0].len);
    return 0;
  }
  if (stor_varint_get(&r->tp, r->tend, &n) < 0 || n == 0 ||
      n > (uint64_t)(r->tend - r->tp))
    return -EBADMSG;
  *s = stor_lstr(r->tp, n);
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
  int same, otel;

  if (get_times(r, out) < 0 || r->cp[STOR_LCOL_PRI] == r->cend[STOR_LCOL_PRI])
    return -EBADMSG;
  pri = *r->cp[STOR_LCOL_PRI]++;
  if (pri > 23 * 8 + 7 || get_varint(r, STOR_LCOL_FLAGS, &flags) < 0 ||
      flags > UINT32_MAX || get_ref(r, STOR_LCOL_HOST, &out->host) < 0 ||
      get_ref(r, STOR_LCOL_APP, &out->app) < 0 ||
      get_ref(r, STOR_LCOL_PROCID, &out->procid) < 0 ||
      get_ref(r, STOR_LCOL_MSGID, &out->msgid) < 0 ||
      get_varint(r, STOR_LCOL_ATTRS, &na) < 0)
    return -EBADMSG;
  otel = stor_log_otel_layout(r->hdr.layout);
  same = otel ? (int)(na & 1) : 0;
  na >>= otel;
  if (na > CORE_SYSLOG_SD_ATTRS_MAX ||
      (same && (!r->kset || na != r->nkeys)))
    return -EBADMSG;
  if (na > cap)
    return -ENOSPC;
  out->facility = pri >> 3;
  out->severity = pri & 7;
  out->flags = (uint32_t)flags;
  out->attr_count = (uint32_t)na;
  out->attrs = attrs;
  for (uint32_t i = 0; i < na; i++) {
    if (same) {
      attrs[i].sdid = r->keys[i][0];
      attrs[i].name = r->keys[i][1];
    } else if (get_ref(r, STOR_LCOL_ATTRS, &attrs[i].sdid) < 0 ||
               get_ref(r, STOR_LCOL_ATTRS, &attrs[i].name) < 0)
      return -EBADMSG;
    if (get_ref(r, STOR_LCOL_ATTRS, &attrs[i].value) < 0)
      return -EBADMSG;
  }
  if (get_ref(r, STOR_LCOL_MSG, &out->msg) < 0)
    return -EBADMSG;
  if (!otel)
    return 0;
  if (!same)
    stor_log3_keys_keep(r, attrs, (uint32_t)na);
  return stor_log3_record(r, out, attrs, cap);
}

/* After the last record: every sub-column and the text used up exactly. */
static int all_used(const struct stor_logblock_reader *r) {
  if (r->hdr.layout == STOR_LOG_LAYOUT2)
    return stor_log2_all_used(r);
  for (int c = 0; c < STOR_LCOLS; c++)
    if (r->cp[c] != r->cend[c])
      return 0;
  return r->op == r->oend && r->tp == r->tend && r->seen_min == r->hdr.min_ns &&
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
  out->otel.has = 0;
  out->keys_prev = 0;
  rc = r->hdr.layout == STOR_LOG_LAYOUT2
           ? stor_log2_record(r, out, attrs, cap)
           : get_record(r, out, attrs, cap);
  if (rc < 0) {
    r->failed = 1;
    return rc;
  }
  r->left--;
  return 1;
}
