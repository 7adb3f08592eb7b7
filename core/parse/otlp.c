/*
 * core/parse/otlp.c - the shared part of the OTLP decoders (see otlp.h):
 * typed field reads, attributes and AnyValue, and the walk over
 * Resource{Metrics,Logs,Spans} and Scope{Metrics,Logs,Spans}, which have
 * the same layout for the three signals (1 resource or scope, 2 the
 * repeated children, 3 schema_url).
 *
 * A parent's context (resource, scope, metric name and kind) may come
 * after its children on the wire, so each level is read twice: once for
 * its context, then for its children. That costs a second skim of the
 * level's tags, not of the children's bytes.
 */
#include "core/parse/otlp_int.h"

#include <errno.h>
#include <string.h>

int otlp_id(struct core_pb *r, enum core_pb_wire wt, const uint8_t **id,
            uint32_t want, const char *reason) {
  struct core_otlp_str s;
  OTLP_TRY(otlp_str(r, wt, &s));
  if (s.len == 0) { /* proto3: an empty id is an absent one */
    *id = NULL;
    return 0;
  }
  if (s.len != want)
    return core_pb_fail(r, -EBADMSG, reason);
  *id = (const uint8_t *)s.ptr;
  return 0;
}

static int check_any(struct core_pb *r, unsigned level);

/* KeyValue inside a kvlist: only checked (its bytes are handed out raw). */
static int check_kv(struct core_pb *r, unsigned level) {
  uint32_t f;
  enum core_pb_wire wt;
  struct core_otlp_str s;
  struct core_pb c;
  int rc;
  while ((rc = core_pb_tag(r, &f, &wt)) > 0) {
    if (f == 1) {
      rc = otlp_str(r, wt, &s);
    } else if (f == 2) {
      if (!(rc = core_pb_sub(r, wt, &c)))
        rc = check_any(&c, level);
    } else {
      rc = core_pb_skip(r, wt);
    }
    if (rc)
      return rc;
  }
  return rc;
}

/* ArrayValue (kv 0: repeated AnyValue) or KeyValueList (kv 1: repeated
 * KeyValue), both field 1, at nesting level (1 for the outermost). */
static int check_list(struct core_pb *r, unsigned level, int kv) {
  uint32_t f;
  enum core_pb_wire wt;
  struct core_pb c;
  int rc;
  if (level > CORE_OTLP_ANY_DEPTH_MAX)
    return core_pb_fail(r, -E2BIG, "AnyValue nested too deep");
  while ((rc = core_pb_tag(r, &f, &wt)) > 0) {
    if (f == 1) {
      rc = core_pb_sub(r, wt, &c);
      if (!rc)
        rc = kv ? check_kv(&c, level) : check_any(&c, level);
    } else {
      rc = core_pb_skip(r, wt);
    }
    if (rc)
      return rc;
  }
  return rc;
}

/* One AnyValue field: the type its field number gives, and the value. */
static int any_field(struct core_pb *r, uint32_t f, enum core_pb_wire wt,
                     unsigned level, struct core_otlp_value *v) {
  uint64_t u;
  struct core_pb c;
  switch (f) {
  case CORE_OTLP_V_STRING:
  case CORE_OTLP_V_BYTES:
    break;
  case CORE_OTLP_V_BOOL:
  case CORE_OTLP_V_INT:
    OTLP_TRY(otlp_varint(r, wt, &u));
    v->i = f == CORE_OTLP_V_BOOL ? (u != 0) : (int64_t)u;
    v->type = (enum core_otlp_vtype)f;
    return 0;
  case CORE_OTLP_V_DOUBLE:
    OTLP_TRY(otlp_double(r, wt, &v->d));
    v->type = CORE_OTLP_V_DOUBLE;
    return 0;
  case CORE_OTLP_V_ARRAY:
  case CORE_OTLP_V_KVLIST:
    OTLP_TRY(core_pb_sub(r, wt, &c));
    v->s.ptr = (const char *)c.p;
    v->s.len = (uint32_t)core_pb_left(&c);
    v->type = (enum core_otlp_vtype)f;
    return check_list(&c, level + 1, f == CORE_OTLP_V_KVLIST);
  default:
    return core_pb_skip(r, wt);
  }
  v->type = (enum core_otlp_vtype)f;
  return otlp_str(r, wt, &v->s);
}

static int check_any(struct core_pb *r, unsigned level) {
  struct core_otlp_value v;
  return otlp_any(r, &v, level);
}

int otlp_any(struct core_pb *r, struct core_otlp_value *v, unsigned level) {
  uint32_t f;
  enum core_pb_wire wt;
  int rc;
  memset(v, 0, sizeof *v);
  while ((rc = core_pb_tag(r, &f, &wt)) > 0)
    if ((rc = any_field(r, f, wt, level, v)))
      return rc;
  return rc;
}

int otlp_attr_slow(struct core_pb *r, enum core_pb_wire wt,
                   struct core_otlp_attr *arr, uint32_t *n) {
  uint32_t f;
  enum core_pb_wire w;
  struct core_pb c, v;
  int rc;
  if (*n >= CORE_OTLP_ATTRS_MAX)
    return core_pb_fail(r, -E2BIG, "too many attributes");
  OTLP_TRY(core_pb_sub(r, wt, &c));
  struct core_otlp_attr *a = &arr[*n];
  memset(a, 0, sizeof *a);
  while ((rc = core_pb_tag(&c, &f, &w)) > 0) {
    if (f == 1) {
      rc = otlp_str(&c, w, &a->key);
    } else if (f == 2) {
      if (!(rc = core_pb_sub(&c, w, &v)))
        rc = otlp_any(&v, &a->value, 0);
    } else {
      rc = core_pb_skip(&c, w);
    }
    if (rc)
      return rc;
  }
  if (rc == 0)
    (*n)++;
  return rc;
}

/* Resource: field 1 repeated KeyValue attributes. A resource sent twice
 * is merged, as protobuf merges a message field sent twice: its
 * attributes add to those before. */
static int rd_resource(struct otlp_dec *d, struct core_pb *r,
                       enum core_pb_wire wt) {
  uint32_t f, n = d->s->origin.resource.n;
  enum core_pb_wire w;
  struct core_pb c;
  int rc;
  OTLP_TRY(core_pb_sub(r, wt, &c));
  while ((rc = core_pb_tag(&c, &f, &w)) > 0)
    if ((rc = f == 1 ? otlp_attr(&c, w, d->s->resource, &n)
                     : core_pb_skip(&c, w)))
      return rc;
  d->s->origin.resource.v = d->s->resource;
  d->s->origin.resource.n = n;
  return rc;
}

/* InstrumentationScope: 1 name, 2 version (its attributes skipped). */
static int rd_scope(struct otlp_dec *d, struct core_pb *r,
                    enum core_pb_wire wt) {
  uint32_t f;
  enum core_pb_wire w;
  struct core_pb c;
  int rc;
  OTLP_TRY(core_pb_sub(r, wt, &c));
  while ((rc = core_pb_tag(&c, &f, &w)) > 0) {
    if (f == 1)
      rc = otlp_str(&c, w, &d->s->origin.scope_name);
    else if (f == 2)
      rc = otlp_str(&c, w, &d->s->origin.scope_version);
    else
      rc = core_pb_skip(&c, w);
    if (rc)
      return rc;
  }
  return rc;
}

/*
 * One level of the walk: first field 1 (its context, read by ctx_fn) over
 * a copy of the reader, then each field 2 (a child message) to child_fn.
 */
static int level(struct otlp_dec *d, struct core_pb *r,
                 int (*ctx_fn)(struct otlp_dec *, struct core_pb *,
                               enum core_pb_wire),
                 int (*child_fn)(struct otlp_dec *, struct core_pb *,
                                 otlp_item_fn),
                 otlp_item_fn item) {
  uint32_t f;
  enum core_pb_wire wt;
  struct core_pb p = *r, c;
  uint32_t n = 0;
  int rc;
  for (;;) {
    if (OTLP_FAST) /* the children: skipped here */
      p.p = otlp_skim_run(p.p, p.end, 2 << 3 | CORE_PB_LEN, &n, UINT32_MAX);
    if ((rc = core_pb_tag(&p, &f, &wt)) <= 0)
      break;
    if ((rc = f == 1 ? ctx_fn(d, &p, wt) : core_pb_skip(&p, wt)))
      return rc;
  }
  if (rc)
    return rc;
  for (;;) {
    if (OTLP_FAST && otlp_sub_fast(r, 2 << 3 | CORE_PB_LEN, &c)) {
      OTLP_TRY(child_fn(d, &c, item));
      continue;
    }
    if ((rc = core_pb_tag(r, &f, &wt)) <= 0)
      break;
    if (f == 2) {
      if (!(rc = core_pb_sub(r, wt, &c)))
        rc = child_fn(d, &c, item);
    } else {
      rc = core_pb_skip(r, wt);
    }
    if (rc)
      return rc;
  }
  return rc;
}

static int item_child(struct otlp_dec *d, struct core_pb *r,
                      otlp_item_fn item) {
  return item(d, r);
}

static int scope_child(struct otlp_dec *d, struct core_pb *r,
                       otlp_item_fn item) {
  memset(&d->s->origin.scope_name, 0, sizeof d->s->origin.scope_name);
  memset(&d->s->origin.scope_version, 0, sizeof d->s->origin.scope_version);
  return level(d, r, rd_scope, item_child, item);
}

int otlp_walk(const void *buf, size_t len, struct core_otlp_scratch *s,
              const struct core_otlp_sink *sink, const char **why,
              otlp_item_fn item) {
  struct otlp_dec d = {
      .s = s, .sink = sink, .known = sink != NULL && sink->attrs_known != NULL};
  struct core_pb r, c;
  uint32_t f;
  enum core_pb_wire wt;
  int rc;
  *why = NULL;
  core_pb_init(&r, buf, len, why);
  memset(&s->origin, 0, sizeof s->origin);
  s->items = 0;
  while ((rc = core_pb_tag(&r, &f, &wt)) > 0) {
    if (f == 1) {
      s->origin.resource.n = 0;
      if (!(rc = core_pb_sub(&r, wt, &c)))
        rc = level(&d, &c, rd_resource, scope_child, item);
    } else {
      rc = core_pb_skip(&r, wt);
    }
    if (rc)
      return rc;
  }
  return rc;
}
