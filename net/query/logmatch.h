/*
 * net/query/logmatch.h - log match expressions (`match=` of GET /api/v1/logs)
 * evaluated against stored log records, and the attribute view of a
 * record (types in core/logmatch_types.h; syntax in docs/query-api.md).
 *
 * Runs on the query thread (parsing allocates): never on the data path.
 */
#ifndef SLUICE_NET_QUERY_LOGMATCH_H
#define SLUICE_NET_QUERY_LOGMATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/query/logmatch_types.h"
#include "core/base/strbuf.h"
#include "storage/logblock_types.h"

/*
 * Parse a match expression: `{` matcher (`,` matcher)* [`,`] `}`, or `{}`,
 * or nothing but whitespace (both match every record). A matcher is
 * `field op value`:
 *   field  host, app, procid, msgid, _msg, severity, facility, or an
 *          attribute key; bare (any byte but whitespace, controls and
 *          `{}(),=!~<>"'` and the backtick: `exampleSDID@32473.iut`) or
 *          quoted as a PromQL string;
 *   op     strings: = != =~ !~; severity and facility: = != < <= > >=;
 *   value  strings: a quoted PromQL string (regexes POSIX ERE, fully
 *          anchored, within the NET_REGEX_* bounds, as in
 *          net/query/selector.h); integers: a number or a name
 *          (severity `err`, facility `auth`...), bare or quoted.
 *   lm   filled; release with net_logmatch_free (also after a failure)
 *   err  on failure: byte offset into text and message
 * Returns 0, -EINVAL (syntax, bad value or regex) or -E2BIG (over
 * NET_SELECTOR_BYTES_MAX bytes, NET_LOGMATCH_MATCHERS_MAX matchers or a
 * NET_REGEX_* bound), or -ENOMEM.
 */
int net_logmatch_parse(struct net_logmatch *lm, const char *text,
                        size_t len, struct core_sel_error *err);

/* Release the matchers' selectors. Safe on a zeroed or failed lm. */
void net_logmatch_free(struct net_logmatch *lm);

/*
 * true when r satisfies every matcher of lm. An absent string field or
 * attribute is ""; a regex sees the first NET_REGEX_SUBJECT_BYTES_MAX
 * bytes of a value (regex_bound.h). scratch (a core_strbuf of any bound) holds the joined
 * value of a repeated attribute key (see core_logattr_value).
 */
bool net_logmatch_eval(const struct net_logmatch *lm,
                        const struct stor_log_rec *r,
                        struct core_strbuf *scratch);

/*
 * true when attribute i of r is the first with its key ("sdid.name", or
 * "sdid"): a record's attributes are served once per key.
 */
bool core_logattr_first(const struct stor_log_rec *r, uint32_t i);

/*
 * The value served for attribute i's key: its value, joined by ',' with
 * the values of the later attributes that have the same key (message
 * order). A joined value is built in scratch (cut at its bound).
 * Returns the length; *value points into r or scratch.
 */
size_t core_logattr_value(const struct stor_log_rec *r, uint32_t i,
                          struct core_strbuf *scratch, const char **value);

#endif
