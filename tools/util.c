/*
 * tools/util.c - parsers and clocks for the tools.
 */
#include "tools/util.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/cmd/cli.h"
#include "tools/http.h"

#define SPIN_BELOW_NS 50000

static const char *skip_ws(const char *p) {
  while (*p && isspace((unsigned char)*p))
    p++;
  return p;
}

/* One element "N" or "N-M" at *pp. Returns 0 or -EINVAL. */
static int range(const char **pp, long *lo, long *hi) {
  char *end;
  const char *p = skip_ws(*pp);
  if (!isdigit((unsigned char)*p))
    return -EINVAL;
  *lo = *hi = strtol(p, &end, 10);
  if (*end == '-') {
    p = end + 1;
    if (!isdigit((unsigned char)*p))
      return -EINVAL;
    *hi = strtol(p, &end, 10);
  }
  if (*hi < *lo || *hi > 65535)
    return -EINVAL;
  *pp = skip_ws(end);
  return 0;
}

int tools_parse_cpulist(const char *s, int *cpus, unsigned max) {
  const char *p = skip_ws(s);
  unsigned n = 0;
  long lo, hi;

  if (*p == '\0')
    return -EINVAL;
  while (*p != '\0') {
    if (range(&p, &lo, &hi) < 0)
      return -EINVAL;
    for (long c = lo; c <= hi; c++) {
      if (n == max)
        return -E2BIG;
      cpus[n++] = (int)c;
    }
    if (*p == ',')
      p++;
    else if (*p != '\0')
      return -EINVAL;
  }
  return (int)n;
}

int tools_parse_count(const char *s, uint64_t min, uint64_t max,
                      uint64_t *out) {
  char *end;
  uint64_t mult = 1;

  if (!isdigit((unsigned char)*s))
    return -EINVAL;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno != 0)
    return -ERANGE;
  if (*end == 'k' || *end == 'K')
    mult = 1000, end++;
  else if (*end == 'M')
    mult = 1000000, end++;
  else if (*end == 'G')
    mult = 1000000000, end++;
  if (*end != '\0')
    return -EINVAL;
  if (v > max / mult || v * mult < min || v * mult > max)
    return -ERANGE;
  *out = v * mult;
  return 0;
}

uint64_t tools_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void tools_sleep_ns(uint64_t ns) {
  if (ns < SPIN_BELOW_NS) {
    uint64_t until = tools_now_ns() + ns;
    while (tools_now_ns() < until)
      sched_yield();
    return;
  }
  struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u),
                        .tv_nsec = (long)(ns % 1000000000u)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

int tools_pin_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

int tools_cli_options(const char *cmd, const char *help, int argc,
                      char **argv, const struct option *opts, int help_opt,
                      int (*take)(int opt, const char *arg, void *ctx),
                      void *ctx, int *first_operand) {
  int c, rc;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    if (c == help_opt || c == 'h') {
      fputs(help, stdout);
      return -1;
    }
    if (c == '?' || c == ':')
      return core_cli_usage(cmd, "%s \"%s\"",
                            c == ':' ? "missing value for" : "unknown option",
                            argv[optind - 1]);
    if ((rc = take(c, optarg, ctx)) != 0)
      return rc;
  }
  *first_operand = optind;
  return 0;
}

int tools_resolve_target(const char *cmd, const char *target, int socktype,
                         const char *example, struct sockaddr_storage *addr,
                         unsigned *addr_len) {
  struct tools_url u;
  struct addrinfo hints = {.ai_socktype = socktype}, *ai;
  if (target == NULL)
    return core_cli_usage(cmd, "--target is missing: give HOST:PORT, e.g. "
                               "--target %s", example);
  if (strchr(target, '/') != NULL || tools_url_parse(target, &u) < 0 ||
      strchr(target, ':') == NULL)
    return core_cli_usage(cmd, "--target \"%s\": give HOST:PORT, e.g. "
                               "%s or [::1]:PORT", target, example);
  int rc = getaddrinfo(u.host, u.port, &hints, &ai);
  if (rc != 0)
    return core_cli_usage(cmd, "--target \"%s\": cannot resolve: %s",
                          target, gai_strerror(rc));
  memcpy(addr, ai->ai_addr, ai->ai_addrlen);
  *addr_len = ai->ai_addrlen;
  freeaddrinfo(ai);
  return 0;
}
