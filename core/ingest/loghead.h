/*
 * core/ingest/loghead.h - appending syslog records to the open log block and
 * sealing it (see loghead_types.h).
 */
#ifndef SLUICE_CORE_INGEST_LOGHEAD_H
#define SLUICE_CORE_INGEST_LOGHEAD_H

#include <stdint.h>

#include "core/ingest/loghead_types.h"
#include "core/parse/syslog_types.h"

/*
 * Allocate the head's records, attributes and arena (at start-up, on the
 * thread that will use it). sink may be NULL (records are then dropped at
 * seal: used by tests). Returns 0 or -ENOMEM.
 */
int core_loghead_init(struct core_loghead *h, core_loghead_sink_fn sink,
                      void *ctx);

/* Release the memory. Safe on a zeroed struct. */
void core_loghead_free(struct core_loghead *h);

/*
 * Build the block's columns in enc as records are kept (enc: the encoder
 * the sink writes with, layout 1's path; NULL: off): a request's records
 * at its commit (core_loghead_commit), syslog records at the next
 * core_loghead_begin, whatever is left at the seal.
 * The sink then writes enc's block with stor_logenc_finish when
 * core_loghead_encoded(h), else encodes h->recs. Only with the head
 * empty (start-up, or between seals).
 */
void core_loghead_set_encoder(struct core_loghead *h, struct stor_logenc *enc);

/* 1 when h->enc holds h's records [0, count) (in the sink: finish it). */
static inline int core_loghead_encoded(const struct core_loghead *h) {
  return h->enc_on && h->count > 0 && h->enc_done == h->count;
}

/*
 * Append one parsed record, copying every byte it points at (its raw
 * message and any unescaped SD values) into the arena, so the caller's
 * buffers may be reused at once. Seals first when the record would pass a
 * bound. recv_ms is the receive time. A record no empty head could hold
 * cannot be made by the parser (see the _Static_asserts in core/limits.h).
 */
void core_loghead_append(struct core_loghead *h,
                         const struct core_syslog_rec *rec, int64_t recv_ms);

/*
 * Writing records in place (OTLP: a request's records, all or none).
 * core_loghead_begin marks the request's start. For each record the
 * caller writes its strings at h->arena + h->arena_len (at most
 * CORE_LOGHEAD_ARENA_BYTES - arena_len bytes) and its attributes at
 * h->attrs + h->attr_count (core_loghead_room first), then adds it with
 * core_loghead_put. Strings may also point outside the arena (literals:
 * the sink encodes them before it returns) or at an earlier record's
 * bytes of the same request. core_loghead_commit keeps the request's
 * records, core_loghead_rollback drops them. No core_loghead_append,
 * _seal or _tick between begin and commit or rollback.
 */
void core_loghead_begin(struct core_loghead *h);

/* 0 when one more record of up to attrs attributes fits the record and
 * attribute bounds, else -ENOSPC (core_loghead_make_room). */
int core_loghead_room(const struct core_loghead *h, uint32_t attrs);

/*
 * Add the record r written in place: arena_used bytes at h->arena +
 * h->arena_len, r->attrs == h->attrs + h->attr_count. recv_ms is the
 * receive time. Returns 0, or -ENOSPC (nothing added) when it would pass
 * the record, attribute or text bound.
 */
int core_loghead_put(struct core_loghead *h, const struct stor_log_rec *r,
                     size_t arena_used, int64_t recv_ms);

/*
 * core_loghead_put with the record's stor_logblock_rec_text_bytes given
 * (text: a caller that counted its strings as it wrote them need not
 * walk them again; debug builds check it). r may be the slot
 * core_loghead_slot returned (built in place: not copied).
 */
int core_loghead_put_text(struct core_loghead *h, const struct stor_log_rec *r,
                          size_t arena_used, size_t text, int64_t recv_ms);

/* Where the next record put goes (valid after core_loghead_room returned
 * 0, until the head changes): a record may be built there. */
static inline struct stor_log_rec *core_loghead_slot(struct core_loghead *h) {
  return &h->recs[h->count];
}

/*
 * Room for the open request: seal the records before it and move its
 * records (and their bytes, pointers rebased) to the front. Returns 0, or
 * -ENOSPC when no record precedes the request (it alone fills the head).
 * Bumps h->moves.
 */
int core_loghead_make_room(struct core_loghead *h);

/* Keep the request's records (they seal with the head). */
void core_loghead_commit(struct core_loghead *h);

/* Drop the request's records: the head as at core_loghead_begin (or as
 * make_room left it). Bumps h->moves. */
void core_loghead_rollback(struct core_loghead *h);

/* Hand the records to the sink and empty the head. No-op when empty. */
void core_loghead_seal(struct core_loghead *h);

/*
 * Seal when the head holds records and now_ms - opened_ms >= max_age_ms,
 * or when now_ms is before opened_ms (the wall clock stepped back).
 */
void core_loghead_tick(struct core_loghead *h, int64_t now_ms,
                       int64_t max_age_ms);

#endif
