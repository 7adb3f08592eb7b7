/*
 * storage/zcol_types.h - the parts a text-heavy block kind is made of (span
 * blocks, and log blocks: their string tables in both layouts, the
 * DEFLATE stream of layout 1): a string table built in first-use order,
 * and one raw DEFLATE stream (isa-l igzip, level 1) that a reader inflates
 * into a buffer of exactly the size the header gives.
 */
#ifndef SLUICE_STORAGE_ZCOL_TYPES_H
#define SLUICE_STORAGE_ZCOL_TYPES_H

#include <stddef.h>
#include <stdint.h>

struct isal_zstream;
struct inflate_state;

/* Bytes of a string (not NUL-terminated). */
struct stor_zstr {
  const char *ptr;
  uint32_t len;
};

/* One slot of the table's open-addressing index. */
struct stor_zslot {
  uint32_t gen;   /* valid only when equal to the table's gen */
  uint32_t idx;
};

/*
 * A string table being built: up to `max` strings of at most str_max
 * bytes, found again by hash. Emptied per block by bumping gen.
 */
struct stor_ztab {
  uint32_t max, str_max;
  uint32_t gen;
  uint32_t slots_n;             /* power of two, >= 2 * max */
  struct stor_zslot *slots;
  struct stor_zstr *str;        /* entries in first-use order */
  uint32_t count;
};

/* Deflate state and its level-1 scratch (large: kept off the stack). */
struct stor_zdeflate {
  struct isal_zstream *zs;
  uint8_t *level_buf;
  size_t level_buf_bytes;
};

#endif
