/*
 * tests/unit/core/base/test_timefmt.c - calendar arithmetic and the two
 * RFC 3339 readers: syslog's (ns, a prefix, strict) and the query API's
 * (ms, a whole C string, lenient), and where they differ.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "core/base/timefmt.h"

#define NS INT64_C(1000000000)

/* core_rfc3339_parse_ns on all of s: its return; *ns, *rest as it left
 * them. */
static int ns_of(const char *s, int64_t *ns, const char **rest) {
  *rest = s;
  return core_rfc3339_parse_ns(rest, s + strlen(s), ns);
}

static void ns_is(const char *s, int64_t want) {
  const char *rest;
  int64_t ns = -1;

  cr_assert_eq(ns_of(s, &ns, &rest), 0, "%s", s);
  cr_assert_eq(ns, want, "%s: %lld", s, (long long)ns);
  cr_assert_eq(*rest, '\0', "%s", s);
}

static void ns_fails(const char *s, int err) {
  const char *rest;
  int64_t ns = 42;

  cr_assert_eq(ns_of(s, &ns, &rest), err, "%s", s);
  cr_assert_eq(ns, 42, "%s", s);
  cr_assert_eq(rest, s, "%s", s);
}

static void ms_is(const char *s, int64_t want) {
  int64_t ms = -1;

  cr_assert_eq(core_rfc3339_parse_ms(s, &ms), 0, "%s", s);
  cr_assert_eq(ms, want, "%s: %lld", s, (long long)ms);
}

static void ms_fails(const char *s) {
  int64_t ms = 42;

  cr_assert_eq(core_rfc3339_parse_ms(s, &ms), -EINVAL, "%s", s);
  cr_assert_eq(ms, 42, "%s", s);
}

Test(timefmt, days_from_civil) {
  cr_assert_eq(core_days_from_civil(1970, 1, 1), 0);
  cr_assert_eq(core_days_from_civil(1969, 12, 31), -1);
  cr_assert_eq(core_days_from_civil(2000, 3, 1), 951868800 / 86400);
  cr_assert_eq(core_days_from_civil(1600, 1, 1), -135140);
  cr_assert_eq(core_days_from_civil(9999, 12, 31), 2932896);
  /* a day past the month's end counts on */
  cr_assert_eq(core_days_from_civil(2023, 2, 31),
               core_days_from_civil(2023, 3, 3));
}

Test(timefmt, days_in_month) {
  cr_assert_eq(core_days_in_month(2000, 2), 29);
  cr_assert_eq(core_days_in_month(1900, 2), 28);
  cr_assert_eq(core_days_in_month(2024, 2), 29);
  cr_assert_eq(core_days_in_month(2023, 2), 28);
  cr_assert_eq(core_days_in_month(2023, 4), 30);
  cr_assert_eq(core_days_in_month(2023, 12), 31);
}

Test(timefmt, civil_to_ns_bounds) {
  int64_t ns = 42;

  cr_assert_eq(core_civil_to_ns(1970, 1, 1, -1, 5, &ns), 0);
  cr_assert_eq(ns, -NS + 5);
  cr_assert_eq(core_civil_to_ns(2262, 4, 11, 85635, NS - 1, &ns), 0);
  cr_assert_eq(ns, INT64_C(9223372035) * NS + NS - 1);
  ns = 42;
  cr_assert_eq(core_civil_to_ns(2262, 4, 11, 85636, 0, &ns), -ERANGE);
  cr_assert_eq(core_civil_to_ns(1677, 9, 21, 764, 0, &ns), -ERANGE);
  cr_assert_eq(ns, 42);
  cr_assert_eq(core_civil_to_ns(1677, 9, 21, 765, 0, &ns), 0);
  cr_assert_eq(ns, INT64_C(-9223372035) * NS);
}

Test(timefmt, hms) {
  cr_assert_eq(core_time_hms("00:00:00"), 0);
  cr_assert_eq(core_time_hms("23:59:59"), 86399);
  cr_assert_eq(core_time_hms("23:59:60"), 86400, "a leap second");
  cr_assert_eq(core_time_hms("24:00:00"), -1);
  cr_assert_eq(core_time_hms("12:60:00"), -1);
  cr_assert_eq(core_time_hms("12:00:61"), -1);
  cr_assert_eq(core_time_hms("1a:00:00"), -1);
  cr_assert_eq(core_time_hms("12-00:00"), -1);
}

Test(timefmt, fraction) {
  const char *s, *p;
  int64_t f;

  s = p = "Z";
  cr_assert_eq(core_time_frac(&p, s + 1, &f), 0);
  cr_assert(p == s && f == 0);
  s = p = ".5Z";
  cr_assert_eq(core_time_frac(&p, s + 3, &f), 1);
  cr_assert(p == s + 2 && f == 500000000);
  s = p = ".1234567891";
  cr_assert_eq(core_time_frac(&p, s + 11, &f), 10, "digits past 9 count");
  cr_assert(p == s + 11 && f == 123456789, "but are dropped");
  s = p = ".5";
  cr_assert_eq(core_time_frac(&p, s + 1, &f), -1, "the end cuts the digit");
  s = p = ".Z";
  cr_assert_eq(core_time_frac(&p, s + 2, &f), -1);
  cr_assert(p == s);
}

Test(timefmt, ns_reader) {
  ns_is("2023-11-14T22:13:20Z", 1700000000 * NS);
  ns_is("2023-11-14t22:13:20z", 1700000000 * NS);
  ns_is("2023-11-14T22:13:20.123456789Z", 1700000000 * NS + 123456789);
  ns_is("2023-11-14T22:13:20.5+05:30", 1699980200 * NS + 500000000);
  ns_is("2023-11-14T22:13:20-01:00", 1700003600 * NS);
  ns_is("2016-12-31T23:59:60Z", 1483228800 * NS);
  ns_is("2024-02-29T00:00:00Z", 1709164800 * NS);
  ns_is("1969-12-31T23:59:59.999999999Z", -1);
  ns_is("2262-04-11T23:47:15.999999999Z", INT64_C(9223372035999999999));
}

Test(timefmt, ns_reader_stops_after_the_timestamp) {
  const char *s = "2023-11-14T22:13:20Z host app", *rest;
  int64_t ns;

  cr_assert_eq(ns_of(s, &ns, &rest), 0);
  cr_assert_str_eq(rest, " host app");
  cr_assert_eq(ns, 1700000000 * NS);
}

Test(timefmt, ns_reader_rejects) {
  ns_fails("2023-02-29T00:00:00Z", -EINVAL);
  ns_fails("2023-04-31T00:00:00Z", -EINVAL);
  ns_fails("2023-11-14T22:13:20.1234567891Z", -EINVAL);
  ns_fails("2023-11-14T22:13:20+24:00", -EINVAL);
  ns_fails("2023-11-14T22:13:20+01:60", -EINVAL);
  ns_fails("2023-11-14T22:13:20", -EINVAL);
  ns_fails("2023-11-14T22:13:20.Z", -EINVAL);
  ns_fails("2023-11-14T22:13:20+01:0", -EINVAL);
  ns_fails("2023-11-14 22:13:20Z", -EINVAL);
  ns_fails("2023-13-14T22:13:20Z", -EINVAL);
  ns_fails("2023-00-14T22:13:20Z", -EINVAL);
  ns_fails("2023-11-00T22:13:20Z", -EINVAL);
  ns_fails("2023-11-14T24:13:20Z", -EINVAL);
  ns_fails("223-11-14T22:13:20Z", -EINVAL);
  ns_fails("", -EINVAL);
  ns_fails("2262-04-11T23:47:16Z", -ERANGE);
  ns_fails("1677-09-21T00:12:44Z", -ERANGE);
}

Test(timefmt, ms_reader) {
  ms_is("2023-11-14T22:13:20Z", INT64_C(1700000000000));
  ms_is("2023-11-14t22:13:20.5z", INT64_C(1700000000500));
  ms_is("2023-11-14T22:13:20.1239Z", INT64_C(1700000000123));
  ms_is("2023-11-14T22:13:20.999999999999Z", INT64_C(1700000000999));
  ms_is("2023-11-14T22:13:20+05:30", INT64_C(1699980200000));
  ms_is("2023-11-14T22:13:20-01:00", INT64_C(1700003600000));
  ms_is("2016-12-31T23:59:60Z", INT64_C(1483228800000));
  ms_is("1969-12-31T23:59:59.999Z", -1);
  ms_is("9999-12-31T23:59:59Z", (INT64_C(2932896) * 86400 + 86399) * 1000);
}

Test(timefmt, ms_reader_is_lenient_where_the_query_api_was) {
  /* the day is only checked to be 1..31; offsets are any two digits */
  ms_is("2023-02-31T00:00:00Z", INT64_C(1677801600000));
  ms_is("2024-02-31T00:00:00Z", INT64_C(1709337600000));
  ms_is("1970-01-02T00:00:00+99:99",
        (86400 - 99 * 3600 - 99 * 60) * INT64_C(1000));
}

Test(timefmt, ms_reader_rejects) {
  ms_fails("2023-11-14T22:13:20Z ");
  ms_fails("2023-11-14T22:13:20");
  ms_fails("2023-11-14T22:13:20.Z");
  ms_fails("2023-11-14T22:13:20+0100");
  ms_fails("2023-11-32T22:13:20Z");
  ms_fails("2023-11-14T22:60:20Z");
  ms_fails("2023-11-14T22:13:61Z");
  ms_fails("2023-11-14");
  ms_fails("");
}
