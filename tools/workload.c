/*
 * tools/workload.c - fleet-like StatsD and syslog lines for `sluice bench`.
 */
#include "tools/workload.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/assert.h"
#include "core/base/limits.h"

/* A metric name and the one type it always has. The mix of types follows
 * what a service fleet sends: mostly counters and gauges, then timings. */
struct metric_def {
  const char *name;
  const char *type;
};

static const struct metric_def metrics[] = {
    {"http.server.requests", "c"},   {"http.server.duration", "ms"},
    {"http.client.errors", "c"},     {"db.query.duration", "h"},
    {"db.pool.active", "g"},         {"cache.hits", "c"},
    {"cache.misses", "c"},           {"queue.depth", "g"},
    {"jvm.heap.used", "g"},          {"payment.amount", "d"},
    {"users.unique", "s"},           {"kafka.consumer.lag", "g"},
    {"api.latency", "d"},            {"nginx.bytes_out", "c"},
    {"disk.io.wait", "ms"},          {"worker.jobs.done", "c"},
    {"sessions.active", "s"},        {"cpu.steal", "g"},
    {"gc.pause", "h"},               {"rpc.duration", "ms"},
};
#define METRICS_COUNT (sizeof(metrics) / sizeof(metrics[0]))

/* Tag k of a series: key, value prefix, and how many values it takes
 * (0: the host number itself). Derived from the host only, so tags never
 * multiply the series count. */
struct tag_def {
  const char *key;
  const char *prefix;
  uint32_t mod;
};

static const struct tag_def tag_defs[TOOLS_BENCH_TAGS_MAX] = {
    {"host", "web-", 0},      {"env", "prod-", 3},     {"region", "us-east-", 4},
    {"service", "svc-", 40},  {"az", "az-", 3},        {"version", "v1.", 20},
    {"team", "team-", 12},    {"cluster", "k8s-", 6},  {"pod", "pod-", 500},
    {"rack", "r", 64},        {"os", "linux-5.", 20},  {"runtime", "go1.", 22},
    {"tier", "t", 3},         {"canary", "c", 2},      {"owner", "o", 30},
    {"build", "b", 1000},
};

static const char *const apps[] = {"nginx", "sshd", "cron", "kernel",
                                   "postgres", "app-api", "systemd", "haproxy"};
#define APPS_COUNT (sizeof(apps) / sizeof(apps[0]))

static const char *const messages[] = {
    "GET /api/v1/orders/%u HTTP/1.1 200 512 \"-\" \"curl/7.88.1\"",
    "Accepted publickey for deploy from 10.0.%u.7 port 52314 ssh2",
    "(root) CMD (run-parts /etc/cron.hourly) job %u",
    "TCP: out of memory -- consider tuning tcp_mem (%u)",
    "checkpoint complete: wrote %u buffers (0.4%%)",
    "request failed: upstream timeout after %u ms",
    "Started Session %u of user deploy.",
    "backend web/srv%u is DOWN, reason: Layer4 timeout",
};
#define MESSAGES_COUNT (sizeof(messages) / sizeof(messages[0]))

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* splitmix64: small, fast, and good enough for values. */
static uint64_t next_rand(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Append with snprintf semantics; *n grows even past cap so overflow shows. */
static void put(char *out, size_t cap, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void put(char *out, size_t cap, size_t *n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = vsnprintf(out + (*n < cap ? *n : cap), *n < cap ? cap - *n : 0, fmt,
                    ap);
  va_end(ap);
  *n += r > 0 ? (size_t)r : 0;
}

static void statsd_value(char *out, size_t cap, size_t *n, const char *type,
                         uint64_t r) {
  uint32_t v = (uint32_t)(r >> 8);
  switch (type[0]) {
  case 'c':
    put(out, cap, n, "%u|c", 1 + v % 10);
    if ((r & 0xff) < 26) /* about 10% sampled, as busy clients do */
      put(out, cap, n, "|@0.5");
    return;
  case 'g':
    if ((r & 0xff) < 13) /* about 5% deltas */
      put(out, cap, n, "%c%u|g", (r & 1) ? '+' : '-', 1 + v % 50);
    else
      put(out, cap, n, "%u.%02u|g", v % 100000, (v >> 17) % 100);
    return;
  case 'm':
    put(out, cap, n, "%u.%03u|ms", v % 2000, (v >> 11) % 1000);
    return;
  case 'h':
    put(out, cap, n, "%u|h", v % 5000);
    return;
  case 'd':
    put(out, cap, n, "%u.%02u|d", v % 10000, (v >> 14) % 100);
    return;
  default:
    put(out, cap, n, "%u|s", v % 100000);
    return;
  }
}

static size_t statsd_line(const struct tools_workload_spec *sp, uint32_t s,
                          uint64_t r, char *out, size_t cap) {
  const struct metric_def *m = &metrics[s % METRICS_COUNT];
  uint32_t host = s / METRICS_COUNT;
  size_t n = 0;

  if (sp->tags == 0) /* plain StatsD: the host lives in the name */
    put(out, cap, &n, "web-%05u.", host);
  put(out, cap, &n, "%s:", m->name);
  statsd_value(out, cap, &n, m->type, r);
  for (uint32_t k = 0; k < sp->tags; k++) {
    const struct tag_def *t = &tag_defs[k];
    uint32_t v = t->mod ? (host * 2654435761u >> 7) % t->mod : host;
    put(out, cap, &n, "%s%s:%s%u", k ? "," : "|#", t->key, t->prefix, v);
  }
  return n;
}

static size_t syslog_line(const struct tools_workload_spec *sp, uint32_t s,
                          uint64_t k, uint64_t r, char *out, size_t cap) {
  time_t t = (time_t)(sp->now_s + (int64_t)(k % 60));
  struct tm tm;
  gmtime_r(&t, &tm);
  uint32_t host = s / APPS_COUNT, app = s % APPS_COUNT;
  uint32_t pri = (uint32_t)(((r >> 3) % 24) * 8 + (r >> 9) % 8);
  uint32_t arg = (uint32_t)(r >> 20) % 100000, pid = 100 + (s * 7) % 30000;
  char msg[160];
  size_t n = 0;

  snprintf(msg, sizeof(msg), messages[app % MESSAGES_COUNT], arg);
  if (k & 1)
    put(out, cap, &n,
        "<%u>1 %04d-%02d-%02dT%02d:%02d:%02d.%03uZ web-%05u %s %u ID%u "
        "[meta@32473 seq=\"%u\" zone=\"z%u\"] %s",
        pri, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
        tm.tm_min, tm.tm_sec, (uint32_t)(r >> 40) % 1000, host, apps[app], pid,
        app, (uint32_t)k, host % 4, msg);
  else
    put(out, cap, &n, "<%u>%s %2d %02d:%02d:%02d web-%05u %s[%u]: %s", pri,
        months[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, host,
        apps[app], pid, msg);
  return n;
}

static int alloc_pool(const struct tools_workload_spec *sp,
                      struct tools_workload *w, size_t *cap) {
  *cap = (size_t)sp->pool_lines * (TOOLS_BENCH_LINE_BYTES_MAX + 1);
  if (*cap > TOOLS_BENCH_POOL_BYTES_MAX)
    *cap = TOOLS_BENCH_POOL_BYTES_MAX;
  w->buf = malloc(*cap);
  w->chunks = calloc(sp->pool_lines, sizeof(*w->chunks));
  if (w->buf == NULL || w->chunks == NULL) {
    tools_workload_free(w);
    return -ENOMEM;
  }
  return 0;
}

/* Put one line (already at w->buf + w->len) into the current chunk. */
static void pack(const struct tools_workload_spec *sp, struct tools_workload *w,
                 size_t n) {
  struct tools_chunk *c = &w->chunks[w->chunk_count ? w->chunk_count - 1 : 0];
  int fresh = w->chunk_count == 0 || sp->one_per_chunk ||
              c->len + n + 1 > sp->chunk_bytes;
  if (fresh) {
    c = &w->chunks[w->chunk_count++];
    c->off = (uint32_t)w->len;
  }
  /* one message per datagram goes without its LF, as RFC 5426 has it */
  c->len += (uint32_t)(sp->one_per_chunk ? n : n + 1);
  c->lines++;
  w->len += n + 1;
  w->lines++;
}

int tools_workload_build(const struct tools_workload_spec *sp,
                         struct tools_workload *w) {
  char line[TOOLS_BENCH_LINE_BYTES_MAX + 1];
  uint64_t rng = sp->seed * 0x9E3779B97F4A7C15ull + sp->thread;
  size_t cap;

  memset(w, 0, sizeof(*w));
  if (sp->series == 0 || sp->threads == 0 || sp->pool_lines == 0 ||
      sp->tags > TOOLS_BENCH_TAGS_MAX ||
      sp->chunk_bytes < TOOLS_BENCH_LINE_BYTES_MAX + 1)
    return -EINVAL;
  if (alloc_pool(sp, w, &cap) < 0)
    return -ENOMEM;
  for (uint64_t k = 0; k < sp->pool_lines; k++) {
    uint32_t s = (uint32_t)((sp->thread + k * sp->threads) % sp->series);
    uint64_t r = next_rand(&rng);
    size_t n = sp->proto == TOOLS_PROTO_STATSD
                   ? statsd_line(sp, s, r, line, sizeof(line))
                   : syslog_line(sp, s, k, r, line, sizeof(line));
    ASSERT(n > 0 && n <= TOOLS_BENCH_LINE_BYTES_MAX);
    if (w->len + n + 1 > cap)
      break;
    memcpy(w->buf + w->len, line, n);
    w->buf[w->len + n] = '\n';
    pack(sp, w, n);
  }
  return 0;
}

void tools_workload_free(struct tools_workload *w) {
  free(w->buf);
  free(w->chunks);
  memset(w, 0, sizeof(*w));
}

const char *tools_proto_name(enum tools_proto p) {
  return p == TOOLS_PROTO_STATSD ? "statsd" : "syslog";
}
