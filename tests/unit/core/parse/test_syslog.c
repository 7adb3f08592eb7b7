/*
 * tests/unit/core/parse/test_syslog.c - the syslog message parser (RFC 5424,
 * RFC 3164 and the variants of real senders).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse/syslog.h"
#include "simd/simd.h"

/* 2026-11-21T18:14:08Z: the receive time of most tests. */
#define NOW_MS 1795284848000ll
#define NOW_NS (NOW_MS * 1000000)
#define S_NS 1000000000ll

static struct core_syslog_rec rec;
static char scratch[1 << 16];
static char *msgbuf; /* the message last parsed, exactly its length */

/* Parse a C string received at now_ms, from a heap copy of exactly its
 * length (so that a read past the end shows under ASan). The record
 * points into that copy until the next parse. */
static enum core_syslog_err parse_at(const char *s, int64_t now_ms) {
  size_t n = strlen(s);
  cr_assert_leq(n, sizeof(scratch));
  free(msgbuf);
  msgbuf = malloc(n ? n : 1);
  cr_assert_not_null(msgbuf);
  memcpy(msgbuf, s, n);
  return core_syslog_parse(msgbuf, n, now_ms, scratch, &rec);
}

static enum core_syslog_err parse(const char *s) { return parse_at(s, NOW_MS); }

static void ok(const char *s) {
  enum core_syslog_err err = parse(s);
  cr_assert_eq(err, CORE_SYSLOG_OK, "\"%s\": %s", s,
               core_syslog_reason_name(err));
  cr_assert_eq(rec.err, CORE_SYSLOG_OK);
  cr_assert_eq(rec.flags & CORE_SYSLOG_F_PARSE_ERROR, 0);
}

/* Parse and require reason `want`, and what a failed record promises. */
static void bad(const char *s, enum core_syslog_err want) {
  enum core_syslog_err err = parse(s);
  cr_assert_eq(err, want, "\"%s\": got %s, want %s", s,
               core_syslog_reason_name(err), core_syslog_reason_name(want));
  cr_assert_eq(rec.err, want);
  cr_assert(rec.flags & CORE_SYSLOG_F_PARSE_ERROR);
  cr_assert_eq(rec.time_ns, NOW_NS);
  cr_assert_eq(rec.msg.ptr, rec.raw.ptr);
  cr_assert_eq(rec.msg.len, rec.raw.len);
  cr_assert_eq(rec.hostname.len + rec.app_name.len + rec.procid.len +
                   rec.msgid.len + rec.attr_count,
               0);
}

static void str_is(struct core_syslog_str s, const char *want,
                   const char *what) {
  if (want == NULL) {
    cr_assert_eq(s.len, 0, "%s: want absent, got \"%.*s\"", what, (int)s.len,
                 s.ptr);
    return;
  }
  cr_assert_eq(s.len, strlen(want), "%s: got \"%.*s\" want \"%s\"", what,
               (int)s.len, s.ptr, want);
  cr_assert(memcmp(s.ptr, want, s.len) == 0, "%s: got \"%.*s\" want \"%s\"",
            what, (int)s.len, s.ptr, want);
}

static void header_is(const char *host, const char *app, const char *procid,
                      const char *msgid, const char *msg) {
  str_is(rec.hostname, host, "hostname");
  str_is(rec.app_name, app, "app_name");
  str_is(rec.procid, procid, "procid");
  str_is(rec.msgid, msgid, "msgid");
  str_is(rec.msg, msg, "msg");
}

static void attr_is(uint32_t i, const char *sdid, const char *name,
                    const char *value) {
  cr_assert_lt(i, rec.attr_count);
  str_is(rec.attrs[i].sdid, sdid, "sdid");
  str_is(rec.attrs[i].name, name, "param name");
  str_is(rec.attrs[i].value, value, "param value");
}

static void pri_is(int facility, int severity) {
  cr_assert_eq(rec.facility, facility);
  cr_assert_eq(rec.severity, severity);
}

/* ---- RFC 5424 section 6.5 ------------------------------------------- */

Test(syslog_5424, rfc_example_1) {
  ok("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
     "\xEF\xBB\xBF'su root' failed for lonvick on /dev/pts/8");
  cr_assert_eq(rec.format, CORE_SYSLOG_FMT_RFC5424);
  pri_is(4, 2);
  cr_assert_eq(rec.time_ns, 1065910455003000000ll);
  header_is("mymachine.example.com", "su", NULL, "ID47",
            "'su root' failed for lonvick on /dev/pts/8");
  cr_assert_eq(rec.attr_count, 0);
  cr_assert_eq(rec.flags, CORE_SYSLOG_F_BOM);
}

Test(syslog_5424, rfc_example_2) {
  ok("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - "
     "%% It's time to make the do-nuts.");
  pri_is(20, 5);
  cr_assert_eq(rec.time_ns, 1061727255000003000ll);
  header_is("192.0.2.1", "myproc", "8710", NULL,
            "%% It's time to make the do-nuts.");
  cr_assert_eq(rec.flags, 0);
}

Test(syslog_5424, rfc_example_3) {
  ok("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
     "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" "
     "eventID=\"1011\"] \xEF\xBB\xBF"
     "An application event log entry...");
  header_is("mymachine.example.com", "evntslog", NULL, "ID47",
            "An application event log entry...");
  cr_assert_eq(rec.attr_count, 3);
  attr_is(0, "exampleSDID@32473", "iut", "3");
  attr_is(1, "exampleSDID@32473", "eventSource", "Application");
  attr_is(2, "exampleSDID@32473", "eventID", "1011");
  cr_assert(rec.flags & CORE_SYSLOG_F_BOM);
}

Test(syslog_5424, rfc_example_4_no_msg) {
  ok("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
     "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" "
     "eventID=\"1011\"][examplePriority@32473 class=\"high\"]");
  cr_assert_eq(rec.attr_count, 4);
  attr_is(3, "examplePriority@32473", "class", "high");
  str_is(rec.msg, NULL, "msg");
}

/* ---- real senders ------------------------------------------------------ */

Test(syslog_senders, logger_rfc5424) {
  ok("<13>1 2026-11-21T18:14:09.015996+00:00 vm myapp - - [timeQuality "
     "tzKnown=\"1\" isSynced=\"0\"] hello 5424");
  cr_assert_eq(rec.time_ns, (NOW_MS + 1000) * 1000000 + 15996000);
  header_is("vm", "myapp", NULL, NULL, "hello 5424");
  attr_is(0, "timeQuality", "tzKnown", "1");
  attr_is(1, "timeQuality", "isSynced", "0");
}

Test(syslog_senders, logger_rfc5424_sd_id_and_escape) {
  ok("<13>1 2026-11-21T18:14:09.026995+00:00 vm myapp - - [timeQuality "
     "tzKnown=\"1\" isSynced=\"0\"][zoo@123 tiger=\"hungry\" q=\"a\\\"b\"] "
     "hello sd");
  cr_assert_eq(rec.attr_count, 4);
  attr_is(2, "zoo@123", "tiger", "hungry");
  attr_is(3, "zoo@123", "q", "a\"b");
  str_is(rec.msg, "hello sd", "msg");
}

Test(syslog_senders, logger_rfc5424_notime_nohost_msgid) {
  ok("<13>1 - - myapp - - - hello nil");
  cr_assert_eq(rec.time_ns, NOW_NS);
  cr_assert(rec.flags & CORE_SYSLOG_F_NO_TIME);
  header_is(NULL, "myapp", NULL, NULL, "hello nil");
  ok("<13>1 2026-11-21T18:14:09.019635+00:00 vm myapp - ID47 - hello notq");
  header_is("vm", "myapp", NULL, "ID47", "hello notq");
}

Test(syslog_senders, logger_rfc3164) {
  ok("<13>Nov 21 18:14:08 vm myapp: hello 3164");
  cr_assert_eq(rec.format, CORE_SYSLOG_FMT_RFC3164);
  pri_is(1, 5);
  cr_assert_eq(rec.time_ns, NOW_NS);
  header_is("vm", "myapp", NULL, NULL, "hello 3164");
  cr_assert_eq(rec.flags, 0);
  ok("<13>Nov 21 18:14:09 vm myapp[18131]: hello 3164 pid");
  header_is("vm", "myapp", "18131", NULL, "hello 3164 pid");
  cr_assert_eq(rec.time_ns, NOW_NS + S_NS);
}

Test(syslog_senders, rsyslog_forward_format) {
  /* RSYSLOG_ForwardFormat: BSD layout with an RFC 3339 timestamp */
  ok("<30>2026-11-21T19:14:08.123456+01:00 web-1 systemd[1]: Started x.");
  cr_assert_eq(rec.format, CORE_SYSLOG_FMT_RFC3164);
  pri_is(3, 6);
  cr_assert_eq(rec.time_ns, NOW_NS + 123456000);
  header_is("web-1", "systemd", "1", NULL, "Started x.");
}

Test(syslog_senders, rsyslog_traditional_and_protocol23) {
  ok("<86>Nov 21 18:14:08 web-1 sshd[812]: Accepted publickey for root");
  pri_is(10, 6);
  header_is("web-1", "sshd", "812", NULL, "Accepted publickey for root");
  /* RSYSLOG_SyslogProtocol23Format ends with LF */
  ok("<86>1 2026-11-21T18:14:08.5Z web-1 sshd 812 - - Accepted\n");
  cr_assert_eq(rec.time_ns, NOW_NS + 500000000);
  header_is("web-1", "sshd", "812", NULL, "Accepted");
  str_is(rec.raw, "<86>1 2026-11-21T18:14:08.5Z web-1 sshd 812 - - Accepted",
         "raw");
}

Test(syslog_senders, tag_variants) {
  ok("<13>Nov 21 18:14:08 vm postfix/smtpd[42]:no space");
  header_is("vm", "postfix/smtpd", "42", NULL, "no space");
  ok("<13>Nov 21 18:14:08 vm cron[7] no colon");
  header_is("vm", "cron", "7", NULL, "no colon");
  ok("<13>Nov 21 18:14:08 vm just words here");
  header_is("vm", NULL, NULL, NULL, "just words here");
  ok("<13>Nov 21 18:14:08 fe80::1 app: v6 host");
  header_is("fe80::1", "app", NULL, NULL, "v6 host");
  char m[600];
  memset(m, 'h', sizeof(m));
  memcpy(m, "<13>Nov 21 18:14:08 ", 20);
  memcpy(m + 20 + CORE_SYSLOG_HOSTNAME_BYTES_MAX, " a: x", 6);
  ok(m);
  cr_assert_eq(rec.hostname.len, CORE_SYSLOG_HOSTNAME_BYTES_MAX);
  memcpy(m + 20 + CORE_SYSLOG_HOSTNAME_BYTES_MAX, "h a: x", 7);
  ok(m); /* a longer word is not a hostname: message */
  str_is(rec.hostname, NULL, "hostname");
  cr_assert_eq(rec.msg.len, CORE_SYSLOG_HOSTNAME_BYTES_MAX + 1 + 5);
  ok("<13>Nov 21 18:14:08 vm app[]: empty pid");
  header_is("vm", NULL, NULL, NULL, "app[]: empty pid");
  /* a tag over 48 bytes is message text */
  ok("<13>Nov 21 18:14:08 vm "
     "a234567890123456789012345678901234567890123456789: x");
  str_is(rec.app_name, NULL, "app");
  ok("<13>Nov 21 18:14:08 vm "
     "a23456789012345678901234567890123456789012345678: x");
  cr_assert_eq(rec.app_name.len, 48);
}

/* ---- RFC 3164 ---------------------------------------------------------- */

Test(syslog_3164, rfc_examples) {
  ok("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on "
     "/dev/pts/8");
  pri_is(4, 2);
  cr_assert_eq(rec.time_ns, 1791756855ll * S_NS);
  header_is("mymachine", "su", NULL, NULL,
            "'su root' failed for lonvick on /dev/pts/8");

  ok("<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!");
  cr_assert_eq(rec.time_ns, 1770312738ll * S_NS);
  header_is("10.0.0.99", NULL, NULL, NULL, "Use the BFG!");

  ok("<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's time to "
     "make the do-nuts.  %%  Ingredients: Mix=OK, Jelly=OK # Devices: "
     "Mixer=OK, Jelly_Injector=OK, Frier=OK # Transport: Conveyer1=OK, "
     "Conveyer2=OK # %%");
  pri_is(20, 5);
  cr_assert_eq(rec.time_ns, 1787549640ll * S_NS);
  str_is(rec.hostname, "CST", "hostname");
  str_is(rec.app_name, NULL, "app");
  cr_assert_eq(memcmp(rec.msg.ptr, "1987 mymachine myproc[10]: %%", 29), 0);

  /* no valid TIMESTAMP: everything after the PRI is content */
  ok("<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 "
     "sched[0]: That's All Folks!");
  pri_is(0, 0);
  cr_assert(rec.flags & CORE_SYSLOG_F_NO_TIME);
  cr_assert_eq(rec.time_ns, NOW_NS);
  header_is(NULL, NULL, NULL, NULL,
            "1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 "
            "sched[0]: That's All Folks!");

  ok("<0>Oct 22 10:52:12 scapegoat 1990 Oct 22 10:50:01 10.1.2.3 sched[0]: "
     "That's All Folks!");
  cr_assert_eq(rec.time_ns, 1792666332ll * S_NS);
  header_is("scapegoat", NULL, NULL, NULL,
            "1990 Oct 22 10:50:01 10.1.2.3 sched[0]: That's All Folks!");
}

Test(syslog_3164, no_pri) {
  ok("Use the BFG!");
  cr_assert_eq(rec.format, CORE_SYSLOG_FMT_RFC3164);
  pri_is(1, 5);
  cr_assert_eq(rec.flags, CORE_SYSLOG_F_NO_PRI | CORE_SYSLOG_F_NO_TIME);
  header_is(NULL, NULL, NULL, NULL, "Use the BFG!");
  ok("Nov 21 18:14:08 vm app: no pri but a header");
  cr_assert_eq(rec.flags, CORE_SYSLOG_F_NO_PRI);
  header_is("vm", "app", NULL, NULL, "no pri but a header");
}

Test(syslog_3164, missing_hostname) {
  ok("<34>Oct 11 22:14:15 su: 'su root' failed");
  header_is(NULL, "su", NULL, NULL, "'su root' failed");
  ok("<34>Oct 11 22:14:15 cron[42]: job");
  header_is(NULL, "cron", "42", NULL, "job");
  ok("<13>myapp: no timestamp, no host");
  header_is(NULL, "myapp", NULL, NULL, "no timestamp, no host");
  /* one word after the timestamp is message, not a hostname */
  ok("<13>Nov 21 18:14:08 lonely");
  header_is(NULL, NULL, NULL, NULL, "lonely");
  ok("<13>Nov 21 18:14:08");
  header_is(NULL, NULL, NULL, NULL, NULL);
  cr_assert_eq(rec.time_ns, NOW_NS);
  cr_assert_eq(rec.flags & CORE_SYSLOG_F_NO_TIME, 0);
}

Test(syslog_3164, day_forms_and_fraction) {
  ok("<13>Nov  1 00:00:00 h a: x");
  int64_t t1 = rec.time_ns;
  ok("<13>Nov 01 00:00:00 h a: x");
  cr_assert_eq(rec.time_ns, t1);
  ok("<13>Nov 1 00:00:00 h a: x");
  cr_assert_eq(rec.time_ns, t1);
  ok("<13>nov 21 18:14:08.250 h a: x");
  cr_assert_eq(rec.time_ns, NOW_NS + 250000000);
  header_is("h", "a", NULL, NULL, "x");
  /* not a timestamp: kept as message */
  ok("<13>Nov 32 00:00:00 h a: x");
  cr_assert(rec.flags & CORE_SYSLOG_F_NO_TIME);
  str_is(rec.msg, "Nov 32 00:00:00 h a: x", "msg");
  ok("<13>Nov 21 24:00:00 h a: x");
  cr_assert(rec.flags & CORE_SYSLOG_F_NO_TIME);
  ok("<13>Xyz 21 18:14:08 h a: x");
  cr_assert(rec.flags & CORE_SYSLOG_F_NO_TIME);
}

Test(syslog_3164, year_nearest_to_receive_time) {
  /* received 2026-01-01T00:00:01Z: "Dec 31" is last year */
  cr_assert_eq(parse_at("<13>Dec 31 23:59:59 h a: x", 1767225601000ll), 0);
  cr_assert_eq(rec.time_ns, 1767225599ll * S_NS);
  /* received 2026-12-31T23:59:59Z: "Jan  1" is next year */
  cr_assert_eq(parse_at("<13>Jan  1 00:00:01 h a: x", 1798761599000ll), 0);
  cr_assert_eq(rec.time_ns, 1798761601ll * S_NS);
  /* Feb 29 exists only in a leap year near the receive time */
  cr_assert_eq(parse_at("<13>Feb 29 12:00:00 h a: x", 1709294400000ll), 0);
  cr_assert_eq(rec.time_ns, 1709208000ll * S_NS);
  cr_assert_eq(parse("<13>Feb 29 12:00:00 h a: x"), 0);
  cr_assert(rec.flags & CORE_SYSLOG_F_NO_TIME);
}

/* ---- structured data --------------------------------------------------- */

Test(syslog_sd, escapes) {
  const char *m = "<13>1 - h a - - [x@1 q=\"say \\\"hi\\\"\" b=\"c:\\\\tmp\" "
                  "r=\"[a\\]\" o=\"\\n\\t\" e=\"\" plain=\"v\"] m";
  ok(m);
  cr_assert_eq(rec.attr_count, 6);
  attr_is(0, "x@1", "q", "say \"hi\"");
  attr_is(1, "x@1", "b", "c:\\tmp");
  attr_is(2, "x@1", "r", "[a]");
  attr_is(3, "x@1", "o", "\\n\\t"); /* other escapes are kept as sent */
  cr_assert_eq(rec.attrs[4].value.len, 0);
  attr_is(5, "x@1", "plain", "v");
  /* unescaped values point into the message, the others into scratch */
  cr_assert(rec.attrs[5].value.ptr >= msgbuf &&
            rec.attrs[5].value.ptr < msgbuf + strlen(m));
  cr_assert(rec.attrs[0].value.ptr >= scratch &&
            rec.attrs[0].value.ptr < scratch + strlen(m));
  str_is(rec.msg, "m", "msg");
}

Test(syslog_sd, unescaped_bracket_and_backslash_at_end) {
  ok("<13>1 - h a - - [x@1 v=\"a]b\"] m");
  attr_is(0, "x@1", "v", "a]b");
  ok("<13>1 - h a - - [x@1 v=\"a\\\\\"] m");
  attr_is(0, "x@1", "v", "a\\");
}

Test(syslog_sd, elements_without_params_and_repeats) {
  ok("<13>1 - h a - - [origin][meta x=\"1\" x=\"2\"][empty]");
  cr_assert_eq(rec.attr_count, 4);
  attr_is(0, "origin", NULL, NULL);
  attr_is(1, "meta", "x", "1");
  attr_is(2, "meta", "x", "2");
  attr_is(3, "empty", NULL, NULL);
  char key[2 * CORE_SYSLOG_SD_NAME_BYTES_MAX + 1];
  size_t n = core_syslog_attr_key(&rec.attrs[0], key, sizeof(key));
  cr_assert_eq(n, 6);
  cr_assert(memcmp(key, "origin", 6) == 0);
  n = core_syslog_attr_key(&rec.attrs[1], key, sizeof(key));
  cr_assert_eq(n, 6);
  cr_assert(memcmp(key, "meta.x", 6) == 0);
  memset(key, '#', sizeof(key));
  cr_assert_eq(core_syslog_attr_key(&rec.attrs[1], key, 5), 6);
  cr_assert_eq(key[0], '#', "nothing written when it does not fit");
}

Test(syslog_sd, bound_on_attributes) {
  char m[4096];
  int n = snprintf(m, sizeof(m), "<13>1 - h a - - [x@1");
  for (int i = 0; i < CORE_SYSLOG_SD_ATTRS_MAX; i++)
    n += snprintf(m + n, sizeof(m) - (size_t)n, " p%d=\"%d\"", i, i);
  snprintf(m + n, sizeof(m) - (size_t)n, "] msg");
  ok(m);
  cr_assert_eq(rec.attr_count, CORE_SYSLOG_SD_ATTRS_MAX);
  attr_is(CORE_SYSLOG_SD_ATTRS_MAX - 1, "x@1", "p63", "63");
  snprintf(m + n, sizeof(m) - (size_t)n, " extra=\"1\"] msg");
  bad(m, CORE_SYSLOG_ERR_TOO_MANY_SD);
  snprintf(m + n, sizeof(m) - (size_t)n, "][more] msg");
  bad(m, CORE_SYSLOG_ERR_TOO_MANY_SD);
}

Test(syslog_sd, malformed) {
  bad("<13>1 - h a - - x msg", CORE_SYSLOG_ERR_BAD_SD);
  bad("<13>1 - h a - - [x@1 v=1] msg", CORE_SYSLOG_ERR_BAD_SD);
  bad("<13>1 - h a - - [x@1 v=\"1\"", CORE_SYSLOG_ERR_BAD_SD);
  bad("<13>1 - h a - - [x@1 v=\"1", CORE_SYSLOG_ERR_BAD_SD);
  bad("<13>1 - h a - - [x@1 v=\"1\\\"]", CORE_SYSLOG_ERR_BAD_SD);
  bad("<13>1 - h a - - [ v=\"1\"]", CORE_SYSLOG_ERR_BAD_SD);
  bad("<13>1 - h a - - [x@1 =\"1\"]", CORE_SYSLOG_ERR_BAD_SD);
  bad("<13>1 - h a - - [x@1 v=\"1\"]msg", CORE_SYSLOG_ERR_BAD_SD);
  bad("<13>1 - h a - - [x@1  v=\"1\"]", CORE_SYSLOG_ERR_BAD_SD);
  bad("<13>1 - h a - - -msg", CORE_SYSLOG_ERR_BAD_SD);
  bad("<13>1 - h a - - [x@1 v=\"1\"]] m", CORE_SYSLOG_ERR_BAD_SD);
  bad("<13>1 - h a - - [abcdefghijabcdefghijabcdefghij123] m",
      CORE_SYSLOG_ERR_BAD_SD);
  ok("<13>1 - h a - - [abcdefghijabcdefghijabcdefghij12] m");
  /* after SD and its SP, anything is message */
  ok("<13>1 - h a - - [x@1 v=\"1\"] [y]");
  str_is(rec.msg, "[y]", "msg");
}


/* ---- NILVALUEs, BOM, UTF-8 --------------------------------------------- */

Test(syslog_5424, nilvalues_everywhere) {
  ok("<13>1 - - - - - -");
  header_is(NULL, NULL, NULL, NULL, NULL);
  cr_assert_eq(rec.attr_count, 0);
  cr_assert_eq(rec.flags, CORE_SYSLOG_F_NO_TIME);
  cr_assert_eq(rec.time_ns, NOW_NS);
  ok("<13>1 - - - - - - ");
  header_is(NULL, NULL, NULL, NULL, NULL);
  ok("<13>1 - - - - - - -");
  header_is(NULL, NULL, NULL, NULL, "-");
  /* "--" is a value, not NILVALUE */
  ok("<13>1 - -- -- -- -- -");
  header_is("--", "--", "--", "--", NULL);
}

Test(syslog_5424, bom) {
  ok("<13>1 - h a - - - \xEF\xBB\xBF");
  cr_assert(rec.flags & CORE_SYSLOG_F_BOM);
  str_is(rec.msg, NULL, "msg");
  ok("<13>1 - h a - - - \xEF\xBBx");
  cr_assert_eq(rec.flags & CORE_SYSLOG_F_BOM, 0);
  str_is(rec.msg, "\xEF\xBBx", "msg");
  cr_assert(rec.flags & CORE_SYSLOG_F_BAD_UTF8);
}

Test(syslog_utf8, invalid_is_flagged_and_kept_at_every_level) {
  for (int l = 0; l < SIMD_LEVEL_COUNT; l++) {
    if (!simd_level_supported((enum simd_level)l))
      continue;
    cr_assert_eq(simd_set_level((enum simd_level)l), 0);
    ok("<13>1 - h a - - - caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
    cr_assert_eq(rec.flags & CORE_SYSLOG_F_BAD_UTF8, 0);
    ok("<13>1 - h a - - - \xEF\xBB\xBF"
       "bad \xFF\xFE here");
    cr_assert(rec.flags & CORE_SYSLOG_F_BAD_UTF8, "level %d", l);
    str_is(rec.msg, "bad \xFF\xFE here", "msg");
    ok("<13>1 - h a - - [x@1 v=\"\xC0\xAF\"] overlong in SD");
    cr_assert(rec.flags & CORE_SYSLOG_F_BAD_UTF8);
    ok("<13>Nov 21 18:14:08 h a: \xED\xA0\x80 surrogate");
    cr_assert(rec.flags & CORE_SYSLOG_F_BAD_UTF8);
    ok("<13>Nov 21 18:14:08 h a: cut \xE2\x82");
    cr_assert(rec.flags & CORE_SYSLOG_F_BAD_UTF8);
    /* header fields are PRINTUSASCII in RFC 5424 */
    bad("<13>1 - h\xC3\xA9 a - - - m", CORE_SYSLOG_ERR_BAD_HOSTNAME);
    cr_assert_eq(rec.flags & CORE_SYSLOG_F_BAD_UTF8, 0);
  }
  simd_set_level(simd_level_best());
}

Test(syslog_utf8, control_and_nul_bytes_are_data) {
  const char m[] = "<13>Nov 21 18:14:08 h a: x\0y\tz\n\0";
  cr_assert_eq(core_syslog_parse(m, sizeof(m) - 1, NOW_MS, scratch, &rec), 0);
  cr_assert_eq(rec.msg.len, 5);
  cr_assert(memcmp(rec.msg.ptr, "x\0y\tz", 5) == 0);
}

/* ---- timestamps ---------------------------------------------------------- */

static int64_t ts(const char *t) {
  char m[256];
  snprintf(m, sizeof(m), "<13>1 %s h a - - - m", t);
  enum core_syslog_err err = parse(m);
  cr_assert_eq(err, CORE_SYSLOG_OK, "%s: %s", t, core_syslog_reason_name(err));
  return rec.time_ns;
}

static void bad_ts(const char *t) {
  char m[256];
  snprintf(m, sizeof(m), "<13>1 %s h a - - - m", t);
  bad(m, CORE_SYSLOG_ERR_BAD_TIMESTAMP);
}

Test(syslog_time, fractions) {
  int64_t base = 482196050ll * S_NS;
  cr_assert_eq(ts("1985-04-12T23:20:50Z"), base);
  cr_assert_eq(ts("1985-04-12T23:20:50.5Z"), base + 500000000);
  cr_assert_eq(ts("1985-04-12T23:20:50.52Z"), base + 520000000);
  cr_assert_eq(ts("1985-04-12T23:20:50.000001Z"), base + 1000);
  cr_assert_eq(ts("1985-04-12T23:20:50.123456789Z"), base + 123456789);
  cr_assert_eq(ts("1985-04-12t23:20:50.1z"), base + 100000000);
  bad_ts("1985-04-12T23:20:50.1234567890Z");
  bad_ts("1985-04-12T23:20:50.Z");
}

Test(syslog_time, offsets) {
  int64_t base = 482196050ll * S_NS;
  cr_assert_eq(ts("1985-04-12T23:20:50+00:00"), base);
  cr_assert_eq(ts("1985-04-12T23:20:50-00:00"), base);
  cr_assert_eq(ts("1985-04-13T04:50:50+05:30"), base);
  cr_assert_eq(ts("1985-04-12T15:20:50.25-08:00"), base + 250000000);
  cr_assert_eq(ts("1985-04-12T23:20:50+23:59"), base - (23 * 3600 + 59 * 60) * S_NS);
  bad_ts("1985-04-12T23:20:50");
  bad_ts("1985-04-12T23:20:50+5:30");
  bad_ts("1985-04-12T23:20:50+0530");
  bad_ts("1985-04-12T23:20:50+24:00");
  bad_ts("1985-04-12T23:20:50+05:60");
  bad_ts("1985-04-12T23:20:50 +05:00");
}

Test(syslog_time, dates) {
  cr_assert_eq(ts("1970-01-01T00:00:00Z"), 0);
  cr_assert_eq(ts("1969-12-31T23:59:59.5Z"), -500000000);
  cr_assert_eq(ts("2024-02-29T12:00:00Z"), 1709208000ll * S_NS);
  cr_assert_eq(ts("2000-02-29T00:00:00Z"), 951782400ll * S_NS);
  cr_assert_eq(ts("2016-12-31T23:59:60Z"), 1483228800ll * S_NS);
  cr_assert_eq(ts("2262-04-11T23:47:15Z"), 9223372035ll * S_NS);
  bad_ts("2262-04-11T23:47:16Z");
  bad_ts("2023-02-29T12:00:00Z");
  bad_ts("1900-02-29T12:00:00Z");
  bad_ts("2024-04-31T12:00:00Z");
  bad_ts("2024-13-01T12:00:00Z");
  bad_ts("2024-00-01T12:00:00Z");
  bad_ts("2024-01-00T12:00:00Z");
  bad_ts("2024-01-01T24:00:00Z");
  bad_ts("2024-01-01T23:60:00Z");
  bad_ts("2024-01-01T23:00:61Z");
  bad_ts("2024-01-01 23:00:00Z");
  bad_ts("24-01-01T23:00:00Z");
  bad_ts("2024-1-01T23:00:00Z");
  bad_ts("9999-12-31T23:59:59Z"); /* past int64 ns */
  bad_ts("1600-01-01T00:00:00Z");
  bad_ts("2024-01-01T23:00:00Zx");
  bad_ts("Nov 21 18:14:08");
}

/* ---- PRI, VERSION, header errors ----------------------------------------- */

Test(syslog_errors, pri) {
  ok("<0>1 - - - - - -");
  pri_is(0, 0);
  ok("<191>1 - - - - - -");
  pri_is(23, 7);
  ok("<013>1 - - - - - -");
  pri_is(1, 5);
  bad("<192>1 - - - - - -", CORE_SYSLOG_ERR_BAD_PRI);
  bad("<999>x", CORE_SYSLOG_ERR_BAD_PRI);
  bad("<1000>x", CORE_SYSLOG_ERR_BAD_PRI);
  bad("<>x", CORE_SYSLOG_ERR_BAD_PRI);
  bad("<1a>x", CORE_SYSLOG_ERR_BAD_PRI);
  bad("<-1>x", CORE_SYSLOG_ERR_BAD_PRI);
  bad("<13", CORE_SYSLOG_ERR_BAD_PRI);
  bad("<", CORE_SYSLOG_ERR_BAD_PRI);
  /* a bad PRI keeps the default facility and severity */
  pri_is(1, 5);
  /* only PRI: an empty BSD message */
  ok("<13>");
  header_is(NULL, NULL, NULL, NULL, NULL);
}

Test(syslog_errors, version) {
  bad("<13>2 - - - - - -", CORE_SYSLOG_ERR_BAD_VERSION);
  pri_is(1, 5); /* a parsed PRI is kept on error */
  cr_assert_eq(rec.format, CORE_SYSLOG_FMT_RFC5424);
  bad("<34>999 - - - - - -", CORE_SYSLOG_ERR_BAD_VERSION);
  pri_is(4, 2);
  /* four digits or no space: not a VERSION, a BSD message */
  ok("<13>1000 - - - - - -");
  cr_assert_eq(rec.format, CORE_SYSLOG_FMT_RFC3164);
  ok("<13>1");
  str_is(rec.msg, "1", "msg");
  ok("<13>01 x");
  cr_assert_eq(rec.format, CORE_SYSLOG_FMT_RFC3164);
}

Test(syslog_errors, truncated_header) {
  bad("<13>1 ", CORE_SYSLOG_ERR_TRUNCATED);
  bad("<13>1 -", CORE_SYSLOG_ERR_TRUNCATED);
  bad("<13>1 2003-10-11T22:14:15.003Z", CORE_SYSLOG_ERR_TRUNCATED);
  bad("<13>1 - host", CORE_SYSLOG_ERR_TRUNCATED);
  bad("<13>1 - host ", CORE_SYSLOG_ERR_TRUNCATED);
  bad("<13>1 - host app", CORE_SYSLOG_ERR_TRUNCATED);
  bad("<13>1 - host app 12", CORE_SYSLOG_ERR_TRUNCATED);
  bad("<13>1 - host app 12 ID", CORE_SYSLOG_ERR_TRUNCATED);
  bad("<13>1 - host app 12 ID ", CORE_SYSLOG_ERR_BAD_SD);
  bad("<13>1 - - - - -", CORE_SYSLOG_ERR_TRUNCATED);
  bad("<13>1 -x - - - - -", CORE_SYSLOG_ERR_BAD_TIMESTAMP);
  bad("<13>1 2003-10-11T22:14:15", CORE_SYSLOG_ERR_BAD_TIMESTAMP);
}

/* Message with one header field of n bytes of 'x' at index `which`. */
static void field_len(int which, size_t n, enum core_syslog_err want) {
  char f[300], m[400];
  memset(f, 'x', n);
  f[n] = 0;
  const char *v[4] = {"h", "a", "p", "m"};
  v[which] = f;
  snprintf(m, sizeof(m), "<13>1 - %s %s %s %s - msg", v[0], v[1], v[2], v[3]);
  if (want == CORE_SYSLOG_OK)
    ok(m);
  else
    bad(m, want);
}

Test(syslog_errors, field_lengths) {
  field_len(0, CORE_SYSLOG_HOSTNAME_BYTES_MAX, CORE_SYSLOG_OK);
  cr_assert_eq(rec.hostname.len, CORE_SYSLOG_HOSTNAME_BYTES_MAX);
  field_len(0, CORE_SYSLOG_HOSTNAME_BYTES_MAX + 1, CORE_SYSLOG_ERR_BAD_HOSTNAME);
  field_len(1, CORE_SYSLOG_APP_NAME_BYTES_MAX, CORE_SYSLOG_OK);
  field_len(1, CORE_SYSLOG_APP_NAME_BYTES_MAX + 1, CORE_SYSLOG_ERR_BAD_APP_NAME);
  field_len(2, CORE_SYSLOG_PROCID_BYTES_MAX, CORE_SYSLOG_OK);
  field_len(2, CORE_SYSLOG_PROCID_BYTES_MAX + 1, CORE_SYSLOG_ERR_BAD_PROCID);
  field_len(3, CORE_SYSLOG_MSGID_BYTES_MAX, CORE_SYSLOG_OK);
  cr_assert_eq(rec.msgid.len, CORE_SYSLOG_MSGID_BYTES_MAX);
  field_len(3, CORE_SYSLOG_MSGID_BYTES_MAX + 1, CORE_SYSLOG_ERR_BAD_MSGID);
  field_len(0, 0, CORE_SYSLOG_ERR_BAD_HOSTNAME); /* two spaces */
  bad("<13>1 - h a\tb - - - m", CORE_SYSLOG_ERR_BAD_APP_NAME);
  bad("<13>1 - h a p\x7f - - m", CORE_SYSLOG_ERR_BAD_PROCID);
  bad("<13>1 - h a p m\x01 - m", CORE_SYSLOG_ERR_BAD_MSGID);
}

Test(syslog_errors, empty_and_line_ends) {
  bad("", CORE_SYSLOG_ERR_EMPTY);
  bad("\n", CORE_SYSLOG_ERR_EMPTY);
  bad("\r\n", CORE_SYSLOG_ERR_EMPTY);
  cr_assert_eq(core_syslog_parse("\0\n\0", 3, NOW_MS, scratch, &rec),
               CORE_SYSLOG_ERR_EMPTY);
  cr_assert_eq(rec.raw.len, 0);
  ok("<13>1 - h a - - - m\r\n");
  str_is(rec.msg, "m", "msg");
  cr_assert_eq(rec.raw.len, strlen("<13>1 - h a - - - m"));
}

Test(syslog_errors, too_long) {
  size_t n = CORE_SYSLOG_BYTES_MAX_LIMIT + 1;
  char *m = malloc(n), *s = malloc(n);
  cr_assert(m && s);
  memset(m, 'x', n);
  memcpy(m, "<13>1 - h a - - - ", 18);
  cr_assert_eq(core_syslog_parse(m, n, NOW_MS, s, &rec),
               CORE_SYSLOG_ERR_TOO_LONG);
  cr_assert(rec.flags & CORE_SYSLOG_F_PARSE_ERROR);
  cr_assert_eq(rec.raw.len, CORE_SYSLOG_BYTES_MAX_LIMIT);
  cr_assert_eq(core_syslog_parse(m, n - 1, NOW_MS, s, &rec), CORE_SYSLOG_OK);
  cr_assert_eq(rec.msg.len, n - 1 - 18);
  free(m);
  free(s);
}

Test(syslog_errors, reason_names) {
  for (int i = 0; i < CORE_SYSLOG_ERR_COUNT; i++) {
    const char *a = core_syslog_reason_name((enum core_syslog_err)i);
    cr_assert_not_null(a);
    cr_assert_neq(strcmp(a, "unknown"), 0);
    for (int j = 0; j < i; j++)
      cr_assert_neq(strcmp(a, core_syslog_reason_name((enum core_syslog_err)j)),
                    0);
  }
  cr_assert_str_eq(core_syslog_reason_name(CORE_SYSLOG_ERR_COUNT), "unknown");
  cr_assert_str_eq(core_syslog_reason_name(CORE_SYSLOG_ERR_BAD_SD),
                   "bad_structured_data");
  cr_assert_str_eq(core_syslog_format_name(CORE_SYSLOG_FMT_RFC5424), "rfc5424");
  cr_assert_str_eq(core_syslog_format_name(CORE_SYSLOG_FMT_RFC3164), "rfc3164");
}

Test(syslog_errors, record_is_reset_between_messages) {
  ok("<13>1 2003-10-11T22:14:15.003Z h a p m [x@1 v=\"1\"] \xEF\xBB\xBFmsg");
  cr_assert_eq(rec.attr_count, 1);
  bad("<13>1 2003-10-11T22:14:15.003Z h a p m [x@1 v=\"1\"]x",
      CORE_SYSLOG_ERR_BAD_SD);
  cr_assert_eq(rec.flags & (CORE_SYSLOG_F_BOM | CORE_SYSLOG_F_NO_TIME), 0);
  ok("plain");
  header_is(NULL, NULL, NULL, NULL, "plain");
  cr_assert_eq(rec.attr_count, 0);
}
