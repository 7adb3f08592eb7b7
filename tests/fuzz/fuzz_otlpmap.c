/*
 * tests/fuzz/fuzz_otlpmap.c - libFuzzer target for the OTLP mapping
 * (core/ingest/otlpmap.c) behind the decoders: hostile requests into a
 * pipeline with a small --max-series and a log head.
 *
 * Input: byte 0 picks the signal (mod 3) and the resource label option
 * (bits 2-3: default, all, none, "a,b"); the rest is the request body (an
 * exact-size copy, so ASan catches any over-read). Checks: the result is
 * 0, -EBADMSG or -E2BIG; an undecodable request stores nothing (head, log
 * head and dictionary unchanged); a decoded one accounts for every item
 * (accepted + rejected = items decoded); every stored point names a
 * series of the dictionary whose key is name NUL tags; the message is
 * set exactly when something was rejected; a metrics request sent
 * again, twice (its gauge and sum series then in the series id cache,
 * cached at the first commit, or known to the dictionary and cached at
 * the second), stores the same series ids with the same verdict; the log
 * head's text bytes (counted by the mapping as it writes) are those the
 * block encoder counts for its records; a record the mapping marks
 * keys_prev has the sd ids and names of the record before it (the
 * encoder would write it with the last record's keys); the log block
 * built as records arrived (core_loghead_set_encoder), at each seal and
 * after each request, is the whole-block encoder's for the head's
 * records (logenc_same_block). Seeds: the JS SDK
 * fixtures with a leading selector byte.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/limits.h"
#include "core/ingest/loghead.h"
#include "core/ingest/otlpmap.h"
#include "core/ingest/pipe.h"
#include "core/ingest/series.h"
#include "storage/logblock.h"
#include "tests/unit/storage/logenc_same.h"

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "fuzz_otlpmap: %s (line %d)\n", #cond, __LINE__);    \
      abort();                                                             \
    }                                                                      \
  } while (0)

static struct core_ingest_stats st;
static struct core_pipe p;
static int ready;

/* Sealed heads: every point's series exists and its key is well formed. */
static void head_sink(struct core_head *h, void *ctx) {
  (void)ctx;
  for (uint32_t i = 0; i < h->count; i++) {
    uint32_t len;
    const char *k = core_series_key_of(&p.series, h->series_id[i], &len);
    CHECK(k != NULL && len > 0 && k[0] != '\0');
  }
}

/*
 * The request (res its verdict, stored from head point `from` on) sent
 * twice more: the same ids, in the same order, the same counts, while the
 * head did not seal in between (then the comparison is skipped).
 */
static void again(const uint8_t *body, size_t len,
                  const struct core_otlp_result *res, uint32_t from) {
  static uint32_t ids[1u << 16];
  uint32_t n = p.head.count + (uint32_t)p.head.sealed_points - from;
  uint64_t sealed = p.head.sealed_points;
  struct core_otlp_result r2;

  if (p.head.count < n || n > sizeof(ids) / sizeof(ids[0]))
    return; /* sealed during the first */
  memcpy(ids, p.head.series_id + p.head.count - n, n * sizeof(ids[0]));
  for (int round = 0; round < 2; round++) {
    CHECK(core_pipe_otlp(&p, CORE_OTLP_METRICS, CORE_OTLP_ENC_PROTO, body, len,
                         1700000000000, &r2) == 0);
    CHECK(r2.accepted == res->accepted && r2.rejected == res->rejected);
    if (p.head.sealed_points != sealed || p.head.count < n)
      return;
    CHECK(memcmp(ids, p.head.series_id + p.head.count - n,
                 n * sizeof(ids[0])) == 0);
  }
}

/* The log head builds its block's columns as records arrive (henc); each
 * block, at a seal and after each request, must be byte for byte what
 * the whole-block encoder (wenc) writes from the head's records. */
static struct stor_logenc henc, wenc;
static uint8_t *hblk, *wblk;
static size_t blk_cap;
static uint64_t lseq;

static void same_log_block(struct core_loghead *h) {
  long a, b;

  if (!core_loghead_encoded(h))
    return;
  lseq++;
  b = stor_logblock_encode(&wenc, 0, lseq, h->recs, h->count, wblk, blk_cap);
  a = stor_logenc_finish(h->enc, 0, lseq, hblk, blk_cap);
  CHECK(b > 0 && logenc_same_block(&wenc, wblk, b, h->enc, hblk, a));
}

static void log_sink(struct core_loghead *h, void *ctx) {
  (void)ctx;
  same_log_block(h);
}

static int str_same(struct core_syslog_str a, struct core_syslog_str b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Log head records i - 1 and i have the same sd ids and names. */
static int keys_same(uint32_t i) {
  const struct stor_log_rec *a = &p.loghead.recs[i - 1],
                            *b = &p.loghead.recs[i];

  if (a->attr_count != b->attr_count)
    return 0;
  for (uint32_t k = 0; k < a->attr_count; k++)
    if (!str_same(a->attrs[k].sdid, b->attrs[k].sdid) ||
        !str_same(a->attrs[k].name, b->attrs[k].name))
      return 0;
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const labels[] = {CORE_OTLP_RESOURCE_LABELS_DEFAULT,
                                       "all", "none", "a,b"};
  struct core_otlp_result res;
  uint32_t heads, logs, series;
  uint8_t *body;
  int rc;

  if (size < 1)
    return 0;
  if (!ready) {
    CHECK(core_pipe_init(&p, &st, 64, 256, head_sink, NULL) == 0);
    CHECK(core_pipe_logs_init(&p, 65536, log_sink, NULL) == 0);
    CHECK(stor_logenc_init(&henc, CORE_LOGHEAD_RECORDS_MAX) == 0);
    CHECK(stor_logenc_init(&wenc, CORE_LOGHEAD_RECORDS_MAX) == 0);
    blk_cap = stor_logblock_bytes_max(CORE_LOGHEAD_RECORDS_MAX,
                                      CORE_LOGHEAD_ATTRS_MAX,
                                      CORE_LOGHEAD_TEXT_BYTES_MAX);
    hblk = malloc(blk_cap);
    wblk = malloc(blk_cap);
    CHECK(hblk != NULL && wblk != NULL);
    core_loghead_set_encoder(&p.loghead, &henc);
    ready = 1;
  }
  CHECK(core_pipe_otlp_resource_labels(&p, labels[(data[0] >> 2) & 3]) == 0);
  body = malloc(size - 1 ? size - 1 : 1);
  memcpy(body, data + 1, size - 1);
  heads = p.head.count + (uint32_t)p.head.sealed_points;
  logs = p.loghead.count + (uint32_t)p.loghead.sealed_records;
  series = p.series.count;
  rc = core_pipe_otlp(&p, (enum core_otlp_signal)(data[0] % 3),
                      CORE_OTLP_ENC_PROTO, body, size - 1, 1700000000000,
                      &res);
  CHECK(rc == 0 || rc == -EBADMSG || rc == -E2BIG);
  CHECK(rc == res.rc);
  if (rc < 0) {
    CHECK(res.why != NULL);
    CHECK(p.head.count + (uint32_t)p.head.sealed_points == heads);
    CHECK(p.loghead.count + (uint32_t)p.loghead.sealed_records == logs);
    CHECK(p.series.count == series);
  } else {
    CHECK(res.accepted + res.rejected == p.otlp->scratch.items);
    CHECK((res.rejected != 0) == (res.message[0] != '\0'));
  }
  for (uint32_t i = 0; i < p.head.count; i++)
    CHECK(p.head.series_id[i] < p.series.count);
  if (data[0] % 3 == CORE_OTLP_LOGS && p.loghead.count <= 4096) {
    size_t text = 0;
    for (uint32_t i = 0; i < p.loghead.count; i++) {
      text += stor_logblock_rec_text_bytes(&p.loghead.recs[i]);
      CHECK(!p.loghead.recs[i].keys_prev || (i > 0 && keys_same(i)));
    }
    CHECK(text == p.loghead.text_bytes);
    same_log_block(&p.loghead);
  }
  if (rc == 0 && data[0] % 3 == CORE_OTLP_METRICS)
    again(body, size - 1, &res, heads);
  free(body);
  return 0;
}
