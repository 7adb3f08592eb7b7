/*
 * storage/spanblock.c - span blocks (kind 3): trace table and span ids
 * raw, string table, field sub-columns and inline text deflated as one
 * stream (docs/segment-format.md, "Span blocks").
 *
 * The reader trusts nothing: header fields are bounded, the CRC is
 * checked before any column is read, inflate writes exactly the header's
 * U bytes, every count is held to the bound of the scratch it fills and
 * every ref and length to what remains.
 */
#include "storage/spanblock.h"

#include <errno.h>
#include <isa-l/igzip_lib.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/assert.h"
#include "core/base/limits.h"
#include "storage/block.h"
#include "storage/encode.h"
#include "storage/zcol.h"

#define V STOR_VARINT_BYTES_MAX
/* Worst-case sub-column bytes: a span's fixed fields, then what each
 * attribute, event, link and resource adds to its column. */
#define SPAN_FIELDS_MAX (V + (1 + STOR_SPAN_ID_BYTES) + 2 * V + 3 * V + \
                         3 * V + V + 3 * V)
#define ATTR_FIELDS_MAX (V + 1 + V)   /* key ref, type, value (ref, svarint
                                         or 8 bytes) */
#define EVENT_FIELDS_MAX (2 * V + V)  /* time, name, attribute count */
#define LINK_FIELDS_MAX (STOR_TRACE_ID_BYTES + STOR_SPAN_ID_BYTES + 3 * V)
#define RES_FIELDS_MAX (3 * V)
/* Smallest a span can take in the fields: one byte a sub-column entry. */
#define SPAN_FIELDS_MIN 13
#define LENGTHS_MAX (STOR_SCOLS * V)
/* Strings a full head may hold (each with a length varint in the text). */
#define HEAD_STRINGS_MAX                                                   \
  (3ull * CORE_SPANHEAD_SPANS_MAX + 2ull * CORE_SPANHEAD_ATTRS_MAX +       \
   CORE_SPANHEAD_EVENTS_MAX + CORE_SPANHEAD_LINKS_MAX +                    \
   2ull * CORE_SPANHEAD_RESOURCES_MAX + 2ull * CORE_SPANHEAD_RES_ATTRS_MAX)

static struct stor_zstr zs(struct core_otlp_str s) {
  return (struct stor_zstr){s.ptr, s.len};
}

/* ---- encoder scratch ------------------------------------------------------- */

void stor_spanenc_free(struct stor_spanenc *e) {
  stor_ztab_free(&e->tab);
  stor_ztab_free(&e->traces);
  stor_ztab_free(&e->ids);
  free(e->id_span);
  free(e->col[0]);
  free(e->text);
  free(e->stream);
  stor_zdeflate_free(&e->z);
  memset(e, 0, sizeof(*e));
}

/* Column sizes for blocks within the span head's bounds. */
static void col_caps(struct stor_spanenc *e, size_t n) {
  size_t attrs = (size_t)CORE_SPANHEAD_ATTRS_MAX * ATTR_FIELDS_MAX;

  for (int c = 0; c < STOR_SCOLS; c++)
    e->col_cap[c] = n * 3 * V;
  e->col_cap[STOR_SCOL_PARENT] = n * (V + STOR_SPAN_ID_BYTES);
  e->col_cap[STOR_SCOL_ATTRS] += attrs;
  e->col_cap[STOR_SCOL_EVENTS] +=
      (size_t)CORE_SPANHEAD_EVENTS_MAX * EVENT_FIELDS_MAX + attrs;
  e->col_cap[STOR_SCOL_LINKS] +=
      (size_t)CORE_SPANHEAD_LINKS_MAX * LINK_FIELDS_MAX + attrs;
  e->col_cap[STOR_SCOL_RESOURCES] =
      V + (size_t)CORE_SPANHEAD_RESOURCES_MAX * RES_FIELDS_MAX +
      (size_t)CORE_SPANHEAD_RES_ATTRS_MAX * ATTR_FIELDS_MAX;
}

int stor_spanenc_init(struct stor_spanenc *e, uint32_t spans_max) {
  size_t all = 0;
  int rc;

  memset(e, 0, sizeof(*e));
  if (spans_max == 0 || spans_max > CORE_SPANHEAD_SPANS_MAX)
    return -EINVAL;
  e->spans_max = spans_max;
  col_caps(e, spans_max);
  for (int c = 0; c < STOR_SCOLS; c++)
    all += e->col_cap[c];
  if ((rc = stor_ztab_init(&e->tab, STOR_SPANBLOCK_DICT_MAX,
                           STOR_SPANBLOCK_DICT_STR_BYTES_MAX)) < 0 ||
      (rc = stor_ztab_init(&e->traces, spans_max, STOR_TRACE_ID_BYTES)) < 0 ||
      (rc = stor_ztab_init(&e->ids, spans_max, STOR_SPAN_ID_BYTES)) < 0 ||
      (rc = stor_zdeflate_init(&e->z)) < 0)
    goto fail;
  e->id_span = malloc(spans_max * sizeof(*e->id_span));
  e->col[0] = malloc(all);
  e->text = malloc(STOR_SPANBLOCK_TEXT_BYTES_MAX);
  e->stream = malloc(STOR_SPANBLOCK_TEXT_BYTES_MAX);
  rc = -ENOMEM;
  if (!e->id_span || !e->col[0] || !e->text || !e->stream)
    goto fail;
  for (int c = 1; c < STOR_SCOLS; c++)
    e->col[c] = e->col[c - 1] + e->col_cap[c - 1];
  return 0;
fail:
  stor_spanenc_free(e);
  return rc;
}

size_t stor_spanblock_bytes_max(void) {
  size_t n = CORE_SPANHEAD_SPANS_MAX;
  size_t cols = LENGTHS_MAX + n * SPAN_FIELDS_MAX +
                (size_t)CORE_SPANHEAD_ATTRS_MAX * ATTR_FIELDS_MAX +
                (size_t)CORE_SPANHEAD_EVENTS_MAX * EVENT_FIELDS_MAX +
                (size_t)CORE_SPANHEAD_LINKS_MAX * LINK_FIELDS_MAX +
                V + (size_t)CORE_SPANHEAD_RESOURCES_MAX * RES_FIELDS_MAX +
                (size_t)CORE_SPANHEAD_RES_ATTRS_MAX * ATTR_FIELDS_MAX;
  size_t text = CORE_SPANHEAD_ARENA_BYTES + HEAD_STRINGS_MAX * 5;
  size_t dict = (size_t)STOR_SPANBLOCK_DICT_MAX *
                (2 + STOR_SPANBLOCK_DICT_STR_BYTES_MAX);

  return STOR_BLOCK_HEADER_BYTES +
         n * (STOR_TRACE_ID_BYTES + STOR_SPAN_ID_BYTES) +
         STOR_ZBOUND(dict + cols + text);
}

/* ---- encoder: fields ---------------------------------------------------------- */

static void put_varint(struct stor_spanenc *e, int c, uint64_t v) {
  e->col_len[c] += stor_varint_put(e->col[c] + e->col_len[c], v);
}

static void put_raw(struct stor_spanenc *e, int c, const void *p, size_t n) {
  memcpy(e->col[c] + e->col_len[c], p, n);
  e->col_len[c] += n;
}

/* Append a length and the bytes to the inline text (overflow when full). */
static void put_text(struct stor_spanenc *e, struct core_otlp_str s) {
  if (e->text_len + V + s.len > STOR_SPANBLOCK_TEXT_BYTES_MAX) {
    e->overflow = 1;
    return;
  }
  e->text_len += stor_varint_put(e->text + e->text_len, s.len);
  memcpy(e->text + e->text_len, s.ptr, s.len);
  e->text_len += s.len;
}

/* A string ref; table-coded when dict_max >= its length. */
static void put_ref(struct stor_spanenc *e, int c, struct core_otlp_str s,
                    uint32_t dict_max) {
  long idx = s.len <= dict_max ? stor_ztab_find(&e->tab, zs(s)) : -1;

  if (s.len == 0) {
    put_varint(e, c, STOR_SREF_EMPTY);
  } else if (idx >= 0) {
    put_varint(e, c, STOR_SREF_DICT0 + (uint64_t)idx);
  } else {
    put_varint(e, c, STOR_SREF_INLINE);
    put_text(e, s);
  }
}

static void put_attrs(struct stor_spanenc *e, int c,
                      const struct core_otlp_attrs *a) {
  put_varint(e, c, a->n);
  for (uint32_t i = 0; i < a->n; i++) {
    const struct core_otlp_value *v = &a->v[i].value;
    put_ref(e, c, a->v[i].key, STOR_SPANBLOCK_DICT_STR_BYTES_MAX);
    e->col[c][e->col_len[c]++] = (uint8_t)v->type;
    if (v->type == CORE_OTLP_V_INT) {
      put_varint(e, c, stor_zigzag(v->i));
    } else if (v->type == CORE_OTLP_V_BOOL) {
      e->col[c][e->col_len[c]++] = v->i != 0;
    } else if (v->type == CORE_OTLP_V_DOUBLE) {
      uint64_t bits;
      memcpy(&bits, &v->d, sizeof(bits));
      stor_le_put(e->col[c] + e->col_len[c], bits, 8);
      e->col_len[c] += 8;
    } else if (v->type != CORE_OTLP_V_NONE) {
      put_ref(e, c, v->s,
              v->type == CORE_OTLP_V_STRING ? STOR_SPAN_DICT_VALUE_BYTES_MAX : 0);
    }
  }
}

static void put_parent(struct stor_spanenc *e, const struct stor_span *s) {
  long k;

  if (!s->has_parent) {
    put_varint(e, STOR_SCOL_PARENT, 0);
    return;
  }
  k = stor_ztab_lookup(&e->ids, (struct stor_zstr){(const char *)s->parent_id,
                                                   STOR_SPAN_ID_BYTES});
  if (k >= 0) {
    put_varint(e, STOR_SCOL_PARENT, STOR_SREF_DICT0 + (uint64_t)e->id_span[k]);
    return;
  }
  put_varint(e, STOR_SCOL_PARENT, 1);
  put_raw(e, STOR_SCOL_PARENT, s->parent_id, STOR_SPAN_ID_BYTES);
}

static void put_children(struct stor_spanenc *e, const struct stor_span *s) {
  put_varint(e, STOR_SCOL_EVENTS, s->event_count);
  for (uint32_t i = 0; i < s->event_count; i++) {
    const struct stor_span_event *ev = &s->events[i];
    put_varint(e, STOR_SCOL_EVENTS,
               stor_zigzag((int64_t)((uint64_t)ev->time_ns -
                                     (uint64_t)s->start_ns)));
    put_ref(e, STOR_SCOL_EVENTS, ev->name, STOR_SPANBLOCK_DICT_STR_BYTES_MAX);
    put_attrs(e, STOR_SCOL_EVENTS, &ev->attrs);
  }
  put_varint(e, STOR_SCOL_LINKS, s->link_count);
  for (uint32_t i = 0; i < s->link_count; i++) {
    const struct stor_span_link *l = &s->links[i];
    put_raw(e, STOR_SCOL_LINKS, l->trace_id, STOR_TRACE_ID_BYTES);
    put_raw(e, STOR_SCOL_LINKS, l->span_id, STOR_SPAN_ID_BYTES);
    put_ref(e, STOR_SCOL_LINKS, l->trace_state, 0);
    put_varint(e, STOR_SCOL_LINKS, l->flags);
    put_attrs(e, STOR_SCOL_LINKS, &l->attrs);
  }
}

static void put_span(struct stor_spanenc *e, const struct stor_span *s,
                     const struct stor_span_res *res, int64_t prev_start) {
  long t = stor_ztab_find(&e->traces, (struct stor_zstr){
                                          (const char *)s->trace_id,
                                          STOR_TRACE_ID_BYTES});

  ASSERT(t >= 0); /* the table holds spans_max entries */
  put_varint(e, STOR_SCOL_TRACE, (uint64_t)t);
  put_parent(e, s);
  put_varint(e, STOR_SCOL_START,
             stor_zigzag((int64_t)((uint64_t)s->start_ns - (uint64_t)prev_start)));
  put_varint(e, STOR_SCOL_DUR,
             stor_zigzag((int64_t)((uint64_t)s->end_ns - (uint64_t)s->start_ns)));
  put_varint(e, STOR_SCOL_KIND, s->kind);
  put_varint(e, STOR_SCOL_STATUS, s->status_code);
  put_varint(e, STOR_SCOL_FLAGS, s->flags);
  put_ref(e, STOR_SCOL_NAME, s->name, STOR_SPANBLOCK_DICT_STR_BYTES_MAX);
  put_ref(e, STOR_SCOL_STATUS_MSG, s->status_message,
          STOR_SPAN_DICT_VALUE_BYTES_MAX);
  put_ref(e, STOR_SCOL_STATE, s->trace_state, 0);
  put_varint(e, STOR_SCOL_RES, (uint64_t)(s->res - res));
  put_attrs(e, STOR_SCOL_ATTRS, &s->attrs);
  put_children(e, s);
}

static void put_resources(struct stor_spanenc *e,
                          const struct stor_span_res *res, uint32_t nres) {
  put_varint(e, STOR_SCOL_RESOURCES, nres);
  for (uint32_t i = 0; i < nres; i++) {
    put_ref(e, STOR_SCOL_RESOURCES, res[i].scope_name,
            STOR_SPANBLOCK_DICT_STR_BYTES_MAX);
    put_ref(e, STOR_SCOL_RESOURCES, res[i].scope_version,
            STOR_SPANBLOCK_DICT_STR_BYTES_MAX);
    put_attrs(e, STOR_SCOL_RESOURCES, &res[i].attrs);
  }
}

/* ---- encoder: checks, stream, block ------------------------------------------ */

static uint64_t span_attrs(const struct stor_span *s) {
  uint64_t n = s->attrs.n;

  for (uint32_t i = 0; i < s->event_count; i++)
    n += s->events[i].attrs.n;
  for (uint32_t i = 0; i < s->link_count; i++)
    n += s->links[i].attrs.n;
  return n;
}

static int types_ok(const struct core_otlp_attrs *a) {
  for (uint32_t i = 0; i < a->n; i++)
    if ((unsigned)a->v[i].value.type > CORE_OTLP_V_BYTES)
      return 0;
  return 1;
}

static int span_ok(const struct stor_span *s, const struct stor_span_res *res,
                   uint32_t nres) {
  if (s->res < res || s->res >= res + nres ||
      s->event_count > CORE_SPAN_EVENTS_MAX ||
      s->link_count > CORE_SPAN_LINKS_MAX ||
      span_attrs(s) > CORE_SPAN_ATTRS_MAX || !types_ok(&s->attrs))
    return 0;
  for (uint32_t i = 0; i < s->event_count; i++)
    if (!types_ok(&s->events[i].attrs))
      return 0;
  for (uint32_t i = 0; i < s->link_count; i++)
    if (!types_ok(&s->links[i].attrs))
      return 0;
  return 1;
}

/* Every span and the totals within the bounds the scratch was sized for. */
static int input_ok(const struct stor_span *spans, uint32_t n,
                    const struct stor_span_res *res, uint32_t nres) {
  uint64_t ev = 0, ln = 0, at = 0, rat = 0;

  if (nres > CORE_SPANHEAD_RESOURCES_MAX)
    return 0;
  for (uint32_t i = 0; i < nres; i++) {
    rat += res[i].attrs.n;
    if (!types_ok(&res[i].attrs))
      return 0;
  }
  for (uint32_t i = 0; i < n; i++) {
    if (!span_ok(&spans[i], res, nres))
      return 0;
    ev += spans[i].event_count;
    ln += spans[i].link_count;
    at += span_attrs(&spans[i]);
  }
  return ev <= CORE_SPANHEAD_EVENTS_MAX && ln <= CORE_SPANHEAD_LINKS_MAX &&
         at <= CORE_SPANHEAD_ATTRS_MAX && rat <= CORE_SPANHEAD_RES_ATTRS_MAX;
}

static void reset(struct stor_spanenc *e) {
  stor_ztab_reset(&e->tab);
  stor_ztab_reset(&e->traces);
  stor_ztab_reset(&e->ids);
  memset(e->col_len, 0, sizeof(e->col_len));
  e->text_len = 0;
  e->overflow = 0;
}

/* The stream: string table, sub-column lengths, sub-columns, inline
 * text. */
static int assemble(struct stor_spanenc *e) {
  size_t n = stor_ztab_bytes(&e->tab) + LENGTHS_MAX + e->text_len;
  uint8_t *p = e->stream;

  for (int c = 0; c < STOR_SCOLS; c++)
    n += e->col_len[c];
  if (e->overflow || n > STOR_SPANBLOCK_TEXT_BYTES_MAX)
    return -E2BIG;
  e->dict_len = stor_ztab_put(&e->tab, p);
  p += e->dict_len;
  for (int c = 0; c < STOR_SCOLS; c++)
    p += stor_varint_put(p, e->col_len[c]);
  for (int c = 0; c < STOR_SCOLS; c++) {
    memcpy(p, e->col[c], e->col_len[c]);
    p += e->col_len[c];
  }
  memcpy(p, e->text, e->text_len);
  e->stream_len = (size_t)(p - e->stream) + e->text_len;
  return 0;
}

static int build(struct stor_spanenc *e, const struct stor_span *spans,
                 uint32_t n, const struct stor_span_res *res, uint32_t nres,
                 int64_t min) {
  int64_t prev = min;

  reset(e);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t before = e->ids.count;
    long k = stor_ztab_find(&e->ids, (struct stor_zstr){
                                         (const char *)spans[i].span_id,
                                         STOR_SPAN_ID_BYTES});
    if (e->ids.count > before)
      e->id_span[k] = i; /* the first span with this id */
  }
  put_resources(e, res, nres);
  for (uint32_t i = 0; i < n; i++) {
    put_span(e, &spans[i], res, prev);
    prev = spans[i].start_ns;
  }
  return assemble(e);
}

/* The shared frame, then the span kind's own fields. */
static void put_header(uint8_t *b, uint16_t shard, uint64_t seq, uint32_t n,
                       const struct stor_spanenc *e, int64_t min, int64_t max,
                       size_t payload, size_t z) {
  stor_frame_write(b, &(struct stor_frame){.kind = STOR_KIND_SPANS,
                                           .shard = shard,
                                           .count = n,
                                           .seq = seq,
                                           .min = min,
                                           .max = max,
                                           .payload_bytes = (uint32_t)payload});
  stor_le_put(b + STOR_SHDR_OFF_TEXT_BYTES, e->stream_len, 4);
  stor_le_put(b + STOR_SHDR_OFF_DICT_COUNT, e->tab.count, 4);
  stor_le_put(b + STOR_SHDR_OFF_DICT_BYTES, e->dict_len, 4);
  stor_le_put(b + STOR_SHDR_OFF_TRACES, e->traces.count, 4);
  stor_le_put(b + STOR_SHDR_OFF_ZTEXT_BYTES, z, 4);
}

/* What readers check must hold when written. */
static void assert_written(const uint8_t *b, size_t len, uint32_t n,
                           uint64_t seq) {
  struct stor_spanblock_hdr h;

  ASSERT(stor_spanblock_hdr_read(b, len, &h) == 0);
  ASSERT(h.count == n && h.seq == seq);
  ASSERT(STOR_BLOCK_HEADER_BYTES + (size_t)h.payload_bytes == len);
  ASSERT(stor_block_crc(b, len) == (uint32_t)stor_le_get(b + STOR_HDR_OFF_CRC, 4));
}

/* Trace table and span ids, raw, at p. Returns the bytes. */
static size_t put_ids(const struct stor_spanenc *e, const struct stor_span *s,
                      uint32_t n, uint8_t *p) {
  size_t k = 0;

  for (uint32_t i = 0; i < e->traces.count; i++, k += STOR_TRACE_ID_BYTES)
    memcpy(p + k, e->traces.str[i].ptr, STOR_TRACE_ID_BYTES);
  for (uint32_t i = 0; i < n; i++, k += STOR_SPAN_ID_BYTES)
    memcpy(p + k, s[i].span_id, STOR_SPAN_ID_BYTES);
  return k;
}

long stor_spanblock_encode(struct stor_spanenc *e, uint16_t shard, uint64_t seq,
                           const struct stor_span *spans, uint32_t n,
                           const struct stor_span_res *res, uint32_t nres,
                           uint8_t *out, size_t cap) {
  size_t ids, pos;
  int64_t min, max;
  long z;
  int rc;

  if (n == 0 || n > e->spans_max || seq == 0 || seq > STOR_BLOCK_SEQ_MAX ||
      !input_ok(spans, n, res, nres))
    return -EINVAL;
  min = max = spans[0].start_ns;
  for (uint32_t i = 1; i < n; i++) {
    min = spans[i].start_ns < min ? spans[i].start_ns : min;
    max = spans[i].start_ns > max ? spans[i].start_ns : max;
  }
  if ((rc = build(e, spans, n, res, nres, min)) < 0)
    return rc;
  ids = (size_t)e->traces.count * STOR_TRACE_ID_BYTES +
        (size_t)n * STOR_SPAN_ID_BYTES;
  pos = STOR_BLOCK_HEADER_BYTES + ids;
  if (pos >= cap)
    return -ENOSPC;
  z = stor_zdeflate(&e->z, e->stream, e->stream_len, out + pos, cap - pos);
  if (z < 0)
    return z;
  if (pos + (size_t)z - STOR_BLOCK_HEADER_BYTES > UINT32_MAX)
    return -E2BIG;
  put_ids(e, spans, n, out + STOR_BLOCK_HEADER_BYTES);
  put_header(out, shard, seq, n, e, min, max,
             pos + (size_t)z - STOR_BLOCK_HEADER_BYTES, (size_t)z);
  stor_block_reseal(out, pos + (size_t)z);
  assert_written(out, pos + (size_t)z, n, seq);
  return (long)(pos + (size_t)z);
}

/* ---- decoder scratch ----------------------------------------------------------- */

void stor_spandec_free(struct stor_spandec *d) {
  free(d->text);
  free(d->dict);
  free(d->inf);
  free(d->res);
  free(d->res_attrs);
  free(d->attrs);
  free(d->events);
  free(d->links);
  memset(d, 0, sizeof(*d));
}

int stor_spandec_init(struct stor_spandec *d) {
  memset(d, 0, sizeof(*d));
  d->text = malloc(STOR_SPANBLOCK_TEXT_BYTES_MAX);
  d->dict = malloc(STOR_SPANBLOCK_DICT_MAX * sizeof(*d->dict));
  d->inf = stor_zinflate_new();
  d->res = malloc(STOR_SPANBLOCK_RESOURCES_MAX * sizeof(*d->res));
  d->res_attrs = malloc(STOR_SPANBLOCK_RES_ATTRS_MAX * sizeof(*d->res_attrs));
  d->attrs = malloc(CORE_SPAN_ATTRS_MAX * sizeof(*d->attrs));
  d->events = malloc(CORE_SPAN_EVENTS_MAX * sizeof(*d->events));
  d->links = malloc(CORE_SPAN_LINKS_MAX * sizeof(*d->links));
  if (!d->text || !d->dict || !d->inf || !d->res || !d->res_attrs ||
      !d->attrs || !d->events || !d->links) {
    stor_spandec_free(d);
    return -ENOMEM;
  }
  return 0;
}

/* ---- header ------------------------------------------------------------------------ */

static int hdr_impossible(const struct stor_spanblock_hdr *h) {
  uint64_t n = h->count, m = h->trace_count, d = h->dict_count;
  uint64_t u = h->text_bytes, c = h->ztext_bytes;

  if (n == 0 || n > STOR_SPANBLOCK_SPANS_MAX || m == 0 || m > n ||
      h->seq == 0 || h->min_ns > h->max_ns ||
      u > STOR_SPANBLOCK_TEXT_BYTES_MAX || d > STOR_SPANBLOCK_DICT_MAX)
    return 1;
  if (h->dict_bytes < 2 * d ||
      h->dict_bytes > d * (2 + STOR_SPANBLOCK_DICT_STR_BYTES_MAX))
    return 1;
  if (u < h->dict_bytes + STOR_SCOLS + 1 + n * SPAN_FIELDS_MIN || c == 0 ||
      u > STOR_ZRATIO_MAX * c || c > STOR_ZBOUND(u))
    return 1;
  return m * STOR_TRACE_ID_BYTES + n * STOR_SPAN_ID_BYTES + c !=
         h->payload_bytes;
}

int stor_spanblock_hdr_read(const uint8_t *b, size_t len,
                            struct stor_spanblock_hdr *h) {
  struct stor_frame f;
  int rc = stor_frame_read(b, len, &f); /* magic, check, version, kind */

  if (rc < 0)
    return rc;
  *h = (struct stor_spanblock_hdr){
      .version = f.version,
      .kind = f.kind,
      .shard = f.shard,
      .count = f.count,
      .text_bytes = (uint32_t)stor_le_get(b + STOR_SHDR_OFF_TEXT_BYTES, 4),
      .seq = f.seq,
      .min_ns = f.min,
      .max_ns = f.max,
      .payload_bytes = f.payload_bytes,
      .dict_count = (uint32_t)stor_le_get(b + STOR_SHDR_OFF_DICT_COUNT, 4),
      .dict_bytes = (uint32_t)stor_le_get(b + STOR_SHDR_OFF_DICT_BYTES, 4),
      .trace_count = (uint32_t)stor_le_get(b + STOR_SHDR_OFF_TRACES, 4),
      .ztext_bytes = (uint32_t)stor_le_get(b + STOR_SHDR_OFF_ZTEXT_BYTES, 4)};
  if (h->kind != STOR_KIND_SPANS || hdr_impossible(h))
    return -EBADMSG;
  return 0;
}

size_t stor_spanblock_traces_end(const struct stor_spanblock_hdr *h) {
  return STOR_BLOCK_HEADER_BYTES + (size_t)h->trace_count * STOR_TRACE_ID_BYTES;
}

int stor_spanblock_has_trace(const struct stor_spanblock_hdr *h,
                             const uint8_t *tab, const uint8_t *id) {
  for (uint32_t i = 0; i < h->trace_count; i++)
    if (memcmp(tab + (size_t)i * STOR_TRACE_ID_BYTES, id,
               STOR_TRACE_ID_BYTES) == 0)
      return 1;
  return 0;
}

/* ---- reader: opening ----------------------------------------------------------------- */

/* Split the inflated stream into sub-columns; the text follows them. */
static int open_cols(struct stor_spanblock_reader *r) {
  const uint8_t *p = r->dec->text + r->hdr.dict_bytes;
  const uint8_t *end = r->dec->text + r->hdr.text_bytes;
  uint64_t len[STOR_SCOLS];

  for (int c = 0; c < STOR_SCOLS; c++)
    if (stor_varint_get(&p, end, &len[c]) < 0)
      return -EBADMSG;
  for (int c = 0; c < STOR_SCOLS; c++) {
    if (len[c] > (uint64_t)(end - p))
      return -EBADMSG;
    r->cp[c] = p;
    r->cend[c] = p + len[c];
    p += len[c];
  }
  r->tp = p;
  r->tend = end;
  return 0;
}

static int get_varint(struct stor_spanblock_reader *r, int c, uint64_t *v) {
  return stor_varint_get(&r->cp[c], r->cend[c], v);
}

static int get_u32(struct stor_spanblock_reader *r, int c, uint32_t *v) {
  uint64_t x;

  if (get_varint(r, c, &x) < 0 || x > UINT32_MAX)
    return -EBADMSG;
  *v = (uint32_t)x;
  return 0;
}

static int get_raw(struct stor_spanblock_reader *r, int c, void *out,
                   size_t n) {
  if ((size_t)(r->cend[c] - r->cp[c]) < n)
    return -EBADMSG;
  memcpy(out, r->cp[c], n);
  r->cp[c] += n;
  return 0;
}

static int get_ref(struct stor_spanblock_reader *r, int c,
                   struct core_otlp_str *s) {
  uint64_t v, n;

  if (get_varint(r, c, &v) < 0)
    return -EBADMSG;
  if (v == STOR_SREF_EMPTY) {
    *s = (struct core_otlp_str){"", 0};
    return 0;
  }
  if (v >= STOR_SREF_DICT0) {
    if (v - STOR_SREF_DICT0 >= r->hdr.dict_count)
      return -EBADMSG;
    *s = (struct core_otlp_str){r->dec->dict[v - STOR_SREF_DICT0].ptr,
                                r->dec->dict[v - STOR_SREF_DICT0].len};
    return 0;
  }
  if (stor_varint_get(&r->tp, r->tend, &n) < 0 || n == 0 ||
      n > (uint64_t)(r->tend - r->tp))
    return -EBADMSG;
  *s = (struct core_otlp_str){(const char *)r->tp, (uint32_t)n};
  r->tp += n;
  return 0;
}

static int get_value(struct stor_spanblock_reader *r, int c,
                     struct core_otlp_value *v) {
  uint8_t t;
  uint64_t x;

  *v = (struct core_otlp_value){0};
  if (get_raw(r, c, &t, 1) < 0 || t > CORE_OTLP_V_BYTES)
    return -EBADMSG;
  v->type = (enum core_otlp_vtype)t;
  switch (v->type) {
  case CORE_OTLP_V_NONE:
    return 0;
  case CORE_OTLP_V_INT:
    if (get_varint(r, c, &x) < 0)
      return -EBADMSG;
    v->i = stor_unzigzag(x);
    return 0;
  case CORE_OTLP_V_BOOL:
    if (get_raw(r, c, &t, 1) < 0 || t > 1)
      return -EBADMSG;
    v->i = t;
    return 0;
  case CORE_OTLP_V_DOUBLE: {
    uint8_t b[8];
    if (get_raw(r, c, b, 8) < 0)
      return -EBADMSG;
    x = stor_le_get(b, 8);
    memcpy(&v->d, &x, sizeof(x));
    return 0;
  }
  default:
    return get_ref(r, c, &v->s);
  }
}

/* An attribute list into pool[*used, cap): count checked against room. */
static int get_attrs(struct stor_spanblock_reader *r, int c,
                     struct core_otlp_attr *pool, uint32_t *used, uint32_t cap,
                     struct core_otlp_attrs *out) {
  uint64_t n;

  if (get_varint(r, c, &n) < 0 || n > cap - *used)
    return -EBADMSG;
  out->v = pool + *used;
  out->n = (uint32_t)n;
  for (uint32_t i = 0; i < n; i++)
    if (get_ref(r, c, &pool[*used + i].key) < 0 ||
        get_value(r, c, &pool[*used + i].value) < 0)
      return -EBADMSG;
  *used += (uint32_t)n;
  return 0;
}

static int read_resources(struct stor_spanblock_reader *r) {
  struct stor_spandec *d = r->dec;
  uint32_t used = 0;
  uint64_t n;

  if (get_varint(r, STOR_SCOL_RESOURCES, &n) < 0 || n == 0 ||
      n > STOR_SPANBLOCK_RESOURCES_MAX)
    return -EBADMSG;
  for (uint32_t i = 0; i < n; i++) {
    struct stor_span_res *x = &d->res[i];
    if (get_ref(r, STOR_SCOL_RESOURCES, &x->scope_name) < 0 ||
        get_ref(r, STOR_SCOL_RESOURCES, &x->scope_version) < 0 ||
        get_attrs(r, STOR_SCOL_RESOURCES, d->res_attrs, &used,
                  STOR_SPANBLOCK_RES_ATTRS_MAX, &x->attrs) < 0)
      return -EBADMSG;
    x->service = stor_span_service(&x->attrs);
  }
  r->res_count = (uint32_t)n;
  return r->cp[STOR_SCOL_RESOURCES] == r->cend[STOR_SCOL_RESOURCES]
             ? 0 : -EBADMSG;
}

int stor_spanblock_reader_init(struct stor_spanblock_reader *r,
                               struct stor_spandec *dec, const uint8_t *block,
                               size_t len) {
  const uint8_t *p = block + STOR_BLOCK_HEADER_BYTES;
  size_t total;
  int rc;

  memset(r, 0, sizeof(*r));
  r->failed = 1;
  r->dec = dec;
  if ((rc = stor_spanblock_hdr_read(block, len, &r->hdr)) < 0)
    return rc;
  total = STOR_BLOCK_HEADER_BYTES + (size_t)r->hdr.payload_bytes;
  if (len < total)
    return -EAGAIN;
  if (stor_block_crc(block, total) != stor_le_get(block + STOR_HDR_OFF_CRC, 4))
    return -EBADMSG;
  r->traces = p;
  r->span_ids = p + (size_t)r->hdr.trace_count * STOR_TRACE_ID_BYTES;
  p = r->span_ids + (size_t)r->hdr.count * STOR_SPAN_ID_BYTES;
  if (stor_zinflate(dec->inf, p, r->hdr.ztext_bytes, dec->text,
                    r->hdr.text_bytes) < 0 ||
      stor_ztab_read(dec->text, r->hdr.dict_bytes, r->hdr.dict_count,
                     STOR_SPANBLOCK_DICT_STR_BYTES_MAX, dec->dict) < 0 ||
      open_cols(r) < 0 || read_resources(r) < 0)
    return -EBADMSG;
  r->prev_start = r->hdr.min_ns;
  r->seen_min = INT64_MAX;
  r->seen_max = INT64_MIN;
  r->failed = 0;
  return 0;
}

/* ---- reader: spans ------------------------------------------------------------------- */

static int get_parent(struct stor_spanblock_reader *r, struct stor_span *out) {
  uint64_t v;

  out->has_parent = false;
  memset(out->parent_id, 0, STOR_SPAN_ID_BYTES);
  if (get_varint(r, STOR_SCOL_PARENT, &v) < 0)
    return -EBADMSG;
  if (v == 0)
    return 0;
  out->has_parent = true;
  if (v == 1)
    return get_raw(r, STOR_SCOL_PARENT, out->parent_id, STOR_SPAN_ID_BYTES);
  if (v - STOR_SREF_DICT0 >= r->hdr.count)
    return -EBADMSG;
  memcpy(out->parent_id,
         r->span_ids + (v - STOR_SREF_DICT0) * STOR_SPAN_ID_BYTES,
         STOR_SPAN_ID_BYTES);
  return 0;
}

static int get_ids_times(struct stor_spanblock_reader *r,
                         struct stor_span *out) {
  uint64_t t, ds, dd;
  uint64_t range = (uint64_t)r->hdr.max_ns - (uint64_t)r->hdr.min_ns;

  /* trace ids come in first-use order: the next new one or an old one */
  if (get_varint(r, STOR_SCOL_TRACE, &t) < 0 || t > r->traces_seen ||
      t >= r->hdr.trace_count)
    return -EBADMSG;
  r->traces_seen += t == r->traces_seen;
  memcpy(out->trace_id, r->traces + t * STOR_TRACE_ID_BYTES,
         STOR_TRACE_ID_BYTES);
  memcpy(out->span_id, r->span_ids + (size_t)r->index * STOR_SPAN_ID_BYTES,
         STOR_SPAN_ID_BYTES);
  if (get_parent(r, out) < 0 || get_varint(r, STOR_SCOL_START, &ds) < 0 ||
      get_varint(r, STOR_SCOL_DUR, &dd) < 0)
    return -EBADMSG;
  out->start_ns = (int64_t)((uint64_t)r->prev_start +
                            (uint64_t)stor_unzigzag(ds));
  if ((uint64_t)out->start_ns - (uint64_t)r->hdr.min_ns > range)
    return -EBADMSG; /* outside [min, max] */
  out->end_ns = (int64_t)((uint64_t)out->start_ns +
                          (uint64_t)stor_unzigzag(dd));
  r->prev_start = out->start_ns;
  r->seen_min = out->start_ns < r->seen_min ? out->start_ns : r->seen_min;
  r->seen_max = out->start_ns > r->seen_max ? out->start_ns : r->seen_max;
  return 0;
}

static int get_events(struct stor_spanblock_reader *r, struct stor_span *out,
                      uint32_t *used) {
  struct stor_span_event *ev = r->dec->events;
  uint64_t n, dt;

  if (get_varint(r, STOR_SCOL_EVENTS, &n) < 0 || n > CORE_SPAN_EVENTS_MAX)
    return -EBADMSG;
  for (uint32_t i = 0; i < n; i++) {
    if (get_varint(r, STOR_SCOL_EVENTS, &dt) < 0 ||
        get_ref(r, STOR_SCOL_EVENTS, &ev[i].name) < 0 ||
        get_attrs(r, STOR_SCOL_EVENTS, r->dec->attrs, used,
                  CORE_SPAN_ATTRS_MAX, &ev[i].attrs) < 0)
      return -EBADMSG;
    ev[i].time_ns = (int64_t)((uint64_t)out->start_ns +
                              (uint64_t)stor_unzigzag(dt));
  }
  out->events = ev;
  out->event_count = (uint32_t)n;
  return 0;
}

static int get_links(struct stor_spanblock_reader *r, struct stor_span *out,
                     uint32_t *used) {
  struct stor_span_link *l = r->dec->links;
  uint64_t n;

  if (get_varint(r, STOR_SCOL_LINKS, &n) < 0 || n > CORE_SPAN_LINKS_MAX)
    return -EBADMSG;
  for (uint32_t i = 0; i < n; i++)
    if (get_raw(r, STOR_SCOL_LINKS, l[i].trace_id, STOR_TRACE_ID_BYTES) < 0 ||
        get_raw(r, STOR_SCOL_LINKS, l[i].span_id, STOR_SPAN_ID_BYTES) < 0 ||
        get_ref(r, STOR_SCOL_LINKS, &l[i].trace_state) < 0 ||
        get_u32(r, STOR_SCOL_LINKS, &l[i].flags) < 0 ||
        get_attrs(r, STOR_SCOL_LINKS, r->dec->attrs, used,
                  CORE_SPAN_ATTRS_MAX, &l[i].attrs) < 0)
      return -EBADMSG;
  out->links = l;
  out->link_count = (uint32_t)n;
  return 0;
}

static int get_span(struct stor_spanblock_reader *r, struct stor_span *out) {
  uint32_t used = 0, res;

  if (get_ids_times(r, out) < 0 || get_u32(r, STOR_SCOL_KIND, &out->kind) < 0 ||
      get_u32(r, STOR_SCOL_STATUS, &out->status_code) < 0 ||
      get_u32(r, STOR_SCOL_FLAGS, &out->flags) < 0 ||
      get_ref(r, STOR_SCOL_NAME, &out->name) < 0 ||
      get_ref(r, STOR_SCOL_STATUS_MSG, &out->status_message) < 0 ||
      get_ref(r, STOR_SCOL_STATE, &out->trace_state) < 0 ||
      get_u32(r, STOR_SCOL_RES, &res) < 0 || res >= r->res_count ||
      get_attrs(r, STOR_SCOL_ATTRS, r->dec->attrs, &used, CORE_SPAN_ATTRS_MAX,
                &out->attrs) < 0 ||
      get_events(r, out, &used) < 0 || get_links(r, out, &used) < 0)
    return -EBADMSG;
  out->res = &r->dec->res[res];
  return 0;
}

/* After the last span: every sub-column and the text used up exactly. */
static int all_used(const struct stor_spanblock_reader *r) {
  for (int c = 0; c < STOR_SCOLS; c++)
    if (r->cp[c] != r->cend[c])
      return 0;
  return r->tp == r->tend && r->traces_seen == r->hdr.trace_count &&
         r->seen_min == r->hdr.min_ns && r->seen_max == r->hdr.max_ns;
}

int stor_spanblock_next(struct stor_spanblock_reader *r, struct stor_span *out) {
  if (r->failed)
    return -EBADMSG;
  if (r->index == r->hdr.count) {
    if (!all_used(r)) {
      r->failed = 1;
      return -EBADMSG;
    }
    return 0;
  }
  if (get_span(r, out) < 0) {
    r->failed = 1;
    return -EBADMSG;
  }
  r->index++;
  return 1;
}

struct core_otlp_str stor_span_service(const struct core_otlp_attrs *attrs) {
  static const char key[] = "service.name";
  struct core_otlp_str s = {"", 0};

  for (uint32_t i = 0; i < attrs->n; i++) {
    const struct core_otlp_attr *a = &attrs->v[i];
    if (a->key.len == sizeof(key) - 1 &&
        memcmp(a->key.ptr, key, sizeof(key) - 1) == 0 &&
        a->value.type == CORE_OTLP_V_STRING)
      s = a->value.s;
  }
  return s;
}
