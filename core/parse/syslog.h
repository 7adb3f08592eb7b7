/*
 * core/parse/syslog.h - the syslog message parser: RFC 5424, RFC 3164 and the
 * variants real senders produce (see docs/syslog.md for every rule).
 *
 * RFC 5424:  "<" PRI ">1" SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID
 *            SP MSGID SP STRUCTURED-DATA [SP MSG]     ; "-" is NILVALUE
 * RFC 3164:  ["<" PRI ">"] [TIMESTAMP SP] [HOSTNAME SP] [TAG ["[" PID "]"]
 *            [":"] [SP]] MSG
 *            TIMESTAMP is "Mmm dd hh:mm:ss" or an RFC 3339 timestamp
 *            (rsyslog's RSYSLOG_ForwardFormat).
 * A message is RFC 5424 when "<PRI>" is followed by digits and a space.
 */
#ifndef SLUICE_CORE_PARSE_SYSLOG_H
#define SLUICE_CORE_PARSE_SYSLOG_H

#include <stddef.h>
#include <stdint.h>

#include "core/parse/syslog_types.h"

/*
 * Parse one message (a UDP datagram or one TCP frame).
 *   msg, len  the message; trailing '\n', '\r' and NUL bytes are ignored.
 *             At most CORE_SYSLOG_BYTES_MAX_LIMIT bytes (longer ones get
 *             CORE_SYSLOG_ERR_TOO_LONG).
 *   now_ms    receive time (ms since the epoch): the time of a message
 *             without a timestamp, and the anchor that gives an RFC 3164
 *             timestamp its year.
 *   scratch   at least len bytes; SD values holding escapes are written
 *             there unescaped (others point into msg).
 *   out       the record; always filled, see struct core_syslog_rec.
 * Returns CORE_SYSLOG_OK, or the reason the message did not parse (also in
 * out->err, with CORE_SYSLOG_F_PARSE_ERROR in out->flags). Never reads
 * outside [msg, msg + len) nor writes outside [scratch, scratch + len).
 */
enum core_syslog_err core_syslog_parse(const char *msg, size_t len,
                                       int64_t now_ms, char *scratch,
                                       struct core_syslog_rec *out);

/*
 * The key an attribute is stored and served under: "sdid.name", or "sdid"
 * for an element without parameters, written to buf (not NUL-terminated).
 * Returns the key's length; when it exceeds cap, nothing is written.
 * Fits in 2 * CORE_SYSLOG_SD_NAME_BYTES_MAX + 1 bytes.
 */
size_t core_syslog_attr_key(const struct core_syslog_attr *attr, char *buf,
                            size_t cap);

/* Label value of a reason, e.g. "bad_timestamp". Never NULL. */
const char *core_syslog_reason_name(enum core_syslog_err err);

/* "rfc5424" or "rfc3164". Never NULL. */
const char *core_syslog_format_name(enum core_syslog_format format);

#endif
