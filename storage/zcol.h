/*
 * storage/zcol.h - string table and raw DEFLATE stream of text-heavy block
 * kinds (see zcol_types.h). Memory is allocated by the _init calls only.
 */
#ifndef SLUICE_STORAGE_ZCOL_H
#define SLUICE_STORAGE_ZCOL_H

#include <stddef.h>
#include <stdint.h>

#include "storage/zcol_types.h"

/* Deflate's worst case (stored blocks: 5 bytes per 65535), with margin. */
#define STOR_ZBOUND(u) ((u) + (u) / 256 + 1024)
/* Deflate expands at most 1032:1; a header claiming more is corrupt. */
#define STOR_ZRATIO_MAX 1032u

/*
 * A table of up to max strings of 1..str_max bytes. Returns 0, -EINVAL
 * (max 0 or over 2^24) or -ENOMEM.
 */
int stor_ztab_init(struct stor_ztab *t, uint32_t max, uint32_t str_max);

/* Release. Safe on a zeroed struct. */
void stor_ztab_free(struct stor_ztab *t);

/* Empty the table (a new block). */
void stor_ztab_reset(struct stor_ztab *t);

/*
 * Index of s in the table, adding it when new and there is room.
 * Returns the index, or -1 when s is empty, longer than str_max, or new
 * with the table full (the caller stores it inline). s must stay valid
 * until the table is reset.
 */
long stor_ztab_find(struct stor_ztab *t, struct stor_zstr s);

/*
 * Drop the entries from index n on (n <= count): the table as when it
 * held n entries. Entries leave in the reverse of their adding, which
 * restores a linear-probing table exactly (each had taken a slot that
 * was empty before it and that no earlier entry's probe crosses).
 */
void stor_ztab_truncate(struct stor_ztab *t, uint32_t n);

/* Index of s in the table, or -1: like stor_ztab_find, never adding. */
long stor_ztab_lookup(const struct stor_ztab *t, struct stor_zstr s);

/* Bytes stor_ztab_put writes: per entry a varint length and the bytes. */
size_t stor_ztab_bytes(const struct stor_ztab *t);

/* Write the entries at p (stor_ztab_bytes of room). Returns the bytes. */
size_t stor_ztab_put(const struct stor_ztab *t, uint8_t *p);

/*
 * Read n entries from p[0, len) into out[0, n): each a varint length in
 * 1..str_max and that many bytes (out points into p); the bytes must be
 * used up exactly. Returns 0 or -EBADMSG.
 */
int stor_ztab_read(const uint8_t *p, size_t len, uint32_t n, uint32_t str_max,
                   struct stor_zstr *out);

/* Allocate deflate state. Returns 0 or -ENOMEM. */
int stor_zdeflate_init(struct stor_zdeflate *z);

/* Release. Safe on a zeroed struct. */
void stor_zdeflate_free(struct stor_zdeflate *z);

/*
 * Raw DEFLATE (no wrapper) of in[0, n) at level 1 into out[0, cap).
 * Returns the bytes written, or -ENOSPC when cap is too small.
 */
long stor_zdeflate(struct stor_zdeflate *z, const uint8_t *in, size_t n,
                   uint8_t *out, size_t cap);

/* Allocate inflate state. Returns NULL on failure. Free with free(). */
struct inflate_state *stor_zinflate_new(void);

/*
 * Inflate the raw DEFLATE stream z[0, zn) into out, which must come to
 * exactly un bytes with every input byte used: a stream that wants more
 * room, ends early or leaves input is rejected, so the work and memory
 * are bounded by un whatever the bytes say. Returns 0 or -EBADMSG.
 */
int stor_zinflate(struct inflate_state *s, const uint8_t *z, uint32_t zn,
                  uint8_t *out, uint32_t un);

#endif
