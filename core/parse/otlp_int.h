/*
 * core/parse/otlp_int.h - what the OTLP decoders (otlp*.c) share; not for
 * use outside core/parse.
 */
#ifndef SLUICE_CORE_PARSE_OTLP_INT_H
#define SLUICE_CORE_PARSE_OTLP_INT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/parse/otlp_types.h"
#include "core/parse/pb.h"

/*
 * The fast paths: a field in the shape every SDK writes (one-byte tag, a
 * one- or two-byte length, an AnyValue of one scalar field) is read in one
 * step, checked against the end of its message once; anything else, by
 * one byte, goes to the field by field reading, which says why it fails.
 * A fast path only takes what that reading would accept, and leaves what
 * it would leave. Tests build the decoders once more with OTLP_FAST 0 (the
 * field by field reading alone) and require equal results and reasons.
 */
#ifndef OTLP_FAST
#define OTLP_FAST 1
#endif

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
  int known;                   /* sink->attrs_known is set */
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

/*
 * The AnyValue message [v, v + n) in the shape SDKs write: empty (no
 * value), a string (field 1, a one- or two-byte length filling the
 * message), a bool or an int (2, 3: a varint of at most 9 bytes filling
 * it), a double (4: 8 bytes). Sets *out as otlp_any would and returns 1;
 * anything else returns 0 with *out untouched.
 */
static inline int otlp_any_fast(const uint8_t *v, size_t n,
                                struct core_otlp_value *out) {
  uint64_t u = 0;
  size_t i;
  if (n == 0) {
    *out = (struct core_otlp_value){.type = CORE_OTLP_V_NONE};
    return 1;
  }
  if (n < 2)
    return 0;
  switch (v[0]) {
  case CORE_OTLP_V_STRING << 3 | CORE_PB_LEN:
    if (v[1] < 0x80 && v[1] == n - 2) {
      *out = (struct core_otlp_value){.type = CORE_OTLP_V_STRING,
                                      .s = {(const char *)v + 2, v[1]}};
      return 1;
    }
    if (n < 3 || v[1] < 0x80 || v[2] >= 0x80 ||
        ((size_t)(v[1] & 0x7f) | (size_t)v[2] << 7) != n - 3)
      return 0;
    *out =
        (struct core_otlp_value){.type = CORE_OTLP_V_STRING,
                                 .s = {(const char *)v + 3, (uint32_t)(n - 3)}};
    return 1;
  case CORE_OTLP_V_BOOL << 3 | CORE_PB_VARINT:
  case CORE_OTLP_V_INT << 3 | CORE_PB_VARINT:
    if (n > 10)
      return 0;
    /* every byte but the last continues, the last does not */
    for (i = 1; i < n; i++) {
      if ((v[i] < 0x80) != (i == n - 1))
        return 0;
      u |= (uint64_t)(v[i] & 0x7f) << (7 * (i - 1));
    }
    *out = (struct core_otlp_value){
        .type = (enum core_otlp_vtype)(v[0] >> 3),
        .i = v[0] == (CORE_OTLP_V_BOOL << 3) ? (u != 0) : (int64_t)u};
    return 1;
  case CORE_OTLP_V_DOUBLE << 3 | CORE_PB_I64:
    if (n != 9)
      return 0;
    *out = (struct core_otlp_value){.type = CORE_OTLP_V_DOUBLE};
    memcpy(&out->d, v + 1, 8);
    return 1;
  }
  return 0;
}

/*
 * The KeyValue whose length byte is at p (its tag just before), inside a
 * message ending at e, in the shape SDKs write: a one-byte length, 1 key
 * (one-byte length), 2 an AnyValue otlp_any_fast reads (one-byte length),
 * nothing else. Fills *a as otlp_attr would and returns the end of the
 * field; NULL for anything else (*a untouched).
 */
static inline const uint8_t *otlp_kv_fast(const uint8_t *p, const uint8_t *e,
                                          struct core_otlp_attr *a) {
  uint32_t len, kl, vl;
  const uint8_t *v;
  if (e - p < 5 || (len = p[0]) >= 0x80 || len > (size_t)(e - p - 1) ||
      p[1] != (1 << 3 | CORE_PB_LEN) || (kl = p[2]) >= 0x80 || kl + 4 > len)
    return NULL;
  v = p + 3 + kl;
  vl = len - kl - 4;
  if (v[0] != (2 << 3 | CORE_PB_LEN) || v[1] != vl)
    return NULL;
  /* most values: a string of a one-byte length filling the AnyValue (as
   * otlp_any_fast reads it, without its switch) */
  if (vl >= 2 && v[2] == (CORE_OTLP_V_STRING << 3 | CORE_PB_LEN) &&
      v[3] == vl - 2)
    a->value = (struct core_otlp_value){.type = CORE_OTLP_V_STRING,
                                        .s = {(const char *)v + 4, vl - 2}};
  else if (!otlp_any_fast(v + 2, vl, &a->value))
    return NULL;
  a->key = (struct core_otlp_str){(const char *)p + 3, kl};
  return v + 2 + vl;
}

/*
 * A length of one or two bytes at p (before e) in *len, checked to fit
 * before e. Returns the first byte after the length, or NULL (a longer
 * or truncated length, or one past e: left to core_pb_bytes).
 */
static inline const uint8_t *otlp_len_fast(const uint8_t *p, const uint8_t *e,
                                           size_t *len) {
  if (e - p >= 1 && p[0] < 0x80) {
    *len = p[0];
    p += 1;
  } else if (e - p >= 2 && p[1] < 0x80) {
    *len = (size_t)(p[0] & 0x7f) | (size_t)p[1] << 7;
    p += 2;
  } else {
    return NULL;
  }
  return *len <= (size_t)(e - p) ? p : NULL;
}

/*
 * Past the run at p of length-delimited fields of the one-byte tag `tag`
 * with lengths otlp_len_fast reads, at most max - *n of them, inside
 * [p, e): returns where the run stops (p when it is empty), *n counted.
 */
static inline const uint8_t *otlp_skim_run(const uint8_t *p, const uint8_t *e,
                                           uint8_t tag, uint32_t *n,
                                           uint32_t max) {
  size_t left = (size_t)(e - p), step;
  uint32_t k = *n;
  for (; k < max && left >= 2 && p[0] == tag; k++) {
    if (p[1] < 0x80) { /* tag, length, bytes */
      step = (size_t)p[1] + 2;
    } else {
      if (left < 3 || p[2] >= 0x80)
        break;
      step = ((size_t)(p[1] & 0x7f) | (size_t)p[2] << 7) + 3;
    }
    if (step > left)
      break;
    left -= step;
    p += step;
  }
  *n = k;
  return p;
}

/*
 * At r->p, a field of the one-byte tag `tag` (a message) with a length
 * otlp_len_fast reads, opened as child as core_pb_sub would open it.
 * Returns 1 with r past the field, else 0 with nothing read.
 */
static inline int otlp_sub_fast(struct core_pb *r, uint8_t tag,
                                struct core_pb *child) {
  const uint8_t *q;
  size_t len;
  if (r->p >= r->end || *r->p != tag || r->depth + 1 > CORE_PB_DEPTH_MAX ||
      (q = otlp_len_fast(r->p + 1, r->end, &len)) == NULL)
    return 0;
  child->p = q;
  child->end = q + len;
  child->depth = r->depth + 1;
  child->why = r->why;
  r->p = q + len;
  return 1;
}

/* Read the AnyValue message r into *v (arrays and kvlists checked down to
 * CORE_OTLP_ANY_DEPTH_MAX from level). Returns 0, -EBADMSG or -E2BIG. */
int otlp_any(struct core_pb *r, struct core_otlp_value *v, unsigned level);

/* otlp_attr field by field (otlp.c). */
int otlp_attr_slow(struct core_pb *r, enum core_pb_wire wt,
                   struct core_otlp_attr *arr, uint32_t *n);

/* Whether r may read the KeyValues and their AnyValues inside it without
 * passing CORE_PB_DEPTH_MAX (the field by field reading checks it). */
static inline int otlp_kv_depth_ok(const struct core_pb *r) {
  return r->depth + 2 <= CORE_PB_DEPTH_MAX;
}

/* Append the KeyValue field (wire type wt) to arr[*n]. Returns 0,
 * -EBADMSG, or -E2BIG past CORE_OTLP_ATTRS_MAX. */
static inline int otlp_attr(struct core_pb *r, enum core_pb_wire wt,
                            struct core_otlp_attr *arr, uint32_t *n) {
  const uint8_t *q;
  if (OTLP_FAST && wt == CORE_PB_LEN && *n < CORE_OTLP_ATTRS_MAX &&
      otlp_kv_depth_ok(r) && (q = otlp_kv_fast(r->p, r->end, &arr[*n]))) {
    r->p = q;
    (*n)++;
    return 0;
  }
  return otlp_attr_slow(r, wt, arr, n);
}

/*
 * At p (inside r), a run of KeyValue fields of the one-byte tag `tag`
 * appended to arr[*n] while otlp_kv_fast reads them and the bound
 * allows. Returns where the run read stops (p when nothing was read):
 * the caller reads on from there field by field.
 */
static inline const uint8_t *otlp_attrs_fast(const struct core_pb *r,
                                             const uint8_t *p, uint8_t tag,
                                             struct core_otlp_attr *arr,
                                             uint32_t *n) {
  const uint8_t *q, *e = r->end;
  uint32_t k = *n;
  if (!otlp_kv_depth_ok(r))
    return p;
  while (p < e && *p == tag && k < CORE_OTLP_ATTRS_MAX &&
         (q = otlp_kv_fast(p + 1, e, &arr[k])) != NULL) {
    p = q;
    k++;
  }
  *n = k;
  return p;
}

/* Count one more item of the request. Returns 0 or -E2BIG past
 * CORE_OTLP_ITEMS_MAX. */
static inline int otlp_count_item(struct otlp_dec *d, struct core_pb *r) {
  if (d->s->items >= CORE_OTLP_ITEMS_MAX)
    return core_pb_fail(r, -E2BIG, "too many items in request");
  d->s->items++;
  return 0;
}

/* Walk an Export*ServiceRequest: item() per message at the third level
 * (ResourceX.2 -> ScopeX.2), with s->origin set. Returns 0 or -errno. */
int otlp_walk(const void *buf, size_t len, struct core_otlp_scratch *s,
              const struct core_otlp_sink *sink, const char **why,
              otlp_item_fn item);

#endif
