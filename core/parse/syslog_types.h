/*
 * core/parse/syslog_types.h - what the syslog parser produces.
 *
 * A parsed record points into the caller's message buffer (no copies),
 * except the SD parameter values that held escapes: those point into the
 * scratch buffer the caller passed to core_syslog_parse. Every pointer
 * below stays valid only while both buffers do.
 */
#ifndef SLUICE_CORE_PARSE_SYSLOG_TYPES_H
#define SLUICE_CORE_PARSE_SYSLOG_TYPES_H

#include <stdint.h>

#include "core/base/limits.h"

/* Which grammar a message followed (see docs/syslog.md). */
enum core_syslog_format {
  CORE_SYSLOG_FMT_RFC5424 = 0, /* "<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD" */
  CORE_SYSLOG_FMT_RFC3164,     /* BSD syslog and its variants */
  CORE_SYSLOG_FMT_COUNT
};

/*
 * Why a message (or a TCP frame) did not parse. 0 is success; the rest are
 * the `reason` label of sluice_parse_errors_total{proto="syslog"} (see
 * core_syslog_reason_name). A record with a reason is still stored: its
 * raw text is its message.
 */
enum core_syslog_err {
  CORE_SYSLOG_OK = 0,
  CORE_SYSLOG_ERR_EMPTY,        /* nothing but line ends or NULs */
  CORE_SYSLOG_ERR_BAD_PRI,      /* '<' not followed by 1-3 digits and '>', or > 191 */
  CORE_SYSLOG_ERR_BAD_VERSION,  /* RFC 5424 VERSION other than 1 */
  CORE_SYSLOG_ERR_BAD_TIMESTAMP,/* RFC 3339 timestamp malformed or out of range */
  CORE_SYSLOG_ERR_BAD_HOSTNAME, /* empty, too long or not PRINTUSASCII */
  CORE_SYSLOG_ERR_BAD_APP_NAME, /* empty, too long or not PRINTUSASCII */
  CORE_SYSLOG_ERR_BAD_PROCID,   /* empty, too long or not PRINTUSASCII */
  CORE_SYSLOG_ERR_BAD_MSGID,    /* empty, too long or not PRINTUSASCII */
  CORE_SYSLOG_ERR_BAD_SD,       /* malformed STRUCTURED-DATA */
  CORE_SYSLOG_ERR_TOO_MANY_SD,  /* over CORE_SYSLOG_SD_ATTRS_MAX attributes */
  CORE_SYSLOG_ERR_TRUNCATED,    /* RFC 5424 header ends before STRUCTURED-DATA */
  CORE_SYSLOG_ERR_TOO_LONG,     /* frame or datagram over --syslog-max-bytes
                                   (set by the framer or the UDP receiver) */
  CORE_SYSLOG_ERR_FRAME_TRUNCATED, /* connection ended inside a TCP frame
                                      (set by the framer) */
  CORE_SYSLOG_ERR_COUNT
};

/* Bits of core_syslog_rec.flags. */
enum {
  CORE_SYSLOG_F_PARSE_ERROR = 1u << 0, /* err != OK: only raw/msg/PRI/time set */
  CORE_SYSLOG_F_NO_PRI = 1u << 1,      /* no "<PRI>": user.notice assumed */
  CORE_SYSLOG_F_NO_TIME = 1u << 2,     /* NILVALUE or no timestamp: time_ns
                                          is the receive time */
  CORE_SYSLOG_F_BOM = 1u << 3,         /* MSG began with a UTF-8 BOM (removed) */
  CORE_SYSLOG_F_BAD_UTF8 = 1u << 4,    /* the message is not valid UTF-8; its
                                          bytes are kept as received */
  CORE_SYSLOG_F_OTLP = 1u << 5,        /* an OTLP log record, not syslog
                                          (docs/otlp.md "Logs") */
};

/* A piece of text. len 0 means absent: NILVALUE, or not sent. */
struct core_syslog_str {
  const char *ptr;
  uint32_t len;
};

/*
 * One structured-data attribute: the SD-ID of its element, a PARAM-NAME
 * and its value with the escapes (\" \\ \]) removed. An element without
 * parameters ("[origin]") gives one attribute with an empty name and
 * value. Attributes come in message order; a name repeated in an element
 * gives one attribute per occurrence. Stored and served as "sdid.name"
 * (just "sdid" for an element without parameters).
 */
struct core_syslog_attr {
  struct core_syslog_str sdid;
  struct core_syslog_str name;
  struct core_syslog_str value;
};

/*
 * One parsed message. On success every field is set (absent ones have len
 * 0). On a parse error (err != OK) only format, err, flags, raw, msg (the
 * whole raw text), time_ns (receive time) and facility/severity (the PRI
 * when it parsed, else user.notice) are meaningful; attr_count is 0.
 */
struct core_syslog_rec {
  enum core_syslog_format format;
  enum core_syslog_err err;
  uint32_t flags;                 /* CORE_SYSLOG_F_* */
  uint8_t facility;               /* 0..23 */
  uint8_t severity;               /* 0..7 */
  int64_t time_ns;                /* ns since the epoch, UTC */
  struct core_syslog_str raw;     /* the whole message, without trailing
                                     '\n', '\r' and NUL bytes */
  struct core_syslog_str hostname;
  struct core_syslog_str app_name;/* RFC 3164: the TAG */
  struct core_syslog_str procid;  /* RFC 3164: the [pid] after the TAG */
  struct core_syslog_str msgid;   /* RFC 3164: always absent */
  struct core_syslog_str msg;     /* MSG, BOM removed */
  uint32_t attr_count;
  struct core_syslog_attr attrs[CORE_SYSLOG_SD_ATTRS_MAX];
};

#endif
