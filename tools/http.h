/*
 * tools/http.h - a minimal HTTP/1.1 GET client for reading /metrics.
 *
 * Off the data path (CLI tools only): blocking socket with timeouts, one
 * request per connection, Content-Length, chunked and close-delimited
 * bodies.
 */
#ifndef SLUICE_TOOLS_HTTP_H
#define SLUICE_TOOLS_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct core_strbuf;

/* A parsed http:// URL. */
struct tools_url {
  char host[256];        /* name or address, without IPv6 brackets */
  char port[8];
  char path[1024];       /* starts with '/' */
};

/*
 * Parse "http://HOST[:PORT][/PATH]" (scheme optional, "[v6]" hosts, port
 * 80 and path "/metrics" by default).
 * Returns 0 or -EINVAL.
 */
int tools_url_parse(const char *url, struct tools_url *out);

/*
 * GET url and put the response body (de-chunked) in body, which the caller
 * has initialised (its max bounds the reply, TOOLS_HTTP_RESPONSE_BYTES_MAX
 * applies as well). Gives up after TOOLS_HTTP_TIMEOUT_MS without progress.
 * Returns 0; -EINVAL (bad URL), -errno of resolve/connect/read,
 * -EPROTO (malformed reply or a status other than 200), -EMSGSIZE (reply
 * over the bound). On failure err holds a message naming URL and cause.
 */
int tools_http_get(const char *url, struct core_strbuf *body, char *err,
                   size_t errlen);

#endif
