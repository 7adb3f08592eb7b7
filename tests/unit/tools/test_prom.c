/*
 * tests/unit/tools/test_prom.c - the Prometheus text parser, the per-shard
 * sums of sluice's /metrics, and the `stats --once` table.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/shard/stats.h"
#include "core/base/strbuf.h"
#include "tools/metrics.h"
#include "tools/prom.h"
#include "tools/stats.h"

static const char sample[] =
    "# HELP sluice_rx_bytes_total Payload bytes.\n"
    "# TYPE sluice_rx_bytes_total counter\n"
    "sluice_rx_bytes_total{shard=\"0\",listener=\"statsd_udp\"} 1024\n"
    "\n"
    "up 1\r\n"
    "weird{a=\"x\\\"y\",b=\"\",} +Inf 1714564800000\n"
    "nan_metric{ k = \"v\" } NaN\n"
    "broken{shard=\"0\" 12\n"
    "no_value\n"
    "sci 1.5e3\n";

Test(prom, reads_samples_and_skips_bad_lines) {
  struct tools_prom_cursor c;
  struct tools_prom_sample s;
  tools_prom_start(&c, sample, strlen(sample));

  cr_assert_eq(tools_prom_next(&c, &s), 1);
  cr_assert(tools_prom_name_is(&s, "sluice_rx_bytes_total"));
  cr_assert_eq(s.label_count, 2);
  cr_assert(tools_prom_label_is(&s, "shard", "0"));
  cr_assert(tools_prom_label_is(&s, "listener", "statsd_udp"));
  cr_assert_float_eq(s.value, 1024, 1e-9);
  cr_assert_eq(s.has_timestamp, 0);

  cr_assert_eq(tools_prom_next(&c, &s), 1);
  cr_assert(tools_prom_name_is(&s, "up"));
  cr_assert_eq(s.label_count, 0);
  cr_assert_float_eq(s.value, 1, 1e-9);

  cr_assert_eq(tools_prom_next(&c, &s), 1);
  cr_assert(tools_prom_name_is(&s, "weird"));
  cr_assert_eq(s.label_count, 2);
  cr_assert(tools_prom_label_is(&s, "a", "x\\\"y"), "raw escaped value");
  cr_assert(tools_prom_label_is(&s, "b", ""));
  cr_assert(isinf(s.value) && s.value > 0);
  cr_assert_eq(s.has_timestamp, 1);
  cr_assert_eq(s.timestamp_ms, 1714564800000);

  cr_assert_eq(tools_prom_next(&c, &s), 1);
  cr_assert(tools_prom_label_is(&s, "k", "v"));
  cr_assert(isnan(s.value));

  cr_assert_eq(tools_prom_next(&c, &s), -EINVAL);
  cr_assert_eq(c.line, 8, "the cursor names the bad line");
  cr_assert_eq(tools_prom_next(&c, &s), -EINVAL);
  cr_assert_eq(tools_prom_next(&c, &s), 1);
  cr_assert_float_eq(s.value, 1500, 1e-9);
  cr_assert_eq(tools_prom_next(&c, &s), 0);
  cr_assert_eq(tools_prom_next(&c, &s), 0);
}

Test(prom, too_many_labels) {
  char text[1024];
  size_t n = (size_t)snprintf(text, sizeof(text), "m{");
  for (int i = 0; i <= TOOLS_PROM_LABELS_MAX; i++)
    n += (size_t)snprintf(text + n, sizeof(text) - n, "l%d=\"v\",", i);
  snprintf(text + n, sizeof(text) - n, "} 1\nok 2\n");
  struct tools_prom_cursor c;
  struct tools_prom_sample s;
  tools_prom_start(&c, text, strlen(text));
  cr_assert_eq(tools_prom_next(&c, &s), -E2BIG);
  cr_assert_eq(tools_prom_next(&c, &s), 1);
  cr_assert(tools_prom_name_is(&s, "ok"));
}

/* What sluice's own renderer writes for two shards. */
static char *render_two_shards(size_t *len) {
  static struct core_stats st[2];
  const struct core_stats *ptrs[2] = {&st[0], &st[1]};
  struct core_strbuf b;
  memset(st, 0, sizeof(st));
  st[0].ingest.points_statsd[CORE_STATSD_COUNTER] = 100;
  st[0].ingest.points_statsd[CORE_STATSD_TIMER] = 50;
  st[1].ingest.points_statsd[CORE_STATSD_GAUGE] = 7;
  st[0].ingest.parse_errors_statsd[CORE_STATSD_ERR_BAD_TYPE] = 3;
  st[1].ingest.statsd_events = 2;
  st[1].ingest.statsd_service_checks = 1;
  st[1].ingest.series_rejected = 4;
  st[0].rx.rx_datagrams[NET_LISTENER_STATSD_UDP] = 10;
  st[0].rx.rx_bytes[NET_LISTENER_STATSD_UDP] = 14000;
  st[1].rx.rx_bytes[NET_LISTENER_STATSD_TCP] = 600;
  st[1].rx.rx_dropped = 5;
  st[0].ingest.series_active = 42;
  st[1].ingest.series_active = 8;
  st[1].rx.tcp_connections = 3;
  core_strbuf_init(&b, 1 << 20);
  cr_assert_eq(core_stats_render(ptrs, 2, &b), 0);
  *len = b.len;
  return b.data;
}

Test(metrics, sums_sluice_families_per_shard) {
  static struct tools_metrics m;
  size_t len;
  char *text = render_two_shards(&len);
  cr_assert_gt(tools_metrics_collect(text, len, &m), 0);
  cr_assert_eq(m.malformed, 0);
  cr_assert_eq(m.shard_count, 2);
  cr_assert_float_eq(m.shard[0].points, 150, 1e-9);
  cr_assert_float_eq(m.shard[1].points, 7, 1e-9);
  cr_assert_float_eq(m.total.ingested[TOOLS_PROTO_STATSD], 157, 1e-9);
  cr_assert_float_eq(m.total.ingested[TOOLS_PROTO_SYSLOG], 0, 1e-9);
  cr_assert_float_eq(m.shard[0].errors, 3, 1e-9);
  cr_assert_float_eq(m.total.statsd_events, 3, 1e-9);
  cr_assert_float_eq(m.total.series_rejected, 4, 1e-9);
  cr_assert_float_eq(m.shard[0].rx_bytes, 14000, 1e-9);
  cr_assert_float_eq(m.shard[1].rx_bytes, 600, 1e-9);
  cr_assert_float_eq(m.shard[0].rx_datagrams, 10, 1e-9);
  cr_assert_float_eq(m.shard[1].rx_dropped, 5, 1e-9);
  cr_assert_float_eq(m.total.series_active, 50, 1e-9);
  cr_assert_float_eq(m.shard[1].tcp_connections, 3, 1e-9);
  /* 157 points + 3 errors + 3 events + 4 over --max-series */
  cr_assert_float_eq(tools_metrics_accounted(&m.total, TOOLS_PROTO_STATSD), 167,
                     1e-9);
  free(text);
}

Test(metrics, once_table_has_a_row_per_shard_and_a_total) {
  static struct tools_metrics m;
  size_t len, out_len;
  char *text = render_two_shards(&len), *out;
  FILE *f = open_memstream(&out, &out_len);
  tools_metrics_collect(text, len, &m);
  tools_stats_print(f, &m, NULL, 0, (struct tools_stats_uptime){-1, 0});
  fclose(f);
  char shard[16];
  double points, bytes, dgrams, errors, drops, series, tcp;
  const char *l1 = strchr(out, '\n') + 1;
  cr_assert_eq(strncmp(out, "shard ", 6), 0);
  cr_assert_eq(sscanf(l1, "%15s %lf %lf %lf %lf %lf %lf %lf", shard, &points,
                      &bytes, &dgrams, &errors, &drops, &series, &tcp), 8);
  cr_assert_str_eq(shard, "0");
  cr_assert_float_eq(points, 150, 1e-9);
  cr_assert_float_eq(series, 42, 1e-9);
  const char *tot = strstr(out, "\ntotal ");
  cr_assert_not_null(tot);
  cr_assert_eq(sscanf(tot + 1, "%15s %lf %lf %lf %lf %lf %lf %lf", shard,
                      &points, &bytes, &dgrams, &errors, &drops, &series, &tcp),
               8);
  cr_assert_float_eq(points, 157, 1e-9);
  cr_assert_float_eq(bytes, 14600, 1e-9);
  cr_assert_float_eq(drops, 5, 1e-9);
  free(out);
  free(text);
}

Test(metrics, live_table_shows_rates) {
  static struct tools_metrics a, b;
  size_t len, out_len;
  char *text = render_two_shards(&len), *out;
  tools_metrics_collect(text, len, &b);
  a = b;
  a.shard[0].points -= 100; /* 100 points over 2 s: 50/s */
  a.total.points -= 100;
  FILE *f = open_memstream(&out, &out_len);
  tools_stats_print(f, &b, &a, 2.0, (struct tools_stats_uptime){-1, 0});
  fclose(f);
  cr_assert_not_null(strstr(out, "points/s"));
  char shard[16], rate[32];
  cr_assert_eq(sscanf(strchr(out, '\n') + 1, "%15s %31s", shard, rate), 2);
  cr_assert_str_eq(rate, "50");
  free(out);
  free(text);
}

/* A syslog message that does not parse is a stored record all the same:
 * sent = records ingested; its parse error is not a second outcome. */
Test(metrics, syslog_accounting_counts_records_once) {
  static struct tools_metrics m;
  static const char text[] =
      "sluice_logs_ingested_total{shard=\"0\",proto=\"syslog\"} 10\n"
      "sluice_parse_errors_total{shard=\"0\",proto=\"syslog\","
      "reason=\"bad_pri\"} 3\n"
      "sluice_points_ingested_total{shard=\"0\",proto=\"statsd\","
      "type=\"c\"} 5\n";

  tools_metrics_collect(text, sizeof(text) - 1, &m);
  cr_assert_float_eq(tools_metrics_accounted(&m.total, TOOLS_PROTO_SYSLOG),
                     10, 1e-9);
  cr_assert_float_eq(m.total.points, 5, 1e-9, "points are StatsD's only");
  cr_assert_float_eq(m.total.ingested[TOOLS_PROTO_SYSLOG], 10, 1e-9);
  cr_assert_float_eq(m.total.errors, 3, 1e-9);
}

/* Storage, loss and uptime: the columns from storage's counters and
 * process_start_time_seconds (no shard label: the total only). */
static const char storage_text[] =
    "process_start_time_seconds 1700000000.5\n"
    "sluice_storage_bytes_written_total{shard=\"0\"} 4096\n"
    "sluice_storage_bytes_written_total{shard=\"1\"} 1024\n"
    "sluice_storage_segments_opened_total{shard=\"1\"} 2\n"
    "sluice_storage_points_lost_total{shard=\"1\"} 7\n"
    "sluice_storage_logs_lost_total{shard=\"1\"} 1\n"
    "sluice_rx_dropped_total{shard=\"0\"} 5\n"
    "sluice_series_rejected_total{shard=\"0\"} 2\n"
    "sluice_parse_errors_total{shard=\"0\",proto=\"statsd\","
    "reason=\"bad_type\"} 3\n"
    "sluice_parse_errors_total{shard=\"0\",proto=\"syslog\","
    "reason=\"bad_pri\"} 100\n";

Test(metrics, storage_loss_and_start_time) {
  static struct tools_metrics m;
  tools_metrics_collect(storage_text, sizeof(storage_text) - 1, &m);
  cr_assert_eq(m.shard_count, 2);
  cr_assert_float_eq(m.shard[0].storage_bytes, 4096, 1e-9);
  cr_assert_float_eq(m.total.storage_bytes, 5120, 1e-9);
  cr_assert_float_eq(m.shard[1].segments, 2, 1e-9);
  cr_assert_float_eq(m.shard[1].storage_lost, 8, 1e-9);
  cr_assert_float_eq(m.total.start_time, 1700000000.5, 1e-9);
  cr_assert_float_eq(m.shard[0].start_time, 0, 1e-9);
  /* 5 dropped + 2 over --max-series + 3 StatsD lines; the syslog
   * messages that did not parse are stored, so no loss */
  cr_assert_float_eq(tools_metrics_lost(&m.shard[0]), 10, 1e-9);
  cr_assert_float_eq(tools_metrics_lost(&m.total), 18, 1e-9);

  struct tools_stats_uptime u = tools_stats_uptime(&m, 1700003723.9, 5);
  cr_assert_float_eq(u.seconds, 3723.4, 1e-6);
  cr_assert_eq(u.lower_bound, 0, "from the start time, not the first sample");
  static struct tools_metrics none;
  u = tools_stats_uptime(&none, 1700003723.9, 5);
  cr_assert(u.seconds == 5 && u.lower_bound);
  u = tools_stats_uptime(&none, 1700003723.9, -1);
  cr_assert_lt(u.seconds, 0, "--once without the start time: unknown");
}

static char *print(const struct tools_metrics *cur,
                   const struct tools_metrics *prev, double dt,
                   struct tools_stats_uptime up) {
  size_t len;
  char *out;
  FILE *f = open_memstream(&out, &len);
  tools_stats_print(f, cur, prev, dt, up);
  fclose(f);
  cr_assert_null(strchr(out, '\033'), "no escape sequence: %s", out);
  return out;
}

/* The last field of the row that starts with name. */
static const char *last_field(const char *out, const char *name,
                              char *buf, size_t n) {
  char key[32];
  snprintf(key, sizeof(key), "\n%s ", name);
  const char *row = strstr(out, key);
  cr_assert_not_null(row, "no row %s in %s", name, out);
  const char *end = strchr(row + 1, '\n');
  const char *sp = end;
  while (sp[-1] != ' ')
    sp--;
  snprintf(buf, n, "%.*s", (int)(end - sp), sp);
  return buf;
}

Test(metrics, tables_show_storage_loss_and_uptime) {
  static struct tools_metrics a, b;
  char cell[32];
  tools_metrics_collect(storage_text, sizeof(storage_text) - 1, &b);
  char *out = print(&b, NULL, 0, (struct tools_stats_uptime){3723.4, 0});
  cr_assert_not_null(strstr(out, " stored "));
  cr_assert_not_null(strstr(out, " segments "));
  cr_assert_not_null(strstr(out, " loss "));
  cr_assert_str_eq(last_field(out, "total", cell, sizeof(cell)), "3723");
  char shard[8];
  double v[13];
  const char *tot = strstr(out, "\ntotal ");
  cr_assert_eq(sscanf(tot + 1, "%7s %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf "
                      "%lf %lf", shard, &v[0], &v[1], &v[2], &v[3], &v[4],
                      &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11]),
               13);
  cr_assert_float_eq(v[8], 5120, 1e-9, "stored");
  cr_assert_float_eq(v[9], 2, 1e-9, "segments");
  cr_assert_float_eq(v[10], 18, 1e-9, "loss");
  free(out);

  out = print(&b, NULL, 0, (struct tools_stats_uptime){-1, 0});
  cr_assert_str_eq(last_field(out, "0", cell, sizeof(cell)), "-");
  free(out);

  a = b; /* 1024 bytes stored and 4 more lost on shard 0 over 2 s */
  a.shard[0].storage_bytes -= 1024;
  a.shard[0].rx_dropped -= 4;
  out = print(&b, &a, 2.0, (struct tools_stats_uptime){3723.4, 1});
  cr_assert_not_null(strstr(out, " stored/s "));
  cr_assert_not_null(strstr(out, " loss/s "));
  cr_assert_str_eq(last_field(out, "0", cell, sizeof(cell)), ">1h02m");
  /* shard 0's row, split: [5] drops/s, [9] stored/s, [10] segs, [11] loss/s */
  char *f[16], *save = NULL, *r0 = strchr(out, '\n') + 1;
  *strchr(r0, '\n') = '\0';
  int n = 0;
  for (char *t = strtok_r(r0, " ", &save); t && n < 16;
       t = strtok_r(NULL, " ", &save))
    f[n++] = t;
  cr_assert_eq(n, 13);
  cr_assert_str_eq(f[0], "0");
  cr_assert_str_eq(f[5], "2");
  cr_assert_str_eq(f[9], "512");
  cr_assert_str_eq(f[10], "0", "segments opened: as is, not a rate");
  cr_assert_str_eq(f[11], "2");
  free(out);
  out = print(&b, &a, 2.0, (struct tools_stats_uptime){90061, 0});
  cr_assert_str_eq(last_field(out, "total", cell, sizeof(cell)), "1d01h");
  free(out);
}
