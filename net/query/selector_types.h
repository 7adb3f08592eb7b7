/*
 * net/query/selector_types.h - a parsed PromQL series selector and the label
 * view of a canonical series key (see core/selector.h, docs/query-api.md).
 *
 * Label model of a series key (core_series_key: name '\0' tag '\0' ...):
 *   __name__     the StatsD name, dots and all;
 *   key:value    label key = value (split at the first ':');
 *   bare key     label key = "no_label_value" (VictoriaMetrics' choice for
 *                DogStatsD tags without a value), so it stays selectable;
 *   repeated key one label whose value is the values joined with ','
 *                in key order (Prometheus labels are unique by name);
 *   empty value  no label at all (Prometheus: "" is the same as absent);
 *   __name__ tag not served: the metric name wins.
 */
#ifndef SLUICE_NET_QUERY_SELECTOR_TYPES_H
#define SLUICE_NET_QUERY_SELECTOR_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/limits.h"

#define CORE_LABEL_NAME "__name__"
#define CORE_LABEL_BARE_VALUE "no_label_value"

struct net_regex;

enum core_sel_op {
  CORE_SEL_EQ = 0,  /* =  */
  CORE_SEL_NE,      /* != */
  CORE_SEL_RE,      /* =~ fully anchored */
  CORE_SEL_NRE,     /* !~ fully anchored */
};

/* One label matcher; name and value are NUL-terminated in sel->text. */
struct core_sel_matcher {
  enum core_sel_op op;
  uint32_t name_off, name_len;
  uint32_t value_off, value_len;
  struct net_regex *re; /* RE and NRE: compiled (net/query/regex_bound.h) */
};

/* A selector: every matcher must hold (AND). */
struct net_selector {
  unsigned count;
  struct core_sel_matcher m[NET_SELECTOR_MATCHERS_MAX];
  uint32_t text_len;
  char text[NET_SELECTOR_BYTES_MAX + 64]; /* decoded names and values */
};

/* Why a selector was refused: pos is a byte offset into the text. */
struct core_sel_error {
  size_t pos;
  char msg[256];
};

/* One label of a series key. Pointers into the key or the iterator. */
struct core_label {
  const char *name;
  size_t name_len;
  const char *value;
  size_t value_len;
};

/* Walks the labels of a key: __name__ first, then tags in key order. */
struct core_label_iter {
  const char *key;
  size_t len;
  size_t pos;        /* next tag; len + 1 once done */
  bool name_done;
  char buf[CORE_SERIES_KEY_BYTES_MAX]; /* joined values of a repeated key */
};

#endif
