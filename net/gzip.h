/*
 * net/gzip.h - bounded gzip inflate (RFC 1952) with isa-l, for request
 * bodies sent with Content-Encoding: gzip (OTLP/HTTP) or grpc-encoding
 * gzip (OTLP/gRPC).
 *
 * Every byte of the input is hostile: the inflated size is bounded by the
 * caller (a gzip bomb stops at the bound, having written no more than
 * it), the whole input must be gzip members with valid trailers (CRC32
 * and ISIZE), and nothing is allocated per call.
 */
#ifndef SLUICE_NET_GZIP_H
#define SLUICE_NET_GZIP_H

#include <stddef.h>

#include "net/gzip_types.h"

/* Prepare an inflater (once, at start-up). Cannot fail. */
void net_gzip_init(struct net_gzip *g);

/*
 * Inflate in_len bytes of gzip at in into out, which holds out_bytes_max
 * bytes; *out_len is set to the inflated length on success. Concatenated
 * members (RFC 1952 2.2) inflate one after the other into out.
 * Returns 0; -EBADMSG when the input is not gzip (bad magic, method or
 * flags), is corrupt, is cut short, fails its CRC32 or ISIZE check, or is
 * followed by bytes that are not another member; -E2BIG when the output
 * would pass out_bytes_max (inflating stops at the first byte past it:
 * nothing is written past out + out_bytes_max, and out holds a prefix of
 * the output).
 */
int net_gzip_inflate(struct net_gzip *g, const void *in, size_t in_len,
                     void *out, size_t out_bytes_max, size_t *out_len);

#endif
