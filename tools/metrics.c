/*
 * tools/metrics.c - per-shard sums of sluice's self-metrics.
 */
#include "tools/metrics.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/strbuf.h"
#include "tools/http.h"
#include "tools/prom.h"
#include "tools/workload.h"

#define BY_PROTO 1  /* the field is an array indexed by the proto label */
#define ALSO_POINTS 2
#define ALSO_ERRORS 4

struct family {
  const char *name;
  size_t offset;     /* of a double (or double[TOOLS_PROTO_COUNT]) */
  int flags;
};

static const struct family families[] = {
    {"sluice_points_ingested_total", offsetof(struct tools_counts, ingested),
     BY_PROTO | ALSO_POINTS},
    {"sluice_logs_ingested_total", offsetof(struct tools_counts, ingested),
     BY_PROTO},
    {"sluice_parse_errors_total", offsetof(struct tools_counts, parse_errors),
     BY_PROTO | ALSO_ERRORS},
    {"sluice_statsd_events_total", offsetof(struct tools_counts, statsd_events),
     0},
    {"sluice_series_rejected_total",
     offsetof(struct tools_counts, series_rejected), 0},
    {"sluice_rx_datagrams_total", offsetof(struct tools_counts, rx_datagrams),
     0},
    {"sluice_rx_bytes_total", offsetof(struct tools_counts, rx_bytes), 0},
    {"sluice_rx_dropped_total", offsetof(struct tools_counts, rx_dropped), 0},
    {"sluice_series_active", offsetof(struct tools_counts, series_active), 0},
    {"sluice_tcp_connections", offsetof(struct tools_counts, tcp_connections),
     0},
    {"sluice_storage_bytes_written_total",
     offsetof(struct tools_counts, storage_bytes), 0},
    {"sluice_storage_segments_opened_total",
     offsetof(struct tools_counts, segments), 0},
    {"sluice_storage_points_lost_total",
     offsetof(struct tools_counts, storage_lost), 0},
    {"sluice_storage_logs_lost_total",
     offsetof(struct tools_counts, storage_lost), 0},
    {"process_start_time_seconds", offsetof(struct tools_counts, start_time),
     0},
};
#define FAMILIES_COUNT (sizeof(families) / sizeof(families[0]))

static void add(struct tools_counts *c, const struct family *f, int proto,
                double v) {
  double *field = (double *)(void *)((char *)c + f->offset);
  if (f->flags & BY_PROTO) {
    if (proto >= 0)
      field[proto] += v;
  } else {
    *field += v;
  }
  if (f->flags & ALSO_POINTS)
    c->points += v;
  if (f->flags & ALSO_ERRORS)
    c->errors += v;
}

static int proto_of(const struct tools_prom_sample *s) {
  for (int p = 0; p < TOOLS_PROTO_COUNT; p++)
    if (tools_prom_label_is(s, "proto", tools_proto_name((enum tools_proto)p)))
      return p;
  return -1;
}

/* The shard label as an index, or -1 when absent or out of range. */
static int shard_of(const struct tools_prom_sample *s) {
  const struct tools_prom_label *l = tools_prom_label(s, "shard");
  unsigned v = 0;
  if (l == NULL || l->value_len == 0 || l->value_len > 4)
    return -1;
  for (uint32_t i = 0; i < l->value_len; i++) {
    if (l->value[i] < '0' || l->value[i] > '9')
      return -1;
    v = v * 10 + (unsigned)(l->value[i] - '0');
  }
  return v < CORE_SHARDS_MAX ? (int)v : -1;
}

unsigned tools_metrics_collect(const char *text, size_t len,
                               struct tools_metrics *m) {
  struct tools_prom_cursor cur;
  struct tools_prom_sample s;
  int rc;

  memset(m, 0, sizeof(*m));
  tools_prom_start(&cur, text, len);
  while ((rc = tools_prom_next(&cur, &s)) != 0) {
    if (rc < 0) {
      m->malformed++;
      continue;
    }
    for (size_t i = 0; i < FAMILIES_COUNT; i++) {
      if (!tools_prom_name_is(&s, families[i].name))
        continue;
      int shard = shard_of(&s), proto = proto_of(&s);
      add(&m->total, &families[i], proto, s.value);
      if (shard >= 0) {
        add(&m->shard[shard], &families[i], proto, s.value);
        if ((unsigned)shard >= m->shard_count)
          m->shard_count = (unsigned)shard + 1;
      }
      m->samples++;
      break;
    }
  }
  return m->samples;
}

double tools_metrics_accounted(const struct tools_counts *c,
                               enum tools_proto p) {
  double n = c->ingested[p] + c->parse_errors[p];

  /* A syslog message that does not parse is still a stored record: it is
   * in sluice_logs_ingested_total already, its reason counted besides. */
  if (p == TOOLS_PROTO_SYSLOG)
    return c->ingested[p];
  if (p == TOOLS_PROTO_STATSD)
    n += c->statsd_events + c->series_rejected;
  return n;
}

double tools_metrics_lost(const struct tools_counts *c) {
  return c->rx_dropped + c->parse_errors[TOOLS_PROTO_STATSD] +
         c->series_rejected + c->storage_lost;
}

int tools_metrics_fetch(const char *url, struct tools_metrics *m, char *err,
                        size_t errlen) {
  struct core_strbuf body;
  int rc;

  core_strbuf_init(&body, TOOLS_HTTP_RESPONSE_BYTES_MAX);
  rc = tools_http_get(url, &body, err, errlen);
  if (rc == 0)
    tools_metrics_collect(body.data ? body.data : "", body.len, m);
  core_strbuf_free(&body);
  return rc;
}
