/*
 * net/otlp_http_types.h - the OTLP/HTTP listener of a shard (net/otlp_http.h):
 * its connections, counters, and what it asks of the shard for
 * durability.
 */
#ifndef SLUICE_NET_OTLP_HTTP_TYPES_H
#define SLUICE_NET_OTLP_HTTP_TYPES_H

#include <stdint.h>

#include "core/ingest/otlpmap_types.h"
#include "net/gzip_types.h"
#include "net/http_types.h"
#include "net/otlp_durable_types.h"
#include "net/otlp_listen_types.h"
#include "net/rconn_types.h"

struct core_heap;
struct core_pipe;

/* Status codes counted per signal and encoding (the `code` label). */
enum net_otlp_code {
  NET_OTLP_CODE_200 = 0,
  NET_OTLP_CODE_400,
  NET_OTLP_CODE_408,
  NET_OTLP_CODE_413,
  NET_OTLP_CODE_415,
  NET_OTLP_CODE_429,
  NET_OTLP_CODE_500,
  NET_OTLP_CODE_503,
  NET_OTLP_CODES
};

/* Why a request got no 200 (the `reason` label of
 * sluice_otlp_http_rejected_total). */
enum net_otlp_reject {
  NET_OTLP_REJ_BODY_TOO_LARGE = 0, /* 413: body over its bound */
  NET_OTLP_REJ_INFLATED_TOO_LARGE, /* 413: gzip inflates past its bound */
  NET_OTLP_REJ_BAD_CONTENT_TYPE,   /* 415: not protobuf or JSON */
  NET_OTLP_REJ_BAD_ENCODING,       /* 415: Content-Encoding not gzip/identity */
  NET_OTLP_REJ_BAD_GZIP,           /* 400: the gzip body is corrupt */
  NET_OTLP_REJ_DECODE_ERROR,       /* 400: the Export request does not decode */
  NET_OTLP_REJ_BAD_REQUEST,        /* 400/431/501/505...: HTTP itself */
  NET_OTLP_REJ_NOT_FOUND,          /* 404: not /v1/metrics|logs|traces */
  NET_OTLP_REJ_METHOD,             /* 405: not POST */
  NET_OTLP_REJ_BACKPRESSURE,       /* 429: too many wait for durability */
  NET_OTLP_REJ_WRITER_BEHIND,      /* 503: the disk does not keep up */
  NET_OTLP_REJ_MEMORY,             /* 503: the shard's body budget is full */
  NET_OTLP_REJ_NOT_DURABLE,        /* 503: the flush that covers it failed */
  NET_OTLP_REJ_TIMEOUT,            /* 408: headers or body too slow */
  NET_OTLP_REJ_STOPPING,           /* closed unanswered at stop */
  NET_OTLP_REJECTS
};

/* The listener's counters (one writer: the shard; core/base/stat.h). */
struct net_otlp_http_stats {
  /* sluice_otlp_requests_total{signal,encoding,code} */
  uint64_t requests[CORE_OTLP_SIGNALS][CORE_OTLP_ENCS][NET_OTLP_CODES];
  uint64_t rejected[NET_OTLP_REJECTS]; /* sluice_otlp_http_rejected_total */
  uint64_t bounds[NET_OTLP_BOUNDS];    /* decode errors past a bound */
  struct net_rconn_stats conns;        /* sluice_otlp_http_connections* */
  uint64_t idle_closed;     /* keep-alive connections closed idle */
  uint64_t waiting;         /* gauge: requests waiting for their fsync */
  uint64_t flushes;         /* durability generations asked for */
  uint64_t memory_bytes;    /* gauge: body bytes held (the budget's) */
};

/* What net_otlp_http_init needs. */
struct net_otlp_http_cfg {
  int fd;                   /* listening socket (SO_REUSEPORT, per shard) */
  uint32_t conns_max;       /* <= NET_OTLP_HTTP_CONNS_MAX */
  struct core_heap *heap;   /* the shard's, for bodies (NULL: malloc) */
};

/* Where a connection is in its request/reply cycle. */
enum net_otlp_state {
  NET_OTLP_ST_READ = 0,   /* reading a request */
  NET_OTLP_ST_WAIT,       /* ingested: waiting until it is durable */
  NET_OTLP_ST_SEND,       /* a final reply is going out */
  NET_OTLP_ST_LINGER,     /* after an error reply: drop input, then close */
};

/* Which of the reading deadlines runs. */
enum net_otlp_phase {
  NET_OTLP_PH_IDLE = 0,   /* no byte of a request yet */
  NET_OTLP_PH_HEADER,     /* request line and headers arriving */
  NET_OTLP_PH_BODY,       /* body arriving */
};

/* One connection's protocol state (its bytes are the rconn slot's). */
struct net_otlp_conn {
  struct net_http_parser parser;
  uint8_t state;          /* enum net_otlp_state */
  uint8_t phase;          /* enum net_otlp_phase */
  uint8_t close_after;    /* close once the reply went out */
  uint8_t linger_after;   /* ... after lingering (unread input may follow) */
  uint8_t routed;         /* sig and enc are known (counted per signal) */
  uint8_t sig, enc;       /* of the request at hand */
  int64_t since_ms;       /* when the phase or state began */
  uint32_t linger_bytes;
};

struct net_otlp_http {
  struct net_rconn rc;              /* accept/recv/send plumbing */
  struct core_pipe *pipe;
  struct net_otlp_http_stats *stats;
  struct net_otlp_durable dur;      /* requests waiting for their fsync */
  struct net_otlp_conn *conns;      /* rc.conns_max (mmap) */
  struct net_http_budget budget;    /* bodies of every connection */
  char *inflated;                   /* NET_OTLP_HTTP_INFLATED_BYTES_MAX (mmap) */
  struct net_gzip *gz;              /* (mmap) */
  int on;                           /* init succeeded, a listener exists */
  int stopping;
  int64_t swept_ms;                 /* the last sweep of the deadlines */
};

#endif
