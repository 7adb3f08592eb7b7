/*
 * tests/fuzz/fuzz_logstore.c - libFuzzer target for the syslog store path:
 * the input is a TCP stream; the RFC 6587 framer cuts it, each frame is
 * parsed and appended to a log head (whose bounds are shrunk by sealing
 * every few records), and every sealed head is encoded as a log block
 * (built in the head's encoder as records were kept: stor_logenc_finish),
 * decoded again and compared field by field with the head's records.
 * Between frames the receive buffers are scribbled over, so a record that
 * still pointed at them (not at the head's arena) would be caught.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ingest/loghead.h"
#include "core/parse/syslog.h"
#include "core/parse/syslog_frame.h"
#include "storage/logblock.h"

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "fuzz_logstore: %s (line %d)\n", #cond, __LINE__);   \
      abort();                                                             \
    }                                                                      \
  } while (0)

#define MAX_BYTES CORE_SYSLOG_BYTES_MIN_LIMIT /* small: frames hit it */
#define SEAL_EVERY 7
#define NOW_MS 1795284848000ll

static struct core_loghead head;
static struct stor_logenc enc;
static struct stor_logdec dec;
static struct core_syslog_rec rec;
static struct core_syslog_attr attrs[CORE_SYSLOG_SD_ATTRS_MAX];
static char scratch[MAX_BYTES], frame_buf[MAX_BYTES], copy[MAX_BYTES];
static uint8_t *out;
static size_t out_cap;
static uint64_t seq;

static int same(struct core_syslog_str a, struct core_syslog_str b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static void check_rec(const struct stor_log_rec *w, const struct stor_log_rec *g) {
  CHECK(g->time_ns == w->time_ns && g->recv_ms == w->recv_ms);
  CHECK(g->facility == w->facility && g->severity == w->severity);
  CHECK(g->flags == w->flags && g->attr_count == w->attr_count);
  CHECK(same(g->host, w->host) && same(g->app, w->app));
  CHECK(same(g->procid, w->procid) && same(g->msgid, w->msgid));
  CHECK(same(g->msg, w->msg));
  for (uint32_t i = 0; i < w->attr_count; i++)
    CHECK(same(g->attrs[i].sdid, w->attrs[i].sdid) &&
          same(g->attrs[i].name, w->attrs[i].name) &&
          same(g->attrs[i].value, w->attrs[i].value));
}

static void sink(struct core_loghead *h, void *ctx) {
  struct stor_logblock_reader rd;
  struct stor_log_rec got;
  long n;

  (void)ctx;
  /* the head's records added to enc as kept (core_loghead_set_encoder),
   * the block finished here; the whole-block encoder when it could not */
  n = core_loghead_encoded(h)
          ? stor_logenc_finish(&enc, 0, ++seq, out, out_cap)
          : stor_logblock_encode(&enc, 0, ++seq, h->recs, h->count, out,
                                 out_cap);
  CHECK(n > 0);
  CHECK(stor_logblock_reader_init(&rd, &dec, out, (size_t)n) == 0);
  for (uint32_t i = 0; i < h->count; i++) {
    CHECK(stor_logblock_next(&rd, &got, attrs, CORE_SYSLOG_SD_ATTRS_MAX) == 1);
    check_rec(&h->recs[i], &got);
  }
  CHECK(stor_logblock_next(&rd, &got, attrs, CORE_SYSLOG_SD_ATTRS_MAX) == 0);
}

static void on_frame(void *ctx, const struct core_syslog_frame *f) {
  (void)ctx;
  CHECK(f->len <= MAX_BYTES);
  memcpy(copy, f->data, f->len);
  core_syslog_parse(copy, f->len, NOW_MS, scratch, &rec);
  if (rec.err == CORE_SYSLOG_ERR_EMPTY)
    return;
  core_loghead_append(&head, &rec, NOW_MS);
  memset(copy, 0xa5, sizeof(copy));
  memset(scratch, 0x5a, sizeof(scratch));
  if (head.count % SEAL_EVERY == 0)
    core_loghead_seal(&head);
}

static void setup(void) {
  out_cap = stor_logblock_bytes_max(CORE_LOGHEAD_RECORDS_MAX,
                                    CORE_LOGHEAD_ATTRS_MAX,
                                    CORE_LOGHEAD_TEXT_BYTES_MAX);
  out = malloc(out_cap);
  if (out == NULL || core_loghead_init(&head, sink, NULL) < 0 ||
      stor_logenc_init(&enc, CORE_LOGHEAD_RECORDS_MAX) < 0 ||
      stor_logdec_init(&dec) < 0)
    abort();
  core_loghead_set_encoder(&head, &enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct core_syslog_framer fr;
  size_t half = size / 2;

  if (out == NULL)
    setup();
  core_syslog_framer_init(&fr, frame_buf, MAX_BYTES);
  /* two reads: frames spanning them go through the framer's buffer */
  core_syslog_framer_feed(&fr, (const char *)data, half, on_frame, NULL);
  core_syslog_framer_feed(&fr, (const char *)data + half, size - half,
                          on_frame, NULL);
  core_syslog_framer_finish(&fr, on_frame, NULL);
  core_loghead_seal(&head);
  return 0;
}
