/*
 * tests/unit/storage/test_compact.c - compaction (storage/compact.h):
 * every point read back through the metric scan equal before and after,
 * crashes at every step of a pass (SLUICE_FAULT compact_crash, a SIGKILL)
 * losing and duplicating nothing, damaged compacted segments refused.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/base/fault.h"
#include "storage/block.h"
#include "storage/compact.h"
#include "storage/reader.h"
#include "storage/recover.h"
#include "storage/scan.h"

#include "segment_test_util.h"

#define KEYS 300
#define BLOCK_POINTS 4000

/* ---- building original segments ------------------------------------------ */

static char keys[KEYS][64];
static const char *key_prefix = "m"; /* of every key write_dir writes */
static int mixed_units; /* keys k % 4 == 1: each time on a unit of its own */


/* A value of one of the shapes the codecs treat apart (NaN/Inf-free). */
static double value_of(uint32_t k, uint64_t i) {
  switch (k % 5) {
  case 0: return (double)(i * 3 + k);                     /* counter-like */
  case 1: return (double)(int64_t)(seg_rnd() % 2001 - 1000) / 10.0; /* decimals */
  case 2: return (double)seg_rnd() / 3.0e7;                   /* arbitrary */
  case 3: return i % 7 == 0 ? -0.0 : 1e300 / (double)(i + 1);
  default: return 42.0;                                   /* constant */
  }
}

/*
 * Segment seg of shard 0 with blocks of random points of random keys:
 * times jittered around a 10 s grid, some out of order across blocks,
 * some duplicates (same series and time). Block seqs from *seq.
 */
static void write_segment(uint64_t seg, unsigned blocks, uint64_t *seq,
                          int64_t t0) {
  static uint32_t ids[BLOCK_POINTS];
  static int64_t ts[BLOCK_POINTS];
  static double val[BLOCK_POINTS];
  static struct stor_dict_entry dict[KEYS];
  static uint8_t seen[KEYS];
  struct stor_encoder e;
  size_t cap = stor_block_bytes_max(BLOCK_POINTS, KEYS, KEYS * 64);
  uint8_t *out = malloc(cap);

  cr_assert_eq(stor_encoder_init(&e, BLOCK_POINTS), 0);
  memset(seen, 0, sizeof(seen));
  for (unsigned b = 0; b < blocks; b++) {
    uint32_t n = 1 + (uint32_t)(seg_rnd() % BLOCK_POINTS), nd = 0;
    uint8_t in_block[KEYS] = {0};
    for (uint32_t i = 0; i < n; i++) {
      uint32_t k = (uint32_t)(seg_rnd() % KEYS);
      ids[i] = k * 7 + 3; /* ids are not the keys' order */
      ts[i] = t0 + (int64_t)(b * 10000) + (int64_t)(seg_rnd() % 30000) - 5000;
      if (k % 4 == 0) /* whole seconds (a run's time unit), some negative */
        ts[i] = (ts[i] / 1000 - (k % 8 == 0 ? 1700000001 : 0)) * 1000;
      if (mixed_units && k % 4 == 1) { /* some negative too (k % 8 == 1) */
        static const int64_t unit[] = {1000000000, 100000, 1000, 10, 1};
        int64_t u = unit[seg_rnd() % 5];
        ts[i] = (ts[i] - (k % 8 == 1 ? 1700000000000 : 0)) / u * u;
      }
      if (i > 0 && seg_rnd() % 50 == 0) { /* a duplicate */
        ids[i] = ids[i - 1];
        ts[i] = ts[i - 1];
        k = (ids[i] - 3) / 7;
      }
      val[i] = value_of(k, b * BLOCK_POINTS + i);
      if (!seen[k] && !in_block[k]) {
        in_block[k] = 1;
        dict[nd++] = (struct stor_dict_entry){
            .id = ids[i], .type = (uint8_t)(k % 3), .key = keys[k],
            .key_len = (uint32_t)strlen(keys[k])};
      }
    }
    for (uint32_t d = 0; d < nd; d++)
      seen[(dict[d].id - 3) / 7] = 1;
    struct stor_block_in in = {.shard = 0, .seq = (*seq)++, .count = n,
                               .series_id = ids, .ts_ms = ts, .value = val,
                               .dict_count = nd, .dict = dict};
    long len = stor_block_encode(&e, &in, out, cap);
    cr_assert_gt(len, 0);
    seg_append_bytes(0, seg, out, (size_t)len);
  }
  stor_encoder_free(&e);
  free(out);
}

/* segs segments of 1..blocks_max blocks each. */
static void write_dir(unsigned segs, unsigned blocks_max, uint64_t seed) {
  uint64_t seq = 1;

  seg_rng_state = seed;
  seg_dir_make();
  /* Keys k and k + 17 share a name while they have the same type (k % 3)
   * or not: a key that repeats with another type is a series of its own. */
  for (unsigned k = 0; k < KEYS; k++)
    snprintf(keys[k], sizeof(keys[k]), "%s%u.name%s", key_prefix, k % 17,
             k % 2 ? "" : "\001env:prod");
  for (unsigned s = 0; s < segs; s++)
    write_segment(s + 1, 1 + (unsigned)(seg_rnd() % blocks_max), &seq,
                  1700000000000 + (int64_t)s * 100000);
}

/* ---- reading everything back ------------------------------------------ */

struct pt {
  int64_t ts;
  uint64_t bits;
  uint32_t key;
};

struct got {
  struct pt *p;
  size_t n, cap;
  uint64_t series_calls;
};

static uint32_t key_index(const struct stor_dict_entry *e) {
  for (uint32_t k = 0; k < KEYS; k++)
    if (strlen(keys[k]) == e->key_len &&
        memcmp(keys[k], e->key, e->key_len) == 0)
      return k * 4 + e->type;
  cr_assert_fail("unknown key");
  return 0;
}

static int on_series(void *ctx, const struct stor_dict_entry *e,
                     uint32_t *handle) {
  ((struct got *)ctx)->series_calls++;
  *handle = key_index(e);
  return 1;
}

static int on_points(void *ctx, uint32_t h, const int64_t *ts,
                     const double *v, uint32_t n) {
  struct got *g = ctx;

  for (uint32_t i = 0; i < n; i++) {
    if (g->n == g->cap) {
      g->cap = g->cap ? g->cap * 2 : 4096;
      g->p = realloc(g->p, g->cap * sizeof(*g->p));
    }
    memcpy(&g->p[g->n].bits, &v[i], 8);
    g->p[g->n].ts = ts[i];
    g->p[g->n++].key = h;
  }
  return 0;
}

static int cmp_pt(const void *a, const void *b) {
  const struct pt *x = a, *y = b;

  if (x->key != y->key)
    return x->key < y->key ? -1 : 1;
  if (x->ts != y->ts)
    return x->ts < y->ts ? -1 : 1;
  return (x->bits > y->bits) - (x->bits < y->bits);
}

/* Every point of [start, end] as a sorted multiset. */
/* Every point array read_all hands out, freed after each test (a test
 * reads several and compares them; LeakSanitizer checks the rest). */
static void *gots[64];
static unsigned gots_n;

static void free_gots(void) {
  for (unsigned i = 0; i < gots_n; i++)
    free(gots[i]);
  gots_n = 0;
}

TestSuite(compact, .fini = free_gots);

static struct got read_all(int64_t start, int64_t end,
                           struct stor_scan_stats *st) {
  struct got g = {0};
  struct stor_scan q = {.data_dir = seg_dir, .start_ms = start,
                        .end_ms = end, .series = on_series,
                        .points = on_points, .ctx = &g};
  struct stor_scan_stats local;

  cr_assert_eq(stor_scan_run(&q, st ? st : &local), 0);
  if (g.n > 0)
    qsort(g.p, g.n, sizeof(*g.p), cmp_pt);
  cr_assert_lt(gots_n, sizeof(gots) / sizeof(gots[0]));
  gots[gots_n++] = g.p;
  return g;
}

static void assert_same(const struct got *a, const struct got *b) {
  cr_assert_eq(a->n, b->n, "points %zu then %zu", a->n, b->n);
  for (size_t i = 0; i < a->n; i++)
    cr_assert(a->p[i].ts == b->p[i].ts && a->p[i].bits == b->p[i].bits &&
                  a->p[i].key == b->p[i].key,
              "point %zu differs", i);
}

static int shard_fd(void) {
  char path[128];
  int fd;

  snprintf(path, sizeof(path), "%s/shard-0", seg_dir);
  fd = open(path, O_RDONLY | O_DIRECTORY);
  cr_assert_geq(fd, 0);
  return fd;
}

static long segment_count(void) {
  char path[128];
  uint64_t *seqs;
  long n;

  snprintf(path, sizeof(path), "%s/shard-0", seg_dir);
  n = stor_segment_seqs(path, &seqs);
  free(seqs);
  return n;
}

static struct stor_compact_stats compact(void) {
  struct stor_compact_stats st = {0};
  int fd = shard_fd();

  cr_assert_eq(stor_compact_dir(fd, "shard-0", 0, &st, NULL), 0);
  close(fd);
  return st;
}

/* ---- roundtrip ---------------------------------------------------------- */

Test(compact, every_point_reads_back_equal) {
  write_dir(6, 8, 0x1234567);
  struct got before = read_all(INT64_MIN, INT64_MAX, NULL);
  struct got part0 = read_all(1700000100000, 1700000250000, NULL);
  struct stor_compact_stats st = compact();
  struct stor_scan_stats ss = {0};
  struct got after = read_all(INT64_MIN, INT64_MAX, &ss);
  struct got part1 = read_all(1700000100000, 1700000250000, NULL);

  cr_assert_gt(before.n, 1000);
  cr_assert_eq(st.passes, 1);
  cr_assert_eq(st.segments_in, 6);
  cr_assert_eq(st.points, before.n);
  cr_assert_eq(segment_count(), 1);
  assert_same(&before, &after);
  assert_same(&part0, &part1);
  cr_assert_gt(part0.n, 0);
  cr_assert_eq(ss.blocks_bad, 0);
  /* A second run has nothing left to do and changes nothing. */
  st = compact();
  cr_assert_eq(st.passes, 0);
  struct got again = read_all(INT64_MIN, INT64_MAX, NULL);
  assert_same(&before, &again);
  seg_dir_remove();
}

/*
 * Keys sharing long prefixes that end at every offset of an eight-byte
 * word (m1.name vs m10.name..., behind prefixes of 7 to 17 bytes): the
 * front coding's shared lengths, compared a word at a time, give back
 * each key whole.
 */
Test(compact, long_shared_prefixes_read_back_whole) {
  static const char *prefixes[] = {"svc.api", "service.a", "fleet.web.req.",
                                   "fleet.web.requests"};

  for (unsigned i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
    key_prefix = prefixes[i];
    write_dir(3, 4, 0x51ce + i);
    struct got before = read_all(INT64_MIN, INT64_MAX, NULL);
    struct stor_compact_stats st = compact();
    struct got after = read_all(INT64_MIN, INT64_MAX, NULL);
    cr_assert_gt(before.n, 100);
    cr_assert_eq(st.passes, 1);
    cr_assert_eq(segment_count(), 1);
    assert_same(&before, &after); /* key_index matched every key's bytes */
    seg_dir_remove();
  }
  key_prefix = "m";
}

/*
 * Series whose times sit on units from 10^9 ms down to 1 ms, mixed within
 * a run: the run's unit drops at any point of it (not only the first),
 * and what was scaled by the larger unit is rescaled.
 */
Test(compact, time_units_mixed_within_a_run) {
  mixed_units = 1;
  write_dir(4, 6, 0x0917);
  struct got before = read_all(INT64_MIN, INT64_MAX, NULL);
  struct stor_compact_stats st = compact();
  struct got after = read_all(INT64_MIN, INT64_MAX, NULL);
  cr_assert_gt(before.n, 1000);
  cr_assert_eq(st.passes, 1);
  assert_same(&before, &after);
  seg_dir_remove();
  mixed_units = 0;
}

/* Times at both ends of int64_t, in one run and one directory. */
Test(compact, extreme_times) {
  static const int64_t ts[] = {INT64_MIN, -1, 0, 1000, INT64_MAX - 7,
                               INT64_MAX};
  uint32_t ids[6] = {1, 1, 1, 2, 2, 1};
  double val[6] = {1.5, -2, 0.25, 1e308, -0.0, 3};
  struct stor_dict_entry d[2] = {{1, 1, "a.b", 3}, {2, 0, "a.c", 3}};
  struct stor_block_in in = {.shard = 0, .seq = 1, .count = 6,
                             .series_id = ids, .ts_ms = ts, .value = val,
                             .dict_count = 2, .dict = d};
  struct stor_encoder e;
  uint8_t out[4096];
  long len;

  seg_dir_make();
  for (unsigned k = 0; k < KEYS; k++)
    snprintf(keys[k], sizeof(keys[k]), "%s", k == 0 ? "a.b" : "a.c");
  cr_assert_eq(stor_encoder_init(&e, 16), 0);
  len = stor_block_encode(&e, &in, out, sizeof(out));
  cr_assert_gt(len, 0);
  seg_append_bytes(0, 1, out, (size_t)len);
  stor_encoder_free(&e);
  struct got before = read_all(INT64_MIN, INT64_MAX, NULL);
  struct got mid0 = read_all(-5, 5000, NULL);
  cr_assert_eq(compact().passes, 1);
  struct got after = read_all(INT64_MIN, INT64_MAX, NULL);
  struct got mid1 = read_all(-5, 5000, NULL);
  cr_assert_eq(before.n, 6);
  assert_same(&before, &after);
  cr_assert_eq(mid0.n, 3);
  assert_same(&mid0, &mid1);
  cr_assert_eq(segment_count(), 1);
  seg_dir_remove();
}

/* ---- order within a series --------------------------------------------- */

struct seq_pt {
  int64_t ts;
  double v; /* the point's storage index: duplicates told apart */
};

static int cmp_seq_pt(const void *a, const void *b) {
  const struct seq_pt *x = a, *y = b;

  if (x->ts != y->ts)
    return x->ts < y->ts ? -1 : 1;
  return (x->v > y->v) - (x->v < y->v);
}

/* Points of key index 0 (type 0) in the order the scan hands them out. */
static int on_points_raw(void *ctx, uint32_t h, const int64_t *ts,
                         const double *v, uint32_t n) {
  struct got *g = ctx;

  for (uint32_t i = 0; i < n; i++) {
    if (h != 0)
      continue;
    if (g->n == g->cap) {
      g->cap = g->cap ? g->cap * 2 : 4096;
      g->p = realloc(g->p, g->cap * sizeof(*g->p));
    }
    g->p[g->n].ts = ts[i];
    memcpy(&g->p[g->n].bits, &v[i], 8);
    g->p[g->n++].key = h;
  }
  return 0;
}

/*
 * One series holds nearly every point, out of time order, many at equal
 * times, across two segments: the compacted run must list them by time,
 * equal times in storage order (segment, block, position), as a
 * reference stable sort does.
 */
Test(compact, series_order_is_time_then_storage_order) {
  enum { SEGS = 2, BLOCKS = 3, N = 3000 };
  static uint32_t ids[N];
  static int64_t ts[N];
  static double val[N];
  static struct seq_pt want[SEGS * BLOCKS * N];
  struct stor_dict_entry d[3] = {{1, 0, "s.all", 5}, {2, 0, "s.few", 5},
                                 {3, 1, "s.all", 5}};
  struct stor_encoder e;
  size_t cap = stor_block_bytes_max(N, 3, 64), nw = 0;
  uint8_t *out = malloc(cap);
  uint64_t bseq = 1;

  seg_dir_make();
  seg_rng_state = 0x5eed;
  for (unsigned k = 0; k < KEYS; k++)
    snprintf(keys[k], sizeof(keys[k]), "%s", k == 0 ? "s.all" : "s.few");
  cr_assert_eq(stor_encoder_init(&e, N), 0);
  for (unsigned s = 0; s < SEGS; s++) {
    for (unsigned b = 0; b < BLOCKS; b++) {
      for (uint32_t i = 0; i < N; i++) {
        uint64_t r = seg_rnd();
        ids[i] = r % 97 == 0 ? 2 : r % 89 == 0 ? 3 : 1;
        /* few distinct times: many duplicates, no time order */
        ts[i] = 1700000000000 + (int64_t)(seg_rnd() % 400) * 1000;
        if (b == 1 && i < N / 2) /* a stretch in order */
          ts[i] = 1700000000000 + (int64_t)i;
        val[i] = (double)((s * BLOCKS + b) * N + i); /* storage index */
        if (ids[i] == 1)
          want[nw++] = (struct seq_pt){ts[i], val[i]};
      }
      struct stor_block_in in = {.shard = 0, .seq = bseq++, .count = N,
                                 .series_id = ids, .ts_ms = ts, .value = val,
                                 .dict_count = b == 0 ? 3 : 0,
                                 .dict = d};
      long len = stor_block_encode(&e, &in, out, cap);
      cr_assert_gt(len, 0);
      seg_append_bytes(0, s + 1, out, (size_t)len);
    }
  }
  stor_encoder_free(&e);
  free(out);
  /* the reference: a stable sort by time (storage index breaks ties) */
  qsort(want, nw, sizeof(*want), cmp_seq_pt);
  cr_assert_eq(compact().passes, 1);
  cr_assert_eq(segment_count(), 1);

  struct got g = {0};
  struct stor_scan q = {.data_dir = seg_dir, .start_ms = INT64_MIN,
                        .end_ms = INT64_MAX, .series = on_series,
                        .points = on_points_raw, .ctx = &g};
  struct stor_scan_stats st;
  cr_assert_eq(stor_scan_run(&q, &st), 0);
  gots[gots_n++] = g.p;
  cr_assert_eq(g.n, nw, "points %zu, want %zu", g.n, nw);
  for (size_t i = 0; i < nw; i++) {
    double v;
    memcpy(&v, &g.p[i].bits, 8);
    cr_assert(g.p[i].ts == want[i].ts && v == want[i].v,
              "point %zu: %lld/%g, want %lld/%g", i, (long long)g.p[i].ts, v,
              (long long)want[i].ts, want[i].v);
  }
  seg_dir_remove();
}

/* A one-series read loads only the data blocks that hold its runs. */
static int want_one(void *ctx, const struct stor_dict_entry *e,
                    uint32_t *handle) {
  (void)ctx;
  *handle = 0;
  return key_index(e) / 4 == 5;
}

static int count_points(void *ctx, uint32_t h, const int64_t *ts,
                        const double *v, uint32_t n) {
  (void)h, (void)ts, (void)v;
  *(uint64_t *)ctx += n;
  return 0;
}

Test(compact, one_series_touches_few_blocks) {
  write_dir(8, 20, 99);
  uint64_t n0 = 0, n1 = 0;
  struct stor_scan q = {.data_dir = seg_dir, .start_ms = INT64_MIN,
                        .end_ms = INT64_MAX, .series = want_one,
                        .points = count_points, .ctx = &n0};
  struct stor_scan_stats s0 = {0}, s1 = {0};

  cr_assert_eq(stor_scan_run(&q, &s0), 0);
  compact();
  q.ctx = &n1;
  cr_assert_eq(stor_scan_run(&q, &s1), 0);
  cr_assert_eq(n0, n1);
  cr_assert_gt(n1, 0);
  cr_assert_gt(s1.blocks_skipped, 0);
  cr_assert_lt(s1.bytes_read, s0.bytes_read / 4, "%llu of %llu bytes",
               (unsigned long long)s1.bytes_read,
               (unsigned long long)s0.bytes_read);
  seg_dir_remove();
}

/* A pass holds at most points_max points: more segments take more passes,
 * and a segment over the bound alone is left as it is. */
Test(compact, bounded_passes) {
  write_dir(9, 6, 4242);
  struct got before = read_all(INT64_MIN, INT64_MAX, NULL);
  struct stor_compact_stats st = {0};
  int fd = shard_fd();

  cr_assert_eq(stor_compact_dir(fd, "shard-0", 30000, &st, NULL), 0);
  close(fd);
  cr_assert_gt(st.passes, 1);
  cr_assert_leq(st.points, before.n);
  cr_assert_eq(st.segments_in + st.skipped, 9);
  cr_assert_eq(segment_count(), (long)(st.passes + st.skipped));
  struct got after = read_all(INT64_MIN, INT64_MAX, NULL);
  assert_same(&before, &after);
  seg_dir_remove();
}

/* ---- crashes ------------------------------------------------------------ */

/* A pass killed at step; then readers, recovery and a new pass. */
static void crash_at(unsigned step) {
  write_dir(5, 6, 777 + step);
  struct got before = read_all(INT64_MIN, INT64_MAX, NULL);
  struct stor_recovery r;
  int status, fd;
  pid_t pid = fork();

  cr_assert_geq(pid, 0);
  if (pid == 0) {
    struct stor_compact_stats st = {0};
    core_fault.compact_crash = step;
    fd = shard_fd();
    stor_compact_dir(fd, "shard-0", 0, &st, NULL);
    _exit(3);
  }
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
            "step %u: the pass should have been killed", step);
  /* Readers right after the crash: nothing lost, nothing twice. */
  struct got mid = read_all(INT64_MIN, INT64_MAX, NULL);
  assert_same(&before, &mid);
  /* Start-up recovery finishes or undoes the pass. */
  fd = shard_fd();
  cr_assert_eq(stor_recover_dir(fd, "shard-0", &r, NULL), 0);
  close(fd);
  struct got rec = read_all(INT64_MIN, INT64_MAX, NULL);
  assert_same(&before, &rec);
  compact();
  struct got after = read_all(INT64_MIN, INT64_MAX, NULL);
  assert_same(&before, &after);
  cr_assert_eq(segment_count(), 1);
  seg_dir_remove();
}

Test(compact, crash_with_temp_half_written) { crash_at(1); }
Test(compact, crash_before_rename) { crash_at(2); }
Test(compact, crash_after_rename) { crash_at(3); }
Test(compact, crash_after_first_delete) { crash_at(4); }
Test(compact, crash_after_last_delete) { crash_at(5); }

/* ---- damage ------------------------------------------------------------- */

static void flip(uint64_t seq, uint64_t off) {
  char path[256];
  uint8_t c;
  int fd;

  seg_file(path, sizeof(path), 0, seq);
  fd = open(path, O_RDWR);
  cr_assert_eq(pread(fd, &c, 1, (off_t)off), 1);
  c ^= 0x10;
  cr_assert_eq(pwrite(fd, &c, 1, (off_t)off), 1);
  close(fd);
}

static uint64_t compacted_seq(struct stor_cseg *c) {
  char path[128], name[32];
  uint64_t *seqs, seq;
  int fd;

  snprintf(path, sizeof(path), "%s/shard-0", seg_dir);
  cr_assert_eq(stor_segment_seqs(path, &seqs), 1);
  seq = seqs[0];
  free(seqs);
  fd = shard_fd();
  stor_segment_name(seq, name, sizeof(name));
  cr_assert_eq(stor_cseg_open(c, fd, name), 1);
  close(fd);
  return seq;
}

static int first_key_starts(const struct stor_cseg *c, char want) {
  struct stor_dict_entry e;

  stor_cseg_key(c, 0, &e);
  return e.key[0] == want;
}

/*
 * Dictionaries decoded once are kept for the next open (storage/
 * compact_read.c): a second open of the same file gets equal tables of its
 * own, and a file renamed over the same name (a swap) with another
 * dictionary is read as itself, never served the kept one.
 */
Test(compact, kept_dictionary_is_equal_and_never_outlives_its_file) {
  struct stor_cseg a, b, c;
  char first[64], from[160], to[160], name[32];
  uint64_t seq;

  write_dir(3, 10, 9);
  compact();
  seq = compacted_seq(&a);
  compacted_seq(&b);
  cr_assert_eq(a.series, b.series);
  cr_assert_neq(a.keys, b.keys);
  cr_assert_eq(memcmp(a.keys, b.keys, a.key_off[a.series]), 0);
  cr_assert_eq(memcmp(a.key_off, b.key_off,
                      (a.series + 1) * sizeof(*a.key_off)), 0);
  cr_assert_eq(memcmp(a.types, b.types, a.series), 0);
  cr_assert(first_key_starts(&a, 'm'));
  stor_cseg_close(&b);
  stor_cseg_close(&a);
  memcpy(first, seg_dir, sizeof(first));
  key_prefix = "x";
  write_dir(3, 10, 9); /* the same points under other keys */
  key_prefix = "m";
  compact();
  stor_segment_name(seq, name, sizeof(name));
  snprintf(from, sizeof(from), "%s/shard-0/%s", seg_dir, name);
  snprintf(to, sizeof(to), "%s/shard-0/%s", first, name);
  cr_assert_eq(rename(from, to), 0, "no compacted %s", from);
  seg_dir_remove();
  memcpy(seg_dir, first, sizeof(first));
  cr_assert_eq(compacted_seq(&c), seq);
  cr_assert(first_key_starts(&c, 'x'), "a replaced file read the kept keys");
  stor_cseg_close(&c);
  seg_dir_remove();
}

Test(compact, damaged_data_block_is_refused) {
  write_dir(4, 10, 5);
  compact();
  struct stor_cseg c;
  uint64_t seq = compacted_seq(&c);
  uint64_t off = c.block[c.blocks - 1].file_off + 70;
  uint64_t whole = c.dir.f.count;
  stor_cseg_close(&c);
  flip(seq, off);
  struct stor_scan_stats st = {0};
  struct got g = read_all(INT64_MIN, INT64_MAX, &st);
  cr_assert_eq(st.blocks_bad, 1);
  cr_assert_lt(g.n, whole);
  seg_dir_remove();
}

Test(compact, damaged_directory_is_refused) {
  write_dir(3, 5, 6);
  compact();
  struct stor_cseg c;
  uint64_t seq = compacted_seq(&c);
  char name[32];
  int fd;
  stor_cseg_close(&c);
  for (uint64_t off = 20; off < 200; off += 37) {
    flip(seq, off);
    fd = shard_fd();
    stor_segment_name(seq, name, sizeof(name));
    cr_assert_lt(stor_cseg_open(&c, fd, name), 1, "flip at %llu",
                 (unsigned long long)off);
    close(fd);
    struct stor_scan_stats st = {0};
    struct got g = read_all(INT64_MIN, INT64_MAX, &st);
    cr_assert_eq(g.n, 0);
    flip(seq, off);
  }
  seg_dir_remove();
}

Test(compact, truncated_segment_serves_only_whole_blocks) {
  write_dir(4, 12, 8);
  struct got before = read_all(INT64_MIN, INT64_MAX, NULL);
  compact();
  struct stor_cseg c;
  uint64_t seq = compacted_seq(&c);
  uint64_t cut = c.block[c.blocks / 2].file_off + 10;
  char path[256];
  stor_cseg_close(&c);
  seg_file(path, sizeof(path), 0, seq);
  cr_assert_eq(truncate(path, (off_t)cut), 0);
  struct stor_scan_stats st = {0};
  struct got g = read_all(INT64_MIN, INT64_MAX, &st);
  cr_assert_eq(st.blocks_bad, 1);
  cr_assert_lt(g.n, before.n);
  seg_dir_remove();
}

/*
 * Every single byte of a compacted segment flipped in turn: a read serves
 * all the points, or refuses what it cannot check (fewer points, a bad
 * block counted); it never serves a point that was not written.
 */
Test(compact, every_byte_flipped_is_caught) {
  write_dir(2, 2, 31);
  compact();
  struct got good = read_all(INT64_MIN, INT64_MAX, NULL);
  struct stor_cseg c;
  uint64_t seq = compacted_seq(&c);
  uint64_t size = c.block[c.blocks - 1].file_off + c.block[c.blocks - 1].bytes;
  stor_cseg_close(&c);
  for (uint64_t off = 0; off < size; off += 1 + off / 512) {
    flip(seq, off);
    struct stor_scan_stats st = {0};
    struct got g = read_all(INT64_MIN, INT64_MAX, &st);
    size_t j = 0;
    /* g is a sub-multiset of good: both sorted, walk them together. */
    for (size_t i = 0; i < g.n; i++) {
      while (j < good.n && cmp_pt(&good.p[j], &g.p[i]) < 0)
        j++;
      cr_assert(j < good.n && cmp_pt(&good.p[j], &g.p[i]) == 0,
                "flip at %llu served a point never written",
                (unsigned long long)off);
      j++;
    }
    cr_assert(g.n == good.n || st.blocks_bad > 0, "flip at %llu: %zu of %zu "
              "points, nothing counted bad", (unsigned long long)off, g.n,
              good.n);
    flip(seq, off);
    free(gots[--gots_n]); /* g, read last */
  }
  seg_dir_remove();
}

/* ---- log and span blocks carried ----------------------------------------- */

#include "storage/logscan.h"
#include "storage/spanblock.h"
#include "storage/spanscan.h"
#include "span_test_util.h"

#define LOG_RECS 70000 /* over one pack: two packed blocks */
#define LOG_T0 INT64_C(1700000000000000000)

struct logs_seen {
  uint32_t n;
  unsigned shard_bad;
};

/* Records arrive in storage order: record i is test_rec(i). */
static int on_log(void *ctx, unsigned shard, const struct stor_log_rec *r) {
  struct logs_seen *x = ctx;
  struct stor_log_rec want = test_rec(x->n, LOG_T0);

  x->shard_bad += shard != 0;
  cr_assert_lt(x->n, LOG_RECS);
  assert_rec_eq(r, &want);
  x->n++;
  return 0;
}

static struct span_gen *span_g;
static uint32_t spans_n;

static int on_span(void *ctx, unsigned shard, const struct stor_span *sp) {
  uint32_t *n = ctx;

  cr_assert_eq(shard, 0);
  cr_assert_lt(*n, spans_n);
  check_span(sp, &span_g->spans[(*n)++]);
  return 0;
}

/* Every log record and span of the directory, checked one by one. */
static void read_logs_spans(uint32_t *logs, uint32_t *spans) {
  struct logs_seen x = {0};
  struct stor_logscan lq = {.data_dir = seg_dir, .start_ns = INT64_MIN,
                            .end_ns = INT64_MAX, .fn = on_log, .ctx = &x};
  struct stor_spanscan sq = {.data_dir = seg_dir, .start_ns = INT64_MIN,
                             .end_ns = INT64_MAX, .fn = on_span,
                             .ctx = spans};
  struct stor_scan_stats st = {0};

  cr_assert_eq(stor_logscan_run(&lq, &st), 0);
  cr_assert_eq(st.blocks_bad, 0);
  cr_assert_eq(x.shard_bad, 0);
  *logs = x.n;
  *spans = 0;
  memset(&st, 0, sizeof(st));
  cr_assert_eq(stor_spanscan_run(&sq, &st), 0);
  cr_assert_eq(st.blocks_bad, 0);
}

/* LOG_RECS records as log blocks of segments 2 and 3 (blocks of 1..256
 * records), a span block in segment 1, beside the metric blocks. */
static void add_logs_spans(void) {
  static struct stor_log_rec recs[LOG_RECS];
  struct stor_spanenc enc;
  size_t cap = stor_spanblock_bytes_max();
  uint8_t *buf = malloc(cap);
  uint64_t seq = 1000;

  for (uint32_t i = 0; i < LOG_RECS; i++)
    recs[i] = test_rec(i, LOG_T0);
  for (uint32_t at = 0; at < LOG_RECS;) {
    uint32_t n = 1 + (uint32_t)(seg_rnd() % 256);
    n = n < LOG_RECS - at ? n : LOG_RECS - at;
    append_log(0, at < LOG_RECS / 2 ? 2 : 3, seq++, recs + at, n);
    at += n;
  }
  span_g = calloc(1, sizeof(*span_g));
  cr_assert(span_g && buf);
  span_g->rng = 5;
  spans_n = 300;
  gen_spans(span_g, spans_n, LOG_T0);
  cr_assert_eq(stor_spanenc_init(&enc, 512), 0);
  long len = stor_spanblock_encode(&enc, 0, seq++, span_g->spans, spans_n,
                                   span_g->res, GEN_RES, buf, cap);
  cr_assert_gt(len, 0);
  seg_append_bytes(0, 1, buf, (size_t)len);
  stor_spanenc_free(&enc);
  free(buf);
}

/* Segments with log and span blocks are compacted: points, records and
 * spans read back equal, from one compacted segment, the records of the
 * log blocks packed into a few large ones. */
Test(compact, log_and_span_blocks_are_carried) {
  uint32_t logs, spans;

  write_dir(3, 4, 11);
  add_logs_spans();
  struct got before = read_all(INT64_MIN, INT64_MAX, NULL);
  read_logs_spans(&logs, &spans);
  cr_assert_eq(logs, LOG_RECS);
  cr_assert_eq(spans, spans_n);
  struct stor_compact_stats st = compact();
  cr_assert_eq(st.skipped, 0);
  cr_assert_eq(st.segments_in, 3);
  cr_assert_eq(segment_count(), 1);
  cr_assert_gt(st.carried_bytes, 0);
  cr_assert_gt(st.log_blocks_in, 400);
  cr_assert_eq(st.log_blocks_out, 2, "%llu log blocks written",
               (unsigned long long)st.log_blocks_out);
  struct got after = read_all(INT64_MIN, INT64_MAX, NULL);
  assert_same(&before, &after);
  read_logs_spans(&logs, &spans);
  cr_assert_eq(logs, LOG_RECS);
  cr_assert_eq(spans, spans_n);
  /* Nothing left to do: a second run changes nothing. */
  st = compact();
  cr_assert_eq(st.passes, 0);
  read_logs_spans(&logs, &spans);
  cr_assert_eq(logs, LOG_RECS);
  free(span_g);
  seg_dir_remove();
}

/* ---- live passes: options, snapshots, retention ------------------------- */

#include "storage/retention.h"

static struct stor_compact_stats compact_opts(struct stor_compact_opts o) {
  struct stor_compact_stats st = {0};
  int fd = shard_fd();

  cr_assert_eq(stor_compact_dir_opts(fd, "shard-0", &o, &st, NULL), 0);
  close(fd);
  return st;
}

static struct stor_compact_opts all_admitted(void) {
  return (struct stor_compact_opts){.seq_below = UINT64_MAX,
                                    .block_seq_max = UINT64_MAX,
                                    .mtime_max_ms = INT64_MAX};
}

/* The highest block seq of segment seg. */
static uint64_t last_block(uint64_t seg) {
  struct stor_seg_reader r;
  struct stor_seg_block b;
  char name[32];
  uint64_t max = 0;
  int fd = shard_fd();

  stor_segment_name(seg, name, sizeof(name));
  cr_assert_eq(stor_seg_open(&r, fd, name), 0);
  while (stor_seg_next(&r, &b) == 1 && b.status == STOR_BLK_OK)
    max = b.frame.seq > max ? b.frame.seq : max;
  stor_seg_close(&r);
  close(fd);
  return max;
}

Test(compact, live_options_admit_closed_durable_old_segments) {
  write_dir(6, 4, 0xabcdef);
  struct got before = read_all(INT64_MIN, INT64_MAX, NULL);
  struct stor_compact_opts o = all_admitted();

  /* too new for the options: nothing */
  o.mtime_max_ms = 0;
  cr_assert_eq(compact_opts(o).passes, 0);
  cr_assert_eq(segment_count(), 6);
  /* 4 is active (or a forward cursor is in it): 1..3 only */
  o = all_admitted();
  o.seq_below = 4;
  struct stor_compact_stats st = compact_opts(o);
  cr_assert_eq(st.passes, 1);
  cr_assert_eq(st.segments_in, 3);
  cr_assert_eq(st.settled_seq, 4);
  cr_assert_eq(segment_count(), 4);
  /* blocks of 5 not durable yet: 4 alone, and planning stops at 5 */
  o = all_admitted();
  o.block_seq_max = last_block(4);
  o.seq_from = 4; /* 1..3 settled */
  st = compact_opts(o);
  cr_assert_eq(st.passes, 1);
  cr_assert_eq(st.segments_in, 1);
  cr_assert_eq(st.settled_seq, 5);
  cr_assert_eq(segment_count(), 4);
  struct got after = read_all(INT64_MIN, INT64_MAX, NULL);
  assert_same(&before, &after);
  /* compacted segments are never taken again */
  st = compact_opts(all_admitted());
  cr_assert_eq(st.segments_in, 2);
  cr_assert_eq(st.settled_seq, 7);
  cr_assert_eq(segment_count(), 3);
  after = read_all(INT64_MIN, INT64_MAX, NULL);
  assert_same(&before, &after);
  seg_dir_remove();
}

/* Points of the metric blocks of every segment snapshot s does not skip,
 * read through s's open files. */
static uint64_t snap_points(const struct stor_snap *s) {
  uint64_t points = 0;

  stor_snap_use(s);
  for (long i = 0; i < s->n; i++) {
    struct stor_seg_reader r;
    struct stor_seg_block b;
    struct stor_cseg c;
    char name[32];
    if (s->skip[i])
      continue;
    stor_segment_name(s->seqs[i], name, sizeof(name));
    if (stor_cseg_open(&c, s->dir_fd, name) == 1) {
      points += c.dir.f.count;
      stor_cseg_close(&c);
      continue;
    }
    cr_assert_eq(stor_seg_open(&r, s->dir_fd, name), 0, "%s gone", name);
    while (stor_seg_next(&r, &b) == 1 && b.status == STOR_BLK_OK)
      points += b.kind == STOR_KIND_METRICS ? b.hdr.point_count : 0;
    stor_seg_close(&r);
  }
  stor_snap_use(NULL);
  return points;
}

Test(compact, snapshot_reads_one_side_of_a_swap) {
  write_dir(5, 5, 0x5eed);
  struct got before = read_all(INT64_MIN, INT64_MAX, NULL);
  struct stor_snap old, mid, now;
  char path[128];
  int fd = shard_fd(), status;

  snprintf(path, sizeof(path), "%s/shard-0", seg_dir);
  cr_assert_eq(stor_snap_take(&old, fd, path), 0);
  cr_assert_eq(old.n, 5);
  /* a pass dies right after its rename: originals and the compacted
   * segment side by side */
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    struct stor_compact_stats st = {0};
    core_fault.compact_crash = 3;
    stor_compact_dir(fd, "shard-0", 0, &st, NULL);
    _exit(3);
  }
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(WIFSIGNALED(status));
  cr_assert_eq(stor_snap_take(&mid, fd, path), 0);
  cr_assert_eq(mid.n, 5);
  cr_assert_eq(mid.skip[0] + mid.skip[1] + mid.skip[2] + mid.skip[3], 4);
  cr_assert_eq(mid.skip[4], 0);
  /* the pass is finished (originals deleted) while both snapshots hold
   * their files: each still reads every point once */
  compact();
  cr_assert_eq(segment_count(), 1);
  cr_assert_eq(snap_points(&old), before.n);
  cr_assert_eq(snap_points(&mid), before.n);
  cr_assert_eq(stor_snap_take(&now, fd, path), 0);
  cr_assert_eq(now.n, 1);
  cr_assert_eq(snap_points(&now), before.n);
  stor_snap_free(&old);
  stor_snap_free(&mid);
  stor_snap_free(&now);
  close(fd);
  seg_dir_remove();
}

Test(compact, retention_leaves_a_pass_alone) {
  struct stor_retention_stats rs = {0};
  uint64_t active = 1000;
  const uint64_t *act[1] = {&active};
  int fd;

  write_dir(6, 2, 0x77);
  fd = shard_fd();
  stor_swap_busy_set(fd, 2, 4);
  cr_assert_eq(stor_retention_run(seg_dir, 1, act, 1, 0, INT64_MAX / 2, &rs),
               0);
  cr_assert_eq(rs.deleted_segments, 3);
  cr_assert_eq(segment_count(), 3); /* 2..4, the pass's range */
  stor_swap_busy_clear();
  cr_assert_eq(stor_retention_run(seg_dir, 1, act, 1, 0, INT64_MAX / 2, &rs),
               0);
  cr_assert_eq(rs.deleted_segments, 6);
  cr_assert_eq(segment_count(), 0);
  close(fd);
  seg_dir_remove();
}

#include <pthread.h>

static int passes_done;

/* Compact two segments at a time, each pair its own pass and swap (the
 * rename over the second, then the first deleted). */
static void *compact_one_by_one(void *arg) {
  struct stor_compact_opts o = all_admitted();
  int fd = shard_fd();

  (void)arg;
  for (uint64_t below = 3; below <= 13; below += 2) {
    struct stor_compact_stats st = {0};
    o.seq_below = below;
    cr_assert_eq(stor_compact_dir_opts(fd, "shard-0", &o, &st, NULL), 0);
    o.seq_from = st.settled_seq;
  }
  close(fd);
  __atomic_store_n(&passes_done, 1, __ATOMIC_RELEASE);
  return NULL;
}

Test(compact, readers_during_passes_see_every_point_once) {
  pthread_t t;
  unsigned reads = 0;

  write_dir(12, 3, 0xfeed);
  struct got before = read_all(INT64_MIN, INT64_MAX, NULL);
  passes_done = 0;
  cr_assert_eq(pthread_create(&t, NULL, compact_one_by_one, NULL), 0);
  while (!__atomic_load_n(&passes_done, __ATOMIC_ACQUIRE)) {
    struct got g = read_all(INT64_MIN, INT64_MAX, NULL);
    assert_same(&before, &g);
    free(g.p);
    gots_n--; /* freed here: the loop may read many times */
    reads++;
  }
  pthread_join(t, NULL);
  cr_assert_eq(segment_count(), 6);
  struct got after = read_all(INT64_MIN, INT64_MAX, NULL);
  assert_same(&before, &after);
  cr_log_info("%u reads during 6 passes", reads);
  seg_dir_remove();
}

#include <sys/resource.h>

Test(compact, snapshot_short_of_descriptors_holds_the_lock) {
  struct rlimit was, low;
  struct stor_snap s;
  char path[128];
  int fd, probe;

  write_dir(12, 2, 0xd00d);
  struct got before = read_all(INT64_MIN, INT64_MAX, NULL);
  fd = shard_fd();
  snprintf(path, sizeof(path), "%s/shard-0", seg_dir);
  cr_assert_eq(getrlimit(RLIMIT_NOFILE, &was), 0);
  probe = open("/dev/null", O_RDONLY);
  cr_assert_geq(probe, 0);
  close(probe);
  low = was;
  low.rlim_cur = (rlim_t)probe + 4; /* room for 4 of the 12 segments */
  cr_assert_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
  int rc = stor_snap_take(&s, fd, path);
  cr_assert_eq(setrlimit(RLIMIT_NOFILE, &was), 0);
  cr_assert_eq(rc, 0);
  cr_assert(s.locked && s.fds == NULL);
  cr_assert_eq(snap_points(&s), before.n);
  stor_snap_free(&s);
  /* the lock is free again: a pass swaps */
  struct stor_compact_stats st = compact();
  cr_assert_eq(st.segments_in, 12);
  close(fd);
  seg_dir_remove();
}

/* ---- log-only and span-only segments ------------------------------------ */

/* Segments of log and span blocks and no metric point compact too: a
 * directory of no series (count 0), no data block, then the carried
 * blocks; records and spans read back equal; series, export and inspect
 * readers see an empty dictionary. */
Test(compact, log_and_span_only_segments_are_compacted) {
  uint32_t logs, spans;

  seg_rng_state = 11;
  seg_dir_make();
  add_logs_spans(); /* segments 1 (spans), 2 and 3 (logs), no metric */
  read_logs_spans(&logs, &spans);
  cr_assert_eq(logs, LOG_RECS);
  struct stor_compact_stats st = compact();
  cr_assert_eq(st.passes, 1);
  cr_assert_eq(st.skipped, 0);
  cr_assert_eq(st.segments_in, 3);
  cr_assert_eq(st.points, 0);
  cr_assert_eq(st.log_blocks_out, 2);
  cr_assert_eq(segment_count(), 1);
  struct stor_cseg c;
  compacted_seq(&c);
  cr_assert_eq(c.series, 0);
  cr_assert_eq(c.runs, 0);
  cr_assert_eq(c.blocks, 0);
  cr_assert_eq(c.dir.f.count, 0);
  cr_assert_eq(c.lo, 1);
  cr_assert_eq(c.hi, 3);
  /* its time bounds cover the carried records (ms, floored) */
  cr_assert_leq(c.dir.f.min, LOG_T0 / 1000000);
  cr_assert_geq(c.dir.f.max, LOG_T0 / 1000000);
  stor_cseg_close(&c);
  struct stor_scan_stats sst = {0};
  struct got g = read_all(INT64_MIN, INT64_MAX, &sst);
  cr_assert_eq(g.n, 0);
  cr_assert_eq(sst.blocks_bad, 0);
  read_logs_spans(&logs, &spans);
  cr_assert_eq(logs, LOG_RECS);
  st = compact(); /* settled: nothing more to do */
  cr_assert_eq(st.passes, 0);
  free(span_g);
  seg_dir_remove();
}

/* A zero-series directory flipped at any byte, or cut short, is refused:
 * never served as an empty segment that would hide the carried blocks'
 * damage, and its records are not served from a bad directory. */
Test(compact, damaged_zero_series_directory_is_refused) {
  uint32_t logs, spans;
  char path[256], name[32];
  int fd;

  seg_rng_state = 12;
  seg_dir_make();
  add_logs_spans();
  compact();
  struct stor_cseg c;
  uint64_t seq = compacted_seq(&c);
  uint64_t dir_bytes = stor_frame_total_bytes(&c.dir.f);
  stor_cseg_close(&c);
  cr_assert_eq(dir_bytes, STOR_BLOCK_HEADER_BYTES + STOR_CDIR_FIXED_BYTES);
  stor_segment_name(seq, name, sizeof(name));
  for (uint64_t off = 0; off < dir_bytes; off++) {
    flip(seq, off);
    fd = shard_fd();
    cr_assert_lt(stor_cseg_open(&c, fd, name), 1, "flip at %llu",
                 (unsigned long long)off);
    close(fd);
    flip(seq, off);
  }
  seg_file(path, sizeof(path), 0, seq);
  cr_assert_eq(truncate(path, (off_t)dir_bytes - 1), 0);
  fd = shard_fd();
  cr_assert_eq(stor_cseg_open(&c, fd, name), -EBADMSG);
  close(fd);
  struct logs_seen x = {0};
  struct stor_logscan lq = {.data_dir = seg_dir, .start_ns = INT64_MIN,
                            .end_ns = INT64_MAX, .fn = on_log, .ctx = &x};
  struct stor_scan_stats st = {0};
  cr_assert_eq(stor_logscan_run(&lq, &st), 0);
  cr_assert_eq(x.n, 0); /* a torn directory: nothing after it is read */
  (void)logs;
  (void)spans;
  free(span_g);
  seg_dir_remove();
}
