/*
 * core/parse/otlp_int.h - what the OTLP decoders (otlp*.c) share; not for
 * use outside core/parse.
 */
#ifndef SLUICE_CORE_PARSE_OTLP_INT_H
#define SLUICE_CORE_PARSE_OTLP_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/parse/otlp_types.h"
#include "core/parse/pb.h"

/* Return a non-zero result at once. */
#define OTLP_TRY(x)                                                        \
  do {                                                                     \
    int otlp_rc_ = (x);                                                    \
    if (otlp_rc_)                                                          \
      return otlp_rc_;                                                     \
  } while (0)

/* One decode in progress. */
struct otlp_dec {
  struct core_otlp_scratch *s;
  const struct core_otlp_sink *sink;
  struct core_otlp_point tmpl; /* the current metric's fields */
  struct core_otlp_point npt;  /* a gauge or sum point: tmpl copied once a
                                  metric, the point's own fields reset at
                                  each point (no 300-byte copy a point) */
};

/* Decodes one item message (Metric, LogRecord, Span). 0 or -errno. */
typedef int (*otlp_item_fn)(struct otlp_dec *d, struct core_pb *r);

/* Typed reads of a field whose tag (wire type wt) was read: the wire type
 * is checked first. Each returns 0 or -EBADMSG. Inline: a data point is a
 * few of these, and the decoders are in several files. */
static inline int otlp_varint(struct core_pb *r, enum core_pb_wire wt,
                              uint64_t *v) {
  OTLP_TRY(core_pb_want(r, wt, CORE_PB_VARINT));
  return core_pb_varint(r, v);
}

static inline int otlp_fixed64(struct core_pb *r, enum core_pb_wire wt,
                               uint64_t *v) {
  OTLP_TRY(core_pb_want(r, wt, CORE_PB_I64));
  return core_pb_fixed64(r, v);
}

static inline int otlp_double(struct core_pb *r, enum core_pb_wire wt,
                              double *v) {
  uint64_t u;
  OTLP_TRY(otlp_fixed64(r, wt, &u));
  memcpy(v, &u, sizeof u); /* IEEE 754 binary64, little-endian on the wire */
  return 0;
}

static inline int otlp_fixed32(struct core_pb *r, enum core_pb_wire wt,
                               uint32_t *v) {
  OTLP_TRY(core_pb_want(r, wt, CORE_PB_I32));
  return core_pb_fixed32(r, v);
}

static inline int otlp_str(struct core_pb *r, enum core_pb_wire wt,
                           struct core_otlp_str *s) {
  struct core_pb_bytes b;
  OTLP_TRY(core_pb_want(r, wt, CORE_PB_LEN));
  OTLP_TRY(core_pb_bytes(r, &b));
  s->ptr = (const char *)b.ptr;
  s->len = b.len;
  return 0;
}

/* An id of want bytes, or empty (*id NULL); another length fails with
 * reason. Returns 0 or -EBADMSG. */
int otlp_id(struct core_pb *r, enum core_pb_wire wt, const uint8_t **id,
            uint32_t want, const char *reason);

/* Read the AnyValue message r into *v (arrays and kvlists checked down to
 * CORE_OTLP_ANY_DEPTH_MAX from level). Returns 0, -EBADMSG or -E2BIG. */
int otlp_any(struct core_pb *r, struct core_otlp_value *v, unsigned level);

/* Append the KeyValue field (wire type wt) to arr[*n]. Returns 0,
 * -EBADMSG, or -E2BIG past CORE_OTLP_ATTRS_MAX. */
int otlp_attr(struct core_pb *r, enum core_pb_wire wt,
              struct core_otlp_attr *arr, uint32_t *n);

/* Count one more item of the request. Returns 0 or -E2BIG past
 * CORE_OTLP_ITEMS_MAX. */
int otlp_count_item(struct otlp_dec *d, struct core_pb *r);

/* Walk an Export*ServiceRequest: item() per message at the third level
 * (ResourceX.2 -> ScopeX.2), with s->origin set. Returns 0 or -errno. */
int otlp_walk(const void *buf, size_t len, struct core_otlp_scratch *s,
              const struct core_otlp_sink *sink, const char **why,
              otlp_item_fn item);

#endif
