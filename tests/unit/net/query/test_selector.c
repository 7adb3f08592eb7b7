/*
 * tests/unit/net/query/test_selector.c - PromQL series selectors and the label
 * view of canonical series keys.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "net/query/selector.h"

/* A canonical key from a literal with '|' for each '\0'. */
static size_t key_of(const char *lit, char *out) {
  size_t n = strlen(lit);

  for (size_t i = 0; i < n; i++)
    out[i] = lit[i] == '|' ? '\0' : lit[i];
  return n;
}

static struct net_selector sel;
static struct core_sel_error err;

static int parse(const char *text) {
  net_selector_free(&sel);
  return net_selector_parse(&sel, text, strlen(text), &err);
}

/* 1 when text parses and matches the key, 0 when it parses and does not. */
static int match(const char *text, const char *lit) {
  char key[512];
  size_t n = key_of(lit, key);
  int rc = parse(text);

  cr_assert_eq(rc, 0, "%s: %s at %zu", text, err.msg, err.pos);
  return net_selector_match(&sel, key, n);
}

static void fini(void) { net_selector_free(&sel); }

TestSuite(selector, .fini = fini);

Test(selector, bare_name_with_dots) {
  cr_assert(match("web.requests", "web.requests|env:prod"));
  cr_assert_not(match("web.requests", "web.requestsX"));
  cr_assert_not(match("web.requests", "web"));
  cr_assert(match("  api-v2/latency.p99  ", "api-v2/latency.p99"));
  cr_assert(match("a:b", "a:b"));
  cr_assert_eq(sel.count, 1);
  cr_assert_str_eq(sel.text + sel.m[0].name_off, "__name__");
}

Test(selector, equality_and_inequality) {
  const char *k = "web.requests|env:prod|host:a";

  cr_assert(match("web.requests{env=\"prod\"}", k));
  cr_assert_not(match("web.requests{env=\"dev\"}", k));
  cr_assert(match("web.requests{env!=\"dev\"}", k));
  cr_assert_not(match("web.requests{env!=\"prod\"}", k));
  cr_assert(match("{__name__=\"web.requests\",host=\"a\"}", k));
  cr_assert(match("web.requests{missing!=\"x\"}", k));
  cr_assert_not(match("web.requests{missing=\"x\"}", k));
  /* absent is the empty value */
  cr_assert(match("web.requests{missing=\"\"}", k));
  cr_assert_not(match("web.requests{env=\"\"}", k));
}

Test(selector, regex_fully_anchored) {
  const char *k = "web.requests|env:production";

  cr_assert(match("web.requests{env=~\"prod.*\"}", k));
  cr_assert_not(match("web.requests{env=~\"prod\"}", k));
  cr_assert_not(match("web.requests{env=~\"duct\"}", k));
  cr_assert(match("web.requests{env=~\"dev|production\"}", k));
  cr_assert_not(match("web.requests{env=~\"dev|prod\"}", k));
  cr_assert(match("web.requests{env!~\"dev|prod\"}", k));
  cr_assert_not(match("web.requests{env!~\"p.*\"}", k));
  cr_assert(match("{__name__=~\"web\\\\..*\"}", k));
  cr_assert_not(match("{__name__=~\"web\\\\.\"}", k));
  cr_assert(match("{__name__=~\"web[.]req[a-z]+\"}", k));
  /* an unset label is "" for regexes too */
  cr_assert(match("web.requests{x=~\"|a\"}", k));
  cr_assert_not(match("web.requests{x=~\"a+\"}", k));
  cr_assert(match("web.requests{x!~\"a+\"}", k));
}

Test(selector, several_matchers_on_one_label) {
  const char *k = "m|code:404";

  cr_assert(match("m{code=~\"4..\",code!=\"400\"}", k));
  cr_assert_not(match("m{code=~\"4..\",code!=\"404\"}", k));
  cr_assert(match("m{code=~\"4..\",code!~\"40[0-3]\",code=\"404\",}", k));
  cr_assert_eq(sel.count, 4);
}

Test(selector, escapes) {
  char key[64];
  size_t n;

  cr_assert(match("m{k=\"a\\\"b\"}", "m|k:a\"b"));
  cr_assert(match("m{k='a\\'b'}", "m|k:a'b"));
  cr_assert(match("m{k=\"a\\\\b\"}", "m|k:a\\b"));
  cr_assert(match("m{k=`a\\b`}", "m|k:a\\b"));
  cr_assert(match("m{k=\"\\x41\\101\\u00e9\\U0001F600\"}",
                  "m|k:AA\xc3\xa9\xf0\x9f\x98\x80"));
  cr_assert(match("m{k=\"a\\tb\"}", "m|k:a\tb"));
  n = key_of("m|k:a", key);
  key[n - 1] = '\n';
  cr_assert_eq(parse("m{k=\"\\n\"}"), 0);
  cr_assert(match("m{k=`\n`}", "m|k:\n"));
  cr_assert_eq(parse("m{k=\"a\\qb\"}"), -EINVAL);
  cr_assert_eq(err.pos, 6);
  cr_assert(strstr(err.msg, "unknown escape") != NULL, "%s", err.msg);
  cr_assert_eq(parse("m{k='a\\\"b'}"), -EINVAL); /* \" only in "..." */
  cr_assert_eq(parse("m{k=\"\\400\"}"), -EINVAL);
  cr_assert(strstr(err.msg, "255") != NULL);
  cr_assert_eq(parse("m{k=\"\\uD800\"}"), -EINVAL);
  cr_assert_eq(parse("m{k=\"\\x4\"}"), -EINVAL);
  cr_assert_eq(parse("m{k=\"ab\ncd\"}"), -EINVAL);
  cr_assert(strstr(err.msg, "unterminated") != NULL);
}

Test(selector, quoted_names) {
  cr_assert(match("{\"web.requests\"}", "web.requests"));
  cr_assert(match("{\"web.requests\", \"k.x\"=\"1\"}", "web.requests|k.x:1"));
  cr_assert(match("{k.x=\"1\"}", "web|k.x:1"));
  cr_assert_eq(parse("web{\"other\"}"), -EINVAL);
  cr_assert(strstr(err.msg, "twice") != NULL);
  cr_assert_eq(parse("web{__name__=\"other\"}"), -EINVAL);
  cr_assert_eq(err.pos, 4);
  cr_assert(strstr(err.msg, "twice") != NULL);
}

Test(selector, errors_name_their_position) {
  static const struct {
    const char *text;
    size_t pos;
    const char *msg;
  } bad[] = {
      {"", 0, "empty"},
      {"   ", 3, "empty"},
      {"m{", 2, "missing '}'"},
      {"m{k}", 3, "operator"},
      {"m{k==\"v\"}", 3, "operator"},
      {"m{k=v}", 4, "quoted string"},
      {"m{k=\"v\" x=\"y\"}", 8, "expected ','"},
      {"m{k=\"v}", 4, "unterminated"},
      {"m{=\"v\"}", 2, "label name"},
      {"m}", 1, "unexpected '}'"},
      {"m{k=\"v\"} x", 9, "unexpected 'x'"},
      {"m[5m]", 1, "unexpected '['"},
      {"{}", 0, "non-empty matcher"},
      {"{k=\"\"}", 0, "non-empty matcher"},
      {"{k=~\".*\"}", 0, "non-empty matcher"},
      {"{k!~\".+\"}", 0, "non-empty matcher"},
      {"m{k=~\"a(\"}", 2, "bad regex"},
      {"m{k=~\"a)|(b\"}", 2, "unmatched ')'"},
      {"m{k=~\"(?i)a\"}", 2, "RE2"},
      {"m{k=~\"\\\\d+\"}", 2, "[0-9]"},
      {"m{k=~\"a\\x00\"}", 2, "NUL"},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    cr_assert_eq(parse(bad[i].text), -EINVAL, "%s", bad[i].text);
    cr_assert_eq(err.pos, bad[i].pos, "%s: at %zu, not %zu (%s)",
                 bad[i].text, err.pos, bad[i].pos, err.msg);
    cr_assert(strstr(err.msg, bad[i].msg) != NULL, "%s: %s", bad[i].text,
              err.msg);
  }
}

Test(selector, valid_non_empty_rules) {
  cr_assert_eq(parse("{k!=\"\"}"), 0);
  cr_assert_eq(parse("{k=~\".+\"}"), 0);
  cr_assert_eq(parse("{k=\"\",j=\"x\"}"), 0);
  cr_assert_eq(parse("m{}"), 0);
  cr_assert_eq(parse("m{k=~\"[)]\",j=~\"[[:alpha:])]+\"}"), 0,
               "%s", err.msg);
  cr_assert_eq(parse("m{k=~\"\\\\)\"}"), 0, "%s", err.msg);
  cr_assert_eq(parse("m{k=~\"\"}"), 0, "%s", err.msg);
}

Test(selector, bounds) {
  char big[NET_SELECTOR_BYTES_MAX + 2];
  char many[NET_SELECTOR_MATCHERS_MAX * 8 + 8];
  size_t n = 0;

  memset(big, 'a', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  cr_assert_eq(parse(big), -E2BIG);
  n += (size_t)snprintf(many + n, sizeof(many) - n, "m{");
  for (int i = 0; i <= NET_SELECTOR_MATCHERS_MAX; i++)
    n += (size_t)snprintf(many + n, sizeof(many) - n, "k%d=\"\",", i % 10);
  snprintf(many + n, sizeof(many) - n, "}");
  cr_assert_eq(parse(many), -E2BIG);
  cr_assert(strstr(err.msg, "too many") != NULL);
}

Test(selector, label_view) {
  char key[256];
  size_t n = key_of("web|a:1|canary|dc:x|dc:y|empty:|__name__:z|z:q:r", key);
  struct core_label_iter it;
  struct core_label l;
  static const char *want[][2] = {
      {"__name__", "web"}, {"a", "1"},   {"canary", "no_label_value"},
      {"dc", "x,y"},       {"z", "q:r"},
  };
  size_t i = 0;

  core_label_iter_init(&it, key, n);
  while (core_label_next(&it, &l)) {
    cr_assert_lt(i, 5);
    cr_assert_eq(l.name_len, strlen(want[i][0]));
    cr_assert(memcmp(l.name, want[i][0], l.name_len) == 0);
    cr_assert_eq(l.value_len, strlen(want[i][1]), "%zu", i);
    cr_assert(memcmp(l.value, want[i][1], l.value_len) == 0);
    i++;
  }
  cr_assert_eq(i, 5);
  cr_assert(match("web{dc=\"x,y\"}", "web|a:1|dc:x|dc:y"));
  cr_assert(match("web{dc=~\"x,.*\"}", "web|a:1|dc:x|dc:y"));
  cr_assert(match("web{canary=\"no_label_value\"}", "web|canary"));
  cr_assert(match("web{z=\"q:r\"}", "web|z:q:r"));
  cr_assert(match("web{empty=\"\"}", "web|empty:"));
}
