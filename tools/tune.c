/*
 * tools/tune.c - sysctl and CPU governor checks, the table, apply.
 */
#include "tools/tune.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/tune_internal.h"
#include "tools/util.h"

enum cmp { AT_LEAST, EACH_AT_LEAST, EXACTLY };

/* kernel-tuning/10-sluice.conf holds the same names and values (the
 * tools_tune unit test compares them); its README says why each. */
struct sysctl_def {
  const char *name;
  const char *value;
  enum cmp cmp;
  const char *why;
};

static const struct sysctl_def sysctls[] = {
    {"net.core.rmem_max", "33554432", AT_LEAST,
     "SO_RCVBUF is capped here: sluice asks 8 MiB per UDP socket "
     "(--udp-rcvbuf-bytes) and a smaller cap overflows on bursts"},
    {"net.core.rmem_default", "8388608", AT_LEAST,
     "receive buffer of sockets that never set SO_RCVBUF (and of sluice's "
     "before it does)"},
    {"net.core.wmem_max", "33554432", AT_LEAST,
     "lets senders (bench, forwarder) keep large send buffers"},
    {"net.core.netdev_max_backlog", "250000", AT_LEAST,
     "per-CPU queue ahead of the protocol stack (loopback, RPS); the "
     "default 1000 drops at high packet rates (softnet_stat column 2)"},
    {"net.core.netdev_budget", "600", AT_LEAST,
     "packets one RX softirq round may process: fewer rounds per burst"},
    {"net.core.netdev_budget_usecs", "8000", AT_LEAST,
     "time bound of one RX softirq round"},
    {"net.core.busy_poll", "50", AT_LEAST,
     "poll/epoll spin on the NIC queue up to 50 us before sleeping: fewer "
     "interrupts, lower latency; costs CPU, use on dedicated shard cores"},
    {"net.core.busy_read", "50", AT_LEAST,
     "default SO_BUSY_POLL for blocking reads (us)"},
    {"net.core.optmem_max", "65536", AT_LEAST,
     "ancillary data per socket (SO_RXQ_OVFL drop counts, timestamps)"},
    {"net.core.somaxconn", "4096", AT_LEAST,
     "listen backlog cap of StatsD TCP, OTLP and the query port: "
     "reconnect storms after a restart overflow small backlogs"},
    {"net.ipv4.udp_mem", "262144 524288 1048576", EACH_AT_LEAST,
     "pages all UDP sockets may hold (min pressure max): shards x 8 MiB "
     "buffers must fit, or the kernel drops under global pressure"},
    {"net.ipv4.tcp_rmem", "4096 1048576 33554432", EACH_AT_LEAST,
     "TCP receive buffer min/default/max: StatsD TCP and OTLP senders "
     "stream without stalling on window"},
};
#define SYSCTLS_COUNT (sizeof(sysctls) / sizeof(sysctls[0]))

const char *tools_tune_sysctl(size_t i, const char **value) {
  if (i >= SYSCTLS_COUNT)
    return NULL;
  *value = sysctls[i].value;
  return sysctls[i].name;
}

static const char governor_why[] =
    "frequency scaling ramps up after a burst has already overflowed; a "
    "shard core must run at full clock";

int tools_tune_read(const char *root, const char *rel, char *out, size_t n) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", root, rel);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  ssize_t got = read(fd, out, n - 1);
  int err = got < 0 ? -errno : 0;
  close(fd);
  if (err)
    return err;
  size_t w = 0;
  for (ssize_t i = 0; i < got; i++) {
    char c = out[i] == '\t' || out[i] == '\n' ? ' ' : out[i];
    if (c == ' ' && (w == 0 || out[w - 1] == ' '))
      continue;
    out[w++] = c;
  }
  while (w > 0 && out[w - 1] == ' ')
    w--;
  out[w] = '\0';
  return 0;
}

struct tools_tune_row *tools_tune_add(struct tools_tune_report *r,
                                      enum tools_tune_kind kind,
                                      const char *setting, const char *path,
                                      const char *current,
                                      const char *recommended, const char *why) {
  if (r->count == TOOLS_TUNE_ROWS_MAX) {
    r->truncated++;
    return NULL;
  }
  struct tools_tune_row *row = &r->rows[r->count++];
  row->kind = kind;
  row->status = TOOLS_TUNE_OK;
  snprintf(row->setting, sizeof(row->setting), "%s", setting);
  snprintf(row->path, sizeof(row->path), "%s", path);
  snprintf(row->current, sizeof(row->current), "%s", current);
  snprintf(row->recommended, sizeof(row->recommended), "%s", recommended);
  row->why = why;
  return row;
}

void tools_tune_mark(struct tools_tune_report *r, struct tools_tune_row *row,
                     enum tools_tune_status st) {
  if (row == NULL || row->status == st)
    return;
  if (st == TOOLS_TUNE_CHANGE)
    r->changes++;
  row->status = st;
}

/*
 * Compare field by field. For AT_LEAST kinds the recommendation becomes the
 * larger of each pair, so apply never lowers a value an operator raised.
 * Returns 1 when current already satisfies the recommendation.
 */
static int compare(const struct sysctl_def *d, const char *cur, char *rec,
                   size_t n) {
  if (d->cmp == EXACTLY) {
    snprintf(rec, n, "%s", d->value);
    return strcmp(cur, d->value) == 0;
  }
  const char *c = cur, *v = d->value;
  size_t w = 0;
  int ok = 1;
  while (*v) {
    char *ce, *ve;
    unsigned long long cv = strtoull(c, &ce, 10), vv = strtoull(v, &ve, 10);
    if (ce == c)
      ok = 0, cv = 0;
    if (cv < vv)
      ok = 0;
    w += (size_t)snprintf(rec + w, w < n ? n - w : 0, "%s%llu", w ? " " : "",
                          cv > vv ? cv : vv);
    c = ce;
    v = ve + strspn(ve, " ");
  }
  return ok && *c == '\0';
}

static void check_sysctls(const struct tools_tune_opts *o,
                          struct tools_tune_report *r) {
  char rel[192], cur[TOOLS_TUNE_VALUE_BYTES_MAX], rec[TOOLS_TUNE_VALUE_BYTES_MAX];
  for (size_t i = 0; i < SYSCTLS_COUNT; i++) {
    const struct sysctl_def *d = &sysctls[i];
    int w = snprintf(rel, sizeof(rel), "proc/sys/%s", d->name);
    for (int k = 9; k < w; k++)
      rel[k] = rel[k] == '.' ? '/' : rel[k];
    if (tools_tune_read(o->root, rel, cur, sizeof(cur)) < 0) {
      tools_tune_mark(r, tools_tune_add(r, TOOLS_TUNE_SYSCTL, d->name, rel,
                                        "-", d->value, d->why),
                      TOOLS_TUNE_ABSENT);
      continue;
    }
    int ok = compare(d, cur, rec, sizeof(rec));
    struct tools_tune_row *row =
        tools_tune_add(r, TOOLS_TUNE_SYSCTL, d->name, rel, cur, rec, d->why);
    if (!ok)
      tools_tune_mark(r, row, TOOLS_TUNE_CHANGE);
  }
}

static void check_governors(const struct tools_tune_opts *o,
                            struct tools_tune_report *r) {
  char rel[192], name[64], cur[TOOLS_TUNE_VALUE_BYTES_MAX];
  for (unsigned i = 0; i < o->core_count; i++) {
    snprintf(rel, sizeof(rel),
             "sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor",
             o->cores[i]);
    if (tools_tune_read(o->root, rel, cur, sizeof(cur)) < 0)
      continue; /* no cpufreq (VMs, containers): nothing to tune */
    snprintf(name, sizeof(name), "cpu%d scaling_governor", o->cores[i]);
    struct tools_tune_row *row = tools_tune_add(
        r, TOOLS_TUNE_GOVERNOR, name, rel, cur, "performance", governor_why);
    if (strcmp(cur, "performance") != 0)
      tools_tune_mark(r, row, TOOLS_TUNE_CHANGE);
  }
}

static void default_cores(struct tools_tune_opts *o) {
  char cur[TOOLS_TUNE_VALUE_BYTES_MAX];
  int n = -1;
  if (tools_tune_read(o->root, "sys/devices/system/cpu/online", cur,
                      sizeof(cur)) == 0)
    n = tools_parse_cpulist(cur, o->cores, CORE_SHARDS_MAX);
  if (n <= 0) {
    o->cores[0] = 0;
    n = 1;
  }
  o->core_count = (unsigned)n;
}

int tools_tune_check(struct tools_tune_opts *o, struct tools_tune_report *r) {
  char path[512];
  struct stat st;

  r->count = r->changes = r->truncated = 0;
  snprintf(path, sizeof(path), "%s/proc/sys", o->root);
  if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
    return -ENOENT;
  if (o->core_count == 0)
    default_cores(o);
  check_sysctls(o, r);
  tools_tune_check_nics(o, r);
  check_governors(o, r);
  if (o->dpdk)
    tools_tune_check_dpdk(o, r);
  return 0;
}

static const char *status_name(enum tools_tune_status s) {
  return s == TOOLS_TUNE_OK ? "ok" : s == TOOLS_TUNE_CHANGE ? "CHANGE" : "absent";
}

void tools_tune_print(FILE *f, const struct tools_tune_report *r) {
  fprintf(f, "%-34s %-24s %-24s %-7s %s\n", "SETTING", "CURRENT",
          "RECOMMENDED", "STATUS", "WHY");
  for (unsigned i = 0; i < r->count; i++) {
    const struct tools_tune_row *row = &r->rows[i];
    fprintf(f, "%-34s %-24s %-24s %-7s %s\n", row->setting, row->current,
            row->recommended, status_name(row->status), row->why);
  }
  if (r->truncated)
    fprintf(f, "(%u more rows not shown)\n", r->truncated);
  fprintf(f, "%u of %u settings to change\n", r->changes, r->count);
}

static int write_value(const char *root, const char *rel, const char *v) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", root, rel);
  int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  size_t n = strlen(v);
  int rc = write(fd, v, n) == (ssize_t)n && write(fd, "\n", 1) == 1 ? 0 : -errno;
  if (close(fd) < 0 && rc == 0)
    rc = -errno;
  return rc;
}

static const char *fixer(enum tools_tune_kind k) {
  switch (k) {
  case TOOLS_TUNE_RPS:
  case TOOLS_TUNE_IRQ: return "kernel-tuning/irq-affinity.sh";
  case TOOLS_TUNE_QUEUES: return "ethtool -L IFACE combined N";
  case TOOLS_TUNE_DPDK: return "kernel-tuning/dpdk.md";
  default: return "cpupower frequency-set -g performance";
  }
}

int tools_tune_apply(const struct tools_tune_opts *o,
                     const struct tools_tune_report *r, int dry_run, FILE *f) {
  int written = 0, first_err = 0;
  for (unsigned i = 0; i < r->count; i++) {
    const struct tools_tune_row *row = &r->rows[i];
    if (row->status != TOOLS_TUNE_CHANGE)
      continue;
    if (row->kind != TOOLS_TUNE_SYSCTL) {
      fprintf(f, "not applied: %s = %s (use %s)\n", row->setting,
              row->recommended, fixer(row->kind));
      continue;
    }
    int rc = dry_run ? 0 : write_value(o->root, row->path, row->recommended);
    if (rc < 0) {
      fprintf(f, "failed: %s = %s: %s\n", row->setting, row->recommended,
              strerror(-rc));
      first_err = first_err ? first_err : rc;
      continue;
    }
    fprintf(f, "%s %s = %s (was %s)\n", dry_run ? "would set" : "set",
            row->setting, row->recommended, row->current);
    written++;
  }
  return first_err ? first_err : written;
}
