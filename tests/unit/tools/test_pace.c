/*
 * tests/unit/tools/test_pace.c - token-bucket arithmetic on a simulated
 * clock (no sleeping, no timing).
 */
#include <criterion/criterion.h>
#include <math.h>

#include "tools/pace.h"

#define MS 1000000ull

Test(pace, unpaced_never_waits) {
  struct tools_pace p;
  tools_pace_init(&p, 0, 10, 0);
  cr_assert_eq(tools_pace_take(&p, 1e9, 0), 0);
  cr_assert(isinf(tools_pace_batch_lines(&p)));
}

Test(pace, starts_full_then_waits_for_tokens) {
  struct tools_pace p;
  tools_pace_init(&p, 1000, 10, 0); /* 1 line per ms, 10 deep */
  cr_assert_eq(tools_pace_take(&p, 10, 0), 0);
  cr_assert_eq(tools_pace_take(&p, 1, 0), 1 * MS);
  cr_assert_eq(tools_pace_take(&p, 4, 0), 4 * MS, "nothing taken by a wait");
  cr_assert_eq(tools_pace_take(&p, 1, 1 * MS), 0);
  cr_assert_eq(tools_pace_take(&p, 3, 2 * MS), 2 * MS);
  cr_assert_eq(tools_pace_take(&p, 3, 4 * MS), 0);
}

Test(pace, idle_time_is_capped_at_the_burst) {
  struct tools_pace p;
  tools_pace_init(&p, 1000, 10, 0);
  cr_assert_eq(tools_pace_take(&p, 10, 0), 0);
  cr_assert_eq(tools_pace_take(&p, 10, 1000 * MS), 0); /* 1 s idle: 10, not 1000 */
  cr_assert_eq(tools_pace_take(&p, 1, 1000 * MS), 1 * MS);
}

Test(pace, oversized_batch_goes_when_full_and_leaves_debt) {
  struct tools_pace p;
  tools_pace_init(&p, 1000, 10, 0);
  cr_assert_eq(tools_pace_take(&p, 30, 0), 0); /* tokens now -20 */
  cr_assert_eq(tools_pace_take(&p, 30, 0), 30 * MS, "refill to 10 takes 30 ms");
  cr_assert_eq(tools_pace_take(&p, 30, 30 * MS), 0);
}

/* Over a simulated minute the long-run rate equals the configured one. */
static void simulate(double rate, double burst, double batch) {
  struct tools_pace p;
  uint64_t now = 0, end = 60000 * MS;
  double sent = 0;
  tools_pace_init(&p, rate, burst, 0);
  while (now < end) {
    uint64_t w = tools_pace_take(&p, batch, now);
    if (w == 0)
      sent += batch;
    now += w;
  }
  double achieved = sent / 60.0;
  cr_assert(fabs(achieved - rate) <= rate * 0.001 + batch / 60.0 + burst / 60.0,
            "rate %.0f burst %.0f batch %.0f: achieved %.1f", rate, burst,
            batch, achieved);
}

Test(pace, long_run_rate_matches) {
  simulate(1000, 5, 1);
  simulate(100000, 500, 17);
  simulate(2e6, 10000, 1100);
  simulate(50, 1, 17); /* batch above the burst */
}

Test(pace, batch_is_the_burst) {
  struct tools_pace p;
  tools_pace_init(&p, 2e6, 2e6 * 0.005, 0);
  cr_assert_float_eq(tools_pace_batch_lines(&p), 10000, 1e-9);
  tools_pace_init(&p, 10, 0.05, 0);
  cr_assert_float_eq(tools_pace_batch_lines(&p), 1, 1e-9, "at least one line");
}
