/*
 * core/cmd/progress.c - the progress line of long commands on a terminal.
 */
#include "core/cmd/progress.h"

#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void core_progress_init(struct core_progress *p, const char *what,
                        uint64_t total, FILE *out) {
  *p = (struct core_progress){.total = total, .t0_ns = now_ns(),
                              .what = what};
  if (out != NULL && isatty(fileno(out)))
    p->out = out;
}

/* 512 B, 1.20 KiB, 3.40 GiB. */
static const char *bytes(char *buf, size_t n, double v) {
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;

  while (v >= 1024 && u < 4) {
    v /= 1024;
    u++;
  }
  snprintf(buf, n, u ? "%.2f %s" : "%.0f %s", v, units[u]);
  return buf;
}

const char *core_progress_format(char *buf, size_t n, const char *what,
                                 uint64_t done, uint64_t total, double secs) {
  char d[32], t[32], r[32];
  double pct = total ? 100.0 * (double)done / (double)total : 100.0;

  snprintf(buf, n, "%s: %s of %s (%.0f%%), %s/s", what,
           bytes(d, sizeof(d), (double)done), bytes(t, sizeof(t),
                                                    (double)total),
           pct, bytes(r, sizeof(r), secs > 0 ? (double)done / secs : 0));
  return buf;
}

void core_progress_draw(struct core_progress *p) {
  char line[160];

  if (p->out == NULL)
    return;
  core_progress_format(line, sizeof(line), p->what,
                       __atomic_load_n(&p->done, __ATOMIC_RELAXED), p->total,
                       (double)(now_ns() - p->t0_ns) / 1e9);
  fprintf(p->out, "\r%s\033[K", line);
  fflush(p->out);
  p->drawn = 1;
}

void core_progress_clear(struct core_progress *p) {
  if (p->out == NULL || !p->drawn)
    return;
  fputs("\r\033[K", p->out);
  fflush(p->out);
  p->drawn = 0;
}
