/*
 * net/http.c - the HTTP/1.1 server (see net/http.h): one thread, epoll,
 * non-blocking sockets; connection slots, the read/write/linger cycle of
 * each, replies the server writes itself, the memory budget of responses,
 * deadlines and accept back-off. The parser (net/http_parse.c) and the
 * handlers' helpers (net/http_reply.c) do no I/O and live apart so they
 * can be tested and fuzzed without a socket.
 *
 * Slow clients. One thread serves everyone, so every wait is bounded by a
 * deadline per phase of a request, set when the phase begins and never
 * moved by bytes that trickle in: headers (from accept or the request's
 * first byte), body (from the end of the headers), the response (its size
 * at a minimum rate), keep-alive idleness and the lingering close. Slots
 * are bounded per client address, and a few are kept in reserve for
 * probes (health, readiness, /metrics), so that slow or many connections,
 * even from the prober's own address, cannot lock the probes out: a
 * reserve slot serves one short probe request, and a newcomer takes the
 * reserve slot of the oldest unfinished request there.
 */
#include "net/http.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "core/base/assert.h"
#include "core/base/stat.h"
#include "net/http_clients.h"

enum { C_READ = 0, C_WRITE, C_LINGER, C_PENDING };

/* What a connection's deadline bounds now. */
enum {
  P_HEAD = 0, /* request line and headers: 408 (or 503 in the reserve) */
  P_BODY,     /* request body (and the 100 Continue before it): 408 */
  P_IDLE,     /* keep-alive, no byte of a next request yet: close */
  P_SEND,     /* a final reply being written: close */
  P_LINGER,   /* draining input after a final reply: close */
};

/* Why a connection is refused, or sits in the reserve. */
enum { WHY_NONE = 0, WHY_CONNS, WHY_CLIENT };

#define EV_LISTEN UINT64_MAX
#define EV_WAKE (UINT64_MAX - 1)
#define EVENTS_MAX 64
#define ACCEPT_PAUSE_MS 100  /* out of fds: stop accepting for this long */

struct conn {
  int fd;                        /* -1: free slot */
  int state;                     /* C_READ, C_WRITE, C_LINGER, C_PENDING
                                    (the handler is to be called again) */
  uint32_t events;               /* epoll interest */
  bool more;                     /* unparsed input left after a turn */
  bool close_after;              /* the reply being written is final */
  struct net_http_parser parser;
  char *in;                      /* NET_HTTP_RECV_BUF_BYTES */
  size_t in_off, in_len;
  struct core_strbuf out_head;   /* status line and headers */
  struct net_http_response resp; /* its body follows out_head */
  size_t resp_held;              /* of the budget, for resp.body */
  bool send_body;
  size_t out_off;
  size_t linger_bytes;
  int phase;                     /* P_*: what deadline_ms bounds */
  uint64_t deadline_ms;
  uint64_t born_ms;              /* accept: the reserve evicts the oldest */
  bool reserve;                  /* a probe slot: one probe, then close */
  bool counted;                  /* holds one of its client's connections */
  int why;                       /* WHY_*: why it is in the reserve */
  uint8_t key[NET_HTTP_CLIENT_KEY_BYTES]; /* the client's address */
};

struct net_http_server {
  struct net_http_server_opts o;
  int listen_fd, epoll_fd, wake_fd;
  uint16_t port;
  bool thread_started;
  pthread_t thread;
  unsigned conns_open;           /* general and reserve */
  unsigned pending;              /* connections in C_PENDING */
  unsigned reserve_open;
  unsigned general_max;          /* o.conns_max less the reserve */
  unsigned reserve_max;
  unsigned per_client_max;       /* general slots of one address */
  uint64_t accept_resume_ms;     /* 0: accepting */
  const char *const *probes;     /* paths a reserve slot serves */
  struct net_http_stats stats;
  struct net_http_budget budget; /* request and response bodies */
  struct net_http_clients clients; /* general slots per address */
  struct conn *conns;            /* o.conns_max slots */
};

static const char *const default_probes[] = {"/health", "/-/healthy",
                                             "/-/ready", "/metrics", NULL};

static uint64_t now_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Enter phase with a deadline ms from now. */
static void arm(struct conn *c, int phase, uint64_t ms) {
  c->phase = phase;
  c->deadline_ms = now_ms() + ms;
}

/* A final reply is queued: the client has the base time plus its bytes'
 * time at the minimum rate to read it, however slowly it trickles. */
static void arm_send(const struct net_http_server *s, struct conn *c) {
  uint64_t bytes = c->out_head.len + (c->send_body ? c->resp.body.len : 0);

  arm(c, P_SEND,
      s->o.send_timeout_ms + bytes * 1000u / s->o.send_bytes_per_s_min);
}

/* Free the response body and give back what it held of the budget. */
static void resp_release(struct net_http_server *s, struct conn *c) {
  core_strbuf_free(&c->resp.body);
  net_http_budget_give(&s->budget, c->resp_held);
  c->resp_held = 0;
}

static void conn_close(struct net_http_server *s, struct conn *c) {
  if (c->state == C_PENDING)
    s->pending--;
  c->state = C_READ;
  epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  c->fd = -1;
  net_http_parser_free(&c->parser);
  free(c->in);
  c->in = NULL;
  core_strbuf_free(&c->out_head);
  resp_release(s, c);
  if (c->counted)
    net_http_clients_give(&s->clients, c->key);
  c->counted = false;
  ASSERT(s->conns_open > 0);
  s->conns_open--;
  if (c->reserve) {
    ASSERT(s->reserve_open > 0);
    s->reserve_open--;
  }
}

static void set_interest(struct net_http_server *s, struct conn *c,
                         uint32_t ev) {
  struct epoll_event e = {.events = ev, .data.u64 = (uint64_t)(c - s->conns)};

  if (ev == c->events)
    return;
  if (epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, c->fd, &e) == 0)
    c->events = ev;
}

/* "Date: Sun, 06 Nov 1994 08:49:37 GMT" without locale dependence. */
static void http_date(char *out, size_t n) {
  static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri",
                                  "Sat"};
  static const char mons[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  time_t t = time(NULL);
  struct tm tm;

  gmtime_r(&t, &tm);
  snprintf(out, n, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7],
           tm.tm_mday, mons[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour,
           tm.tm_min, tm.tm_sec);
}

/* Build the status line and headers of c->resp into c->out_head. */
static void build_head(struct conn *c, bool head_method, bool keep_alive) {
  struct net_http_response *r = &c->resp;
  struct core_strbuf *h = &c->out_head;
  bool no_body = r->status == 204 || r->status == 304;
  char date[64];

  http_date(date, sizeof(date));
  core_strbuf_free(h);  /* empty unless a reply is being replaced */
  core_strbuf_init(h, NET_HTTP_HEADER_BYTES_MAX);
  core_strbuf_appendf(h, "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: sluice/%s\r\n",
                      r->status, net_http_reason(r->status), date,
                      SLUICE_VERSION);
  if (r->content_type && !no_body)
    core_strbuf_appendf(h, "Content-Type: %s\r\n", r->content_type);
  if (!no_body)
    core_strbuf_appendf(h, "Content-Length: %zu\r\n", r->body.len);
  core_strbuf_append(h, r->headers, r->headers_len);
  core_strbuf_appendf(h, "Connection: %s\r\n\r\n",
                      keep_alive ? "keep-alive" : "close");
  /* Handler headers are bounded well below the head bound. */
  ASSERT(!h->failed);
  c->send_body = !head_method && !no_body;
  c->close_after = !keep_alive;
  c->out_off = 0;
  c->state = C_WRITE;
}

static void resp_init(struct net_http_response *r, int status) {
  r->status = status;
  r->content_type = "text/plain; charset=utf-8";
  core_strbuf_init(&r->body, NET_HTTP_RESPONSE_BYTES_MAX);
  r->close = false;
  r->pending = false;
  r->pending_token = 0;
  r->headers_len = 0;
  r->headers[0] = '\0';
}

/* 503 Retry-After: bodies would pass the memory budget. Its short body is
 * not counted, like the other replies the server writes itself. */
static void resp_busy(struct net_http_server *s, struct net_http_response *r) {
  static const char text[] = "server busy: request and response bodies fill "
                             "its memory budget; retry\n";
  bool close = r->close;

  core_stat_add(&s->stats.rejected_memory, 1);
  resp_init(r, 503);
  r->close = close;
  net_http_response_header(r, "Retry-After", "1");
  core_strbuf_append(&r->body, text, sizeof(text) - 1);
}

/* Queue c->resp as the final reply, then close. */
static void queue_final(struct net_http_server *s, struct conn *c) {
  build_head(c, false, false);
  /* Nothing more is parsed: a partial body gives back its budget now,
   * not when lingering ends. */
  net_http_parser_reset(&c->parser);
  arm_send(s, c);
}

/* A final reply with a one-line text body (and Retry-After: 1 for a
 * 503), then close. The caller counts it. */
static void reply_final(struct net_http_server *s, struct conn *c,
                        int status, const char *text) {
  resp_release(s, c);
  resp_init(&c->resp, status);
  if (status == 503)
    net_http_response_header(&c->resp, "Retry-After", "1");
  core_strbuf_appendf(&c->resp.body, "%s\n", text);
  queue_final(s, c);
}

static void reply_error(struct net_http_server *s, struct conn *c,
                        int status) {
  if (status == 503) {  /* the parser's only 503: its body budget */
    resp_release(s, c);
    resp_busy(s, &c->resp);
    queue_final(s, c);
    return;
  }
  core_stat_add(&s->stats.requests_bad, 1);
  reply_final(s, c, status, net_http_reason(status));
}

static const char *why_text(int why) {
  return why == WHY_CLIENT ? "too many connections from this address"
                           : "too many connections";
}

static void count_refusal(struct net_http_server *s, int why) {
  core_stat_add(why == WHY_CLIENT ? &s->stats.rejected_per_client
                                  : &s->stats.conns_rejected,
                1);
}

/* A reserve connection that is not a prompt probe: refused as it would
 * have been at accept, but with a lingering close (it has sent bytes). */
static void refuse_request(struct net_http_server *s, struct conn *c) {
  count_refusal(s, c->why);
  reply_final(s, c, 503, why_text(c->why));
}

/* What a reserve slot serves: a bodiless GET or HEAD of a probe path. */
static bool is_probe(const struct net_http_server *s,
                     const struct net_http_request *r) {
  const char *const *p;

  if ((r->method_id != NET_HTTP_METHOD_GET &&
       r->method_id != NET_HTTP_METHOD_HEAD) ||
      r->chunked || r->content_length > 0)
    return false;
  for (p = s->probes; *p; p++)
    if (strcmp(*p, r->path) == 0)
      return true;
  return false;
}

/* Count the body c->resp holds while clients read it; past the budget,
 * send 503 instead. */
static void hold_response(struct net_http_server *s, struct conn *c,
                          bool keep_alive) {
  struct net_http_response *r = &c->resp;

  if (!c->send_body) {
    core_strbuf_free(&r->body);  /* HEAD, 204, 304: the head says it all */
    return;
  }
  if (net_http_budget_take(&s->budget, r->body.cap) == 0) {
    c->resp_held = r->body.cap;
    return;
  }
  core_strbuf_free(&r->body);
  core_strbuf_free(&c->out_head);
  resp_busy(s, r);
  build_head(c, false, keep_alive && !r->close);
}

/*
 * Call the handler for the parsed request (again, when it was pending: with
 * its token) and queue its reply, or leave the connection C_PENDING (no
 * deadline runs then: the handler bounds its own wait).
 */
static void call_handler(struct net_http_server *s, struct conn *c) {
  const struct net_http_request *req = &c->parser.req;
  struct net_http_response *r = &c->resp;
  bool head_method = req->method_id == NET_HTTP_METHOD_HEAD;
  bool keep = req->keep_alive && !c->reserve;  /* a probe slot turns over */
  uint64_t token = c->state == C_PENDING ? r->pending_token : 0;

  core_strbuf_free(&r->body);
  resp_init(r, 200);
  r->pending_token = token;
  s->o.fn(req, r, s->o.ctx);
  if (r->pending) {
    if (c->state != C_PENDING)
      s->pending++;
    c->state = C_PENDING;
    set_interest(s, c, 0);  /* hang-ups still wake us: EPOLLHUP, EPOLLERR */
    return;
  }
  if (c->state == C_PENDING)
    s->pending--;
  core_stat_add(&s->stats.requests, 1);
  /* The request body's budget is free before the response takes some. */
  net_http_parser_reset(&c->parser);
  if (r->body.failed || r->status < 200 || r->status > 599) {
    /* A cut body or an impossible status must not reach the client. */
    core_strbuf_free(&r->body);
    resp_init(r, 500);
    core_strbuf_appendf(&r->body, "response too large or invalid\n");
  }
  build_head(c, head_method, keep && !r->close);
  hold_response(s, c, keep);
  arm_send(s, c);  /* from now: the handler's time is not the client's */
}

static void queue_continue(struct conn *c) {
  core_strbuf_init(&c->out_head, 64);
  core_strbuf_appendf(&c->out_head, "HTTP/1.1 100 Continue\r\n\r\n");
  c->send_body = false;
  c->close_after = false;
  c->out_off = 0;
  c->state = C_WRITE;
}

/* Write what is pending. Returns 1 when all is written, 0 when the socket
 * is full, -1 when the connection is gone. */
static int flush(struct net_http_server *s, struct conn *c) {
  size_t hl = c->out_head.len, bl = c->send_body ? c->resp.body.len : 0;

  while (c->out_off < hl + bl) {
    struct iovec iov[2];
    struct msghdr m = {.msg_iov = iov};
    ssize_t n;

    if (c->out_off < hl) {
      iov[0] = (struct iovec){c->out_head.data + c->out_off, hl - c->out_off};
      iov[1] = (struct iovec){c->resp.body.data, bl};
      m.msg_iovlen = bl ? 2 : 1;
    } else {
      iov[0] = (struct iovec){c->resp.body.data + (c->out_off - hl),
                              hl + bl - c->out_off};
      m.msg_iovlen = 1;
    }
    n = sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    c->out_off += (size_t)n;
  }
  core_strbuf_free(&c->out_head);
  resp_release(s, c);
  c->state = C_READ;
  if (c->close_after) {
    /* Half-close and drain, so unread input does not turn our close into a
     * reset that destroys the reply before the client reads it. */
    shutdown(c->fd, SHUT_WR);
    c->state = C_LINGER;
    c->linger_bytes = 0;
    arm(c, P_LINGER, NET_HTTP_LINGER_MS);
  } else if (c->phase == P_SEND) {
    arm(c, P_IDLE, s->o.idle_timeout_ms);
  } /* else a 100 Continue went out: the body's deadline runs on */
  return 1;
}

/* Read more input. Returns bytes read, 0 if none yet, -1 at EOF/error.
 * Bytes do not move the deadline: a trickle gains no time. */
static ssize_t fill(struct conn *c) {
  for (;;) {
    ssize_t n = recv(c->fd, c->in, NET_HTTP_RECV_BUF_BYTES, 0);

    if (n > 0) {
      c->in_off = 0;
      c->in_len = (size_t)n;
      return n;
    }
    if (n == 0)
      return -1;
    if (errno == EINTR)
      continue;
    return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
  }
}

/* Discard input after a final reply until EOF, a bound, or the deadline. */
static void linger(struct net_http_server *s, struct conn *c) {
  ssize_t n;

  while ((n = recv(c->fd, c->in, NET_HTTP_RECV_BUF_BYTES, 0)) > 0) {
    c->linger_bytes += (size_t)n;
    if (c->linger_bytes > NET_HTTP_LINGER_BYTES_MAX)
      break;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return;
  conn_close(s, c);
}

/* The request has moved on: its first byte after idling starts the header
 * deadline, the end of its headers the body deadline. */
static void advance_phase(const struct net_http_server *s, struct conn *c) {
  if (net_http_parser_head_done(&c->parser)) {
    if (c->phase != P_BODY)
      arm(c, P_BODY, s->o.body_timeout_ms);
  } else if (c->phase == P_IDLE && net_http_parser_started(&c->parser)) {
    arm(c, P_HEAD, s->o.header_timeout_ms);
  }
}

/* Parse buffered input and queue whatever reply it calls for. */
static void parse_step(struct net_http_server *s, struct conn *c) {
  size_t used;
  enum net_http_parse r;

  r = net_http_parser_feed(&c->parser, c->in + c->in_off,
                           c->in_len - c->in_off, &used);
  c->in_off += used;
  /* Decided once the head is in: before a body is read or 100 sent. */
  if (c->reserve && r != NET_HTTP_PARSE_ERROR &&
      net_http_parser_head_done(&c->parser) &&
      !is_probe(s, &c->parser.req)) {
    refuse_request(s, c);
    return;
  }
  if (r != NET_HTTP_PARSE_ERROR && r != NET_HTTP_PARSE_DONE)
    advance_phase(s, c);
  switch (r) {
  case NET_HTTP_PARSE_MORE:
    break;
  case NET_HTTP_PARSE_CONTINUE:
    queue_continue(c);
    break;
  case NET_HTTP_PARSE_DONE:
    call_handler(s, c);
    break;
  case NET_HTTP_PARSE_ERROR:
    reply_error(s, c, c->parser.status);
    break;
  }
}

/* Serve one connection as far as it goes without blocking. */
static void serve(struct net_http_server *s, struct conn *c) {
  unsigned served = 0;

  c->more = false;
  for (;;) {
    if (c->state == C_PENDING)
      return;  /* its interest is 0 until the handler answers */
    if (c->state == C_WRITE) {
      int rc = flush(s, c);
      if (rc < 0) {
        conn_close(s, c);
        return;
      }
      if (rc == 0)
        break;
      served++;
    }
    if (c->state == C_LINGER) {
      set_interest(s, c, EPOLLIN);
      linger(s, c);
      return;
    }
    if (served >= NET_HTTP_TURN_REQUESTS_MAX) {
      c->more = c->in_off < c->in_len;  /* socket data re-arms epoll */
      break;
    }
    if (c->in_off == c->in_len) {
      ssize_t n = fill(c);
      if (n < 0) {
        conn_close(s, c);
        return;
      }
      if (n == 0)
        break;
    }
    parse_step(s, c);
  }
  set_interest(s, c, c->state == C_WRITE ? EPOLLOUT : EPOLLIN);
}

/* Written straight to the socket, with no slot to queue a reply in: at
 * accept, and to a reserve connection evicted before its request was in. */
static const char refuse_conns[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
    "Content-Length: 21\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
    "too many connections\n";
static const char refuse_client[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
    "Content-Length: 39\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
    "too many connections from this address\n";

/* Count and answer a refusal on fd, best effort: a fresh socket buffer
 * takes this short reply, a full one loses it (the close still tells). */
static void refuse_fd(struct net_http_server *s, int fd, int why) {
  const char *r = why == WHY_CLIENT ? refuse_client : refuse_conns;
  size_t n = why == WHY_CLIENT ? sizeof(refuse_client) - 1
                               : sizeof(refuse_conns) - 1;

  count_refusal(s, why);
  (void)send(fd, r, n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Take a free slot for fd. Returns the slot, or NULL (fd is then not
 * taken) when out of memory or epoll refuses it. */
static struct conn *conn_open(struct net_http_server *s, int fd) {
  struct conn *c = NULL;
  struct epoll_event e = {.events = EPOLLIN};
  unsigned i;
  int one = 1;

  for (i = 0; i < s->o.conns_max && !c; i++)
    if (s->conns[i].fd < 0)
      c = &s->conns[i];
  ASSERT(c != NULL);
  memset(c, 0, sizeof(*c));
  c->fd = -1;
  c->in = malloc(NET_HTTP_RECV_BUF_BYTES);
  if (!c->in || net_http_parser_init(&c->parser, s->o.header_bytes_max,
                                     s->o.body_bytes_max) < 0) {
    free(c->in);
    net_http_parser_free(&c->parser);
    return NULL;
  }
  net_http_parser_set_budget(&c->parser, &s->budget);
  e.data.u64 = (uint64_t)(c - s->conns);
  if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &e) < 0) {
    free(c->in);
    net_http_parser_free(&c->parser);
    return NULL;
  }
  /* Replies go out in one sendmsg; a 100 Continue must not wait. */
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  c->fd = fd;
  c->events = EPOLLIN;
  core_strbuf_init(&c->out_head, NET_HTTP_HEADER_BYTES_MAX);
  resp_init(&c->resp, 200);
  c->born_ms = now_ms();
  s->conns_open++;
  return c;
}

/* Free a reserve slot for a newcomer: close the oldest reserve connection
 * whose request is unfinished (a probe sends its request at once, so that
 * one is slow) or that lingers after its reply. Returns false if every
 * reserve connection is being answered. */
static bool reserve_evict(struct net_http_server *s) {
  struct conn *old = NULL;
  unsigned i;

  for (i = 0; i < s->o.conns_max; i++) {
    struct conn *c = &s->conns[i];
    if (c->fd >= 0 && c->reserve &&
        (c->phase == P_HEAD || c->phase == P_LINGER) &&
        (!old || c->born_ms < old->born_ms))
      old = c;
  }
  if (!old)
    return false;
  if (old->phase == P_HEAD)  /* not answered yet: refused now */
    refuse_fd(s, old->fd, old->why);
  conn_close(s, old);
  return true;
}

/* Why fd's client cannot have a general slot (WHY_NONE: it can). */
static int general_refusal(const struct net_http_server *s,
                           const uint8_t *key) {
  if (s->conns_open - s->reserve_open >= s->general_max)
    return WHY_CONNS;
  if (net_http_clients_conns(&s->clients, key) >= s->per_client_max)
    return WHY_CLIENT;
  return WHY_NONE;
}

/* Give a new connection a general slot, else a reserve slot, else refuse
 * it with 503. */
static void admit(struct net_http_server *s, int fd,
                  const struct sockaddr *peer) {
  uint8_t key[NET_HTTP_CLIENT_KEY_BYTES];
  struct conn *c;
  int why;

  net_http_client_key(peer, key);
  why = general_refusal(s, key);
  if (why != WHY_NONE && s->reserve_open >= s->reserve_max &&
      (s->reserve_max == 0 || !reserve_evict(s))) {
    refuse_fd(s, fd, why);
    close(fd);
    return;
  }
  c = conn_open(s, fd);
  if (!c) {
    refuse_fd(s, fd, WHY_CONNS);
    close(fd);
    return;
  }
  memcpy(c->key, key, sizeof(key));
  c->why = why;
  c->reserve = why != WHY_NONE;
  if (c->reserve) {
    s->reserve_open++;
    arm(c, P_HEAD, s->o.reserve_timeout_ms);
  } else {
    /* Cannot fail: the key is under its bound and the table has room
     * for every general slot's address. */
    int rc = net_http_clients_take(&s->clients, key, s->per_client_max);
    ASSERT(rc == 0);
    c->counted = true;
    arm(c, P_HEAD, s->o.header_timeout_ms);
  }
  core_stat_add(&s->stats.conns_accepted, 1);
}

static void pause_accept(struct net_http_server *s, bool pause) {
  struct epoll_event e = {.events = pause ? 0 : EPOLLIN,
                          .data.u64 = EV_LISTEN};

  epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, s->listen_fd, &e);
  s->accept_resume_ms = pause ? now_ms() + ACCEPT_PAUSE_MS : 0;
}

static void accept_all(struct net_http_server *s) {
  for (;;) {
    struct sockaddr_storage peer;
    socklen_t len = sizeof(peer);
    int fd = accept4(s->listen_fd, (struct sockaddr *)&peer, &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
        continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
          errno == ENOMEM)
        pause_accept(s, true);  /* level-triggered: would spin otherwise */
      return;
    }
    admit(s, fd, (const struct sockaddr *)&peer);
  }
}

/* Milliseconds until the nearest deadline (-1: none). */
static int next_timeout(const struct net_http_server *s, uint64_t now) {
  uint64_t best = s->accept_resume_ms ? s->accept_resume_ms : UINT64_MAX;
  unsigned i;

  for (i = 0; i < s->o.conns_max; i++) {
    const struct conn *c = &s->conns[i];
    if (c->fd < 0 || c->state == C_PENDING)
      continue;
    if (c->more)
      return 0;
    if (c->deadline_ms < best)
      best = c->deadline_ms;
  }
  if (s->pending > 0 && best > now + NET_HTTP_PENDING_POLL_MS)
    best = now + NET_HTTP_PENDING_POLL_MS;
  if (best == UINT64_MAX)
    return -1;
  return best <= now ? 0 : (int)(best - now > 60000 ? 60000 : best - now);
}

static void count_timeout(struct net_http_server *s, uint64_t *which) {
  core_stat_add(which, 1);
  core_stat_add(&s->stats.conns_timed_out, 1);
}

/* c's deadline passed: answer 408 where a request has begun and nothing
 * is being written, else close. */
static void expire(struct net_http_server *s, struct conn *c) {
  switch (c->phase) {
  case P_HEAD:
    if (c->reserve) {  /* not a prompt probe: refused, as at accept */
      refuse_request(s, c);
      break;
    }
    count_timeout(s, &s->stats.timed_out_header);
    if (!net_http_parser_started(&c->parser)) {
      conn_close(s, c);  /* never said a word: nothing to answer */
      return;
    }
    reply_final(s, c, 408, net_http_reason(408));
    break;
  case P_BODY:
    count_timeout(s, &s->stats.timed_out_body);
    if (c->state != C_READ) {  /* the 100 Continue is not even read */
      conn_close(s, c);
      return;
    }
    reply_final(s, c, 408, net_http_reason(408));
    break;
  case P_IDLE:
    count_timeout(s, &s->stats.timed_out_idle);
    conn_close(s, c);
    return;
  case P_SEND:
    count_timeout(s, &s->stats.timed_out_send);
    conn_close(s, c);
    return;
  default:
    conn_close(s, c);  /* lingering is over */
    return;
  }
  serve(s, c);  /* the reply fits a socket buffer: out now, then linger */
}

/* Ask pending handlers again, serve leftovers, expire connections past
 * their deadline. */
static void housekeeping(struct net_http_server *s) {
  uint64_t now = now_ms();
  unsigned i;

  if (s->accept_resume_ms && now >= s->accept_resume_ms)
    pause_accept(s, false);
  for (i = 0; i < s->o.conns_max; i++) {
    struct conn *c = &s->conns[i];
    bool late = c->fd >= 0 && now >= c->deadline_ms;
    if (c->fd >= 0 && c->state == C_PENDING) {
      call_handler(s, c);
      if (c->state != C_PENDING)
        serve(s, c);  /* its reply, then any pipelined request */
      continue;
    }
    /* Leftovers; and a last read before a deadline is enforced: input
     * that came in while a slow handler held the thread counts. */
    if (c->fd >= 0 && (c->more || (late && c->state == C_READ)))
      serve(s, c);
    if (c->fd >= 0 && now >= c->deadline_ms)
      expire(s, c);
  }
}

/* A pending connection only hears of hang-ups: then its request is
 * dropped (net_http_handler_fn). */
static void serve_event(struct net_http_server *s, struct conn *c,
                        uint32_t events) {
  if (c->state != C_PENDING)
    serve(s, c);
  else if (events & (EPOLLHUP | EPOLLERR))
    conn_close(s, c);
}

static void *server_main(void *arg) {
  struct net_http_server *s = arg;
  struct epoll_event ev[EVENTS_MAX];
  bool stop = false;

  while (!stop) {
    int n = epoll_wait(s->epoll_fd, ev, EVENTS_MAX,
                       next_timeout(s, now_ms()));
    int i;

    if (n < 0 && errno != EINTR)
      break;  /* cannot happen with valid fds; stop serving rather than spin */
    for (i = 0; i < n; i++) {
      if (ev[i].data.u64 == EV_WAKE)
        stop = true;
      else if (ev[i].data.u64 == EV_LISTEN)
        accept_all(s);
      else if (s->conns[ev[i].data.u64].fd >= 0)
        serve_event(s, &s->conns[ev[i].data.u64], ev[i].events);
    }
    housekeeping(s);
  }
  return NULL;
}

/* Bind and listen on host:port. Returns the fd or -errno. */
static int listen_on(const char *host, uint16_t port) {
  struct addrinfo hints = {0}, *res = NULL;
  char h[256], ps[8];
  size_t hl = host ? strlen(host) : 0;
  int fd, rc, one = 1;

  if (hl >= sizeof(h))
    return -EADDRNOTAVAIL;
  /* "[::1]" as written in URLs and --http addresses */
  if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
    memcpy(h, host + 1, hl - 2);
    h[hl - 2] = '\0';
  } else {
    snprintf(h, sizeof(h), "%s", host ? host : "");
  }
  snprintf(ps, sizeof(ps), "%u", (unsigned)port);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  rc = getaddrinfo(h[0] ? h : NULL, ps, &hints, &res);
  if (rc != 0)
    return rc == EAI_MEMORY ? -ENOMEM : -EADDRNOTAVAIL;
  fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    rc = -errno;
    goto out;
  }
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
      bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 128) < 0) {
    rc = -errno;
    close(fd);
    goto out;
  }
  rc = fd;
out:
  freeaddrinfo(res);
  return rc;
}

static uint16_t bound_port(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);

  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
    return 0;
  if (ss.ss_family == AF_INET6)
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
  return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void server_free(struct net_http_server *s) {
  unsigned i;

  for (i = 0; s->conns && i < s->o.conns_max; i++)
    if (s->conns[i].fd >= 0)
      conn_close(s, &s->conns[i]);
  if (s->listen_fd >= 0)
    close(s->listen_fd);
  if (s->epoll_fd >= 0)
    close(s->epoll_fd);
  if (s->wake_fd >= 0)
    close(s->wake_fd);
  net_http_clients_free(&s->clients);
  free(s->conns);
  free(s);
}

static int add_fd(struct net_http_server *s, int fd, uint64_t id) {
  struct epoll_event e = {.events = EPOLLIN, .data.u64 = id};

  return epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &e) < 0 ? -errno : 0;
}

static unsigned or_default(unsigned v, unsigned dflt) {
  return v ? v : dflt;
}

/* Fill in the defaults of s->o and split the slots into general and
 * reserve ones (see struct net_http_server_opts). */
static void apply_defaults(struct net_http_server *s) {
  struct net_http_server_opts *o = &s->o;
  unsigned reserve;

  o->header_timeout_ms = or_default(o->header_timeout_ms,
                                    NET_HTTP_HEADER_TIMEOUT_MS);
  o->body_timeout_ms = or_default(o->body_timeout_ms, NET_HTTP_BODY_TIMEOUT_MS);
  o->idle_timeout_ms = or_default(o->idle_timeout_ms, NET_HTTP_IDLE_TIMEOUT_MS);
  o->send_timeout_ms = or_default(o->send_timeout_ms, NET_HTTP_SEND_TIMEOUT_MS);
  o->send_bytes_per_s_min = or_default(o->send_bytes_per_s_min,
                                       NET_HTTP_SEND_BYTES_PER_S_MIN);
  o->reserve_timeout_ms = or_default(o->reserve_timeout_ms,
                                     NET_HTTP_RESERVE_TIMEOUT_MS);
  o->conns_max = or_default(o->conns_max, NET_HTTP_CONNS_MAX);
  if (o->memory_bytes_max == 0)
    o->memory_bytes_max = NET_HTTP_MEMORY_BYTES_MAX;
  if (o->conns_reserve < 0)
    reserve = 0;
  else if (o->conns_reserve == 0)
    reserve = o->conns_max / 4 < NET_HTTP_CONNS_RESERVE_COUNT
                  ? o->conns_max / 4 : NET_HTTP_CONNS_RESERVE_COUNT;
  else  /* at least one general slot */
    reserve = (unsigned)o->conns_reserve < o->conns_max
                  ? (unsigned)o->conns_reserve : o->conns_max - 1;
  s->reserve_max = reserve;
  s->general_max = o->conns_max - reserve;
  s->per_client_max = or_default(o->conns_per_client_max,
                                 NET_HTTP_CONNS_PER_CLIENT_MAX);
  if (s->per_client_max > s->general_max)
    s->per_client_max = s->general_max;
  s->probes = o->probe_paths ? o->probe_paths : default_probes;
}

/* A server with the defaults of opts filled in and every connection slot
 * free, before any fd is opened. Returns NULL when out of memory. */
static struct net_http_server *
server_new(const struct net_http_server_opts *opts) {
  struct net_http_server *s = calloc(1, sizeof(*s));
  unsigned i;

  if (!s)
    return NULL;
  s->o = *opts;
  apply_defaults(s);
  s->budget.bytes_max = s->o.memory_bytes_max;
  s->listen_fd = s->epoll_fd = s->wake_fd = -1;
  s->conns = calloc(s->o.conns_max, sizeof(*s->conns));
  for (i = 0; s->conns && i < s->o.conns_max; i++)
    s->conns[i].fd = -1;
  if (!s->conns ||
      net_http_clients_init(&s->clients, s->general_max) < 0) {
    server_free(s);
    return NULL;
  }
  return s;
}

/* Listen, and watch the listening socket and the wake-up eventfd. Returns
 * 0 or -errno (server_free closes what was opened). */
static int server_open(struct net_http_server *s) {
  int rc = listen_on(s->o.host, s->o.port);

  if (rc < 0)
    return rc;
  s->listen_fd = rc;
  s->port = bound_port(s->listen_fd);
  s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (s->epoll_fd < 0 || s->wake_fd < 0)
    return -errno;
  if ((rc = add_fd(s, s->listen_fd, EV_LISTEN)) < 0)
    return rc;
  return add_fd(s, s->wake_fd, EV_WAKE);
}

int net_http_server_start_opts(struct net_http_server **out,
                               const struct net_http_server_opts *opts) {
  struct net_http_server *s;
  int rc;

  if (!opts->fn)
    return -EINVAL;
  s = server_new(opts);
  if (!s)
    return -ENOMEM;
  rc = server_open(s);
  if (rc == 0)
    rc = -pthread_create(&s->thread, NULL, server_main, s);
  if (rc < 0) {
    server_free(s);
    return rc;
  }
  pthread_setname_np(s->thread, "sluice-http");
  *out = s;
  return 0;
}

int net_http_server_start(struct net_http_server **out, const char *host,
                          uint16_t port, net_http_handler_fn fn, void *ctx) {
  struct net_http_server_opts o = {
      .host = host, .port = port, .fn = fn, .ctx = ctx};

  return net_http_server_start_opts(out, &o);
}

void net_http_server_stop(struct net_http_server *s) {
  uint64_t one = 1;

  if (!s)
    return;
  /* An eventfd write cannot fail short of overflow; the thread wakes. */
  ASSERT(write(s->wake_fd, &one, sizeof(one)) == sizeof(one));
  pthread_join(s->thread, NULL);
  server_free(s);
}

uint16_t net_http_server_port(const struct net_http_server *s) {
  return s->port;
}

void net_http_server_stats(const struct net_http_server *s,
                           struct net_http_stats *out) {
  out->conns_accepted = core_stat_get(&s->stats.conns_accepted);
  out->conns_rejected = core_stat_get(&s->stats.conns_rejected);
  out->rejected_per_client = core_stat_get(&s->stats.rejected_per_client);
  out->conns_timed_out = core_stat_get(&s->stats.conns_timed_out);
  out->timed_out_header = core_stat_get(&s->stats.timed_out_header);
  out->timed_out_body = core_stat_get(&s->stats.timed_out_body);
  out->timed_out_idle = core_stat_get(&s->stats.timed_out_idle);
  out->timed_out_send = core_stat_get(&s->stats.timed_out_send);
  out->requests = core_stat_get(&s->stats.requests);
  out->requests_bad = core_stat_get(&s->stats.requests_bad);
  out->rejected_memory = core_stat_get(&s->stats.rejected_memory);
  out->memory_bytes = core_stat_get(&s->budget.bytes);
  out->memory_bytes_max = s->budget.bytes_max;
}
