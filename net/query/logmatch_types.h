/*
 * net/query/logmatch_types.h - a parsed log match expression, the `match=` of
 * GET /api/v1/logs (see core/logmatch.h, docs/query-api.md "Logs").
 *
 *   {host="a", app=~"ssh.*", severity<=err, "exampleSDID@32473.iut"="3"}
 *
 * Fields: host, app, procid, msgid and _msg (strings), severity and
 * facility (integers), and any other name is a structured-data attribute
 * key ("sdid.param"). Every matcher must hold (AND).
 */
#ifndef SLUICE_NET_QUERY_LOGMATCH_TYPES_H
#define SLUICE_NET_QUERY_LOGMATCH_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/base/limits.h"
#include "net/query/selector_types.h"

/* What a matcher looks at. */
enum core_lm_field {
  CORE_LM_HOST = 0,
  CORE_LM_APP,
  CORE_LM_PROCID,
  CORE_LM_MSGID,
  CORE_LM_MSG,       /* _msg */
  CORE_LM_SEVERITY,  /* 0..7 */
  CORE_LM_FACILITY,  /* 0..23 */
  CORE_LM_ATTR,      /* an attribute key; absent attributes are "" */
};

enum core_lm_op {
  CORE_LM_EQ = 0,  /* =  */
  CORE_LM_NE,      /* != */
  CORE_LM_RE,      /* =~ fully anchored POSIX ERE (strings only) */
  CORE_LM_NRE,     /* !~ (strings only) */
  CORE_LM_LT,      /* <  (integers only) */
  CORE_LM_LE,      /* <= */
  CORE_LM_GT,      /* >  */
  CORE_LM_GE,      /* >= */
};

/*
 * One matcher. A string matcher's value (and regex) is held by sel, a
 * PromQL selector `_{"field" OP "value"}` parsed by net_selector_parse,
 * so strings, escapes and regexes follow exactly the selector's rules:
 * the value is sel->m[1].
 */
struct core_lm_matcher {
  enum core_lm_field field;
  enum core_lm_op op;
  uint32_t key_off, key_len;    /* CORE_LM_ATTR: the key in lm->keys */
  int64_t num;                  /* severity, facility: the operand */
  struct net_selector *sel;    /* strings: malloc'ed; NULL for integers */
};

/* A match expression: count 0 matches every record. */
struct net_logmatch {
  unsigned count;
  struct core_lm_matcher m[NET_LOGMATCH_MATCHERS_MAX];
  uint32_t keys_len;
  char keys[NET_SELECTOR_BYTES_MAX];  /* attribute keys, decoded */
};

#endif
