/*
 * tests/unit/core/parse/test_otlp_json.c - the OTLP JSON decoders.
 *
 * Oracle: the JS SDK's JSON serializer wrote tests/fixtures/otlp/
 * *.json-request from the same data as the protobuf fixtures *.bin
 * (gen.mjs); each must decode to exactly the same callback sequence as
 * its protobuf twin, every field compared (otlp_rec.h, the raw bytes of
 * AnyValue arrays and kvlists included). Then hand-written edge cases
 * that must decode the same as a plain twin (escapes, surrogates, id
 * case, int64 as number and string, enum names, NaN, nulls, unknown
 * fields at every level, field order, proto names), and hostile inputs
 * each refused with its reason: every truncation of each fixture, bad
 * hex, wrong types, depth bombs, huge numbers, the bounds. Every decode
 * reads an exact-size copy with an arena of exactly
 * CORE_OTLP_JSON_ARENA_BYTES(len), so ASan sees any over-read and the
 * arena bound is checked on every input.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse/otlp.h"
#include "core/parse/otlp_json.h"
#include "tests/unit/core/parse/otlp_rec.h"
#include "tests/unit/core/parse/otlp_wr.h"

typedef int (*jdecode_fn)(const void *, size_t, struct core_otlp_scratch *,
                          struct core_otlp_jscratch *,
                          const struct core_otlp_sink *, const char **);
typedef int (*decode_fn)(const void *, size_t, struct core_otlp_scratch *,
                         const struct core_otlp_sink *, const char **);

static struct core_otlp_scratch scratch;
static struct rec ra, rb;
static const char *why;

/* Decode len bytes of JSON from an exact-size copy into rec r, with the
 * smallest arena the header promises is enough. */
static int jrun(jdecode_fn fn, const void *buf, size_t len, struct rec *r) {
  void *copy = malloc(len ? len : 1);
  size_t cap = CORE_OTLP_JSON_ARENA_BYTES(len);
  void *arena = malloc(cap);
  struct core_otlp_jscratch js;
  cr_assert(copy && arena);
  memcpy(copy, buf, len);
  core_otlp_json_scratch_init(&js, arena, cap);
  rec_reset(r);
  struct core_otlp_sink sink = rec_sink(r);
  int rc = fn(copy, len, &scratch, &js, &sink, &why);
  cr_assert(js.used <= cap);
  cr_assert(!r->overflow);
  free(arena);
  free(copy);
  return rc;
}

static int jrun_s(jdecode_fn fn, const char *json, struct rec *r) {
  return jrun(fn, json, strlen(json), r);
}

static int pbrun(decode_fn fn, const void *buf, size_t len, struct rec *r) {
  void *copy = malloc(len ? len : 1);
  cr_assert(copy);
  memcpy(copy, buf, len);
  rec_reset(r);
  struct core_otlp_sink sink = rec_sink(r);
  int rc = fn(copy, len, &scratch, &sink, &why);
  free(copy);
  return rc;
}

static char *slurp(const char *name, size_t *len) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", OTLP_FIXTURE_DIR, name);
  FILE *f = fopen(path, "rb");
  cr_assert(f, "open %s", path);
  char *b = malloc(1 << 20);
  cr_assert(b);
  *len = fread(b, 1, (1 << 20) - 1, f);
  b[*len] = 0;
  fclose(f);
  return b;
}

static void twin(const char *stem, decode_fn pb, jdecode_fn js) {
  char name[64];
  size_t blen, jlen, llen;
  snprintf(name, sizeof name, "%s.bin", stem);
  char *bin = slurp(name, &blen);
  snprintf(name, sizeof name, "%s.json-request", stem);
  char *json = slurp(name, &jlen);
  snprintf(name, sizeof name, "%s.json", stem);
  char *lines = slurp(name, &llen);
  ra.raw = rb.raw = 1;
  cr_assert_eq(pbrun(pb, bin, blen, &ra), 0, "%s.bin: %s", stem, why);
  cr_assert_eq(jrun(js, json, jlen, &rb), 0, "%s json: %s", stem, why);
  ra.raw = rb.raw = 0;
  cr_assert_str_eq(rb.b, ra.b, "%s: JSON decoded\n%s\nprotobuf decoded\n%s",
                   stem, rb.b, ra.b);
  unsigned n = 0;
  for (size_t i = 0; i < llen; i++)
    n += lines[i] == '\n';
  cr_assert(n > 0 && ra.items == n, "%s: %u items, %u lines", stem, ra.items,
            n);
  /* every truncation is malformed, with a reason */
  for (size_t k = 0; k < jlen; k++) {
    int rc = jrun(js, json, k, &rb);
    cr_assert_eq(rc, -EBADMSG, "%s cut at %zu: %d", stem, k, rc);
    cr_assert(why && *why, "%s cut at %zu: no reason", stem, k);
  }
  free(bin);
  free(json);
  free(lines);
}

Test(otlp_json, metrics_twin) {
  twin("metrics", core_otlp_metrics_decode, core_otlp_json_metrics_decode);
}

Test(otlp_json, logs_twin) {
  twin("logs", core_otlp_logs_decode, core_otlp_json_logs_decode);
}

Test(otlp_json, traces_twin) {
  twin("traces", core_otlp_traces_decode, core_otlp_json_traces_decode);
}

/* ---- hand-written requests -------------------------------------------- */

static char req_buf[1 << 16];

/* A request of one resource and one scope around items (a JSON array's
 * content) of the signal: 'm' metrics, 'l' logs, 't' traces. */
static const char *req(char sig, const char *items) {
  const char *a = sig == 'm'   ? "resourceMetrics"
                  : sig == 'l' ? "resourceLogs"
                               : "resourceSpans";
  const char *b = sig == 'm'   ? "scopeMetrics"
                  : sig == 'l' ? "scopeLogs"
                               : "scopeSpans";
  const char *c = sig == 'm' ? "metrics" : sig == 'l' ? "logRecords" : "spans";
  int k = snprintf(req_buf, sizeof req_buf,
                   "{\"%s\":[{\"resource\":{\"attributes\":[{\"key\":\"service."
                   "name\",\"value\":{\"stringValue\":\"svc\"}}]},\"%s\":[{"
                   "\"scope\":{\"name\":\"lib\",\"version\":\"1\"},\"%s\":[%s]"
                   "}]}]}",
                   a, b, c, items);
  cr_assert(k > 0 && (size_t)k < sizeof req_buf);
  return req_buf;
}

static jdecode_fn sig_fn(char sig) {
  return sig == 'm'   ? core_otlp_json_metrics_decode
         : sig == 'l' ? core_otlp_json_logs_decode
                      : core_otlp_json_traces_decode;
}

/* Two spellings of the same items that must decode identically; the
 * first's record must contain want; every truncation of the first is
 * refused. */
static void same(char sig, const char *a, const char *b, const char *want) {
  static char ca[1 << 16];
  snprintf(ca, sizeof ca, "%s", req(sig, a));
  cr_assert_eq(jrun_s(sig_fn(sig), ca, &ra), 0, "%s: %s", a, why);
  cr_assert_eq(jrun_s(sig_fn(sig), req(sig, b), &rb), 0, "%s: %s", b, why);
  cr_assert_str_eq(ra.b, rb.b, "\n%s\nvs\n%s", a, b);
  cr_assert(ra.items == 1, "%s", ra.b);
  cr_assert(!want || strstr(ra.b, want), "want %s in\n%s", want, ra.b);
  /* and every truncation of the first spelling is refused */
  for (size_t k = 0, n = strlen(ca); k < n; k++) {
    int rc = jrun(sig_fn(sig), ca, k, &rb);
    cr_assert_eq(rc, -EBADMSG, "%s cut at %zu: %d", a, k, rc);
    cr_assert(why && *why);
  }
}

#define GAUGE(pt)                                                              \
  "{\"name\":\"g\",\"description\":\"\",\"unit\":\"\",\"gauge\":{"             \
  "\"dataPoints\":[" pt "]}}"

Test(otlp_json, strings_and_escapes) {
  /* escapes, \u of every length, a surrogate pair, raw UTF-8 */
  same('l',
       "{\"body\":{\"stringValue\":\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041"
       "\\u00e9\\u20AC\\ud83d\\ude00\\u0000z\"}}",
       "{\"body\":{\"stringValue\":\"a\\\"\\\\/\\b\\f\\n\\r\\tA\xc3\xa9"
       "\xe2\x82\xac\xf0\x9f\x98\x80\\u0000z\"}}",
       "body=1:\"a\\x22\\x5c/\\x08\\x0c\\x0a\\x0d\\x09A\\xc3\\xa9\\xe2\\x82"
       "\\xac\\xf0\\x9f\\x98\\x80\\x00z\"");
  /* an escaped key still names its field */
  same('l',
       "{\"\\u0073everityText\":\"W\",\"body\":{\"string\\u0056alue\":"
       "\"x\"}}",
       "{\"severityText\":\"W\",\"body\":{\"stringValue\":\"x\"}}",
       "sevtext=\"W\"");
}

Test(otlp_json, ids_numbers_enums) {
  /* ids in either case; int64 as number and string; enum names */
  same('t',
       "{\"traceId\":\"5B8EFFF798038103D269B633813FC60C\",\"spanId\":"
       "\"EEE19b7ec3c1b174\",\"parentSpanId\":\"\",\"kind\":"
       "\"SPAN_KIND_CLIENT\",\"startTimeUnixNano\":1765000000123456789,"
       "\"endTimeUnixNano\":\"18446744073709551615\",\"status\":{\"code\":"
       "\"STATUS_CODE_ERROR\"}}",
       "{\"trace_id\":\"5b8efff798038103d269b633813fc60c\",\"span_id\":"
       "\"eee19b7ec3c1b174\",\"kind\":3,\"start_time_unix_nano\":"
       "\"1765000000123456789\",\"end_time_unix_nano\":18446744073709551615,"
       "\"status\":{\"code\":2}}",
       "trace=5b8efff798038103d269b633813fc60c span=eee19b7ec3c1b174 "
       "parent=- state=\"\" name=\"\" kind=3 start=1765000000123456789 "
       "end=18446744073709551615");
  /* integers in exponent and fraction form, when whole */
  same('l',
       "{\"timeUnixNano\":1.765e18,\"observedTimeUnixNano\":\"150.0e-1\","
       "\"flags\":0.0e5,\"body\":{\"intValue\":-1E2}}",
       "{\"timeUnixNano\":1765000000000000000,\"observedTimeUnixNano\":15,"
       "\"flags\":0,\"body\":{\"intValue\":\"-100\"}}",
       "time=1765000000000000000 observed=15");
  same('m', GAUGE("{\"asInt\":\"-0.00\",\"timeUnixNano\":\"0e99999\"}"),
       GAUGE("{\"asInt\":0,\"timeUnixNano\":0}"), "i=0");
  same('l', "{\"severityNumber\":\"SEVERITY_NUMBER_FATAL4\",\"flags\":\"1\"}",
       "{\"severity_number\":24,\"flags\":1}", "sev=24");
  same('m',
       GAUGE("{\"asInt\":\"-9223372036854775808\",\"timeUnixNano\":\"0\"}"),
       GAUGE("{\"as_int\":-9223372036854775808,\"time_unix_nano\":0}"),
       "num=2 d=0x0000000000000000 i=-9223372036854775808");
  same('m',
       "{\"name\":\"s\",\"sum\":{\"aggregationTemporality\":"
       "\"AGGREGATION_TEMPORALITY_DELTA\",\"isMonotonic\":true,"
       "\"dataPoints\":[{\"asDouble\":\"NaN\"}]}}",
       "{\"sum\":{\"dataPoints\":[{\"asDouble\":\"NaN\"}],\"isMonotonic\":"
       "true,\"aggregationTemporality\":1},\"name\":\"s\"}",
       "kind=7 temp=1 mono=1");
}

Test(otlp_json, doubles) {
  same('m',
       "{\"name\":\"h\",\"histogram\":{\"dataPoints\":[{\"explicitBounds\":"
       "[\"Infinity\",\"-Infinity\",1e2,\"2.5\",-0.0,5e-324],\"sum\":1.5E+1,"
       "\"min\":\"-1\",\"count\":3}]}}",
       "{\"name\":\"h\",\"histogram\":{\"dataPoints\":[{\"explicit_bounds\":"
       "[\"Infinity\",\"-Infinity\",100,2.5,-0,4.9406564584124654e-324],"
       "\"sum\":15,\"min\":-1.0,\"count\":\"3\"}]}}",
       "count=3 has=3 sum=0x402e000000000000 min=0xbff0000000000000 max=0x0"
       "000000000000000 buckets=[] bounds=[0x7ff0000000000000,0xfff00000000"
       "00000,0x4059000000000000,0x4004000000000000,0x8000000000000000,0x00"
       "00000000000001,]");
  cr_assert_eq(jrun_s(core_otlp_json_metrics_decode,
                      req('m', GAUGE("{\"asDouble\":\"NaN\"}")), &ra),
               0);
  cr_assert(strstr(ra.b, "d=0x7ff8000000000000"), "%s", ra.b);
}

Test(otlp_json, nulls_unknown_order) {
  /* null is absent; unknown fields (every JSON type) skipped at every
   * level; context after children; whitespace everywhere */
  const char *junk = "\"x\":{\"a\":[1,-2.5e3,true,false,null,\"s\",{}],"
                     "\"b\":{}},\"y\":null,";
  char a[4096];
  snprintf(a, sizeof a,
           " { %s \"resourceLogs\" : [ { %s \"scopeLogs\" : [ { %s "
           "\"logRecords\" : [ { %s \"body\" : { %s \"stringValue\" : \"v\" "
           "} , \"attributes\" : [ { %s \"value\" : { \"intValue\" : 5 } , "
           "\"key\" : \"k\" } ] , \"traceId\" : null , \"severityText\" : "
           "null } ] , \"scope\" : { %s \"name\" : \"lib\" , \"version\" : "
           "\"1\" } } ] , \"resource\" : { %s \"attributes\" : [ { \"key\" : "
           "\"service.name\" , \"value\" : { \"stringValue\" : \"svc\" } } ] "
           "} } ] } \n\r\t",
           junk, junk, junk, junk, junk, junk, junk, junk);
  cr_assert_eq(jrun_s(core_otlp_json_logs_decode, a, &ra), 0, "%s", why);
  cr_assert_eq(jrun_s(core_otlp_json_logs_decode,
                      req('l', "{\"body\":{\"stringValue\":\"v\"},"
                               "\"attributes\":[{\"key\":\"k\",\"value\":{"
                               "\"intValue\":\"5\"}}]}"),
                      &rb),
               0, "%s", why);
  cr_assert_str_eq(ra.b, rb.b);
  /* null AnyValue member, null in an unknown array, empty arrays */
  same('l', "{\"body\":{\"stringValue\":null},\"attributes\":[]}",
       "{\"body\":{}}", "body=0:");
  /* a span's links before its events: handed out in key order */
  cr_assert_eq(
      jrun_s(core_otlp_json_traces_decode,
             req('t', "{\"links\":[{\"traceId\":\"0af7651916cd43dd8448eb211c"
                      "80319c\",\"spanId\":\"53995c3f42cd8ad8\"}],\"events\":"
                      "[{\"name\":\"e\"}],\"traceId\":\"0af7651916cd43dd8448e"
                      "b211c80319c\",\"spanId\":\"53995c3f42cd8ad8\"}"),
             &ra),
      0, "%s", why);
  cr_assert(strstr(ra.b, "events=1 links=1\nK trace=0af7651916cd43dd8448eb211"
                         "c80319c span=53995c3f42cd8ad8"),
            "%s", ra.b);
  cr_assert(strstr(ra.b, "\nE time=0 name=\"e\""), "%s", ra.b);
}

/* A log whose body is {"kvlistValue": ...} from JSON against the same
 * value built as protobuf: the raw bytes handed out must be equal. */
Test(otlp_json, nested_kvlist_body) {
  static struct wr leaf, arr, kv1, kv2, kvl, any, lr, sc, scope, rs, res, top,
      x, y;
  memset(&leaf, 0, sizeof leaf);
  /* ArrayValue [ "a", 7, 1.5, true, bytes "hi", {} ] */
  struct wr e[6];
  memset(e, 0, sizeof e);
  wr_str(&e[0], 1, "a");
  wr_u(&e[1], 3, 7);
  wr_dbl(&e[2], 4, 1.5);
  wr_u(&e[3], 2, 1);
  wr_str(&e[4], 7, "hi");
  memset(&arr, 0, sizeof arr);
  for (int i = 0; i < 6; i++)
    wr_msg(&arr, 1, &e[i]);
  /* KeyValueList { "l": [..], "n": { "deep": -1 } } */
  memset(&x, 0, sizeof x);
  wr_msg(&x, 5, &arr);
  memset(&kv1, 0, sizeof kv1);
  wr_str(&kv1, 1, "l");
  wr_msg(&kv1, 2, &x);
  memset(&y, 0, sizeof y);
  wr_u(&y, 3, (uint64_t)-1);
  memset(&kv2, 0, sizeof kv2);
  wr_str(&kv2, 1, "deep");
  wr_msg(&kv2, 2, &y);
  memset(&leaf, 0, sizeof leaf);
  wr_msg(&leaf, 1, &kv2);
  memset(&x, 0, sizeof x);
  wr_msg(&x, 6, &leaf);
  memset(&kv2, 0, sizeof kv2);
  wr_str(&kv2, 1, "n");
  wr_msg(&kv2, 2, &x);
  memset(&kvl, 0, sizeof kvl);
  wr_msg(&kvl, 1, &kv1);
  wr_msg(&kvl, 1, &kv2);
  memset(&any, 0, sizeof any);
  wr_msg(&any, 6, &kvl);
  memset(&lr, 0, sizeof lr);
  wr_msg(&lr, 5, &any);
  memset(&sc, 0, sizeof sc);
  memset(&scope, 0, sizeof scope);
  wr_str(&scope, 1, "lib");
  wr_str(&scope, 2, "1");
  wr_msg(&sc, 1, &scope);
  wr_msg(&sc, 2, &lr);
  memset(&res, 0, sizeof res);
  wr_kv_str(&res, 1, "service.name", "svc");
  memset(&rs, 0, sizeof rs);
  wr_msg(&rs, 1, &res);
  wr_msg(&rs, 2, &sc);
  memset(&top, 0, sizeof top);
  wr_msg(&top, 1, &rs);
  ra.raw = rb.raw = 1;
  cr_assert_eq(pbrun(core_otlp_logs_decode, top.b, top.n, &ra), 0, "%s", why);
  cr_assert_eq(
      jrun_s(core_otlp_json_logs_decode,
             req('l', "{\"body\":{\"kvlistValue\":{\"values\":[{\"key\":\"l\","
                      "\"value\":{\"arrayValue\":{\"values\":[{\"stringValue\""
                      ":\"a\"},{\"intValue\":\"7\"},{\"doubleValue\":1.5},{"
                      "\"boolValue\":true},{\"bytesValue\":\"aGk=\"},{}]}}},{"
                      "\"key\":\"n\",\"value\":{\"kvlistValue\":{\"values\":[{"
                      "\"key\":\"deep\",\"value\":{\"intValue\":-1}}]}}}]}}}"),
             &rb),
      0, "%s", why);
  ra.raw = rb.raw = 0;
  cr_assert_str_eq(rb.b, ra.b);
  cr_assert(strstr(ra.b, "body=6:{\"l\"=5:[1:\"a\",3:7,4:0x3ff8000000000000,"
                         "2:1,7:\"hi\",0:,],\"n\"=6:{\"deep\"=3:-1,},}"),
            "%s", ra.b);
  /* base64: URL alphabet and no padding decode the same */
  same('l', "{\"body\":{\"bytesValue\":\"-_8\"}}",
       "{\"body\":{\"bytesValue\":\"+/8=\"}}", "body=7:\"\\xfb\\xff\"");
  same('l', "{\"body\":{\"bytesValue\":\"\\/w==\"}}",
       "{\"body\":{\"bytesValue\":\"/w\"}}", "body=7:\"\\xff\"");
}

static int stop(void *ctx, const struct core_otlp_span *s) {
  (void)ctx;
  (void)s;
  return 42;
}

Test(otlp_json, callback_stops) {
  static uint8_t arena[1 << 16];
  struct core_otlp_jscratch js;
  struct core_otlp_sink sink = {.span = stop};
  const char *r = req('t', "{\"traceId\":\"0af7651916cd43dd8448eb211c80319c\","
                           "\"spanId\":\"53995c3f42cd8ad8\"}");
  core_otlp_json_scratch_init(&js, arena, sizeof arena);
  cr_assert_eq(
      core_otlp_json_traces_decode(r, strlen(r), &scratch, &js, &sink, &why),
      42);
  cr_assert_eq(
      core_otlp_json_traces_decode(r, strlen(r), &scratch, &js, NULL, &why), 0);
  cr_assert_null(why);
}

/* ---- hostile ---------------------------------------------------------- */

struct bad {
  char sig; /* 'm', 'l', 't'; upper case: the text is the whole body */
  const char *text;
  int rc;
  const char *why;
};

#define SPAN_IDS                                                               \
  "\"traceId\":\"0af7651916cd43dd8448eb211c80319c\",\"spanId\":"               \
  "\"53995c3f42cd8ad8\""

static const struct bad bads[] = {
    /* JSON itself */
    {'L', "", -EBADMSG, "empty JSON body"},
    {'L', "   ", -EBADMSG, "truncated JSON"},
    {'L', "[]", -EBADMSG, "expected an object"},
    {'L', "null", -EBADMSG, "expected an object"},
    {'L', "{} {}", -EBADMSG, "trailing data after JSON"},
    {'L', "{\"resourceLogs\":[],}", -EBADMSG, "trailing comma"},
    {'L', "{\"resourceLogs\":[{},]}", -EBADMSG, "trailing comma"},
    {'L', "{\"a\":1 \"b\":2}", -EBADMSG, "expected ',' or '}'"},
    {'L', "{\"a\" 1}", -EBADMSG, "expected ':'"},
    {'L', "{a:1}", -EBADMSG, "expected a key"},
    {'L', "{\"a\":[1 2]}", -EBADMSG, "expected ',' or ']'"},
    {'L', "{\"a\":01}", -EBADMSG, "expected ',' or '}'"},
    {'L', "{\"a\":1.}", -EBADMSG, "bad number"},
    {'L', "{\"a\":+1}", -EBADMSG, "expected a JSON value"},
    {'L', "{\"a\":tru}", -EBADMSG, "bad literal"},
    {'L', "{\"a\":nul", -EBADMSG, "truncated JSON"},
    {'L', "{\"a\":'x'}", -EBADMSG, "expected a JSON value"},
    {'L', "{/*c*/}", -EBADMSG, "expected a key"},
    {'L', "{\"a\":\"\t\"}", -EBADMSG, "control character in string"},
    {'L', "{\"a\":\"\\x\"}", -EBADMSG, "bad escape in string"},
    {'L', "{\"a\":\"\\u12G4\"}", -EBADMSG, "bad \\u escape in string"},
    {'L', "{\"a\":\"\\u1\"}", -EBADMSG, "bad \\u escape in string"},
    {'L', "{\"a\":\"\\ud83d\"}", -EBADMSG, "lone surrogate in string"},
    {'L', "{\"a\":\"\\ud83d\\uDE", -EBADMSG, "truncated JSON"},
    {'L', "{\"a\":\"\\ud83d\\u0041\"}", -EBADMSG, "lone surrogate in string"},
    {'L', "{\"a\":\"\\ude00\\ud83d\"}", -EBADMSG, "lone surrogate in string"},
    {'L', "{\"a\":\"\xc3\"}", -EBADMSG, "invalid UTF-8 in string"},
    {'L', "{\"a\":\"\xc0\xaf\"}", -EBADMSG, "invalid UTF-8 in string"},
    {'L', "{\"a\":\"\xed\xa0\x80\"}", -EBADMSG, "invalid UTF-8 in string"},
    {'L', "{\"a\":\"\xf4\x90\x80\x80\"}", -EBADMSG, "invalid UTF-8 in string"},
    {'L', "{\"\xff\":1}", -EBADMSG, "invalid UTF-8 in string"},
    {'L', "\xef\xbb\xbf{}", -EBADMSG, "expected an object"},
    /* the wrong type for a known field */
    {'L', "{\"resourceLogs\":{}}", -EBADMSG, "expected an array"},
    {'l', "{\"severityText\":1}", -EBADMSG, "expected a string"},
    {'l', "{\"timeUnixNano\":1.5}", -EBADMSG, "expected an integer"},
    {'l', "{\"timeUnixNano\":1e-1}", -EBADMSG, "expected an integer"},
    {'l', "{\"timeUnixNano\":\"1.05e1\"}", -EBADMSG, "expected an integer"},
    {'l', "{\"timeUnixNano\":1e20}", -EBADMSG, "integer out of range"},
    {'l', "{\"timeUnixNano\":1e999999999999999999999}", -EBADMSG,
     "integer out of range"},
    {'l', "{\"timeUnixNano\":\" 1\"}", -EBADMSG, "expected an integer"},
    {'l', "{\"timeUnixNano\":\"01\"}", -EBADMSG, "expected an integer"},
    {'l', "{\"timeUnixNano\":true}", -EBADMSG, "expected an integer"},
    {'l', "{\"timeUnixNano\":\"\"}", -EBADMSG, "expected an integer"},
    {'l', "{\"timeUnixNano\":\"-\"}", -EBADMSG, "expected an integer"},
    {'l', "{\"body\":{\"doubleValue\":\"\"}}", -EBADMSG, "expected a number"},
    {'l', "{\"timeUnixNano\":-1}", -EBADMSG, "integer out of range"},
    {'l', "{\"timeUnixNano\":18446744073709551616}", -EBADMSG,
     "integer out of range"},
    {'l', "{\"timeUnixNano\":\"99999999999999999999999999999999\"}", -EBADMSG,
     "integer out of range"},
    {'l', "{\"flags\":4294967296}", -EBADMSG, "integer out of range"},
    {'l', "{\"severityNumber\":\"LOUD\"}", -EBADMSG, "unknown enum name"},
    {'l', "{\"severityNumber\":\"9\"}", -EBADMSG, "unknown enum name"},
    {'l', "{\"severityNumber\":2147483648}", -EBADMSG, "integer out of range"},
    {'l', "{\"body\":\"x\"}", -EBADMSG, "expected an object"},
    {'l', "{\"body\":{\"boolValue\":1}}", -EBADMSG, "expected true or false"},
    {'l', "{\"body\":{\"intValue\":9223372036854775808}}", -EBADMSG,
     "integer out of range"},
    {'l', "{\"body\":{\"doubleValue\":1e999}}", -EBADMSG,
     "number out of range"},
    {'l', "{\"body\":{\"doubleValue\":\"nan\"}}", -EBADMSG,
     "expected a number"},
    {'l', "{\"body\":{\"doubleValue\":true}}", -EBADMSG, "expected a number"},
    {'l', "{\"body\":{\"stringValue\":\"a\",\"intValue\":1}}", -EBADMSG,
     "AnyValue with more than one value"},
    {'l', "{\"body\":{\"bytesValue\":\"a\"}}", -EBADMSG, "bad base64"},
    {'l', "{\"body\":{\"bytesValue\":\"ab!=\"}}", -EBADMSG, "bad base64"},
    {'l', "{\"body\":{\"arrayValue\":{\"values\":[null]}}}", -EBADMSG,
     "null in array"},
    {'l', "{\"body\":{\"kvlistValue\":{\"values\":[{\"key\":1}]}}}", -EBADMSG,
     "expected a string"},
    {'l', "{\"attributes\":[{\"key\":\"a\",\"key\":\"b\"}]}", -EBADMSG,
     "duplicate field"},
    {'l', "{\"flags\":1,\"flags\":1}", -EBADMSG, "duplicate field"},
    {'l', "{\"traceId\":\"\",\"trace_id\":\"\"}", -EBADMSG, "duplicate field"},
    /* ids */
    {'l', "{\"traceId\":\"0af7651916cd43dd8448eb211c80319\"}", -EBADMSG,
     "trace_id not 32 hex digits"},
    {'l', "{\"spanId\":\"53995c3f42cd8ad8aa\"}", -EBADMSG,
     "span_id not 16 hex digits"},
    {'l', "{\"spanId\":\"53995c3f42cd8adg\"}", -EBADMSG, "bad hex in id"},
    {'l', "{\"spanId\":\"U5ZcP0LNitg=\"}", -EBADMSG,
     "span_id not 16 hex digits"},
    {'l', "{\"spanId\":\"53995c3f42cd8a\\u0064\"}", -EBADMSG, "bad hex in id"},
    {'t', "{\"traceId\":\"0af7651916cd43dd8448eb211c80319c\"}", -EBADMSG,
     "span without trace_id or span_id"},
    {'t', "{" SPAN_IDS ",\"parentSpanId\":\"00\"}", -EBADMSG,
     "parent_span_id not 16 hex digits"},
    {'t', "{" SPAN_IDS ",\"links\":[{\"spanId\":\"53995c3f42cd8ad8\"}]}",
     -EBADMSG, "link without trace_id or span_id"},
    {'t', "{" SPAN_IDS ",\"kind\":\"SPAN_KIND_SERVERS\"}", -EBADMSG,
     "unknown enum name"},
    {'t', "{" SPAN_IDS ",\"status\":{\"code\":\"OK\"}}", -EBADMSG,
     "unknown enum name"},
    {'t', "{" SPAN_IDS ",\"events\":{}}", -EBADMSG, "expected an array"},
    /* metrics */
    {'m', "{\"name\":\"a\",\"gauge\":{},\"sum\":{}}", -EBADMSG,
     "Metric with more than one data kind"},
    {'m', GAUGE("{\"asInt\":1,\"asDouble\":1}"), -EBADMSG,
     "NumberDataPoint with more than one value"},
    {'m', GAUGE("{\"asInt\":1.01}"), -EBADMSG, "expected an integer"},
    {'m', GAUGE("{\"asInt\":-9223372036854775809}"), -EBADMSG,
     "integer out of range"},
    {'m',
     "{\"name\":\"h\",\"histogram\":{\"dataPoints\":[{\"bucketCounts\":"
     "[1,-1]}]}}",
     -EBADMSG, "integer out of range"},
    {'m',
     "{\"name\":\"h\",\"exponentialHistogram\":{\"dataPoints\":[{"
     "\"scale\":2147483648}]}}",
     -EBADMSG, "integer out of range"},
    {'m', "{\"name\":\"h\",\"sum\":{\"isMonotonic\":\"true\"}}", -EBADMSG,
     "expected true or false"},
};

Test(otlp_json, hostile) {
  for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
    const struct bad *b = &bads[i];
    char sig = b->sig | 0x20;
    const char *text = b->sig == sig ? req(sig, b->text) : b->text;
    int rc = jrun_s(sig_fn(sig), text, &ra);
    cr_assert_eq(rc, b->rc, "%s: %d (%s)", b->text, rc, why ? why : "");
    cr_assert_str_eq(why, b->why, "%s", b->text);
  }
}

/* n copies of item (with a comma between) into a fresh buffer. */
static char *repeat(const char *pre, const char *item, size_t n,
                    const char *post) {
  size_t len = strlen(pre) + n * (strlen(item) + 1) + strlen(post) + 1;
  char *b = malloc(len), *p = b;
  cr_assert(b);
  p += sprintf(p, "%s", pre);
  for (size_t i = 0; i < n; i++)
    p += sprintf(p, "%s%s", i ? "," : "", item);
  sprintf(p, "%s", post);
  return b;
}

static void expect(char sig, const char *text, int rc, const char *reason) {
  int got = jrun_s(sig_fn(sig), text, &ra);
  cr_assert_eq(got, rc, "%.80s: %d (%s)", text, got, why ? why : "");
  cr_assert_str_eq(why, reason);
}

Test(otlp_json, bounds) {
  const char *kv = "{\"key\":\"k\",\"value\":{\"intValue\":1}}";
  char *a = repeat("{\"attributes\":[", kv, CORE_OTLP_ATTRS_MAX, "]}");
  cr_assert_eq(jrun_s(core_otlp_json_logs_decode, req('l', a), &ra), 0);
  free(a);
  a = repeat("{\"attributes\":[", kv, CORE_OTLP_ATTRS_MAX + 1, "]}");
  expect('l', req('l', a), -E2BIG, "too many attributes");
  free(a);
  a = repeat("{\"name\":\"h\",\"histogram\":{\"dataPoints\":[{"
             "\"bucketCounts\":[",
             "1", CORE_OTLP_BUCKETS_MAX + 1, "]}]}}");
  expect('m', req('m', a), -E2BIG, "too many buckets");
  free(a);
  a = repeat("{\"name\":\"h\",\"histogram\":{\"dataPoints\":[{"
             "\"explicitBounds\":[",
             "1.5", CORE_OTLP_BUCKETS_MAX + 1, "]}]}}");
  expect('m', req('m', a), -E2BIG, "too many buckets");
  free(a);
  a = repeat("{\"name\":\"s\",\"summary\":{\"dataPoints\":[{"
             "\"quantileValues\":[",
             "{}", CORE_OTLP_BUCKETS_MAX + 1, "]}]}}");
  expect('m', req('m', a), -E2BIG, "too many quantiles");
  free(a);
  a = repeat("{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[", "{}",
             CORE_OTLP_ITEMS_MAX + 1, "]}]}]}");
  size_t cap = CORE_OTLP_JSON_ARENA_BYTES(strlen(a));
  struct core_otlp_jscratch js;
  void *arena = malloc(cap);
  core_otlp_json_scratch_init(&js, arena, cap);
  cr_assert_eq(
      core_otlp_json_logs_decode(a, strlen(a), &scratch, &js, NULL, &why),
      -E2BIG);
  cr_assert_str_eq(why, "too many items in request");
  free(arena);
  free(a);
}

/* A body nesting n arrays (or kvlists) of AnyValue. */
static char *deep_any(unsigned n, int kv) {
  const char *open = kv ? "{\"kvlistValue\":{\"values\":[{\"key\":\"k\","
                          "\"value\":"
                        : "{\"arrayValue\":{\"values\":[";
  const char *close = kv ? "}]}}" : "]}}";
  size_t len = n * (strlen(open) + strlen(close)) + 64;
  char *b = malloc(len), *p = b;
  cr_assert(b);
  for (unsigned i = 0; i < n; i++)
    p += sprintf(p, "%s", open);
  p += sprintf(p, "{\"stringValue\":\"leaf\"}");
  for (unsigned i = 0; i < n; i++)
    p += sprintf(p, "%s", close);
  return b;
}

Test(otlp_json, depth) {
  char item[8192];
  for (int kv = 0; kv < 2; kv++) {
    char *d = deep_any(CORE_OTLP_ANY_DEPTH_MAX, kv);
    snprintf(item, sizeof item, "{\"body\":%s}", d);
    free(d);
    cr_assert_eq(jrun_s(core_otlp_json_logs_decode, req('l', item), &ra), 0,
                 "%s", why);
    cr_assert(strstr(ra.b, "\"leaf\""), "%s", ra.b);
    /* and as an event's attribute, the deepest place */
    snprintf(item, sizeof item,
             "{" SPAN_IDS ",\"events\":[{\"attributes\":[{\"key\":\"a\","
             "\"value\":%s}]}]}",
             (d = deep_any(CORE_OTLP_ANY_DEPTH_MAX, kv)));
    free(d);
    cr_assert_eq(jrun_s(core_otlp_json_traces_decode, req('t', item), &ra), 0,
                 "%s", why);
    snprintf(item, sizeof item, "{\"body\":%s}",
             (d = deep_any(CORE_OTLP_ANY_DEPTH_MAX + 1, kv)));
    free(d);
    expect('l', req('l', item), -E2BIG, "AnyValue nested too deep");
  }
  /* a bomb in an unknown field: refused at the JSON depth bound */
  char *bomb = malloc(200016);
  cr_assert(bomb);
  memcpy(bomb, "{\"x\":", 5);
  memset(bomb + 5, '[', 200000);
  bomb[200005] = 0;
  expect('l', bomb, -E2BIG, "JSON nested too deep");
  memset(bomb + 5, '{', 1);
  memcpy(bomb + 6, "\"a\":{\"a\":{\"a\":", 15);
  bomb[21] = 0;
  expect('l', bomb, -EBADMSG, "truncated JSON");
  free(bomb);
}

Test(otlp_json, arena_full) {
  static uint8_t arena[16];
  struct core_otlp_jscratch js;
  const char *r = req('l', "{\"traceId\":\"0af7651916cd43dd8448eb211c80319c\","
                           "\"spanId\":\"53995c3f42cd8ad8\"}");
  core_otlp_json_scratch_init(&js, arena, sizeof arena);
  cr_assert_eq(
      core_otlp_json_logs_decode(r, strlen(r), &scratch, &js, NULL, &why),
      -E2BIG);
  cr_assert_str_eq(why, "JSON scratch full");
}
