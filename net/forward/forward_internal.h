/*
 * net/forward/forward_internal.h - what the files of net/forward share and
 * no one else uses: the HTTP/1.1 client of one target (plain TCP or TLS)
 * and the tailer of one shard's segments.
 */
#ifndef SLUICE_NET_FORWARD_FORWARD_INTERNAL_H
#define SLUICE_NET_FORWARD_FORWARD_INTERNAL_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>

#include "net/forward/forward_types.h"
#include "storage/reader_types.h"

/* Write a message into err (n bytes, may be NULL). Returns -EINVAL. */
int net_fwd_fail(char *err, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- HTTP client (httpc.c) ----------------------------------------------- */

/* One target's connection, opened on demand and kept alive. */
struct net_fwd_conn {
  const struct net_fwd_url *url;
  SSL_CTX *ctx;          /* https only */
  SSL *ssl;
  int fd;                /* -1: not connected */
  int stop_fd;           /* readable once the forwarder stops */
  int reused;            /* the connection served a request already */
  char in[NET_FWD_RESPONSE_HEAD_BYTES_MAX];
  size_t in_len;
};

/* What a target answered. */
struct net_fwd_reply {
  int status;               /* HTTP status */
  int64_t retry_after_ms;   /* -1: no (valid) Retry-After */
  char text[160];           /* the start of the body, for the log */
};

/*
 * Set up c for url (kept by pointer); https: an SSL_CTX that verifies the
 * target's certificate and host name against ca_file (NULL or "": the
 * system's CAs). Returns 0, or -EINVAL with the reason in err.
 */
int net_fwd_conn_init(struct net_fwd_conn *c, const struct net_fwd_url *url,
                      const char *ca_file, int stop_fd, char *err,
                      size_t errlen);

/* Close the connection (c stays usable: the next post connects). */
void net_fwd_conn_close(struct net_fwd_conn *c);

/* Close and free what init set up. */
void net_fwd_conn_free(struct net_fwd_conn *c);

/*
 * POST body with the request head `head` (request line and headers,
 * ending in an empty line), connecting first if needed, each phase under
 * its deadline (NET_FWD_*_TIMEOUT_MS). A kept-alive connection the target
 * closed meanwhile is reopened once.
 * Returns 0 with rep filled (whatever the status), or -errno: -ETIMEDOUT,
 * -ECONNREFUSED, -ECONNRESET, -EPROTO (not HTTP, a TLS failure: why says
 * it), -ECANCELED at stop. After an error the connection is closed.
 */
int net_fwd_post(struct net_fwd_conn *c, const char *head, size_t head_len,
                 const void *body, size_t body_len, struct net_fwd_reply *rep,
                 const char **why);

/*
 * Write len bytes on the connection (syslog over TCP: no answer), opening
 * it first if needed, or again when the peer closed it.
 * Returns 0 or -errno as net_fwd_post (the connection is closed after an
 * error).
 */
int net_fwd_conn_send(struct net_fwd_conn *c, const void *buf, size_t len,
                      const char **why);

/* ---- OTLP/HTTP bodies (otlp.c) ------------------------------------------ */

struct net_prompb_w;
struct core_label_iter;
struct core_strbuf;

/* Open the request's one Resource{Metrics,Logs} and Scope{Metrics,Logs}
 * (scope name "sluice"); items follow; net_fwd_otlp_close ends both. */
void net_fwd_otlp_open(struct net_prompb_w *w);
void net_fwd_otlp_close(struct net_prompb_w *w);

/* One Metric of n points of series e: a delta monotonic Sum for StatsD
 * counters, a Gauge for the other types; tags as string attributes. */
void net_fwd_otlp_metric(struct net_prompb_w *w, struct core_label_iter *it,
                         const struct stor_dict_entry *e, const int64_t *ts,
                         const double *val, uint32_t n);

/* One LogRecord (scratch: joined values of repeated attribute keys). */
void net_fwd_otlp_log(struct net_prompb_w *w, const struct stor_log_rec *r,
                      struct core_strbuf *scratch);

/* Open a ResourceSpans with res's attributes and a ScopeSpans with its
 * scope; spans follow; net_fwd_otlp_close ends both. */
void net_fwd_otlp_spans_open(struct net_prompb_w *w,
                             const struct stor_span_res *res);

/* One Span as stored: ids, times, kind, status, flags, typed attributes,
 * events and links. */
void net_fwd_otlp_span(struct net_prompb_w *w, const struct stor_span *s);

/* ---- syslog frames (syslog.c) -------------------------------------------- */

/*
 * Append record r to out as one octet-counted RFC 5424 message, built in
 * line first (its bound bounds a message). Returns 0 or -ENOMEM (a bound).
 */
int net_fwd_syslog_frame(struct core_strbuf *out, struct core_strbuf *line,
                         const struct stor_log_rec *r);

/* ---- tailing one shard (tail.c) ------------------------------------------ */

/*
 * n points of one series (its dictionary entry), by time, for the batch.
 * Returns 0 (taken), 1 (the batch is full: not taken, the tailer stops
 * before them) or a negative errno.
 */
typedef int (*net_fwd_points_fn)(void *ctx, const struct stor_dict_entry *e,
                                 const int64_t *ts_ms, const double *val,
                                 uint32_t n);

/* One log record for the batch; returns as net_fwd_points_fn. */
typedef int (*net_fwd_record_fn)(void *ctx, const struct stor_log_rec *r);

/* One span for the batch; block: its block's sequence number (s->res is
 * one of that block's resources: the same pointer in the same block is
 * the same resource). Returns as net_fwd_points_fn. */
typedef int (*net_fwd_span_fn)(void *ctx, const struct stor_span *s,
                               uint64_t block);

/* What a tailer hands its batch, by the kind it reads. */
struct net_fwd_sink {
  net_fwd_points_fn points;  /* STOR_KIND_METRICS */
  net_fwd_record_fn record;  /* STOR_KIND_LOGS */
  net_fwd_span_fn span;      /* STOR_KIND_SPANS */
  void *ctx;
};

/* A series of the open segment: its dictionary entry, key in the arena. */
struct net_fwd_dslot {
  uint32_t id1;          /* id + 1; 0: empty */
  uint8_t type;
  uint32_t key_off, key_len;
};

struct net_fwd_tail {
  unsigned shard;
  uint8_t kind;                 /* STOR_KIND_METRICS, _LOGS or _SPANS */
  char dir_path[4096 + 32];     /* <data-dir>/shard-K */
  int dir_fd;                   /* ... opened */
  int cur_fd;                   /* <data-dir>/forward/<id> (cursor files) */
  char cursor_name[32];         /* shard-K.cursor */
  const uint64_t *durable_seq;  /* storage's gauge for this shard */
  struct net_fwd_cursor saved;  /* what the cursor file holds */
  uint64_t saved_segment;       /* saved.segment once durably saved, read
                                   by the compactor (atomic) */
  struct net_fwd_cursor pos;    /* read position (ahead while in flight) */
  struct stor_seg_reader seg;
  int seg_open;
  /* dictionary of the open segment: open addressing, keys in an arena */
  struct net_fwd_dslot *dict;
  uint32_t dict_mask, dict_count;
  char *keys;
  size_t keys_len, keys_cap;
  /* the current block, decoded */
  int blk_loaded;
  uint64_t blk_seq, blk_next_off;
  uint32_t blk_points, blk_nruns;
  int64_t *ts;
  double *val;
  struct stor_run *runs;
  uint32_t cap;
  uint64_t dropped_segments;    /* deleted by retention before being sent */
  /* the current log block, decoded whole (its strings point into seg's
   * buffer and ldec) */
  struct stor_logdec ldec;
  int ldec_on;
  struct stor_log_rec *recs;
  struct core_syslog_attr *attrs;
  uint32_t recs_cap, attrs_cap;
  /* the current span block (checked whole when loaded) and a span read
   * from it that the last batch had no room for */
  struct stor_spandec sdec;
  int sdec_on;
  struct stor_spanblock_reader srd;
  struct stor_span span;
  int span_held;
};

/*
 * Set t up for shard `shard` from its cursor (saved). Nothing is opened
 * until the first fill.
 */
void net_fwd_tail_init(struct net_fwd_tail *t, unsigned shard, uint8_t kind,
                       const char *dir_path, int dir_fd, int cur_fd,
                       const uint64_t *durable_seq,
                       const struct net_fwd_cursor *saved);

/*
 * Hand up to budget points, log records or spans (by the tailer's kind,
 * to sink's callback of that kind) of durable blocks from t->pos on,
 * moving t->pos past them; blocks of other kinds are stepped over.
 * Returns the count handed (0: nothing durable beyond t->pos yet), or a
 * negative errno (the callback's, -ENOMEM, an I/O error).
 */
long net_fwd_tail_fill(struct net_fwd_tail *t, uint64_t budget,
                       const struct net_fwd_sink *sink);

/* Forget what was read after the saved cursor (a batch that could not
 * be built or sent): the next fill starts there again. */
void net_fwd_tail_rewind(struct net_fwd_tail *t);

/* Segment bytes after cursor `from` (its segment's rest, later files). */
uint64_t net_fwd_tail_pending_bytes(const struct net_fwd_tail *t,
                                    const struct net_fwd_cursor *from);

/* Close files and free buffers. */
void net_fwd_tail_free(struct net_fwd_tail *t);

#endif
