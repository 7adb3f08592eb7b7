/*
 * tests/fuzz/gen_block_corpus.c - writes the seed corpus of fuzz_block and
 * prints the worked example of docs/segment-format.md.
 *
 *   cc -O2 -I. tests/fuzz/gen_block_corpus.c storage/block.c \
 *      storage/encode.c -lisal -lm -o /tmp/gen_block_corpus
 *   /tmp/gen_block_corpus tests/fuzz/corpus/block   # seeds
 *   /tmp/gen_block_corpus --example                  # hex of the example
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/block.h"

static struct stor_encoder enc;
static uint8_t out[1 << 16];

static long encode(uint32_t n, const uint32_t *id, const int64_t *ts,
                   const double *v, uint32_t dn,
                   const struct stor_dict_entry *d) {
  struct stor_block_in in = {.shard = 1, .seq = 7, .count = n,
                             .series_id = id, .ts_ms = ts, .value = v,
                             .dict_count = dn, .dict = d};
  long len = stor_block_encode(&enc, &in, out, sizeof(out));
  if (len <= 0) {
    fprintf(stderr, "encode failed: %ld\n", len);
    exit(1);
  }
  return len;
}

static void save(const char *dir, const char *name, long len) {
  char path[512];
  FILE *f;

  snprintf(path, sizeof(path), "%s/%s", dir, name);
  f = fopen(path, "wb");
  if (f == NULL || fwrite(out, 1, (size_t)len, f) != (size_t)len) {
    perror(path);
    exit(1);
  }
  fclose(f);
}

/* The example: two series, a counter and a gauge, three points each. */
static long example(void) {
  static const char k0[] = "api.requests\0env:prod", k1[] = "cpu.temp";
  static const struct stor_dict_entry d[2] = {
      {.id = 7, .type = 0, .key = k0, .key_len = sizeof(k0) - 1},
      {.id = 9, .type = 1, .key = k1, .key_len = sizeof(k1) - 1}};
  static const uint32_t id[6] = {7, 9, 7, 9, 9, 7};
  static const int64_t ts[6] = {1700000000000, 1700000000003, 1700000010000,
                                1700000010001, 1700000020004, 1700000020000};
  static const double v[6] = {12, 71.25, 15, 71.5, 71.5, 11};
  return encode(6, id, ts, v, 2, d);
}

static void hexdump(long len) {
  for (long i = 0; i < len; i += 16) {
    printf("%04lx ", (unsigned long)i);
    for (long k = i; k < i + 16 && k < len; k++)
      printf(" %02x", out[k]);
    printf("\n");
  }
}

int main(int argc, char **argv) {
  static uint32_t id[512];
  static int64_t ts[512];
  static double v[512];
  const char *dir;

  if (argc != 2 || stor_encoder_init(&enc, 512) != 0)
    return 2;
  if (strcmp(argv[1], "--example") == 0) {
    hexdump(example());
    return 0;
  }
  dir = argv[1];
  save(dir, "example", example());
  id[0] = 3, ts[0] = -5, v[0] = -0.0;
  save(dir, "one_point", encode(1, id, ts, v, 0, NULL));
  for (int i = 0; i < 64; i++) {
    id[i] = (uint32_t)(i % 4) * 1000;
    ts[i] = i % 2 ? INT64_MIN + i : INT64_MAX - i;
    v[i] = i % 3 == 0 ? NAN : i % 3 == 1 ? -INFINITY : 1.0 / (i + 1);
  }
  save(dir, "extremes", encode(64, id, ts, v, 0, NULL));
  for (int i = 0; i < 256; i++) {
    id[i] = (uint32_t)(i % 16);
    ts[i] = 1700000000000 + 10000 * (i / 16) + (i * 37) % 11;
    v[i] = i % 16 < 8 ? (double)(i * 3 % 17) : (double)(7000 + i % 9) / 100;
  }
  save(dir, "fleet", encode(256, id, ts, v, 0, NULL));
  for (int i = 0; i < 40; i++) {
    id[i] = 5;
    ts[i] = 1000 * (i * i % 13);
    v[i] = (double)i * 1e15;
  }
  save(dir, "one_series_unsorted", encode(40, id, ts, v, 0, NULL));
  stor_encoder_free(&enc);
  return 0;
}
