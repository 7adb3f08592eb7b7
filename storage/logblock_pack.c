/*
 * storage/logblock_pack.c - gathering log records from many blocks into
 * one large layout-2 block (see storage/logblock_pack.h).
 */
#include "storage/logblock_pack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/limits.h"
#include "storage/logblock.h"

/* A full pack's stream (fields, string table, text, templates' excess,
 * template table) fits a block, so encoding a pack never fails E2BIG: the
 * worst case, every string raw, of the pack's bounds in core/base/limits.h
 * (raising them to fill 65,536 OTLP records breaks this: perf/RESULTS.md,
 * "Log pack sizes"). */
_Static_assert(STOR_LOGPACK_TEXT_BYTES_MAX +
                       (uint64_t)STOR_LOGBLOCK_RECORDS_MAX *
                           (STOR_LREC_FIELDS_BYTES_MAX +
                            STOR_LOGPACK_ATTRS_A_RECORD *
                                STOR_LATTR_FIELDS_BYTES_MAX) +
                       (uint64_t)STOR_LOGBLOCK_DICT_MAX * 257 +
                       (uint64_t)STOR_LOG2_TPL_MAX * 5 +
                       STOR_LOG2_EXCESS_BYTES_MAX + 1024 <
                   STOR_LOGBLOCK_TEXT_BYTES_MAX,
               "a full pack fits one log block");

void stor_logpack_free(struct stor_logpack *p) {
  free(p->recs);
  free(p->attrs);
  free(p->arena);
  stor_logenc_free(&p->enc);
  memset(p, 0, sizeof(*p));
}

int stor_logpack_init(struct stor_logpack *p, uint32_t records_max) {
  memset(p, 0, sizeof(*p));
  if (records_max == 0)
    records_max = STOR_LOGBLOCK_RECORDS_MAX;
  if (records_max > STOR_LOGBLOCK_RECORDS_MAX)
    return -EINVAL;
  p->records_max = records_max;
  p->attrs_max = records_max * STOR_LOGPACK_ATTRS_A_RECORD <
                         CORE_LOGHEAD_ATTRS_MAX
                     ? CORE_LOGHEAD_ATTRS_MAX
                     : records_max * STOR_LOGPACK_ATTRS_A_RECORD;
  p->arena_cap = STOR_LOGPACK_TEXT_BYTES_MAX;
  p->recs = malloc((size_t)records_max * sizeof(*p->recs));
  p->attrs = malloc((size_t)p->attrs_max * sizeof(*p->attrs));
  p->arena = malloc(p->arena_cap);
  if (!p->recs || !p->attrs || !p->arena ||
      stor_logenc_init(&p->enc, records_max) < 0) {
    stor_logpack_free(p);
    return -ENOMEM;
  }
  stor_logenc_set_layout(&p->enc, STOR_LOG_LAYOUT2);
  stor_logenc_set_level(&p->enc, STOR_LOG2_ZLEVEL_PACK);
  stor_logenc_set_templates(&p->enc, 1);
  return 0;
}

/* s copied into the arena. */
static struct core_syslog_str keep(struct stor_logpack *p,
                                   struct core_syslog_str s) {
  char *d = p->arena + p->arena_len;

  if (s.len == 0)
    return (struct core_syslog_str){"", 0};
  memcpy(d, s.ptr, s.len);
  p->arena_len += s.len;
  return (struct core_syslog_str){d, s.len};
}

/* Key s as kept: the copy prev (the same key of the pack's previous
 * record) when the bytes are the same, else a new copy. Keys repeat from
 * record to record, and one address for them lets the encoder find them
 * by address (struct stor_lkmemo, stor_lpc) instead of hashing and
 * comparing their bytes (perf/RESULTS.md, "Log compaction cost"). *src,
 * when src is set: where the previous record's key came from, in memory
 * constant since (one block being read): the same address needs no
 * compare. Not for values: layout 1, which a pack too wide in time falls
 * back to, tables a value by its address (struct stor_lam), so shared
 * values would change its bytes. */
static struct core_syslog_str keep_key(struct stor_logpack *p,
                                       struct core_syslog_str s,
                                       struct core_syslog_str prev,
                                       const char **src) {
  const char *from = NULL;

  if (src != NULL) {
    from = *src;
    *src = s.ptr;
  }
  if (s.len != 0 && s.len == prev.len &&
      (s.ptr == from || memcmp(s.ptr, prev.ptr, s.len) == 0))
    return prev;
  return keep(p, s);
}

/* stor_logpack_add; src: the source addresses of the previous record's
 * keys (by struct stor_lkmemo position), or NULL. */
static int add(struct stor_logpack *p, const struct stor_log_rec *r,
               const char **src) {
  struct core_syslog_attr served[CORE_SYSLOG_SD_ATTRS_MAX];
  char otel_text[STOR_LOTEL_TEXT_BYTES_MAX];
  static const struct stor_log_rec none;
  static const struct core_syslog_attr no_attr;
  struct stor_log_rec plain;
  size_t text;
  struct stor_log_rec *d;
  const struct stor_log_rec *prev;

  if (r->otel.has) { /* layout 2 holds them as the attributes served */
    plain = *r;
    if (stor_log_otel_serve(&plain, served, CORE_SYSLOG_SD_ATTRS_MAX,
                            otel_text) < 0)
      return -EINVAL;
    r = &plain;
  }
  text = stor_logblock_rec_text_bytes(r);
  if (r->facility > 23 || r->severity > 7 ||
      r->attr_count > CORE_SYSLOG_SD_ATTRS_MAX)
    return -EINVAL;
  /* the arena holds every string once: text (which counts them with
   * their varints) bounds it */
  if (p->count == p->records_max ||
      p->attr_count + r->attr_count > p->attrs_max ||
      p->text_bytes + text > STOR_LOGPACK_TEXT_BYTES_MAX)
    return -ENOSPC;
  d = &p->recs[p->count++];
  prev = p->count > p->blk0 + 1 ? d - 1 : &none;
  *d = *r;
  d->keys_prev = 0; /* the pack's order is its own: the encoder compares */
  d->host = keep_key(p, r->host, prev->host, src ? &src[0] : NULL);
  d->app = keep_key(p, r->app, prev->app, src ? &src[1] : NULL);
  d->procid = keep_key(p, r->procid, prev->procid, src ? &src[2] : NULL);
  d->msgid = keep_key(p, r->msgid, prev->msgid, src ? &src[3] : NULL);
  d->msg = keep(p, r->msg);
  d->attrs = &p->attrs[p->attr_count];
  for (uint32_t i = 0; i < r->attr_count; i++) {
    struct core_syslog_attr *a = &p->attrs[p->attr_count++];
    const struct core_syslog_attr *pa =
        i < prev->attr_count ? &prev->attrs[i] : &no_attr;
    const char **k = src ? &src[STOR_LKMEMO_ATTR0 + 2 * i] : NULL;
    a->sdid = keep_key(p, r->attrs[i].sdid, pa->sdid, k);
    a->name = keep_key(p, r->attrs[i].name, pa->name, k ? k + 1 : NULL);
    a->value = keep(p, r->attrs[i].value);
  }
  p->text_bytes += text;
  return 0;
}

/* A block's records moved to the front are not kept unless the block is
 * added again next: a block goes whole into one pack. */
static void settle(struct stor_logpack *p) {
  if (p->rest.state == STOR_LPREST_MOVED) {
    p->count = 0;
    p->attr_count = 0;
    p->arena_len = 0;
    p->text_bytes = 0;
  }
  p->rest.state = STOR_LPREST_NONE;
}

int stor_logpack_add(struct stor_logpack *p, const struct stor_log_rec *r) {
  settle(p);
  p->blk0 = 0;
  return add(p, r, NULL);
}

/* The records read so far of the block being added, and the pack's ends
 * before it (struct stor_logpack_rest). */
static void rest_mark(struct stor_logpack *p, const struct stor_logdec *dec,
                      const uint8_t *block, size_t len) {
  struct stor_logpack_rest *k = &p->rest;

  k->block = block;
  k->len = len;
  k->dec = dec;
  k->count0 = p->count;
  k->attr0 = p->attr_count;
  k->arena0 = p->arena_len;
  k->text0 = p->text_bytes;
  p->blk0 = p->count;
}

/* Back to the pack's ends before the block; 1 when they were kept. */
static int rest_keep(struct stor_logpack *p, int kept) {
  struct stor_logpack_rest *k = &p->rest;

  k->count = p->count;
  k->attr_count = p->attr_count;
  k->arena_len = p->arena_len;
  k->text_bytes = p->text_bytes;
  k->state = kept ? STOR_LPREST_KEPT : STOR_LPREST_NONE;
  p->count = k->count0;
  p->attr_count = k->attr0;
  p->arena_len = k->arena0;
  p->text_bytes = k->text0;
  return kept;
}

static struct core_syslog_str rebase(struct core_syslog_str s, uintptr_t lo,
                                     uintptr_t hi, size_t by) {
  if ((uintptr_t)s.ptr >= lo && (uintptr_t)s.ptr < hi)
    s.ptr -= by;
  return s;
}

/* The kept records of a block to the front of the emptied pack. */
static void rest_to_front(struct stor_logpack *p) {
  struct stor_logpack_rest *k = &p->rest;
  uint32_t n = k->count - k->count0, na = k->attr_count - k->attr0;
  size_t nt = k->arena_len - k->arena0, by = k->arena0;
  uintptr_t lo = (uintptr_t)(p->arena + by), hi = lo + nt;

  memmove(p->recs, p->recs + k->count0, n * sizeof(*p->recs));
  memmove(p->attrs, p->attrs + k->attr0, na * sizeof(*p->attrs));
  memmove(p->arena, p->arena + by, nt);
  for (uint32_t i = 0; i < n; i++) {
    struct stor_log_rec *d = &p->recs[i];
    d->attrs = p->attrs + (d->attrs - p->attrs - k->attr0);
    d->host = rebase(d->host, lo, hi, by);
    d->app = rebase(d->app, lo, hi, by);
    d->procid = rebase(d->procid, lo, hi, by);
    d->msgid = rebase(d->msgid, lo, hi, by);
    d->msg = rebase(d->msg, lo, hi, by);
  }
  for (uint32_t i = 0; i < na; i++) {
    struct core_syslog_attr *a = &p->attrs[i];
    a->sdid = rebase(a->sdid, lo, hi, by);
    a->name = rebase(a->name, lo, hi, by);
    a->value = rebase(a->value, lo, hi, by);
  }
  p->count = n;
  p->attr_count = na;
  p->arena_len = nt;
  p->text_bytes = k->text_bytes - k->text0;
  k->count0 = k->attr0 = 0;
  k->arena0 = k->text0 = 0;
  p->blk0 = 0;
  k->state = STOR_LPREST_MOVED;
}

int stor_logpack_add_block(struct stor_logpack *p, struct stor_logdec *dec,
                           const uint8_t *block, size_t len) {
  struct stor_logpack_rest *k = &p->rest;
  int rc = 0;

  if (k->state == STOR_LPREST_MOVED && k->block == block && k->len == len &&
      k->dec == dec) { /* go on: the record that had no room first */
    k->state = STOR_LPREST_NONE;
    rc = add(p, &k->r, p->ksrc);
  } else {
    settle(p);
    rest_mark(p, dec, block, len);
    if (stor_logblock_reader_init(&k->rd, dec, block, len) < 0)
      return -EBADMSG;
    memset(p->ksrc, 0, sizeof(p->ksrc)); /* addresses of another block */
  }
  while (rc == 0 && (rc = stor_logblock_next(&k->rd, &k->r, p->rd_attrs,
                                             CORE_SYSLOG_SD_ATTRS_MAX)) == 1)
    rc = add(p, &k->r, p->ksrc);
  if (rc == 0)
    return 0;
  /* the block goes whole into one pack or not at all: what was read is
   * kept past the end for the next pack (rest_to_front) */
  if (rest_keep(p, rc == -ENOSPC && k->count0 > 0))
    return -ENOSPC;
  return rc == -ENOSPC ? -E2BIG : -EBADMSG;
}

size_t stor_logpack_bytes_max(const struct stor_logpack *p) {
  return stor_logblock_bytes_max(p->count, p->attr_count, p->text_bytes);
}

long stor_logpack_encode(struct stor_logpack *p, uint16_t shard, uint64_t seq,
                         uint8_t *out, size_t cap) {
  long n;

  if (p->rest.state == STOR_LPREST_MOVED)
    settle(p); /* encoded again before the block was added again */
  if (p->count == 0)
    return 0;
  n = stor_logblock_encode(&p->enc, shard, seq, p->recs, p->count, out, cap);
  if (n < 0)
    return n;
  p->count = 0;
  p->attr_count = 0;
  p->arena_len = 0;
  p->text_bytes = 0;
  if (p->rest.state == STOR_LPREST_KEPT)
    rest_to_front(p);
  return n;
}
