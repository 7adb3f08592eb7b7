/*
 * tests/unit/core/parse/test_statsd.c - the StatsD / DogStatsD line parser.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/base/limits.h"
#include "core/parse/statsd.h"
#include "simd/simd.h"

static struct core_statsd_msg msg;

/* Parse a C string (its length is the line length). */
static enum core_statsd_err parse(const char *s) {
  return core_statsd_parse_line(s, strlen(s), &msg);
}

/* Parse and require success. */
static void ok(const char *s) {
  enum core_statsd_err err = parse(s);
  cr_assert_eq(err, CORE_STATSD_OK, "\"%s\": %s", s,
               core_statsd_reason_name(err));
}

/* Parse and require the reason `want`. */
static void bad(const char *s, enum core_statsd_err want) {
  enum core_statsd_err err = parse(s);
  cr_assert_eq(err, want, "\"%s\": got %s, want %s", s,
               core_statsd_reason_name(err), core_statsd_reason_name(want));
}

/* Both parsers (SIMD and scalar twin) give the reason `want`. */
static void both(const char *s, enum core_statsd_err want) {
  enum core_statsd_err a = core_statsd_parse_line(s, strlen(s), &msg);
  enum core_statsd_err b = core_statsd_parse_line_scalar(s, strlen(s), &msg);
  cr_assert(a == want && b == want, "\"%s\": got %s (scalar %s), want %s", s,
            core_statsd_reason_name(a), core_statsd_reason_name(b),
            core_statsd_reason_name(want));
}

static void name_is(const char *want) {
  cr_assert_eq(msg.name_len, strlen(want));
  cr_assert(memcmp(msg.name, want, msg.name_len) == 0, "name %.*s",
            (int)msg.name_len, msg.name);
}

static void tag_is(uint32_t i, const char *key, const char *val) {
  cr_assert_lt(i, msg.tag_count);
  cr_assert_eq(msg.tags[i].key_len, strlen(key));
  cr_assert(memcmp(msg.tags[i].key, key, strlen(key)) == 0);
  if (val == NULL) {
    cr_assert_null(msg.tags[i].val);
    cr_assert_eq(msg.tags[i].val_len, 0);
    return;
  }
  cr_assert_not_null(msg.tags[i].val);
  cr_assert_eq(msg.tags[i].val_len, strlen(val), "tag %u val len %u", i,
               msg.tags[i].val_len);
  cr_assert(memcmp(msg.tags[i].val, val, strlen(val)) == 0);
}

static void member_is(uint32_t i, const char *want) {
  cr_assert_lt(i, msg.value_count);
  cr_assert_eq(msg.members[i].len, strlen(want));
  cr_assert(memcmp(msg.members[i].ptr, want, strlen(want)) == 0);
}

/* ---- metric types ------------------------------------------------------ */

Test(statsd, counter) {
  ok("web.request.count:1|c");
  cr_assert_eq(msg.kind, CORE_STATSD_METRIC);
  cr_assert_eq(msg.type, CORE_STATSD_COUNTER);
  name_is("web.request.count");
  cr_assert_eq(msg.value_count, 1);
  cr_assert_eq(msg.values[0], 1.0);
  cr_assert_eq(msg.sample_rate, 1.0);
  cr_assert_eq(msg.tag_count, 0);
  cr_assert_null(msg.container);
  cr_assert_eq(msg.has_timestamp, 0);
  cr_assert_eq(msg.delta_mask, 0);
}

Test(statsd, every_type) {
  static const struct {
    const char *line;
    enum core_statsd_type type;
    const char *label;
  } cases[] = {
      {"a:1|c", CORE_STATSD_COUNTER, "counter"},
      {"a:1|g", CORE_STATSD_GAUGE, "gauge"},
      {"a:1|ms", CORE_STATSD_TIMER, "timer"},
      {"a:1|h", CORE_STATSD_HISTOGRAM, "histogram"},
      {"a:1|d", CORE_STATSD_DISTRIBUTION, "distribution"},
      {"a:1|s", CORE_STATSD_SET, "set"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    ok(cases[i].line);
    cr_assert_eq(msg.type, cases[i].type, "%s", cases[i].line);
    cr_assert_str_eq(core_statsd_type_name(msg.type), cases[i].label);
  }
  cr_assert_str_eq(core_statsd_type_name(CORE_STATSD_TYPE_COUNT), "unknown");
}

Test(statsd, values_decimal_and_exponent) {
  static const struct {
    const char *line;
    double want;
  } cases[] = {
      {"a:0|ms", 0.0},          {"a:42|ms", 42.0},
      {"a:-3|ms", -3.0},        {"a:+3|ms", 3.0},
      {"a:3.25|ms", 3.25},      {"a:.5|ms", 0.5},
      {"a:5.|ms", 5.0},         {"a:1e3|ms", 1000.0},
      {"a:1E-3|ms", 1e-3},      {"a:2.5e+2|ms", 250.0},
      {"a:0.1|ms", 0.1},        {"a:123456789.123456789|ms", 123456789.123456789},
      {"a:1e-400|ms", 0.0},     {"a:12345678901234567890123|ms", 12345678901234567890123.0},
      {"a:1.7976931348623157e308|ms", 1.7976931348623157e308},
      {"a:4.9e-324|ms", 4.9e-324},
      {"a:0.30000000000000004|ms", 0.30000000000000004},
      {"a:9007199254740993|ms", 9007199254740993.0},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    ok(cases[i].line);
    cr_assert_eq(msg.value_count, 1);
    cr_assert_eq(msg.values[0], cases[i].want, "%s: %.17g", cases[i].line,
                 msg.values[0]);
  }
}

/* The fast path must round exactly as strtod does. */
Test(statsd, values_match_strtod) {
  static const char *const nums[] = {
      "0.1", "0.2", "0.3", "1.1", "2.675", "1234.5678", "0.000001",
      "9007199254740992", "9007199254740991.5", "123456789012345678",
      "1e22", "1e23", "1.5e-22", "3.14159265358979", "99.99", "-0.0",
  };
  char line[128];
  for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
    snprintf(line, sizeof(line), "x:%s|h", nums[i]);
    ok(line);
    double want = strtod(nums[i], NULL);
    cr_assert(memcmp(&msg.values[0], &want, sizeof(want)) == 0,
              "%s: %.17g != %.17g", nums[i], msg.values[0], want);
  }
}

/* Digit runs of every length, on both sides of the point: each must round
 * as strtod does, across the eight-byte steps of the scanner. */
Test(statsd, digit_runs_of_every_length) {
  char num[64], line[96];
  for (int ni = 0; ni <= 20; ni++) {
    for (int nf = 0; nf <= 20; nf++) {
      size_t n = 0;
      if (ni + nf == 0)
        continue;
      for (int i = 0; i < ni; i++)
        num[n++] = (char)('1' + (i * 7) % 9);
      if (nf) {
        num[n++] = '.';
        for (int i = 0; i < nf; i++)
          num[n++] = (char)('0' + (i * 3) % 10);
      }
      num[n] = '\0';
      snprintf(line, sizeof(line), "x:%s|d", num);
      ok(line);
      double want = strtod(num, NULL);
      cr_assert(memcmp(&msg.values[0], &want, sizeof(want)) == 0,
                "%s: %.17g != %.17g", num, msg.values[0], want);
    }
  }
}

/* A rate ends the line: every length of tail after the last full word. */
Test(statsd, rate_at_line_end) {
  static const char *const rates[] = {"1", "0.5", "0.25", "0.125", "0.0625",
                                      "0.03125", "0.015625", "0.0078125"};
  char line[64];
  for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
    for (int pad = 1; pad <= 8; pad++) {
      snprintf(line, sizeof(line), "%.*s:1|c|@%s", pad, "abcdefgh", rates[i]);
      ok(line);
      cr_assert_eq(msg.sample_rate, strtod(rates[i], NULL), "%s", line);
    }
  }
}

Test(statsd, set_members_are_strings) {
  ok("users.unique:alice|s");
  cr_assert_eq(msg.type, CORE_STATSD_SET);
  cr_assert_eq(msg.value_count, 1);
  member_is(0, "alice");
  ok("users.unique:1e5|s");
  member_is(0, "1e5");
  ok("users.unique:a b@c#d,e|s|#k:v");
  member_is(0, "a b@c#d,e");
  tag_is(0, "k", "v");
}

/* ---- gauges -------------------------------------------------------------- */

Test(statsd, gauge_absolute_and_deltas) {
  ok("g:10|g");
  cr_assert_eq(msg.values[0], 10.0);
  cr_assert_eq(msg.delta_mask, 0);
  ok("g:+4|g");
  cr_assert_eq(msg.values[0], 4.0);
  cr_assert_eq(msg.delta_mask, 1);
  ok("g:-5|g");
  cr_assert_eq(msg.values[0], -5.0);
  cr_assert_eq(msg.delta_mask, 1);
  ok("g:-5|c");
  cr_assert_eq(msg.values[0], -5.0);
  cr_assert_eq(msg.delta_mask, 0, "only gauges have deltas");
}

Test(statsd, packed_gauge_deltas) {
  ok("g:1:+2:-3:4|g");
  cr_assert_eq(msg.value_count, 4);
  cr_assert_eq(msg.values[0], 1.0);
  cr_assert_eq(msg.values[1], 2.0);
  cr_assert_eq(msg.values[2], -3.0);
  cr_assert_eq(msg.values[3], 4.0);
  cr_assert_eq(msg.delta_mask, 0x6);
}

/* ---- DogStatsD 1.1 packing ------------------------------------------------ */

Test(statsd, packed_values) {
  ok("lat:1:2.5:3|h|#env:prod");
  cr_assert_eq(msg.type, CORE_STATSD_HISTOGRAM);
  cr_assert_eq(msg.value_count, 3);
  cr_assert_eq(msg.values[0], 1.0);
  cr_assert_eq(msg.values[1], 2.5);
  cr_assert_eq(msg.values[2], 3.0);
  tag_is(0, "env", "prod");
}

Test(statsd, packed_members) {
  ok("s:a:b:c|s");
  cr_assert_eq(msg.value_count, 3);
  member_is(0, "a");
  member_is(1, "b");
  member_is(2, "c");
  bad("s:a::c|s", CORE_STATSD_ERR_BAD_VALUE);
  bad("s:a:|s", CORE_STATSD_ERR_BAD_VALUE);
}

Test(statsd, values_max_and_too_many) {
  char line[1024];
  size_t n = (size_t)snprintf(line, sizeof(line), "v:");
  for (int i = 0; i < CORE_STATSD_VALUES_MAX; i++)
    n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%d", i ? ":" : "", i);
  snprintf(line + n, sizeof(line) - n, "|d");
  ok(line);
  cr_assert_eq(msg.value_count, CORE_STATSD_VALUES_MAX);
  cr_assert_eq(msg.values[CORE_STATSD_VALUES_MAX - 1],
               CORE_STATSD_VALUES_MAX - 1);
  snprintf(line + n, sizeof(line) - n, ":7|d");
  bad(line, CORE_STATSD_ERR_TOO_MANY_VALUES);
  snprintf(line + n, sizeof(line) - n, ":7|s");
  bad(line, CORE_STATSD_ERR_TOO_MANY_VALUES);
  snprintf(line + n, sizeof(line) - n, ":+7|g");
  bad(line, CORE_STATSD_ERR_TOO_MANY_VALUES);
}

Test(statsd, delta_mask_high_bit) {
  char line[1024];
  size_t n = (size_t)snprintf(line, sizeof(line), "v:");
  for (int i = 0; i < CORE_STATSD_VALUES_MAX; i++)
    n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s", i ? ":" : "",
                          i == CORE_STATSD_VALUES_MAX - 1 ? "-1" : "1");
  snprintf(line + n, sizeof(line) - n, "|g");
  ok(line);
  cr_assert_eq(msg.delta_mask, UINT64_C(1) << (CORE_STATSD_VALUES_MAX - 1));
}

/* ---- rates --------------------------------------------------------------- */

Test(statsd, rates) {
  ok("c:1|c|@0.1");
  cr_assert_eq(msg.sample_rate, 0.1);
  ok("c:1|c|@1");
  cr_assert_eq(msg.sample_rate, 1.0);
  ok("c:1|c|@1.0");
  cr_assert_eq(msg.sample_rate, 1.0);
  ok("t:3|ms|@.25");
  cr_assert_eq(msg.sample_rate, 0.25);
  ok("c:1|c|@1e-3");
  cr_assert_eq(msg.sample_rate, 1e-3);
}

Test(statsd, bad_rates) {
  bad("c:1|c|@0", CORE_STATSD_ERR_BAD_RATE);
  bad("c:1|c|@0.0", CORE_STATSD_ERR_BAD_RATE);
  bad("c:1|c|@-0", CORE_STATSD_ERR_BAD_RATE);
  bad("c:1|c|@1.5", CORE_STATSD_ERR_BAD_RATE);
  bad("c:1|c|@2", CORE_STATSD_ERR_BAD_RATE);
  bad("c:1|c|@-0.5", CORE_STATSD_ERR_BAD_RATE);
  bad("c:1|c|@x", CORE_STATSD_ERR_BAD_RATE);
  bad("c:1|c|@", CORE_STATSD_ERR_BAD_RATE);
  bad("c:1|c|@0.5x", CORE_STATSD_ERR_BAD_RATE);
  bad("c:1|c|@nan", CORE_STATSD_ERR_BAD_RATE);
  bad("c:1|c|@1e999", CORE_STATSD_ERR_BAD_RATE);
  bad("c:1|c|@ 0.5", CORE_STATSD_ERR_BAD_RATE);
}

/* A rate whose 1/rate overflows is refused: a counter's stored value and
 * a timer's __weight__ would be +Inf. The smallest rate is DBL_MIN. */
Test(statsd, subnormal_rates) {
  both("x:1|c|@1e-320", CORE_STATSD_ERR_BAD_RATE);
  both("t:5|ms|@1e-320", CORE_STATSD_ERR_BAD_RATE);
  both("t:5|h|@4.9e-324", CORE_STATSD_ERR_BAD_RATE); /* least subnormal */
  both("x:1|c|@2.2250738585072009e-308", CORE_STATSD_ERR_BAD_RATE);
  both("x:1|c|@1e-400", CORE_STATSD_ERR_BAD_RATE);  /* underflows to 0 */
  both("g:1|g|@1e-320", CORE_STATSD_ERR_BAD_RATE);  /* whatever the type */
  both("x:1|c|#a:b|@1e-310", CORE_STATSD_ERR_BAD_RATE);
  both("x:1|c|@2.2250738585072014e-308", CORE_STATSD_OK); /* DBL_MIN */
  cr_assert_eq(msg.sample_rate, CORE_STATSD_RATE_MIN);
  cr_assert(isfinite(1.0 / msg.sample_rate));
  both("t:5|ms|@2.2250738585072014e-308", CORE_STATSD_OK);
}

/* A counter stores value / rate: a line where that overflows is refused
 * as bad_value, checked after every field (the rate may come last). */
Test(statsd, counter_scaled_past_dbl_max) {
  both("x:1e308|c|@0.1", CORE_STATSD_ERR_BAD_VALUE);
  both("x:-1e308|c|@0.5", CORE_STATSD_ERR_BAD_VALUE);
  both("x:1e308|c|#k:v|@0.5", CORE_STATSD_ERR_BAD_VALUE);
  both("x:1:2:1e308|c|@0.5", CORE_STATSD_ERR_BAD_VALUE);
  both("x:4|c|@2.2250738585072014e-308", CORE_STATSD_ERR_BAD_VALUE);
  both("x:1e10|c|@1e-300", CORE_STATSD_ERR_BAD_VALUE);
  both("x:1e308|c|@0.1|Tabc", CORE_STATSD_ERR_BAD_TIMESTAMP); /* fields first */
  both("x:1e308|c|@0.1|#", CORE_STATSD_ERR_BAD_TAGS);
  both("x:1e308|c|@0.1|#a\x01", CORE_STATSD_ERR_BAD_BYTE);
  both("x:1e308|c|@1", CORE_STATSD_OK);   /* not scaled */
  both("x:1e308|c|@0.6", CORE_STATSD_OK);  /* 1.67e308 < DBL_MAX */
  both("x:1.7976931348623157e308|c", CORE_STATSD_OK);
  both("g:1e308|g|@0.1", CORE_STATSD_OK); /* gauges, timers, ... not scaled */
  both("t:1e308|ms|@0.1", CORE_STATSD_OK);
  both("h:1e308|h|@1e-300", CORE_STATSD_OK);
  both("x:2|c|@2.2250738585072014e-308", CORE_STATSD_OK);
  cr_assert(isfinite(core_statsd_counter_value(&msg, 0)));
  both("x:0|c|@2.2250738585072014e-308", CORE_STATSD_OK);
  both("x:1e-300|c|@1e-300", CORE_STATSD_OK);
  cr_assert_eq(core_statsd_counter_value(&msg, 0), 1.0);
}

/* ---- tags ---------------------------------------------------------------- */

Test(statsd, tags) {
  ok("web.request.latency:12|ms|#env:prod,region:us-east-1,canary");
  cr_assert_eq(msg.tag_count, 3);
  tag_is(0, "env", "prod");
  tag_is(1, "region", "us-east-1");
  tag_is(2, "canary", NULL);
}

Test(statsd, tag_values_with_colons) {
  ok("a:1|c|#url:http://x:8080/p,t:a:b:c");
  cr_assert_eq(msg.tag_count, 2);
  tag_is(0, "url", "http://x:8080/p");
  tag_is(1, "t", "a:b:c");
}

Test(statsd, bare_and_empty_valued_tags) {
  ok("a:1|c|#solo");
  cr_assert_eq(msg.tag_count, 1);
  tag_is(0, "solo", NULL);
  ok("a:1|c|#k:");
  tag_is(0, "k", "");
}

Test(statsd, tags_with_odd_bytes) {
  ok("a:1|c|#path:/a b/@c#d,caf\xc3\xa9:\xe2\x82\xac");
  cr_assert_eq(msg.tag_count, 2);
  tag_is(0, "path", "/a b/@c#d");
  tag_is(1, "caf\xc3\xa9", "\xe2\x82\xac");
}

/* Tags ending at every offset within the scanner's eight-byte steps. */
Test(statsd, tag_lengths_across_words) {
  static const char letters[] = "abcdefghijklmnopqrstuvwxyz";
  char line[96];
  for (int kl = 1; kl <= 17; kl++) {
    for (int vl = 0; vl <= 17; vl++) {
      snprintf(line, sizeof(line), "n:1|c|#%.*s:%.*s,z", kl, letters, vl,
               letters + 3);
      ok(line);
      cr_assert_eq(msg.tag_count, 2);
      cr_assert_eq(msg.tags[0].key_len, (uint32_t)kl, "%s", line);
      cr_assert_eq(msg.tags[0].val_len, (uint32_t)vl, "%s", line);
      tag_is(1, "z", NULL);
      snprintf(line, sizeof(line), "n:1|c|#%.*s:%.*s", kl, letters, vl,
               letters + 3);
      ok(line);
      cr_assert_eq(msg.tag_count, 1);
      cr_assert_eq(msg.tags[0].val_len, (uint32_t)vl, "%s", line);
    }
  }
}

Test(statsd, many_tags) {
  char line[2048];
  size_t n = (size_t)snprintf(line, sizeof(line), "m:1|c|#");
  for (int i = 0; i < CORE_STATSD_TAGS_MAX; i++)
    n += (size_t)snprintf(line + n, sizeof(line) - n, "%sk%d:v%d",
                          i ? "," : "", i, i);
  ok(line);
  cr_assert_eq(msg.tag_count, CORE_STATSD_TAGS_MAX);
  tag_is(CORE_STATSD_TAGS_MAX - 1, "k63", "v63");
  snprintf(line + n, sizeof(line) - n, ",one_more");
  bad(line, CORE_STATSD_ERR_TOO_MANY_TAGS);
}

Test(statsd, bad_tags) {
  bad("a:1|c|#", CORE_STATSD_ERR_BAD_TAGS);
  bad("a:1|c|#k:v,", CORE_STATSD_ERR_BAD_TAGS);
  bad("a:1|c|#,k:v", CORE_STATSD_ERR_BAD_TAGS);
  bad("a:1|c|#k:v,,j", CORE_STATSD_ERR_BAD_TAGS);
  bad("a:1|c|#:v", CORE_STATSD_ERR_BAD_TAGS);
  bad("a:1|c|#k:v|", CORE_STATSD_ERR_BAD_FIELD);
}

/* ---- container, timestamp, field order ----------------------------------- */

Test(statsd, container) {
  ok("a:1|c|c:abc123def");
  cr_assert_eq(msg.container_len, 9);
  cr_assert(memcmp(msg.container, "abc123def", 9) == 0);
  ok("a:1|c|c:ci-0123:with:colons");
  cr_assert_eq(msg.container_len, 19);
  bad("a:1|c|c:", CORE_STATSD_ERR_BAD_FIELD);
  bad("a:1|c|c", CORE_STATSD_ERR_BAD_FIELD);
  bad("a:1|c|cx", CORE_STATSD_ERR_BAD_FIELD);
}

Test(statsd, timestamp) {
  ok("a:1|g|T1656581400");
  cr_assert_eq(msg.has_timestamp, 1);
  cr_assert_eq(msg.timestamp_s, 1656581400);
  ok("a:1|g|T0");
  cr_assert_eq(msg.timestamp_s, 0);
  ok("a:1|g|T999999999999999999");
  cr_assert_eq(msg.timestamp_s, INT64_C(999999999999999999));
  bad("a:1|g|T", CORE_STATSD_ERR_BAD_TIMESTAMP);
  bad("a:1|g|Tx", CORE_STATSD_ERR_BAD_TIMESTAMP);
  bad("a:1|g|T-5", CORE_STATSD_ERR_BAD_TIMESTAMP);
  bad("a:1|g|T+5", CORE_STATSD_ERR_BAD_TIMESTAMP);
  bad("a:1|g|T12x", CORE_STATSD_ERR_BAD_TIMESTAMP);
  bad("a:1|g|T1.5", CORE_STATSD_ERR_BAD_TIMESTAMP);
  bad("a:1|g|T9999999999999999999", CORE_STATSD_ERR_BAD_TIMESTAMP);
}

static void all_fields_are_set(void) {
  cr_assert_eq(msg.type, CORE_STATSD_COUNTER);
  cr_assert_eq(msg.values[0], 3.0);
  cr_assert_eq(msg.sample_rate, 0.5);
  cr_assert_eq(msg.tag_count, 2);
  tag_is(0, "a", "b");
  tag_is(1, "c", NULL);
  cr_assert_eq(msg.container_len, 3);
  cr_assert(memcmp(msg.container, "cid", 3) == 0);
  cr_assert_eq(msg.timestamp_s, 1700000000);
}

Test(statsd, fields_in_any_order) {
  static const char *const lines[] = {
      "x:3|c|@0.5|#a:b,c|c:cid|T1700000000",
      "x:3|c|T1700000000|c:cid|#a:b,c|@0.5",
      "x:3|c|#a:b,c|T1700000000|@0.5|c:cid",
      "x:3|c|c:cid|@0.5|T1700000000|#a:b,c",
  };
  for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
    ok(lines[i]);
    all_fields_are_set();
  }
}

Test(statsd, repeated_or_unknown_fields) {
  bad("x:1|c|@0.5|@0.5", CORE_STATSD_ERR_BAD_FIELD);
  bad("x:1|c|#a|#b", CORE_STATSD_ERR_BAD_FIELD);
  bad("x:1|c|T1|T2", CORE_STATSD_ERR_BAD_FIELD);
  bad("x:1|c|c:a|c:b", CORE_STATSD_ERR_BAD_FIELD);
  bad("x:1|c|z", CORE_STATSD_ERR_BAD_FIELD);
  bad("x:1|c|", CORE_STATSD_ERR_BAD_FIELD);
  bad("x:1|c||#a", CORE_STATSD_ERR_BAD_FIELD);
}

/* ---- names --------------------------------------------------------------- */

Test(statsd, name_bytes) {
  ok("svc/api-v2_x.y z:1|c");
  name_is("svc/api-v2_x.y z");
  ok("caf\xc3\xa9.\xff\x80:1|c");
  name_is("caf\xc3\xa9.\xff\x80");
  ok("a,b=c!~*'(){}[]:1|c");
  name_is("a,b=c!~*'(){}[]");
  bad("a@b:1|c", CORE_STATSD_ERR_BAD_NAME);
  bad("a#b:1|c", CORE_STATSD_ERR_BAD_NAME);
  cr_assert_str_eq(core_statsd_reason_name(CORE_STATSD_ERR_BAD_NAME),
                   "bad_name");
}

Test(statsd, name_length_bound) {
  static char line[CORE_STATSD_NAME_BYTES_MAX + 16];
  memset(line, 'n', CORE_STATSD_NAME_BYTES_MAX);
  memcpy(line + CORE_STATSD_NAME_BYTES_MAX, ":1|c", 5);
  ok(line);
  cr_assert_eq(msg.name_len, CORE_STATSD_NAME_BYTES_MAX);
  memset(line, 'n', CORE_STATSD_NAME_BYTES_MAX + 1);
  memcpy(line + CORE_STATSD_NAME_BYTES_MAX + 1, ":1|c", 5);
  bad(line, CORE_STATSD_ERR_NAME_TOO_LONG);
}

Test(statsd, line_too_long) {
  static char line[CORE_LINE_BYTES_MAX_LIMIT + 2];
  memset(line, 'a', sizeof(line));
  memcpy(line, "n:1|c|#k:", 9);
  cr_assert_eq(core_statsd_parse_line(line, CORE_LINE_BYTES_MAX_LIMIT, &msg),
               CORE_STATSD_OK);
  cr_assert_eq(core_statsd_parse_line(line, CORE_LINE_BYTES_MAX_LIMIT + 1,
                                      &msg),
               CORE_STATSD_ERR_LINE_TOO_LONG);
  /* one final '\r' is the line's end, not counted against the bound */
  line[CORE_LINE_BYTES_MAX_LIMIT] = '\r';
  cr_assert_eq(core_statsd_parse_line(line, CORE_LINE_BYTES_MAX_LIMIT + 1,
                                      &msg),
               CORE_STATSD_OK);
  cr_assert_eq(core_statsd_parse_line_scalar(
                   line, CORE_LINE_BYTES_MAX_LIMIT + 1, &msg),
               CORE_STATSD_OK);
  line[CORE_LINE_BYTES_MAX_LIMIT + 1] = '\r';
  cr_assert_eq(core_statsd_parse_line(line, CORE_LINE_BYTES_MAX_LIMIT + 2,
                                      &msg),
               CORE_STATSD_ERR_LINE_TOO_LONG);
  cr_assert_str_eq(core_statsd_reason_name(CORE_STATSD_ERR_LINE_TOO_LONG),
                   "line_too_long");
}

/* ---- malformed metrics ---------------------------------------------------- */

Test(statsd, structure_errors) {
  bad("", CORE_STATSD_ERR_EMPTY_NAME);
  bad(":1|c", CORE_STATSD_ERR_EMPTY_NAME);
  bad("|c", CORE_STATSD_ERR_EMPTY_NAME);
  bad("name", CORE_STATSD_ERR_NO_VALUE);
  bad("name|c", CORE_STATSD_ERR_NO_VALUE);
  bad("name:|c", CORE_STATSD_ERR_NO_VALUE);
  bad("name:|s", CORE_STATSD_ERR_NO_VALUE);
  bad("name:1", CORE_STATSD_ERR_NO_TYPE);
  bad("name:1|", CORE_STATSD_ERR_NO_TYPE);
  bad("name:1||#a", CORE_STATSD_ERR_NO_TYPE);
  bad("name:abc", CORE_STATSD_ERR_NO_TYPE);
  bad("name:1|x", CORE_STATSD_ERR_BAD_TYPE);
  bad("name:1|cc", CORE_STATSD_ERR_BAD_TYPE);
  bad("name:1|m", CORE_STATSD_ERR_BAD_TYPE);
  bad("name:1|mss", CORE_STATSD_ERR_BAD_TYPE);
  bad("name:1|C", CORE_STATSD_ERR_BAD_TYPE);
  bad("name:1|#a:b", CORE_STATSD_ERR_BAD_TYPE);
  bad("name:abc|x", CORE_STATSD_ERR_BAD_TYPE);
  bad("name:1|c:abc", CORE_STATSD_ERR_BAD_TYPE);
}

Test(statsd, bad_values) {
  static const char *const lines[] = {
      "a:1e999|c", "a:-1e999|g", "a:nan|c", "a:NaN|g", "a:inf|c",
      "a:-inf|h",  "a:Infinity|d", "a:0x10|c", "a: 1|c",
      "a:1 |c",    "a:1x|c",  "a:.|c",    "a:-|g",   "a:+|g",
      "a:1e|c",    "a:1e+|c", "a:1.2.3|c", "a:1::2|c", "a:1:|c",
      "a::1|c",    "a:--1|g", "a:1,5|c",  "a:1_000|c",
  };
  for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
    bad(lines[i], CORE_STATSD_ERR_BAD_VALUE);
}

Test(statsd, long_number_tokens) {
  char line[512];
  /* 0.1 written out exactly: long, but within the token bound. */
  ok("a:0.1000000000000000055511151231257827021181583404541015625|h");
  cr_assert_eq(msg.values[0], 0.1);
  snprintf(line, sizeof(line), "a:0.%0*d1|h", CORE_STATSD_NUMBER_BYTES_MAX, 0);
  bad(line, CORE_STATSD_ERR_BAD_VALUE);
}

/* ---- bytes --------------------------------------------------------------- */

Test(statsd, nul_and_control_bytes) {
  static const char nul_in_name[] = "a\0b:1|c";
  static const char nul_in_value[] = "a:1\0|c";
  static const char nul_in_tag[] = "a:1|c|#k:v\0";
  cr_assert_eq(core_statsd_parse_line(nul_in_name, sizeof(nul_in_name) - 1,
                                      &msg),
               CORE_STATSD_ERR_BAD_BYTE);
  cr_assert_eq(core_statsd_parse_line(nul_in_value, sizeof(nul_in_value) - 1,
                                      &msg),
               CORE_STATSD_ERR_BAD_BYTE);
  cr_assert_eq(core_statsd_parse_line(nul_in_tag, sizeof(nul_in_tag) - 1,
                                      &msg),
               CORE_STATSD_ERR_BAD_BYTE);
  bad("a\tb:1|c", CORE_STATSD_ERR_BAD_BYTE);
  bad("a:1|c|#k:v\tw", CORE_STATSD_ERR_BAD_BYTE);
  bad("a:1|c|#k\x01:v", CORE_STATSD_ERR_BAD_BYTE);
  bad("a:x\x1fy|s", CORE_STATSD_ERR_BAD_BYTE);
  bad("a:1|c|c:id\x7f", CORE_STATSD_ERR_BAD_BYTE);
  bad("a:1|c\n", CORE_STATSD_ERR_BAD_BYTE);
  bad("a\x7f:1|c", CORE_STATSD_ERR_BAD_BYTE);
  bad("_e{1,1}:\x01|b", CORE_STATSD_ERR_BAD_BYTE);
  bad("_sc|c\x02|0", CORE_STATSD_ERR_BAD_BYTE);
  cr_assert_str_eq(core_statsd_reason_name(CORE_STATSD_ERR_BAD_BYTE),
                   "bad_byte");
}

Test(statsd, trailing_cr) {
  ok("a:1|c\r");
  name_is("a");
  cr_assert_eq(msg.type, CORE_STATSD_COUNTER);
  ok("a:1|c|#k:v\r");
  tag_is(0, "k", "v");
  ok("s:m|s\r");
  member_is(0, "m");
  bad("a:1|c\r\r", CORE_STATSD_ERR_BAD_BYTE);
  bad("a:1\r|c", CORE_STATSD_ERR_BAD_BYTE);
  bad("\r", CORE_STATSD_ERR_EMPTY_NAME);
  both("a:1|c|#k:v\r\r", CORE_STATSD_ERR_BAD_BYTE);
  both("\ra:1|c", CORE_STATSD_ERR_BAD_BYTE);
  both("\r\r", CORE_STATSD_ERR_BAD_BYTE);
}

/* What a batch reports, line by line (at most 8 lines). */
struct lines_seen {
  size_t n;
  enum core_statsd_err err[8];
};

static struct core_statsd_msg *on_line(void *ctx, enum core_statsd_err err,
                    const struct core_statsd_msg *m) {
  struct lines_seen *l = ctx;
  (void)m;
  cr_assert_lt(l->n, 8);
  l->err[l->n++] = err;
  return NULL;
}

static struct lines_seen batch(const char *buf, size_t len, uint32_t max) {
  struct lines_seen l = {0};
  core_statsd_parse_buf(buf, len, max, &msg, on_line, &l);
  return l;
}

/* The batch parser takes one '\r' as a line's end, like the line parser:
 * "\r\n" ends a line, "\r\r\n" leaves a '\r' in it (bad_byte), a lone
 * '\r' mid-line is a bad byte; at the bound, the '\r' is not counted. */
Test(statsd, batch_cr_rules) {
  static const struct {
    const char *buf;
    size_t n;
    enum core_statsd_err err[3];
  } cases[] = {
      {"a:1|c\r\nb:2|c\r\n", 2, {CORE_STATSD_OK, CORE_STATSD_OK}},
      {"a:1|c\r\r\nb:2|c", 2, {CORE_STATSD_ERR_BAD_BYTE, CORE_STATSD_OK}},
      {"a:1|c\r\r", 1, {CORE_STATSD_ERR_BAD_BYTE}},
      {"a:1|c\r", 1, {CORE_STATSD_OK}},
      {"a:1\r|c\nb:2|c\r", 2, {CORE_STATSD_ERR_BAD_BYTE, CORE_STATSD_OK}},
      {"\r\n\r\r\nb:2|c", 2, {CORE_STATSD_ERR_BAD_BYTE, CORE_STATSD_OK}},
      {"\r\n\r", 0, {0}},
  };
  for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
    struct lines_seen l = batch(cases[c].buf, strlen(cases[c].buf),
                                CORE_LINE_BYTES_MAX_DEFAULT);
    cr_assert_eq(l.n, cases[c].n, "case %zu: %zu lines", c, l.n);
    for (size_t i = 0; i < l.n; i++)
      cr_assert_eq(l.err[i], cases[c].err[i], "case %zu line %zu: %s", c, i,
                   core_statsd_reason_name(l.err[i]));
  }
}

/* A line of exactly the bound, then its ends: "\n", "\r\n", "\r\r\n". */
Test(statsd, batch_cr_at_the_bound) {
  static char buf[CORE_LINE_BYTES_MAX_DEFAULT + 8];
  const size_t k = CORE_LINE_BYTES_MAX_DEFAULT;
  static const struct {
    const char *end;
    size_t body; /* line bytes before end */
    enum core_statsd_err err;
  } cases[] = {
      {"\n", CORE_LINE_BYTES_MAX_DEFAULT, CORE_STATSD_OK},
      {"\r\n", CORE_LINE_BYTES_MAX_DEFAULT, CORE_STATSD_OK},
      {"\r", CORE_LINE_BYTES_MAX_DEFAULT, CORE_STATSD_OK},
      {"\r\r\n", CORE_LINE_BYTES_MAX_DEFAULT, CORE_STATSD_ERR_LINE_TOO_LONG},
      {"\r\r\n", CORE_LINE_BYTES_MAX_DEFAULT - 1, CORE_STATSD_ERR_BAD_BYTE},
      {"x\n", CORE_LINE_BYTES_MAX_DEFAULT, CORE_STATSD_ERR_LINE_TOO_LONG},
  };
  for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
    size_t n = cases[c].body;
    memset(buf, 'v', n);
    memcpy(buf, "n:1|c|#k:", 9);
    memcpy(buf + n, cases[c].end, strlen(cases[c].end));
    n += strlen(cases[c].end);
    for (int lv = 0; lv < SIMD_LEVEL_COUNT; lv++) {
      if (simd_set_level((enum simd_level)lv) < 0)
        continue;
      struct lines_seen l = batch(buf, n, (uint32_t)k);
      cr_assert_eq(l.n, 1, "case %zu", c);
      cr_assert_eq(l.err[0], cases[c].err, "case %zu, level %s: %s", c,
                   simd_level_name((enum simd_level)lv),
                   core_statsd_reason_name(l.err[0]));
    }
    simd_set_level(simd_level_best());
  }
}

/* The parser reads only [line, line + len): a line cut out of a buffer. */
Test(statsd, reads_only_its_bytes) {
  static const char buf[] = "a:12|c|#k:v";
  cr_assert_eq(core_statsd_parse_line(buf, 3, &msg), CORE_STATSD_ERR_NO_TYPE);
  cr_assert_eq(core_statsd_parse_line(buf, 6, &msg), CORE_STATSD_OK);
  cr_assert_eq(msg.values[0], 12.0);
  cr_assert_eq(msg.tag_count, 0);
  cr_assert_eq(core_statsd_parse_line(buf, 10, &msg), CORE_STATSD_OK);
  tag_is(0, "k", "");
}

/* ---- events -------------------------------------------------------------- */

Test(statsd, events) {
  ok("_e{5,4}:title|text");
  cr_assert_eq(msg.kind, CORE_STATSD_EVENT);
  name_is("title");
  ok("_e{9,13}:Deploy v2|Done in 4|5 s|d:1700000000|h:web-1|k:dep|p:low|"
     "s:ci|t:success|#env:prod,team:a|c:cid");
  cr_assert_eq(msg.kind, CORE_STATSD_EVENT);
  name_is("Deploy v2");
  cr_assert_eq(msg.tag_count, 2);
  tag_is(1, "team", "a");
  cr_assert_eq(msg.timestamp_s, 1700000000);
  cr_assert_eq(msg.container_len, 3);
  ok("_e{1,1}:|||");
  name_is("|");
}

Test(statsd, bad_events) {
  static const char *const lines[] = {
      "_e{5,4}:title|tex",       "_e{5,4}:title|textx",
      "_e{4,4}:title|text",      "_e{6,4}:title|text",
      "_e{5,4}:title",           "_e{5,40}:title|text",
      "_e{0,4}:|text",           "_e{5,0}:title|",
      "_e{5,4}title|text",       "_e{5 4}:title|text",
      "_e{,4}:title|text",       "_e{x,4}:title|text",
      "_e{5,4}:title|text|",     "_e{5,4}:title|text|p:high",
      "_e{5,4}:title|text|t:fatal", "_e{5,4}:title|text|d:x",
      "_e{5,4}:title|text|z:1",  "_e{5,4}:title|text|h:",
      "_e{5,4}:title|text|h:a|h:b", "_e{5,4}:title|text|#a|#b",
      "_e{99999999999,4}:title|text", "_e{5,4}",  "_e{",
      "_e{5,4}:title|text|m:x",
  };
  for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
    bad(lines[i], CORE_STATSD_ERR_BAD_EVENT);
  bad("_e{5,4}:title|text|#", CORE_STATSD_ERR_BAD_TAGS);
}

/* ---- service checks -------------------------------------------------------- */

Test(statsd, service_checks) {
  for (int s = 0; s <= 3; s++) {
    char line[64];
    snprintf(line, sizeof(line), "_sc|db.up|%d", s);
    ok(line);
    cr_assert_eq(msg.kind, CORE_STATSD_SERVICE_CHECK);
    name_is("db.up");
  }
  ok("_sc|app.ok|1|d:1700000000|h:web-1|#env:prod,role|m:slow: 3 s|c:cid");
  name_is("app.ok");
  cr_assert_eq(msg.tag_count, 2);
  tag_is(1, "role", NULL);
  cr_assert_eq(msg.timestamp_s, 1700000000);
}

Test(statsd, bad_service_checks) {
  static const char *const lines[] = {
      "_sc|",          "_sc||0",        "_sc|n",        "_sc|n|",
      "_sc|n|4",       "_sc|n|-1",      "_sc|n|01",     "_sc|n|x",
      "_sc|n|0|",      "_sc|n|0|z:1",   "_sc|n|0|m:",   "_sc|n|0|p:low",
      "_sc|n|0|d:1|d:2", "_sc|n|0|d:-1",
  };
  for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
    bad(lines[i], CORE_STATSD_ERR_BAD_SERVICE_CHECK);
  bad("_sc|n|0|#a:b,", CORE_STATSD_ERR_BAD_TAGS);
}

/* Names that merely look like events or checks are metrics. */
Test(statsd, event_lookalikes_are_metrics) {
  ok("_e:1|c");
  name_is("_e");
  ok("_sc:1|c");
  name_is("_sc");
  ok("_sc.x:1|g");
  name_is("_sc.x");
}

/* ---- labels ---------------------------------------------------------------- */

Test(statsd, every_reason_has_a_distinct_label) {
  for (int i = 0; i < CORE_STATSD_ERR_COUNT; i++) {
    const char *a = core_statsd_reason_name((enum core_statsd_err)i);
    cr_assert_str_neq(a, "unknown", "reason %d has no label", i);
    for (const char *c = a; *c; c++)
      cr_assert((*c >= 'a' && *c <= 'z') || *c == '_', "label %s", a);
    for (int j = 0; j < i; j++)
      cr_assert_str_neq(a, core_statsd_reason_name((enum core_statsd_err)j));
  }
  cr_assert_str_eq(core_statsd_reason_name(CORE_STATSD_ERR_COUNT), "unknown");
  cr_assert_str_eq(core_statsd_reason_name(CORE_STATSD_ERR_BAD_VALUE),
                   "bad_value");
  cr_assert_str_eq(core_statsd_reason_name(CORE_STATSD_ERR_NO_TYPE), "no_type");
}
