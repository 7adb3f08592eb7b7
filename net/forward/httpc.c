/*
 * net/forward/httpc.c - the HTTP/1.1 client of one forward target: POST a
 * body, read the status, Retry-After and a bounded body; plain TCP or TLS
 * (OpenSSL, certificate and host name verified). Non-blocking sockets and
 * poll with a deadline per phase, and the forwarder's stop descriptor in
 * every poll: a target that hangs costs its own thread a timeout, never
 * anyone else anything.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/forward/forward.h"
#include "net/forward/forward_internal.h"

static int64_t now_ms(void) {
  struct timespec t;

  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int net_fwd_conn_init(struct net_fwd_conn *c, const struct net_fwd_url *url,
                      const char *ca_file, int stop_fd, char *err,
                      size_t errlen) {
  memset(c, 0, sizeof(*c));
  c->url = url;
  c->fd = -1;
  c->stop_fd = stop_fd;
  if (!url->tls)
    return 0;
  c->ctx = SSL_CTX_new(TLS_client_method());
  if (c->ctx == NULL) {
    snprintf(err, errlen, "cannot set up TLS (OpenSSL)");
    return -EINVAL;
  }
  SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
  if (ca_file != NULL && ca_file[0] != '\0'
          ? SSL_CTX_load_verify_locations(c->ctx, ca_file, NULL) != 1
          : SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
    snprintf(err, errlen, "cannot load the CA certificates%s%s: %s",
             ca_file && ca_file[0] ? " from " : "", ca_file ? ca_file : "",
             ERR_reason_error_string(ERR_get_error()));
    SSL_CTX_free(c->ctx);
    c->ctx = NULL;
    return -EINVAL;
  }
  return 0;
}

void net_fwd_conn_close(struct net_fwd_conn *c) {
  if (c->ssl != NULL)
    SSL_free(c->ssl); /* no close_notify: the socket may be dead */
  c->ssl = NULL;
  if (c->fd >= 0)
    close(c->fd);
  c->fd = -1;
  c->reused = 0;
  c->in_len = 0;
}

void net_fwd_conn_free(struct net_fwd_conn *c) {
  net_fwd_conn_close(c);
  if (c->ctx != NULL)
    SSL_CTX_free(c->ctx);
  c->ctx = NULL;
}

/* Wait for events on the socket until deadline. 0, -ETIMEDOUT, -ECANCELED. */
static int wait_io(struct net_fwd_conn *c, short events, int64_t deadline) {
  for (;;) {
    struct pollfd p[2] = {{.fd = c->fd, .events = events},
                          {.fd = c->stop_fd, .events = POLLIN}};
    int64_t left = deadline - now_ms();
    int n;
    if (left <= 0)
      return -ETIMEDOUT;
    n = poll(p, 2, (int)(left > 1000 ? 1000 : left));
    if (n < 0 && errno != EINTR)
      return -errno;
    if (n > 0 && p[1].revents)
      return -ECANCELED;
    if (n > 0 && p[0].revents)
      return 0;
  }
}

/* A non-blocking connect to one address. */
static int connect_one(struct net_fwd_conn *c, const struct addrinfo *ai,
                       int64_t deadline) {
  int one = 1, soerr = 0, rc;
  socklen_t sl = sizeof(soerr);

  c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                 ai->ai_protocol);
  if (c->fd < 0)
    return -errno;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0)
    return 0;
  if (errno != EINPROGRESS)
    return -errno;
  if ((rc = wait_io(c, POLLOUT, deadline)) < 0)
    return rc;
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
    return -errno;
  return -soerr;
}

static int is_ip(const char *host) {
  unsigned char a[sizeof(struct in6_addr)];

  return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

/* The TLS handshake, host name checked. */
static int tls_start(struct net_fwd_conn *c, int64_t deadline,
                     const char **why) {
  c->ssl = SSL_new(c->ctx);
  if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
    return -ENOMEM;
  if (is_ip(c->url->host)) {
    /* an address: checked against the certificate's IP SANs; no SNI */
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), c->url->host);
  } else {
    SSL_set_tlsext_host_name(c->ssl, c->url->host);
    SSL_set1_host(c->ssl, c->url->host);
  }
  for (;;) {
    int r = SSL_connect(c->ssl), e, rc;
    if (r == 1)
      return 0;
    e = SSL_get_error(c->ssl, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
      long v = SSL_get_verify_result(c->ssl);
      *why = v != X509_V_OK ? X509_verify_cert_error_string(v)
                            : "the TLS handshake failed";
      return -EPROTO;
    }
    rc = wait_io(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
    if (rc < 0)
      return rc;
  }
}

static int do_connect(struct net_fwd_conn *c, const char **why) {
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
  int64_t deadline = now_ms() + NET_FWD_CONNECT_TIMEOUT_MS;
  char port[8];
  int rc = -EHOSTUNREACH;

  snprintf(port, sizeof(port), "%u", (unsigned)c->url->port);
  if (getaddrinfo(c->url->host, port, &hints, &res) != 0) {
    *why = "the host name does not resolve";
    return -EHOSTUNREACH;
  }
  for (ai = res; ai != NULL; ai = ai->ai_next) {
    rc = connect_one(c, ai, deadline);
    if (rc == 0 || rc == -ECANCELED)
      break;
    net_fwd_conn_close(c);
  }
  freeaddrinfo(res);
  if (rc == 0 && c->url->tls)
    rc = tls_start(c, deadline, why);
  if (rc < 0)
    net_fwd_conn_close(c);
  return rc;
}

/* Send n bytes. 0 or -errno. */
static int send_all(struct net_fwd_conn *c, const char *p, size_t n,
                    int64_t deadline) {
  while (n > 0) {
    ssize_t w;
    short ev = POLLOUT;
    if (c->ssl != NULL) {
      int r = SSL_write(c->ssl, p, n > (1u << 30) ? (1 << 30) : (int)n);
      w = r;
      if (r <= 0) {
        int e = SSL_get_error(c->ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
          return -ECONNRESET;
        ev = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
        w = -1;
        errno = EAGAIN;
      }
    } else {
      w = send(c->fd, p, n, MSG_NOSIGNAL);
    }
    if (w > 0) {
      p += w;
      n -= (size_t)w;
      continue;
    }
    if (w < 0 && errno != EAGAIN && errno != EINTR)
      return -errno;
    int rc = wait_io(c, ev, deadline);
    if (rc < 0)
      return rc;
  }
  return 0;
}

/* Read some bytes into buf. Returns the count, 0 at EOF, or -errno. */
static ssize_t recv_some(struct net_fwd_conn *c, char *buf, size_t n,
                         int64_t deadline) {
  for (;;) {
    ssize_t r;
    short ev = POLLIN;
    if (c->ssl != NULL) {
      int k = SSL_read(c->ssl, buf, (int)n);
      if (k > 0)
        return k;
      int e = SSL_get_error(c->ssl, k);
      if (e == SSL_ERROR_ZERO_RETURN)
        return 0;
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
        return e == SSL_ERROR_SYSCALL ? 0 : -ECONNRESET;
      ev = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
    } else {
      r = recv(c->fd, buf, n, 0);
      if (r >= 0)
        return r;
      if (errno != EAGAIN && errno != EINTR)
        return -errno;
    }
    int rc = wait_io(c, ev, deadline);
    if (rc < 0)
      return rc;
  }
}

/* ---- the response -------------------------------------------------------- */

struct head {
  int status;
  int http10;
  int close;
  int chunked;
  int64_t content_length;   /* -1: none */
  int64_t retry_after_ms;
};

static int hdr_is(const char *line, size_t n, const char *name,
                  const char **val, size_t *vlen) {
  size_t k = strlen(name);

  if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
    return 0;
  *val = line + k + 1;
  *vlen = n - k - 1;
  while (*vlen > 0 && (**val == ' ' || **val == '\t')) {
    (*val)++;
    (*vlen)--;
  }
  return 1;
}

static int has_token(const char *v, size_t n, const char *tok) {
  size_t k = strlen(tok);

  for (size_t i = 0; i + k <= n; i++)
    if (strncasecmp(v + i, tok, k) == 0)
      return 1;
  return 0;
}

static void header_line(struct head *h, const char *l, size_t n) {
  const char *v;
  size_t vn;

  if (hdr_is(l, n, "content-length", &v, &vn)) {
    char *end;
    char tmp[24];
    snprintf(tmp, sizeof(tmp), "%.*s", (int)(vn < 23 ? vn : 23), v);
    h->content_length = strtoll(tmp, &end, 10);
    if (end == tmp || h->content_length < 0)
      h->content_length = -2; /* unusable */
  } else if (hdr_is(l, n, "transfer-encoding", &v, &vn)) {
    h->chunked = has_token(v, vn, "chunked");
  } else if (hdr_is(l, n, "connection", &v, &vn)) {
    h->close |= has_token(v, vn, "close");
  } else if (hdr_is(l, n, "retry-after", &v, &vn)) {
    h->retry_after_ms = net_fwd_retry_after_ms(v, vn, (int64_t)time(NULL));
  }
}

/* Parse the head in c->in[0..end). Returns 0 or -EPROTO. */
static int parse_head(const char *p, size_t end, struct head *h) {
  const char *eol = memmem(p, end, "\r\n", 2);
  size_t at;

  memset(h, 0, sizeof(*h));
  h->content_length = -1;
  h->retry_after_ms = -1;
  if (eol == NULL || eol - p < 12 || strncmp(p, "HTTP/1.", 7) != 0 ||
      p[8] != ' ' || p[9] < '1' || p[9] > '5' || p[10] < '0' ||
      p[10] > '9' || p[11] < '0' || p[11] > '9')
    return -EPROTO;
  h->http10 = p[7] == '0';
  h->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
  at = (size_t)(eol - p) + 2;
  while (at < end) {
    const char *l = p + at, *e = memmem(l, end - at, "\r\n", 2);
    if (e == NULL || e == l)
      break;
    header_line(h, l, (size_t)(e - l));
    at = (size_t)(e - p) + 2;
  }
  if (h->content_length == -2 || (h->chunked && h->content_length >= 0))
    return -EPROTO;
  return 0;
}

/* Keep the start of the body for the log. */
static void keep_text(struct net_fwd_reply *rep, size_t *kept, const char *p,
                      size_t n) {
  size_t room = sizeof(rep->text) - 1 - *kept;

  if (n > room)
    n = room;
  for (size_t i = 0; i < n; i++)
    rep->text[*kept + i] = (p[i] >= ' ' && p[i] < 0x7f) ? p[i] : ' ';
  *kept += n;
  rep->text[*kept] = '\0';
}

/*
 * Take n body bytes: from what c->in holds after the head, then from the
 * socket; *left counts down. Returns 0 or -errno.
 */
struct body_rd {
  struct net_fwd_conn *c;
  size_t have, at;         /* bytes of c->in after the head not yet used */
  int64_t deadline;
  uint64_t total;
};

/* The next bytes of the body stream into *p, up to want. Count, 0 at EOF. */
static ssize_t body_bytes(struct body_rd *b, const char **p, size_t want) {
  struct net_fwd_conn *c = b->c;

  if (b->have == 0) {
    ssize_t r = recv_some(c, c->in, sizeof(c->in), b->deadline);
    if (r <= 0)
      return r;
    b->have = (size_t)r;
    b->at = 0;
  }
  if (want > b->have)
    want = b->have;
  *p = c->in + b->at;
  b->at += want;
  b->have -= want;
  b->total += want;
  if (b->total > NET_FWD_RESPONSE_BODY_BYTES_MAX)
    return -EMSGSIZE;
  return (ssize_t)want;
}

static int read_exact(struct body_rd *b, uint64_t n, struct net_fwd_reply *rep,
                      size_t *kept) {
  while (n > 0) {
    const char *p;
    ssize_t r = body_bytes(b, &p, n > 65536 ? 65536 : (size_t)n);
    if (r <= 0)
      return r == 0 ? -ECONNRESET : (int)r;
    keep_text(rep, kept, p, (size_t)r);
    n -= (uint64_t)r;
  }
  return 0;
}

/* One line of the body stream (up to LF, CR dropped) into line. */
static int read_line(struct body_rd *b, char *line, size_t cap) {
  size_t len = 0;

  for (;;) {
    const char *p;
    ssize_t r = body_bytes(b, &p, 1);
    if (r <= 0)
      return r == 0 ? -ECONNRESET : (int)r;
    if (*p == '\n')
      break;
    if (len + 1 >= cap)
      return -EPROTO;
    line[len++] = *p;
  }
  if (len > 0 && line[len - 1] == '\r')
    len--;
  line[len] = '\0';
  return 0;
}

static int read_chunked(struct body_rd *b, struct net_fwd_reply *rep,
                        size_t *kept) {
  char line[256], *end;
  int rc;

  for (;;) {
    uint64_t n;
    if ((rc = read_line(b, line, sizeof(line))) < 0)
      return rc;
    n = strtoull(line, &end, 16); /* extensions after ';' ignored */
    if (end == line)
      return -EPROTO;
    if (n > NET_FWD_RESPONSE_BODY_BYTES_MAX)
      return -EMSGSIZE;
    if (n == 0)
      break;
    if ((rc = read_exact(b, n + 2, rep, kept)) < 0)
      return rc;
  }
  do { /* trailers, up to the empty line */
    if ((rc = read_line(b, line, sizeof(line))) < 0)
      return rc;
  } while (line[0] != '\0');
  return 0;
}

static int read_body(struct net_fwd_conn *c, const struct head *h,
                     size_t head_end, int64_t deadline,
                     struct net_fwd_reply *rep) {
  struct body_rd b = {.c = c, .have = c->in_len - head_end, .at = head_end,
                      .deadline = deadline};
  size_t kept = 0;

  if (h->status == 204 || h->status == 304 || h->status / 100 == 1)
    return b.have == 0 ? 0 : -EPROTO;
  if (h->chunked)
    return read_chunked(&b, rep, &kept);
  if (h->content_length >= 0)
    return read_exact(&b, (uint64_t)h->content_length, rep, &kept);
  for (;;) { /* until the target closes */
    const char *p;
    ssize_t r = body_bytes(&b, &p, 65536);
    if (r <= 0)
      return (int)r;
    keep_text(rep, &kept, p, (size_t)r);
  }
}

static int read_reply(struct net_fwd_conn *c, struct net_fwd_reply *rep,
                      const char **why) {
  int64_t deadline = now_ms() + NET_FWD_RESPONSE_TIMEOUT_MS;
  const char *end = NULL;
  struct head h;
  size_t head_end;
  int rc;

  c->in_len = 0;
  while (end == NULL) {
    ssize_t r;
    if (c->in_len == sizeof(c->in)) {
      *why = "the response head is over its bound";
      return -EPROTO;
    }
    r = recv_some(c, c->in + c->in_len, sizeof(c->in) - c->in_len, deadline);
    if (r <= 0)
      return r == 0 ? -ECONNRESET : (int)r;
    c->in_len += (size_t)r;
    end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
  }
  head_end = (size_t)(end - c->in) + 4;
  if (parse_head(c->in, head_end, &h) < 0) {
    *why = "the answer is not an HTTP/1.x response";
    return -EPROTO;
  }
  rep->status = h.status;
  rep->retry_after_ms = h.retry_after_ms;
  rep->text[0] = '\0';
  rc = read_body(c, &h, head_end, deadline, rep);
  if (rc < 0 || h.close || h.http10 || (!h.chunked && h.content_length < 0 &&
                                        h.status != 204))
    net_fwd_conn_close(c);
  /* the status is known: a body cut short does not change the verdict */
  return 0;
}

static int post_once(struct net_fwd_conn *c, const char *head, size_t head_len,
                     const void *body, size_t body_len,
                     struct net_fwd_reply *rep, const char **why) {
  int64_t deadline;
  int rc;

  if (c->fd < 0 && (rc = do_connect(c, why)) < 0)
    return rc;
  deadline = now_ms() + NET_FWD_SEND_TIMEOUT_MS;
  rc = send_all(c, head, head_len, deadline);
  if (rc == 0)
    rc = send_all(c, body, body_len, deadline);
  if (rc == 0)
    rc = read_reply(c, rep, why);
  return rc;
}

int net_fwd_post(struct net_fwd_conn *c, const char *head, size_t head_len,
                 const void *body, size_t body_len, struct net_fwd_reply *rep,
                 const char **why) {
  int reused = c->fd >= 0 && c->reused, rc;

  *why = NULL;
  rc = post_once(c, head, head_len, body, body_len, rep, why);
  if (rc < 0 && reused && rc != -ECANCELED && rc != -ETIMEDOUT) {
    /* a kept-alive connection the target had closed: one fresh try */
    net_fwd_conn_close(c);
    rc = post_once(c, head, head_len, body, body_len, rep, why);
  }
  if (rc < 0)
    net_fwd_conn_close(c);
  else if (c->fd >= 0)
    c->reused = 1;
  return rc;
}

/* The peer closed or reset the connection (a syslog receiver never
 * writes: anything readable is its end). */
static int peer_gone(const struct net_fwd_conn *c) {
  struct pollfd p = {.fd = c->fd, .events = POLLIN | POLLRDHUP};

  return poll(&p, 1, 0) > 0 && p.revents != 0;
}

int net_fwd_conn_send(struct net_fwd_conn *c, const void *buf, size_t len,
                      const char **why) {
  int rc;

  *why = NULL;
  if (c->fd >= 0 && peer_gone(c))
    net_fwd_conn_close(c);
  if (c->fd < 0 && (rc = do_connect(c, why)) < 0)
    return rc;
  rc = send_all(c, buf, len, now_ms() + NET_FWD_SEND_TIMEOUT_MS);
  if (rc < 0)
    net_fwd_conn_close(c);
  return rc;
}
