/*
 * tests/fuzz/fuzz_syslog.c - libFuzzer target for core_syslog_parse.
 *
 * Parses the input (at two receive times, one next to New Year) and checks
 * what every record promises: pointers inside the message or the scratch,
 * lengths within their bounds, the error contract, the UTF-8 flag equal
 * to the scalar validator's verdict. A parsed RFC 5424 record is written
 * back out in canonical form (values re-escaped) and must parse to the
 * same fields.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse/syslog.h"
#include "simd/simd.h"

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "fuzz_syslog: %s (line %d)\n", #cond, __LINE__);     \
      abort();                                                             \
    }                                                                      \
  } while (0)

#define INPUT_BYTES_MAX (1 << 16)
#define NOW_MS 1795284848000ll      /* 2026-11-21T18:14:08Z */
#define NEW_YEAR_MS 1767225601000ll /* 2026-01-01T00:00:01Z */

static struct core_syslog_rec rec, again;
static char scratch[INPUT_BYTES_MAX], scratch2[4 * INPUT_BYTES_MAX];
static char canon[4 * INPUT_BYTES_MAX];

/* [p, p + n) lies inside [lo, lo + len). */
static int inside(const char *p, size_t n, const char *lo, size_t len) {
  return n == 0 || (p >= lo && p <= lo + len && n <= (size_t)(lo + len - p));
}

static int printusascii(struct core_syslog_str s) {
  for (uint32_t i = 0; i < s.len; i++)
    if (s.ptr[i] < 33 || s.ptr[i] > 126)
      return 0;
  return 1;
}

static void check_rec(const char *msg, size_t len, int64_t now_ms,
                      enum core_syslog_err err) {
  CHECK(err < CORE_SYSLOG_ERR_COUNT && rec.err == err);
  CHECK(!!(rec.flags & CORE_SYSLOG_F_PARSE_ERROR) == (err != CORE_SYSLOG_OK));
  CHECK(rec.facility <= 23 && rec.severity <= 7);
  CHECK(rec.format < CORE_SYSLOG_FMT_COUNT);
  CHECK(rec.raw.ptr == msg && rec.raw.len <= len);
  for (uint32_t i = rec.raw.len; i < len; i++)
    CHECK(msg[i] == '\n' || msg[i] == '\r' || msg[i] == 0);
  CHECK(!!(rec.flags & CORE_SYSLOG_F_BAD_UTF8) ==
        !simd_ops_for(SIMD_LEVEL_SCALAR)->utf8_valid(msg, rec.raw.len));
  if (rec.flags & CORE_SYSLOG_F_NO_TIME || err)
    CHECK(rec.time_ns == now_ms * 1000000);
  if (err) {
    CHECK(rec.msg.ptr == rec.raw.ptr && rec.msg.len == rec.raw.len);
    CHECK(rec.attr_count == 0 && rec.hostname.len == 0 &&
          rec.app_name.len == 0 && rec.procid.len == 0 && rec.msgid.len == 0);
    return;
  }
  const struct core_syslog_str *f[] = {&rec.hostname, &rec.app_name,
                                       &rec.procid, &rec.msgid, &rec.msg};
  for (int i = 0; i < 5; i++)
    CHECK(inside(f[i]->ptr, f[i]->len, msg, rec.raw.len));
  CHECK(rec.hostname.len <= CORE_SYSLOG_HOSTNAME_BYTES_MAX);
  CHECK(rec.app_name.len <= CORE_SYSLOG_APP_NAME_BYTES_MAX);
  CHECK(rec.procid.len <= CORE_SYSLOG_PROCID_BYTES_MAX);
  CHECK(rec.msgid.len <= CORE_SYSLOG_MSGID_BYTES_MAX);
  CHECK(rec.attr_count <= CORE_SYSLOG_SD_ATTRS_MAX);
  if (rec.format == CORE_SYSLOG_FMT_RFC3164)
    CHECK(rec.attr_count == 0 && rec.msgid.len == 0);
  else
    for (int i = 0; i < 4; i++)
      CHECK(printusascii(*f[i]));
  for (uint32_t i = 0; i < rec.attr_count; i++) {
    const struct core_syslog_attr *a = &rec.attrs[i];
    CHECK(a->sdid.len >= 1 && a->sdid.len <= CORE_SYSLOG_SD_NAME_BYTES_MAX);
    CHECK(a->name.len <= CORE_SYSLOG_SD_NAME_BYTES_MAX);
    CHECK(inside(a->sdid.ptr, a->sdid.len, msg, rec.raw.len));
    CHECK(inside(a->name.ptr, a->name.len, msg, rec.raw.len));
    CHECK(inside(a->value.ptr, a->value.len, msg, rec.raw.len) ||
          inside(a->value.ptr, a->value.len, scratch, len));
    CHECK(a->name.len || a->value.len == 0);
  }
}

static size_t put(char *out, size_t n, const void *p, size_t len) {
  if (len)
    memcpy(out + n, p, len);
  return n + len;
}

static size_t put_field(char *out, size_t n, struct core_syslog_str s) {
  n = s.len ? put(out, n, s.ptr, s.len) : put(out, n, "-", 1);
  return put(out, n, " ", 1);
}

/* The record as a canonical RFC 5424 message (timestamp left out). */
static size_t canonical(char *out) {
  size_t n = (size_t)snprintf(out, 16, "<%d>1 - ",
                              rec.facility * 8 + rec.severity);
  n = put_field(out, n, rec.hostname);
  n = put_field(out, n, rec.app_name);
  n = put_field(out, n, rec.procid);
  n = put_field(out, n, rec.msgid);
  if (rec.attr_count == 0)
    n = put(out, n, "-", 1);
  for (uint32_t i = 0; i < rec.attr_count; i++) {
    const struct core_syslog_attr *a = &rec.attrs[i], *prev = a - 1;
    int same = i > 0 && a->name.len && prev->name.len &&
               prev->sdid.len == a->sdid.len &&
               memcmp(prev->sdid.ptr, a->sdid.ptr, a->sdid.len) == 0;
    if (!same) {
      n = put(out, n, i ? "][" : "[", i ? 2 : 1);
      n = put(out, n, a->sdid.ptr, a->sdid.len);
    }
    if (a->name.len) {
      n = put(out, n, " ", 1);
      n = put(out, n, a->name.ptr, a->name.len);
      n = put(out, n, "=\"", 2);
      for (uint32_t j = 0; j < a->value.len; j++) {
        char c = a->value.ptr[j];
        if (c == '"' || c == '\\' || c == ']')
          out[n++] = '\\';
        out[n++] = c;
      }
      n = put(out, n, "\"", 1);
    }
  }
  if (rec.attr_count)
    n = put(out, n, "]", 1);
  if (rec.flags & CORE_SYSLOG_F_BOM)
    n = put(out, n, " \xEF\xBB\xBF", 4);
  if (rec.msg.len)
    n = put(out, n, (rec.flags & CORE_SYSLOG_F_BOM) ? "" : " ",
            (rec.flags & CORE_SYSLOG_F_BOM) ? 0 : 1);
  return put(out, n, rec.msg.ptr, rec.msg.len);
}

static int str_eq(struct core_syslog_str a, struct core_syslog_str b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static void round_trip(void) {
  size_t n = canonical(canon);
  CHECK(n <= sizeof(canon));
  CHECK(core_syslog_parse(canon, n, NOW_MS, scratch2, &again) ==
        CORE_SYSLOG_OK);
  CHECK(again.facility == rec.facility && again.severity == rec.severity);
  CHECK(str_eq(again.hostname, rec.hostname));
  CHECK(str_eq(again.app_name, rec.app_name));
  CHECK(str_eq(again.procid, rec.procid));
  CHECK(str_eq(again.msgid, rec.msgid));
  CHECK(str_eq(again.msg, rec.msg));
  CHECK((again.flags & CORE_SYSLOG_F_BOM) == (rec.flags & CORE_SYSLOG_F_BOM));
  CHECK(again.attr_count == rec.attr_count);
  for (uint32_t i = 0; i < rec.attr_count; i++) {
    CHECK(str_eq(again.attrs[i].sdid, rec.attrs[i].sdid));
    CHECK(str_eq(again.attrs[i].name, rec.attrs[i].name));
    CHECK(str_eq(again.attrs[i].value, rec.attrs[i].value));
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > INPUT_BYTES_MAX)
    return 0;
  /* an exact-size copy: a read past the end is an ASan report */
  char *msg = malloc(size ? size : 1);
  memcpy(msg, data, size);
  const int64_t nows[2] = {NOW_MS, NEW_YEAR_MS};
  for (int i = 0; i < 2; i++) {
    enum core_syslog_err err =
        core_syslog_parse(msg, size, nows[i], scratch, &rec);
    check_rec(msg, size, nows[i], err);
    if (err == CORE_SYSLOG_OK && rec.format == CORE_SYSLOG_FMT_RFC5424 &&
        i == 0)
      round_trip();
  }
  free(msg);
  return 0;
}
