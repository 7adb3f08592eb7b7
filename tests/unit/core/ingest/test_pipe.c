/*
 * tests/unit/core/ingest/test_pipe.c - parse -> series -> head, and its counters.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ingest/pipe.h"
#include "core/ingest/series.h"
#include "core/base/stat.h"
#include "core/parse/line_frame.h"

static struct core_ingest_stats st;
static struct core_pipe p;
static const int64_t NOW = 1700000000123;

static void setup_n(uint32_t max_series, uint32_t line_max) {
  memset(&st, 0, sizeof(st));
  cr_assert_eq(core_pipe_init(&p, &st, max_series, line_max, NULL, NULL), 0);
}
static void setup(void) { setup_n(1000, 256); }
static void teardown(void) { core_pipe_free(&p); }

static void feed(const char *s) {
  core_pipe_statsd_buf(&p, s, strlen(s), NOW);
}

static uint64_t errors(enum core_statsd_err e) {
  return st.parse_errors_statsd[e];
}

TestSuite(pipe, .init = setup, .fini = teardown);

Test(pipe, counter_scaled_by_rate) {
  feed("c:2|c|@0.5\nc:3|c");
  cr_assert_eq(p.head.count, 2);
  cr_assert_float_eq(p.head.value[0], 4.0, 1e-12);
  cr_assert_float_eq(p.head.value[1], 3.0, 1e-12);
  cr_assert_eq(p.head.series_id[0], p.head.series_id[1]);
  cr_assert_eq(st.points_statsd[CORE_STATSD_COUNTER], 2);
  cr_assert_eq(p.head.ts_ms[0], NOW);
}

Test(pipe, gauge_deltas_apply_to_the_last_value) {
  feed("g:10|g\ng:+5|g\ng:-3|g\ng:7|g\ng2:-1|g");
  cr_assert_eq(p.head.count, 5);
  double want[] = {10, 15, 12, 7, -1};
  for (int i = 0; i < 5; i++)
    cr_assert_float_eq(p.head.value[i], want[i], 1e-12, "point %d", i);
}

Test(pipe, packed_values_are_points) {
  feed("h:1:2:3|h|#a:b");
  cr_assert_eq(p.head.count, 3);
  cr_assert_eq(st.points_statsd[CORE_STATSD_HISTOGRAM], 3);
  cr_assert_float_eq(p.head.value[2], 3.0, 1e-12);
}

Test(pipe, set_members_hash_stably) {
  feed("s:alice|s\ns:bob|s\ns:alice|s");
  cr_assert_eq(p.head.count, 3);
  cr_assert_float_eq(p.head.value[0], p.head.value[2], 0);
  cr_assert(p.head.value[0] != p.head.value[1]);
}

/* A member is stored as the low 32 bits of its hash (pipe.c). */
Test(pipe, set_members_are_32_bit_hashes) {
  feed("s:alice|s\ns:bob|s\ns:user4711|s");
  cr_assert_eq(p.head.count, 3);
  cr_assert_eq(p.head.value[0], (double)(core_series_hash_bytes("alice", 5) &
                                         UINT32_MAX));
  cr_assert_eq(p.head.value[2], (double)(core_series_hash_bytes("user4711", 8) &
                                         UINT32_MAX));
  for (uint32_t i = 0; i < 3; i++)
    cr_assert(p.head.value[i] < 4294967296.0);
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

/* docs/statsd.md: among n distinct members about n^2 / 2^33 pairs share a
 * 32-bit value (200,000 members: 4.7 expected). */
Test(pipe, set_member_collision_rate) {
  enum { N = 200000 };
  static uint32_t h[N];
  char m[32];
  unsigned same = 0;

  for (uint32_t i = 0; i < N; i++) {
    int n = snprintf(m, sizeof(m), "user%u", i);
    h[i] = (uint32_t)core_series_hash_bytes(m, (size_t)n);
  }
  qsort(h, N, sizeof(h[0]), cmp_u32);
  for (uint32_t i = 1; i < N; i++)
    same += h[i] == h[i - 1];
  /* Poisson(4.66): above 20 has probability below 1e-6 */
  cr_assert_leq(same, 20, "%u colliding pairs among %d members", same, N);
}

Test(pipe, tag_order_is_one_series) {
  feed("m:1|c|#b:2,a:1\nm:1|c|#a:1,b:2\nm:1|c|#a:1");
  cr_assert_eq(p.head.series_id[0], p.head.series_id[1]);
  cr_assert_neq(p.head.series_id[0], p.head.series_id[2]);
  cr_assert_eq(st.series_active, 2);
}

Test(pipe, timestamp_field_is_used) {
  feed("t:1|c|T1600000000");
  cr_assert_eq(p.head.ts_ms[0], INT64_C(1600000000000));
}

Test(pipe, crlf_and_empty_lines) {
  feed("a:1|c\r\n\r\n\nb:1|c\r\n");
  cr_assert_eq(p.head.count, 2);
  cr_assert_eq(st.points_statsd[CORE_STATSD_COUNTER], 2);
  for (int e = 1; e < CORE_STATSD_ERR_COUNT; e++)
    cr_assert_eq(errors(e), 0);
}

/* No +Inf is stored: a rate whose 1/rate overflows is bad_rate (a
 * counter's scale, a timer's weight), a counter whose value / rate
 * overflows is bad_value. */
Test(pipe, overflowing_rates_and_values_are_rejected) {
  feed("x:1|c|@1e-320\nx:1e308|c|@0.1\nt:5|ms|@1e-320\nx:1|c|@0.5\n"
       "h:1e308|h|@1e-300\ny:2|c|@2.2250738585072014e-308");
  cr_assert_eq(errors(CORE_STATSD_ERR_BAD_RATE), 2);
  cr_assert_eq(errors(CORE_STATSD_ERR_BAD_VALUE), 1);
  cr_assert_eq(p.head.count, 3);
  cr_assert_float_eq(p.head.value[0], 2.0, 0);
  cr_assert_float_eq(p.head.value[1], 1e308, 0);
  cr_assert_float_eq(p.head.value[2], 2.0 / 2.2250738585072014e-308, 0);
  for (uint32_t i = 0; i < p.head.count; i++)
    cr_assert(isfinite(p.head.value[i]), "point %u", i);
  for (uint32_t id = 0; id < p.series.count; id++) {
    uint32_t len;
    const char *k = core_series_key_of(&p.series, id, &len);
    cr_assert_null(memmem(k, len, "inf", 3), "series %u", id);
  }
  cr_assert_eq(st.series_active, 3);
}

/* Only the pipe knows a gauge's last value: a delta that overflows it is
 * rejected whole (bad_value), and the gauge keeps its value. */
Test(pipe, gauge_delta_overflow_is_rejected) {
  feed("g:1e308|g\ng:+1e308|g\ng:-1e308|g\ng:+1e308:+1e308|g\ng:+1|g\n"
       "g:-1.7976931348623157e308|g\ng:-1e308|g");
  cr_assert_eq(errors(CORE_STATSD_ERR_BAD_VALUE), 3);
  cr_assert_eq(p.head.count, 4);
  double want[] = {1e308, 0, 1, 1 - 1.7976931348623157e308};
  for (uint32_t i = 0; i < 4; i++)
    cr_assert_float_eq(p.head.value[i], want[i], 0, "point %u", i);
  cr_assert_eq(st.points_statsd[CORE_STATSD_GAUGE], 4);
}

/* One-value lines without |T take ingest_line's short path, the rest
 * ingest_metric's: the same lines, packed or one value a line, store the
 * same values (gauge deltas, counter rates, set members) with the same
 * counts, and |T still sets a one-value line's time. */
Test(pipe, one_value_lines_store_what_packed_lines_store) {
  feed("g:5|g\ng:+2|g\ng:-10|g\nc:3|c|@0.5\nc:4|c|@0.5\ns:abc|s\ns:de|s\n"
       "t:7|ms|T1600000000");
  feed("g:5:+2:-10|g\nc:3:4|c|@0.5\ns:abc:de|s");
  cr_assert_eq(p.head.count, 15);
  for (uint32_t i = 0; i < 7; i++) {
    cr_assert_float_eq(p.head.value[i], p.head.value[8 + i], 0, "point %u", i);
    cr_assert_eq(p.head.series_id[i], p.head.series_id[8 + i], "point %u", i);
  }
  cr_assert_float_eq(p.head.value[0], 5, 0);
  cr_assert_float_eq(p.head.value[1], 7, 0);
  cr_assert_float_eq(p.head.value[2], -3, 0);
  cr_assert_float_eq(p.head.value[3], 6, 0);
  cr_assert_eq(p.head.ts_ms[7], INT64_C(1600000000000));
  cr_assert_eq(st.points_statsd[CORE_STATSD_GAUGE], 6);
  cr_assert_eq(st.points_statsd[CORE_STATSD_COUNTER], 4);
  cr_assert_eq(st.points_statsd[CORE_STATSD_SET], 4);
  cr_assert_eq(st.points_statsd[CORE_STATSD_TIMER], 1);
}

Test(pipe, errors_are_counted_and_parsing_goes_on) {
  feed("bad\na:1|c\n:1|c\na:x|c\nb:2|g");
  cr_assert_eq(p.head.count, 2);
  uint64_t total = 0;
  for (int e = 1; e < CORE_STATSD_ERR_COUNT; e++)
    total += errors(e);
  cr_assert_eq(total, 3);
}

Test(pipe, line_too_long) {
  char line[400];
  memset(line, 'x', sizeof(line));
  memcpy(line + sizeof(line) - 4, ":1|c", 4);
  core_pipe_statsd_buf(&p, line, sizeof(line), NOW);
  core_pipe_statsd_buf(&p, line + 200, 200, NOW); /* 200 <= 256 */
  cr_assert_eq(errors(CORE_STATSD_ERR_LINE_TOO_LONG), 1);
  cr_assert_eq(p.head.count, 1);
}

Test(pipe, type_mismatch_is_rejected) {
  feed("x:1|c\nx:1|g");
  cr_assert_eq(p.head.count, 1);
  cr_assert_eq(errors(CORE_STATSD_ERR_TYPE_MISMATCH), 1);
}

Test(pipe, events_counted_not_stored) {
  feed("_e{2,3}:ab|cde\n_sc|chk|1");
  cr_assert_eq(p.head.count, 0);
  cr_assert_eq(st.statsd_events, 1);
  cr_assert_eq(st.statsd_service_checks, 1);
}

Test(pipe_bounds, max_series_rejects_samples) {
  setup_n(2, 256);
  feed("a:1|c\nb:1|c\nc:1:2|h\na:1|c");
  cr_assert_eq(p.head.count, 3);
  cr_assert_eq(st.series_active, 2);
  cr_assert_eq(st.series_rejected, 2);
  teardown();
}

static int sealed_blocks;
static uint32_t sealed_points;
static void sink(struct core_head *h, void *ctx) {
  (void)ctx;
  sealed_blocks++;
  sealed_points += h->count;
}

Test(pipe_bounds, head_seals_when_full) {
  memset(&st, 0, sizeof(st));
  cr_assert_eq(core_pipe_init(&p, &st, 10, 256, sink, NULL), 0);
  for (uint32_t i = 0; i < CORE_HEAD_POINTS_MAX + 10; i++)
    core_pipe_statsd_buf(&p, "a:1|c", 5, NOW);
  cr_assert_eq(sealed_blocks, 1);
  cr_assert_eq(sealed_points, CORE_HEAD_POINTS_MAX);
  cr_assert_eq(p.head.count, 10);
  teardown();
}

Test(pipe_bounds, bad_line_bound_is_refused) {
  memset(&st, 0, sizeof(st));
  cr_assert_eq(core_pipe_init(&p, &st, 10, 1, NULL, NULL), -EINVAL);
  cr_assert_eq(core_pipe_init(&p, &st, 10, CORE_LINE_BYTES_MAX_LIMIT + 1,
                              NULL, NULL), -EINVAL);
}

Test(pipe, sampled_timers_keep_their_weight_in_a_tag) {
  uint32_t len;
  const char *k;

  feed("t:5|ms|@0.25|#a:b\nt:6|ms|#a:b\nc:1|c|@0.5");
  cr_assert_eq(p.head.count, 3);
  cr_assert_neq(p.head.series_id[0], p.head.series_id[1]);
  cr_assert_float_eq(p.head.value[0], 5.0, 0);
  k = core_series_key_of(&p.series, p.head.series_id[0], &len);
  cr_assert_eq(len, sizeof("t\0__weight__:4\0a:b") - 1);
  cr_assert_eq(memcmp(k, "t\0__weight__:4\0a:b", len), 0);
  k = core_series_key_of(&p.series, p.head.series_id[2], &len);
  cr_assert_eq(len, 1, "counters carry no weight tag: scaled instead");
}

Test(pipe, weight_tag_follows_the_rate_of_each_line) {
  uint32_t len;
  const char *k;

  /* the formatted weight is reused while the rate repeats, redone when it
   * changes, including back to an earlier rate */
  feed("t:1|ms|@0.25\nt:2|ms|@0.25\nt:3|ms|@0.1\nt:4|ms|@0.25");
  cr_assert_eq(p.head.count, 4);
  cr_assert_eq(p.head.series_id[0], p.head.series_id[1]);
  cr_assert_eq(p.head.series_id[0], p.head.series_id[3]);
  k = core_series_key_of(&p.series, p.head.series_id[2], &len);
  cr_assert_eq(len, sizeof("t\0__weight__:10") - 1);
  cr_assert_eq(memcmp(k, "t\0__weight__:10", len), 0);
  k = core_series_key_of(&p.series, p.head.series_id[3], &len);
  cr_assert_eq(memcmp(k, "t\0__weight__:4", len), 0);
}

/* ---- StatsD over TCP: the line framer in front of the batch entry ------- */

static struct core_ingest_stats st_whole;
static struct core_pipe p_whole;

/* s through a line framer, cut once at `cut`, into the (fresh) pipe p. */
static void feed_framed(const char *s, size_t len, size_t cut) {
  static char carry[256 + 1]; /* core_line_framer_buf_bytes(256) */
  struct core_line_framer f;
  struct core_pipe_frame_ctx ctx = {&p, NOW};

  cr_assert_eq(sizeof(carry), core_line_framer_buf_bytes(256));
  core_line_framer_init(&f, carry, 256);
  core_line_framer_feed(&f, s, cut, core_pipe_statsd_chunk, &ctx);
  core_line_framer_feed(&f, s + cut, len - cut, core_pipe_statsd_chunk, &ctx);
  core_line_framer_finish(&f, core_pipe_statsd_chunk, &ctx);
}

/* Wherever a TCP stream is cut into reads, the points and every counter
 * are those of the stream given whole to core_pipe_statsd_buf. */
Test(pipe_tcp, framed_reads_match_one_buffer) {
  char s[1600];
  size_t len = 0;
  /* "t:1:2|ms\r" "\r\n" is one line ending "\r\r\n": bad_byte */
  const char *parts[] = {"g:1|g\n", "g:+2|g\r\n", "\n", "\r\n", "bad\n",
                         "c:1|c|@0.5|#a:b,c\n", "_sc|x|0\n", "t:1:2|ms\r",
                         "\r\n", "u:1:2|ms\r\n", "g:x|c\n"};

  for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
    memcpy(s + len, parts[i], strlen(parts[i]));
    len += strlen(parts[i]);
  }
  memset(s + len, 'x', 252); /* 256 bytes with ":1|c": passes; */
  memcpy(s + len + 252, ":1|c\r\n", 6); /* the '\r' is not counted */
  len += 258;
  memset(s + len, 'w', 251); /* 255 bytes and "\r\r\n": one '\r' is */
  memcpy(s + len + 251, ":1|c\r\r\n", 7); /* a byte, bad_byte */
  len += 258;
  memset(s + len, 'q', 252); /* 256 bytes and "\r\r\n": too long */
  memcpy(s + len + 252, ":1|c\r\r\n", 7);
  len += 259;
  memset(s + len, 'y', 300); /* too long */
  memcpy(s + len + 300, ":1|c\ng:3|g", 10);
  len += 310;
  cr_assert_leq(len, sizeof(s));
  memset(&st_whole, 0, sizeof(st_whole));
  cr_assert_eq(core_pipe_init(&p_whole, &st_whole, 1000, 256, NULL, NULL), 0);
  core_pipe_statsd_buf(&p_whole, s, len, NOW);
  cr_assert_eq(st_whole.parse_errors_statsd[CORE_STATSD_ERR_LINE_TOO_LONG], 2);
  cr_assert_eq(st_whole.parse_errors_statsd[CORE_STATSD_ERR_BAD_BYTE], 2);
  cr_assert_eq(p_whole.head.count, 7);
  for (size_t cut = 0; cut <= len; cut++) {
    teardown();
    setup();
    feed_framed(s, len, cut);
    cr_assert(memcmp(&st, &st_whole, sizeof(st)) == 0, "cut at %zu", cut);
    cr_assert_eq(p.head.count, p_whole.head.count, "cut at %zu", cut);
    for (uint32_t i = 0; i < p.head.count; i++) {
      cr_assert_eq(p.head.series_id[i], p_whole.head.series_id[i]);
      cr_assert_eq(p.head.ts_ms[i], p_whole.head.ts_ms[i]);
      cr_assert(memcmp(&p.head.value[i], &p_whole.head.value[i],
                       sizeof(double)) == 0, "cut at %zu, point %u", cut, i);
    }
  }
  core_pipe_free(&p_whole);
}

/* Every one of the 24 orders of four tags, spread over several lookup
 * windows (CORE_PIPE_WINDOW_LINES), is one series. */
Test(pipe, every_tag_order_is_one_series_across_windows) {
  const char *t[4] = {"a:1", "b:2", "c", "d:4"};
  char buf[4096];
  size_t len = 0;
  int n = 0;
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++)
      for (int k = 0; k < 4; k++)
        for (int l = 0; l < 4; l++) {
          if (i == j || i == k || i == l || j == k || j == l || k == l)
            continue;
          len += (size_t)snprintf(buf + len, sizeof(buf) - len,
                                  "m:1|c|#%s,%s,%s,%s\n", t[i], t[j], t[k],
                                  t[l]);
          n++;
        }
  cr_assert_eq(n, 24);
  core_pipe_statsd_buf(&p, buf, len, NOW);
  cr_assert_eq(p.head.count, 24);
  cr_assert_eq(st.series_active, 1);
  for (int i = 1; i < 24; i++)
    cr_assert_eq(p.head.series_id[i], p.head.series_id[0]);
}

/*
 * The window changes when lookups happen, never what is stored: a buffer
 * of lines (gauge deltas on one series across window boundaries, errors,
 * events, new and known series, sets, rates) fed whole gives the same
 * head, point for point, as the same lines fed one at a time.
 */
Test(pipe, window_stores_what_line_by_line_stores) {
  static char buf[1 << 16];
  static int64_t ts[512];
  static double val[512];
  static uint32_t sid[512];
  size_t len = 0;
  uint32_t count;

  for (int i = 0; i < 300; i++) {
    const char *fmt = i % 7 == 0   ? "g.%d:+%d|g|#h:x\n"
                      : i % 11 == 0 ? "bad line %d %d\n"
                      : i % 13 == 0 ? "_e{1,1}:a|b\n"
                      : i % 5 == 0  ? "s.%d:m%d|s\n"
                      : i % 3 == 0  ? "t.%d:%d|ms|@0.5|#z:1,a:2\n"
                                    : "c.%d:%d|c|#k:%d\n";
    len += (size_t)snprintf(buf + len, sizeof(buf) - len, fmt, i % 9, i, i);
  }
  core_pipe_statsd_buf(&p, buf, len, NOW);
  count = p.head.count;
  cr_assert_gt(count, 200);
  cr_assert_lt(count, 512);
  memcpy(ts, p.head.ts_ms, count * sizeof(*ts));
  memcpy(val, p.head.value, count * sizeof(*val));
  memcpy(sid, p.head.series_id, count * sizeof(*sid));
  struct core_ingest_stats whole = st;
  core_pipe_free(&p);
  setup();
  for (const char *l = buf; l < buf + len;) {
    const char *nl = memchr(l, '\n', (size_t)(buf + len - l));
    core_pipe_statsd_buf(&p, l, (size_t)(nl - l), NOW);
    l = nl + 1;
  }
  cr_assert_eq(p.head.count, count);
  for (uint32_t i = 0; i < count; i++) {
    cr_assert_eq(p.head.series_id[i], sid[i], "point %u", i);
    cr_assert_eq(p.head.ts_ms[i], ts[i]);
    cr_assert(p.head.value[i] == val[i], "point %u: %g != %g", i,
              p.head.value[i], val[i]);
  }
  /* the raw key cache's lookups differ: a key new to the window misses
   * for each of its lines there, line by line only the first time */
  whole.rawkey_hits = st.rawkey_hits;
  whole.rawkey_misses = st.rawkey_misses;
  cr_assert(memcmp(&whole, &st, sizeof(st)) == 0, "same counters");
}

/* A block's distinct key bytes stay under CORE_HEAD_KEY_BYTES_MAX: the
 * head seals before the point whose series would pass it, and a series
 * counts its key once a block (its hot fields: key length, head mark). */
Test(pipe_bounds, head_seals_at_the_key_bytes_bound) {
  enum { NAME = 1000, TAG = 990, SERIES = 2200 };
  size_t cap = (size_t)SERIES * 2 * (NAME + 3 * TAG + 32) + 4096, len = 0;
  char *buf = malloc(cap), tag[3][TAG + 1];
  uint32_t key_len, per_block;

  cr_assert_not_null(buf);
  for (int j = 0; j < 3; j++) {
    memset(tag[j], 'a' + j, TAG);
    tag[j][TAG] = '\0';
  }
  memset(&st, 0, sizeof(st));
  sealed_blocks = 0;
  sealed_points = 0;
  /* the key arena (CORE_SERIES_KEY_BYTES_AVG a series) holds the keys */
  cr_assert_eq(core_pipe_init(&p, &st, 65536, 8192, sink, NULL), 0);
  for (uint32_t i = 0; i < SERIES; i++) {
    /* series 0 again after each new one: counted once a block */
    for (uint32_t s = 0; s < 2; s++) {
      int n = snprintf(buf + len, cap - len, "%05u%0*d:1|c|#a:%s,b:%s,c:%s\n",
                       s == 0 ? i : 0, NAME - 5, 0, tag[0], tag[1], tag[2]);
      cr_assert(n > 0 && (size_t)n < cap - len);
      len += (size_t)n;
    }
  }
  core_pipe_statsd_buf(&p, buf, len, NOW);
  cr_assert_not_null(core_series_key_of(&p.series, 0, &key_len));
  cr_assert_gt(key_len, NAME + 3 * TAG);
  per_block = CORE_HEAD_KEY_BYTES_MAX / key_len; /* distinct series */
  cr_assert_eq(st.series_active, SERIES);
  cr_assert_eq(sealed_blocks, 1);
  /* the block holds per_block series, each new one's line and the
   * repeat of series 0 after it; the next new one seals it */
  cr_assert_eq(sealed_points, 2 * per_block, "%u points", sealed_points);
  cr_assert_eq(p.head.count, 2 * SERIES - sealed_points);
  teardown();
  free(buf);
}
