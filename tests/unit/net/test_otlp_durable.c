/*
 * tests/unit/net/test_otlp_durable.c - the rule both OTLP listeners keep
 * (net/otlp_durable.c), with the writer faked: no reply before the
 * generation covering a request is answered; a lost generation is a
 * failed reply; a busy writer is asked again next pass; a store without a
 * data directory answers at once; back-pressure refuses before storing;
 * a closed connection's waits are dropped; the stop answers what is left.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "core/base/limits.h"
#include "fake_writer.h"
#include "net/otlp_durable.h"

#define FLAG NET_OTLP_GRPC_GEN_FLAG /* any listener's */

static struct net_otlp_durable d;
static uint64_t waiting, flushes;
static struct fake fk;

/* What the reply callback got, in order. */
static struct {
  int n;
  struct net_otlp_wait w[64];
  int failed[64];
} rp;

static void on_reply(void *ctx, const struct net_otlp_wait *w, int failed) {
  (void)ctx;
  for (uint32_t i = 0; i < d.cfg.waits_max; i++)
    cr_assert_not(d.waits[i].in_use && d.waits[i].slot == w->slot &&
                      d.waits[i].stream == w->stream,
                  "the entry is free before the reply");
  rp.w[rp.n] = *w;
  rp.failed[rp.n++] = failed;
}

static void setup(void) {
  memset(&fk, 0, sizeof(fk));
  memset(&rp, 0, sizeof(rp));
  fk.keeping_up = 1;
  fk.flag = FLAG;
  waiting = flushes = 0;
  cr_assert_eq(net_otlp_durable_init(
                   &d, &(struct net_otlp_durable_cfg){
                           .gen_flag = FLAG,
                           .waits_max = 4,
                           .ops = {fake_flush, fake_keeping_up, &fk},
                           .reply = on_reply,
                           .reply_ctx = &fk,
                           .waiting = &waiting,
                           .flushes = &flushes}),
               0);
}

static void teardown(void) { net_otlp_durable_free(&d); }

TestSuite(otlp_durable, .init = setup, .fini = teardown);

static void add(uint32_t slot) {
  cr_assert_eq(net_otlp_durable_admit(&d), NET_OTLP_ADMIT_OK);
  cr_assert_eq(net_otlp_durable_add(&d, slot, (int32_t)slot * 2 + 1, 1, 3,
                                    "3 points rejected"),
               0);
}

Test(otlp_durable, no_reply_before_its_generation_is_answered) {
  add(7);
  cr_assert_eq(rp.n, 0, "stored is not durable: no reply yet");
  cr_assert_eq(waiting, 1);
  net_otlp_durable_commit(&d);
  cr_assert_eq(fk.n, 1, "one flush for the pass");
  cr_assert_eq(flushes, 1);
  cr_assert_eq(rp.n, 0, "asked for, not answered: still no reply");
  add(8); /* the next pass's */
  net_otlp_durable_commit(&d);
  cr_assert_eq(fk.n, 2);
  net_otlp_durable_answer(&d, fk.gens[1], 0);
  cr_assert_eq(rp.n, 1, "the later generation answers its own only");
  cr_assert_eq(rp.w[0].slot, 8);
  net_otlp_durable_answer(&d, fk.gens[0], 0);
  cr_assert_eq(rp.n, 2);
  cr_assert_eq(rp.w[1].slot, 7);
  cr_assert_eq(rp.w[1].stream, 15);
  cr_assert_eq(rp.w[1].rejected, 3);
  cr_assert_str_eq(rp.w[1].message, "3 points rejected");
  cr_assert_eq(rp.failed[1], 0);
  cr_assert_eq(waiting, 0);
  cr_assert_eq(d.flushes_inflight, 0);
}

Test(otlp_durable, a_lost_generation_is_a_failed_reply) {
  add(1);
  add(2);
  net_otlp_durable_commit(&d);
  net_otlp_durable_answer(&d, fk.gens[0], 1);
  cr_assert_eq(rp.n, 2);
  cr_assert(rp.failed[0] && rp.failed[1], "a fsync that failed is no 200");
}

Test(otlp_durable, a_busy_writer_is_asked_again_next_pass) {
  fk.busy_left = 1;
  add(1);
  net_otlp_durable_commit(&d);
  cr_assert_eq(rp.n, 0, "busy: no reply");
  cr_assert_eq(d.uncommitted, 1, "taken back for the next pass");
  net_otlp_durable_commit(&d);
  cr_assert_eq(fk.n, 1, "the busy ask is not recorded; this one is");
  cr_assert_eq(rp.n, 0);
  net_otlp_durable_answer(&d, fk.gens[0], 0);
  cr_assert_eq(rp.n, 1);
}

Test(otlp_durable, no_data_directory_answers_at_once) {
  fk.no_store = 1;
  add(1);
  net_otlp_durable_commit(&d);
  cr_assert_eq(rp.n, 1);
  cr_assert_eq(rp.failed[0], 0);
  cr_assert_eq(d.flushes_inflight, 0);
  cr_assert_eq(flushes, 1);
  net_otlp_durable_commit(&d);
  cr_assert_eq(flushes, 1, "nothing stored, nothing to flush");
}

Test(otlp_durable, flushes_in_flight_are_bounded) {
  for (int i = 0; i < NET_OTLP_HTTP_FLUSHES_MAX + 2; i++) {
    if (d.waiting == d.cfg.waits_max)
      break;
    add((uint32_t)i);
    net_otlp_durable_commit(&d);
  }
  cr_assert_leq(d.flushes_inflight, NET_OTLP_HTTP_FLUSHES_MAX);
}

Test(otlp_durable, back_pressure_refuses_before_storing) {
  fk.keeping_up = 0;
  cr_assert_eq(net_otlp_durable_admit(&d), NET_OTLP_ADMIT_BEHIND);
  fk.keeping_up = 1;
  cr_assert_eq(net_otlp_durable_admit(&d), NET_OTLP_ADMIT_BEHIND,
               "asked once a pass");
  net_otlp_durable_commit(&d); /* a new pass */
  for (uint32_t i = 0; i < 4; i++)
    add(i);
  cr_assert_eq(net_otlp_durable_admit(&d), NET_OTLP_ADMIT_FULL);
  cr_assert_eq(net_otlp_durable_add(&d, 9, 0, 0, 0, ""), -ENOSPC);
}

Test(otlp_durable, a_closed_connection_drops_its_waits) {
  add(1);
  add(2);
  add(1);
  net_otlp_durable_commit(&d);
  net_otlp_durable_drop_slot(&d, 1);
  cr_assert_eq(waiting, 1);
  net_otlp_durable_answer(&d, fk.gens[0], 0);
  cr_assert_eq(rp.n, 1, "only the one still connected");
  cr_assert_eq(rp.w[0].slot, 2);
}

Test(otlp_durable, finish_answers_every_wait_left) {
  add(1);
  net_otlp_durable_commit(&d);
  add(2); /* never committed */
  net_otlp_durable_finish(&d, 1);
  cr_assert_eq(rp.n, 2);
  cr_assert(rp.failed[0] && rp.failed[1]);
  cr_assert_eq(waiting, 0);
  cr_assert_eq(d.uncommitted, 0);
  cr_assert_eq(d.flushes_inflight, 0);
}
