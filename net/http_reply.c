/*
 * net/http_reply.c - what route handlers call on a parsed request and
 * their response (see net/http.h): query parameters, percent-decoding,
 * header look-up, reason phrases and extra response headers. Kept apart
 * from the parser and the server because handlers need only these, and
 * they read what the parser left without touching its state.
 */
#include "net/http.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "net/http_internal.h"

/* Decode the byte at s[*i] (a %XX, a '+' or a plain byte) and advance. */
static int decode_at(const char *s, size_t n, size_t *i, bool plus) {
  int hi, lo;

  if (s[*i] == '%' && *i + 2 < n) {
    hi = net_http_hexval((unsigned char)s[*i + 1]);
    lo = net_http_hexval((unsigned char)s[*i + 2]);
    if (hi >= 0 && lo >= 0) {
      *i += 3;
      return hi * 16 + lo;
    }
  }
  if (plus && s[*i] == '+') {
    (*i)++;
    return ' ';
  }
  return (unsigned char)s[(*i)++];
}

int net_http_url_decode(const char *s, size_t n, bool plus_is_space,
                        char *out, size_t outlen) {
  size_t i = 0, o = 0;

  while (i < n) {
    int c = decode_at(s, n, &i, plus_is_space);
    if (o + 1 >= outlen)
      return -ENOSPC;
    out[o++] = (char)c;
  }
  if (outlen == 0)
    return -ENOSPC;
  out[o] = '\0';
  return (int)o;
}

/* Does s[0..n), decoded, equal name? */
static bool name_is(const char *s, size_t n, const char *name) {
  size_t i = 0;

  while (i < n) {
    if (*name == '\0' || decode_at(s, n, &i, true) != (unsigned char)*name)
      return false;
    name++;
  }
  return *name == '\0';
}

int net_http_query_param(const struct net_http_request *req,
                         const char *name, size_t idx, char *out,
                         size_t outlen) {
  const char *q = req->query ? req->query : "";

  while (*q) {
    size_t n = strcspn(q, "&");
    const char *eq = memchr(q, '=', n);
    size_t name_len = eq ? (size_t)(eq - q) : n;

    if (n > 0 && name_is(q, name_len, name) && idx-- == 0) {
      if (!eq)
        return net_http_url_decode("", 0, true, out, outlen);
      return net_http_url_decode(eq + 1, n - name_len - 1, true, out, outlen);
    }
    q += n + (q[n] == '&');
  }
  return -ENOENT;
}

const char *net_http_header(const struct net_http_request *req,
                            const char *name) {
  unsigned i;

  for (i = 0; i < req->headers_count; i++)
    if (net_http_ieq(req->headers[i].name, name))
      return req->headers[i].value;
  return NULL;
}

const char *net_http_reason(int status) {
  switch (status) {
  case 100: return "Continue";
  case 200: return "OK";
  case 201: return "Created";
  case 202: return "Accepted";
  case 204: return "No Content";
  case 206: return "Partial Content";
  case 301: return "Moved Permanently";
  case 302: return "Found";
  case 304: return "Not Modified";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 406: return "Not Acceptable";
  case 408: return "Request Timeout";
  case 409: return "Conflict";
  case 411: return "Length Required";
  case 413: return "Payload Too Large";
  case 414: return "URI Too Long";
  case 415: return "Unsupported Media Type";
  case 417: return "Expectation Failed";
  case 422: return "Unprocessable Content";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  case 505: return "HTTP Version Not Supported";
  case 507: return "Insufficient Storage";
  default: return "Unknown";
  }
}

int net_http_response_header(struct net_http_response *resp,
                             const char *name, const char *value) {
  size_t room = sizeof(resp->headers) - resp->headers_len;
  const char *c;
  int n;

  if (name[0] == '\0')
    return -EINVAL;
  for (c = name; *c; c++)
    if (!net_http_is_tchar((unsigned char)*c))
      return -EINVAL;
  for (c = value; *c; c++)
    if (*c == '\r' || *c == '\n')
      return -EINVAL;
  n = snprintf(resp->headers + resp->headers_len, room, "%s: %s\r\n", name,
               value);
  if (n < 0 || (size_t)n >= room) {
    resp->headers[resp->headers_len] = '\0';
    return -ENOSPC;
  }
  resp->headers_len += (size_t)n;
  return 0;
}
