/*
 * net/prompb.h - Prometheus' remote-read/remote-write messages (prompb,
 * field table in net/prompb_types.h): a small bounded protobuf writer,
 * the message helpers built on it, the name mapping to Prometheus'
 * charset, and snappy block compression with a bound on what inflates.
 *
 * Used off the shards only (query thread: remote-read; forwarder:
 * remote-write): it allocates through core_strbuf and malloc. Decoding
 * uses the wire reader of core/parse/pb.h.
 */
#ifndef SLUICE_NET_PROMPB_H
#define SLUICE_NET_PROMPB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/prompb_types.h"

/* ---- writer ------------------------------------------------------------ */

/* Start writing at the end of b (b keeps its bound). */
void net_prompb_w_init(struct net_prompb_w *w, struct core_strbuf *b);

/* A varint field (int64 values as their two's complement, as proto3's
 * int64 is written: a negative one takes 10 bytes). */
void net_prompb_varint(struct net_prompb_w *w, uint32_t field, uint64_t v);

/* A double field (wire type I64). */
void net_prompb_double(struct net_prompb_w *w, uint32_t field, double v);

/* A fixed32 field (wire type I32, little-endian). */
void net_prompb_fixed32(struct net_prompb_w *w, uint32_t field, uint32_t v);

/* A length-delimited field: string, bytes or an already encoded message. */
void net_prompb_bytes(struct net_prompb_w *w, uint32_t field, const void *p,
                      size_t n);

/* Open a nested message in field; what follows is its content until the
 * matching net_prompb_end. Past NET_PROMPB_DEPTH_MAX open: err -E2BIG. */
void net_prompb_begin(struct net_prompb_w *w, uint32_t field);

/* Close the innermost open message: its length is written in its slot. */
void net_prompb_end(struct net_prompb_w *w);

/*
 * The writer's outcome. Returns 0, -ENOMEM (the strbuf's bound or no
 * memory: the output is cut), -E2BIG (nesting) or -EINVAL (a message is
 * still open, or an end without a begin).
 */
int net_prompb_w_status(const struct net_prompb_w *w);

/* Label {name, value} as field `field` (TimeSeries or ChunkedSeries: 1). */
void net_prompb_label(struct net_prompb_w *w, uint32_t field,
                      const char *name, size_t name_len, const char *value,
                      size_t value_len);

/* Sample {value, timestamp} as field `field` (TimeSeries: 2). */
void net_prompb_sample(struct net_prompb_w *w, uint32_t field, double value,
                       int64_t ts_ms);

/* Chunk {min_time_ms, max_time_ms, type, data} as field `field`
 * (ChunkedSeries: 2). */
void net_prompb_chunk(struct net_prompb_w *w, uint32_t field, int64_t min_ms,
                      int64_t max_ms, int type, const void *data, size_t n);

/* ---- names ------------------------------------------------------------- */

/*
 * Map a metric name (metric true: [a-zA-Z_:][a-zA-Z0-9_:]*) or a label
 * name (false: [a-zA-Z_][a-zA-Z0-9_]*) to Prometheus' charset: every other
 * byte becomes '_' (so a UTF-8 character of k bytes gives k of them), and
 * a name starting with a digit gets a '_' before it ("9xx" -> "_9xx").
 * Valid names come out unchanged; "" stays "".
 *   out  at least n + 1 bytes (not NUL-terminated)
 * Returns the length written (n or n + 1).
 */
size_t net_prompb_name_map(const char *in, size_t n, bool metric, char *out);

/* ---- snappy (block format, as remote-read and remote-write send it) --- */

/*
 * Compress n bytes of in into a malloc'ed block.
 *   out, out_len  the block; the caller frees *out
 * Returns 0 or -ENOMEM.
 */
int net_prompb_snappy_compress(const void *in, size_t n, char **out,
                               size_t *out_len);

/*
 * Inflate a snappy block after checking, from its header alone, that it
 * inflates to at most max bytes: a hostile length never gets allocated.
 *   out, out_len  the inflated bytes (malloc'ed, NUL-terminated: the
 *                 caller frees *out)
 * Returns 0, -EBADMSG (not a snappy block: bad header or body),
 * -EFBIG (it would inflate past max) or -ENOMEM.
 */
int net_prompb_snappy_uncompress(const void *in, size_t n, size_t max,
                                 char **out, size_t *out_len);

#endif
