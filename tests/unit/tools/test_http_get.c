/*
 * tests/unit/tools/test_http_get.c - the /metrics client against a real
 * HTTP server (python3 -m http.server serving a rendered sample), and
 * bench against local UDP and TCP receivers that count what arrives.
 * Suite 'slow': it starts processes and sends over loopback.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <criterion/redirect.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/shard/stats.h"
#include "core/base/strbuf.h"
#include "tools/http.h"
#include "tools/metrics.h"
#include "tools/tools.h"
#include "tools/util.h"

static char dir[64];
static pid_t server = -1;
static int port;

/* A free loopback port (bound, read, released). */
static int free_port(int type) {
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof(a);
  int fd = socket(AF_INET, type, 0);
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  getsockname(fd, (struct sockaddr *)&a, &len);
  close(fd);
  return ntohs(a.sin_port);
}

static void write_sample(void) {
  static struct core_stats st[2];
  const struct core_stats *ptrs[2] = {&st[0], &st[1]};
  struct core_strbuf b;
  char path[128];
  st[0].ingest.points_statsd[CORE_STATSD_COUNTER] = 1000;
  st[1].ingest.points_statsd[CORE_STATSD_SET] = 234;
  st[1].rx.rx_bytes[NET_LISTENER_STATSD_UDP] = 4096;
  core_strbuf_init(&b, 1 << 20);
  cr_assert_eq(core_stats_render(ptrs, 2, &b), 0);
  snprintf(path, sizeof(path), "%s/metrics", dir);
  FILE *f = fopen(path, "w");
  fwrite(b.data, 1, b.len, f);
  fclose(f);
  core_strbuf_free(&b);
}

static void start_server(void) {
  char portstr[16], url[64], err[256];
  struct core_strbuf body;
  snprintf(dir, sizeof(dir), "/tmp/sluice-http-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
  write_sample();
  port = free_port(SOCK_STREAM);
  snprintf(portstr, sizeof(portstr), "%d", port);
  server = fork();
  if (server == 0) {
    if (!freopen("/dev/null", "w", stderr) || !freopen("/dev/null", "w", stdout))
      _exit(126);
    execl("/usr/bin/python3", "python3", "-m", "http.server", portstr,
          "--bind", "127.0.0.1", "--directory", dir, (char *)NULL);
    _exit(127);
  }
  /* wait until it listens (not a timing assertion: just readiness) */
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", port);
  for (int i = 0; i < 100; i++) {
    core_strbuf_init(&body, 1 << 20);
    int rc = tools_http_get(url, &body, err, sizeof(err));
    core_strbuf_free(&body);
    if (rc == 0)
      return;
    tools_sleep_ns(100000000);
  }
  cr_assert_fail("http.server did not start");
}

static void stop_server(void) {
  char cmd[128];
  if (server > 0) {
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
  }
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  system(cmd);
}

TestSuite(http, .init = start_server, .fini = stop_server);

Test(http, get_reads_the_body) {
  char url[64], err[256], path[128];
  struct core_strbuf body;
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", port);
  core_strbuf_init(&body, 1 << 20);
  cr_assert_eq(tools_http_get(url, &body, err, sizeof(err)), 0, "%s", err);
  snprintf(path, sizeof(path), "%s/metrics", dir);
  FILE *f = fopen(path, "r");
  char *want = calloc(1, 1 << 20);
  size_t n = fread(want, 1, (1 << 20) - 1, f);
  fclose(f);
  cr_assert_eq(body.len, n);
  cr_assert_eq(memcmp(body.data, want, n), 0);
  free(want);
  core_strbuf_free(&body);
}

Test(http, errors_name_the_cause) {
  char url[64], err[256];
  struct core_strbuf body;
  core_strbuf_init(&body, 1 << 20);
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/missing", port);
  cr_assert_eq(tools_http_get(url, &body, err, sizeof(err)), -EPROTO);
  cr_assert_not_null(strstr(err, "404"), "%s", err);
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics",
           free_port(SOCK_STREAM));
  cr_assert_eq(tools_http_get(url, &body, err, sizeof(err)), -ECONNREFUSED);
  cr_assert_eq(tools_http_get("https://x/", &body, err, sizeof(err)), -EINVAL);
  core_strbuf_free(&body);
}

Test(http, url_forms) {
  struct tools_url u;
  cr_assert_eq(tools_url_parse("http://[::1]:9400/metrics", &u), 0);
  cr_assert_str_eq(u.host, "::1");
  cr_assert_str_eq(u.port, "9400");
  cr_assert_eq(tools_url_parse("localhost:9400", &u), 0);
  cr_assert_str_eq(u.path, "/metrics");
  cr_assert_eq(tools_url_parse("http://h/x?y=1", &u), 0);
  cr_assert_str_eq(u.port, "80");
  cr_assert_str_eq(u.path, "/x?y=1");
  cr_assert_eq(tools_url_parse("http://h:x/", &u), -EINVAL);
  cr_assert_eq(tools_url_parse("http://:80/", &u), -EINVAL);
}

Test(http, stats_once_prints_the_snapshot, .init = cr_redirect_stdout) {
  static struct tools_metrics m;
  char url[64], err[256];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", port);
  cr_assert_eq(tools_metrics_fetch(url, &m, err, sizeof(err)), 0);
  cr_assert_float_eq(m.total.points, 1234, 1e-9);
  char *argv[] = {"stats", "--url", url, "--once", NULL};
  cr_assert_eq(tools_stats_main(4, argv), 0);
  fflush(stdout);
  char *live[] = {"stats", "--url", url, "--interval-ms", "100", "--count",
                  "2", NULL};
  cr_assert_eq(tools_stats_main(7, live), 0);
  fflush(stdout);
  FILE *out = cr_get_redirected_stdout();
  char line[256];
  int total = 0, rates = 0;
  while (fgets(line, sizeof(line), out)) {
    double pts;
    if (sscanf(line, "total %lf", &pts) == 1 && pts == 1234)
      total = 1;
    rates += strstr(line, "points/s") != NULL;
  }
  cr_assert(total, "--once total row has 1234 points");
  cr_assert_eq(rates, 2, "two live refreshes");
}

/* ---- bench against counting receivers ---------------------------------- */

struct receiver {
  int fd;
  int tcp;
  volatile int stop;
  uint64_t lines;
  uint64_t bytes;
};

static void count(struct receiver *r, const char *buf, ssize_t n, int udp) {
  for (ssize_t i = 0; i < n; i++)
    r->lines += buf[i] == '\n';
  r->lines += udp && n > 0 && buf[n - 1] != '\n'; /* syslog: no LF */
  r->bytes += (uint64_t)n;
}

/* Read and count until stopped (UDP) or every connection has closed. */
static void *receive(void *arg) {
  struct receiver *r = arg;
  static char buf[1 << 16];
  struct pollfd p[TOOLS_BENCH_THREADS_MAX + 1] = {{.fd = r->fd, .events = POLLIN}};
  nfds_t n = 1, open_conns = 0, accepted = 0;
  for (;;) {
    if (poll(p, n, 200) == 0) {
      if (r->stop && (!r->tcp || (accepted > 0 && open_conns == 0)))
        break;
      continue;
    }
    for (nfds_t i = 0; i < n; i++) {
      if (!(p[i].revents & (POLLIN | POLLHUP)) || p[i].fd < 0)
        continue;
      if (r->tcp && i == 0) {
        p[n++] = (struct pollfd){.fd = accept(r->fd, NULL, NULL), .events = POLLIN};
        open_conns++, accepted++;
        continue;
      }
      ssize_t got = recv(p[i].fd, buf, sizeof(buf), 0);
      if (got <= 0 && r->tcp) {
        close(p[i].fd);
        p[i].fd = -1;
        open_conns--;
        continue;
      }
      count(r, buf, got, !r->tcp);
    }
  }
  return NULL;
}

static int saw_received_zero;

static void run_bench(const char *proto, int tcp, const char *extra_opt,
                      const char *extra_val) {
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof(a);
  struct receiver r = {.tcp = tcp};
  int rcv = 8 << 20;
  pthread_t t;
  char target[64];

  r.fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
  setsockopt(r.fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
  cr_assert_eq(bind(r.fd, (struct sockaddr *)&a, sizeof(a)), 0);
  if (tcp)
    listen(r.fd, 4);
  getsockname(r.fd, (struct sockaddr *)&a, &len);
  snprintf(target, sizeof(target), "127.0.0.1:%d", ntohs(a.sin_port));
  pthread_create(&t, NULL, receive, &r);
  char *argv[] = {"bench", (char *)proto, "--target", target, "--rate", "20000",
                  "--duration", "0.5", "--threads", "2", "--series", "500",
                  (char *)extra_opt, (char *)extra_val, tcp ? "--tcp" : NULL,
                  NULL};
  int argc = 0;
  while (argv[argc])
    argc++;
  cr_assert_eq(tools_bench_main(argc, argv), 0);
  fflush(stdout);
  tools_sleep_ns(300000000); /* let the receiver drain (it counts, no timing) */
  r.stop = 1;
  pthread_join(t, NULL);
  close(r.fd);

  FILE *out = cr_get_redirected_stdout();
  char line[256];
  unsigned long long sent = 0, bytes = 0;
  while (fgets(line, sizeof(line), out)) {
    sscanf(line, "lines sent %llu", &sent);
    sscanf(line, "bytes %llu", &bytes);
    saw_received_zero |= strcmp(line, "received 0\n") == 0;
  }
  cr_assert_gt(sent, 1000, "the workload was sent (%llu lines)", sent);
  cr_assert_leq(sent, 20000 * 0.5 + 2 * 100 + 64 * 40, "paced: %llu", sent);
  cr_assert_eq(r.lines, sent, "received %llu lines, bench says %llu",
               (unsigned long long)r.lines, sent);
  cr_assert_eq(r.bytes, bytes);
}

Test(http, bench_udp_statsd_counts_exactly, .init = cr_redirect_stdout) {
  run_bench("statsd", 0, "--tags", "3");
}

Test(http, bench_tcp_statsd_counts_exactly, .init = cr_redirect_stdout) {
  run_bench("statsd", 1, "--datagram-bytes", "8192");
}

Test(http, bench_udp_syslog_counts_exactly, .init = cr_redirect_stdout) {
  run_bench("syslog", 0, "--seed", "3");
}

Test(http, bench_check_reads_metrics, .init = cr_redirect_stdout) {
  char url[64];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", port);
  run_bench("statsd", 0, "--check", url);
  cr_assert(saw_received_zero, "a static file: sluice received nothing");
}

Test(http, bench_usage_errors, .init = cr_redirect_stderr) {
  char *a[] = {"bench", "statsd", "--rate", "fast", "--target", "h:1", NULL};
  cr_assert_eq(tools_bench_main(6, a), 2);
  char *b[] = {"bench", "statsd", NULL};
  cr_assert_eq(tools_bench_main(2, b), 2);
  char *c[] = {"bench", "snmp", "--target", "127.0.0.1:1", NULL};
  cr_assert_eq(tools_bench_main(4, c), 2);
  char *o[] = {"bench", "otlp", "--signal", "profiles", "--target",
               "127.0.0.1:1", NULL};
  cr_assert_eq(tools_bench_main(6, o), 2);
  char *q[] = {"bench", "otlp", "--attrs", "17", "--target", "127.0.0.1:1",
               NULL};
  cr_assert_eq(tools_bench_main(6, q), 2);
  char *d[] = {"bench", "statsd", "--target", "127.0.0.1:1",
               "--datagram-bytes", "100", NULL};
  cr_assert_eq(tools_bench_main(6, d), 2);
}
