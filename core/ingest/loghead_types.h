/*
 * core/ingest/loghead_types.h - the open log block of a shard: parsed syslog
 * records, with their bytes copied into an arena, that fill until a
 * count, attribute, byte or age bound seals them into a log block.
 */
#ifndef SLUICE_CORE_INGEST_LOGHEAD_TYPES_H
#define SLUICE_CORE_INGEST_LOGHEAD_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "core/parse/syslog_types.h"
#include "storage/logblock_types.h"

struct core_loghead;

/*
 * Called with a full or aged log head. It must consume the records before
 * it returns: the head is emptied right after.
 */
typedef void (*core_loghead_sink_fn)(struct core_loghead *h, void *ctx);

struct core_loghead {
  struct stor_log_rec *recs;     /* CORE_LOGHEAD_RECORDS_MAX; strings point
                                    into arena, attrs into attrs */
  struct core_syslog_attr *attrs;/* CORE_LOGHEAD_ATTRS_MAX */
  char *arena;                   /* CORE_LOGHEAD_ARENA_BYTES */
  uint32_t count;                /* records */
  uint32_t attr_count;           /* attributes of all records */
  size_t arena_len;
  size_t text_bytes;             /* sum of stor_logblock_rec_text_bytes */
  int64_t opened_ms;             /* receive time of the first record */
  core_loghead_sink_fn sink;
  void *sink_ctx;
  uint64_t sealed_blocks;
  uint64_t sealed_records;
  /* the request written in place (core_loghead_begin): what the head held
   * before it, kept on commit, restored on rollback */
  uint32_t req_count, req_attrs;
  size_t req_arena, req_text;
  uint64_t moves;                /* rollbacks and make_rooms: a change
                                    invalidates arena addresses kept */
  /* the block's columns built as records arrive (core_loghead_set_encoder;
   * the sink then finishes enc's block, storage/logblock.h) */
  struct stor_logenc *enc;       /* or NULL: the sink encodes recs */
  uint32_t enc_done;             /* records [0, enc_done) went to enc
                                    (kept ones only: at a request's
                                    start or commit, and at the seal) */
  int enc_on;                    /* and enc's block holds them all */
};

#endif
