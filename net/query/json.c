/*
 * net/query/json.c - JSON strings for the query replies (see json.h).
 *
 * The common case, printable UTF-8 with nothing to escape, is one check
 * of the whole text (simd_utf8_valid) and one copy of each run between
 * escapes.
 */
#include "net/query/json.h"

#include <stdbool.h>
#include <string.h>

#include "core/base/strbuf.h"
#include "simd/simd.h"

/* Bytes of the valid UTF-8 sequence at p (n left) led by a byte >= 0x80,
 * or 0. */
static size_t utf8_len(const char *p, size_t n) {
  unsigned char c = (unsigned char)p[0];
  size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;

  return len && len <= n && simd_utf8_valid(p, len) ? len : 0;
}

/* The JSON escape of byte c (a control, '"', '\\', or a byte that is not
 * part of valid UTF-8, written as U+FFFD) into e; returns its length. */
static size_t escape(unsigned char c, char *e) {
  static const char hex[] = "0123456789abcdef";
  const char *s = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n"
                  : c == '\r' ? "\\r" : c == '\t' ? "\\t" : c == '\b' ? "\\b"
                  : c == '\f' ? "\\f" : c >= 0x80 ? "\\ufffd" : NULL;

  if (s != NULL) {
    size_t n = strlen(s);
    memcpy(e, s, n);
    return n;
  }
  memcpy(e, "\\u00", 4);
  e[4] = hex[c >> 4];
  e[5] = hex[c & 15];
  return 6;
}

void net_query_json_str(struct core_strbuf *b, const char *p, size_t n) {
  bool valid = simd_utf8_valid(p, n);
  size_t i = 0, run = 0, len;
  char e[8];

  core_strbuf_append(b, "\"", 1);
  while (i < n) {
    unsigned char c = (unsigned char)p[i];
    if (c >= 0x20 && c != '"' && c != '\\') {
      if (c < 0x80 || valid) {
        i++;
        continue;
      }
      if ((len = utf8_len(p + i, n - i)) > 0) {
        i += len;
        continue;
      }
    }
    core_strbuf_append(b, p + run, i - run);
    core_strbuf_append(b, e, escape(c, e));
    run = ++i;
  }
  core_strbuf_append(b, p + run, n - run);
  core_strbuf_append(b, "\"", 1);
}

void net_query_json_utf8(struct core_strbuf *b, const char *p, size_t n) {
  size_t i = 0, run = 0, len;

  if (simd_utf8_valid(p, n)) {
    core_strbuf_append(b, p, n);
    return;
  }
  while (i < n) {
    if ((unsigned char)p[i] < 0x80) {
      i++;
    } else if ((len = utf8_len(p + i, n - i)) > 0) {
      i += len;
    } else {
      core_strbuf_append(b, p + run, i - run);
      core_strbuf_append(b, "\\ufffd", 6);
      run = ++i;
    }
  }
  core_strbuf_append(b, p + run, n - run);
}
