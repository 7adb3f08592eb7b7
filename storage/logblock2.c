/*
 * storage/logblock2.c - log block layout 2 (docs/segment-format.md, "Log
 * blocks, layout 2"): the fields of layout 1 with times as
 * delta-of-delta, the string table inside the stream, messages and
 * attribute values split by a template coder (a per-block table of
 * templates, the variable parts in typed columns: decimal numbers as
 * varints, long lowercase hex as bytes), the whole stream one zstd frame.
 *
 * Why a template coder before zstd: the words of a log line repeat from
 * record to record, the numbers and ids do not; kept apart, zstd finds the
 * templates' repeats at once and codes numbers in binary instead of as
 * digits among letters (perf/RESULTS.md, "Log blocks v2").
 *
 * The reader trusts nothing: zstd must produce exactly the header's U
 * bytes into a buffer of that size, every column is bounded by its
 * length, every template expansion by the header's X and the decoder's
 * arena, and after the last record every column is used up exactly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "core/base/assert.h"
#include "core/base/limits.h"
#include "storage/block.h"
#include "storage/encode.h"
#include "storage/logblock.h"
#include "storage/logblock_internal.h"
#include "storage/zcol.h"

#define C2(c) ((c) - STOR_LCOLS) /* index of a layout-2 column in col2 */
#define HEX_DIGITS_MAX (2 * STOR_LTPL_HEX_BYTES_MAX)

static const uint64_t dec_pow[STOR_LTPL_NUM_DIGITS_MAX + 1] = {
    1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
    10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
    100000000000ull, 1000000000000ull, 10000000000000ull,
    100000000000000ull, 1000000000000000ull, 10000000000000000ull,
    100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull};

/* Byte classes of the template coder, one table lookup a byte. */
enum { K_DIGIT = 1, K_LHEX = 2, K_ALNUM = 4, K_HOLD = 8 };

static const uint8_t kind_tab[256] = {
    [1] = K_HOLD, [2] = K_HOLD, [3] = K_HOLD,
#define D(c) [c] = K_DIGIT | K_LHEX | K_ALNUM
    D('0'), D('1'), D('2'), D('3'), D('4'), D('5'), D('6'), D('7'), D('8'),
    D('9'),
#undef D
#define H(c) [c] = K_LHEX | K_ALNUM
    H('a'), H('b'), H('c'), H('d'), H('e'), H('f'),
#undef H
#define A(c) [c] = K_ALNUM
    A('g'), A('h'), A('i'), A('j'), A('k'), A('l'), A('m'), A('n'), A('o'),
    A('p'), A('q'), A('r'), A('s'), A('t'), A('u'), A('v'), A('w'), A('x'),
    A('y'), A('z'), A('A'), A('B'), A('C'), A('D'), A('E'), A('F'), A('G'),
    A('H'), A('I'), A('J'), A('K'), A('L'), A('M'), A('N'), A('O'), A('P'),
    A('Q'), A('R'), A('S'), A('T'), A('U'), A('V'), A('W'), A('X'), A('Y'),
    A('Z'),
#undef A
};

static int is_digit(uint8_t c) { return kind_tab[c] & K_DIGIT; }
static int is_lhex(uint8_t c) { return kind_tab[c] & K_LHEX; }
static int is_alnum(uint8_t c) { return kind_tab[c] & K_ALNUM; }

/* ---- scratch ---------------------------------------------------------------- */

/* Capacity of each layout-2 column of the encoder. */
static size_t col2_cap(int c) {
  if (c == STOR_LCOL_STRTAB)
    return (size_t)STOR_LOGBLOCK_DICT_MAX *
           (2 + STOR_LOGBLOCK_DICT_STR_BYTES_MAX);
  if (c == STOR_LCOL_TPLLEN) /* a length (2 bytes) and a count (3) */
    return (size_t)STOR_LOG2_TPL_MAX * 5;
  return STOR_LOGBLOCK_TEXT_BYTES_MAX;
}

int stor_log2_enc_init(struct stor_logenc *e) {
  for (int c = STOR_LCOL_STRTAB; c < STOR_LCOL_TEXT; c++)
    if ((e->col2[C2(c)] = malloc(col2_cap(c))) == NULL)
      return -ENOMEM;
  e->zc = ZSTD_createCCtx();
  e->vs = malloc(STOR_LOG2_VALUES_MAX * sizeof(*e->vs));
  e->tcnt = malloc((STOR_LOG2_TPL_MAX + 1) * sizeof(*e->tcnt));
  e->order = malloc(STOR_LOG2_VALUES_MAX * sizeof(*e->order));
  if (e->zc == NULL || !e->vs || !e->tcnt || !e->order ||
      stor_ztab_init(&e->tpl, STOR_LOG2_TPL_MAX, STOR_LOG2_TPL_BYTES_MAX) < 0)
    return -ENOMEM;
  return 0;
}

void stor_log2_enc_free(struct stor_logenc *e) {
  for (int c = 0; c < STOR_LCOLS2 - STOR_LCOLS; c++)
    free(e->col2[c]);
  ZSTD_freeCCtx(e->zc);
  stor_ztab_free(&e->tpl);
  free(e->vs);
  free(e->tcnt);
  free(e->order);
}

int stor_log2_dec_init(struct stor_logdec *d) {
  d->zd = ZSTD_createDCtx();
  d->tpl = malloc(STOR_LOG2_TPL_MAX * sizeof(*d->tpl));
  d->arena = malloc(STOR_LOGBLOCK_TEXT_BYTES_MAX);
  d->tcount = malloc(STOR_LOG2_TPL_MAX * sizeof(*d->tcount));
  d->tuse = malloc(STOR_LOG2_TPL_MAX * sizeof(*d->tuse));
  d->tslot0 = malloc((STOR_LOG2_TPL_MAX + 1) * sizeof(*d->tslot0));
  d->slot_cur = malloc(STOR_LOG2_SLOTS_MAX * sizeof(*d->slot_cur));
  d->slot_end = malloc(STOR_LOG2_SLOTS_MAX * sizeof(*d->slot_end));
  return d->zd && d->tpl && d->arena && d->tcount && d->tuse && d->tslot0 &&
                 d->slot_cur && d->slot_end
             ? 0
             : -ENOMEM;
}

void stor_log2_dec_free(struct stor_logdec *d) {
  ZSTD_freeDCtx(d->zd);
  free(d->tpl);
  free(d->arena);
  free(d->tcount);
  free(d->tuse);
  free(d->tslot0);
  free(d->slot_cur);
  free(d->slot_end);
}

/* ---- the template coder ---------------------------------------------------- */

/* Room left in layout-2 column c. */
static size_t room(const struct stor_logenc *e, int c) {
  return col2_cap(c) - e->col2_len[C2(c)];
}

static void put2_varint(struct stor_logenc *e, int c, uint64_t v) {
  if (v < 0x80) { /* small numbers: one byte, no call */
    e->col2[C2(c)][e->col2_len[C2(c)]++] = (uint8_t)v;
    return;
  }
  e->col2_len[C2(c)] += stor_varint_put(e->col2[C2(c)] + e->col2_len[C2(c)], v);
}

/* Length of a hex variable at s[i] (a word of 8..254 lowercase hex
 * digits, even, with a digit and a letter), or 0. */
static uint32_t hex_word(const uint8_t *s, uint32_t i, uint32_t n) {
  uint32_t j = i, digit = 0, alpha = 0;

  if (i > 0 && is_alnum(s[i - 1]))
    return 0;
  for (; j < n && is_lhex(s[j]) && j - i <= HEX_DIGITS_MAX; j++) {
    digit |= is_digit(s[j]);
    alpha |= !is_digit(s[j]);
  }
  if ((j < n && is_alnum(s[j])) || (j - i) % 2 || j - i > HEX_DIGITS_MAX ||
      j - i < 2 * STOR_LTPL_HEX_BYTES_MIN || !digit || !alpha)
    return 0;
  return j - i;
}

static uint8_t nibble(uint8_t c) {
  return (uint8_t)(is_digit(c) ? c - '0' : c - 'a' + 10);
}

/* Write the template of s[0..n) at t, its variables to NUM and HEX.
 * Returns the template's length, or 0 when s must be stored raw. */
static uint32_t tpl_build(struct stor_logenc *e, const uint8_t *s, uint32_t n,
                          uint8_t *t) {
  uint8_t *hex = e->col2[C2(STOR_LCOL_HEX)];
  uint32_t k = 0, i = 0, m, d, wstart = 0;
  int wlhex = 1; /* s[wstart, i): the word so far, all lowercase hex */

  e->tb_vars = 0;
  if (n + 2 > STOR_LOG2_TPL_BYTES_MAX * 2)
    return 0;
  while (i < n) {
    uint8_t c = s[i], kc = kind_tab[c];
    if (k + 2 > STOR_LOG2_TPL_BYTES_MAX)
      return 0;
    if (!(kc & (K_DIGIT | K_HOLD))) { /* the common case: a literal byte */
      t[k++] = c;
      i++;
      if (!(kc & K_ALNUM)) {
        wstart = i;
        wlhex = 1;
      } else {
        wlhex &= (kc & K_LHEX) != 0;
      }
      continue;
    }
    if (kc & K_HOLD)
      return 0;
    uint64_t v = (uint64_t)(c - '0'); /* the number, if it is one */
    for (d = i + 1; d < n && is_digit(s[d]); d++)
      if (d - i < STOR_LTPL_NUM_DIGITS_MAX)
        v = v * 10 + (uint64_t)(s[d] - '0');
    /* A digit. Hex words hold one, so the word is tried here, once: its
     * letters so far (a-f) were written as literals and are taken back.
     * A word of digits alone up to a byte that is not hex has no letter:
     * not tried (saves scanning every number twice). */
    if (wlhex && (wstart < i || (d < n && is_lhex(s[d]))) &&
        (m = hex_word(s, wstart, n)) != 0) {
      size_t *hl = &e->col2_len[C2(STOR_LCOL_HEX)];
      k -= i - wstart;
      t[k++] = STOR_LTPL_HEX;
      t[k++] = (uint8_t)(m / 2);
      for (uint32_t j = 0; j < m; j += 2)
        hex[(*hl)++] = (uint8_t)(nibble(s[wstart + j]) << 4 |
                                 nibble(s[wstart + j + 1]));
      i = wstart + m;
      wstart = i;
      e->tb_vars++;
      continue;
    }
    wlhex = 0;
    m = d - i < STOR_LTPL_NUM_DIGITS_MAX ? d - i : STOR_LTPL_NUM_DIGITS_MAX;
    if (c == '0' && m > 1) {
      t[k++] = STOR_LTPL_NUMW;
      t[k++] = (uint8_t)m;
    } else {
      t[k++] = STOR_LTPL_NUM;
    }
    put2_varint(e, STOR_LCOL_NUM, v);
    i += m;
    e->tb_vars++;
  }
  return k;
}

/* s coded again as m's string, which has its bytes: the same template,
 * its variables' bytes copied (from earlier in their columns). */
static long tpl_again(struct stor_logenc *e, struct core_syslog_str s,
                      const struct stor_lvmemo *m) {
  size_t *nl = &e->col2_len[C2(STOR_LCOL_NUM)];
  size_t *hl = &e->col2_len[C2(STOR_LCOL_HEX)];
  uint8_t *num = e->col2[C2(STOR_LCOL_NUM)], *hex = e->col2[C2(STOR_LCOL_HEX)];

  e->vs[e->vs_count++] = (struct stor_lvstr){m->tpl, (uint32_t)*nl,
                                             (uint32_t)*hl};
  for (uint32_t j = 0; j < m->num_len; j++) /* a few bytes: no call */
    num[*nl + j] = num[m->num + j];
  *nl += m->num_len;
  if (m->hex_len != 0)
    memcpy(hex + *hl, hex + m->hex, m->hex_len);
  *hl += m->hex_len;
  e->expanded += s.len;
  return m->tpl;
}

/* Index of the template t[0, k) in the table, or -1: m's template when
 * t is that (no hashing), else by lookup. */
static long tpl_index(const struct stor_logenc *e, const uint8_t *t,
                      uint32_t k, const struct stor_lvmemo *m) {
  if (m->ptr != NULL && e->tpl.str[m->tpl].len == k &&
      memcmp(e->tpl.str[m->tpl].ptr, t, k) == 0)
    return m->tpl;
  return stor_ztab_lookup(&e->tpl, (struct stor_zstr){(const char *)t, k});
}

/* Template index of s (adding a new template when it pays), or -1 with
 * NUM and HEX as before: s is then stored raw. m: the memo of s's
 * position (struct stor_lvmemo), updated when s is coded. */
static long tpl_code(struct stor_logenc *e, struct core_syslog_str s,
                     struct stor_lvmemo *m) {
  size_t num0 = e->col2_len[C2(STOR_LCOL_NUM)];
  size_t hex0 = e->col2_len[C2(STOR_LCOL_HEX)];
  uint8_t *t = e->col2[C2(STOR_LCOL_TPL)] + e->col2_len[C2(STOR_LCOL_TPL)];
  uint32_t k;
  long idx;

  /* each input byte makes at most 2 template, 1 NUM or 1 HEX bytes */
  if (room(e, STOR_LCOL_TPL) < STOR_LOG2_TPL_BYTES_MAX ||
      room(e, STOR_LCOL_NUM) < s.len || room(e, STOR_LCOL_HEX) < s.len ||
      e->vs_count == STOR_LOG2_VALUES_MAX)
    return -1;
  if (m->len == s.len && m->ptr != NULL &&
      (m->ptr == s.ptr || memcmp(m->ptr, s.ptr, s.len) == 0))
    return tpl_again(e, s, m);
  k = tpl_build(e, (const uint8_t *)s.ptr, s.len, t);
  idx = k ? tpl_index(e, t, k, m) : -1;
  if (k && idx < 0) {
    /* a new template and its variables may cost more than the raw
     * string (2 bytes for "0"): such excess is bounded per block, which
     * keeps the stream within stor_logblock_bytes_max */
    size_t cost = k + stor_varint_len(k) + e->col2_len[C2(STOR_LCOL_NUM)] -
                  num0 + e->col2_len[C2(STOR_LCOL_HEX)] - hex0;
    size_t raw = s.len + stor_varint_len(s.len);
    size_t over = cost > raw ? cost - raw : 0;
    if (e->excess + over <= STOR_LOG2_EXCESS_BYTES_MAX &&
        e->slots + e->tb_vars <= STOR_LOG2_SLOTS_MAX)
      idx = stor_ztab_find(&e->tpl, (struct stor_zstr){(char *)t, k});
    if (idx >= 0) {
      e->excess += over;
      e->slots += e->tb_vars;
      e->col2_len[C2(STOR_LCOL_TPL)] += k;
    }
  }
  if (idx < 0) {
    e->col2_len[C2(STOR_LCOL_NUM)] = num0;
    e->col2_len[C2(STOR_LCOL_HEX)] = hex0;
    return -1;
  }
  *m = (struct stor_lvmemo){
      s.ptr, s.len, (uint32_t)idx, (uint32_t)num0,
      (uint32_t)(e->col2_len[C2(STOR_LCOL_NUM)] - num0), (uint32_t)hex0,
      (uint32_t)(e->col2_len[C2(STOR_LCOL_HEX)] - hex0)};
  e->vs[e->vs_count++] = (struct stor_lvstr){(uint32_t)idx, (uint32_t)num0,
                                             (uint32_t)hex0};
  e->expanded += s.len;
  return idx;
}

/* A key's ref (host .. msgid, sd id, name) as stor_lput_ref writes it,
 * kept in k when it is a string table ref (struct stor_lkmemo). */
static void put_key_new(struct stor_logenc *e, int c,
                        struct core_syslog_str s, struct stor_lkmemo *k) {
  size_t at = e->col_len[c], text = e->text_len;

  stor_lput_ref(e, c, s, 1);
  k->n = 0; /* an inline or empty ref is not kept */
  if (s.len != 0 && e->text_len == text && e->col_len[c] - at <= 3) {
    *k = (struct stor_lkmemo){s.ptr, s.len, (uint8_t)(e->col_len[c] - at),
                              {0}};
    memcpy(k->ref, e->col[c] + at, k->n);
  }
}

/* A key's ref; again from k when the string is at k's address. */
static inline __attribute__((always_inline)) void
put_key(struct stor_logenc *e, int c, struct core_syslog_str s,
        struct stor_lkmemo *k) {
  size_t at = e->col_len[c];

  if (k->n != 0 && s.ptr == k->ptr && s.len == k->len) {
    e->col[c][at] = k->ref[0]; /* most refs: one byte, no call */
    if (k->n > 1)
      memcpy(e->col[c] + at + 1, k->ref + 1, k->n - 1u);
    e->col_len[c] += k->n;
    return;
  }
  put_key_new(e, c, s, k);
}

/* A value ref (message, attribute value): empty, template, or inline. */
static void put_vref(struct stor_logenc *e, int c, struct core_syslog_str s,
                     struct stor_lvmemo *m) {
  long idx;

  if (s.len == 0) {
    stor_lput_varint(e, c, STOR_LREF_EMPTY);
    return;
  }
  idx = e->no_templates ? -1 : tpl_code(e, s, m);
  if (idx >= 0) {
    stor_lput_varint(e, c, STOR_LREF_DICT0 + (uint64_t)idx);
    return;
  }
  stor_lput_varint(e, c, STOR_LREF_INLINE);
  stor_lput_text(e, s.ptr, s.len);
}

/* ---- encoder ---------------------------------------------------------------- */

/*
 * Times: a syslog block mixes RFC 5424 times (microseconds) with RFC 3164
 * ones (whole seconds), in arrival order. Each record's time is coded
 * against the previous record of its class (whole second or not), in that
 * class's unit: the second-only records then cost next to nothing and
 * the others only their gap (delta-of-delta measured worse on arrival
 * order: perf/RESULTS.md, "Log blocks v2").
 */
struct tstate {
  int64_t min;
  uint64_t unit;                   /* 10^x ns */
  uint64_t sec;                    /* units a second (1 when x = 9) */
  uint64_t prev_off[2];            /* per class: 0 finer, 1 whole second */
  int64_t prev_recv;
};

/* The TIME entry of offset off: zigzag(gap in the class's unit) * 2 +
 * class. */
static uint64_t time_code(struct tstate *ts, uint64_t off) {
  unsigned cls = ts->sec > 1 && off % ts->sec == 0;
  uint64_t step = cls ? ts->sec : 1;
  int64_t gap = (int64_t)(off / step - ts->prev_off[cls] / step);

  ts->prev_off[cls] = off;
  return stor_zigzag(gap) << 1 | cls;
}

static int put_record(struct stor_logenc *e, const struct stor_log_rec *r,
                      struct tstate *ts) {
  uint64_t off = ((uint64_t)r->time_ns - (uint64_t)ts->min) / ts->unit;
  int rc = stor_lrec_check(e, r);

  if (rc < 0)
    return rc;
  stor_lput_varint(e, STOR_LCOL_TIME, time_code(ts, off));
  stor_lput_varint(e, STOR_LCOL_RECV,
                   stor_zigzag((int64_t)((uint64_t)r->recv_ms -
                                         (uint64_t)ts->prev_recv)));
  ts->prev_recv = r->recv_ms;
  e->col[STOR_LCOL_PRI][e->col_len[STOR_LCOL_PRI]++] =
      (uint8_t)(r->facility * 8 + r->severity);
  stor_lput_varint(e, STOR_LCOL_FLAGS, r->flags);
  put_key(e, STOR_LCOL_HOST, r->host, &e->kmemo[0]);
  put_key(e, STOR_LCOL_APP, r->app, &e->kmemo[1]);
  put_key(e, STOR_LCOL_PROCID, r->procid, &e->kmemo[2]);
  put_key(e, STOR_LCOL_MSGID, r->msgid, &e->kmemo[3]);
  stor_lput_varint(e, STOR_LCOL_ATTRS, r->attr_count);
  for (uint32_t i = 0; i < r->attr_count; i++) {
    struct stor_lkmemo *k = &e->kmemo[STOR_LKMEMO_ATTR0 + 2 * i];
    put_key(e, STOR_LCOL_ATTRS, r->attrs[i].sdid, k);
    put_key(e, STOR_LCOL_ATTRS, r->attrs[i].name, k + 1);
    put_vref(e, STOR_LCOL_ATTRS, r->attrs[i].value, &e->vmemo[i]);
  }
  put_vref(e, STOR_LCOL_MSG, r->msg, &e->vmemo[STOR_LVMEMO_MSG]);
  return e->overflow ? -E2BIG : 0;
}

/* Bytes and start of column c (both layouts' columns). */
static size_t col_len(const struct stor_logenc *e, int c, const uint8_t **p) {
  if (c < STOR_LCOLS) {
    *p = e->col[c];
    return e->col_len[c];
  }
  if (c == STOR_LCOL_TEXT) {
    *p = e->text;
    return e->text_len;
  }
  *p = e->col2[C2(c)];
  return e->col2_len[C2(c)];
}

/* TPLLEN: per template its length and how many strings use it; then
 * e->order lists the strings by template (e->tcnt[t]: end of t's run). */
static void put_tpllen(struct stor_logenc *e) {
  uint8_t *p = e->col2[C2(STOR_LCOL_TPLLEN)];
  uint32_t m = e->tpl.count, at = 0;

  memset(e->tcnt, 0, m * sizeof(*e->tcnt));
  for (uint32_t i = 0; i < e->vs_count; i++)
    e->tcnt[e->vs[i].tpl]++;
  for (uint32_t t = 0; t < m; t++) {
    uint32_t n = e->tcnt[t];
    p += stor_varint_put(p, e->tpl.str[t].len);
    p += stor_varint_put(p, n);
    e->tcnt[t] = at;
    at += n;
  }
  e->col2_len[C2(STOR_LCOL_TPLLEN)] = (size_t)(p - e->col2[C2(STOR_LCOL_TPLLEN)]);
  for (uint32_t i = 0; i < e->vs_count; i++)
    e->order[e->tcnt[e->vs[i].tpl]++] = i;
}

/*
 * The variables, slot by slot: for each template, for each of its
 * placeholders, that variable of every string of the template in
 * record order (the same bytes as the record-order columns, moved; a
 * slot's values look alike, which zstd finds). Writes NUM at num, HEX at
 * hex.
 */
static void put_slots(struct stor_logenc *e, uint8_t *num, uint8_t *hex) {
  const uint8_t *nsrc = e->col2[C2(STOR_LCOL_NUM)];
  const uint8_t *hsrc = e->col2[C2(STOR_LCOL_HEX)];
  uint8_t *num_end = num + e->col2_len[C2(STOR_LCOL_NUM)];
  uint8_t *hex_end = hex + e->col2_len[C2(STOR_LCOL_HEX)];

  for (uint32_t t = 0, b = 0; t < e->tpl.count; b = e->tcnt[t++]) {
    const uint8_t *tp = (const uint8_t *)e->tpl.str[t].ptr;
    for (uint32_t i = 0; i < e->tpl.str[t].len; i++) {
      uint8_t c = tp[i], w = 0;
      if (c < STOR_LTPL_NUM || c > STOR_LTPL_HEX)
        continue;
      if (c != STOR_LTPL_NUM)
        w = tp[++i];
      for (uint32_t j = b; j < e->tcnt[t]; j++) {
        struct stor_lvstr *v = &e->vs[e->order[j]];
        if (c == STOR_LTPL_HEX) {
          memcpy(hex, hsrc + v->hex, w);
          hex += w;
          v->hex += w;
          continue;
        }
        const uint8_t *src = nsrc + v->num;
        do /* one varint, byte by byte: most are one or two */
          *num++ = *src;
        while (*src++ & 0x80);
        v->num = (uint32_t)(src - nsrc);
      }
    }
  }
  ASSERT(num == num_end && hex == hex_end);
}

/* The stream: time unit, column lengths, columns. */
static int assemble(struct stor_logenc *e, unsigned x) {
  size_t n = STOR_LFIELDS_HEAD2_MAX;
  const uint8_t *src;
  uint8_t *p = e->stream, *num = NULL, *hex = NULL;

  e->col2_len[C2(STOR_LCOL_STRTAB)] =
      stor_ztab_put(&e->tab, e->col2[C2(STOR_LCOL_STRTAB)]);
  put_tpllen(e);
  for (int c = 0; c < STOR_LCOLS2; c++)
    n += col_len(e, c, &src);
  if (n > STOR_LOGBLOCK_TEXT_BYTES_MAX)
    return -E2BIG;
  *p++ = (uint8_t)x;
  for (int c = 0; c < STOR_LCOLS2; c++)
    p += stor_varint_put(p, col_len(e, c, &src));
  for (int c = 0; c < STOR_LCOLS2; c++) {
    size_t len = col_len(e, c, &src);
    if (c == STOR_LCOL_NUM)
      num = p;
    else if (c == STOR_LCOL_HEX)
      hex = p;
    else
      memcpy(p, src, len);
    p += len;
  }
  put_slots(e, num, hex);
  e->stream_len = (size_t)(p - e->stream);
  return 0;
}

static int build(struct stor_logenc *e, const struct stor_log_rec *recs,
                 uint32_t n, int64_t min) {
  unsigned x = stor_ltime_exp(recs, n, min);
  struct tstate ts = {.min = min, .unit = stor_ltime_unit(x),
                      .sec = stor_ltime_unit(STOR_LTIME_EXP_MAX - x),
                      .prev_recv = min / 1000000};

  stor_lreset(e);
  stor_ztab_reset(&e->tpl);
  memset(e->col2_len, 0, sizeof(e->col2_len));
  e->expanded = 0;
  e->excess = 0;
  e->vs_count = 0;
  e->slots = 0;
  memset(e->vmemo, 0, sizeof(e->vmemo));
  memset(e->kmemo, 0, sizeof(e->kmemo));
  for (uint32_t i = 0; i < n; i++) {
    int rc = put_record(e, &recs[i], &ts);
    if (rc < 0)
      return rc;
  }
  return assemble(e, x);
}

long stor_log2_encode(struct stor_logenc *e, uint16_t shard, uint64_t seq,
                      const struct stor_log_rec *recs, uint32_t n,
                      uint8_t *out, size_t cap) {
  int64_t min, max;
  size_t z;
  int rc;

  if (n == 0 || n > e->records_max || seq == 0 || seq > STOR_BLOCK_SEQ_MAX)
    return -EINVAL;
  stor_ltime_range(recs, n, &min, &max);
  if ((rc = build(e, recs, n, min)) < 0)
    return rc;
  if (cap <= STOR_BLOCK_HEADER_BYTES)
    return -ENOSPC;
  z = ZSTD_compressCCtx(e->zc, out + STOR_BLOCK_HEADER_BYTES,
                        cap - STOR_BLOCK_HEADER_BYTES, e->stream,
                        e->stream_len, e->level);
  if (ZSTD_isError(z))
    return ZSTD_getErrorCode(z) == ZSTD_error_dstSize_tooSmall ? -ENOSPC
                                                               : -EIO;
  if (z > UINT32_MAX - STOR_BLOCK_HEADER_BYTES)
    return -E2BIG;
  stor_lput_header(out, shard, seq, n, min, max, (uint32_t)z,
                   (const uint32_t[5]){
                       STOR_LOG_LAYOUT2 << STOR_LOG_LAYOUT_SHIFT |
                           (uint32_t)e->stream_len,
                       e->tab.count, e->tpl.count, (uint32_t)e->expanded,
                       (uint32_t)z});
  stor_lassert_written(out, STOR_BLOCK_HEADER_BYTES + z, n, seq);
  return (long)(STOR_BLOCK_HEADER_BYTES + z);
}

/* ---- header ----------------------------------------------------------------- */

int stor_log2_hdr_impossible(const struct stor_logblock_hdr *h) {
  uint64_t n = h->count, u = h->text_bytes, c = h->ztext_bytes;

  if (u < 1 + STOR_LCOLS2 + n * STOR_LREC_FIELDS_BYTES_MIN ||
      h->tpl_count > STOR_LOG2_TPL_MAX ||
      h->expanded_bytes > STOR_LOGBLOCK_TEXT_BYTES_MAX)
    return 1;
  return c == 0 || c > STOR_ZBOUND(u) || c != h->payload_bytes;
}

/* ---- reader ----------------------------------------------------------------- */

/* Split the stream into its columns. */
static int split(struct stor_logblock_reader *r) {
  const uint8_t *p = r->dec->text + 1, *end = r->dec->text + r->hdr.text_bytes;
  uint64_t len[STOR_LCOLS2];

  r->time_exp = r->dec->text[0];
  if (r->time_exp > STOR_LTIME_EXP_MAX)
    return -EBADMSG;
  for (int c = 0; c < STOR_LCOLS2; c++)
    if (stor_varint_get(&p, end, &len[c]) < 0)
      return -EBADMSG;
  for (int c = 0; c < STOR_LCOLS2; c++) {
    if (len[c] > (uint64_t)(end - p))
      return -EBADMSG;
    r->cp[c] = p;
    r->cend[c] = p + len[c];
    p += len[c];
  }
  return p == end ? 0 : -EBADMSG;
}

/* The template table: M pairs (length, strings using it) in TPLLEN over
 * the bytes of TPL. */
static int read_tpls(struct stor_logblock_reader *r) {
  const uint8_t *t = r->cp[STOR_LCOL_TPL], *tend = r->cend[STOR_LCOL_TPL];

  for (uint32_t i = 0; i < r->hdr.tpl_count; i++) {
    uint64_t k, n;
    if (stor_varint_get(&r->cp[STOR_LCOL_TPLLEN], r->cend[STOR_LCOL_TPLLEN],
                        &k) < 0 ||
        stor_varint_get(&r->cp[STOR_LCOL_TPLLEN], r->cend[STOR_LCOL_TPLLEN],
                        &n) < 0 ||
        k == 0 || k > STOR_LOG2_TPL_BYTES_MAX || k > (uint64_t)(tend - t) ||
        n > STOR_LOG2_VALUES_MAX)
      return -EBADMSG;
    r->dec->tpl[i] = (struct stor_zstr){(const char *)t, (uint32_t)k};
    r->dec->tcount[i] = (uint32_t)n;
    r->dec->tuse[i] = 0;
    t += k;
  }
  r->cp[STOR_LCOL_TPL] = t;
  return t == tend && r->cp[STOR_LCOL_TPLLEN] == r->cend[STOR_LCOL_TPLLEN]
             ? 0
             : -EBADMSG;
}

/* One placeholder's parameter (width or hex bytes) checked, or -1. */
static int hold_param(const struct stor_zstr *t, uint32_t *i, uint8_t c) {
  uint8_t w;

  if (c == STOR_LTPL_NUM)
    return 0;
  if (*i + 1 >= t->len)
    return -1;
  w = (uint8_t)t->ptr[++*i];
  if (c == STOR_LTPL_NUMW)
    return w >= 2 && w <= STOR_LTPL_NUM_DIGITS_MAX ? w : -1;
  return w >= STOR_LTPL_HEX_BYTES_MIN && w <= STOR_LTPL_HEX_BYTES_MAX ? w
                                                                       : -1;
}

/* Where each variable slot's values lie in NUM and HEX: template by
 * template, placeholder by placeholder, tcount values each; the slots
 * must fill both columns exactly. */
static int layout_slots(struct stor_logblock_reader *r) {
  struct stor_logdec *d = r->dec;
  const uint8_t *np = r->cp[STOR_LCOL_NUM], *nend = r->cend[STOR_LCOL_NUM];
  const uint8_t *hp = r->cp[STOR_LCOL_HEX], *hend = r->cend[STOR_LCOL_HEX];
  uint32_t k = 0;

  for (uint32_t t = 0; t < r->hdr.tpl_count; t++) {
    const struct stor_zstr *tp = &d->tpl[t];
    uint64_t n = d->tcount[t], v;
    d->tslot0[t] = k;
    for (uint32_t i = 0; i < tp->len; i++) {
      uint8_t c = (uint8_t)tp->ptr[i];
      int w;
      if (c < STOR_LTPL_NUM || c > STOR_LTPL_HEX)
        continue;
      if ((w = hold_param(tp, &i, c)) < 0 || k == STOR_LOG2_SLOTS_MAX)
        return -EBADMSG;
      if (c == STOR_LTPL_HEX) {
        if (n * (uint64_t)w > (uint64_t)(hend - hp))
          return -EBADMSG;
        d->slot_cur[k] = hp;
        hp += n * (uint64_t)w;
        d->slot_end[k++] = hp;
        continue;
      }
      d->slot_cur[k] = np;
      for (uint64_t j = 0; j < n; j++)
        if (stor_varint_get(&np, nend, &v) < 0)
          return -EBADMSG;
      d->slot_end[k++] = np;
    }
  }
  d->tslot0[r->hdr.tpl_count] = k;
  r->slots = k;
  r->cp[STOR_LCOL_NUM] = nend;
  r->cp[STOR_LCOL_HEX] = hend;
  return np == nend && hp == hend ? 0 : -EBADMSG;
}

int stor_log2_open(struct stor_logblock_reader *r, const uint8_t *payload) {
  size_t u = ZSTD_decompressDCtx(r->dec->zd, r->dec->text, r->hdr.text_bytes,
                                 payload, r->hdr.ztext_bytes);

  if (ZSTD_isError(u) || u != r->hdr.text_bytes || split(r) < 0)
    return -EBADMSG;
  if (stor_ztab_read(r->cp[STOR_LCOL_STRTAB],
                     (size_t)(r->cend[STOR_LCOL_STRTAB] -
                              r->cp[STOR_LCOL_STRTAB]),
                     r->hdr.dict_count, STOR_LOGBLOCK_DICT_STR_BYTES_MAX,
                     r->dec->dict) < 0 ||
      read_tpls(r) < 0 || layout_slots(r) < 0)
    return -EBADMSG;
  r->cp[STOR_LCOL_STRTAB] = r->cend[STOR_LCOL_STRTAB];
  r->tp = r->cp[STOR_LCOL_TEXT];
  r->tend = r->cend[STOR_LCOL_TEXT];
  r->expanded = 0;
  return 0;
}

/* Write v in decimal, w digits (zero-padded) or as many as it takes. */
static uint32_t put_dec(char *o, uint64_t v, uint32_t w) {
  char tmp[STOR_LTPL_NUM_DIGITS_MAX + 1];
  uint32_t n = 0;

  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n < w)
    tmp[n++] = '0';
  for (uint32_t i = 0; i < n; i++)
    o[i] = tmp[n - 1 - i];
  return n;
}

/* One placeholder at t[*i] (its kind byte already read as c), the value
 * taken from slot k: append its text at o (room for
 * 2 * STOR_LTPL_HEX_BYTES_MAX). Returns the bytes or -1. */
static long expand_var(struct stor_logblock_reader *r, uint8_t c,
                       const struct stor_zstr *t, uint32_t *i, uint32_t k,
                       char *o) {
  static const char hexd[] = "0123456789abcdef";
  const uint8_t **cur = &r->dec->slot_cur[k], *end = r->dec->slot_end[k];
  int w = hold_param(t, i, c);
  uint64_t v;

  if (w < 0 || k >= r->slots)
    return -1;
  if (c == STOR_LTPL_HEX) {
    const uint8_t *h = *cur;
    if ((uint64_t)w > (uint64_t)(end - h))
      return -1;
    for (int j = 0; j < w; j++) {
      o[2 * j] = hexd[h[j] >> 4];
      o[2 * j + 1] = hexd[h[j] & 15];
    }
    *cur += w;
    return (long)(2 * w);
  }
  if (stor_varint_get(cur, end, &v) < 0)
    return -1;
  /* the encoder's forms only: no leading zero, or a zero-led width */
  if (c == STOR_LTPL_NUM ? v >= dec_pow[STOR_LTPL_NUM_DIGITS_MAX]
                         : v >= dec_pow[w - 1])
    return -1;
  return (long)put_dec(o, v, (uint32_t)w);
}

/* Expand template number ti into the decoder's arena. */
static int expand(struct stor_logblock_reader *r, uint32_t ti,
                  struct core_syslog_str *s) {
  const struct stor_zstr *t = &r->dec->tpl[ti];
  char *o = r->dec->arena + r->expanded, *start = o;
  size_t left = r->hdr.expanded_bytes - r->expanded;
  uint32_t k = r->dec->tslot0[ti];

  if (r->dec->tuse[ti]++ >= r->dec->tcount[ti])
    return -EBADMSG;
  for (uint32_t i = 0; i < t->len; i++) {
    uint8_t c = (uint8_t)t->ptr[i];
    long n;
    if (c < STOR_LTPL_NUM || c > STOR_LTPL_HEX) {
      if (left == 0)
        return -EBADMSG;
      *o++ = (char)c;
      left--;
      continue;
    }
    if (left < HEX_DIGITS_MAX) { /* expand into the slack, then count */
      char tmp[HEX_DIGITS_MAX];
      if ((n = expand_var(r, c, t, &i, k++, tmp)) < 0 || (size_t)n > left)
        return -EBADMSG;
      memcpy(o, tmp, (size_t)n);
    } else if ((n = expand_var(r, c, t, &i, k++, o)) < 0) {
      return -EBADMSG;
    }
    o += n;
    left -= (size_t)n;
  }
  *s = stor_lstr(start, (uint64_t)(o - start));
  r->expanded += (size_t)(o - start);
  return 0;
}

static int get_ref2(struct stor_logblock_reader *r, int c,
                    struct core_syslog_str *s, int value) {
  uint64_t v, n;

  if (stor_varint_get(&r->cp[c], r->cend[c], &v) < 0)
    return -EBADMSG;
  if (v == STOR_LREF_EMPTY) {
    *s = stor_lstr(NULL, 0);
    return 0;
  }
  if (v >= STOR_LREF_DICT0) {
    v -= STOR_LREF_DICT0;
    if (value)
      return v < r->hdr.tpl_count ? expand(r, (uint32_t)v, s) : -EBADMSG;
    if (v >= r->hdr.dict_count)
      return -EBADMSG;
    *s = stor_lstr(r->dec->dict[v].ptr, r->dec->dict[v].len);
    return 0;
  }
  if (stor_varint_get(&r->tp, r->tend, &n) < 0 || n == 0 ||
      n > (uint64_t)(r->tend - r->tp))
    return -EBADMSG;
  *s = stor_lstr(r->tp, n);
  r->tp += n;
  return 0;
}

static int get_times2(struct stor_logblock_reader *r, struct stor_log_rec *out) {
  uint64_t v, dr, off, step, limit;
  uint64_t range = (uint64_t)r->hdr.max_ns - (uint64_t)r->hdr.min_ns;
  unsigned cls;

  if (stor_varint_get(&r->cp[STOR_LCOL_TIME], r->cend[STOR_LCOL_TIME], &v) <
          0 ||
      stor_varint_get(&r->cp[STOR_LCOL_RECV], r->cend[STOR_LCOL_RECV], &dr) < 0)
    return -EBADMSG;
  cls = v & 1;
  step = stor_ltime_unit(STOR_LTIME_EXP_MAX - r->time_exp);
  if (cls && step == 1)
    return -EBADMSG;
  step = cls ? step : 1;
  /* in steps: off = (prev / step + gap) * step, within the range */
  limit = range / r->time_unit / step;
  off = r->prev_cls_off[cls] / step + (uint64_t)stor_unzigzag(v >> 1);
  if (off > limit)
    return -EBADMSG;
  off *= step;
  r->prev_cls_off[cls] = off;
  out->time_ns = (int64_t)((uint64_t)r->hdr.min_ns + off * r->time_unit);
  out->recv_ms = (int64_t)((uint64_t)r->prev_recv_ms +
                           (uint64_t)stor_unzigzag(dr));
  r->prev_recv_ms = out->recv_ms;
  r->seen_min = out->time_ns < r->seen_min ? out->time_ns : r->seen_min;
  r->seen_max = out->time_ns > r->seen_max ? out->time_ns : r->seen_max;
  return 0;
}

int stor_log2_record(struct stor_logblock_reader *r, struct stor_log_rec *out,
                     struct core_syslog_attr *attrs, uint32_t cap) {
  uint64_t flags, na;
  uint8_t pri;

  if (get_times2(r, out) < 0 || r->cp[STOR_LCOL_PRI] == r->cend[STOR_LCOL_PRI])
    return -EBADMSG;
  pri = *r->cp[STOR_LCOL_PRI]++;
  if (pri > 23 * 8 + 7 ||
      stor_varint_get(&r->cp[STOR_LCOL_FLAGS], r->cend[STOR_LCOL_FLAGS],
                      &flags) < 0 ||
      flags > UINT32_MAX || get_ref2(r, STOR_LCOL_HOST, &out->host, 0) < 0 ||
      get_ref2(r, STOR_LCOL_APP, &out->app, 0) < 0 ||
      get_ref2(r, STOR_LCOL_PROCID, &out->procid, 0) < 0 ||
      get_ref2(r, STOR_LCOL_MSGID, &out->msgid, 0) < 0 ||
      stor_varint_get(&r->cp[STOR_LCOL_ATTRS], r->cend[STOR_LCOL_ATTRS],
                      &na) < 0 ||
      na > CORE_SYSLOG_SD_ATTRS_MAX)
    return -EBADMSG;
  if (na > cap)
    return -ENOSPC;
  out->facility = pri >> 3;
  out->severity = pri & 7;
  out->flags = (uint32_t)flags;
  out->attr_count = (uint32_t)na;
  out->attrs = attrs;
  for (uint32_t i = 0; i < na; i++)
    if (get_ref2(r, STOR_LCOL_ATTRS, &attrs[i].sdid, 0) < 0 ||
        get_ref2(r, STOR_LCOL_ATTRS, &attrs[i].name, 0) < 0 ||
        get_ref2(r, STOR_LCOL_ATTRS, &attrs[i].value, 1) < 0)
      return -EBADMSG;
  return get_ref2(r, STOR_LCOL_MSG, &out->msg, 1);
}

int stor_log2_all_used(const struct stor_logblock_reader *r) {
  for (int c = 0; c < STOR_LCOLS2; c++)
    if (c != STOR_LCOL_TEXT && r->cp[c] != r->cend[c])
      return 0;
  for (uint32_t k = 0; k < r->slots; k++)
    if (r->dec->slot_cur[k] != r->dec->slot_end[k])
      return 0;
  for (uint32_t t = 0; t < r->hdr.tpl_count; t++)
    if (r->dec->tuse[t] != r->dec->tcount[t])
      return 0;
  return r->tp == r->tend && r->expanded == r->hdr.expanded_bytes &&
         r->seen_min == r->hdr.min_ns && r->seen_max == r->hdr.max_ns;
}
