/*
 * tests/unit/net/query/test_logmatch.c - log match expressions: parsing (every
 * operator, errors with their offsets, bounds) and evaluation against
 * hand-built log records, and the attribute view of a record.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/query/logmatch.h"

static struct net_logmatch lm;
static struct core_sel_error err;
static struct core_strbuf scratch;

#define S(lit) ((struct core_syslog_str){(lit), (uint32_t)(sizeof(lit) - 1)})

static const struct core_syslog_attr attrs[] = {
    {S("exampleSDID@32473"), S("iut"), S("3")},
    {S("exampleSDID@32473"), S("eventSource"), S("Application")},
    {S("origin"), S(""), S("")},
    {S("meta"), S("tag"), S("a")},
    {S("meta"), S("tag"), S("b,c")},
    {S("a.b"), S("c"), S("dots")},
};

/* host a, app sshd, pid 42, msgid ID7, auth.err, six attributes. */
static struct stor_log_rec rec(void) {
  return (struct stor_log_rec){
      .time_ns = 1, .facility = 4, .severity = 3,
      .host = S("a"), .app = S("sshd"), .procid = S("42"),
      .msgid = S("ID7"), .msg = S("Failed password for root"),
      .attr_count = sizeof(attrs) / sizeof(attrs[0]), .attrs = attrs};
}

static int parse(const char *text) {
  net_logmatch_free(&lm);
  return net_logmatch_parse(&lm, text, strlen(text), &err);
}

/* 1 when text parses and r satisfies it, 0 when it parses and does not. */
static int holds(const char *text, const struct stor_log_rec *r) {
  int rc = parse(text);

  cr_assert_eq(rc, 0, "%s: %s at %zu", text, err.msg, err.pos);
  return net_logmatch_eval(&lm, r, &scratch);
}

static int m(const char *text) {
  struct stor_log_rec r = rec();
  return holds(text, &r);
}

/* text is refused with rc at byte pos, and the message holds `what`. */
static void refused(const char *text, int rc, size_t pos, const char *what) {
  cr_assert_eq(parse(text), rc, "%s: got %s", text, err.msg);
  cr_assert_eq(err.pos, pos, "%s: position %zu (%s), want %zu", text,
               err.pos, err.msg, pos);
  cr_assert(strstr(err.msg, what) != NULL, "%s: \"%s\" lacks \"%s\"", text,
            err.msg, what);
}

static void init(void) { core_strbuf_init(&scratch, 1 << 20); }

static void fini(void) {
  net_logmatch_free(&lm);
  core_strbuf_free(&scratch);
}

TestSuite(logmatch, .init = init, .fini = fini);

Test(logmatch, empty_matches_all) {
  cr_assert(m(""));
  cr_assert(m("   "));
  cr_assert(m("{}"));
  cr_assert(m(" { } "));
  cr_assert_eq(lm.count, 0);
}

Test(logmatch, string_equality) {
  cr_assert(m("{host=\"a\"}"));
  cr_assert_not(m("{host=\"b\"}"));
  cr_assert(m("{host!=\"b\"}"));
  cr_assert_not(m("{host!=\"a\"}"));
  cr_assert(m("{app='sshd', procid=`42`, msgid=\"ID7\"}"));
  cr_assert_not(m("{app=\"ssh\"}"));
  cr_assert(m("{_msg=\"Failed password for root\"}"));
  cr_assert(m("{host=\"a\",}")); /* trailing comma */
}

Test(logmatch, regex_fully_anchored) {
  cr_assert(m("{app=~\"ssh.*\"}"));
  cr_assert_not(m("{app=~\"ssh\"}"));
  cr_assert(m("{app!~\"ssh\"}"));
  cr_assert_not(m("{app!~\"s.*\"}"));
  cr_assert(m("{_msg=~\".*password.*\"}"));
  cr_assert(m("{app=~\"cron|sshd\"}")); /* the group keeps | inside */
  cr_assert_not(m("{app=~\"cron|ssh\"}"));
}

Test(logmatch, absent_is_empty) {
  struct stor_log_rec r = rec();

  r.host = (struct core_syslog_str){NULL, 0};
  r.attr_count = 0;
  cr_assert(holds("{host=\"\"}", &r));
  cr_assert(holds("{host=~\"a?\"}", &r));
  cr_assert_not(holds("{host!=\"\"}", &r));
  cr_assert(holds("{nope=\"\"}", &r));
  cr_assert(holds("{\"exampleSDID@32473.iut\"!=\"3\"}", &r));
  cr_assert_not(m("{nope!=\"\"}"));
}

Test(logmatch, integers_every_operator) {
  /* severity 3 (err), facility 4 (auth) */
  cr_assert(m("{severity=3}"));
  cr_assert_not(m("{severity!=3}"));
  cr_assert(m("{severity<4}"));
  cr_assert_not(m("{severity<3}"));
  cr_assert(m("{severity<=3}"));
  cr_assert_not(m("{severity<=2}"));
  cr_assert(m("{severity>2}"));
  cr_assert_not(m("{severity>3}"));
  cr_assert(m("{severity>=3}"));
  cr_assert_not(m("{severity>=4}"));
  cr_assert(m("{facility=4,severity!=7}"));
  cr_assert(m("{ severity <= 3 , facility >= 0 }"));
  cr_assert(m("{severity=\"3\"}"));
  cr_assert(m("{facility=\"auth\"}"));
}

Test(logmatch, integer_names) {
  cr_assert(m("{severity=err}"));
  cr_assert(m("{severity=error}"));
  cr_assert(m("{severity<=err}"));
  cr_assert(m("{severity<warning}"));
  cr_assert_not(m("{severity<=crit}"));
  cr_assert(m("{facility=auth}"));
  cr_assert_not(m("{facility=authpriv}"));
  cr_assert(m("{facility<local0}"));
  parse("{facility=local7,severity=debug}");
  cr_assert_eq(lm.m[0].num, 23);
  cr_assert_eq(lm.m[1].num, 7);
  parse("{severity=emerg,facility=kern,facility=clock}");
  cr_assert_eq(lm.m[0].num, 0);
  cr_assert_eq(lm.m[1].num, 0);
  cr_assert_eq(lm.m[2].num, 15);
}

Test(logmatch, attributes) {
  cr_assert(m("{\"exampleSDID@32473.iut\"=\"3\"}"));
  cr_assert(m("{exampleSDID@32473.iut=\"3\"}")); /* bare: dots and '@' */
  cr_assert_not(m("{exampleSDID@32473.iut=\"4\"}"));
  cr_assert(m("{exampleSDID@32473.eventSource=~\"App.*\"}"));
  cr_assert(m("{origin=\"\"}"));      /* element without params */
  cr_assert(m("{a.b.c=\"dots\"}"));    /* key built from sdid "a.b" */
  cr_assert(m("{\"host\"=\"a\"}"));    /* quoted fixed name is the field */
  cr_assert_eq(lm.m[0].field, CORE_LM_HOST);
  parse("{x.y=\"1\"}");
  cr_assert_eq(lm.m[0].field, CORE_LM_ATTR);
  cr_assert_eq(lm.m[0].key_len, 3);
  cr_assert_eq(memcmp(lm.keys + lm.m[0].key_off, "x.y", 3), 0);
}

Test(logmatch, repeated_keys_join) {
  cr_assert(m("{meta.tag=\"a,b,c\"}"));
  cr_assert_not(m("{meta.tag=\"a\"}"));
  cr_assert(m("{meta.tag=~\"a,.*\"}"));
}

Test(logmatch, attribute_view) {
  struct stor_log_rec r = rec();
  const char *v;
  size_t n;

  cr_assert(core_logattr_first(&r, 0));
  cr_assert(core_logattr_first(&r, 3));
  cr_assert_not(core_logattr_first(&r, 4));
  n = core_logattr_value(&r, 3, &scratch, &v);
  cr_assert_eq(n, 5);
  cr_assert_eq(memcmp(v, "a,b,c", 5), 0);
  n = core_logattr_value(&r, 4, &scratch, &v); /* later one alone */
  cr_assert_eq(n, 3);
  cr_assert_eq(memcmp(v, "b,c", 3), 0);
  n = core_logattr_value(&r, 2, &scratch, &v);
  cr_assert_eq(n, 0);
  cr_assert_str_eq(v, "");
}

Test(logmatch, join_is_cut_at_scratch_bound) {
  struct core_strbuf small;
  struct stor_log_rec r = rec();
  const char *v;

  core_strbuf_init(&small, 3);
  size_t n = core_logattr_value(&r, 3, &small, &v);
  cr_assert_leq(n, 3);
  core_strbuf_free(&small);
}

Test(logmatch, escapes_and_bytes) {
  struct stor_log_rec r = rec();

  r.msg = S("tab\there \"q\" \xff\x00z");
  cr_assert(holds("{_msg=\"tab\\there \\\"q\\\" \\xff\\x00z\"}", &r));
  /* the whole value is seen past a NUL (REG_STARTEND); `.` is one byte
   * (0xff too) but never NUL, as glibc's POSIX syntax has it */
  cr_assert(holds("{_msg=~\"tab.here \\\"q\\\" .[^a]z\"}", &r));
  cr_assert_not(holds("{_msg=~\"tab.here.*\"}", &r));
  r.msg = S("C:\\dir\\x");
  cr_assert(holds("{_msg=`C:\\dir\\x`}", &r)); /* raw: no escapes */
  cr_assert(holds("{_msg=\"C:\\\\dir\\\\x\"}", &r));
}

Test(logmatch, syntax_errors_name_their_position) {
  refused("host=\"a\"", -EINVAL, 0, "expected '{'");
  refused("{host=\"a\"", -EINVAL, 9, "missing '}'");
  refused("{host \"a\"}", -EINVAL, 6, "expected an operator");
  refused("{host=a}", -EINVAL, 6, "expected a quoted string");
  refused("{host=\"a}", -EINVAL, 6, "unterminated quoted string");
  refused("{host=\"a\" app=\"b\"}", -EINVAL, 10, "expected ',' or '}'");
  refused("{,}", -EINVAL, 1, "expected a field name");
  refused("{host=\"a\"} x", -EINVAL, 11, "after the closing");
  refused("{host<\"a\"}", -EINVAL, 5, "host is a string");
  refused("{severity=~\"3\"}", -EINVAL, 9, "severity is an integer");
  refused("{severity=8}", -EINVAL, 10, "0 to 7");
  refused("{facility=24}", -EINVAL, 10, "0 to 23");
  refused("{severity=loud}", -EINVAL, 10, "unknown severity 'loud'");
  refused("{facility=}", -EINVAL, 10, "expected a number or a name");
  refused("{severity", -EINVAL, 9, "expected an operator");
  refused("{severity=", -EINVAL, 10, "expected a value");
  refused("{\"\"=\"a\"}", -EINVAL, 1, "field name must be 1 to");
}

Test(logmatch, string_errors_from_the_selector_rules) {
  /* escapes and regexes are PromQL's, positions in this text */
  refused("{host=\"a\\qb\"}", -EINVAL, 8, "unknown escape sequence");
  refused("{app=~\"a(\"}", -EINVAL, 1, "bad regex for label app");
  refused("{app=~\"\\\\d+\"}", -EINVAL, 1, "not POSIX");
  refused("{app=~\"(?i)x\"}", -EINVAL, 1, "RE2");
  refused("{\"we\\\"ird\"=~\"(\"}", -EINVAL, 1, "bad regex for label field");
  refused("{\"a\\z\"=\"x\"}", -EINVAL, 3, "unknown escape sequence");
}

Test(logmatch, bounds) {
  char text[NET_SELECTOR_BYTES_MAX + 64];
  size_t n = 0;

  n += (size_t)snprintf(text + n, sizeof(text) - n, "{");
  for (int i = 0; i <= NET_LOGMATCH_MATCHERS_MAX; i++)
    n += (size_t)snprintf(text + n, sizeof(text) - n, "severity<=%d,", i % 8);
  snprintf(text + n, sizeof(text) - n, "}");
  cr_assert_eq(parse(text), -E2BIG);
  cr_assert(strstr(err.msg, "too many matchers") != NULL, "%s", err.msg);
  cr_assert_eq(err.pos, 1 + 12 * (size_t)NET_LOGMATCH_MATCHERS_MAX);

  memset(text, 'x', sizeof(text));
  text[0] = '{';
  cr_assert_eq(net_logmatch_parse(&lm, text, NET_SELECTOR_BYTES_MAX + 1,
                                   &err), -E2BIG);

  /* a value as long as the text allows is refused with its own message */
  n = (size_t)snprintf(text, sizeof(text), "{host=\"");
  memset(text + n, 'v', NET_SELECTOR_BYTES_MAX - n - 2);
  memcpy(text + NET_SELECTOR_BYTES_MAX - 2, "\"}", 3);
  cr_assert_eq(parse(text), -E2BIG);
  cr_assert_eq(err.pos, 6);
  cr_assert(strstr(err.msg, "quoted string too long") != NULL, "%s", err.msg);

  /* an attribute key past KEY_BYTES_MAX (128) is refused */
  memset(text, 'k', 200);
  text[0] = '{';
  memcpy(text + 160, "=\"\"}", 5);
  cr_assert_eq(parse(text), -EINVAL);
  cr_assert(strstr(err.msg, "field name must be 1 to 128") != NULL, "%s",
            err.msg);
}

Test(logmatch, free_is_idempotent) {
  cr_assert_eq(parse("{app=~\"a.*\",host=\"b\"}"), 0);
  net_logmatch_free(&lm);
  net_logmatch_free(&lm);
  cr_assert_eq(lm.count, 0);
}

/* A value that ends exactly where its allocation does (as stored values
 * do in a decoded block): a regex must not read past it, which ASan's
 * regexec interceptor would (it reads up to a NUL, REG_STARTEND or not). */
Test(logmatch, regex_on_a_value_without_a_nul_after_it) {
  struct stor_log_rec r = rec();
  char *msg = malloc(5);

  memcpy(msg, "hello", 5);
  r.msg = (struct core_syslog_str){msg, 5};
  cr_assert(holds("{_msg=~\"hel+o\"}", &r));
  cr_assert_not(holds("{_msg!~\"h.*\"}", &r));
  free(msg);
}
