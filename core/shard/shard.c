/*
 * core/shard/shard.c - the shard thread: set up, event loop, drain, tear down.
 */
#include "core/shard/shard.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <sched.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/base/assert.h"
#include "core/base/fault.h"
#include "core/base/heap.h"
#include "core/base/ring.h"
#include "core/ingest/head.h"
#include "core/ingest/loghead.h"
#include "core/ingest/otlpmap.h"
#include "core/ingest/pipe.h"
#include "core/ingest/series.h"
#include "core/ingest/spanhead.h"
#include "core/ingest/spanmap.h"
#include "core/shard/stats.h"
#include "core/shard/store.h"
#include "net/dpdk.h"
#include "net/io.h"
#include "net/otlp_grpc.h"
#include "net/otlp_http.h"

/* Seal every open block (metrics, logs, spans). */
static void seal_heads(struct core_shard *sh) {
  core_head_seal(&sh->pipe.head);
  core_loghead_seal(&sh->pipe.loghead);
  core_spanhead_seal(&sh->pipe.spanhead);
}

/* Answer a flush: the OTLP listener's own generations go to it; the
 * query port's are published (the query thread polls them). */
static void flush_answer(void *ctx, uint64_t gen, int failed) {
  struct core_shard *sh = ctx;

  if (gen & NET_OTLP_HTTP_GEN_FLAG) {
    net_otlp_http_answer(&sh->otlp, gen, failed);
    return;
  }
  if (gen & NET_OTLP_GRPC_GEN_FLAG) {
    net_otlp_grpc_answer(&sh->otlp_grpc, gen, failed);
    return;
  }
  if (gen == 0)
    return; /* the shutdown flush has no one waiting */
  __atomic_store_n(&sh->flush_failed, failed, __ATOMIC_RELAXED);
  __atomic_store_n(&sh->flush_answered, gen, __ATOMIC_RELEASE);
}

static void on_flush(struct core_shard *sh, uint64_t gen) {
  int rc;

  seal_heads(sh);
  rc = core_store_flush(&sh->store, gen);
  if (rc != 0)
    flush_answer(sh, gen, rc < 0); /* nothing kept (1), or too many (<0) */
}

/* net_otlp_durable_ops.flush: one seal and one flush generation for the
 * OTLP requests of a pass of the loop. */
static int otlp_flush(void *ctx, uint64_t gen) {
  struct core_shard *sh = ctx;

  seal_heads(sh);
  return core_store_flush(&sh->store, gen);
}

static int otlp_keeping_up(void *ctx) {
  struct core_shard *sh = ctx;

  return core_store_keeping_up(&sh->store);
}

static void set_state(struct core_shard *sh, enum core_shard_state s) {
  __atomic_store_n(&sh->state, (int)s, __ATOMIC_RELEASE);
}

static void arm_ctl(struct core_shard *sh) {
  struct io_uring_sqe *sqe = core_ring_sqe(&sh->ring);

  io_uring_prep_read(sqe, sh->efd, &sh->efd_buf, sizeof(sh->efd_buf), 0);
  io_uring_sqe_set_data64(sqe, core_ring_ud(sh->tag, CORE_SHARD_OP_CTL, 0));
}

/* A new value for an option the shard takes live (SIGHUP). */
static void set_option(struct core_shard *sh, uint32_t op, uint64_t v) {
  struct core_shard_cfg *c = &sh->cfg;

  if (op == CORE_CTL_SET_BLOCK_AGE)
    c->block_max_age_ms = (uint32_t)v;
  else if (op == CORE_CTL_SET_FSYNC_INTERVAL)
    c->fsync_interval_ms = (uint32_t)v;
  else if (op == CORE_CTL_SET_SEGMENT_BYTES)
    c->segment_bytes_max = v;
  else if (op == CORE_CTL_SET_SEGMENT_AGE)
    c->segment_age_ms_max = v;
  core_store_set_limits(&sh->store, c->fsync_interval_ms,
                        c->segment_bytes_max, c->segment_age_ms_max);
}

/*
 * The stop began at t0 (core_ring_now_ms): nothing new is received, and
 * what was received is ingested only until t0 + CORE_STOP_READ_MS and
 * while the storage keeps up (what is read later could not be durable in
 * time); the loop winds down and drain() follows.
 */
static void begin_stop(struct core_shard *sh, int64_t t0) {
  if (sh->stop)
    return;
  sh->ring.brake = NULL; /* reaps run whole again: ingesting is bounded */
  sh->stop = 1;
  sh->stop_began_ms = t0;
  sh->drain = (struct net_drain){.deadline_ms = t0 + CORE_STOP_READ_MS,
                                 .keeping_up = core_store_keeping_up,
                                 .ctx = &sh->store};
  net_io_stop(&sh->io, &sh->drain);
  net_otlp_http_stop(&sh->otlp);
  net_otlp_grpc_stop(&sh->otlp_grpc);
}

/* Handle every queued control message, then wait for the next. */
static void on_ctl(struct core_shard *sh) {
  struct core_ctl_ring *r = &sh->ctl;
  uint32_t head = r->head;
  uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);

  for (; head != tail; head++) {
    const struct core_ctl_msg *m = &r->msgs[head & (CORE_CTL_RING_ENTRIES - 1)];
    if (m->op == CORE_CTL_STOP)
      begin_stop(sh, (int64_t)m->arg);
    else if (m->op == CORE_CTL_SEAL)
      seal_heads(sh);
    else if (m->op == CORE_CTL_FLUSH)
      on_flush(sh, m->arg);
    else
      set_option(sh, m->op, m->arg);
  }
  __atomic_store_n(&r->head, head, __ATOMIC_RELEASE);
  if (!sh->stop)
    arm_ctl(sh);
}

/* The shard's own handler on its ring: control reads. */
static void complete(void *ctx, const struct io_uring_cqe *cqe,
                     int64_t now_ms) {
  (void)now_ms;
  if (core_ring_ud_op(cqe->user_data) == CORE_SHARD_OP_CTL)
    on_ctl(ctx);
}

/* Time-driven work of every part: block age, gauges, the writer. */
static void tick(struct core_shard *sh) {
  int64_t t = core_ring_now_ms();

  core_head_tick(&sh->pipe.head, t, sh->cfg.block_max_age_ms);
  core_loghead_tick(&sh->pipe.loghead, t, sh->cfg.block_max_age_ms);
  core_stat_set(&sh->stats.ingest.head_points, sh->pipe.head.count);
  core_stat_set(&sh->stats.ingest.loghead_records, sh->pipe.loghead.count);
  core_spanhead_tick(&sh->pipe.spanhead, t, sh->cfg.block_max_age_ms);
  core_stat_set(&sh->stats.ingest.spanhead_spans, sh->pipe.spanhead.count);
  core_store_tick(&sh->store);
  net_otlp_http_tick(&sh->otlp, t);
  net_otlp_grpc_tick(&sh->otlp_grpc, t);
}

/* The millisecond the DPDK loop serves its ring by: CLOCK_MONOTONIC (a
 * vDSO read, no system call), because core_ring_now_ms's coarse clock
 * turns only every jiffy (4 ms at CONFIG_HZ=250). */
static int64_t dpdk_serve_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * With DPDK (docs/dpdk.md, idle policy): poll the queue without waiting
 * while frames come, serving the ring without waiting whenever the
 * millisecond turns; after NET_DPDK_IDLE_POLLS empty bursts, wait on the
 * ring for at most NET_DPDK_IDLE_WAIT_US, so an idle shard sleeps and a
 * busy one makes a system call per millisecond, not per packet.
 */
static void loop_dpdk(struct core_shard *sh) {
  struct __kernel_timespec idle = {.tv_sec = 0,
                                   .tv_nsec = NET_DPDK_IDLE_WAIT_US * 1000L};
  struct io_uring_cqe *cqe;
  int64_t served = 0;

  while (!sh->stop) {
    int64_t now = core_ring_now_ms();
    int rc;
    if (net_dpdk_poll(&sh->dpdk, now) == 0 && net_dpdk_idle(&sh->dpdk))
      rc = io_uring_submit_and_wait_timeout(&sh->ring.uring, &cqe, 1, &idle,
                                            NULL);
    else if (dpdk_serve_ms() != served)
      rc = io_uring_submit_and_get_events(&sh->ring.uring);
    else
      continue;
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY)
      core_stat_add(&sh->stats.rx.rx_errors, 1);
    served = dpdk_serve_ms();
    core_ring_reap(&sh->ring);
    /* OTLP requests of this pass: one seal, one fsync generation (their
     * replies wait for it, as in loop) */
    net_otlp_http_commit(&sh->otlp);
    net_otlp_grpc_commit(&sh->otlp_grpc);
    if (__atomic_load_n(&sh->stop_requested, __ATOMIC_ACQUIRE))
      begin_stop(sh, __atomic_load_n(&sh->stop_t0, __ATOMIC_RELAXED));
    tick(sh);
  }
}

static void loop(struct core_shard *sh) {
  struct __kernel_timespec t = {.tv_sec = 0,
                                .tv_nsec = CORE_TICK_MS * 1000000L};
  struct io_uring_cqe *cqe;

  while (!sh->stop) {
    int rc = io_uring_submit_and_wait_timeout(&sh->ring.uring, &cqe, 1, &t,
                                              NULL);
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY)
      core_stat_add(&sh->stats.rx.rx_errors, 1);
    core_ring_reap(&sh->ring);
    /* OTLP requests of this pass: one seal, one fsync generation */
    net_otlp_http_commit(&sh->otlp);
    net_otlp_grpc_commit(&sh->otlp_grpc);
    if (__atomic_load_n(&sh->stop_requested, __ATOMIC_ACQUIRE))
      begin_stop(sh, __atomic_load_n(&sh->stop_t0, __ATOMIC_RELAXED));
    tick(sh);
  }
}

/*
 * OTLP requests that still wait are answered now that the final flush is
 * done (200 if it kept everything, else 503), and their replies get until
 * NET_OTLP_HTTP_STOP_SEND_MS past the store's deadline to go out.
 */
static void otlp_last_replies(struct core_shard *sh, int64_t t0) {
  int64_t end = t0 + CORE_STOP_STORE_MS + NET_OTLP_HTTP_STOP_SEND_MS;

  while (net_otlp_http_finish(&sh->otlp, sh->stop_lost) +
                 net_otlp_grpc_finish(&sh->otlp_grpc, sh->stop_lost) > 0 &&
         core_ring_now_ms() < end) {
    core_ring_wait(&sh->ring, 10);
    core_ring_reap(&sh->ring);
  }
}

/*
 * Stop (begin_stop), each step by a deadline counted from when the stop
 * began: what the kernel had received by then is still ingested within
 * the stop's bounds (begin_stop; senders that keep sending are cut, and
 * that is said), then every sealed block is made durable (by
 * CORE_STOP_STORE_MS; otherwise stop_lost, and the process exits 1).
 */
static void drain(struct core_shard *sh) {
  const struct net_drain *d = &sh->drain;
  int64_t t0 = sh->stop_began_ms;

  io_uring_submit(&sh->ring.uring);
  io_uring_get_events(&sh->ring.uring);
  core_ring_reap(&sh->ring);
  if (sh->cfg.dpdk)
    net_dpdk_drain(&sh->dpdk, &sh->drain);
  net_io_drain(&sh->io);
  io_uring_get_events(&sh->ring.uring);
  core_ring_reap(&sh->ring);
  if (d->cut)
    fprintf(stderr, "sluice: shard %u: stop: ingesting what was received "
            "was cut short (storage behind, or past %d ms): %" PRIu64
            " TCP bytes and %" PRIu64 " UDP datagrams (and any still "
            "queued) are not stored; senders that kept sending after the "
            "stop lose them\n",
            sh->id, CORE_STOP_READ_MS, d->left_bytes, d->left_datagrams);
  /* The store's reaps may still hand the heads data already received
   * (completions of the cancelled receives): seal until they stay empty. */
  do {
    seal_heads(sh);
    sh->stop_lost = !core_store_drain(&sh->store, t0 + CORE_STOP_STORE_MS);
  } while (!sh->stop_lost &&
           (sh->pipe.head.count > 0 || sh->pipe.loghead.count > 0 ||
            sh->pipe.spanhead.count > 0));
  core_stat_set(&sh->stats.ingest.head_points, 0);
  core_stat_set(&sh->stats.ingest.loghead_records, 0);
  otlp_last_replies(sh, t0);
  core_stat_set(&sh->stats.ingest.spanhead_spans, 0);
}

static int pin(int cpu) {
  cpu_set_t set;

  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* The segment writer on the shard's ring (after recovery gave the seqs). */
static int setup_storage(struct core_shard *sh) {
  const struct core_shard_cfg *c = &sh->cfg;
  int rc;
  struct stor_writer_cfg wc = {
      .shard = (uint16_t)sh->id,
      .dir_fd = sh->dir_fd,
      .next_seg_seq = sh->next_seg_seq,
      .next_block_seq = sh->next_block_seq,
      .fsync_interval_ms = c->fsync_interval_ms,
      .segment_bytes_max = c->segment_bytes_max,
      .segment_age_ms_max = c->segment_age_ms_max,
      .series_max = c->max_series,
      .logs = 1,
      .spans = 1,
      .answer = flush_answer,
      .answer_ctx = sh};

  sh->start_what = "set up the segment writer";
  rc = core_store_open(&sh->store, &sh->pipe.series, &wc, &sh->active_seg);
  if (rc == 0 && sh->pipe.logs) /* log blocks built as records arrive */
    core_store_log_encoder(&sh->store, &sh->pipe.loghead);
  return rc;
}

/* The ring, with the shard as its first owner. */
static int setup_ring(struct core_shard *sh) {
  int rc;

  sh->start_what = "set up io_uring";
  if ((rc = core_ring_init(&sh->ring, CORE_RING_ENTRIES)) < 0)
    return rc;
  if ((rc = core_ring_register(&sh->ring, complete, sh)) < 0)
    return rc;
  sh->tag = rc;
  sh->ring.brake = &sh->stop_requested;
  core_store_init(&sh->store, &sh->ring, &sh->stats);
  return 0;
}

static int setup(struct core_shard *sh) {
  const struct core_shard_cfg *c = &sh->cfg;
  int rc;

  sh->start_what = "pin the thread to its CPU";
  if ((rc = pin(sh->cpu)) < 0)
    return rc;
  sh->start_what = "make the shard's heap (mimalloc)";
  if ((rc = core_heap_init(&sh->heap, &sh->stats.heap,
                           core_fault.heap_fail)) < 0)
    return rc;
  if ((rc = setup_ring(sh)) < 0)
    return rc;
  sh->start_what = "allocate the series dictionary and head";
  rc = core_pipe_init(&sh->pipe, &sh->stats.ingest, c->max_series,
                      c->line_bytes_max, core_store_head_sink, &sh->store);
  if (rc < 0)
    return rc;
  core_series_set_budget(&sh->pipe.series, c->series_budget);
  sh->start_what = "allocate the log head";
  rc = core_pipe_logs_init(&sh->pipe, c->syslog_bytes_max,
                           core_store_loghead_sink, &sh->store);
  if (rc < 0)
    return rc;
  sh->start_what = "allocate the span head";
  rc = core_pipe_spans_init(&sh->pipe, core_store_spanhead_sink, &sh->store);
  if (rc < 0)
    return rc;
  sh->start_what = "take --otlp-resource-labels";
  if (c->otlp_resource_labels != NULL &&
      (rc = core_pipe_otlp_resource_labels(&sh->pipe,
                                           c->otlp_resource_labels)) < 0)
    return rc;
  sh->start_what = "set up the receive side (buffer rings, connections)";
  rc = net_io_init(&sh->io, &sh->ring, &sh->pipe, &sh->stats.rx,
                   &(struct net_io_cfg){
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
  sh->start_what = "set up the OTLP/HTTP listener (connections, parsers)";
  rc = net_otlp_http_init(
      &sh->otlp, &sh->ring, &sh->pipe, &sh->stats.otlp_http,
      &(struct net_otlp_http_cfg){.fd = sh->otlp_http_fd,
                                  .conns_max = NET_OTLP_HTTP_CONNS_MAX,
                                  .heap = &sh->heap},
      &(struct net_otlp_durable_ops){otlp_flush, otlp_keeping_up, sh});
  sh->otlp_http_fd = -1; /* owned by otlp now, even on failure */
  if (rc < 0)
    return rc;
  sh->start_what = "take its DPDK queue";
  if (c->dpdk && (rc = net_dpdk_queue_init(&sh->dpdk, sh->id, &sh->pipe,
                                           &sh->stats.rx,
                                           &sh->stats.dpdk)) < 0)
    return rc;
  sh->start_what = "set up the OTLP/gRPC listener (connections, HTTP/2)";
  rc = net_otlp_grpc_init(
      &sh->otlp_grpc, &sh->ring, &sh->pipe, &sh->stats.otlp_grpc,
      &(struct net_otlp_grpc_cfg){.fd = sh->otlp_grpc_fd,
                                  .conns_max = NET_OTLP_GRPC_CONNS_MAX,
                                  .heap = &sh->heap},
      &(struct net_otlp_durable_ops){otlp_flush, otlp_keeping_up, sh});
  sh->otlp_grpc_fd = -1; /* owned by otlp_grpc now, even on failure */
  if (rc < 0)
    return rc;
  if (sh->dir_fd >= 0 && (rc = setup_storage(sh)) < 0)
    return rc;
  net_io_arm(&sh->io);
  net_otlp_http_arm(&sh->otlp);
  net_otlp_grpc_arm(&sh->otlp_grpc);
  arm_ctl(sh);
  sh->start_what = "submit the first receive requests";
  rc = io_uring_submit(&sh->ring.uring);
  return rc < 0 ? rc : 0;
}

/* Everything setup made, in reverse; safe after a failed setup. */
static void teardown(struct core_shard *sh) {
  core_store_free(&sh->store);
  net_dpdk_queue_free(&sh->dpdk);
  if (sh->io.ring != NULL) /* net_io_init ran and did not undo itself */
    net_io_free(&sh->io);
  if (sh->otlp.on) /* init ran and did not undo itself */
    net_otlp_http_free(&sh->otlp);
  if (sh->otlp_grpc.on)
    net_otlp_grpc_free(&sh->otlp_grpc);
  core_pipe_free(&sh->pipe);
  core_ring_free(&sh->ring);
  core_heap_destroy(&sh->heap); /* last: every block's owner is gone */
}

static void *shard_main(void *arg) {
  struct core_shard *sh = arg;
  int rc = setup(sh);

  if (rc < 0) {
    sh->start_rc = rc;
    teardown(sh);
    set_state(sh, CORE_SHARD_FAILED);
    return NULL;
  }
  set_state(sh, CORE_SHARD_RUNNING);
  if (sh->cfg.dpdk)
    loop_dpdk(sh);
  else
    loop(sh);
  drain(sh);
  teardown(sh);
  set_state(sh, CORE_SHARD_STOPPED);
  return NULL;
}

static void close_fds(struct core_shard *sh) {
  int *fds[] = {&sh->udp_fd, &sh->tcp_fd, &sh->syslog_udp_fd,
                &sh->syslog_tcp_fd, &sh->otlp_http_fd, &sh->otlp_grpc_fd};

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

void core_shard_request_stop(struct core_shard *sh, int64_t t0) {
  __atomic_store_n(&sh->stop_t0, t0, __ATOMIC_RELAXED);
  __atomic_store_n(&sh->stop_requested, 1, __ATOMIC_RELEASE);
  while (core_shard_send(sh, CORE_CTL_STOP, (uint64_t)t0) == -EAGAIN)
    sched_yield();
}

void core_shard_join(struct core_shard *sh) {
  if (sh->started) {
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
