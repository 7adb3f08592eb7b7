/*
 * core/cmd/flush.c - flush requests coalesced into rounds (flush_types.h).
 */
#include "core/cmd/flush.h"

#include <errno.h>
#include <inttypes.h>

#include "core/base/limits.h"
#include "core/base/stat.h"

uint64_t core_flush_ticket(struct core_flush *f) {
  uint64_t t = f->started + 1;

  if (t > f->asked)
    f->asked = t;
  core_stat_add(&f->requests, 1);
  return t;
}

static void finish(struct core_flush *f, int rc) {
  f->done = f->started;
  if (rc < 0) {
    f->bad_round = f->started;
    f->bad_rc = rc;
  }
}

static void advance(struct core_flush *f, int64_t now_ms,
                    const struct core_flush_ops *ops) {
  if (f->started > f->done) {
    int failed = 0;
    if (ops->answered(ops->ctx, f->started, &failed))
      finish(f, failed ? -EIO : 0);
    else if (now_ms - f->started_ms >= CORE_FLUSH_ROUND_TIMEOUT_MS)
      finish(f, -ETIMEDOUT);
  }
  if (f->started == f->done && f->asked > f->started &&
      (f->started == 0 ||
       now_ms - f->started_ms >= CORE_FLUSH_ROUND_GAP_MS)) {
    f->started++;
    f->started_ms = now_ms;
    core_stat_add(&f->rounds, 1);
    ops->start(ops->ctx, f->started);
  }
}

int core_flush_poll(struct core_flush *f, uint64_t ticket, int64_t now_ms,
                    const struct core_flush_ops *ops) {
  advance(f, now_ms, ops);
  if (ticket > f->done)
    return -EINPROGRESS;
  return f->bad_round >= ticket ? f->bad_rc : 0;
}

void core_flush_render(const struct core_flush *f, struct core_strbuf *out) {
  core_strbuf_appendf(
      out,
      "# HELP sluice_flush_requests_total POST /api/v1/flush requests.\n"
      "# TYPE sluice_flush_requests_total counter\n"
      "sluice_flush_requests_total %" PRIu64 "\n"
      "# HELP sluice_flush_rounds_total Flush rounds (every shard seals and "
      "fsyncs once) that served them.\n"
      "# TYPE sluice_flush_rounds_total counter\n"
      "sluice_flush_rounds_total %" PRIu64 "\n",
      core_stat_get(&f->requests), core_stat_get(&f->rounds));
}
