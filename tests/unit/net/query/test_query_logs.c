/*
 * tests/unit/net/query/test_query_logs.c - GET /api/v1/logs: time formatting,
 * the NDJSON line of a record (escapes, absent fields, attributes), and
 * whole queries against log blocks written into a temporary data
 * directory with the real encoder (order, limit, truncation, filters,
 * errors).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/strbuf.h"
#include "net/http.h"
#include "net/query/query_api.h"
#include "storage/logblock.h"
#include "storage/recover.h"

#define S(lit) ((struct core_syslog_str){(lit), (uint32_t)(sizeof(lit) - 1)})

/* ---- time ------------------------------------------------------------------ */

static void time_is(int64_t ns, const char *want) {
  char out[40];

  memset(out, 'x', sizeof(out));
  cr_assert_eq(net_query_format_time_ns(ns, out), 30);
  cr_assert_str_eq(out, want, "%lld", (long long)ns);
}

Test(logs_time, rfc3339_nano_utc) {
  time_is(0, "1970-01-01T00:00:00.000000000Z");
  time_is(1700000000123456789, "2023-11-14T22:13:20.123456789Z");
  time_is(1709164800000000001, "2024-02-29T00:00:00.000000001Z");
  time_is(951782400000000000, "2000-02-29T00:00:00.000000000Z");
}

Test(logs_time, before_1970_and_the_ends_of_int64) {
  time_is(-1, "1969-12-31T23:59:59.999999999Z");
  time_is(-1000000000, "1969-12-31T23:59:59.000000000Z");
  time_is(-86400000000001, "1969-12-30T23:59:59.999999999Z");
  time_is(INT64_MIN, "1677-09-21T00:12:43.145224192Z");
  time_is(INT64_MAX, "2262-04-11T23:47:16.854775807Z");
}

/* ---- one line -------------------------------------------------------------- */

static struct core_strbuf out, scratch;

static void line_init(void) {
  core_strbuf_init(&out, 1 << 20);
  core_strbuf_init(&scratch, 1 << 20);
}

static void line_fini(void) {
  core_strbuf_free(&out);
  core_strbuf_free(&scratch);
}

TestSuite(logs_line, .init = line_init, .fini = line_fini);

static const char *line(const struct stor_log_rec *r) {
  out.len = 0;
  cr_assert_eq(net_query_log_line(&out, r, &scratch), 0);
  return out.data;
}

Test(logs_line, absent_fields_are_empty_strings) {
  struct stor_log_rec r = {.time_ns = 0, .facility = 1, .severity = 5};

  cr_assert_str_eq(line(&r),
                   "{\"_time\":\"1970-01-01T00:00:00.000000000Z\",\"_msg\":\"\","
                   "\"host\":\"\",\"app\":\"\",\"severity\":5,\"facility\":1,"
                   "\"procid\":\"\",\"msgid\":\"\"}\n");
}

Test(logs_line, fields_and_attributes_in_order) {
  static const struct core_syslog_attr a[] = {
      {S("exampleSDID@32473"), S("iut"), S("3")},
      {S("origin"), S(""), S("")},
      {S("meta"), S("tag"), S("x")},
      {S("exampleSDID@32473"), S("eventSource"), S("App")},
      {S("meta"), S("tag"), S("y")},
  };
  struct stor_log_rec r = {
      .time_ns = 1700000000123456789, .facility = 23, .severity = 0,
      .host = S("web-1"), .app = S("sshd"), .procid = S("42"),
      .msgid = S("ID7"), .msg = S("hello"), .attr_count = 5, .attrs = a};

  cr_assert_str_eq(line(&r),
                   "{\"_time\":\"2023-11-14T22:13:20.123456789Z\","
                   "\"_msg\":\"hello\",\"host\":\"web-1\",\"app\":\"sshd\","
                   "\"severity\":0,\"facility\":23,\"procid\":\"42\","
                   "\"msgid\":\"ID7\",\"exampleSDID@32473.iut\":\"3\","
                   "\"origin\":\"\",\"meta.tag\":\"x,y\","
                   "\"exampleSDID@32473.eventSource\":\"App\"}\n");
}

Test(logs_line, escapes_every_byte_that_needs_it) {
  struct stor_log_rec r = {.time_ns = 0};

  r.msg = S("q\" b\\ n\n r\r t\t \x01\x1f\x7f \b\f");
  line(&r);
  cr_assert(strstr(out.data, "\"_msg\":\"q\\\" b\\\\ n\\n r\\r t\\t "
                             "\\u0001\\u001f\x7f \\b\\f\"") != NULL,
            "%s", out.data);
}

Test(logs_line, invalid_utf8_becomes_replacement_characters) {
  struct stor_log_rec r = {.time_ns = 0};

  /* valid 2-, 3- and 4-byte sequences stay; a lone continuation byte, a
   * truncated sequence, an overlong form and a NUL do not */
  r.msg = S("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\x80|\xe2\x82|\xc0\xaf|\x00");
  line(&r);
  cr_assert(strstr(out.data, "\"_msg\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
                             "|\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd|"
                             "\\u0000\"") != NULL,
            "%s", out.data);
  r.host = S("\xff");
  line(&r);
  cr_assert(strstr(out.data, "\"host\":\"\\ufffd\"") != NULL, "%s", out.data);
}

Test(logs_line, parse_error_flag) {
  struct stor_log_rec r = {.time_ns = 0, .flags = CORE_SYSLOG_F_PARSE_ERROR,
                           .msg = S("<junk")};

  cr_assert(strstr(line(&r), "\"msgid\":\"\",\"_parse_error\":true}\n") !=
            NULL, "%s", out.data);
}

Test(logs_line, bound_reported) {
  struct core_strbuf small;
  struct stor_log_rec r = {.time_ns = 0, .msg = S("a long enough message")};

  core_strbuf_init(&small, 40);
  cr_assert_eq(net_query_log_line(&small, &r, &scratch), -ENOMEM);
  core_strbuf_free(&small);
}

Test(logs_line, otlp_record_shows_its_fields) {
  static char longkey[200];
  static const struct core_syslog_attr a0[] = {
      {S("otel"), S("severity_text"), S("ERROR")},
      {S("otel"), S("trace_id"), S("5b8efff798038103d269b633813fc60c")},
      {S("attr"), S("user.id"), S("u-17")},
  };
  struct core_syslog_attr a[4];
  struct stor_log_rec r = {.time_ns = 1, .facility = 1, .severity = 3,
                           .flags = CORE_SYSLOG_F_OTLP, .host = S("web-1"),
                           .app = S("checkout"), .msg = S("payment failed"),
                           .attr_count = 4, .attrs = a};

  memcpy(a, a0, sizeof(a0));
  memset(longkey, 'k', sizeof(longkey) - 1);
  a[3] = (struct core_syslog_attr){S("resource"), {longkey, 150}, S("v")};
  cr_assert_str_eq(line(&r),
                   "{\"_time\":\"1970-01-01T00:00:00.000000001Z\","
                   "\"_msg\":\"payment failed\",\"host\":\"web-1\","
                   "\"app\":\"checkout\",\"severity\":3,\"_proto\":\"otlp\","
                   "\"otel.severity_text\":\"ERROR\","
                   "\"otel.trace_id\":\"5b8efff798038103d269b633813fc60c\","
                   "\"attr.user.id\":\"u-17\","
                   "\"resource.kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
                   "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
                   "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\":\"v\"}\n");
}

/* ---- whole queries ------------------------------------------------------- */

static char dir[64];

static void dir_init(void) {
  snprintf(dir, sizeof(dir), "/tmp/sluice-logs-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
}

static void dir_fini(void) {
  char cmd[128];

  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
}

TestSuite(logs_query, .init = dir_init, .fini = dir_fini);

/* Append one log block of recs to segment seg of shard. */
static void put_block(unsigned shard, uint64_t seg, uint64_t seq,
                      const struct stor_log_rec *recs, uint32_t n) {
  struct stor_logenc e = {0};
  size_t text = 0, cap;
  uint64_t attrs = 0;
  char path[256], name[32];
  uint8_t *buf;
  long len;
  int fd;

  for (uint32_t i = 0; i < n; i++) {
    text += stor_logblock_rec_text_bytes(&recs[i]);
    attrs += recs[i].attr_count;
  }
  cap = stor_logblock_bytes_max(n, attrs, text);
  buf = malloc(cap);
  cr_assert_eq(stor_logenc_init(&e, 64), 0);
  len = stor_logblock_encode(&e, (uint16_t)shard, seq, recs, n, buf, cap);
  cr_assert_gt(len, 0);
  snprintf(path, sizeof(path), "%s/shard-%u", dir, shard);
  mkdir(path, 0755);
  stor_segment_name(seg, name, sizeof(name));
  snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%s", name);
  fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, buf, (size_t)len), len);
  close(fd);
  free(buf);
  stor_logenc_free(&e);
}

static struct net_http_response resp;

/* Run a query; returns the status. */
static int query(const char *qs) {
  struct net_http_request req = {.method = "GET", .path = "/api/v1/logs",
                                 .query = qs};

  core_strbuf_free(&resp.body);
  memset(&resp, 0, sizeof(resp));
  resp.status = 200;
  core_strbuf_init(&resp.body, NET_HTTP_RESPONSE_BYTES_MAX);
  net_query_logs_dir(dir, &req, &resp);
  return resp.status;
}

static bool truncated(void) {
  return strstr(resp.headers, "X-Sluice-Logs-Truncated: true\r\n") != NULL;
}

static int msg_cap = 4096; /* bytes of each message msgs() shows */

/* The messages of the body's lines, joined by ' '. */
static const char *msgs(void) {
  static char got[4096];
  size_t n = 0;

  got[0] = '\0';
  for (const char *p = resp.body.data; p && *p;) {
    const char *m = strstr(p, "\"_msg\":\""), *e;
    cr_assert_not_null(m);
    m += 8;
    e = strchr(m, '"');
    n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%.*s", n ? " " : "",
                          (int)(e - m < msg_cap ? e - m : msg_cap), m);
    p = strchr(p, '\n') + 1;
  }
  return got;
}

#define SEC INT64_C(1000000000)
#define T0 (INT64_C(1700000000) * SEC)

/* Shard 0: m1 (t0+1s) m3 (t0+3s) in one block, m5 (t0+5s) in a second
 * segment; shard 1: m2 (t0+2s), m4 and m4b both at t0+4s, m0 (t0). */
static void fleet(void) {
  static const struct core_syslog_attr a[] = {{S("zoo@1"), S("tiger"),
                                               S("hungry")}};
  struct stor_log_rec s0[] = {
      {.time_ns = T0 + SEC, .facility = 4, .severity = 3, .host = S("a"),
       .app = S("sshd"), .msg = S("m1 login failed")},
      {.time_ns = T0 + 3 * SEC, .facility = 1, .severity = 6, .host = S("a"),
       .app = S("cron"), .msg = S("m3 job ran")},
  };
  struct stor_log_rec s0b[] = {
      {.time_ns = T0 + 5 * SEC, .facility = 1, .severity = 4, .host = S("b"),
       .app = S("myapp"), .msg = S("m5 disk almost full"), .attr_count = 1,
       .attrs = a},
  };
  struct stor_log_rec s1[] = {
      {.time_ns = T0 + 2 * SEC, .facility = 4, .severity = 2, .host = S("b"),
       .app = S("sshd"), .msg = S("m2 login failed")},
      {.time_ns = T0 + 4 * SEC, .facility = 1, .severity = 6, .host = S("c"),
       .app = S("cron"), .msg = S("m4 job ran")},
      {.time_ns = T0 + 4 * SEC, .facility = 1, .severity = 7, .host = S("c"),
       .app = S("cron"), .msg = S("m4b job done")},
      {.time_ns = T0, .facility = 1, .severity = 6, .host = S("c"),
       .app = S("init"), .msg = S("m0 boot")},
  };
  put_block(0, 1, 1, s0, 2);
  put_block(0, 2, 2, s0b, 1);
  put_block(1, 1, 1, s1, 4);
}

static void fini_resp(void) { core_strbuf_free(&resp.body); }

Test(logs_query, all_oldest_first_across_shards, .fini = fini_resp) {
  fleet();
  cr_assert_eq(query(""), 200);
  cr_assert_str_eq(msgs(), "m0 boot m1 login failed m2 login failed m3 job "
                           "ran m4 job ran m4b job done m5 disk almost full");
  cr_assert_not(truncated());
  cr_assert_str_eq(resp.content_type,
                   "application/stream+json; charset=utf-8");
  cr_assert(strstr(resp.body.data, "\"zoo@1.tiger\":\"hungry\"}\n") != NULL);
}

Test(logs_query, limit_keeps_the_newest, .fini = fini_resp) {
  fleet();
  cr_assert_eq(query("limit=3"), 200);
  cr_assert_str_eq(msgs(), "m4 job ran m4b job done m5 disk almost full");
  cr_assert(truncated());
  cr_assert_eq(query("limit=2"), 200); /* a tie: the later stored wins */
  cr_assert_str_eq(msgs(), "m4b job done m5 disk almost full");
  cr_assert_eq(query("limit=7"), 200);
  cr_assert_not(truncated());
  cr_assert_eq(query("limit=1&match={app=\"sshd\"}"), 200);
  cr_assert_str_eq(msgs(), "m2 login failed");
  cr_assert(truncated());
}

Test(logs_query, match_and_contains, .fini = fini_resp) {
  fleet();
  cr_assert_eq(query("match=%7Bapp%3D~%22ssh.*%22%7D"), 200);
  cr_assert_str_eq(msgs(), "m1 login failed m2 login failed");
  cr_assert_eq(query("match={severity<=err,host!=\"a\"}"), 200);
  cr_assert_str_eq(msgs(), "m2 login failed");
  cr_assert_eq(query("match={facility=user}&contains=job"), 200);
  cr_assert_str_eq(msgs(), "m3 job ran m4 job ran m4b job done");
  cr_assert_eq(query("contains=disk+almost"), 200);
  cr_assert_str_eq(msgs(), "m5 disk almost full");
  cr_assert_eq(query("match={zoo@1.tiger=\"hungry\"}"), 200);
  cr_assert_str_eq(msgs(), "m5 disk almost full");
  cr_assert_eq(query("contains=JOB"), 200); /* case-sensitive */
  cr_assert_str_eq(msgs(), "");
  cr_assert_eq(query("match={}&contains="), 200);
  cr_assert_eq(strlen(msgs()) > 0, true);
}

Test(logs_query, time_range_is_inclusive, .fini = fini_resp) {
  fleet();
  cr_assert_eq(query("start=1700000001&end=1700000003"), 200);
  cr_assert_str_eq(msgs(), "m1 login failed m2 login failed m3 job ran");
  /* end in ms covers its whole millisecond */
  cr_assert_eq(query("start=2023-11-14T22:13:24Z&end=1700000004000"), 200);
  cr_assert_str_eq(msgs(), "m4 job ran m4b job done");
  cr_assert_eq(query("end=1699999999"), 200);
  cr_assert_str_eq(msgs(), "");
}

Test(logs_query, empty_or_missing_data_dir, .fini = fini_resp) {
  cr_assert_eq(query(""), 200);
  cr_assert_eq(resp.body.len, 0);
  snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/none");
  cr_assert_eq(query(""), 200);
  dir[strlen(dir) - 5] = '\0';
}

/* The request fails with status and the error message holds `what`. */
static void refused(const char *qs, int status, const char *what) {
  cr_assert_eq(query(qs), status, "%s: %d %s", qs, resp.status,
               resp.body.data);
  cr_assert_str_eq(resp.content_type, "application/json");
  cr_assert(strstr(resp.body.data, "{\"status\":\"error\",\"errorType\":") ==
            resp.body.data);
  cr_assert(strstr(resp.body.data, what) != NULL, "%s: %s lacks %s", qs,
            resp.body.data, what);
}

Test(logs_query, bad_parameters, .fini = fini_resp) {
  refused("limit=0", 400, "\\\"limit\\\": \\\"0\\\" is not an integer");
  refused("limit=100001", 400, "from 1 to 100000");
  refused("limit=-3", 400, "\\\"limit\\\"");
  refused("limit=1e3", 400, "\\\"limit\\\"");
  refused("start=yesterday", 400, "cannot parse \\\"yesterday\\\"");
  refused("start=1700000005&end=1700000001", 400, "must not be before");
  refused("match={host=a}", 400, "invalid parameter \\\"match\\\": {host=a}: "
                                 "parse error at position 6: expected a "
                                 "quoted string");
  refused("match={severity=~\"3\"}", 400, "severity is an integer");
  refused("match={app=~\"(\"}", 400, "bad regex for label app");
}

Test(logs_query, long_parameters, .fini = fini_resp) {
  static char qs[NET_SELECTOR_BYTES_MAX + 64];

  memcpy(qs, "contains=", 9);
  memset(qs + 9, 'x', NET_SELECTOR_BYTES_MAX + 1);
  qs[9 + NET_SELECTOR_BYTES_MAX + 1] = '\0';
  refused(qs, 400, "\\\"contains\\\": longer than 4096 bytes");
  memcpy(qs, "match=...", 9);
  refused(qs, 400, "\\\"match\\\": longer than 4096 bytes");
}

Test(logs_query, bad_block_ends_its_segment, .fini = fini_resp) {
  char path[256], name[32];
  int fd;

  fleet();
  stor_segment_name(1, name, sizeof(name));
  snprintf(path, sizeof(path), "%s/shard-1/%s", dir, name);
  fd = open(path, O_WRONLY | O_APPEND);
  cr_assert_eq(write(fd, "garbage!", 8), 8);
  close(fd);
  cr_assert_eq(query(""), 200);
  cr_assert_str_eq(msgs(), "m0 boot m1 login failed m2 login failed m3 job "
                           "ran m4 job ran m4b job done m5 disk almost full");
}

/* Many records through a small limit: the heap and the arena compaction
 * keep exactly the newest ones, whatever the stored order. */
Test(logs_query, many_records_small_limit, .fini = fini_resp) {
  enum { N = 240, PER = 40, BYTES = 2000 };
  static char text[N][BYTES];
  struct stor_log_rec r[N];
  char want[4096];
  size_t n = 0;

  for (int i = 0; i < N; i++) {
    /* times: a permutation of 0..N-1 s; the first half mostly
     * ascending (each displaces a kept line: garbage), the second
     * descending (all but the first few are refused unrendered) */
    int t = i < N / 2 ? i ^ 1 : N / 2 + (N - 1 - i);
    memset(text[i], 'x', BYTES);
    memcpy(text[i], "rec-", 4);
    text[i][4] = (char)('0' + t / 100);
    text[i][5] = (char)('0' + t / 10 % 10);
    text[i][6] = (char)('0' + t % 10);
    r[i] = (struct stor_log_rec){.time_ns = T0 + t * SEC,
                                 .msg = {text[i], BYTES}};
  }
  for (int b = 0; b < N / PER; b++)
    put_block((unsigned)b % 2, 1 + (uint64_t)b / 2, 1 + (uint64_t)b,
              r + b * PER, PER);
  /* 7 lines of 2 KB against a 64 KiB arena: compacted many times */
  cr_assert_eq(query("limit=7"), 200);
  for (int t = N - 7; t < N; t++)
    n += (size_t)snprintf(want + n, sizeof(want) - n, "%srec-%03d",
                          n ? " " : "", t);
  msg_cap = 7;
  cr_assert_str_eq(msgs(), want);
  msg_cap = 4096;
  cr_assert(truncated());
  cr_assert_eq(query("limit=100000&match={_msg=~\"rec-00[0-4].*\"}"), 200);
  msg_cap = 7;
  cr_assert_str_eq(msgs(), "rec-000 rec-001 rec-002 rec-003 rec-004");
  msg_cap = 4096;
}
