/*
 * tests/unit/tools/test_inspect.c - `sluice inspect` on a segment holding
 * metric and log blocks: both kinds listed and counted, --records prints
 * every record as a JSON line with its fields and attributes, and a
 * damaged log block is reported with the exit status.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <string.h>

#include "../storage/segment_test_util.h"
#include "../storage/span_test_util.h"
#include "storage/logblock.h"
#include "storage/spanblock.h"
#include "tools/inspect.h"

#define T0 INT64_C(1700000000123456789)

static void setup(void) {
  seg_dir_make();
  cr_redirect_stdout();
  cr_redirect_stderr();
}

static void teardown(void) { seg_dir_remove(); }

TestSuite(inspect, .init = setup, .fini = teardown);

static void mixed(void) {
  struct stor_log_rec recs[6];

  for (uint32_t i = 0; i < 6; i++)
    recs[i] = test_rec(i, T0);
  recs[2].msg = S("say \"hi\"\n");
  append_metric(0, 1, 1, 7, "cpu", 10, 1700000000000, 100, 0);
  append_log(0, 1, 2, recs, 6);
}

/* Lines of the redirected stdout holding needle. */
static int count_lines(const char *needle) {
  FILE *out = cr_get_redirected_stdout();
  char line[1024];
  int n = 0;

  while (fgets(line, sizeof(line), out))
    n += strstr(line, needle) != NULL;
  return n;
}

Test(inspect, lists_and_counts_both_kinds) {
  char *argv[] = {"inspect", seg_dir, NULL};

  mixed();
  cr_assert_eq(core_inspect_main(2, argv), 0);
  fflush(stdout);
  FILE *out = cr_get_redirected_stdout();
  char line[1024];
  int metric = 0, logs = 0, summary = 0;
  while (fgets(line, sizeof(line), out)) {
    metric += strstr(line, "kind=metrics") && strstr(line, "points=10") &&
              strstr(line, "check=ok");
    logs += strstr(line, "seq=2 kind=logs shard=0 records=6") &&
            strstr(line, "min=2023-11-14T22:13:20.123456789Z") &&
            strstr(line, "check=ok");
    summary += strstr(line, "summary: segments=1 blocks=2 bad=0 points=10") &&
               strstr(line, "log_blocks=1 records=6");
  }
  cr_assert_eq(metric, 1);
  cr_assert_eq(logs, 1);
  cr_assert_eq(summary, 1);
}

Test(inspect, records_prints_one_json_line_a_record) {
  char *argv[] = {"inspect", "--records", seg_dir, NULL};

  mixed();
  cr_assert_eq(core_inspect_main(3, argv), 0);
  fflush(stdout);
  FILE *out = cr_get_redirected_stdout();
  char line[1024];
  int recs = 0, attrs = 0, escaped = 0;
  while (fgets(line, sizeof(line), out)) {
    recs += strstr(line, "{\"time_ns\":") != NULL;
    attrs += strstr(line, "\"attrs\":{\"origin.ip\":\"10.0.0.1\","
                          "\"meta@1.seq\":\"42\",\"flag@1\":\"\"}") != NULL;
    escaped += strstr(line, "\"msg\":\"say \\\"hi\\\"\\u000a\"}") != NULL;
  }
  cr_assert_eq(recs, 6);
  cr_assert_eq(attrs, 2);   /* records 2 and 5 carry three attributes */
  cr_assert_eq(escaped, 1);
}

Test(inspect, a_damaged_log_block_fails) {
  char *argv[] = {"inspect", seg_dir, NULL};
  uint8_t *b;
  size_t len = log_block(0, 3, (struct stor_log_rec[]){test_rec(0, T0)}, 1,
                         &b);

  mixed();
  b[len - 1] ^= 1;
  seg_append_bytes(0, 1, b, len);
  free(b);
  cr_assert_eq(core_inspect_main(2, argv), 1);
  fflush(stdout);
  cr_assert_eq(count_lines("check=bad CRC32C"), 1);
}

/* Log blocks of both layouts in one segment: each listed with its layout
 * and checked, both counted, and --records reads the old one too. */
Test(inspect, lists_both_log_layouts) {
  char *argv[] = {"inspect", seg_dir, NULL};
  char *rargv[] = {"inspect", "--records", seg_dir, NULL};
  struct stor_log_rec recs[6];
  struct stor_logenc e;
  uint8_t *b = malloc(1u << 20);
  long len;

  for (uint32_t i = 0; i < 6; i++)
    recs[i] = test_rec(i, T0);
  cr_assert_eq(stor_logenc_init(&e, 16), 0);
  cr_assert_eq(stor_logenc_set_layout(&e, STOR_LOG_LAYOUT2), 0);
  stor_logenc_set_templates(&e, 1);
  len = stor_logblock_encode(&e, 0, 1, recs, 6, b, 1u << 20);
  cr_assert_gt(len, 0);
  seg_append_bytes(0, 1, b, (size_t)len);
  len = stor_logblock_encode_v1(&e, 0, 2, recs, 6, b, 1u << 20);
  cr_assert_gt(len, 0);
  seg_append_bytes(0, 1, b, (size_t)len);
  stor_logenc_free(&e);
  free(b);
  cr_assert_eq(core_inspect_main(2, argv), 0);
  fflush(stdout);
  FILE *out = cr_get_redirected_stdout();
  char line[1024];
  int v1 = 0, v2 = 0, summary = 0;
  while (fgets(line, sizeof(line), out)) {
    v2 += strstr(line, "seq=1 kind=logs") && strstr(line, "layout=2 templates=") &&
          strstr(line, "check=ok");
    v1 += strstr(line, "seq=2 kind=logs") && strstr(line, "layout=1") &&
          !strstr(line, "templates=") && strstr(line, "check=ok");
    summary += strstr(line, "log_blocks=2 records=12") &&
               strstr(line, "log_layout1=1");
  }
  cr_assert_eq(v2, 1);
  cr_assert_eq(v1, 1);
  cr_assert_eq(summary, 1);
  cr_assert_eq(core_inspect_main(3, rargv), 0);
}

/* A span block of 12 generated spans (seq 3) appended to shard 0's
 * segment 1; its bytes stay in *out when out is not NULL. */
static size_t put_span_block(uint8_t **out) {
  static struct span_gen g = {.rng = 5};
  struct stor_spanenc e;
  size_t cap = stor_spanblock_bytes_max();
  uint8_t *b = malloc(cap);
  long len;

  cr_assert_not_null(b);
  cr_assert_eq(stor_spanenc_init(&e, 16), 0);
  gen_spans(&g, 12, T0);
  g.spans[0].name = (struct core_otlp_str){"GET /cart", 9};
  len = stor_spanblock_encode(&e, 0, 3, g.spans, 12, g.res, GEN_RES, b, cap);
  stor_spanenc_free(&e);
  cr_assert_gt(len, 0);
  seg_append_bytes(0, 1, b, (size_t)len);
  if (out)
    *out = b;
  else
    free(b);
  return (size_t)len;
}

Test(inspect, lists_checks_and_prints_span_blocks) {
  char *argv[] = {"inspect", "--spans", seg_dir, NULL};

  mixed();
  put_span_block(NULL);
  cr_assert_eq(core_inspect_main(3, argv), 0);
  fflush(stdout);
  FILE *out = cr_get_redirected_stdout();
  char line[1 << 16];
  int block = 0, spans = 0, first = 0, summary = 0;
  while (fgets(line, sizeof(line), out)) {
    block += strstr(line, "seq=3 kind=spans shard=0 spans=12 traces=") &&
             strstr(line, "check=ok");
    spans += strstr(line, "    {\"traceId\":\"") == line;
    first += strstr(line, "\"name\":\"GET /cart\"") != NULL;
    summary += strstr(line, "summary: segments=1 blocks=3 bad=0") &&
               strstr(line, "span_blocks=1 spans=12");
  }
  cr_assert_eq(block, 1);
  cr_assert_eq(spans, 12);
  cr_assert_eq(first, 1);
  cr_assert_eq(summary, 1);
}

Test(inspect, a_damaged_span_block_fails) {
  char *argv[] = {"inspect", seg_dir, NULL};
  uint8_t *b;
  size_t len;

  mixed();
  len = put_span_block(&b);
  b[len - 2] ^= 4;
  seg_append_bytes(0, 1, b, len); /* a second copy, damaged */
  free(b);
  cr_assert_eq(core_inspect_main(2, argv), 1);
  fflush(stdout);
  cr_assert_eq(count_lines("check=bad CRC32C"), 1);
}

