/*
 * tests/unit/net/query/test_query_api.c - value and time text of the export
 * endpoint (net/query_api.h).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/numfmt.h"
#include "core/base/strbuf.h"
#include "net/http_types.h"
#include "net/query/query_api.h"
#include "net/query/query_types.h"
#include "storage/block.h"
#include "storage/compact.h"

#include "../../storage/segment_test_util.h"

static const char *fmt(double v) {
  static char out[64];
  core_fmt_double(v, out);
  return out;
}

Test(query_api, values_as_victoriametrics_writes_them) {
  cr_assert_str_eq(fmt(42), "42");
  cr_assert_str_eq(fmt(-7), "-7");
  cr_assert_str_eq(fmt(0.5), "0.5");
  cr_assert_str_eq(fmt(0.1), "0.1");
  cr_assert_str_eq(fmt(NAN), "NaN");
  cr_assert_str_eq(fmt(INFINITY), "+Inf");
  cr_assert_str_eq(fmt(-INFINITY), "-Inf");
  cr_assert_str_eq(fmt(-0.0), "-0");
  cr_assert_str_eq(fmt(9007199254740991.0), "9007199254740991");
}

Test(query_api, values_outside_int64_read_back_exactly) {
  /* too large for the integer path (whose cast would be undefined) */
  const double big[] = {1e300, -1e300, 9.3e18, -9.3e18, 9007199254740992.0,
                        1.7976931348623157e308};
  for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++)
    cr_assert_eq(strtod(fmt(big[i]), NULL), big[i], "%s", fmt(big[i]));
}

Test(query_api, times_in_every_accepted_form) {
  int64_t ms;

  cr_assert_eq(net_query_parse_time("2023-11-14T22:13:20.5Z", &ms), 0);
  cr_assert_eq(ms, INT64_C(1700000000500));
  cr_assert_eq(net_query_parse_time("1700000000.25", &ms), 0);
  cr_assert_eq(ms, INT64_C(1700000000250));
  cr_assert_eq(net_query_parse_time("1700000000250", &ms), 0);
  cr_assert_eq(ms, INT64_C(1700000000250));
  cr_assert_eq(net_query_parse_time("2023-11-14T23:13:20+01:00", &ms), 0);
  cr_assert_eq(ms, INT64_C(1700000000000));
  cr_assert_eq(net_query_parse_time("yesterday", &ms), -EINVAL);
}

/* The export's timestamps (written from a cached prefix of ts / 10^4)
 * and values, against printf, across prefix changes, below 10^4 and
 * negative, and for prefixes of 7 to 12 digits (8 to 11 take the
 * two-store path). */
Test(query_api, export_numbers_match_printf) {
  static const int64_t ts[] = {-20001, -10000, -1, 0, 5, 9999, 10000, 10001,
                               19999, 20000, 99999999, 100000000,
                               99999999999, 100000000000, 100000000001,
                               1699999999999, 1700000000000, 1700000009999,
                               1700000010000, 1700000010001, 99999999999999,
                               999999999999999, 1000000000000000,
                               1000000000009999};
  enum { N = sizeof(ts) / sizeof(ts[0]) };
  static uint32_t ids[N];
  static double val[N];
  static struct net_query_env env;
  static struct net_http_request req;
  static struct net_http_response resp;
  struct stor_dict_entry d = {.id = 0, .type = 1, .key = "m", .key_len = 1};
  struct stor_block_in in = {.shard = 0, .seq = 1, .count = N,
                             .series_id = ids, .ts_ms = ts, .value = val,
                             .dict_count = 1, .dict = &d};
  struct stor_encoder e;
  size_t cap = stor_block_bytes_max(N, 1, 64);
  uint8_t *out = malloc(cap);
  char want[2048], num[40];
  size_t k = 0;
  long len;

  for (uint32_t i = 0; i < N; i++)
    val[i] = i % 3 == 0 ? (double)i : i * 0.25 - 1.5;
  seg_dir_make();
  cr_assert_eq(stor_encoder_init(&e, N), 0);
  cr_assert_gt(len = stor_block_encode(&e, &in, out, cap), 0);
  seg_append_bytes(0, 1, out, (size_t)len);
  stor_encoder_free(&e);
  free(out);
  env.data_dir = seg_dir;
  req.method = "GET";
  req.path = "/api/v1/export";
  req.query = "match[]=m";
  core_strbuf_init(&resp.body, 1 << 20);
  net_query_export(&env, &req, &resp);
  cr_assert(resp.status == 0 || resp.status == 200, "%d", resp.status);
  k += (size_t)snprintf(want + k, sizeof(want) - k,
                        "{\"metric\":{\"__name__\":\"m\"},\"values\":[");
  for (uint32_t i = 0; i < N; i++) {
    core_fmt_double(val[i], num);
    k += (size_t)snprintf(want + k, sizeof(want) - k, "%s%s", i ? "," : "",
                          num);
  }
  k += (size_t)snprintf(want + k, sizeof(want) - k, "],\"timestamps\":[");
  for (uint32_t i = 0; i < N; i++)
    k += (size_t)snprintf(want + k, sizeof(want) - k, "%s%" PRId64,
                          i ? "," : "", ts[i]);
  snprintf(want + k, sizeof(want) - k, "]}\n");
  cr_assert_eq(resp.body.len, strlen(want));
  cr_assert(memcmp(resp.body.data, want, resp.body.len) == 0, "%.*s",
            (int)resp.body.len, resp.body.data);
  core_strbuf_free(&resp.body);
  seg_dir_remove();
}

/* n points of series "m" as one block of segment 1 of shard. */
static void put_block(unsigned shard, const int64_t *ts, const double *val,
                      uint32_t n) {
  uint32_t *ids = calloc(n, sizeof(*ids));
  struct stor_dict_entry d = {.id = 0, .type = 1, .key = "m", .key_len = 1};
  struct stor_block_in in = {.shard = shard, .seq = 1, .count = n,
                             .series_id = ids, .ts_ms = ts, .value = val,
                             .dict_count = 1, .dict = &d};
  struct stor_encoder e;
  size_t cap = stor_block_bytes_max(n, 1, 64);
  uint8_t *out = malloc(cap);
  long len;

  cr_assert_eq(stor_encoder_init(&e, n), 0);
  cr_assert_gt(len = stor_block_encode(&e, &in, out, cap), 0);
  seg_append_bytes(shard, 1, out, (size_t)len);
  stor_encoder_free(&e);
  free(out);
  free(ids);
}

/* n points of series "m" in one block of seg_dir; the export of it into a
 * body of at most max bytes; its expected text at want. */
static void export_block(const int64_t *ts, const double *val, uint32_t n,
                         size_t max, struct net_http_response *resp) {
  static struct net_query_env env;
  static struct net_http_request req;

  seg_dir_make();
  put_block(0, ts, val, n);
  env.data_dir = seg_dir;
  req.method = "GET";
  req.path = "/api/v1/export";
  req.query = "match[]=m";
  memset(resp, 0, sizeof(*resp));
  core_strbuf_init(&resp->body, max);
  net_query_export(&env, &req, resp);
  seg_dir_remove();
}

/* Enough points for many of the writers' chunks, with steps that stay in
 * and leave a 10^4 window, repeats and values of every kind; then the
 * same reply into a body that is exactly its size (it fits, written by
 * the local-buffer path near the bound) and one byte short (refused). */
Test(query_api, export_chunks_and_the_reply_bound) {
  enum { N = 6000 };
  static int64_t ts[N];
  static double val[N];
  static char want[N * 48];
  static struct net_http_response resp;
  static const int64_t steps[] = {0, 1, 7, 10, 999, 9999, 10000, 123456};
  uint64_t s = 99;
  char num[40];
  size_t k = 0;

  ts[0] = 1699999990000;
  for (uint32_t i = 0; i < N; i++) {
    s = s * 6364136223846793005u + 1442695040888963407u;
    if (i)
      ts[i] = ts[i - 1] + steps[(s >> 33) % 8];
    val[i] = (s >> 40) % 4 == 0   ? (double)(s >> 20) / 1e6
             : (s >> 40) % 4 == 1 ? (double)((s >> 44) % 2000) * 0.25
             : (s >> 40) % 4 == 2 ? -(double)((s >> 44) % 100000)
                                  : (double)(s >> 12) * 1e-300;
    if (i > 0 && (s >> 50) % 3 == 0) /* runs of repeats */
      val[i] = val[i - 1];
  }
  for (uint32_t i = 100; i < 108; i++) /* 0 and -0 are not repeats */
    val[i] = i % 3 ? -0.0 : 0.0;
  k += (size_t)snprintf(want + k, sizeof(want) - k,
                        "{\"metric\":{\"__name__\":\"m\"},\"values\":[");
  for (uint32_t i = 0; i < N; i++) {
    core_fmt_double(val[i], num);
    k += (size_t)snprintf(want + k, sizeof(want) - k, "%s%s", i ? "," : "",
                          num);
  }
  k += (size_t)snprintf(want + k, sizeof(want) - k, "],\"timestamps\":[");
  for (uint32_t i = 0; i < N; i++)
    k += (size_t)snprintf(want + k, sizeof(want) - k, "%s%" PRId64,
                          i ? "," : "", ts[i]);
  k += (size_t)snprintf(want + k, sizeof(want) - k, "]}\n");

  export_block(ts, val, N, 1 << 22, &resp);
  cr_assert(resp.status == 0 || resp.status == 200, "%d", resp.status);
  cr_assert_eq(resp.body.len, k);
  cr_assert(memcmp(resp.body.data, want, k) == 0);
  core_strbuf_free(&resp.body);

  export_block(ts, val, N, k, &resp);
  cr_assert(resp.status == 0 || resp.status == 200, "%d", resp.status);
  cr_assert_eq(resp.body.len, k);
  cr_assert(memcmp(resp.body.data, want, k) == 0);
  core_strbuf_free(&resp.body);

  export_block(ts, val, N, k - 1, &resp);
  cr_assert_eq(resp.status, 422);
  core_strbuf_free(&resp.body);
}

static void compact_shard(unsigned shard) {
  struct stor_compact_stats st = {0};
  char path[128];
  int fd;

  snprintf(path, sizeof(path), "%s/shard-%u", seg_dir, shard);
  cr_assert_geq(fd = open(path, O_RDONLY | O_DIRECTORY), 0);
  cr_assert_eq(stor_compact_dir(fd, path, 0, &st, NULL), 0);
  cr_assert_eq(st.bytes_out > 0, 1);
  close(fd);
}

/* The export of "m" in [start, end] against printf's text of the points
 * in range, in time order (an empty reply when none is). */
static void export_range_is(const int64_t *ts, const double *val, uint32_t n,
                            int64_t start, int64_t end) {
  static struct net_query_env env;
  static struct net_http_request req;
  static struct net_http_response resp;
  static char want[1 << 20];
  char query[128], num[40];
  size_t k = 0;
  uint32_t i, first = 1;

  snprintf(query, sizeof(query), "match[]=m&start=%" PRId64 "&end=%" PRId64,
           start, end);
  env.data_dir = seg_dir;
  req.method = "GET";
  req.path = "/api/v1/export";
  req.query = query;
  memset(&resp, 0, sizeof(resp));
  core_strbuf_init(&resp.body, 1 << 22);
  net_query_export(&env, &req, &resp);
  cr_assert(resp.status == 0 || resp.status == 200, "%d", resp.status);
  k += (size_t)snprintf(want + k, sizeof(want) - k,
                        "{\"metric\":{\"__name__\":\"m\"},\"values\":[");
  for (i = 0; i < n; i++)
    if (ts[i] >= start && ts[i] <= end) {
      core_fmt_double(val[i], num);
      k += (size_t)snprintf(want + k, sizeof(want) - k, "%s%s",
                            first ? "" : ",", num);
      first = 0;
    }
  k += (size_t)snprintf(want + k, sizeof(want) - k, "],\"timestamps\":[");
  for (i = 0, first = 1; i < n; i++)
    if (ts[i] >= start && ts[i] <= end) {
      k += (size_t)snprintf(want + k, sizeof(want) - k, "%s%" PRId64,
                            first ? "" : ",", ts[i]);
      first = 0;
    }
  k += (size_t)snprintf(want + k, sizeof(want) - k, "]}\n");
  if (first) /* nothing in range: no series in the reply */
    k = 0;
  cr_assert_eq(resp.body.len, k, "[%" PRId64 ", %" PRId64 "]", start, end);
  cr_assert(memcmp(resp.body.data, want, k) == 0, "[%" PRId64 ", %" PRId64
            "]", start, end);
  core_strbuf_free(&resp.body);
}

/* One series in two shards whose points interleave (each shard's in
 * order, together out of order: sorted after the scan), plain and then
 * compacted (each run decoded straight into the export's columns, the
 * range cutting into it), over ranges from the whole to a few points. */
Test(query_api, export_merges_shards_and_compacted_runs) {
  enum { N = 4000 };
  static int64_t ts[2 * N], half[2][N];
  static double val[2 * N], hv[2][N];
  const int64_t t0 = 1700000000000;
  static const int64_t cut[][2] = {{0, 40000}, {5, 40000}, {12345, 23456},
                                   {39990, 40000}, {-5, 3}, {50000, 60000}};

  for (uint32_t i = 0; i < 2 * N; i++) { /* merged order: shards alternate */
    ts[i] = t0 + (int64_t)i * 5;
    val[i] = i % 3 ? i * 0.25 : (double)i / 7;
    half[i % 2][i / 2] = ts[i];
    hv[i % 2][i / 2] = val[i];
  }
  seg_dir_make();
  put_block(0, half[0], hv[0], N);
  put_block(1, half[1], hv[1], N);
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1) {
      compact_shard(0);
      compact_shard(1);
    }
    for (size_t c = 0; c < sizeof(cut) / sizeof(cut[0]); c++)
      export_range_is(ts, val, 2 * N, t0 + cut[c][0], t0 + cut[c][1]);
  }
  seg_dir_remove();
}
