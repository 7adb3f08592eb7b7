/*
 * tests/unit/tools/test_inspect.c - `sluice inspect` on a segment holding
 * metric and log blocks: both kinds listed and counted, --records prints
 * every record as a JSON line with its fields and attributes, and a
 * damaged log block is reported with the exit status; a compacted
 * segment lists and checks the log and span blocks it carries.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../storage/segment_test_util.h"
#include "../storage/span_test_util.h"
#include "storage/compact.h"
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


/* Compact shard 0 of seg_dir (offline, as `sluice compact`). */
static void compact_shard0(void) {
  struct stor_compact_stats st = {0};
  char path[4200];
  int fd;

  snprintf(path, sizeof(path), "%s/shard-0", seg_dir);
  cr_assert_geq(fd = open(path, O_RDONLY | O_DIRECTORY), 0);
  cr_assert_eq(stor_compact_dir(fd, path, 0, &st, NULL), 0);
  close(fd);
  cr_assert_gt(st.carried_bytes, 0, "the log and span blocks are carried");
}

/* A compacted segment lists its directory line, then the log and span
 * blocks it carries, checked and counted in the summary. */
Test(inspect, compacted_segment_lists_its_log_and_span_blocks) {
  char *argv[] = {"inspect", "--records", "--spans", seg_dir, NULL};

  mixed();
  put_span_block(NULL);
  compact_shard0();
  cr_assert_eq(core_inspect_main(4, argv), 0);
  fflush(stdout);
  FILE *out = cr_get_redirected_stdout();
  char line[1 << 16];
  int dir = 0, logs = 0, spans = 0, recs = 0, span_lines = 0, summary = 0;
  while (fgets(line, sizeof(line), out)) {
    dir += strstr(line, "kind=compacted") && strstr(line, "points=10") &&
           strstr(line, "check=ok");
    logs += strstr(line, "kind=logs shard=0 records=6") &&
            strstr(line, "check=ok");
    spans += strstr(line, "kind=spans shard=0 spans=12") &&
             strstr(line, "check=ok");
    recs += strstr(line, "    {\"time_ns\":") == line;
    span_lines += strstr(line, "    {\"traceId\":\"") == line;
    summary += strstr(line, "summary: segments=1") &&
               strstr(line, "bad=0 points=10") &&
               strstr(line, "log_blocks=1 records=6") &&
               strstr(line, "span_blocks=1 spans=12");
  }
  cr_assert_eq(dir, 1);
  cr_assert_eq(logs, 1);
  cr_assert_eq(spans, 1);
  cr_assert_eq(recs, 6);
  cr_assert_eq(span_lines, 12);
  cr_assert_eq(summary, 1);
}

/* A carried block damaged on disk fails the check with its offset. */
Test(inspect, compacted_segment_with_a_damaged_carried_block_fails) {
  char *argv[] = {"inspect", seg_dir, NULL};
  char path[4200];
  struct stat sb;
  uint8_t byte;
  int fd;

  mixed();
  put_span_block(NULL);
  compact_shard0();
  /* flip a byte near the end: the payload of the last carried block */
  snprintf(path, sizeof(path), "%s/shard-0/%016x.seg", seg_dir, 1);
  cr_assert_geq(fd = open(path, O_RDWR), 0);
  cr_assert_eq(fstat(fd, &sb), 0);
  cr_assert_eq(pread(fd, &byte, 1, sb.st_size - 2), 1);
  byte ^= 4;
  cr_assert_eq(pwrite(fd, &byte, 1, sb.st_size - 2), 1);
  close(fd);
  cr_assert_eq(core_inspect_main(2, argv), 1);
  fflush(stdout);
  FILE *out = cr_get_redirected_stdout();
  char line[1 << 16];
  int dir = 0, good = 0, bad = 0;
  while (fgets(line, sizeof(line), out)) {
    dir += strstr(line, "kind=compacted") && strstr(line, "check=ok");
    good += (strstr(line, "kind=logs") || strstr(line, "kind=spans")) &&
            strstr(line, "check=ok");
    bad += (strstr(line, "kind=logs") || strstr(line, "kind=spans")) &&
           strstr(line, "check=bad CRC32C");
  }
  cr_assert_eq(dir, 1);
  cr_assert_eq(good, 1, "the carried block before the damaged one");
  cr_assert_eq(bad, 1);
}
