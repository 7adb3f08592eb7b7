/*
 * net/http_internal.h - the byte tests that net/http_parse.c and
 * net/http_reply.c share (the parser reads tokens and hex digits, the
 * helpers read them back out of a parsed request); not part of the public
 * interface (use net/http.h).
 */
#ifndef SLUICE_NET_HTTP_INTERNAL_H
#define SLUICE_NET_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* A token character (RFC 9110 tchar): method and header-name bytes. */
static inline bool net_http_is_tchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
      (c >= '0' && c <= '9'))
    return true;
  return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* ASCII only: header names and codings must not depend on the locale. */
static inline int net_http_lower(int c) {
  return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* ASCII case-insensitive equality of s[0..n) and the string t. */
static inline bool net_http_ieq_n(const char *s, size_t n, const char *t) {
  size_t i;

  for (i = 0; i < n; i++)
    if (t[i] == '\0' || net_http_lower((unsigned char)s[i]) !=
                             net_http_lower((unsigned char)t[i]))
      return false;
  return t[n] == '\0';
}

/* ASCII case-insensitive equality of two strings. */
static inline bool net_http_ieq(const char *s, const char *t) {
  return net_http_ieq_n(s, strlen(s), t);
}

/* The value of a hex digit, or -1. */
static inline int net_http_hexval(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = net_http_lower(c);
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

#endif
