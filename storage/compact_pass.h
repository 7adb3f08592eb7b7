/*
 * storage/compact_pass.h - what the directory passes (storage/compact.c)
 * and the direct passes (storage/compact_direct.c) share of a compaction
 * pass: its set-up, its keys and its output. Internal to storage/compact*.c.
 */
#ifndef SLUICE_STORAGE_COMPACT_PASS_H
#define SLUICE_STORAGE_COMPACT_PASS_H

#include "storage/block_types.h"
#include "storage/compact_pass_types.h"

/* Allocate ps's columns and scratch for ps->points_max points (set before).
 * Returns 0 or -ENOMEM (stor_cpass_free then releases what was taken). */
int stor_cpass_init(struct stor_cpass *ps);

/* Release what stor_cpass_init took (a zeroed ps too). */
void stor_cpass_free(struct stor_cpass *ps);

/* An empty pass: no key, point or carried block (keeps the memory). */
void stor_cpass_reset(struct stor_cpass *ps);

/* The index of (e->key, e->type) among ps's keys, added when new. Returns
 * it, or -ENOMEM, or -E2BIG past STOR_COMPACT_SERIES_MAX keys or
 * STOR_COMPACT_KEY_BYTES_MAX key bytes. */
long stor_cpass_key_intern(struct stor_cpass *ps,
                           const struct stor_dict_entry *e);

/* Sort, encode and swap in the points and carried blocks ps holds (ps->lo,
 * hi, max_block_seq, shard and mtime set) as segment ps->hi. Returns 0
 * (counted in ps->st but for segments_in and bytes_in) or -errno (nothing
 * swapped in). */
int stor_cpass_emit(struct stor_cpass *ps);

#endif
