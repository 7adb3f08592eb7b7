/*
 * core/base/timefmt.h - calendar arithmetic (proleptic Gregorian, UTC)
 * and the RFC 3339 timestamps of syslog (core/parse/syslog.c) and of the
 * query API's start= and end= (net/query/query_api.c).
 *
 * Both timestamp readers share one scanner of
 *   dddd "-" dd "-" dd ("T"|"t") dd ":" dd ":" dd [ "." 1*DIGIT ]
 *   ( "Z" | "z" | ("+"|"-") dd ":" dd )
 * with month 1..12, day 1..31, hour <= 23, minute <= 59 and second <= 60
 * (a leap second lands on the next minute); each adds its own rules.
 *
 * The small pieces are inline: the syslog parser's BSD timestamps use
 * them once a message on the data path.
 */
#ifndef SLUICE_CORE_BASE_TIMEFMT_H
#define SLUICE_CORE_BASE_TIMEFMT_H

#include <errno.h>
#include <stdint.h>

#include "core/base/timefmt_types.h"

/* Days since 1970-01-01 of y-m-d, m 1..12, d 1..31 (H. Hinnant's
 * days_from_civil); a day past the month's end counts on into the next. */
static inline int64_t core_days_from_civil(int64_t y, unsigned m,
                                           unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

/* Days in month m (1..12) of year y. */
static inline unsigned core_days_in_month(int64_t y, unsigned m) {
  static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30,
                                        31, 31, 30, 31, 30, 31};
  return dim[m - 1] +
         (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

/*
 * ns since the epoch of y-m-d (as core_days_from_civil) plus sod seconds
 * (may be negative or past a day) plus frac_ns. Returns 0, or -ERANGE
 * (*ns untouched) outside CORE_TIME_SECS_MIN..CORE_TIME_SECS_MAX.
 */
static inline int core_civil_to_ns(int64_t y, unsigned m, unsigned d,
                                   int64_t sod, int64_t frac_ns,
                                   int64_t *ns) {
  int64_t secs = core_days_from_civil(y, m, d) * 86400 + sod;
  if (secs < CORE_TIME_SECS_MIN || secs > CORE_TIME_SECS_MAX)
    return -ERANGE;
  *ns = secs * CORE_NS_PER_S + frac_ns;
  return 0;
}

/* Two decimal digits at p (2 bytes readable): their value, or -1. */
static inline int core_time_d2(const char *p) {
  unsigned hi = (unsigned char)(p[0] - '0'), lo = (unsigned char)(p[1] - '0');
  return hi < 10 && lo < 10 ? (int)(hi * 10 + lo) : -1;
}

/* "hh:mm:ss" at p (8 bytes readable): the seconds of the day, hour <= 23,
 * minute <= 59, second <= 60 (a leap second); -1 when malformed. */
static inline int64_t core_time_hms(const char *p) {
  int hh = core_time_d2(p), mm = core_time_d2(p + 3), ss = core_time_d2(p + 6);
  if (p[2] != ':' || p[5] != ':' || hh < 0 || hh > 23 || mm < 0 || mm > 59 ||
      ss < 0 || ss > 60)
    return -1;
  return hh * 3600 + mm * 60 + ss;
}

/*
 * An optional fraction "." 1*DIGIT at *pp (before end). Returns the
 * number of digits (saturating at INT32_MAX) and advances *pp past them
 * (0: no '.', nothing read), or -1 for a '.' without a digit. *frac_ns is
 * the first 9 digits in ns (later ones are dropped; 0 without a fraction).
 */
static inline int core_time_frac(const char **pp, const char *end,
                                 int64_t *frac_ns) {
  static const int32_t scale[CORE_TIME_FRAC_DIGITS_MAX + 1] = {
      1000000000, 100000000, 10000000, 1000000, 100000, 10000, 1000, 100,
      10, 1}; /* 10^(9 - digits) */
  const char *p = *pp, *first = p + 1, *kept;
  int64_t v = 0;
  *frac_ns = 0;
  if (p >= end || *p != '.')
    return 0;
  kept = end - first > CORE_TIME_FRAC_DIGITS_MAX
             ? first + CORE_TIME_FRAC_DIGITS_MAX : end;
  for (p = first; p < kept && (unsigned char)(*p - '0') < 10; p++)
    v = v * 10 + (*p - '0');
  *frac_ns = v * scale[p - first];
  while (p < end && (unsigned char)(*p - '0') < 10)
    p++;
  if (p == first)
    return -1;
  *pp = p;
  return p - first > INT32_MAX ? INT32_MAX : (int)(p - first);
}

/*
 * An RFC 3339 / RFC 5424 timestamp at *pp (before end), as syslog takes
 * it: the day must exist in its month, at most 9 fraction digits, offset
 * hours <= 23 and minutes <= 59. Text may follow it. On success *ns is
 * ns since the epoch, *pp is past the timestamp and 0 is returned;
 * otherwise -EINVAL (malformed) or -ERANGE (outside int64 ns, 1677..2262),
 * and neither *pp nor *ns is touched.
 */
int core_rfc3339_parse_ns(const char **pp, const char *end, int64_t *ns);

/*
 * The NUL-terminated s, all of it an RFC 3339 timestamp as the query API
 * takes it: any number of fraction digits, truncated to ms; the day only
 * checked to be 1..31 (Feb 31 is Mar 3 or 2); offset fields any two
 * digits. Returns 0 with *ms the ms since the epoch, or -EINVAL (*ms
 * untouched).
 */
int core_rfc3339_parse_ms(const char *s, int64_t *ms);

#endif
