/*
 * tests/unit/core/cmd/test_config.c - defaults, option values, --cores, config
 * files. CPU expectations come from the test process's own affinity mask.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cmd/config.h"

static char err[1024];

static unsigned my_cpus(int *cpus, cpu_set_t *set) {
  unsigned n = 0;

  cr_assert_eq(sched_getaffinity(0, sizeof(*set), set), 0);
  for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
    if (CPU_ISSET(cpu, set) && n < CORE_SHARDS_MAX)
      cpus[n++] = cpu;
  return n;
}

static int first_missing_cpu(const cpu_set_t *set) {
  for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
    if (!CPU_ISSET(cpu, set))
      return cpu;
  return CPU_SETSIZE;
}

#define ASSERT_CONTAINS(hay, needle)                                       \
  cr_assert(strstr(hay, needle) != NULL, "\"%s\" lacks \"%s\"", hay, needle)

/* ---- defaults ------------------------------------------------------------ */

Test(config_defaults, documented_values) {
  struct core_config c;
  int cpus[CORE_SHARDS_MAX];
  cpu_set_t set;
  unsigned n = my_cpus(cpus, &set);

  memset(&c, 0x5a, sizeof(c));
  core_config_defaults(&c);
  cr_assert_eq(c.shard_count, n);
  for (unsigned i = 0; i < n; i++)
    cr_assert_eq(c.cpus[i], cpus[i]);
  cr_assert_eq(c.statsd_udp.enabled, 1);
  cr_assert_str_eq(c.statsd_udp.host, "0.0.0.0");
  cr_assert_eq(c.statsd_udp.port, 8125);
  cr_assert_eq(c.statsd_tcp.enabled, 1);
  cr_assert_str_eq(c.statsd_tcp.host, "0.0.0.0");
  cr_assert_eq(c.statsd_tcp.port, 8125);
  cr_assert_eq(c.otlp_http.enabled, 1);
  cr_assert_str_eq(c.otlp_http.host, "0.0.0.0");
  cr_assert_eq(c.otlp_http.port, 4318);
  cr_assert_eq(c.otlp_grpc.enabled, 1);
  cr_assert_str_eq(c.otlp_grpc.host, "0.0.0.0");
  cr_assert_eq(c.otlp_grpc.port, 4317);
  cr_assert_eq(c.syslog_udp.enabled, 1);
  cr_assert_str_eq(c.syslog_udp.host, "0.0.0.0");
  cr_assert_eq(c.syslog_udp.port, 5514);
  cr_assert_eq(c.syslog_tcp.enabled, 1);
  cr_assert_str_eq(c.syslog_tcp.host, "0.0.0.0");
  cr_assert_eq(c.syslog_tcp.port, 5514);
  cr_assert_eq(c.syslog_bytes_max, CORE_SYSLOG_BYTES_MAX_DEFAULT);
  cr_assert_eq(c.http_memory_bytes_max, NET_HTTP_MEMORY_BYTES_MAX);
  cr_assert_str_eq(c.http.host, "127.0.0.1");
  cr_assert_eq(c.http.port, 9400);
  cr_assert_str_eq(c.data_dir, "./sluice-data");
  cr_assert_eq(c.max_series, CORE_SERIES_MAX_DEFAULT);
  cr_assert_eq(c.line_bytes_max, CORE_LINE_BYTES_MAX_DEFAULT);
  cr_assert_eq(c.block_max_age_ms, CORE_HEAD_AGE_MS_DEFAULT);
  cr_assert_eq(c.udp_rcvbuf_bytes, NET_UDP_RCVBUF_BYTES_DEFAULT);
  cr_assert_eq(c.tcp_conns_max, NET_TCP_CONNS_PER_SHARD_MAX);
}

/* Criterion forks per test, so narrowing the mask stays in this test. */
static int narrow_to_last_cpu(void) {
  int cpus[CORE_SHARDS_MAX];
  cpu_set_t set;
  unsigned n = my_cpus(cpus, &set);

  if (n < 2)
    cr_skip_test("needs two CPUs in the affinity mask");
  CPU_ZERO(&set);
  CPU_SET(cpus[n - 1], &set);
  cr_assert_eq(sched_setaffinity(0, sizeof(set), &set), 0);
  return cpus[n - 1];
}

Test(config_defaults, follow_the_affinity_mask) {
  struct core_config c;
  int last = narrow_to_last_cpu();

  core_config_defaults(&c);
  cr_assert_eq(c.shard_count, 1);
  cr_assert_eq(c.cpus[0], last);
}

/* ---- addresses ----------------------------------------------------------- */

static void addr_ok(const char *s, const char *host, unsigned port) {
  struct core_addr a;

  memset(&a, 0x5a, sizeof(a));
  cr_assert_eq(core_config_parse_addr(s, &a), 0, "\"%s\"", s);
  cr_assert_eq(a.enabled, 1);
  cr_assert_str_eq(a.host, host);
  cr_assert_eq(a.port, port, "\"%s\"", s);
}

static void addr_bad(const char *s) {
  struct core_addr a = {.enabled = 7, .host = "keep", .port = 42};

  cr_assert_eq(core_config_parse_addr(s, &a), -EINVAL, "\"%s\" accepted", s);
  cr_assert_eq(a.enabled, 7, "changed on error");
  cr_assert_str_eq(a.host, "keep");
  cr_assert_eq(a.port, 42);
}

Test(config_addr, accepted_forms) {
  struct core_addr a = {.enabled = 1, .port = 1};

  addr_ok("127.0.0.1:8125", "127.0.0.1", 8125);
  addr_ok("localhost:0", "localhost", 0);
  addr_ok(":9125", "0.0.0.0", 9125);
  addr_ok("[::1]:9400", "::1", 9400);
  addr_ok("[::]:1", "::", 1);
  addr_ok("[fe80::1%eth0]:80", "fe80::1%eth0", 80);
  addr_ok("ingest-1.example.com:65535", "ingest-1.example.com", 65535);
  cr_assert_eq(core_config_parse_addr("off", &a), 0);
  cr_assert_eq(a.enabled, 0);
  cr_assert_eq(core_config_parse_addr("OFF", &a), 0);
  cr_assert_eq(a.enabled, 0);
}

Test(config_addr, host_length_bound) {
  char s[128];

  memset(s, 'h', 63);
  memcpy(s + 63, ":1", 3);
  cr_assert_eq(core_config_parse_addr(s, &(struct core_addr){0}), 0);
  memset(s, 'h', 64);
  memcpy(s + 64, ":1", 3);
  addr_bad(s);
}

Test(config_addr, rejected_forms) {
  const char *bad[] = {"",          "off:",       "host",       "host:",
                       "host:65536", "host:-1",   "host:8x",    "host:+80",
                       "host: 80",  "::1:80",     "[::1]",      "[::1]80",
                       "[]:80",     "[1.2.3.4]:80", "[::1:80",  "a b:80",
                       "h/x:80",    "host:99999999999999999999999", ":",
                       "of"};

  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    addr_bad(bad[i]);
}

/* ---- --cores ------------------------------------------------------------- */

Test(config_cores, count_takes_the_first_cpus_of_the_mask) {
  int cpus[CORE_SHARDS_MAX];
  cpu_set_t set;
  unsigned n = my_cpus(cpus, &set);
  struct core_config c;
  char s[16];

  core_config_defaults(&c);
  cr_assert_eq(core_config_parse_cores("1", &c, err, sizeof(err)), 0);
  cr_assert_eq(c.shard_count, 1);
  cr_assert_eq(c.cpus[0], cpus[0]);
  snprintf(s, sizeof(s), "%u", n);
  cr_assert_eq(core_config_parse_cores(s, &c, err, sizeof(err)), 0, "%s", err);
  cr_assert_eq(c.shard_count, n);
  for (unsigned i = 0; i < n; i++)
    cr_assert_eq(c.cpus[i], cpus[i]);
}

static void cores_bad(const char *s, const char *needle) {
  struct core_config c;

  core_config_defaults(&c);
  c.shard_count = 77;
  c.cpus[0] = 55;
  err[0] = '\0';
  cr_assert_eq(core_config_parse_cores(s, &c, err, sizeof(err)), -EINVAL,
               "\"%s\" accepted", s);
  ASSERT_CONTAINS(err, needle);
  cr_assert_eq(c.shard_count, 77, "changed on error");
  cr_assert_eq(c.cpus[0], 55);
}

Test(config_cores, bad_counts) {
  int cpus[CORE_SHARDS_MAX];
  cpu_set_t set;
  unsigned n = my_cpus(cpus, &set);
  char s[16], fix[32];

  snprintf(fix, sizeof(fix), "use 1 to %u", n);
  cores_bad("0", fix);
  snprintf(s, sizeof(s), "%u", n + 1);
  cores_bad(s, fix);
  cores_bad(s, "\""); /* names the value */
  cores_bad("99999999999999999999999", fix);
}

Test(config_cores, list_in_the_order_given) {
  int cpus[CORE_SHARDS_MAX];
  cpu_set_t set;
  unsigned n = my_cpus(cpus, &set);
  struct core_config c;
  char s[64];

  core_config_defaults(&c);
  snprintf(s, sizeof(s), "%d-%d", cpus[0], cpus[0]);
  cr_assert_eq(core_config_parse_cores(s, &c, err, sizeof(err)), 0, "%s", err);
  cr_assert_eq(c.shard_count, 1);
  cr_assert_eq(c.cpus[0], cpus[0]);
  if (n < 2)
    return;
  snprintf(s, sizeof(s), "%d,%d", cpus[1], cpus[0]);
  cr_assert_eq(core_config_parse_cores(s, &c, err, sizeof(err)), 0, "%s", err);
  cr_assert_eq(c.shard_count, 2);
  cr_assert_eq(c.cpus[0], cpus[1]);
  cr_assert_eq(c.cpus[1], cpus[0]);
  if (cpus[1] != cpus[0] + 1)
    return;
  snprintf(s, sizeof(s), "%d-%d", cpus[0], cpus[1]);
  cr_assert_eq(core_config_parse_cores(s, &c, err, sizeof(err)), 0, "%s", err);
  cr_assert_eq(c.shard_count, 2);
  cr_assert_eq(c.cpus[0], cpus[0]);
  cr_assert_eq(c.cpus[1], cpus[1]);
}

Test(config_cores, bad_lists) {
  int cpus[CORE_SHARDS_MAX];
  cpu_set_t set;
  char s[64];

  my_cpus(cpus, &set);
  snprintf(s, sizeof(s), "%d,%d", cpus[0], cpus[0]);
  cores_bad(s, "listed twice");
  snprintf(s, sizeof(s), "%d-%d,%d", cpus[0], cpus[0], cpus[0]);
  cores_bad(s, "listed twice");
  snprintf(s, sizeof(s), "%d,%d", cpus[0], first_missing_cpu(&set));
  cores_bad(s, "is not available to this process");
  cores_bad("0,5000", "CPU 5000 is not available");
  cores_bad("3-1", "range \"3-1\" is backwards");
  cores_bad("", "is not a CPU or a range");
  cores_bad("0,,1", "\"\" is not a CPU or a range");
  cores_bad("0,", "is not a CPU or a range");
  cores_bad("0-", "\"0-\" is not a CPU or a range");
  cores_bad("-1", "\"-1\" is not a CPU");
  cores_bad("0,x", "\"x\" is not a CPU");
  cores_bad("0, 1", "\" 1\" is not a CPU");
  cores_bad("all", "use a count like 4 or a list like 0,2-3");
}

Test(config_cores, list_must_be_in_the_mask) {
  int last = narrow_to_last_cpu();
  struct core_config c;
  char s[32];

  core_config_defaults(&c);
  snprintf(s, sizeof(s), "%d-%d", last - 1, last - 1);
  cores_bad(s, "is not available to this process (it may run on CPUs");
  cores_bad("2", "use 1 to 1");
  snprintf(s, sizeof(s), "%d-%d", last, last);
  cr_assert_eq(core_config_parse_cores(s, &c, err, sizeof(err)), 0);
  cr_assert_eq(c.cpus[0], last);
  cr_assert_eq(core_config_parse_cores("1", &c, err, sizeof(err)), 0);
  cr_assert_eq(c.cpus[0], last);
}

/* ---- core_config_set ----------------------------------------------------- */

static struct core_config *fresh(void) {
  static struct core_config c;

  core_config_defaults(&c);
  return &c;
}

static void set_ok(struct core_config *c, const char *name, const char *val) {
  err[0] = '\0';
  cr_assert_eq(core_config_set(c, name, val, err, sizeof(err)), 0,
               "--%s %s: %s", name, val, err);
}

/* A bad value is refused with a message naming option and value. */
static void set_bad(const char *name, const char *val, const char *needle) {
  struct core_config *c = fresh(), before = *c;
  char head[128];

  err[0] = '\0';
  cr_assert_eq(core_config_set(c, name, val, err, sizeof(err)), -EINVAL,
               "--%s \"%s\" accepted", name, val);
  snprintf(head, sizeof(head), "--%s: ", name);
  cr_assert(strncmp(err, head, strlen(head)) == 0, "\"%s\"", err);
  ASSERT_CONTAINS(err, needle);
  cr_assert(memcmp(&before, c, sizeof(before)) == 0, "changed on error");
}

Test(config_set, numbers_valid) {
  struct core_config *c = fresh();

  set_ok(c, "max-series", "1");
  cr_assert_eq(c->max_series, 1);
  set_ok(c, "max-series", "67108864");
  cr_assert_eq(c->max_series, CORE_SERIES_MAX_LIMIT);
  set_ok(c, "max-line-bytes", "64");
  cr_assert_eq(c->line_bytes_max, 64);
  set_ok(c, "max-line-bytes", "64K");
  cr_assert_eq(c->line_bytes_max, 65536);
  set_ok(c, "max-line-bytes", "1k");
  cr_assert_eq(c->line_bytes_max, 1024);
  set_ok(c, "block-max-age-ms", "1");
  cr_assert_eq(c->block_max_age_ms, 1);
  set_ok(c, "block-max-age-ms", "3600000");
  cr_assert_eq(c->block_max_age_ms, CORE_HEAD_AGE_MS_MAX);
  set_ok(c, "udp-rcvbuf-bytes", "4096");
  cr_assert_eq(c->udp_rcvbuf_bytes, 4096);
  set_ok(c, "udp-rcvbuf-bytes", "8M");
  cr_assert_eq(c->udp_rcvbuf_bytes, 8u << 20);
  set_ok(c, "udp-rcvbuf-bytes", "512m");
  cr_assert_eq(c->udp_rcvbuf_bytes, 512u << 20);
  set_ok(c, "max-tcp-connections", "1");
  cr_assert_eq(c->tcp_conns_max, 1);
  set_ok(c, "max-tcp-connections", "1024");
  cr_assert_eq(c->tcp_conns_max, 1024);
  set_ok(c, "max-series", "007");
  cr_assert_eq(c->max_series, 7);
  set_ok(c, "syslog-max-bytes", "480");
  cr_assert_eq(c->syslog_bytes_max, CORE_SYSLOG_BYTES_MIN_LIMIT);
  set_ok(c, "syslog-max-bytes", "1M");
  cr_assert_eq(c->syslog_bytes_max, CORE_SYSLOG_BYTES_MAX_LIMIT);
  set_bad("syslog-max-bytes", "479", "between 480 and 1048576");
  set_bad("syslog-max-bytes", "2M", "out of range");
  set_ok(c, "http-memory-bytes", "16M");
  cr_assert_eq(c->http_memory_bytes_max, NET_HTTP_MEMORY_BYTES_MIN);
  set_ok(c, "http-memory-bytes", "4095M");
  cr_assert_eq(c->http_memory_bytes_max, NET_HTTP_MEMORY_BYTES_LIMIT);
  set_bad("http-memory-bytes", "4G", "out of range");
  set_bad("http-memory-bytes", "1M", "out of range");
}

Test(config_set, number_messages) {
  struct core_config *c = fresh();

  cr_assert_eq(core_config_set(c, "max-series", "abc", err, sizeof(err)),
               -EINVAL);
  cr_assert_str_eq(err, "--max-series: \"abc\" is not a number; use an "
                        "integer between 1 and 67108864");
  cr_assert_eq(core_config_set(c, "max-series", "0", err, sizeof(err)),
               -EINVAL);
  cr_assert_str_eq(err, "--max-series: \"0\" is out of range; use an "
                        "integer between 1 and 67108864");
  cr_assert_eq(core_config_set(c, "udp-rcvbuf-bytes", "1G", err, sizeof(err)),
               -EINVAL);
  cr_assert_str_eq(err, "--udp-rcvbuf-bytes: \"1G\" is out of range; use an "
                        "integer between 4096 and 536870912 (K, M and G "
                        "suffixes allowed)");
}

Test(config_set, numbers_invalid) {
  static const char *const bad[][3] = {
      /* option, value, part of the message */
      {"max-series", "", "is not a number"},
      {"max-series", "-1", "\"-1\" is not a number"},
      {"max-series", "+1", "is not a number"},
      {"max-series", " 1", "is not a number"},
      {"max-series", "1 ", "is not a number"},
      {"max-series", "1.5", "is not a number"},
      {"max-series", "1K", "is not a number"}, /* suffixes: sizes only */
      {"max-series", "67108865", "\"67108865\" is out of range"},
      {"max-series", "99999999999999999999999", "is out of range"},
      {"max-line-bytes", "63", "between 64 and 65536"},
      {"max-line-bytes", "65537", "is out of range"},
      {"max-line-bytes", "65K", "is out of range"},
      {"max-line-bytes", "64Q", "is not a number"},
      {"max-line-bytes", "64KB", "is not a number"},
      {"max-line-bytes", "K", "is not a number"},
      {"block-max-age-ms", "0", "between 1 and 3600000"},
      {"block-max-age-ms", "3600001", "is out of range"},
      {"block-max-age-ms", "1s", "is not a number"},
      {"udp-rcvbuf-bytes", "4095", "is out of range"},
      {"udp-rcvbuf-bytes", "513M", "is out of range"},
      {"udp-rcvbuf-bytes", "17179869184G", "is out of range"},
      {"max-tcp-connections", "0", "between 1 and 1024"},
      {"max-tcp-connections", "1025", "is out of range"},
  };

  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    set_bad(bad[i][0], bad[i][1], bad[i][2]);
}

Test(config_set, addresses) {
  struct core_config *c = fresh();

  set_ok(c, "statsd-udp", ":9125");
  cr_assert_str_eq(c->statsd_udp.host, "0.0.0.0");
  cr_assert_eq(c->statsd_udp.port, 9125);
  set_ok(c, "statsd-tcp", "off");
  cr_assert_eq(c->statsd_tcp.enabled, 0);
  set_ok(c, "otlp-http", "127.0.0.1:14318");
  cr_assert_eq(c->otlp_http.port, 14318);
  set_ok(c, "otlp-http", "off");
  cr_assert_eq(c->otlp_http.enabled, 0);
  set_ok(c, "otlp-grpc", "127.0.0.1:14317");
  cr_assert_eq(c->otlp_grpc.port, 14317);
  set_ok(c, "otlp-grpc", "off");
  cr_assert_eq(c->otlp_grpc.enabled, 0);
  cr_assert_eq(c->statsd_udp.enabled, 1);
  set_ok(c, "syslog-udp", "off");
  cr_assert_eq(c->syslog_udp.enabled, 0);
  cr_assert_eq(c->syslog_tcp.enabled, 1);
  set_ok(c, "syslog-tcp", "127.0.0.1:6514");
  cr_assert_str_eq(c->syslog_tcp.host, "127.0.0.1");
  cr_assert_eq(c->syslog_tcp.port, 6514);
  set_bad("syslog-tcp", "5514", "\":PORT\" is missing");
  set_ok(c, "http", "[::1]:0");
  cr_assert_str_eq(c->http.host, "::1");
  cr_assert_eq(c->http.port, 0);
  set_bad("statsd-udp", "8125", "\":PORT\" is missing");
  set_bad("statsd-tcp", "host:70000", "the port is over 65535");
  set_bad("http", "::1:80", "needs brackets");
  set_bad("http", "x:y", "use HOST:PORT, [IPV6]:PORT, :PORT");
}

Test(config_set, data_dir_and_cores) {
  struct core_config *c = fresh();
  static char long_path[5000];
  int cpus[CORE_SHARDS_MAX];
  cpu_set_t set;

  my_cpus(cpus, &set);
  set_ok(c, "data-dir", "/var/lib/sluice");
  cr_assert_str_eq(c->data_dir, "/var/lib/sluice");
  memset(long_path, 'd', 4095);
  set_ok(c, "data-dir", long_path);
  cr_assert_eq(strlen(c->data_dir), 4095);
  memset(long_path, 'd', 4096);
  set_bad("data-dir", long_path, "use one under 4096 bytes");
  set_bad("data-dir", "", "the path is empty");
  set_ok(c, "cores", "1");
  cr_assert_eq(c->shard_count, 1);
  cr_assert_eq(c->cpus[0], cpus[0]);
  set_bad("cores", "0", "use 1 to");
  set_bad("cores", "1-0", "backwards");
}

/* What core_config_show writes back is what core_config_set took, in
 * one spelling per value (SIGHUP compares configurations by it). */
Test(config_show, round_trips) {
  static const char *const cases[][3] = {
      /* name, value set, value shown */
      {"statsd-udp", "127.0.0.1:8125", "127.0.0.1:8125"},
      {"http", "[::1]:9400", "[::1]:9400"},
      {"syslog-tcp", "off", "off"},
      {"otlp-http", ":4318", "0.0.0.0:4318"},
      {"max-series", "2000", "2000"},
      {"udp-rcvbuf-bytes", "8M", "8M"},
      {"udp-rcvbuf-bytes", "5000", "5000"},
      {"segment-max-age", "3600s", "1h"},
      {"retention", "14d", "2w"},
      {"retention", "0", "0"},
      {"retention", "1500ms", "1500ms"},
      {"max-disk-bytes", "2048G", "2T"},
      {"max-disk-bytes", "1", "1"},
      {"data-dir", "/var/lib/sluice", "/var/lib/sluice"},
      {"simd", "scalar", "scalar"},
  };
  struct core_config *c = fresh();
  char out[256];

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    set_ok(c, cases[i][0], cases[i][1]);
    cr_assert_eq(core_config_show(c, cases[i][0], out, sizeof(out)), 0);
    cr_assert_str_eq(out, cases[i][2], "%s %s", cases[i][0], cases[i][1]);
  }
  cr_assert_eq(core_config_show(c, "nope", out, sizeof(out)), -ENOENT);
}

Test(config_show, cores_as_ranges_in_order) {
  struct core_config *c = fresh();
  char out[256];

  c->shard_count = 6;
  memcpy(c->cpus, (int[]){0, 1, 2, 3, 6, 5}, 6 * sizeof(int));
  core_config_show(c, "cores", out, sizeof(out));
  cr_assert_str_eq(out, "0-3,6,5");
  core_config_show(c, "cores", out, 6);
  cr_assert_str_eq(out, "0-...");
}

Test(config_set, unknown_option) {
  struct core_config *c = fresh(), before = *c;

  cr_assert_eq(core_config_set(c, "max-serie", "1", err, sizeof(err)),
               -ENOENT);
  cr_assert_str_eq(err, "unknown option \"max-serie\"");
  cr_assert_eq(core_config_set(c, "--max-series", "1", err, sizeof(err)),
               -ENOENT);
  cr_assert_eq(core_config_set(c, "config", "x", err, sizeof(err)), -ENOENT);
  cr_assert(memcmp(&before, c, sizeof(before)) == 0);
}

Test(config_set, tiny_error_buffer_is_safe) {
  struct core_config *c = fresh();
  char small[8];

  cr_assert_eq(core_config_set(c, "max-series", "abc", small, sizeof(small)),
               -EINVAL);
  cr_assert_str_eq(small, "--max-s");
  cr_assert_eq(core_config_set(c, "max-series", "abc", NULL, 0), -EINVAL);
}

/* ---- config files -------------------------------------------------------- */

static char path[64];

static const char *write_file(const char *text) {
  int fd;

  snprintf(path, sizeof(path), "/tmp/sluice-test-conf-XXXXXX");
  fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  return path;
}

static int load(struct core_config *c, const char *text) {
  int rc;

  err[0] = '\0';
  rc = core_config_load(c, write_file(text), err, sizeof(err));
  unlink(path);
  return rc;
}

Test(config_file, comments_quotes_and_whitespace) {
  struct core_config *c = fresh();

  cr_assert_eq(load(c, "# sluice.conf\n"
                       "\n"
                       "   max-series = 1000   \n"
                       "max-line-bytes=16K\n"
                       "\tblock-max-age-ms\t=\t250 # quarter second\n"
                       "data-dir = \"/srv/data #1 \\\"a\\\" \\\\b\"  # quoted\n"
                       "statsd-tcp = off\r\n"
                       "http = \"[::1]:9401\"\n"
                       "  # indented comment\n"
                       "max-series = 2000\n"
                       "udp-rcvbuf-bytes = 16M"),
               0, "%s", err);
  cr_assert_eq(c->max_series, 2000, "a later line wins");
  cr_assert_eq(c->line_bytes_max, 16384);
  cr_assert_eq(c->block_max_age_ms, 250);
  cr_assert_str_eq(c->data_dir, "/srv/data #1 \"a\" \\b");
  cr_assert_eq(c->statsd_tcp.enabled, 0);
  cr_assert_str_eq(c->http.host, "::1");
  cr_assert_eq(c->http.port, 9401);
  cr_assert_eq(c->udp_rcvbuf_bytes, 16u << 20, "last line without newline");
}

Test(config_file, empty_file_changes_nothing) {
  struct core_config *c = fresh(), before = *c;

  cr_assert_eq(load(c, ""), 0);
  cr_assert_eq(load(c, "\n  \n# only comments\n"), 0);
  cr_assert(memcmp(&before, c, sizeof(before)) == 0);
}

/* An error names file and line; nothing of the file is applied. */
static void file_bad(const char *text, unsigned line, const char *needle) {
  struct core_config *c = fresh(), before = *c;
  char where[96];

  cr_assert_eq(load(c, text), -EINVAL, "accepted: %s", text);
  snprintf(where, sizeof(where), "%s:%u: ", path, line);
  cr_assert(strncmp(err, where, strlen(where)) == 0, "\"%s\"", err);
  ASSERT_CONTAINS(err, needle);
  cr_assert(memcmp(&before, c, sizeof(before)) == 0, "partly applied");
}

Test(config_file, errors_name_file_and_line) {
  file_bad("max-series = 5\n\nfoo = 1\n", 3, "unknown option \"foo\"");
  file_bad("max-series = abc\n", 1,
           "--max-series: \"abc\" is not a number; use an integer between 1 "
           "and 67108864");
  file_bad("# c\nmax-series\n", 2, "expected \"name = value\"");
  file_bad("max-series 5\n", 1, "expected \"name = value\"");
  file_bad("= 5\n", 1, "expected \"name = value\"");
  file_bad("data-dir = \"/x\n", 1, "closing '\"' is missing");
  file_bad("data-dir = \"/x\" y\n", 1, "text follows the closing");
  file_bad("max-series =\n", 1, "\"\" is not a number");
  file_bad("--max-series = 5\n", 1, "unknown option \"--max-series\"");
  file_bad("cores = 0\n", 1, "--cores: ");
}

Test(config_file, nul_byte_is_an_error) {
  static const char text[] = "max-series = 5\0junk\n";
  struct core_config *c = fresh();
  int fd, rc;

  snprintf(path, sizeof(path), "/tmp/sluice-test-conf-XXXXXX");
  fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
  close(fd);
  rc = core_config_load(c, path, err, sizeof(err));
  unlink(path);
  cr_assert_eq(rc, -EINVAL);
  ASSERT_CONTAINS(err, "NUL byte");
}

Test(config_file, missing_file) {
  struct core_config *c = fresh();

  cr_assert_eq(core_config_load(c, "/nonexistent/sluice.conf", err,
                                sizeof(err)),
               -ENOENT);
}

Test(config_set, otlp_resource_labels) {
  struct core_config *c = fresh();
  char out[CORE_OTLP_RESOURCE_LABELS_BYTES_MAX];

  cr_assert_str_eq(c->otlp_resource_labels,
                   "service.name,service.namespace,service.instance.id,"
                   "host.name");
  set_ok(c, "otlp-resource-labels", "all");
  cr_assert_str_eq(c->otlp_resource_labels, "all");
  set_ok(c, "otlp-resource-labels", "service.name,k8s.pod.name");
  cr_assert_eq(core_config_show(c, "otlp-resource-labels", out, sizeof(out)),
               0);
  cr_assert_str_eq(out, "service.name,k8s.pod.name");
  set_bad("otlp-resource-labels", "", "is not a list");
  set_bad("otlp-resource-labels", "a,,b", "is not a list");
}

/* --dpdk, --dpdk-port, --dpdk-ip (docs/dpdk.md). */
Test(config_dpdk, set_show_and_refuse) {
  struct core_config c;
  char out[128];

  core_config_defaults(&c);
  cr_assert_eq(c.dpdk_eal[0], '\0', "off by default");
  cr_assert_eq(c.dpdk_port, 0);
  cr_assert_eq(core_config_set(&c, "dpdk", "--no-huge --vdev net_null0",
                               err, sizeof(err)), 0);
  core_config_show(&c, "dpdk", out, sizeof(out));
  cr_assert_str_eq(out, "--no-huge --vdev net_null0");
  cr_assert_eq(core_config_set(&c, "dpdk", "off", err, sizeof(err)), 0);
  core_config_show(&c, "dpdk", out, sizeof(out));
  cr_assert_str_eq(out, "off");
  cr_assert_eq(c.dpdk_eal[0], '\0');
  cr_assert_eq(core_config_set(&c, "dpdk-ip", "10.1.2.3", err, sizeof(err)),
               0);
  cr_assert_eq(c.dpdk_ip, 0x0a010203u);
  core_config_show(&c, "dpdk-ip", out, sizeof(out));
  cr_assert_str_eq(out, "10.1.2.3");
  cr_assert_eq(core_config_set(&c, "dpdk-port", "3", err, sizeof(err)), 0);
  cr_assert_eq(c.dpdk_port, 3);
  cr_assert_lt(core_config_set(&c, "dpdk-ip", "10.1.2.300", err,
                               sizeof(err)), 0);
  cr_assert(strstr(err, "10.1.2.300") != NULL, "%s", err);
  cr_assert_lt(core_config_set(&c, "dpdk-ip", "::1", err, sizeof(err)), 0);
  cr_assert_lt(core_config_set(&c, "dpdk-ip", "0.0.0.0", err, sizeof(err)),
               0);
  cr_assert_eq(c.dpdk_ip, 0x0a010203u, "a refused value changes nothing");
  cr_assert_lt(core_config_set(&c, "dpdk-port", "70000", err, sizeof(err)),
               0);
}

Test(config_set, compact_after) {
  struct core_config *c = fresh();
  char out[64];

  cr_assert_eq(c->compact_after_ms, CORE_COMPACT_AFTER_MS_DEFAULT);
  set_ok(c, "compact-after", "30");
  cr_assert_eq(c->compact_after_ms, 30000);
  cr_assert_eq(core_config_show(c, "compact-after", out, sizeof(out)), 0);
  cr_assert_str_eq(out, "30s");
  set_ok(c, "compact-after", "2h");
  cr_assert_eq(c->compact_after_ms, 7200000);
  set_ok(c, "compact-after", "off");
  cr_assert_eq(c->compact_after_ms, 0);
  cr_assert_eq(core_config_show(c, "compact-after", out, sizeof(out)), 0);
  cr_assert_str_eq(out, "off");
  set_bad("compact-after", "-1", "not a duration");
  set_bad("compact-after", "soon", "not a duration");
  set_bad("compact-after", "400d", "over a year");
}
