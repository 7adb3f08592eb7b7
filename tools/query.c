/*
 * tools/query.c - `sluice query`: the query port from the command line.
 *
 * One request per run: the command line becomes a percent-encoded request
 * target, the reply body goes to stdout untouched (NDJSON or JSON, ready
 * for jq), and the exit code tells a script what happened.
 */
#include "tools/query.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/cmd/cli.h"
#include "core/base/limits.h"
#include "tools/http.h"
#include "tools/util.h"

#define CMD "query"
#define DEFAULT_URL "http://127.0.0.1:9400"

static const char help[] =
    "Usage: sluice query [--url URL] COMMAND [ARG]... [OPTION]...\n"
    "Ask a running sluice's query port (`sluice run --http`) and print the\n"
    "reply body on stdout as the server sends it (NDJSON for export and\n"
    "logs, JSON otherwise). Arguments are URL-encoded here: quote them for\n"
    "the shell only.\n\n"
    "Commands:\n"
    "  export SELECTOR... [--start T] [--end T]\n"
    "      points of the matching series, one JSON line per series\n"
    "      sluice query export 'web.requests{env=\"prod\",host=~\"a|b\"}'\n"
    "  series SELECTOR... [--start T] [--end T]\n"
    "      label sets of the matching series\n"
    "      sluice query series web.requests db.pool\n"
    "  labels [SELECTOR...] [--start T] [--end T]\n"
    "      label names (of every series without a SELECTOR)\n"
    "      sluice query labels '{env=\"prod\"}'\n"
    "  label-values NAME [SELECTOR...] [--start T] [--end T]\n"
    "      values of label NAME (__name__: metric names)\n"
    "      sluice query label-values env web.requests\n"
    "  logs [MATCH] [--contains S] [--start T] [--end T] [--limit N]\n"
    "      syslog records, one JSON line each, the newest N (default 1000)\n"
    "      sluice query logs '{app=~\"ssh.*\",severity<=err}' --contains "
    "Failed\n"
    "  trace TRACE_ID\n"
    "      every span of one trace (32 hex digits), from every shard\n"
    "      sluice query trace 5b8efff798038103d269b633813fc60c\n"
    "  spans [--service S] [--name N] [--start T] [--end T] [--limit N]\n"
    "      the newest N spans (default 100) by start time\n"
    "      sluice query spans --service checkout --limit 20\n"
    "  flush\n"
    "      seal and store what every shard holds, so queries see it now\n\n"
    "Options:\n"
    "  --url URL       the query port (default " DEFAULT_URL ")\n"
    "  --start T, --end T\n"
    "                  inclusive time range: RFC 3339, seconds or\n"
    "                  milliseconds since the epoch (default: all time)\n"
    "  --contains S    logs: the message holds S (bytes, case-sensitive)\n"
    "  --limit N       logs: at most N records, 1 to 100000; spans: at\n"
    "                  most N spans, 1 to 10000\n"
    "  --service S, --name N\n"
    "                  spans: of service S (service.name), named N\n"
    "  --help          this text\n\n"
    "Several SELECTORs are OR-ed. Selector and MATCH syntax: docs/query-api.md.\n"
    "Exit codes: 0 ok (2xx), 1 the server refused the query (its message on\n"
    "stderr) or cannot be reached, 2 usage error. A logs reply cut to the\n"
    "newest N records is noted on stderr.\n";

enum { OPT_URL = 256, OPT_START, OPT_END, OPT_CONTAINS, OPT_LIMIT, OPT_HELP,
       OPT_SERVICE, OPT_NAME };

static const struct option long_opts[] = {
    {"url", required_argument, NULL, OPT_URL},
    {"start", required_argument, NULL, OPT_START},
    {"end", required_argument, NULL, OPT_END},
    {"contains", required_argument, NULL, OPT_CONTAINS},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"service", required_argument, NULL, OPT_SERVICE},
    {"name", required_argument, NULL, OPT_NAME},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0}};

struct query_opts {
  const char *url, *start, *end, *contains, *limit, *service, *name;
};

/* name: its path, operands wanted (min, max; -1: any), takes --start/--end. */
static const struct command {
  const char *name, *path;
  enum tools_query_cmd cmd;
  int min, max;
} commands[] = {
    {"export", "/api/v1/export", TOOLS_QUERY_EXPORT, 1, -1},
    {"series", "/api/v1/series", TOOLS_QUERY_SERIES, 1, -1},
    {"labels", "/api/v1/labels", TOOLS_QUERY_LABELS, 0, -1},
    {"label-values", "/api/v1/label/", TOOLS_QUERY_LABEL_VALUES, 1, -1},
    {"logs", "/api/v1/logs", TOOLS_QUERY_LOGS, 0, 1},
    {"flush", "/api/v1/flush", TOOLS_QUERY_FLUSH, 0, 0},
    {"trace", "/api/v1/traces/", TOOLS_QUERY_TRACE, 1, 1},
    {"spans", "/api/v1/spans", TOOLS_QUERY_SPANS, 0, 0},
};

int tools_query_encode(struct core_strbuf *out, const char *s, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char e[3] = {'%', hex[c >> 4], hex[c & 15]};
    int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                c == '~';
    if (core_strbuf_append(out, plain ? (const char *)&s[i] : e,
                           plain ? 1 : 3) < 0)
      return -ENOMEM;
  }
  return 0;
}

static int one_opt(int c, const char *arg, void *ctx) {
  struct query_opts *o = ctx;
  switch (c) {
  case OPT_URL: o->url = arg; return 0;
  case OPT_START: o->start = arg; return 0;
  case OPT_END: o->end = arg; return 0;
  case OPT_CONTAINS: o->contains = arg; return 0;
  case OPT_SERVICE: o->service = arg; return 0;
  case OPT_NAME: o->name = arg; return 0;
  case OPT_LIMIT: {
    uint64_t v;
    if (tools_parse_count(arg, 1, CORE_LOGS_LIMIT_MAX, &v) < 0)
      return core_cli_usage(CMD, "--limit \"%s\": give a number of records "
                                 "from 1 to %d", arg, CORE_LOGS_LIMIT_MAX);
    o->limit = arg;
    return 0;
  }
  default: return CORE_EXIT_USAGE;
  }
}

/* "?" before the first parameter, "&" before the others. */
static int add_param(struct core_strbuf *t, const char *name, const char *v) {
  if (v == NULL)
    return 0;
  if (core_strbuf_appendf(t, "%c%s=", memchr(t->data, '?', t->len) ? '&' : '?',
                          name) < 0)
    return -ENOMEM;
  return tools_query_encode(t, v, strlen(v));
}

/* The base URL's path, without a trailing '/', goes before /api/v1/... */
static int add_prefix(struct core_strbuf *t, const char *url) {
  const char *p = strstr(url, "://");
  p = p ? p + 3 : url;
  p += strcspn(p, "/");
  size_t n = strlen(p);
  while (n > 0 && p[n - 1] == '/')
    n--;
  return n ? core_strbuf_append(t, p, n) : 0;
}

/* Options that do not belong to the command are usage errors. */
static int check_opts(const struct command *c, const struct query_opts *o) {
  const char *bad = NULL;
  if (c->cmd != TOOLS_QUERY_LOGS)
    bad = o->contains ? "--contains" : NULL;
  if (c->cmd != TOOLS_QUERY_LOGS && c->cmd != TOOLS_QUERY_SPANS && !bad)
    bad = o->limit ? "--limit" : NULL;
  if (c->cmd != TOOLS_QUERY_SPANS && bad == NULL)
    bad = o->service ? "--service" : o->name ? "--name" : NULL;
  if ((c->cmd == TOOLS_QUERY_FLUSH || c->cmd == TOOLS_QUERY_TRACE) &&
      bad == NULL)
    bad = o->start ? "--start" : o->end ? "--end" : NULL;
  if (bad != NULL)
    return core_cli_usage(CMD, "%s does not apply to %s", bad, c->name);
  return 0;
}

static int check_operands(const struct command *c, int n, char **ops) {
  if (n < c->min && c->cmd == TOOLS_QUERY_LABEL_VALUES)
    return core_cli_usage(CMD, "label-values needs a label NAME, e.g. "
                               "sluice query label-values env");
  if (c->cmd == TOOLS_QUERY_TRACE && n != 1)
    return core_cli_usage(CMD, "trace takes one TRACE_ID (32 hex digits), "
                               "e.g. sluice query trace "
                               "5b8efff798038103d269b633813fc60c");
  if (n < c->min)
    return core_cli_usage(CMD, "%s needs at least one SELECTOR, e.g. "
                               "sluice query %s 'web.requests{env=\"prod\"}'",
                          c->name, c->name);
  if (c->max >= 0 && n > c->max)
    return core_cli_usage(CMD, "%s takes %s; unexpected argument \"%s\"",
                          c->name, c->max ? "one MATCH expression (every "
                          "matcher inside one {...})" : "no arguments",
                          ops[c->max]);
  if (c->cmd == TOOLS_QUERY_LABEL_VALUES && ops[0][0] == '\0')
    return core_cli_usage(CMD, "label-values: the label NAME is empty");
  return 0;
}

/* The request target: path, then match[] (or match=) and the options. */
static int build_target(const struct command *c, int n, char **ops,
                        const struct query_opts *o, struct core_strbuf *t) {
  int rc = add_prefix(t, o->url);
  int first = c->cmd == TOOLS_QUERY_LABEL_VALUES ||
              c->cmd == TOOLS_QUERY_TRACE;
  rc = rc ? rc : core_strbuf_append(t, c->path, strlen(c->path));
  if (rc == 0 && first) {
    rc = tools_query_encode(t, ops[0], strlen(ops[0]));
    if (c->cmd == TOOLS_QUERY_LABEL_VALUES)
      rc = rc ? rc : core_strbuf_append(t, "/values", 7);
  }
  for (int i = first; rc == 0 && i < n; i++)
    rc = add_param(t, c->cmd == TOOLS_QUERY_LOGS ? "match" : "match%5B%5D",
                   ops[i]);
  rc = rc ? rc : add_param(t, "contains", o->contains);
  rc = rc ? rc : add_param(t, "service", o->service);
  rc = rc ? rc : add_param(t, "name", o->name);
  rc = rc ? rc : add_param(t, "start", o->start);
  rc = rc ? rc : add_param(t, "end", o->end);
  rc = rc ? rc : add_param(t, "limit", o->limit);
  if (rc < 0)
    return core_cli_usage(CMD, "%s: the query is over %d bytes once "
                               "URL-encoded (the query port reads %d bytes of "
                               "request line and headers): use fewer or "
                               "shorter arguments", c->name,
                          TOOLS_QUERY_TARGET_BYTES_MAX,
                          NET_HTTP_HEADER_BYTES_MAX);
  return 0;
}

/* The command as typed ("export 'a{b=\"c\"}'"), cut to fit, for messages. */
static void describe(char *what, size_t cap, int n, char **ops) {
  size_t len = 0;
  what[0] = '\0';
  for (int i = 0; i < n && len < cap; i++) {
    int w = snprintf(what + len, cap - len, i == 0 ? "%s" : " '%s'", ops[i]);
    if (w < 0)
      break;
    len += (size_t)w;
  }
}

static const struct command *find_command(const char *name) {
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    if (strcmp(name, commands[i].name) == 0)
      return &commands[i];
  return NULL;
}

int tools_query_parse(int argc, char **argv, struct tools_query_req *req) {
  struct query_opts o = {.url = DEFAULT_URL};
  struct tools_url u;
  const struct command *c;
  int first, rc;

  *req = (struct tools_query_req){.url = DEFAULT_URL, .method = "GET"};
  core_strbuf_init(&req->target, TOOLS_QUERY_TARGET_BYTES_MAX);
  rc = tools_cli_options(CMD, help, argc, argv, long_opts, OPT_HELP, one_opt,
                         &o, &first);
  if (rc != 0)
    return rc;
  if (tools_url_parse(o.url, &u) < 0)
    return core_cli_usage(CMD, "--url \"%s\": give the query port as "
                               "http://HOST:PORT (sluice run --http)", o.url);
  if (first == argc)
    return core_cli_usage(CMD, "give a command: export, series, labels, "
                               "label-values, logs, trace, spans or flush");
  if ((c = find_command(argv[first])) == NULL)
    return core_cli_usage(CMD, "unknown command \"%s\": use export, series, "
                               "labels, label-values, logs, trace, spans or "
                               "flush",
                          argv[first]);
  int n = argc - first - 1;
  char **ops = argv + first + 1;
  if ((rc = check_opts(c, &o)) != 0 || (rc = check_operands(c, n, ops)) != 0)
    return rc;
  req->url = o.url;
  req->cmd = c->cmd;
  req->method = c->cmd == TOOLS_QUERY_FLUSH ? "POST" : "GET";
  describe(req->what, sizeof(req->what), n + 1, argv + first);
  return build_target(c, n, ops, &o, &req->target);
}

/* Append the UTF-8 of code point cp (BMP; surrogates become U+FFFD). */
static size_t put_utf8(char *out, unsigned cp) {
  if (cp >= 0xD800 && cp <= 0xDFFF)
    cp = 0xFFFD;
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | cp >> 6);
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  out[0] = (char)(0xE0 | cp >> 12);
  out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[2] = (char)(0x80 | (cp & 0x3F));
  return 3;
}

/* Decode the escape at p[0..end) (p just after '\'); *used: bytes read. */
static size_t unescape(const char *p, const char *end, char *buf,
                       size_t *used) {
  static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
  const char *k = p < end ? memchr(from, *p, sizeof(from) - 1) : NULL;
  unsigned cp = 0;
  *used = 1;
  if (k != NULL) {
    buf[0] = to[k - from];
    return 1;
  }
  if (end - p < 5 || *p != 'u')
    return put_utf8(buf, 0xFFFD);
  for (int i = 1; i <= 4; i++) {
    char h = p[i];
    int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
          : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
    if (d < 0)
      return put_utf8(buf, 0xFFFD);
    cp = cp * 16 + (unsigned)d;
  }
  *used = 5;
  return put_utf8(buf, cp);
}

/* Where the value string of key "error" starts (after its quote), or NULL. */
static const char *error_value(const char *body, const char *end) {
  static const char key[] = "\"error\"";
  for (const char *p = body; p < end;) {
    const char *k = memmem(p, (size_t)(end - p), key, sizeof(key) - 1);
    if (k == NULL)
      return NULL;
    p = k + sizeof(key) - 1;
    while (p < end && (*p == ' ' || *p == '\t'))
      p++;
    if (p < end && *p == ':') {
      for (p++; p < end && (*p == ' ' || *p == '\t'); p++)
        ;
      return p < end && *p == '"' ? p + 1 : NULL;
    }
  }
  return NULL;
}

int tools_query_error_text(const char *body, size_t n, char *out,
                           size_t outlen) {
  const char *end = body + n, *p = n ? error_value(body, end) : NULL;
  size_t len = 0;
  if (p == NULL || outlen == 0)
    return -ENOENT;
  while (p < end && *p != '"') {
    char buf[4];
    size_t used = 0, k = *p == '\\' ? unescape(p + 1, end, buf, &used) : 1;
    if (*p != '\\')
      buf[0] = *p;
    if (len + k >= outlen)
      break;
    memcpy(out + len, buf, k);
    len += k;
    p += 1 + used;
  }
  out[len] = '\0';
  return (int)len;
}

/* A reply that is not 2xx: the server's message, naming the query. */
static int refused(const struct tools_query_req *req, int status,
                   const struct core_strbuf *body) {
  char msg[2048];
  int n = tools_query_error_text(body->data, body->len, msg, sizeof(msg));
  if (n < 0) /* not Prometheus JSON (a 405 text, a proxy's page) */
    snprintf(msg, sizeof(msg), "%.*s", (int)strcspn(body->data ? body->data
                                                                : "", "\r\n"),
             body->data ? body->data : "");
  return core_cli_fail(CMD, "%s: the query port answered %d: %s", req->what,
                       status, msg);
}

/* The request could not be made or no whole reply came back. */
static int unreachable(const struct tools_query_req *req, int rc,
                       const char *err) {
  if (rc == -EMSGSIZE)
    return core_cli_fail(CMD, "%s: %s: the reply is over %d bytes; narrow "
                              "the selectors or --start/--end", req->what,
                         err, NET_HTTP_RESPONSE_BYTES_MAX);
  if (rc == -EPROTO)
    return core_cli_fail(CMD, "%s: %s; is %s sluice's query port (sluice run "
                              "--http)?", req->what, err, req->url);
  return core_cli_fail(CMD, "%s: %s; is sluice running, and is --url %s its "
                            "--http address (default " DEFAULT_URL ")?",
                       req->what, err, req->url);
}

/* 2xx: the body on stdout as sent; a cut logs reply is noted on stderr. */
static int answered(const struct tools_query_req *req,
                    const struct core_strbuf *raw,
                    const struct core_strbuf *body) {
  char v[16];
  if (body->len && fwrite(body->data, 1, body->len, stdout) != body->len)
    return core_cli_fail(CMD, "%s: cannot write the reply to stdout",
                         req->what);
  if (fflush(stdout) != 0)
    return core_cli_fail(CMD, "%s: cannot write the reply to stdout: %s",
                         req->what, strerror(errno));
  if (req->cmd == TOOLS_QUERY_LOGS &&
      tools_http_reply_header(raw, "X-Sluice-Logs-Truncated", v, sizeof(v)) >
          0 &&
      strcmp(v, "true") == 0)
    fprintf(stderr, "sluice %s: %s: more records match than the limit: these "
                    "are the newest (X-Sluice-Logs-Truncated); raise --limit "
                    "or page back with --end\n", CMD, req->what);
  return CORE_EXIT_OK;
}

int tools_query_main(int argc, char **argv) {
  struct tools_query_req req;
  struct core_strbuf raw, body;
  char err[1024];
  int status = 0;
  int rc = tools_query_parse(argc, argv, &req);
  if (rc != 0) {
    core_strbuf_free(&req.target);
    return rc < 0 ? CORE_EXIT_OK : rc;
  }
  core_strbuf_init(&raw, (size_t)NET_HTTP_RESPONSE_BYTES_MAX +
                             TOOLS_QUERY_HEAD_BYTES_MAX);
  core_strbuf_init(&body, NET_HTTP_RESPONSE_BYTES_MAX);
  rc = tools_http_request(req.url, req.method, req.target.data,
                          TOOLS_QUERY_TIMEOUT_MS, &status, &raw, &body, err,
                          sizeof(err));
  if (rc < 0)
    rc = unreachable(&req, rc, err);
  else if (status < 200 || status > 299)
    rc = refused(&req, status, &body);
  else
    rc = answered(&req, &raw, &body);
  core_strbuf_free(&body);
  core_strbuf_free(&raw);
  core_strbuf_free(&req.target);
  return rc;
}
