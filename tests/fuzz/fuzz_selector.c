/*
 * tests/fuzz/fuzz_selector.c - libFuzzer target for the query port's regex
 * bounds (net_regex_check), PromQL selectors (net_selector_parse and
 * match) and log matchers (net_logmatch_parse and eval).
 *
 * The first byte picks what the rest is: a raw ERE, a selector or a log
 * match expression. Every pattern that the bounds let through is
 * compiled by glibc, so one the walk under-counts shows up as a crash of
 * run_fuzz.sh's -rss_limit_mb (512 for this target, meson.build) or its
 * per-input -timeout: that is the point of this target (issue 16).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/limits.h"
#include "net/query/logmatch.h"
#include "net/query/regex_bound.h"
#include "net/query/selector.h"

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "fuzz_selector: %s (line %d)\n", #cond, __LINE__);   \
      abort();                                                             \
    }                                                                      \
  } while (0)

/* Values matched: short enough that a DFA blow-up (bounded by design,
 * NET_REGEX_SUBJECT_BYTES_MAX) does not slow the fuzzer to a crawl. */
#define SUBJECT_BYTES 512

static struct net_selector sel;
static struct net_logmatch lm;
static char subject[SUBJECT_BYTES];

/* The input repeated into subject: values the pattern is likely to hit. */
static size_t fill_subject(const char *t, size_t n) {
  for (size_t i = 0; i < sizeof(subject); i++)
    subject[i] = n ? t[i % n] : 'a';
  return sizeof(subject);
}

static void raw_regex(const char *t, size_t n) {
  struct net_regex_cost cost;
  struct net_regex *r;
  char msg[256];
  int rc = net_regex_check(t, n, &cost, msg, sizeof(msg));

  CHECK(rc == 0 || rc == -E2BIG || rc == -ENOTSUP || rc == -EINVAL);
  CHECK(rc == 0 || strncmp(msg, "regex ", 6) == 0);
  if (rc == 0)
    CHECK(cost.program <= NET_REGEX_PROGRAM_MAX &&
          cost.branches <= NET_REGEX_BRANCHES_MAX &&
          cost.empty_repeats <= NET_REGEX_EMPTY_REPEATS_MAX &&
          cost.depth <= NET_REGEX_DEPTH_MAX);
  int rc2 = net_regex_new(&r, t, n, msg, sizeof(msg));
  CHECK(rc == 0 ? rc2 == 0 || rc2 == -EINVAL || rc2 == -ENOMEM : rc2 == rc);
  if (rc2 != 0)
    return;
  (void)net_regex_match(r, "", 0);
  (void)net_regex_match(r, t, n);
  (void)net_regex_match(r, subject, fill_subject(t, n));
  net_regex_free(r);
}

/* The selector against keys made of the input (NUL-separated tags). */
static void selector(const char *t, size_t n) {
  static const char fixed[] = "web.requests\0env:prod\0host:a\0bare";
  int rc = net_selector_parse(&sel, t, n, &(struct core_sel_error){0});

  CHECK(rc == 0 || rc == -EINVAL || rc == -E2BIG || rc == -ENOMEM);
  if (rc == 0) {
    (void)net_selector_match(&sel, fixed, sizeof(fixed) - 1);
    (void)net_selector_match(&sel, t, n < CORE_SERIES_KEY_BYTES_MAX
                                          ? n : CORE_SERIES_KEY_BYTES_MAX);
  }
  net_selector_free(&sel);
}

static void logmatch(const char *t, size_t n) {
  static const struct core_syslog_attr attrs[] = {
      {{"origin", 6}, {"ip", 2}, {"10.0.0.1", 8}},
      {{"meta", 4}, {"tag", 3}, {"a", 1}},
  };
  struct stor_log_rec r = {
      .time_ns = 1, .facility = 4, .severity = 3,
      .host = {"a", 1}, .app = {"sshd", 4}, .procid = {"42", 2},
      .msgid = {"ID7", 3}, .msg = {subject, (uint32_t)fill_subject(t, n)},
      .attr_count = 2, .attrs = attrs};
  struct core_strbuf scratch;
  int rc = net_logmatch_parse(&lm, t, n, &(struct core_sel_error){0});

  CHECK(rc == 0 || rc == -EINVAL || rc == -E2BIG || rc == -ENOMEM);
  core_strbuf_init(&scratch, 256);
  if (rc == 0)
    (void)net_logmatch_eval(&lm, &r, &scratch);
  core_strbuf_free(&scratch);
  net_logmatch_free(&lm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *t = (const char *)data + 1;

  if (size < 1 || size > NET_SELECTOR_BYTES_MAX + 1)
    return 0;
  switch (data[0] % 3) {
  case 0: raw_regex(t, size - 1); break;
  case 1: selector(t, size - 1); break;
  default: logmatch(t, size - 1); break;
  }
  return 0;
}
