/*
 * core/shard.c - the shard thread: set up, event loop, drain, tear down.
 */
#include "core/shard.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/assert.h"
#include "core/config_types.h"
#include "core/head.h"
#include "core/pipe.h"
#include "core/stats.h"
#include "net/io.h"
#include "net/uring.h"

static int64_t now_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Until storage lands a sealed block is counted, then released. */
static void seal_sink(struct core_head *h, void *ctx) {
  struct core_shard *sh = ctx;

  core_stat_add(&sh->stats.head_sealed_blocks, 1);
  core_stat_add(&sh->stats.head_sealed_points, h->count);
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
      core_head_seal(&sh->pipe.head);
  }
  __atomic_store_n(&r->head, head, __ATOMIC_RELEASE);
  if (!sh->stop)
    arm_ctl(sh);
}

/* Reap every completion now in the CQ. Returns how many. */
static unsigned reap(struct core_shard *sh) {
  struct io_uring_cqe *cqe;
  unsigned head, n = 0;
  int64_t t = now_ms();

  io_uring_for_each_cqe(&sh->io.ring, head, cqe) {
    n++;
    if (net_io_complete(&sh->io, &sh->pipe, cqe, t))
      continue;
    if (net_ud_op(cqe->user_data) == NET_OP_CTL)
      on_ctl(sh);
  }
  io_uring_cq_advance(&sh->io.ring, n);
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
    core_stat_set(&sh->stats.head_points, sh->pipe.head.count);
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
  core_head_seal(&sh->pipe.head);
  core_stat_set(&sh->stats.head_points, 0);
}

static int pin(int cpu) {
  cpu_set_t set;

  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
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
  sh->start_what = "set up io_uring (ring, provided-buffer rings)";
  rc = net_io_init(&sh->io, sh->udp_fd, sh->tcp_fd, c->tcp_conns_max,
                   c->line_bytes_max);
  if (rc < 0)
    return rc;
  sh->udp_fd = sh->tcp_fd = -1; /* owned by io now */
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
    net_io_free(&sh->io);
    core_pipe_free(&sh->pipe);
    set_state(sh, CORE_SHARD_FAILED);
    return NULL;
  }
  set_state(sh, CORE_SHARD_RUNNING);
  loop(sh);
  drain(sh);
  net_io_free(&sh->io);
  core_pipe_free(&sh->pipe);
  set_state(sh, CORE_SHARD_STOPPED);
  return NULL;
}

static void close_fds(struct core_shard *sh) {
  if (sh->udp_fd >= 0)
    close(sh->udp_fd);
  if (sh->tcp_fd >= 0)
    close(sh->tcp_fd);
  sh->udp_fd = sh->tcp_fd = -1;
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
}
