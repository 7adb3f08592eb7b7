/*
 * storage/logblock_pack.h - re-encoding log records into one large log
 * block (layout 2 at STOR_LOG2_ZLEVEL_PACK), for compaction: a 1 s live
 * block holds a few thousand records at most; one block of 65536 stores
 * about 20% fewer bytes (perf/RESULTS.md, "Log blocks v2").
 *
 * Usage: stor_logpack_add_block for each block to merge, in storage order;
 * when it returns -ENOSPC, stor_logpack_encode what was gathered (which
 * empties the pack) and add the block again. Allocation at init only;
 * blocking nothing (pure memory), any thread.
 */
#ifndef SLUICE_STORAGE_LOGBLOCK_PACK_H
#define SLUICE_STORAGE_LOGBLOCK_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "storage/logblock_pack_types.h"

/*
 * Prepare a pack of up to records_max records (1 .. STOR_LOGBLOCK_RECORDS_MAX;
 * 0: the maximum). Returns 0, -EINVAL or -ENOMEM.
 */
int stor_logpack_init(struct stor_logpack *p, uint32_t records_max);

/* Release. Safe on a zeroed struct. */
void stor_logpack_free(struct stor_logpack *p);

/*
 * Copy record r (its strings and attributes) into the pack; binary OTLP
 * fields (r->otel) are copied as the attributes readers serve them as
 * (layout 2 holds text). Returns 0, -ENOSPC when the pack is full
 * (nothing added), -EINVAL for a record no block may hold (facility,
 * severity, attribute count, bad OTLP fields).
 */
int stor_logpack_add(struct stor_logpack *p, const struct stor_log_rec *r);

/*
 * Add every record of the log block block[0..len) (layout 1 or 2, checked
 * as a reader checks it), decoded with dec. All or nothing: returns 0,
 * -ENOSPC when the records do not all fit (the pack is as before; encode
 * and retry: an empty pack holds any block a sluice writer wrote), -E2BIG
 * when they would not fit an empty pack either, or -EBADMSG.
 * After -ENOSPC the records read so far wait past the pack's end and dec
 * holds where reading stopped: stor_logpack_encode then the retry (same
 * block, same dec) go on from there, so dec must not decode anything in
 * between. Any other call on the pack first drops what was read.
 */
int stor_logpack_add_block(struct stor_logpack *p, struct stor_logdec *dec,
                           const uint8_t *block, size_t len);

/* Bytes stor_logpack_encode may need for the records now in the pack. */
size_t stor_logpack_bytes_max(const struct stor_logpack *p);

/*
 * Encode the pack's records, in the order added, as one log block of
 * shard `shard`, sequence number seq, into out (cap bytes), then empty
 * the pack. Returns the block's size, 0 when the pack is empty, or
 * stor_logblock_encode's errors (the pack is then kept).
 */
long stor_logpack_encode(struct stor_logpack *p, uint16_t shard, uint64_t seq,
                         uint8_t *out, size_t cap);

#endif
