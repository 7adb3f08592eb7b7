/*
 * core/parse/pb.c - the protobuf wire reader (see pb.h).
 *
 * Every read first checks what remains, so a hostile length or a
 * truncated buffer fails with a reason instead of reading past the end.
 */
#include "core/parse/pb.h"

#include <errno.h>
#include <string.h>

#include "core/base/limits.h"

void core_pb_init(struct core_pb *r, const void *buf, size_t len,
                  const char **why) {
  r->p = buf;
  r->end = r->p + len;
  r->depth = 0;
  r->why = why;
}

int core_pb_fail(const struct core_pb *r, int err, const char *reason) {
  if (r->why)
    *r->why = reason;
  return err;
}

int core_pb_varint(struct core_pb *r, uint64_t *v) {
  uint64_t x = 0;
  for (unsigned i = 0; i < CORE_PB_VARINT_BYTES_MAX; i++) {
    if (r->p == r->end)
      return core_pb_fail(r, -EBADMSG, "truncated varint");
    uint8_t b = *r->p++;
    /* the 10th byte holds bit 63 only: anything more overflows 64 bits */
    if (i == CORE_PB_VARINT_BYTES_MAX - 1 && b > 1)
      return core_pb_fail(r, -EBADMSG, "varint over 64 bits");
    x |= (uint64_t)(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      *v = x;
      return 0;
    }
  }
  return core_pb_fail(r, -EBADMSG, "varint over 64 bits");
}

int core_pb_fixed64(struct core_pb *r, uint64_t *v) {
  if (core_pb_left(r) < 8)
    return core_pb_fail(r, -EBADMSG, "truncated fixed64");
  uint64_t x = 0;
  for (int i = 7; i >= 0; i--)
    x = (x << 8) | r->p[i];
  r->p += 8;
  *v = x;
  return 0;
}

int core_pb_fixed32(struct core_pb *r, uint32_t *v) {
  if (core_pb_left(r) < 4)
    return core_pb_fail(r, -EBADMSG, "truncated fixed32");
  *v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 |
       (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
  r->p += 4;
  return 0;
}

int core_pb_bytes(struct core_pb *r, struct core_pb_bytes *out) {
  uint64_t n;
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

int core_pb_tag(struct core_pb *r, uint32_t *field, enum core_pb_wire *wt) {
  if (r->p == r->end)
    return 0;
  uint64_t t;
  int rc = core_pb_varint(r, &t);
  if (rc)
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

int core_pb_skip(struct core_pb *r, enum core_pb_wire wt) {
  uint64_t v;
  uint32_t v32;
  struct core_pb_bytes b;
  switch (wt) {
  case CORE_PB_VARINT:
    return core_pb_varint(r, &v);
  case CORE_PB_I64:
    return core_pb_fixed64(r, &v);
  case CORE_PB_LEN:
    return core_pb_bytes(r, &b);
  case CORE_PB_I32:
    return core_pb_fixed32(r, &v32);
  default:
    break;
  }
  return core_pb_fail(r, -EBADMSG, "group wire type");
}

int core_pb_want(const struct core_pb *r, enum core_pb_wire wt,
                 enum core_pb_wire want) {
  if (wt != want)
    return core_pb_fail(r, -EBADMSG, "wrong wire type");
  return 0;
}

int core_pb_sub(struct core_pb *r, enum core_pb_wire wt,
                struct core_pb *child) {
  struct core_pb_bytes b;
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
