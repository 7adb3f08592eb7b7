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
 * Bounds of one pack: records (<= STOR_LOGBLOCK_RECORDS_MAX), attributes
 * and the bytes of their strings, held in the pack's own arena so that the
 * blocks they came from may be released. text_bytes sums
 * stor_logblock_rec_text_bytes and stays within CORE_LOGHEAD_TEXT_BYTES_MAX,
 * the bound under which limits.h proves a block's stream fits.
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
};

#endif
