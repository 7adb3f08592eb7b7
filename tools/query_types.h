/*
 * tools/query_types.h - a parsed `sluice query` command line.
 */
#ifndef SLUICE_TOOLS_QUERY_TYPES_H
#define SLUICE_TOOLS_QUERY_TYPES_H

#include "core/base/strbuf.h"

enum tools_query_cmd {
  TOOLS_QUERY_EXPORT,       /* GET /api/v1/export */
  TOOLS_QUERY_SERIES,       /* GET /api/v1/series */
  TOOLS_QUERY_LABELS,       /* GET /api/v1/labels */
  TOOLS_QUERY_LABEL_VALUES, /* GET /api/v1/label/NAME/values */
  TOOLS_QUERY_LOGS,         /* GET /api/v1/logs */
  TOOLS_QUERY_FLUSH,        /* POST /api/v1/flush */
  TOOLS_QUERY_TRACE,        /* GET /api/v1/traces/TRACE_ID */
  TOOLS_QUERY_SPANS,        /* GET /api/v1/spans */
};

/* One request to the query port, built from the command line. */
struct tools_query_req {
  const char *url;            /* --url: the query port's base URL */
  enum tools_query_cmd cmd;
  const char *method;         /* "GET" or "POST" */
  struct core_strbuf target;  /* path and query, percent-encoded */
  char what[256];             /* the command as typed, for messages */
};

#endif
