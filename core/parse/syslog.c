/*
 * core/parse/syslog.c - the syslog message parser (RFC 5424, RFC 3164).
 *
 * One forward pass over the message, no copies: header fields are short,
 * so a byte loop over them costs less than scanning the whole message
 * into bitmaps would; the body is only checked for UTF-8, with the SIMD
 * kernel (simd_utf8_valid) over the whole message at once.
 */
#include "core/parse/syslog.h"

#include <string.h>

#include "core/base/assert.h"
#include "core/base/timefmt.h"
#include "simd/simd.h"

#define PRI_MAX 191
#define DEFAULT_FACILITY 1 /* user: what RFC 3164 4.3.3 has a relay assume */
#define DEFAULT_SEVERITY 5 /* notice */
#define VERSION_DIGITS_MAX 3
#define CLOCK_AHEAD_S (31 * 86400) /* a BSD timestamp may be this far ahead */

static const char *const reason_names[CORE_SYSLOG_ERR_COUNT] = {
    [CORE_SYSLOG_OK] = "ok",
    [CORE_SYSLOG_ERR_EMPTY] = "empty",
    [CORE_SYSLOG_ERR_BAD_PRI] = "bad_pri",
    [CORE_SYSLOG_ERR_BAD_VERSION] = "bad_version",
    [CORE_SYSLOG_ERR_BAD_TIMESTAMP] = "bad_timestamp",
    [CORE_SYSLOG_ERR_BAD_HOSTNAME] = "bad_hostname",
    [CORE_SYSLOG_ERR_BAD_APP_NAME] = "bad_app_name",
    [CORE_SYSLOG_ERR_BAD_PROCID] = "bad_procid",
    [CORE_SYSLOG_ERR_BAD_MSGID] = "bad_msgid",
    [CORE_SYSLOG_ERR_BAD_SD] = "bad_structured_data",
    [CORE_SYSLOG_ERR_TOO_MANY_SD] = "too_many_sd_params",
    [CORE_SYSLOG_ERR_TRUNCATED] = "truncated_header",
    [CORE_SYSLOG_ERR_TOO_LONG] = "too_long",
    [CORE_SYSLOG_ERR_FRAME_TRUNCATED] = "truncated_frame",
};

const char *core_syslog_reason_name(enum core_syslog_err err) {
  if ((unsigned)err >= CORE_SYSLOG_ERR_COUNT)
    return "unknown";
  return reason_names[err];
}

const char *core_syslog_format_name(enum core_syslog_format format) {
  return format == CORE_SYSLOG_FMT_RFC5424 ? "rfc5424" : "rfc3164";
}

size_t core_syslog_attr_key(const struct core_syslog_attr *attr, char *buf,
                            size_t cap) {
  size_t n = attr->sdid.len + (attr->name.len ? 1 + attr->name.len : 0);
  if (n > cap)
    return n;
  memcpy(buf, attr->sdid.ptr, attr->sdid.len);
  if (attr->name.len) {
    buf[attr->sdid.len] = '.';
    memcpy(buf + attr->sdid.len + 1, attr->name.ptr, attr->name.len);
  }
  return n;
}

/* ---- small scanners -------------------------------------------------- */

static inline int is_digit(char c) { return (unsigned char)(c - '0') < 10; }

/* PRINTUSASCII of RFC 5424: %d33-126. */
static inline int is_print(char c) { return (unsigned char)(c - 33) < 94; }

static inline struct core_syslog_str str_of(const char *a, const char *b) {
  return (struct core_syslog_str){a, (uint32_t)(b - a)};
}

/* ---- calendar (proleptic Gregorian, UTC) ----------------------------- */

/* The year of a day count (H. Hinnant's civil_from_days, year only). */
static int64_t year_of_days(int64_t z) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  return (int64_t)yoe + era * 400 + (mp >= 10);
}

/* ---- PRI and timestamps ------------------------------------------------ */

/* "<" 1*3DIGIT ">" at *pp (which is '<'), value <= 191. 0 or -1. */
static int parse_pri(const char **pp, const char *end, unsigned *pri) {
  const char *p = *pp + 1;
  unsigned v = 0;
  int n = 0;
  while (p < end && is_digit(*p) && n < 3) {
    v = v * 10 + (unsigned)(*p++ - '0');
    n++;
  }
  if (n == 0 || p >= end || *p != '>' || v > PRI_MAX)
    return -1;
  *pri = v;
  *pp = p + 1;
  return 0;
}

/* Month number 1..12 of an English abbreviation (any case), or 0. */
static unsigned month_of(const char *p) {
  static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
  char m[3] = {(char)(p[0] | 0x20), (char)(p[1] | 0x20), (char)(p[2] | 0x20)};
  for (unsigned i = 0; i < 12; i++)
    if (memcmp(names + 3 * i, m, 3) == 0)
      return i + 1;
  return 0;
}

/*
 * The year of a BSD timestamp, which has none: the latest of the receive
 * year, the one before and the one after that puts the time no later
 * than CLOCK_AHEAD_S after the receive time (UTC). So a message from
 * before New Year received after it lands in the old year, and one from a
 * sender whose clock is a little ahead across New Year in the new one.
 * -1 if none has the day (Feb 29).
 */
static int bsd_year_ns(unsigned mo, unsigned d, int64_t sod, int64_t frac_ns,
                       int64_t now_ms, int64_t *ns) {
  int64_t limit_ns = (now_ms / 1000 + CLOCK_AHEAD_S) * CORE_NS_PER_S;
  int64_t year = year_of_days(now_ms / 1000 / 86400 - (now_ms < 0));
  for (int64_t y = year + 1; y >= year - 1; y--) {
    if (d > core_days_in_month(y, mo) ||
        core_civil_to_ns(y, mo, d, sod, frac_ns, ns) || *ns > limit_ns)
      continue;
    return 0;
  }
  return -1;
}

/* "Mmm dd hh:mm:ss" at *pp (day padded with a space or a zero, or a
 * single digit), optionally with a fraction: ns. 0 or -1. */
static int parse_bsd_time(const char **pp, const char *end, int64_t now_ms,
                          int64_t *ns) {
  const char *p = *pp;
  if (end - p < 14 || p[3] != ' ')
    return -1;
  unsigned mo = month_of(p);
  if (mo == 0)
    return -1;
  p += 4;
  if (*p == ' ')
    p++;
  int d = is_digit(p[0]) ? p[0] - '0' : -1;
  if (d >= 0 && is_digit(p[1]))
    d = d * 10 + (*++p - '0');
  p++;
  if (d < 1 || d > 31 || end - p < 9 || *p != ' ')
    return -1;
  int64_t sod = core_time_hms(p + 1), frac_ns;
  p += 9;
  int frac_digits = core_time_frac(&p, end, &frac_ns);
  if (sod < 0 || frac_digits < 0 || frac_digits > CORE_TIME_FRAC_DIGITS_MAX ||
      bsd_year_ns(mo, (unsigned)d, sod, frac_ns, now_ms, ns) < 0)
    return -1;
  *pp = p;
  return 0;
}

/* ---- RFC 5424 -------------------------------------------------------- */

/*
 * One header field: NILVALUE or 1..max PRINTUSASCII, then a space.
 * Returns CORE_SYSLOG_OK, `bad` for a malformed field, or
 * CORE_SYSLOG_ERR_TRUNCATED when the message ends in or right after it.
 */
static enum core_syslog_err header_field(const char **pp, const char *end,
                                         uint32_t max, enum core_syslog_err bad,
                                         struct core_syslog_str *out) {
  const char *p = *pp, *start = p;
  const char *stop = (size_t)(end - p) > max ? p + max : end;
  while (p < stop && is_print(*p))
    p++;
  if (p == end)
    return CORE_SYSLOG_ERR_TRUNCATED;
  if (*p != ' ' || p == start)
    return bad;
  if (p - start == 1 && *start == '-')
    *out = (struct core_syslog_str){NULL, 0};
  else
    *out = str_of(start, p);
  *pp = p + 1;
  return CORE_SYSLOG_OK;
}

/* SD-NAME at *pp: 1..32 PRINTUSASCII except '=', SP, ']', '"'. */
static int sd_name(const char **pp, const char *end,
                   struct core_syslog_str *out) {
  const char *p = *pp, *start = p;
  while (p < end && is_print(*p) && *p != '=' && *p != ']' && *p != '"')
    p++;
  if (p == start || p - start > CORE_SYSLOG_SD_NAME_BYTES_MAX)
    return -1;
  *out = str_of(start, p);
  *pp = p;
  return 0;
}

/*
 * PARAM-VALUE after its opening '"' at *pp, up to the closing '"' (which
 * is consumed). "\"", "\\" and "\]" are unescaped into scratch at *used;
 * any other backslash is kept as sent (RFC 5424 6.3.3). An unescaped ']'
 * is taken as data: senders forget to escape it. 0 or -1.
 */
static int sd_value(const char **pp, const char *end, char *scratch,
                    size_t *used, struct core_syslog_str *out) {
  const char *p = *pp, *start = p;
  while (p < end && *p != '"' && *p != '\\')
    p++;
  if (p < end && *p == '"') {
    *out = str_of(start, p);
    *pp = p + 1;
    return 0;
  }
  char *dst = scratch + *used, *d = dst;
  memcpy(d, start, (size_t)(p - start));
  d += p - start;
  while (p < end && *p != '"') {
    if (*p == '\\' && end - p >= 2 &&
        (p[1] == '"' || p[1] == '\\' || p[1] == ']'))
      p++;
    *d++ = *p++;
  }
  if (p >= end)
    return -1;
  *out = (struct core_syslog_str){dst, (uint32_t)(d - dst)};
  *used += (size_t)(d - dst);
  *pp = p + 1;
  return 0;
}

/* The SD-PARAMs of one element, after its SD-ID, through its ']'. */
static enum core_syslog_err sd_params(const char **pp, const char *end,
                                      struct core_syslog_str sdid,
                                      char *scratch, size_t *used,
                                      struct core_syslog_rec *out) {
  const char *p = *pp;
  uint32_t first = out->attr_count;
  while (p < end && *p == ' ') {
    p++;
    if (out->attr_count == CORE_SYSLOG_SD_ATTRS_MAX)
      return CORE_SYSLOG_ERR_TOO_MANY_SD;
    struct core_syslog_attr *a = &out->attrs[out->attr_count];
    if (sd_name(&p, end, &a->name) < 0 || end - p < 2 || p[0] != '=' ||
        p[1] != '"')
      return CORE_SYSLOG_ERR_BAD_SD;
    p += 2;
    if (sd_value(&p, end, scratch, used, &a->value) < 0)
      return CORE_SYSLOG_ERR_BAD_SD;
    a->sdid = sdid;
    out->attr_count++;
  }
  if (p >= end || *p != ']')
    return CORE_SYSLOG_ERR_BAD_SD;
  if (out->attr_count == first) {
    if (out->attr_count == CORE_SYSLOG_SD_ATTRS_MAX)
      return CORE_SYSLOG_ERR_TOO_MANY_SD;
    out->attrs[out->attr_count++] =
        (struct core_syslog_attr){.sdid = sdid};
  }
  *pp = p + 1;
  return CORE_SYSLOG_OK;
}

/* STRUCTURED-DATA at *pp: NILVALUE or 1*SD-ELEMENT, then SP or the end. */
static enum core_syslog_err parse_sd(const char **pp, const char *end,
                                     char *scratch,
                                     struct core_syslog_rec *out) {
  const char *p = *pp;
  size_t used = 0;
  if (p < end && *p == '-') {
    p++;
  } else {
    if (p >= end || *p != '[')
      return CORE_SYSLOG_ERR_BAD_SD;
    while (p < end && *p == '[') {
      p++;
      struct core_syslog_str sdid;
      if (sd_name(&p, end, &sdid) < 0)
        return CORE_SYSLOG_ERR_BAD_SD;
      enum core_syslog_err err = sd_params(&p, end, sdid, scratch, &used, out);
      if (err)
        return err;
    }
  }
  if (p < end && *p != ' ')
    return CORE_SYSLOG_ERR_BAD_SD;
  *pp = p;
  return CORE_SYSLOG_OK;
}

/* Everything after "<PRI>1 " of an RFC 5424 message. */
static enum core_syslog_err parse_5424(const char *p, const char *end,
                                       char *scratch,
                                       struct core_syslog_rec *out) {
  if (p >= end)
    return CORE_SYSLOG_ERR_TRUNCATED;
  if (*p == '-') {
    p++;
    out->flags |= CORE_SYSLOG_F_NO_TIME;
  } else if (core_rfc3339_parse_ns(&p, end, &out->time_ns) < 0) {
    return CORE_SYSLOG_ERR_BAD_TIMESTAMP;
  }
  if (p >= end)
    return CORE_SYSLOG_ERR_TRUNCATED;
  if (*p++ != ' ')
    return CORE_SYSLOG_ERR_BAD_TIMESTAMP;
  enum core_syslog_err err;
  if ((err = header_field(&p, end, CORE_SYSLOG_HOSTNAME_BYTES_MAX,
                          CORE_SYSLOG_ERR_BAD_HOSTNAME, &out->hostname)) ||
      (err = header_field(&p, end, CORE_SYSLOG_APP_NAME_BYTES_MAX,
                          CORE_SYSLOG_ERR_BAD_APP_NAME, &out->app_name)) ||
      (err = header_field(&p, end, CORE_SYSLOG_PROCID_BYTES_MAX,
                          CORE_SYSLOG_ERR_BAD_PROCID, &out->procid)) ||
      (err = header_field(&p, end, CORE_SYSLOG_MSGID_BYTES_MAX,
                          CORE_SYSLOG_ERR_BAD_MSGID, &out->msgid)))
    return err;
  if ((err = parse_sd(&p, end, scratch, out)))
    return err;
  if (p < end)
    p++; /* the SP before MSG */
  if (end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
    p += 3;
    out->flags |= CORE_SYSLOG_F_BOM;
  }
  if (p < end)
    out->msg = str_of(p, end);
  return CORE_SYSLOG_OK;
}

/* ---- RFC 3164 -------------------------------------------------------- */

/*
 * A TAG at p: 1..48 bytes other than SP, ':', '[', ']', then an optional
 * "[" PID "]" and an optional ':'. Recognised only when a ':' or a [PID]
 * follows the name (otherwise the text is message, not tag). Returns the
 * position after it, or NULL.
 */
static const char *bsd_tag(const char *p, const char *end,
                           struct core_syslog_str *app,
                           struct core_syslog_str *pid) {
  const char *start = p;
  const char *stop =
      (size_t)(end - p) > CORE_SYSLOG_APP_NAME_BYTES_MAX + 1
          ? p + CORE_SYSLOG_APP_NAME_BYTES_MAX + 1
          : end;
  while (p < stop && *p != ' ' && *p != ':' && *p != '[' && *p != ']')
    p++;
  if (p == start || p == stop || (*p != ':' && *p != '['))
    return NULL;
  const char *name_end = p;
  *pid = (struct core_syslog_str){NULL, 0};
  if (*p == '[') {
    const char *q = ++p;
    while (p < end && *p != ']' && *p != ' ' &&
           p - q < CORE_SYSLOG_PROCID_BYTES_MAX)
      p++;
    if (p == q || p >= end || *p != ']')
      return NULL;
    *pid = str_of(q, p);
    p++;
  }
  *app = str_of(start, name_end);
  if (p < end && *p == ':')
    p++;
  return p;
}

/*
 * After the timestamp: a HOSTNAME is the next word when a space follows
 * it and it does not read as a TAG ("su:", "cron[42]:"): senders such as
 * `logger` to a local socket leave the hostname out.
 */
static const char *bsd_host(const char *p, const char *end,
                            struct core_syslog_str *host) {
  struct core_syslog_str app, pid;
  const char *t = bsd_tag(p, end, &app, &pid);
  if (t != NULL && (t == end || *t == ' '))
    return p;
  const char *stop =
      (size_t)(end - p) > CORE_SYSLOG_HOSTNAME_BYTES_MAX
          ? p + CORE_SYSLOG_HOSTNAME_BYTES_MAX + 1
          : end;
  const char *q = p;
  while (q < stop && *q != ' ')
    q++;
  if (q == p || q == end || *q != ' ' ||
      q - p > CORE_SYSLOG_HOSTNAME_BYTES_MAX)
    return p;
  *host = str_of(p, q);
  return q + 1;
}

/* Everything after the PRI (or from the start) of a BSD message. */
static void parse_3164(const char *p, const char *end, int64_t now_ms,
                       struct core_syslog_rec *out) {
  int64_t ns;
  const char *q = p;
  int timed = 0;
  if (end - p >= 5 && is_digit(p[0]) && p[4] == '-')
    timed = core_rfc3339_parse_ns(&q, end, &ns) == 0;
  else
    timed = parse_bsd_time(&q, end, now_ms, &ns) == 0;
  if (timed && (q == end || *q == ' ')) {
    out->time_ns = ns;
    p = q < end ? q + 1 : q;
    p = bsd_host(p, end, &out->hostname);
  } else {
    out->flags |= CORE_SYSLOG_F_NO_TIME;
  }
  const char *t = bsd_tag(p, end, &out->app_name, &out->procid);
  if (t != NULL)
    p = t < end && *t == ' ' ? t + 1 : t;
  if (p < end)
    out->msg = str_of(p, end);
}

/* ---- the parser ------------------------------------------------------- */

/* Keep only what a failed record promises (see struct core_syslog_rec). */
static enum core_syslog_err fail(struct core_syslog_rec *out, int64_t now_ms,
                                 enum core_syslog_err err) {
  static const struct core_syslog_str none;
  out->err = err;
  out->flags |= CORE_SYSLOG_F_PARSE_ERROR;
  out->flags &= ~(uint32_t)(CORE_SYSLOG_F_NO_TIME | CORE_SYSLOG_F_BOM);
  out->time_ns = now_ms * 1000000;
  out->hostname = out->app_name = out->procid = out->msgid = none;
  out->msg = out->raw;
  out->attr_count = 0;
  return err;
}

/* "1 " after the PRI: an RFC 5424 VERSION (NONZERO-DIGIT 0*2DIGIT) and its
 * SP. Returns the version (the position after its SP in *pp), or 0. */
static unsigned version_of(const char **pp, const char *end) {
  const char *p = *pp;
  unsigned v = 0;
  int n = 0;
  if (p >= end || *p < '1' || *p > '9')
    return 0;
  while (p < end && is_digit(*p) && n <= VERSION_DIGITS_MAX) {
    v = v * 10 + (unsigned)(*p++ - '0');
    n++;
  }
  if (n > VERSION_DIGITS_MAX || p >= end || *p != ' ')
    return 0;
  *pp = p + 1;
  return v;
}

static void rec_init(struct core_syslog_rec *out, const char *msg,
                     size_t len, int64_t now_ms) {
  static const struct core_syslog_str none;
  out->format = CORE_SYSLOG_FMT_RFC3164;
  out->err = CORE_SYSLOG_OK;
  out->flags = 0;
  out->facility = DEFAULT_FACILITY;
  out->severity = DEFAULT_SEVERITY;
  out->time_ns = now_ms * 1000000;
  out->raw = (struct core_syslog_str){msg, (uint32_t)len};
  out->hostname = out->app_name = out->procid = out->msgid = out->msg = none;
  out->attr_count = 0;
}

enum core_syslog_err core_syslog_parse(const char *msg, size_t len,
                                       int64_t now_ms, char *scratch,
                                       struct core_syslog_rec *out) {
  while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '\r' ||
                     msg[len - 1] == '\0'))
    len--;
  size_t kept = len > CORE_SYSLOG_BYTES_MAX_LIMIT ? CORE_SYSLOG_BYTES_MAX_LIMIT
                                                  : len;
  rec_init(out, msg, kept, now_ms);
  if (!simd_utf8_valid(msg, kept))
    out->flags |= CORE_SYSLOG_F_BAD_UTF8;
  if (len > CORE_SYSLOG_BYTES_MAX_LIMIT)
    return fail(out, now_ms, CORE_SYSLOG_ERR_TOO_LONG);
  if (len == 0)
    return fail(out, now_ms, CORE_SYSLOG_ERR_EMPTY);
  const char *p = msg, *end = msg + len;
  if (*p == '<') {
    unsigned pri;
    if (parse_pri(&p, end, &pri) < 0)
      return fail(out, now_ms, CORE_SYSLOG_ERR_BAD_PRI);
    out->facility = (uint8_t)(pri >> 3);
    out->severity = (uint8_t)(pri & 7);
    unsigned version = version_of(&p, end);
    if (version != 0) {
      out->format = CORE_SYSLOG_FMT_RFC5424;
      if (version != 1)
        return fail(out, now_ms, CORE_SYSLOG_ERR_BAD_VERSION);
      enum core_syslog_err err = parse_5424(p, end, scratch, out);
      return err ? fail(out, now_ms, err) : CORE_SYSLOG_OK;
    }
  } else {
    out->flags |= CORE_SYSLOG_F_NO_PRI;
  }
  parse_3164(p, end, now_ms, out);
  return CORE_SYSLOG_OK;
}
