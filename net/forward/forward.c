/*
 * net/forward/forward.c - the remote-write forwarder (net/forward/forward.h):
 * one thread per target that builds a batch from every shard's durable
 * blocks (tail.c), sends it (httpc.c), retries it, and saves the cursors
 * once the target answered; and the per-target counters on /metrics.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/base/stat.h"
#include "core/base/strbuf.h"
#include "net/forward/forward.h"
#include "net/forward/forward_internal.h"
#include "net/prompb.h"
#include "net/query/remote_read.h"
#include "net/query/selector.h"
#include "storage/block_types.h"

/* What a target is sent. */
enum fmt {
  FMT_REMOTE_WRITE,  /* metrics: Prometheus remote-write 1.0 */
  FMT_SYSLOG,        /* logs: RFC 5424 over TCP, octet-counted */
  FMT_OTLP,          /* metrics, logs or spans: OTLP/HTTP protobuf */
};

struct target {
  struct net_fwd *f;
  unsigned index;
  uint8_t kind;                      /* STOR_KIND_METRICS, _LOGS or _SPANS */
  int fmt;                           /* enum fmt: what is sent */
  char id[NET_FWD_ID_BYTES_MAX];
  struct net_fwd_target_cfg cfg;
  struct net_fwd_url url;
  struct net_fwd_conn conn;
  struct core_strbuf head;           /* request head up to Content-Length */
  int cur_fd;                        /* <data-dir>/forward/<id> */
  struct net_fwd_tail *tails;        /* one per shard */
  struct net_fwd_stats stats;
  pthread_t thread;
  int started;
  uint64_t rnd;
  int64_t caught_up_ms;              /* the last time nothing was pending */
  int64_t drained_ms;                /* the batch took all there was then */
  int64_t failing_since_ms;          /* 0: the last request went through */
  char why[NET_FWD_PATH_BYTES_MAX + 64]; /* a failure's reason */
  /* the batch being built */
  struct core_strbuf pb;             /* WriteRequest, or syslog frames */
  struct core_strbuf line;           /* one syslog message */
  struct net_prompb_w w;
  uint64_t batch_samples;
  struct core_label_iter it;         /* OTLP attributes */
  int span_open;                     /* a ResourceSpans is open ... */
  uint64_t span_block;               /* ... for this block's ... */
  const struct stor_span_res *span_res; /* ... resource */
  struct net_rread_labels rl;        /* remote-write labels */
};

struct net_fwd {
  struct net_fwd_env env;
  uint32_t batch_samples, batch_age_ms;
  int stop_fd;                       /* eventfd: readable at stop */
  unsigned count;
  struct target *t;
};

static int64_t mono_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep up to ms; 1 when the forwarder is stopping. */
static int nap(const struct net_fwd *f, int64_t ms) {
  struct pollfd p = {.fd = f->stop_fd, .events = POLLIN};

  if (ms < 0)
    ms = 0;
  return poll(&p, 1, (int)ms) > 0;
}

static uint64_t next_rnd(struct target *t) {
  t->rnd ^= t->rnd << 13;
  t->rnd ^= t->rnd >> 7;
  t->rnd ^= t->rnd << 17;
  return t->rnd;
}

/* A net_fwd_points_fn: one TimeSeries of the WriteRequest. */
static int on_points(void *ctx, const struct stor_dict_entry *e,
                     const int64_t *ts, const double *val, uint32_t n) {
  struct target *t = ctx;
  int n_out;

  if (t->pb.len >= NET_FWD_BATCH_BYTES_SOFT)
    return 1;
  if (t->fmt == FMT_OTLP) {
    net_fwd_otlp_metric(&t->w, &t->it, e, ts, val, n);
    t->batch_samples += n;
    return t->w.err;
  }
  /* the labels remote-read serves for the key, "name\0value\0"... */
  n_out = net_rread_labels(&t->rl, e->key, e->key_len);
  if (n_out < 0)
    return n_out;
  net_prompb_begin(&t->w, NET_PROMPB_WRITE_TIMESERIES);
  for (const char *p = t->rl.out, *end = p + n_out; p < end;) {
    size_t nl = strlen(p), vl = strlen(p + nl + 1);
    net_prompb_label(&t->w, NET_PROMPB_TS_LABELS, p, nl, p + nl + 1, vl);
    p += nl + vl + 2;
  }
  for (uint32_t i = 0; i < n; i++)
    net_prompb_sample(&t->w, NET_PROMPB_TS_SAMPLES, val[i], ts[i]);
  net_prompb_end(&t->w);
  t->batch_samples += n;
  return t->w.err;
}

/* A net_fwd_record_fn: one record for the batch (OTLP or syslog). */
static int on_record(void *ctx, const struct stor_log_rec *r) {
  struct target *t = ctx;

  if (t->pb.len >= NET_FWD_BATCH_BYTES_SOFT)
    return 1;
  if (t->fmt == FMT_OTLP)
    net_fwd_otlp_log(&t->w, r, &t->line);
  else if (net_fwd_syslog_frame(&t->pb, &t->line, r) < 0)
    return -ENOMEM;
  t->batch_samples++;
  return t->fmt == FMT_OTLP ? t->w.err : 0;
}

/* A net_fwd_span_fn: one span for the batch, in a ResourceSpans of its
 * resource (a new one when the resource or the block changes). */
static int on_span(void *ctx, const struct stor_span *sp, uint64_t block) {
  struct target *t = ctx;

  if (t->pb.len >= NET_FWD_BATCH_BYTES_SOFT)
    return 1;
  if (!t->span_open || t->span_block != block || t->span_res != sp->res) {
    if (t->span_open)
      net_fwd_otlp_close(&t->w);
    net_fwd_otlp_spans_open(&t->w, sp->res);
    t->span_open = 1;
    t->span_block = block;
    t->span_res = sp->res;
  }
  net_fwd_otlp_span(&t->w, sp);
  t->batch_samples++;
  return t->w.err;
}

/* ---- batches ------------------------------------------------------------- */

/* Take what the shards have, round robin, up to the batch bound.
 * Returns 1 when every shard was drained (caught up), 0, or -errno. */
static int fill(struct target *t) {
  struct net_fwd *f = t->f;
  struct net_fwd_sink sink = {on_points, on_record, on_span, t};
  int drained = 1;

  for (unsigned k = 0; k < f->env.shard_count; k++) {
    uint64_t room = f->batch_samples > t->batch_samples
                        ? f->batch_samples - t->batch_samples
                        : 0;
    long got;
    if (room == 0)
      return 0;
    got = net_fwd_tail_fill(&t->tails[k], room, &sink);
    if (got < 0)
      return (int)got;
    if ((uint64_t)got == room)
      drained = 0;
  }
  return drained && t->pb.len < NET_FWD_BATCH_BYTES_SOFT;
}

static void refresh_gauges(struct target *t, int64_t now) {
  uint64_t pending = 0, dropped = 0;

  for (unsigned k = 0; k < t->f->env.shard_count; k++) {
    pending += net_fwd_tail_pending_bytes(&t->tails[k], &t->tails[k].saved);
    dropped += t->tails[k].dropped_segments;
  }
  core_stat_set(&t->stats.pending_bytes, pending);
  core_stat_set(&t->stats.dropped_by_retention, dropped);
  core_stat_set(&t->stats.lag_seconds,
                pending == 0 ? 0 : (uint64_t)(now - t->caught_up_ms) / 1000);
}

/* Save the cursors that moved; they now say the batch was answered. */
static void commit(struct target *t) {
  for (unsigned k = 0; k < t->f->env.shard_count; k++) {
    struct net_fwd_tail *tl = &t->tails[k];
    int rc;
    if (memcmp(&tl->pos, &tl->saved, sizeof(tl->pos)) == 0)
      continue;
    rc = net_fwd_cursor_save(t->cur_fd, tl->cursor_name, &tl->pos);
    if (rc < 0)
      fprintf(stderr, "sluice: forward %s: cannot save the cursor of shard "
              "%u: %s (sent again after a restart)\n", t->id, k,
              strerror(-rc));
    else /* the segments before it are behind this target for good */
      __atomic_store_n(&tl->saved_segment, tl->pos.segment, __ATOMIC_RELEASE);
    tl->saved = tl->pos;
  }
}

/*
 * Build the next batch: send at the sample bound, or once the first
 * points waited batch_age_ms. Returns 1 with a batch, 0 at stop, -errno.
 */
static int build(struct target *t) {
  struct net_fwd *f = t->f;
  int64_t first = 0, rescan = 0;

  t->pb.len = 0;
  t->pb.failed = 0;
  t->batch_samples = 0;
  t->drained_ms = 0;
  net_prompb_w_init(&t->w, &t->pb);
  t->span_open = 0; /* spans: a ResourceSpans opens with the first */
  if (t->fmt == FMT_OTLP && t->kind != STOR_KIND_SPANS)
    net_fwd_otlp_open(&t->w);
  for (;;) {
    int64_t now = mono_ms();
    int rc = fill(t);
    if (rc < 0)
      return rc;
    if (rc == 1 && t->batch_samples == 0) {
      t->caught_up_ms = now;
      commit(t); /* blocks of the other kind stepped over: not pending */
    }
    if (rc == 1)
      t->drained_ms = now; /* once answered, the target is caught up to now */
    if (t->batch_samples > 0 && first == 0)
      first = now;
    if (rc == 0 || (first && now - first >= f->batch_age_ms))
      return 1;
    if (now >= rescan) {
      refresh_gauges(t, now);
      rescan = now + NET_FWD_RESCAN_MS;
    }
    int64_t wait = NET_FWD_POLL_MS;
    if (first && first + f->batch_age_ms - now < wait)
      wait = first + f->batch_age_ms - now;
    if (nap(f, wait))
      return 0;
  }
}


/* The content of a secret file, trailing newlines and spaces cut.
 * Returns 0, or -errno with the reason in t->why. */
static int read_secret(struct target *t, const char *path, char *out,
                       size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
  ssize_t n;

  if (fd < 0) {
    rc = -errno;
    snprintf(t->why, sizeof(t->why), "cannot read \"%s\"", path);
    return rc;
  }
  n = read(fd, out, cap);
  close(fd);
  if (n < 0 || (size_t)n >= cap) {
    snprintf(t->why, sizeof(t->why), "\"%s\" is %s", path,
             n < 0 ? "unreadable" : "larger than a secret (4 KiB)");
    return n < 0 ? -EIO : -EFBIG;
  }
  while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r' ||
                   out[n - 1] == ' ' || out[n - 1] == '\t'))
    n--;
  out[n] = '\0';
  for (ssize_t i = 0; i < n; i++)
    if ((unsigned char)out[i] < ' ') {
      snprintf(t->why, sizeof(t->why), "\"%s\" holds a control character",
               path);
      return -EINVAL;
    }
  return 0;
}

/*
 * Append the Authorization header to the request head. The secret files
 * are read for every request, as Prometheus does: a rotated token is
 * picked up, and a missing file fails the request (retried) rather than
 * the daemon. Returns 0 or -errno with the reason in t->why.
 */
static int auth_header(struct target *t) {
  char secret[NET_FWD_SECRET_BYTES_MAX], plain[NET_FWD_SECRET_BYTES_MAX + 260];
  unsigned char b64[(sizeof(plain) + 2) / 3 * 4 + 1];
  int rc = 0;

  if (t->cfg.bearer_file[0]) {
    rc = read_secret(t, t->cfg.bearer_file, secret, sizeof(secret));
    if (rc == 0)
      core_strbuf_appendf(&t->head, "Authorization: Bearer %s\r\n", secret);
  } else if (t->cfg.basic_user[0]) {
    rc = read_secret(t, t->cfg.basic_pass_file, secret, sizeof(secret));
    int n = snprintf(plain, sizeof(plain), "%s:%s", t->cfg.basic_user, secret);
    if (rc == 0 && n > 0) {
      EVP_EncodeBlock(b64, (const unsigned char *)plain, n);
      core_strbuf_appendf(&t->head, "Authorization: Basic %s\r\n", b64);
      explicit_bzero(b64, sizeof(b64));
    }
  }
  explicit_bzero(secret, sizeof(secret));
  explicit_bzero(plain, sizeof(plain));
  return rc;
}

static void log_failure(struct target *t, int rc, const struct net_fwd_reply *r,
                        const char *why, int64_t now) {
  /* the first failure of a run, then one line a minute */
  if (t->failing_since_ms != 0 && now - t->failing_since_ms < 60000)
    return;
  t->failing_since_ms = now;
  if (rc < 0)
    fprintf(stderr, "sluice: forward %s: %s%s%s; retrying with backoff\n",
            t->id, strerror(-rc), why ? ": " : "", why ? why : "");
  else
    fprintf(stderr, "sluice: forward %s: HTTP %d %s\n", t->id, r->status,
            r->text);
}

/* Whether a non-2xx answer is worth sending again: remote-write retries
 * 5xx and 429; OTLP/HTTP only 429, 502, 503 and 504 (the OTLP spec). */
static int retryable(const struct target *t, int status) {
  if (t->fmt == FMT_OTLP)
    return status == 429 || status == 502 || status == 503 || status == 504;
  return status == 429 || status / 100 == 5 || status / 100 < 2;
}

/*
 * Send the batch until the target takes it (2xx) or refuses it (4xx but
 * 429: counted rejected). 5xx, 429 and connection errors are retried
 * with backoff. Returns 0 when answered, -ECANCELED at stop, -errno.
 */
static int send_batch(struct target *t) {
  char *body, cl[64];
  size_t body_len;
  size_t head_len = t->head.len;
  int rc;

  if (t->fmt == FMT_OTLP && (t->kind != STOR_KIND_SPANS || t->span_open))
    net_fwd_otlp_close(&t->w);
  rc = net_prompb_w_status(&t->w);
  if (rc == 0 && t->fmt == FMT_OTLP) {
    body_len = t->pb.len; /* OTLP/HTTP: plain protobuf */
    body = malloc(body_len ? body_len : 1);
    if (body == NULL)
      rc = -ENOMEM;
    else
      memcpy(body, t->pb.data, body_len);
  } else if (rc == 0) {
    rc = net_prompb_snappy_compress(t->pb.data, t->pb.len, &body, &body_len);
  }
  if (rc < 0)
    return rc;
  snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n\r\n", body_len);
  for (unsigned attempt = 0;; attempt++) {
    struct net_fwd_reply rep = {0};
    const char *why = NULL;
    int64_t now;
    t->head.len = head_len;
    rc = auth_header(t);
    why = rc < 0 ? t->why : NULL;
    if (rc == 0) {
      core_strbuf_append(&t->head, cl, strlen(cl));
      rc = net_fwd_post(&t->conn, t->head.data, t->head.len, body, body_len,
                        &rep, &why);
    }
    if (rc == -ECANCELED)
      break;
    now = mono_ms();
    if (rc == 0 && rep.status / 100 == 2) {
      core_stat_add(&t->stats.sent_samples, t->batch_samples);
      core_stat_add(&t->stats.sent_requests, 1);
      if (t->failing_since_ms)
        fprintf(stderr, "sluice: forward %s: the target takes data again\n",
                t->id);
      t->failing_since_ms = 0;
      break;
    }
    core_stat_add(&t->stats.failed_requests, 1);
    if (rc == 0 && !retryable(t, rep.status)) {
      core_stat_add(&t->stats.rejected_samples, t->batch_samples);
      fprintf(stderr, "sluice: forward %s: HTTP %d for a batch of %" PRIu64
              " samples: rejected, not retried: %s\n", t->id, rep.status,
              t->batch_samples, rep.text);
      break;
    }
    log_failure(t, rc, &rep, why, now);
    refresh_gauges(t, now);
    uint32_t ra = rc == 0 && rep.retry_after_ms > 0
                      ? (uint32_t)(rep.retry_after_ms > UINT32_MAX
                                       ? UINT32_MAX
                                       : rep.retry_after_ms)
                      : 0;
    if (nap(t->f, net_fwd_backoff_ms(attempt, next_rnd(t), ra))) {
      rc = -ECANCELED;
      break;
    }
    core_stat_add(&t->stats.retries, 1);
  }
  explicit_bzero(t->head.data + head_len, t->head.len - head_len);
  t->head.len = head_len;
  free(body);
  return rc == -ECANCELED ? rc : 0; /* answered: sent or rejected */
}

/* Write the batch's frames until the connection takes them all. */
static int send_syslog(struct target *t) {
  for (unsigned attempt = 0;; attempt++) {
    const char *why = NULL;
    int rc = net_fwd_conn_send(&t->conn, t->pb.data, t->pb.len, &why);
    int64_t now = mono_ms();
    if (rc == -ECANCELED)
      return rc;
    if (rc == 0) {
      core_stat_add(&t->stats.sent_samples, t->batch_samples);
      core_stat_add(&t->stats.sent_requests, 1);
      t->failing_since_ms = 0;
      return 0;
    }
    core_stat_add(&t->stats.failed_requests, 1);
    log_failure(t, rc, NULL, why, now);
    refresh_gauges(t, now);
    if (nap(t->f, net_fwd_backoff_ms(attempt, next_rnd(t), 0)))
      return -ECANCELED;
    core_stat_add(&t->stats.retries, 1);
  }
}

static void *target_main(void *arg) {
  struct target *t = arg;

  t->caught_up_ms = mono_ms();
  for (;;) {
    int rc = build(t);
    if (rc == 0)
      break;
    if (rc > 0)
      rc = t->fmt == FMT_SYSLOG ? send_syslog(t) : send_batch(t);
    if (rc == -ECANCELED)
      break;
    if (rc < 0) {
      /* nothing is skipped: the batch is built again from the cursors */
      fprintf(stderr, "sluice: forward %s: cannot build a batch: %s; "
              "trying again in a second\n", t->id, strerror(-rc));
      for (unsigned k = 0; k < t->f->env.shard_count; k++)
        net_fwd_tail_rewind(&t->tails[k]);
      if (nap(t->f, 1000))
        break;
      continue;
    }
    commit(t);
    if (t->drained_ms)
      t->caught_up_ms = t->drained_ms;
    refresh_gauges(t, mono_ms());
  }
  return NULL;
}

/* ---- start-up ------------------------------------------------------------ */

static int make_head(struct target *t, char *err, size_t errlen) {
  core_strbuf_init(&t->head, 64 * 1024);
  core_strbuf_appendf(&t->head,
                      "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: sluice\r\n"
                      "Content-Type: application/x-protobuf\r\n%s",
                      t->url.path, t->url.authority,
                      t->fmt == FMT_OTLP
                          ? ""
                          : "Content-Encoding: snappy\r\n"
                            "X-Prometheus-Remote-Write-Version: 0.1.0\r\n");
  for (unsigned i = 0; i < t->cfg.header_count; i++)
    core_strbuf_appendf(&t->head, "%s\r\n", t->cfg.headers[i]);
  if (t->cfg.bearer_file[0] && t->cfg.basic_user[0])
    return net_fwd_fail(err, errlen, "--remote-write %s: both a bearer "
                        "token and basic auth; give one", t->cfg.url);
  return 0;
}

static int mkdir_p(const char *path) {
  char tmp[4096 + 256];
  size_t n = strlen(path);

  if (n >= sizeof(tmp))
    return -ENAMETOOLONG;
  memcpy(tmp, path, n + 1);
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
      return -errno;
    *p = '/';
  }
  return mkdir(tmp, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

/* Open the shard's directory and the target's cursor for it. */
static int open_tail(struct target *t, unsigned k, char *err, size_t errlen) {
  const struct net_fwd_env *env = &t->f->env;
  char dir[4096 + 32], path[4096 + 256];
  struct net_fwd_cursor c = {.segment = env->first_segment[k]};
  const char *why;
  int fd, rc;

  snprintf(dir, sizeof(dir), "%s/shard-%u", env->data_dir, k);
  fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return net_fwd_fail(err, errlen, "forward: cannot open \"%s\": %s", dir,
                strerror(errno));
  snprintf(path, sizeof(path), "%s/forward/%s/shard-%u.cursor",
           env->data_dir, t->id, k);
  rc = net_fwd_cursor_load(path, &c, &why);
  if (rc == -EBADMSG || (rc < 0 && rc != -ENOENT)) {
    close(fd);
    return net_fwd_fail(err, errlen, "forward: the cursor file \"%s\" is damaged "
                "(%s); remove it to send this shard's data from where "
                "sluice starts now, or write a good one (docs/forwarding.md)",
                path, rc == -EBADMSG ? why : strerror(-rc));
  }
  net_fwd_tail_init(&t->tails[k], k, t->kind, dir, fd, t->cur_fd,
                    env->durable_seq[k], &c);
  if (rc == -ENOENT &&
      (rc = net_fwd_cursor_save(t->cur_fd, t->tails[k].cursor_name, &c)) < 0)
    return net_fwd_fail(err, errlen, "forward: cannot write \"%s\": %s", path,
                strerror(-rc));
  return 0;
}

/* The signal's URL (base + /v1/metrics, /v1/logs or /v1/traces) and the
 * id otlp_<host_port_path>_<signal>. */
static int otlp_url(struct target *t, char *why, size_t n) {
  const char *sig = t->kind == STOR_KIND_LOGS    ? "logs"
                    : t->kind == STOR_KIND_SPANS ? "traces"
                                                 : "metrics";
  char raw[sizeof(t->id)];
  size_t len;

  if (net_fwd_url_parse(t->cfg.url, &t->url, why, n) < 0)
    return -EINVAL;
  net_fwd_target_id(&t->url, raw, sizeof(raw));
  snprintf(t->id, sizeof(t->id), "otlp_%.*s_%s",
           (int)(sizeof(t->id) - 14), raw, sig);
  len = strcspn(t->url.path, "?");
  while (len > 0 && t->url.path[len - 1] == '/')
    len--;
  if (len + 12 >= sizeof(t->url.path) || t->url.path[len] == '?')
    return net_fwd_fail(why, n, "a query string is not taken; give the "
                        "collector's base URL");
  snprintf(t->url.path + len, sizeof(t->url.path) - len, "/v1/%s", sig);
  return 0;
}

static int setup_target(struct target *t, char *err, size_t errlen) {
  char why[256], dir[4096 + 256];
  int rc;

  if (t->fmt == FMT_SYSLOG) {
    if (net_fwd_hostport_parse(t->cfg.url, &t->url, why, sizeof(why)) < 0)
      return net_fwd_fail(err, errlen, "--forward-syslog \"%s\": %s",
                          t->cfg.url, why);
    char raw[sizeof(t->id)];
    net_fwd_target_id(&t->url, raw, sizeof(raw));
    snprintf(t->id, sizeof(t->id), "syslog_%.*s",
             (int)(sizeof(t->id) - 8), raw);
  } else if (t->fmt == FMT_OTLP) {
    if (otlp_url(t, why, sizeof(why)) < 0)
      return net_fwd_fail(err, errlen, "--otlp-export \"%s\": %s",
                          t->cfg.url, why);
  } else {
    if (net_fwd_url_parse(t->cfg.url, &t->url, why, sizeof(why)) < 0)
      return net_fwd_fail(err, errlen, "--remote-write \"%s\": %s",
                          t->cfg.url, why);
    net_fwd_target_id(&t->url, t->id, sizeof(t->id));
  }
  for (unsigned i = 0; i < t->index; i++)
    if (strcmp(t->f->t[i].id, t->id) == 0)
      return net_fwd_fail(err, errlen, "--remote-write \"%s\" is given twice (id "
                  "%s)", t->cfg.url, t->id);
  t->cur_fd = -1;
  t->rnd = (uint64_t)mono_ms() * 0x9E3779B97F4A7C15ull + t->index + 1;
  core_strbuf_init(&t->pb, NET_FWD_BATCH_BYTES_MAX);
  core_strbuf_init(&t->line, 4 * CORE_SYSLOG_BYTES_MAX_LIMIT);
  if (t->fmt != FMT_SYSLOG && (rc = make_head(t, err, errlen)) < 0)
    return rc;
  if (net_fwd_conn_init(&t->conn, &t->url, t->cfg.ca_file, t->f->stop_fd, why,
                        sizeof(why)) < 0)
    return net_fwd_fail(err, errlen, "--remote-write \"%s\": %s", t->cfg.url, why);
  snprintf(dir, sizeof(dir), "%s/forward/%s", t->f->env.data_dir, t->id);
  if ((rc = mkdir_p(dir)) < 0 ||
      (t->cur_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    return net_fwd_fail(err, errlen, "forward: cannot create \"%s\": %s", dir,
                strerror(rc < 0 ? -rc : errno));
  t->tails = calloc(t->f->env.shard_count, sizeof(*t->tails));
  if (t->tails == NULL)
    return net_fwd_fail(err, errlen, "forward: out of memory");
  for (unsigned k = 0; k < t->f->env.shard_count; k++) {
    t->tails[k].dir_fd = -1;
    if ((rc = open_tail(t, k, err, errlen)) < 0)
      return rc;
  }
  return 0;
}

int net_fwd_start(struct net_fwd **out, const struct net_fwd_config *cfg,
                  const struct net_fwd_env *env, char *err, size_t errlen) {
  unsigned n = cfg->count + cfg->syslog_count + 3 * cfg->otlp_count;
  struct net_fwd *f;
  int rc = 0;

  *out = NULL;
  if (n == 0)
    return 0;
  f = calloc(1, sizeof(*f));
  if (f == NULL || (f->t = calloc(n, sizeof(*f->t))) == NULL) {
    free(f);
    return net_fwd_fail(err, errlen, "forward: out of memory");
  }
  f->env = *env;
  f->batch_samples = cfg->batch_samples;
  f->batch_age_ms = cfg->batch_age_ms;
  f->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  f->count = n;
  for (unsigned i = 0; i < f->count && rc == 0; i++) {
    struct target *t = &f->t[i];
    unsigned j = i - cfg->count - cfg->syslog_count; /* OTLP: 3 a URL */
    t->f = f;
    t->index = i;
    if (i < cfg->count) {
      t->fmt = FMT_REMOTE_WRITE;
      t->kind = STOR_KIND_METRICS;
      t->cfg = cfg->t[i];
    } else if (i < cfg->count + cfg->syslog_count) {
      t->fmt = FMT_SYSLOG;
      t->kind = STOR_KIND_LOGS;
      snprintf(t->cfg.url, sizeof(t->cfg.url), "%s",
               cfg->syslog[i - cfg->count]);
    } else {
      t->fmt = FMT_OTLP;
      t->kind = j % 3 == 0   ? STOR_KIND_METRICS
                : j % 3 == 1 ? STOR_KIND_LOGS
                             : STOR_KIND_SPANS;
      snprintf(t->cfg.url, sizeof(t->cfg.url), "%s", cfg->otlp[j / 3]);
    }
    rc = f->stop_fd < 0 ? -errno : setup_target(t, err, errlen);
  }
  for (unsigned i = 0; i < f->count && rc == 0; i++) {
    rc = -pthread_create(&f->t[i].thread, NULL, target_main, &f->t[i]);
    f->t[i].started = rc == 0;
    if (rc < 0)
      net_fwd_fail(err, errlen, "forward: cannot start a thread: %s", strerror(-rc));
  }
  if (rc < 0) {
    net_fwd_stop(f);
    return rc;
  }
  *out = f;
  return 0;
}

void net_fwd_stop(struct net_fwd *f) {
  uint64_t one = 1;

  if (f == NULL)
    return;
  if (f->stop_fd >= 0 && write(f->stop_fd, &one, sizeof(one)) < 0)
    perror("sluice: forward: stop");
  for (unsigned i = 0; i < f->count; i++) {
    struct target *t = &f->t[i];
    if (t->started)
      pthread_join(t->thread, NULL);
    for (unsigned k = 0; t->tails && k < f->env.shard_count; k++) {
      net_fwd_tail_free(&t->tails[k]);
      if (t->tails[k].dir_fd >= 0)
        close(t->tails[k].dir_fd);
    }
    free(t->tails);
    if (t->cur_fd > 0)
      close(t->cur_fd);
    net_fwd_conn_free(&t->conn);
    if (t->head.data != NULL)
      explicit_bzero(t->head.data, t->head.cap);
    core_strbuf_free(&t->head);
    core_strbuf_free(&t->pb);
    core_strbuf_free(&t->line);
  }
  if (f->stop_fd >= 0)
    close(f->stop_fd);
  free(f->t);
  free(f);
}

uint64_t net_fwd_passed_segment(const struct net_fwd *f, unsigned shard) {
  uint64_t min = UINT64_MAX;

  if (f == NULL || shard >= f->env.shard_count)
    return UINT64_MAX;
  for (unsigned i = 0; i < f->count; i++) {
    const struct net_fwd_tail *tl = &f->t[i].tails[shard];
    uint64_t s = __atomic_load_n(&tl->saved_segment, __ATOMIC_ACQUIRE);
    min = s < min ? s : min;
  }
  return min;
}

/* ---- /metrics ------------------------------------------------------------ */

void net_fwd_render(const struct net_fwd *f, struct core_strbuf *out) {
  /* remote-write name, syslog name (NULL: not for syslog), help */
  static const struct {
    const char *name, *sname, *type, *help;
    size_t off;
  } fam[] = {
#define F(n, sn, ty, h, field)                                                 \
  {n, sn, ty, h, offsetof(struct net_fwd_stats, field)}
      F("sluice_forward_sent_samples_total",
        "sluice_forward_syslog_sent_records_total", "counter",
        "Samples a remote-write target acknowledged (2xx); log records "
        "written to a syslog target's connection.", sent_samples),
      F("sluice_forward_requests_total", "sluice_forward_syslog_writes_total",
        "counter", "Requests acknowledged (2xx); batches written.",
        sent_requests),
      F("sluice_forward_failed_requests_total",
        "sluice_forward_syslog_failed_writes_total", "counter",
        "Requests without a 2xx (connection error, timeout, 4xx, 5xx); "
        "batches not written (connection errors).", failed_requests),
      F("sluice_forward_retries_total", "sluice_forward_syslog_retries_total",
        "counter", "Requests or writes tried again after a failure.",
        retries),
      F("sluice_forward_rejected_samples_total", NULL, "counter",
        "Samples in batches a target refused with a 4xx other than 429 "
        "(skipped, not retried).", rejected_samples),
      F("sluice_forward_dropped_by_retention_total",
        "sluice_forward_syslog_dropped_by_retention_total", "counter",
        "Segments retention deleted before they were sent to the target.",
        dropped_by_retention),
      F("sluice_forward_lag_seconds", "sluice_forward_syslog_lag_seconds",
        "gauge",
        "Seconds since the target last had nothing pending (0: caught up).",
        lag_seconds),
      F("sluice_forward_pending_bytes", "sluice_forward_syslog_pending_bytes",
        "gauge",
        "Segment bytes after the target's cursors (not acknowledged yet).",
        pending_bytes),
#undef F
  };

  if (f == NULL)
    return;
  for (int syslog = 0; syslog < 2; syslog++)
    for (size_t i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
      const char *name = syslog ? fam[i].sname : fam[i].name;
      int head = 0;
      for (unsigned k = 0; name != NULL && k < f->count; k++) {
        const uint64_t *v = (const uint64_t *)(const void *)(
            (const char *)&f->t[k].stats + fam[i].off);
        if ((f->t[k].fmt == FMT_SYSLOG) != syslog)
          continue;
        if (!head++)
          core_strbuf_appendf(out, "# HELP %s %s\n# TYPE %s %s\n", name,
                              fam[i].help, name, fam[i].type);
        core_strbuf_appendf(out, "%s{target=\"%s\"} %" PRIu64 "\n", name,
                            f->t[k].id, core_stat_get(v));
      }
    }
}
