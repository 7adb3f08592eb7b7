/*
 * net/query/remote_read_types.h - a decoded Prometheus remote-read request
 * (see net/query/remote_read.h and docs/query-api.md "Remote read").
 */
#ifndef SLUICE_NET_QUERY_REMOTE_READ_TYPES_H
#define SLUICE_NET_QUERY_REMOTE_READ_TYPES_H

#include <stdint.h>

#include "core/base/limits.h"
#include "core/parse/pb_types.h"
#include "net/prompb_types.h"
#include "net/query/selector_types.h"

/* One LabelMatcher: name and value point into the inflated request. */
struct net_rread_matcher {
  enum net_prompb_matcher_type type;
  struct core_pb_bytes name, value;
};

/* One Query: its range (inclusive, ms) and matchers (AND-ed). */
struct net_rread_query {
  int64_t start_ms, end_ms;
  unsigned count;
  struct net_rread_matcher m[NET_REMOTE_READ_MATCHERS_MAX];
};

/* A ReadRequest: the queries, and the response type chosen from the
 * client's accepted_response_types (the first one sluice implements). */
struct net_rread_request {
  unsigned count;
  struct net_rread_query q[NET_REMOTE_READ_QUERIES_MAX];
  enum net_prompb_response_type type;
};

/*
 * Bytes of an XOR chunk of n samples at most: the 2-byte count, the first
 * sample (a 10-byte varint and 64 bits), the second (a 10-byte uvarint and
 * at most 77 bits of value), then at most 68 bits of time and 77 of value
 * a sample.
 */
#define NET_RREAD_XOR_BYTES_MAX(n) (2 + 18 + 20 + ((n) * 145 + 7) / 8)

/*
 * The labels of one series as served to Prometheus, "name\0value\0" per
 * label, sorted by name (remote_read.h): at most this many bytes. A key's
 * worst case is a 1-byte tag name without a value ("a\0": 2 bytes) that
 * becomes "a\0no_label_value\0" (17), or 18 with a leading digit's '_'.
 */
#define NET_RREAD_LABELS_BYTES_MAX (9 * CORE_SERIES_KEY_BYTES_MAX + 64)

/* One label of a key, as offsets into net_rread_labels' arena. */
struct net_rread_label {
  uint32_t name_off, name_len, value_off, value_len, order;
};

/* Scratch and result of net_rread_labels (about 120 KiB: allocate it). */
struct net_rread_labels {
  char out[NET_RREAD_LABELS_BYTES_MAX];  /* "name\0value\0"..., sorted */
  char arena[NET_RREAD_LABELS_BYTES_MAX];
  size_t used;
  unsigned count;
  struct net_rread_label l[CORE_SERIES_KEY_BYTES_MAX / 2 + 1];
  struct core_label_iter it;
};

#endif
