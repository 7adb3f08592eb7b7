/*
 * tests/unit/storage/logenc_same.h - did two log encoders write the same
 * block? For the tests of blocks built record by record
 * (stor_logenc_add) against the whole-block encoder, and the fuzz
 * targets that check the same.
 *
 * Layout 4 (zstd, a fresh frame each block) compresses the same stream
 * to the same bytes: the blocks must be equal. igzip's level-1 deflate
 * (layouts 1 and 3) need not: the same stream came out one byte longer
 * from one of two encoders with different histories (fuzz_logblock), so
 * there the blocks must agree in everything the encoder decides: the
 * stream before compression, the string table, the OTLP column, and the
 * header but for the compressed length and the checks.
 */
#ifndef SLUICE_TESTS_LOGENC_SAME_H
#define SLUICE_TESTS_LOGENC_SAME_H

#include <string.h>

#include "storage/block.h"
#include "storage/logblock.h"

/* 1 when encoder a's block ba (la bytes, or its error) and b's bb are
 * the same block, both encoders having just written them. */
static inline int logenc_same_block(const struct stor_logenc *a,
                                    const uint8_t *ba, long la,
                                    const struct stor_logenc *b,
                                    const uint8_t *bb, long lb) {
  struct stor_logblock_hdr ha, hb;
  size_t pa, pb;

  if (la < 0 || lb < 0)
    return la == lb;
  if (stor_logblock_hdr_read(ba, (size_t)la, &ha) != 0 ||
      stor_logblock_hdr_read(bb, (size_t)lb, &hb) != 0)
    return 0;
  if (ha.layout == STOR_LOG_LAYOUT4 || hb.layout == STOR_LOG_LAYOUT4)
    return la == lb && memcmp(ba, bb, (size_t)la) == 0;
  pa = (size_t)la - ha.ztext_bytes;
  pb = (size_t)lb - hb.ztext_bytes;
  return ha.layout == hb.layout && ha.count == hb.count &&
         ha.seq == hb.seq && ha.shard == hb.shard &&
         ha.min_ns == hb.min_ns && ha.max_ns == hb.max_ns &&
         ha.text_bytes == hb.text_bytes && ha.dict_count == hb.dict_count &&
         ha.dict_bytes == hb.dict_bytes &&
         ha.fields_bytes == hb.fields_bytes && pa == pb &&
         memcmp(ba + STOR_BLOCK_HEADER_BYTES, bb + STOR_BLOCK_HEADER_BYTES,
                pa - STOR_BLOCK_HEADER_BYTES) == 0 &&
         a->stream_len == b->stream_len &&
         memcmp(a->src, b->src, a->stream_len) == 0;
}

#endif
