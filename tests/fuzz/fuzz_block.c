/*
 * tests/fuzz/fuzz_block.c - libFuzzer target for the block reader.
 *
 * Each input is tried twice: as it is (header, header check and CRC must
 * reject almost everything), and with both checks recomputed over the
 * fuzzed bytes (stor_block_reseal) so that the column decoders themselves
 * meet arbitrary payloads. Either way: hdr_read, reader_init, then every
 * dictionary entry and every run, checking what a successful call
 * promises (keys inside the block, counts within the header's, timestamps
 * ascending within the header's range). A block read whole is encoded
 * again from its points (stor_block_encode) and must read back the same
 * points, bit for bit.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/limits.h"
#include "storage/block.h"

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "fuzz_block: %s (line %d)\n", #cond, __LINE__);      \
      abort();                                                             \
    }                                                                      \
  } while (0)

#define CAP 4096 /* points a run may hold here: larger runs give -ENOSPC */

static int64_t ts[CAP];
static double val[CAP];
static uint8_t copy[1 << 20];

/* The points of a block read whole, for the re-encoding round trip. */
static uint32_t all_id[CAP];
static int64_t all_ts[CAP];
static double all_val[CAP];
static uint8_t again[STOR_BLOCK_HEADER_BYTES + CAP * STOR_POINT_BYTES_MAX];

static void reencode(uint32_t n) {
  static struct stor_encoder e;
  static int ready;
  struct stor_block_reader r;
  struct stor_run run;
  uint32_t k = 0;
  long len;
  int rc;

  if (!ready)
    CHECK(stor_encoder_init(&e, CAP) == 0);
  ready = 1;
  len = stor_block_encode(&e,
                          &(struct stor_block_in){.seq = 1, .count = n,
                                                  .series_id = all_id,
                                                  .ts_ms = all_ts,
                                                  .value = all_val},
                          again, sizeof(again));
  CHECK(len > 0);
  CHECK(stor_block_reader_init(&r, again, (size_t)len) == 0);
  while ((rc = stor_block_next_run(&r, &run, ts, val, CAP)) == 1)
    for (uint32_t i = 0; i < run.count; i++, k++)
      CHECK(k < n && run.series_id == all_id[k] && ts[i] == all_ts[k] &&
            memcmp(&val[i], &all_val[k], sizeof(double)) == 0);
  CHECK(rc == 0 && k == n);
}

static void read_all(const uint8_t *b, size_t len) {
  struct stor_block_hdr h;
  struct stor_block_reader r;
  struct stor_dict_entry d;
  struct stor_run run;
  uint64_t points = 0;
  int rc = stor_block_hdr_read(b, len, &h);

  CHECK(rc == 0 || rc == -EAGAIN || rc == -EBADMSG);
  rc = stor_block_reader_init(&r, b, len);
  CHECK(rc == 0 || rc == -EAGAIN || rc == -EBADMSG);
  if (rc != 0)
    return;
  CHECK(stor_block_total_bytes(&r.hdr) <= len);
  while ((rc = stor_block_next_dict(&r, &d)) == 1)
    CHECK((const uint8_t *)d.key >= b &&
          (const uint8_t *)d.key + d.key_len <= b + len && d.key_len > 0);
  CHECK(rc == 0 || rc == -EBADMSG);
  while ((rc = stor_block_next_run(&r, &run, ts, val, CAP)) == 1) {
    points += run.count;
    CHECK(run.count >= 1 && run.count <= CAP);
    for (uint32_t i = 0; i < run.count; i++) {
      CHECK(ts[i] >= r.hdr.min_ts_ms && ts[i] <= r.hdr.max_ts_ms);
      CHECK(i == 0 || ts[i - 1] <= ts[i]);
      if (points - run.count + i < CAP) {
        all_id[points - run.count + i] = run.series_id;
        all_ts[points - run.count + i] = ts[i];
        all_val[points - run.count + i] = val[i];
      }
    }
  }
  CHECK(rc == 0 || rc == -EBADMSG || rc == -ENOSPC);
  CHECK(points <= r.hdr.point_count);
  if (rc == 0)
    CHECK(points == r.hdr.point_count);
  if (rc == 0 && points <= CAP)
    reencode((uint32_t)points);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  read_all(data, size);
  if (size >= STOR_BLOCK_HEADER_BYTES && size <= sizeof(copy)) {
    /* Point the header's payload length at the input's end, reseal. */
    size_t pay = size - STOR_BLOCK_HEADER_BYTES;
    memcpy(copy, data, size);
    for (int i = 0; i < 4; i++)
      copy[STOR_HDR_OFF_PAYLOAD + i] = (uint8_t)(pay >> (8 * i));
    stor_block_reseal(copy, size);
    read_all(copy, size);
  }
  return 0;
}
