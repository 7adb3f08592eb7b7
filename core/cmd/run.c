/*
 * core/cmd/run.c - `sluice run`: open listeners, start one pinned shard per
 * core, serve the query port, stop cleanly on SIGTERM/SIGINT.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/cmd/cli.h"
#include "core/cmd/config.h"
#include "core/cmd/datadir.h"
#include "core/cmd/flush.h"
#include "core/cmd/reload.h"
#include "core/base/fault.h"
#include "core/cmd/run_types.h"
#include "core/base/ring.h"
#include "core/shard/compactor.h"
#include "core/shard/shard.h"
#include "core/shard/stats.h"
#include "net/forward/forward.h"
#include "net/dpdk.h"
#include "net/http.h"
#include "net/query/query.h"
#include "net/sock.h"
#include "simd/simd.h"
#include "core/base/stat.h"
#include "storage/recover.h"
#include "storage/retention.h"

#ifdef SLUICE_HAVE_DPDK
#define RUN_DPDK_BUILT "has it"
#else
#define RUN_DPDK_BUILT "lacks it"
#endif

static const char run_help[] =
    "Usage: sluice run [OPTION]...\n"
    "Run the ingestion daemon: one pinned shard (thread + io_uring) per core.\n"
    "\n"
    "Listeners (HOST:PORT, [V6]:PORT, :PORT, or off):\n"
    "  --statsd-udp ADDR        StatsD/DogStatsD over UDP [0.0.0.0:8125]\n"
    "  --statsd-tcp ADDR        StatsD/DogStatsD over TCP, '\\n'-framed\n"
    "                           [0.0.0.0:8125]\n"
    "  --syslog-udp ADDR        syslog (RFC 5424, RFC 3164) over UDP, one\n"
    "                           message per datagram [0.0.0.0:5514]\n"
    "  --syslog-tcp ADDR        syslog over TCP, octet-counted or '\\n'-framed\n"
    "                           (RFC 6587, told apart per connection)\n"
    "                           [0.0.0.0:5514]\n"
    "  --otlp-http ADDR         OTLP/HTTP: POST /v1/metrics, /v1/logs,\n"
    "                           /v1/traces (protobuf or JSON, gzip); a 200\n"
    "                           is sent once the data is fsynced\n"
    "                           [0.0.0.0:4318]\n"
    "  --otlp-grpc ADDR         OTLP/gRPC: the metrics, logs and trace\n"
    "                           Export services over HTTP/2 (gzip); OK is\n"
    "                           sent once the data is fsynced\n"
    "                           [0.0.0.0:4317]\n"
    "  --http ADDR              query port: /-/healthy, /-/ready, /metrics,\n"
    "                           /api/v1/*\n"
    "                           [127.0.0.1:9400]\n"
    "  --http-memory-bytes N    request and response bodies the query port\n"
    "                           holds at once; past it requests get 503\n"
    "                           Retry-After (16M..4095M) [1G]\n"
    "\n"
    "Shards and bounds:\n"
    "  --cores N|LIST           N = the first N CPUs this process may use,\n"
    "                           LIST = CPUs like 0,2-3 (a single CPU: 3-3)\n"
    "                           [all CPUs of the affinity mask]\n"
    "  --max-series N           series of all shards together; samples of\n"
    "                           new series beyond it are rejected and\n"
    "                           counted, known series are always kept\n"
    "                           [1048576]\n"
    "  --max-line-bytes N       longest StatsD line; longer lines are\n"
    "                           rejected with reason line_too_long [8192]\n"
    "  --syslog-max-bytes N     longest syslog message kept whole; the rest\n"
    "                           of a longer one is dropped and the record\n"
    "                           flagged (reason too_long) [64K]\n"
    "  --max-tcp-connections N  open TCP connections (StatsD and syslog)\n"
    "                           per shard [1024]\n"
    "  --udp-rcvbuf-bytes N     SO_RCVBUF asked for each UDP socket; the\n"
    "                           kernel caps it at net.core.rmem_max [8M]\n"
    "  --block-max-age-ms N     seal the open block at this age [1000]\n"
    "  --simd LEVEL             parser kernels: auto, avx512, avx2, sse42\n"
    "                           or scalar [auto: the best this CPU has]\n"
    "  --otlp-resource-labels L OTLP resource attributes that become labels\n"
    "                           of every series: a comma-separated LIST,\n"
    "                           all or none [service.name,service.namespace,\n"
    "                           service.instance.id,host.name]\n"
    "\n"
    "Storage:\n"
    "  --data-dir DIR           data directory, created if absent; each\n"
    "                           shard writes DIR/shard-<N>/<seq>.seg\n"
    "                           [./sluice-data]\n"
    "  --fsync-interval-ms N    group fsyncs of written blocks [100]\n"
    "  --segment-max-bytes N    start a new segment past this size [64M]\n"
    "  --segment-max-age D      ... or this age (ms, s, m, h, d, w) [1h]\n"
    "  --retention D            delete segments older than D, e.g. 7d\n"
    "                           [0: keep]\n"
    "  --max-disk-bytes N       delete the oldest segments past N bytes in\n"
    "                           all (K, M, G, T) [0: no bound]\n"
    "  --compact-after D        compact a closed segment in the background\n"
    "                           once it is D old (seconds, or ms, s, m, h,\n"
    "                           d, w) and every forward target is past it;\n"
    "                           off disables it [5m]\n"
    "\n"
    "Forwarding (docs/forwarding.md; options after a --remote-write apply\n"
    "to that target):\n"
    "  --remote-write URL       send what is stored to this Prometheus\n"
    "                           remote-write endpoint (http:// or https://;\n"
    "                           repeat for more targets, at most 8)\n"
    "  --remote-write-header 'NAME: VALUE'  an extra request header\n"
    "  --remote-write-basic-auth USER:FILE  basic auth; FILE holds the\n"
    "                           password\n"
    "  --remote-write-bearer-token-file FILE  'Authorization: Bearer' with\n"
    "                           the token in FILE\n"
    "  --remote-write-ca-file FILE  CA certificates (PEM) that verify an\n"
    "                           https target [the system's]\n"
    "  --remote-write-batch-samples N  send at N samples (all targets)\n"
    "                           [10000]\n"
    "  --remote-write-batch-age-ms N  ... or once the first waited N ms\n"
    "                           [200]\n"
    "  --forward-syslog HOST:PORT  relay stored log records as RFC 5424\n"
    "                           over TCP, octet-counted (repeatable)\n"
    "  --otlp-export URL        send metrics, logs, spans as OTLP/HTTP\n"
    "                           protobuf to URL/v1/metrics, /v1/logs and\n"
    "                           /v1/traces\n"
    "                           (a collector's base URL; repeatable)\n"
    "DPDK receive back end (docs/dpdk.md; this build " RUN_DPDK_BUILT "):\n"
    "  --dpdk 'EAL ARGS'        serve --statsd-udp and --syslog-udp from a\n"
    "                           DPDK port, one RX/TX queue per shard, instead\n"
    "                           of kernel sockets; EAL ARGS like '-a\n"
    "                           0000:03:00.0' or '--no-huge --vdev\n"
    "                           net_pcap0,rx_pcap=f.pcap'; off: kernel\n"
    "                           sockets [off]\n"
    "  --dpdk-port N            the DPDK port to use [0]\n"
    "  --dpdk-ip A.B.C.D        the IPv4 address served on it (ARP answered;\n"
    "                           UDP to the listeners' ports ingested, the\n"
    "                           rest dropped and counted); needed with --dpdk\n"
    "\n"
    "  --config FILE            read options from FILE: 'name = value' lines,\n"
    "                           names as above without '--', '#' comments;\n"
    "                           the command line overrides the file; read\n"
    "                           again on SIGHUP\n"
    "  -h, --help               show this help\n"
    "\n"
    "SIGHUP re-reads the --config file(s): --retention, --max-disk-bytes,\n"
    "--block-max-age-ms, --fsync-interval-ms, --segment-max-bytes and\n"
    "--segment-max-age change live; other changes are logged as needing a\n"
    "restart; a bad file changes nothing. No data is lost.\n"
    "Signals: SIGTERM or SIGINT stops receiving, ingests what the kernel\n"
    "already buffered (for at most 0.5 s, and while the disk keeps up),\n"
    "seals the open blocks, makes them durable and exits 0 within 2 s.\n"
    "At start every segment is checked and a torn tail is\n"
    "cut (logged, and counted in sluice_recovery_truncated_bytes_total).\n"
    "Exit codes: 0 ok, 1 runtime failure, 2 usage error.\n";

static const char *const run_names[] = {
    "cores", "statsd-udp", "statsd-tcp", "syslog-udp", "syslog-tcp",
    "syslog-max-bytes", "http", "http-memory-bytes", "otlp-http", "otlp-grpc",
    "data-dir",
    "max-series", "max-line-bytes", "block-max-age-ms",
    "udp-rcvbuf-bytes", "max-tcp-connections", "fsync-interval-ms",
    "segment-max-bytes", "segment-max-age", "retention", "max-disk-bytes",
    "compact-after", "simd", "otlp-resource-labels", "remote-write", "remote-write-header",
    "remote-write-basic-auth", "remote-write-bearer-token-file",
    "remote-write-ca-file", "remote-write-batch-samples",
    "remote-write-batch-age-ms", "forward-syslog", "otlp-export", "dpdk",
    "dpdk-port", "dpdk-ip", NULL};

static const struct core_cli_spec run_spec = {
    .cmd = "run", .help = run_help, .names = run_names};

/*
 * Open one shard's socket of a listener. Shard 0 (NET_SOCK_NEW) makes sure
 * no other process serves the port, and with port 0 its bind picks the
 * port; the other shards join it, so SO_REUSEPORT spreads one port over
 * this process's shards only.
 */
static int open_listener(struct core_addr *a, int udp, int rcvbuf,
                         const char *flag, enum net_sock_group group,
                         int *fd) {
  const char *kind = udp ? "UDP" : "TCP";
  char s[96];

  *fd = -1;
  if (!a->enabled)
    return 0;
  *fd = udp ? net_sock_udp(a, rcvbuf, group) : net_sock_tcp_listen(a, group);
  if (*fd == -EADDRINUSE && group == NET_SOCK_NEW)
    return core_cli_fail("run", "%s %s (%s) is already in use (by another "
                         "process, another sluice, or another listener of "
                         "this one); sluice does not share a port it did not "
                         "open: stop that process, or choose another port "
                         "for %s or set it off",
                         kind, core_config_addr_str(a, s, sizeof(s)), flag, flag);
  if (*fd < 0)
    return core_cli_fail("run", "cannot listen on %s %s (%s): %s; choose "
                         "another address or set %s off",
                         kind, core_config_addr_str(a, s, sizeof(s)), flag,
                         strerror(-*fd), flag);
  if (a->port == 0)
    a->port = (uint16_t)net_sock_port(*fd);
  return 0;
}

/* Shard sh's listening sockets; on failure none is left open. */
static int open_listeners(struct core_config *c, struct core_shard *sh) {
  enum net_sock_group g = sh->id == 0 ? NET_SOCK_NEW : NET_SOCK_JOIN;
  int rcvbuf = (int)c->udp_rcvbuf_bytes;
  int rc = c->dpdk_eal[0] ? 0 /* UDP comes through DPDK */
                          : open_listener(&c->statsd_udp, 1, rcvbuf,
                                          "--statsd-udp", g, &sh->udp_fd);

  sh->tcp_fd = sh->syslog_udp_fd = sh->syslog_tcp_fd = -1;
  sh->otlp_http_fd = sh->otlp_grpc_fd = -1;
  if (rc == 0)
    rc = open_listener(&c->statsd_tcp, 0, 0, "--statsd-tcp", g, &sh->tcp_fd);
  if (rc == 0 && !c->dpdk_eal[0])
    rc = open_listener(&c->syslog_udp, 1, rcvbuf, "--syslog-udp", g,
                       &sh->syslog_udp_fd);
  if (rc == 0)
    rc = open_listener(&c->syslog_tcp, 0, 0, "--syslog-tcp", g,
                       &sh->syslog_tcp_fd);
  if (rc == 0)
    rc = open_listener(&c->otlp_http, 0, 0, "--otlp-http", g,
                       &sh->otlp_http_fd);
  if (rc == 0)
    rc = open_listener(&c->otlp_grpc, 0, 0, "--otlp-grpc", g,
                       &sh->otlp_grpc_fd);
  if (rc != 0) {
    int *fds[] = {&sh->udp_fd, &sh->tcp_fd, &sh->syslog_udp_fd,
                  &sh->syslog_tcp_fd, &sh->otlp_http_fd};
    for (unsigned i = 0; i < 5; i++)
      if (*fds[i] >= 0)
        close(*fds[i]);
    sh->udp_fd = sh->tcp_fd = sh->syslog_udp_fd = sh->syslog_tcp_fd = -1;
    sh->otlp_http_fd = -1;
  }
  return rc;
}

/*
 * Stop the shards, all at once (each drains by deadlines counted from now:
 * CORE_STOP_READ_MS, CORE_STOP_STORE_MS), then the query port, which
 * serves meanwhile (/metrics; a flush round the last seals answer).
 * Returns CORE_EXIT_FAIL when a shard could not make its sealed blocks
 * durable in time, else 0.
 */
static int stop_all(struct core_runtime *rt) {
  int64_t t0 = core_ring_now_ms();
  int lost = 0;

  pthread_mutex_lock(&rt->ctl_lock);
  for (unsigned i = 0; i < rt->shard_count; i++) {
    struct core_shard *sh = &rt->shards[i];
    if (sh->started &&
        __atomic_load_n(&sh->state, __ATOMIC_ACQUIRE) == CORE_SHARD_RUNNING)
      core_shard_request_stop(sh, t0);
  }
  rt->stopping = 1; /* no more control messages */
  pthread_mutex_unlock(&rt->ctl_lock);
  for (unsigned i = 0; i < rt->shard_count; i++) {
    core_shard_join(&rt->shards[i]);
    lost |= rt->shards[i].stop_lost;
  }
  __atomic_store_n(&rt->shards_down, lost ? 2 : 1, __ATOMIC_RELEASE);
  if (rt->query.http)
    net_http_server_stop(rt->query.http);
  rt->query.http = NULL;
  if (lost)
    return core_cli_fail("run", "stop: sealed blocks were not all durable "
                         "within %d ms; the disk did not keep up, and what "
                         "was not written is lost", CORE_STOP_STORE_MS);
  return 0;
}

/*
 * Open <data-dir>/shard-<i>, check and repair its segments, and tell the
 * shard where to continue. Runs before the shard thread exists.
 */
static int prepare_storage(struct core_runtime *rt, struct core_shard *sh) {
  struct stor_recovery r;
  char path[sizeof(rt->cfg.data_dir) + 32];
  int rc;

  snprintf(path, sizeof(path), "%s/shard-%u", rt->cfg.data_dir, sh->id);
  if (mkdir(path, 0755) < 0 && errno != EEXIST)
    return core_cli_fail("run", "cannot create \"%s\": %s", path,
                         strerror(errno));
  sh->dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (sh->dir_fd < 0)
    return core_cli_fail("run", "cannot open \"%s\": %s", path,
                         strerror(errno));
  rc = stor_recover_dir(sh->dir_fd, path, &r, stderr);
  if (rc < 0)
    return core_cli_fail("run", "cannot read \"%s\": %s", path,
                         strerror(-rc));
  /* the query port may be rendering these already */
  core_stat_set(&sh->stats.stor.recovery_truncated_bytes, r.truncated_bytes);
  core_stat_set(&sh->stats.stor.recovery_segments, r.segments);
  sh->next_seg_seq = r.max_seg_seq + 1;
  sh->next_block_seq = r.max_block_seq + 1;
  return 0;
}

/* The part of the configuration a shard reads. */
static struct core_shard_cfg shard_cfg(const struct core_config *c) {
  return (struct core_shard_cfg){.max_series = c->max_series,
                                 .line_bytes_max = c->line_bytes_max,
                                 .syslog_bytes_max = c->syslog_bytes_max,
                                 .tcp_conns_max = c->tcp_conns_max,
                                 .block_max_age_ms = c->block_max_age_ms,
                                 .fsync_interval_ms = c->fsync_interval_ms,
                                 .segment_bytes_max = c->segment_bytes_max,
                                 .segment_age_ms_max = c->segment_age_ms_max,
                                 .otlp_resource_labels =
                                     c->otlp_resource_labels};
}

/*
 * --dpdk: the EAL and the port, on the main thread before any shard
 * (docs/dpdk.md). The UDP listeners' ports are served at --dpdk-ip.
 */
static int start_dpdk(struct core_runtime *rt) {
  struct core_config *c = &rt->cfg;
  char err[512];

  if (!c->dpdk_eal[0])
    return 0;
  if (c->dpdk_ip == 0)
    return core_cli_usage("run", "--dpdk needs --dpdk-ip A.B.C.D, the "
                          "address to serve UDP and answer ARP at");
  if ((c->statsd_udp.enabled && c->statsd_udp.port == 0) ||
      (c->syslog_udp.enabled && c->syslog_udp.port == 0))
    return core_cli_usage("run", "--dpdk: --statsd-udp and --syslog-udp "
                          "need a port (not 0) or off");
  if (net_dpdk_start(&(struct net_dpdk_cfg){
                         .eal_args = c->dpdk_eal,
                         .port = (uint16_t)c->dpdk_port,
                         .ip = c->dpdk_ip,
                         .statsd_port = c->statsd_udp.enabled
                                            ? c->statsd_udp.port : 0,
                         .syslog_port = c->syslog_udp.enabled
                                            ? c->syslog_udp.port : 0,
                         .queues = rt->shard_count},
                     err, sizeof(err)) < 0)
    return core_cli_fail("run", "%s", err);
  rt->dpdk_up = 1;
  return 0;
}

static int start_shards(struct core_runtime *rt) {
  struct core_config *c = &rt->cfg;

  int rc0 = start_dpdk(rt);

  if (rc0 != 0)
    return rc0;
  rt->series_budget = (struct core_series_budget){.max = c->max_series};
  for (unsigned i = 0; i < rt->shard_count; i++) {
    struct core_shard *sh = &rt->shards[i];
    int rc;

    sh->id = i;
    sh->cpu = c->cpus[i];
    sh->cfg = shard_cfg(c);
    sh->cfg.series_budget = &rt->series_budget;
    sh->cfg.dpdk = rt->dpdk_up;
    sh->efd = -1;
    sh->dir_fd = -1;
    if (prepare_storage(rt, sh) != 0)
      return CORE_EXIT_FAIL;
    if (open_listeners(c, sh) != 0)
      return CORE_EXIT_FAIL;
    rc = core_shard_start(sh);
    if (rc < 0)
      return core_cli_fail("run", "shard %u on CPU %d: cannot %s: %s", i,
                           sh->cpu, sh->start_what, strerror(-rc));
  }
  return 0;
}

/*
 * Send a control message to every running shard. The query thread
 * (flushes) and the main thread (reload, stop) both send: ctl_lock makes
 * them the ring's one producer. Nothing is sent once the stop went out
 * (stop_all): a stopped shard reads no more and its ring would fill.
 */
static void send_all(struct core_runtime *rt, enum core_ctl_op op,
                     uint64_t arg) {
  pthread_mutex_lock(&rt->ctl_lock);
  for (unsigned i = 0; i < rt->shard_count && !rt->stopping; i++) {
    struct core_shard *sh = &rt->shards[i];
    if (!sh->started ||
        __atomic_load_n(&sh->state, __ATOMIC_ACQUIRE) != CORE_SHARD_RUNNING)
      continue;
    while (core_shard_send(sh, op, arg) == -EAGAIN)
      sched_yield();
  }
  pthread_mutex_unlock(&rt->ctl_lock);
}

static void flush_start(void *ctx, uint64_t gen) {
  send_all(ctx, CORE_CTL_FLUSH, gen);
}

static int flush_answered(void *ctx, uint64_t gen, int *failed) {
  const struct core_runtime *rt = ctx;

  for (unsigned i = 0; i < rt->shard_count; i++) {
    const struct core_shard *sh = &rt->shards[i];
    if (__atomic_load_n(&sh->flush_answered, __ATOMIC_ACQUIRE) < gen)
      return 0;
    *failed |= __atomic_load_n(&sh->flush_failed, __ATOMIC_RELAXED);
  }
  return 1;
}

static int64_t mono_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* GET /-/ready (query thread): net_query_env.not_ready. */
static const char *run_not_ready(void *ctx) {
  const struct core_runtime *rt = ctx;
  int phase = __atomic_load_n(&rt->phase, __ATOMIC_ACQUIRE);

  if (phase == RUN_READY)
    return NULL;
  return phase == RUN_STARTING
             ? "starting: recovering segments and opening listeners"
             : "stopping";
}

/* POST /api/v1/flush (query thread): net_query_env.flush, coalesced into
 * rounds by core/cmd/flush.c; refused while not ready (no shard to ask
 * yet, or shards that no longer answer). */
static int run_flush(void *ctx, uint64_t *ticket) {
  struct core_runtime *rt = ctx;
  const struct core_flush_ops ops = {flush_start, flush_answered, rt};

  if (*ticket == 0 && run_not_ready(rt) != NULL)
    return -EAGAIN;
  if (*ticket == 0)
    *ticket = core_flush_ticket(&rt->flush);
  return core_flush_poll(&rt->flush, *ticket, mono_ms(), &ops);
}

/* GET /metrics: every shard's counters, then retention's and flushes'. */
static int run_metrics(void *ctx, struct core_strbuf *out) {
  const struct core_runtime *rt = ctx;
  int rc = core_stats_render(rt->stats, rt->shard_count, out);

  stor_retention_render(&rt->retention, out);
  core_compactor_render(&rt->compactor, out);
  core_flush_render(&rt->flush, out);
  net_fwd_render(__atomic_load_n(&rt->fwd, __ATOMIC_ACQUIRE), out);
  return rc;
}

static int start_http(struct core_runtime *rt) {
  struct core_addr *a = &rt->cfg.http;
  struct net_http_server *http;
  char s[96];
  int rc;

  if (!a->enabled)
    return 0;
  rt->query = (struct net_query_env){
      .data_dir = rt->cfg.data_dir,
      .metrics = run_metrics,
      .flush = run_flush,
      .not_ready = run_not_ready,
      .version = SLUICE_VERSION,
      .simd = simd_level_name(simd_get_level()),
      .ctx = rt};
  rc = net_http_server_start_opts(
      &http, &(struct net_http_server_opts){
                 .host = a->host, .port = a->port, .fn = net_query_handle,
                 .ctx = &rt->query,
                 .memory_bytes_max = rt->cfg.http_memory_bytes_max});
  if (rc < 0)
    return core_cli_fail("run", "cannot serve HTTP on %s (--http): %s; "
                         "choose another address or set --http off",
                         core_config_addr_str(a, s, sizeof(s)), strerror(-rc));
  __atomic_store_n(&rt->query.http, http, __ATOMIC_RELEASE);
  a->port = net_http_server_port(http);
  return 0;
}

static void announce(const struct core_runtime *rt) {
  char u[96], t[96], su[96], st[96], h[96], oh[96], og[96];

  fprintf(stderr,
          "sluice: %u shard(s); statsd udp %s, statsd tcp %s, syslog udp %s, "
          "syslog tcp %s, otlp http %s, otlp grpc %s, http %s; data %s\n",
          rt->shard_count, core_config_addr_str(&rt->cfg.statsd_udp, u, sizeof(u)),
          core_config_addr_str(&rt->cfg.statsd_tcp, t, sizeof(t)),
          core_config_addr_str(&rt->cfg.syslog_udp, su, sizeof(su)),
          core_config_addr_str(&rt->cfg.syslog_tcp, st, sizeof(st)),
          core_config_addr_str(&rt->cfg.otlp_http, oh, sizeof(oh)),
          core_config_addr_str(&rt->cfg.otlp_grpc, og, sizeof(og)),
          core_config_addr_str(&rt->cfg.http, h, sizeof(h)), rt->cfg.data_dir);
  if (rt->dpdk_up) {
    char d[256];
    net_dpdk_describe(d, sizeof(d));
    fprintf(stderr, "sluice: UDP listeners served by DPDK port %u at "
            "%u.%u.%u.%u, one queue per shard: %s\n", rt->cfg.dpdk_port,
            rt->cfg.dpdk_ip >> 24, rt->cfg.dpdk_ip >> 16 & 255,
            rt->cfg.dpdk_ip >> 8 & 255, rt->cfg.dpdk_ip & 255, d);
  }
}

/* Block the stop signals in every thread; the main thread waits for them. */
static void block_signals(sigset_t *set) {
  sigemptyset(set);
  sigaddset(set, SIGTERM);
  sigaddset(set, SIGINT);
  sigaddset(set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, set, NULL);
  signal(SIGPIPE, SIG_IGN);
}

/*
 * A stop that hangs must not hang the box's service manager: give up.
 * When only the query port is left (a long query still running), what the
 * shards sealed is durable already: that is a clean exit.
 */
static void *stop_watchdog(void *arg) {
  const struct core_runtime *rt = arg;
  struct timespec t = {.tv_sec = CORE_STOP_TIMEOUT_MS / 1000,
                       .tv_nsec = (CORE_STOP_TIMEOUT_MS % 1000) * 1000000L};

  nanosleep(&t, NULL);
  if (__atomic_load_n(&rt->shards_down, __ATOMIC_ACQUIRE) == 1) {
    fprintf(stderr, "sluice run: the query port did not stop within %d ms "
            "(a query still running); exiting, all data durable\n",
            CORE_STOP_TIMEOUT_MS);
    _exit(CORE_EXIT_OK);
  }
  fprintf(stderr, "sluice run: shards did not stop within %d ms; exiting\n",
          CORE_STOP_TIMEOUT_MS);
  _exit(CORE_EXIT_FAIL);
  return NULL;
}

static void arm_watchdog(const struct core_runtime *rt) {
  pthread_t t;

  if (pthread_create(&t, NULL, stop_watchdog, (void *)rt) == 0)
    pthread_detach(t);
}

static int64_t wall_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * SIGHUP: re-read the config file(s). What changed of the live options
 * (core/cmd/reload.c) goes into force: retention's bounds here, the
 * shards' through control messages; the rest is logged as needing a
 * restart. Sealed and open blocks are untouched: nothing is lost.
 */
static void reload(struct core_runtime *rt) {
  struct core_config *c = &rt->cfg, *r = &rt->cfg_read;

  if (!core_reload(&run_spec, rt->argc, rt->argv, r))
    return;
  c->retention_ms = r->retention_ms;
  c->disk_bytes_max = r->disk_bytes_max;
  c->block_max_age_ms = r->block_max_age_ms;
  c->fsync_interval_ms = r->fsync_interval_ms;
  c->segment_bytes_max = r->segment_bytes_max;
  c->segment_age_ms_max = r->segment_age_ms_max;
  send_all(rt, CORE_CTL_SET_BLOCK_AGE, c->block_max_age_ms);
  send_all(rt, CORE_CTL_SET_FSYNC_INTERVAL, c->fsync_interval_ms);
  send_all(rt, CORE_CTL_SET_SEGMENT_BYTES, c->segment_bytes_max);
  send_all(rt, CORE_CTL_SET_SEGMENT_AGE, c->segment_age_ms_max);
}

/* The main thread's life: retention every tick until a stop signal. */
static int housekeep(struct core_runtime *rt, const sigset_t *set) {
  struct timespec tick = {.tv_sec = STOR_RETENTION_TICK_MS / 1000,
                          .tv_nsec = (STOR_RETENTION_TICK_MS % 1000) *
                                     1000000L};
  int sig;

  for (;;) {
    stor_retention_run(rt->cfg.data_dir, rt->shard_count, rt->active_seg,
                       rt->cfg.retention_ms, rt->cfg.disk_bytes_max,
                       wall_ms(), &rt->retention);
    sig = sigtimedwait(set, NULL, &tick);
    if (sig == SIGHUP)
      reload(rt); /* then retention runs at once with what changed */
    else if (sig > 0)
      return sig;
  }
}

/* The remote-write forwarder: one thread per target, off the shards. */
static int start_forward(struct core_runtime *rt) {
  struct net_fwd_env env = {.data_dir = rt->cfg.data_dir,
                            .shard_count = rt->shard_count};
  struct net_fwd *f;
  char err[1024];

  for (unsigned i = 0; i < rt->shard_count; i++) {
    env.durable_seq[i] = &rt->shards[i].stats.stor.durable_seq;
    env.first_segment[i] = rt->shards[i].next_seg_seq;
  }
  if (net_fwd_start(&f, &rt->cfg.forward, &env, err, sizeof(err)) < 0)
    return core_cli_fail("run", "%s", err);
  __atomic_store_n(&rt->fwd, f, __ATOMIC_RELEASE);
  return 0;
}

/* Background compaction, after the forwarder: it reads the targets'
 * cursors (core/shard/compactor.h). */
static int start_compactor(struct core_runtime *rt) {
  struct core_compactor_cfg cfg = {.data_dir = rt->cfg.data_dir,
                                   .shard_count = rt->shard_count,
                                   .after_ms = rt->cfg.compact_after_ms,
                                   .fwd = (const struct net_fwd *const *)&rt->fwd};
  int rc;

  for (unsigned i = 0; i < rt->shard_count; i++) {
    cfg.active_seg[i] = &rt->shards[i].active_seg;
    cfg.durable_seq[i] = &rt->shards[i].stats.stor.durable_seq;
    cfg.first_seg[i] = rt->shards[i].next_seg_seq;
  }
  if ((rc = core_compactor_start(&rt->compactor, &cfg)) < 0)
    return core_cli_fail("run", "cannot start the compactor: %s",
                         strerror(-rc));
  return 0;
}

static int serve(struct core_runtime *rt) {
  sigset_t set;
  int sig = 0, rc, stop_rc;

  block_signals(&set);
  /* The query port first: alive (/-/healthy) while recovery runs, ready
   * (/-/ready) once every shard recovered and listens. */
  rc = start_http(rt);
  if (rc == 0)
    rc = start_shards(rt);
  if (rc == 0)
    rc = start_forward(rt);
  if (rc == 0)
    rc = start_compactor(rt);
  if (rc == 0) {
    __atomic_store_n(&rt->phase, RUN_READY, __ATOMIC_RELEASE);
    announce(rt);
    sig = housekeep(rt, &set);
    __atomic_store_n(&rt->phase, RUN_STOPPING, __ATOMIC_RELEASE);
    fprintf(stderr, "sluice: %s: stopping\n", strsignal(sig));
    arm_watchdog(rt);
  }
  stop_rc = stop_all(rt);
  core_compactor_stop(&rt->compactor); /* a pass at work ends first */
  net_fwd_stop(rt->fwd); /* after the query port: /metrics renders it */
  if (rt->dpdk_up)
    net_dpdk_stop(); /* after the shards: they polled its queues */
  return rc != 0 ? rc : stop_rc;
}

static int start(struct core_runtime *rt) {
  int rc = core_fault_parse(getenv("SLUICE_FAULT"));

  if (rc < 0)
    return core_cli_usage("run", "SLUICE_FAULT=\"%s\" is not understood; "
                          "see core/fault_types.h", getenv("SLUICE_FAULT"));
  if (simd_select(rt->cfg.simd) < 0) /* before any shard parses */
    return core_cli_usage("run", "--simd %s: this CPU lacks it (its best "
                          "is %s)", rt->cfg.simd,
                          simd_level_name(simd_level_best()));
  /* Before recovery reads a segment: another process may be writing it. */
  rt->lock_fd = core_datadir_lock("run", rt->cfg.data_dir);
  if (rt->lock_fd < 0)
    return CORE_EXIT_FAIL;
  rt->shard_count = rt->cfg.shard_count;
  rt->shards = aligned_alloc(64, sizeof(struct core_shard) * rt->shard_count);
  if (rt->shards == NULL) {
    close(rt->lock_fd);
    return core_cli_fail("run", "out of memory for %u shards",
                         rt->shard_count);
  }
  memset(rt->shards, 0, sizeof(struct core_shard) * rt->shard_count);
  for (unsigned i = 0; i < rt->shard_count; i++) {
    struct core_shard *sh = &rt->shards[i];
    sh->efd = sh->dir_fd = sh->udp_fd = sh->tcp_fd = -1;
    sh->syslog_udp_fd = sh->syslog_tcp_fd = sh->otlp_http_fd = -1;
    sh->otlp_grpc_fd = -1;
    rt->stats[i] = &sh->stats; /* /metrics may render them from now on */
    rt->active_seg[i] = &sh->active_seg;
  }
  rc = serve(rt);
  free(rt->shards);
  close(rt->lock_fd); /* the data directory is free for the next owner */
  return rc;
}

int core_run_main(int argc, char **argv) {
  struct core_runtime *rt;
  int first, rc;

  rt = aligned_alloc(64, (sizeof(*rt) + 63) / 64 * 64);
  if (rt == NULL)
    return core_cli_fail("run", "out of memory");
  memset(rt, 0, sizeof(*rt));
  pthread_mutex_init(&rt->ctl_lock, NULL);
  core_config_defaults(&rt->cfg);
  rc = core_cli_parse(&run_spec, argc, argv, &rt->cfg, &first);
  rt->argc = argc;
  rt->argv = argv;
  rt->cfg_read = rt->cfg; /* before port 0 turns into the port bound */
  if (rc == 0 && first < argc)
    rc = core_cli_usage("run", "unexpected argument '%s'", argv[first]);
  if (rc == 1)
    rc = CORE_EXIT_OK; /* --help */
  else if (rc == 0)
    rc = start(rt);
  pthread_mutex_destroy(&rt->ctl_lock);
  free(rt);
  return rc;
}
