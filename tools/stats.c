/*
 * tools/stats.c - `sluice stats`: a top-like per-shard view of /metrics.
 */
#include "tools/stats.h"

#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cmd/cli.h"
#include "tools/metrics.h"
#include "tools/tools.h"
#include "tools/util.h"

#define CMD "stats"
#define DEFAULT_URL "http://127.0.0.1:9400/metrics"

static const char help[] =
    "Usage: sluice stats [--url URL] [--once] [--interval-ms N] [--count N]\n"
    "A live per-shard view of sluice's /metrics, refreshed like top:\n"
    "points/s, bytes/s, datagrams/s, parse errors/s, drops/s, active series,\n"
    "open TCP connections and log records/s, per shard and in total.\n\n"
    "  --url URL          /metrics to read (default " DEFAULT_URL ")\n"
    "  --once             print one snapshot of absolute counts and exit\n"
    "                     (columns: shard points bytes datagrams parse_errors\n"
    "                     drops series tcp logs; the last row is `total`)\n"
    "  --interval-ms N    refresh period (default 1000, at least 100)\n"
    "  --count N          stop after N refreshes (default: until Ctrl-C)\n"
    "  --help             this text\n";

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

static void row(FILE *f, const char *name, const struct tools_counts *c,
                const struct tools_counts *p, double dt) {
  const double logs = c->ingested[TOOLS_PROTO_SYSLOG];
  char b[8][32];
  if (p == NULL) {
    fprintf(f, "%-6s %14.0f %16.0f %14.0f %12.0f %12.0f %10.0f %6.0f %12.0f\n",
            name, c->points, c->rx_bytes, c->rx_datagrams, c->errors,
            c->rx_dropped, c->series_active, c->tcp_connections, logs);
    return;
  }
  fprintf(f, "%-6s %10s %10s %10s %10s %10s %10s %6s %10s\n", name,
          human(b[0], 32, (c->points - p->points) / dt),
          human(b[1], 32, (c->rx_bytes - p->rx_bytes) / dt),
          human(b[2], 32, (c->rx_datagrams - p->rx_datagrams) / dt),
          human(b[3], 32, (c->errors - p->errors) / dt),
          human(b[4], 32, (c->rx_dropped - p->rx_dropped) / dt),
          human(b[5], 32, c->series_active),
          human(b[6], 32, c->tcp_connections),
          human(b[7], 32, (logs - p->ingested[TOOLS_PROTO_SYSLOG]) / dt));
}

void tools_stats_print(FILE *f, const struct tools_metrics *cur,
                       const struct tools_metrics *prev, double dt_s) {
  char name[16];
  if (prev == NULL)
    fprintf(f, "%-6s %14s %16s %14s %12s %12s %10s %6s %12s\n", "shard",
            "points", "bytes", "datagrams", "parse_errors", "drops", "series",
            "tcp", "logs");
  else
    fprintf(f, "%-6s %10s %10s %10s %10s %10s %10s %6s %10s\n", "shard",
            "points/s", "bytes/s", "dgrams/s", "errors/s", "drops/s", "series",
            "tcp", "logs/s");
  for (unsigned i = 0; i < cur->shard_count; i++) {
    snprintf(name, sizeof(name), "%u", i);
    row(f, name, &cur->shard[i],
        prev ? (i < prev->shard_count ? &prev->shard[i] : &cur->shard[i])
             : NULL,
        dt_s);
  }
  row(f, "total", &cur->total, prev ? &prev->total : NULL, dt_s);
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

/* Refresh until --count or a signal; a failed read shows and is retried. */
static int live(const struct stats_opts *o, struct tools_metrics *m) {
  char err[512];
  uint64_t t_prev = tools_now_ns(), shown = 0;
  int have_prev = tools_metrics_fetch(o->url, &m[0], err, sizeof(err)) == 0;

  while (o->count == 0 || shown < o->count) {
    tools_sleep_ns(o->interval_ms * 1000000ull);
    uint64_t t = tools_now_ns();
    int ok = tools_metrics_fetch(o->url, &m[1], err, sizeof(err)) == 0;
    fputs("\033[H\033[2J", stdout);
    printf("sluice stats  %s  every %.1f s  (Ctrl-C quits)\n\n", o->url,
           (double)o->interval_ms / 1000);
    if (ok && have_prev)
      tools_stats_print(stdout, &m[1], &m[0], (double)(t - t_prev) / 1e9);
    else if (!ok)
      printf("%s\n", err);
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
      tools_stats_print(stdout, &m[0], NULL, 0);
    else
      rc = core_cli_fail(CMD, "%s", err);
  } else {
    rc = live(&o, m);
  }
  free(m);
  return rc;
}
