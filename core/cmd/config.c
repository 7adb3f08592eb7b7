/*
 * core/cmd/config.c - defaults, option values and the config file of `sluice
 * run` and `sluice import`. Runs at start-up only, never on the data path.
 */
#include "core/cmd/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/ingest/otlpmap.h"
#include "net/forward/forward.h"
#include "simd/simd.h"

_Static_assert(CORE_CPUS_MAX <= CPU_SETSIZE, "CPU ids fit a cpu_set_t");

#define VALUE_SHOWN_MAX 80 /* bytes of a bad value quoted in a message */

__attribute__((format(printf, 3, 4))) static int fail(char *err,
                                                      size_t errlen,
                                                      const char *fmt, ...) {
  va_list ap;

  if (err != NULL && errlen > 0) {
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return -EINVAL;
}

/* ---- CPUs ---------------------------------------------------------------- */

/*
 * The CPUs this process may run on: its affinity mask (so taskset and
 * cgroup cpusets are honoured), else every online CPU. Returns the count.
 */
static unsigned allowed_cpus(cpu_set_t *set) {
  long online;

  if (sched_getaffinity(0, sizeof(*set), set) == 0 && CPU_COUNT(set) > 0)
    return (unsigned)CPU_COUNT(set);
  CPU_ZERO(set);
  online = sysconf(_SC_NPROCESSORS_ONLN);
  for (long cpu = 0; cpu < online && cpu < CORE_CPUS_MAX; cpu++)
    CPU_SET((int)cpu, set);
  if (CPU_COUNT(set) == 0)
    CPU_SET(0, set);
  return (unsigned)CPU_COUNT(set);
}

/* The first n CPUs of set, ascending, into cpus. */
static void first_cpus(const cpu_set_t *set, unsigned n, int *cpus) {
  unsigned k = 0;

  for (int cpu = 0; cpu < CORE_CPUS_MAX && k < n; cpu++)
    if (CPU_ISSET(cpu, set))
      cpus[k++] = cpu;
}

/* Write set as "0-3,6" into buf (cut with "..." when it does not fit). */
static const char *format_cpus(const cpu_set_t *set, char *buf, size_t n) {
  size_t len = 0;

  buf[0] = '\0';
  for (int lo = 0; lo < CORE_CPUS_MAX; lo++) {
    int hi = lo, w;
    if (!CPU_ISSET(lo, set))
      continue;
    while (hi + 1 < CORE_CPUS_MAX && CPU_ISSET(hi + 1, set))
      hi++;
    w = hi == lo ? snprintf(buf + len, n - len, "%s%d", len ? "," : "", lo)
                 : snprintf(buf + len, n - len, "%s%d-%d", len ? "," : "", lo,
                            hi);
    if (w < 0 || (size_t)w >= n - len) {
      snprintf(buf + (n > 4 ? n - 4 : 0), n > 4 ? 4 : n, "...");
      break;
    }
    len += (size_t)w;
    lo = hi;
  }
  return buf;
}

void core_config_defaults(struct core_config *c) {
  cpu_set_t set;
  unsigned n = allowed_cpus(&set);

  memset(c, 0, sizeof(*c));
  c->shard_count = n < CORE_SHARDS_MAX ? n : CORE_SHARDS_MAX;
  first_cpus(&set, c->shard_count, c->cpus);
  c->statsd_udp = (struct core_addr){.enabled = 1, .host = "0.0.0.0",
                                     .port = 8125};
  c->statsd_tcp = c->statsd_udp;
  c->syslog_udp = (struct core_addr){.enabled = 1, .host = "0.0.0.0",
                                     .port = 5514};
  c->syslog_tcp = c->syslog_udp;
  c->http = (struct core_addr){.enabled = 1, .host = "127.0.0.1",
                               .port = 9400};
  c->otlp_http = (struct core_addr){.enabled = 1, .host = "0.0.0.0",
                                    .port = 4318};
  c->otlp_grpc = (struct core_addr){.enabled = 1, .host = "0.0.0.0",
                                    .port = 4317};
  snprintf(c->data_dir, sizeof(c->data_dir), "%s", "./sluice-data");
  c->max_series = CORE_SERIES_MAX_DEFAULT;
  c->line_bytes_max = CORE_LINE_BYTES_MAX_DEFAULT;
  c->syslog_bytes_max = CORE_SYSLOG_BYTES_MAX_DEFAULT;
  c->block_max_age_ms = CORE_HEAD_AGE_MS_DEFAULT;
  c->udp_rcvbuf_bytes = NET_UDP_RCVBUF_BYTES_DEFAULT;
  c->tcp_conns_max = NET_TCP_CONNS_PER_SHARD_MAX;
  c->http_memory_bytes_max = (uint32_t)NET_HTTP_MEMORY_BYTES_MAX;
  c->fsync_interval_ms = STOR_FSYNC_INTERVAL_MS_DEFAULT;
  c->segment_bytes_max = STOR_SEGMENT_BYTES_DEFAULT;
  c->segment_age_ms_max = STOR_SEGMENT_AGE_MS_DEFAULT;
  c->retention_ms = 0;
  c->disk_bytes_max = 0;
  c->compact_after_ms = CORE_COMPACT_AFTER_MS_DEFAULT;
  snprintf(c->simd, sizeof(c->simd), "%s", "auto");
  snprintf(c->otlp_resource_labels, sizeof(c->otlp_resource_labels), "%s",
           CORE_OTLP_RESOURCE_LABELS_DEFAULT);
  net_fwd_config_defaults(&c->forward);
}

/* ---- numbers ------------------------------------------------------------- */

enum num_rc { NUM_OK = 0, NUM_BAD = -1, NUM_RANGE = -2 };

/* Decimal digits at *p (at least one) into *out; *p moves past them. */
static enum num_rc parse_digits(const char **p, uint64_t *out) {
  const char *s = *p;
  uint64_t v = 0;
  int big = 0;

  if (!isdigit((unsigned char)*s))
    return NUM_BAD;
  for (; isdigit((unsigned char)*s); s++) {
    unsigned d = (unsigned)(*s - '0');
    if (v > (UINT64_MAX - d) / 10)
      big = 1;
    else
      v = v * 10 + d;
  }
  *p = s;
  *out = v;
  return big ? NUM_RANGE : NUM_OK;
}

/* A whole string: digits, then (if sizes) one of K, M, G (powers of 1024). */
static enum num_rc parse_number(const char *s, int sizes, uint64_t *out) {
  enum num_rc rc = parse_digits(&s, out);
  unsigned shift = 0;

  if (rc == NUM_BAD)
    return rc;
  if (sizes && *s != '\0' && s[1] == '\0') {
    const char *units = "KkMmGg", *u = strchr(units, *s);
    if (u != NULL) {
      shift = 10 * (unsigned)((u - units) / 2 + 1);
      s++;
    }
  }
  if (*s != '\0')
    return NUM_BAD;
  if (rc == NUM_RANGE || *out > (UINT64_MAX >> shift))
    return NUM_RANGE;
  *out <<= shift;
  return NUM_OK;
}

/* ---- --cores ------------------------------------------------------------- */

static int cores_count(const char *s, const cpu_set_t *allowed, int *cpus,
                       unsigned *n, char *err, size_t errlen) {
  unsigned avail = (unsigned)CPU_COUNT(allowed);
  unsigned most = avail < CORE_SHARDS_MAX ? avail : CORE_SHARDS_MAX;
  char list[256];
  uint64_t v;

  if (parse_number(s, 0, &v) != NUM_OK || v == 0 || v > most)
    return fail(err, errlen,
                "\"%.*s\" is not a core count this process can use (it may "
                "run on CPUs %s); use 1 to %u, or a list like 0,2-3",
                VALUE_SHOWN_MAX, s, format_cpus(allowed, list, sizeof(list)),
                most);
  *n = (unsigned)v;
  first_cpus(allowed, *n, cpus);
  return 0;
}

/* One list item "A" or "A-B" at *p; *p moves past it. */
static int cores_item(const char **p, uint64_t *lo, uint64_t *hi) {
  if (parse_digits(p, lo) != NUM_OK)
    return -1;
  *hi = *lo;
  if (**p == '-') {
    (*p)++;
    if (parse_digits(p, hi) != NUM_OK)
      return -1;
  }
  return (**p == ',' || **p == '\0') ? 0 : -1;
}

/* Add CPUs lo..hi to the list, checking each against allowed and seen. */
static int cores_add(uint64_t lo, uint64_t hi, const cpu_set_t *allowed,
                     cpu_set_t *seen, int *cpus, unsigned *n, char *err,
                     size_t errlen) {
  char list[256];

  for (uint64_t cpu = lo; cpu <= hi; cpu++) {
    if (cpu >= CORE_CPUS_MAX || !CPU_ISSET((int)cpu, allowed))
      return fail(err, errlen,
                  "CPU %llu is not available to this process (it may run on "
                  "CPUs %s); list only those",
                  (unsigned long long)cpu,
                  format_cpus(allowed, list, sizeof(list)));
    if (CPU_ISSET((int)cpu, seen))
      return fail(err, errlen, "CPU %llu is listed twice; list each CPU once",
                  (unsigned long long)cpu);
    if (*n == CORE_SHARDS_MAX)
      return fail(err, errlen, "more than %d CPUs; list at most %d (one shard "
                  "per CPU)", CORE_SHARDS_MAX, CORE_SHARDS_MAX);
    CPU_SET((int)cpu, seen);
    cpus[(*n)++] = (int)cpu;
  }
  return 0;
}

static int cores_list(const char *s, const cpu_set_t *allowed, int *cpus,
                      unsigned *n, char *err, size_t errlen) {
  cpu_set_t seen;
  const char *p = s;

  CPU_ZERO(&seen);
  *n = 0;
  for (;;) {
    const char *item = p;
    uint64_t lo, hi;
    int rc;

    if (cores_item(&p, &lo, &hi) < 0)
      return fail(err, errlen,
                  "\"%.*s\" is not a CPU or a range; use a count like 4 or a "
                  "list like 0,2-3", (int)strcspn(item, ","), item);
    if (lo > hi)
      return fail(err, errlen, "range \"%.*s\" is backwards; write it "
                  "low-high", (int)(p - item), item);
    rc = cores_add(lo, hi, allowed, &seen, cpus, n, err, errlen);
    if (rc < 0 || *p == '\0')
      return rc;
    p++;
  }
}

int core_config_parse_cores(const char *s, struct core_config *c, char *err,
                            size_t errlen) {
  cpu_set_t allowed;
  int cpus[CORE_SHARDS_MAX];
  unsigned n = 0;
  int rc;

  allowed_cpus(&allowed);
  if (s[0] != '\0' && strspn(s, "0123456789") == strlen(s))
    rc = cores_count(s, &allowed, cpus, &n, err, errlen);
  else
    rc = cores_list(s, &allowed, cpus, &n, err, errlen);
  if (rc < 0)
    return rc;
  memcpy(c->cpus, cpus, n * sizeof(cpus[0]));
  c->shard_count = n;
  return 0;
}

/* ---- addresses ----------------------------------------------------------- */

static int host_chars_ok(const char *h, size_t n, int v6) {
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)h[i];
    if (!isalnum(ch) && ch != '.' && ch != '-' && ch != '_' &&
        !(v6 && (ch == ':' || ch == '%')))
      return 0;
  }
  return 1;
}

static const char *parse_port(const char *s, uint16_t *port) {
  uint64_t v;
  enum num_rc rc;

  if (*s == '\0')
    return "the port is missing";
  rc = parse_number(s, 0, &v);
  if (rc == NUM_BAD)
    return "the port is not a number";
  if (rc == NUM_RANGE || v > 65535)
    return "the port is over 65535";
  *port = (uint16_t)v;
  return NULL;
}

/* Split s into host and the text after its ':'. Returns why not, or NULL. */
static const char *split_host(const char *s, const char **host, size_t *hlen,
                              const char **port) {
  const char *colon;

  if (s[0] == '[') {
    const char *rb = strchr(s, ']');
    if (rb == NULL)
      return "']' is missing after the IPv6 address";
    if (rb[1] != ':')
      return "\":PORT\" is missing after ']'";
    *host = s + 1;
    *hlen = (size_t)(rb - *host);
    *port = rb + 2;
    return *hlen == 0 || memchr(*host, ':', *hlen) == NULL
               ? "brackets must hold an IPv6 address"
               : NULL;
  }
  colon = strrchr(s, ':');
  if (colon == NULL)
    return "\":PORT\" is missing";
  *host = s;
  *hlen = (size_t)(colon - s);
  *port = colon + 1;
  if (memchr(s, ':', *hlen) != NULL)
    return "an IPv6 address needs brackets, like [::1]:8125";
  if (*hlen == 0) {
    *host = "0.0.0.0";
    *hlen = 7;
  }
  return NULL;
}

static const char *addr_parse(const char *s, struct core_addr *out) {
  struct core_addr a = {0};
  const char *host, *port, *why;
  size_t hlen;

  if (strcasecmp(s, "off") == 0) {
    *out = a;
    return NULL;
  }
  why = split_host(s, &host, &hlen, &port);
  if (why != NULL)
    return why;
  if (hlen >= sizeof(a.host))
    return "the host is longer than 63 characters";
  if (!host_chars_ok(host, hlen, s[0] == '['))
    return "the host has a character that is not allowed";
  why = parse_port(port, &a.port);
  if (why != NULL)
    return why;
  memcpy(a.host, host, hlen);
  a.enabled = 1;
  *out = a;
  return NULL;
}

_Static_assert(sizeof(((struct core_addr *)0)->host) == 64,
               "messages say 63 characters");

int core_config_parse_addr(const char *s, struct core_addr *out) {
  return addr_parse(s, out) == NULL ? 0 : -EINVAL;
}

/* ---- options by name ----------------------------------------------------- */

struct num_opt {
  const char *name;
  size_t off;       /* of a uint32_t in struct core_config */
  uint32_t min, max;
  int sizes;        /* K/M/G suffixes accepted */
};

#define U32_FIELD(f) offsetof(struct core_config, f)
#define IS_U32(f) (sizeof(((struct core_config *)0)->f) == sizeof(uint32_t))
_Static_assert(IS_U32(max_series) && IS_U32(line_bytes_max) &&
                   IS_U32(block_max_age_ms) && IS_U32(udp_rcvbuf_bytes) &&
                   IS_U32(tcp_conns_max) && IS_U32(fsync_interval_ms) &&
                   IS_U32(segment_bytes_max) && IS_U32(syslog_bytes_max) &&
                   IS_U32(http_memory_bytes_max),
               "numeric options are stored as uint32_t");

static const struct num_opt num_opts[] = {
    {"max-series", U32_FIELD(max_series), 1, CORE_SERIES_MAX_LIMIT, 0},
    {"max-line-bytes", U32_FIELD(line_bytes_max), CORE_LINE_BYTES_MIN_LIMIT,
     CORE_LINE_BYTES_MAX_LIMIT, 1},
    {"syslog-max-bytes", U32_FIELD(syslog_bytes_max),
     CORE_SYSLOG_BYTES_MIN_LIMIT, CORE_SYSLOG_BYTES_MAX_LIMIT, 1},
    {"block-max-age-ms", U32_FIELD(block_max_age_ms), CORE_HEAD_AGE_MS_MIN,
     CORE_HEAD_AGE_MS_MAX, 0},
    {"udp-rcvbuf-bytes", U32_FIELD(udp_rcvbuf_bytes),
     NET_UDP_RCVBUF_BYTES_MIN, NET_UDP_RCVBUF_BYTES_MAX, 1},
    {"max-tcp-connections", U32_FIELD(tcp_conns_max),
     NET_TCP_CONNS_PER_SHARD_MIN, NET_TCP_CONNS_PER_SHARD_MAX, 0},
    {"http-memory-bytes", U32_FIELD(http_memory_bytes_max),
     NET_HTTP_MEMORY_BYTES_MIN, NET_HTTP_MEMORY_BYTES_LIMIT, 1},
    {"fsync-interval-ms", U32_FIELD(fsync_interval_ms), 0,
     STOR_FSYNC_INTERVAL_MS_MAX, 0},
    {"segment-max-bytes", U32_FIELD(segment_bytes_max),
     STOR_SEGMENT_BYTES_MIN, STOR_SEGMENT_BYTES_MAX, 1},
    {"dpdk-port", U32_FIELD(dpdk_port), 0, NET_DPDK_PORT_MAX, 0},
};

/* ---- durations and large sizes ------------------------------------------ */

/* "90s", "15m", "12h", "7d", "2w", "500ms" into ms; a bare number is s. */
static enum num_rc parse_duration(const char *s, uint64_t *ms) {
  static const struct {
    const char *unit;
    uint64_t ms;
  } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000},
               {"d", 86400000}, {"w", 604800000}, {"", 1000}};
  uint64_t v;
  enum num_rc rc = parse_digits(&s, &v);

  if (rc == NUM_BAD)
    return rc;
  for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
    if (strcmp(s, units[i].unit) != 0)
      continue;
    if (rc == NUM_RANGE || v > UINT64_MAX / units[i].ms)
      return NUM_RANGE;
    *ms = v * units[i].ms;
    return NUM_OK;
  }
  return NUM_BAD;
}

static int set_duration(uint64_t *field, const char *name, const char *val,
                        uint64_t min_ms, char *err, size_t errlen) {
  uint64_t ms;
  enum num_rc rc = parse_duration(val, &ms);

  if (rc == NUM_OK && ms < min_ms && !(ms == 0 && min_ms == 0))
    rc = NUM_RANGE;
  if (rc != NUM_OK)
    return fail(err, errlen,
                "--%s: \"%.*s\" is not a duration%s; use a number with a "
                "unit: ms, s, m, h, d or w (like 7d)",
                name, VALUE_SHOWN_MAX, val,
                rc == NUM_RANGE ? " in range" : "");
  *field = ms;
  return 0;
}

static int set_size64(uint64_t *field, const char *name, const char *val,
                      char *err, size_t errlen) {
  uint64_t v;
  size_t n = strlen(val);
  enum num_rc rc;

  if (n > 0 && (val[n - 1] == 'T' || val[n - 1] == 't')) {
    char buf[32];
    if (n >= sizeof(buf))
      return fail(err, errlen, "--%s: \"%.*s\" is too long", name,
                  VALUE_SHOWN_MAX, val);
    snprintf(buf, sizeof(buf), "%.*sG", (int)(n - 1), val);
    rc = parse_number(buf, 1, &v);
    if (rc == NUM_OK && v > (UINT64_MAX >> 10))
      rc = NUM_RANGE;
    v <<= 10;
  } else {
    rc = parse_number(val, 1, &v);
  }
  if (rc != NUM_OK)
    return fail(err, errlen,
                "--%s: \"%.*s\" is not a size; use bytes with an optional "
                "K, M, G or T suffix (0 = no bound)",
                name, VALUE_SHOWN_MAX, val);
  *field = v;
  return 0;
}

/* --compact-after: off, seconds, or a duration with a unit (>= 1s). */
static int set_compact_after(struct core_config *c, const char *val,
                             char *err, size_t errlen) {
  char buf[32];
  size_t n = strspn(val, "0123456789");
  uint64_t ms;
  int rc;

  if (strcmp(val, "off") == 0) {
    c->compact_after_ms = 0;
    return 0;
  }
  if (n > 0 && val[n] == '\0' && n < sizeof(buf) - 1) {
    snprintf(buf, sizeof(buf), "%ss", val); /* plain seconds */
    val = buf;
  }
  rc = set_duration(&ms, "compact-after", val, 0, err, errlen);
  if (rc == 0 && ms > CORE_COMPACT_AFTER_MS_MAX)
    return fail(err, errlen, "--compact-after: \"%.*s\" is over a year; "
                "use off to disable compaction", VALUE_SHOWN_MAX, val);
  if (rc == 0)
    c->compact_after_ms = ms;
  return rc;
}

static int set_storage(struct core_config *c, const char *name,
                       const char *val, char *err, size_t errlen) {
  if (strcmp(name, "segment-max-age") == 0)
    return set_duration(&c->segment_age_ms_max, name, val, 1000, err, errlen);
  if (strcmp(name, "retention") == 0)
    return set_duration(&c->retention_ms, name, val, 0, err, errlen);
  if (strcmp(name, "max-disk-bytes") == 0)
    return set_size64(&c->disk_bytes_max, name, val, err, errlen);
  if (strcmp(name, "compact-after") == 0)
    return set_compact_after(c, val, err, errlen);
  return -ENOENT;
}

static int set_number(struct core_config *c, const struct num_opt *o,
                      const char *val, char *err, size_t errlen) {
  uint64_t v;
  enum num_rc rc = parse_number(val, o->sizes, &v);

  if (rc == NUM_OK && (v < o->min || v > o->max))
    rc = NUM_RANGE;
  if (rc != NUM_OK)
    return fail(err, errlen,
                "--%s: \"%.*s\" is %s; use an integer between %u and %u%s",
                o->name, VALUE_SHOWN_MAX, val,
                rc == NUM_BAD ? "not a number" : "out of range", o->min,
                o->max, o->sizes ? " (K, M and G suffixes allowed)" : "");
  *(uint32_t *)((char *)c + o->off) = (uint32_t)v;
  return 0;
}

static struct core_addr *addr_field(struct core_config *c, const char *name) {
  if (strcmp(name, "statsd-udp") == 0)
    return &c->statsd_udp;
  if (strcmp(name, "statsd-tcp") == 0)
    return &c->statsd_tcp;
  if (strcmp(name, "syslog-udp") == 0)
    return &c->syslog_udp;
  if (strcmp(name, "syslog-tcp") == 0)
    return &c->syslog_tcp;
  if (strcmp(name, "http") == 0)
    return &c->http;
  if (strcmp(name, "otlp-http") == 0)
    return &c->otlp_http;
  if (strcmp(name, "otlp-grpc") == 0)
    return &c->otlp_grpc;
  return NULL;
}

static int set_addr(struct core_addr *a, const char *name, const char *val,
                    char *err, size_t errlen) {
  const char *why = addr_parse(val, a);

  if (why != NULL)
    return fail(err, errlen,
                "--%s: \"%.*s\" is not an address: %s; use HOST:PORT, "
                "[IPV6]:PORT, :PORT (all interfaces) or off",
                name, VALUE_SHOWN_MAX, val, why);
  return 0;
}

static int set_data_dir(struct core_config *c, const char *val, char *err,
                        size_t errlen) {
  size_t n = strlen(val);

  if (n == 0)
    return fail(err, errlen, "--data-dir: the path is empty; give a "
                "directory, like ./sluice-data");
  if (n >= sizeof(c->data_dir))
    return fail(err, errlen, "--data-dir: the path is %zu bytes long; use "
                "one under %zu bytes", n, sizeof(c->data_dir));
  memcpy(c->data_dir, val, n + 1);
  return 0;
}

static int set_cores(struct core_config *c, const char *val, char *err,
                     size_t errlen) {
  char why[512];

  if (core_config_parse_cores(val, c, why, sizeof(why)) == 0)
    return 0;
  return fail(err, errlen, "--cores: %s", why);
}

/* --simd: validated here; applied with simd_select at start-up. */
static int set_simd(struct core_config *c, const char *val, char *err,
                    size_t errlen) {
  enum simd_level level;

  if (simd_parse_level(val, &level) < 0 || strlen(val) >= sizeof(c->simd))
    return fail(err, errlen,
                "--simd: \"%.*s\" is not a level; use auto, avx512, avx2, "
                "sse42 or scalar", VALUE_SHOWN_MAX, val);
  memcpy(c->simd, val, strlen(val) + 1);
  return 0;
}

/* --otlp-resource-labels: validated here; applied at each pipeline's
 * start (core_pipe_otlp_resource_labels). */
static int set_otlp_labels(struct core_config *c, const char *val, char *err,
                           size_t errlen) {
  if (core_otlp_resource_labels_check(val) < 0)
    return fail(err, errlen,
                "--otlp-resource-labels: \"%.*s\" is not a list; use all, "
                "none, or up to %d resource attribute keys separated by "
                "commas (like service.name,host.name)",
                VALUE_SHOWN_MAX, val, CORE_OTLP_RESOURCE_LABELS_MAX);
  memcpy(c->otlp_resource_labels, val, strlen(val) + 1);
  return 0;
}

/* --dpdk 'EAL ARGS' and --dpdk-ip A.B.C.D (docs/dpdk.md). */
static int set_dpdk(struct core_config *c, const char *name, const char *val,
                    char *err, size_t errlen) {
  struct in_addr a;
  size_t n = strlen(val);

  if (strcmp(name, "dpdk") == 0) {
    if (strcasecmp(val, "off") == 0)
      n = 0, val = ""; /* the kernel path */
    if (n >= sizeof(c->dpdk_eal))
      return fail(err, errlen, "--dpdk: the EAL arguments are %zu bytes; "
                  "the bound is %zu", n, sizeof(c->dpdk_eal) - 1);
    memcpy(c->dpdk_eal, val, n + 1);
    return 0;
  }
  if (strcmp(name, "dpdk-ip") != 0)
    return -ENOENT;
  if (inet_pton(AF_INET, val, &a) != 1 || a.s_addr == 0)
    return fail(err, errlen, "--dpdk-ip: \"%.*s\" is not an IPv4 address; "
                "give the address this box answers at, like 10.0.0.5",
                VALUE_SHOWN_MAX, val);
  c->dpdk_ip = ntohl(a.s_addr);
  return 0;
}

int core_config_set(struct core_config *c, const char *name, const char *val,
                    char *err, size_t errlen) {
  struct core_addr *a = addr_field(c, name);

  if (a != NULL)
    return set_addr(a, name, val, err, errlen);
  if (strcmp(name, "cores") == 0)
    return set_cores(c, val, err, errlen);
  if (strcmp(name, "data-dir") == 0)
    return set_data_dir(c, val, err, errlen);
  if (strcmp(name, "simd") == 0)
    return set_simd(c, val, err, errlen);
  if (strcmp(name, "otlp-resource-labels") == 0)
    return set_otlp_labels(c, val, err, errlen);
  for (size_t i = 0; i < sizeof(num_opts) / sizeof(num_opts[0]); i++)
    if (strcmp(name, num_opts[i].name) == 0)
      return set_number(c, &num_opts[i], val, err, errlen);
  int rc = set_storage(c, name, val, err, errlen);
  if (rc != -ENOENT)
    return rc;
  rc = net_fwd_config_set(&c->forward, name, val, err, errlen);
  if (rc != -ENOENT)
    return rc;
  rc = set_dpdk(c, name, val, err, errlen);
  if (rc != -ENOENT)
    return rc;
  fail(err, errlen, "unknown option \"%.*s\"", VALUE_SHOWN_MAX, name);
  return -ENOENT;
}

/* ---- showing a value ----------------------------------------------------- */

const char *core_config_addr_str(const struct core_addr *a, char *out,
                                 size_t n) {
  if (!a->enabled)
    snprintf(out, n, "off");
  else if (strchr(a->host, ':'))
    snprintf(out, n, "[%s]:%u", a->host, (unsigned)a->port);
  else
    snprintf(out, n, "%s:%u", a->host, (unsigned)a->port);
  return out;
}

/* The CPU list in its order, ascending runs as ranges: "0-3,6". */
static void show_cores(const struct core_config *c, char *out, size_t n) {
  size_t len = 0;

  out[0] = '\0';
  for (unsigned i = 0; i < c->shard_count && len < n; i++) {
    unsigned j = i;
    int w;
    while (j + 1 < c->shard_count && c->cpus[j + 1] == c->cpus[j] + 1)
      j++;
    w = j == i ? snprintf(out + len, n - len, "%s%d", i ? "," : "",
                          c->cpus[i])
               : snprintf(out + len, n - len, "%s%d-%d", i ? "," : "",
                          c->cpus[i], c->cpus[j]);
    len = w < 0 || (size_t)w >= n - len ? n : len + (size_t)w;
    i = j;
  }
  if (len >= n && n > 4)
    snprintf(out + n - 4, 4, "...");
}

/* ms in the largest unit that divides it: "7d", "90s", "250ms", "0". */
static void show_duration(uint64_t ms, char *out, size_t n) {
  static const struct {
    const char *unit;
    uint64_t ms;
  } units[] = {{"w", 604800000}, {"d", 86400000}, {"h", 3600000},
               {"m", 60000}, {"s", 1000}, {"ms", 1}};
  size_t i = 0;

  while (ms != 0 && ms % units[i].ms != 0)
    i++;
  if (ms == 0)
    snprintf(out, n, "0");
  else
    snprintf(out, n, "%" PRIu64 "%s", ms / units[i].ms, units[i].unit);
}

/* Bytes with the largest suffix that divides them: "64M", "1000". */
static void show_size(uint64_t v, char *out, size_t n) {
  static const char suffix[] = "TGMK";
  unsigned shift = 40;

  for (const char *s = suffix; *s; s++, shift -= 10)
    if (v != 0 && v % (1ull << shift) == 0) {
      snprintf(out, n, "%" PRIu64 "%c", v >> shift, *s);
      return;
    }
  snprintf(out, n, "%" PRIu64, v);
}

int core_config_show(const struct core_config *c, const char *name,
                     char *out, size_t n) {
  struct core_addr *a = addr_field((struct core_config *)c, name);

  if (a != NULL)
    core_config_addr_str(a, out, n);
  else if (strcmp(name, "cores") == 0)
    show_cores(c, out, n);
  else if (strcmp(name, "data-dir") == 0)
    snprintf(out, n, "%s", c->data_dir);
  else if (strcmp(name, "simd") == 0)
    snprintf(out, n, "%s", c->simd);
  else if (strcmp(name, "otlp-resource-labels") == 0)
    snprintf(out, n, "%s", c->otlp_resource_labels);
  else if (strcmp(name, "dpdk") == 0)
    snprintf(out, n, "%s", c->dpdk_eal[0] ? c->dpdk_eal : "off");
  else if (strcmp(name, "dpdk-ip") == 0)
    snprintf(out, n, "%u.%u.%u.%u", c->dpdk_ip >> 24, c->dpdk_ip >> 16 & 255,
             c->dpdk_ip >> 8 & 255, c->dpdk_ip & 255);
  else if (strcmp(name, "segment-max-age") == 0)
    show_duration(c->segment_age_ms_max, out, n);
  else if (strcmp(name, "retention") == 0)
    show_duration(c->retention_ms, out, n);
  else if (strcmp(name, "max-disk-bytes") == 0)
    show_size(c->disk_bytes_max, out, n);
  else if (strcmp(name, "compact-after") == 0 && c->compact_after_ms == 0)
    snprintf(out, n, "off");
  else if (strcmp(name, "compact-after") == 0)
    show_duration(c->compact_after_ms, out, n);
  else if (net_fwd_config_show(&c->forward, name, out, n) == 0)
    ;
  else
    for (size_t i = 0;; i++) {
      if (i == sizeof(num_opts) / sizeof(num_opts[0]))
        return -ENOENT;
      if (strcmp(name, num_opts[i].name) != 0)
        continue;
      uint32_t v = *(const uint32_t *)((const char *)c + num_opts[i].off);
      if (num_opts[i].sizes)
        show_size(v, out, n);
      else
        snprintf(out, n, "%" PRIu32, v);
      break;
    }
  return 0;
}

/* ---- config file --------------------------------------------------------- */

static char *skip_space(char *p) {
  while (*p != '\0' && isspace((unsigned char)*p))
    p++;
  return p;
}

/* Unquote "..." at p in place (\" and \\ are escapes). Returns why not. */
static const char *unquote(char *p, char **val) {
  char *out = p, *in = p + 1;

  *val = out;
  for (; *in != '"'; in++) {
    if (*in == '\0')
      return "the closing '\"' is missing";
    if (*in == '\\' && (in[1] == '"' || in[1] == '\\'))
      in++;
    *out++ = *in;
  }
  *out = '\0';
  in = skip_space(in + 1);
  return (*in == '\0' || *in == '#') ? NULL
                                     : "text follows the closing '\"'";
}

/* Cut the value at an unquoted '#' and trailing space, or unquote it. */
static const char *take_value(char *p, char **val) {
  char *end;

  if (*p == '"')
    return unquote(p, val);
  end = p + strcspn(p, "#");
  while (end > p && isspace((unsigned char)end[-1]))
    end--;
  *end = '\0';
  *val = p;
  return NULL;
}

/*
 * Split one line into name and value (in place). Returns 0 for a blank or
 * comment line, 1 for an option, -1 with *why set.
 */
static int split_line(char *line, char **name, char **val, const char **why) {
  char *p = skip_space(line), *end;

  if (*p == '\0' || *p == '#')
    return 0;
  end = p + strcspn(p, "= \t\r\n\v\f");
  *name = p;
  p = skip_space(end);
  if (*p != '=' || end == *name) {
    *why = "expected \"name = value\"";
    return -1;
  }
  *end = '\0';
  *why = take_value(skip_space(p + 1), val);
  return *why == NULL ? 1 : -1;
}

static int load_line(struct core_config *c, char *line, size_t n,
                     const char *where, char *err, size_t errlen) {
  char *name, *val, msg[768];
  const char *why = "the line holds a NUL byte";
  int rc = memchr(line, '\0', n) ? -1 : split_line(line, &name, &val, &why);

  if (rc == 0)
    return 0;
  if (rc < 0)
    return fail(err, errlen, "%s: %s", where, why);
  if (core_config_set(c, name, val, msg, sizeof(msg)) < 0)
    return fail(err, errlen, "%s: %s", where, msg);
  return 0;
}

/*
 * Options apply to a copy committed only when the whole file is good, so a
 * bad file leaves c as it was.
 */
static int load_stream(struct core_config *c, FILE *f, const char *path,
                       char *err, size_t errlen) {
  struct core_config *tmp = malloc(sizeof(*tmp));
  char *line = NULL, where[512];
  size_t cap = 0;
  unsigned lineno = 0;
  ssize_t n;
  int rc = 0;

  if (tmp == NULL)
    return -ENOMEM;
  *tmp = *c;
  while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
    snprintf(where, sizeof(where), "%s:%u", path, ++lineno);
    rc = load_line(tmp, line, (size_t)n, where, err, errlen);
  }
  if (rc == 0 && ferror(f))
    rc = -EIO;
  if (rc == 0)
    *c = *tmp;
  free(line);
  free(tmp);
  return rc;
}

int core_config_load(struct core_config *c, const char *path, char *err,
                     size_t errlen) {
  FILE *f = fopen(path, "re");
  int rc;

  if (f == NULL)
    return -errno;
  rc = load_stream(c, f, path, err, errlen);
  fclose(f);
  return rc;
}
