/*
 * tests/unit/core/parse/otlp_rec.h - a recording sink for the OTLP
 * decoders' tests (test-only): every callback and every field it is
 * handed, rendered as one line of text, so that two decodes (protobuf and
 * JSON, or ours and protobuf-c's) compare field by field with one strcmp
 * and a failure shows the first differing field. Doubles are rendered as
 * their bits, strings and bytes escaped, AnyValue arrays and kvlists
 * walked (structure, not bytes: rec_raw adds their bytes too).
 */
#ifndef SLUICE_TESTS_OTLP_REC_H
#define SLUICE_TESTS_OTLP_REC_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/parse/otlp_types.h"
#include "core/parse/pb.h"

#define REC_BYTES (1 << 22)

struct rec {
  char b[REC_BYTES];
  size_t n;
  int raw;      /* also render the raw bytes of arrays and kvlists */
  int overflow; /* the buffer filled up */
  unsigned items, events, links;
};

static void rec_put(struct rec *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(r->b + r->n, sizeof r->b - r->n, fmt, ap);
  va_end(ap);
  if (k < 0 || (size_t)k >= sizeof r->b - r->n) {
    r->overflow = 1;
    return;
  }
  r->n += (size_t)k;
}

static void rec_reset(struct rec *r) {
  r->n = 0;
  r->b[0] = 0;
  r->overflow = 0;
  r->items = r->events = r->links = 0;
}

/* Bytes, printable ASCII as is, others as \xHH. */
static void rec_bytes(struct rec *r, const void *p, size_t len) {
  const uint8_t *s = p;
  rec_put(r, "\"");
  for (size_t i = 0; i < len; i++)
    if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
      rec_put(r, "%c", s[i]);
    else
      rec_put(r, "\\x%02x", s[i]);
  rec_put(r, "\"");
}

static void rec_str(struct rec *r, struct core_otlp_str s) {
  rec_bytes(r, s.ptr, s.len);
}

static void rec_dbl(struct rec *r, double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  rec_put(r, "0x%016" PRIx64, u);
}

static void rec_id(struct rec *r, const uint8_t *id, size_t len) {
  if (!id) {
    rec_put(r, "-");
    return;
  }
  for (size_t i = 0; i < len; i++)
    rec_put(r, "%02x", id[i]);
}

static void rec_list(struct rec *r, const uint8_t *p, size_t len, int kv);

/* An AnyValue message (protobuf): the last value field wins. */
static void rec_any_pb(struct rec *r, const uint8_t *p, size_t len) {
  const char *why = NULL;
  struct core_pb pb;
  uint32_t f, vf = 0;
  enum core_pb_wire wt;
  struct core_pb_bytes b = {0}, vb = {0};
  uint64_t u, vu = 0;
  core_pb_init(&pb, p, len, &why);
  while (core_pb_tag(&pb, &f, &wt) > 0) {
    if (wt == CORE_PB_LEN) {
      core_pb_bytes(&pb, &b);
      if (f == 1 || (f >= 5 && f <= 7)) {
        vf = f;
        vb = b;
      }
    } else if (wt == CORE_PB_VARINT || wt == CORE_PB_I64) {
      if (wt == CORE_PB_VARINT)
        core_pb_varint(&pb, &u);
      else
        core_pb_fixed64(&pb, &u);
      if (f >= 2 && f <= 4) {
        vf = f;
        vu = u;
      }
    } else {
      core_pb_skip(&pb, wt);
    }
  }
  rec_put(r, "%u:", vf);
  if (vf == 1 || vf == 7) {
    rec_bytes(r, vb.ptr, vb.len);
  } else if (vf == 5 || vf == 6) {
    rec_list(r, vb.ptr, vb.len, vf == 6);
  } else if (vf == 2) {
    rec_put(r, "%d", vu != 0);
  } else if (vf == 3) {
    rec_put(r, "%" PRId64, (int64_t)vu);
  } else if (vf == 4) {
    double d;
    memcpy(&d, &vu, 8);
    rec_dbl(r, d);
  }
}

/* An ArrayValue or KeyValueList message (protobuf), walked. */
static void rec_list(struct rec *r, const uint8_t *p, size_t len, int kv) {
  const char *why = NULL;
  struct core_pb pb, e;
  uint32_t f, g;
  enum core_pb_wire wt, w;
  struct core_pb_bytes b = {0};
  core_pb_init(&pb, p, len, &why);
  rec_put(r, kv ? "{" : "[");
  while (core_pb_tag(&pb, &f, &wt) > 0) {
    if (f != 1 || wt != CORE_PB_LEN) {
      core_pb_skip(&pb, wt);
      continue;
    }
    core_pb_bytes(&pb, &b);
    if (!kv) {
      rec_any_pb(r, b.ptr, b.len);
      rec_put(r, ",");
      continue;
    }
    struct core_pb_bytes k = {0}, v = {0}, x = {0};
    core_pb_init(&e, b.ptr, b.len, &why);
    while (core_pb_tag(&e, &g, &w) > 0) {
      if (w != CORE_PB_LEN) {
        core_pb_skip(&e, w);
        continue;
      }
      core_pb_bytes(&e, &x);
      if (g == 1)
        k = x;
      else if (g == 2)
        v = x;
    }
    rec_bytes(r, k.ptr, k.len);
    rec_put(r, "=");
    rec_any_pb(r, v.ptr, v.len);
    rec_put(r, ",");
  }
  rec_put(r, kv ? "}" : "]");
}

static void rec_value(struct rec *r, const struct core_otlp_value *v) {
  rec_put(r, "%d:", (int)v->type);
  switch (v->type) {
  case CORE_OTLP_V_STRING:
  case CORE_OTLP_V_BYTES:
    rec_str(r, v->s);
    break;
  case CORE_OTLP_V_BOOL:
  case CORE_OTLP_V_INT:
    rec_put(r, "%" PRId64, v->i);
    break;
  case CORE_OTLP_V_DOUBLE:
    rec_dbl(r, v->d);
    break;
  case CORE_OTLP_V_ARRAY:
  case CORE_OTLP_V_KVLIST:
    rec_list(r, (const uint8_t *)v->s.ptr, v->s.len,
             v->type == CORE_OTLP_V_KVLIST);
    if (r->raw) {
      rec_put(r, "raw");
      rec_bytes(r, v->s.ptr, v->s.len);
    }
    break;
  default:
    break;
  }
}

static void rec_attrs(struct rec *r, struct core_otlp_attrs a) {
  rec_put(r, "(");
  for (uint32_t i = 0; i < a.n; i++) {
    rec_str(r, a.v[i].key);
    rec_put(r, "=");
    rec_value(r, &a.v[i].value);
    rec_put(r, ";");
  }
  rec_put(r, ")");
}

static void rec_origin(struct rec *r, const struct core_otlp_origin *g) {
  rec_put(r, " res=");
  rec_attrs(r, g->resource);
  rec_put(r, " scope=");
  rec_str(r, g->scope_name);
  rec_put(r, " ver=");
  rec_str(r, g->scope_version);
}

static void rec_u64s(struct rec *r, const uint64_t *v, uint32_t n) {
  rec_put(r, "[");
  for (uint32_t i = 0; i < n; i++)
    rec_put(r, "%" PRIu64 ",", v[i]);
  rec_put(r, "]");
}

static void rec_dbls(struct rec *r, const double *v, uint32_t n) {
  rec_put(r, "[");
  for (uint32_t i = 0; i < n; i++) {
    rec_dbl(r, v[i]);
    rec_put(r, ",");
  }
  rec_put(r, "]");
}

/* The fields of a point that only some kinds have. */
static void rec_point_kind(struct rec *r, const struct core_otlp_point *p) {
  rec_put(r, " num=%d d=", (int)p->num);
  rec_dbl(r, p->as_double);
  rec_put(r, " i=%" PRId64 " count=%" PRIu64 " has=%u sum=", p->as_int,
          p->count, p->has);
  rec_dbl(r, p->sum);
  rec_put(r, " min=");
  rec_dbl(r, p->min);
  rec_put(r, " max=");
  rec_dbl(r, p->max);
  rec_put(r, " buckets=");
  rec_u64s(r, p->bucket_counts, p->bucket_n);
  rec_put(r, " bounds=");
  rec_dbls(r, p->bounds, p->bounds_n);
  rec_put(r, " scale=%d zero=%" PRIu64 " pos=%d", (int)p->scale, p->zero_count,
          (int)p->positive.offset);
  rec_u64s(r, p->positive.counts, p->positive.n);
  rec_put(r, " neg=%d", (int)p->negative.offset);
  rec_u64s(r, p->negative.counts, p->negative.n);
  rec_put(r, " q=");
  rec_dbls(r, p->quantiles, p->quantile_n);
  rec_dbls(r, p->quantile_values, p->quantile_n);
}

static int rec_point(void *ctx, const struct core_otlp_point *p) {
  struct rec *r = ctx;
  r->items++;
  rec_put(r, "P");
  rec_origin(r, p->origin);
  rec_put(r, " name=");
  rec_str(r, p->name);
  rec_put(r, " desc=");
  rec_str(r, p->description);
  rec_put(r, " unit=");
  rec_str(r, p->unit);
  rec_put(r,
          " kind=%d temp=%u mono=%d start=%" PRIu64 " time=%" PRIu64
          " flags=%u attrs=",
          (int)p->kind, p->temporality, (int)p->monotonic, p->start_ns,
          p->time_ns, p->flags);
  rec_attrs(r, p->attrs);
  rec_point_kind(r, p);
  rec_put(r, "\n");
  return 0;
}

static int rec_log(void *ctx, const struct core_otlp_log *l) {
  struct rec *r = ctx;
  r->items++;
  rec_put(r, "L");
  rec_origin(r, l->origin);
  rec_put(r,
          " time=%" PRIu64 " observed=%" PRIu64 " sev=%u sevtext=", l->time_ns,
          l->observed_ns, l->severity_number);
  rec_str(r, l->severity_text);
  rec_put(r, " body=");
  rec_value(r, &l->body);
  rec_put(r, " attrs=");
  rec_attrs(r, l->attrs);
  rec_put(r, " trace=");
  rec_id(r, l->trace_id, 16);
  rec_put(r, " span=");
  rec_id(r, l->span_id, 8);
  rec_put(r, " flags=%u event=", l->flags);
  rec_str(r, l->event_name);
  rec_put(r, "\n");
  return 0;
}

static int rec_span(void *ctx, const struct core_otlp_span *s) {
  struct rec *r = ctx;
  r->items++;
  rec_put(r, "S");
  rec_origin(r, s->origin);
  rec_put(r, " trace=");
  rec_id(r, s->trace_id, 16);
  rec_put(r, " span=");
  rec_id(r, s->span_id, 8);
  rec_put(r, " parent=");
  rec_id(r, s->parent_span_id, 8);
  rec_put(r, " state=");
  rec_str(r, s->trace_state);
  rec_put(r, " name=");
  rec_str(r, s->name);
  rec_put(r, " kind=%u start=%" PRIu64 " end=%" PRIu64 " attrs=", s->kind,
          s->start_ns, s->end_ns);
  rec_attrs(r, s->attrs);
  rec_put(r, " status=%u msg=", s->status_code);
  rec_str(r, s->status_message);
  rec_put(r, " flags=%u events=%u links=%u\n", s->flags, s->events_n,
          s->links_n);
  return 0;
}

static int rec_event(void *ctx, const struct core_otlp_span *s,
                     const struct core_otlp_event *e) {
  struct rec *r = ctx;
  (void)s;
  r->events++;
  rec_put(r, "E time=%" PRIu64 " name=", e->time_ns);
  rec_str(r, e->name);
  rec_put(r, " attrs=");
  rec_attrs(r, e->attrs);
  rec_put(r, "\n");
  return 0;
}

static int rec_link(void *ctx, const struct core_otlp_span *s,
                    const struct core_otlp_link *l) {
  struct rec *r = ctx;
  (void)s;
  r->links++;
  rec_put(r, "K trace=");
  rec_id(r, l->trace_id, 16);
  rec_put(r, " span=");
  rec_id(r, l->span_id, 8);
  rec_put(r, " state=");
  rec_str(r, l->trace_state);
  rec_put(r, " attrs=");
  rec_attrs(r, l->attrs);
  rec_put(r, " flags=%u\n", l->flags);
  return 0;
}

/* The recording sink writing into r. */
static inline struct core_otlp_sink rec_sink(struct rec *r) {
  struct core_otlp_sink s = {.point = rec_point,
                             .log = rec_log,
                             .span = rec_span,
                             .event = rec_event,
                             .link = rec_link,
                             .ctx = r};
  return s;
}

#endif
