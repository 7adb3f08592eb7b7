/*
 * perf/bench_syslog_parse.c - throughput of the syslog parser and framer.
 *
 * Builds, in memory and from a fixed PRNG seed, about 200-byte messages
 * as real senders write them: RFC 5424 (logger, rsyslog's
 * SyslogProtocol23Format: microsecond timestamps, 0-2 SD elements, a few
 * escapes) and RFC 3164 (rsyslog's traditional format, tags with pids,
 * some without hostname). Each message is framed with octet counting, the
 * way a TCP sender delivers it. Then times, over several passes, on one
 * core:
 *   (a) core_syslog_parse on messages split beforehand, for the 5424
 *       workload, the 3164 one and a 50/50 mix, at each SIMD level the
 *       CPU supports (the level changes the UTF-8 check only);
 *   (b) core_syslog_framer_feed on the octet-counted mix in 64 KiB reads,
 *       plus the parse of each frame (what a TCP connection costs).
 * Prints messages/s and GB/s (best pass and median) and the 5424/3164
 * time ratio.
 *
 *   bench_syslog_parse [--mb N] [--passes N]
 *   bench_syslog_parse --mb N --write PREFIX
 *       writes the three octet-counted workloads to PREFIX-5424.syslog,
 *       PREFIX-3164.syslog and PREFIX-mix.syslog and exits (input for
 *       `sluice import --proto syslog`: perf/syslog_store.sh).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/parse/syslog.h"
#include "core/parse/syslog_frame.h"
#include "simd/simd.h"

#define PASSES_MAX 100
#define MSG_BYTES_MAX 400
#define READ_BYTES 65536
#define NOW_MS 1795284848000ll

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

/* splitmix64: small, fast, and the same sequence everywhere. */
static uint64_t rnd(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static uint32_t below(uint32_t n) { return (uint32_t)(rnd() % n); }

#define PICK(arr) (arr[below(sizeof(arr) / sizeof(arr[0]))])

static const char *const apps[] = {"sshd", "nginx", "postgres", "kernel",
                                   "systemd", "cron", "dockerd", "api-gateway"};
static const char *const msgids[] = {"-", "-", "ID47", "AUTH", "REQ", "-"};
static const char *const words[] = {
    "connection", "from", "accepted", "user", "request", "completed",
    "timeout", "upstream", "failed", "session", "opened", "closed",
    "bytes", "status", "latency", "retrying", "in", "ms", "for", "port"};

/* Words of message text up to about `want` bytes. */
static int text(char *buf, size_t cap, int want) {
  int n = 0;
  while (n < want && (size_t)n + 16 < cap)
    n += snprintf(buf + n, cap - (size_t)n, "%s%s", n ? " " : "", PICK(words));
  return n;
}

static int sd(char *buf, size_t cap) {
  switch (below(4)) {
  case 0: return snprintf(buf, cap, "-");
  case 1:
    return snprintf(buf, cap, "[timeQuality tzKnown=\"1\" isSynced=\"1\" "
                              "syncAccuracy=\"%u\"]", below(900000));
  case 2:
    return snprintf(buf, cap, "[req@32473 id=\"%08x\" path=\"/api/v%u/items\" "
                              "q=\"say \\\"hi\\\"\"]", (unsigned)rnd(), below(3));
  default:
    return snprintf(buf, cap, "[origin ip=\"10.0.%u.%u\"][meta@1 seq=\"%u\"]",
                    below(256), below(256), below(100000));
  }
}

/* One RFC 5424 message of about 200 bytes. */
static int msg_5424(char *buf, size_t cap) {
  int n = snprintf(buf, cap,
                   "<%u>1 2026-11-21T18:%02u:%02u.%06u+00:00 host-%02u.example.com "
                   "%s %u %s ", below(192), below(60), below(60),
                   below(1000000), below(100), PICK(apps), below(65536),
                   PICK(msgids));
  n += sd(buf + n, cap - (size_t)n);
  buf[n++] = ' ';
  return n + text(buf + n, cap - (size_t)n, 200 - n);
}

/* One RFC 3164 message of about 200 bytes (1 in 8 without hostname). */
static int msg_3164(char *buf, size_t cap) {
  static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int n = snprintf(buf, cap, "<%u>%s %2u %02u:%02u:%02u ", below(192), PICK(mon),
                   1 + below(28), below(24), below(60), below(60));
  if (below(8))
    n += snprintf(buf + n, cap - (size_t)n, "host-%02u ", below(100));
  n += snprintf(buf + n, cap - (size_t)n, "%s[%u]: ", PICK(apps), below(65536));
  return n + text(buf + n, cap - (size_t)n, 200 - n);
}

struct workload {
  char *buf;      /* octet-counted frames "LEN SP MSG" back to back */
  size_t len;
  size_t *start;  /* message i is buf[start[i], start[i] + mlen[i]) */
  uint32_t *mlen;
  size_t count;
  size_t msg_bytes; /* sum of mlen */
};

/* pct5424: percentage of RFC 5424 messages. */
static int make_workload(struct workload *w, size_t target, int pct5424) {
  size_t cap = target + 2 * MSG_BYTES_MAX, slots = target / 100 + 1;
  w->buf = malloc(cap);
  w->start = malloc(slots * sizeof(*w->start));
  w->mlen = malloc(slots * sizeof(*w->mlen));
  if (!w->buf || !w->start || !w->mlen)
    return -1;
  w->len = w->count = w->msg_bytes = 0;
  char m[MSG_BYTES_MAX];
  while (w->len < target && w->count < slots) {
    int n = (int)below(100) < pct5424 ? msg_5424(m, sizeof(m))
                                      : msg_3164(m, sizeof(m));
    int h = snprintf(w->buf + w->len, 16, "%d ", n);
    memcpy(w->buf + w->len + h, m, (size_t)n);
    w->start[w->count] = w->len + (size_t)h;
    w->mlen[w->count++] = (uint32_t)n;
    w->len += (size_t)(h + n);
    w->msg_bytes += (size_t)n;
  }
  return 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static struct core_syslog_rec rec;
static char scratch[CORE_SYSLOG_BYTES_MAX_DEFAULT];

/* (a): returns the messages parsed without error; *work sums fields. */
static size_t parse_split(const struct workload *w, uint64_t *work) {
  size_t ok = 0;
  for (size_t i = 0; i < w->count; i++) {
    if (core_syslog_parse(w->buf + w->start[i], w->mlen[i], NOW_MS, scratch,
                          &rec) == CORE_SYSLOG_OK)
      ok++;
    *work += rec.attr_count + rec.msg.len + (uint64_t)rec.time_ns;
  }
  return ok;
}

struct tally {
  size_t ok;
  uint64_t work;
};

static void on_frame(void *ctx, const struct core_syslog_frame *fr) {
  struct tally *t = ctx;
  if (core_syslog_parse(fr->data, fr->len, NOW_MS, scratch, &rec) ==
      CORE_SYSLOG_OK)
    t->ok++;
  t->work += rec.attr_count + rec.msg.len;
}

/* (b): the stream in READ_BYTES reads through the framer and parser. */
static size_t frame_and_parse(const struct workload *w, uint64_t *work) {
  static char fbuf[CORE_SYSLOG_BYTES_MAX_DEFAULT];
  struct core_syslog_framer f;
  struct tally t = {0, 0};
  core_syslog_framer_init(&f, fbuf, CORE_SYSLOG_BYTES_MAX_DEFAULT);
  for (size_t at = 0; at < w->len; at += READ_BYTES) {
    size_t n = w->len - at < READ_BYTES ? w->len - at : READ_BYTES;
    core_syslog_framer_feed(&f, w->buf + at, n, on_frame, &t);
  }
  core_syslog_framer_finish(&f, on_frame, &t);
  *work += t.work;
  return t.ok;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Time fn over passes; prints a row; returns the best time. */
static double run(const char *name, const struct workload *w, int passes,
                  size_t (*fn)(const struct workload *, uint64_t *),
                  uint64_t *work) {
  double t[PASSES_MAX];
  size_t ok = 0;
  for (int i = 0; i < passes; i++) {
    double t0 = now_s();
    ok = fn(w, work);
    t[i] = now_s() - t0;
  }
  qsort(t, (size_t)passes, sizeof(t[0]), cmp_double);
  double best = t[0], med = t[passes / 2];
  printf("| %-22s | %7.2f | %5.2f | %7.2f | %5.2f | %zu/%zu |\n", name,
         (double)w->count / best / 1e6, (double)w->msg_bytes / best / 1e9,
         (double)w->count / med / 1e6, (double)w->msg_bytes / med / 1e9, ok,
         w->count);
  return best;
}

static int write_one(const struct workload *w, const char *prefix,
                     const char *kind) {
  char path[4096];
  FILE *f;

  snprintf(path, sizeof(path), "%s-%s.syslog", prefix, kind);
  f = fopen(path, "wb");
  if (f == NULL || fwrite(w->buf, 1, w->len, f) != w->len || fclose(f) != 0) {
    fprintf(stderr, "bench_syslog_parse: cannot write %s\n", path);
    return 1;
  }
  printf("%s: %zu messages, %zu bytes\n", path, w->count, w->len);
  return 0;
}

static int write_all(const struct workload *w5, const struct workload *w3,
                     const struct workload *wm, const char *prefix) {
  return write_one(w5, prefix, "5424") || write_one(w3, prefix, "3164") ||
         write_one(wm, prefix, "mix");
}

int main(int argc, char **argv) {
  size_t mb = 64;
  int passes = 7;
  const char *prefix = NULL;
  static const struct option opts[] = {{"mb", required_argument, 0, 'm'},
                                       {"passes", required_argument, 0, 'p'},
                                       {"write", required_argument, 0, 'w'},
                                       {0, 0, 0, 0}};
  for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
    if (c == 'm')
      mb = (size_t)strtoul(optarg, NULL, 10);
    else if (c == 'p')
      passes = atoi(optarg);
    else if (c == 'w')
      prefix = optarg;
    else
      return 2;
  }
  if (mb == 0 || passes < 1 || passes > PASSES_MAX) {
    fprintf(stderr, "bench_syslog_parse: --mb >= 1, --passes 1..%d\n",
            PASSES_MAX);
    return 2;
  }
  struct workload w5, w3, wm;
  if (make_workload(&w5, mb << 20, 100) || make_workload(&w3, mb << 20, 0) ||
      make_workload(&wm, mb << 20, 50)) {
    fprintf(stderr, "bench_syslog_parse: out of memory\n");
    return 1;
  }
  if (prefix != NULL)
    return write_all(&w5, &w3, &wm, prefix);
  printf("workloads: %zu MiB each; 5424 %.1f B/msg, 3164 %.1f B/msg, mix "
         "%.1f B/msg; %d passes; best level %s\n\n",
         mb, (double)w5.msg_bytes / (double)w5.count,
         (double)w3.msg_bytes / (double)w3.count,
         (double)wm.msg_bytes / (double)wm.count, passes,
         simd_level_name(simd_level_best()));
  printf("| run | M msg/s (best) | GB/s (best) | M msg/s (median) | GB/s "
         "(median) | parsed ok |\n|---|---|---|---|---|---|\n");
  uint64_t work = 0;
  char name[64];
  for (int l = 0; l < SIMD_LEVEL_COUNT; l++) {
    if (simd_set_level((enum simd_level)l) != 0)
      continue;
    const char *ln = simd_level_name((enum simd_level)l);
    snprintf(name, sizeof(name), "5424 %s", ln);
    double t5 = run(name, &w5, passes, parse_split, &work);
    snprintf(name, sizeof(name), "3164 %s", ln);
    double t3 = run(name, &w3, passes, parse_split, &work);
    snprintf(name, sizeof(name), "mix %s", ln);
    run(name, &wm, passes, parse_split, &work);
    snprintf(name, sizeof(name), "mix framed+parse %s", ln);
    run(name, &wm, passes, frame_and_parse, &work);
    printf("| ratio 5424/3164 time per msg (%s): %.2fx | | | | | |\n", ln,
           (t5 / (double)w5.count) / (t3 / (double)w3.count));
  }
  printf("\n[check %llu]\n", (unsigned long long)(work & 0xffff));
  return 0;
}
