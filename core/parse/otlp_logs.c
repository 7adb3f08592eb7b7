/*
 * core/parse/otlp_logs.c - ExportLogsServiceRequest and
 * ExportTraceServiceRequest (opentelemetry/proto/{logs,trace}/v1) into log
 * records and spans.
 */
#include <errno.h>
#include <string.h>

#include "core/parse/otlp.h"
#include "core/parse/otlp_int.h"

#define TRACE_ID_BYTES 16
#define SPAN_ID_BYTES 8

/* LogRecord: 1 time, 11 observed_time, 2 severity_number, 3 severity_text,
 * 5 body, 6 attributes, 8 flags, 9 trace_id, 10 span_id, 12 event_name. */
static int log_field(struct otlp_dec *d, struct core_pb *r, uint32_t f,
                     enum core_pb_wire wt, struct core_otlp_log *l,
                     uint32_t *nattr) {
  struct core_pb c;
  uint64_t u;
  switch (f) {
  case 1:
    return otlp_fixed64(r, wt, &l->time_ns);
  case 11:
    return otlp_fixed64(r, wt, &l->observed_ns);
  case 2:
    OTLP_TRY(otlp_varint(r, wt, &u));
    l->severity_number = (uint32_t)u;
    return 0;
  case 3:
    return otlp_str(r, wt, &l->severity_text);
  case 5:
    OTLP_TRY(core_pb_sub(r, wt, &c));
    return otlp_any(&c, &l->body, 0);
  case 6:
    return otlp_attr(r, wt, d->s->item, nattr);
  case 8:
    return otlp_fixed32(r, wt, &l->flags);
  case 9:
    return otlp_id(r, wt, &l->trace_id, TRACE_ID_BYTES,
                   "trace_id not 16 bytes");
  case 10:
    return otlp_id(r, wt, &l->span_id, SPAN_ID_BYTES, "span_id not 8 bytes");
  case 12:
    return otlp_str(r, wt, &l->event_name);
  }
  return core_pb_skip(r, wt);
}

/* An id field of want bytes at p (tag, one-byte length, bytes) or an
 * empty one; stores it as otlp_id would and returns its end, or NULL. */
static inline const uint8_t *id_fast(const uint8_t *p, const uint8_t *e,
                                     const uint8_t **id, uint8_t want) {
  if (p[1] == 0) {
    *id = NULL;
    return p + 2;
  }
  if (p[1] != want || e - p - 2 < want)
    return NULL;
  *id = p + 2;
  return p + 2 + want;
}

/*
 * The LogRecord field at p (inside r, two bytes at least before its end)
 * in the shape SDKs write it (one-byte tag and length): read as
 * log_field would read it; returns its end, or NULL with nothing read.
 */
static inline const uint8_t *log_fast(struct otlp_dec *d,
                                      const struct core_pb *r,
                                      const uint8_t *p,
                                      struct core_otlp_log *l,
                                      uint32_t *nattr) {
  const uint8_t *e = r->end, *q = NULL;
  size_t n;
  switch (*p) {
  case 1 << 3 | CORE_PB_I64:
  case 11 << 3 | CORE_PB_I64:
    if (e - p < 9)
      return NULL;
    memcpy(*p == (1 << 3 | CORE_PB_I64) ? &l->time_ns : &l->observed_ns, p + 1,
           8);
    return p + 9;
  case 2 << 3 | CORE_PB_VARINT:
    if (p[1] >= 0x80)
      return NULL;
    l->severity_number = p[1];
    return p + 2;
  case 3 << 3 | CORE_PB_LEN:
  case 12 << 3 | CORE_PB_LEN:
    if (p[1] >= 0x80 || p[1] > e - p - 2)
      return NULL;
    *(*p == (3 << 3 | CORE_PB_LEN) ? &l->severity_text : &l->event_name) =
        (struct core_otlp_str){(const char *)p + 2, p[1]};
    return p + 2 + p[1];
  case 5 << 3 | CORE_PB_LEN: /* body: a one- or two-byte length */
    if (r->depth + 1 > CORE_PB_DEPTH_MAX ||
        (q = otlp_len_fast(p + 1, e, &n)) == NULL ||
        !otlp_any_fast(q, n, &l->body))
      return NULL;
    return q + n;
  case 6 << 3 | CORE_PB_LEN:
    q = otlp_attrs_fast(r, p, *p, d->s->item, nattr);
    return q == p ? NULL : q;
  case 8 << 3 | CORE_PB_I32:
    if (e - p < 5)
      return NULL;
    memcpy(&l->flags, p + 1, 4);
    return p + 5;
  case 9 << 3 | CORE_PB_LEN:
    return id_fast(p, e, &l->trace_id, TRACE_ID_BYTES);
  case 10 << 3 | CORE_PB_LEN:
    return id_fast(p, e, &l->span_id, SPAN_ID_BYTES);
  }
  return NULL;
}

/* From r->p, the fields log_fast reads (the position and the attribute
 * count in locals, not through r): r->p left at the first it does not. */
static inline void log_run(struct otlp_dec *d, struct core_pb *r,
                           struct core_otlp_log *l, uint32_t *nattr) {
  const uint8_t *p = r->p, *q;
  uint32_t n = *nattr;

  while (r->end - p >= 2 && (q = log_fast(d, r, p, l, &n)) != NULL)
    p = q;
  r->p = p;
  *nattr = n;
}

static int rd_log(struct otlp_dec *d, struct core_pb *r) {
  struct core_otlp_log l;
  uint32_t f, nattr = 0;
  enum core_pb_wire wt;
  int rc;
  OTLP_TRY(otlp_count_item(d, r));
  memset(&l, 0, sizeof l);
  l.origin = &d->s->origin;
  for (;;) {
    if (OTLP_FAST)
      log_run(d, r, &l, &nattr);
    if ((rc = core_pb_tag(r, &f, &wt)) <= 0)
      break;
    if ((rc = log_field(d, r, f, wt, &l, &nattr)))
      return rc;
  }
  if (rc)
    return rc;
  l.attrs.v = d->s->item;
  l.attrs.n = nattr;
  if (d->sink && d->sink->log)
    return d->sink->log(d->sink->ctx, &l);
  return 0;
}

int core_otlp_logs_decode(const void *buf, size_t len,
                          struct core_otlp_scratch *s,
                          const struct core_otlp_sink *sink,
                          const char **why) {
  return otlp_walk(buf, len, s, sink, why, rd_log);
}

/* Span.Status: 2 message, 3 code (1 is reserved). */
static int rd_status(struct core_pb *r, enum core_pb_wire wt,
                     struct core_otlp_span *s) {
  uint32_t f;
  enum core_pb_wire w;
  struct core_pb c;
  uint64_t u;
  int rc;
  OTLP_TRY(core_pb_sub(r, wt, &c));
  while ((rc = core_pb_tag(&c, &f, &w)) > 0) {
    if (f == 2) {
      rc = otlp_str(&c, w, &s->status_message);
    } else if (f == 3) {
      rc = otlp_varint(&c, w, &u);
      s->status_code = (uint32_t)u;
    } else {
      rc = core_pb_skip(&c, w);
    }
    if (rc)
      return rc;
  }
  return rc;
}

/* Span: 1 trace_id, 2 span_id, 3 trace_state, 4 parent_span_id, 5 name,
 * 6 kind, 7 start, 8 end, 9 attributes, 11 events and 13 links (counted
 * here, read after the span), 15 status, 16 flags. */
static int span_field(struct otlp_dec *d, struct core_pb *r, uint32_t f,
                      enum core_pb_wire wt, struct core_otlp_span *s,
                      uint32_t *nattr) {
  uint64_t u;
  switch (f) {
  case 1:
    return otlp_id(r, wt, &s->trace_id, TRACE_ID_BYTES,
                   "trace_id not 16 bytes");
  case 2:
    return otlp_id(r, wt, &s->span_id, SPAN_ID_BYTES, "span_id not 8 bytes");
  case 3:
    return otlp_str(r, wt, &s->trace_state);
  case 4:
    return otlp_id(r, wt, &s->parent_span_id, SPAN_ID_BYTES,
                   "parent_span_id not 8 bytes");
  case 5:
    return otlp_str(r, wt, &s->name);
  case 6:
    OTLP_TRY(otlp_varint(r, wt, &u));
    s->kind = (uint32_t)u;
    return 0;
  case 7:
    return otlp_fixed64(r, wt, &s->start_ns);
  case 8:
    return otlp_fixed64(r, wt, &s->end_ns);
  case 9:
    return otlp_attr(r, wt, d->s->item, nattr);
  case 11:
  case 13:
    OTLP_TRY(core_pb_want(r, wt, CORE_PB_LEN));
    *(f == 11 ? &s->events_n : &s->links_n) += 1;
    return core_pb_skip(r, wt);
  case 15:
    return rd_status(r, wt, s);
  case 16:
    return otlp_fixed32(r, wt, &s->flags);
  }
  return core_pb_skip(r, wt);
}

/* Span.Event: 1 time, 2 name, 3 attributes. */
static int rd_event(struct otlp_dec *d, struct core_pb *r,
                    const struct core_otlp_span *s) {
  struct core_otlp_event e;
  uint32_t f, n = 0;
  enum core_pb_wire wt;
  int rc;
  memset(&e, 0, sizeof e);
  while ((rc = core_pb_tag(r, &f, &wt)) > 0) {
    if (f == 1)
      rc = otlp_fixed64(r, wt, &e.time_ns);
    else if (f == 2)
      rc = otlp_str(r, wt, &e.name);
    else if (f == 3)
      rc = otlp_attr(r, wt, d->s->sub, &n);
    else
      rc = core_pb_skip(r, wt);
    if (rc)
      return rc;
  }
  e.attrs.v = d->s->sub;
  e.attrs.n = n;
  if (rc == 0 && d->sink && d->sink->event)
    return d->sink->event(d->sink->ctx, s, &e);
  return rc;
}

/* Span.Link: 1 trace_id, 2 span_id (both required), 3 trace_state,
 * 4 attributes, 6 flags. */
static int rd_link(struct otlp_dec *d, struct core_pb *r,
                   const struct core_otlp_span *s) {
  struct core_otlp_link l;
  uint32_t f, n = 0;
  enum core_pb_wire wt;
  int rc;
  memset(&l, 0, sizeof l);
  while ((rc = core_pb_tag(r, &f, &wt)) > 0) {
    if (f == 1)
      rc = otlp_id(r, wt, &l.trace_id, TRACE_ID_BYTES,
                   "trace_id not 16 bytes");
    else if (f == 2)
      rc = otlp_id(r, wt, &l.span_id, SPAN_ID_BYTES, "span_id not 8 bytes");
    else if (f == 3)
      rc = otlp_str(r, wt, &l.trace_state);
    else if (f == 4)
      rc = otlp_attr(r, wt, d->s->sub, &n);
    else if (f == 6)
      rc = otlp_fixed32(r, wt, &l.flags);
    else
      rc = core_pb_skip(r, wt);
    if (rc)
      return rc;
  }
  if (rc == 0 && (!l.trace_id || !l.span_id))
    return core_pb_fail(r, -EBADMSG, "link without trace_id or span_id");
  l.attrs.v = d->s->sub;
  l.attrs.n = n;
  if (rc == 0 && d->sink && d->sink->link)
    return d->sink->link(d->sink->ctx, s, &l);
  return rc;
}

/* The span's events and links, in wire order, after the span itself. */
static int span_children(struct otlp_dec *d, struct core_pb *r,
                         const struct core_otlp_span *s) {
  uint32_t f;
  enum core_pb_wire wt;
  struct core_pb c;
  int rc;
  while ((rc = core_pb_tag(r, &f, &wt)) > 0) {
    if (f == 11 || f == 13) {
      rc = core_pb_sub(r, wt, &c);
      if (!rc)
        rc = f == 11 ? rd_event(d, &c, s) : rd_link(d, &c, s);
    } else {
      rc = core_pb_skip(r, wt);
    }
    if (rc)
      return rc;
  }
  return rc;
}

/* A span: its fields over a copy of the reader, the callback, then its
 * events and links (whose attributes reuse one scratch array). */
static int rd_span(struct otlp_dec *d, struct core_pb *r) {
  struct core_otlp_span s;
  struct core_pb p = *r;
  uint32_t f, nattr = 0;
  enum core_pb_wire wt;
  int rc;
  OTLP_TRY(otlp_count_item(d, r));
  memset(&s, 0, sizeof s);
  s.origin = &d->s->origin;
  while ((rc = core_pb_tag(&p, &f, &wt)) > 0)
    if ((rc = span_field(d, &p, f, wt, &s, &nattr)))
      return rc;
  if (rc)
    return rc;
  if (!s.trace_id || !s.span_id)
    return core_pb_fail(r, -EBADMSG, "span without trace_id or span_id");
  s.attrs.v = d->s->item;
  s.attrs.n = nattr;
  if (d->sink && d->sink->span)
    OTLP_TRY(d->sink->span(d->sink->ctx, &s));
  return span_children(d, r, &s);
}

int core_otlp_traces_decode(const void *buf, size_t len,
                            struct core_otlp_scratch *s,
                            const struct core_otlp_sink *sink,
                            const char **why) {
  return otlp_walk(buf, len, s, sink, why, rd_span);
}
