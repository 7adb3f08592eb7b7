/*
 * core/parse/pb.h - a bounded, zero-copy protobuf wire reader.
 *
 * Reads tags, varints, fixed32/64 and length-delimited fields from a
 * buffer, never past its end, never copying: a length-delimited field is a
 * pointer into the buffer. Every failure returns -EBADMSG (malformed) or
 * -E2BIG (over a bound of core/base/limits.h) and stores a short static
 * reason in *r->why, fit for a 400 reply.
 *
 * Usage:
 *   const char *why = NULL;
 *   core_pb_init(&r, buf, len, &why);
 *   while ((rc = core_pb_tag(&r, &field, &wt)) > 0)
 *     switch (field) { ... default: rc = core_pb_skip(&r, wt); }
 */
#ifndef SLUICE_CORE_PARSE_PB_H
#define SLUICE_CORE_PARSE_PB_H

#include <stddef.h>
#include <stdint.h>

#include "core/parse/pb_types.h"

#include <errno.h>
#include <string.h>

#include "core/base/limits.h"

/*
 * The readers are inline: an OTLP data point is some forty of these calls
 * (each attribute is a KeyValue and an AnyValue message), and calls across
 * files were two thirds of decoding. The rare paths (varints of more than
 * one byte, failures) stay out of line in pb.c.
 */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "fixed32/64 are read with memcpy: protobuf is little-endian");

/*
 * Start reading buf[0, len) at depth 0; reasons go to *why (must stay
 * valid as long as the reader and its nested readers).
 */
void core_pb_init(struct core_pb *r, const void *buf, size_t len,
                  const char **why);

/* Store reason in *r->why and return err (-EBADMSG or -E2BIG). Inline so
 * that compilers see every failure return a non-zero constant. */
static inline int core_pb_fail(const struct core_pb *r, int err,
                               const char *reason) {
  if (r->why)
    *r->why = reason;
  return err;
}

/* core_pb_varint past its first byte (pb.c). */
int core_pb_varint_slow(struct core_pb *r, uint64_t *v);

/* Bytes left to read. */
static inline size_t core_pb_left(const struct core_pb *r) {
  return (size_t)(r->end - r->p);
}

/*
 * Read a varint of at most CORE_PB_VARINT_BYTES_MAX bytes into *v.
 * Returns 0, or -EBADMSG when truncated or over 64 bits.
 */
static inline int core_pb_varint(struct core_pb *r, uint64_t *v) {
  if (r->p < r->end && *r->p < 0x80) {
    *v = *r->p++;
    return 0;
  }
  /* two bytes: the length of a data point, a log record, a metric */
  if (r->end - r->p >= 2 && r->p[1] < 0x80) {
    *v = (uint64_t)(r->p[0] & 0x7f) | (uint64_t)r->p[1] << 7;
    r->p += 2;
    return 0;
  }
  return core_pb_varint_slow(r, v);
}

/*
 * Read the next tag. Returns 1 with *field (>= 1) and *wt set, 0 at the
 * end of the buffer, -EBADMSG on a bad varint, field number 0, or a wire
 * type 6 or 7.
 */
static inline int core_pb_tag(struct core_pb *r, uint32_t *field,
                              enum core_pb_wire *wt) {
  uint64_t t = 0;
  int rc;

  /* set on every path: callers branch on the return, compilers can't see
   * that a failure returns non-zero */
  *field = 0;
  *wt = CORE_PB_VARINT;
  if (r->p == r->end)
    return 0;
  if ((rc = core_pb_varint(r, &t)))
    return rc;
  /* field numbers are 29 bits; 0 is never valid */
  if ((t >> 3) == 0 || (t >> 3) > 0x1fffffff)
    return core_pb_fail(r, -EBADMSG, "bad field number");
  if ((t & 7) > CORE_PB_I32)
    return core_pb_fail(r, -EBADMSG, "bad wire type");
  *field = (uint32_t)(t >> 3);
  *wt = (enum core_pb_wire)(t & 7);
  return 1;
}

/* Read 8 little-endian bytes into *v. Returns 0 or -EBADMSG (truncated). */
static inline int core_pb_fixed64(struct core_pb *r, uint64_t *v) {
  if (core_pb_left(r) < 8)
    return core_pb_fail(r, -EBADMSG, "truncated fixed64");
  memcpy(v, r->p, 8);
  r->p += 8;
  return 0;
}

/* Read 4 little-endian bytes into *v. Returns 0 or -EBADMSG (truncated). */
static inline int core_pb_fixed32(struct core_pb *r, uint32_t *v) {
  if (core_pb_left(r) < 4)
    return core_pb_fail(r, -EBADMSG, "truncated fixed32");
  memcpy(v, r->p, 4);
  r->p += 4;
  return 0;
}

/*
 * Read a length-delimited field: *out points into the buffer. Returns 0,
 * or -EBADMSG when the length is truncated or runs past the end.
 */
static inline int core_pb_bytes(struct core_pb *r, struct core_pb_bytes *out) {
  uint64_t n = 0;
  int rc = core_pb_varint(r, &n);

  if (rc)
    return rc;
  if (n > core_pb_left(r))
    return core_pb_fail(r, -EBADMSG, "length past end");
  out->ptr = r->p;
  out->len = (uint32_t)n; /* <= what remains of a buffer the caller holds */
  r->p += n;
  return 0;
}

/* core_pb_skip of a field not length-delimited (pb.c). */
int core_pb_skip_slow(struct core_pb *r, enum core_pb_wire wt);

/*
 * Skip a field of wire type wt. Returns 0, -EBADMSG (truncated, or a
 * group: refused). Inline for the usual case, a message or string
 * skipped while looking for a level's context.
 */
static inline int core_pb_skip(struct core_pb *r, enum core_pb_wire wt) {
  struct core_pb_bytes b;
  if (wt == CORE_PB_LEN)
    return core_pb_bytes(r, &b);
  return core_pb_skip_slow(r, wt);
}

/*
 * Check that a known field came with the wire type its schema gives.
 * Returns 0 or -EBADMSG ("wrong wire type").
 */
static inline int core_pb_want(const struct core_pb *r, enum core_pb_wire wt,
                               enum core_pb_wire want) {
  if (wt != want)
    return core_pb_fail(r, -EBADMSG, "wrong wire type");
  return 0;
}

/*
 * Open the embedded message of a length-delimited field (wire type wt) as
 * child, one level deeper. Returns 0, -EBADMSG (wrong wire type,
 * truncated) or -E2BIG (deeper than CORE_PB_DEPTH_MAX).
 */
static inline int core_pb_sub(struct core_pb *r, enum core_pb_wire wt,
                              struct core_pb *child) {
  struct core_pb_bytes b = {0};
  int rc = core_pb_want(r, wt, CORE_PB_LEN);

  if (rc)
    return rc;
  if (r->depth + 1 > CORE_PB_DEPTH_MAX)
    return core_pb_fail(r, -E2BIG, "messages nested too deep");
  if ((rc = core_pb_bytes(r, &b)))
    return rc;
  child->p = b.ptr;
  child->end = b.ptr + b.len;
  child->depth = r->depth + 1;
  child->why = r->why;
  return 0;
}

#endif
