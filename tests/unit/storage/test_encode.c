/*
 * tests/unit/storage/test_encode.c - varints, zigzag, bit cursors and the
 * per-run timestamp and value codecs: round trips on random and edge
 * data in every mode, exact consumption, and rejection of malformed input.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "storage/encode.h"
#include "storage_test_util.h"

#define RUN_MAX 65536
#define BUF_BYTES (RUN_MAX * 12 + 64)

static uint8_t buf[BUF_BYTES];
static int64_t ts_in[RUN_MAX], ts_out[RUN_MAX], scratch[RUN_MAX];
static double val_in[RUN_MAX], val_out[RUN_MAX];

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* ---- varints and zigzag ------------------------------------------------- */

Test(encode, varint_round_trip_edges_and_random) {
  uint64_t s = 1, edges[] = {0, 1, 127, 128, 16383, 16384, UINT32_MAX,
                             UINT64_C(1) << 63, UINT64_MAX};
  uint8_t b[STOR_VARINT_BYTES_MAX];

  for (int i = 0; i < 10000; i++) {
    uint64_t v = i < 9 ? edges[i] : rng_next(&s) >> rng_below(&s, 64);
    const uint8_t *p = b;
    uint64_t got = 0;
    unsigned n = stor_varint_put(b, v);
    cr_assert_eq(n, stor_varint_len(v));
    cr_assert_eq(stor_varint_get(&p, b + n, &got), 0);
    cr_assert_eq(got, v);
    cr_assert_eq(p, b + n);
    /* every truncation is rejected */
    for (unsigned k = 0; k < n; k++) {
      p = b;
      cr_assert_eq(stor_varint_get(&p, b + k, &got), -EBADMSG);
    }
  }
}

Test(encode, varint_rejects_overlong_and_non_minimal) {
  const uint8_t eleven[11] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                              0x80, 0x80, 0x80, 0x80, 0x00};
  const uint8_t over64[10] = {0xff, 0xff, 0xff, 0xff, 0xff,
                              0xff, 0xff, 0xff, 0xff, 0x02};
  const uint8_t padded[2] = {0x81, 0x00};
  const uint8_t *p;
  uint64_t v;

  p = eleven;
  cr_assert_eq(stor_varint_get(&p, eleven + 11, &v), -EBADMSG);
  p = over64;
  cr_assert_eq(stor_varint_get(&p, over64 + 10, &v), -EBADMSG);
  p = padded;
  cr_assert_eq(stor_varint_get(&p, padded + 2, &v), -EBADMSG);
}

Test(encode, zigzag_is_a_bijection_on_edges_and_random) {
  uint64_t s = 2;
  int64_t edges[] = {0, -1, 1, INT64_MIN, INT64_MAX, INT64_MIN + 1};

  cr_assert_eq(stor_zigzag(0), 0);
  cr_assert_eq(stor_zigzag(-1), 1);
  cr_assert_eq(stor_zigzag(1), 2);
  cr_assert_eq(stor_zigzag(INT64_MIN), UINT64_MAX);
  for (int i = 0; i < 10000; i++) {
    int64_t v = i < 6 ? edges[i] : (int64_t)rng_next(&s) >> rng_below(&s, 64);
    cr_assert_eq(stor_unzigzag(stor_zigzag(v)), v);
  }
}

/* ---- bit cursors --------------------------------------------------------- */

Test(encode, bits_round_trip_with_bytes_between) {
  uint64_t s = 3, vals[4096];
  unsigned widths[4096];
  struct stor_bitw w;
  struct stor_bitr r;

  stor_bitw_init(&w, buf, sizeof(buf));
  for (int i = 0; i < 4096; i++) {
    widths[i] = (unsigned)rng_below(&s, 65);
    vals[i] = widths[i] == 64 ? rng_next(&s)
                              : rng_next(&s) & ((UINT64_C(1) << widths[i]) - 1);
    stor_bitw_bits(&w, vals[i] | (widths[i] < 64 ? UINT64_C(1) << widths[i]
                                                 : 0), widths[i]);
    if (i % 97 == 0) {
      stor_bitw_align(&w);
      stor_bitw_varint(&w, vals[i]);
    }
  }
  stor_bitw_align(&w);
  cr_assert(!w.overflow);
  stor_bitr_init(&r, buf, w.len);
  for (int i = 0; i < 4096; i++) {
    cr_assert_eq(stor_bitr_bits(&r, widths[i]), vals[i], "field %d", i);
    if (i % 97 == 0) {
      stor_bitr_align(&r);
      cr_assert_eq(stor_bitr_varint(&r), vals[i]);
    }
  }
  stor_bitr_align(&r);
  cr_assert(!r.bad);
  cr_assert_eq(r.p, r.end);
  cr_assert_eq(stor_bitr_bits(&r, 1), 0);
  cr_assert(r.bad);
}

Test(encode, bit_writer_overflow_and_reader_padding) {
  struct stor_bitw w;
  struct stor_bitr r;
  uint8_t b[4] = {0};

  stor_bitw_init(&w, b, 2);
  stor_bitw_bits(&w, 0xffffff, 24);
  stor_bitw_align(&w);
  cr_assert(w.overflow);
  cr_assert_eq(w.len, 2);

  b[0] = 0x08; /* bit 3 set inside what the reader treats as padding */
  stor_bitr_init(&r, b, 1);
  cr_assert_eq(stor_bitr_bits(&r, 3), 0);
  stor_bitr_align(&r);
  cr_assert(r.bad);
}

/* ---- timestamps ----------------------------------------------------------- */

static void ts_round_trip(const int64_t *ts, uint32_t n, int mode) {
  struct stor_bitw w;
  struct stor_bitr r;
  int64_t min = ts[0], max = ts[n - 1];

  stor_bitw_init(&w, buf, sizeof(buf));
  stor_ts_encode(&w, ts, n, min, mode);
  cr_assert(!w.overflow);
  stor_bitr_init(&r, buf, w.len);
  cr_assert_eq(stor_ts_decode(&r, ts_out, n, min, max), 0, "n %u mode %d", n,
               mode);
  cr_assert_eq(r.p, r.end, "run consumed exactly");
  cr_assert_eq(memcmp(ts, ts_out, n * sizeof(*ts)), 0);
  /* every truncation fails */
  if (n <= 64)
    for (size_t k = 0; k < w.len; k++) {
      stor_bitr_init(&r, buf, k);
      cr_assert_eq(stor_ts_decode(&r, ts_out, n, min, max), -EBADMSG);
    }
}

Test(encode, ts_round_trip_every_shape_and_mode) {
  uint64_t s = 4;
  static const uint32_t sizes[] = {1, 2, 3, 7, 32, 1000};

  for (int shape = 0; shape < TS_SHAPE_COUNT; shape++)
    for (unsigned k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
      for (int rep = 0; rep < 5; rep++) {
        gen_ts(&s, shape, ts_in, sizes[k]);
        qsort(ts_in, sizes[k], sizeof(int64_t), cmp_i64);
        ts_round_trip(ts_in, sizes[k], STOR_MODE_AUTO);
        ts_round_trip(ts_in, sizes[k], STOR_TS_DELTA_FOR);
        ts_round_trip(ts_in, sizes[k], STOR_TS_DOD);
        ts_round_trip(ts_in, sizes[k], STOR_TS_GRID);
      }
}

Test(encode, ts_full_int64_span_and_65536_points) {
  uint64_t s = 5;
  int64_t ext[3] = {INT64_MIN, 0, INT64_MAX};

  ts_round_trip(ext, 3, STOR_TS_DELTA_FOR);
  ts_round_trip(ext, 3, STOR_TS_DOD);
  ts_round_trip(ext, 3, STOR_TS_GRID);
  ts_round_trip(ext, 3, STOR_MODE_AUTO);
  gen_ts(&s, TS_JITTER, ts_in, RUN_MAX);
  ts_round_trip(ts_in, RUN_MAX, STOR_MODE_AUTO);
  gen_ts(&s, TS_RANDOM, ts_in, RUN_MAX);
  ts_round_trip(ts_in, RUN_MAX, STOR_TS_DOD);
}

Test(encode, ts_regular_run_costs_a_bit_a_point) {
  uint64_t s = 6;
  struct stor_bitw w;

  gen_ts(&s, TS_REGULAR, ts_in, 1000);
  stor_bitw_init(&w, buf, sizeof(buf));
  cr_assert_eq(stor_ts_encode(&w, ts_in, 1000, ts_in[0], STOR_MODE_AUTO),
               STOR_TS_DELTA_FOR);
  /* width 0: offset, mode, dmin, width only */
  cr_assert_leq(w.len, 6);
}

Test(encode, ts_grid_wins_on_jitter_around_a_stride) {
  int64_t t[64];
  struct stor_bitw w;
  uint64_t s = 9;

  for (int i = 0; i < 64; i++) /* 0..10 ms, with both ends reached */
    t[i] = 1700000000000 + 10000 * i +
           (i == 1 ? 0 : i == 2 ? 10 : (int64_t)rng_below(&s, 11));
  stor_bitw_init(&w, buf, sizeof(buf));
  cr_assert_eq(stor_ts_encode(&w, t, 64, t[0], STOR_MODE_AUTO), STOR_TS_GRID);
  cr_assert_eq(buf[1] >> 2, 4, "jitter of 0..10 ms: 4-bit residuals");
  ts_round_trip(t, 64, STOR_MODE_AUTO);
}

Test(encode, ts_decode_rejects_out_of_range_and_bad_mode) {
  struct stor_bitw w;
  struct stor_bitr r;
  int64_t ts[3] = {100, 200, 300};

  stor_bitw_init(&w, buf, sizeof(buf));
  stor_ts_encode(&w, ts, 3, 100, STOR_TS_DELTA_FOR);
  stor_bitr_init(&r, buf, w.len);
  cr_assert_eq(stor_ts_decode(&r, ts_out, 3, 100, 299), -EBADMSG);
  stor_bitr_init(&r, buf, w.len);
  cr_assert_eq(stor_ts_decode(&r, ts_out, 3, 150, 300), -EBADMSG);
  buf[1] = 3; /* mode 3 */
  stor_bitr_init(&r, buf, w.len);
  cr_assert_eq(stor_ts_decode(&r, ts_out, 3, 100, 300), -EBADMSG);
  buf[1] = STOR_TS_DOD | 1 << 2; /* DOD carries no width */
  stor_bitr_init(&r, buf, w.len);
  cr_assert_eq(stor_ts_decode(&r, ts_out, 3, 100, 300), -EBADMSG);
}

/* ---- values --------------------------------------------------------------- */

static int val_round_trip(const double *v, uint32_t n, int mode) {
  struct stor_bitw w;
  struct stor_bitr r;
  int used;

  stor_bitw_init(&w, buf, sizeof(buf));
  used = stor_val_encode(&w, v, n, scratch, mode);
  cr_assert(!w.overflow);
  stor_bitr_init(&r, buf, w.len);
  cr_assert_eq(stor_val_decode(&r, val_out, n), 0, "n %u mode %d", n, mode);
  cr_assert_eq(r.p, r.end, "run consumed exactly");
  for (uint32_t i = 0; i < n; i++)
    cr_assert_eq(double_bits(v[i]), double_bits(val_out[i]),
                 "value %u of %u: %016llx became %016llx (mode %d)", i, n,
                 (unsigned long long)double_bits(v[i]),
                 (unsigned long long)double_bits(val_out[i]), used);
  if (n <= 64)
    for (size_t k = 0; k < w.len; k++) {
      stor_bitr_init(&r, buf, k);
      cr_assert_eq(stor_val_decode(&r, val_out, n), -EBADMSG);
    }
  return used;
}

Test(encode, values_round_trip_every_shape_and_mode) {
  uint64_t s = 7;
  static const uint32_t sizes[] = {1, 2, 3, 5, 32, 777};
  static const int modes[] = {STOR_MODE_AUTO, STOR_VAL_XOR, STOR_VAL_FOR,
                              STOR_VAL_DELTA_FOR};

  for (int shape = 0; shape < VS_COUNT; shape++)
    for (unsigned k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
      for (int rep = 0; rep < 5; rep++) {
        gen_values(&s, shape, val_in, sizes[k]);
        for (unsigned m = 0; m < 4; m++)
          val_round_trip(val_in, sizes[k], modes[m]);
      }
}

Test(encode, values_65536_point_run) {
  uint64_t s = 8;

  for (int shape = 0; shape < VS_COUNT; shape++) {
    gen_values(&s, shape, val_in, RUN_MAX);
    val_round_trip(val_in, RUN_MAX, STOR_MODE_AUTO);
  }
}

Test(encode, integer_and_decimal_runs_take_the_integer_path) {
  double counts[4] = {10, 12, 9, 11}, gauge[4] = {73.25, 73.31, 73.3, 72.99};
  double neg0[2] = {0.0, -0.0}, big[2] = {9007199254740994.0, 1.0};
  int mode;

  mode = val_round_trip(counts, 4, STOR_MODE_AUTO);
  cr_assert_eq(mode & 3, STOR_VAL_FOR);
  cr_assert_eq(mode >> 2, 0);
  mode = val_round_trip(gauge, 4, STOR_MODE_AUTO);
  cr_assert_neq(mode & 3, STOR_VAL_XOR);
  cr_assert_eq(mode >> 2, 2, "two decimals: exponent 2");
  /* -0.0 and integers past 2^53 are not on the integer path */
  cr_assert_eq(val_round_trip(neg0, 2, STOR_VAL_FOR), STOR_VAL_XOR);
  cr_assert_eq(val_round_trip(big, 2, STOR_VAL_FOR), STOR_VAL_XOR);
}

Test(encode, constant_and_counter_runs_are_small) {
  struct stor_bitw w;

  for (int i = 0; i < 100; i++)
    val_in[i] = 42.5;
  stor_bitw_init(&w, buf, sizeof(buf));
  stor_val_encode(&w, val_in, 100, scratch, STOR_MODE_AUTO);
  cr_assert_leq(w.len, 5, "constant: mode, base, width 0");
  for (int i = 0; i < 100; i++)
    val_in[i] = 1000.0 + 7 * i;
  stor_bitw_init(&w, buf, sizeof(buf));
  cr_assert_eq(stor_val_encode(&w, val_in, 100, scratch, STOR_MODE_AUTO),
               STOR_VAL_DELTA_FOR);
  cr_assert_leq(w.len, 6, "steady counter: deltas of width 0");
}

Test(encode, values_decode_rejects_bad_mode_bytes) {
  struct stor_bitr r;
  uint8_t b[16] = {0};

  b[0] = 3; /* mode 3 */
  stor_bitr_init(&r, b, sizeof(b));
  cr_assert_eq(stor_val_decode(&r, val_out, 1), -EBADMSG);
  b[0] = STOR_VAL_XOR | 1 << 2; /* XOR with an exponent */
  stor_bitr_init(&r, b, sizeof(b));
  cr_assert_eq(stor_val_decode(&r, val_out, 1), -EBADMSG);
  b[0] = STOR_VAL_FOR | 1 << 6; /* exponent 16 */
  stor_bitr_init(&r, b, sizeof(b));
  cr_assert_eq(stor_val_decode(&r, val_out, 1), -EBADMSG);
  b[0] = STOR_VAL_FOR; /* width 65 */
  b[1] = 0;
  b[2] = 65;
  stor_bitr_init(&r, b, sizeof(b));
  cr_assert_eq(stor_val_decode(&r, val_out, 2), -EBADMSG);
  /* an integer past 2^53 */
  b[0] = STOR_VAL_FOR;
  stor_varint_put(b + 1, stor_zigzag((INT64_C(1) << 53) + 1));
  stor_bitr_init(&r, b, sizeof(b));
  cr_assert_eq(stor_val_decode(&r, val_out, 1), -EBADMSG);
}

/* ---- the decoders' unchecked fast loops ----------------------------------- */

/* Long runs (where xor_decode_fast and for_decode_fast do most of the
 * work and hand over 8 bytes before the end) decode back exactly, and
 * every truncation, and every flipped byte, is rejected or decodes into
 * bounds: the fast loops stop where the checked one would. */
Test(encode, values_fast_loops_long_runs_truncated_and_corrupted) {
  uint64_t s = 21;
  static const int modes[] = {STOR_VAL_XOR, STOR_VAL_FOR};

  for (int shape = 0; shape < VS_COUNT; shape++)
    for (unsigned m = 0; m < 2; m++) {
      struct stor_bitw w;
      struct stor_bitr r;
      uint32_t n = 777;
      gen_values(&s, shape, val_in, n);
      val_round_trip(val_in, n, modes[m]);
      stor_bitw_init(&w, buf, sizeof(buf));
      stor_val_encode(&w, val_in, n, scratch, modes[m]);
      for (size_t k = 0; k < w.len; k += 1 + k / 64) {
        stor_bitr_init(&r, buf, k);
        cr_assert_eq(stor_val_decode(&r, val_out, n), -EBADMSG,
                     "shape %d mode %d cut at %zu of %zu", shape, modes[m],
                     k, w.len);
      }
      for (int rep = 0; rep < 64; rep++) {
        size_t at = rng_next(&s) % w.len;
        uint8_t old = buf[at];
        buf[at] ^= (uint8_t)(1 + rng_next(&s) % 255);
        stor_bitr_init(&r, buf, w.len);
        if (stor_val_decode(&r, val_out, n) == 0)
          cr_assert(r.p <= r.end);
        buf[at] = old;
      }
    }
}

/* The bench's gauge (halves cycling over 0..499.5) and windows of every
 * width, the 64-bit one included, through the XOR fast loop. */
Test(encode, values_xor_fast_loop_every_window) {
  uint64_t s = 22;
  uint32_t n = 5000;

  for (uint32_t i = 0; i < n; i++)
    val_in[i] = (double)(i % 1000) * 0.5;
  val_round_trip(val_in, n, STOR_VAL_XOR);
  for (int len = 1; len <= 64; len++) {
    for (uint32_t i = 0; i < n; i++) {
      uint64_t b = 0x4000000000000000u ^
                   (len == 64 ? rng_next(&s)
                              : (rng_next(&s) & ((UINT64_C(1) << len) - 1))
                                    << (rng_next(&s) % (65 - len)));
      memcpy(&val_in[i], &b, 8);
      if (i % 7 == 3)
        val_in[i] = val_in[i - 1];
    }
    val_round_trip(val_in, n, STOR_VAL_XOR);
  }
}

/* Even runs skip the field reads; the last timestamp must still be within
 * the block's range, and a step that wraps is refused. */
Test(encode, ts_even_run_checks_its_range_once) {
  struct stor_bitw w;
  struct stor_bitr r;
  uint32_t n = 1000;

  for (uint32_t i = 0; i < n; i++)
    ts_in[i] = 1700000000000 + (int64_t)i * 10;
  ts_round_trip(ts_in, n, STOR_TS_DELTA_FOR);
  stor_bitw_init(&w, buf, sizeof(buf));
  stor_ts_encode(&w, ts_in, n, ts_in[0], STOR_TS_DELTA_FOR);
  stor_bitr_init(&r, buf, w.len);
  cr_assert_eq(stor_ts_decode(&r, ts_out, n, ts_in[0], ts_in[n - 1] - 1),
               -EBADMSG);
  stor_bitr_init(&r, buf, w.len);
  cr_assert_eq(stor_ts_decode(&r, ts_out, n + 1, ts_in[0], ts_in[n - 1]),
               -EBADMSG);
  stor_bitr_init(&r, buf, w.len);
  cr_assert_eq(stor_ts_decode(&r, ts_out, n, ts_in[0], ts_in[n - 1]), 0);
  cr_assert_eq(ts_out[n - 1], ts_in[n - 1]);
}
