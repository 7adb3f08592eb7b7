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

void core_loghead_seal(struct core_loghead *h) {
  if (h->count == 0)
    return;
  if (h->sink != NULL)
    h->sink(h, h->sink_ctx);
  h->sealed_blocks++;
  h->sealed_records += h->count;
  h->count = 0;
  h->attr_count = 0;
  h->arena_len = 0;
  h->text_bytes = 0;
  h->opened_ms = 0;
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
