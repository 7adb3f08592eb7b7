/*
 * core/ingest/series.h - series dictionary operations.
 */
#ifndef SLUICE_CORE_INGEST_SERIES_H
#define SLUICE_CORE_INGEST_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "core/ingest/series_types.h"
#include "core/parse/statsd_types.h"

/*
 * Allocate a dictionary for at most max_series series (tables are mapped at
 * start-up, pages are touched only as they fill).
 * Returns 0, -EINVAL for max_series 0 or over CORE_SERIES_MAX_LIMIT, -ENOMEM.
 */
int core_series_init(struct core_series *s, uint32_t max_series);

/* Release everything core_series_init mapped. Safe on a zeroed struct. */
void core_series_free(struct core_series *s);

/*
 * Build the canonical key of a parsed metric into buf:
 *   name '\0' key1 ':' val1 '\0' key2 ... (tags sorted by key, then value;
 *   a bare tag is written without ':').
 * Returns the key length, or 0 when it would exceed cap.
 */
size_t core_series_key(const struct core_statsd_msg *m, char *buf, size_t cap);

/*
 * The same canonical key from a name and n tags (any source: OTLP builds
 * its tags from attributes). order is the caller's scratch of n entries
 * (n <= 65536); a tag with val NULL is bare. Returns the key length, or 0
 * when it would exceed cap.
 */
size_t core_series_key_tags(const char *name, size_t name_len,
                            const struct core_statsd_tag *tags, uint32_t n,
                            uint16_t *order, char *buf, size_t cap);

/*
 * The parts of core_series_key_tags, for a caller that builds many keys
 * from one tag list (OTLP: a histogram's series, points sharing their
 * attribute keys):
 *   core_series_tags_sort      order[0, n) = tag indexes in key order,
 *                              order[0, sorted) being sorted already and
 *                              order[sorted, n) = sorted .. n - 1 on entry;
 *   core_series_tags_in_order  1 when order[0, n) is in key order;
 *   core_series_key_ordered    the key of name and tags in that order
 *                              (its length, or 0 past cap).
 */
void core_series_tags_sort(const struct core_statsd_tag *tags, uint32_t n,
                           uint16_t *order, uint32_t sorted);
int core_series_tags_in_order(const struct core_statsd_tag *tags, uint32_t n,
                              const uint16_t *order);
size_t core_series_key_ordered(const char *name, size_t name_len,
                               const struct core_statsd_tag *tags,
                               const uint16_t *order, uint32_t n, char *buf,
                               size_t cap);

/* 64-bit hash of a key; never returns 0. */
uint64_t core_series_hash(const char *key, size_t len);

/*
 * Find the series of key, inserting it when new.
 *   hash  core_series_hash(key, len), computed once by the caller; nonzero.
 *         Keys with equal hashes are still told apart by their bytes.
 *   type  recorded on insert.
 *   out   set to the entry (valid until the next insert).
 * Returns 1 when inserted, 0 when found, -ENOSPC when new and the
 * dictionary is at max_series or its key arena is full.
 */
int core_series_upsert(struct core_series *s, const char *key, size_t len,
                       uint64_t hash, uint8_t type,
                       struct core_series_entry **out);

/* Key of series id (not NUL-terminated); len set. NULL for an unknown id. */
const char *core_series_key_of(const struct core_series *s, uint32_t id,
                               uint32_t *len);

#endif
