/*
 * storage/logblock_pack_types.h - a pack: log records gathered from many
 * blocks (any layout) to be written again as one large layout-2 block;
 * see storage/logblock_pack.h.
 */
#ifndef SLUICE_STORAGE_LOGBLOCK_PACK_TYPES_H
#define SLUICE_STORAGE_LOGBLOCK_PACK_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "storage/logblock_types.h"

/*
 * A block that did not fit the pack (stor_logpack_add_block said
 * -ENOSPC): the records read from it so far stay past the pack's end
 * (KEPT), and stor_logpack_encode moves them to the front of the emptied
 * pack (MOVED), so that adding the block again goes on where its reader
 * stopped instead of reading and copying those records a second time
 * (OTLP logs, ~20 attributes a record, fill the attribute pool a block
 * or so into a pack: perf/RESULTS.md, "Log compaction cost").
 */
enum { STOR_LPREST_NONE, STOR_LPREST_KEPT, STOR_LPREST_MOVED };
struct stor_logpack_rest {
  int state;
  const uint8_t *block;            /* the block, its length, its decoder */
  size_t len;
  const struct stor_logdec *dec;
  uint32_t count0, attr0;          /* the pack's ends where it began */
  size_t arena0, text0;
  uint32_t count, attr_count;      /* the ends of what was read of it */
  size_t arena_len, text_bytes;
  struct stor_logblock_reader rd;  /* where reading stopped */
  struct stor_log_rec r;           /* read, not added: no room */
};

/*
 * Bounds of one pack: records (<= STOR_LOGBLOCK_RECORDS_MAX), attributes
 * and the bytes of their strings, held in the pack's own arena so that the
 * blocks they came from may be released. text_bytes sums
 * stor_logblock_rec_text_bytes and stays within STOR_LOGPACK_TEXT_BYTES_MAX,
 * the bound under which logblock_pack.c proves a block's stream fits;
 * attrs_max is STOR_LOGPACK_ATTRS_A_RECORD a record. Allocated by
 * stor_logpack_init: ~12.6 MiB of records, 12 MiB of attributes, 12 MiB
 * of arena and the layout-2 encoder (docs/storage.md).
 */
struct stor_logpack {
  uint32_t records_max, count;
  struct stor_log_rec *recs;
  struct core_syslog_attr *attrs;
  uint32_t attrs_max, attr_count;
  char *arena;
  size_t arena_cap, arena_len;
  size_t text_bytes;
  struct stor_logenc enc;          /* at STOR_LOG2_ZLEVEL_PACK */
  struct core_syslog_attr rd_attrs[CORE_SYSLOG_SD_ATTRS_MAX];
  const char *ksrc[STOR_LKMEMO_N]; /* the block being added: where the
                                     last record's keys came from */
  uint32_t blk0;                   /* record where the block being added
                                     began (its keys are its own) */
  struct stor_logpack_rest rest;
};

#endif
