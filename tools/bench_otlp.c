/*
 * tools/bench_otlp.c - `sluice bench otlp`: OTLP/HTTP protobuf export
 * requests, batches like the SDKs', over keep-alive connections, one
 * request in flight per connection (as an SDK exporter sends), with the
 * latency of each reply (a 200 from sluice means durable, so the latency
 * includes the grouped fsync).
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "core/base/limits.h"
#include "core/base/numfmt.h"
#include "core/cmd/cli.h"
#include "tools/grpc_client.h"
#include "tools/http.h"
#include "tools/otlp_gen.h"
#include "tools/tools.h"
#include "tools/util.h"

#define CMD "bench otlp"
#define REPLY_BYTES_MAX 65536
#define IO_TIMEOUT_S 30
/* Spans a request when --items is not given: the default maxExportBatchSize
 * of the SDKs' BatchSpanProcessor (OpenTelemetry specification,
 * specification/trace/sdk.md, "Batching processor": "The default value is
 * 512"). */
#define TRACES_ITEMS_DEFAULT 512
#define ITEMS_DEFAULT 1000

/* By enum tools_otlp_signal: the --signal word, the /v1/ path's. */
static const char *const signal_names[] = {"metrics", "logs", "traces"};

static const char help[] =
    "Usage: sluice bench otlp --target HOST:PORT [OPTION]...\n"
    "Send OTLP/HTTP protobuf export requests to sluice's --otlp-http (or any\n"
    "OTLP receiver) over keep-alive connections, one request in flight per\n"
    "connection, and print the rate and reply latencies.\n\n"
    "  --target HOST:PORT    where to send (required), e.g. 127.0.0.1:4318\n"
    "  --signal S            metrics (default), logs or traces\n"
    "  --items N             data points, log records or spans per request\n"
    "                        (default 1000; traces 512, the batch of the\n"
    "                        SDKs' BatchSpanProcessor)\n"
    "  --attrs N             attributes per point, record or span, 1-16\n"
    "                        (default 8)\n"
    "  --series N            distinct attribute sets (default 10000)\n"
    "  --requests N          distinct requests generated (default 64)\n"
    "  --gzip                Content-Encoding: gzip (compressed before sending;\n"
    "                        with --grpc: grpc-encoding gzip)\n"
    "  --grpc                OTLP/gRPC (HTTP/2, the Export services) instead\n"
    "                        of OTLP/HTTP, e.g. --target 127.0.0.1:4317\n"
    "  --connections N       connections, one thread each (default 1)\n"
    "  --duration S          seconds to send (default 10; fractions allowed)\n"
    "  --seed N              seed of the values (default 1)\n"
    "  --help                this text\n\n"
    "Metrics: ten points per Metric, gauges and cumulative sums; logs: string\n"
    "bodies with severity, attributes and trace ids; traces: eight spans to\n"
    "a trace (a root and a small tree of children), names from a small set,\n"
    "kind, start/end, status, attributes, one span in 16 an error with an\n"
    "event. Requests repeat once the pool is used up (their item times and\n"
    "trace ids too). A 429 or 503 is counted as back-pressure and the\n"
    "connection waits for its Retry-After (at most 1 s) before the next\n"
    "request.\n"
    "With --grpc the same requests go as unary Export calls on one HTTP/2\n"
    "connection per thread; OK counts as ok, UNAVAILABLE as back-pressure.\n"
    "Output: one `key value` per line: requests, ok, backpressure, errors,\n"
    "items acknowledged, bytes sent (and before gzip), seconds, requests/s,\n"
    "items/s, latency p50/p99/max in ms; traces add `trace id HEX`, the\n"
    "first trace of the first request, to read back from the query port\n"
    "(GET /api/v1/traces/HEX).\n";

enum { OPT_TARGET = 256, OPT_SIGNAL, OPT_ITEMS, OPT_ATTRS, OPT_SERIES,
       OPT_REQUESTS, OPT_GZIP, OPT_CONNS, OPT_DURATION, OPT_SEED, OPT_HELP,
       OPT_GRPC };

static const struct option long_opts[] = {
    {"target", required_argument, NULL, OPT_TARGET},
    {"signal", required_argument, NULL, OPT_SIGNAL},
    {"items", required_argument, NULL, OPT_ITEMS},
    {"attrs", required_argument, NULL, OPT_ATTRS},
    {"series", required_argument, NULL, OPT_SERIES},
    {"requests", required_argument, NULL, OPT_REQUESTS},
    {"gzip", no_argument, NULL, OPT_GZIP},
    {"connections", required_argument, NULL, OPT_CONNS},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"seed", required_argument, NULL, OPT_SEED},
    {"grpc", no_argument, NULL, OPT_GRPC},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0}};

struct opts {
  const char *target;
  struct tools_otlp_spec spec;
  int grpc;                    /* --grpc: OTLP/gRPC instead of OTLP/HTTP */
  unsigned conns;
  double duration_s;
  struct sockaddr_storage addr;
  socklen_t addr_len;
};

/* One connection's thread and its totals (exact once it has ended). */
struct conn {
  pthread_t tid;
  unsigned idx;
  const struct opts *o;
  const struct tools_otlp_pool *pool;
  uint64_t end_ns;
  uint64_t requests, ok, backpressure, errors, items, bytes;
  uint32_t *lat_us;           /* one per request, up to lat_max */
  uint32_t lat_n, lat_max;
  int err;                    /* -errno that stopped the thread */
};

static int count_opt(const char *opt, const char *arg, uint64_t min,
                     uint64_t max, uint32_t *out) {
  uint64_t v;
  if (tools_parse_count(arg, min, max, &v) < 0)
    return core_cli_usage(CMD, "%s \"%s\": give a whole number from %llu to "
                               "%llu", opt, arg, (unsigned long long)min,
                          (unsigned long long)max);
  *out = (uint32_t)v;
  return 0;
}

static int one_opt(int c, const char *arg, void *ctx) {
  struct opts *o = ctx;
  char *end;
  switch (c) {
  case OPT_TARGET: o->target = arg; return 0;
  case OPT_SIGNAL:
    for (unsigned i = 0; i < sizeof(signal_names) / sizeof(*signal_names);
         i++)
      if (strcmp(arg, signal_names[i]) == 0) {
        o->spec.signal = (enum tools_otlp_signal)i;
        return 0;
      }
    return core_cli_usage(CMD, "--signal \"%s\": give metrics, logs or "
                               "traces", arg);
  case OPT_ITEMS:
    return count_opt("--items", arg, 1, CORE_OTLP_ITEMS_MAX, &o->spec.items);
  case OPT_ATTRS: return count_opt("--attrs", arg, 1, 16, &o->spec.attrs);
  case OPT_SERIES:
    return count_opt("--series", arg, 1, TOOLS_BENCH_SERIES_MAX,
                     &o->spec.series);
  case OPT_REQUESTS:
    return count_opt("--requests", arg, 1, 4096, &o->spec.requests);
  case OPT_GZIP: o->spec.gzip = 1; return 0;
  case OPT_GRPC: o->grpc = 1; return 0;
  case OPT_CONNS:
    return count_opt("--connections", arg, 1, TOOLS_BENCH_THREADS_MAX,
                     &o->conns);
  case OPT_SEED: {
    uint64_t v;
    if (tools_parse_count(arg, 0, UINT64_MAX, &v) < 0)
      return core_cli_usage(CMD, "--seed \"%s\": give a whole number", arg);
    o->spec.seed = v;
    return 0;
  }
  case OPT_DURATION:
    o->duration_s = strtod(arg, &end);
    if (end == arg || *end != '\0' || !(o->duration_s > 0) ||
        o->duration_s > 86400)
      return core_cli_usage(CMD, "--duration \"%s\": give seconds, more "
                                 "than 0 and at most 86400", arg);
    return 0;
  default: return core_cli_usage(CMD, "unknown option");
  }
}

static int resolve(struct opts *o) {
  unsigned len;
  int rc = tools_resolve_target(CMD, o->target, SOCK_STREAM, "127.0.0.1:4318",
                                &o->addr, &len);
  o->addr_len = len;
  return rc;
}

static int connect_to(const struct opts *o) {
  struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
  int fd = socket(o->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  /* a request goes out in several writes (HTTP/2 frames): no Nagle wait
   * for the ACK of the first */
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
  if (connect(fd, (const struct sockaddr *)&o->addr, o->addr_len) < 0) {
    int e = -errno;
    close(fd);
    return e;
  }
  return fd;
}

static int write_all(int fd, struct iovec *iov, int n) {
  while (n > 0) {
    ssize_t w = writev(fd, iov, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return w < 0 ? -errno : -EPIPE;
    while (n > 0 && (size_t)w >= iov->iov_len) {
      w -= (ssize_t)iov->iov_len;
      iov++;
      n--;
    }
    if (n > 0) {
      iov->iov_base = (char *)iov->iov_base + w;
      iov->iov_len -= (size_t)w;
    }
  }
  return 0;
}

/* Read one reply (headers and a Content-Length body). Returns the status,
 * sets *retry_s from Retry-After; -errno or -EPROTO. */
static int read_reply(int fd, char *buf, int *retry_s) {
  size_t len = 0;
  char *end = NULL;
  while (end == NULL) {
    if (len == REPLY_BYTES_MAX - 1)
      return -EPROTO;
    ssize_t r = read(fd, buf + len, REPLY_BYTES_MAX - 1 - len);
    if (r <= 0)
      return r < 0 ? -errno : -EPIPE;
    len += (size_t)r;
    buf[len] = '\0';
    end = strstr(buf, "\r\n\r\n");
  }
  int status = 0;
  if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
    return -EPROTO;
  const char *cl = strcasestr(buf, "\r\ncontent-length:");
  const char *ra = strcasestr(buf, "\r\nretry-after:");
  size_t body = cl ? strtoul(cl + 17, NULL, 10) : 0;
  *retry_s = ra ? atoi(ra + 14) : 0;
  size_t have = len - (size_t)(end + 4 - buf);
  if (body > REPLY_BYTES_MAX)
    return -EPROTO;
  while (have < body) {
    ssize_t r = read(fd, buf, body - have < REPLY_BYTES_MAX ? body - have
                                                            : REPLY_BYTES_MAX);
    if (r <= 0)
      return r < 0 ? -errno : -EPIPE;
    have += (size_t)r;
  }
  return have == body ? status : -EPROTO;
}

/* Count one answer taking t0 to now: ok, back-pressure (and wait for
 * it: Retry-After is whole seconds, capped at 1 s; 10 ms when absent, so
 * a refusing server is not spun on) or error. */
static void tally(struct conn *c, const struct tools_otlp_req *q, uint64_t t0,
                  int ok, int busy, int retry_s) {
  uint64_t us = (tools_now_ns() - t0) / 1000;
  if (c->lat_n < c->lat_max)
    c->lat_us[c->lat_n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
  c->requests++;
  c->bytes += q->len;
  if (ok) {
    c->ok++;
    c->items += q->items;
  } else if (busy) {
    c->backpressure++;
    tools_sleep_ns(retry_s > 0 ? 1000000000ull : 10000000ull);
  } else {
    c->errors++;
  }
}

/* One Export call over gRPC: grpc-status 0 is OK, 14 UNAVAILABLE the
 * back-pressure answer. */
static int one_call(struct conn *c, struct tools_grpc *g,
                    const struct tools_otlp_req *q) {
  static const char *const paths[] = {
      "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
      "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
      "/opentelemetry.proto.collector.trace.v1.TraceService/Export"};
  uint64_t t0 = tools_now_ns();
  int st = tools_grpc_call(g, paths[c->o->spec.signal],
                           c->pool->buf + q->off, q->len, c->o->spec.gzip);
  if (st < 0)
    return st;
  tally(c, q, t0, st == 0, st == 14, 0);
  return 0;
}

/* Send request q on fd and take its reply; counts into c. */
static int one_request(struct conn *c, int fd, const struct tools_otlp_req *q,
                       char *reply) {
  char head[256];
  int retry_s = 0;
  int n = snprintf(head, sizeof(head),
                   "POST /v1/%s HTTP/1.1\r\nHost: %s\r\n"
                   "Content-Type: application/x-protobuf\r\n%s"
                   "Content-Length: %u\r\n\r\n",
                   signal_names[c->o->spec.signal],
                   c->o->target,
                   c->o->spec.gzip ? "Content-Encoding: gzip\r\n" : "", q->len);
  if (n < 0 || (size_t)n >= sizeof(head))
    return -EINVAL;
  struct iovec iov[2] = {{head, (size_t)n},
                         {c->pool->buf + q->off, q->len}};
  uint64_t t0 = tools_now_ns();
  int rc = write_all(fd, iov, 2);
  if (rc == 0)
    rc = read_reply(fd, reply, &retry_s);
  if (rc < 0)
    return rc;
  tally(c, q, t0, rc == 200, rc == 429 || rc == 503, retry_s);
  return 0;
}

static void *conn_run(void *arg) {
  struct conn *c = arg;
  char *reply = malloc(REPLY_BYTES_MAX);
  int fd = reply ? connect_to(c->o) : -ENOMEM;
  uint32_t next = c->idx % c->pool->count;
  if (fd < 0) {
    c->err = fd;
    goto out;
  }
  struct tools_grpc *g = c->o->grpc ? tools_grpc_open(fd, c->o->target)
                                    : NULL;
  if (c->o->grpc && g == NULL)
    c->err = -ENOMEM;
  while (c->err == 0 && tools_now_ns() < c->end_ns) {
    const struct tools_otlp_req *q = &c->pool->reqs[next];
    int rc = g ? one_call(c, g, q) : one_request(c, fd, q, reply);
    if (rc < 0)
      c->err = rc;
    next = (next + 1) % c->pool->count;
  }
  tools_grpc_close(g);
  close(fd);
out:
  free(reply);
  return NULL;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static void summary(const struct opts *o, struct conn *c, double secs,
                    const struct tools_otlp_pool *pool) {
  uint64_t t[6] = {0}, lat_n = 0;
  for (unsigned i = 0; i < o->conns; i++) {
    t[0] += c[i].requests, t[1] += c[i].ok, t[2] += c[i].backpressure;
    t[3] += c[i].errors, t[4] += c[i].items, t[5] += c[i].bytes;
    lat_n += c[i].lat_n;
  }
  uint32_t *all = malloc((lat_n ? lat_n : 1) * sizeof(*all));
  for (unsigned i = 0, k = 0; all && i < o->conns; k += c[i].lat_n, i++)
    memcpy(all + k, c[i].lat_us, c[i].lat_n * sizeof(*all));
  if (all && lat_n)
    qsort(all, lat_n, sizeof(*all), cmp_u32);
  printf("signal %s\ntransport %s\nencoding protobuf%s\nconnections %u\n"
         "items/request %u\n",
         signal_names[o->spec.signal],
         o->grpc ? "grpc" : "http", o->spec.gzip ? "+gzip" : "", o->conns,
         o->spec.items);
  printf("requests %llu\nok %llu\nbackpressure %llu\nerrors %llu\n"
         "items acknowledged %llu\nbytes sent %llu\n",
         (unsigned long long)t[0], (unsigned long long)t[1],
         (unsigned long long)t[2], (unsigned long long)t[3],
         (unsigned long long)t[4], (unsigned long long)t[5]);
  printf("bytes/request before gzip %.0f\nseconds %.3f\nrequests/s %.0f\n"
         "items/s %.0f\n", (double)pool->raw_bytes / pool->count, secs,
         (double)t[0] / secs, (double)t[4] / secs);
  if (all && lat_n)
    printf("latency p50 ms %.3f\nlatency p99 ms %.3f\nlatency max ms %.3f\n",
           all[lat_n / 2] / 1e3, all[lat_n * 99 / 100] / 1e3,
           all[lat_n - 1] / 1e3);
  if (o->spec.signal == TOOLS_OTLP_TRACES) {
    char hex[33];
    core_fmt_hex(pool->trace_id, 16, hex);
    printf("trace id %.32s\n", hex);
  }
  free(all);
}

static int parse(int argc, char **argv, struct opts *o) {
  int first, rc;
  *o = (struct opts){.conns = 1, .duration_s = 10,
                     .spec = {.items = 0, .attrs = 8, .series = 10000,
                              .requests = 64, .seed = 1}};
  rc = tools_cli_options(CMD, help, argc, argv, long_opts, OPT_HELP, one_opt,
                         o, &first);
  if (rc != 0)
    return rc;
  if (first != argc)
    return core_cli_usage(CMD, "unexpected argument \"%s\"", argv[first]);
  if (o->spec.items == 0)
    o->spec.items = o->spec.signal == TOOLS_OTLP_TRACES ? TRACES_ITEMS_DEFAULT
                                                        : ITEMS_DEFAULT;
  return resolve(o);
}

int tools_bench_otlp_main(int argc, char **argv) {
  struct opts o;
  struct tools_otlp_pool pool = {0};
  struct conn *c = NULL;
  int rc = parse(argc, argv, &o), err = 0;
  unsigned started = 0;

  if (rc != 0)
    return rc < 0 ? CORE_EXIT_OK : rc;
  o.spec.now_ns = (int64_t)time(NULL) * 1000000000;
  if (tools_otlp_gen(&o.spec, &pool) < 0)
    return core_cli_fail(CMD, "cannot build the requests: out of memory");
  c = calloc(o.conns, sizeof(*c));
  if (c == NULL) {
    rc = core_cli_fail(CMD, "out of memory");
    goto out;
  }
  uint64_t t0 = tools_now_ns();
  for (; started < o.conns; started++) {
    struct conn *k = &c[started];
    *k = (struct conn){.idx = started, .o = &o, .pool = &pool,
                       .end_ns = t0 + (uint64_t)(o.duration_s * 1e9),
                       .lat_max = 1u << 20};
    k->lat_us = malloc(k->lat_max * sizeof(*k->lat_us));
    if (k->lat_us == NULL ||
        pthread_create(&k->tid, NULL, conn_run, k) != 0) {
      free(k->lat_us);
      err = -EAGAIN;
      break;
    }
  }
  for (unsigned i = 0; i < started; i++) {
    pthread_join(c[i].tid, NULL);
    if (c[i].err && !err)
      err = c[i].err;
  }
  summary(&o, c, (double)(tools_now_ns() - t0) / 1e9, &pool);
  fflush(stdout);
  if (err)
    rc = core_cli_fail(CMD, "sending to %s: %s", o.target, strerror(-err));
  for (unsigned i = 0; i < started; i++)
    free(c[i].lat_us);
out:
  free(c);
  tools_otlp_pool_free(&pool);
  return rc;
}
