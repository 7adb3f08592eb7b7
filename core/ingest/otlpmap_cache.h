/*
 * core/ingest/otlpmap_cache.h - the OTLP mapping's series id cache (struct
 * core_otlp_sid_cache in otlpmap_types.h): a gauge or sum point's identity
 * as sent (metric name, series type, resource label set, raw attribute
 * bytes) to the id of its series. A hit skips the key build, the sort of
 * the tags, the hash of the key and the dictionary probe; attributes
 * reordered (or split by another field) only miss, and then map the slow
 * way to the same series.
 */
#ifndef SLUICE_CORE_INGEST_OTLPMAP_CACHE_H
#define SLUICE_CORE_INGEST_OTLPMAP_CACHE_H

#include <stdint.h>

#include "core/ingest/otlpmap_types.h"
#include "core/parse/statsd_types.h"

/* Map the entries (at start-up), touching every page then unless
 * core_otlp_sid_prefault(0) was called. Returns 0 or -ENOMEM. */
int core_otlp_sid_init(struct core_otlp_sid_cache *c);

/*
 * Whether core_otlp_sid_init touches the cache's pages (16 MiB a
 * pipeline, on huge pages where the kernel allows) when it maps them: on
 * (1, the default) for `sluice run`, where a huge page's first touch on
 * the data path stalled requests for tens of ms; off (0) for a process
 * that never maps an OTLP point (`sluice import` of StatsD or syslog),
 * whose caches then cost address space only. Call it before the threads
 * that make pipelines start.
 */
void core_otlp_sid_prefault(int on);

/* Unmap them. Safe when never mapped. */
void core_otlp_sid_free(struct core_otlp_sid_cache *c);

/* Forget every resource label set (the labels option changed): entries
 * made under them never match again. */
void core_otlp_sid_forget(struct core_otlp_sid_cache *c);

/*
 * The number of the resource label set made of n rendered tags (equal
 * sets, equal numbers, while the set stays among the last
 * CORE_OTLP_SID_RSETS seen). Returns it, or 0 when the set is over
 * CORE_OTLP_SID_RSET_BYTES_MAX (its points then miss).
 */
uint64_t core_otlp_sid_rset(struct core_otlp_sid_cache *c,
                            const struct core_statsd_tag *tags, uint32_t n);

/*
 * Look k up (k->hash is set for core_otlp_sid_insert). Returns the series
 * id of an entry equal to k byte for byte, or UINT32_MAX.
 */
uint32_t core_otlp_sid_lookup(struct core_otlp_sid_cache *c,
                              struct core_otlp_sid_key *k);

/*
 * Remember that k (looked up before, and missed) is series id, replacing
 * the entry of its set used least lately. A k without a resource set
 * number, over CORE_OTLP_SID_IDENT_BYTES_MAX, or already there (a series
 * sent twice in a request) is not kept again.
 */
void core_otlp_sid_insert(struct core_otlp_sid_cache *c,
                          const struct core_otlp_sid_key *k, uint32_t id);

/*
 * Hold k (looked up before, and missed) until its series id is known: a
 * staged point of a series new to the dictionary gets its id at the
 * commit of its request, while k's bytes (in the request) still live.
 * Returns 1 when held (core_otlp_sid_settle takes them in the order
 * held), 0 when not (no resource set number, or CORE_OTLP_SID_HELD_MAX
 * held: the point is cached at its next miss).
 */
int core_otlp_sid_hold(struct core_otlp_sid_cache *c,
                       const struct core_otlp_sid_key *k);

/* The next key held is series id (core_otlp_sid_insert), or was not made
 * (UINT32_MAX: dropped). */
void core_otlp_sid_settle(struct core_otlp_sid_cache *c, uint32_t id);

/* Drop every key held (a request starts, or is decoded again). */
void core_otlp_sid_unhold(struct core_otlp_sid_cache *c);

#endif
