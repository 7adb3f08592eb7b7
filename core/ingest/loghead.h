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
 * Append one parsed record, copying every byte it points at (its raw
 * message and any unescaped SD values) into the arena, so the caller's
 * buffers may be reused at once. Seals first when the record would pass a
 * bound. recv_ms is the receive time. A record no empty head could hold
 * cannot be made by the parser (see the _Static_asserts in core/limits.h).
 */
void core_loghead_append(struct core_loghead *h,
                         const struct core_syslog_rec *rec, int64_t recv_ms);

/* Hand the records to the sink and empty the head. No-op when empty. */
void core_loghead_seal(struct core_loghead *h);

/*
 * Seal when the head holds records and now_ms - opened_ms >= max_age_ms,
 * or when now_ms is before opened_ms (the wall clock stepped back).
 */
void core_loghead_tick(struct core_loghead *h, int64_t now_ms,
                       int64_t max_age_ms);

#endif
