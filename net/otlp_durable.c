/*
 * net/otlp_durable.c - requests waiting for their fsync, shared by the
 * OTLP/HTTP and OTLP/gRPC listeners (see net/otlp_durable.h).
 *
 * The table is small (a few hundred entries) and scanned whole per
 * generation: a pass of the shard loop commits at most one generation
 * per listener, and answers arrive at the fsync rate.
 */
#include "net/otlp_durable.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/base/assert.h"
#include "core/base/heap.h"
#include "core/base/limits.h"
#include "core/base/stat.h"

int net_otlp_durable_init(struct net_otlp_durable *d,
                          const struct net_otlp_durable_cfg *cfg) {
  size_t n = sizeof(*d->waits) * cfg->waits_max;
  void *p;

  memset(d, 0, sizeof(*d));
  ASSERT(cfg->waits_max > 0 && cfg->ops.flush && cfg->ops.keeping_up &&
         cfg->reply && cfg->waiting && cfg->flushes);
  p = core_map_bytes(n);
  if (p == NULL)
    return -ENOMEM;
  d->cfg = *cfg;
  d->waits = p;
  d->keeping_up = -1;
  return 0;
}

void net_otlp_durable_free(struct net_otlp_durable *d) {
  core_unmap_bytes(d->waits, sizeof(*d->waits) * d->cfg.waits_max);
  d->waits = NULL;
  d->waiting = d->uncommitted = d->flushes_inflight = 0;
}

enum net_otlp_admit net_otlp_durable_admit(struct net_otlp_durable *d) {
  if (d->waiting >= d->cfg.waits_max)
    return NET_OTLP_ADMIT_FULL;
  if (d->keeping_up < 0)
    d->keeping_up = d->cfg.ops.keeping_up(d->cfg.ops.ctx) ? 1 : 0;
  return d->keeping_up ? NET_OTLP_ADMIT_OK : NET_OTLP_ADMIT_BEHIND;
}

static void set_waiting(struct net_otlp_durable *d) {
  core_stat_set(d->cfg.waiting, d->waiting);
}

int net_otlp_durable_add(struct net_otlp_durable *d, uint32_t slot,
                         int32_t stream, uint8_t sig, uint64_t rejected,
                         const char *message) {
  struct net_otlp_wait *w = NULL;

  for (uint32_t i = 0; w == NULL && i < d->cfg.waits_max; i++)
    if (!d->waits[i].in_use)
      w = &d->waits[i];
  if (w == NULL)
    return -ENOSPC;
  *w = (struct net_otlp_wait){.in_use = 1, .sig = sig, .slot = slot,
                              .stream = stream, .rejected = rejected};
  snprintf(w->message, sizeof(w->message), "%s", message ? message : "");
  d->waiting++;
  d->uncommitted++;
  set_waiting(d);
  return 0;
}

/* Free entry w; its copy is what the reply callback gets. */
static void take(struct net_otlp_durable *d, struct net_otlp_wait *w) {
  ASSERT(w->in_use && d->waiting > 0);
  w->in_use = 0;
  d->waiting--;
  if (w->gen == 0)
    d->uncommitted--;
  set_waiting(d);
}

void net_otlp_durable_drop_slot(struct net_otlp_durable *d, uint32_t slot) {
  for (uint32_t i = 0; d->waiting > 0 && i < d->cfg.waits_max; i++)
    if (d->waits[i].in_use && d->waits[i].slot == slot)
      take(d, &d->waits[i]);
}

/* Reply to every wait of generation gen (every wait left: gen ~0). The
 * entry is freed before the callback, which may close connections. */
static void reply_gen(struct net_otlp_durable *d, uint64_t gen, int failed) {
  for (uint32_t i = 0; d->waiting > 0 && i < d->cfg.waits_max; i++) {
    struct net_otlp_wait w = d->waits[i];

    if (!w.in_use || (gen != UINT64_MAX && w.gen != gen))
      continue;
    take(d, &d->waits[i]);
    d->cfg.reply(d->cfg.reply_ctx, &w, failed);
  }
}

/* Move every wait of generation from to generation to; returns how many. */
static uint32_t mark(struct net_otlp_durable *d, uint64_t from, uint64_t to) {
  uint32_t n = 0;

  for (uint32_t i = 0; i < d->cfg.waits_max; i++)
    if (d->waits[i].in_use && d->waits[i].gen == from) {
      d->waits[i].gen = to;
      n++;
    }
  return n;
}

void net_otlp_durable_commit(struct net_otlp_durable *d) {
  uint64_t gen;
  int rc;

  d->keeping_up = -1; /* a new pass: ask the writer again */
  if (d->uncommitted == 0 || d->flushes_inflight >= NET_OTLP_HTTP_FLUSHES_MAX)
    return;
  gen = d->cfg.gen_flag | ++d->next_gen;
  mark(d, 0, gen);
  d->uncommitted = 0;
  d->flushes_inflight++;
  core_stat_add(d->cfg.flushes, 1);
  rc = d->cfg.ops.flush(d->cfg.ops.ctx, gen); /* may answer from inside */
  if (rc == 1) {
    d->flushes_inflight--;
    reply_gen(d, gen, 0);
  } else if (rc < 0) { /* the writer's waits are full: next pass */
    d->flushes_inflight--;
    d->uncommitted += mark(d, gen, 0);
  }
}

void net_otlp_durable_answer(struct net_otlp_durable *d, uint64_t gen,
                             int failed) {
  if (d->waits == NULL)
    return;
  if (d->flushes_inflight > 0)
    d->flushes_inflight--;
  reply_gen(d, gen, failed);
}

void net_otlp_durable_finish(struct net_otlp_durable *d, int lost) {
  if (d->waits == NULL)
    return;
  reply_gen(d, UINT64_MAX, lost);
  d->flushes_inflight = 0;
}
