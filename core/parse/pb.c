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

int core_pb_varint_slow(struct core_pb *r, uint64_t *v) {
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

int core_pb_skip_slow(struct core_pb *r, enum core_pb_wire wt) {
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
