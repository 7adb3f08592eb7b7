/*
 * core/parse/otlp_json_int.h - what the OTLP JSON decoders
 * (otlp_json*.c) share: a strict JSON reader over the request body and
 * typed reads of OTLP's field types. Not for use outside core/parse.
 */
#ifndef SLUICE_CORE_PARSE_OTLP_JSON_INT_H
#define SLUICE_CORE_PARSE_OTLP_JSON_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core/parse/otlp_json_types.h"
#include "core/parse/otlp_types.h"

/* Return a non-zero result at once. */
#define JR_TRY(x)                                                              \
  do {                                                                         \
    int jr_rc_ = (x);                                                          \
    if (jr_rc_)                                                                \
      return jr_rc_;                                                           \
  } while (0)

/* A position in the body; copies of it read the same bytes again. */
struct jr {
  const uint8_t *p, *end;
  unsigned depth; /* open objects and arrays */
  const char **why;
  struct core_otlp_jscratch *js;
};

/* A known field of a message: its JSON (lowerCamelCase) and proto names
 * and their lengths (JF); its id is its index in the table plus one. */
struct jfield {
  const char *camel, *proto;
  uint8_t camel_len, proto_len;
};
#define JF(camel, proto)                                                       \
  { camel, proto, sizeof(camel) - 1, sizeof(proto) - 1 }

/* An enum: names[i] is the value i (a NULL name: no value). */
struct jenum {
  const char *const *names;
  uint32_t n;
};

/* Store reason in *r->why and return err. */
int jr_fail(const struct jr *r, int err, const char *reason);

/* Open an object / an array at the next value ('{' / '['), one level
 * deeper. Returns 0, -EBADMSG, or -E2BIG past CORE_OTLP_JSON_DEPTH_MAX. */
int jr_obj(struct jr *r);
int jr_arr(struct jr *r);

/*
 * The next member of the open object whose fields are t[0, nt): returns 1
 * with *id (1..nt) and r at its value, 0 when the object closed. Unknown
 * members and known ones whose value is null are skipped (checked);
 * a known field seen twice (by either name) is -EBADMSG. *n counts the
 * members read (0 when opened), *seen the ids met.
 */
int jr_member(struct jr *r, uint32_t *n, const struct jfield *t, unsigned nt,
              uint32_t *seen, unsigned *id);

/* The next element of the open array: 1 with r at it, 0 when the array
 * closed; a null element is -EBADMSG. *n counts elements (0 when opened). */
int jr_elem(struct jr *r, uint32_t *n);

/* Only whitespace up to the end of the body: 0, or -EBADMSG. */
int jr_end(struct jr *r);

/* Skip the next value, checked as strictly as if it were read. */
int jr_skip(struct jr *r);

/* Skip the array at r, counting its elements into *count. */
int jr_skip_count(struct jr *r, uint32_t *count);

/* Typed reads of the next value; each returns 0, -EBADMSG, or -E2BIG when
 * the arena is full. */
int jr_str(struct jr *r, struct core_otlp_str *s); /* string */
int jr_bool(struct jr *r, int *v);                 /* true/false */
int jr_u64(struct jr *r, uint64_t *v);             /* (u)int64, fixed64 */
int jr_i64(struct jr *r, int64_t *v);              /* int64, sfixed64 */
int jr_u32(struct jr *r, uint32_t *v);             /* uint32, fixed32 */
int jr_i32(struct jr *r, int32_t *v);              /* int32, sint32 */
int jr_double(struct jr *r, double *v);            /* double */
int jr_enum(struct jr *r, const struct jenum *e, uint32_t *v);
/* An id of want bytes in hex, or "" (*id NULL); another length fails with
 * reason. */
int jr_id(struct jr *r, const uint8_t **id, uint32_t want, const char *reason);

/* Read the AnyValue object at r into *v (arrays and kvlists transcoded
 * into the arena, checked down to CORE_OTLP_ANY_DEPTH_MAX from level). */
int jr_any(struct jr *r, struct core_otlp_value *v, unsigned level);

/* Read the array of KeyValue at r, appending to arr[*n]; -E2BIG past
 * CORE_OTLP_ATTRS_MAX. */
int jr_attrs(struct jr *r, struct core_otlp_attr *arr, uint32_t *n);

#endif
