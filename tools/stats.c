/*
 * tools/stats.c - `sluice stats`: a top-like per-shard view of /metrics.
 */
#include "tools/stats.h"

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/cmd/cli.h"
#include "tools/metrics.h"
#include "tools/tools.h"
#include "tools/util.h"

#define CMD "stats"
#define DEFAULT_URL "http://127.0.0.1:9400/metrics"

static const char help[] =
    "Usage: sluice stats [--url URL] [--once] [--interval-ms N] [--count N]\n"
    "A live per-shard view of sluice's /metrics, refreshed like top, per\n"
    "shard and in total: points/s, bytes/s, datagrams/s, parse errors/s,\n"
    "drops/s, active series, open TCP connections, log records/s, bytes\n"
    "stored/s, segments opened, loss/s and uptime. On a terminal the screen\n"
    "is redrawn; into a pipe or file each refresh is a plain block of lines\n"
    "(a `sluice stats` line with the time, the table, a blank line), with no\n"
    "escape sequences, like top -b.\n\n"
    "  --url URL          /metrics to read (default " DEFAULT_URL ")\n"
    "  --once             print one snapshot of absolute counts and exit\n"
    "                     (columns: shard points bytes datagrams parse_errors\n"
    "                     drops series tcp logs stored segments loss uptime;\n"
    "                     the last row is `total`)\n"
    "  --interval-ms N    refresh period (default 1000, at least 100)\n"
    "  --count N          stop after N refreshes (default: until Ctrl-C)\n"
    "  --help             this text\n\n"
    "loss: what was not stored: datagrams the kernel dropped, StatsD lines\n"
    "rejected, samples over --max-series, points and records storage gave\n"
    "up (a syslog message that does not parse is stored, flagged). uptime:\n"
    "from sluice's process_start_time_seconds (--once: seconds); without\n"
    "it, the time since this view's first sample, shown as `>12s` (`-` in\n"
    "--once).\n";

enum { OPT_URL = 256, OPT_ONCE, OPT_INTERVAL, OPT_COUNT, OPT_HELP };

static const struct option long_opts[] = {
    {"url", required_argument, NULL, OPT_URL},
    {"once", no_argument, NULL, OPT_ONCE},
    {"interval-ms", required_argument, NULL, OPT_INTERVAL},
    {"count", required_argument, NULL, OPT_COUNT},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0}};

struct stats_opts {
  const char *url;
  int once;
  uint64_t interval_ms;
  uint64_t count;       /* 0: forever */
};

#define LOSS SIZE_MAX   /* column value: tools_metrics_lost() */
#define LIVE_WIDTH 8    /* every live column but the shard name */

struct column {
  const char *once, *live; /* headers: --once snapshot, live rates */
  int once_width;
  int as_is;               /* gauges and segments opened: never a rate */
  size_t off;              /* of a double in struct tools_counts, or LOSS */
};

static const struct column columns[] = {
    {"points", "points/s", 14, 0, offsetof(struct tools_counts, points)},
    {"bytes", "bytes/s", 16, 0, offsetof(struct tools_counts, rx_bytes)},
    {"datagrams", "dgrams/s", 14, 0,
     offsetof(struct tools_counts, rx_datagrams)},
    {"parse_errors", "errors/s", 12, 0, offsetof(struct tools_counts, errors)},
    {"drops", "drops/s", 12, 0, offsetof(struct tools_counts, rx_dropped)},
    {"series", "series", 10, 1, offsetof(struct tools_counts, series_active)},
    {"tcp", "tcp", 6, 1, offsetof(struct tools_counts, tcp_connections)},
    {"logs", "logs/s", 12, 0,
     offsetof(struct tools_counts, ingested[TOOLS_PROTO_SYSLOG])},
    {"stored", "stored/s", 16, 0,
     offsetof(struct tools_counts, storage_bytes)},
    {"segments", "segs", 9, 1, offsetof(struct tools_counts, segments)},
    {"loss", "loss/s", 12, 0, LOSS},
};
#define COLUMNS_COUNT (sizeof(columns) / sizeof(columns[0]))

static double value(const struct column *col, const struct tools_counts *c) {
  if (col->off == LOSS)
    return tools_metrics_lost(c);
  return *(const double *)(const void *)((const char *)c + col->off);
}

/* 12.3k, 4.56M: a column stays narrow at any rate. */
static const char *human(char *buf, size_t n, double v) {
  static const char units[] = " kMGTP";
  int u = 0;
  while (v >= 1000 && u < 5) {
    v /= 1000;
    u++;
  }
  if (u == 0)
    snprintf(buf, n, "%.0f", v);
  else
    snprintf(buf, n, "%.2f%c", v, units[u]);
  return buf;
}

/* Seconds (>= 0) as 59s, 12m05s, 3h04m, 2d03h. */
static const char *duration(char *buf, size_t n, double s) {
  uint64_t t = (uint64_t)s;
  if (t < 60)
    snprintf(buf, n, "%us", (unsigned)t);
  else if (t < 3600)
    snprintf(buf, n, "%um%02us", (unsigned)(t / 60), (unsigned)(t % 60));
  else if (t < 86400)
    snprintf(buf, n, "%uh%02um", (unsigned)(t / 3600),
             (unsigned)(t % 3600 / 60));
  else
    snprintf(buf, n, "%llud%02uh", (unsigned long long)(t / 86400),
             (unsigned)(t % 86400 / 3600));
  return buf;
}

/* The uptime cell: "-" when unknown, seconds in the snapshot, 3h04m live;
 * a leading '>' when it is only the time since this view's first sample. */
static const char *uptime_cell(char *buf, size_t n,
                               struct tools_stats_uptime u, int live) {
  char d[32];
  if (u.seconds < 0)
    snprintf(buf, n, "-");
  else if (live)
    snprintf(buf, n, "%s%s", u.lower_bound ? ">" : "",
             duration(d, sizeof(d), u.seconds));
  else
    snprintf(buf, n, "%s%.0f", u.lower_bound ? ">" : "", u.seconds);
  return buf;
}

static void header(FILE *f, int rates) {
  fprintf(f, "%-6s", "shard");
  for (size_t i = 0; i < COLUMNS_COUNT; i++)
    fprintf(f, " %*s", rates ? LIVE_WIDTH : columns[i].once_width,
            rates ? columns[i].live : columns[i].once);
  fprintf(f, " %*s\n", rates ? LIVE_WIDTH : 10, "uptime");
}

/* One row: absolute counts (p NULL) or rates over dt seconds since p. */
static void row(FILE *f, const char *name, const struct tools_counts *c,
                const struct tools_counts *p, double dt, const char *up) {
  char b[32];
  fprintf(f, "%-6s", name);
  for (size_t i = 0; i < COLUMNS_COUNT; i++) {
    const struct column *col = &columns[i];
    double v = value(col, c);
    if (p == NULL)
      fprintf(f, " %*.0f", col->once_width, v);
    else
      fprintf(f, " %*s", LIVE_WIDTH,
              human(b, sizeof(b), col->as_is ? v : (v - value(col, p)) / dt));
  }
  fprintf(f, " %*s\n", p ? LIVE_WIDTH : 10, up);
}

void tools_stats_print(FILE *f, const struct tools_metrics *cur,
                       const struct tools_metrics *prev, double dt_s,
                       struct tools_stats_uptime uptime) {
  char name[16], up[40];
  uptime_cell(up, sizeof(up), uptime, prev != NULL);
  header(f, prev != NULL);
  for (unsigned i = 0; i < cur->shard_count; i++) {
    snprintf(name, sizeof(name), "%u", i);
    row(f, name, &cur->shard[i],
        prev ? (i < prev->shard_count ? &prev->shard[i] : &cur->shard[i])
             : NULL,
        dt_s, up);
  }
  row(f, "total", &cur->total, prev ? &prev->total : NULL, dt_s, up);
}

struct tools_stats_uptime tools_stats_uptime(const struct tools_metrics *m,
                                             double now_s, double seen_s) {
  double start = m->total.start_time;
  if (start > 0)
    return (struct tools_stats_uptime){now_s > start ? now_s - start : 0, 0};
  return (struct tools_stats_uptime){seen_s, seen_s >= 0};
}

static int one_opt(int c, const char *arg, void *ctx) {
  struct stats_opts *o = ctx;
  switch (c) {
  case OPT_URL: o->url = arg; return 0;
  case OPT_ONCE: o->once = 1; return 0;
  case OPT_INTERVAL:
    if (tools_parse_count(arg, TOOLS_STATS_INTERVAL_MS_MIN, 3600000,
                          &o->interval_ms) < 0)
      return core_cli_usage(CMD, "--interval-ms \"%s\": give milliseconds "
                                 "from %d to 3600000", arg,
                            TOOLS_STATS_INTERVAL_MS_MIN);
    return 0;
  case OPT_COUNT:
    if (tools_parse_count(arg, 1, UINT32_MAX, &o->count) < 0)
      return core_cli_usage(CMD, "--count \"%s\": give a number of "
                                 "refreshes, 1 or more", arg);
    return 0;
  default: return CORE_EXIT_USAGE;
  }
}

static int parse_args(int argc, char **argv, struct stats_opts *o) {
  int first;
  *o = (struct stats_opts){.url = DEFAULT_URL,
                           .interval_ms = TOOLS_STATS_INTERVAL_MS_DEFAULT};
  int rc = tools_cli_options(CMD, help, argc, argv, long_opts, OPT_HELP,
                             one_opt, o, &first);
  if (rc != 0)
    return rc;
  if (first != argc)
    return core_cli_usage(CMD, "unexpected argument \"%s\"", argv[first]);
  return 0;
}

static double wall_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The line above each table: the URL and the time (UTC). */
static void title(FILE *f, const struct stats_opts *o, int tty) {
  char when[32];
  time_t now = time(NULL);
  struct tm tm;
  strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
  if (tty)
    fprintf(f, "\033[H\033[2Jsluice stats  %s  %s  every %.1f s  (Ctrl-C "
               "quits)\n\n", o->url, when, (double)o->interval_ms / 1000);
  else
    fprintf(f, "sluice stats  %s  %s\n", o->url, when);
}

/*
 * Refresh until --count or a signal; a failed read shows and is retried.
 * A terminal is redrawn in place; anything else gets plain blocks.
 */
static int live(const struct stats_opts *o, struct tools_metrics *m) {
  char err[512];
  const int tty = isatty(STDOUT_FILENO);
  uint64_t t_prev = tools_now_ns(), t_first = t_prev, shown = 0;
  int have_prev = tools_metrics_fetch(o->url, &m[0], err, sizeof(err)) == 0;

  while (o->count == 0 || shown < o->count) {
    tools_sleep_ns(o->interval_ms * 1000000ull);
    uint64_t t = tools_now_ns();
    int ok = tools_metrics_fetch(o->url, &m[1], err, sizeof(err)) == 0;
    title(stdout, o, tty);
    if (ok && have_prev)
      tools_stats_print(stdout, &m[1], &m[0], (double)(t - t_prev) / 1e9,
                        tools_stats_uptime(&m[1], wall_s(),
                                           (double)(t - t_first) / 1e9));
    else if (!ok)
      printf("%s\n", err);
    if (!tty)
      putchar('\n');
    fflush(stdout);
    if (ok)
      m[0] = m[1];
    have_prev = ok;
    t_prev = t;
    shown++;
  }
  return CORE_EXIT_OK;
}

int tools_stats_main(int argc, char **argv) {
  struct stats_opts o;
  char err[512];
  int rc = parse_args(argc, argv, &o);
  if (rc != 0)
    return rc < 0 ? CORE_EXIT_OK : rc;
  struct tools_metrics *m = calloc(2, sizeof(*m));
  if (m == NULL)
    return core_cli_fail(CMD, "out of memory");
  if (o.once) {
    rc = tools_metrics_fetch(o.url, &m[0], err, sizeof(err));
    if (rc == 0)
      tools_stats_print(stdout, &m[0], NULL, 0,
                        tools_stats_uptime(&m[0], wall_s(), -1));
    else
      rc = core_cli_fail(CMD, "%s", err);
  } else {
    rc = live(&o, m);
  }
  free(m);
  return rc;
}
