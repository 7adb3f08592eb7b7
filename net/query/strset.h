/*
 * net/query/strset.h - what a query gathers in memory: distinct strings
 * (bounded by CORE_QUERY_SERIES_MAX entries and CORE_QUERY_KEY_BYTES_MAX
 * bytes) and points per series, for export (query_api.c) and remote-read
 * (remote_read.c). Query thread only: it allocates.
 */
#ifndef SLUICE_NET_QUERY_STRSET_H
#define SLUICE_NET_QUERY_STRSET_H

#include <stddef.h>
#include <stdint.h>

#include "net/query/strset_types.h"

/* Release everything; s is empty (zeroed) afterwards. */
void net_strset_free(struct net_strset *s);

/* Entry i's bytes (not NUL-terminated) and *len. */
const char *net_strset_str(const struct net_strset *s, uint32_t i,
                           size_t *len);

/*
 * Add p (n bytes) unless present; *idx is its index either way.
 * Returns 1 added, 0 present, -E2BIG past CORE_QUERY_SERIES_MAX entries or
 * CORE_QUERY_KEY_BYTES_MAX bytes, -ENOMEM.
 */
int net_strset_add(struct net_strset *s, const char *p, size_t n,
                   uint32_t *idx);

/* Entry indexes in byte order of their strings (malloc'ed), or NULL. */
uint32_t *net_strset_sorted(const struct net_strset *s);

/*
 * Grow the array *p (elements of sz bytes, *cap of them) to hold need,
 * doubling from 256. Returns 0 or -ENOMEM (*p unchanged).
 */
int net_query_grow(void *p, size_t sz, size_t *cap, size_t need);

/*
 * Append n points (timestamps ascending) to s, noting when they come
 * before what s holds. Returns 0 or -ENOMEM.
 */
int net_qpoints_add(struct net_qpoints *s, const int64_t *ts,
                    const double *v, uint32_t n);

/* Sort s by time if needed, stably (duplicates keep their order).
 * Returns 0 or -ENOMEM. */
int net_qpoints_sort(struct net_qpoints *s);

#endif
