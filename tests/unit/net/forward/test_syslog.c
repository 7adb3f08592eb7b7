/*
 * tests/unit/net/forward/test_syslog.c - the RFC 5424 frames of
 * --forward-syslog: fields, NILVALUEs, microsecond timestamps, SD
 * elements and escapes, sanitised and cut header fields, octet counts.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "core/base/strbuf.h"
#include "net/forward/forward_internal.h"

static struct core_strbuf out, line;

static void setup(void) {
  core_strbuf_init(&out, 1 << 20);
  core_strbuf_init(&line, 1 << 20);
}

static void teardown(void) {
  core_strbuf_free(&out);
  core_strbuf_free(&line);
}

TestSuite(syslog_frame, .init = setup, .fini = teardown);

static const char *frame(const struct stor_log_rec *r) {
  out.len = 0;
  cr_assert_eq(net_fwd_syslog_frame(&out, &line, r), 0);
  core_strbuf_append(&out, "", 1);
  return out.data;
}

Test(syslog_frame, every_field) {
  static const char sd[] = "zoo@123";
  struct core_syslog_attr a[3] = {{{sd, 7}, {"tiger", 5}, {"hun]g\"r\\y", 9}},
                                  {{sd, 7}, {"eats", 4}, {"meat", 4}},
                                  {{"ex@1", 4}, {"", 0}, {"", 0}}};
  struct stor_log_rec r = {.time_ns = 1700000000123456789,
                           .facility = 20, .severity = 5,
                           .host = {"web1", 4}, .app = {"myapp", 5},
                           .procid = {"42", 2}, .msgid = {"ID7", 3},
                           .msg = {"disk full", 9}, .attr_count = 3,
                           .attrs = a};
  const char *want = "<165>1 2023-11-14T22:13:20.123456Z web1 myapp 42 ID7 "
                     "[zoo@123 tiger=\"hun\\]g\\\"r\\\\y\" eats=\"meat\"]"
                     "[ex@1] disk full";
  char full[512];

  snprintf(full, sizeof(full), "%zu %s", strlen(want), want);
  cr_assert_str_eq(frame(&r), full);
}

Test(syslog_frame, nil_values_and_no_message) {
  struct stor_log_rec r = {.time_ns = 0, .facility = 1, .severity = 6};

  cr_assert_str_eq(frame(&r), "43 <14>1 1970-01-01T00:00:00.000000Z - - - - -");
}

Test(syslog_frame, header_fields_are_sanitised_and_cut) {
  char host[400];
  struct stor_log_rec r = {.time_ns = 0, .severity = 7,
                           .app = {"my app\x01\xc3\xa9", 9}};
  const char *f;

  memset(host, 'h', sizeof(host));
  r.host = (struct core_syslog_str){host, sizeof(host)};
  f = frame(&r);
  cr_assert(strstr(f, " my_app___ ") != NULL, "%s", f);
  const char *h = strstr(f, "Z ") + 2;
  cr_assert_eq(strcspn(h, " "), 255, "HOSTNAME cut at 255");
}

Test(syslog_frame, frames_follow_each_other) {
  struct stor_log_rec r = {.msg = {"a", 1}};

  const char *one = "<0>1 1970-01-01T00:00:00.000000Z - - - - - a";
  size_t n = strlen(one);

  cr_assert_eq(n, 44);
  out.len = 0;
  cr_assert_eq(net_fwd_syslog_frame(&out, &line, &r), 0);
  cr_assert_eq(net_fwd_syslog_frame(&out, &line, &r), 0);
  cr_assert_eq(out.len, 2 * (3 + n));
  cr_assert(memcmp(out.data, "44 ", 3) == 0);
  cr_assert(memcmp(out.data + 3, one, n) == 0);
  cr_assert(memcmp(out.data + 3 + n, "44 ", 3) == 0);
  cr_assert(memcmp(out.data + 6 + n, one, n) == 0);
}
