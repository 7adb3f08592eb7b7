/*
 * core/parse/otlp_json_types.h - the memory of the OTLP JSON decoders.
 *
 * What they hand out is what the protobuf decoders hand out
 * (core/parse/otlp_types.h). Strings without escapes point into the
 * request body; everything the JSON form has to rebuild (unescaped
 * strings, ids decoded from hex, bytesValue decoded from base64, AnyValue
 * arrays and kvlists transcoded into their protobuf encoding) goes into
 * the caller's arena, valid until the next decode with it.
 */
#ifndef SLUICE_CORE_PARSE_OTLP_JSON_TYPES_H
#define SLUICE_CORE_PARSE_OTLP_JSON_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/limits.h"

/*
 * Arena bytes that let every body of up to body_bytes_max bytes decode
 * without "JSON scratch full": what the decoder writes for a piece of the
 * body is never longer than that piece (an escaped string unescapes
 * shorter, 32 hex digits make 16 bytes, base64 shrinks by a quarter, a
 * JSON AnyValue's protobuf encoding is shorter than its JSON), plus the
 * headers reserved while transcoding.
 */
#define CORE_OTLP_JSON_ARENA_BYTES(body_bytes_max)                             \
  ((size_t)(body_bytes_max) + CORE_OTLP_JSON_ARENA_SLACK_BYTES)

/* The caller's arena (one per shard, allocated at start-up). */
struct core_otlp_jscratch {
  uint8_t *arena;
  size_t cap;  /* bytes at arena */
  size_t used; /* by the current (or last) decode */
};

#endif
