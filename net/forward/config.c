/*
 * net/forward/config.c - the forwarding options of `sluice run` and the
 * target URL: parsed at start-up (and at SIGHUP, to compare), never on a
 * data path.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/forward/forward.h"
#include "net/forward/forward_internal.h"

#define SHOWN_MAX 80 /* bytes of a bad value quoted in a message */

int net_fwd_fail(char *err, size_t n, const char *fmt, ...) {
  va_list ap;

  if (err != NULL && n > 0) {
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
  }
  return -EINVAL;
}

void net_fwd_config_defaults(struct net_fwd_config *c) {
  memset(c, 0, sizeof(*c));
  c->batch_samples = NET_FWD_BATCH_SAMPLES_DEFAULT;
  c->batch_age_ms = NET_FWD_BATCH_AGE_MS_DEFAULT;
}

/* ---- URL ----------------------------------------------------------------- */

static int host_ok(const char *h, size_t n, int v6) {
  if (n == 0)
    return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)h[i];
    if (!isalnum(ch) && ch != '.' && ch != '-' && ch != '_' &&
        !(v6 && (ch == ':' || ch == '%')))
      return 0;
  }
  return 1;
}

/* The port after ':' at p (up to end). Returns 0 or -1. */
static int port_of(const char *p, const char *end, uint16_t *port) {
  unsigned long v = 0;

  if (p == end || end - p > 5)
    return -1;
  for (; p < end; p++) {
    if (!isdigit((unsigned char)*p))
      return -1;
    v = v * 10 + (unsigned long)(*p - '0');
  }
  if (v == 0 || v > 65535)
    return -1;
  *port = (uint16_t)v;
  return 0;
}

/* host[:port] or [v6][:port] in s..end into u. Returns why not, or NULL. */
static const char *authority(const char *s, const char *end,
                             struct net_fwd_url *u) {
  const char *h = s, *hend, *colon = NULL;
  int v6 = s < end && *s == '[';

  if (v6) {
    const char *rb = memchr(s, ']', (size_t)(end - s));
    if (rb == NULL)
      return "']' is missing after the IPv6 address";
    h = s + 1;
    hend = rb;
    if (rb + 1 < end && rb[1] != ':')
      return "text follows ']' that is not :PORT";
    colon = rb + 1 < end ? rb + 1 : NULL;
  } else {
    colon = memchr(s, ':', (size_t)(end - s));
    hend = colon ? colon : end;
  }
  if (memchr(s, '@', (size_t)(end - s)) != NULL)
    return "user:password@ is not taken in the URL (it would show in ps "
           "and logs); use --remote-write-basic-auth USER:PASSWORD_FILE";
  if ((size_t)(hend - h) >= sizeof(u->host) ||
      !host_ok(h, (size_t)(hend - h), v6))
    return "the host is missing, too long, or has a character that is not "
           "allowed";
  if (colon && port_of(colon + 1, end, &u->port) < 0)
    return "the port is not a number from 1 to 65535";
  memcpy(u->host, h, (size_t)(hend - h));
  u->host[hend - h] = '\0';
  if ((size_t)(end - s) >= sizeof(u->authority))
    return "the host is too long";
  memcpy(u->authority, s, (size_t)(end - s));
  u->authority[end - s] = '\0';
  return NULL;
}

static int path_ok(const char *p) {
  for (; *p; p++)
    if ((unsigned char)*p <= ' ' || *p == 0x7f)
      return 0;
  return 1;
}

int net_fwd_hostport_parse(const char *s, struct net_fwd_url *u, char *err,
                           size_t errlen) {
  const char *why;

  memset(u, 0, sizeof(*u));
  if ((why = authority(s, s + strlen(s), u)) != NULL)
    return net_fwd_fail(err, errlen, "%s", why);
  if (u->port == 0)
    return net_fwd_fail(err, errlen, "the port is missing");
  return 0;
}

int net_fwd_url_parse(const char *s, struct net_fwd_url *u, char *err,
                      size_t errlen) {
  const char *rest, *slash, *why;
  size_t n = strlen(s);

  memset(u, 0, sizeof(*u));
  if (n >= NET_FWD_URL_BYTES_MAX)
    return net_fwd_fail(err, errlen,
                        "the URL is %zu bytes long; the bound is %d", n,
                        NET_FWD_URL_BYTES_MAX - 1);
  if (strncasecmp(s, "http://", 7) == 0) {
    rest = s + 7;
    u->port = 80;
  } else if (strncasecmp(s, "https://", 8) == 0) {
    rest = s + 8;
    u->tls = 1;
    u->port = 443;
  } else {
    return net_fwd_fail(err, errlen,
                        "the URL must start with http:// or https://");
  }
  slash = rest + strcspn(rest, "/?#");
  if ((why = authority(rest, slash, u)) != NULL)
    return net_fwd_fail(err, errlen, "%s", why);
  if (*slash == '#' || strchr(slash, '#') != NULL)
    return net_fwd_fail(err, errlen,
                        "a URL fragment (#...) is never sent; drop it");
  if (!path_ok(slash))
    return net_fwd_fail(err, errlen,
                        "the path holds a space or a control "
                        "character; percent-encode it");
  snprintf(u->path, sizeof(u->path), "%s%s", *slash == '/' ? "" : "/", slash);
  return 0;
}

void net_fwd_target_id(const struct net_fwd_url *u, char *out, size_t n) {
  char raw[sizeof(u->host) + 8 + sizeof(u->path)];
  size_t i;

  snprintf(raw, sizeof(raw), "%s_%u%s", u->host, (unsigned)u->port,
           strcmp(u->path, "/") == 0 ? "" : u->path);
  if (n > NET_FWD_ID_BYTES_MAX)
    n = NET_FWD_ID_BYTES_MAX;
  for (i = 0; raw[i] != '\0' && i + 1 < n; i++)
    out[i] = isalnum((unsigned char)raw[i]) || raw[i] == '.' || raw[i] == '-'
                 ? raw[i]
                 : '_';
  out[i] = '\0';
}

/* ---- options ------------------------------------------------------------- */

static int set_url(struct net_fwd_config *c, const char *val, char *err,
                   size_t errlen) {
  struct net_fwd_url u;
  char why[256];

  if (c->count == NET_FWD_TARGETS_MAX)
    return net_fwd_fail(err, errlen,
                        "--remote-write: more than %d targets; "
                        "forward to at most %d",
                        NET_FWD_TARGETS_MAX, NET_FWD_TARGETS_MAX);
  if (net_fwd_url_parse(val, &u, why, sizeof(why)) < 0)
    return net_fwd_fail(err, errlen,
                        "--remote-write: \"%.*s\" is not a target URL: "
                        "%s; use like http://127.0.0.1:8428/api/v1/write",
                        SHOWN_MAX, val, why);
  memset(&c->t[c->count], 0, sizeof(c->t[0]));
  memcpy(c->t[c->count].url, val, strlen(val) + 1);
  c->count++;
  return 0;
}

static int header_ok(const char *v) {
  const char *colon = strchr(v, ':');

  if (colon == NULL || colon == v)
    return 0;
  for (const char *p = v; p < colon; p++)
    if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
      return 0;
  for (const char *p = colon + 1; *p; p++)
    if ((unsigned char)*p < ' ' && *p != '\t')
      return 0;
  return 1;
}

static int set_header(struct net_fwd_target_cfg *t, const char *val, char *err,
                      size_t errlen) {
  static const char *const own[] = {"host:",
                                    "content-length:",
                                    "content-encoding:",
                                    "content-type:",
                                    "transfer-encoding:",
                                    "connection:",
                                    "x-prometheus-remote-write-version:"};

  if (!header_ok(val) || strlen(val) >= NET_FWD_HEADER_BYTES_MAX)
    return net_fwd_fail(
        err, errlen,
        "--remote-write-header: \"%.*s\" is not "
        "'Name: value' (a token name, no control characters, under "
        "%d bytes)",
        SHOWN_MAX, val, NET_FWD_HEADER_BYTES_MAX);
  for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
    if (strncasecmp(val, own[i], strlen(own[i])) == 0)
      return net_fwd_fail(err, errlen,
                          "--remote-write-header: %.*s is set by "
                          "sluice itself; leave it out",
                          (int)strlen(own[i]) - 1, own[i]);
  if (t->header_count == NET_FWD_HEADERS_MAX)
    return net_fwd_fail(err, errlen,
                        "--remote-write-header: more than %d headers "
                        "for one target",
                        NET_FWD_HEADERS_MAX);
  memcpy(t->headers[t->header_count++], val, strlen(val) + 1);
  return 0;
}

static int set_path(char *dst, const char *name, const char *val, char *err,
                    size_t errlen) {
  size_t n = strlen(val);

  if (n == 0 || n >= NET_FWD_PATH_BYTES_MAX)
    return net_fwd_fail(err, errlen, "--%s: the path is empty or over %d bytes",
                        name, NET_FWD_PATH_BYTES_MAX - 1);
  memcpy(dst, val, n + 1);
  return 0;
}

static int set_basic(struct net_fwd_target_cfg *t, const char *val, char *err,
                     size_t errlen) {
  const char *colon = strchr(val, ':');

  if (colon == NULL || colon == val ||
      (size_t)(colon - val) >= sizeof(t->basic_user))
    return net_fwd_fail(
        err, errlen,
        "--remote-write-basic-auth: \"%.*s\" is not "
        "USER:PASSWORD_FILE (a user name, then the file holding the "
        "password)",
        SHOWN_MAX, val);
  memcpy(t->basic_user, val, (size_t)(colon - val));
  t->basic_user[colon - val] = '\0';
  return set_path(t->basic_pass_file, "remote-write-basic-auth", colon + 1, err,
                  errlen);
}

static int set_batch(struct net_fwd_config *c, const char *name,
                     const char *val, char *err, size_t errlen) {
  int age = strcmp(name, "remote-write-batch-age-ms") == 0;
  unsigned long lo = age ? 0 : NET_FWD_BATCH_SAMPLES_MIN;
  unsigned long hi = age ? NET_FWD_BATCH_AGE_MS_MAX : NET_FWD_BATCH_SAMPLES_MAX;
  char *end;
  unsigned long v;

  errno = 0;
  v = strtoul(val, &end, 10);
  if (!isdigit((unsigned char)val[0]) || *end != '\0' || errno || v < lo ||
      v > hi)
    return net_fwd_fail(err, errlen,
                        "--%s: \"%.*s\" is not an integer from %lu to "
                        "%lu",
                        name, SHOWN_MAX, val, lo, hi);
  if (age)
    c->batch_age_ms = (uint32_t)v;
  else
    c->batch_samples = (uint32_t)v;
  return 0;
}

static int set_syslog(struct net_fwd_config *c, const char *val, char *err,
                      size_t errlen) {
  struct net_fwd_url u;
  char why[256];

  if (c->syslog_count == NET_FWD_TARGETS_MAX)
    return net_fwd_fail(err, errlen, "--forward-syslog: more than %d "
                        "targets", NET_FWD_TARGETS_MAX);
  if (strlen(val) >= sizeof(c->syslog[0]) ||
      net_fwd_hostport_parse(val, &u, why, sizeof(why)) < 0)
    return net_fwd_fail(err, errlen, "--forward-syslog: \"%.*s\" is not "
                        "HOST:PORT (%s); use like 127.0.0.1:514",
                        SHOWN_MAX, val,
                        strlen(val) >= sizeof(c->syslog[0]) ? "too long"
                                                             : why);
  memcpy(c->syslog[c->syslog_count++], val, strlen(val) + 1);
  return 0;
}

static int set_otlp(struct net_fwd_config *c, const char *val, char *err,
                    size_t errlen) {
  struct net_fwd_url u;
  char why[256];

  if (c->otlp_count == NET_FWD_TARGETS_MAX)
    return net_fwd_fail(err, errlen, "--otlp-export: more than %d targets",
                        NET_FWD_TARGETS_MAX);
  if (net_fwd_url_parse(val, &u, why, sizeof(why)) < 0)
    return net_fwd_fail(err, errlen, "--otlp-export: \"%.*s\" is not a "
                        "URL: %s; use the collector's base URL, like "
                        "http://127.0.0.1:4318", SHOWN_MAX, val, why);
  memcpy(c->otlp[c->otlp_count++], val, strlen(val) + 1);
  return 0;
}

int net_fwd_config_set(struct net_fwd_config *c, const char *name,
                       const char *val, char *err, size_t errlen) {
  struct net_fwd_target_cfg *t = c->count ? &c->t[c->count - 1] : NULL;

  if (strcmp(name, "forward-syslog") == 0)
    return set_syslog(c, val, err, errlen);
  if (strcmp(name, "otlp-export") == 0)
    return set_otlp(c, val, err, errlen);
  if (strncmp(name, "remote-write", 12) != 0)
    return -ENOENT;
  if (strcmp(name, "remote-write") == 0)
    return set_url(c, val, err, errlen);
  if (strncmp(name, "remote-write-batch-", 19) == 0 &&
      (strcmp(name + 19, "samples") == 0 || strcmp(name + 19, "age-ms") == 0))
    return set_batch(c, name, val, err, errlen);
  if (strcmp(name, "remote-write-header") != 0 &&
      strcmp(name, "remote-write-basic-auth") != 0 &&
      strcmp(name, "remote-write-bearer-token-file") != 0 &&
      strcmp(name, "remote-write-ca-file") != 0)
    return -ENOENT;
  if (t == NULL)
    return net_fwd_fail(
        err, errlen,
        "--%s comes before any --remote-write URL; "
        "per-target options apply to the last --remote-write given "
        "before them",
        name);
  if (strcmp(name, "remote-write-header") == 0)
    return set_header(t, val, err, errlen);
  if (strcmp(name, "remote-write-basic-auth") == 0)
    return set_basic(t, val, err, errlen);
  if (strcmp(name, "remote-write-bearer-token-file") == 0)
    return set_path(t->bearer_file, name, val, err, errlen);
  return set_path(t->ca_file, name, val, err, errlen);
}

int net_fwd_config_show(const struct net_fwd_config *c, const char *name,
                        char *out, size_t n) {
  size_t len = 0;

  if (strcmp(name, "forward-syslog") == 0 ||
      strcmp(name, "otlp-export") == 0) {
    int sys = name[0] == 'f';
    out[0] = '\0';
    for (unsigned i = 0; i < (sys ? c->syslog_count : c->otlp_count) &&
                         len + 1 < n;
         i++) {
      int w = snprintf(out + len, n - len, "%s%s", i ? " " : "",
                       sys ? c->syslog[i] : c->otlp[i]);
      len = w < 0 ? n : len + (size_t)w;
    }
    return 0;
  }
  if (strncmp(name, "remote-write", 12) != 0)
    return -ENOENT;
  out[0] = '\0';
  if (strcmp(name, "remote-write-batch-samples") == 0) {
    snprintf(out, n, "%u", (unsigned)c->batch_samples);
    return 0;
  }
  if (strcmp(name, "remote-write-batch-age-ms") == 0) {
    snprintf(out, n, "%u", (unsigned)c->batch_age_ms);
    return 0;
  }
  for (unsigned i = 0; i < c->count && len + 1 < n; i++) {
    const struct net_fwd_target_cfg *t = &c->t[i];
    const char *v = t->url;
    char hdrs[64];
    if (strcmp(name, "remote-write-header") == 0) {
      snprintf(hdrs, sizeof(hdrs), "%u header(s)", t->header_count);
      v = hdrs; /* values may be secrets */
    } else if (strcmp(name, "remote-write-basic-auth") == 0) {
      v = t->basic_pass_file;
    } else if (strcmp(name, "remote-write-bearer-token-file") == 0) {
      v = t->bearer_file;
    } else if (strcmp(name, "remote-write-ca-file") == 0) {
      v = t->ca_file;
    }
    int w = snprintf(out + len, n - len, "%s%s", i ? " " : "", v);
    len = w < 0 ? n : len + (size_t)w;
  }
  if (len >= n && n > 4)
    snprintf(out + n - 4, 4, "...");
  return 0;
}
