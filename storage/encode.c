/*
 * storage/encode.c - varints, bit cursors and the per-run codecs of a
 * block's timestamp and value columns (docs/segment-format.md).
 *
 * Every run picks the smallest of its modes by computing each candidate's
 * exact size first: the sizes are cheap (widths and counts), and a
 * per-run choice adapts to jittery and regular timestamps, counters,
 * decimals and noise alike without a global knob.
 */
#include "storage/encode.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#endif

#include "core/base/assert.h"

/* ---- varints ------------------------------------------------------------ */

unsigned stor_varint_put(uint8_t *p, uint64_t v) {
  unsigned n = 0;

  while (v >= 0x80) {
    p[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  p[n++] = (uint8_t)v;
  return n;
}

int stor_varint_get(const uint8_t **pp, const uint8_t *end, uint64_t *v) {
  const uint8_t *p = *pp;
  uint64_t x = 0;

  for (unsigned shift = 0; shift < 64; shift += 7) {
    uint8_t b;
    if (p >= end)
      return -EBADMSG;
    b = *p++;
    if (shift == 63 && b > 1)
      return -EBADMSG; /* over 64 bits */
    x |= (uint64_t)(b & 0x7f) << shift;
    if (b < 0x80) {
      if (b == 0 && shift > 0)
        return -EBADMSG; /* not minimal */
      *v = x;
      *pp = p;
      return 0;
    }
  }
  return -EBADMSG; /* an 11th byte */
}

/* ---- bit writer ------------------------------------------------------- */

void stor_bitw_init(struct stor_bitw *w, uint8_t *buf, size_t cap) {
  *w = (struct stor_bitw){.buf = buf, .cap = cap};
}

static inline void put_byte(struct stor_bitw *w, uint8_t b) {
  if (w->len < w->cap)
    w->buf[w->len++] = b;
  else
    w->overflow = 1;
}

/*
 * The writer's fast case, inlined into the encoders' loops: v holds at most
 * n <= 56 significant bits, and 8 bytes of room remain. The accumulator
 * (fewer than 8 pending bits) is stored whole; only its full bytes count.
 */
static inline void put_bits(struct stor_bitw *w, uint64_t v, unsigned n) {
  unsigned whole;

  if (__builtin_expect(w->len + 8 > w->cap, 0)) {
    stor_bitw_bits(w, v, n);
    return;
  }
  w->acc |= v << w->nacc;
  w->nacc += n;
  stor_le_put(w->buf + w->len, w->acc, 8);
  whole = w->nacc >> 3;
  w->len += whole;
  w->acc = whole == 8 ? 0 : w->acc >> (8 * whole);
  w->nacc -= 8 * whole;
}

void stor_bitw_bits(struct stor_bitw *w, uint64_t v, unsigned n) {
  DEBUG_ASSERT(n <= 64 && w->nacc < 8);
  if (n > 56) {
    stor_bitw_bits(w, v, 32);
    v >>= 32;
    n -= 32;
  }
  if (n == 0)
    return;
  v &= ~UINT64_C(0) >> (64 - n);
  if (w->len + 8 <= w->cap) {
    put_bits(w, v, n);
    return;
  }
  w->acc |= v << w->nacc;
  w->nacc += n;
  while (w->nacc >= 8) {
    put_byte(w, (uint8_t)w->acc);
    w->acc >>= 8;
    w->nacc -= 8;
  }
}

void stor_bitw_align(struct stor_bitw *w) {
  if (w->nacc > 0)
    put_byte(w, (uint8_t)w->acc);
  w->acc = 0;
  w->nacc = 0;
}

void stor_bitw_byte(struct stor_bitw *w, uint8_t b) {
  DEBUG_ASSERT(w->nacc == 0);
  put_byte(w, b);
}

/* stor_bitw_varint inlined: straight into the buffer when it has room. */
static inline void put_varint(struct stor_bitw *w, uint64_t v) {
  DEBUG_ASSERT(w->nacc == 0);
  if (__builtin_expect(w->cap - w->len >= STOR_VARINT_BYTES_MAX, 1)) {
    if (v < 0x80)
      w->buf[w->len++] = (uint8_t)v;
    else
      w->len += stor_varint_put(w->buf + w->len, v);
    return;
  }
  stor_bitw_varint(w, v);
}

/* A field of n <= 64 bits; v < 2^n (the encoders' fields are masked). */
static inline void put_field(struct stor_bitw *w, uint64_t v, unsigned n) {
  if (__builtin_expect(n <= 56, 1))
    put_bits(w, v, n);
  else
    stor_bitw_bits(w, v, n);
}

/*
 * Fields m[i] - m[i-1] - sub (delta) or m[i] - sub, i in [from, n), of
 * width bits each (every field < 2^width), modulo 2^64: the same bits as
 * put_field one at a time, with the cursor in registers (through w, each
 * byte stored could alias the cursor, so put_bits reloads it a field).
 */
static inline void put_fields(struct stor_bitw *w, const int64_t *m,
                              uint32_t from, uint32_t n, int delta,
                              int64_t sub, unsigned width) {
  uint8_t *buf = w->buf;
  size_t len = w->len, cap = w->cap;
  uint64_t acc = w->acc;
  unsigned nacc = w->nacc;
  uint32_t i = from, stop = from;

  if (width == 0 || from >= n)
    return;
  /* nacc < 8 and width <= 56: at most 7 whole bytes a field, and the 8
   * bytes stored at len stay in the buffer while the fields' bytes and 8
   * more fit (the callers size runs so; tight buffers take put_field) */
  if (width <= 56 && cap - len >= ((uint64_t)(n - from) * width + 7) / 8 + 16)
    stop = n;
  for (; i < stop; i++) {
    uint64_t f = (uint64_t)m[i] - (delta ? (uint64_t)m[i - 1] : 0) -
                 (uint64_t)sub;
    unsigned whole;
    acc |= f << nacc;
    nacc += width;
    stor_le_put(buf + len, acc, 8);
    whole = nacc >> 3;
    len += whole;
    acc >>= 8 * whole;
    nacc -= 8 * whole;
  }
  w->len = len;
  w->acc = acc;
  w->nacc = nacc;
  for (; i < n; i++)
    put_field(w, (uint64_t)m[i] - (delta ? (uint64_t)m[i - 1] : 0) -
                     (uint64_t)sub, width);
}

void stor_bitw_varint(struct stor_bitw *w, uint64_t v) {
  uint8_t tmp[STOR_VARINT_BYTES_MAX];
  unsigned n;

  if (w->cap - w->len >= STOR_VARINT_BYTES_MAX) { /* no bound to check */
    w->len += stor_varint_put(w->buf + w->len, v);
    return;
  }
  n = stor_varint_put(tmp, v);
  stor_bitw_bytes(w, tmp, n);
}

void stor_bitw_bytes(struct stor_bitw *w, const void *src, size_t n) {
  DEBUG_ASSERT(w->nacc == 0);
  if (n > w->cap - w->len) {
    w->overflow = 1;
    w->len = w->cap;
    return;
  }
  memcpy(w->buf + w->len, src, n);
  w->len += n;
}

/* ---- bit reader -------------------------------------------------------- */

void stor_bitr_init(struct stor_bitr *r, const uint8_t *p, size_t len) {
  *r = (struct stor_bitr){.p = p, .end = p + len};
}

static void refill(struct stor_bitr *r) {
  if (r->end - r->p >= 8) {
    uint64_t word = 0;
    unsigned take = (63 - r->nacc) >> 3;
    for (unsigned i = 0; i < 8; i++)
      word |= (uint64_t)r->p[i] << (8 * i);
    r->acc |= word << r->nacc;
    r->p += take;
    r->nacc += 8 * take;
    return;
  }
  while (r->nacc <= 56 && r->p < r->end) {
    r->acc |= (uint64_t)*r->p++ << r->nacc;
    r->nacc += 8;
  }
}

uint64_t stor_bitr_bits(struct stor_bitr *r, unsigned n) {
  uint64_t v;

  if (n > 56) {
    uint64_t lo = stor_bitr_bits(r, 32);
    return lo | stor_bitr_bits(r, n - 32) << 32;
  }
  if (n == 0)
    return 0;
  if (r->nacc < n) {
    refill(r);
    if (r->nacc < n) {
      r->bad = 1;
      return 0;
    }
  }
  v = r->acc & (~UINT64_C(0) >> (64 - n));
  r->acc >>= n;
  r->nacc -= n;
  return v;
}

/* stor_bitr_bits inlined for the decoders' loops: the common case (the
 * field is in the accumulator already) costs a mask and a shift. */
static inline uint64_t take_bits(struct stor_bitr *r, unsigned n) {
  uint64_t v;

  if (n > r->nacc && n <= 56 && r->end - r->p >= 8) { /* refill's fast case */
    unsigned take = (63 - r->nacc) >> 3;
    r->acc |= stor_le_get(r->p, 8) << r->nacc;
    r->p += take;
    r->nacc += 8 * take;
  }
  if (n == 0 || n > r->nacc)
    return stor_bitr_bits(r, n);
  v = r->acc & (~UINT64_C(0) >> (64 - n));
  r->acc >>= n;
  r->nacc -= n;
  return v;
}

void stor_bitr_align(struct stor_bitr *r) {
  unsigned drop = r->nacc & 7;

  if (r->acc & ((1u << drop) - 1))
    r->bad = 1;
  /* Whole bytes fetched ahead go back to the byte cursor. */
  r->p -= (r->nacc - drop) >> 3;
  r->acc = 0;
  r->nacc = 0;
}

uint8_t stor_bitr_byte(struct stor_bitr *r) {
  DEBUG_ASSERT(r->nacc == 0);
  if (r->p >= r->end) {
    r->bad = 1;
    return 0;
  }
  return *r->p++;
}

uint64_t stor_bitr_varint(struct stor_bitr *r) {
  uint64_t v = 0;

  DEBUG_ASSERT(r->nacc == 0);
  if (stor_varint_get(&r->p, r->end, &v) < 0) {
    r->bad = 1;
    return 0;
  }
  return v;
}

/* Bytes of n fields of w bits, padded to a byte. */
static inline uint64_t packed_bytes(uint64_t n, unsigned w) {
  return (n * w + 7) / 8;
}

/* ---- timestamps --------------------------------------------------------- */

/*
 * Delta-of-delta buckets: k one-bits and a zero (none after the last
 * bucket), then zigzag(dod) in dod_width[k] bits. Widths fit ms jitter
 * (4, 7 bits), seconds-level irregularity (10, 16) and anything (64).
 */
#define DOD_BUCKETS 6
static const unsigned dod_width[DOD_BUCKETS] = {0, 4, 7, 10, 16, 64};

/* The bucket of a zigzagged delta-of-delta by its bit width (0..64). */
static const uint8_t dod_bucket_of_width[65] = {
    0, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5,
    5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
    5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5};

static inline unsigned dod_bucket(uint64_t z) {
  return dod_bucket_of_width[stor_bit_width(z)];
}

static inline unsigned dod_prefix_bits(unsigned k) {
  return k < DOD_BUCKETS - 1 ? k + 1 : k;
}

/* Bits of a delta-of-delta's field, prefix included. */
static inline unsigned dod_bits(uint64_t z) {
  unsigned k = dod_bucket(z);
  return dod_prefix_bits(k) + dod_width[k];
}

static void dod_put(struct stor_bitw *w, uint64_t z) {
  unsigned k = dod_bucket(z), pb = dod_prefix_bits(k);

  if (k < DOD_BUCKETS - 1) { /* prefix and field in one write: <= 21 bits */
    put_bits(w, ((UINT64_C(1) << k) - 1) | z << pb, pb + dod_width[k]);
    return;
  }
  put_bits(w, (UINT64_C(1) << k) - 1, pb);
  put_field(w, z, dod_width[k]);
}

static uint64_t dod_get(struct stor_bitr *r) {
  unsigned k = 0;

  while (k < DOD_BUCKETS - 1 && take_bits(r, 1) == 1)
    k++;
  return take_bits(r, dod_width[k]);
}

static inline uint64_t delta_at(const int64_t *ts, uint32_t i) {
  return (uint64_t)ts[i] - (uint64_t)ts[i - 1];
}

/*
 * Grid stride of a run: its span over n - 1 steps, rounded to nearest.
 * Residuals ts[i] - ts[0] - i * stride are computed modulo 2^64, so any
 * int64 timestamps round-trip; only their spread decides the width.
 */
static uint64_t grid_stride(const int64_t *ts, uint32_t n) {
  uint64_t span = (uint64_t)ts[n - 1] - (uint64_t)ts[0], k = n - 1;
  return span / k + (2 * (span % k) >= k);
}

static inline int64_t grid_res(const int64_t *ts, uint32_t i, uint64_t stride) {
  return (int64_t)((uint64_t)ts[i] - (uint64_t)ts[0] - (uint64_t)i * stride);
}

/* What each mode costs for a run of n >= 2, header included (bytes). */
struct ts_plan {
  uint64_t dmin, stride;
  int64_t rmin;
  unsigned for_w, grid_w;  /* 64: the mode cannot be used */
  uint64_t bytes[STOR_TS_MODE_COUNT];
};

/*
 * ts_plan of a run whose steps are all d (equal timestamps: d = 0) when
 * (n - 1) * d does not wrap: the grid is exact, every residual and every
 * delta-of-delta 0 (one bit each). Returns 0 when the run is not such.
 */
static int ts_plan_even(const int64_t *ts, uint32_t n, struct ts_plan *p) {
  uint64_t d = delta_at(ts, 1), span;

  for (uint32_t i = 2; i < n; i++)
    if (delta_at(ts, i) != d)
      return 0;
  if (__builtin_mul_overflow(d, (uint64_t)(n - 1), &span))
    return 0;
  p->dmin = d;
  p->stride = d;
  p->rmin = 0;
  p->for_w = 0;
  p->grid_w = 0;
  p->bytes[STOR_TS_DELTA_FOR] = stor_varint_len(d);
  p->bytes[STOR_TS_GRID] = stor_varint_len(d) + 1;
  p->bytes[STOR_TS_DOD] = stor_varint_len(d) + ((uint64_t)n - 2 + 7) / 8;
  return 1;
}

static void ts_plan(const int64_t *ts, uint32_t n, struct ts_plan *p) {
  uint64_t dmax = 0, dod = 0, prev = delta_at(ts, 1);
  int64_t rmax = INT64_MIN;

  if (ts_plan_even(ts, n, p))
    return;

  p->dmin = UINT64_MAX;
  p->rmin = INT64_MAX;
  p->stride = grid_stride(ts, n);
  for (uint32_t i = 1; i < n; i++) {
    uint64_t d = delta_at(ts, i);
    int64_t res = grid_res(ts, i, p->stride);
    p->dmin = d < p->dmin ? d : p->dmin;
    dmax = d > dmax ? d : dmax;
    p->rmin = res < p->rmin ? res : p->rmin;
    rmax = res > rmax ? res : rmax;
    if (i >= 2) {
      dod += dod_bits(stor_zigzag((int64_t)(d - prev)));
    }
    prev = d;
  }
  p->for_w = stor_bit_width(dmax - p->dmin);
  p->grid_w = stor_bit_width((uint64_t)rmax - (uint64_t)p->rmin);
  p->bytes[STOR_TS_DELTA_FOR] =
      p->for_w > STOR_TS_WIDTH_MAX
          ? UINT64_MAX
          : stor_varint_len(p->dmin) + packed_bytes(n - 1, p->for_w);
  p->bytes[STOR_TS_GRID] =
      p->grid_w > STOR_TS_WIDTH_MAX
          ? UINT64_MAX
          : stor_varint_len(p->stride) +
                stor_varint_len(stor_zigzag(p->rmin)) +
                packed_bytes(n - 1, p->grid_w);
  p->bytes[STOR_TS_DOD] = stor_varint_len(delta_at(ts, 1)) + (dod + 7) / 8;
}

static int ts_pick(const struct ts_plan *p) {
  int best = STOR_TS_DOD;

  for (int m = 0; m < STOR_TS_MODE_COUNT; m++)
    if (p->bytes[m] < p->bytes[best])
      best = m;
  return best;
}

int stor_ts_encode(struct stor_bitw *w, const int64_t *ts, uint32_t n,
                   int64_t base, int mode) {
  struct ts_plan p;

  ASSERT(n >= 1 && ts[0] >= base);
  put_varint(w, (uint64_t)ts[0] - (uint64_t)base);
  if (n == 1)
    return 0;
  ts_plan(ts, n, &p);
  if (mode == STOR_MODE_AUTO || p.bytes[mode] == UINT64_MAX)
    mode = ts_pick(&p);
  if (mode == STOR_TS_DELTA_FOR) {
    put_byte(w, (uint8_t)(mode | p.for_w << 2));
    put_varint(w, p.dmin);
    put_fields(w, ts, 1, n, 1, (int64_t)p.dmin, p.for_w);
  } else if (mode == STOR_TS_GRID) {
    put_byte(w, (uint8_t)(mode | p.grid_w << 2));
    put_varint(w, p.stride);
    put_varint(w, stor_zigzag(p.rmin));
    for (uint32_t i = 1; i < n && p.grid_w > 0; i++)
      put_field(w, (uint64_t)grid_res(ts, i, p.stride) - (uint64_t)p.rmin,
                p.grid_w);
  } else {
    ASSERT(mode == STOR_TS_DOD);
    put_byte(w, STOR_TS_DOD);
    put_varint(w, delta_at(ts, 1));
    for (uint32_t i = 2; i < n; i++)
      dod_put(w, stor_zigzag((int64_t)(delta_at(ts, i) - delta_at(ts, i - 1))));
  }
  stor_bitw_align(w);
  return mode;
}

/* ts[i] = ts[i-1] + d, when that stays within max_ts. */
static inline int ts_step(int64_t *ts, uint32_t i, uint64_t d, int64_t max_ts) {
  if (d > (uint64_t)max_ts - (uint64_t)ts[i - 1])
    return -EBADMSG;
  ts[i] = (int64_t)((uint64_t)ts[i - 1] + d);
  return 0;
}

static int ts_decode_for(struct stor_bitr *r, int64_t *ts, uint32_t n,
                         unsigned width, int64_t max_ts) {
  uint64_t dmin = stor_bitr_varint(r);

  if (r->bad)
    return -EBADMSG;
  if (width == 0) { /* an even run (compacted, regular): no field at all */
    if (dmin != 0 && n - 1ull > ((uint64_t)max_ts - (uint64_t)ts[0]) / dmin)
      return -EBADMSG; /* ts_step's check, once: the last must fit */
    for (uint32_t i = 1; i < n; i++)
      ts[i] = (int64_t)((uint64_t)ts[i - 1] + dmin);
    return 0;
  }
  for (uint32_t i = 1; i < n; i++) {
    uint64_t d = dmin + take_bits(r, width);
    if (d < dmin || ts_step(ts, i, d, max_ts) < 0)
      return -EBADMSG;
  }
  return 0;
}

static int ts_decode_grid(struct stor_bitr *r, int64_t *ts, uint32_t n,
                          unsigned width, int64_t max_ts) {
  uint64_t stride = stor_bitr_varint(r);
  uint64_t rmin = (uint64_t)stor_unzigzag(stor_bitr_varint(r));

  if (r->bad)
    return -EBADMSG;
  for (uint32_t i = 1; i < n; i++) {
    uint64_t t = (uint64_t)ts[0] + (uint64_t)i * stride + rmin +
                 take_bits(r, width);
    /* modulo 2^64 as written; the step from ts[i-1] must be in range */
    if (ts_step(ts, i, t - (uint64_t)ts[i - 1], max_ts) < 0)
      return -EBADMSG;
  }
  return 0;
}

static int ts_decode_dod(struct stor_bitr *r, int64_t *ts, uint32_t n,
                         int64_t max_ts) {
  uint64_t d = stor_bitr_varint(r);

  if (r->bad || ts_step(ts, 1, d, max_ts) < 0)
    return -EBADMSG;
  for (uint32_t i = 2; i < n; i++) {
    d += (uint64_t)stor_unzigzag(dod_get(r));
    if (r->bad || ts_step(ts, i, d, max_ts) < 0)
      return -EBADMSG;
  }
  return 0;
}

int stor_ts_decode(struct stor_bitr *r, int64_t *ts, uint32_t n,
                   int64_t min_ts, int64_t max_ts) {
  uint64_t off = stor_bitr_varint(r);
  unsigned mb, width;
  int rc;

  if (r->bad || n == 0 || off > (uint64_t)max_ts - (uint64_t)min_ts)
    return -EBADMSG;
  ts[0] = (int64_t)((uint64_t)min_ts + off);
  if (n == 1)
    return 0;
  mb = stor_bitr_byte(r);
  width = mb >> 2;
  switch (mb & 3) {
  case STOR_TS_DELTA_FOR:
    rc = ts_decode_for(r, ts, n, width, max_ts);
    break;
  case STOR_TS_GRID:
    rc = ts_decode_grid(r, ts, n, width, max_ts);
    break;
  case STOR_TS_DOD:
    rc = width == 0 ? ts_decode_dod(r, ts, n, max_ts) : -EBADMSG;
    break;
  default:
    return -EBADMSG;
  }
  stor_bitr_align(r);
  return rc < 0 || r->bad ? -EBADMSG : 0;
}

/* ---- values: integer path ----------------------------------------------- */

static const double pow10_tab[STOR_DEC_EXP_MAX + 1] = {
    1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
    1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

static inline uint64_t dbits(double v) {
  uint64_t b;
  memcpy(&b, &v, sizeof(b));
  return b;
}

static inline double from_bits(uint64_t b) {
  double v;
  memcpy(&v, &b, sizeof(v));
  return v;
}

/*
 * (int64_t)rint(x) for |x| <= 2^53: one conversion in the current
 * rounding mode (what rint uses) where SSE2 has it, instead of rint's
 * add-and-subtract emulation.
 */
static inline int64_t round_even(double x) {
#if defined(__SSE2__) && defined(__x86_64__)
  return _mm_cvtsd_si64(_mm_set_sd(x));
#else
  return (int64_t)rint(x);
#endif
}

/* v == m / 10^e bit for bit, with |m| <= 2^53; *m set when so. */
static int dec_fits(double v, unsigned e, int64_t *m) {
  double x = v * pow10_tab[e];
  int64_t k;

  if (!(fabs(x) <= (double)STOR_INT_ABS_MAX))
    return 0; /* NaN and infinities land here too */
  k = round_even(x);
  /* A fit has x within |x| * 2^-51 of k (v = k / 10^e and x = v * 10^e,
   * each rounded once, 10^e exact): farther off, the exact test (a
   * division, a score of cycles) cannot pass, and the exponents tried
   * before the one that fits, or every one for a double that is no
   * decimal, are most of the attempts. */
  if (!(fabs(x - (double)k) <= fabs(x) * 0x1p-50))
    return 0;
  if (dbits((double)k / pow10_tab[e]) != dbits(v))
    return 0;
  *m = k;
  return 1;
}

/* dec_exponent's general search, over every exponent. */
static int dec_exponent_any(const double *v, uint32_t n, int64_t *m) {
  unsigned e = 0;

  uint32_t since = 0; /* values from here on fit at the current e */

  for (uint32_t i = 0; i < n; i++)
    while (!dec_fits(v[i], e, &m[i])) {
      if (++e > STOR_DEC_EXP_MAX)
        return -1;
      since = i;
    }
  /* A larger e found late must hold for the earlier values too. */
  for (uint32_t i = 0; i < since; i++)
    if (!dec_fits(v[i], e, &m[i]))
      return -1;
  return (int)e;
}

/*
 * The smallest exponent e putting every value on the integer path, with
 * m[] filled. Returns e, or -1 when the run is not decimal.
 */
static int dec_exponent(const double *v, uint32_t n, int64_t *m) {
  uint32_t i = 0;

  /*
   * Integer-valued runs first (counters, most gauges): at e = 0 the scale
   * and the division are exact, and for an integral v rint is a plain
   * conversion, so this is dec_fits(v, 0) without the rounding call.
   */
  for (; i < n; i++) {
    if (!(fabs(v[i]) <= (double)STOR_INT_ABS_MAX))
      break;
    m[i] = (int64_t)v[i];
    if (dbits((double)m[i]) != dbits(v[i]))
      break;
  }
  if (i == n)
    return 0;
  return dec_exponent_any(v, n, m);
}

struct int_plan {
  int64_t min, dmin;
  unsigned for_w, delta_w;
  uint64_t for_bytes, delta_bytes;
};

static void int_plan(const int64_t *m, uint32_t n, struct int_plan *p) {
  int64_t max = m[0], dmax = 0;

  p->min = m[0];
  p->dmin = n >= 2 ? m[1] - m[0] : 0;
  dmax = p->dmin;
  for (uint32_t i = 1; i < n; i++) {
    int64_t d = m[i] - m[i - 1]; /* |m| <= 2^53: no overflow */
    p->min = m[i] < p->min ? m[i] : p->min;
    max = m[i] > max ? m[i] : max;
    p->dmin = d < p->dmin ? d : p->dmin;
    dmax = d > dmax ? d : dmax;
  }
  p->for_w = stor_bit_width((uint64_t)(max - p->min));
  p->delta_w = stor_bit_width((uint64_t)(dmax - p->dmin));
  p->for_bytes = stor_varint_len(stor_zigzag(p->min));
  p->delta_bytes = stor_varint_len(stor_zigzag(m[0]));
  if (n >= 2) {
    p->for_bytes += 1 + packed_bytes(n, p->for_w);
    p->delta_bytes += stor_varint_len(stor_zigzag(p->dmin)) + 1 +
                      packed_bytes(n - 1, p->delta_w);
  }
}

static void int_write(struct stor_bitw *w, const int64_t *m, uint32_t n,
                      const struct int_plan *p, int mode) {
  if (mode == STOR_VAL_FOR) {
    put_varint(w, stor_zigzag(p->min));
    if (n < 2)
      return;
    put_byte(w, (uint8_t)p->for_w);
    put_fields(w, m, 0, n, 0, p->min, p->for_w);
  } else {
    put_varint(w, stor_zigzag(m[0]));
    if (n < 2)
      return;
    put_varint(w, stor_zigzag(p->dmin));
    put_byte(w, (uint8_t)p->delta_w);
    put_fields(w, m, 1, n, 1, p->dmin, p->delta_w);
  }
  stor_bitw_align(w);
}

/* ---- values: Gorilla XOR ------------------------------------------------ */

/*
 * After the first value's 64 bits, per value: '0' same bits; '10' XOR fits
 * the current window: its len bits; '11' new window: 6 bits leading zeros,
 * 6 bits length (0 means 64), then the bits. The window starts as all 64
 * bits. A window is reused only when that is no more than 12 bits dearer
 * than opening a new one (the header it saves).
 * With w == NULL, only counts, and stops once the count passes limit (the
 * count only grows, so the caller's comparison with it is already
 * decided). Returns the bits of the whole run, or a count over limit.
 */
static uint64_t xor_run(struct stor_bitw *w, const double *v, uint32_t n,
                        uint64_t limit) {
  uint64_t prev = dbits(v[0]), bits = 64;
  unsigned lz_w = 0, len_w = 64;

  if (w)
    put_field(w, prev, 64);
  for (uint32_t i = 1; i < n && bits <= limit; i++) {
    uint64_t cur = dbits(v[i]), x = cur ^ prev;
    unsigned lz, tz, len;
    prev = cur;
    if (x == 0) {
      bits += 1;
      if (w)
        put_field(w, 0, 1);
      continue;
    }
    lz = (unsigned)__builtin_clzll(x);
    tz = (unsigned)__builtin_ctzll(x);
    len = 64 - lz - tz;
    if (lz >= lz_w && lz + len <= lz_w + len_w && len_w <= len + 12) {
      bits += 2 + len_w;
      if (w) {
        put_field(w, 1, 2); /* '1' then '0' */
        put_field(w, x >> (64 - lz_w - len_w), len_w);
      }
      continue;
    }
    lz_w = lz;
    len_w = len;
    bits += 2 + 12 + len;
    if (w) {
      put_field(w, 3 | (uint64_t)lz << 2 | (uint64_t)(len & 63) << 8, 14);
      put_field(w, x >> tz, len);
    }
  }
  if (w)
    stor_bitw_align(w);
  return bits;
}

/*
 * xor_decode's loop with the reader in locals and one refill a value:
 * while 8 bytes remain, a value's control bits, a new window's header
 * and (but for a window over 56 bits, read through stor_bitr_bits) its
 * bits are in the accumulator without a check a field. Decodes v[1..) up
 * to n or the last 8 bytes, and returns the index reached; the checked
 * loop finishes. A window past bit 64 sets r->bad.
 */
static uint32_t xor_decode_fast(struct stor_bitr *r, double *v, uint32_t n,
                                uint64_t *prev, unsigned *lz_w,
                                unsigned *len_w) {
  const uint8_t *p = r->p;
  uint64_t acc = r->acc, x = *prev, mask = 0;
  unsigned nacc = r->nacc, lz = *lz_w, len = *len_w, sh = 64 - lz - len;
  uint32_t i = 1;

  if (len < 64)
    mask = (UINT64_C(1) << len) - 1;
  for (; i < n; i++) {
    if (nacc < 56) { /* take_bits' refill: 56..63 bits held after */
      if (r->end - p < 8)
        break;
      acc |= stor_le_get(p, 8) << nacc;
      p += (63 - nacc) >> 3;
      nacc += 8 * ((63 - nacc) >> 3);
    }
    if ((acc & 1) == 0) { /* '0': the same bits */
      acc >>= 1;
      nacc--;
    } else if ((acc & 2) == 0 && len + 2 <= nacc && len < 64) {
      x ^= ((acc >> 2) & mask) << sh; /* '10': the window's bits */
      acc >>= len + 2;
      nacc -= len + 2;
    } else if ((acc & 2) == 0) {
      break; /* a 64-bit window: the checked loop */
    } else { /* '11': a new window, 6 + 6 bits, then its bits */
      lz = (unsigned)(acc >> 2) & 63;
      len = (unsigned)(acc >> 8) & 63;
      len = len == 0 ? 64 : len;
      if (lz + len > 64) {
        r->bad = 1;
        break;
      }
      sh = 64 - lz - len;
      mask = len < 64 ? (UINT64_C(1) << len) - 1 : ~UINT64_C(0);
      if (len + 14 > nacc) { /* the bits past the accumulator */
        acc >>= 14;
        nacc -= 14;
        r->p = p;
        r->acc = acc;
        r->nacc = nacc;
        x ^= stor_bitr_bits(r, len) << sh;
        p = r->p;
        acc = r->acc;
        nacc = r->nacc;
        if (r->bad)
          break;
      } else {
        x ^= ((acc >> 14) & mask) << sh;
        acc >>= len + 14;
        nacc -= len + 14;
      }
    }
    v[i] = from_bits(x);
  }
  r->p = p;
  r->acc = acc;
  r->nacc = nacc;
  *prev = x;
  *lz_w = lz;
  *len_w = len;
  return i;
}

static int xor_decode(struct stor_bitr *r, double *v, uint32_t n) {
  uint64_t prev = stor_bitr_bits(r, 64);
  unsigned lz_w = 0, len_w = 64;

  v[0] = from_bits(prev);
  for (uint32_t i = r->bad ? n : xor_decode_fast(r, v, n, &prev, &lz_w,
                                                 &len_w);
       i < n && !r->bad; i++) {
    if (take_bits(r, 1) != 0) {
      if (take_bits(r, 1) != 0) {
        lz_w = (unsigned)take_bits(r, 6);
        len_w = (unsigned)take_bits(r, 6);
        len_w = len_w == 0 ? 64 : len_w;
        if (lz_w + len_w > 64)
          return -EBADMSG;
      }
      prev ^= take_bits(r, len_w) << (64 - lz_w - len_w);
    }
    v[i] = from_bits(prev);
  }
  stor_bitr_align(r);
  return r->bad ? -EBADMSG : 0;
}

/* ---- values: the run ---------------------------------------------------- */

int stor_val_encode(struct stor_bitw *w, const double *v, uint32_t n,
                    int64_t *scratch, int mode) {
  struct int_plan p;
  int e;
  uint64_t xor_bytes;

  ASSERT(n >= 1);
  e = dec_exponent(v, n, scratch);
  if (e >= 0)
    int_plan(scratch, n, &p);
  if (mode == STOR_MODE_AUTO) {
    mode = STOR_VAL_XOR;
    if (e >= 0) {
      uint64_t int_bytes;
      mode = p.delta_bytes < p.for_bytes ? STOR_VAL_DELTA_FOR : STOR_VAL_FOR;
      int_bytes = mode == STOR_VAL_FOR ? p.for_bytes : p.delta_bytes;
      /* XOR takes 64 bits and then at least one a value: only count its
       * bits when that floor does not already lose, and only up to the
       * 8 * int_bytes - 8 bits past which it loses too (random decimals
       * stop within a few values). */
      if (int_bytes > (64 + (uint64_t)n - 1 + 7) / 8) {
        xor_bytes = (xor_run(NULL, v, n, 8 * int_bytes - 8) + 7) / 8;
        if (xor_bytes < int_bytes)
          mode = STOR_VAL_XOR;
      }
    }
  } else if (e < 0) {
    mode = STOR_VAL_XOR;
  }
  if (mode == STOR_VAL_XOR) {
    put_byte(w, STOR_VAL_XOR);
    xor_run(w, v, n, UINT64_MAX);
    return STOR_VAL_XOR;
  }
  put_byte(w, (uint8_t)(mode | e << 2));
  int_write(w, scratch, n, &p, mode);
  return mode | e << 2;
}

/* m as a double of exponent e, or -EBADMSG when |m| is over 2^53. */
static inline int int_value(uint64_t m, unsigned e, double *out) {
  int64_t s = (int64_t)m;

  if (s < -STOR_INT_ABS_MAX || s > STOR_INT_ABS_MAX)
    return -EBADMSG;
  *out = (double)s / pow10_tab[e];
  return 0;
}

/*
 * int_decode's FOR loop when no field can take a value past 2^53 (base
 * and base + 2^width - 1 within range) and width <= 56: field i is the
 * width bits at bit i * width of the packed fields at r->p, one unaligned
 * load each while 8 bytes remain before r->end, with no check per value.
 * Returns the fields decoded; the reader is left after them for the
 * checked loop to finish (the last few, and the padding check).
 */
static uint32_t for_decode_fast(struct stor_bitr *r, double *v, uint32_t n,
                                unsigned width, uint64_t base, unsigned e) {
  const uint8_t *p = r->p;
  uint64_t mask, avail, bit;
  int64_t s = (int64_t)base;
  uint32_t i = 0;

  if (r->nacc != 0 || width == 0 || width > 56)
    return 0;
  mask = (UINT64_C(1) << width) - 1; /* width checked first: no 64-bit shift */
  if (s < -STOR_INT_ABS_MAX || s > STOR_INT_ABS_MAX - (int64_t)mask ||
      r->end - p < 8)
    return 0;
  avail = (uint64_t)(r->end - p) - 8; /* last byte offset a load may use */
  for (bit = 0; i < n && (bit >> 3) <= avail; i++, bit += width) {
    uint64_t f = (stor_le_get(p + (bit >> 3), 8) >> (bit & 7)) & mask;
    v[i] = (double)(s + (int64_t)f) / pow10_tab[e];
  }
  r->p = p + (bit >> 3);
  if (bit & 7)
    (void)take_bits(r, (unsigned)(bit & 7));
  return i;
}

static int int_decode(struct stor_bitr *r, double *v, uint32_t n, int mode,
                      unsigned e) {
  uint64_t m = (uint64_t)stor_unzigzag(stor_bitr_varint(r));
  uint64_t dmin = 0;
  unsigned width = 0;

  if (n >= 2 && mode == STOR_VAL_DELTA_FOR)
    dmin = (uint64_t)stor_unzigzag(stor_bitr_varint(r));
  if (n >= 2)
    width = stor_bitr_byte(r);
  if (r->bad || width > 64)
    return -EBADMSG;
  if (mode == STOR_VAL_FOR) {
    uint64_t base = m;
    for (uint32_t i = n >= 2 ? for_decode_fast(r, v, n, width, base, e) : 0;
         i < n; i++)
      if (int_value(base + take_bits(r, width), e, &v[i]) < 0)
        return -EBADMSG;
  } else {
    if (int_value(m, e, &v[0]) < 0)
      return -EBADMSG;
    for (uint32_t i = 1; i < n; i++) {
      m += dmin + take_bits(r, width);
      if (int_value(m, e, &v[i]) < 0)
        return -EBADMSG;
    }
  }
  if (n >= 2)
    stor_bitr_align(r);
  return r->bad ? -EBADMSG : 0;
}

int stor_val_decode(struct stor_bitr *r, double *v, uint32_t n) {
  uint8_t mb = stor_bitr_byte(r);
  unsigned mode = mb & 3, e = mb >> 2;

  if (r->bad || n == 0 || e > STOR_DEC_EXP_MAX || mode >= STOR_VAL_MODE_COUNT)
    return -EBADMSG;
  if (mode == STOR_VAL_XOR)
    return e != 0 ? -EBADMSG : xor_decode(r, v, n);
  return int_decode(r, v, n, (int)mode, e);
}
