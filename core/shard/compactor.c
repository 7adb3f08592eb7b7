/*
 * core/shard/compactor.c - background compaction inside `sluice run` (see
 * core/shard/compactor.h): a niced thread that, every tick, gives each
 * shard directory one stor_compact_dir_opts call bounded by what the
 * shard and the forward targets have left behind.
 */
#include "core/shard/compactor.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/base/stat.h"
#include "core/base/strbuf.h"
#include "net/forward/forward.h"
#include "storage/compact.h"

static int64_t clock_ms(clockid_t id) {
  struct timespec t;

  clock_gettime(id, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* What shard k's pass may take at now_ms. */
static struct stor_compact_opts shard_opts(const struct core_compactor *c,
                                           unsigned k, int64_t now_ms) {
  const struct core_compactor_cfg *g = &c->cfg;
  const struct net_fwd *f = g->fwd ? __atomic_load_n(g->fwd, __ATOMIC_ACQUIRE)
                                   : NULL;
  uint64_t active = __atomic_load_n(g->active_seg[k], __ATOMIC_ACQUIRE);
  uint64_t passed = net_fwd_passed_segment(f, k);

  /* No segment opened yet (an idle shard): it will write first_seg. */
  if (active == 0)
    active = g->first_seg[k];
  return (struct stor_compact_opts){
      .seq_from = c->settled[k],
      .seq_below = active < passed ? active : passed,
      .block_seq_max = __atomic_load_n(g->durable_seq[k], __ATOMIC_ACQUIRE),
      .mtime_max_ms = now_ms - (int64_t)g->after_ms,
      .cleanup = c->cleanup_due[k],
      .cancel = &c->stop};
}

/* One shard's pass. Returns the compacted segments written, or -errno. */
static long compact_shard(struct core_compactor *c, unsigned k,
                          int64_t now_ms) {
  struct stor_compact_opts o = shard_opts(c, k, now_ms);
  struct stor_compact_stats st = {0};
  struct core_compactor_stats *cs = &c->stats;
  char path[4096 + 32];
  int64_t t0 = clock_ms(CLOCK_MONOTONIC);
  int fd, rc;

  if (o.seq_below == 0)
    return 0;
  snprintf(path, sizeof(path), "%s/shard-%u", c->cfg.data_dir, k);
  if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    return -errno;
  rc = stor_compact_dir_opts(fd, path, &o, &st, stderr);
  close(fd);
  c->settled[k] = st.settled_seq;
  /* what went through before a failure still counts */
  core_stat_add(&cs->passes, st.passes);
  core_stat_add(&cs->segments_in, st.segments_in);
  core_stat_add(&cs->bytes_in, st.bytes_in);
  core_stat_add(&cs->bytes_out, st.bytes_out);
  core_stat_add(&cs->points, st.points);
  core_stat_add(&cs->skipped, st.skipped);
  if (st.passes) {
    core_stat_set(&cs->last_duration_ms,
                  (uint64_t)(clock_ms(CLOCK_MONOTONIC) - t0));
    core_stat_set(&cs->last_round_unix_ms,
                  (uint64_t)clock_ms(CLOCK_REALTIME));
  }
  c->cleanup_due[k] = rc < 0;
  /* retention deleted a segment under the pass, or a stop: no failure */
  if (rc < 0 && rc != -ENOENT && rc != -ECANCELED)
    core_stat_add(&cs->failures, 1);
  return rc < 0 ? rc : (long)st.passes;
}

long core_compactor_round(struct core_compactor *c, int64_t now_ms) {
  long done = 0, first_rc = 0;

  for (unsigned k = 0; k < c->cfg.shard_count; k++) {
    long n = compact_shard(c, k, now_ms);
    if (n < 0 && first_rc == 0)
      first_rc = n;
    done += n > 0 ? n : 0;
  }
  return first_rc < 0 ? first_rc : done;
}

/* Below the shards: lowest CPU and best-effort I/O priority. */
static void lower_priority(void) {
  pid_t tid = (pid_t)syscall(SYS_gettid);

  if (setpriority(PRIO_PROCESS, (id_t)tid, 19) < 0)
    perror("sluice: compactor: setpriority");
  /* IOPRIO_WHO_PROCESS = 1, class best-effort (2) << 13, level 7 */
  (void)syscall(SYS_ioprio_set, 1, tid, (2 << 13) | 7);
}

static uint64_t tick_ms(const struct core_compactor *c) {
  uint64_t t = c->cfg.after_ms / 2;

  return t < CORE_COMPACT_TICK_MS_MIN   ? CORE_COMPACT_TICK_MS_MIN
         : t > CORE_COMPACT_TICK_MS_MAX ? CORE_COMPACT_TICK_MS_MAX
                                        : t;
}

static void *compactor_main(void *arg) {
  struct core_compactor *c = arg;

  lower_priority();
  pthread_mutex_lock(&c->lock);
  for (;;) { /* a tick first: start-up is left to the shards */
    struct timespec until;
    uint64_t ms = tick_ms(c);
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)(ms / 1000);
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
    while (!c->stop &&
           pthread_cond_timedwait(&c->wake, &c->lock, &until) == 0)
      ;
    if (c->stop)
      break;
    pthread_mutex_unlock(&c->lock);
    core_compactor_round(c, clock_ms(CLOCK_REALTIME));
    pthread_mutex_lock(&c->lock);
  }
  pthread_mutex_unlock(&c->lock);
  return NULL;
}

int core_compactor_start(struct core_compactor *c,
                         const struct core_compactor_cfg *cfg) {
  int rc;

  memset(c, 0, sizeof(*c));
  c->cfg = *cfg;
  pthread_mutex_init(&c->lock, NULL);
  pthread_cond_init(&c->wake, NULL);
  if (cfg->after_ms == 0)
    return 0;
  rc = pthread_create(&c->thread, NULL, compactor_main, c);
  if (rc != 0)
    return -rc;
  c->started = 1;
  return 0;
}

void core_compactor_stop(struct core_compactor *c) {
  if (!c->started)
    return;
  pthread_mutex_lock(&c->lock);
  __atomic_store_n(&c->stop, 1, __ATOMIC_RELEASE); /* a pass reads it too */
  pthread_cond_signal(&c->wake);
  pthread_mutex_unlock(&c->lock);
  pthread_join(c->thread, NULL);
  c->started = 0;
}

void core_compactor_render(const struct core_compactor *c,
                           struct core_strbuf *out) {
  static const struct {
    const char *name, *type, *help;
    size_t off;
  } f[] = {
#define F(n, t, h, field) {n, t, h, offsetof(struct core_compactor_stats, field)}
      F("sluice_compaction_passes_total", "counter",
        "Compacted segments written by background compaction.", passes),
      F("sluice_compaction_failures_total", "counter",
        "Background compaction rounds of a shard that failed (the originals "
        "are kept).", failures),
      F("sluice_compaction_segments_in_total", "counter",
        "Original segments replaced by compacted ones.", segments_in),
      F("sluice_compaction_bytes_in_total", "counter",
        "Bytes of the original segments compacted.", bytes_in),
      F("sluice_compaction_bytes_out_total", "counter",
        "Bytes of the compacted segments written.", bytes_out),
      F("sluice_compaction_points_total", "counter",
        "Points rewritten into compacted segments.", points),
      F("sluice_compaction_skipped_segments_total", "counter",
        "Segments left as written (log blocks, a bad block, over a pass's "
        "bounds).", skipped),
      F("sluice_compaction_last_duration_ms", "gauge",
        "Milliseconds the last shard round that compacted took.",
        last_duration_ms),
      F("sluice_compaction_last_unix_ms", "gauge",
        "When the last compaction ended (ms since the epoch; 0: never).",
        last_round_unix_ms),
#undef F
  };
  for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
    const uint64_t *v =
        (const uint64_t *)(const void *)((const char *)&c->stats + f[i].off);
    core_strbuf_appendf(out, "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64 "\n",
                        f[i].name, f[i].help, f[i].name, f[i].type, f[i].name,
                        core_stat_get(v));
  }
}
