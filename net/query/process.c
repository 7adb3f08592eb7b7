/*
 * net/query/process.c - process_* metrics from /proc (process.h).
 */
#include "net/query/process.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/base/strbuf.h"

/* What /proc/self/stat says of us (proc(5) fields 14, 15, 22, 23, 24). */
struct self_stat {
  unsigned long long utime, stime;  /* clock ticks */
  unsigned long long starttime;     /* clock ticks after boot */
  unsigned long long vsize;         /* bytes */
  long long rss;                    /* pages */
};

/* Read a small /proc file whole. Returns its length, or -1. */
static long read_small(const char *path, char *buf, size_t n) {
  FILE *f = fopen(path, "re");
  size_t len;

  if (f == NULL)
    return -1;
  len = fread(buf, 1, n - 1, f);
  fclose(f);
  buf[len] = '\0';
  return (long)len;
}

static int read_self_stat(struct self_stat *st) {
  char buf[1024];
  const char *p;

  if (read_small("/proc/self/stat", buf, sizeof(buf)) < 0)
    return -1;
  p = strrchr(buf, ')'); /* the command name may hold spaces and ')' */
  if (p == NULL)
    return -1;
  /* fields 3..24 after "pid (comm)" */
  return sscanf(p + 1,
                " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
                "%*d %*d %*d %*d %*d %*d %llu %llu %lld",
                &st->utime, &st->stime, &st->starttime, &st->vsize,
                &st->rss) == 5
             ? 0
             : -1;
}

/* Boot time (seconds since the epoch), from /proc/stat's btime line (after
 * the cpu and intr lines, which can be long: read by line). */
static long long boot_time(void) {
  FILE *f = fopen("/proc/stat", "re");
  char *line = NULL;
  size_t cap = 0;
  long long t = -1;

  if (f == NULL)
    return -1;
  while (t < 0 && getline(&line, &cap, f) >= 0)
    if (strncmp(line, "btime ", 6) == 0)
      t = strtoll(line + 6, NULL, 10);
  free(line);
  fclose(f);
  return t;
}

/* Entries of /proc/self/fd, less the directory's own fd. */
static long open_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  long n = 0;

  if (d == NULL)
    return -1;
  for (const struct dirent *e; (e = readdir(d)) != NULL;)
    n += e->d_name[0] != '.';
  closedir(d);
  return n - 1;
}

static void metric(struct core_strbuf *out, const char *name,
                   const char *type, const char *help, double v) {
  core_strbuf_appendf(out, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name,
                      help, name, type, name, v);
}

void net_query_render_process(struct core_strbuf *out) {
  double tick = (double)sysconf(_SC_CLK_TCK);
  long page = sysconf(_SC_PAGESIZE), fds = open_fds();
  long long boot = boot_time();
  struct self_stat st;
  struct rlimit rl;

  if (read_self_stat(&st) == 0 && tick > 0) {
    metric(out, "process_cpu_seconds_total", "counter",
           "Total user and system CPU time spent in seconds.",
           (double)(st.utime + st.stime) / tick);
    metric(out, "process_resident_memory_bytes", "gauge",
           "Resident memory size in bytes.", (double)st.rss * (double)page);
    metric(out, "process_virtual_memory_bytes", "gauge",
           "Virtual memory size in bytes.", (double)st.vsize);
    if (boot >= 0)
      metric(out, "process_start_time_seconds", "gauge",
             "Start time of the process since unix epoch in seconds.",
             (double)boot + (double)st.starttime / tick);
  }
  if (fds >= 0)
    metric(out, "process_open_fds", "gauge", "Number of open file "
           "descriptors.", (double)fds);
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    metric(out, "process_max_fds", "gauge", "Maximum number of open file "
           "descriptors.", (double)rl.rlim_cur);
}
