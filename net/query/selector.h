/*
 * net/query/selector.h - PromQL series selectors matched against canonical
 * series keys (types and label model in core/selector_types.h; syntax and
 * the differences from Prometheus in docs/query-api.md).
 *
 * Runs on the query thread (regcomp allocates): never on the data path.
 * Matching a regex may recompile it (regex_bound.h): a selector belongs to
 * one thread.
 */
#ifndef SLUICE_NET_QUERY_SELECTOR_H
#define SLUICE_NET_QUERY_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "net/query/selector_types.h"

/*
 * Parse a selector: `name`, `name{m,...}`, `{m,...}` where m is
 * `label op "value"` (op: = != =~ !~; strings "..." '...' or `...`),
 * or a quoted metric name alone (`{"web.requests"}`). Bare names and
 * label names may hold any byte but whitespace, control bytes,
 * `{}(),=!~"'[]@` and the backtick, so StatsD names with dots work bare.
 * Regexes are POSIX ERE, fully anchored, within the NET_REGEX_* bounds
 * (net/query/regex_bound.h; back-references refused).
 *   s    filled; release with net_selector_free (also after a failure)
 *   err  on failure: position and message (a regex over a bound: "label
 *        NAME: regex PATTERN: why, the limit is N (NET_REGEX_...)")
 * Returns 0, or -EINVAL (syntax, bad regex, back-reference, no non-empty
 * matcher, name given twice) or -E2BIG (over NET_SELECTOR_BYTES_MAX,
 * NET_SELECTOR_MATCHERS_MAX or a NET_REGEX_* bound) or -ENOMEM.
 */
int net_selector_parse(struct net_selector *s, const char *text, size_t len,
                        struct core_sel_error *err);

/* Release the compiled regexes. Safe on a zeroed or failed selector. */
void net_selector_free(struct net_selector *s);

/* true when the series key (len bytes) satisfies every matcher of s. */
bool net_selector_match(const struct net_selector *s, const char *key,
                         size_t len);

/* Start walking the labels of a series key (it must outlive it). */
void core_label_iter_init(struct core_label_iter *it, const char *key,
                          size_t len);

/*
 * Next label of the key (see the label model in core/selector_types.h);
 * out stays valid until the next call. Returns 1, or 0 after the last.
 */
int core_label_next(struct core_label_iter *it, struct core_label *out);

/*
 * Value of label name in the key; "" (len 0) when absent.
 * Returns the value's length; *value points into the key or it.
 */
size_t core_label_get(struct core_label_iter *it, const char *key, size_t len,
                      const char *name, size_t name_len, const char **value);

#endif
