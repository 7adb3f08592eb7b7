/*
 * tools/bench.c - `sluice bench`: options, workload, threads, summary and
 * the --check against sluice's /metrics.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/cmd/cli.h"
#include "simd/simd.h"
#include "tools/bench.h"
#include "tools/http.h"
#include "tools/metrics.h"
#include "tools/tools.h"
#include "tools/util.h"
#include "tools/workload.h"

#define CMD "bench"
#define START_DELAY_NS 20000000u /* threads are created before time zero */

static const char help[] =
    "Usage: sluice bench statsd|syslog --target HOST:PORT [OPTION]...\n"
    "       sluice bench otlp --target HOST:PORT [OPTION]... (see --help there)\n"
    "Send a generated, fleet-like workload to sluice (or any StatsD/syslog\n"
    "server) and print what was sent.\n\n"
    "  --target HOST:PORT    where to send (required)\n"
    "  --tcp                 TCP (LF-framed lines) instead of UDP\n"
    "  --rate N|max          lines per second over all threads, k/M suffixes\n"
    "                        allowed (default 100k); max: unpaced\n"
    "  --duration S          seconds to send (default 10; fractions allowed)\n"
    "  --threads N           sender threads, each pinned to a CPU (default 1)\n"
    "  --cpus LIST           CPUs for the threads, e.g. 1 or 0,2-3 (default all)\n"
    "  --datagram-bytes N    pack whole lines into datagrams up to N bytes\n"
    "                        (default 1432; TCP: the pacing unit)\n"
    "  --series N            distinct series (default 10000)\n"
    "  --tags N              DogStatsD tags per line, 0-16 (default 4; 0 puts\n"
    "                        the host in the metric name)\n"
    "  --seed N              seed of the values (default 1)\n"
    "  --check URL           read sluice's /metrics (e.g.\n"
    "                        http://127.0.0.1:9400/metrics) before and after,\n"
    "                        and print what sluice received and the loss\n"
    "                        (after: once every line is counted, or the\n"
    "                        count stood still 2 s, or 30 s at most)\n"
    "  --simd LEVEL          kernels of this process (as for `sluice run`):\n"
    "                        auto, avx512, avx2, sse42 or scalar (default auto)\n"
    "  --help                this text\n\n"
    "StatsD mixes c (some @0.5), g (some +/- deltas), ms, h, d and s; a\n"
    "series keeps its type, one value per line, so lines sent = points.\n"
    "Syslog mixes RFC 3164 and RFC 5424 lines, one per UDP datagram.\n"
    "Output: one `key value` per line (the value is the last field):\n"
    "  lines sent, datagrams (TCP: writes), bytes, seconds, lines/s,\n"
    "  send errors; with --check: received, lost, loss %, sluice drops.\n";

enum { OPT_TARGET = 256, OPT_TCP, OPT_RATE, OPT_DURATION, OPT_THREADS,
       OPT_CPUS, OPT_DGRAM, OPT_SERIES, OPT_TAGS, OPT_SEED, OPT_CHECK,
       OPT_HELP, OPT_SIMD };

static const struct option long_opts[] = {
    {"target", required_argument, NULL, OPT_TARGET},
    {"tcp", no_argument, NULL, OPT_TCP},
    {"rate", required_argument, NULL, OPT_RATE},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"cpus", required_argument, NULL, OPT_CPUS},
    {"datagram-bytes", required_argument, NULL, OPT_DGRAM},
    {"series", required_argument, NULL, OPT_SERIES},
    {"tags", required_argument, NULL, OPT_TAGS},
    {"seed", required_argument, NULL, OPT_SEED},
    {"check", required_argument, NULL, OPT_CHECK},
    {"help", no_argument, NULL, OPT_HELP},
    {"simd", required_argument, NULL, OPT_SIMD},
    {NULL, 0, NULL, 0}};

static int bad_count(const char *opt, const char *arg, uint64_t min,
                     uint64_t max) {
  return core_cli_usage(CMD,
                        "%s \"%s\": give a whole number from %llu to %llu", opt,
                        arg, (unsigned long long)min, (unsigned long long)max);
}

/* Parse a counted option into *out. Returns 0 or CORE_EXIT_USAGE. */
static int count_opt(const char *opt, const char *arg, uint64_t min,
                     uint64_t max, unsigned *out) {
  uint64_t v;
  if (tools_parse_count(arg, min, max, &v) < 0)
    return bad_count(opt, arg, min, max);
  *out = (unsigned)v;
  return 0;
}

static int rate_opt(const char *arg, double *rate) {
  uint64_t v;
  if (strcmp(arg, "max") == 0) {
    *rate = 0;
    return 0;
  }
  if (tools_parse_count(arg, 1, UINT64_C(1) << 40, &v) < 0)
    return core_cli_usage(CMD, "--rate \"%s\": give lines per second "
                               "(e.g. 50000, 2M) or max", arg);
  *rate = (double)v;
  return 0;
}

static int duration_opt(const char *arg, double *s) {
  char *end;
  *s = strtod(arg, &end);
  if (end == arg || *end != '\0' || !(*s > 0) || *s > 86400)
    return core_cli_usage(CMD, "--duration \"%s\": give seconds, more than 0 "
                               "and at most 86400 (e.g. 10 or 0.5)", arg);
  return 0;
}

static int cpus_opt(const char *arg, struct tools_bench_opts *o) {
  int n = tools_parse_cpulist(arg, o->cpus, TOOLS_BENCH_THREADS_MAX);
  if (n <= 0)
    return core_cli_usage(CMD, "--cpus \"%s\": give a CPU list such as 1 or "
                               "0,2-3 (at most %d CPUs)",
                          arg, TOOLS_BENCH_THREADS_MAX);
  o->cpu_count = (unsigned)n;
  return 0;
}

/* --simd: select the kernels at once (the senders start later). */
static int simd_opt(const char *arg) {
  int rc = simd_select(arg);
  if (rc == -ENOTSUP)
    return core_cli_usage(CMD, "--simd %s: this CPU lacks it (its best is %s)",
                          arg, simd_level_name(simd_level_best()));
  if (rc < 0)
    return core_cli_usage(CMD, "--simd \"%s\": use auto, avx512, avx2, sse42 "
                               "or scalar", arg);
  return 0;
}

static int one_opt(int c, const char *arg, void *ctx) {
  struct tools_bench_opts *o = ctx;
  uint64_t seed;
  switch (c) {
  case OPT_TARGET: o->target = arg; return 0;
  case OPT_TCP: o->tcp = 1; return 0;
  case OPT_RATE: return rate_opt(arg, &o->rate);
  case OPT_DURATION: return duration_opt(arg, &o->duration_s);
  case OPT_THREADS:
    return count_opt("--threads", arg, 1, TOOLS_BENCH_THREADS_MAX, &o->threads);
  case OPT_CPUS: return cpus_opt(arg, o);
  case OPT_SIMD: return simd_opt(arg);
  case OPT_DGRAM:
    return count_opt("--datagram-bytes", arg, TOOLS_BENCH_DATAGRAM_BYTES_MIN,
                     TOOLS_BENCH_DATAGRAM_BYTES_MAX, &o->datagram_bytes);
  case OPT_SERIES:
    return count_opt("--series", arg, 1, TOOLS_BENCH_SERIES_MAX, &o->series);
  case OPT_TAGS:
    return count_opt("--tags", arg, 0, TOOLS_BENCH_TAGS_MAX, &o->tags);
  case OPT_SEED:
    if (tools_parse_count(arg, 0, UINT64_MAX, &seed) < 0)
      return bad_count("--seed", arg, 0, UINT64_MAX);
    o->seed = seed;
    return 0;
  case OPT_CHECK: o->check_url = arg; return 0;
  default: return core_cli_usage(CMD, "unknown option");
  }
}

static int resolve_target(struct tools_bench_opts *o) {
  unsigned len;
  int rc = tools_resolve_target(CMD, o->target, o->tcp ? SOCK_STREAM
                                                       : SOCK_DGRAM,
                                "127.0.0.1:8125", &o->addr, &len);
  o->addr_len = len;
  return rc;
}

static int parse_args(int argc, char **argv, struct tools_bench_opts *o) {
  int rc, first;
  *o = (struct tools_bench_opts){.rate = 100000, .duration_s = 10,
                                 .threads = 1,
                                 .datagram_bytes = TOOLS_BENCH_DATAGRAM_BYTES_DEFAULT,
                                 .series = TOOLS_BENCH_SERIES_DEFAULT,
                                 .tags = TOOLS_BENCH_TAGS_DEFAULT, .seed = 1};
  rc = tools_cli_options(CMD, help, argc, argv, long_opts, OPT_HELP, one_opt, o,
                         &first);
  if (rc != 0)
    return rc;
  if (first != argc - 1)
    return core_cli_usage(CMD, "give one protocol: statsd or syslog");
  if (strcmp(argv[first], "statsd") == 0)
    o->proto = TOOLS_PROTO_STATSD;
  else if (strcmp(argv[first], "syslog") == 0)
    o->proto = TOOLS_PROTO_SYSLOG;
  else
    return core_cli_usage(CMD, "protocol \"%s\": give statsd or syslog",
                          argv[first]);
  return resolve_target(o);
}

/* Lines sluice has accounted for, and its kernel drops, from /metrics. */
static int read_counts(const struct tools_bench_opts *o, double *accounted,
                       double *drops) {
  struct tools_metrics *m = malloc(sizeof(*m));
  char err[512];
  int rc = m ? tools_metrics_fetch(o->check_url, m, err, sizeof(err)) : -ENOMEM;

  if (rc < 0) {
    fprintf(stderr, "sluice bench: --check: %s\n", m ? err : "out of memory");
  } else {
    *accounted = tools_metrics_accounted(&m->total, o->proto);
    *drops = m->total.rx_dropped;
  }
  free(m);
  return rc;
}

static int build_pools(const struct tools_bench_opts *o,
                       struct tools_bench_sender *s) {
  uint32_t per_thread = (o->series + o->threads - 1) / o->threads;
  for (unsigned i = 0; i < o->threads; i++) {
    struct tools_workload_spec spec = {
        .proto = o->proto, .series = o->series, .tags = o->tags,
        .chunk_bytes = o->datagram_bytes,
        .pool_lines = per_thread > TOOLS_BENCH_POOL_LINES_MIN
                          ? per_thread : TOOLS_BENCH_POOL_LINES_MIN,
        .thread = i, .threads = o->threads,
        .one_per_chunk = o->proto == TOOLS_PROTO_SYSLOG && !o->tcp,
        .seed = o->seed, .now_s = (int64_t)time(NULL)};
    s[i].idx = i;
    s[i].opts = o;
    if (tools_workload_build(&spec, &s[i].pool) < 0)
      return core_cli_fail(CMD, "cannot build the workload of thread %u: "
                                "out of memory", i);
  }
  return 0;
}

/* Run the threads; returns the first sender error (0 if none). */
static int run_senders(const struct tools_bench_opts *o,
                       struct tools_bench_sender *s, uint64_t *start_ns) {
  unsigned started = 0;
  int err = 0;

  *start_ns = tools_now_ns() + START_DELAY_NS;
  for (unsigned i = 0; i < o->threads; i++) {
    s[i].start_ns = *start_ns;
    s[i].end_ns = *start_ns + (uint64_t)(o->duration_s * 1e9);
  }
  for (; started < o->threads; started++)
    if (pthread_create(&s[started].tid, NULL, tools_bench_sender_run,
                       &s[started]) != 0) {
      err = -EAGAIN;
      break;
    }
  for (unsigned i = 0; i < started; i++) {
    pthread_join(s[i].tid, NULL);
    if (s[i].err != 0 && err == 0)
      err = s[i].err;
  }
  return err;
}

static void summary(const struct tools_bench_opts *o,
                    const struct tools_bench_sender *s, uint64_t start_ns) {
  uint64_t lines = 0, chunks = 0, bytes = 0, errors = 0, last = start_ns;
  for (unsigned i = 0; i < o->threads; i++) {
    lines += s[i].lines;
    chunks += s[i].chunks;
    bytes += s[i].bytes;
    errors += s[i].send_errors;
    if (s[i].finished_ns > last)
      last = s[i].finished_ns;
  }
  double secs = (double)(last - start_ns) / 1e9;
  printf("proto %s\ntransport %s\nthreads %u\n", tools_proto_name(o->proto),
         o->tcp ? "tcp" : "udp", o->threads);
  printf("lines sent %llu\n%s %llu\nbytes %llu\nseconds %.3f\n",
         (unsigned long long)lines, o->tcp ? "writes" : "datagrams",
         (unsigned long long)chunks, (unsigned long long)bytes, secs);
  printf("lines/s %.0f\nMB/s %.1f\nsend errors %llu\n",
         secs > 0 ? (double)lines / secs : 0.0,
         secs > 0 ? (double)bytes / secs / 1e6 : 0.0,
         (unsigned long long)errors);
}

static uint64_t total_lines(const struct tools_bench_opts *o,
                            const struct tools_bench_sender *s) {
  uint64_t n = 0;
  for (unsigned i = 0; i < o->threads; i++)
    n += s[i].lines;
  return n;
}

/* Poll /metrics until sluice has accounted for every line, or its count
 * has not moved for TOOLS_BENCH_SETTLE_MS (what is missing then is lost,
 * not queued: a shard still working through a TCP backlog keeps counting),
 * or TOOLS_BENCH_SETTLE_MAX_MS have passed. */
static int check_after(const struct tools_bench_opts *o, uint64_t sent,
                       double before, double drops_before) {
  uint64_t start = tools_now_ns();
  uint64_t still = start + TOOLS_BENCH_SETTLE_MS * 1000000ull;
  uint64_t cap = start + TOOLS_BENCH_SETTLE_MAX_MS * 1000000ull;
  double now_count = before, drops = drops_before, last = before;
  for (;;) {
    if (read_counts(o, &now_count, &drops) < 0)
      return CORE_EXIT_FAIL;
    uint64_t now = tools_now_ns();
    if (now_count > last) {
      last = now_count;
      still = now + TOOLS_BENCH_SETTLE_MS * 1000000ull;
    }
    if (now_count - before >= (double)sent || now >= still || now >= cap)
      break;
    tools_sleep_ns(TOOLS_BENCH_SETTLE_POLL_MS * 1000000ull);
  }
  double got = now_count - before, lost = (double)sent - got;
  printf("received %.0f\nlost %.0f\nloss %% %.3f\nsluice drops %.0f\n", got,
         lost, sent ? 100.0 * lost / (double)sent : 0.0, drops - drops_before);
  fflush(stdout);
  return CORE_EXIT_OK;
}

int tools_bench_main(int argc, char **argv) {
  struct tools_bench_opts o;
  struct tools_bench_sender *s = NULL;
  double before = 0, drops = 0;
  uint64_t start_ns;
  int rc;

  if (argc > 1 && strcmp(argv[1], "otlp") == 0)
    return tools_bench_otlp_main(argc - 1, argv + 1);
  rc = parse_args(argc, argv, &o);
  if (rc != 0)
    return rc < 0 ? CORE_EXIT_OK : rc;
  if (o.check_url && read_counts(&o, &before, &drops) < 0)
    return CORE_EXIT_FAIL;
  s = calloc(o.threads, sizeof(*s));
  if (s == NULL)
    return core_cli_fail(CMD, "out of memory");
  rc = build_pools(&o, s);
  if (rc != 0)
    goto out;
  int err = run_senders(&o, s, &start_ns);
  summary(&o, s, start_ns);
  fflush(stdout);
  if (err != 0)
    rc = core_cli_fail(CMD, "sending to %s: %s", o.target, strerror(-err));
  if (o.check_url) {
    int crc = check_after(&o, total_lines(&o, s), before, drops);
    rc = rc ? rc : crc;
  }
out:
  for (unsigned i = 0; i < o.threads; i++)
    tools_workload_free(&s[i].pool);
  free(s);
  return rc;
}
