/*
 * tests/unit/storage/test_encode_ref.c - the run encoders write exactly the
 * bytes of the encoders of c02f53f (encode_ref.inc) on random and
 * adversarial runs, in every mode, and what they write decodes back.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "storage/encode.h"
#include "storage_test_util.h"

#include "encode_ref.inc"

#define RUN_MAX 65536
#define CAP_BYTES ((size_t)RUN_MAX * 12 + 64)

static uint8_t buf_new[CAP_BYTES], buf_ref[CAP_BYTES];
static int64_t ts[RUN_MAX], ts_back[RUN_MAX], scratch[RUN_MAX];
static double val[RUN_MAX], val_back[RUN_MAX];

static double from_u64(uint64_t b) {
  double v;
  memcpy(&v, &b, sizeof(v));
  return v;
}

static uint64_t to_u64(double v) {
  uint64_t b;
  memcpy(&b, &v, sizeof(b));
  return b;
}

/* Both encoders on one run with one mode; cap small tests the slow path. */
static void same_ts(uint32_t n, int64_t base, int mode, size_t cap) {
  struct stor_bitw a, b;
  int ma, mb;

  stor_bitw_init(&a, buf_new, cap);
  stor_bitw_init(&b, buf_ref, cap);
  ma = stor_ts_encode(&a, ts, n, base, mode);
  mb = ref_ts_encode(&b, ts, n, base, mode);
  cr_assert_eq(ma, mb, "ts mode n=%u", n);
  cr_assert_eq(a.len, b.len, "ts bytes n=%u mode %d", n, mode);
  cr_assert_eq(a.overflow, b.overflow);
  cr_assert_eq(memcmp(buf_new, buf_ref, a.len), 0, "ts bytes differ n=%u", n);
  if (!a.overflow && ts[0] >= base && ts[n - 1] >= ts[0]) {
    struct stor_bitr r;
    stor_bitr_init(&r, buf_new, a.len);
    cr_assert_eq(stor_ts_decode(&r, ts_back, n, base, ts[n - 1]), 0);
    cr_assert_eq(memcmp(ts, ts_back, n * sizeof(*ts)), 0);
    cr_assert_eq(r.p, r.end);
  }
}

static void same_val(uint32_t n, int mode, size_t cap) {
  struct stor_bitw a, b;
  int ma, mb;

  stor_bitw_init(&a, buf_new, cap);
  stor_bitw_init(&b, buf_ref, cap);
  ma = stor_val_encode(&a, val, n, scratch, mode);
  mb = ref_val_encode(&b, val, n, scratch, mode);
  cr_assert_eq(ma, mb, "value mode n=%u", n);
  cr_assert_eq(a.len, b.len, "value bytes n=%u mode %d", n, mode);
  cr_assert_eq(a.overflow, b.overflow);
  cr_assert_eq(memcmp(buf_new, buf_ref, a.len), 0, "value bytes differ n=%u",
               n);
  if (!a.overflow) {
    struct stor_bitr r;
    stor_bitr_init(&r, buf_new, a.len);
    cr_assert_eq(stor_val_decode(&r, val_back, n), 0);
    for (uint32_t i = 0; i < n; i++)
      cr_assert_eq(to_u64(val[i]), to_u64(val_back[i]), "value %u", i);
    cr_assert_eq(r.p, r.end);
  }
}

/* Ascending timestamps of a shape: equal, grid, jitter, wide, extreme. */
static void fill_ts(uint64_t *s, uint32_t n, unsigned shape) {
  int64_t t = shape == 4 ? INT64_MIN + (int64_t)rng_below(s, 1000)
                         : 1700000000000 + (int64_t)rng_below(s, 1000000);
  uint64_t stride = 1 + rng_below(s, 60000);

  for (uint32_t i = 0; i < n; i++) {
    ts[i] = t;
    switch (shape) {
    case 0: break;                                   /* all equal */
    case 1: t += (int64_t)stride; break;             /* exact grid */
    case 2: t += (int64_t)(stride + rng_below(s, 7)); break; /* jitter */
    case 3: t += (int64_t)rng_below(s, UINT64_C(1) << rng_below(s, 40)); break;
    default: /* huge steps across the whole int64 range */
      t += (int64_t)((UINT64_MAX / 2 - (uint64_t)(t - INT64_MIN)) >>
                     rng_below(s, 8) >> (n > 4 ? 6 : 0)) /
           (int64_t)(n + 1);
    }
  }
}

static double odd_value(uint64_t *s) {
  static const uint64_t bits[] = {
      0x8000000000000000u, 0x7ff0000000000000u, 0xfff0000000000000u,
      0x7ff8000000000001u, 0xfff4000000000abcu, 0x0000000000000001u,
      0x0010000000000000u, 0x4340000000000000u, 0x4340000000000001u,
      0xc340000000000000u, 0x7fefffffffffffffu, 0};
  return from_u64(bits[rng_below(s, sizeof(bits) / sizeof(bits[0]))]);
}

/* Values of a shape: counters, decimals, random bits, adversarial mixes. */
static void fill_val(uint64_t *s, uint32_t n, unsigned shape) {
  double x = (double)rng_below(s, 1000);

  for (uint32_t i = 0; i < n; i++) {
    switch (shape) {
    case 0: val[i] = x; break;                               /* constant */
    case 1: val[i] = x += (double)rng_below(s, 5); break;    /* counter */
    case 2: val[i] = (double)(int64_t)(rng_next(s) >> rng_below(s, 64)) *
                     (rng_below(s, 2) ? 1 : -1); break;      /* wide ints */
    case 3: val[i] = (double)(int64_t)rng_below(s, 100000) / 100; break;
    case 4: val[i] = from_u64(rng_next(s)); break;            /* any bits */
    case 5: val[i] = rng_below(s, 3) ? (double)rng_below(s, 9)
                                     : odd_value(s); break;   /* mixed */
    default: val[i] = 0.1 * (double)rng_below(s, 1000) + x; break;
    }
  }
}

static const uint32_t lengths[] = {1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 63, 64,
                                   65, 100, 1000, 4097};

Test(encode_ref, timestamps_match_the_old_encoder) {
  uint64_t s = 13;

  for (int rep = 0; rep < 40; rep++)
    for (unsigned li = 0; li < sizeof(lengths) / sizeof(lengths[0]); li++)
      for (unsigned shape = 0; shape < 5; shape++) {
        uint32_t n = lengths[li];
        fill_ts(&s, n, shape);
        same_ts(n, ts[0] - (int64_t)rng_below(&s, 3), STOR_MODE_AUTO,
                CAP_BYTES);
        for (int m = 0; m < STOR_TS_MODE_COUNT; m++)
          same_ts(n, ts[0], m, CAP_BYTES);
        /* A tight buffer: the writer's byte-at-a-time and overflow path. */
        same_ts(n, ts[0], STOR_MODE_AUTO, 1 + rng_below(&s, 4 * n + 16));
      }
}

Test(encode_ref, values_match_the_old_encoder) {
  uint64_t s = 31;

  for (int rep = 0; rep < 40; rep++)
    for (unsigned li = 0; li < sizeof(lengths) / sizeof(lengths[0]); li++)
      for (unsigned shape = 0; shape < 7; shape++) {
        uint32_t n = lengths[li];
        fill_val(&s, n, shape);
        same_val(n, STOR_MODE_AUTO, CAP_BYTES);
        for (int m = 0; m < STOR_VAL_MODE_COUNT; m++)
          same_val(n, m, CAP_BYTES);
        same_val(n, STOR_MODE_AUTO, 1 + rng_below(&s, 9 * n + 16));
      }
}

Test(encode_ref, edge_runs_match_the_old_encoder) {
  uint64_t s = 7;

  /* One point; then the head's largest run of one series. */
  ts[0] = INT64_MAX;
  val[0] = from_u64(0xfff8000000000123u);
  same_ts(1, INT64_MIN, STOR_MODE_AUTO, CAP_BYTES);
  same_val(1, STOR_MODE_AUTO, CAP_BYTES);
  val[0] = -0.0;
  same_val(1, STOR_MODE_AUTO, CAP_BYTES);
  for (unsigned shape = 0; shape < 7; shape++) {
    fill_ts(&s, RUN_MAX, shape % 5);
    fill_val(&s, RUN_MAX, shape);
    same_ts(RUN_MAX, ts[0], STOR_MODE_AUTO, CAP_BYTES);
    same_val(RUN_MAX, STOR_MODE_AUTO, CAP_BYTES);
  }
  /* Even steps that wrap (descending: the step is near 2^64), and steps
   * that are even but for the last one. */
  for (uint32_t n = 2; n < 40; n++) {
    for (uint32_t i = 0; i < n; i++)
      ts[i] = 1000000 - 5 * (int64_t)i;
    same_ts(n, ts[n - 1], STOR_MODE_AUTO, CAP_BYTES);
    for (uint32_t i = 0; i < n; i++)
      ts[i] = 1000 + 7 * (int64_t)i + (i == n - 1);
    same_ts(n, ts[0], STOR_MODE_AUTO, CAP_BYTES);
  }
  /* Integers that stop being integers late, at 2^53 and past it. */
  for (uint32_t i = 0; i < 100; i++)
    val[i] = (double)i;
  val[99] = 0.5;
  same_val(100, STOR_MODE_AUTO, CAP_BYTES);
  val[99] = 9007199254740992.0;
  same_val(100, STOR_MODE_AUTO, CAP_BYTES);
  val[99] = 9007199254740994.0;
  same_val(100, STOR_MODE_AUTO, CAP_BYTES);
  val[50] = -0.0;
  same_val(100, STOR_MODE_AUTO, CAP_BYTES);
}

/* Bytes of the run in one forced value mode, by the old encoder. */
static size_t ref_val_bytes(uint32_t n, int mode) {
  struct stor_bitw b;

  stor_bitw_init(&b, buf_ref, CAP_BYTES);
  ref_val_encode(&b, val, n, scratch, mode);
  return b.len;
}

/*
 * Runs whose XOR size lands within a byte or two of the integer size,
 * both ways: the XOR count stops once it has lost, and must stop neither
 * a value early at a tie nor count past a narrow XOR win.
 */
Test(encode_ref, xor_and_integer_sizes_near_a_tie) {
  uint64_t s = 99;
  unsigned near = 0, xor_won = 0, int_won = 0;

  for (int rep = 0; rep < 10000; rep++) {
    uint32_t n = 2 + (uint32_t)rng_below(&s, 120);
    unsigned change = 1 + (unsigned)rng_below(&s, 12); /* 1 in change */
    double x = (double)rng_below(&s, 1u << rng_below(&s, 30));
    for (uint32_t i = 0; i < n; i++) {
      if (rng_below(&s, change) == 0)
        x = (double)rng_below(&s, 1u << rng_below(&s, 24));
      val[i] = x;
    }
    size_t xb = ref_val_bytes(n, STOR_VAL_XOR);
    size_t ib = ref_val_bytes(n, STOR_VAL_FOR);
    size_t db = ref_val_bytes(n, STOR_VAL_DELTA_FOR);
    ib = db < ib ? db : ib;
    near += xb + 2 >= ib && xb <= ib + 2;
    xor_won += xb < ib;
    int_won += xb >= ib;
    same_val(n, STOR_MODE_AUTO, CAP_BYTES);
  }
  cr_assert_gt(near, 100, "near ties %u", near);
  cr_assert_gt(xor_won, 100);
  cr_assert_gt(int_won, 100);
}

/*
 * Field widths about the packer's register path (<= 56 bits) and past it,
 * for time deltas (up to 63 bits) and integer values (up to 53), with
 * buffers that run out at any point.
 */
Test(encode_ref, packed_widths_about_56_bits) {
  static const unsigned widths[] = {1, 7, 8, 9, 31, 32, 33, 53, 55,
                                    56, 57, 58, 62, 63};
  uint64_t s = 56;

  for (unsigned wi = 0; wi < sizeof(widths) / sizeof(widths[0]); wi++)
    for (int rep = 0; rep < 20; rep++) {
      unsigned w = widths[wi];
      uint32_t n = 2 + (uint32_t)rng_below(&s, 300);
      uint64_t top = UINT64_C(1) << (w - 1);
      ts[0] = INT64_MIN + (int64_t)rng_below(&s, 1000);
      for (uint32_t i = 1; i < n; i++) { /* deltas in [top, 2 top) */
        uint64_t d = i % 2 ? top + rng_below(&s, top) : top;
        if (d > (uint64_t)INT64_MAX - (uint64_t)ts[i - 1]) {
          n = i; /* the next would pass INT64_MAX: the run ends here */
          break;
        }
        ts[i] = (int64_t)((uint64_t)ts[i - 1] + d);
      }
      if (n < 2)
        continue;
      same_ts(n, ts[0], STOR_TS_DELTA_FOR, CAP_BYTES);
      same_ts(n, ts[0], STOR_MODE_AUTO, 1 + rng_below(&s, 8 * n + 16));
      if (w > 53)
        continue;
      for (uint32_t i = 0; i < n; i++)
        val[i] = (double)(int64_t)(rng_below(&s, top) + (i % 2 ? top : 0)) *
                 (w < 53 && rng_below(&s, 2) ? -1 : 1);
      for (int m = 0; m < STOR_VAL_MODE_COUNT; m++)
        same_val(n, m, CAP_BYTES);
      same_val(n, STOR_MODE_AUTO, 1 + rng_below(&s, 8 * n + 16));
    }
}

/* Decimals whose scaled value is a rounding tie or next to one, and the
 * largest magnitudes the integer path takes: one conversion rounds them
 * as rint did. */
Test(encode_ref, decimal_rounding_ties) {
  uint64_t s = 5;

  for (int rep = 0; rep < 400; rep++) {
    uint32_t n = 1 + (uint32_t)rng_below(&s, 40);
    unsigned e = (unsigned)rng_below(&s, 6);
    for (uint32_t i = 0; i < n; i++) {
      double k = (double)rng_below(&s, 1u << 20) + 0.5;
      switch (rng_below(&s, 4)) {
      case 0: val[i] = k / pow(10, e); break;          /* a tie at e */
      case 1: val[i] = nextafter(k, 0) / pow(10, e); break;
      case 2: val[i] = -(double)((UINT64_C(1) << 53) - rng_below(&s, 3));
        break;
      default: val[i] = (double)(int64_t)rng_below(&s, 100000) / 1000;
      }
    }
    same_val(n, STOR_MODE_AUTO, CAP_BYTES);
  }
}
