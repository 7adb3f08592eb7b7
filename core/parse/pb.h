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

/*
 * Start reading buf[0, len) at depth 0; reasons go to *why (must stay
 * valid as long as the reader and its nested readers).
 */
void core_pb_init(struct core_pb *r, const void *buf, size_t len,
                  const char **why);

/* Store reason in *r->why and return err (-EBADMSG or -E2BIG). */
int core_pb_fail(const struct core_pb *r, int err, const char *reason);

/*
 * Read the next tag. Returns 1 with *field (>= 1) and *wt set, 0 at the
 * end of the buffer, -EBADMSG on a bad varint, field number 0, or a wire
 * type 6 or 7.
 */
int core_pb_tag(struct core_pb *r, uint32_t *field, enum core_pb_wire *wt);

/*
 * Read a varint of at most CORE_PB_VARINT_BYTES_MAX bytes into *v.
 * Returns 0, or -EBADMSG if truncated or over 64 bits.
 */
int core_pb_varint(struct core_pb *r, uint64_t *v);

/* Read 8 little-endian bytes into *v. Returns 0 or -EBADMSG (truncated). */
int core_pb_fixed64(struct core_pb *r, uint64_t *v);

/* Read 4 little-endian bytes into *v. Returns 0 or -EBADMSG (truncated). */
int core_pb_fixed32(struct core_pb *r, uint32_t *v);

/*
 * Read a length-delimited field: *out points into the buffer. Returns 0,
 * or -EBADMSG if the length varint is bad or runs past the end.
 */
int core_pb_bytes(struct core_pb *r, struct core_pb_bytes *out);

/*
 * Skip the value of a field of wire type wt (the tag already read).
 * Returns 0, or -EBADMSG if truncated or a group (wire types 3 and 4,
 * deprecated and never sent by OTLP, are refused).
 */
int core_pb_skip(struct core_pb *r, enum core_pb_wire wt);

/*
 * Check that a field came with the wire type its schema gives.
 * Returns 0 or -EBADMSG ("wrong wire type").
 */
int core_pb_want(const struct core_pb *r, enum core_pb_wire wt,
                 enum core_pb_wire want);

/*
 * Read a length-delimited field (wire type wt, checked) as a nested
 * message: *child reads it, one level deeper, sharing r's reason slot.
 * Returns 0, -EBADMSG as core_pb_bytes or core_pb_want, or -E2BIG past
 * CORE_PB_DEPTH_MAX levels.
 */
int core_pb_sub(struct core_pb *r, enum core_pb_wire wt,
                struct core_pb *child);

/* Bytes left to read. */
static inline size_t core_pb_left(const struct core_pb *r) {
  return (size_t)(r->end - r->p);
}

#endif
