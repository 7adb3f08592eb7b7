/*
 * storage/block.c - one block: grouping points into runs, the header, the
 * dictionary column, CRC32C, and the checked reader
 * (docs/segment-format.md).
 *
 * The reader trusts nothing: the header is checked field by field, the
 * CRC before any column is touched, and every count and length against
 * the bytes that remain, so that a corrupt or crafted block costs at most
 * work proportional to its point count and never reads out of bounds.
 */
#include "storage/block.h"

#include <errno.h>
#include <isa-l/crc.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/assert.h"
#include "core/base/limits.h"
#include "storage/compact_types.h"
#include "storage/encode.h"

/* ---- little-endian fields --------------------------------------------- */

static uint64_t ld(const uint8_t *p, unsigned n) {
  uint64_t v = 0;

  for (unsigned i = 0; i < n; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

static void st(uint8_t *p, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- sizes ---------------------------------------------------------------- */

size_t stor_block_bytes_max(uint32_t points, uint32_t dict_count,
                            size_t dict_key_bytes) {
  return STOR_BLOCK_HEADER_BYTES +
         (size_t)dict_count * STOR_DICT_ENTRY_OVERHEAD_BYTES + dict_key_bytes +
         (size_t)points * STOR_POINT_BYTES_MAX;
}

uint32_t stor_block_crc(const uint8_t *block, size_t len) {
  static const uint8_t zero[4];
  uint32_t c = 0xFFFFFFFFu;

  ASSERT(len >= STOR_BLOCK_HEADER_BYTES);
  c = crc32_iscsi((unsigned char *)block, STOR_HDR_OFF_CRC, c);
  c = crc32_iscsi((unsigned char *)zero, 4, c);
  /* crc32_iscsi takes an int length: feed huge payloads in pieces. */
  for (size_t off = STOR_BLOCK_HEADER_BYTES; off < len;) {
    size_t n = len - off < (1u << 30) ? len - off : (1u << 30);
    c = crc32_iscsi((unsigned char *)block + off, (int)n, c);
    off += n;
  }
  return c ^ 0xFFFFFFFFu;
}

/* ---- header -------------------------------------------------------------- */

static void hdr_decode(const uint8_t *b, struct stor_block_hdr *h) {
  *h = (struct stor_block_hdr){
      .magic = (uint32_t)ld(b + STOR_HDR_OFF_MAGIC, 4),
      .version = b[STOR_HDR_OFF_VERSION],
      .kind = b[STOR_HDR_OFF_KIND],
      .shard = (uint16_t)ld(b + STOR_HDR_OFF_SHARD, 2),
      .point_count = (uint32_t)ld(b + STOR_HDR_OFF_POINTS, 4),
      .run_count = (uint32_t)ld(b + STOR_HDR_OFF_RUNS, 4),
      .seq = ld(b + STOR_HDR_OFF_SEQ, 6),
      .hdr_check = (uint16_t)ld(b + STOR_HDR_OFF_CHECK, 2),
      .min_ts_ms = (int64_t)ld(b + STOR_HDR_OFF_MIN_TS, 8),
      .max_ts_ms = (int64_t)ld(b + STOR_HDR_OFF_MAX_TS, 8),
      .payload_bytes = (uint32_t)ld(b + STOR_HDR_OFF_PAYLOAD, 4),
      .dict_count = (uint32_t)ld(b + STOR_HDR_OFF_DICT_COUNT, 4),
      .dict_bytes = (uint32_t)ld(b + STOR_HDR_OFF_DICT_BYTES, 4),
      .runs_bytes = (uint32_t)ld(b + STOR_HDR_OFF_RUNS_BYTES, 4),
      .ts_bytes = (uint32_t)ld(b + STOR_HDR_OFF_TS_BYTES, 4),
      .crc = (uint32_t)ld(b + STOR_HDR_OFF_CRC, 4)};
}

void stor_frame_write(uint8_t *b, const struct stor_frame *f) {
  memset(b, 0, STOR_BLOCK_HEADER_BYTES);
  st(b + STOR_HDR_OFF_MAGIC, STOR_BLOCK_MAGIC, 4);
  b[STOR_HDR_OFF_VERSION] = STOR_BLOCK_VERSION;
  b[STOR_HDR_OFF_KIND] = f->kind;
  st(b + STOR_HDR_OFF_SHARD, f->shard, 2);
  st(b + STOR_HDR_OFF_POINTS, f->count, 4);
  st(b + STOR_HDR_OFF_SEQ, f->seq, 6);
  st(b + STOR_HDR_OFF_MIN_TS, (uint64_t)f->min, 8);
  st(b + STOR_HDR_OFF_MAX_TS, (uint64_t)f->max, 8);
  st(b + STOR_HDR_OFF_PAYLOAD, f->payload_bytes, 4);
}

/* The shared frame, then the metric kind's own fields. */
static void hdr_encode(uint8_t *b, const struct stor_block_hdr *h) {
  stor_frame_write(b, &(struct stor_frame){.kind = h->kind,
                                           .shard = h->shard,
                                           .count = h->point_count,
                                           .seq = h->seq,
                                           .min = h->min_ts_ms,
                                           .max = h->max_ts_ms,
                                           .payload_bytes = h->payload_bytes});
  st(b + STOR_HDR_OFF_RUNS, h->run_count, 4);
  st(b + STOR_HDR_OFF_DICT_COUNT, h->dict_count, 4);
  st(b + STOR_HDR_OFF_DICT_BYTES, h->dict_bytes, 4);
  st(b + STOR_HDR_OFF_RUNS_BYTES, h->runs_bytes, 4);
  st(b + STOR_HDR_OFF_TS_BYTES, h->ts_bytes, 4);
}

/* Low 16 bits of the CRC32C of bytes 0..59, the check field read as 0. */
static uint16_t hdr_check(const uint8_t *b) {
  uint8_t tmp[STOR_HDR_OFF_CRC];

  memcpy(tmp, b, sizeof(tmp));
  st(tmp + STOR_HDR_OFF_CHECK, 0, 2);
  return (uint16_t)(crc32_iscsi(tmp, sizeof(tmp), 0xFFFFFFFFu) ^ 0xFFFFFFFFu);
}

/* Counts and column lengths that no valid block can have. */
static int hdr_impossible(const struct stor_block_hdr *h) {
  uint64_t dict = h->dict_bytes, runs = h->runs_bytes, ts = h->ts_bytes;
  uint64_t rc = h->run_count, dc = h->dict_count;

  if (h->point_count == 0 || h->point_count > STOR_BLOCK_POINTS_MAX ||
      rc == 0 || rc > h->point_count || dc > rc || h->seq == 0 ||
      h->min_ts_ms > h->max_ts_ms)
    return 1;
  /* Smallest entries: dictionary 4 bytes (1-byte key), run 2, timestamps 1,
   * values 2; largest: the bounds of stor_block_bytes_max. */
  if (dict < 4 * dc ||
      dict > dc * (STOR_DICT_ENTRY_OVERHEAD_BYTES + CORE_SERIES_KEY_BYTES_MAX) ||
      runs < 2 * rc || runs > 10 * rc || ts < rc)
    return 1;
  if (dict + runs + ts + 2 * rc > h->payload_bytes)
    return 1;
  return h->payload_bytes >
         stor_block_bytes_max(h->point_count, h->dict_count,
                              dc * CORE_SERIES_KEY_BYTES_MAX) -
             STOR_BLOCK_HEADER_BYTES;
}

/* A count of 0 is allowed in one block only: the directory of a compacted
 * segment that holds no metric point (only carried log and span blocks;
 * docs/segment-format.md, "Compacted segments"). Every other kind and
 * role still needs at least one point, record or span. */
static int empty_directory(const uint8_t *buf, const struct stor_frame *f) {
  return f->kind == STOR_KIND_SERIES &&
         buf[STOR_CHDR_OFF_ROLE] == STOR_CSEG_DIRECTORY;
}

int stor_frame_read(const uint8_t *buf, size_t len, struct stor_frame *f) {
  if (len < STOR_BLOCK_HEADER_BYTES)
    return -EAGAIN;
  *f = (struct stor_frame){
      .version = buf[STOR_HDR_OFF_VERSION],
      .kind = buf[STOR_HDR_OFF_KIND],
      .shard = (uint16_t)ld(buf + STOR_HDR_OFF_SHARD, 2),
      .count = (uint32_t)ld(buf + STOR_HDR_OFF_POINTS, 4),
      .seq = ld(buf + STOR_HDR_OFF_SEQ, 6),
      .min = (int64_t)ld(buf + STOR_HDR_OFF_MIN_TS, 8),
      .max = (int64_t)ld(buf + STOR_HDR_OFF_MAX_TS, 8),
      .payload_bytes = (uint32_t)ld(buf + STOR_HDR_OFF_PAYLOAD, 4),
      .crc = (uint32_t)ld(buf + STOR_HDR_OFF_CRC, 4)};
  /* The header check first: no other field is trusted before it. */
  if (ld(buf + STOR_HDR_OFF_MAGIC, 4) != STOR_BLOCK_MAGIC ||
      ld(buf + STOR_HDR_OFF_CHECK, 2) != hdr_check(buf) ||
      f->version != STOR_BLOCK_VERSION ||
      (f->kind != STOR_KIND_METRICS && f->kind != STOR_KIND_LOGS &&
       f->kind != STOR_KIND_SPANS && f->kind != STOR_KIND_SERIES) ||
      (f->count == 0 && !empty_directory(buf, f)) || f->seq == 0 ||
      f->min > f->max)
    return -EBADMSG;
  return 0;
}

size_t stor_frame_total_bytes(const struct stor_frame *f) {
  return STOR_BLOCK_HEADER_BYTES + (size_t)f->payload_bytes;
}

int stor_block_hdr_read(const uint8_t *buf, size_t len,
                        struct stor_block_hdr *h) {
  struct stor_frame f;
  int rc = stor_frame_read(buf, len, &f);

  if (rc < 0)
    return rc;
  hdr_decode(buf, h);
  if (f.kind != STOR_KIND_METRICS || hdr_impossible(h))
    return -EBADMSG;
  h->values_bytes =
      h->payload_bytes - h->dict_bytes - h->runs_bytes - h->ts_bytes;
  return 0;
}

size_t stor_block_total_bytes(const struct stor_block_hdr *h) {
  return STOR_BLOCK_HEADER_BYTES + (size_t)h->payload_bytes;
}

void stor_block_reseal(uint8_t *block, size_t len) {
  ASSERT(len >= STOR_BLOCK_HEADER_BYTES);
  st(block + STOR_HDR_OFF_CHECK, hdr_check(block), 2);
  st(block + STOR_HDR_OFF_CRC, stor_block_crc(block, len), 4);
}

/* ---- encoder ------------------------------------------------------------- */

void stor_encoder_free(struct stor_encoder *e) {
  free(e->order);
  free(e->tmp);
  free(e->run_ids);
  free(e->dict_seen);
  free(e->ts);
  free(e->val);
  free(e->ints);
  free(e->cols);
  memset(e, 0, sizeof(*e));
}

int stor_encoder_init(struct stor_encoder *e, uint32_t points_max) {
  size_t n = points_max;

  memset(e, 0, sizeof(*e));
  if (points_max == 0 || points_max > STOR_BLOCK_POINTS_MAX)
    return -EINVAL;
  e->points_max = points_max;
  e->runs_cap = 10 * n;
  e->ts_cap = 31 * n;
  e->val_cap = 23 * n;
  e->order = malloc(n * sizeof(*e->order));
  e->tmp = malloc(n * sizeof(*e->tmp));
  e->run_ids = malloc(n * sizeof(*e->run_ids));
  e->dict_seen = malloc(n);
  e->ts = malloc(n * sizeof(*e->ts));
  e->val = malloc(n * sizeof(*e->val));
  e->ints = malloc(n * sizeof(*e->ints));
  e->cols = malloc(e->runs_cap + e->ts_cap + e->val_cap);
  if (!e->order || !e->tmp || !e->run_ids || !e->dict_seen || !e->ts ||
      !e->val || !e->ints || !e->cols) {
    stor_encoder_free(e);
    return -ENOMEM;
  }
  return 0;
}

/*
 * Stable LSD radix sort of e->order[0..n) by series id, 11 bits a pass.
 * One read of the ids counts every pass's digits, so each pass after it is
 * a prefix sum and a scatter.
 */
#define RADIX_BITS 11
#define RADIX_PASSES 3 /* 3 * 11 >= 32 */
#define RADIX_SIZE (1u << RADIX_BITS)
static void sort_by_series(struct stor_encoder *e, const uint32_t *id,
                           uint32_t n) {
  uint32_t *src = e->order, *dst = e->tmp, max = 0, sorted = 1;
  uint32_t count[RADIX_PASSES][RADIX_SIZE];

  memset(count, 0, sizeof(count));
  for (uint32_t i = 0; i < n; i++) {
    uint32_t x = id[i];
    src[i] = i;
    max = x > max ? x : max;
    sorted &= i == 0 || id[i - 1] <= x;
    count[0][x & (RADIX_SIZE - 1)]++;
    count[1][(x >> RADIX_BITS) & (RADIX_SIZE - 1)]++;
    count[2][x >> (2 * RADIX_BITS)]++;
  }
  if (sorted)
    return;
  for (unsigned pass = 0; pass < RADIX_PASSES; pass++) {
    unsigned shift = pass * RADIX_BITS;
    uint32_t pos = 0, *t, *c = count[pass];
    if (pass > 0 && (max >> shift) == 0)
      break;
    for (unsigned b = 0; b < RADIX_SIZE; b++) {
      uint32_t k = c[b];
      c[b] = pos;
      pos += k;
    }
    for (uint32_t i = 0; i < n; i++)
      dst[c[(id[src[i]] >> shift) & (RADIX_SIZE - 1)]++] = src[i];
    t = src, src = dst, dst = t;
  }
  if (src != e->order)
    memcpy(e->order, src, n * sizeof(*src));
}

/* Stable merge sort of idx[0..n) by ts[idx[i]], using tmp. */
static void sort_run_by_time(uint32_t *idx, uint32_t *tmp, uint32_t n,
                             const int64_t *ts) {
  uint32_t *src = idx, *dst = tmp, *t;

  for (uint32_t i = 1; i < n; i++)
    if (ts[idx[i - 1]] > ts[idx[i]])
      goto unsorted;
  return;
unsorted:
  for (uint32_t width = 1; width < n; width *= 2) {
    for (uint32_t lo = 0; lo < n; lo += 2 * width) {
      uint32_t mid = lo + width < n ? lo + width : n;
      uint32_t hi = mid + width < n ? mid + width : n;
      uint32_t a = lo, b = mid, k = lo;
      while (a < mid && b < hi)
        dst[k++] = ts[src[b]] < ts[src[a]] ? src[b++] : src[a++];
      while (a < mid)
        dst[k++] = src[a++];
      while (b < hi)
        dst[k++] = src[b++];
    }
    t = src, src = dst, dst = t;
  }
  if (src != idx)
    memcpy(idx, src, n * sizeof(*idx));
}

/* Groups points into runs; fills e->run_ids. Returns the run count. */
static uint32_t group(struct stor_encoder *e, const struct stor_block_in *in) {
  uint32_t runs = 0, start = 0;

  sort_by_series(e, in->series_id, in->count);
  for (uint32_t i = 1; i <= in->count; i++) {
    if (i < in->count &&
        in->series_id[e->order[i]] == in->series_id[e->order[start]])
      continue;
    sort_run_by_time(e->order + start, e->tmp, i - start, in->ts_ms);
    e->run_ids[runs++] = in->series_id[e->order[start]];
    start = i;
  }
  return runs;
}

/* Index of id among the sorted run ids, or -1. */
static long run_index(const struct stor_encoder *e, uint32_t runs,
                      uint32_t id) {
  uint32_t lo = 0, hi = runs;

  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (e->run_ids[mid] < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < runs && e->run_ids[lo] == id ? (long)lo : -1;
}

/*
 * Bytes of the dictionary column, or -EINVAL when an entry is malformed,
 * names a series the block does not use, or repeats one.
 */
static long dict_bytes(struct stor_encoder *e, const struct stor_block_in *in,
                       uint32_t runs) {
  size_t n = 0;

  memset(e->dict_seen, 0, runs);
  for (uint32_t i = 0; i < in->dict_count; i++) {
    const struct stor_dict_entry *d = &in->dict[i];
    long r = run_index(e, runs, d->id);
    if (d->key == NULL || d->key_len == 0 ||
        d->key_len > CORE_SERIES_KEY_BYTES_MAX ||
        d->type >= STOR_SERIES_TYPES_COUNT || r < 0 || e->dict_seen[r])
      return -EINVAL;
    e->dict_seen[r] = 1;
    n += stor_varint_len(d->id) + 1 + stor_varint_len(d->key_len) + d->key_len;
  }
  return (long)n;
}

static void dict_write(const struct stor_block_in *in, uint8_t *p) {
  for (uint32_t i = 0; i < in->dict_count; i++) {
    const struct stor_dict_entry *d = &in->dict[i];
    p += stor_varint_put(p, d->id);
    *p++ = d->type;
    p += stor_varint_put(p, d->key_len);
    memcpy(p, d->key, d->key_len);
    p += d->key_len;
  }
}

/*
 * The points gathered in series order lie anywhere in the head's arrays
 * (a series' points are a request apart): with short runs (more series
 * than a block has points for) each run's encoding stood between one
 * gather's cache misses and the next. Point i (in sorted order) is asked
 * for GATHER_AHEAD points before it is read.
 */
#define GATHER_AHEAD 16
static inline void prefetch_point(const struct stor_encoder *e,
                                  const struct stor_block_in *in,
                                  uint32_t i) {
  if (i < in->count) {
    uint32_t o = e->order[i];
    __builtin_prefetch(&in->series_id[o]);
    __builtin_prefetch(&in->ts_ms[o]);
    __builtin_prefetch(&in->value[o]);
  }
}

/* Runs, timestamps and values columns into e->cols. */
static void columns(struct stor_encoder *e, const struct stor_block_in *in,
                    int64_t min_ts, struct stor_bitw w[3]) {
  uint32_t start = 0;
  int64_t prev_id = 0;

  stor_bitw_init(&w[0], e->cols, e->runs_cap);
  stor_bitw_init(&w[1], e->cols + e->runs_cap, e->ts_cap);
  stor_bitw_init(&w[2], e->cols + e->runs_cap + e->ts_cap, e->val_cap);
  while (start < in->count) {
    uint32_t id = in->series_id[e->order[start]], n = 0;
    for (; start + n < in->count && in->series_id[e->order[start + n]] == id;
         n++) {
      prefetch_point(e, in, start + n + GATHER_AHEAD);
      e->ts[n] = in->ts_ms[e->order[start + n]];
      e->val[n] = in->value[e->order[start + n]];
    }
    stor_bitw_varint(&w[0], stor_zigzag((int64_t)id - prev_id));
    stor_bitw_varint(&w[0], n);
    stor_ts_encode(&w[1], e->ts, n, min_ts, STOR_MODE_AUTO);
    stor_val_encode(&w[2], e->val, n, e->ints, STOR_MODE_AUTO);
    prev_id = id;
    start += n;
  }
  /* The caps hold the worst case of every mode: overflow is a bug. */
  ASSERT(!w[0].overflow && !w[1].overflow && !w[2].overflow);
}

static void ts_range(const struct stor_block_in *in, int64_t *min,
                     int64_t *max) {
  *min = *max = in->ts_ms[0];
  for (uint32_t i = 1; i < in->count; i++) {
    *min = in->ts_ms[i] < *min ? in->ts_ms[i] : *min;
    *max = in->ts_ms[i] > *max ? in->ts_ms[i] : *max;
  }
}

/* Header, dictionary, columns and CRC into out (room checked). */
static void assemble(const struct stor_block_in *in, struct stor_block_hdr *h,
                     const struct stor_bitw w[3], uint8_t *out) {
  uint8_t *p = out + STOR_BLOCK_HEADER_BYTES;
  struct stor_block_hdr check;

  dict_write(in, p);
  p += h->dict_bytes;
  for (int i = 0; i < 3; i++) {
    memcpy(p, w[i].buf, w[i].len);
    p += w[i].len;
  }
  hdr_encode(out, h);
  stor_block_reseal(out, STOR_BLOCK_HEADER_BYTES + h->payload_bytes);
  /* What readers will check must hold when written. */
  ASSERT(stor_block_hdr_read(out, STOR_BLOCK_HEADER_BYTES, &check) == 0);
  ASSERT(check.values_bytes == w[2].len && check.point_count == h->point_count);
}

long stor_block_encode(struct stor_encoder *e, const struct stor_block_in *in,
                       uint8_t *out, size_t cap) {
  struct stor_block_hdr h = {.magic = STOR_BLOCK_MAGIC,
                             .version = STOR_BLOCK_VERSION,
                             .kind = STOR_KIND_METRICS};
  struct stor_bitw w[3];
  uint64_t total;
  long dict;

  if (in->count == 0 || in->count > e->points_max || in->seq == 0 ||
      in->seq > STOR_BLOCK_SEQ_MAX || in->dict_count > in->count)
    return -EINVAL;
  h.run_count = group(e, in);
  dict = dict_bytes(e, in, h.run_count);
  if (dict < 0)
    return dict;
  ts_range(in, &h.min_ts_ms, &h.max_ts_ms);
  columns(e, in, h.min_ts_ms, w);
  total = STOR_BLOCK_HEADER_BYTES + (uint64_t)dict + w[0].len + w[1].len +
          w[2].len;
  if (total > cap)
    return -ENOSPC;
  ASSERT(total - STOR_BLOCK_HEADER_BYTES <= UINT32_MAX);
  h.shard = in->shard;
  h.point_count = in->count;
  h.seq = in->seq;
  h.dict_count = in->dict_count;
  h.dict_bytes = (uint32_t)dict;
  h.runs_bytes = (uint32_t)w[0].len;
  h.ts_bytes = (uint32_t)w[1].len;
  h.payload_bytes = (uint32_t)(total - STOR_BLOCK_HEADER_BYTES);
  assemble(in, &h, w, out);
  return (long)total;
}

/* ---- reader --------------------------------------------------------------- */

int stor_block_reader_init(struct stor_block_reader *r, const uint8_t *block,
                           size_t len) {
  const struct stor_block_hdr *h = &r->hdr;
  const uint8_t *p;
  int rc;

  memset(r, 0, sizeof(*r));
  r->failed = 1;
  rc = stor_block_hdr_read(block, len, &r->hdr);
  if (rc < 0)
    return rc;
  if (len - STOR_BLOCK_HEADER_BYTES < h->payload_bytes)
    return -EAGAIN;
  if (stor_block_crc(block, STOR_BLOCK_HEADER_BYTES + h->payload_bytes) !=
      h->crc)
    return -EBADMSG;
  r->block = block;
  p = block + STOR_BLOCK_HEADER_BYTES;
  r->dict_p = p;
  r->dict_end = p += h->dict_bytes;
  r->dict_left = h->dict_count;
  stor_bitr_init(&r->runs, p, h->runs_bytes);
  stor_bitr_init(&r->ts, p += h->runs_bytes, h->ts_bytes);
  stor_bitr_init(&r->val, p += h->ts_bytes, h->values_bytes);
  r->runs_left = h->run_count;
  r->points_left = h->point_count;
  r->prev_id = -1;
  r->seen_min = INT64_MAX;
  r->seen_max = INT64_MIN;
  r->failed = 0;
  return 0;
}

static int reader_fail(struct stor_block_reader *r) {
  r->failed = 1;
  return -EBADMSG;
}

int stor_block_next_dict(struct stor_block_reader *r,
                         struct stor_dict_entry *out) {
  const uint8_t *p = r->dict_p;
  uint64_t id, len;
  uint8_t type;

  if (r->failed)
    return -EBADMSG;
  if (r->dict_left == 0)
    return 0;
  if (stor_varint_get(&p, r->dict_end, &id) < 0 || id > UINT32_MAX ||
      p >= r->dict_end)
    return reader_fail(r);
  type = *p++;
  if (type >= STOR_SERIES_TYPES_COUNT ||
      stor_varint_get(&p, r->dict_end, &len) < 0 || len == 0 ||
      len > CORE_SERIES_KEY_BYTES_MAX || len > (uint64_t)(r->dict_end - p))
    return reader_fail(r);
  *out = (struct stor_dict_entry){.id = (uint32_t)id, .type = type,
                                  .key = (const char *)p,
                                  .key_len = (uint32_t)len};
  r->dict_p = p + len;
  if (--r->dict_left == 0 && r->dict_p != r->dict_end)
    return reader_fail(r);
  return 1;
}

/* After the last run: every column used up, counts and range met. */
static int reader_finish(struct stor_block_reader *r) {
  if (r->points_left != 0 || r->runs.p != r->runs.end ||
      r->ts.p != r->ts.end || r->val.p != r->val.end ||
      r->seen_min != r->hdr.min_ts_ms || r->seen_max != r->hdr.max_ts_ms)
    return reader_fail(r);
  return 1;
}

int stor_block_next_run(struct stor_block_reader *r, struct stor_run *run,
                        int64_t *ts_ms, double *value, uint32_t cap) {
  struct stor_bitr rr = r->runs;
  int64_t delta, base = r->prev_id < 0 ? 0 : r->prev_id, id;
  uint64_t count;

  if (r->failed)
    return -EBADMSG;
  if (r->runs_left == 0)
    return 0;
  delta = stor_unzigzag(stor_bitr_varint(&rr));
  count = stor_bitr_varint(&rr);
  if (rr.bad || __builtin_add_overflow(base, delta, &id) || id < 0 ||
      id > UINT32_MAX || id <= r->prev_id || count == 0 ||
      count > r->points_left)
    return reader_fail(r);
  if (count > cap)
    return -ENOSPC;
  r->runs = rr;
  if (stor_ts_decode(&r->ts, ts_ms, (uint32_t)count, r->hdr.min_ts_ms,
                     r->hdr.max_ts_ms) < 0 ||
      stor_val_decode(&r->val, value, (uint32_t)count) < 0)
    return reader_fail(r);
  *run = (struct stor_run){.series_id = (uint32_t)id, .count = (uint32_t)count};
  r->prev_id = id;
  r->points_left -= (uint32_t)count;
  r->seen_min = ts_ms[0] < r->seen_min ? ts_ms[0] : r->seen_min;
  r->seen_max = ts_ms[count - 1] > r->seen_max ? ts_ms[count - 1] : r->seen_max;
  if (--r->runs_left == 0)
    return reader_finish(r);
  return 1;
}

const char *stor_series_type_name(unsigned type) {
  static const char *const names[STOR_SERIES_TYPES_COUNT] = {
      "counter", "gauge", "timer", "histogram", "distribution", "set",
      "otlp_gauge", "otlp_sum_cumulative", "otlp_sum_delta",
      "otlp_updown_cumulative", "otlp_updown_delta",
      "otlp_histogram_cumulative", "otlp_histogram_delta",
      "otlp_exphistogram_cumulative", "otlp_exphistogram_delta",
      "otlp_summary"};

  return type < STOR_SERIES_TYPES_COUNT ? names[type] : "unknown";
}
