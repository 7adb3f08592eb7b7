/*
 * net/forward/backoff.c - when a failed request is sent again: exponential
 * backoff with jitter, and the target's Retry-After.
 */
#include <ctype.h>
#include <string.h>
#include <time.h>

#include "net/forward/forward.h"

uint32_t net_fwd_backoff_ms(unsigned attempt, uint64_t rnd,
                            uint32_t retry_after_ms) {
  uint64_t base = NET_FWD_BACKOFF_MIN_MS, d;

  for (unsigned i = 0; i < attempt && base < NET_FWD_BACKOFF_MAX_MS; i++)
    base *= 2;
  if (base > NET_FWD_BACKOFF_MAX_MS)
    base = NET_FWD_BACKOFF_MAX_MS;
  /* equal jitter: at least half the step, never more than the step */
  d = base / 2 + rnd % (base - base / 2 + 1);
  if (retry_after_ms > NET_FWD_RETRY_AFTER_MAX_MS)
    retry_after_ms = NET_FWD_RETRY_AFTER_MAX_MS;
  return (uint32_t)(retry_after_ms > d ? retry_after_ms : d);
}

int64_t net_fwd_retry_after_ms(const char *v, size_t len, int64_t now_s) {
  char buf[64];
  struct tm tm;
  const char *end;
  int64_t s = 0;
  size_t i = 0;

  while (len > 0 && isspace((unsigned char)v[len - 1]))
    len--;
  while (i < len && isspace((unsigned char)v[i]))
    i++;
  if (i == len || len - i >= sizeof(buf))
    return -1;
  if (isdigit((unsigned char)v[i])) {
    for (; i < len; i++) {
      if (!isdigit((unsigned char)v[i]))
        return -1;
      if (s < 1000000000)
        s = s * 10 + (v[i] - '0');
    }
    return (s < 1000000000 ? s : 1000000000) * 1000; /* cut later anyway */
  }
  memcpy(buf, v + i, len - i);
  buf[len - i] = '\0';
  memset(&tm, 0, sizeof(tm));
  end = strptime(buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == NULL || *end != '\0')
    return -1;
  s = (int64_t)timegm(&tm) - now_s;
  return s > 0 ? s * 1000 : 0;
}
