/*
 * tests/unit/net/query/test_regex_bound.c - the NET_REGEX_* bounds: what the
 * walk over an ERE accepts and refuses (with the message an operator
 * sees), what it counts, and compiled regexes: anchoring, NUL bytes, the
 * subject cut and the DFA cache that a fresh compile drops (issue 16).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/limits.h"
#include "net/query/regex_bound.h"
#include "net/query/selector.h"
#include "net/query/logmatch.h"

static char msg[256];
static struct net_regex_cost cost;

static int check(const char *pat) {
  return net_regex_check(pat, strlen(pat), &cost, msg, sizeof(msg));
}

static void accepted(const char *pat) {
  cr_assert_eq(check(pat), 0, "%s refused: %s", pat, msg);
}

/* pat is refused with rc and a message holding each of the parts. */
static void refused(const char *pat, int rc, const char *a, const char *b) {
  int got = check(pat);

  cr_assert_eq(got, rc, "%s: rc %d, want %d (%s)", pat, got, rc, msg);
  cr_assert(strstr(msg, a) != NULL, "%s: \"%s\" lacks \"%s\"", pat, msg, a);
  cr_assert(b == NULL || strstr(msg, b) != NULL, "%s: \"%s\" lacks \"%s\"",
            pat, msg, b);
}

/* c copies of s into a malloc'ed string. */
static char *rep(const char *s, size_t c, const char *pre, const char *post) {
  size_t n = strlen(s), a = strlen(pre), z = strlen(post);
  char *out = malloc(a + n * c + z + 1);

  memcpy(out, pre, a);
  for (size_t i = 0; i < c; i++)
    memcpy(out + a + i * n, s, n);
  memcpy(out + a + n * c, post, z + 1);
  return out;
}

Test(regex_bound, ordinary_regexes_pass) {
  accepted("");
  accepted(".*");
  accepted("web.*");
  accepted("(web|api)-[0-9]+\\.example\\.com");
  accepted("a{1,10}");
  accepted("a{1000}");
  accepted("[[:alpha:]_][[:alnum:]_]{0,63}");
  accepted("(a?){4}");               /* four empty-matching copies: fine */
  accepted("(a*)?(-.*)*");
  cr_assert_eq(check("a{1,10}"), 0);
  cr_assert_eq(cost.program, 20);    /* ten copies of a and their ops */
  cr_assert_eq(cost.branches, 9);    /* nine optional ones */
  cr_assert(!cost.nullable);
}

Test(regex_bound, literal_braces_are_not_repeats) {
  accepted("[{]");
  accepted("\\{");
  accepted("[a{1,1000}{1,1000}]");   /* inside brackets: bytes */
  accepted("[]{1,1000}{1,1000}]");   /* ']' first in a bracket is a byte */
  accepted("[[:digit:]{1,1000}]");
  accepted("\\{1,32767\\}");
  accepted("a{");
  accepted("a{x}");
  accepted("a{1");
  accepted("{1,32767}");             /* nothing to repeat: regcomp decides */
  cr_assert_eq(cost.program, 9);
}

Test(regex_bound, nested_repeats_are_refused) {
  refused("a{1,1000}{1,1000}", -E2BIG,
          "regex a{1,1000}{1,1000}: nested repeats would expand to 2001000 "
          "states, the limit is 8192 (NET_REGEX_PROGRAM_MAX)", NULL);
  refused("(a{1,300}){1,300}", -E2BIG, "nested repeats would expand to",
          "(NET_REGEX_PROGRAM_MAX)");
  refused("x{2}{2}{2}{2}{2}{2}{2}{2}{2}{2}{2}{2}{2}", -E2BIG,
          "would expand to", "(NET_REGEX_PROGRAM_MAX)");
}

/* glibc reads "\\0" inside braces as the digit 0: a{1,100\0}{1,100} is
 * a{1,1000}{1,100} to it (820 MB to compile; found by fuzz_selector). */
Test(regex_bound, backslashes_inside_braces_are_refused) {
  refused("a{1,100\\0}{1,100}", -EINVAL, "a backslash inside the braces",
          "byte 1");
  refused("a{1\\,5}", -EINVAL, "a backslash inside the braces", "byte 1");
  refused("x{\\0}", -EINVAL, "a backslash inside the braces", "byte 1");
  accepted("a\\{1,5\\}");
  accepted("a{1,5}\\.b");
}

Test(regex_bound, bounds_over_the_limit_are_refused) {
  refused("a{1,32767}{1,32767}", -E2BIG,
          "regex a{1,32767}{1,32767}: repeat {1,32767} is over the limit of "
          "1000 (NET_REGEX_REPEAT_MAX)", NULL);
  refused("a{1001}", -E2BIG, "repeat {1001}", "NET_REGEX_REPEAT_MAX");
  refused("a{,99999999999999999999999}", -E2BIG, "NET_REGEX_REPEAT_MAX",
          NULL);
  refused("a{1001,}", -E2BIG, "NET_REGEX_REPEAT_MAX", NULL);
}

Test(regex_bound, branches_and_empty_repeats_are_refused) {
  refused("a{0,1000}", -E2BIG, "1000 alternatives and optional parts",
          "the limit is 700 (NET_REGEX_BRANCHES_MAX)");
  refused("(a|b){0,255}{1,3}", -E2BIG, "(NET_REGEX_BRANCHES_MAX)", NULL);
  refused("(a?){5}", -E2BIG,
          "5 copies of parts that can match the empty string once repeats "
          "are expanded, the limit is 4 (NET_REGEX_EMPTY_REPEATS_MAX)", NULL);
  refused("((a?)?){100}", -E2BIG, "(NET_REGEX_EMPTY_REPEATS_MAX)", NULL);
  refused("(b*){5}", -E2BIG, "(NET_REGEX_EMPTY_REPEATS_MAX)", NULL);
}

/* glibc's compile time is exponential in these: none is taken. */
Test(regex_bound, unbounded_repeats_of_empty_parts_are_refused) {
  refused("(a*)*", -E2BIG, "regex (a*)*: the * at byte 4 repeats without "
          "bound a part that can match the empty string", "(a*)* is a*");
  refused("x(a|)+", -E2BIG, "the + at byte 5", NULL);
  refused("(a?){2,}", -E2BIG, "the {2,} at byte 4", NULL);
  refused("a**", -E2BIG, "the * at byte 2", NULL);
  refused("((a*)*){40}", -E2BIG, "the * at byte 5", NULL);
  refused("(^)*", -E2BIG, "the * at byte 3", NULL);
}

Test(regex_bound, depth_length_and_back_references) {
  char *deep = rep("(", NET_REGEX_DEPTH_MAX + 1, "", "");
  char *ok = rep("(", NET_REGEX_DEPTH_MAX, "", "a");
  char *lng = rep("a", NET_REGEX_BYTES_MAX + 1, "", "");

  refused(deep, -E2BIG, "the limit is 32 (NET_REGEX_DEPTH_MAX)", NULL);
  accepted(ok);
  cr_assert_eq(cost.depth, NET_REGEX_DEPTH_MAX);
  refused(lng, -E2BIG, "4097 bytes, the limit is 4096 (NET_REGEX_BYTES_MAX)",
          "...");
  refused("(a)\\1", -ENOTSUP, "back-references (\\1) are not supported",
          NULL);
  /* it would close the anchoring ^( and expose a{0,700} of an empty
   * group ((){0,700}: 680 MB), found by fuzz_selector */
  refused("){0,700}", -EINVAL, "unmatched ')' at byte 0", NULL);
  refused("a)|(b", -EINVAL, "unmatched ')' at byte 1", NULL);
  free(deep);
  free(ok);
  free(lng);
}

/* A Grafana-style list of 500 values is not a repeat: it passes. */
Test(regex_bound, long_alternations_pass) {
  char *alt = malloc(500 * 8 + 1);
  size_t n = 0;

  for (int i = 0; i < 500; i++)
    n += (size_t)snprintf(alt + n, 9, "%shost%02d", i ? "|" : "", i % 100);
  accepted(alt);
  cr_assert_eq(cost.branches, 499);
  free(alt);
}

Test(regex_bound, compiled_regexes_are_anchored) {
  struct net_regex *r;

  cr_assert_eq(net_regex_new(&r, "a.c|x", 5, msg, sizeof(msg)), 0, "%s",
               msg);
  cr_assert(net_regex_match(r, "abc", 3));
  cr_assert(net_regex_match(r, "x", 1));
  cr_assert_not(net_regex_match(r, "abcd", 4));
  cr_assert_not(net_regex_match(r, "xabc", 4));
  cr_assert_not(net_regex_match(r, "x\0", 2)); /* the whole value, NUL
                                                  bytes included */
  net_regex_free(r);
  cr_assert_eq(net_regex_new(&r, "a{1,1000}{1,1000}", 17, msg,
                             sizeof(msg)), -E2BIG);
  cr_assert_null(r);
  cr_assert_eq(net_regex_new(&r, "a(", 2, msg, sizeof(msg)), -EINVAL);
  cr_assert(strstr(msg, "(") != NULL, "%s", msg);
  cr_assert_eq(net_regex_new(&r, "a\0b", 3, msg, sizeof(msg)), -EINVAL);
  net_regex_free(NULL);
}

/* A regex sees NET_REGEX_SUBJECT_BYTES_MAX bytes of a value. */
Test(regex_bound, long_values_are_cut) {
  size_t n = NET_REGEX_SUBJECT_BYTES_MAX + 100;
  char *v = malloc(n);
  struct net_regex *r;

  memset(v, 'a', n);
  v[n - 1] = 'b';
  cr_assert_eq(net_regex_new(&r, "a*", 2, msg, sizeof(msg)), 0);
  cr_assert(net_regex_match(r, v, n));   /* the 'b' is past the cut */
  net_regex_free(r);
  cr_assert_eq(net_regex_new(&r, ".*b.*", 5, msg, sizeof(msg)), 0);
  cr_assert_not(net_regex_match(r, v, n));
  cr_assert(net_regex_match(r, v + 200, n - 200));
  net_regex_free(r);
  free(v);
}

/* Under ASan freed memory waits in a quarantine before reuse, so the
 * peak RSS would measure it: there the allocator's live bytes count. */
#if defined(__SANITIZE_ADDRESS__)
#define LIVE_BYTES_KNOWN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LIVE_BYTES_KNOWN 1
#endif
#endif
#ifdef LIVE_BYTES_KNOWN
size_t __sanitizer_get_current_allocated_bytes(void); /* the ASan runtime's
                                           (its header is not installed) */
#endif

static long status_kb(const char *field) {
  char line[256];
  long v = -1;
  FILE *f = fopen("/proc/self/status", "r");

  while (f && fgets(line, sizeof(line), f))
    if (strncmp(line, field, strlen(field)) == 0)
      v = atol(line + strlen(field));
  if (f)
    fclose(f);
  return v;
}

/* KB the memory grew by since VmHWM was hwm0 (ASan: the live bytes). */
static long grown_kb(long hwm0) {
#ifdef LIVE_BYTES_KNOWN
  (void)hwm0;
  return (long)(__sanitizer_get_current_allocated_bytes() >> 10);
#else
  return status_kb("VmHWM:") - hwm0;
#endif
}

/*
 * `.*a.{20}.*` has a DFA of 2^21 states and glibc caches each one it
 * builds (about 4 KiB): 20 random 4 KiB values took 300+ MB and 40 s
 * before the regex was compiled afresh as its cache grew.
 */
Test(regex_bound, dfa_cache_is_dropped, .timeout = 60) {
  static char v[NET_REGEX_SUBJECT_BYTES_MAX];
  struct net_regex *r;
  long grew = 0, hwm0 = status_kb("VmHWM:");
  unsigned seed = 1;

  cr_assert_eq(net_regex_new(&r, ".*a.{20}.*", 10, msg, sizeof(msg)), 0);
  for (int i = 0; i < 20; i++) {
    for (size_t j = 0; j < sizeof(v); j++)
      v[j] = (rand_r(&seed) & 1) ? 'a' : 'b';
    cr_assert(net_regex_match(r, v, sizeof(v)));
    long now = grown_kb(hwm0);
    grew = now > grew ? now : grew;
  }
  cr_assert_gt(r->recompiles, 0);
  cr_assert_lt(grew, 150 * 1024, "peak grew %ld KB", grew);
  net_regex_free(r);
}

/* Both parsers refuse the selectors with the limit named. */
Test(regex_bound, selector_and_log_matcher_refuse) {
  static struct net_selector sel;
  static struct net_logmatch lm;
  struct core_sel_error err;
  const char *s = "{__name__=~\"a{1,1000}{1,1000}\"}";
  const char *l = "{_msg=~\"a{1,32767}{1,32767}\", host=\"a\"}";

  cr_assert_eq(net_selector_parse(&sel, s, strlen(s), &err), -E2BIG);
  cr_assert_str_eq(err.msg, "label __name__: regex a{1,1000}{1,1000}: "
                   "nested repeats would expand to 2001000 states, the limit "
                   "is 8192 (NET_REGEX_PROGRAM_MAX)");
  net_selector_free(&sel);
  cr_assert_eq(net_logmatch_parse(&lm, l, strlen(l), &err), -E2BIG);
  cr_assert(strstr(err.msg, "repeat {1,32767} is over the limit of 1000 "
                   "(NET_REGEX_REPEAT_MAX)") != NULL, "%s", err.msg);
  cr_assert_eq(err.pos, 1);
  net_logmatch_free(&lm);
  s = "{job=~\"(a)\\\\1\"}";
  cr_assert_eq(net_selector_parse(&sel, s, strlen(s), &err), -EINVAL);
  cr_assert(strstr(err.msg, "back-references") != NULL, "%s", err.msg);
  net_selector_free(&sel);
}

/* Past the deadline a match is skipped (false) and says so. */
Test(regex_bound, deadline_skips_matches) {
  struct net_regex *r;

  cr_assert_eq(net_regex_new(&r, "a", 1, msg, sizeof(msg)), 0);
  net_regex_deadline(1);              /* 1 ms after boot: long past */
  cr_assert_not(net_regex_match(r, "a", 1));
  cr_assert(net_regex_expired());
  net_regex_deadline(0);              /* none */
  cr_assert_not(net_regex_expired());
  cr_assert(net_regex_match(r, "a", 1));
  cr_assert_not(net_regex_expired());
  net_regex_free(r);
}
