/*
 * tools/bench_types.h - options and per-thread state of `sluice bench`.
 */
#ifndef SLUICE_TOOLS_BENCH_TYPES_H
#define SLUICE_TOOLS_BENCH_TYPES_H

#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/base/limits.h"
#include "tools/workload_types.h"

struct tools_bench_opts {
  enum tools_proto proto;
  const char *target;          /* HOST:PORT as given */
  struct sockaddr_storage addr;
  socklen_t addr_len;
  int tcp;
  double rate;                 /* lines/s over all threads; 0: as fast as possible */
  double duration_s;
  unsigned threads;
  unsigned datagram_bytes;
  unsigned series;
  unsigned tags;
  const char *check_url;       /* NULL: no --check */
  uint64_t seed;
  int cpus[TOOLS_BENCH_THREADS_MAX];  /* CPU of thread i (--cpus, or all) */
  unsigned cpu_count;
};

/* One sender thread; its totals are exact once the thread has ended. */
struct tools_bench_sender {
  pthread_t tid;
  unsigned idx;
  const struct tools_bench_opts *opts;
  struct tools_workload pool;
  uint64_t start_ns;           /* common start, set before the threads run */
  uint64_t end_ns;             /* deadline */
  uint64_t lines;
  uint64_t chunks;             /* datagrams (UDP) or writes (TCP) */
  uint64_t bytes;
  uint64_t send_errors;        /* refused / no buffer: nothing sent */
  uint64_t finished_ns;
  int err;                     /* -errno that stopped the thread, or 0 */
};

#endif
