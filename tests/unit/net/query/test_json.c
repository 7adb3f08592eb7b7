/*
 * tests/unit/net/query/test_json.c - net_query_json_str, the one JSON
 * string writer of the query replies: escapes, controls, invalid UTF-8;
 * net_query_json_utf8, which makes rendered JSON text valid UTF-8.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "core/base/strbuf.h"
#include "net/query/json.h"

/* fn(in) is want: fn net_query_json_str or net_query_json_utf8. */
static void written_is(void (*fn)(struct core_strbuf *, const char *, size_t),
                       const char *in, size_t n, const char *want) {
  struct core_strbuf b;

  core_strbuf_init(&b, 1 << 16);
  fn(&b, in, n);
  cr_assert_not(b.failed);
  cr_assert_str_eq(b.data, want);
  core_strbuf_free(&b);
}

#define JSON_IS(lit, want)                                                     \
  written_is(net_query_json_str, (lit), sizeof(lit) - 1, (want))
#define TEXT_IS(lit, want)                                                     \
  written_is(net_query_json_utf8, (lit), sizeof(lit) - 1, (want))

Test(query_json, plain_text_is_copied) {
  JSON_IS("", "\"\"");
  JSON_IS("web-1 {a=b} \x7f", "\"web-1 {a=b} \x7f\"");
  JSON_IS("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
          "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
}

Test(query_json, quotes_backslashes_and_controls) {
  JSON_IS("q\" b\\", "\"q\\\" b\\\\\"");
  JSON_IS("\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\"");
  JSON_IS("\x01\x1f\x00", "\"\\u0001\\u001f\\u0000\"");
}

Test(query_json, invalid_utf8_bytes_become_replacement_characters) {
  /* a lone continuation byte, a truncated sequence, an overlong form,
   * a byte that never starts one; valid text around them stays */
  JSON_IS("\xc3\xa9|\x80|\xe2\x82|\xc0\xaf|\xff\"",
          "\"\xc3\xa9|\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd|\\ufffd\\\"\"");
}

Test(query_json, a_full_buffer_fails) {
  struct core_strbuf b;

  core_strbuf_init(&b, 4);
  net_query_json_str(&b, "abcdef", 6);
  cr_assert(b.failed);
  core_strbuf_free(&b);
}

Test(query_json, json_text_keeps_valid_utf8_and_replaces_the_rest) {
  TEXT_IS("", "");
  TEXT_IS("{\"k\\u0001\":[1,\"\xc3\xa9\"]}", "{\"k\\u0001\":[1,\"\xc3\xa9\"]}");
  TEXT_IS("[\"\xc3\xa9|\x80|\xe2\x82|\xc0\xaf|\xff\"]",
          "[\"\xc3\xa9|\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd|\\ufffd\"]");
  struct core_strbuf b;
  core_strbuf_init(&b, 8);
  net_query_json_utf8(&b, "[\"\xff\xff\"]", 6);
  cr_assert(b.failed);
  core_strbuf_free(&b);
}

