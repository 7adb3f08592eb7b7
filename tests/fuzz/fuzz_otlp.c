/*
 * tests/fuzz/fuzz_otlp.c - libFuzzer target for the OTLP protobuf
 * decoders (core/parse/otlp*.c, core/parse/pb.c).
 *
 * Runs the three decoders over the input (an exact-size copy, so ASan
 * catches any over-read) and checks what they promise: the result is 0,
 * -EBADMSG or -E2BIG with a reason, every string and id handed out lies
 * inside the input, counts within their bounds, and decoding without a
 * sink gives the same result as with one. Seeds: the JS SDK fixtures.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse/otlp.h"

#define FUZZ_NAME "fuzz_otlp"
#include "otlp_check.h"

static int inside(const void *p, size_t n) {
  return n == 0 || fuzz_otlp_in(lo, lo_len, p, n);
}

static void check_value_more(const struct core_otlp_value *v) { (void)v; }

typedef int (*decode_fn)(const void *, size_t, struct core_otlp_scratch *,
                         const struct core_otlp_sink *, const char **);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const decode_fn fns[] = {core_otlp_metrics_decode,
                                  core_otlp_logs_decode,
                                  core_otlp_traces_decode};
  if (size > INPUT_BYTES_MAX)
    return 0;
  uint8_t *buf = malloc(size ? size : 1);
  memcpy(buf, data, size);
  lo = buf;
  lo_len = size;
  for (int i = 0; i < 3; i++) {
    const char *why = NULL, *why2 = NULL;
    int rc = fns[i](buf, size, &scratch, &sink, &why);
    CHECK(rc == 0 || rc == -EBADMSG || rc == -E2BIG);
    CHECK((rc == 0) == (why == NULL));
    CHECK(scratch.items <= CORE_OTLP_ITEMS_MAX);
    CHECK(fns[i](buf, size, &scratch, NULL, &why2) == rc);
    CHECK(why2 == why);
  }
  free(buf);
  return 0;
}
