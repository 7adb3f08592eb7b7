/*
 * tests/unit/core/parse/test_statsd_simd.c - the SIMD StatsD parser agrees with
 * its scalar twin, field by field, at every level this CPU supports.
 *
 * Two entry points are held to the twin: core_statsd_parse_line on single
 * lines, and core_statsd_parse_buf on whole buffers, against the
 * reference framing (split on '\n'; one final '\r' is the line's end: a
 * line of only that is empty and skipped, the bound does not count it;
 * then core_statsd_parse_line_scalar on the line with it, which drops
 * exactly that one). Every buffer is copied
 * to the end of an exactly sized heap block, so ASan sees any over-read.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/limits.h"
#include "core/parse/statsd.h"
#include "simd/simd.h"

static struct core_statsd_msg got, want;
static uint64_t rng = 0x243f6a8885a308d3u;

static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static uint32_t below(uint32_t n) { return (uint32_t)(rnd() % n); }

/* ---- comparing results ---------------------------------------------------- */

#define SAME(field) cr_assert_eq(a->field, b->field, "%s: field " #field, what)

static void same_bits(double x, double y, const char *what) {
  cr_assert(memcmp(&x, &y, sizeof(x)) == 0, "%s: %.17g vs %.17g", what, x, y);
}

static void same_metric(const struct core_statsd_msg *a,
                        const struct core_statsd_msg *b, const char *what) {
  SAME(type);
  SAME(value_count);
  SAME(delta_mask);
  same_bits(a->sample_rate, b->sample_rate, what);
  for (uint32_t i = 0; i < a->value_count; i++) {
    if (a->type == CORE_STATSD_SET) {
      SAME(members[i].ptr);
      SAME(members[i].len);
    } else {
      same_bits(a->values[i], b->values[i], what);
    }
  }
}

/* a and b (parsed from the same bytes) are equal field by field. */
static void same_msg(enum core_statsd_err ea, const struct core_statsd_msg *a,
                     enum core_statsd_err eb, const struct core_statsd_msg *b,
                     const char *what) {
  cr_assert_eq(ea, eb, "%s: %s vs %s (scalar)", what,
               core_statsd_reason_name(ea), core_statsd_reason_name(eb));
  if (ea != CORE_STATSD_OK)
    return;
  SAME(kind);
  SAME(name);
  SAME(name_len);
  SAME(tag_count);
  SAME(tags_raw);
  SAME(tags_raw_len);
  SAME(tags_lazy);
  for (uint32_t i = 0; i < a->tag_count; i++) {
    SAME(tags[i].key);
    SAME(tags[i].key_len);
    SAME(tags[i].val);
    SAME(tags[i].val_len);
  }
  SAME(container);
  SAME(container_len);
  SAME(has_timestamp);
  SAME(timestamp_s);
  if (a->kind == CORE_STATSD_METRIC)
    same_metric(a, b, what);
}

/* ---- levels --------------------------------------------------------------- */

/* Run fn at every supported level (scalar included), then restore. */
static void each_level(void (*fn)(void *), void *arg) {
  enum simd_level best = simd_level_best();

  for (int lv = 0; lv < SIMD_LEVEL_COUNT; lv++) {
    if (!simd_level_supported((enum simd_level)lv))
      continue;
    cr_assert_eq(simd_set_level((enum simd_level)lv), 0);
    fn(arg);
  }
  cr_assert_eq(simd_set_level(best), 0);
}

/* ---- one buffer, both entry points ---------------------------------------- */

/* The reference framing's walk through a buffer, step by step. */
struct ref {
  const char *p, *end;
  uint32_t line_bytes_max;
  size_t lines;
  char what[160];
};

/* Next reference line: its outcome into *err and `want`. false at end. */
static bool ref_next(struct ref *r, enum core_statsd_err *err) {
  while (r->p < r->end) {
    const char *s = r->p, *nl = memchr(s, '\n', (size_t)(r->end - s));
    size_t n = nl ? (size_t)(nl - s) : (size_t)(r->end - s);
    size_t cr = n > 0 && s[n - 1] == '\r'; /* the line's end, not its byte */
    r->p = nl ? nl + 1 : r->end;
    if (n == cr)
      continue;
    *err = n - cr > r->line_bytes_max
               ? CORE_STATSD_ERR_LINE_TOO_LONG
               : core_statsd_parse_line_scalar(s, n, &want);
    r->lines++;
    snprintf(r->what, sizeof(r->what), "level %s, line %zu \"%.*s\"",
             simd_level_name(simd_get_level()), r->lines,
             (int)(n < 100 ? n : 100), s);
    return true;
  }
  return false;
}

static struct core_statsd_msg *on_line(void *ctx, enum core_statsd_err err,
                    const struct core_statsd_msg *msg) {
  struct ref *r = ctx;
  enum core_statsd_err werr;

  cr_assert(ref_next(r, &werr), "parse_buf reports a line too many");
  same_msg(err, msg, werr, &want, r->what);
  return NULL;
}

/* on_line after core_statsd_tags_resolve: the lazy parse, resolved,
 * gives what the eager one gives. msg is &got. */
static struct core_statsd_msg *on_line_lazy(void *ctx, enum core_statsd_err err,
                                            const struct core_statsd_msg *msg) {
  (void)msg;
  if (err == CORE_STATSD_OK && got.kind == CORE_STATSD_METRIC)
    err = core_statsd_tags_resolve(&got);
  return on_line(ctx, err, &got);
}

/* The batch parse: each batch's lines, resolved, in order, give what
 * the eager parse gives; a batch is never empty nor over its cap, and
 * only the last may be short. */
struct batch_run {
  struct ref r;
  struct core_statsd_msg msgs[CORE_STATSD_BATCH_LINES_MAX];
  uint32_t cap, batches, short_batches;
};

static void on_batch(void *ctx, const enum core_statsd_err *errs, uint32_t n) {
  struct batch_run *b = ctx;

  cr_assert(n >= 1 && n <= b->cap, "batch of %u, cap %u", n, b->cap);
  cr_assert_eq(b->short_batches, 0, "a short batch before the last");
  b->short_batches += n < b->cap;
  b->batches++;
  for (uint32_t i = 0; i < n; i++) {
    enum core_statsd_err err = errs[i], werr;
    if (err == CORE_STATSD_OK && b->msgs[i].kind == CORE_STATSD_METRIC)
      err = core_statsd_tags_resolve(&b->msgs[i]);
    cr_assert(ref_next(&b->r, &werr), "parse_buf_batch reports a line too many");
    same_msg(err, &b->msgs[i], werr, &want, b->r.what);
  }
}

static void check_batch(const char *buf, size_t len, uint32_t line_bytes_max,
                        uint32_t cap) {
  static struct batch_run b;
  enum core_statsd_err werr;
  size_t n;

  memset(&b, 0, sizeof(b));
  b.r = (struct ref){buf, buf + len, line_bytes_max, 0, ""};
  b.cap = cap;
  n = core_statsd_parse_buf_batch(buf, len, line_bytes_max, b.msgs, cap,
                                  on_batch, &b);
  cr_assert(!ref_next(&b.r, &werr), "batch parse missed a line: %s", b.r.what);
  cr_assert_eq(n, b.r.lines);
  cr_assert_eq(b.batches, (n + cap - 1) / cap, "%u batches for %zu lines",
               b.batches, n);
}

struct buf_case {
  const char *buf;
  size_t len;
  uint32_t line_bytes_max;
};

static void check_buf_level(void *arg) {
  const struct buf_case *c = arg;
  struct ref r = {c->buf, c->buf + c->len, c->line_bytes_max, 0, ""};
  enum core_statsd_err werr;
  size_t n = core_statsd_parse_buf(c->buf, c->len, c->line_bytes_max, &got,
                                   on_line, &r);

  cr_assert(!ref_next(&r, &werr), "parse_buf missed a line: %s", r.what);
  cr_assert_eq(n, r.lines);
  r = (struct ref){c->buf, c->buf + c->len, c->line_bytes_max, 0, ""};
  n = core_statsd_parse_buf_lazy(c->buf, c->len, c->line_bytes_max, &got,
                                 on_line_lazy, &r);
  cr_assert(!ref_next(&r, &werr), "lazy parse_buf missed a line: %s", r.what);
  cr_assert_eq(n, r.lines);
  check_batch(c->buf, c->len, c->line_bytes_max, 1);
  check_batch(c->buf, c->len, c->line_bytes_max, 16);
  check_batch(c->buf, c->len, c->line_bytes_max, CORE_STATSD_BATCH_LINES_MAX);
}

/* Every line of buf, alone, through core_statsd_parse_line. */
static void check_lines_level(void *arg) {
  const struct buf_case *c = arg;
  const char *p = c->buf, *end = c->buf + c->len;

  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    char *line = malloc(n ? n : 1), what[160];
    cr_assert_not_null(line);
    memcpy(line, p, n);
    enum core_statsd_err ea = core_statsd_parse_line(line, n, &got);
    enum core_statsd_err eb = core_statsd_parse_line_scalar(line, n, &want);
    snprintf(what, sizeof(what), "level %s, line \"%.*s\"",
             simd_level_name(simd_get_level()), (int)(n < 100 ? n : 100),
             line);
    same_msg(ea, &got, eb, &want, what);
    free(line);
    p = nl ? nl + 1 : end;
  }
}

/* Both entry points, at every level, on buf placed at alignment `align`. */
static void check(const char *buf, size_t len, size_t align,
                  uint32_t line_bytes_max, bool lines_too) {
  char *block = malloc(len + align);
  struct buf_case c = {block + align, len, line_bytes_max};

  cr_assert_not_null(block);
  memcpy(block + align, buf, len);
  each_level(check_buf_level, &c);
  if (lines_too)
    each_level(check_lines_level, &c);
  free(block);
}

/* ---- inputs --------------------------------------------------------------- */

static const char *const names[] = {
    "api.request.latency", "web.hits", "a", "db.query.duration_ms",
    "queue.depth", "x.y-z_w/v", "caf\xc3\xa9.latency", "name with space",
};
static const char *const tag_kinds[] = {
    "env:prod", "host:ip-10-0-12-34.ec2.internal", "region:us-east-1",
    "route:/api/v1/users", "version:1.7.3", "bare", "k:v:with:colons",
    "availability-zone:us-east-1a", "a@b:c#d", "service:api-svc",
};

/* One fleet-like line (valid, most of the time on the fast path). */
static size_t fleet_line(char *out, size_t cap) {
  static const char *const types[] = {"c", "g", "ms", "h", "d", "s"};
  const char *type = types[below(6)];
  int n = snprintf(out, cap, "%s:", names[below(8)]);
  unsigned values = below(8) == 0 ? 1 + below(4) : 1;

  for (unsigned i = 0; i < values; i++) {
    if (type[0] == 's')
      n += snprintf(out + n, cap - (size_t)n, "%suser%u", i ? ":" : "",
                    below(5000));
    else
      n += snprintf(out + n, cap - (size_t)n, "%s%s%u.%u", i ? ":" : "",
                    below(4) == 0 ? (below(2) ? "-" : "+") : "", below(100000),
                    below(1000));
  }
  n += snprintf(out + n, cap - (size_t)n, "|%s", type);
  if (below(5) == 0)
    n += snprintf(out + n, cap - (size_t)n, "|@0.%u", 1 + below(9));
  if (below(6) != 0) {
    unsigned tags = 1 + below(5);
    n += snprintf(out + n, cap - (size_t)n, "|#");
    for (unsigned i = 0; i < tags; i++)
      n += snprintf(out + n, cap - (size_t)n, "%s%s", i ? "," : "",
                    tag_kinds[below(10)]);
  }
  if (below(20) == 0)
    n += snprintf(out + n, cap - (size_t)n, "|T%u", 1700000000 + below(1000));
  if (below(20) == 0)
    n += snprintf(out + n, cap - (size_t)n, "|c:%08x", (unsigned)rnd());
  return (size_t)n;
}

/* A buffer of fleet lines (some events and checks, CRLF now and then). */
static size_t fleet(char *buf, size_t cap) {
  size_t n = 0;

  while (n + 400 < cap) {
    unsigned k = below(50);
    if (k == 0)
      n += (size_t)snprintf(buf + n, cap - n, "_e{5,4}:title|text|#a:b");
    else if (k == 1)
      n += (size_t)snprintf(buf + n, cap - n, "_sc|svc.check|%u|#a", below(4));
    else
      n += fleet_line(buf + n, cap - n);
    buf[n++] = '\n';
  }
  return n;
}

/* Random bytes drawn mostly from the grammar's alphabet. */
static size_t random_bytes(char *buf, size_t len) {
  static const char alphabet[] = "ab:|#,@.0123456789-+eE_{}cgmshdT \r\n";

  for (size_t i = 0; i < len; i++) {
    uint32_t k = below(100);
    buf[i] = k < 90 ? alphabet[below(sizeof(alphabet) - 1)]
             : k < 95 ? (char)(0x80 + below(128)) : (char)below(32);
  }
  return len;
}

/* ---- tests ---------------------------------------------------------------- */

Test(statsd_simd, known_lines) {
  static const char buf[] =
      "a:1|c\nb:1.5|ms|@0.5|#x:y,z\nc:-2|g\nd:+3:4:-5|g\ne:u1:u2|s\n"
      "f:1|c|@0\ng:1|c|@1.5\nh:|c\ni:1|\nj:1|q\nk:1|c|#\nl:1|c|#,a\n"
      "m:1|c|#:v\nn:1|c|@0.5|@0.5\no:1|c|#a|#b\np:1e5|h\nq:1.|h\nr:.5|h\n"
      "s:-0|h\nt:12345678|h\nu:1234567.8|h\nv:0.0000001|h\nw:1x|h\n"
      "x,y:1|c\nz@:1|c\n:1|c\nname\nname:1\n_e{1,1}:a|b\n_sc|a|0\n"
      "aa:1|c|T123\nab:1|c|c:abc\nac:1|c\r\nad:1|c\r\r\nae:1|c\rx\n"
      "af:inf|h\nag:nan|h\nah:1e400|h\nai:0x10|h\naj:1|c|#a:b|\n"
      "ak:1|ms|#a:b:c,d,e@f#g:h\nal:1:|c\nam:1::2|c\nan:1|c|@.5\n"
      "ao:1|c|@1e-320\nap:1e308|c|@0.1\naq:5|ms|@1e-320\nar:1e308|c|@1\n"
      "as:1|c|@2.2250738585072014e-308\nat:4|c|@2.2250738585072014e-308\n"
      "au:1:1e308|c|@0.5|#a:b\nav:1e308|c|#a:b|@0.5\naw:1e308|g|@0.1\n"
      "ax:1|c\r\r\n\r\r\n\r\n\ray:1|c\naz:1|c\r";

  check(buf, sizeof(buf) - 1, 0, CORE_LINE_BYTES_MAX_DEFAULT, true);
}

Test(statsd_simd, fleet_workload) {
  size_t cap = 256 * 1024, n;
  char *buf = malloc(cap);
  struct ref r = {0};
  enum core_statsd_err err;
  size_t ok = 0;

  cr_assert_not_null(buf);
  n = fleet(buf, cap);
  check(buf, n, 0, CORE_LINE_BYTES_MAX_DEFAULT, true);
  r = (struct ref){buf, buf + n, CORE_LINE_BYTES_MAX_DEFAULT, 0, ""};
  while (ref_next(&r, &err))
    ok += err == CORE_STATSD_OK;
  cr_assert_eq(ok, r.lines, "the generated fleet lines are all valid");
  free(buf);
}

Test(statsd_simd, random_input) {
  char buf[2048];

  for (int i = 0; i < 400; i++) {
    size_t n = random_bytes(buf, below(sizeof(buf)));
    check(buf, n, below(64), CORE_LINE_BYTES_MIN_LIMIT + below(512),
          i % 4 == 0);
  }
}

/*
 * Rates and values at the edges of what a double holds: rates around
 * DBL_MIN (normal or subnormal) and 1, values around DBL_MAX, on every
 * type, with the rate before or after the tags. The fast path must punt
 * (or agree) wherever the twin refuses 1/rate or value / rate.
 */
Test(statsd_simd, rates_and_values_at_double_edges) {
  static const char *const rates[] = {
      "1", "0.5", "0.1", "1e-300", "1e-308", "1e-320", "4.9e-324", "0",
      "2.2250738585072014e-308", "2.2250738585072009e-308", "2.23e-308",
      "5.56e-309", "1.0000000000000002", "0.99999999999999989", "1e-400",
  };
  static const char *const values[] = {
      "1", "0", "-1", "4", "1e308", "-1e308", "1.7976931348623157e308",
      "8.98846567431158e307", "1e-300", "12345678", "0.5", "+1e308",
  };
  static const char *const types[] = {"c", "g", "ms", "h", "d"};
  char buf[64 * 1024];
  size_t n = 0;

  for (int i = 0; i < 3000; i++) {
    const char *r = rates[below(sizeof(rates) / sizeof(rates[0]))];
    const char *v = values[below(sizeof(values) / sizeof(values[0]))];
    const char *t = types[below(5)];
    const char *v2 = below(4) ? "" : ":1e308";
    if (below(2))
      n += (size_t)snprintf(buf + n, sizeof(buf) - n, "e:%s%s|%s|@%s|#k:v\n",
                            v, v2, t, r);
    else
      n += (size_t)snprintf(buf + n, sizeof(buf) - n, "e:%s%s|%s|#k:v|@%s\n",
                            v, v2, t, r);
    if (n + 128 > sizeof(buf) || i == 2999) {
      check(buf, n, below(64), CORE_LINE_BYTES_MAX_DEFAULT, true);
      n = 0;
    }
  }
}

/* "\r\n", "\r\r\n", a lone '\r' mid-line, a final "\r": around the bound. */
Test(statsd_simd, cr_at_the_line_bound) {
  static const char *const ends[] = {"\n", "\r\n", "\r\r\n", "\r", "\r\r",
                                     "\rx\n"};
  const size_t k = CORE_LINE_BYTES_MAX_DEFAULT;
  char *buf = malloc(k + 64);

  cr_assert_not_null(buf);
  for (size_t e = 0; e < sizeof(ends) / sizeof(ends[0]); e++)
    for (size_t body = k - 2; body <= k + 1; body++) {
      size_t n = body;
      memset(buf, 'v', body);
      memcpy(buf, "n:1|c|#k:", 9);
      memcpy(buf + n, ends[e], strlen(ends[e]));
      n += strlen(ends[e]);
      memcpy(buf + n, "b:2|c\n", 6);
      check(buf, n + 6, 0, (uint32_t)k, true);
      buf[body / 2] = '\r'; /* a lone '\r' mid-line */
      check(buf, n + 6, 0, (uint32_t)k, true);
    }
  free(buf);
}

/* Valid lines with every byte in turn replaced by a troublesome one. */
Test(statsd_simd, mutated_lines) {
  static const char bytes[] = {0, '\r', '\n', '\t', 0x7f, (char)0x80,
                               (char)0xff, ':', '|', '#', ',', '@', '.',
                               '-', 'e', ' '};
  char line[512];

  for (int i = 0; i < 40; i++) {
    size_t n = fleet_line(line, sizeof(line));
    for (size_t pos = 0; pos < n; pos++) {
      char keep = line[pos];
      for (size_t b = 0; b < sizeof(bytes); b++) {
        line[pos] = bytes[b];
        check(line, n, 0, CORE_LINE_BYTES_MAX_DEFAULT, true);
      }
      line[pos] = keep;
    }
  }
}

/* Every prefix length 0..300 of a multi-line buffer, at every alignment. */
Test(statsd_simd, lengths_and_alignments) {
  static const char text[] =
      "api.request.latency:1234.567|ms|#env:prod,host:api-042,region:us-east-1"
      "\nweb.hits:1|c|@0.1|#route:/api/v1/users\r\ngauge.x:-3.5:+2|g\n\n"
      "set.users:u1:u2:u3|s|#a,b:c\nqueue.depth:42|h|#service:queue-svc,"
      "availability-zone:us-east-1a,version:1.7.3\nlast:7|d|#k:v";
  char buf[320];
  size_t tl = sizeof(text) - 1;

  for (size_t i = 0; i < sizeof(buf); i++)
    buf[i] = text[i % tl] == '\n' && i >= tl ? ' ' : text[i % tl];
  for (size_t len = 0; len <= 300; len++)
    for (size_t align = 0; align < 64; align += len % 7 == 0 ? 1 : 13)
      check(buf, len, align, CORE_LINE_BYTES_MAX_DEFAULT, align == 0);
}

/* Separators, line ends and buffer ends at block edges 63, 64, 65. */
Test(statsd_simd, block_edges) {
  static const char *const tails[] = {
      ":1|c", ":1|c\n", ":1|c\r\n", ":1.5|ms|#a:b,c", ":1|c|@0.5|#k:v\n",
      ":1:2|g", ":u|s", ":1|c|#a,b\r", ":1|", ":1|c|#",
  };
  char buf[512];

  for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++)
    for (size_t pad = 40; pad < 140; pad++) {
      memset(buf, 'n', pad);
      size_t n = pad + (size_t)snprintf(buf + pad, sizeof(buf) - pad, "%s",
                                        tails[t]);
      check(buf, n, 0, CORE_LINE_BYTES_MAX_DEFAULT, true);
      /* a short line first moves everything after it */
      memcpy(buf, "s:1|c\n", 6);
      check(buf, n, 0, CORE_LINE_BYTES_MAX_DEFAULT, false);
    }
}

/* Lines across the parser's windows, and lines longer than a window. */
Test(statsd_simd, window_edges) {
  size_t cap = 3 * CORE_STATSD_SCAN_BYTES + 8192, n;
  char *buf = malloc(cap), *big = malloc(cap);

  cr_assert_not_null(buf);
  cr_assert_not_null(big);
  for (size_t shift = 0; shift < 200; shift += 7) {
    memset(buf, 'p', shift);
    n = shift;
    buf[n++] = '\n';
    n += fleet(buf + n, cap - n);
    check(buf, n, shift % 64, CORE_LINE_BYTES_MAX_DEFAULT, false);
  }
  /* one line of exactly 4095, 4096, 4097 bytes, tags making up the bulk */
  for (size_t want = CORE_STATSD_SCAN_BYTES - 2;
       want <= CORE_STATSD_SCAN_BYTES + 2; want++) {
    memcpy(big, "x:1|c\n", 6);
    n = 6 + (size_t)snprintf(big + 6, cap - 6, "long.name:1|c|#k:");
    memset(big + n, 'v', want - (n - 6));
    n = 6 + want;
    memcpy(big + n, "\ny:2|g", 6);
    check(big, n + 6, 0, CORE_LINE_BYTES_MAX_LIMIT, true);
    check(big, n, 0, CORE_LINE_BYTES_MAX_LIMIT, true);
    check(big, n + 6, 0, CORE_STATSD_SCAN_BYTES, false);
  }
  /* a 9000-byte set member: longer than two windows */
  n = (size_t)snprintf(big, cap, "a:1|c\nbig:");
  memset(big + n, 'm', 9000);
  n += 9000;
  n += (size_t)snprintf(big + n, cap - n, "|s\nb:2|c\n");
  check(big, n, 0, CORE_LINE_BYTES_MAX_LIMIT, true);
  check(big, n, 0, CORE_LINE_BYTES_MAX_DEFAULT, false);
  free(buf);
  free(big);
}

/* NUL bytes, CR, bytes >= 0x80 in clean-looking lines at every spot. */
Test(statsd_simd, control_and_high_bytes) {
  static const char base[] = "m\xc3\xa9tric:1|c|#t\xe2\x82\xac:v\xff,k:v\n";
  char buf[4 * sizeof(base)];
  size_t n = sizeof(base) - 1;

  for (size_t rep = 0; rep < 4; rep++)
    memcpy(buf + rep * n, base, n);
  check(buf, 4 * n, 0, CORE_LINE_BYTES_MAX_DEFAULT, true);
  for (size_t pos = 0; pos < 4 * n; pos++) {
    char keep = buf[pos];
    buf[pos] = 0;
    check(buf, 4 * n, 0, CORE_LINE_BYTES_MAX_DEFAULT, pos < n);
    buf[pos] = '\r';
    check(buf, 4 * n, 0, CORE_LINE_BYTES_MAX_DEFAULT, pos < n);
    buf[pos] = keep;
  }
}

/* The fast path really is one: every level parses fleet lines right. */
Test(statsd_simd, fleet_values) {
  static const char line[] =
      "api.request.latency:1234.567|ms|@0.5|#env:prod,host:api-042";

  each_level(check_lines_level, &(struct buf_case){line, sizeof(line) - 1, 0});
  cr_assert_eq(core_statsd_parse_line(line, sizeof(line) - 1, &got),
               CORE_STATSD_OK);
  cr_assert_eq(got.value_count, 1);
  cr_assert_eq(got.values[0], 1234.567);
  cr_assert_eq(got.sample_rate, 0.5);
  cr_assert_eq(got.tag_count, 2);
  cr_assert_eq(got.tags[1].val_len, 7);
  cr_assert(memcmp(got.tags[1].val, "api-042", 7) == 0);
}

/*
 * Tag sections of every shape the walk's "key:value" fast path meets or
 * must leave to the general path: empty keys and values, ':' '@' '#' in
 * values, bare keys, the tag bound, the line end with and without '\n'.
 */
Test(statsd_simd, tag_shapes) {
  static const char *const sections[] = {
      "a:b",     "a:",      "a:,b:c",  ":b",       "a::b",   "a:b:c,d:e",
      "a,b",     "a:b,",    ",a:b",    "a:b,,c:d", "a:@,b:#", "a:b@c#d,e",
      "a:b|@0.5", "a:|@0.5", "a|@0.5",  "k:v,k:v",  "@:b",    "#a:b",
      "a:b|#c:d", "a:b|T1",  "a:b|c:x", "a:b|",    "a:b||",  "a:b:",
  };
  static const char alphabet[] = "ab:,@#|";
  char buf[2048];
  size_t n;

  for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
    n = (size_t)snprintf(buf, sizeof(buf), "m:1|c|#%s", sections[i]);
    check(buf, n, 0, CORE_LINE_BYTES_MAX_DEFAULT, true);
    buf[n++] = '\n';
    check(buf, n, 0, CORE_LINE_BYTES_MAX_DEFAULT, true);
  }
  /* at the bound and one over it, all "key:value" and all bare */
  for (int bare = 0; bare < 2; bare++)
    for (unsigned count = CORE_STATSD_TAGS_MAX - 1;
         count <= CORE_STATSD_TAGS_MAX + 1; count++) {
      n = (size_t)snprintf(buf, sizeof(buf), "m:1|g|#");
      for (unsigned t = 0; t < count; t++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", t ? "," : "",
                              bare ? "k" : "k:v");
      check(buf, n, 0, CORE_LINE_BYTES_MAX_DEFAULT, true);
    }
  /* random sections over the tag alphabet, with and without '\n' */
  for (int round = 0; round < 4000; round++) {
    size_t len = 1 + below(24);
    n = (size_t)snprintf(buf, sizeof(buf), "m:2|ms|#");
    for (size_t i = 0; i < len; i++)
      buf[n++] = alphabet[below(sizeof(alphabet) - 1)];
    if (round & 1)
      buf[n++] = '\n';
    check(buf, n, round % 7, CORE_LINE_BYTES_MAX_DEFAULT, true);
  }
}

/* "|T" fields, which the walk now takes itself: every shape the twin
 * accepts or refuses (digits at and over the bound, signs, empty, other
 * bytes, repeated, before and after the other fields, at a line's and a
 * buffer's end) and random fields over their alphabet give the twin's
 * answer at every level. */
Test(statsd_simd, timestamps) {
  static const char *const fields[] = {
      "|T1", "|T0", "|T1700000000", "|T123456789012345678",
      "|T1234567890123456789", "|T", "|T-1", "|T+1", "|T1.5", "|Tx",
      "|T1|T2", "|T1|@0.5", "|@0.5|T1", "|T1|#a:b", "|#a:b|T1",
      "|#a:b,c|T17|@0.25", "|T1|c:abc", "|T 1", "|T1 ", "|T1:2",
      "|T1#", "|T1@", "|T1,", "|T00000000000000000000", "|t1", "|T1|",
  };
  static const char *const heads[] = {"m:1|c", "g:-2:+3|g", "s:u1|s",
                                      "t:1.5|ms", "h:7|h|@0.5"};
  static const char alphabet[] = "T0123456789|#@:-+,a.";
  char buf[512];
  size_t n;

  for (size_t h = 0; h < sizeof(heads) / sizeof(heads[0]); h++)
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
      n = (size_t)snprintf(buf, sizeof(buf), "%s%s", heads[h], fields[i]);
      check(buf, n, 0, CORE_LINE_BYTES_MAX_DEFAULT, true);
      n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\r\nx:1|c|T5\n");
      check(buf, n, h, CORE_LINE_BYTES_MAX_DEFAULT, true);
    }
  for (int round = 0; round < 4000; round++) {
    size_t len = 1 + below(22);
    n = (size_t)snprintf(buf, sizeof(buf), "%s|T", heads[below(5)]);
    for (size_t i = 0; i < len; i++)
      buf[n++] = below(3) ? (char)('0' + below(10))
                          : alphabet[below(sizeof(alphabet) - 1)];
    if (round & 1)
      buf[n++] = '\n';
    check(buf, n, round % 7, CORE_LINE_BYTES_MAX_DEFAULT, true);
  }
}

/* Type tokens of 1 to 3 bytes, good and bad, at a line's end, before a
 * field and at a buffer's end: the walk's branch-free type_of gives the
 * twin's answer. */
Test(statsd_simd, type_tokens) {
  static const char *const types[] = {
      "c", "g", "h", "d", "s", "m", "ms", "mss", "sm", "cs", "mc", "M",
      "MS", "x", "\xe9", "\x80", "ms\xe9", "c\xff", "t", "msms",
  };
  char buf[64];
  size_t n;

  for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
    for (int tail = 0; tail < 3; tail++) {
      n = (size_t)snprintf(buf, sizeof(buf), "m:1|%s%s", types[i],
                           tail == 0 ? "" : tail == 1 ? "|#a:b" : "\n");
      check(buf, n, tail, CORE_LINE_BYTES_MAX_DEFAULT, true);
    }
}
