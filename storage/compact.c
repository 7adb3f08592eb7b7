/*
 * storage/compact.c - compaction passes over a shard directory (see
 * storage/compact.h): survey the original segments, load a run of them
 * within the pass bounds, sort the points by series then time, write the
 * compacted segment (directory, then data blocks) to a temporary file and
 * swap it in, then delete the originals. The direct passes over sealed
 * heads (storage/compact_direct.c) share the pass and its output.
 *
 * Memory is bounded by the pass bounds of core/base/limits.h: 28 bytes a
 * point (key index, time, value, sorted value; the sorted times take the
 * values' memory), of which a pass touches 24 while its times are held as
 * 32-bit offsets, for at most
 * STOR_COMPACT_POINTS_MAX points, the keys, and the output.
 */
#include "storage/compact.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <isa-l/igzip_lib.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/assert.h"
#include "core/base/fault.h"
#include "core/base/limits.h"
#include "simd/simd.h"
#include "storage/block.h"
#include "storage/compact_pass.h"
#include "storage/encode.h"
#include "storage/logblock.h"
#include "storage/logblock_pack.h"
#include "storage/reader.h"
#include "storage/recover.h"

/* ---- growable byte buffer ------------------------------------------------ */


static int buf_room(struct stor_cbuf *b, size_t n) {
  if (b->len + n <= b->cap)
    return 0;
  size_t cap = b->cap ? b->cap : 65536;
  while (cap < b->len + n)
    cap *= 2;
  uint8_t *p = realloc(b->p, cap);
  if (p == NULL)
    return -ENOMEM;
  b->p = p;
  b->cap = cap;
  return 0;
}

static void put_varint(struct stor_cbuf *b, uint64_t v) {
  b->len += stor_varint_put(b->p + b->len, v);
}

static void st_le(uint8_t *p, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- the pass's state ---------------------------------------------------- */


/* (contract in storage/compact_pass.h) */
long stor_cpass_key_intern(struct stor_cpass *ps,
                           const struct stor_dict_entry *e) {
  /* the slots only find keys: the hash does not shape the output */
  uint64_t h = simd_hash2(e->key, e->key_len, NULL, 0, e->type);
  uint32_t j = (uint32_t)h & ps->slot_mask;

  for (; ps->slot[j]; j = (j + 1) & ps->slot_mask) {
    const struct stor_ckey *k = &ps->keys[ps->slot[j] - 1];
    if (k->len == e->key_len && k->type == e->type &&
        memcmp(ps->arena.p + k->off, e->key, k->len) == 0)
      return ps->slot[j] - 1;
  }
  if (ps->nkeys == STOR_COMPACT_SERIES_MAX ||
      ps->arena.len + e->key_len > STOR_COMPACT_KEY_BYTES_MAX)
    return -E2BIG;
  if (buf_room(&ps->arena, e->key_len) < 0)
    return -ENOMEM;
  memcpy(ps->arena.p + ps->arena.len, e->key, e->key_len);
  ps->keys[ps->nkeys] = (struct stor_ckey){(uint32_t)ps->arena.len, e->key_len,
                                     e->type};
  ps->kcount[ps->nkeys] = 0;
  ps->arena.len += e->key_len;
  ps->slot[j] = ++ps->nkeys;
  return ps->nkeys - 1;
}

static uint32_t id_slot(const struct stor_cpass *ps, uint32_t id) {
  return (uint32_t)((id * 0x9E3779B97F4A7C15ull) >> 32) & ps->idmap_mask;
}

static void idmap_put(struct stor_cpass *ps, uint32_t id, uint32_t key) {
  uint32_t j = id_slot(ps, id);

  while (ps->idmap_key[j] != UINT32_MAX && ps->idmap_id[j] != id)
    j = (j + 1) & ps->idmap_mask;
  ps->idmap_n += ps->idmap_key[j] == UINT32_MAX;
  ps->idmap_id[j] = id;
  ps->idmap_key[j] = key;
}

static long idmap_get(const struct stor_cpass *ps, uint32_t id) {
  for (uint32_t j = id_slot(ps, id); ps->idmap_key[j] != UINT32_MAX;
       j = (j + 1) & ps->idmap_mask)
    if (ps->idmap_id[j] == id)
      return ps->idmap_key[j];
  return -1;
}

/* (contract in storage/compact_pass.h) */
void stor_cpass_free(struct stor_cpass *ps) {
  free(ps->arena.p);
  free(ps->carry.p);
  stor_logpack_free(&ps->pack);
  stor_logdec_free(&ps->dec);
  free(ps->keys);
  free(ps->kcount);
  free(ps->slot);
  free(ps->idmap_id);
  free(ps->idmap_key);
  free(ps->pkey);
  free(ps->sval);
  free(ps->pts);
  free(ps->pval);
  free(ps->dts);
  free(ps->dval);
  free(ps->ints);
  free(ps->ridx);
}

/* (contract in storage/compact_pass.h) */
int stor_cpass_init(struct stor_cpass *ps) {
  size_t np = ps->points_max, ns = STOR_COMPACT_SERIES_MAX;

  ps->slot_mask = (1u << 18) - 1; /* > 2 * STOR_COMPACT_SERIES_MAX */
  ps->idmap_mask = ps->slot_mask;
  ps->keys = malloc(ns * sizeof(*ps->keys));
  ps->kcount = malloc(ns * sizeof(*ps->kcount));
  ps->slot = calloc((size_t)ps->slot_mask + 1, sizeof(*ps->slot));
  ps->idmap_id = malloc(((size_t)ps->idmap_mask + 1) * sizeof(uint32_t));
  ps->idmap_key = malloc(((size_t)ps->idmap_mask + 1) * sizeof(uint32_t));
  ps->pkey = malloc(np * sizeof(*ps->pkey));
  ps->sval = malloc(np * sizeof(*ps->sval));
  ps->pts = malloc(np * sizeof(*ps->pts));
  /* offsets in the first half of the times' memory (widened in place) */
  ps->pt32 = (uint32_t *)(void *)ps->pts;
  ps->pval = malloc(np * sizeof(*ps->pval));
  /* the sorted times go where the values were, once those are sorted */
  ps->sts = (int64_t *)(void *)ps->pval;
  ps->dts = malloc((size_t)STOR_BLOCK_POINTS_MAX * sizeof(*ps->dts));
  ps->dval = malloc((size_t)STOR_BLOCK_POINTS_MAX * sizeof(*ps->dval));
  ps->ints = malloc((size_t)STOR_COMPACT_RUN_POINTS_MAX * sizeof(*ps->ints));
  ps->ridx = malloc(2 * (size_t)STOR_COMPACT_RUN_POINTS_MAX * sizeof(*ps->ridx));
  if (!ps->keys || !ps->kcount || !ps->slot || !ps->idmap_id ||
      !ps->idmap_key || !ps->pkey || !ps->sval || !ps->pts || !ps->pval ||
      !ps->dts || !ps->dval || !ps->ints || !ps->ridx)
    return -ENOMEM;
  /* the arena always has memory: keys of no byte still point into it */
  if (buf_room(&ps->arena, 1) < 0)
    return -ENOMEM;
  if (stor_logdec_init(&ps->dec) < 0)
    return -ENOMEM;
  return stor_logpack_init(&ps->pack, 0);
}

/* (contract in storage/compact_pass.h) */
void stor_cpass_reset(struct stor_cpass *ps) {
  ps->arena.len = 0;
  ps->carry.len = 0;
  ps->pack_seq = 0;
  ps->log_in = ps->log_out = 0;
  ps->nkeys = 0;
  ps->n = 0;
  ps->t32 = 0;
  ps->max_block_seq = 0;
  ps->mtime = (struct timespec){0};
  memset(ps->slot, 0, ((size_t)ps->slot_mask + 1) * sizeof(*ps->slot));
}

/* ---- fault points -------------------------------------------------------- */

/* SLUICE_FAULT compact_crash=N: die like kill -9 at step N of a pass. */
static void crash_point(unsigned step) {
  if (core_fault.compact_crash == step)
    raise(SIGKILL);
}

/* ---- survey and load ----------------------------------------------------- */

/* What a segment holds, from its block headers alone. */
struct survey {
  uint64_t points, dict_entries, dict_bytes, bytes;
  uint64_t carry_bytes; /* of its log and span blocks */
  int other;   /* an unknown kind or a bad block: not compacted */
  int young;   /* not admitted by the options: too new, or not durable */
};

/* 1 when the file's last write is later than the options admit. */
static int too_new(const struct stor_cpass *ps, int fd) {
  struct stat st;

  if (ps->o->mtime_max_ms == INT64_MAX)
    return 0;
  if (fstat(fd, &st) < 0)
    return 1;
  return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000 >
         ps->o->mtime_max_ms;
}

/* 1 for the kinds a pass carries into the compacted segment. */
static int carried(uint8_t kind) {
  return kind == STOR_KIND_LOGS || kind == STOR_KIND_SPANS;
}

static int survey(struct stor_cpass *ps, uint64_t seq, struct survey *sv) {
  struct stor_seg_reader r;
  struct stor_seg_block b;
  char name[32];
  int rc;

  memset(sv, 0, sizeof(*sv));
  stor_segment_name(seq, name, sizeof(name));
  if ((rc = stor_seg_open(&r, ps->dir_fd, name)) < 0)
    return rc;
  sv->bytes = r.size;
  sv->young = seq >= ps->o->seq_below || too_new(ps, r.fd);
  while (!sv->young && (rc = stor_seg_next(&r, &b)) == 1) {
    if (b.status == STOR_BLK_OK && b.frame.seq > ps->o->block_seq_max) {
      sv->young = 1; /* not fsynced yet */
      break;
    }
    if (b.status == STOR_BLK_OK && carried(b.kind)) {
      sv->carry_bytes += b.bytes;
      continue;
    }
    if (b.status != STOR_BLK_OK || b.kind != STOR_KIND_METRICS) {
      sv->other = 1;
      break;
    }
    sv->points += b.hdr.point_count;
    sv->dict_entries += b.hdr.dict_count;
    sv->dict_bytes += b.hdr.dict_bytes;
  }
  stor_seg_close(&r);
  return rc < 0 ? rc : 0;
}

/* One loaded block's dictionary and points into the pass. */
static int load_block(struct stor_cpass *ps, struct stor_seg_block *b) {
  struct stor_dict_entry e;
  struct stor_run run;
  int rc;

  while ((rc = stor_block_next_dict(&b->rd, &e)) == 1) {
    long k = stor_cpass_key_intern(ps, &e);
    if (k < 0)
      return (int)k;
    idmap_put(ps, e.id, (uint32_t)k);
  }
  if (rc < 0)
    return rc;
  while ((rc = stor_block_next_run(&b->rd, &run, ps->dts, ps->dval,
                                   STOR_BLOCK_POINTS_MAX)) == 1) {
    long k = idmap_get(ps, run.series_id);
    if (k < 0 || ps->n + run.count > ps->points_max)
      return -EBADMSG;
    ps->kcount[k] += run.count;
    for (uint32_t i = 0; i < run.count; i++) {
      ps->pkey[ps->n] = (uint32_t)k;
      ps->pts[ps->n] = ps->dts[i];
      ps->pval[ps->n++] = ps->dval[i];
    }
  }
  if (b->frame.seq > ps->max_block_seq)
    ps->max_block_seq = b->frame.seq;
  ps->shard = b->frame.shard;
  return rc < 0 ? rc : 0;
}

/* The pack's records as one log block onto the carried blocks. */
static int pack_flush(struct stor_cpass *ps) {
  size_t cap = stor_logpack_bytes_max(&ps->pack);
  long n;
  int rc;

  if (ps->pack.count == 0)
    return 0;
  if ((rc = buf_room(&ps->carry, cap)) < 0)
    return rc;
  n = stor_logpack_encode(&ps->pack, ps->shard, ps->pack_seq,
                          ps->carry.p + ps->carry.len, cap);
  if (n < 0)
    return (int)n;
  /* Within what a writer writes: every reader's block buffer holds it. */
  ASSERT(n > 0 && (size_t)n <= stor_block_buf_bytes());
  ps->carry.len += (size_t)n;
  ps->log_out++;
  ps->pack_seq = 0;
  return 0;
}

/* A log block's records (b, whole in buf) into the pack, which is written
 * out first when they do not fit. 1: they never fit, carry b whole. */
static int pack_block(struct stor_cpass *ps, const struct stor_seg_block *b,
                      const uint8_t *buf) {
  int rc = stor_logpack_add_block(&ps->pack, &ps->dec, buf, b->bytes);

  if (rc == -ENOSPC) {
    if ((rc = pack_flush(ps)) < 0)
      return rc;
    rc = stor_logpack_add_block(&ps->pack, &ps->dec, buf, b->bytes);
  }
  if (rc == -E2BIG)  /* records in storage order: the pack's go first */
    return (rc = pack_flush(ps)) < 0 ? rc : 1;
  if (rc == 0 && b->frame.seq > ps->pack_seq)
    ps->pack_seq = b->frame.seq;
  return rc;
}

/* Log or span block b of r into the pass's carried blocks: a log block's
 * records into the pack, a span block as it is (its CRC checked: a
 * damaged block is not copied on). */
static int carry_block(struct stor_cpass *ps, struct stor_seg_reader *r,
                       const struct stor_seg_block *b) {
  int rc;

  if ((rc = stor_seg_read_part(r, b, b->bytes)) < 0)
    return rc;
  if (stor_block_crc(r->buf, b->bytes) != b->frame.crc)
    return -EBADMSG;
  ps->shard = b->frame.shard;
  if (b->kind == STOR_KIND_LOGS) {
    ps->log_in++;
    if ((rc = pack_block(ps, b, r->buf)) <= 0)
      return rc;
    ps->log_out++;
  }
  if ((rc = buf_room(&ps->carry, b->bytes)) < 0)
    return rc;
  memcpy(ps->carry.p + ps->carry.len, r->buf, b->bytes);
  ps->carry.len += b->bytes;
  return 0;
}

/* Every point of segment seq into the pass, its other blocks carried. */
static int load_segment(struct stor_cpass *ps, uint64_t seq) {
  struct stor_seg_reader r;
  struct stor_seg_block b;
  struct stat st;
  char name[32];
  int rc;

  stor_segment_name(seq, name, sizeof(name));
  if ((rc = stor_seg_open(&r, ps->dir_fd, name)) < 0)
    return rc;
  if (fstat(r.fd, &st) == 0 &&
      (st.st_mtim.tv_sec > ps->mtime.tv_sec ||
       (st.st_mtim.tv_sec == ps->mtime.tv_sec &&
        st.st_mtim.tv_nsec > ps->mtime.tv_nsec)))
    ps->mtime = st.st_mtim;
  memset(ps->idmap_key, 0xff, ((size_t)ps->idmap_mask + 1) * sizeof(uint32_t));
  ps->idmap_n = 0;
  while ((rc = stor_seg_next(&r, &b)) == 1) {
    if (b.status == STOR_BLK_OK && carried(b.kind)) {
      if ((rc = carry_block(ps, &r, &b)) < 0)
        break;
      if (b.frame.seq > ps->max_block_seq)
        ps->max_block_seq = b.frame.seq;
      continue;
    }
    /* The survey saw only good blocks it knows: anything else changed. */
    if (b.status != STOR_BLK_OK || b.kind != STOR_KIND_METRICS ||
        (rc = stor_seg_load(&r, &b)) < 0 || (rc = load_block(ps, &b)) < 0) {
      rc = rc < 0 ? rc : -EBADMSG;
      break;
    }
  }
  stor_seg_close(&r);
  return rc;
}

/* ---- sorting ------------------------------------------------------------- */

static int cmp_key(const void *a, const void *b, void *arg) {
  const struct stor_cpass *ps = arg;
  const struct stor_ckey *x = &ps->keys[*(const uint32_t *)a];
  const struct stor_ckey *y = &ps->keys[*(const uint32_t *)b];
  uint32_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(ps->arena.p + x->off, ps->arena.p + y->off, n);

  if (c)
    return c;
  if (x->len != y->len)
    return x->len < y->len ? -1 : 1;
  return (x->type > y->type) - (x->type < y->type);
}

/* Point i before point j within one series: time, then storage order. */
static inline int point_before(const int64_t *pts, uint32_t i, uint32_t j) {
  return pts[i] < pts[j] || (pts[i] == pts[j] && i < j);
}

/* a[0..n) by (time, storage order), stable merge sort with tmp of n. */
static void sort_run(const int64_t *pts, uint32_t *a, uint32_t *tmp,
                     uint32_t n) {
  if (n <= 16) {
    for (uint32_t i = 1; i < n; i++) {
      uint32_t x = a[i], k = i;
      for (; k > 0 && point_before(pts, x, a[k - 1]); k--)
        a[k] = a[k - 1];
      a[k] = x;
    }
    return;
  }
  uint32_t h = n / 2, i = 0, j = h, k = 0;
  sort_run(pts, a, tmp, h);
  sort_run(pts, a + h, tmp, n - h);
  if (!point_before(pts, a[h], a[h - 1]))
    return; /* halves already in order */
  while (i < h && j < n)
    tmp[k++] = point_before(pts, a[j], a[i]) ? a[j++] : a[i++];
  while (i < h)
    tmp[k++] = a[i++];
  memcpy(a, tmp, (size_t)k * sizeof(*a)); /* a[j..n) already in place */
}

struct out {
  struct stor_cbuf data;    /* data blocks, headers included */
  struct stor_cbuf index;
  struct stor_cbuf table;   /* block table */
  uint32_t runs, blocks, block_start, block_runs, block_first;
  uint64_t block_points;
  int64_t block_min, block_max, min, max;
};

/*
 * The points into ps->sval and ps->sts by series rank (the keys' order,
 * ord), then storage order: a counting sort over the key indexes
 * (ps->pkey; ps->kcount counted them as they came) that moves each value,
 * then each time, straight to its place (time order comes per series,
 * run_in_order). One column at a time: the times take the values' memory,
 * and a column's writes stay within a line a series. *ends (malloc'ed,
 * nkeys): rank r's points end at (*ends)[r]. o->min, o->max: the pass's
 * time bounds.
 */
static int order_points(struct stor_cpass *ps, const uint32_t *ord,
                        uint32_t **ends, struct out *o) {
  uint32_t nk = ps->nkeys, *at = malloc(2 * ((size_t)nk + 1) * sizeof(*at));
  uint32_t *at2 = at + nk + 1, *end = malloc(((size_t)nk + 1) * sizeof(*end));
  const uint32_t *pkey = ps->pkey, *pt32 = ps->pt32, n = ps->n;
  const int64_t *pts = ps->pts;
  const double *pval = ps->pval;
  int64_t *sts = ps->sts, min = INT64_MAX, max = INT64_MIN;
  double *sval = ps->sval;
  uint64_t tb = ps->tb;

  *ends = end;
  if (at == NULL || end == NULL) {
    free(at);
    return -ENOMEM;
  }
  for (uint32_t r = 0, pos = 0; r < nk; r++) {
    uint32_t c = ps->kcount[ord[r]];
    at[ord[r]] = pos;
    pos += c;
  }
  memcpy(at2, at, (size_t)nk * sizeof(*at));
  /* at[k]: next free slot of key k; after the scatter, its end (locals:
   * the stores through at could alias ps->n) */
  for (uint32_t i = 0; i < n; i++)
    sval[at2[pkey[i]]++] = pval[i];
  if (ps->t32) { /* pval no longer read */
    for (uint32_t i = 0; i < n; i++) {
      int64_t t = (int64_t)(tb + pt32[i]);
      min = t < min ? t : min;
      max = t > max ? t : max;
      sts[at[pkey[i]]++] = t;
    }
  } else {
    for (uint32_t i = 0; i < n; i++) {
      int64_t t = pts[i];
      min = t < min ? t : min;
      max = t > max ? t : max;
      sts[at[pkey[i]]++] = t;
    }
  }
  for (uint32_t r = 0; r < nk; r++)
    end[r] = at[ord[r]];
  o->min = min;
  o->max = max;
  free(at);
  return 0;
}

/* Keys into ascending order (*sorted, key indexes), points ordered by
 * series, then arrival (ps->sts, sval; rank r ending at (*ends)[r]). */
static int sort_pass(struct stor_cpass *ps, uint32_t **sorted, uint32_t **ends,
                     struct out *o) {
  uint32_t *ord = malloc(((size_t)ps->nkeys + 1) * sizeof(*ord));
  int rc;

  *sorted = ord;
  if (ord == NULL)
    return -ENOMEM;
  for (uint32_t i = 0; i < ps->nkeys; i++)
    ord[i] = i;
  qsort_r(ord, ps->nkeys, sizeof(*ord), cmp_key, ps);
  if ((rc = order_points(ps, ord, ends, o)) < 0)
    return rc;
  return 0;
}

/* ---- encoding ------------------------------------------------------------ */

/* Header of a kind-4 block at b (len bytes in all), sealed. */
static void chdr_write(uint8_t *b, size_t len, const struct stor_cpass *ps,
                       uint32_t count, int64_t min, int64_t max, uint8_t role,
                       uint32_t runs, uint32_t a, uint32_t bb, uint32_t c) {
  struct stor_chdr check;

  stor_frame_write(b, &(struct stor_frame){
                          .kind = STOR_KIND_SERIES, .shard = ps->shard,
                          .count = count, .seq = ps->max_block_seq, .min = min,
                          .max = max,
                          .payload_bytes =
                              (uint32_t)(len - STOR_BLOCK_HEADER_BYTES)});
  st_le(b + STOR_HDR_OFF_RUNS, runs, 4);
  b[STOR_CHDR_OFF_ROLE] = role;
  st_le(b + STOR_CHDR_OFF_A, a, 4);
  st_le(b + STOR_CHDR_OFF_B, bb, 4);
  st_le(b + STOR_CHDR_OFF_C, c, 4);
  stor_block_reseal(b, len);
  /* What readers will check must hold when written. */
  ASSERT(stor_chdr_read(b, len, &check) == 0 && check.role == role);
}

static void close_block(struct stor_cpass *ps, struct out *o) {
  size_t len = o->data.len - o->block_start;

  if (o->block_runs == 0)
    return;
  chdr_write(o->data.p + o->block_start, len, ps, (uint32_t)o->block_points,
             o->block_min, o->block_max, STOR_CSEG_DATA, o->block_runs,
             o->block_first, o->blocks, 0);
  put_varint(&o->table, len);
  put_varint(&o->table, o->block_runs);
  o->blocks++;
  o->block_runs = 0;
  o->block_points = 0;
}

#define SCALE_SCAN(d)                                                        \
  for (; i < n; i++) {                                                       \
    int64_t q = ts[i] / (d);                                                 \
    if (q * (d) != ts[i])                                                    \
      return i;                                                              \
    out[i] = q;                                                              \
  }                                                                          \
  return n

/* out[i] = ts[i] / 10^x from i on while 10^x divides ts[i]; returns the
 * first index it does not divide (n: none), by constant divisors: no
 * idiv a point, and one pass both finds the unit and applies it. */
static uint32_t scale_scan(const int64_t *ts, uint32_t i, uint32_t n,
                           unsigned x, int64_t *out) {
  switch (x) {
  case 0: SCALE_SCAN(1);
  case 1: SCALE_SCAN(10);
  case 2: SCALE_SCAN(100);
  case 3: SCALE_SCAN(1000);
  case 4: SCALE_SCAN(10000);
  case 5: SCALE_SCAN(100000);
  case 6: SCALE_SCAN(1000000);
  case 7: SCALE_SCAN(10000000);
  case 8: SCALE_SCAN(100000000);
  default: SCALE_SCAN(1000000000);
  }
}
#undef SCALE_SCAN
_Static_assert(STOR_CSEG_UNIT_MAX == 9, "scale_scan covers every unit");
_Static_assert(STOR_COMPACT_RUN_POINTS_MAX <= STOR_BLOCK_POINTS_MAX,
               "dts and dval hold a run sorted out of place");

/*
 * The run's time unit byte x (the largest 10^x ms, x <= STOR_CSEG_UNIT_MAX,
 * dividing every timestamp), then its timestamps in that unit: a fleet
 * reporting on whole seconds stores second deltas, ten bits fewer a point
 * than milliseconds when the gaps are irregular.
 */
static void ts_scaled(struct stor_bitw *w, const int64_t *ts, uint32_t n,
                      int64_t *scaled) {
  unsigned x = STOR_CSEG_UNIT_MAX;

  /* 10^(x+1) | t implies 10^x | t: the points before i, scaled by the
   * larger unit, only take a factor of ten (at once when a level fails
   * on the first point, the usual case) */
  for (uint32_t i = 0; (i = scale_scan(ts, i, n, x, scaled)) < n;) {
    x--;
    for (uint32_t j = 0; j < i; j++)
      scaled[j] *= 10;
  }
  stor_bitw_byte(w, (uint8_t)x);
  stor_ts_encode(w, scaled, n, scaled[0], STOR_MODE_AUTO);
}

/*
 * (t, x)[0..n) into time order, stably, by insertion: a series that
 * arrives nearly in order (jittered clocks) costs its few moves. Gives up
 * (returns 0) once the moves pass a budget linear in n, every element
 * placed: equal times are then still in their first order, so a stable
 * sort of what is left gives what one of the input gives.
 */
static int insertion_sort(int64_t *t, double *x, uint32_t n) {
  uint64_t budget = 8 * (uint64_t)n + 64;

  for (uint32_t i = 1; i < n; i++) {
    int64_t ti = t[i];
    double xi = x[i];
    uint32_t k = i;
    for (; k > 0 && t[k - 1] > ti; k--) {
      t[k] = t[k - 1];
      x[k] = x[k - 1];
    }
    t[k] = ti;
    x[k] = xi;
    if ((budget -= i - k < budget ? i - k : budget) == 0)
      return i + 1 == n;
  }
  return 1;
}

/*
 * The points [at, at+n) of ps->sts and sval (n <= STOR_COMPACT_RUN_POINTS_MAX,
 * one series, storage order) in time order, storage order among equal
 * times (the original merge order), as *ts and *v: where they are when in
 * order or sorted there by insertion, else sorted into ps->dts and dval.
 */
static void run_in_order(struct stor_cpass *ps, uint32_t at, uint32_t n,
                         const int64_t **ts, const double **v) {
  int64_t *t = ps->sts + at;
  double *x = ps->sval + at;
  uint32_t *idx = ps->ridx, *tmp = ps->ridx + STOR_COMPACT_RUN_POINTS_MAX;
  int in_order = 1;

  for (uint32_t i = 1; i < n; i++)
    in_order &= t[i] >= t[i - 1];
  *ts = t;
  *v = x;
  if (in_order || insertion_sort(t, x, n))
    return;
  for (uint32_t i = 0; i < n; i++)
    idx[i] = i;
  sort_run(t, idx, tmp, n);
  for (uint32_t i = 0; i < n; i++) {
    ps->dts[i] = t[idx[i]];
    ps->dval[i] = x[idx[i]];
  }
  *ts = ps->dts;
  *v = ps->dval;
}

/* One run of series s: the n points ts, v (time order). */
static int encode_run(struct stor_cpass *ps, struct out *o, uint32_t s,
                      int first, const int64_t *ts, const double *v,
                      uint32_t n) {
  struct stor_bitw w;
  size_t before;

  if (buf_room(&o->data, STOR_BLOCK_HEADER_BYTES + 64 * (size_t)n + 64) < 0 ||
      buf_room(&o->index, 5 * STOR_VARINT_BYTES_MAX) < 0 ||
      buf_room(&o->table, 2 * STOR_VARINT_BYTES_MAX) < 0)
    return -ENOMEM;
  if (o->block_runs == 0) {
    o->block_start = (uint32_t)o->data.len;
    o->data.len += STOR_BLOCK_HEADER_BYTES;
    o->block_first = o->runs;
    o->block_min = INT64_MAX;
    o->block_max = INT64_MIN;
  }
  before = o->data.len;
  stor_bitw_init(&w, o->data.p + before, o->data.cap - before);
  ts_scaled(&w, ts, n, ps->ints);
  ps->st->ts_bytes += w.len;
  ps->st->val_bytes -= w.len;
  stor_val_encode(&w, v, n, ps->ints, STOR_MODE_AUTO);
  ASSERT(!w.overflow);
  ps->st->val_bytes += w.len;
  o->data.len += w.len;
  put_varint(&o->index, first ? (s > 0) : 0);
  put_varint(&o->index, n);
  put_varint(&o->index, w.len);
  /* Modulo 2^64: any span of int64_t milliseconds has its offset. */
  put_varint(&o->index, (uint64_t)ts[0] - (uint64_t)o->min);
  put_varint(&o->index, (uint64_t)ts[n - 1] - (uint64_t)ts[0]);
  o->block_min = ts[0] < o->block_min ? ts[0] : o->block_min;
  o->block_max = ts[n - 1] > o->block_max ? ts[n - 1] : o->block_max;
  o->block_points += n;
  o->block_runs++;
  o->runs++;
  if (o->data.len - o->block_start >= STOR_COMPACT_BLOCK_BYTES_TARGET)
    close_block(ps, o);
  return 0;
}

/* (t, x)[0..n) into time order, storage order among equal times, by a
 * merge sort of their indexes. Returns 0 or -ENOMEM. */
static int sort_long(int64_t *t, double *x, uint32_t n) {
  uint32_t *idx = malloc(2 * (size_t)n * sizeof(*idx));
  int64_t *t2 = malloc((size_t)n * sizeof(*t2));
  double *x2 = malloc((size_t)n * sizeof(*x2));
  int rc = -ENOMEM;

  if (idx == NULL || t2 == NULL || x2 == NULL)
    goto out;
  for (uint32_t i = 0; i < n; i++)
    idx[i] = i;
  sort_run(t, idx, idx + n, n);
  for (uint32_t i = 0; i < n; i++) {
    t2[i] = t[idx[i]];
    x2[i] = x[idx[i]];
  }
  memcpy(t, t2, (size_t)n * sizeof(*t));
  memcpy(x, x2, (size_t)n * sizeof(*x));
  rc = 0;
out:
  free(idx);
  free(t2);
  free(x2);
  return rc;
}

/* Series s, the points [at, end) of ps->sts and sval, over one run: put
 * in time order whole (its runs split a time-ordered series), then run by
 * run. */
static int encode_long(struct stor_cpass *ps, struct out *o, uint32_t s,
                       uint32_t at, uint32_t end) {
  int rc;

  for (uint32_t k = at + 1; k < end; k++) {
    if (ps->sts[k] < ps->sts[k - 1]) {
      if ((rc = sort_long(ps->sts + at, ps->sval + at, end - at)) < 0)
        return rc;
      break;
    }
  }
  for (uint32_t from = at; from < end;) {
    uint32_t n = end - from < STOR_COMPACT_RUN_POINTS_MAX
                     ? end - from : STOR_COMPACT_RUN_POINTS_MAX;
    rc = encode_run(ps, o, s, from == at, ps->sts + from, ps->sval + from, n);
    if (rc < 0)
      return rc;
    from += n;
  }
  return 0;
}

/* Every series' runs into o (data blocks, index, block table); rank s's
 * points end at ends[s] of ps->sts and sval. */
static int encode_points(struct stor_cpass *ps, struct out *o,
                         const uint32_t *ends) {
  const int64_t *ts;
  const double *v;
  int rc;

  for (uint32_t s = 0, at = 0; s < ps->nkeys; at = ends[s++]) {
    uint32_t n = ends[s] - at;
    if (n > STOR_COMPACT_RUN_POINTS_MAX)
      rc = encode_long(ps, o, s, at, ends[s]);
    else if (n > 0) {
      run_in_order(ps, at, n, &ts, &v);
      rc = encode_run(ps, o, s, 1, ts, v, n);
    } else
      rc = 0;
    if (rc < 0)
      return rc;
  }
  close_block(ps, o);
  return 0;
}

/* Length of the common prefix of a and b (n bytes each), eight bytes at a
 * time: sorted keys share tens of bytes (name, then the first tags). */
static uint32_t shared_prefix(const uint8_t *a, const uint8_t *b, uint32_t n) {
  uint32_t i = 0;

  for (; n - i >= 8; i += 8) {
    uint64_t x = stor_le_get(a + i, 8) ^ stor_le_get(b + i, 8);
    if (x)
      return i + (uint32_t)__builtin_ctzll(x) / 8;
  }
  while (i < n && a[i] == b[i])
    i++;
  return i;
}

/* Sorted keys front-coded into f (K bytes of keys in all into *k). */
static int front_code(struct stor_cpass *ps, const uint32_t *sorted,
                      struct stor_cbuf *f, uint32_t *k) {
  const uint8_t *prev = NULL;
  uint32_t prev_len = 0;

  *k = 0;
  for (uint32_t i = 0; i < ps->nkeys; i++) {
    const struct stor_ckey *key = &ps->keys[sorted[i]];
    const uint8_t *p = ps->arena.p + key->off;
    uint32_t shared = 0;
    if (buf_room(f, 2 * STOR_VARINT_BYTES_MAX + key->len + 1) < 0)
      return -ENOMEM;
    if (prev)
      shared = shared_prefix(prev, p, prev_len < key->len ? prev_len
                                                          : key->len);
    put_varint(f, shared);
    put_varint(f, key->len - shared);
    memcpy(f->p + f->len, p + shared, key->len - shared);
    f->len += key->len - shared;
    f->p[f->len++] = key->type;
    prev = p;
    prev_len = key->len;
    *k += key->len;
  }
  return 0;
}

/* Raw DEFLATE of in at igzip's highest level into out. */
static int deflate_dict(const struct stor_cbuf *in, struct stor_cbuf *out) {
  struct isal_zstream *z = malloc(sizeof(*z));
  uint8_t *level_buf = malloc(ISAL_DEF_LVL3_DEFAULT);
  size_t cap = in->len + in->len / 8 + 4096;
  int rc = -ENOMEM;

  if (z == NULL || level_buf == NULL || buf_room(out, cap) < 0)
    goto out;
  isal_deflate_stateless_init(z);
  z->level = 3;
  z->level_buf = level_buf;
  z->level_buf_size = ISAL_DEF_LVL3_DEFAULT;
  z->end_of_stream = 1;
  z->flush = NO_FLUSH;
  z->next_in = in->p;
  z->avail_in = (uint32_t)in->len;
  z->next_out = out->p + out->len;
  z->avail_out = (uint32_t)cap;
  ASSERT(isal_deflate_stateless(z) == COMP_OK);
  out->len += z->total_out;
  rc = (int)z->total_out;
out:
  free(z);
  free(level_buf);
  return rc;
}

/* The directory block into d. */
static int directory(struct stor_cpass *ps, const uint32_t *sorted,
                     const struct out *o, struct stor_cbuf *d) {
  struct stor_cbuf fc = {0};
  uint32_t k;
  long c;
  int rc;

  if ((rc = front_code(ps, sorted, &fc, &k)) < 0 ||
      (rc = buf_room(d, STOR_BLOCK_HEADER_BYTES + STOR_CDIR_FIXED_BYTES)) < 0)
    goto out;
  memset(d->p, 0, STOR_BLOCK_HEADER_BYTES);
  d->len = STOR_BLOCK_HEADER_BYTES;
  st_le(d->p + d->len, ps->lo, 8);
  st_le(d->p + d->len + 8, ps->hi, 8);
  st_le(d->p + d->len + 16, o->blocks, 4);
  st_le(d->p + d->len + 20, k, 4);
  st_le(d->p + d->len + 24, fc.len, 4);
  d->len += STOR_CDIR_FIXED_BYTES;
  if ((c = deflate_dict(&fc, d)) < 0 ||
      (rc = buf_room(d, o->index.len + o->table.len)) < 0) {
    rc = c < 0 ? (int)c : rc;
    goto out;
  }
  memcpy(d->p + d->len, o->index.p, o->index.len);
  d->len += o->index.len;
  memcpy(d->p + d->len, o->table.p, o->table.len);
  d->len += o->table.len;
  ASSERT(d->len <= stor_block_buf_bytes());
  chdr_write(d->p, d->len, ps, ps->n, o->min, o->max, STOR_CSEG_DIRECTORY,
             o->runs, ps->nkeys, (uint32_t)c, (uint32_t)o->index.len);
  ps->st->dict_bytes += (uint64_t)c;
  ps->st->index_bytes += o->index.len + o->table.len;
out:
  free(fc.p);
  return rc;
}

/* Floor of ns / 1e6, for negative times too. */
static int64_t ns_to_ms(int64_t ns) {
  return ns / 1000000 - (ns % 1000000 < 0);
}

/* The directory of a pass with no metric point into d: no series, no data
 * block; its min/max are the carried blocks' event times in ms (floored),
 * so that the file's time bounds still cover what it holds. */
static int directory_empty(struct stor_cpass *ps, struct stor_cbuf *d) {
  int64_t min = INT64_MAX, max = INT64_MIN;
  struct stor_frame f;
  int rc;

  for (size_t at = 0; at < ps->carry.len; at += stor_frame_total_bytes(&f)) {
    ASSERT(stor_frame_read(ps->carry.p + at, ps->carry.len - at, &f) == 0);
    min = ns_to_ms(f.min) < min ? ns_to_ms(f.min) : min;
    max = ns_to_ms(f.max) > max ? ns_to_ms(f.max) : max;
  }
  ASSERT(min <= max);
  if ((rc = buf_room(d, STOR_BLOCK_HEADER_BYTES + STOR_CDIR_FIXED_BYTES)) < 0)
    return rc;
  memset(d->p, 0, STOR_BLOCK_HEADER_BYTES + STOR_CDIR_FIXED_BYTES);
  st_le(d->p + STOR_BLOCK_HEADER_BYTES, ps->lo, 8);
  st_le(d->p + STOR_BLOCK_HEADER_BYTES + 8, ps->hi, 8);
  d->len = STOR_BLOCK_HEADER_BYTES + STOR_CDIR_FIXED_BYTES;
  chdr_write(d->p, d->len, ps, 0, min, max, STOR_CSEG_DIRECTORY, 0, 0, 0, 0);
  return 0;
}

/* ---- the swap ------------------------------------------------------------ */

/* unlinkat(name) under the swap lock: a reader listing the directory
 * opens it or does not see it, never lists it and then misses it. */
static int locked_unlink(int dir_fd, const char *name) {
  int rc;

  stor_swap_lock();
  rc = unlinkat(dir_fd, name, 0);
  stor_swap_unlock();
  return rc;
}

static int write_all(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t k = write(fd, p, n);
    if (k < 0 && errno == EINTR)
      continue;
    if (k < 0)
      return -errno;
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

static void tmp_name(uint64_t seq, char *buf, unsigned len) {
  snprintf(buf, len, "%016llu.seg.tmp", (unsigned long long)seq);
}

/* Directory, data blocks and carried blocks to <hi>.seg.tmp, durable,
 * then renamed. */
static int swap_in(struct stor_cpass *ps, const struct stor_cbuf *d,
                   const struct stor_cbuf *data) {
  char tmp[40], name[32];
  struct timespec times[2];
  int fd, rc = 0;

  tmp_name(ps->hi, tmp, sizeof(tmp));
  stor_segment_name(ps->hi, name, sizeof(name));
  fd = openat(ps->dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return -errno;
  if ((rc = write_all(fd, d->p, d->len)) == 0) {
    crash_point(1);
    rc = write_all(fd, data->p, data->len);
  }
  if (rc == 0 && ps->carry.len)
    rc = write_all(fd, ps->carry.p, ps->carry.len);
  times[0] = times[1] = ps->mtime; /* retention ages it as its newest part */
  if (rc == 0 && fsync(fd) < 0)
    rc = -errno;
  /* a direct pass (mtime 0) is as new as its file: no second fsync */
  if (rc == 0 && (ps->mtime.tv_sec || ps->mtime.tv_nsec) &&
      (futimens(fd, times) < 0 || fsync(fd) < 0))
    rc = -errno;
  close(fd);
  crash_point(2);
  if (rc == 0) {
    /* readers list and open under the lock: none sees half a swap */
    stor_swap_lock();
    if (renameat(ps->dir_fd, tmp, ps->dir_fd, name) < 0)
      rc = -errno;
    stor_swap_unlock();
  }
  if (rc < 0) {
    unlinkat(ps->dir_fd, tmp, 0);
    return rc;
  }
  crash_point(3);
  return fsync(ps->dir_fd) < 0 ? -errno : 0;
}

/* The originals lo..hi-1 of the pass, now leftovers. */
static int delete_originals(struct stor_cpass *ps, const uint64_t *seqs,
                            long n) {
  for (long i = 0; i < n; i++) {
    char name[32];
    if (seqs[i] < ps->lo || seqs[i] >= ps->hi)
      continue;
    stor_segment_name(seqs[i], name, sizeof(name));
    if (locked_unlink(ps->dir_fd, name) < 0 && errno != ENOENT)
      return -errno;
    crash_point(4);
  }
  crash_point(5);
  return fsync(ps->dir_fd) < 0 ? -errno : 0;
}

static int cancelled(const struct stor_cpass *ps) {
  return ps->o->cancel && __atomic_load_n(ps->o->cancel, __ATOMIC_ACQUIRE)
             ? -ECANCELED : 0;
}

/* Empty the pack without writing it (a pass that failed loading). */
static void pack_drop(struct stor_cpass *ps) {
  if (ps->pack.count == 0)
    return;
  stor_logpack_free(&ps->pack);
  /* Short of memory, a zeroed pack holds no record: later log blocks are
   * then carried whole (stor_logpack_add_block says -E2BIG). */
  if (stor_logpack_init(&ps->pack, 0) < 0)
    memset(&ps->pack, 0, sizeof(ps->pack));
}

/* (contract in storage/compact_pass.h) */
int stor_cpass_emit(struct stor_cpass *ps) {
  struct out o = {0};
  struct stor_cbuf d = {0};
  uint32_t *sorted = NULL, *ends = NULL;
  int rc;

  if (ps->n == 0) { /* log and span blocks only */
    rc = directory_empty(ps, &d);
  } else {
    rc = sort_pass(ps, &sorted, &ends, &o);
    if (rc == 0)
      rc = encode_points(ps, &o, ends);
    if (rc == 0)
      rc = directory(ps, sorted, &o, &d);
  }
  if (rc == 0 && (rc = cancelled(ps)) == 0)
    rc = swap_in(ps, &d, &o.data);
  if (rc == 0) {
    ps->st->passes++;
    ps->st->bytes_out += d.len + o.data.len + ps->carry.len;
    ps->st->carried_bytes += ps->carry.len;
    ps->st->log_blocks_in += ps->log_in;
    ps->st->log_blocks_out += ps->log_out;
    ps->st->points += ps->n;
    ps->st->series += ps->nkeys;
  }
  free(sorted);
  free(ends);
  free(o.data.p);
  free(o.index.p);
  free(o.table.p);
  free(d.p);
  return rc;
}

/* Load, sort, encode and swap in the segments seqs[from..to]. */
static int compact_run(struct stor_cpass *ps, const uint64_t *seqs, long from,
                       long to, const uint64_t *bytes) {
  int rc = 0;

  stor_cpass_reset(ps);
  ps->lo = seqs[from];
  ps->hi = seqs[to];
  for (long i = from; i <= to && rc == 0; i++)
    if ((rc = cancelled(ps)) == 0)
      rc = load_segment(ps, seqs[i]);
  if (rc == 0)
    rc = pack_flush(ps);
  if (rc < 0)
    pack_drop(ps);
  if (rc == 0 && ps->n == 0 && ps->carry.len == 0)
    rc = -ENODATA;
  if (rc == 0)
    rc = stor_cpass_emit(ps);
  if (rc == 0) {
    ps->st->segments_in += (uint64_t)(to - from + 1);
    for (long i = from; i <= to; i++)
      ps->st->bytes_in += bytes[i - from];
  }
  return rc;
}

/* ---- passes -------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

  return (x > y) - (x < y);
}

/* 1 when name is "<16 digits>.seg.tmp": a pass's temporary file. */
static int is_tmp(const char *name) {
  uint64_t seq;
  char seg[24];

  if (strlen(name) != 24 || strcmp(name + 20, ".tmp") != 0)
    return 0;
  memcpy(seg, name, 20);
  seg[20] = '\0';
  return stor_segment_seq(seg, &seq);
}

/*
 * Segment seqs of dir_fd ascending into *seqs (malloc'ed), deleting
 * temporary files on the way. Returns the count or -errno.
 */
static long list_seqs(int dir_fd, uint64_t **seqs,
                      struct stor_compact_stats *st) {
  int fd2 = dup(dir_fd);
  DIR *d = fd2 < 0 ? NULL : fdopendir(fd2);
  struct dirent *de;
  uint64_t *v = NULL, seq;
  size_t n = 0, cap = 0;

  *seqs = NULL;
  if (d == NULL) {
    if (fd2 >= 0)
      close(fd2);
    return -errno;
  }
  rewinddir(d);
  while ((de = readdir(d)) != NULL) {
    if (is_tmp(de->d_name)) {
      if (unlinkat(dir_fd, de->d_name, 0) == 0 && st)
        st->leftovers_deleted++;
      continue;
    }
    if (!stor_segment_seq(de->d_name, &seq) || n == STOR_SEGMENTS_MAX)
      continue;
    if (n == cap) {
      uint64_t *p = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));
      if (p == NULL) {
        free(v);
        closedir(d);
        return -ENOMEM;
      }
      v = p;
    }
    v[n++] = seq;
  }
  closedir(d);
  if (n > 0) /* v is NULL in an empty directory */
    qsort(v, n, sizeof(*v), cmp_u64);
  *seqs = v;
  return (long)n;
}

int stor_compact_cleanup(int dir_fd, const char *path,
                         struct stor_compact_stats *st, FILE *log) {
  uint64_t *seqs;
  uint8_t *skip;
  long n = list_seqs(dir_fd, &seqs, st);
  int rc, removed = 0;

  if (n <= 0)
    return (int)n;
  if ((skip = malloc((size_t)n)) == NULL) {
    free(seqs);
    return -ENOMEM;
  }
  rc = stor_cseg_superseded(dir_fd, seqs, n, skip);
  for (long i = 0; rc == 0 && i < n; i++) {
    char name[32];
    if (!skip[i])
      continue;
    stor_segment_name(seqs[i], name, sizeof(name));
    if (locked_unlink(dir_fd, name) < 0 && errno != ENOENT) {
      rc = -errno;
      break;
    }
    removed++;
    if (st)
      st->leftovers_deleted++;
    if (log)
      fprintf(log, "sluice: compact: %s/%s: replaced by a compacted "
                   "segment; removed\n", path, name);
  }
  if (rc == 0 && removed && fsync(dir_fd) < 0)
    rc = -errno;
  free(skip);
  free(seqs);
  return rc;
}

/*
 * Compact seqs[from..*to] (cut short when their keys exceed a bound: *to
 * then says where the pass ended) and delete the originals.
 */
static int pass_run(struct stor_cpass *ps, const uint64_t *seqs, long n,
                    long from, long *to, const uint64_t *bytes) {
  int rc;

  if (!ps->ready) {
    if ((rc = stor_cpass_init(ps)) < 0)
      return rc;
    ps->ready = 1;
  }
  /* retention leaves lo..hi alone until the originals are gone */
  stor_swap_busy_set(ps->dir_fd, seqs[from], seqs[*to]);
  for (;;) {
    rc = compact_run(ps, seqs, from, *to, bytes + from);
    if (rc != -E2BIG || *to == from)
      break;
    /* The keys ran over a bound: retry with one segment fewer. */
    *to = *to - 1;
  }
  if (rc == 0)
    rc = delete_originals(ps, seqs, n);
  stor_swap_busy_clear();
  return rc;
}

/* The longest run from *i of originals within the point bound. */
static int plan(struct stor_cpass *ps, const uint64_t *seqs, long n,
                const uint8_t *compacted, long *i, uint64_t *bytes) {
  uint64_t points = 0, carry = 0;
  long from = *i;
  struct survey sv;
  int rc;

  while (*i < n && !compacted[*i]) {
    if ((rc = survey(ps, seqs[*i], &sv)) < 0)
      return rc;
    if (sv.young) {
      ps->admitted_all = 0; /* this one and every later one wait */
      break;
    }
    if (sv.other || (sv.points == 0 && sv.carry_bytes == 0) ||
        sv.points > ps->points_max ||
        sv.carry_bytes > STOR_COMPACT_CARRY_BYTES_MAX) {
      if (*i > from)
        break;
      ps->st->skipped++;
      from = ++*i;
      continue;
    }
    if (points + sv.points > ps->points_max ||
        carry + sv.carry_bytes > STOR_COMPACT_CARRY_BYTES_MAX)
      break;
    points += sv.points;
    carry += sv.carry_bytes;
    bytes[*i] = sv.bytes;
    ++*i;
  }
  return (int)from;
}

/* 1 when segment name's first block is a compacted one (or the file
 * cannot be read as an original): not an original to compact. */
static int not_original(int dir_fd, const char *name) {
  struct stor_seg_reader r;
  struct stor_seg_block b;
  int rc;

  if (stor_seg_open(&r, dir_fd, name) < 0)
    return 1;
  rc = stor_seg_next(&r, &b);
  rc = rc == 1 && b.status == STOR_BLK_OK && b.kind == STOR_KIND_SERIES;
  stor_seg_close(&r);
  return rc;
}

int stor_compact_dir(int dir_fd, const char *path, uint32_t points_max,
                     struct stor_compact_stats *st, FILE *log) {
  struct stor_compact_opts o = {.points_max = points_max,
                                .seq_below = UINT64_MAX,
                                .block_seq_max = UINT64_MAX,
                                .mtime_max_ms = INT64_MAX, .cleanup = 1};

  return stor_compact_dir_opts(dir_fd, path, &o, st, log);
}

int stor_compact_dir_opts(int dir_fd, const char *path,
                          const struct stor_compact_opts *o,
                          struct stor_compact_stats *st, FILE *log) {
  struct stor_cpass ps = {.dir_fd = dir_fd, .path = path, .log = log, .st = st,
                    .o = o, .admitted_all = 1,
                    .points_max = o->points_max && o->points_max <
                                  STOR_COMPACT_POINTS_MAX
                                      ? o->points_max
                                      : STOR_COMPACT_POINTS_MAX};
  uint64_t *seqs = NULL, *bytes = NULL;
  uint8_t *compacted = NULL;
  long n, i = 0;
  int rc;

  if (o->cleanup && (rc = stor_compact_cleanup(dir_fd, path, st, log)) < 0)
    return rc;
  st->settled_seq = o->seq_from;
  if ((n = list_seqs(dir_fd, &seqs, st)) <= 0)
    return (int)n;
  while (n > 0 && seqs[n - 1] >= o->seq_below)
    n--; /* the active segment and what a cursor still reads */
  while (i < n && seqs[i] < o->seq_from)
    i++; /* settled by an earlier call */
  memmove(seqs, seqs + i, (size_t)(n - i) * sizeof(*seqs));
  n -= i;
  i = 0;
  rc = -ENOMEM;
  if ((bytes = calloc(n ? (size_t)n : 1, sizeof(*bytes))) == NULL ||
      (compacted = calloc(n ? (size_t)n : 1, 1)) == NULL)
    goto out;
  for (long k = 0; k < n; k++) {
    char name[32];
    stor_segment_name(seqs[k], name, sizeof(name));
    compacted[k] = (uint8_t)not_original(dir_fd, name); /* left alone */
  }
  rc = 0;
  while (rc >= 0 && i < n && ps.admitted_all &&
         (rc = cancelled(&ps)) == 0) {
    long from, to;
    if (compacted[i]) {
      i++;
      continue;
    }
    if ((rc = plan(&ps, seqs, n, compacted, &i, bytes)) < 0 || rc == i)
      continue;
    from = rc;
    to = i - 1;
    rc = pass_run(&ps, seqs, n, from, &to, bytes);
    i = to + 1;
    if (rc == -E2BIG || rc == -ENODATA) {
      st->skipped += (uint64_t)(to - from + 1); /* over a bound alone */
      rc = 0;
    }
    if (rc < 0)
      i = from; /* not settled: the next call tries again */
    if (rc < 0 && rc != -ECANCELED && log)
      fprintf(log, "sluice: compact: %s: pass over segments %llu..%llu "
                   "failed: %s; the originals are intact\n", path,
              (unsigned long long)seqs[from], (unsigned long long)seqs[to],
              strerror(-rc));
  }
  if (i < n)
    st->settled_seq = seqs[i];
  else if (n > 0)
    st->settled_seq = seqs[n - 1] + 1;
out:
  stor_cpass_free(&ps);
  free(compacted);
  free(bytes);
  free(seqs);
  return rc < 0 ? rc : 0;
}
