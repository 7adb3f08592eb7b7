/*
 * net/query/json.h - JSON strings for the query routes' replies (the
 * Prometheus API JSON of query_api.c, the NDJSON lines of query_logs.c).
 * Query thread only.
 */
#ifndef SLUICE_NET_QUERY_JSON_H
#define SLUICE_NET_QUERY_JSON_H

#include <stddef.h>

struct core_strbuf;

/*
 * Append p[0, n) (any bytes) to b as a JSON string, quotes included:
 * '"' and '\\' escaped with a backslash; the controls \b \f \n \r \t as
 * such, the other controls (below 0x20) as \u00XX; each byte that is not
 * part of a valid UTF-8 sequence as \ufffd (JSON text is UTF-8). Valid
 * UTF-8 and 0x7f are copied. An append past b's bound sets b->failed
 * (core/base/strbuf.h).
 */
void net_query_json_str(struct core_strbuf *b, const char *p, size_t n);

/*
 * Append JSON text p[0, n) to b as is, except each byte that is not part
 * of a valid UTF-8 sequence, written as \ufffd: for JSON rendered by
 * core_otlp_value_json, which copies a string's bytes >= 0x80 unchecked
 * (such bytes must only occur inside the text's strings, where \ufffd is
 * their escape). An append past b's bound sets b->failed.
 */
void net_query_json_utf8(struct core_strbuf *b, const char *p, size_t n);

#endif
