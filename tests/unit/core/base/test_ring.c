/*
 * tests/unit/core/base/test_ring.c - the ring's owners: tags in user_data,
 * dispatch by tag, tag 0 dropped, parking while one owner waits.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "core/base/ring.h"

static struct core_ring ring;

struct owner {
  int seen;
  uint64_t last_arg;
  unsigned last_op;
  int res;
};

static void handler(void *ctx, const struct io_uring_cqe *cqe, int64_t now) {
  struct owner *o = ctx;

  (void)now;
  o->seen++;
  o->last_op = core_ring_ud_op(cqe->user_data);
  o->last_arg = core_ring_ud_arg(cqe->user_data);
  o->res = cqe->res;
}

static void setup(void) {
  int rc = core_ring_init(&ring, 64);

  if (rc < 0)
    cr_skip("io_uring unavailable: %s", strerror(-rc));
}

static void teardown(void) { core_ring_free(&ring); }

static void nop(int tag, unsigned op, uint64_t arg) {
  struct io_uring_sqe *sqe = core_ring_sqe(&ring);

  io_uring_prep_nop(sqe);
  io_uring_sqe_set_data64(sqe, core_ring_ud(tag, op, arg));
}

/* Reap until n completions were handled (bounded). */
static void reap_n(unsigned n) {
  unsigned got = 0;

  for (int i = 0; i < 100 && got < n; i++) {
    core_ring_wait(&ring, 10);
    got += core_ring_reap(&ring);
  }
  cr_assert_eq(got, n);
}

Test(ring, user_data_fields_round_trip) {
  uint64_t ud = core_ring_ud(7, 200, CORE_RING_ARG_MAX);

  cr_assert_eq(core_ring_ud_tag(ud), 7);
  cr_assert_eq(core_ring_ud_op(ud), 200);
  cr_assert_eq(core_ring_ud_arg(ud), CORE_RING_ARG_MAX);
  /* an arg past 48 bits is cut, never spilling into op or tag */
  ud = core_ring_ud(1, 2, UINT64_MAX);
  cr_assert_eq(core_ring_ud_tag(ud), 1);
  cr_assert_eq(core_ring_ud_op(ud), 2);
}

Test(ring, completions_go_to_their_owner, .init = setup, .fini = teardown) {
  struct owner a = {0}, b = {0};
  int ta = core_ring_register(&ring, handler, &a);
  int tb = core_ring_register(&ring, handler, &b);

  cr_assert_gt(ta, 0);
  cr_assert_gt(tb, 0);
  cr_assert_neq(ta, tb);
  nop(ta, 3, 41);
  nop(tb, 4, 42);
  nop(tb, 5, 43);
  nop(0, 9, 9); /* nobody's: dropped */
  reap_n(4);
  cr_assert_eq(a.seen, 1);
  cr_assert_eq(a.last_op, 3);
  cr_assert_eq(a.last_arg, 41);
  cr_assert_eq(b.seen, 2);
  cr_assert_eq(b.last_op, 5);
  cr_assert_eq(b.last_arg, 43);
}

Test(ring, owners_are_bounded, .init = setup, .fini = teardown) {
  struct owner o = {0};

  for (int i = 0; i < CORE_RING_OWNERS_MAX; i++)
    cr_assert_eq(core_ring_register(&ring, handler, &o), i + 1);
  cr_assert_eq(core_ring_register(&ring, handler, &o), -ENOSPC);
}

Test(ring, wait_owner_parks_the_others_until_reap, .init = setup,
     .fini = teardown) {
  struct owner a = {0}, b = {0};
  int ta = core_ring_register(&ring, handler, &a);
  int tb = core_ring_register(&ring, handler, &b);

  nop(tb, 1, 1);
  nop(ta, 1, 2);
  nop(tb, 1, 3);
  for (int i = 0; i < 100 && a.seen == 0; i++)
    cr_assert_eq(core_ring_wait_owner(&ring, ta), 0);
  cr_assert_eq(a.seen, 1);
  cr_assert_eq(b.seen, 0, "b's completions must wait for the next reap");
  cr_assert_eq(ring.parked.len, 2);
  cr_assert_eq(core_ring_reap(&ring), 2);
  cr_assert_eq(b.seen, 2);
  cr_assert_eq(b.last_arg, 3, "parked completions run oldest first");
}

Test(ring, wait_owner_refuses_when_parking_could_overflow, .init = setup,
     .fini = teardown) {
  struct owner a = {0};
  int ta = core_ring_register(&ring, handler, &a);

  ring.parked.len = CORE_RING_PARKED_MAX - 2 * CORE_RING_ENTRIES + 1;
  cr_assert_eq(core_ring_wait_owner(&ring, ta), -ENOSPC);
  ring.parked.len = 0;
}
