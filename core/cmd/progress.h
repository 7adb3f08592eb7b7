/*
 * core/cmd/progress.h - a progress line for long commands (`sluice
 * import`): bytes done of the total, percent and rate, redrawn in place on
 * a terminal, nothing at all when the stream is not one.
 *
 * Workers add what they finished per chunk (never per line); one thread
 * draws, a few times a second:
 *   core_progress_init(&p, "import", total, stderr);
 *   workers:      core_progress_add(&p, chunk_bytes);
 *   main thread:  every CORE_PROGRESS_PERIOD_MS  core_progress_draw(&p);
 *                 at the end                      core_progress_clear(&p);
 */
#ifndef SLUICE_CORE_CMD_PROGRESS_H
#define SLUICE_CORE_CMD_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CORE_PROGRESS_PERIOD_MS 250  /* redraw period: 4 times a second */

struct core_progress {
  uint64_t done;      /* bytes finished; added atomically by workers */
  uint64_t total;     /* bytes in all */
  uint64_t t0_ns;     /* CLOCK_MONOTONIC at init */
  const char *what;   /* the command, first on the line */
  FILE *out;          /* NULL: not a terminal, draw nothing */
  int drawn;          /* a line is on the screen */
};

/* Start counting; out is used only when it is a terminal (isatty). */
void core_progress_init(struct core_progress *p, const char *what,
                        uint64_t total, FILE *out);

/* Add n finished bytes. Thread-safe; p may be NULL (no progress kept). */
static inline void core_progress_add(struct core_progress *p, uint64_t n) {
  if (p != NULL)
    __atomic_fetch_add(&p->done, n, __ATOMIC_RELAXED);
}

/*
 * Format the line (no escapes): "import: 1.20 GiB of 4.00 GiB (30%),
 * 512.0 MiB/s" for done bytes after secs seconds. Returns buf.
 */
const char *core_progress_format(char *buf, size_t n, const char *what,
                                 uint64_t done, uint64_t total, double secs);

/* Redraw the line in place ("\r" ... erase to end of line), if on a tty. */
void core_progress_draw(struct core_progress *p);

/* Erase the line, if one was drawn, so what follows starts clean. */
void core_progress_clear(struct core_progress *p);

#endif
