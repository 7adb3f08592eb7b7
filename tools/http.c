/*
 * tools/http.c - HTTP GET over a plain socket.
 */
#include "tools/http.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/base/limits.h"
#include "core/base/strbuf.h"

static int copy(char *dst, size_t cap, const char *src, size_t n) {
  if (n == 0 || n >= cap)
    return -EINVAL;
  memcpy(dst, src, n);
  dst[n] = '\0';
  return 0;
}

int tools_url_parse(const char *url, struct tools_url *out) {
  const char *p = url, *host, *host_end, *port = NULL, *path;

  if (strncmp(p, "http://", 7) == 0)
    p += 7;
  else if (strstr(p, "://") != NULL)
    return -EINVAL; /* https and friends: not spoken here */
  path = p + strcspn(p, "/");
  if (*p == '[') {
    host = p + 1;
    host_end = memchr(host, ']', (size_t)(path - host));
    if (host_end == NULL)
      return -EINVAL;
    if (host_end[1] == ':')
      port = host_end + 2;
    else if (host_end + 1 != path)
      return -EINVAL;
  } else {
    host = p;
    host_end = memchr(p, ':', (size_t)(path - p));
    if (host_end != NULL)
      port = host_end + 1;
    else
      host_end = path;
  }
  if (copy(out->host, sizeof(out->host), host, (size_t)(host_end - host)) < 0)
    return -EINVAL;
  if (port == NULL)
    snprintf(out->port, sizeof(out->port), "80");
  else if (copy(out->port, sizeof(out->port), port, (size_t)(path - port)) < 0 ||
           strspn(out->port, "0123456789") != strlen(out->port))
    return -EINVAL;
  if (*path == '\0')
    path = "/metrics";
  return copy(out->path, sizeof(out->path), path, strlen(path));
}

static int dial(const struct tools_url *u, uint32_t timeout_ms) {
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai, *a;
  struct timeval tv = {.tv_sec = timeout_ms / 1000,
                       .tv_usec = (timeout_ms % 1000) * 1000};
  int fd = -1, rc = getaddrinfo(u->host, u->port, &hints, &ai);

  if (rc != 0)
    return rc == EAI_SYSTEM ? -errno : -EHOSTUNREACH;
  rc = -ECONNREFUSED;
  for (a = ai; a != NULL; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      rc = -errno;
      continue;
    }
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
      break;
    rc = -errno;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(ai);
  return fd >= 0 ? fd : rc;
}

/* The value of header `name` within [h, end), or NULL. */
static const char *header(const char *h, const char *end, const char *name) {
  size_t n = strlen(name);
  for (const char *p = h; p < end;) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (eol == NULL)
      break;
    if ((size_t)(eol - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
      p += n + 1;
      while (*p == ' ' || *p == '\t')
        p++;
      return p;
    }
    p = eol + 1;
  }
  return NULL;
}

/* De-chunk [p, end) into body. Returns 1 when complete, 0 for more, <0. */
static int dechunk(const char *p, const char *end, struct core_strbuf *body) {
  body->len = 0;
  for (;;) {
    const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
    char *stop;
    if (eol == NULL)
      return 0;
    unsigned long long n = strtoull(p, &stop, 16);
    if (stop == p)
      return -EPROTO;
    if (n == 0)
      return 1; /* trailers are not needed */
    if (n > (unsigned long long)(end - eol) - 2 ||
        (size_t)(end - eol) - 2 - n < 2)
      return 0;
    if (core_strbuf_append(body, eol + 2, (size_t)n) < 0)
      return -EMSGSIZE;
    p = eol + 2 + n + 2;
  }
}

/* The status code of the reply in raw ("HTTP/1.x NNN ..."), or -EPROTO. */
static int reply_status(const struct core_strbuf *raw) {
  const char *d = raw->data;
  if (raw->len < 12 || strncmp(d, "HTTP/1.", 7) != 0 || d[8] != ' ' ||
      strspn(d + 9, "0123456789") < 3)
    return -EPROTO;
  return (d[9] - '0') * 100 + (d[10] - '0') * 10 + (d[11] - '0');
}

/*
 * Is the response in raw complete? Returns 1 (body filled), 0 (read more;
 * at_eof: the body is what there is), or -EPROTO / -EMSGSIZE. Without
 * any_status a status other than 200 is -EPROTO.
 */
static int parse_reply(const struct core_strbuf *raw, int at_eof,
                       int any_status, struct core_strbuf *body) {
  const char *d = raw->data, *end = d + raw->len, *hend, *v;
  if (raw->len == 0)
    return at_eof ? -EPROTO : 0;
  hend = memmem(d, raw->len, "\r\n\r\n", 4);
  if (hend == NULL)
    return at_eof ? -EPROTO : 0;
  if (reply_status(raw) < 0)
    return -EPROTO;
  if (!any_status && strncmp(d + 8, " 200", 4) != 0)
    return -EPROTO;
  hend += 4;
  v = header(d, hend, "Transfer-Encoding");
  if (v != NULL && strncasecmp(v, "chunked", 7) == 0) {
    int rc = dechunk(hend, end, body);
    return rc == 0 && at_eof ? -EPROTO : rc;
  }
  v = header(d, hend, "Content-Length");
  size_t want = v ? strtoull(v, NULL, 10) : 0;
  if (v ? (size_t)(end - hend) < want : !at_eof)
    return at_eof ? -EPROTO : 0;
  body->len = 0;
  if (core_strbuf_append(body, hend, v ? want : (size_t)(end - hend)) < 0)
    return -EMSGSIZE;
  return 1;
}

/* Send all of req (a long request target may take several sends). */
static int send_all(int fd, const char *req, size_t n) {
  while (n > 0) {
    ssize_t sent = send(fd, req, n, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR)
      continue;
    if (sent <= 0)
      return sent < 0 && errno != EAGAIN ? -errno : -ETIMEDOUT;
    req += sent;
    n -= (size_t)sent;
  }
  return 0;
}

static int exchange(int fd, const char *req, size_t req_len, int any_status,
                    struct core_strbuf *raw, struct core_strbuf *body) {
  char buf[65536];
  int rc = send_all(fd, req, req_len);
  if (rc < 0)
    return rc;
  for (;;) {
    ssize_t got = recv(fd, buf, sizeof(buf), 0);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      return errno == EAGAIN ? -ETIMEDOUT : -errno;
    if (got > 0 && core_strbuf_append(raw, buf, (size_t)got) < 0)
      return -EMSGSIZE;
    rc = parse_reply(raw, got == 0, any_status, body);
    if (rc != 0)
      return rc < 0 ? rc : 0;
  }
}

int tools_http_get(const char *url, struct core_strbuf *body, char *err,
                   size_t errlen) {
  struct tools_url u;
  struct core_strbuf raw;
  char req[1536];
  int fd, rc, n;

  if (tools_url_parse(url, &u) < 0) {
    snprintf(err, errlen, "bad URL \"%s\": use http://HOST:PORT/PATH", url);
    return -EINVAL;
  }
  n = snprintf(req, sizeof(req),
               "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: sluice-tools"
               "\r\nAccept: text/plain\r\nConnection: close\r\n\r\n",
               u.path, u.host, u.port);
  if (n < 0 || (size_t)n >= sizeof(req)) {
    snprintf(err, errlen, "GET %s: URL too long", url);
    return -EINVAL;
  }
  fd = dial(&u, TOOLS_HTTP_TIMEOUT_MS);
  if (fd < 0) {
    snprintf(err, errlen, "cannot connect to %s:%s (%s): %s", u.host, u.port,
             url, strerror(-fd));
    return fd;
  }
  core_strbuf_init(&raw, TOOLS_HTTP_RESPONSE_BYTES_MAX);
  rc = exchange(fd, req, (size_t)n, 0, &raw, body);
  if (rc == -EPROTO)
    snprintf(err, errlen, "GET %s: unexpected reply \"%.40s\"", url,
             raw.len ? raw.data : "");
  else if (rc < 0)
    snprintf(err, errlen, "GET %s: %s", url, strerror(-rc));
  core_strbuf_free(&raw);
  close(fd);
  return rc;
}

/* The request: method, target, Host (v6 in brackets), an empty body. */
static int build_request(const struct tools_url *u, const char *method,
                         const char *target, struct core_strbuf *req) {
  int v6 = strchr(u->host, ':') != NULL;
  return core_strbuf_appendf(
      req,
      "%s %s HTTP/1.1\r\nHost: %s%s%s:%s\r\nUser-Agent: sluice-tools\r\n"
      "Accept: */*\r\n%sConnection: close\r\n\r\n",
      method, target, v6 ? "[" : "", u->host, v6 ? "]" : "", u->port,
      strcmp(method, "GET") == 0 ? "" : "Content-Length: 0\r\n");
}

int tools_http_request(const char *url, const char *method,
                       const char *target, uint32_t timeout_ms, int *status,
                       struct core_strbuf *raw, struct core_strbuf *body,
                       char *err, size_t errlen) {
  struct tools_url u;
  struct core_strbuf req;
  int fd = -1, rc;

  core_strbuf_init(&req, strlen(target) + 4096);
  if (tools_url_parse(url, &u) < 0) {
    snprintf(err, errlen, "bad URL \"%s\": use http://HOST:PORT", url);
    rc = -EINVAL;
    goto out;
  }
  if ((rc = build_request(&u, method, target, &req)) < 0) {
    snprintf(err, errlen, "%s %s: request too long", method, target);
    goto out;
  }
  fd = dial(&u, timeout_ms);
  if (fd < 0) {
    rc = fd;
    snprintf(err, errlen, "cannot connect to %s:%s (%s): %s", u.host, u.port,
             url, strerror(-fd));
    goto out;
  }
  rc = exchange(fd, req.data, req.len, 1, raw, body);
  if (rc == -EPROTO)
    snprintf(err, errlen, "%s %s: malformed reply \"%.40s\"", method, target,
             raw->len ? raw->data : "");
  else if (rc < 0)
    snprintf(err, errlen, "%s %s (%s): %s", method, target, url,
             strerror(-rc));
  else
    *status = reply_status(raw);
out:
  if (fd >= 0)
    close(fd);
  core_strbuf_free(&req);
  return rc;
}

int tools_http_reply_header(const struct core_strbuf *raw, const char *name,
                            char *out, size_t outlen) {
  const char *hend = raw->len ? memmem(raw->data, raw->len, "\r\n\r\n", 4)
                              : NULL;
  const char *v = hend ? header(raw->data, hend + 2, name) : NULL;
  size_t n;
  if (v == NULL)
    return -ENOENT;
  n = strcspn(v, "\r\n");
  while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
    n--;
  if (n >= outlen)
    return -ENOSPC;
  memcpy(out, v, n);
  out[n] = '\0';
  return (int)n;
}
