/*
 * tests/unit/net/query/test_json.c - net_query_json_str, the one JSON
 * string writer of the query replies: escapes, controls, invalid UTF-8.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "core/base/strbuf.h"
#include "net/query/json.h"

static void json_is(const char *in, size_t n, const char *want) {
  struct core_strbuf b;

  core_strbuf_init(&b, 1 << 16);
  net_query_json_str(&b, in, n);
  cr_assert_not(b.failed);
  cr_assert_str_eq(b.data, want);
  core_strbuf_free(&b);
}

#define JSON_IS(lit, want) json_is((lit), sizeof(lit) - 1, (want))

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
