/*
 * tools/http.h - a minimal HTTP/1.1 client: GET /metrics for `sluice
 * stats` and `bench --check`, GET/POST on the query port for `sluice query`.
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

/*
 * Send `METHOD target` (GET, or POST with an empty body) to the host and
 * port of url (its path is not used) and read the reply, whatever its
 * status. target is the request target, path and query already
 * percent-encoded, of any length. Each connect, send and read waits up to
 * timeout_ms.
 *   status  the reply's status code (200, 400, ...).
 *   raw     the reply as received (status line, headers, body); its max
 *           bounds the whole reply.
 *   body    the body, de-chunked; its max bounds it.
 * Both buffers are initialised by the caller.
 * Returns 0 when a whole reply arrived; -EINVAL (bad URL), -errno of
 * resolve/connect/send/read (-ETIMEDOUT), -EPROTO (malformed reply),
 * -EMSGSIZE (over a bound). On failure err names the URL or the request
 * and the cause.
 */
int tools_http_request(const char *url, const char *method,
                       const char *target, uint32_t timeout_ms, int *status,
                       struct core_strbuf *raw, struct core_strbuf *body,
                       char *err, size_t errlen);

/*
 * Copy the value of header name (case-insensitive) of the reply in raw, as
 * filled by tools_http_request, into out (surrounding blanks trimmed).
 * Returns its length, -ENOENT (no such header) or -ENOSPC (over outlen).
 */
int tools_http_reply_header(const struct core_strbuf *raw, const char *name,
                            char *out, size_t outlen);

#endif
