/*
 * tests/unit/core/cmd/test_flush.c - flush requests coalesced into rounds:
 * a request never joins a round already running, requests that wait share
 * the next one, rounds are spaced and bounded in time, errors reach the
 * requests of their round.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "core/base/limits.h"
#include "core/cmd/flush.h"

/* The shards, faked: rounds sent, and the last one answered. */
struct fake {
  uint64_t sent[16];
  unsigned nsent;
  uint64_t answered;
  int failed;
};

static void start(void *ctx, uint64_t gen) {
  struct fake *f = ctx;

  cr_assert_lt(f->nsent, 16);
  f->sent[f->nsent++] = gen;
}

static int answered(void *ctx, uint64_t gen, int *failed) {
  struct fake *f = ctx;

  *failed |= f->failed;
  return f->answered >= gen;
}

static struct fake sh;
static const struct core_flush_ops ops = {start, answered, &sh};

Test(flush, requests_while_a_round_runs_share_the_next) {
  struct core_flush f = {0};
  uint64_t a, b, c;

  sh = (struct fake){0};
  a = core_flush_ticket(&f);
  cr_assert_eq(core_flush_poll(&f, a, 1000, &ops), -EINPROGRESS);
  cr_assert_eq(sh.nsent, 1);
  cr_assert_eq(sh.sent[0], a);
  b = core_flush_ticket(&f); /* arrived after round a started */
  c = core_flush_ticket(&f);
  cr_assert_eq(b, a + 1);
  cr_assert_eq(c, b);
  cr_assert_eq(core_flush_poll(&f, b, 1001, &ops), -EINPROGRESS);
  cr_assert_eq(sh.nsent, 1, "one round at a time");
  sh.answered = a;
  cr_assert_eq(core_flush_poll(&f, a, 1002, &ops), 0);
  cr_assert_eq(sh.nsent, 1, "the next round waits CORE_FLUSH_ROUND_GAP_MS");
  cr_assert_eq(core_flush_poll(&f, b, 1000 + CORE_FLUSH_ROUND_GAP_MS, &ops),
               -EINPROGRESS);
  cr_assert_eq(sh.nsent, 2);
  cr_assert_eq(sh.sent[1], b);
  sh.answered = b;
  cr_assert_eq(core_flush_poll(&f, b, 1020, &ops), 0);
  cr_assert_eq(core_flush_poll(&f, c, 1020, &ops), 0);
  cr_assert_eq(core_flush_poll(&f, a, 1020, &ops), 0);
  cr_assert_eq(sh.nsent, 2, "nobody asked for a third round");
  cr_assert_eq(f.requests, 3);
  cr_assert_eq(f.rounds, 2);
}

Test(flush, a_failed_round_fails_its_requests) {
  struct core_flush f = {0};
  uint64_t a;

  sh = (struct fake){0};
  a = core_flush_ticket(&f);
  cr_assert_eq(core_flush_poll(&f, a, 0, &ops), -EINPROGRESS);
  sh.answered = a;
  sh.failed = 1;
  cr_assert_eq(core_flush_poll(&f, a, 1, &ops), -EIO);
  sh.failed = 0;
  a = core_flush_ticket(&f);
  cr_assert_eq(core_flush_poll(&f, a, 100, &ops), -EINPROGRESS);
  sh.answered = a;
  cr_assert_eq(core_flush_poll(&f, a, 101, &ops), 0, "a later round is ok");
}

Test(flush, a_round_that_hangs_times_out_and_the_next_starts) {
  struct core_flush f = {0};
  uint64_t a, b;

  sh = (struct fake){0};
  a = core_flush_ticket(&f);
  cr_assert_eq(core_flush_poll(&f, a, 0, &ops), -EINPROGRESS);
  b = core_flush_ticket(&f);
  cr_assert_eq(core_flush_poll(&f, a, CORE_FLUSH_ROUND_TIMEOUT_MS - 1, &ops),
               -EINPROGRESS);
  cr_assert_eq(core_flush_poll(&f, a, CORE_FLUSH_ROUND_TIMEOUT_MS, &ops),
               -ETIMEDOUT);
  cr_assert_eq(sh.nsent, 2, "b's round started when a's gave up");
  sh.answered = b;
  cr_assert_eq(core_flush_poll(&f, b, CORE_FLUSH_ROUND_TIMEOUT_MS + 1, &ops),
               0);
}
