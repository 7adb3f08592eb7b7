/*
 * tools/tune_nic.c - NIC RX queues, RPS masks and queue IRQ affinity
 * against the shard cores (one queue, one IRQ, one core).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tools/tune_internal.h"
#include "tools/util.h"

#define MASK_WORDS 64 /* CPUs 0..2047 */
#define LINE_BYTES_MAX 4096

struct mask {
  uint32_t w[MASK_WORDS];
};

static const char queues_why[] =
    "one RX queue per shard core: RSS spreads flows in hardware and each "
    "queue's packets stay on the core that reads them";
static const char rps_off_why[] =
    "hardware RSS already spreads flows over the shard cores; RPS would "
    "only add a hop to another core";
static const char rps_on_why[] =
    "fewer RX queues than shards: RPS spreads this queue's packets over the "
    "shard cores in software";
static const char irq_why[] =
    "the queue's interrupt and softirq run on its own shard core (one to "
    "one): no cross-core traffic; stop irqbalance or exclude these IRQs";

/* Kernel hex mask "ff,00000000" (32-bit groups, high first). 0 or -EINVAL. */
static int mask_parse(const char *s, struct mask *m) {
  memset(m, 0, sizeof(*m));
  size_t len = strlen(s);
  unsigned bit = 0;
  for (size_t i = len; i-- > 0;) {
    char c = s[i];
    if (c == ',')
      continue;
    if (!isxdigit((unsigned char)c))
      return -EINVAL;
    unsigned v = (unsigned)(isdigit((unsigned char)c) ? c - '0'
                                                      : (tolower(c) - 'a' + 10));
    if (bit / 32 < MASK_WORDS)
      m->w[bit / 32] |= (uint32_t)v << (bit % 32);
    bit += 4;
  }
  return len ? 0 : -EINVAL;
}

static void mask_format(const struct mask *m, char *out, size_t n) {
  int top = MASK_WORDS - 1;
  while (top > 0 && m->w[top] == 0)
    top--;
  size_t w = (size_t)snprintf(out, n, "%x", m->w[top]);
  for (int i = top - 1; i >= 0 && w < n; i--)
    w += (size_t)snprintf(out + w, n - w, ",%08x", m->w[i]);
}

static void mask_set(struct mask *m, int cpu) {
  if (cpu >= 0 && cpu < MASK_WORDS * 32)
    m->w[cpu / 32] |= 1u << (cpu % 32);
}

/* A CPU list ("0-3,8") as a mask. Returns 0 or -EINVAL. */
static int mask_from_list(const char *s, struct mask *m) {
  int cpus[MASK_WORDS * 32];
  int n = tools_parse_cpulist(s, cpus, MASK_WORDS * 32);
  memset(m, 0, sizeof(*m));
  for (int i = 0; i < n; i++)
    mask_set(m, cpus[i]);
  return n > 0 ? 0 : -EINVAL;
}

static unsigned count_rx_queues(const char *root, const char *iface) {
  char path[512];
  unsigned n = 0;
  snprintf(path, sizeof(path), "%s/sys/class/net/%s/queues", root, iface);
  DIR *d = opendir(path);
  if (d == NULL)
    return 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    n += strncmp(e->d_name, "rx-", 3) == 0;
  closedir(d);
  return n;
}

static void check_rps(const struct tools_tune_opts *o,
                      struct tools_tune_report *r, const char *iface,
                      unsigned nq) {
  char rel[192], name[96], cur[TOOLS_TUNE_VALUE_BYTES_MAX];
  char rec[TOOLS_TUNE_VALUE_BYTES_MAX];
  struct mask want = {0}, have;
  if (nq < o->core_count)
    for (unsigned i = 0; i < o->core_count; i++)
      mask_set(&want, o->cores[i]);
  mask_format(&want, rec, sizeof(rec));
  for (unsigned q = 0; q < nq; q++) {
    snprintf(rel, sizeof(rel), "sys/class/net/%.32s/queues/rx-%u/rps_cpus", iface,
             q);
    if (tools_tune_read(o->root, rel, cur, sizeof(cur)) < 0)
      continue; /* kernel without CONFIG_RPS */
    snprintf(name, sizeof(name), "%.32s rx-%u rps_cpus", iface, q);
    struct tools_tune_row *row =
        tools_tune_add(r, TOOLS_TUNE_RPS, name, rel, cur, rec,
                       nq < o->core_count ? rps_on_why : rps_off_why);
    if (mask_parse(cur, &have) < 0 || memcmp(&have, &want, sizeof(want)) != 0)
      tools_tune_mark(r, row, TOOLS_TUNE_CHANGE);
  }
}

/* "  25:  1 0  PCI-MSI 524289-edge  eth0-TxRx-0": IRQ 25, queue 0. */
static int irq_of_line(const char *line, const char *iface, unsigned *irq,
                       unsigned *queue, char *label, size_t n) {
  char *end;
  const char *p = line + strspn(line, " ");
  *irq = (unsigned)strtoul(p, &end, 10);
  if (end == p || *end != ':')
    return 0;
  const char *last = strrchr(line, ' ');
  last = last ? last + 1 : line;
  size_t il = strlen(iface), ll = strlen(last);
  if (strncmp(last, iface, il) != 0 || last[il] != '-' || ll == il + 1 ||
      !isdigit((unsigned char)last[ll - 1]))
    return 0;
  size_t d = ll;
  while (d > 0 && isdigit((unsigned char)last[d - 1]))
    d--;
  *queue = (unsigned)strtoul(last + d, NULL, 10);
  snprintf(label, n, "%s", last);
  return 1;
}

static void add_irq_row(const struct tools_tune_opts *o,
                        struct tools_tune_report *r, unsigned irq,
                        unsigned queue, const char *label) {
  char rel[64], name[96], cur[TOOLS_TUNE_VALUE_BYTES_MAX], rec[16];
  struct mask want, have;
  snprintf(rel, sizeof(rel), "proc/irq/%u/smp_affinity_list", irq);
  if (tools_tune_read(o->root, rel, cur, sizeof(cur)) < 0)
    return;
  snprintf(rec, sizeof(rec), "%d", o->cores[queue % o->core_count]);
  snprintf(name, sizeof(name), "irq %u %s", irq, label);
  struct tools_tune_row *row =
      tools_tune_add(r, TOOLS_TUNE_IRQ, name, rel, cur, rec, irq_why);
  mask_from_list(rec, &want);
  if (mask_from_list(cur, &have) < 0 || memcmp(&have, &want, sizeof(want)) != 0)
    tools_tune_mark(r, row, TOOLS_TUNE_CHANGE);
}

static void check_irqs(const struct tools_tune_opts *o,
                       struct tools_tune_report *r, const char *iface) {
  char path[512], line[LINE_BYTES_MAX], label[64];
  unsigned irq, queue;
  snprintf(path, sizeof(path), "%s/proc/interrupts", o->root);
  FILE *f = fopen(path, "re");
  if (f == NULL)
    return;
  while (fgets(line, sizeof(line), f) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    while (strlen(line) > 0 && line[strlen(line) - 1] == ' ')
      line[strlen(line) - 1] = '\0';
    if (irq_of_line(line, iface, &irq, &queue, label, sizeof(label)))
      add_irq_row(o, r, irq, queue, label);
  }
  fclose(f);
}

static int is_nic(const struct tools_tune_opts *o, const char *iface) {
  char path[512];
  struct stat st;
  if (iface[0] == '.')
    return 0;
  if (o->iface != NULL)
    return strcmp(iface, o->iface) == 0;
  snprintf(path, sizeof(path), "%s/sys/class/net/%s/device", o->root, iface);
  return stat(path, &st) == 0; /* virtual interfaces have no device */
}

void tools_tune_check_nics(const struct tools_tune_opts *o,
                           struct tools_tune_report *r) {
  char path[512], cur[16], rec[16], name[96];
  struct dirent **ents;
  snprintf(path, sizeof(path), "%s/sys/class/net", o->root);
  int n = scandir(path, &ents, NULL, alphasort);
  for (int i = 0; i < n; i++) {
    const char *iface = ents[i]->d_name;
    if (is_nic(o, iface)) {
      unsigned nq = count_rx_queues(o->root, iface);
      snprintf(cur, sizeof(cur), "%u", nq);
      snprintf(rec, sizeof(rec), "%u", o->core_count);
      snprintf(name, sizeof(name), "%.32s rx queues", iface);
      struct tools_tune_row *row =
          tools_tune_add(r, TOOLS_TUNE_QUEUES, name, "", cur, rec, queues_why);
      if (nq != o->core_count)
        tools_tune_mark(r, row, TOOLS_TUNE_CHANGE);
      check_rps(o, r, iface, nq);
      check_irqs(o, r, iface);
    }
    free(ents[i]);
  }
  if (n >= 0)
    free(ents);
}
