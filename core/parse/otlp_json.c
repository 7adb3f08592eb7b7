/*
 * core/parse/otlp_json.c - the strict JSON reader under the OTLP JSON
 * decoders (see otlp_json.h, otlp_json_int.h): structure, strings,
 * numbers, OTLP's field types, and AnyValue with its arrays and kvlists
 * transcoded into their protobuf encoding, so that sinks see
 * CORE_OTLP_V_ARRAY/KVLIST exactly as from the protobuf decoders.
 *
 * Every read checks what remains first; nothing is read past end.
 */
#include "core/parse/otlp_json_int.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "simd/number.h"

#define JR_TRUNC "truncated JSON"

int jr_fail(const struct jr *r, int err, const char *reason) {
  if (r->why)
    *r->why = reason;
  return err;
}

static void ws(struct jr *r) {
  while (r->p < r->end &&
         (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
    r->p++;
}

/* Skip whitespace; fail at the end of the body. */
static int more(struct jr *r) {
  ws(r);
  return r->p < r->end ? 0 : jr_fail(r, -EBADMSG, JR_TRUNC);
}

static int want(struct jr *r, uint8_t c, const char *reason) {
  JR_TRY(more(r));
  return *r->p == c ? 0 : jr_fail(r, -EBADMSG, reason);
}

/* ---- the arena -------------------------------------------------------- */

/* n bytes at the top of the arena (committed by the caller). */
static int room(struct jr *r, size_t n, uint8_t **dst) {
  if (r->js->cap - r->js->used < n)
    return jr_fail(r, -E2BIG, "JSON scratch full");
  *dst = r->js->arena + r->js->used;
  return 0;
}

static int put(struct jr *r, const void *p, size_t n) {
  uint8_t *d = NULL;
  JR_TRY(room(r, n, &d));
  memcpy(d, p, n);
  r->js->used += n;
  return 0;
}

static size_t varint_enc(uint8_t *b, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    b[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  b[n++] = (uint8_t)v;
  return n;
}

static int put_varint(struct jr *r, uint64_t v) {
  uint8_t b[10];
  return put(r, b, varint_enc(b, v));
}

#define PW_LEN_BYTES 5 /* a length varint reserved for up to 2^35 */

/* Open a length-delimited field of a message being transcoded: its tag,
 * then room for its length, filled in by pw_close. */
static int pw_open(struct jr *r, uint32_t field, size_t *mark) {
  JR_TRY(put_varint(r, (uint64_t)field << 3 | 2));
  uint8_t *d = NULL;
  JR_TRY(room(r, PW_LEN_BYTES, &d));
  *mark = r->js->used;
  r->js->used += PW_LEN_BYTES;
  return 0;
}

/* Write the field's length, minimal as any encoder writes it, moving the
 * content down over the unused reserved bytes. */
static void pw_close(struct jr *r, size_t mark) {
  uint8_t *a = r->js->arena;
  size_t len = r->js->used - mark - PW_LEN_BYTES;
  size_t k = varint_enc(a + mark, len);
  memmove(a + mark + k, a + mark + PW_LEN_BYTES, len);
  r->js->used -= PW_LEN_BYTES - k;
}

/* ---- strings ---------------------------------------------------------- */

static int hexval(uint8_t c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

/* Four hex digits at p, or -1. */
static int hex4(const uint8_t *p) {
  int v = 0;
  for (int i = 0; i < 4; i++) {
    int d = hexval(p[i]);
    if (d < 0)
      return -1;
    v = v << 4 | d;
  }
  return v;
}

/* Length of the well-formed UTF-8 sequence (RFC 3629) at p, 0 if none. */
static size_t utf8_seq(const uint8_t *p, const uint8_t *end) {
  uint8_t c = p[0], lo = 0x80, hi = 0xbf;
  size_t n = 0;
  if (c >= 0xc2 && c <= 0xdf)
    n = 2;
  else if (c >= 0xe0 && c <= 0xef)
    n = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
  else if (c >= 0xf0 && c <= 0xf4)
    n = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
  else
    return 0;
  if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
    return 0;
  for (size_t i = 2; i < n; i++)
    if (p[i] < 0x80 || p[i] > 0xbf)
      return 0;
  return n;
}

/* The escape at p (p[0] == '\\'): its length, or fails. */
static int escape_len(struct jr *r, const uint8_t *p, size_t *n) {
  size_t left = (size_t)(r->end - p);
  if (left < 2)
    return jr_fail(r, -EBADMSG, JR_TRUNC);
  if (p[1] != 'u') {
    if (!strchr("\"\\/bfnrt", p[1]) || !p[1])
      return jr_fail(r, -EBADMSG, "bad escape in string");
    *n = 2;
    return 0;
  }
  for (size_t i = 2; i < 6 && i < left; i++)
    if (hexval(p[i]) < 0)
      return jr_fail(r, -EBADMSG, "bad \\u escape in string");
  if (left < 6)
    return jr_fail(r, -EBADMSG, JR_TRUNC);
  int u = hex4(p + 2);
  if (u < 0)
    return jr_fail(r, -EBADMSG, "bad \\u escape in string");
  if (u >= 0xdc00 && u <= 0xdfff)
    return jr_fail(r, -EBADMSG, "lone surrogate in string");
  *n = 6;
  if (u < 0xd800 || u > 0xdbff)
    return 0;
  if (left < 12) { /* the body ends: inside a low surrogate's escape? */
    for (size_t i = 6; i < left; i++)
      if (i == 6 ? p[i] != '\\' : i == 7 ? p[i] != 'u' : hexval(p[i]) < 0)
        return jr_fail(r, -EBADMSG, "lone surrogate in string");
    return jr_fail(r, -EBADMSG, JR_TRUNC);
  }
  int lo = p[6] == '\\' && p[7] == 'u' ? hex4(p + 8) : -1;
  if (lo < 0xdc00 || lo > 0xdfff)
    return jr_fail(r, -EBADMSG, "lone surrogate in string");
  *n = 12;
  return 0;
}

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "plain_run reads the first byte of a word as its lowest"
#endif
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* The first byte at or after p, before end, that is not plain printable
 * ASCII in a string ('"', '\\', a control character, a byte >= 0x80):
 * eight bytes at a time (SWAR), then one by one. */
static const uint8_t *plain_run(const uint8_t *p, const uint8_t *end) {
  while (end - p >= 8) {
    uint64_t x;
    memcpy(&x, p, 8);
    uint64_t q = x ^ (ONES * '"'), b = x ^ (ONES * '\\');
    /* a byte < 0x20, == '"', == '\\', >= 0x80: its high bit set; a borrow
     * may flag bytes above a true one, never below the first */
    uint64_t stop =
        (((x - ONES * 0x20) & ~x) | ((q - ONES) & ~q) | ((b - ONES) & ~b) | x) &
        HIGHS;
    if (stop) /* little-endian: the lowest flagged byte comes first */
      return p + (__builtin_ctzll(stop) >> 3);
    p += 8;
  }
  while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
    p++;
  return p;
}

/*
 * The string at r (r->p at its '"'): its raw content [*s, *s + *len),
 * checked (escapes, control characters, UTF-8); *esc when it has escapes.
 */
static int scan_str(struct jr *r, const uint8_t **s, size_t *len, int *esc) {
  const uint8_t *p = r->p + 1, *end = r->end;
  size_t n = 0;
  *esc = 0;
  *s = p;
  for (;;) {
    p = plain_run(p, end);
    if (p == end)
      return jr_fail(r, -EBADMSG, JR_TRUNC);
    if (*p == '"')
      break;
    if (*p == '\\') {
      JR_TRY(escape_len(r, p, &n));
      *esc = 1;
    } else if (*p < 0x20) {
      return jr_fail(r, -EBADMSG, "control character in string");
    } else if (!(n = utf8_seq(p, end))) {
      return jr_fail(r, -EBADMSG, "invalid UTF-8 in string");
    }
    p += n;
  }
  *len = (size_t)(p - *s);
  r->p = p + 1;
  return 0;
}

static size_t utf8_enc(uint8_t *d, uint32_t c) {
  if (c < 0x80) {
    d[0] = (uint8_t)c;
    return 1;
  }
  if (c < 0x800) {
    d[0] = (uint8_t)(0xc0 | c >> 6);
    d[1] = (uint8_t)(0x80 | (c & 0x3f));
    return 2;
  }
  if (c < 0x10000) {
    d[0] = (uint8_t)(0xe0 | c >> 12);
    d[1] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
    d[2] = (uint8_t)(0x80 | (c & 0x3f));
    return 3;
  }
  d[0] = (uint8_t)(0xf0 | c >> 18);
  d[1] = (uint8_t)(0x80 | (c >> 12 & 0x3f));
  d[2] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
  d[3] = (uint8_t)(0x80 | (c & 0x3f));
  return 4;
}

/* Unescape the checked content s[0, len) into d (never longer). */
static size_t unescape(const uint8_t *s, size_t len, uint8_t *d) {
  static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
  size_t o = 0;
  for (size_t i = 0; i < len;) {
    if (s[i] != '\\') {
      d[o++] = s[i++];
    } else if (s[i + 1] != 'u') {
      d[o++] = (uint8_t)to[strchr(from, s[i + 1]) - from];
      i += 2;
    } else {
      uint32_t c = (uint32_t)hex4(s + i + 2);
      i += 6;
      if (c >= 0xd800 && c <= 0xdbff) {
        c = 0x10000 + ((c - 0xd800) << 10) +
            ((uint32_t)hex4(s + i + 2) - 0xdc00);
        i += 6;
      }
      o += utf8_enc(d + o, c);
    }
  }
  return o;
}

/* Hand out the scanned content s[0, len): in place, or unescaped into
 * the arena when it has escapes. */
static int store(struct jr *r, const uint8_t *s, size_t len, int esc,
                 struct core_otlp_str *out) {
  uint8_t *d = NULL;
  if (esc) {
    JR_TRY(room(r, len, &d));
    len = unescape(s, len, d);
    r->js->used += len;
    s = d;
  }
  out->ptr = (const char *)s;
  out->len = (uint32_t)len;
  return 0;
}

/* The string at r appended to the arena (a transcoded field's content). */
static int str_append(struct jr *r) {
  const uint8_t *s = NULL;
  size_t len = 0;
  int esc;
  struct core_otlp_str out;
  JR_TRY(want(r, '"', "expected a string"));
  JR_TRY(scan_str(r, &s, &len, &esc));
  if (esc)
    return store(r, s, len, esc, &out);
  return put(r, s, len);
}

int jr_str(struct jr *r, struct core_otlp_str *out) {
  const uint8_t *s = NULL;
  size_t len = 0;
  int esc;
  JR_TRY(want(r, '"', "expected a string"));
  JR_TRY(scan_str(r, &s, &len, &esc));
  return store(r, s, len, esc, out);
}

/* ---- literals and numbers --------------------------------------------- */

/* The literal word (true, false, null) at r, or fail with reason. */
static int literal(struct jr *r, const char *word, const char *reason) {
  size_t n = strlen(word);
  if ((size_t)(r->end - r->p) < n)
    return jr_fail(r, -EBADMSG,
                   memcmp(r->p, word, (size_t)(r->end - r->p)) ? reason
                                                               : JR_TRUNC);
  if (memcmp(r->p, word, n))
    return jr_fail(r, -EBADMSG, reason);
  r->p += n;
  return 0;
}

static int digit(uint8_t c) { return c >= '0' && c <= '9'; }

/*
 * Length of the RFC 8259 number at [p, end):
 *   -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
 * 0 if there is none; *whole when it has no fraction or exponent;
 * *trunc when the text ends inside it.
 */
static size_t num_len(const uint8_t *p, const uint8_t *end, int *whole,
                      int *trunc) {
  const uint8_t *q = p;
  *whole = 1;
  *trunc = 0;
  if (q < end && *q == '-')
    q++;
  if (q == end || !digit(*q))
    return (size_t)(*trunc = q == end, 0);
  if (*q++ != '0')
    while (q < end && digit(*q))
      q++;
  if (q < end && *q == '.') {
    *whole = 0;
    if (++q == end || !digit(*q))
      return (size_t)(*trunc = q == end, 0);
    while (q < end && digit(*q))
      q++;
  }
  if (q < end && (*q == 'e' || *q == 'E')) {
    *whole = 0;
    if (++q < end && (*q == '+' || *q == '-'))
      q++;
    if (q == end || !digit(*q))
      return (size_t)(*trunc = q == end, 0);
    while (q < end && digit(*q))
      q++;
  }
  return (size_t)(q - p);
}

/* The number token at r: [*s, *s + *len). */
static int scan_num(struct jr *r, const uint8_t **s, size_t *len, int *whole) {
  int trunc;
  *s = r->p;
  *len = num_len(r->p, r->end, whole, &trunc);
  if (!*len)
    return jr_fail(r, -EBADMSG, trunc ? JR_TRUNC : "bad number");
  r->p += *len;
  return 0;
}

/* Number text: a token, or a string without escapes (protobuf's JSON
 * mapping takes 64-bit integers, and any number, quoted). *quoted set. */
static int num_text(struct jr *r, const uint8_t **s, size_t *len, int *whole,
                    int *quoted, const char *reason) {
  int esc;
  JR_TRY(more(r));
  *quoted = *r->p == '"';
  if (!*quoted) {
    if (*r->p != '-' && !digit(*r->p))
      return jr_fail(r, -EBADMSG, reason);
    return scan_num(r, s, len, whole);
  }
  JR_TRY(scan_str(r, s, len, &esc));
  return esc ? jr_fail(r, -EBADMSG, reason) : 0;
}

/*
 * The magnitude of the checked JSON number s[0, len) with a fraction or
 * an exponent (the protobuf JSON mapping takes "1e3" and "1.50e2" for
 * integers when the value is whole). Returns 0, -1 if not whole, -2 if
 * over 64 bits.
 */
static int whole_value(const uint8_t *s, size_t len, uint64_t *mag) {
  const uint8_t *e = memchr(s, 'e', len), *dot = memchr(s, '.', len);
  if (!e)
    e = memchr(s, 'E', len);
  const uint8_t *mend = e ? e : s + len, *first = s, *last = mend;
  int64_t exp10 = 0; /* value = mantissa digits x 10^exp10 */
  if (e) {           /* clamped where it is past any body's digits anyway */
    int neg = e[1] == '-';
    for (const uint8_t *q = e + 1 + (e[1] == '-' || e[1] == '+'); q < s + len;
         q++)
      exp10 =
          exp10 > INT64_C(1000000000000000) ? exp10 : exp10 * 10 + (*q - '0');
    exp10 = neg ? -exp10 : exp10;
  }
  if (dot)
    exp10 -= (int64_t)(mend - dot - 1);
  while (first < mend && (*first == '0' || *first == '.'))
    first++; /* leading zeros */
  while (last > first && (last[-1] == '0' || last[-1] == '.'))
    if (*--last == '0')
      exp10++; /* a trailing zero digit: one power of ten */
  uint64_t v = 0;
  for (const uint8_t *q = first; q < last; q++)
    if (*q != '.' && (__builtin_mul_overflow(v, 10, &v) ||
                      __builtin_add_overflow(v, (uint64_t)(*q - '0'), &v)))
      return -2;
  if (v && exp10 < 0)
    return -1;
  for (int64_t i = 0; v && i < exp10; i++)
    if (__builtin_mul_overflow(v, 10, &v))
      return -2;
  *mag = v;
  return 0;
}

/* An integer: a JSON number of whole value, or a string holding one. */
static int int_text(struct jr *r, int *neg, uint64_t *mag) {
  const uint8_t *s = NULL;
  size_t len = 0;
  int whole, quoted, trunc;
  static const char *bad = "expected an integer";
  JR_TRY(num_text(r, &s, &len, &whole, &quoted, bad));
  if (quoted && (!len || num_len(s, s + len, &whole, &trunc) != len))
    return jr_fail(r, -EBADMSG, bad);
  *neg = s[0] == '-';
  s += *neg;
  len -= (size_t)*neg;
  int rc = 0;
  if (!whole) {
    rc = whole_value(s, len, mag);
  } else { /* plain digits, the common case */
    uint64_t v = 0;
    for (size_t i = 0; i < len && !rc; i++)
      if (__builtin_mul_overflow(v, 10, &v) ||
          __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
        rc = -2;
    *mag = v;
  }
  if (rc == -1)
    return jr_fail(r, -EBADMSG, bad);
  return rc ? jr_fail(r, -EBADMSG, "integer out of range") : 0;
}

int jr_u64(struct jr *r, uint64_t *v) {
  int neg;
  JR_TRY(int_text(r, &neg, v));
  return neg && *v ? jr_fail(r, -EBADMSG, "integer out of range") : 0;
}

int jr_i64(struct jr *r, int64_t *v) {
  int neg;
  uint64_t m;
  JR_TRY(int_text(r, &neg, &m));
  if (m > (uint64_t)INT64_MAX + neg)
    return jr_fail(r, -EBADMSG, "integer out of range");
  *v = neg ? (int64_t)(0 - m) : (int64_t)m;
  return 0;
}

int jr_u32(struct jr *r, uint32_t *v) {
  uint64_t u;
  JR_TRY(jr_u64(r, &u));
  if (u > UINT32_MAX)
    return jr_fail(r, -EBADMSG, "integer out of range");
  *v = (uint32_t)u;
  return 0;
}

int jr_i32(struct jr *r, int32_t *v) {
  int64_t i;
  JR_TRY(jr_i64(r, &i));
  if (i < INT32_MIN || i > INT32_MAX)
    return jr_fail(r, -EBADMSG, "integer out of range");
  *v = (int32_t)i;
  return 0;
}

static int is(const uint8_t *s, size_t len, const char *word) {
  return strlen(word) == len && !memcmp(s, word, len);
}

int jr_double(struct jr *r, double *v) {
  const uint8_t *s = NULL;
  size_t len = 0;
  int whole, quoted, trunc;
  static const char *bad = "expected a number";
  JR_TRY(num_text(r, &s, &len, &whole, &quoted, bad));
  if (quoted) {
    if (is(s, len, "NaN") || is(s, len, "Infinity") ||
        is(s, len, "-Infinity")) {
      *v = s[0] == 'N'   ? (double)NAN
           : s[0] == '-' ? -(double)INFINITY
                         : (double)INFINITY;
      return 0;
    }
    if (!len || num_len(s, s + len, &whole, &trunc) != len)
      return jr_fail(r, -EBADMSG, bad);
  }
  int rc = simd_parse_double((const char *)s, len, v);
  if (rc == -ERANGE)
    return jr_fail(r, -EBADMSG, "number out of range");
  return rc ? jr_fail(r, -EBADMSG, "number too long") : 0;
}

int jr_bool(struct jr *r, int *v) {
  static const char *bad = "expected true or false";
  JR_TRY(more(r));
  *v = *r->p == 't';
  return literal(r, *v ? "true" : "false", bad);
}

int jr_enum(struct jr *r, const struct jenum *e, uint32_t *v) {
  const uint8_t *s = NULL;
  size_t len = 0;
  int esc;
  int32_t i;
  JR_TRY(more(r));
  if (*r->p != '"') {
    JR_TRY(jr_i32(r, &i));
    *v = (uint32_t)i; /* open enums: any int32, as protobuf keeps it */
    return 0;
  }
  JR_TRY(scan_str(r, &s, &len, &esc));
  for (uint32_t k = 0; !esc && k < e->n; k++)
    if (e->names[k] && is(s, len, e->names[k])) {
      *v = k;
      return 0;
    }
  return jr_fail(r, -EBADMSG, "unknown enum name");
}

/* ---- structure -------------------------------------------------------- */

static int open_(struct jr *r, uint8_t c, const char *reason) {
  JR_TRY(want(r, c, reason));
  if (r->depth >= CORE_OTLP_JSON_DEPTH_MAX)
    return jr_fail(r, -E2BIG, "JSON nested too deep");
  r->depth++;
  r->p++;
  return 0;
}

int jr_obj(struct jr *r) { return open_(r, '{', "expected an object"); }

int jr_arr(struct jr *r) { return open_(r, '[', "expected an array"); }

/*
 * Before the next member or element of an open object (close '}') or
 * array (close ']'), n of them read so far: 1 at it, 0 if it closed.
 */
static int next(struct jr *r, uint32_t *n, uint8_t close, const char *sep) {
  JR_TRY(more(r));
  if (*r->p == close) {
    r->p++;
    r->depth--;
    return 0;
  }
  if (*n) {
    if (*r->p != ',')
      return jr_fail(r, -EBADMSG, sep);
    r->p++;
    JR_TRY(more(r));
    if (*r->p == close)
      return jr_fail(r, -EBADMSG, "trailing comma");
  }
  (*n)++;
  return 1;
}

/* The id of the key k[0, len) in t[0, nt), 0 if unknown. */
static unsigned field_id(const struct jfield *t, unsigned nt, const uint8_t *k,
                         size_t len) {
  for (unsigned i = 0; i < nt; i++)
    if ((t[i].camel_len == len && !memcmp(t[i].camel, k, len)) ||
        (t[i].proto_len == len && !memcmp(t[i].proto, k, len)))
      return i + 1;
  return 0;
}

/* The member key at r and its ':', to *id in t (unescaped if need be). */
static int key(struct jr *r, const struct jfield *t, unsigned nt,
               unsigned *id) {
  const uint8_t *s = NULL;
  size_t len = 0;
  int esc;
  uint8_t buf[CORE_OTLP_JSON_KEY_BYTES_MAX];
  JR_TRY(want(r, '"', "expected a key"));
  JR_TRY(scan_str(r, &s, &len, &esc));
  *id = 0;
  if (esc && len <= sizeof buf) {
    len = unescape(s, len, buf);
    s = buf;
  }
  if (!esc || s == buf)
    *id = field_id(t, nt, s, len);
  JR_TRY(want(r, ':', "expected ':'"));
  r->p++;
  return more(r);
}

int jr_member(struct jr *r, uint32_t *n, const struct jfield *t, unsigned nt,
              uint32_t *seen, unsigned *id) {
  int rc;
  while ((rc = next(r, n, '}', "expected ',' or '}'")) > 0) {
    JR_TRY(key(r, t, nt, id));
    if (!*id) {
      JR_TRY(jr_skip(r));
    } else if (*r->p == 'n') {
      JR_TRY(literal(r, "null", "bad literal"));
    } else if (*seen & 1u << *id) {
      return jr_fail(r, -EBADMSG, "duplicate field");
    } else {
      *seen |= 1u << *id;
      return 1;
    }
  }
  return rc;
}

int jr_elem(struct jr *r, uint32_t *n) {
  int rc = next(r, n, ']', "expected ',' or ']'");
  if (rc > 0 && *r->p == 'n')
    return jr_fail(r, -EBADMSG, "null in array");
  return rc;
}

int jr_skip(struct jr *r) {
  uint32_t n = 0, seen = 0;
  unsigned id;
  const uint8_t *s = NULL;
  size_t len = 0;
  int rc, esc, whole;
  JR_TRY(more(r));
  switch (*r->p) {
  case '{':
    JR_TRY(jr_obj(r));
    while ((rc = jr_member(r, &n, NULL, 0, &seen, &id)) > 0)
      ;
    return rc;
  case '[':
    JR_TRY(jr_arr(r));
    while ((rc = next(r, &n, ']', "expected ',' or ']'")) > 0)
      JR_TRY(jr_skip(r));
    return rc;
  case '"':
    return scan_str(r, &s, &len, &esc);
  case 't':
    return literal(r, "true", "bad literal");
  case 'f':
    return literal(r, "false", "bad literal");
  case 'n':
    return literal(r, "null", "bad literal");
  }
  if (*r->p == '-' || digit(*r->p))
    return scan_num(r, &s, &len, &whole);
  return jr_fail(r, -EBADMSG, "expected a JSON value");
}

int jr_skip_count(struct jr *r, uint32_t *count) {
  int rc;
  *count = 0;
  JR_TRY(jr_arr(r));
  while ((rc = jr_elem(r, count)) > 0)
    JR_TRY(jr_skip(r));
  return rc;
}

int jr_end(struct jr *r) {
  ws(r);
  return r->p == r->end ? 0 : jr_fail(r, -EBADMSG, "trailing data after JSON");
}

/* ---- ids and bytes ---------------------------------------------------- */

int jr_id(struct jr *r, const uint8_t **id, uint32_t want_bytes,
          const char *reason) {
  const uint8_t *s = NULL;
  size_t len = 0;
  int esc;
  uint8_t *d = NULL;
  JR_TRY(want(r, '"', "expected a hex string"));
  JR_TRY(scan_str(r, &s, &len, &esc));
  if (esc)
    return jr_fail(r, -EBADMSG, "bad hex in id");
  if (len == 0) { /* as in protobuf: an empty id is an absent one */
    *id = NULL;
    return 0;
  }
  if (len != 2 * (size_t)want_bytes)
    return jr_fail(r, -EBADMSG, reason);
  JR_TRY(room(r, want_bytes, &d));
  for (uint32_t i = 0; i < want_bytes; i++) {
    int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return jr_fail(r, -EBADMSG, "bad hex in id");
    d[i] = (uint8_t)(hi << 4 | lo);
  }
  r->js->used += want_bytes;
  *id = d;
  return 0;
}

static int b64val(uint8_t c) {
  return c >= 'A' && c <= 'Z'   ? c - 'A'
         : c >= 'a' && c <= 'z' ? c - 'a' + 26
         : c >= '0' && c <= '9' ? c - '0' + 52
         : c == '+' || c == '-' ? 62
         : c == '/' || c == '_' ? 63
                                : -1;
}

/* Decode base64 s[0, len) (standard or URL alphabet, padding optional)
 * into d, which may be s itself. Returns the length, or -1. */
static long b64dec(const uint8_t *s, size_t len, uint8_t *d) {
  if (len % 4 == 0 && len && s[len - 1] == '=')
    len -= 1 + (s[len - 2] == '=');
  if (len % 4 == 1)
    return -1;
  size_t o = 0;
  uint32_t acc = 0;
  for (size_t i = 0; i < len; i++) {
    int v = b64val(s[i]);
    if (v < 0)
      return -1;
    acc = acc << 6 | (uint32_t)v;
    if (i % 4 == 3) {
      d[o++] = (uint8_t)(acc >> 16);
      d[o++] = (uint8_t)(acc >> 8);
      d[o++] = (uint8_t)acc;
    }
  }
  if (len % 4 >= 2)
    d[o++] = (uint8_t)(acc >> (len % 4 == 2 ? 4 : 10));
  if (len % 4 == 3)
    d[o++] = (uint8_t)(acc >> 2);
  return (long)o;
}

/* The base64 string at r decoded, appended to the arena into *out. */
static int b64_append(struct jr *r, struct core_otlp_str *out) {
  const uint8_t *s = NULL;
  size_t len = 0;
  int esc;
  uint8_t *d = NULL;
  JR_TRY(want(r, '"', "expected a base64 string"));
  JR_TRY(scan_str(r, &s, &len, &esc));
  JR_TRY(room(r, len, &d));
  if (esc) { /* "\/" is a JSON encoder's right: unescape, then decode */
    len = unescape(s, len, d);
    s = d;
  }
  long n = b64dec(s, len, d);
  if (n < 0)
    return jr_fail(r, -EBADMSG, "bad base64");
  r->js->used += (size_t)n;
  out->ptr = (const char *)d;
  out->len = (uint32_t)n;
  return 0;
}

/* ---- AnyValue --------------------------------------------------------- */

/* AnyValue's members, ids as enum core_otlp_vtype. */
static const struct jfield any_fields[] = {
    JF("stringValue", "string_value"), JF("boolValue", "bool_value"),
    JF("intValue", "int_value"),       JF("doubleValue", "double_value"),
    JF("arrayValue", "array_value"),   JF("kvlistValue", "kvlist_value"),
    JF("bytesValue", "bytes_value")};
static const struct jfield kv_fields[] = {JF("key", "key"),
                                          JF("value", "value")};
static const struct jfield list_fields[] = {JF("values", "values")};

static int any_obj(struct jr *r, struct core_otlp_value *v, unsigned level);

/* One element (a KeyValue or an AnyValue, as protobuf field 1) of a
 * list being transcoded. */
static int list_elem(struct jr *r, unsigned level, int kv) {
  uint32_t n = 0, seen = 0;
  unsigned id;
  size_t mark, inner;
  int rc;
  JR_TRY(pw_open(r, 1, &mark));
  if (!kv) {
    JR_TRY(any_obj(r, NULL, level));
  } else {
    JR_TRY(jr_obj(r));
    while ((rc = jr_member(r, &n, kv_fields, 2, &seen, &id)) > 0) {
      JR_TRY(pw_open(r, id, &inner));
      JR_TRY(id == 1 ? str_append(r) : any_obj(r, NULL, level));
      pw_close(r, inner);
    }
    JR_TRY(rc);
  }
  pw_close(r, mark);
  return 0;
}

/* An ArrayValue or KeyValueList object at nesting level (1 for the
 * outermost), transcoded into the arena as its protobuf content. */
static int list(struct jr *r, unsigned level, int kv) {
  uint32_t n = 0, seen = 0, k;
  unsigned id;
  int rc;
  if (level > CORE_OTLP_ANY_DEPTH_MAX)
    return jr_fail(r, -E2BIG, "AnyValue nested too deep");
  JR_TRY(jr_obj(r));
  while ((rc = jr_member(r, &n, list_fields, 1, &seen, &id)) > 0) {
    JR_TRY(jr_arr(r));
    k = 0;
    while ((rc = jr_elem(r, &k)) > 0)
      JR_TRY(list_elem(r, level, kv));
    JR_TRY(rc);
  }
  return rc;
}

/* One AnyValue member id into *v. */
static int any_read(struct jr *r, unsigned id, struct core_otlp_value *v,
                    unsigned level) {
  int b;
  size_t start = r->js->used;
  v->type = (enum core_otlp_vtype)id;
  switch (id) {
  case CORE_OTLP_V_STRING:
    return jr_str(r, &v->s);
  case CORE_OTLP_V_BOOL:
    JR_TRY(jr_bool(r, &b));
    v->i = b;
    return 0;
  case CORE_OTLP_V_INT:
    return jr_i64(r, &v->i);
  case CORE_OTLP_V_DOUBLE:
    return jr_double(r, &v->d);
  case CORE_OTLP_V_ARRAY:
  case CORE_OTLP_V_KVLIST:
    JR_TRY(list(r, level + 1, id == CORE_OTLP_V_KVLIST));
    v->s.ptr = (const char *)r->js->arena + start;
    v->s.len = (uint32_t)(r->js->used - start);
    return 0;
  }
  return b64_append(r, &v->s);
}

/* One AnyValue member id, transcoded as its protobuf field. */
static int any_write(struct jr *r, unsigned id, unsigned level) {
  uint8_t b[8];
  uint64_t u;
  int64_t i;
  double d;
  int t;
  size_t mark;
  struct core_otlp_str s;
  switch (id) {
  case CORE_OTLP_V_BOOL:
  case CORE_OTLP_V_INT:
    if (id == CORE_OTLP_V_BOOL) {
      JR_TRY(jr_bool(r, &t));
      i = t;
    } else {
      JR_TRY(jr_i64(r, &i));
    }
    JR_TRY(put_varint(r, (uint64_t)id << 3));
    return put_varint(r, (uint64_t)i);
  case CORE_OTLP_V_DOUBLE:
    JR_TRY(jr_double(r, &d));
    memcpy(&u, &d, 8);
    for (int k = 0; k < 8; k++)
      b[k] = (uint8_t)(u >> 8 * k);
    JR_TRY(put_varint(r, (uint64_t)id << 3 | 1));
    return put(r, b, 8);
  }
  JR_TRY(pw_open(r, id, &mark));
  if (id == CORE_OTLP_V_STRING)
    JR_TRY(str_append(r));
  else if (id == CORE_OTLP_V_BYTES)
    JR_TRY(b64_append(r, &s));
  else
    JR_TRY(list(r, level + 1, id == CORE_OTLP_V_KVLIST));
  pw_close(r, mark);
  return 0;
}

/* An AnyValue object: into *v, or transcoded when v is NULL. */
static int any_obj(struct jr *r, struct core_otlp_value *v, unsigned level) {
  uint32_t n = 0, seen = 0;
  unsigned id;
  int rc;
  JR_TRY(jr_obj(r));
  if (v)
    memset(v, 0, sizeof *v);
  while ((rc = jr_member(r, &n, any_fields, 7, &seen, &id)) > 0) {
    if (seen & (seen - 1))
      return jr_fail(r, -EBADMSG, "AnyValue with more than one value");
    JR_TRY(v ? any_read(r, id, v, level) : any_write(r, id, level));
  }
  return rc;
}

int jr_any(struct jr *r, struct core_otlp_value *v, unsigned level) {
  return any_obj(r, v, level);
}

int jr_attrs(struct jr *r, struct core_otlp_attr *arr, uint32_t *n) {
  uint32_t k = 0, m, seen;
  unsigned id;
  int rc;
  JR_TRY(jr_arr(r));
  while ((rc = jr_elem(r, &k)) > 0) {
    if (*n >= CORE_OTLP_ATTRS_MAX)
      return jr_fail(r, -E2BIG, "too many attributes");
    struct core_otlp_attr *a = &arr[*n];
    memset(a, 0, sizeof *a);
    JR_TRY(jr_obj(r));
    m = seen = 0;
    while ((rc = jr_member(r, &m, kv_fields, 2, &seen, &id)) > 0)
      JR_TRY(id == 1 ? jr_str(r, &a->key) : any_obj(r, &a->value, 0));
    JR_TRY(rc);
    (*n)++;
  }
  return rc;
}

void core_otlp_json_scratch_init(struct core_otlp_jscratch *js, void *mem,
                                 size_t bytes) {
  js->arena = mem;
  js->cap = bytes;
  js->used = 0;
}
