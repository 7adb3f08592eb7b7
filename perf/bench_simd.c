/*
 * perf/bench_simd.c - throughput of the simd/ kernels per level on a
 * generated fleet-like StatsD buffer (DogStatsD tags, ~100 bytes a line,
 * 64 MiB), beside memchr counting the newlines of the same buffer; and
 * number parsing in ns/number against strtod.
 *
 * Usage: bench_simd [MiB]   (default 64). Prints a Markdown table.
 * The kernels scan the buffer in 64 KiB pieces (one large datagram), so the
 * bitmaps stay in L1 as they would in a parser.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simd/number.h"
#include "simd/simd.h"

#define PIECE_BYTES (64 << 10)
#define PIECE_WORDS (PIECE_BYTES / SIMD_BLOCK_BYTES)
#define REPEATS 10
#define NUMBERS_COUNT (1 << 20)

static uint64_t lines_bits[PIECE_WORDS], seps_bits[PIECE_WORDS];
static volatile uint64_t sink;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1dull;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One fleet line: service metric, a value, a type, tags; ~100 bytes. */
static int fleet_line(char *p, size_t cap) {
  static const char *const svc[] = {"api", "web", "db", "cache", "queue", "auth"};
  static const char *const met[] = {"request.latency", "request.count", "cpu.user",
                                    "mem.rss", "conn.open", "gc.pause"};
  static const char *const types[] = {"c", "g", "ms", "h", "d", "c|@0.1"};
  unsigned s = (unsigned)(rng() % 6), m = (unsigned)(rng() % 6);
  char val[32];
  if (rng() % 2)
    snprintf(val, sizeof val, "%u", (unsigned)(rng() % 100000));
  else
    snprintf(val, sizeof val, "%.3f", (double)(rng() % 1000000) / 1000);
  return snprintf(p, cap,
                  "%s.%s:%s|%s|#env:prod,host:%s-%03u,region:us-east-1,"
                  "team:observability,version:1.%u\n",
                  svc[s], met[m], val, types[rng() % 6], svc[s],
                  (unsigned)(rng() % 1000), (unsigned)(rng() % 20));
}

static size_t make_fleet(char *buf, size_t cap, size_t *lines) {
  size_t n = 0;
  *lines = 0;
  while (n + 256 < cap) {
    n += (size_t)fleet_line(buf + n, cap - n);
    (*lines)++;
  }
  return n;
}

/* Mixed-script text (ASCII with 2-, 3- and 4-byte sequences) for UTF-8. */
static size_t make_text(char *buf, size_t cap) {
  static const char *const words[] = {"log ", "message ", "caf\xc3\xa9 ", "\xe2\x82\xac ",
                                      "\xe6\x97\xa5\xe6\x9c\xac ", "\xf0\x9f\x98\x80 ",
                                      ("stra\xc3\x9f" "e "), "error=42 "};
  size_t n = 0;
  while (n + 16 < cap) {
    const char *w = words[rng() % 8];
    memcpy(buf + n, w, strlen(w));
    n += strlen(w);
  }
  return n;
}

typedef uint64_t (*pass_fn)(const struct simd_ops *ops, const char *buf, size_t len);

static uint64_t pass_memchr(const struct simd_ops *ops, const char *buf, size_t len) {
  (void)ops;
  uint64_t count = 0;
  const char *p = buf, *end = buf + len;
  while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
    count++;
    p++;
  }
  return count;
}

/* Call piece_fn on every 64 KiB piece of buf; sum what it returns. */
static uint64_t by_piece(uint64_t (*piece_fn)(const struct simd_ops *, const char *, size_t),
                         const struct simd_ops *ops, const char *buf, size_t len) {
  uint64_t sum = 0;
  for (size_t off = 0; off < len; off += PIECE_BYTES)
    sum += piece_fn(ops, buf + off, len - off < PIECE_BYTES ? len - off : PIECE_BYTES);
  return sum;
}

static uint64_t popcount_words(const uint64_t *a, const uint64_t *b, size_t n) {
  uint64_t count = 0;
  for (size_t i = 0; i < n; i++)
    count += (uint64_t)__builtin_popcountll(a[i] ^ (b ? b[i] : 0));
  return count;
}

static uint64_t piece_lines(const struct simd_ops *ops, const char *p, size_t n) {
  ops->scan_lines(p, n, lines_bits);
  return popcount_words(lines_bits, NULL, simd_blocks(n));
}

/* Scan then walk every line: what a parser's framing costs. */
static uint64_t piece_split(const struct simd_ops *ops, const char *p, size_t n) {
  uint64_t count = 0;
  struct simd_lines it;
  struct simd_line line;
  ops->scan_lines(p, n, lines_bits);
  simd_lines_init(&it, lines_bits, n);
  while (simd_lines_next(&it, &line))
    count += line.len;
  return count;
}

static uint64_t piece_statsd(const struct simd_ops *ops, const char *p, size_t n) {
  ops->scan(SIMD_SET_STATSD, p, n, lines_bits, seps_bits);
  return popcount_words(seps_bits, lines_bits, simd_blocks(n));
}

static uint64_t piece_syslog(const struct simd_ops *ops, const char *p, size_t n) {
  ops->scan(SIMD_SET_SYSLOG, p, n, lines_bits, seps_bits);
  return popcount_words(seps_bits, lines_bits, simd_blocks(n));
}

static uint64_t piece_utf8(const struct simd_ops *ops, const char *p, size_t n) {
  return ops->utf8_valid(p, n);
}

#define PASS(name)                                                          \
  static uint64_t pass_##name(const struct simd_ops *ops, const char *buf,  \
                              size_t len) {                                 \
    return by_piece(piece_##name, ops, buf, len);                           \
  }
PASS(lines)
PASS(split)
PASS(statsd)
PASS(syslog)
PASS(utf8)

/* Best of REPEATS, in GB/s. */
static double gbps(pass_fn fn, const struct simd_ops *ops, const char *buf, size_t len) {
  double best = 1e30;
  for (int r = 0; r < REPEATS; r++) {
    double t0 = now_s();
    sink += fn(ops, buf, len);
    double t = now_s() - t0;
    if (t < best)
      best = t;
  }
  return (double)len / best / 1e9;
}

static void bench_scans(const char *fleet, size_t fleet_len, size_t lines,
                        const char *text, size_t text_len) {
  double mc = gbps(pass_memchr, NULL, fleet, fleet_len);
  printf("memchr newline count: %.2f GB/s (%.1f M lines/s)\n\n", mc,
         mc * 1e9 / ((double)fleet_len / (double)lines) / 1e6);
  printf("| level | lines GB/s | split lines GB/s (M lines/s) | statsd set GB/s |"
         " syslog set GB/s | UTF-8 ASCII GB/s | UTF-8 mixed GB/s |\n");
  printf("|---|---|---|---|---|---|---|\n");
  for (int l = 0; l < SIMD_LEVEL_COUNT; l++) {
    const struct simd_ops *ops = simd_ops_for(l);
    if (ops == NULL) {
      printf("| %s | n/a (CPU) | | | | | |\n", simd_level_name(l));
      continue;
    }
    double split = gbps(pass_split, ops, fleet, fleet_len);
    printf("| %s | %.2f | %.2f (%.1f) | %.2f | %.2f | %.2f | %.2f |\n",
           simd_level_name(l), gbps(pass_lines, ops, fleet, fleet_len), split,
           split * 1e9 / ((double)fleet_len / (double)lines) / 1e6,
           gbps(pass_statsd, ops, fleet, fleet_len),
           gbps(pass_syslog, ops, fleet, fleet_len),
           gbps(pass_utf8, ops, fleet, fleet_len),
           gbps(pass_utf8, ops, text, text_len));
    fflush(stdout);
  }
}

/* ---- numbers -------------------------------------------------------------- */

struct numbers {
  char *text; /* NUL-separated, for strtod */
  size_t *off;
  size_t *len;
};

static void make_numbers(struct numbers *nb, int kind) {
  size_t cap = (size_t)NUMBERS_COUNT * 32, n = 0;
  nb->text = malloc(cap);
  nb->off = malloc(NUMBERS_COUNT * sizeof(size_t));
  nb->len = malloc(NUMBERS_COUNT * sizeof(size_t));
  if (!nb->text || !nb->off || !nb->len) {
    perror("malloc");
    exit(1);
  }
  for (size_t i = 0; i < NUMBERS_COUNT; i++) {
    int w;
    if (kind == 0)
      w = snprintf(nb->text + n, 32, "%u", (unsigned)(rng() % 100000));
    else if (kind == 1)
      w = snprintf(nb->text + n, 32, "%.3f", (double)(rng() % 10000000) / 1000);
    else {
      double d;
      uint64_t b = (rng() & 0x3fffffffffffffffull) | 0x3000000000000000ull;
      memcpy(&d, &b, 8);
      w = snprintf(nb->text + n, 32, "%.17g", d);
    }
    nb->off[i] = n;
    nb->len[i] = (size_t)w;
    n += (size_t)w + 1;
  }
}

static double ns_per_number(const struct numbers *nb, int use_strtod) {
  double best = 1e30;
  for (int r = 0; r < REPEATS; r++) {
    double sum = 0, t0 = now_s();
    for (size_t i = 0; i < NUMBERS_COUNT; i++) {
      double v = 0;
      if (use_strtod)
        v = strtod(nb->text + nb->off[i], NULL);
      else
        simd_parse_double(nb->text + nb->off[i], nb->len[i], &v);
      sum += v;
    }
    double t = now_s() - t0;
    sink += (uint64_t)sum;
    if (t < best)
      best = t;
  }
  return best * 1e9 / NUMBERS_COUNT;
}

static void bench_numbers(void) {
  static const char *const kinds[] = {"integers (\"12345\")", "decimals (\"1234.567\")",
                                      "%.17g doubles (\"0.30000000000000004\")"};
  printf("\n| numbers (%d each) | simd_parse_double ns | strtod ns | speed-up |\n",
         NUMBERS_COUNT);
  printf("|---|---|---|---|\n");
  for (int k = 0; k < 3; k++) {
    struct numbers nb;
    make_numbers(&nb, k);
    double ours = ns_per_number(&nb, 0), theirs = ns_per_number(&nb, 1);
    printf("| %s | %.1f | %.1f | %.1fx |\n", kinds[k], ours, theirs, theirs / ours);
    free(nb.text);
    free(nb.off);
    free(nb.len);
  }
}

int main(int argc, char **argv) {
  size_t mib = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 64;
  if (mib == 0 || mib > 4096) {
    fprintf(stderr, "bench_simd: MiB must be 1..4096, got %s\n", argv[1]);
    return 2;
  }
  size_t cap = mib << 20, lines;
  char *fleet = malloc(cap), *text = malloc(cap);
  if (!fleet || !text) {
    perror("malloc");
    return 1;
  }
  size_t fleet_len = make_fleet(fleet, cap, &lines);
  size_t text_len = make_text(text, cap);
  printf("bench_simd: %.1f MiB fleet buffer, %zu lines, %.1f bytes/line; best level %s\n\n",
         (double)fleet_len / (1 << 20), lines, (double)fleet_len / (double)lines,
         simd_level_name(simd_level_best()));
  bench_scans(fleet, fleet_len, lines, text, text_len);
  bench_numbers();
  free(fleet);
  free(text);
  return 0;
}
