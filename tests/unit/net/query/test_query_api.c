/*
 * tests/unit/net/query/test_query_api.c - value and time text of the export
 * endpoint (net/query_api.h).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "net/query/query_api.h"

static const char *fmt(double v) {
  static char out[64];
  net_query_format_value(v, out);
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
