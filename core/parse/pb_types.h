/*
 * core/parse/pb_types.h - the protobuf wire reader's state and types.
 */
#ifndef SLUICE_CORE_PARSE_PB_TYPES_H
#define SLUICE_CORE_PARSE_PB_TYPES_H

#include <stdint.h>

/* Protobuf wire types (the low 3 bits of a tag). */
enum core_pb_wire {
  CORE_PB_VARINT = 0,
  CORE_PB_I64 = 1,
  CORE_PB_LEN = 2,
  CORE_PB_SGROUP = 3, /* deprecated groups: refused */
  CORE_PB_EGROUP = 4,
  CORE_PB_I32 = 5,
};

/* A length-delimited field: bytes inside the buffer being read, not copied. */
struct core_pb_bytes {
  const uint8_t *ptr;
  uint32_t len;
};

/*
 * A reader over [p, end). Set up with core_pb_init or core_pb_sub; fields
 * are private. why points to the caller's one error slot, shared by every
 * nested reader, so the reason of the innermost failure reaches the top.
 */
struct core_pb {
  const uint8_t *p;
  const uint8_t *end;
  uint32_t depth;   /* nesting level: 0 for the request itself */
  const char **why; /* static reason of the last -EBADMSG or -E2BIG */
};

#endif
