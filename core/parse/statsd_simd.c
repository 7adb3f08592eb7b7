/*
 * core/parse/statsd_simd.c - the StatsD / DogStatsD parser on simd/'s kernels.
 *
 * A window of up to CORE_STATSD_SCAN_BYTES is scanned once (simd_scan,
 * SIMD_SET_STATSD_CTL): '\n' bitmaps and the bitmaps of ':' '|' '#' ','
 * '@' and of every byte the parser refuses (< 0x20 but '\n', and 0x7f).
 * The two are ORed into one "structural" bitmap, so every line's walk
 * meets its own end as one more position; a final line without '\n' gets
 * a sentinel bit. The walk then jumps from separator to separator (tzcnt)
 * instead of looking at every byte. It looks at the byte of every
 * structural position of the line, so a control byte - a structural that
 * is no separator - is always met, and punts: the one classification pass
 * is also the control-byte check.
 *
 * Only the shape of nearly every real line takes this fast path:
 *   name ':' value *( ':' value ) '|' type
 *   *( "|@" rate / "|#" tags / "|T" seconds )
 * free of control bytes. Anything else - an error of any kind, events,
 * service checks, |c: fields, a ',' in a name, set members holding
 * '@' '#' ',', a line with a control byte (a CRLF line's '\r' included) -
 * is handed whole to the scalar twin (core_statsd_parse_line_scalar), so
 * the two agree by construction off the fast path and the tests check
 * that they agree on it.
 */
#include "core/parse/statsd.h"

#include <string.h>

#include "core/base/assert.h"
#include "core/base/limits.h"
#include "simd/find.h"
#include "simd/number.h"
#include "simd/simd.h"

#define WINDOW_BYTES CORE_STATSD_SCAN_BYTES
#define WINDOW_WORDS (WINDOW_BYTES / SIMD_BLOCK_BYTES + 1) /* + sentinel */

/* Internal outcome of the walk: "not on the fast path, ask the twin". */
#define PUNT CORE_STATSD_ERR_COUNT

/* ---- walking the structural bitmap ---------------------------------------- */

/* Set bits of a structural bitmap from some position on. */
struct cursor {
  const uint64_t *next;  /* the word after `word` */
  size_t base;           /* position of bit 0 of `word` */
  uint64_t word;
};

static inline void cursor_seek(struct cursor *c, const uint64_t *bits,
                               size_t pos) {
  size_t block = pos / SIMD_BLOCK_BYTES;

  c->next = bits + block + 1;
  c->base = block * SIMD_BLOCK_BYTES;
  c->word = bits[block] & (~UINT64_C(0) << (pos % SIMD_BLOCK_BYTES));
}

/* Next structural position. The line's end bit stops every walk, so the
 * loop never runs past the bitmap. */
static inline size_t cursor_next(struct cursor *c) {
  while (c->word == 0) {
    c->word = *c->next++;
    c->base += SIMD_BLOCK_BYTES;
  }
  size_t pos = c->base + (size_t)__builtin_ctzll(c->word);
  c->word &= c->word - 1;
  return pos;
}

/* Move c to pos: its next position is the first structural from pos on. */
static inline void cursor_jump(struct cursor *c, size_t pos) {
  const uint64_t *bits = c->next - 1 - c->base / SIMD_BLOCK_BYTES;

  cursor_seek(c, bits, pos);
}

static inline void set_bit(uint64_t *bits, size_t pos) {
  bits[pos / SIMD_BLOCK_BYTES] |= UINT64_C(1) << (pos % SIMD_BLOCK_BYTES);
}

/* ---- numbers -------------------------------------------------------------- */

/*
 * A value or rate token [s, s + n); readable bytes run to lim. *sign is 1
 * when it starts with '+' or '-'. Returns 0, or -1 (PUNT) when it is not
 * a finite number.
 */
static inline int number(const char *s, size_t n, const char *lim,
                         double *out, int *sign) {
  int neg = n > 0 && *s == '-';

  *sign = n > 0 && (*s == '-' || *s == '+');
  if (n - (size_t)*sign - 1 < 8 && lim - s >= 9) {
    double v;
    if (simd_short_decimal(s + *sign, n - (size_t)*sign, &v) == 0) {
      *out = neg ? -v : v;
      return 0;
    }
  }
  /* the twin's token bound (simd_parse_double's is larger) */
  if (n > CORE_STATSD_NUMBER_BYTES_MAX)
    return -1;
  return simd_parse_double(s, n, out) == 0 ? 0 : -1;
}

/* ---- the fast path -------------------------------------------------------- */

/* Type of a one-letter type name + 1; 'm' (for "ms") is marked 0x10. */
static const uint8_t type_by_letter[256] = {
    ['c'] = CORE_STATSD_COUNTER + 1,      ['g'] = CORE_STATSD_GAUGE + 1,
    ['h'] = CORE_STATSD_HISTOGRAM + 1,    ['d'] = CORE_STATSD_DISTRIBUTION + 1,
    ['s'] = CORE_STATSD_SET + 1,          ['m'] = 0x10,
};

/* The type token [s, s + n) + 1, or 0. Branch-free: which type comes
 * next is data. Reads s[1] only when n > 1. */
static inline unsigned type_of(const char *s, size_t n) {
  unsigned t = type_by_letter[(uint8_t)s[0]];
  unsigned two = (n == 2) & (t == 0x10) & (s[n > 1] == 's');

  return n == 1 ? t & 0xf : (CORE_STATSD_TIMER + 1) * two;
}

/*
 * The rest of a tag whose value may hold ':' '@' '#', from the structural
 * s on: *v is set at its first ':'. Returns the ',' '|' or le that ends it.
 */
static size_t tag_end(const char *p, struct cursor *c, size_t s, size_t le,
                      size_t *v) {
  for (;; s = cursor_next(c)) {
    char ch = s < le ? p[s] : '|';
    if (ch == ':')
      *v = *v ? *v : s + 1;
    else if (ch != '@' && ch != '#')
      return s;
  }
}

/*
 * Tags from k (after '#') to the '|' or line end le: key[:value] split on
 * ','; '@' '#' and later ':' are plain tag bytes. The usual "key:value,"
 * (a non-empty key, then ',' '|' or le) is stored straight from its two
 * structurals; any other shape goes the general way. Returns the
 * position of the '|' or le that ends them, or SIZE_MAX to punt.
 */
static size_t walk_tags(const char *p, struct cursor *c, size_t k, size_t le,
                        struct core_statsd_msg *out) {
  uint32_t n = 0;

  for (;; n++) {
    struct core_statsd_tag *t = &out->tags[n];
    size_t v = 0, s = cursor_next(c), e;
    if (n == CORE_STATSD_TAGS_MAX)
      return SIZE_MAX;
    if (s < le && p[s] == ':' && s != k) {
      char ce;
      e = cursor_next(c);
      ce = e < le ? p[e] : '|';
      if (__builtin_expect(ce == ',' || ce == '|', 1)) {
        t->key = p + k;
        t->key_len = (uint32_t)(s - k);
        t->val = p + s + 1;
        t->val_len = (uint32_t)(e - s - 1);
        if (ce == '|') {
          out->tag_count = n + 1;
          return e;
        }
        k = e + 1;
        continue;
      }
      v = s + 1;
      e = tag_end(p, c, e, le, &v);
    } else {
      e = tag_end(p, c, s, le, &v);
    }
    if (e == k || v == k + 1 || (e < le && p[e] != ',' && p[e] != '|'))
      return SIZE_MAX; /* ... or a control byte, a structural too */
    t->key = p + k;
    t->key_len = (uint32_t)((v ? v - 1 : e) - k);
    t->val = v ? p + v : NULL;
    t->val_len = v ? (uint32_t)(e - v) : 0;
    if (e >= le || p[e] == '|') {
      out->tag_count = n + 1;
      return e;
    }
    k = e + 1;
  }
}

/*
 * Values as numbers (or set members), with the signs that make gauge
 * deltas. The tokens are in out->members. Returns 0 or PUNT.
 */
static enum core_statsd_err values(const char *lim, uint32_t n,
                                   struct core_statsd_msg *out) {
  uint64_t signs;
  int sign;

  out->value_count = n;
  out->delta_mask = 0;
  if (out->type == CORE_STATSD_SET)
    return CORE_STATSD_OK;
  /* the first value apart: nearly every line has one */
  if (number(out->members[0].ptr, out->members[0].len, lim, &out->values[0],
             &sign) < 0)
    return PUNT;
  signs = (uint64_t)sign;
  for (uint32_t i = 1; i < n; i++) {
    if (number(out->members[i].ptr, out->members[i].len, lim, &out->values[i],
               &sign) < 0)
      return PUNT;
    signs |= (uint64_t)sign << i;
  }
  out->delta_mask = signs & (0 - (uint64_t)(out->type == CORE_STATSD_GAUGE));
  return CORE_STATSD_OK;
}

/*
 * The tag field from k (after '#') left for core_statsd_tags_resolve:
 * only its end is found, the first '|' or le (a tag holds no '|'), by a
 * byte search rather than structural by structural (a tag field is
 * mostly the line's last); p[0, lim) is readable. The cursor is moved
 * past it. Returns that position.
 */
static size_t skip_tags(const char *p, size_t lim, struct cursor *c,
                        size_t k, size_t le, struct core_statsd_msg *out) {
  size_t s = k + simd_find_byte(p + k, le - k, lim - k, '|');

  if (s < le)
    cursor_jump(c, s + 1);
  out->tags_lazy = 1;
  out->tags_raw_len = (uint32_t)(s - k);
  out->line_len = (uint32_t)(le - (size_t)(out->name - p));
  return s;
}

/* The seconds of a "|T" field, the token [s, s + n): 1 to
 * CORE_STATSD_TIMESTAMP_DIGITS_MAX digits (so no overflow). Returns 0,
 * or -1 (PUNT: the twin names the error) for any other token. */
static int seconds(const char *s, size_t n, int64_t *out) {
  int64_t v = 0;

  if (n - 1 >= CORE_STATSD_TIMESTAMP_DIGITS_MAX)
    return -1;
  for (size_t i = 0; i < n; i++) {
    unsigned d = (unsigned)(uint8_t)s[i] - '0';
    if (d > 9)
      return -1;
    v = v * 10 + (int64_t)d;
  }
  *out = v;
  return 0;
}

/* "|@rate", "|#tags" and "|Tseconds" fields from the '|' at s (tags left
 * for later when lazy). Returns 0 or PUNT. */
static enum core_statsd_err fields(const char *p, size_t lim, struct cursor *c,
                                   size_t s, size_t le, int lazy,
                                   struct core_statsd_msg *out) {
  unsigned seen = 0;
  int sign;

  while (s < le) {
    size_t f = s + 1;
    char ch = f < le ? p[f] : 0;
    unsigned bit = ch == '@' ? 1u : ch == '#' ? 2u : ch == 'T' ? 4u : 0u;
    if (bit == 0 || (seen & bit))
      return PUNT;
    seen |= bit;
    if (bit == 4) { /* 'T' is no structural: the next one ends the field */
      s = cursor_next(c);
      if ((s < le && p[s] != '|') ||
          seconds(p + f + 1, s - f - 1, &out->timestamp_s) < 0)
        return PUNT;
      out->has_timestamp = 1;
      continue;
    }
    cursor_next(c); /* the '@' or '#' at f */
    if (bit == 2) {
      out->tags_raw = p + f + 1;
      if (lazy) {
        s = skip_tags(p, lim, c, f + 1, le, out);
        continue;
      }
      s = walk_tags(p, c, f + 1, le, out);
      if (s == SIZE_MAX)
        return PUNT;
      out->tags_raw_len = (uint32_t)(s - f - 1);
      continue;
    }
    s = cursor_next(c);
    if ((s < le && p[s] != '|') ||
        number(p + f + 1, s - f - 1, p + lim, &out->sample_rate, &sign) < 0 ||
        !core_statsd_rate_ok(out->sample_rate))
      return PUNT;
  }
  /* a counter's value / rate that overflows: the twin says BAD_VALUE */
  return (seen & 1) && !core_statsd_scaled_ok(out) ? PUNT : CORE_STATSD_OK;
}

/*
 * The metric line [ls, le) of the window p (lim bytes readable), whose
 * structural bitmap is bits (bit le set). Returns CORE_STATSD_OK with out
 * filled, or PUNT.
 */
static enum core_statsd_err walk(const char *p, size_t lim,
                                 const uint64_t *bits, size_t ls, size_t le,
                                 int lazy, struct core_statsd_msg *out) {
  struct cursor c;
  size_t s, v;
  uint32_t n = 0;
  unsigned t;

  if (p[ls] == '_') /* maybe an event or a service check */
    return PUNT;
  cursor_seek(&c, bits, ls);
  s = cursor_next(&c);
  if (s >= le || p[s] != ':' || s == ls || s - ls > CORE_STATSD_NAME_BYTES_MAX)
    return PUNT;
  out->name = p + ls;
  out->name_len = (uint32_t)(s - ls);
  do {
    v = s + 1;
    s = cursor_next(&c);
    if (s >= le || s == v || n == CORE_STATSD_VALUES_MAX)
      return PUNT;
    out->members[n].ptr = p + v;
    out->members[n].len = (uint32_t)(s - v);
    n++;
  } while (p[s] == ':');
  if (p[s] != '|')
    return PUNT;
  v = s + 1;
  s = cursor_next(&c);
  if ((s < le && p[s] != '|') || s == v || (t = type_of(p + v, s - v)) == 0)
    return PUNT;
  core_statsd_msg_reset(out);
  out->type = (enum core_statsd_type)(t - 1);
  if (values(p + lim, n, out) != CORE_STATSD_OK)
    return PUNT;
  return fields(p, lim, &c, s, le, lazy, out);
}

/* ---- lines and windows ---------------------------------------------------- */

/* One window being parsed: its bytes, bitmaps and what the caller gave. */
struct window {
  const char *p;
  size_t n;
  uint64_t nl[WINDOW_WORDS];
  uint64_t st[WINDOW_WORDS]; /* structural: separators | '\n' | sentinels */
};

/* Scan p[0, n) into w: bitmaps, and the merged structural one. */
static void window_scan(struct window *w, const char *p, size_t n) {
  size_t words = simd_blocks(n);

  w->p = p;
  w->n = n;
  simd_scan(SIMD_SET_STATSD_CTL, p, n, w->nl, w->st);
  for (size_t i = 0; i < words; i++)
    w->st[i] |= w->nl[i];
  w->st[words] = 0;
  set_bit(w->st, n); /* the end of a final line without '\n' */
}

/* Parse the line [ls, le) of a scanned window ('\r' before le included:
 * the twin drops it; to walk it is a control byte, which punts). */
static enum core_statsd_err window_line(struct window *w, size_t ls, size_t le,
                                        int lazy,
                                        struct core_statsd_msg *out) {
  enum core_statsd_err err = walk(w->p, w->n, w->st, ls, le, lazy, out);

  if (err == PUNT)
    err = core_statsd_parse_line_scalar(w->p + ls, le - ls, out);
  return err;
}

enum core_statsd_err core_statsd_parse_line(const char *line, size_t len,
                                            struct core_statsd_msg *out) {
  struct window w;
  enum core_statsd_err err;
  size_t n = len;

  if (simd_get_level() == SIMD_LEVEL_SCALAR || len > WINDOW_BYTES)
    return core_statsd_parse_line_scalar(line, len, out);
  if (n > 0 && line[n - 1] == '\r')
    n--;
  if (n == 0)
    return core_statsd_parse_line_scalar(line, len, out);
  window_scan(&w, line, n);
  /* a '\n' inside the line is a control byte: a structural, which walk
   * meets and punts on, like any other */
  err = walk(line, n, w.st, 0, n, 0, out);
  /* the twin gets the line as given: it drops one '\r' itself */
  return err == PUNT ? core_statsd_parse_line_scalar(line, len, out) : err;
}

/* What core_statsd_parse_buf threads through its windows. */
struct buf_run {
  uint32_t line_bytes_max;
  struct core_statsd_msg *msg;
  core_statsd_line_fn fn;   /* one call a line, or ... */
  core_statsd_batch_fn bfn; /* ... (not NULL) one call a batch */
  void *ctx;
  size_t lines;
  int lazy; /* tags may be left for core_statsd_tags_resolve */
  struct core_statsd_msg *msgs; /* the batch: msgs[0, cap) */
  uint32_t cap, k;
  enum core_statsd_err errs[CORE_STATSD_BATCH_LINES_MAX];
};

/* Hand over the line parsed into r->msg with outcome err, and set
 * r->msg to the scratch for the next line. */
static inline void emit(struct buf_run *r, enum core_statsd_err err) {
  struct core_statsd_msg *m;

  if (r->bfn == NULL) {
    m = r->fn(r->ctx, err, r->msg);
    if (m != NULL)
      r->msg = m;
    return;
  }
  r->errs[r->k] = err;
  if (++r->k == r->cap) {
    r->bfn(r->ctx, r->errs, r->k);
    r->k = 0;
  }
  r->msg = &r->msgs[r->k];
}

/*
 * 1 when the line [s, s + n) ends in '\r': the CR of "\r\n", or of a last
 * line's "\r". That one byte is the line's end, not part of it: a line of
 * only it is empty, the bound does not count it, and the line parser
 * drops it (exactly one: a second '\r' is a byte of the line, BAD_BYTE).
 */
static inline size_t final_cr(const char *s, size_t n) {
  return n > 0 && s[n - 1] == '\r';
}

/* The line [ls, le) of window w (its '\n' cut at le, its '\r' not). */
static void buf_line(struct buf_run *r, struct window *w, size_t ls,
                     size_t le) {
  size_t n = le - ls, cr;
  enum core_statsd_err err;

  /* 2 to line_bytes_max bytes: not empty and in bound, '\r' or not */
  if (__builtin_expect(n - 2 < r->line_bytes_max - 1, 1)) {
    r->lines++;
    emit(r, window_line(w, ls, le, r->lazy, r->msg));
    return;
  }
  cr = final_cr(w->p + ls, n);
  if (n == cr)
    return;
  r->lines++;
  if (n - cr > r->line_bytes_max)
    err = CORE_STATSD_ERR_LINE_TOO_LONG;
  else
    err = window_line(w, ls, le, r->lazy, r->msg);
  emit(r, err);
}

/* A line longer than a window, from buf at pos; returns where the next
 * line starts. */
static size_t long_line(struct buf_run *r, const char *buf, size_t len,
                        size_t pos) {
  const char *s = buf + pos, *nl = memchr(s, '\n', len - pos);
  size_t n = nl ? (size_t)(nl - s) : len - pos, cr = final_cr(s, n);
  enum core_statsd_err err;

  if (n == cr)
    return nl ? (size_t)(nl - buf) + 1 : len;
  r->lines++;
  err = n - cr > r->line_bytes_max
            ? CORE_STATSD_ERR_LINE_TOO_LONG
            : core_statsd_parse_line_scalar(s, n, r->msg);
  emit(r, err);
  return nl ? (size_t)(nl - buf) + 1 : len;
}

/* memchr split + scalar twin: what SIMD_LEVEL_SCALAR runs. */
static void buf_scalar(struct buf_run *r, const char *buf, size_t len) {
  for (size_t pos = 0; pos < len;)
    pos = long_line(r, buf, len, pos);
}

/*
 * Lines of one window at buf + pos; returns where the next window starts:
 * after its last '\n', or at the end of the buffer.
 */
static size_t buf_window(struct buf_run *r, struct window *w, const char *buf,
                         size_t len, size_t pos) {
  size_t n = len - pos < WINDOW_BYTES ? len - pos : WINDOW_BYTES, ls = 0;

  window_scan(w, buf + pos, n);
  for (size_t b = 0; b < simd_blocks(n); b++)
    for (uint64_t bits = w->nl[b]; bits; bits &= bits - 1) {
      size_t le = b * SIMD_BLOCK_BYTES + (size_t)__builtin_ctzll(bits);
      buf_line(r, w, ls, le);
      ls = le + 1;
    }
  if (pos + n == len) {
    if (ls < n)
      buf_line(r, w, ls, n);
    return len;
  }
  if (ls == 0)
    return long_line(r, buf, len, pos);
  return pos + ls;
}

/* The lines of buf through r. */
static size_t parse_buf(struct buf_run *r, const char *buf, size_t len) {
  struct window w;

  if (simd_get_level() == SIMD_LEVEL_SCALAR)
    buf_scalar(r, buf, len);
  else
    for (size_t pos = 0; pos < len;)
      pos = buf_window(r, &w, buf, len, pos);
  if (r->bfn != NULL && r->k > 0)
    r->bfn(r->ctx, r->errs, r->k);
  return r->lines;
}

size_t core_statsd_parse_buf(const char *buf, size_t len,
                             uint32_t line_bytes_max,
                             struct core_statsd_msg *msg,
                             core_statsd_line_fn fn, void *ctx) {
  struct buf_run r = {.line_bytes_max = line_bytes_max, .msg = msg,
                      .fn = fn, .ctx = ctx};

  return parse_buf(&r, buf, len);
}

size_t core_statsd_parse_buf_lazy(const char *buf, size_t len,
                                  uint32_t line_bytes_max,
                                  struct core_statsd_msg *msg,
                                  core_statsd_line_fn fn, void *ctx) {
  struct buf_run r = {.line_bytes_max = line_bytes_max, .msg = msg,
                      .fn = fn, .ctx = ctx, .lazy = 1};

  return parse_buf(&r, buf, len);
}

size_t core_statsd_parse_buf_batch(const char *buf, size_t len,
                                   uint32_t line_bytes_max,
                                   struct core_statsd_msg *msgs, uint32_t cap,
                                   core_statsd_batch_fn fn, void *ctx) {
  struct buf_run r = {.line_bytes_max = line_bytes_max, .msg = msgs,
                      .bfn = fn, .ctx = ctx, .lazy = 1, .msgs = msgs,
                      .cap = cap};

  ASSERT(cap >= 1 && cap <= CORE_STATSD_BATCH_LINES_MAX);
  return parse_buf(&r, buf, len);
}
