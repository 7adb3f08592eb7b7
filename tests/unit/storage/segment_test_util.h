/*
 * tests/unit/storage/segment_test_util.h - segments holding metric and log
 * blocks, built with the real encoders in a temporary data directory
 * (<tmp>/shard-K/<16 digits>.seg), for the recovery and log scan tests.
 */
#ifndef SLUICE_TESTS_SEGMENT_TEST_UTIL_H
#define SLUICE_TESTS_SEGMENT_TEST_UTIL_H

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/block.h"
#include "storage/logblock.h"
#include "storage/recover.h"

static char seg_dir[64];

/* xorshift64: the tests' reproducible random numbers (seed it non-zero). */
static uint64_t seg_rng_state;
static inline uint64_t seg_rnd(void) {
  seg_rng_state ^= seg_rng_state << 13;
  seg_rng_state ^= seg_rng_state >> 7;
  seg_rng_state ^= seg_rng_state << 17;
  return seg_rng_state;
}

static inline void seg_dir_make(void) {
  snprintf(seg_dir, sizeof(seg_dir), "/tmp/sluice-seg-XXXXXX");
  cr_assert_not_null(mkdtemp(seg_dir));
}

static inline void seg_dir_remove(void) {
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", seg_dir);
  cr_assert_eq(system(cmd), 0);
}

/* Path of segment seq of shard (the shard directory is created). */
static inline void seg_file(char *out, size_t len, unsigned shard,
                            uint64_t seq) {
  char name[32];

  snprintf(out, len, "%s/shard-%u", seg_dir, shard);
  mkdir(out, 0755);
  stor_segment_name(seq, name, sizeof(name));
  snprintf(out + strlen(out), len - strlen(out), "/%s", name);
}

static inline void seg_append_bytes(unsigned shard, uint64_t seg,
                                    const uint8_t *p, size_t n) {
  char path[256];
  int fd;

  seg_file(path, sizeof(path), shard, seg);
  fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, p, n), (ssize_t)n);
  close(fd);
}

static inline uint64_t seg_size(unsigned shard, uint64_t seg) {
  char path[256];
  struct stat st;

  seg_file(path, sizeof(path), shard, seg);
  cr_assert_eq(stat(path, &st), 0);
  return (uint64_t)st.st_size;
}

/*
 * Encode a metric block of n points of series id (ts t0 + i * step ms,
 * values v0 + i), carrying id's dictionary entry (key) when key != NULL,
 * into out (malloc'ed). Returns its size.
 */
static inline size_t metric_block(uint16_t shard, uint64_t seq, uint32_t id,
                                  const char *key, uint32_t n, int64_t t0,
                                  int64_t step, double v0, uint8_t **out) {
  struct stor_encoder e;
  uint32_t ids[64];
  int64_t ts[64];
  double val[64];
  struct stor_dict_entry d = {.id = id, .type = 1, .key = key,
                              .key_len = key ? (uint32_t)strlen(key) : 0};
  struct stor_block_in in = {.shard = shard, .seq = seq, .count = n,
                             .series_id = ids, .ts_ms = ts, .value = val,
                             .dict_count = key ? 1 : 0, .dict = &d};
  size_t cap = stor_block_bytes_max(n, 1, 256);
  long len;

  cr_assert_leq(n, 64);
  for (uint32_t i = 0; i < n; i++) {
    ids[i] = id;
    ts[i] = t0 + (int64_t)i * step;
    val[i] = v0 + i;
  }
  cr_assert_eq(stor_encoder_init(&e, 64), 0);
  *out = malloc(cap);
  len = stor_block_encode(&e, &in, *out, cap);
  stor_encoder_free(&e);
  cr_assert_gt(len, 0);
  return (size_t)len;
}

/* Append a metric block (see metric_block) to segment seg of shard. */
static inline size_t append_metric(uint16_t shard, uint64_t seg, uint64_t seq,
                                   uint32_t id, const char *key, uint32_t n,
                                   int64_t t0, int64_t step, double v0) {
  uint8_t *b;
  size_t len = metric_block(shard, seq, id, key, n, t0, step, v0, &b);

  seg_append_bytes(shard, seg, b, len);
  free(b);
  return len;
}

/* Encode recs[0..n) as a log block into out (malloc'ed); returns its size. */
static inline size_t log_block(uint16_t shard, uint64_t seq,
                               const struct stor_log_rec *recs, uint32_t n,
                               uint8_t **out) {
  struct stor_logenc e;
  size_t cap = 1u << 20;
  long len;

  cr_assert_eq(stor_logenc_init(&e, 256), 0);
  *out = malloc(cap);
  len = stor_logblock_encode(&e, shard, seq, recs, n, *out, cap);
  stor_logenc_free(&e);
  cr_assert_gt(len, 0);
  return (size_t)len;
}

static inline size_t append_log(uint16_t shard, uint64_t seg, uint64_t seq,
                                const struct stor_log_rec *recs, uint32_t n) {
  uint8_t *b;
  size_t len = log_block(shard, seq, recs, n, &b);

  seg_append_bytes(shard, seg, b, len);
  free(b);
  return len;
}

#define S(lit) ((struct core_syslog_str){(lit), sizeof(lit) - 1})

static const struct core_syslog_attr test_attrs[3] = {
    {S("origin"), S("ip"), S("10.0.0.1")},
    {S("meta@1"), S("seq"), S("42")},
    {S("flag@1"), {"", 0}, {"", 0}},   /* an element without params */
};

/*
 * Record i of the test set: event time t0 + i * 1000003 ns (sub-ms), other
 * fields vary with i; records with i % 3 != 0 carry i % 3 + 1 attributes.
 */
static inline struct stor_log_rec test_rec(uint32_t i, int64_t t0) {
  static const char *msgs[] = {"hello", "disk full", "a longer message body"};
  static const char *hosts[] = {"web-1", "db"};
  const char *m = msgs[i % 3], *h = hosts[i % 2];

  return (struct stor_log_rec){
      .time_ns = t0 + (int64_t)i * 1000003,
      .recv_ms = t0 / 1000000 + i,
      .facility = (uint8_t)(i % 24),
      .severity = (uint8_t)(i % 8),
      .flags = i % 2 ? CORE_SYSLOG_F_NO_PRI : 0,
      .host = {h, (uint32_t)strlen(h)},
      .app = S("app"),
      .procid = i % 2 ? S("123") : (struct core_syslog_str){"", 0},
      .msgid = S("ID7"),
      .msg = {m, (uint32_t)strlen(m)},
      .attr_count = i % 3 ? i % 3 + 1 : 0,
      .attrs = test_attrs};
}

static inline int test_str_eq(struct core_syslog_str a,
                              struct core_syslog_str b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Every field and attribute of a equals b's. */
static inline void assert_rec_eq(const struct stor_log_rec *a,
                                 const struct stor_log_rec *b) {
  cr_assert_eq(a->time_ns, b->time_ns);
  cr_assert_eq(a->recv_ms, b->recv_ms);
  cr_assert_eq(a->facility, b->facility);
  cr_assert_eq(a->severity, b->severity);
  cr_assert_eq(a->flags, b->flags);
  cr_assert(test_str_eq(a->host, b->host) && test_str_eq(a->app, b->app));
  cr_assert(test_str_eq(a->procid, b->procid));
  cr_assert(test_str_eq(a->msgid, b->msgid) && test_str_eq(a->msg, b->msg));
  cr_assert_eq(a->attr_count, b->attr_count);
  for (uint32_t k = 0; k < a->attr_count; k++) {
    cr_assert(test_str_eq(a->attrs[k].sdid, b->attrs[k].sdid));
    cr_assert(test_str_eq(a->attrs[k].name, b->attrs[k].name));
    cr_assert(test_str_eq(a->attrs[k].value, b->attrs[k].value));
  }
}

#endif
