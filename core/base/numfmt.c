/*
 * core/base/numfmt.c - numbers as text (see numfmt.h).
 */
#include "core/base/numfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int core_fmt_i64(int64_t v, char *out) {
  char tmp[24];
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  int n = 0, k = 0;

  do
    tmp[n++] = (char)('0' + u % 10);
  while ((u /= 10) != 0);
  if (v < 0)
    out[k++] = '-';
  while (n)
    out[k++] = tmp[--n];
  out[k] = '\0';
  return k;
}

int core_fmt_double(double v, char *out) {
  if (isnan(v))
    return (int)(memcpy(out, "NaN", 4), 3);
  if (isinf(v))
    return (int)(memcpy(out, v > 0 ? "+Inf" : "-Inf", 5), 4);
  /* range first: casting a double outside int64_t's range is undefined */
  if (fabs(v) < 9007199254740992.0 && v == (double)(int64_t)v &&
      !(v == 0 && signbit(v)))
    return core_fmt_i64((int64_t)v, out);
  for (int prec = 15; prec <= 17; prec++) {
    int n = snprintf(out, CORE_FMT_NUM_BYTES, "%.*g", prec, v);
    if (prec == 17 || strtod(out, NULL) == v)
      return n;
  }
  return 0; /* not reached */
}

void core_fmt_hex(const uint8_t *p, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";

  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
}
