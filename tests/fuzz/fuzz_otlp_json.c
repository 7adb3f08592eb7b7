/*
 * tests/fuzz/fuzz_otlp_json.c - libFuzzer target for the OTLP JSON
 * decoders (core/parse/otlp_json*.c).
 *
 * Runs the three decoders over the input (an exact-size copy, so ASan
 * catches any over-read, with an arena of exactly
 * CORE_OTLP_JSON_ARENA_BYTES(size), also an exact-size allocation) and
 * checks what they promise: the result is 0, -EBADMSG or -E2BIG with a
 * reason and never "JSON scratch full" (the arena bound holds for every
 * input), every string, id and raw value handed out lies inside the input
 * or the arena's used part, counts within their bounds, AnyValue arrays
 * and kvlists handed out are protobuf the protobuf reader walks, and
 * decoding without a sink gives the same result as with one. Seeds: the
 * JS SDK's JSON fixtures.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse/otlp_json.h"
#include "core/parse/pb.h"

#define FUZZ_NAME "fuzz_otlp_json"
#include "otlp_check.h"

static struct core_otlp_jscratch js;

static int inside(const void *p, size_t n) {
  return n == 0 || fuzz_otlp_in(lo, lo_len, p, n) ||
         fuzz_otlp_in(js.arena, js.used, p, n);
}

/* A transcoded list: protobuf whose every field the reader can skip. */
static void check_list(struct core_otlp_str s) {
  const char *why = NULL;
  struct core_pb r;
  uint32_t f;
  enum core_pb_wire wt;
  int rc;
  core_pb_init(&r, s.ptr, s.len, &why);
  while ((rc = core_pb_tag(&r, &f, &wt)) > 0)
    CHECK(f == 1 && wt == CORE_PB_LEN && core_pb_skip(&r, wt) == 0);
  CHECK(rc == 0);
}

static void check_value_more(const struct core_otlp_value *v) {
  if (v->type == CORE_OTLP_V_ARRAY || v->type == CORE_OTLP_V_KVLIST)
    check_list(v->s);
  if (v->type == CORE_OTLP_V_BOOL)
    CHECK(v->i == 0 || v->i == 1);
}

typedef int (*decode_fn)(const void *, size_t, struct core_otlp_scratch *,
                         struct core_otlp_jscratch *,
                         const struct core_otlp_sink *, const char **);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const decode_fn fns[] = {core_otlp_json_metrics_decode,
                                  core_otlp_json_logs_decode,
                                  core_otlp_json_traces_decode};
  if (size > INPUT_BYTES_MAX)
    return 0;
  uint8_t *buf = malloc(size ? size : 1);
  size_t cap = CORE_OTLP_JSON_ARENA_BYTES(size);
  void *arena = malloc(cap);
  CHECK(buf && arena);
  memcpy(buf, data, size);
  lo = buf;
  lo_len = size;
  for (int i = 0; i < 3; i++) {
    const char *why = NULL, *why2 = NULL;
    core_otlp_json_scratch_init(&js, arena, cap);
    int rc = fns[i](buf, size, &scratch, &js, &sink, &why);
    CHECK(rc == 0 || rc == -EBADMSG || rc == -E2BIG);
    CHECK((rc == 0) == (why == NULL));
    CHECK(!why || strcmp(why, "JSON scratch full"));
    CHECK(js.used <= cap);
    CHECK(scratch.items <= CORE_OTLP_ITEMS_MAX);
    CHECK(fns[i](buf, size, &scratch, &js, NULL, &why2) == rc);
    CHECK(why2 == why);
  }
  free(arena);
  free(buf);
  return 0;
}
