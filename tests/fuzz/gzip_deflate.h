/*
 * tests/fuzz/gzip_deflate.h - gzip a buffer with isa-l (level 1), for
 * tests and corpus generators that need grpc-encoding gzip messages.
 */
#ifndef SLUICE_TESTS_FUZZ_GZIP_DEFLATE_H
#define SLUICE_TESTS_FUZZ_GZIP_DEFLATE_H

#include <isa-l/igzip_lib.h>
#include <stddef.h>
#include <stdint.h>

/* gzip n bytes of src into dst (cap bytes). Returns the gzip length, or
 * 0 when it does not fit. */
static inline size_t test_gzip_deflate(const void *src, size_t n, uint8_t *dst,
                                       size_t cap) {
  static uint8_t lvl[ISAL_DEF_LVL1_DEFAULT];
  struct isal_zstream z;

  isal_deflate_init(&z);
  z.level = 1;
  z.level_buf = lvl;
  z.level_buf_size = sizeof(lvl);
  z.gzip_flag = IGZIP_GZIP;
  z.end_of_stream = 1;
  z.next_in = (uint8_t *)src;
  z.avail_in = (uint32_t)n;
  z.next_out = dst;
  z.avail_out = (uint32_t)cap;
  if (isal_deflate(&z) != COMP_OK || z.internal_state.state != ZSTATE_END)
    return 0;
  return z.total_out;
}

#endif
