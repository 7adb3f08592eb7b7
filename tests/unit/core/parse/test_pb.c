/*
 * tests/unit/core/parse/test_pb.c - the protobuf wire reader.
 *
 * Each read on well-formed bytes, then the hostile cases: truncations at
 * every byte, varints over 10 bytes or 64 bits, lengths past the end,
 * groups, field 0, and nesting past the depth bound.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "core/base/limits.h"
#include "core/parse/pb.h"

static const char *why;
static struct core_pb r;

static void init(const void *buf, size_t len) {
  why = NULL;
  core_pb_init(&r, buf, len, &why);
}

Test(pb, varint) {
  const uint8_t one[] = {0x01}, big[] = {0xac, 0x02};
  const uint8_t max[] = {0xff, 0xff, 0xff, 0xff, 0xff,
                         0xff, 0xff, 0xff, 0xff, 0x01};
  uint64_t v;
  init(one, 1);
  cr_assert_eq(core_pb_varint(&r, &v), 0);
  cr_assert_eq(v, 1);
  init(big, 2);
  cr_assert_eq(core_pb_varint(&r, &v), 0);
  cr_assert_eq(v, 300);
  init(max, 10);
  cr_assert_eq(core_pb_varint(&r, &v), 0);
  cr_assert_eq(v, UINT64_MAX);
  cr_assert_eq(core_pb_left(&r), 0);
}

/* The two-byte fast path: the largest, a padded zero, a cut second byte. */
Test(pb, varint_two_bytes) {
  const uint8_t top[] = {0xff, 0x7f}, zero[] = {0x80, 0x00}, cut[] = {0xff};
  const uint8_t three[] = {0x80, 0x80, 0x01};
  uint64_t v;
  init(top, 2);
  cr_assert_eq(core_pb_varint(&r, &v), 0);
  cr_assert_eq(v, 16383);
  cr_assert_eq(core_pb_left(&r), 0);
  init(zero, 2);
  cr_assert_eq(core_pb_varint(&r, &v), 0);
  cr_assert_eq(v, 0);
  init(cut, 1);
  cr_assert_eq(core_pb_varint(&r, &v), -EBADMSG);
  cr_assert_str_eq(why, "truncated varint");
  init(three, 3);
  cr_assert_eq(core_pb_varint(&r, &v), 0);
  cr_assert_eq(v, 16384);
  cr_assert_eq(core_pb_left(&r), 0);
}

Test(pb, varint_hostile) {
  const uint8_t over[] = {0xff, 0xff, 0xff, 0xff, 0xff,
                          0xff, 0xff, 0xff, 0xff, 0x02};
  const uint8_t eleven[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                            0x80, 0x80, 0x80, 0x80, 0x00};
  const uint8_t trunc[] = {0x80, 0x80};
  uint64_t v;
  init(over, sizeof over);
  cr_assert_eq(core_pb_varint(&r, &v), -EBADMSG);
  cr_assert_str_eq(why, "varint over 64 bits");
  init(eleven, sizeof eleven);
  cr_assert_eq(core_pb_varint(&r, &v), -EBADMSG);
  init(trunc, sizeof trunc);
  cr_assert_eq(core_pb_varint(&r, &v), -EBADMSG);
  cr_assert_str_eq(why, "truncated varint");
}

Test(pb, fixed) {
  const uint8_t b[] = {1, 2, 3, 4, 5, 6, 7, 8};
  uint64_t v;
  uint32_t v32;
  init(b, 8);
  cr_assert_eq(core_pb_fixed64(&r, &v), 0);
  cr_assert_eq(v, 0x0807060504030201ull);
  init(b, 4);
  cr_assert_eq(core_pb_fixed32(&r, &v32), 0);
  cr_assert_eq(v32, 0x04030201u);
  for (size_t n = 0; n < 8; n++) {
    init(b, n);
    cr_assert_eq(core_pb_fixed64(&r, &v), -EBADMSG);
    if (n < 4) {
      init(b, n);
      cr_assert_eq(core_pb_fixed32(&r, &v32), -EBADMSG);
    }
  }
}

Test(pb, bytes_and_tags) {
  /* field 1 LEN "abc", field 2 varint 150, field 3 fixed32, field 4 I64 */
  const uint8_t b[] = {0x0a, 3, 'a', 'b', 'c', 0x10, 0x96, 0x01,
                       0x1d, 1,  0,   0,   0,   0x21, 1,    2,
                       3,    4,  5,   6,   7,   8};
  uint32_t f;
  enum core_pb_wire wt;
  struct core_pb_bytes s = {0};
  init(b, sizeof b);
  cr_assert_eq(core_pb_tag(&r, &f, &wt), 1);
  cr_assert(f == 1 && wt == CORE_PB_LEN);
  cr_assert_eq(core_pb_bytes(&r, &s), 0);
  cr_assert(s.len == 3 && memcmp(s.ptr, "abc", 3) == 0 && s.ptr == b + 2);
  int fields = 1;
  while (core_pb_tag(&r, &f, &wt) == 1) {
    cr_assert_eq(core_pb_skip(&r, wt), 0);
    fields++;
  }
  cr_assert_eq(fields, 4);
  cr_assert_eq(core_pb_left(&r), 0);
  /* every truncation fails (or ends cleanly between fields) */
  for (size_t n = 0; n < sizeof b; n++) {
    init(b, n);
    int rc;
    while ((rc = core_pb_tag(&r, &f, &wt)) == 1)
      if ((rc = core_pb_skip(&r, wt)))
        break;
    int boundary = n == 0 || n == 5 || n == 8 || n == 13;
    cr_assert_eq(rc, boundary ? 0 : -EBADMSG, "cut at %zu", n);
  }
}

Test(pb, length_past_end) {
  const uint8_t b[] = {0x0a, 4, 'a', 'b', 'c'};
  const uint8_t huge[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 'a'};
  uint32_t f;
  enum core_pb_wire wt;
  struct core_pb_bytes s = {0};
  init(b, sizeof b);
  cr_assert_eq(core_pb_tag(&r, &f, &wt), 1);
  cr_assert_eq(core_pb_bytes(&r, &s), -EBADMSG);
  cr_assert_str_eq(why, "length past end");
  init(huge, sizeof huge);
  cr_assert_eq(core_pb_tag(&r, &f, &wt), 1);
  cr_assert_eq(core_pb_skip(&r, wt), -EBADMSG);
}

Test(pb, bad_tags) {
  const uint8_t zero[] = {0x00, 0x01}, w6[] = {0x0e}, w7[] = {0x0f};
  const uint8_t group[] = {0x0b, 0x0c}, egroup[] = {0x0c};
  uint32_t f;
  enum core_pb_wire wt;
  init(zero, 2);
  cr_assert_eq(core_pb_tag(&r, &f, &wt), -EBADMSG);
  cr_assert_str_eq(why, "bad field number");
  init(w6, 1);
  cr_assert_eq(core_pb_tag(&r, &f, &wt), -EBADMSG);
  init(w7, 1);
  cr_assert_eq(core_pb_tag(&r, &f, &wt), -EBADMSG);
  init(group, 2);
  cr_assert_eq(core_pb_tag(&r, &f, &wt), 1);
  cr_assert_eq(core_pb_skip(&r, wt), -EBADMSG);
  cr_assert_str_eq(why, "group wire type");
  init(egroup, 1);
  cr_assert_eq(core_pb_tag(&r, &f, &wt), 1);
  cr_assert_eq(core_pb_skip(&r, wt), -EBADMSG);
}

/* Descend through field 1 until it runs out; returns the first error. */
static int descend(struct core_pb *p, int *levels) {
  uint32_t f;
  enum core_pb_wire wt;
  int rc = core_pb_tag(p, &f, &wt);
  if (rc <= 0)
    return rc;
  struct core_pb child;
  if ((rc = core_pb_sub(p, wt, &child)))
    return rc;
  (*levels)++;
  return descend(&child, levels);
}

Test(pb, depth_bound) {
  /* N nested messages in field 1, built inside out; each length as a
   * two-byte varint (legal if not minimal) so any N fits */
  enum { N = CORE_PB_DEPTH_MAX + 4 };
  uint8_t b[3 * N];
  size_t len = 0;
  for (int i = 0; i < N; i++) {
    memmove(b + 3, b, len);
    b[0] = 0x0a;
    b[1] = (uint8_t)(0x80 | (len & 0x7f));
    b[2] = (uint8_t)(len >> 7);
    len += 3;
  }
  int levels = 0;
  init(b, 3 * CORE_PB_DEPTH_MAX);
  /* a truncated prefix is a length past the end, not a crash */
  cr_assert_eq(descend(&r, &levels), -EBADMSG);
  levels = 0;
  init(b, len);
  cr_assert_eq(descend(&r, &levels), -E2BIG);
  cr_assert_eq(levels, CORE_PB_DEPTH_MAX);
  cr_assert_str_eq(why, "messages nested too deep");
}

Test(pb, wrong_wire_type) {
  const uint8_t b[] = {0x08, 0x01};
  uint32_t f;
  enum core_pb_wire wt;
  struct core_pb child;
  init(b, 2);
  cr_assert_eq(core_pb_tag(&r, &f, &wt), 1);
  cr_assert_eq(core_pb_sub(&r, wt, &child), -EBADMSG);
  cr_assert_str_eq(why, "wrong wire type");
}
