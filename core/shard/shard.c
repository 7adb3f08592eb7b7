/*
 * core/shard/shard.c - the shard thread: set up, event loop, drain, tear down.
 */
#include "core/shard/shard.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/base/assert.h"
#include "core/cmd/config_types.h"
#include "core/ingest/head.h"
#include "core/ingest/loghead.h"
#include "core/ingest/pipe.h"
#include "core/shard/stats.h"
#include "net/io.h"
#include "net/uring.h"
#include "storage/writer.h"

static int64_t now_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void defer_cqe(struct core_shard *sh, const struct io_uring_cqe *cqe) {
  struct core_deferred *d = &sh->deferred;

  ASSERT(d->len < STOR_DEFERRED_CQES_MAX);
  d->cqes[(d->head + d->len++) % STOR_DEFERRED_CQES_MAX] = *cqe;
}

static int is_storage_op(enum net_op op) {
  return op >= NET_OP_STOR_OPEN && op <= NET_OP_STOR_CLOSE;
}

/*
 * Take the oldest completion off the CQ into *out, consuming it first.
 * Why copy-then-consume: handling a completion may seal a block and wait
 * for storage completions of this same ring (wait_storage); that inner
 * wait must never see a completion its caller is still handling.
 * Returns 1, or 0 when the CQ is empty. No system call.
 */
static int take_cqe(struct io_uring *ring, struct io_uring_cqe *out) {
  struct io_uring_cqe *cqe;
  unsigned head;

  io_uring_for_each_cqe(ring, head, cqe) {
    *out = *cqe;
    io_uring_cq_advance(ring, 1);
    return 1;
  }
  return 0;
}

/*
 * Wait for one batch of completions while a seal needs a write buffer:
 * storage completions are handled, every other one is parked (receiving
 * would re-enter the head being sealed). Returns 0, or -ENOSPC when the
 * parking space could overflow.
 */
static int wait_storage(struct core_shard *sh) {
  struct __kernel_timespec tick = {.tv_sec = 0,
                                   .tv_nsec = NET_TICK_MS * 1000000L};
  struct io_uring_cqe *cqe, c;
  int64_t t;

  if (sh->deferred.len + 2 * NET_RING_ENTRIES > STOR_DEFERRED_CQES_MAX)
    return -ENOSPC;
  /* Bounded wait: a write may be waiting for its retry time, not for a
   * completion, and the tick below is what resubmits it. */
  io_uring_submit_and_wait_timeout(&sh->io.ring, &cqe, 1, &tick, NULL);
  t = now_ms();
  for (unsigned n = 0; n < 2 * NET_RING_ENTRIES && take_cqe(&sh->io.ring, &c);
       n++) {
    if (is_storage_op(net_ud_op(c.user_data)))
      stor_writer_complete(&sh->writer, &c, t);
    else
      defer_cqe(sh, &c);
  }
  stor_writer_tick(&sh->writer, t);
  return 0;
}

static int try_seal(struct core_shard *sh, const struct core_head *h,
                    const struct core_loghead *lh) {
  if (h != NULL)
    return stor_writer_seal(&sh->writer, h, now_ms());
  return stor_writer_seal_logs(&sh->writer, lh->recs, lh->count, now_ms());
}

/* A sealed head (h) or log head (lh) goes to the segment writer, waiting
 * for a buffer if all are busy: while it waits the shard receives nothing
 * (TCP senders are held back by their windows, UDP overflow is counted by
 * the kernel). */
static void seal_waiting(struct core_shard *sh, const struct core_head *h,
                         const struct core_loghead *lh) {
  while (try_seal(sh, h, lh) == -ENOBUFS) {
    core_stat_add(&sh->stats.stor_backpressure_waits, 1);
    if (wait_storage(sh) < 0) {
      core_stat_add(&sh->stats.stor_deferred_dropped, 1);
      if (h != NULL)
        core_stat_add(&sh->stats.stor_points_lost, h->count);
      else
        core_stat_add(&sh->stats.stor_logs_lost, lh->count);
      return;
    }
  }
}

static void seal_sink(struct core_head *h, void *ctx) {
  struct core_shard *sh = ctx;

  core_stat_add(&sh->stats.head_sealed_blocks, 1);
  core_stat_add(&sh->stats.head_sealed_points, h->count);
  if (sh->storage)
    seal_waiting(sh, h, NULL);
}

static void log_seal_sink(struct core_loghead *h, void *ctx) {
  struct core_shard *sh = ctx;

  core_stat_add(&sh->stats.loghead_sealed_blocks, 1);
  core_stat_add(&sh->stats.loghead_sealed_records, h->count);
  if (sh->storage)
    seal_waiting(sh, NULL, h);
}

/* Seal both open blocks (metrics, logs). */
static void seal_heads(struct core_shard *sh) {
  core_head_seal(&sh->pipe.head);
  core_loghead_seal(&sh->pipe.loghead);
}

/* Answer a flush: publish the generation, then poke the query thread. */
static void flush_answer(void *ctx, uint64_t gen, int failed) {
  struct core_shard *sh = ctx;
  struct io_uring_sqe *sqe;

  if (gen == 0)
    return; /* the shutdown flush has no one waiting */
  __atomic_store_n(&sh->flush_failed, failed, __ATOMIC_RELAXED);
  __atomic_store_n(&sh->flush_answered, gen, __ATOMIC_RELEASE);
  sqe = net_uring_sqe(&sh->io.ring);
  io_uring_prep_write(sqe, sh->flush_efd, &sh->one, sizeof(sh->one), 0);
  io_uring_sqe_set_data64(sqe, net_ud(NET_OP_FLUSH_ACK, 0));
}

static void on_flush(struct core_shard *sh, uint64_t gen) {
  seal_heads(sh);
  if (!sh->storage) {
    flush_answer(sh, gen, 0);
    return;
  }
  if (stor_writer_flush(&sh->writer, gen, now_ms()) < 0)
    flush_answer(sh, gen, 1);
}

static void set_state(struct core_shard *sh, enum core_shard_state s) {
  __atomic_store_n(&sh->state, (int)s, __ATOMIC_RELEASE);
}

static void arm_ctl(struct core_shard *sh) {
  struct io_uring_sqe *sqe = net_uring_sqe(&sh->io.ring);

  io_uring_prep_read(sqe, sh->efd, &sh->efd_buf, sizeof(sh->efd_buf), 0);
  io_uring_sqe_set_data64(sqe, net_ud(NET_OP_CTL, 0));
}

/* Handle every queued control message, then wait for the next. */
static void on_ctl(struct core_shard *sh) {
  struct core_ctl_ring *r = &sh->ctl;
  uint32_t head = r->head;
  uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);

  for (; head != tail; head++) {
    const struct core_ctl_msg *m = &r->msgs[head & (CORE_CTL_RING_ENTRIES - 1)];
    if (m->op == CORE_CTL_STOP)
      sh->stop = 1;
    else if (m->op == CORE_CTL_SEAL)
      seal_heads(sh);
    else if (m->op == CORE_CTL_FLUSH)
      on_flush(sh, m->arg);
  }
  __atomic_store_n(&r->head, head, __ATOMIC_RELEASE);
  if (!sh->stop)
    arm_ctl(sh);
}

static void dispatch(struct core_shard *sh, const struct io_uring_cqe *cqe,
                     int64_t t) {
  enum net_op op = net_ud_op(cqe->user_data);

  if (net_io_complete(&sh->io, &sh->pipe, cqe, t))
    return;
  if (op == NET_OP_CTL)
    on_ctl(sh);
  else if (is_storage_op(op))
    stor_writer_complete(&sh->writer, cqe, t);
}

/* Completions parked by wait_storage, oldest first (more may be parked
 * while these run). */
static void run_deferred(struct core_shard *sh) {
  struct core_deferred *d = &sh->deferred;

  while (d->len > 0) {
    struct io_uring_cqe cqe = d->cqes[d->head];
    d->head = (d->head + 1) % STOR_DEFERRED_CQES_MAX;
    d->len--;
    dispatch(sh, &cqe, now_ms());
  }
}

/* Reap the completions now in the CQ (at most a CQ's worth, so the loop's
 * ticks keep running under load). Returns how many. */
static unsigned reap(struct core_shard *sh) {
  struct io_uring_cqe c;
  unsigned n = 0;
  int64_t t = now_ms();

  run_deferred(sh);
  while (n < 2 * NET_RING_ENTRIES && take_cqe(&sh->io.ring, &c)) {
    n++;
    dispatch(sh, &c, t);
  }
  run_deferred(sh);
  return n;
}

static void loop(struct core_shard *sh) {
  struct __kernel_timespec tick = {.tv_sec = 0,
                                   .tv_nsec = NET_TICK_MS * 1000000L};
  struct io_uring_cqe *cqe;

  while (!sh->stop) {
    int rc = io_uring_submit_and_wait_timeout(&sh->io.ring, &cqe, 1, &tick,
                                              NULL);
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY)
      core_stat_add(&sh->stats.rx_errors, 1);
    reap(sh);
    core_head_tick(&sh->pipe.head, now_ms(), sh->cfg->block_max_age_ms);
    core_loghead_tick(&sh->pipe.loghead, now_ms(), sh->cfg->block_max_age_ms);
    core_stat_set(&sh->stats.head_points, sh->pipe.head.count);
    core_stat_set(&sh->stats.loghead_records, sh->pipe.loghead.count);
    if (sh->storage)
      stor_writer_tick(&sh->writer, now_ms());
  }
}

/* At stop: make every sealed block durable, within the stop budget. */
static void drain_storage(struct core_shard *sh) {
  struct __kernel_timespec tick = {.tv_sec = 0,
                                   .tv_nsec = NET_TICK_MS * 1000000L};
  int64_t deadline = now_ms() + CORE_STOP_TIMEOUT_MS * 3 / 4;
  struct io_uring_cqe *cqe;

  if (!sh->storage)
    return;
  stor_writer_flush(&sh->writer, 0, now_ms());
  while (!stor_writer_idle(&sh->writer) && now_ms() < deadline) {
    io_uring_submit_and_wait_timeout(&sh->io.ring, &cqe, 1, &tick, NULL);
    reap(sh);
    stor_writer_tick(&sh->writer, now_ms());
  }
}

/* Stop: what was received by the kernel before now is still ingested. */
static void drain(struct core_shard *sh) {
  io_uring_submit(&sh->io.ring);
  io_uring_get_events(&sh->io.ring);
  reap(sh);
  net_io_drain(&sh->io, &sh->pipe, now_ms());
  io_uring_get_events(&sh->io.ring);
  reap(sh);
  seal_heads(sh);
  core_stat_set(&sh->stats.head_points, 0);
  core_stat_set(&sh->stats.loghead_records, 0);
  drain_storage(sh);
}

static int pin(int cpu) {
  cpu_set_t set;

  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* The segment writer on the shard's ring (after recovery gave the seqs). */
static int setup_storage(struct core_shard *sh) {
  const struct core_config *c = sh->cfg;
  struct stor_writer_cfg wc = {
      .shard = (uint16_t)sh->id,
      .dir_fd = sh->dir_fd,
      .next_seg_seq = sh->next_seg_seq,
      .next_block_seq = sh->next_block_seq,
      .fsync_interval_ms = c->fsync_interval_ms,
      .segment_bytes_max = c->segment_bytes_max,
      .segment_age_ms_max = c->segment_age_ms_max,
      .logs = 1,
      .answer = flush_answer,
      .answer_ctx = sh};
  int rc;

  sh->start_what = "set up the segment writer";
  rc = stor_writer_init(&sh->writer, &sh->io.ring, &sh->stats,
                        &sh->pipe.series, &wc, &sh->active_seg);
  if (rc == 0)
    sh->storage = 1;
  return rc;
}

static int setup(struct core_shard *sh) {
  const struct core_config *c = sh->cfg;
  int rc;

  sh->start_what = "pin the thread to its CPU";
  if ((rc = pin(sh->cpu)) < 0)
    return rc;
  sh->start_what = "allocate the series dictionary and head";
  rc = core_pipe_init(&sh->pipe, &sh->stats, c->max_series, c->line_bytes_max,
                      seal_sink, sh);
  if (rc < 0)
    return rc;
  sh->start_what = "allocate the log head";
  rc = core_pipe_logs_init(&sh->pipe, c->syslog_bytes_max, log_seal_sink, sh);
  if (rc < 0)
    return rc;
  sh->start_what = "set up io_uring (ring, provided-buffer rings)";
  rc = net_io_init(&sh->io, &(struct net_io_cfg){
                                .udp_fd = sh->udp_fd,
                                .tcp_fd = sh->tcp_fd,
                                .syslog_udp_fd = sh->syslog_udp_fd,
                                .syslog_tcp_fd = sh->syslog_tcp_fd,
                                .conns_max = c->tcp_conns_max,
                                .line_bytes_max = c->line_bytes_max,
                                .syslog_bytes_max = c->syslog_bytes_max});
  if (rc < 0)
    return rc;
  /* owned by io now */
  sh->udp_fd = sh->tcp_fd = sh->syslog_udp_fd = sh->syslog_tcp_fd = -1;
  if (sh->dir_fd >= 0 && (rc = setup_storage(sh)) < 0)
    return rc;
  net_io_arm(&sh->io);
  arm_ctl(sh);
  sh->start_what = "submit the first receive requests";
  rc = io_uring_submit(&sh->io.ring);
  return rc < 0 ? rc : 0;
}

static void *shard_main(void *arg) {
  struct core_shard *sh = arg;
  int rc = setup(sh);

  if (rc < 0) {
    sh->start_rc = rc;
    stor_writer_free(&sh->writer);
    net_io_free(&sh->io);
    core_pipe_free(&sh->pipe);
    set_state(sh, CORE_SHARD_FAILED);
    return NULL;
  }
  set_state(sh, CORE_SHARD_RUNNING);
  loop(sh);
  drain(sh);
  stor_writer_free(&sh->writer);
  net_io_free(&sh->io);
  core_pipe_free(&sh->pipe);
  set_state(sh, CORE_SHARD_STOPPED);
  return NULL;
}

static void close_fds(struct core_shard *sh) {
  int *fds[] = {&sh->udp_fd, &sh->tcp_fd, &sh->syslog_udp_fd,
                &sh->syslog_tcp_fd};

  for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
    if (*fds[i] >= 0)
      close(*fds[i]);
    *fds[i] = -1;
  }
}

int core_shard_start(struct core_shard *sh) {
  struct timespec nap = {.tv_sec = 0, .tv_nsec = 1000000};
  int rc;

  sh->efd = eventfd(0, EFD_CLOEXEC);
  if (sh->efd < 0) {
    sh->start_what = "create the control eventfd";
    close_fds(sh);
    return -errno;
  }
  rc = pthread_create(&sh->thread, NULL, shard_main, sh);
  if (rc != 0) {
    sh->start_what = "create the shard thread";
    close_fds(sh);
    return -rc;
  }
  sh->started = 1;
  while (__atomic_load_n(&sh->state, __ATOMIC_ACQUIRE) == CORE_SHARD_STARTING)
    nanosleep(&nap, NULL);
  if (__atomic_load_n(&sh->state, __ATOMIC_ACQUIRE) == CORE_SHARD_FAILED) {
    close_fds(sh);
    return sh->start_rc;
  }
  return 0;
}

int core_shard_send(struct core_shard *sh, enum core_ctl_op op, uint64_t arg) {
  struct core_ctl_ring *r = &sh->ctl;
  uint32_t tail = r->tail;
  uint64_t one = 1;

  if (tail - __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) >=
      CORE_CTL_RING_ENTRIES)
    return -EAGAIN;
  r->msgs[tail & (CORE_CTL_RING_ENTRIES - 1)] =
      (struct core_ctl_msg){.op = op, .arg = arg};
  __atomic_store_n(&r->tail, tail + 1, __ATOMIC_RELEASE);
  if (write(sh->efd, &one, sizeof(one)) != sizeof(one))
    return -errno;
  return 0;
}

void core_shard_stop(struct core_shard *sh) {
  if (sh->started) {
    if (__atomic_load_n(&sh->state, __ATOMIC_ACQUIRE) == CORE_SHARD_RUNNING)
      while (core_shard_send(sh, CORE_CTL_STOP, 0) == -EAGAIN)
        sched_yield();
    pthread_join(sh->thread, NULL);
    sh->started = 0;
  }
  if (sh->efd >= 0)
    close(sh->efd);
  sh->efd = -1;
  if (sh->dir_fd >= 0)
    close(sh->dir_fd);
  sh->dir_fd = -1;
}
