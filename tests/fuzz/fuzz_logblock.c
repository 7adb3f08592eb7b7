/*
 * tests/fuzz/fuzz_logblock.c - libFuzzer target for the log block reader.
 *
 * Each input is tried three ways: as it is (header check and CRC reject
 * almost everything); with the payload length pointed at the input's end
 * and both checks recomputed (stor_block_reseal), so that the string table
 * and inflate meet arbitrary bytes; and as the inflated stream itself
 * (after an 8-byte preamble giving record count, time range and fields
 * length), deflated here into a sealed block, so that the field
 * sub-columns and the text meet arbitrary bytes too; and the same bytes
 * as a layout-2 stream (zstd, the preamble giving string table entries,
 * templates and expanded bytes as well), so that the template coder's
 * columns meet them; and as a layout-3 block whose OTLP column is the
 * stream's first bytes (preamble bytes 6-7 give how many), the rest
 * deflated, so that the binary ids and observed times meet them; and
 * the same as a layout-4 block (the rest in one zstd frame). A
 * successful call
 * must keep its promises: strings inside the block or the inflated text,
 * times within the header's range, at most the header's record count.
 * The records read from a layout-1, 3 or 4 block (the first 256) are
 * encoded again whole and record by record (stor_logenc_add, half of
 * them rewound and added again): the same block (logenc_same_block).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <isa-l/igzip_lib.h>
#include <zstd.h>

#include "core/base/limits.h"
#include "storage/block.h"
#include "storage/logblock.h"
#include "tests/unit/storage/logenc_same.h"

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "fuzz_logblock: %s (line %d)\n", #cond, __LINE__);   \
      abort();                                                             \
    }                                                                      \
  } while (0)

static struct stor_logdec dec;
static uint8_t copy[1 << 20];
static uint8_t blk[1 << 21];
static struct isal_zstream zs;

static void put_le(uint8_t *p, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static int inside(struct core_syslog_str s, const uint8_t *b, size_t len) {
  const uint8_t *p = (const uint8_t *)s.ptr;
  const uint8_t *t = dec.text, *a = (const uint8_t *)dec.arena;

  return s.len == 0 || (p >= b && p + s.len <= b + len) ||
         (p >= t && p + s.len <= t + STOR_LOGBLOCK_TEXT_BYTES_MAX) ||
         (p >= a && p + s.len <= a + STOR_LOGBLOCK_TEXT_BYTES_MAX);
}

/* A layout-3 field served as an attribute: a literal sd id and name,
 * its text in the decoder's arena, decimal or hex of its length. */
static int served(const struct core_syslog_attr *a) {
  static const char *const names[] = {"observed_time_unix_nano", "trace_id",
                                      "span_id"};
  const uint8_t *p = (const uint8_t *)a->value.ptr;
  const uint8_t *ar = (const uint8_t *)dec.arena;
  int named = 0;

  for (int i = 0; i < 3; i++)
    named |= a->name.len == strlen(names[i]) &&
             memcmp(a->name.ptr, names[i], a->name.len) == 0 &&
             (i == 0 ? a->value.len >= 1 && a->value.len <= 20
                     : a->value.len == (i == 1 ? 32u : 16u));
  return named && a->sdid.len == 4 && memcmp(a->sdid.ptr, "otel", 4) == 0 &&
         p >= ar && p + a->value.len <= ar + STOR_LOGBLOCK_TEXT_BYTES_MAX;
}

/* The records read (their strings in the block or dec, kept until the
 * next reader): encoded again, whole and record by record, the second
 * half added, rewound and added again: the same block. */
#define REC_MAX 256
static struct stor_logenc wenc, ienc;
static struct stor_log_rec recs[REC_MAX];
static struct core_syslog_attr rattrs[REC_MAX][CORE_SYSLOG_SD_ATTRS_MAX];
static struct stor_logmark mark;
static uint8_t eblk[2][1 << 22];

static void encode_again(uint32_t n) {
  uint32_t half = n / 2;
  long a, b;

  if (n == 0)
    return;
  b = stor_logblock_encode_v1(&wenc, 0, 1, recs, n, eblk[0], sizeof(eblk[0]));
  stor_logenc_open(&ienc, 0);
  for (uint32_t i = 0; i < n; i++) {
    if (i == half)
      stor_logenc_mark(&ienc, &mark);
    CHECK(stor_logenc_add(&ienc, &recs[i]) == 0 || b < 0);
  }
  if (b < 0) /* refused whole (-E2BIG): refused record by record too */
    return;
  if (half < n) {
    stor_logenc_rewind(&ienc, &mark);
    for (uint32_t i = half; i < n; i++)
      CHECK(stor_logenc_add(&ienc, &recs[i]) == 0);
  }
  a = stor_logenc_finish(&ienc, 0, 1, eblk[1], sizeof(eblk[1]));
  CHECK(logenc_same_block(&wenc, eblk[0], b, &ienc, eblk[1], a));
}

static void read_all(const uint8_t *b, size_t len) {
  struct stor_logblock_hdr h;
  struct stor_logblock_reader r;
  struct stor_log_rec rec;
  struct core_syslog_attr attrs[CORE_SYSLOG_SD_ATTRS_MAX];
  uint64_t n = 0;
  int rc = stor_logblock_hdr_read(b, len, &h);

  CHECK(rc == 0 || rc == -EAGAIN || rc == -EBADMSG);
  rc = stor_logblock_reader_init(&r, &dec, b, len);
  CHECK(rc == 0 || rc == -EAGAIN || rc == -EBADMSG);
  if (rc != 0)
    return;
  while ((rc = stor_logblock_next(&r, &rec, attrs,
                                  CORE_SYSLOG_SD_ATTRS_MAX)) == 1) {
    n++;
    CHECK(rec.time_ns >= r.hdr.min_ns && rec.time_ns <= r.hdr.max_ns);
    CHECK(rec.facility <= 23 && rec.severity <= 7);
    CHECK(inside(rec.host, b, len) && inside(rec.app, b, len) &&
          inside(rec.procid, b, len) && inside(rec.msgid, b, len) &&
          inside(rec.msg, b, len));
    for (uint32_t i = 0; i < rec.attr_count; i++)
      CHECK((inside(attrs[i].sdid, b, len) && inside(attrs[i].name, b, len) &&
             inside(attrs[i].value, b, len)) ||
            ((r.hdr.layout == STOR_LOG_LAYOUT3 || r.hdr.layout == STOR_LOG_LAYOUT4) &&
             served(&attrs[i])));
    CHECK(rec.otel.has == 0);
    if (n <= REC_MAX) {
      recs[n - 1] = rec;
      memcpy(rattrs[n - 1], attrs, rec.attr_count * sizeof(attrs[0]));
      recs[n - 1].attrs = rattrs[n - 1];
    }
  }
  if (r.hdr.layout != STOR_LOG_LAYOUT2)
    encode_again(n < REC_MAX ? (uint32_t)n : REC_MAX);
  CHECK(rc == 0 || rc == -EBADMSG);
  CHECK(n <= r.hdr.count);
  if (rc == 0)
    CHECK(n == r.hdr.count);
}

/* Deflates (stored blocks, level 0) the len bytes at in to blk + pos:
 * zs.total_out is the deflated length. */
static void deflate_into(const uint8_t *in, size_t len, size_t pos) {
  isal_deflate_stateless_init(&zs);
  zs.level = 0;
  zs.end_of_stream = 1;
  zs.next_in = (uint8_t *)in;
  zs.avail_in = (uint32_t)len;
  zs.next_out = blk + pos;
  zs.avail_out = (uint32_t)(sizeof(blk) - pos);
  CHECK(isal_deflate_stateless(&zs) == COMP_OK);
}

/* The block header's fields every layout sets the same way from the
 * preamble (record count d[0], time range d[1..3]), word 12 (layout and
 * stream bytes) from the caller; the rest zero until the caller fills it. */
static void put_header(const uint8_t *d, uint64_t layout_len) {
  memset(blk, 0, STOR_BLOCK_HEADER_BYTES);
  put_le(blk, 0x31424c53, 4);
  blk[4] = 1;
  blk[5] = 2;
  put_le(blk + 8, 1 + d[0] % 64, 4);
  put_le(blk + 12, layout_len, 4);
  put_le(blk + 16, 1, 6);
  put_le(blk + 24, 1000, 8);
  put_le(blk + 32, 1000 + ((uint64_t)d[1] | (uint64_t)d[2] << 8 | (uint64_t)d[3] << 16), 8);
}

/* Preamble: count-1, time range (3 bytes), fields length (2), 2 unused. */
static void from_stream(const uint8_t *d, size_t n) {
  size_t u = n - 8, f = (size_t)d[4] | (size_t)d[5] << 8;

  deflate_into(d + 8, u, STOR_BLOCK_HEADER_BYTES);
  put_header(d, u);
  put_le(blk + 40, zs.total_out, 4);
  put_le(blk + 52, f < u ? f : u, 4);
  put_le(blk + 56, zs.total_out, 4);
  stor_block_reseal(blk, STOR_BLOCK_HEADER_BYTES + zs.total_out);
  read_all(blk, STOR_BLOCK_HEADER_BYTES + zs.total_out);
}

/* Layout 2: the preamble's byte 4 is D, byte 5 M, bytes 6-7 X. */
static void from_stream2(const uint8_t *d, size_t n) {
  size_t u = n - 8;
  size_t z = ZSTD_compress(blk + STOR_BLOCK_HEADER_BYTES,
                           sizeof(blk) - STOR_BLOCK_HEADER_BYTES, d + 8, u, 1);

  CHECK(!ZSTD_isError(z));
  put_header(d, (uint64_t)STOR_LOG_LAYOUT2 << STOR_LOG_LAYOUT_SHIFT | u);
  put_le(blk + 40, z, 4);
  put_le(blk + 44, d[4] % 16, 4);
  put_le(blk + 48, d[5] % 32, 4);
  put_le(blk + 52, (uint64_t)d[6] | (uint64_t)d[7] << 8, 4);
  put_le(blk + 56, z, 4);
  stor_block_reseal(blk, STOR_BLOCK_HEADER_BYTES + z);
  read_all(blk, STOR_BLOCK_HEADER_BYTES + z);
}

/* Layout 3: the stream's first O bytes (preamble bytes 6-7, bounded by
 * the stream) are the OTLP column, the rest is deflated as from_stream
 * does; no string table. Layout 4: the rest in one zstd frame. */
static void from_stream3(const uint8_t *d, size_t n, unsigned layout) {
  size_t u = n - 8, o = (size_t)d[6] | (size_t)d[7] << 8;
  size_t f = (size_t)d[4] | (size_t)d[5] << 8, pos, c;

  o = o < u ? o : u;
  u -= o;
  pos = STOR_BLOCK_HEADER_BYTES + 4 + o;
  if (layout == STOR_LOG_LAYOUT4) {
    c = ZSTD_compress(blk + pos, sizeof(blk) - pos, d + 8 + o, u, 1);
    CHECK(!ZSTD_isError(c));
  } else {
    deflate_into(d + 8 + o, u, pos);
    c = zs.total_out;
  }
  put_header(d, (uint64_t)layout << STOR_LOG_LAYOUT_SHIFT | u);
  put_le(blk + 40, 4 + o + c, 4);
  put_le(blk + 52, f < u ? f : u, 4);
  put_le(blk + 56, c, 4);
  put_le(blk + STOR_BLOCK_HEADER_BYTES, o, 4);
  memcpy(blk + STOR_BLOCK_HEADER_BYTES + 4, d + 8, o);
  stor_block_reseal(blk, pos + c);
  read_all(blk, pos + c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!dec.text && (stor_logdec_init(&dec) != 0 ||
                    stor_logenc_init(&wenc, REC_MAX) != 0 ||
                    stor_logenc_init(&ienc, REC_MAX) != 0))
    abort();
  read_all(data, size);
  if (size >= STOR_BLOCK_HEADER_BYTES && size <= sizeof(copy)) {
    size_t pay = size - STOR_BLOCK_HEADER_BYTES;
    memcpy(copy, data, size);
    for (int i = 0; i < 4; i++)
      copy[STOR_HDR_OFF_PAYLOAD + i] = (uint8_t)(pay >> (8 * i));
    stor_block_reseal(copy, size);
    read_all(copy, size);
  }
  if (size >= 8 && size - 8 <= sizeof(copy)) {
    from_stream(data, size);
    from_stream2(data, size);
    from_stream3(data, size, STOR_LOG_LAYOUT3);
    from_stream3(data, size, STOR_LOG_LAYOUT4);
  }
  return 0;
}
