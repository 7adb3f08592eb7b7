/*
 * core/parse/statsd.c - the scalar StatsD / DogStatsD line parser: the reference
 * twin of the SIMD one (core/statsd_simd.c), which hands it every line
 * off its fast path.
 *
 * One forward pass over the line, no allocation, no copy except a bounded
 * one for the rare number that needs strtod. Every byte of an accepted
 * line has been looked at by some check below, and every check refuses
 * control bytes, so an accepted line never holds one.
 *
 * Decisions (see also core/statsd.h for the grammar):
 * - Bytes < 0x20 and 0x7f are refused anywhere (BAD_BYTE), '\t' included:
 *   a tab in a name or tag value would reach series keys and exports, and
 *   DogStatsD clients escape newlines in event text. The one exception is
 *   a single trailing '\r' (CRLF framing), which is dropped. When a line
 *   fails for any reason and holds such a byte, BAD_BYTE is the reason.
 * - A name is any run of bytes >= 0x20 except ':' '|' '@' '#' (BAD_NAME
 *   for '@' and '#'): spaces, dots, slashes and bytes >= 0x80 are kept
 *   as sent (no UTF-8 check); Prometheus-facing code maps them later.
 * - Tags and set members may hold any byte >= 0x20 except their
 *   separators (',' '|' for tags, ':' '|' for members).
 * - Numbers follow strtod's decimal grammar ([+-] digits [. digits]
 *   [e [+-] digits], "1." and ".5" too) and must be finite: no nan, inf,
 *   hex, blanks. Underflow to 0 is accepted.
 * - What is stored must be finite too: a rate is a normal double in
 *   (0, 1] (core_statsd_rate_ok: 1/rate, the scale or weight, is finite;
 *   "@1e-320" is BAD_RATE), and a counter whose value / rate overflows
 *   ("x:1e308|c|@0.1") is BAD_VALUE, checked after all its fields. Parsing is locale-free on the
 *   fast path; the strtod fallback assumes LC_NUMERIC "C" (sluice never
 *   calls setlocale).
 * - The sign of every value is kept; on gauges it also marks a delta.
 * - Fields after the type may come in any order, each at most once; an
 *   unknown, empty or repeated field is BAD_FIELD.
 * - A number token is at most CORE_STATSD_NUMBER_BYTES_MAX bytes; |T takes
 *   at most CORE_STATSD_TIMESTAMP_DIGITS_MAX digits (range checks on the
 *   time itself belong to the pipeline).
 * - Events need a non-empty title and text whose byte counts match the
 *   header exactly (either may hold '|'); their fields are d: h: k: p:
 *   (normal|low) s: t: (error|warning|info|success) # c:. Service checks
 *   take d: h: # m: c:. Anything else is BAD_EVENT / BAD_SERVICE_CHECK.
 * - Precedence: name, then type, then values, then fields.
 *
 * The scans read eight bytes at a time (SWAR), little-endian only.
 */
#include "core/parse/statsd.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/limits.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "core/statsd.c: the SWAR scans assume a little-endian target"
#endif

enum {
  C_CTL = 1,   /* < 0x20 or 0x7f */
  C_COLON = 2, /* ':' */
  C_PIPE = 4,  /* '|' */
  C_COMMA = 8, /* ',' */
  C_MARK = 16, /* '@' '#', refused in names */
};

#define STOP_NAME (C_CTL | C_COLON | C_PIPE | C_MARK)
#define STOP_KEY (C_CTL | C_COLON | C_PIPE | C_COMMA)
#define STOP_MEMBER (C_CTL | C_COLON | C_PIPE)
#define STOP_FIELD (C_CTL | C_PIPE)

/* Exact powers of ten: m * 10^k and m / 10^k round once when m <= 2^53. */
static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)
#define LOWS (~HIGHS)

/*
 * SWAR over eight bytes loaded little-endian. A byte below 0x80 equals c
 * when (b ^ c) + 0x7f keeps its high bit clear, and is below 0x20 when
 * b + 0x60 does; bytes >= 0x80 never stop a scan. No carry crosses a
 * byte, so every flag is exact, not only the lowest.
 */
static inline uint64_t ne_bits(uint64_t lo, uint8_t c) {
  return (lo ^ (ONES * c)) + LOWS;
}

/* High bit set in each byte of w whose class meets stop (C_CTL always). */
static inline __attribute__((always_inline)) uint64_t stop_bits(uint64_t w,
                                                                unsigned stop) {
  uint64_t lo = w & LOWS;
  uint64_t keep = (lo + ONES * 0x60) & ne_bits(lo, 0x7f);

  if (stop & C_COLON)
    keep &= ne_bits(lo, ':');
  if (stop & C_PIPE)
    keep &= ne_bits(lo, '|');
  if (stop & C_COMMA)
    keep &= ne_bits(lo, ',');
  if (stop & C_MARK)
    keep &= ne_bits(lo, '@') & ne_bits(lo, '#');
  return ~(keep | w) & HIGHS;
}

/*
 * Eight bytes from p, or the n < 8 left before end followed by zero
 * bytes (which stop every scan, as control bytes). Reads only [p, end).
 */
static inline uint64_t load_word(const char *p, const char *end) {
  size_t n = (size_t)(end - p);
  uint64_t w;

  if (__builtin_expect(n >= 8, 1)) {
    memcpy(&w, p, sizeof(w));
    return w;
  }
  if (n >= 4) {
    uint32_t a, b;
    memcpy(&a, p, 4);
    memcpy(&b, p + n - 4, 4);
    return a | ((uint64_t)b << (8 * (n - 4)));
  }
  if (n == 0)
    return 0;
  return (uint64_t)(uint8_t)p[0] | (uint64_t)(uint8_t)p[n / 2] << (8 * (n / 2)) |
         (uint64_t)(uint8_t)p[n - 1] << (8 * (n - 1));
}

/* First byte in [p, end) whose class meets stop (C_CTL always), or end. */
static inline __attribute__((always_inline)) const char *
scan(const char *p, const char *end, unsigned stop) {
  for (;; p += 8) {
    uint64_t z = stop_bits(load_word(p, end), stop);
    if (z)
      return p + (__builtin_ctzll(z) >> 3);
  }
}

static inline int is_digit(char c) { return (unsigned)(c - '0') < 10; }

/* strtod on a NUL-terminated copy of [s, e), which holds a valid token. */
static int number_slow(const char *s, const char *e, double *out) {
  char buf[CORE_STATSD_NUMBER_BYTES_MAX + 1];
  size_t n = (size_t)(e - s);
  char *stop;

  if (n > CORE_STATSD_NUMBER_BYTES_MAX)
    return -1;
  memcpy(buf, s, n);
  buf[n] = '\0';
  *out = strtod(buf, &stop);
  return (stop == buf + n && isfinite(*out)) ? 0 : -1;
}

/*
 * Append the run of decimal digits at *pp to m (m * 10^k + run) and step
 * over it; returns its length k. A run under eight digits takes one SWAR
 * step, with no loop exit to mispredict; longer ones go digit by digit.
 * m wraps past 19 digits: the caller counts digits before trusting it.
 * Borrows and carries only run upward from the first non-digit, so the
 * lowest flag and the digits below it are exact.
 */
static inline int digits(const char **pp, const char *end, uint64_t *m) {
  static const uint32_t pow10_u32[8] = {1,      10,      100,      1000,
                                        10000,  100000,  1000000,  10000000};
  const char *p = *pp, *d = p;
  uint64_t x = load_word(p, end) - ONES * '0';
  uint64_t stop = (x | (x + ONES * 0x76)) & HIGHS; /* byte not in 0..9 */

  if (stop) {
    unsigned k = (unsigned)__builtin_ctzll(stop) >> 3;
    if (k) {
      x <<= 8 * (8 - k); /* the k digits, after 8 - k leading zeros */
      x = x * 10 + (x >> 8);
      x = ((x & UINT64_C(0x000000FF000000FF)) * UINT64_C(0x000F424000000064) +
           ((x >> 16) & UINT64_C(0x000000FF000000FF)) *
               UINT64_C(0x0000271000000001)) >> 32;
      *m = *m * pow10_u32[k] + x;
    }
    *pp = p + k;
    return (int)k;
  }
  for (; p < end && is_digit(*p); p++)
    *m = *m * 10 + (uint64_t)(*p - '0');
  *pp = p;
  return (int)(p - d);
}

/*
 * Parse the number that starts at p and ends before end or at the first
 * byte that cannot continue it. *sign is 1 when it began with '+' or '-'.
 * Returns the byte after the number, or NULL when there is no finite one.
 */
static const char *parse_number(const char *p, const char *end, double *out,
                                int *sign) {
  const char *s = p, *d;
  uint64_t m = 0;
  int neg = 0, nd, frac = 0, exp = 0;

  *sign = p < end && (*p == '+' || *p == '-');
  if (*sign)
    neg = *p++ == '-';
  nd = digits(&p, end, &m);
  if (p < end && *p == '.') {
    p++;
    frac = digits(&p, end, &m);
    nd += frac;
  }
  if (nd == 0)
    return NULL;
  if (p < end && (*p | 0x20) == 'e') {
    int eneg = 0;
    if (++p < end && (*p == '+' || *p == '-'))
      eneg = *p++ == '-';
    for (d = p; p < end && is_digit(*p); p++)
      if (exp < 100000)
        exp = exp * 10 + (*p - '0');
    if (p == d)
      return NULL;
    exp = eneg ? -exp : exp;
  }
  exp -= frac;
  if (nd <= 19 && m <= (UINT64_C(1) << 53) && exp >= -22 && exp <= 22) {
    double v = (double)m;
    v = exp < 0 ? v / pow10_exact[-exp] : v * pow10_exact[exp];
    *out = neg ? -v : v;
    return p;
  }
  return number_slow(s, p, out) == 0 ? p : NULL;
}

/*
 * Numeric values from p up to the '|' (or end) that closes them, packed
 * values split on ':'. *pp is left on that '|' on success.
 */
static enum core_statsd_err parse_values(const char **pp, const char *end,
                                         struct core_statsd_msg *out) {
  const char *p = *pp;
  uint64_t signs = 0;
  uint32_t n = 0;
  int sign;

  if (p == end || *p == '|')
    return CORE_STATSD_ERR_NO_VALUE;
  for (;;) {
    double v;
    p = parse_number(p, end, &v, &sign);
    if (p == NULL)
      return CORE_STATSD_ERR_BAD_VALUE;
    if (n == CORE_STATSD_VALUES_MAX)
      return CORE_STATSD_ERR_TOO_MANY_VALUES;
    out->values[n] = v;
    signs |= (uint64_t)sign << n;
    n++;
    if (p == end || *p == '|')
      break;
    if (*p++ != ':')
      return CORE_STATSD_ERR_BAD_VALUE;
  }
  out->value_count = n;
  out->delta_mask = signs;
  *pp = p;
  return CORE_STATSD_OK;
}

/* Set members from p up to the closing '|' (or end), split on ':'. */
static enum core_statsd_err parse_members(const char **pp, const char *end,
                                          struct core_statsd_msg *out) {
  const char *p = *pp;
  uint32_t n = 0;

  if (p == end || *p == '|')
    return CORE_STATSD_ERR_NO_VALUE;
  for (;;) {
    const char *s = p;
    p = scan(p, end, STOP_MEMBER);
    if (p == s)
      return CORE_STATSD_ERR_BAD_VALUE;
    if (n == CORE_STATSD_VALUES_MAX)
      return CORE_STATSD_ERR_TOO_MANY_VALUES;
    out->members[n].ptr = s;
    out->members[n].len = (uint32_t)(p - s);
    n++;
    if (p == end || *p == '|')
      break;
    if (*p++ != ':')
      return CORE_STATSD_ERR_BAD_BYTE;
  }
  out->value_count = n;
  out->delta_mask = 0;
  *pp = p;
  return CORE_STATSD_OK;
}

/* Type of a one-letter type name + 1; 'm' (for "ms") is marked 0x10. */
static const uint8_t type_by_letter[128] = {
    ['c'] = CORE_STATSD_COUNTER + 1,      ['g'] = CORE_STATSD_GAUGE + 1,
    ['h'] = CORE_STATSD_HISTOGRAM + 1,    ['d'] = CORE_STATSD_DISTRIBUTION + 1,
    ['s'] = CORE_STATSD_SET + 1,          ['m'] = 0x10,
};

/* The type after the '|' at *pp (or at end); *pp is left after it. */
static enum core_statsd_err parse_type(const char **pp, const char *end,
                                       enum core_statsd_type *type) {
  const char *p = *pp;
  unsigned t;

  if (p == end || ++p == end || *p == '|')
    return CORE_STATSD_ERR_NO_TYPE;
  t = (uint8_t)*p < 128 ? type_by_letter[(uint8_t)*p] : 0;
  p++;
  if (t == 0x10 && p < end && *p == 's') {
    t = CORE_STATSD_TIMER + 1;
    p++;
  }
  if (t == 0 || t == 0x10 || (p != end && *p != '|'))
    return CORE_STATSD_ERR_BAD_TYPE;
  *type = (enum core_statsd_type)(t - 1);
  *pp = p;
  return CORE_STATSD_OK;
}

/*
 * DogStatsD tags from p (after '#') up to '|' or end: key[:value] split
 * on ','; the value runs to the ',' and may hold ':'. One SWAR sweep
 * flags every ':' ',' '|' and control byte; the loop walks the flags.
 */
static enum core_statsd_err parse_tags(const char **pp, const char *end,
                                       struct core_statsd_msg *out) {
  const char *base = *pp, *k = base, *v = NULL;
  uint32_t n = 0;

  for (;; base += 8) {
    uint64_t w = load_word(base, end), z = stop_bits(w, STOP_KEY);
    for (; z; z &= z - 1) {
      unsigned bit = (unsigned)__builtin_ctzll(z);
      const char *s = base + (bit >> 3);
      uint8_t c = (uint8_t)(w >> (bit & ~7u)); /* 0 past end */
      if (c == ':') {
        v = v ? v : s + 1;
        continue;
      }
      if ((s == k) | (v == k + 1))
        return CORE_STATSD_ERR_BAD_TAGS;
      if (n == CORE_STATSD_TAGS_MAX)
        return CORE_STATSD_ERR_TOO_MANY_TAGS;
      out->tags[n].key = k;
      out->tags[n].key_len = (uint32_t)((v ? v - 1 : s) - k);
      out->tags[n].val = v;
      out->tags[n].val_len = v ? (uint32_t)(s - v) : 0;
      n++;
      if (c == ',') {
        k = s + 1;
        v = NULL;
        continue;
      }
      if (c != '|' && s != end)
        return CORE_STATSD_ERR_BAD_BYTE;
      out->tag_count = n;
      *pp = s;
      return CORE_STATSD_OK;
    }
  }
}

/* A non-empty run of field bytes from p; NULL when empty or at a bad byte. */
static const char *field_text(const char *p, const char *end) {
  const char *e = scan(p, end, STOP_FIELD);
  return (e == p || (e < end && *e != '|')) ? NULL : e;
}

/* "|T<seconds>": decimal digits only. Returns the byte after, or NULL. */
static const char *parse_seconds(const char *p, const char *end,
                                 int64_t *out) {
  const char *d = p;
  int64_t v = 0;

  while (p < end && is_digit(*p) && p - d < CORE_STATSD_TIMESTAMP_DIGITS_MAX)
    v = v * 10 + (*p++ - '0');
  if (p == d || (p < end && *p != '|'))
    return NULL;
  *out = v;
  return p;
}

enum {
  F_RATE = 1,
  F_TAGS = 2,
  F_CONTAINER = 4,
  F_TIME = 8,
};

/* The rate after '@' at p; *pp left after it. */
static enum core_statsd_err parse_rate(const char **pp, const char *end,
                                       struct core_statsd_msg *out) {
  int sign;
  const char *p = parse_number(*pp, end, &out->sample_rate, &sign);

  if (p == NULL || (p < end && *p != '|') ||
      !core_statsd_rate_ok(out->sample_rate))
    return CORE_STATSD_ERR_BAD_RATE;
  *pp = p;
  return CORE_STATSD_OK;
}

/* One field of a metric at p (after its '|'); *pp left after it. */
static enum core_statsd_err parse_field(const char **pp, const char *end,
                                        struct core_statsd_msg *out,
                                        unsigned *seen) {
  const char *p = *pp;
  enum core_statsd_err err;
  unsigned f;

  if (p == end)
    return CORE_STATSD_ERR_BAD_FIELD;
  f = *p == '@' ? F_RATE : *p == '#' ? F_TAGS : *p == 'T' ? F_TIME
      : (*p == 'c' && end - p > 1 && p[1] == ':') ? F_CONTAINER : 0;
  if (f == 0 || (*seen & f))
    return CORE_STATSD_ERR_BAD_FIELD;
  *seen |= f;
  *pp = p + 1;
  switch (f) {
  case F_RATE:
    return parse_rate(pp, end, out);
  case F_TAGS:
    out->tags_raw = *pp;
    err = parse_tags(pp, end, out);
    out->tags_raw_len = err ? 0 : (uint32_t)(*pp - out->tags_raw);
    return err;
  case F_TIME:
    *pp = parse_seconds(p + 1, end, &out->timestamp_s);
    out->has_timestamp = 1;
    return *pp ? CORE_STATSD_OK : CORE_STATSD_ERR_BAD_TIMESTAMP;
  default:
    out->container = p + 2;
    *pp = field_text(p + 2, end);
    out->container_len = *pp ? (uint32_t)(*pp - (p + 2)) : 0;
    return *pp ? CORE_STATSD_OK : CORE_STATSD_ERR_BAD_FIELD;
  }
}

/* Values of any type: numbers first, and members when the type says set. */
static enum core_statsd_err parse_values_and_type(const char **pp,
                                                  const char *end,
                                                  struct core_statsd_msg *out) {
  const char *vs = *pp, *p = vs;
  enum core_statsd_err verr = parse_values(&p, end, out), err;

  if (verr != CORE_STATSD_OK) {
    p = memchr(vs, '|', (size_t)(end - vs));
    p = p ? p : end;
  }
  err = parse_type(&p, end, &out->type);
  if (err != CORE_STATSD_OK)
    return err;
  if (out->type == CORE_STATSD_SET) {
    const char *m = vs;
    verr = parse_members(&m, end, out);
  } else if (out->type != CORE_STATSD_GAUGE) {
    out->delta_mask = 0;
  }
  *pp = p;
  return verr;
}

static enum core_statsd_err parse_metric(const char *p, const char *end,
                                         struct core_statsd_msg *out) {
  const char *name = p;
  enum core_statsd_err err;
  unsigned seen = 0;

  p = scan(p, end, STOP_NAME);
  if (p == name)
    return CORE_STATSD_ERR_EMPTY_NAME;
  if (p == end || *p == '|')
    return CORE_STATSD_ERR_NO_VALUE;
  if (*p != ':')
    return (*p == '@' || *p == '#') ? CORE_STATSD_ERR_BAD_NAME
                                    : CORE_STATSD_ERR_BAD_BYTE;
  if (p - name > CORE_STATSD_NAME_BYTES_MAX)
    return CORE_STATSD_ERR_NAME_TOO_LONG;
  out->name = name;
  out->name_len = (uint32_t)(p - name);
  p++;
  err = parse_values_and_type(&p, end, out);
  while (err == CORE_STATSD_OK && p < end) {
    p++;
    err = parse_field(&p, end, out, &seen);
  }
  /* last: the rate, which scales a counter, may come after any field */
  if (err == CORE_STATSD_OK && (seen & F_RATE) && !core_statsd_scaled_ok(out))
    err = CORE_STATSD_ERR_BAD_VALUE;
  return err;
}

/* Digits of an _e{} length, up to the line bound. */
static const char *parse_len(const char *p, const char *end, uint32_t *out) {
  const char *d = p;
  uint32_t v = 0;

  while (p < end && is_digit(*p) && v <= CORE_LINE_BYTES_MAX_LIMIT)
    v = v * 10 + (uint32_t)(*p++ - '0');
  if (p == d || v > CORE_LINE_BYTES_MAX_LIMIT)
    return NULL;
  *out = v;
  return p;
}

/* 1 when [p, end) holds exactly one of the NUL-separated words. */
static int is_one_of(const char *p, const char *end, const char *words) {
  size_t n = (size_t)(end - p);

  for (; *words; words += strlen(words) + 1)
    if (strlen(words) == n && memcmp(p, words, n) == 0)
      return 1;
  return 0;
}

/*
 * One field of an event or service check at p (after its '|'). allowed
 * lists the one-letter "x:" fields of that kind; seen has bit x - 'a' set
 * for each field met already ('#' is bit 26). *pp left after it.
 */
static enum core_statsd_err parse_extra_field(const char **pp, const char *end,
                                              struct core_statsd_msg *out,
                                              const char *allowed,
                                              uint32_t *seen) {
  const char *p = *pp, *v, *e;
  uint32_t bit;

  if (p == end || (*p != '#' && (end - p < 3 || p[1] != ':' ||
                                 *p < 'a' || *p > 'z' || !strchr(allowed, *p))))
    return CORE_STATSD_ERR_BAD_FIELD;
  bit = UINT32_C(1) << (*p == '#' ? 26 : *p - 'a');
  if (*seen & bit)
    return CORE_STATSD_ERR_BAD_FIELD;
  *seen |= bit;
  if (*p == '#') {
    *pp = p + 1;
    return parse_tags(pp, end, out);
  }
  v = p + 2;
  if ((e = field_text(v, end)) == NULL ||
      (*p == 'd' && parse_seconds(v, e, &out->timestamp_s) == NULL) ||
      (*p == 'p' && !is_one_of(v, e, "normal\0low\0")) ||
      (*p == 't' && !is_one_of(v, e, "error\0warning\0info\0success\0")))
    return CORE_STATSD_ERR_BAD_FIELD;
  out->has_timestamp |= *p == 'd';
  if (*p == 'c') {
    out->container = v;
    out->container_len = (uint32_t)(e - v);
  }
  *pp = e;
  return CORE_STATSD_OK;
}

/*
 * The '|' fields that close an event or check, from p (at '|' or end).
 * Any field error is reported as bad (the kind's own reason), except the
 * tag reasons, which say more.
 */
static enum core_statsd_err parse_extra_fields(const char *p, const char *end,
                                               struct core_statsd_msg *out,
                                               const char *allowed,
                                               enum core_statsd_err bad) {
  enum core_statsd_err err = CORE_STATSD_OK;
  uint32_t seen = 0;

  while (err == CORE_STATSD_OK && p < end) {
    p++;
    err = parse_extra_field(&p, end, out, allowed, &seen);
  }
  return err == CORE_STATSD_ERR_BAD_FIELD ? bad : err;
}

/* _e{title_len,text_len}:title|text|fields; p is after "_e{". */
static enum core_statsd_err parse_event(const char *p, const char *end,
                                        struct core_statsd_msg *out) {
  const char *title, *text;
  uint32_t tlen, xlen;

  if ((p = parse_len(p, end, &tlen)) == NULL || p == end || *p++ != ',' ||
      (p = parse_len(p, end, &xlen)) == NULL || end - p < 2 || p[0] != '}' ||
      p[1] != ':')
    return CORE_STATSD_ERR_BAD_EVENT;
  title = p + 2;
  if (tlen == 0 || xlen == 0 || (size_t)(end - title) < (size_t)tlen + 1 + xlen)
    return CORE_STATSD_ERR_BAD_EVENT;
  text = title + tlen + 1;
  p = text + xlen;
  if (text[-1] != '|' || (p < end && *p != '|') ||
      scan(title, text - 1, C_CTL) != text - 1 || scan(text, p, C_CTL) != p)
    return CORE_STATSD_ERR_BAD_EVENT;
  out->kind = CORE_STATSD_EVENT;
  out->name = title;
  out->name_len = tlen;
  return parse_extra_fields(p, end, out, "dhkpstc",
                            CORE_STATSD_ERR_BAD_EVENT);
}

/* _sc|name|status|fields; p is after "_sc|". */
static enum core_statsd_err parse_check(const char *p, const char *end,
                                        struct core_statsd_msg *out) {
  const char *name = p;

  p = field_text(p, end);
  if (p == NULL || end - p < 2 || p[1] < '0' || p[1] > '3' ||
      (end - p > 2 && p[2] != '|'))
    return CORE_STATSD_ERR_BAD_SERVICE_CHECK;
  out->kind = CORE_STATSD_SERVICE_CHECK;
  out->name = name;
  out->name_len = (uint32_t)(p - name);
  return parse_extra_fields(p + 2, end, out, "dhmc",
                            CORE_STATSD_ERR_BAD_SERVICE_CHECK);
}

/* 1 when [p, end) holds a byte refused everywhere. */
static int has_bad_byte(const char *p, const char *end) {
  return scan(p, end, C_CTL) != end;
}

enum core_statsd_err core_statsd_parse_line_scalar(const char *line,
                                                   size_t len,
                                                   struct core_statsd_msg *out) {
  const char *end;
  enum core_statsd_err err;

  /* One final '\r' ends the line (CRLF): not a byte of it, so not
   * counted against the bound. A second one is, and is refused. */
  if (len > 0 && line[len - 1] == '\r')
    len--;
  if (len > CORE_LINE_BYTES_MAX_LIMIT)
    return CORE_STATSD_ERR_LINE_TOO_LONG;
  end = line + len;
  core_statsd_msg_reset(out);
  if (len >= 3 && line[0] == '_' && line[1] == 'e' && line[2] == '{')
    err = parse_event(line + 3, end, out);
  else if (len >= 4 && memcmp(line, "_sc|", 4) == 0)
    err = parse_check(line + 4, end, out);
  else
    err = parse_metric(line, end, out);
  if (err != CORE_STATSD_OK && has_bad_byte(line, end))
    err = CORE_STATSD_ERR_BAD_BYTE;
  return err;
}

enum core_statsd_err core_statsd_tags_resolve(struct core_statsd_msg *m) {
  const char *p = m->tags_raw;

  if (!m->tags_lazy)
    return CORE_STATSD_OK;
  m->tags_lazy = 0;
  /* the field holds no '|' (the walk stopped at the first): the tags end
   * at its end as they end at its '|' in the line */
  if (parse_tags(&p, m->tags_raw + m->tags_raw_len, m) == CORE_STATSD_OK)
    return CORE_STATSD_OK;
  /* a bad tag: the line's reason is what the twin says of it whole */
  return core_statsd_parse_line_scalar(m->name, m->line_len, m);
}

const char *core_statsd_reason_name(enum core_statsd_err err) {
  static const char *const names[CORE_STATSD_ERR_COUNT] = {
      [CORE_STATSD_OK] = "ok",
      [CORE_STATSD_ERR_EMPTY_NAME] = "empty_name",
      [CORE_STATSD_ERR_NAME_TOO_LONG] = "name_too_long",
      [CORE_STATSD_ERR_NO_VALUE] = "no_value",
      [CORE_STATSD_ERR_NO_TYPE] = "no_type",
      [CORE_STATSD_ERR_BAD_TYPE] = "bad_type",
      [CORE_STATSD_ERR_BAD_VALUE] = "bad_value",
      [CORE_STATSD_ERR_BAD_RATE] = "bad_rate",
      [CORE_STATSD_ERR_BAD_TAGS] = "bad_tags",
      [CORE_STATSD_ERR_TOO_MANY_TAGS] = "too_many_tags",
      [CORE_STATSD_ERR_TOO_MANY_VALUES] = "too_many_values",
      [CORE_STATSD_ERR_BAD_TIMESTAMP] = "bad_timestamp",
      [CORE_STATSD_ERR_BAD_FIELD] = "bad_field",
      [CORE_STATSD_ERR_BAD_EVENT] = "bad_event",
      [CORE_STATSD_ERR_BAD_SERVICE_CHECK] = "bad_service_check",
      [CORE_STATSD_ERR_LINE_TOO_LONG] = "line_too_long",
      [CORE_STATSD_ERR_BAD_BYTE] = "bad_byte",
      [CORE_STATSD_ERR_SERIES_KEY_TOO_LONG] = "series_key_too_long",
      [CORE_STATSD_ERR_TYPE_MISMATCH] = "type_mismatch",
      [CORE_STATSD_ERR_BAD_NAME] = "bad_name",
  };

  if ((unsigned)err >= CORE_STATSD_ERR_COUNT || names[err] == NULL)
    return "unknown";
  return names[err];
}

const char *core_statsd_type_name(enum core_statsd_type type) {
  static const char *const names[CORE_STATSD_TYPE_COUNT] = {
      [CORE_STATSD_COUNTER] = "counter",
      [CORE_STATSD_GAUGE] = "gauge",
      [CORE_STATSD_TIMER] = "timer",
      [CORE_STATSD_HISTOGRAM] = "histogram",
      [CORE_STATSD_DISTRIBUTION] = "distribution",
      [CORE_STATSD_SET] = "set",
  };

  if ((unsigned)type >= CORE_STATSD_TYPE_COUNT)
    return "unknown";
  return names[type];
}
