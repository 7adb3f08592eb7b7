/*
 * tests/fuzz/fuzz_spanblock.c - libFuzzer target for the span block reader.
 *
 * Each input is tried three ways, as fuzz_logblock does: as it is (header
 * check and CRC reject almost everything); with the payload length pointed
 * at the input's end and both checks recomputed, so that the ids and the
 * inflate meet arbitrary bytes; and as trace table, span ids and inflated
 * stream (after a 10-byte preamble giving span count, trace count, string
 * table entries and bytes, time range), deflated here into a sealed block,
 * so that the string table, the sub-columns and the text meet arbitrary
 * bytes too. A successful call must keep its promises: strings inside the
 * block or the inflated stream, start times within the header's range,
 * counts within the decoder's scratch, at most the header's span count.
 * Every attribute value read is rendered as the query port serves it
 * (core_otlp_value_json) and must fit the room net/query/query_traces.c
 * gives it, NET_SPAN_VALUE_JSON_GROWTH bytes a stored byte plus 32,
 * whatever its bytes (and the renderer's recursion stays bounded).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <isa-l/igzip_lib.h>

#include "core/base/limits.h"
#include "core/parse/otlp_render.h"
#include "storage/block.h"
#include "storage/encode.h"
#include "storage/spanblock.h"

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "fuzz_spanblock: %s (line %d)\n", #cond, __LINE__);  \
      abort();                                                             \
    }                                                                      \
  } while (0)

static struct stor_spandec dec;
static uint8_t copy[1 << 20];
static uint8_t blk[1 << 21];
static struct isal_zstream zs;
static char json[NET_SPAN_VALUE_JSON_GROWTH * sizeof(copy) + 32];

static int inside(struct core_otlp_str s, const uint8_t *b, size_t len) {
  const uint8_t *p = (const uint8_t *)s.ptr;
  const uint8_t *t = dec.text;

  return s.len == 0 || (p >= b && p + s.len <= b + len) ||
         (p >= t && p + s.len <= t + STOR_SPANBLOCK_TEXT_BYTES_MAX);
}

static uint32_t attrs_ok(const struct core_otlp_attrs *a, const uint8_t *b,
                         size_t len) {
  for (uint32_t i = 0; i < a->n; i++) {
    CHECK(inside(a->v[i].key, b, len));
    CHECK((unsigned)a->v[i].value.type <= CORE_OTLP_V_BYTES);
    CHECK(inside(a->v[i].value.s, b, len));
    if (a->v[i].value.type == CORE_OTLP_V_STRING) /* net_query_json_str */
      continue;
    size_t raw = a->v[i].value.type >= CORE_OTLP_V_ARRAY ? a->v[i].value.s.len
                                                          : 0;
    size_t cap = NET_SPAN_VALUE_JSON_GROWTH * raw + 32;
    CHECK(cap <= sizeof(json));
    CHECK(core_otlp_value_json(&a->v[i].value, json, cap) <= cap);
  }
  return a->n;
}

static void span_ok(const struct stor_spanblock_reader *r,
                    const struct stor_span *s, const uint8_t *b, size_t len) {
  uint32_t attrs = attrs_ok(&s->attrs, b, len);

  CHECK(s->start_ns >= r->hdr.min_ns && s->start_ns <= r->hdr.max_ns);
  CHECK(inside(s->name, b, len) && inside(s->status_message, b, len) &&
        inside(s->trace_state, b, len));
  CHECK(s->event_count <= CORE_SPAN_EVENTS_MAX &&
        s->link_count <= CORE_SPAN_LINKS_MAX);
  for (uint32_t i = 0; i < s->event_count; i++) {
    CHECK(inside(s->events[i].name, b, len));
    attrs += attrs_ok(&s->events[i].attrs, b, len);
  }
  for (uint32_t i = 0; i < s->link_count; i++) {
    CHECK(inside(s->links[i].trace_state, b, len));
    attrs += attrs_ok(&s->links[i].attrs, b, len);
  }
  CHECK(attrs <= CORE_SPAN_ATTRS_MAX);
  CHECK(s->res >= dec.res && s->res < dec.res + STOR_SPANBLOCK_RESOURCES_MAX);
  CHECK(inside(s->res->service, b, len) && inside(s->res->scope_name, b, len));
  attrs_ok(&s->res->attrs, b, len);
}

static void read_all(const uint8_t *b, size_t len) {
  struct stor_spanblock_hdr h;
  struct stor_spanblock_reader r;
  struct stor_span s;
  uint64_t n = 0;
  int rc = stor_spanblock_hdr_read(b, len, &h);

  CHECK(rc == 0 || rc == -EAGAIN || rc == -EBADMSG);
  rc = stor_spanblock_reader_init(&r, &dec, b, len);
  CHECK(rc == 0 || rc == -EAGAIN || rc == -EBADMSG);
  if (rc != 0)
    return;
  while ((rc = stor_spanblock_next(&r, &s)) == 1) {
    n++;
    span_ok(&r, &s, b, len);
  }
  CHECK(rc == 0 || rc == -EBADMSG);
  CHECK(n <= r.hdr.count);
  if (rc == 0)
    CHECK(n == r.hdr.count);
}

/* Preamble: N-1, M-1, D, T (2), time range (3), 2 unused; then 16 M + 8 N
 * id bytes; the rest is the inflated stream. */
static void from_stream(const uint8_t *d, size_t n) {
  uint32_t spans = 1 + d[0] % 64, traces = 1 + d[1] % spans;
  size_t ids = 16 * (size_t)traces + 8 * (size_t)spans, u, t;

  if (n < 10 + ids)
    return;
  u = n - 10 - ids;
  t = (size_t)d[3] | (size_t)d[4] << 8;
  memcpy(blk + STOR_BLOCK_HEADER_BYTES, d + 10, ids);
  isal_deflate_stateless_init(&zs);
  zs.level = 0;
  zs.end_of_stream = 1;
  zs.next_in = (uint8_t *)d + 10 + ids;
  zs.avail_in = (uint32_t)u;
  zs.next_out = blk + STOR_BLOCK_HEADER_BYTES + ids;
  zs.avail_out = (uint32_t)(sizeof(blk) - STOR_BLOCK_HEADER_BYTES - ids);
  CHECK(isal_deflate_stateless(&zs) == COMP_OK);
  stor_frame_write(blk, &(struct stor_frame){
                            .kind = STOR_KIND_SPANS, .count = spans, .seq = 1,
                            .min = 1000,
                            .max = 1000 + ((int64_t)d[5] | (int64_t)d[6] << 8 |
                                           (int64_t)d[7] << 16),
                            .payload_bytes = (uint32_t)(ids + zs.total_out)});
  stor_le_put(blk + STOR_SHDR_OFF_TEXT_BYTES, u, 4);
  stor_le_put(blk + STOR_SHDR_OFF_DICT_COUNT, d[2] % 32, 4);
  stor_le_put(blk + STOR_SHDR_OFF_DICT_BYTES, t < u ? t : u, 4);
  stor_le_put(blk + STOR_SHDR_OFF_TRACES, traces, 4);
  stor_le_put(blk + STOR_SHDR_OFF_ZTEXT_BYTES, zs.total_out, 4);
  stor_block_reseal(blk, STOR_BLOCK_HEADER_BYTES + ids + zs.total_out);
  read_all(blk, STOR_BLOCK_HEADER_BYTES + ids + zs.total_out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!dec.text && stor_spandec_init(&dec) != 0)
    abort();
  read_all(data, size);
  if (size >= STOR_BLOCK_HEADER_BYTES && size <= sizeof(copy)) {
    size_t pay = size - STOR_BLOCK_HEADER_BYTES;
    memcpy(copy, data, size);
    for (int i = 0; i < 4; i++)
      copy[STOR_HDR_OFF_PAYLOAD + i] = (uint8_t)(pay >> (8 * i));
    stor_block_reseal(copy, size);
    read_all(copy, size);
  }
  if (size >= 10 && size - 10 <= sizeof(copy))
    from_stream(data, size);
  return 0;
}
