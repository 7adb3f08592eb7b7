/*
 * tests/unit/tools/test_query.c - `sluice query`: percent-encoding, the
 * request built from each command line, usage errors, and the error text
 * taken from a Prometheus API JSON reply.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <string.h>

#include "core/cmd/cli.h"
#include "core/base/limits.h"
#include "core/base/strbuf.h"
#include "tools/query.h"

static void encoded(const char *in, size_t n, const char *want) {
  struct core_strbuf b;
  core_strbuf_init(&b, 1 << 16);
  cr_assert_eq(tools_query_encode(&b, in, n), 0);
  cr_expect_str_eq(b.len ? b.data : "", want, "encode(%s)", in);
  core_strbuf_free(&b);
}

/* n from sizeof: literals holding NUL bytes are whole */
#define ENCODED(lit, want) encoded(lit, sizeof(lit) - 1, want)

Test(query, encode_reserved_and_unreserved) {
  ENCODED("web.requests-1_~", "web.requests-1_~");
  ENCODED("{env=\"prod\",host=~\"a|b\"}",
          "%7Benv%3D%22prod%22%2Chost%3D~%22a%7Cb%22%7D");
  ENCODED("a b+c&d=e%f/g?#", "a%20b%2Bc%26d%3De%25f%2Fg%3F%23");
  ENCODED("\xc3\xa9\x01", "%C3%A9%01");
  ENCODED("a\0b", "a%00b");
  ENCODED("", "");
}

Test(query, encode_stops_at_the_bound) {
  struct core_strbuf b;
  core_strbuf_init(&b, 5);
  cr_expect_eq(tools_query_encode(&b, "{x}", 3), -ENOMEM);
  core_strbuf_free(&b);
}

/* tools_query_parse of "query" and args (a NULL-terminated list). */
static int parse(char *const *args, struct tools_query_req *req) {
  char *argv[32];
  int argc = 0;
  argv[argc++] = "query";
  for (; args[argc - 1] != NULL; argc++)
    argv[argc] = args[argc - 1];
  argv[argc] = NULL;
  return tools_query_parse(argc, argv, req);
}

/* Parse args and expect a request. */
static void built(const char *method, const char *want, char *const *args) {
  struct tools_query_req req;
  int rc = parse(args, &req);
  cr_assert_eq(rc, 0, "parse of %s", args[0]);
  cr_expect_str_eq(req.method, method);
  cr_expect_str_eq(req.target.data, want);
  core_strbuf_free(&req.target);
}

#define BUILT(method, want, ...)                                               \
  built(method, want, (char *const[]){__VA_ARGS__, NULL})

Test(query, targets_of_each_command) {
  BUILT("GET", "/api/v1/export?match%5B%5D=web.requests%7Benv%3D%22prod%22%7D",
        "export", "web.requests{env=\"prod\"}");
  BUILT("GET",
        "/api/v1/series?match%5B%5D=a&match%5B%5D=b&start=1700000000&end="
        "2023-11-14T22%3A13%3A20.250%2B01%3A00",
        "series", "a", "b", "--start", "1700000000", "--end",
        "2023-11-14T22:13:20.250+01:00");
  BUILT("GET", "/api/v1/labels", "labels");
  BUILT("GET", "/api/v1/labels?match%5B%5D=%7Bk%21~%22x%22%7D", "labels",
        "{k!~\"x\"}");
  BUILT("GET", "/api/v1/label/__name__/values", "label-values", "__name__");
  BUILT("GET", "/api/v1/label/a%20b%2Fc/values?match%5B%5D=m", "label-values",
        "a b/c", "m");
  BUILT("GET", "/api/v1/logs", "logs");
  BUILT("GET",
        "/api/v1/logs?match=%7Bapp%3D~%22ssh.%2A%22%2C%20severity%3C%3Derr%7D"
        "&contains=Failed%20password&limit=10",
        "logs", "{app=~\"ssh.*\", severity<=err}", "--limit", "10",
        "--contains", "Failed password");
  BUILT("POST", "/api/v1/flush", "flush");
  BUILT("GET", "/api/v1/traces/5b8efff798038103d269b633813fc60c", "trace",
        "5b8efff798038103d269b633813fc60c");
  BUILT("GET", "/api/v1/spans", "spans");
  BUILT("GET", "/api/v1/spans?service=check%20out&name=GET%20%2Fcart&start=1"
        "&limit=20", "spans", "--service", "check out", "--limit", "20",
        "--start", "1", "--name", "GET /cart");
}

Test(query, url_prefix_and_option_placement) {
  BUILT("GET", "/api/v1/labels", "--url", "http://127.0.0.1:1/", "labels");
  BUILT("GET", "/sluice/api/v1/labels", "labels", "--url=http://h:1/sluice/");
  BUILT("GET", "/api/v1/export?match%5B%5D=-m", "export", "--", "-m");
}

/* A command line that must be refused as a usage error. */
static void refused(char *const *args) {
  struct tools_query_req req;
  cr_expect_eq(parse(args, &req), CORE_EXIT_USAGE, "usage error for %s",
               args[0] ? args[0] : "(nothing)");
  core_strbuf_free(&req.target);
}

#define REFUSED(...) refused((char *const[]){__VA_ARGS__, NULL})

Test(query, usage_errors, .init = cr_redirect_stderr) {
  refused((char *const[]){NULL});
  REFUSED("bogus");
  REFUSED("export");
  REFUSED("series", "--start", "1");
  REFUSED("label-values");
  REFUSED("label-values", "");
  REFUSED("logs", "{a=\"b\"}", "{c=\"d\"}");
  REFUSED("logs", "--limit", "0");
  REFUSED("logs", "--limit", "100001");
  REFUSED("logs", "--limit", "ten");
  REFUSED("export", "m", "--limit", "5");
  REFUSED("labels", "--contains", "x");
  REFUSED("flush", "x");
  REFUSED("flush", "--start", "1");
  REFUSED("trace");
  REFUSED("trace", "a", "b");
  REFUSED("trace", "x", "--start", "1");
  REFUSED("spans", "x");
  REFUSED("spans", "--contains", "x");
  REFUSED("logs", "--service", "x");
  REFUSED("export", "m", "--name", "x");
  REFUSED("--url", "https://h:1", "labels");
  REFUSED("--url", "http://h:port", "labels");
  REFUSED("labels", "--nope");
  REFUSED("export", "--start");
}

Test(query, usage_error_names_the_argument, .init = cr_redirect_stderr) {
  REFUSED("logs", "{a=\"b\"}", "second");
  fflush(stderr);
  cr_assert_stderr_eq_str(
      "sluice query: logs takes one MATCH expression (every matcher inside "
      "one {...}); unexpected argument \"second\"\n"
      "Try 'sluice query --help'.\n");
}

Test(query, over_long_query_is_a_usage_error, .init = cr_redirect_stderr) {
  static char sel[TOOLS_QUERY_TARGET_BYTES_MAX / 3 + 2];
  memset(sel, '{', sizeof(sel) - 1);
  REFUSED("export", sel);
  /* the longest selector the server takes fits, every byte encoded */
  static char ok[NET_SELECTOR_BYTES_MAX + 1];
  memset(ok, '{', sizeof(ok) - 1);
  static char want[32 + 3 * sizeof(ok)] = "/api/v1/export?match%5B%5D=";
  char *w = want + strlen(want);
  for (size_t i = 0; i < sizeof(ok) - 1; i++, w += 3)
    memcpy(w, "%7B", 4);
  BUILT("GET", want, "export", ok);
}

Test(query, help_is_not_an_error, .init = cr_redirect_stdout) {
  struct tools_query_req req;
  char *argv[] = {"query", "--help", NULL};
  cr_expect_eq(tools_query_parse(2, argv, &req), -1);
  core_strbuf_free(&req.target);
}

static void error_text(const char *body, const char *want) {
  char out[256];
  int n = tools_query_error_text(body, strlen(body), out, sizeof(out));
  if (want == NULL) {
    cr_expect_eq(n, -ENOENT, "no error in %s", body);
    return;
  }
  cr_assert_geq(n, 0, "error in %s", body);
  cr_expect_eq((size_t)n, strlen(want));
  cr_expect_str_eq(out, want);
}

Test(query, error_text_of_a_reply) {
  error_text("{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":"
             "\"match[]=web{env=\\\"x\\\": missing '}'\"}",
             "match[]=web{env=\"x\": missing '}'");
  error_text("{\"error\" : \"a\\\\b\\/c\\n\\u00e9\\ud800\\u0041\"}",
             "a\\b/c\n\xc3\xa9\xef\xbf\xbd" "A");
  error_text("{\"status\":\"error\"}", NULL);
  error_text("method not allowed: use POST\n", NULL);
  error_text("", NULL);
  error_text("{\"error\":\"cut", "cut");
}

Test(query, error_text_is_cut_to_fit) {
  char out[4];
  const char *body = "{\"error\":\"abcdef\"}";
  cr_expect_eq(tools_query_error_text(body, strlen(body), out, sizeof(out)),
               3);
  cr_expect_str_eq(out, "abc");
}
