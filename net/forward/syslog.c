/*
 * net/forward/syslog.c - what --forward-syslog sends: a stored log record
 * as one RFC 5424 message, framed by octet counting (RFC 6587 3.4.1):
 *   LEN SP <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [SP MSG]
 * (docs/forwarding.md, "Logs to a syslog receiver").
 */
#include <errno.h>
#include <string.h>

#include "core/base/strbuf.h"
#include "net/forward/forward_internal.h"
#include "net/query/query_api.h"

/* A header field: "-" when empty, else printable US-ASCII ('_' for the
 * rest), at most max bytes (RFC 5424 6.2; also SD-IDs and names, which
 * exclude '=', ']', '"' and space too). */
static void put_token(struct core_strbuf *b, const struct core_syslog_str *v,
                      size_t max, int sd) {
  char tmp[256];
  size_t n = v->len < max ? v->len : max;

  if (n > sizeof(tmp))
    n = sizeof(tmp);
  if (n == 0) {
    core_strbuf_append(b, "-", 1);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)v->ptr[i];
    tmp[i] = c > 32 && c < 127 &&
                     !(sd && (c == '=' || c == ']' || c == '"'))
                 ? (char)c
                 : '_';
  }
  core_strbuf_append(b, tmp, n);
}

/* STRUCTURED-DATA: attributes of one SD-ID in a row form one element. */
static void put_sd(struct core_strbuf *b, const struct stor_log_rec *r) {
  for (uint32_t i = 0; i < r->attr_count; i++) {
    const struct core_syslog_attr *a = &r->attrs[i];
    if (i == 0 || a->sdid.len != a[-1].sdid.len ||
        memcmp(a->sdid.ptr, a[-1].sdid.ptr, a->sdid.len) != 0) {
      core_strbuf_append(b, i ? "][" : "[", i ? 2 : 1);
      put_token(b, &a->sdid, CORE_SYSLOG_SD_NAME_BYTES_MAX, 1);
    }
    if (a->name.len == 0)
      continue;
    core_strbuf_append(b, " ", 1);
    put_token(b, &a->name, CORE_SYSLOG_SD_NAME_BYTES_MAX, 1);
    core_strbuf_append(b, "=\"", 2);
    for (uint32_t k = 0; k < a->value.len; k++) {
      char c = a->value.ptr[k];
      if (c == '"' || c == '\\' || c == ']')
        core_strbuf_append(b, "\\", 1);
      core_strbuf_append(b, &c, 1);
    }
    core_strbuf_append(b, "\"", 1);
  }
  core_strbuf_append(b, r->attr_count ? "]" : "-", 1);
}

int net_fwd_syslog_frame(struct core_strbuf *out, struct core_strbuf *line,
                         const struct stor_log_rec *r) {
  struct core_strbuf *l = line;
  char ts[32];
  int n;

  l->len = 0;
  l->failed = 0;
  core_strbuf_appendf(l, "<%u>1 ", r->facility * 8u + r->severity);
  n = net_query_format_time_ns(r->time_ns, ts);
  /* TIME-SECFRAC has at most 6 digits: microseconds */
  core_strbuf_append(l, ts, (size_t)(n > 27 ? 26 : n - 1));
  core_strbuf_append(l, "Z ", 2);
  put_token(l, &r->host, CORE_SYSLOG_HOSTNAME_BYTES_MAX, 0);
  core_strbuf_append(l, " ", 1);
  put_token(l, &r->app, CORE_SYSLOG_APP_NAME_BYTES_MAX, 0);
  core_strbuf_append(l, " ", 1);
  put_token(l, &r->procid, CORE_SYSLOG_PROCID_BYTES_MAX, 0);
  core_strbuf_append(l, " ", 1);
  put_token(l, &r->msgid, CORE_SYSLOG_MSGID_BYTES_MAX, 0);
  core_strbuf_append(l, " ", 1);
  put_sd(l, r);
  if (r->msg.len) {
    core_strbuf_append(l, " ", 1);
    core_strbuf_append(l, r->msg.ptr, r->msg.len);
  }
  if (l->failed)
    return -ENOMEM;
  core_strbuf_appendf(out, "%zu ", l->len);
  core_strbuf_append(out, l->data, l->len);
  return out->failed ? -ENOMEM : 0;
}
