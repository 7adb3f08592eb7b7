/*
 * core/base/ring.c - the ring, its owners, reaping and parking.
 */
#include "core/base/ring.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "core/base/assert.h"

int core_ring_init(struct core_ring *r, unsigned entries) {
  static const unsigned flag_sets[] = {
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
      IORING_SETUP_COOP_TASKRUN,
      0,
  };
  int rc = -EINVAL;

  memset(r, 0, sizeof(*r));
  for (size_t i = 0; i < sizeof(flag_sets) / sizeof(flag_sets[0]); i++) {
    struct io_uring_params p;

    memset(&p, 0, sizeof(p));
    p.flags = flag_sets[i] | IORING_SETUP_CQSIZE;
    p.cq_entries = entries * 2;
    rc = io_uring_queue_init_params(entries, &r->uring, &p);
    if (rc == 0) {
      r->ok = 1;
      return 0;
    }
  }
  return rc;
}

void core_ring_free(struct core_ring *r) {
  if (r->ok)
    io_uring_queue_exit(&r->uring);
  r->ok = 0;
  r->owner_count = 0;
}

int core_ring_register(struct core_ring *r, core_ring_fn fn, void *ctx) {
  ASSERT(fn != NULL);
  if (r->owner_count >= CORE_RING_OWNERS_MAX)
    return -ENOSPC;
  r->owners[++r->owner_count] = (struct core_ring_owner){fn, ctx};
  return (int)r->owner_count;
}

struct io_uring_sqe *core_ring_sqe(struct core_ring *r) {
  struct io_uring_sqe *sqe = io_uring_get_sqe(&r->uring);

  if (sqe == NULL) {
    io_uring_submit(&r->uring);
    sqe = io_uring_get_sqe(&r->uring);
  }
  ASSERT(sqe != NULL);
  return sqe;
}

int64_t core_ring_now_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Take the oldest completion off the CQ into *out, consuming it first.
 * Why copy-then-consume: a handler may wait on this same ring
 * (core_ring_wait_owner); that inner wait must never see a completion its
 * caller is still handling. Returns 1, or 0 when the CQ is empty.
 */
static int take(struct core_ring *r, struct io_uring_cqe *out) {
  struct io_uring_cqe *cqe;
  unsigned head;

  io_uring_for_each_cqe(&r->uring, head, cqe) {
    *out = *cqe;
    io_uring_cq_advance(&r->uring, 1);
    return 1;
  }
  return 0;
}

/* To the handler of the completion's tag; tag 0 and unknown tags are
 * requests whose result nobody needs (a close of a refused socket). */
static void dispatch(struct core_ring *r, const struct io_uring_cqe *cqe,
                     int64_t now_ms) {
  int tag = core_ring_ud_tag(cqe->user_data);

  if (tag > 0 && (uint32_t)tag <= r->owner_count)
    r->owners[tag].fn(r->owners[tag].ctx, cqe, now_ms);
}

static void park(struct core_ring *r, const struct io_uring_cqe *cqe) {
  struct core_ring_parked *p = &r->parked;

  ASSERT(p->len < CORE_RING_PARKED_MAX);
  p->cqes[(p->head + p->len++) % CORE_RING_PARKED_MAX] = *cqe;
}

static int braked(const struct core_ring *r) {
  return r->brake != NULL && __atomic_load_n(r->brake, __ATOMIC_RELAXED);
}

/* Parked completions, oldest first (more may be parked while these run). */
static unsigned run_parked(struct core_ring *r) {
  struct core_ring_parked *p = &r->parked;
  unsigned n = 0;

  while (p->len > 0 && !braked(r)) {
    struct io_uring_cqe cqe = p->cqes[p->head];
    p->head = (p->head + 1) % CORE_RING_PARKED_MAX;
    p->len--;
    dispatch(r, &cqe, core_ring_now_ms());
    n++;
  }
  return n;
}

unsigned core_ring_reap(struct core_ring *r) {
  struct io_uring_cqe c;
  unsigned n = run_parked(r), taken = 0;
  int64_t t = core_ring_now_ms();

  while (taken < 2 * CORE_RING_ENTRIES && !braked(r) && take(r, &c)) {
    taken++;
    dispatch(r, &c, t);
  }
  return n + taken + run_parked(r);
}

void core_ring_wait(struct core_ring *r, unsigned timeout_ms) {
  struct __kernel_timespec ts = {.tv_sec = timeout_ms / 1000,
                                 .tv_nsec = (timeout_ms % 1000) * 1000000L};
  struct io_uring_cqe *cqe;

  io_uring_submit_and_wait_timeout(&r->uring, &cqe, 1, &ts, NULL);
}

/* Owner tag's completions from the CQ, the others parked. */
static void take_owner(struct core_ring *r, int tag) {
  struct io_uring_cqe c;
  int64_t t = core_ring_now_ms();

  for (unsigned n = 0; n < 2 * CORE_RING_ENTRIES && take(r, &c); n++) {
    if (core_ring_ud_tag(c.user_data) == tag)
      dispatch(r, &c, t);
    else
      park(r, &c);
  }
}

int core_ring_wait_owner(struct core_ring *r, int tag) {
  if (r->parked.len + 2 * CORE_RING_ENTRIES > CORE_RING_PARKED_MAX)
    return -ENOSPC;
  /* Bounded: the owner may be waiting for its own retry time, not for a
   * completion, and its tick after this call is what acts on it. */
  core_ring_wait(r, CORE_TICK_MS);
  take_owner(r, tag);
  return 0;
}

int core_ring_poll_owner(struct core_ring *r, int tag) {
  if (r->parked.len + 2 * CORE_RING_ENTRIES > CORE_RING_PARKED_MAX)
    return -ENOSPC;
  io_uring_submit_and_get_events(&r->uring);
  take_owner(r, tag);
  return 0;
}
