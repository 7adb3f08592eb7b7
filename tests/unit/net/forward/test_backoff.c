/*
 * tests/unit/net/forward/test_backoff.c - the retry schedule: doubling
 * from the minimum to the cap, jitter within [step/2, step], Retry-After
 * honoured up to its bound; Retry-After values in seconds and as dates.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "net/forward/forward.h"

Test(backoff, doubles_up_to_the_cap_within_the_jitter) {
  uint64_t step = NET_FWD_BACKOFF_MIN_MS;

  for (unsigned a = 0; a < 40; a++) {
    uint32_t lo = UINT32_MAX, hi = 0;
    for (uint64_t r = 0; r < 5000; r++) {
      uint32_t d = net_fwd_backoff_ms(a, r * 7919u, 0);
      lo = d < lo ? d : lo;
      hi = d > hi ? d : hi;
    }
    cr_assert_geq(lo, step / 2, "attempt %u: %u below half the step", a, lo);
    cr_assert_leq(hi, step, "attempt %u: %u above the step", a, hi);
    cr_assert_lt(lo, hi, "attempt %u: jitter spreads the delays", a);
    step = step * 2 > NET_FWD_BACKOFF_MAX_MS ? NET_FWD_BACKOFF_MAX_MS
                                             : step * 2;
  }
}

Test(backoff, the_same_draw_gives_the_same_delay) {
  cr_assert_eq(net_fwd_backoff_ms(3, 12345, 0), net_fwd_backoff_ms(3, 12345, 0));
  cr_assert_eq(net_fwd_backoff_ms(0, 0, 0), NET_FWD_BACKOFF_MIN_MS / 2);
}

Test(backoff, retry_after_raises_the_delay_up_to_its_bound) {
  cr_assert_eq(net_fwd_backoff_ms(0, 1, 7000), 7000);
  cr_assert_eq(net_fwd_backoff_ms(0, 1, UINT32_MAX), NET_FWD_RETRY_AFTER_MAX_MS);
  /* a short Retry-After never shortens the backoff */
  cr_assert_geq(net_fwd_backoff_ms(20, 1, 10), NET_FWD_BACKOFF_MAX_MS / 2);
}

static int64_t ra(const char *s, int64_t now) {
  return net_fwd_retry_after_ms(s, strlen(s), now);
}

Test(backoff, retry_after_values) {
  cr_assert_eq(ra("120", 0), 120000);
  cr_assert_eq(ra(" 0 ", 0), 0);
  cr_assert_eq(ra("99999999999999999999", 0), 1000000000ll * 1000);
  cr_assert_eq(ra("12a", 0), -1);
  cr_assert_eq(ra("", 0), -1);
  cr_assert_eq(ra("-5", 0), -1);
  /* Sun, 06 Nov 1994 08:49:37 GMT = 784111777 */
  cr_assert_eq(ra("Sun, 06 Nov 1994 08:49:37 GMT", 784111770), 7000);
  cr_assert_eq(ra("Sun, 06 Nov 1994 08:49:37 GMT", 784111999), 0);
  cr_assert_eq(ra("Sunday, 06-Nov-94 08:49:37 GMT", 0), -1);
}
