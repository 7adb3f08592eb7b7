/*
 * net/query/remote_read.h - POST /api/v1/read: Prometheus remote-read
 * (docs/query-api.md "Remote read"), so that a Prometheus, Thanos or
 * Grafana through them queries sluice with PromQL.
 *
 * A request is a snappy block holding a ReadRequest (net/prompb_types.h).
 * Each query's matchers select series by the labels Prometheus sees: the
 * metric name and label names mapped to its charset (net_prompb_name_map:
 * web.requests is served and matched as web_requests), values as stored.
 * Series are merged across shards, and with every other series whose
 * labels map to the same set. The reply is a snappy ReadResponse
 * (SAMPLES) or, when the client accepts it first, a stream of
 * ChunkedReadResponse frames with XOR chunks (STREAMED_XOR_CHUNKS).
 * Runs on the query thread; bounds in core/base/limits.h (NET_REMOTE_READ_*
 * and the query bounds CORE_QUERY_*).
 */
#ifndef SLUICE_NET_QUERY_REMOTE_READ_H
#define SLUICE_NET_QUERY_REMOTE_READ_H

#include <stddef.h>
#include <stdint.h>

#include "net/query/remote_read_types.h"

struct core_strbuf;
struct core_sel_error;
struct net_http_request;
struct net_http_response;
struct net_query_env;
struct net_qpoint;
struct net_selector;

/*
 * The route (any method: a method other than POST gets 405). Replies 200
 * with the response, or plain text naming the problem: 400 (bad snappy,
 * bad protobuf, unknown matcher type, a regex that is bad or over a
 * NET_REGEX_* bound, no response type sluice implements, too many queries
 * or matchers, the matchers over NET_SELECTOR_BYTES_MAX), 405, 413 (body
 * or inflated request over its bound), 422 (series, samples or response
 * bytes over their bound), 503 (query time budget, memory), 500 (I/O).
 * Counted in sluice_remote_read_requests_total{code} and, for refusals,
 * sluice_remote_read_rejected_total{reason}.
 */
void net_query_remote_read(const struct net_query_env *env,
                           const struct net_http_request *req,
                           struct net_http_response *resp);

/* Append the remote-read counters in Prometheus text format. */
void net_query_remote_read_render(struct core_strbuf *b);

/*
 * Decode an inflated ReadRequest (n bytes of buf) into out, whose
 * matchers then point into buf. Unknown fields are skipped; hints are
 * ignored. out->type is the first of accepted_response_types that sluice
 * implements (SAMPLES when the list is empty).
 *   why  on failure, a static reason naming the field
 * Returns 0, -EBADMSG (malformed, unknown matcher type), -E2BIG (over
 * NET_REMOTE_READ_QUERIES_MAX, NET_REMOTE_READ_MATCHERS_MAX, or a matcher
 * name or value over NET_SELECTOR_BYTES_MAX) or -ENOTSUP (no accepted
 * response type is implemented).
 */
int net_rread_decode(const void *buf, size_t n, struct net_rread_request *out,
                     const char **why);

/*
 * Compile the matchers of q into sel (net/query/selector.h: the same
 * parser, regex bounds and fully anchored POSIX ERE as match[]), going
 * through a selector text `{"__name__"!="","name"="value",...}` written
 * into text (cap bytes, at least NET_SELECTOR_BYTES_MAX + 1). The first
 * matcher, which every series passes, is there because the parser wants
 * one that does not match "" while remote-read, as Prometheus' own
 * endpoint, takes any matchers; net_rread_match skips it.
 * Returns -EMSGSIZE when the text would pass NET_SELECTOR_BYTES_MAX, else
 * net_selector_parse's result (-EINVAL, -E2BIG for a regex bound,
 * -ENOMEM; err says why); release sel with net_selector_free.
 */
int net_rread_selector(const struct net_rread_query *q,
                       struct net_selector *sel, struct core_sel_error *err,
                       char *text, size_t cap);

/*
 * The labels Prometheus sees for a canonical series key: the label model
 * of net/query/selector_types.h with every name through
 * net_prompb_name_map (the metric name as a metric name), names that map
 * to the same one joined into one label (values with ',', in key order),
 * a tag mapped to __name__ dropped, written as "name\0value\0" per label
 * sorted by name (byte order: Prometheus' label order, and the byte
 * order of two such strings is Prometheus' series order).
 *   s    scratch; the labels are written to s->out (the forwarder sends
 *        the same labels: it may call this too)
 * Returns the length in s->out, or -E2BIG (cannot happen for a key
 * within CORE_SERIES_KEY_BYTES_MAX).
 */
int net_rread_labels(struct net_rread_labels *s, const char *key,
                     size_t len);

/* true when labels (net_rread_labels' form, n bytes) satisfy every
 * matcher of sel; an absent label has the value "". */
int net_rread_match(const struct net_selector *sel, const char *labels,
                    size_t n);

/*
 * Encode n samples (1..65535, times ascending) as a Prometheus chunkenc
 * XOR chunk: a 2-byte big-endian count, then a bit stream (most
 * significant bit first): the first time as a zigzag varint and value as
 * 64 bits; the second time's delta as a uvarint and its value XOR-ed with
 * the first; then each time's delta-of-delta ('0'; '10' and 14 bits; '110'
 * and 17; '1110' and 20; '1111' and 64) and value XOR ('0' same; '10' and
 * the meaningful bits in the previous window; '11', 5 bits of leading
 * zeros (at most 31), 6 bits of length (64 as 0) and the bits).
 *   out  at least NET_RREAD_XOR_BYTES_MAX(n) bytes
 * Returns the chunk's length in bytes.
 */
size_t net_rread_xor_chunk(const struct net_qpoint *p, unsigned n,
                           uint8_t *out);

#endif
