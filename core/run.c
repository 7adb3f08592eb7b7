/*
 * core/run.c - `sluice run`: open listeners, start one pinned shard per
 * core, serve the query port, stop cleanly on SIGTERM/SIGINT.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/config.h"
#include "core/run_types.h"
#include "core/shard.h"
#include "net/http.h"
#include "net/query.h"
#include "net/sock.h"

static const char run_help[] =
    "Usage: sluice run [OPTION]...\n"
    "Run the ingestion daemon: one pinned shard (thread + io_uring) per core.\n"
    "\n"
    "Listeners (HOST:PORT, [V6]:PORT, :PORT, or off):\n"
    "  --statsd-udp ADDR        StatsD/DogStatsD over UDP [0.0.0.0:8125]\n"
    "  --statsd-tcp ADDR        StatsD/DogStatsD over TCP, '\\n'-framed\n"
    "                           [0.0.0.0:8125]\n"
    "  --http ADDR              query port: /health, /metrics\n"
    "                           [127.0.0.1:9400]\n"
    "\n"
    "Shards and bounds:\n"
    "  --cores N|LIST           N = the first N CPUs this process may use,\n"
    "                           LIST = CPUs like 0,2-3 (a single CPU: 3-3)\n"
    "                           [all CPUs of the affinity mask]\n"
    "  --max-series N           series per shard; samples of new series\n"
    "                           beyond it are rejected and counted [1048576]\n"
    "  --max-line-bytes N       longest StatsD line; longer lines are\n"
    "                           rejected with reason line_too_long [8192]\n"
    "  --max-tcp-connections N  open StatsD TCP connections per shard [1024]\n"
    "  --udp-rcvbuf-bytes N     SO_RCVBUF asked for each UDP socket; the\n"
    "                           kernel caps it at net.core.rmem_max [8M]\n"
    "  --block-max-age-ms N     seal the open block at this age [1000]\n"
    "\n"
    "Storage:\n"
    "  --data-dir DIR           data directory, created if absent\n"
    "                           [./sluice-data]\n"
    "\n"
    "  --config FILE            read options from FILE: 'name = value' lines,\n"
    "                           names as above without '--', '#' comments;\n"
    "                           the command line overrides the file\n"
    "  -h, --help               show this help\n"
    "\n"
    "Signals: SIGTERM or SIGINT stops receiving, ingests what the kernel\n"
    "already buffered, seals the open blocks and exits 0 within 2 s.\n"
    "Exit codes: 0 ok, 1 runtime failure, 2 usage error.\n";

static const char *const run_names[] = {
    "cores", "statsd-udp", "statsd-tcp", "http", "data-dir",
    "max-series", "max-line-bytes", "block-max-age-ms",
    "udp-rcvbuf-bytes", "max-tcp-connections", NULL};

/* mkdir -p for the data directory. Returns 0 or -errno. */
static int make_dirs(const char *path) {
  char buf[sizeof(((struct core_config *)0)->data_dir)];
  size_t n = strlen(path);

  if (n == 0 || n >= sizeof(buf))
    return -ENAMETOOLONG;
  memcpy(buf, path, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (buf[i] != '/' && buf[i] != '\0')
      continue;
    char c = buf[i];
    buf[i] = '\0';
    if (mkdir(buf, 0755) < 0 && errno != EEXIST)
      return -errno;
    buf[i] = c;
  }
  return access(path, W_OK) == 0 ? 0 : -errno;
}

static const char *addr_str(const struct core_addr *a, char *buf, size_t n) {
  if (!a->enabled)
    snprintf(buf, n, "off");
  else if (strchr(a->host, ':'))
    snprintf(buf, n, "[%s]:%u", a->host, (unsigned)a->port);
  else
    snprintf(buf, n, "%s:%u", a->host, (unsigned)a->port);
  return buf;
}

/*
 * Open shard i's sockets. With port 0 the first shard's bind picks the port
 * and the others join it, so SO_REUSEPORT spreads one port over all shards.
 */
static int open_listener(struct core_addr *a, int udp, int rcvbuf,
                         const char *flag, int *fd) {
  char s[96];

  *fd = -1;
  if (!a->enabled)
    return 0;
  *fd = udp ? net_sock_udp(a, rcvbuf) : net_sock_tcp_listen(a);
  if (*fd < 0)
    return core_cli_fail("run", "cannot listen on %s %s (%s): %s; choose "
                         "another address or set %s off",
                         udp ? "UDP" : "TCP", addr_str(a, s, sizeof(s)), flag,
                         strerror(-*fd), flag);
  if (a->port == 0)
    a->port = (uint16_t)net_sock_port(*fd);
  return 0;
}

static void stop_all(struct core_runtime *rt) {
  if (rt->http)
    net_http_server_stop(rt->http);
  rt->http = NULL;
  for (unsigned i = 0; i < rt->shard_count; i++)
    core_shard_stop(&rt->shards[i]);
}

static int start_shards(struct core_runtime *rt) {
  struct core_config *c = &rt->cfg;

  for (unsigned i = 0; i < rt->shard_count; i++) {
    struct core_shard *sh = &rt->shards[i];
    int rc;

    sh->id = i;
    sh->cpu = c->cpus[i];
    sh->cfg = c;
    sh->efd = -1;
    rt->stats[i] = &sh->stats;
    if (open_listener(&c->statsd_udp, 1, (int)c->udp_rcvbuf_bytes,
                      "--statsd-udp", &sh->udp_fd) ||
        open_listener(&c->statsd_tcp, 0, 0, "--statsd-tcp", &sh->tcp_fd)) {
      if (sh->udp_fd >= 0)
        close(sh->udp_fd);
      return CORE_EXIT_FAIL;
    }
    rc = core_shard_start(sh);
    if (rc < 0)
      return core_cli_fail("run", "shard %u on CPU %d: cannot %s: %s", i,
                           sh->cpu, sh->start_what, strerror(-rc));
  }
  return 0;
}

static int start_http(struct core_runtime *rt) {
  struct core_addr *a = &rt->cfg.http;
  char s[96];
  int rc;

  if (!a->enabled)
    return 0;
  rc = net_http_server_start(&rt->http, a->host, a->port, net_query_handle,
                             rt);
  if (rc < 0)
    return core_cli_fail("run", "cannot serve HTTP on %s (--http): %s; "
                         "choose another address or set --http off",
                         addr_str(a, s, sizeof(s)), strerror(-rc));
  a->port = net_http_server_port(rt->http);
  return 0;
}

static void announce(const struct core_runtime *rt) {
  char u[96], t[96], h[96];

  fprintf(stderr,
          "sluice: %u shard(s); statsd udp %s, statsd tcp %s, http %s; "
          "data %s\n",
          rt->shard_count, addr_str(&rt->cfg.statsd_udp, u, sizeof(u)),
          addr_str(&rt->cfg.statsd_tcp, t, sizeof(t)),
          addr_str(&rt->cfg.http, h, sizeof(h)), rt->cfg.data_dir);
}

/* Block the stop signals in every thread; the main thread waits for them. */
static void block_signals(sigset_t *set) {
  sigemptyset(set);
  sigaddset(set, SIGTERM);
  sigaddset(set, SIGINT);
  pthread_sigmask(SIG_BLOCK, set, NULL);
  signal(SIGPIPE, SIG_IGN);
}

/* A stop that hangs must not hang the box's service manager: give up. */
static void *stop_watchdog(void *arg) {
  struct timespec t = {.tv_sec = CORE_STOP_TIMEOUT_MS / 1000,
                       .tv_nsec = (CORE_STOP_TIMEOUT_MS % 1000) * 1000000L};

  (void)arg;
  nanosleep(&t, NULL);
  fprintf(stderr, "sluice run: shards did not stop within %d ms; exiting\n",
          CORE_STOP_TIMEOUT_MS);
  _exit(CORE_EXIT_FAIL);
  return NULL;
}

static void arm_watchdog(void) {
  pthread_t t;

  if (pthread_create(&t, NULL, stop_watchdog, NULL) == 0)
    pthread_detach(t);
}

static int serve(struct core_runtime *rt) {
  sigset_t set;
  int sig = 0, rc;

  block_signals(&set);
  rc = start_shards(rt);
  if (rc == 0)
    rc = start_http(rt);
  if (rc == 0) {
    announce(rt);
    sigwait(&set, &sig);
    fprintf(stderr, "sluice: %s: stopping\n", strsignal(sig));
    arm_watchdog();
  }
  stop_all(rt);
  return rc;
}

static int start(struct core_runtime *rt) {
  int rc = make_dirs(rt->cfg.data_dir);

  if (rc < 0)
    return core_cli_fail("run", "cannot create --data-dir \"%s\": %s",
                         rt->cfg.data_dir, strerror(-rc));
  rt->shard_count = rt->cfg.shard_count;
  rt->shards = aligned_alloc(64, sizeof(struct core_shard) * rt->shard_count);
  if (rt->shards == NULL)
    return core_cli_fail("run", "out of memory for %u shards",
                         rt->shard_count);
  memset(rt->shards, 0, sizeof(struct core_shard) * rt->shard_count);
  rc = serve(rt);
  free(rt->shards);
  return rc;
}

int core_run_main(int argc, char **argv) {
  struct core_runtime *rt;
  int first, rc;

  rt = aligned_alloc(64, (sizeof(*rt) + 63) / 64 * 64);
  if (rt == NULL)
    return core_cli_fail("run", "out of memory");
  memset(rt, 0, sizeof(*rt));
  core_config_defaults(&rt->cfg);
  rc = core_cli_parse(&(struct core_cli_spec){.cmd = "run",
                                               .help = run_help,
                                               .names = run_names},
                      argc, argv, &rt->cfg, &first);
  if (rc == 0 && first < argc)
    rc = core_cli_usage("run", "unexpected argument '%s'", argv[first]);
  if (rc == 1)
    rc = CORE_EXIT_OK; /* --help */
  else if (rc == 0)
    rc = start(rt);
  free(rt);
  return rc;
}
