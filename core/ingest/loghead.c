/*
 * core/ingest/loghead.c - the open log block.
 *
 * A parsed record points into the receive buffer (and, for SD values that
 * held escapes, into the parser's scratch), both reused for the next
 * message; the head copies the raw message once into its arena and moves
 * every pointer there, so a record costs one memcpy and no allocation.
 */
#include "core/ingest/loghead.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "core/base/assert.h"
#include "core/base/limits.h"
#include "storage/logblock.h"

static size_t recs_bytes(void) {
  return sizeof(struct stor_log_rec) * CORE_LOGHEAD_RECORDS_MAX;
}

static size_t attrs_bytes(void) {
  return sizeof(struct core_syslog_attr) * CORE_LOGHEAD_ATTRS_MAX;
}

static void *map(size_t n) {
  void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

int core_loghead_init(struct core_loghead *h, core_loghead_sink_fn sink,
                      void *ctx) {
  memset(h, 0, sizeof(*h));
  h->recs = map(recs_bytes());
  h->attrs = map(attrs_bytes());
  h->arena = map(CORE_LOGHEAD_ARENA_BYTES);
  if (!h->recs || !h->attrs || !h->arena) {
    core_loghead_free(h);
    return -ENOMEM;
  }
  h->sink = sink;
  h->sink_ctx = ctx;
  return 0;
}

void core_loghead_free(struct core_loghead *h) {
  if (h->recs)
    munmap(h->recs, recs_bytes());
  if (h->attrs)
    munmap(h->attrs, attrs_bytes());
  if (h->arena)
    munmap(h->arena, CORE_LOGHEAD_ARENA_BYTES);
  memset(h, 0, sizeof(*h));
}

void core_loghead_set_encoder(struct core_loghead *h, struct stor_logenc *enc) {
  ASSERT(h->count == 0);
  h->enc = enc;
  h->enc_on = 0;
  h->enc_done = 0;
}

/* Records [enc_done, upto) (kept: appended or committed) into the
 * encoder's block, which the first record opens (with the OTLP column
 * when that record has binary OTLP fields, as the whole-block encoder
 * decides for blocks of one kind). A record the block cannot take turns
 * the building off until the seal: the sink encodes h->recs then, as
 * without an encoder. */
static void enc_catch_up(struct core_loghead *h, uint32_t upto) {
  if (h->enc == NULL || upto <= h->enc_done)
    return;
  if (h->enc_done == 0) {
    stor_logenc_open(h->enc, h->recs[0].otel.has != 0);
    h->enc_on = 1;
  }
  if (h->enc_on && stor_logenc_add_n(h->enc, h->recs + h->enc_done,
                                     upto - h->enc_done) < 0)
    h->enc_on = 0;
  h->enc_done = upto;
}

void core_loghead_seal(struct core_loghead *h) {
  if (h->count == 0)
    return;
  enc_catch_up(h, h->count);
  ASSERT(!h->enc_on || stor_logenc_count(h->enc) == h->count);
  if (h->sink != NULL)
    h->sink(h, h->sink_ctx);
  h->sealed_blocks++;
  h->sealed_records += h->count;
  h->count = 0;
  h->attr_count = 0;
  h->arena_len = 0;
  h->text_bytes = 0;
  h->opened_ms = 0;
  h->enc_on = 0;
  h->enc_done = 0;
  h->moves++;
}

void core_loghead_tick(struct core_loghead *h, int64_t now_ms,
                       int64_t max_age_ms) {
  if (h->count == 0)
    return;
  if (now_ms - h->opened_ms >= max_age_ms || now_ms < h->opened_ms)
    core_loghead_seal(h);
}

static int inside(const struct core_syslog_str *s,
                  const struct core_syslog_str *raw) {
  return s->len == 0 ||
         (s->ptr >= raw->ptr && s->ptr + s->len <= raw->ptr + raw->len);
}

/* Arena bytes the record needs: its raw text, and SD values held elsewhere. */
static size_t arena_need(const struct core_syslog_rec *rec) {
  size_t n = rec->raw.len;

  for (uint32_t i = 0; i < rec->attr_count; i++)
    if (!inside(&rec->attrs[i].value, &rec->raw))
      n += rec->attrs[i].value.len;
  return n;
}

/* A string of the raw message, moved to the raw text's copy at base. */
static struct core_syslog_str rebase(struct core_syslog_str s,
                                     const struct core_syslog_str *raw,
                                     const char *base) {
  if (s.len == 0)
    return (struct core_syslog_str){NULL, 0};
  ASSERT(inside(&s, raw));
  return (struct core_syslog_str){base + (s.ptr - raw->ptr), s.len};
}

static struct core_syslog_str copy_out(struct core_loghead *h,
                                       struct core_syslog_str s) {
  char *dst = h->arena + h->arena_len;

  memcpy(dst, s.ptr, s.len);
  h->arena_len += s.len;
  return (struct core_syslog_str){dst, s.len};
}

static void copy_attrs(struct core_loghead *h, const struct core_syslog_rec *rec,
                       const char *base) {
  const struct core_syslog_str *raw = &rec->raw;

  for (uint32_t i = 0; i < rec->attr_count; i++) {
    const struct core_syslog_attr *a = &rec->attrs[i];
    struct core_syslog_attr *d = &h->attrs[h->attr_count + i];
    d->sdid = rebase(a->sdid, raw, base);
    d->name = rebase(a->name, raw, base);
    d->value = inside(&a->value, raw) ? rebase(a->value, raw, base)
                                      : copy_out(h, a->value);
  }
}

/* The record as the encoder sees it, still pointing at the caller's bytes. */
static struct stor_log_rec as_stored(const struct core_syslog_rec *rec,
                                     int64_t recv_ms) {
  return (struct stor_log_rec){
      .time_ns = rec->time_ns, .recv_ms = recv_ms,
      .facility = rec->facility, .severity = rec->severity,
      .flags = rec->flags, .host = rec->hostname, .app = rec->app_name,
      .procid = rec->procid, .msgid = rec->msgid, .msg = rec->msg,
      .attr_count = rec->attr_count, .attrs = rec->attrs};
}

static int fits(const struct core_loghead *h, size_t arena, uint32_t attrs,
                size_t text) {
  return h->count < CORE_LOGHEAD_RECORDS_MAX &&
         h->attr_count + attrs <= CORE_LOGHEAD_ATTRS_MAX &&
         h->arena_len + arena <= CORE_LOGHEAD_ARENA_BYTES &&
         h->text_bytes + text <= CORE_LOGHEAD_TEXT_BYTES_MAX;
}

void core_loghead_append(struct core_loghead *h,
                         const struct core_syslog_rec *rec, int64_t recv_ms) {
  struct stor_log_rec r = as_stored(rec, recv_ms);
  size_t need = arena_need(rec), text = stor_logblock_rec_text_bytes(&r);
  const struct core_syslog_str *raw = &rec->raw;
  char *base;

  if (!fits(h, need, rec->attr_count, text))
    core_loghead_seal(h);
  ASSERT(fits(h, need, rec->attr_count, text));
  if (h->count == 0)
    h->opened_ms = recv_ms;
  base = h->arena + h->arena_len;
  memcpy(base, raw->ptr, raw->len);
  h->arena_len += raw->len;
  r.host = rebase(r.host, raw, base);
  r.app = rebase(r.app, raw, base);
  r.procid = rebase(r.procid, raw, base);
  r.msgid = rebase(r.msgid, raw, base);
  r.msg = rebase(r.msg, raw, base);
  copy_attrs(h, rec, base);
  r.attrs = &h->attrs[h->attr_count];
  h->attr_count += rec->attr_count;
  h->text_bytes += text;
  h->recs[h->count++] = r;
}

/* ---- records written in place ------------------------------------------ */

void core_loghead_begin(struct core_loghead *h) {
  h->req_count = h->count;
  h->req_attrs = h->attr_count;
  h->req_arena = h->arena_len;
  h->req_text = h->text_bytes;
  /* the records kept so far (a commit's, syslog's) into the encoder's
   * block while they are warm: a request's records once, all or none */
  enc_catch_up(h, h->count);
}

void core_loghead_commit(struct core_loghead *h) { core_loghead_begin(h); }

void core_loghead_rollback(struct core_loghead *h) {
  ASSERT(h->enc_done <= h->req_count); /* none of the request's encoded */
  h->count = h->req_count;
  h->attr_count = h->req_attrs;
  h->arena_len = h->req_arena;
  h->text_bytes = h->req_text;
  if (h->count == 0)
    h->opened_ms = 0;
  h->moves++;
}

int core_loghead_room(const struct core_loghead *h, uint32_t attrs) {
  return fits(h, 0, attrs, 0) ? 0 : -ENOSPC;
}

int core_loghead_put(struct core_loghead *h, const struct stor_log_rec *r,
                     size_t arena_used, int64_t recv_ms) {
  return core_loghead_put_text(h, r, arena_used,
                               stor_logblock_rec_text_bytes(r), recv_ms);
}

int core_loghead_put_text(struct core_loghead *h, const struct stor_log_rec *r,
                          size_t arena_used, size_t text, int64_t recv_ms) {
  struct stor_log_rec *d = &h->recs[h->count];

  ASSERT(r->attrs == h->attrs + h->attr_count || r->attr_count == 0);
  ASSERT(arena_used <= CORE_LOGHEAD_ARENA_BYTES - h->arena_len);
#ifndef NDEBUG /* the caller's count (debug builds: the tests check it) */
  ASSERT(text == stor_logblock_rec_text_bytes(r));
#endif
  if (!fits(h, arena_used, r->attr_count, text))
    return -ENOSPC;
  if (h->count == 0)
    h->opened_ms = recv_ms;
  if (r != d) /* a record built in its slot (core_loghead_slot) stays */
    *d = *r;
  d->recv_ms = recv_ms;
  d->attrs = h->attrs + h->attr_count;
  h->count++;
  h->attr_count += r->attr_count;
  h->arena_len += arena_used;
  h->text_bytes += text;
  return 0;
}

/* s moved down by off when it lies in the arena's moved bytes [lo, hi). */
static void shift(struct core_syslog_str *s, const char *lo, const char *hi,
                  size_t off) {
  if (s->len != 0 && s->ptr >= lo && s->ptr < hi)
    s->ptr -= off;
}

static void shift_rec(struct stor_log_rec *r, const char *lo, const char *hi,
                      size_t off) {
  shift(&r->host, lo, hi, off);
  shift(&r->app, lo, hi, off);
  shift(&r->procid, lo, hi, off);
  shift(&r->msgid, lo, hi, off);
  shift(&r->msg, lo, hi, off);
}

int core_loghead_make_room(struct core_loghead *h) {
  uint32_t n = h->count - h->req_count, na = h->attr_count - h->req_attrs;
  uint32_t a0 = h->req_attrs, r0 = h->req_count;
  size_t b0 = h->req_arena, nb = h->arena_len - b0, nt = h->text_bytes - h->req_text;
  const char *lo = h->arena + b0, *hi = lo + nb;

  if (r0 == 0)
    return -ENOSPC;
  ASSERT(h->enc_done <= r0);
  h->count = r0;
  h->attr_count = a0;
  h->arena_len = b0;
  h->text_bytes = h->req_text;
  core_loghead_seal(h);
  memmove(h->recs, h->recs + r0, n * sizeof(*h->recs));
  memmove(h->attrs, h->attrs + a0, na * sizeof(*h->attrs));
  memmove(h->arena, h->arena + b0, nb);
  for (uint32_t i = 0; i < n; i++) {
    shift_rec(&h->recs[i], lo, hi, b0);
    h->recs[i].attrs -= a0;
  }
  for (uint32_t i = 0; i < na; i++) {
    shift(&h->attrs[i].sdid, lo, hi, b0);
    shift(&h->attrs[i].name, lo, hi, b0);
    shift(&h->attrs[i].value, lo, hi, b0);
  }
  h->count = n;
  h->attr_count = na;
  h->arena_len = nb;
  h->text_bytes = nt;
  h->opened_ms = n ? h->recs[0].recv_ms : 0;
  h->req_count = h->req_attrs = 0;
  h->req_arena = h->req_text = 0;
  h->moves++;
  return 0;
}
