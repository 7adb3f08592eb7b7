/*
 * tests/unit/core/ingest/test_loghead.c - the open log block: records survive the
 * reuse of the buffers they were parsed from, bounds seal before they are
 * passed, and the pipeline's syslog entry counts every outcome.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ingest/loghead.h"
#include "core/ingest/pipe.h"
#include "core/base/stat.h"
#include "core/parse/syslog.h"
#include "storage/logblock.h"
#include "tests/unit/test_util.h"
#include "tests/unit/storage/logenc_same.h"

static struct core_ingest_stats st;
static struct core_pipe p;
static const int64_t NOW = 1700000000123;

/* What sealed blocks held, checked against what was sent. */
static uint32_t seals, sealed_total;
static uint32_t last_seal_count;
static size_t last_seal_text;
static char first_msg[256];

static void sink(struct core_loghead *h, void *ctx) {
  (void)ctx;
  seals++;
  sealed_total += h->count;
  last_seal_count = h->count;
  last_seal_text = h->text_bytes;
  cr_assert_leq(h->arena_len, CORE_LOGHEAD_ARENA_BYTES);
  cr_assert_leq(h->text_bytes, CORE_LOGHEAD_TEXT_BYTES_MAX);
  if (seals == 1 && h->count > 0) {
    size_t n = h->recs[0].msg.len < 255 ? h->recs[0].msg.len : 255;
    memcpy(first_msg, h->recs[0].msg.ptr, n);
    first_msg[n] = '\0';
  }
}

/* Tests that need other bounds start over (the suite's set-up may have
 * run: Criterion runs it too). */
static void setup_n(uint32_t max_bytes) {
  core_pipe_free(&p);
  memset(&st, 0, sizeof(st));
  seals = sealed_total = last_seal_count = 0;
  first_msg[0] = '\0';
  cr_assert_eq(core_pipe_init(&p, &st, 10, 256, NULL, NULL), 0);
  cr_assert_eq(core_pipe_logs_init(&p, max_bytes, sink, NULL), 0);
}
static void setup(void) { setup_n(CORE_SYSLOG_BYTES_MAX_DEFAULT); }
static void teardown(void) { core_pipe_free(&p); }

/* Feed from a heap copy that is scribbled over afterwards, as a receive
 * buffer is reused. */
static void feed(const char *s, enum core_syslog_err frame_err) {
  size_t n = strlen(s);
  char *buf = malloc(n + 1);

  memcpy(buf, s, n + 1);
  core_pipe_syslog(&p, buf, n, frame_err, NOW);
  memset(buf, 'X', n);
  free(buf);
}

static int str_is(struct core_syslog_str s, const char *want) {
  return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

TestSuite(loghead, .init = setup, .fini = teardown);

Test(loghead, record_outlives_its_receive_buffer) {
  feed("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - "
       "ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Appl\\\\ication\"] "
       "An application event", CORE_SYSLOG_OK);
  cr_assert_eq(p.loghead.count, 1);
  const struct stor_log_rec *r = &p.loghead.recs[0];
  cr_assert(str_is(r->host, "mymachine.example.com"));
  cr_assert(str_is(r->app, "evntslog"));
  cr_assert_eq(r->procid.len, 0);
  cr_assert(str_is(r->msgid, "ID47"));
  cr_assert(str_is(r->msg, "An application event"));
  cr_assert_eq(r->facility, 20);
  cr_assert_eq(r->severity, 5);
  cr_assert_eq(r->recv_ms, NOW);
  cr_assert_eq(r->time_ns, INT64_C(1065910455003000000));
  cr_assert_eq(r->attr_count, 2);
  cr_assert(str_is(r->attrs[0].sdid, "exampleSDID@32473"));
  cr_assert(str_is(r->attrs[0].name, "iut"));
  cr_assert(str_is(r->attrs[0].value, "3"));
  /* the escaped value was unescaped into scratch, then copied */
  cr_assert(str_is(r->attrs[1].value, "Appl\\ication"));
  cr_assert_eq(st.logs_syslog, 1);
}

Test(loghead, scratch_reuse_does_not_reach_stored_values) {
  feed("<14>1 - h a - - [x k=\"a\\]b\"] one", CORE_SYSLOG_OK);
  feed("<14>1 - h a - - [x k=\"c\\\"d\"] two", CORE_SYSLOG_OK);
  cr_assert_eq(p.loghead.count, 2);
  cr_assert(str_is(p.loghead.recs[0].attrs[0].value, "a]b"));
  cr_assert(str_is(p.loghead.recs[1].attrs[0].value, "c\"d"));
  cr_assert_eq(p.loghead.attr_count, 2);
}

Test(loghead, unparsable_message_is_stored_raw_and_counted) {
  feed("<999>not syslog at all", CORE_SYSLOG_OK);
  cr_assert_eq(p.loghead.count, 1);
  cr_assert(p.loghead.recs[0].flags & CORE_SYSLOG_F_PARSE_ERROR);
  cr_assert(str_is(p.loghead.recs[0].msg, "<999>not syslog at all"));
  cr_assert_eq(st.parse_errors_syslog[CORE_SYSLOG_ERR_BAD_PRI], 1);
  cr_assert_eq(st.logs_syslog, 1);
}

Test(loghead, blank_messages_are_not_records) {
  feed("\n", CORE_SYSLOG_OK);
  feed("", CORE_SYSLOG_OK);
  cr_assert_eq(p.loghead.count, 0);
  cr_assert_eq(st.logs_syslog, 0);
}

Test(loghead, frame_error_wins_and_fields_are_kept) {
  feed("<34>Oct 11 22:14:15 mymachine su: 'su root' fai",
       CORE_SYSLOG_ERR_FRAME_TRUNCATED);
  cr_assert_eq(p.loghead.count, 1);
  cr_assert(p.loghead.recs[0].flags & CORE_SYSLOG_F_PARSE_ERROR);
  cr_assert(str_is(p.loghead.recs[0].host, "mymachine"));
  cr_assert_eq(st.parse_errors_syslog[CORE_SYSLOG_ERR_FRAME_TRUNCATED], 1);
}

Test(loghead, message_over_the_bound_is_cut_and_counted) {
  char *big = malloc(2000);

  setup_n(CORE_SYSLOG_BYTES_MIN_LIMIT);
  memset(big, 'a', 1999);
  big[1999] = '\0';
  memcpy(big, "<13>", 4);
  feed(big, CORE_SYSLOG_OK);
  free(big);
  cr_assert_eq(p.loghead.count, 1);
  cr_assert_eq(st.parse_errors_syslog[CORE_SYSLOG_ERR_TOO_LONG], 1);
  cr_assert(p.loghead.recs[0].flags & CORE_SYSLOG_F_PARSE_ERROR);
  cr_assert_leq(p.loghead.arena_len, CORE_SYSLOG_BYTES_MIN_LIMIT);
}

Test(loghead, record_count_bound_seals) {
  char line[64];

  for (uint32_t i = 0; i < CORE_LOGHEAD_RECORDS_MAX + 5; i++) {
    snprintf(line, sizeof(line), "<13>1 - h a - - - msg %u", i);
    feed(line, CORE_SYSLOG_OK);
  }
  cr_assert_eq(seals, 1);
  cr_assert_eq(last_seal_count, CORE_LOGHEAD_RECORDS_MAX);
  cr_assert_str_eq(first_msg, "msg 0");
  cr_assert_eq(p.loghead.count, 5);
  cr_assert(str_is(p.loghead.recs[0].msg, "msg 8192"));
  core_loghead_seal(&p.loghead);
  cr_assert_eq(sealed_total, CORE_LOGHEAD_RECORDS_MAX + 5);
  cr_assert_eq(p.loghead.count, 0);
  cr_assert_eq(p.loghead.arena_len, 0);
}

Test(loghead, arena_bound_seals_before_overflow) {
  size_t n = CORE_SYSLOG_BYTES_MAX_LIMIT;
  char *big = malloc(n + 1);
  uint32_t sent = 0;

  setup_n(CORE_SYSLOG_BYTES_MAX_LIMIT);
  memset(big, 'm', n);
  big[n] = '\0';
  memcpy(big, "<13>1 - h a - - - ", 18);
  for (; sent < 20; sent++)
    feed(big, CORE_SYSLOG_OK);
  free(big);
  cr_assert_geq(seals, 2);
  cr_assert_eq(sealed_total + p.loghead.count, sent);
  cr_assert_eq(st.parse_errors_syslog[CORE_SYSLOG_ERR_TOO_LONG], 0);
}

Test(loghead, age_bound_seals_and_clock_step_back_too) {
  feed("<13>1 - h a - - - one", CORE_SYSLOG_OK);
  core_loghead_tick(&p.loghead, NOW + 999, 1000);
  cr_assert_eq(seals, 0);
  core_loghead_tick(&p.loghead, NOW + 1000, 1000);
  cr_assert_eq(seals, 1);
  feed("<13>1 - h a - - - two", CORE_SYSLOG_OK);
  core_loghead_tick(&p.loghead, NOW - 5000, 1000);
  cr_assert_eq(seals, 2);
}

Test(loghead, stored_text_within_the_encoder_bound) {
  /* many attributes: the text figure counts every SD-ID again */
  char msg[4096];
  size_t o = (size_t)snprintf(msg, sizeof(msg), "<13>1 - h a - - [e");
  for (int i = 0; i < CORE_SYSLOG_SD_ATTRS_MAX; i++)
    o += (size_t)snprintf(msg + o, sizeof(msg) - o, " k%d=\"v\"", i);
  snprintf(msg + o, sizeof(msg) - o, "] body");
  feed(msg, CORE_SYSLOG_OK);
  cr_assert_eq(p.loghead.attr_count, CORE_SYSLOG_SD_ATTRS_MAX);
  cr_assert_eq(p.loghead.text_bytes,
               stor_logblock_rec_text_bytes(&p.loghead.recs[0]));
}

Test(loghead, without_logs_init_the_pipe_ignores_syslog) {
  core_pipe_free(&p);
  memset(&st, 0, sizeof(st));
  cr_assert_eq(core_pipe_init(&p, &st, 10, 256, NULL, NULL), 0);
  core_pipe_syslog(&p, "<13>x", 5, CORE_SYSLOG_OK, NOW);
  cr_assert_eq(st.logs_syslog, 0);
  cr_assert_eq(core_pipe_logs_init(&p, 100, sink, NULL), -EINVAL);
}

/* ---- records written in place (core_loghead_begin ... commit/rollback) */

/* One record written in place: message msg, one attribute a=msg (its
 * value the message's own bytes). Returns core_loghead_put's verdict. */
static int put_inplace(struct core_loghead *h, const char *msg) {
  size_t n = strlen(msg);
  char *d = h->arena + h->arena_len;
  struct core_syslog_attr *a = h->attrs + h->attr_count;
  struct stor_log_rec r = {.time_ns = 1, .severity = 6, .attr_count = 1,
                           .attrs = a};

  memcpy(d, msg, n);
  r.msg = (struct core_syslog_str){d, (uint32_t)n};
  *a = (struct core_syslog_attr){.sdid = {"x", 1}, .name = {"a", 1},
                                 .value = r.msg};
  return core_loghead_put(h, &r, n, NOW);
}

Test(loghead, inplace_commit_keeps_and_rollback_drops) {
  struct core_loghead *h = &p.loghead;
  uint64_t moves;

  core_loghead_begin(h);
  cr_assert_eq(put_inplace(h, "kept one"), 0);
  cr_assert_eq(put_inplace(h, "kept two"), 0);
  core_loghead_commit(h);
  core_loghead_begin(h);
  cr_assert_eq(put_inplace(h, "dropped"), 0);
  cr_assert_eq(h->count, 3);
  moves = h->moves;
  core_loghead_rollback(h);
  cr_assert_gt(h->moves, moves);
  cr_assert_eq(h->count, 2);
  cr_assert_eq(h->attr_count, 2);
  cr_assert_eq(h->arena_len, 16);
  cr_assert_eq(h->text_bytes, stor_logblock_rec_text_bytes(&h->recs[0]) +
                                  stor_logblock_rec_text_bytes(&h->recs[1]));
  cr_assert(str_is(h->recs[1].msg, "kept two"));
  cr_assert(str_is(h->recs[1].attrs[0].value, "kept two"));
  cr_assert_eq(h->recs[1].recv_ms, NOW);
  /* a rollback of an empty request leaves the head as it was */
  core_loghead_begin(h);
  core_loghead_rollback(h);
  cr_assert_eq(h->count, 2);
  core_loghead_seal(h);
  cr_assert_eq(sealed_total, 2);
  cr_assert_str_eq(first_msg, "kept one");
}

/* The head fills mid-request: the records before the request seal, the
 * request's own move to the front (pointers rebased) and can still be
 * rolled back; a request that alone fills the head gets -ENOSPC. */
Test(loghead, inplace_full_head_mid_request) {
  struct core_loghead *h = &p.loghead;
  char m[32];
  uint32_t i, before = 10;

  core_loghead_begin(h);
  for (i = 0; i < before; i++) {
    snprintf(m, sizeof(m), "old %u", i);
    cr_assert_eq(put_inplace(h, m), 0);
  }
  core_loghead_commit(h);
  core_loghead_begin(h);
  for (i = 0; core_loghead_room(h, 1) == 0; i++) {
    snprintf(m, sizeof(m), "req %u", i);
    cr_assert_eq(put_inplace(h, m), 0);
  }
  cr_assert_eq(h->count, CORE_LOGHEAD_RECORDS_MAX);
  cr_assert_eq(seals, 0);
  cr_assert_eq(core_loghead_make_room(h), 0);
  cr_assert_eq(seals, 1);
  cr_assert_eq(last_seal_count, before, "only the earlier records seal");
  cr_assert_str_eq(first_msg, "old 0");
  cr_assert_eq(h->count, CORE_LOGHEAD_RECORDS_MAX - before);
  cr_assert(str_is(h->recs[0].msg, "req 0"));
  cr_assert(str_is(h->recs[0].attrs[0].value, "req 0"));
  cr_assert(str_is(h->recs[0].attrs[0].sdid, "x"));
  snprintf(m, sizeof(m), "req %u", i - 1);
  cr_assert(str_is(h->recs[h->count - 1].msg, m));
  cr_assert(str_is(h->recs[h->count - 1].attrs[0].value, m));
  cr_assert_eq(h->recs[h->count - 1].attrs, h->attrs + h->count - 1);
  cr_assert_eq(h->arena_len, (size_t)(h->recs[h->count - 1].msg.ptr -
                                      h->arena) + strlen(m));
  /* the request goes on to fill the whole head: no room can be made */
  while (core_loghead_room(h, 1) == 0)
    cr_assert_eq(put_inplace(h, "more"), 0);
  cr_assert_eq(core_loghead_make_room(h), -ENOSPC);
  cr_assert_eq(seals, 1);
  core_loghead_rollback(h);
  cr_assert_eq(h->count, 0);
  cr_assert_eq(h->arena_len, 0);
  cr_assert_eq(h->text_bytes, 0);
  core_loghead_seal(h);
  cr_assert_eq(seals, 1, "nothing of the request reached a block");
}

/* A record built in its slot (core_loghead_slot) and put with its text
 * bytes given: kept where it was built, the count added; refused, with
 * nothing added, when the count would pass the text bound. */
Test(loghead, put_text_in_the_slot) {
  struct core_loghead *h = &p.loghead;
  struct stor_log_rec *r;
  size_t text;

  core_loghead_begin(h);
  cr_assert_eq(core_loghead_room(h, 1), 0);
  r = core_loghead_slot(h);
  *r = (struct stor_log_rec){.time_ns = 1, .severity = 6,
                             .msg = {"built here", 10},
                             .attrs = h->attrs + h->attr_count};
  text = stor_logblock_rec_text_bytes(r);
  cr_assert_eq(core_loghead_put_text(h, r, 0, text, NOW), 0);
  cr_assert_eq(h->count, 1);
  cr_assert_eq(&h->recs[0], r);
  cr_assert(str_is(h->recs[0].msg, "built here"));
  cr_assert_eq(h->recs[0].recv_ms, NOW);
  cr_assert_eq(h->text_bytes, text);
  h->text_bytes = CORE_LOGHEAD_TEXT_BYTES_MAX - text + 1;
  r = core_loghead_slot(h);
  *r = h->recs[0];
  cr_assert_eq(core_loghead_put_text(h, r, 0, text, NOW), -ENOSPC);
  cr_assert_eq(h->count, 1);
  cr_assert_eq(h->text_bytes, CORE_LOGHEAD_TEXT_BYTES_MAX - text + 1);
  h->text_bytes = text;
  core_loghead_commit(h);
}

/* ---- the block's columns built as records arrive (an encoder set) ------ */

static struct stor_logenc henc, wenc; /* the head's; the whole-block one */
static uint8_t *hblk, *wblk;
static uint32_t enc_seals, enc_built;
#define ENC_CAP (64u << 20)

/* Each seal: the head's block, finished twice, is the one the
 * whole-block encoder writes from the head's records (logenc_same.h). */
static void enc_sink(struct core_loghead *h, void *ctx) {
  long a, b, c;

  (void)ctx;
  enc_seals++;
  b = stor_logblock_encode(&wenc, 1, enc_seals, h->recs, h->count, wblk,
                           ENC_CAP);
  cr_assert_gt(b, 0);
  if (!core_loghead_encoded(h))
    return;
  enc_built++;
  a = stor_logenc_finish(h->enc, 1, enc_seals, hblk, ENC_CAP);
  cr_assert(logenc_same_block(&wenc, wblk, b, h->enc, hblk, a), "seal %u",
            enc_seals);
  c = stor_logenc_finish(h->enc, 1, enc_seals, hblk, ENC_CAP);
  cr_assert(logenc_same_block(&wenc, wblk, b, h->enc, hblk, c));
}

static void enc_setup(void) {
  setup();
  cr_assert_eq(stor_logenc_init(&henc, CORE_LOGHEAD_RECORDS_MAX), 0);
  cr_assert_eq(stor_logenc_init(&wenc, CORE_LOGHEAD_RECORDS_MAX), 0);
  hblk = malloc(ENC_CAP);
  wblk = malloc(ENC_CAP);
  cr_assert(hblk && wblk);
  p.loghead.sink = enc_sink;
  core_loghead_set_encoder(&p.loghead, &henc);
  enc_seals = enc_built = 0;
}

static void enc_teardown(void) {
  teardown();
  stor_logenc_free(&henc);
  stor_logenc_free(&wenc);
  free(hblk);
  free(wblk);
}

static uint64_t hrng = 0x9e3779b97f4a7c15u;
static uint32_t hrnd(uint32_t n) {
  return (uint32_t)(test_xorshift64(&hrng) % n);
}

/* A record written in place as the OTLP mapping writes one: its message
 * copied, attribute values the last record's (same address) or copied,
 * binary OTLP fields when otel. Returns core_loghead_put's verdict. */
static int put_otlp_like(struct core_loghead *h, uint32_t k, int otel) {
  static const struct core_syslog_str keys[3] = {{"k1", 2}, {"k2", 2},
                                                 {"k3", 2}};
  char *d = h->arena + h->arena_len;
  struct core_syslog_attr *a = h->attrs + h->attr_count;
  const struct stor_log_rec *prev =
      h->count > h->req_count ? &h->recs[h->count - 1] : NULL;
  struct stor_log_rec r = {.time_ns = 1700000000000000000 + k % 7 * 1000,
                           .severity = 6, .facility = 1, .attrs = a,
                           .attr_count = 3};
  size_t used = 0;
  int n;

  n = snprintf(d, 64, "message %u", k % 13);
  r.msg = (struct core_syslog_str){d, (uint32_t)n};
  used += (size_t)n;
  for (uint32_t i = 0; i < 3; i++) {
    struct core_syslog_str v;
    if (prev && prev->attr_count == 3 && hrnd(2)) {
      v = prev->attrs[i].value;
    } else {
      n = snprintf(d + used, 16, "v%u", hrnd(3));
      v = (struct core_syslog_str){d + used, (uint32_t)n};
      used += (size_t)n;
    }
    a[i] = (struct core_syslog_attr){{"attr", 4}, keys[i], v};
  }
  if (otel) {
    r.otel.has = STOR_LOTEL_TRACE | STOR_LOTEL_OBS;
    r.otel.observed_ns = (uint64_t)r.time_ns + 5;
    memset(r.otel.trace_id, (int)hrnd(2), 16);
  }
  return core_loghead_put(h, &r, used, NOW);
}

TestSuite(loghead_enc, .init = enc_setup, .fini = enc_teardown);

/*
 * Requests kept or rolled back, syslog records between them, heads that
 * fill mid-request (make_room: the request's records move to a new
 * block), blocks of OTLP records, of syslog ones and mixed (the first
 * OTLP record in a block of syslog ones turns the building off until
 * the seal): every sealed block is the whole-block encoder's.
 */
Test(loghead_enc, blocks_as_the_whole_block_encoder_writes) {
  struct core_loghead *h = &p.loghead;
  uint32_t k = 0;

  for (uint32_t req = 0; req < 400; req++) {
    uint32_t n = 1 + hrnd(req % 50 == 0 ? 3000 : 60);
    int otel = req % 100 < 70 ? 1 : req % 100 < 90 ? 0 : (int)hrnd(2);
    int drop = hrnd(6) == 0;

    if (hrnd(4) == 0)
      feed("<34>1 2003-10-11T22:14:15.003Z host app - ID47 - syslog line",
           CORE_SYSLOG_OK);
    core_loghead_begin(h);
    for (uint32_t i = 0; i < n; i++, k++) {
      if (core_loghead_room(h, 3) != 0 ||
          h->arena_len + 256 > CORE_LOGHEAD_ARENA_BYTES) {
        if (core_loghead_make_room(h) != 0)
          break;
      }
      if (put_otlp_like(h, k, otel && (otel == 1 || hrnd(2))) != 0) {
        cr_assert_eq(core_loghead_make_room(h), 0);
        cr_assert_eq(put_otlp_like(h, k, otel), 0);
      }
    }
    if (drop)
      core_loghead_rollback(h);
    else
      core_loghead_commit(h);
    if (hrnd(20) == 0)
      core_loghead_seal(h);
  }
  core_loghead_seal(h);
  cr_assert_gt(enc_seals, 20);
  cr_assert_gt(enc_built, enc_seals / 2, "built %u of %u", enc_built,
               enc_seals);
}

/* Records go to the encoder when kept (at the commit), so make_room seals
 * the committed ones already built, the request's records, moved, are
 * built into the next block at its commit (not left to the whole-block
 * encoder); a rolled-back request never reached the encoder. */
Test(loghead_enc, built_across_make_room_and_rollback) {
  struct core_loghead *h = &p.loghead;
  uint32_t k = 0;

  core_loghead_begin(h);
  for (uint32_t i = 0; i < 100; i++)
    cr_assert_eq(put_otlp_like(h, k++, 1), 0);
  core_loghead_commit(h);
  core_loghead_begin(h);
  while (core_loghead_room(h, 3) == 0)
    cr_assert_eq(put_otlp_like(h, k++, 1), 0);
  cr_assert(!core_loghead_encoded(h), "the request's not before its commit");
  cr_assert_eq(stor_logenc_count(h->enc), 100);
  cr_assert_eq(core_loghead_make_room(h), 0);
  cr_assert_eq(enc_seals, 1);
  cr_assert_eq(enc_built, 1);
  cr_assert_eq(h->count, CORE_LOGHEAD_RECORDS_MAX - 100);
  core_loghead_commit(h);
  cr_assert(core_loghead_encoded(h), "the moved records built at the commit");
  cr_assert_eq(stor_logenc_count(h->enc), h->count);
  core_loghead_begin(h);
  for (uint32_t i = 0; i < 10; i++)
    cr_assert_eq(put_otlp_like(h, k++, 1), 0);
  core_loghead_rollback(h);
  cr_assert(core_loghead_encoded(h));
  cr_assert_eq(stor_logenc_count(h->enc), CORE_LOGHEAD_RECORDS_MAX - 100);
  core_loghead_seal(h);
  cr_assert_eq(enc_seals, 2);
  cr_assert_eq(enc_built, 2);
}
