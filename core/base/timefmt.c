/*
 * core/base/timefmt.c - the RFC 3339 timestamp readers (see timefmt.h).
 * One scanner reads the text into its fields; the two readers check what
 * their callers require and convert.
 */
#include "core/base/timefmt.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define DATE_TIME_BYTES 19 /* "dddd-dd-ddTdd:dd:dd" */

/* An RFC 3339 timestamp's fields, checked as timefmt.h's scanner says. */
struct rfc3339 {
  int64_t year;
  unsigned month, day;
  int64_t sod;          /* seconds of the day, 0..86400 */
  int64_t frac_ns;      /* the first 9 fraction digits */
  int frac_digits;      /* fraction digits written, 0 without one */
  bool off_neg;
  int off_hh, off_mm;   /* 0..99 each: not checked further */
};

/* Inlined into both readers, which then keep t in registers. */
#define INLINE static inline __attribute__((always_inline))

/* "Z" / "z" / ("+" / "-") dd ":" dd at *pp into t; 0 or -1. */
INLINE int scan_offset(const char **pp, const char *end, struct rfc3339 *t) {
  const char *p = *pp;
  t->off_neg = false;
  t->off_hh = t->off_mm = 0;
  if (p < end && (*p == 'Z' || *p == 'z')) {
    *pp = p + 1;
    return 0;
  }
  if (end - p < 6 || (*p != '+' && *p != '-') || p[3] != ':')
    return -1;
  t->off_neg = *p == '-';
  t->off_hh = core_time_d2(p + 1);
  t->off_mm = core_time_d2(p + 4);
  if (t->off_hh < 0 || t->off_mm < 0)
    return -1;
  *pp = p + 6;
  return 0;
}

/* The timestamp at *pp (see timefmt.h) into t; advances *pp. 0 or -1. */
INLINE int scan(const char **pp, const char *end, struct rfc3339 *t) {
  const char *p = *pp;
  if (end - p < DATE_TIME_BYTES)
    return -1;
  int yh = core_time_d2(p), yl = core_time_d2(p + 2);
  int mo = core_time_d2(p + 5), d = core_time_d2(p + 8);
  if (yh < 0 || yl < 0 || p[4] != '-' || p[7] != '-' || mo < 1 || mo > 12 ||
      d < 1 || d > 31 || (p[10] != 'T' && p[10] != 't'))
    return -1;
  t->year = yh * 100 + yl;
  t->month = (unsigned)mo;
  t->day = (unsigned)d;
  if ((t->sod = core_time_hms(p + 11)) < 0)
    return -1;
  p += DATE_TIME_BYTES;
  if ((t->frac_digits = core_time_frac(&p, end, &t->frac_ns)) < 0 ||
      scan_offset(&p, end, t) < 0)
    return -1;
  *pp = p;
  return 0;
}

/* The offset east of UTC in seconds. */
INLINE int64_t offset_s(const struct rfc3339 *t) {
  int64_t s = t->off_hh * 3600 + t->off_mm * 60;
  return t->off_neg ? -s : s;
}

int core_rfc3339_parse_ns(const char **pp, const char *end, int64_t *ns) {
  struct rfc3339 t;
  const char *p = *pp;
  if (scan(&p, end, &t) < 0 || t.day > core_days_in_month(t.year, t.month) ||
      t.frac_digits > CORE_TIME_FRAC_DIGITS_MAX || t.off_hh > 23 ||
      t.off_mm > 59)
    return -EINVAL;
  if (core_civil_to_ns(t.year, t.month, t.day, t.sod - offset_s(&t),
                       t.frac_ns, ns) < 0)
    return -ERANGE;
  *pp = p;
  return 0;
}

int core_rfc3339_parse_ms(const char *s, int64_t *ms) {
  struct rfc3339 t;
  const char *p = s, *end = s + strlen(s);
  if (scan(&p, end, &t) < 0 || p != end)
    return -EINVAL;
  *ms = (core_days_from_civil(t.year, t.month, t.day) * 86400 + t.sod -
         offset_s(&t)) * 1000 + t.frac_ns / CORE_NS_PER_MS;
  return 0;
}
