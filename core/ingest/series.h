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

/*
 * Make new series take from budget too (shared by the shards of a
 * process; max_series of each dictionary should then be budget->max, so
 * that one shard can hold them all). Call before the first upsert.
 */
void core_series_set_budget(struct core_series *s,
                            struct core_series_budget *budget);

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

/*
 * 64-bit hash of a key; never returns 0. The key is cut at each '\0' into
 * its name and pieces (a canonical key's tags), each piece hashed alone and
 * the piece hashes added up, so that core_series_line_init gets the same
 * value from a line's tags in any order without building the key. Any
 * bytes may be hashed (a key without '\0' is all name).
 */
uint64_t core_series_hash(const char *key, size_t len);

/*
 * 64-bit hash of bytes taken whole (no cut at '\0'); never returns 0. The
 * stored value of a set member is made from it, so it must never change.
 */
uint64_t core_series_hash_bytes(const char *p, size_t len);

/*
 * Find the series of key, inserting it when new.
 *   hash  core_series_hash(key, len), computed once by the caller; nonzero.
 *         Keys with equal hashes are still told apart by their bytes.
 *   type  recorded on insert.
 *   out   set to the entry (valid until the next insert).
 * Returns 1 when inserted, 0 when found, -ENOSPC when new and the
 * dictionary is at max_series, the budget is spent or the key arena is
 * full. A known series is always found, whatever the budget.
 */
int core_series_upsert(struct core_series *s, const char *key, size_t len,
                       uint64_t hash, uint8_t type,
                       struct core_series_entry **out);

/*
 * Describe the series of name and tags (in any order) without building
 * its canonical key: l->hash is core_series_hash of that key (the name and
 * each tag hashed where they lie), l->key_len its length (check it against
 * CORE_SERIES_KEY_BYTES_MAX: past it the rest is meaningless), and
 * whether every tag lies in one piece. n <= CORE_STATSD_TAGS_MAX.
 */
void core_series_line_init(struct core_series_line *l, const char *name,
                           size_t name_len,
                           const struct core_statsd_tag *tags, uint32_t n);

/*
 * core_series_upsert for the series of name and tags, the key built only
 * when no stored key matches: a known series is found by comparing its
 * stored key with name and tags in place, piece by piece, in the order
 * the tags came last time (no sort while a sender keeps its order).
 *   tags      as the StatsD parser gives them: no '\0' anywhere, no ':' in
 *             a key (a bare tag has val NULL), n <= CORE_STATSD_TAGS_MAX.
 *   l         core_series_line_init of name and tags, l->key_len <=
 *             CORE_SERIES_KEY_BYTES_MAX.
 *   scratch   CORE_SERIES_KEY_BYTES_MAX bytes where the canonical key is
 *             built when the compare in place finds nothing.
 * Returns what core_series_upsert returns for the canonical key: 1 when
 * inserted, 0 when found, -ENOSPC. The same series as core_series_upsert
 * of that key with core_series_hash: both ways may be mixed.
 */
int core_series_upsert_line(struct core_series *s, const char *name,
                            size_t name_len,
                            const struct core_statsd_tag *tags, uint32_t n,
                            const struct core_series_line *l, uint8_t type,
                            char *scratch, struct core_series_entry **out);

/*
 * Prefetch what core_series_upsert of hash will read, one level at a
 * time, so that a caller with several lookups to make overlaps their cache
 * misses (the pipelined hash-join trick): level 0 the slot, level 1 the
 * entry a matching slot names and its hot fields (reading the slot,
 * prefetched before), level 2 that entry's key bytes (reading the entry).
 * Hints only: nothing
 * changes, and a wrong guess costs a wasted prefetch.
 */
static inline void core_series_prefetch(const struct core_series *s,
                                        uint64_t hash, int level) {
  uint64_t i = hash & s->mask, slot;
  const struct core_series_entry *e;

  if (level == 0) {
    __builtin_prefetch(&s->slots[i]);
    return;
  }
  slot = s->slots[i];
  if (slot == 0 || (slot ^ hash) >> 32 != 0)
    return; /* empty, or another series: the probe goes on (rare) */
  e = &s->entries[(uint32_t)slot - 1];
  if (level == 1) {
    __builtin_prefetch(e);
    __builtin_prefetch(&s->hot[(uint32_t)slot - 1]);
    return;
  }
  __builtin_prefetch(s->arena + e->key_off);
  __builtin_prefetch(s->arena + e->key_off + e->key_len - 1);
}

/* Clear every series' mark: they are for generation gen now. */
void core_series_marks_reset(struct core_series *s, uint32_t gen);

/*
 * Make the marks those of generation gen (the pipe: the open head
 * block): cleared when they were another's. Call before
 * core_series_marked and core_series_mark, and again when gen changes
 * (the pipe: after it seals), so that a mark costs a bit test.
 */
static inline void core_series_marks_for(struct core_series *s, uint32_t gen) {
  if (s->marks_gen != gen)
    core_series_marks_reset(s, gen);
}

/* 1 when series id is marked (core_series_marks_for). */
static inline int core_series_marked(const struct core_series *s,
                                     uint32_t id) {
  return (s->marks[id >> 6] >> (id & 63) & 1) != 0;
}

/* Mark series id (made: id < s->count). */
static inline void core_series_mark(struct core_series *s, uint32_t id) {
  s->marks[id >> 6] |= UINT64_C(1) << (id & 63);
}

/* Key of series id (not NUL-terminated); len set. NULL for an unknown id. */
const char *core_series_key_of(const struct core_series *s, uint32_t id,
                               uint32_t *len);

#endif
