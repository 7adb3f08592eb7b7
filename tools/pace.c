/*
 * tools/pace.c - token bucket.
 */
#include "tools/pace.h"

#include <math.h>

void tools_pace_init(struct tools_pace *p, double rate_per_s, double burst,
                     uint64_t now_ns) {
  p->rate_per_ns = rate_per_s > 0 ? rate_per_s / 1e9 : 0;
  p->burst = burst < 1 ? 1 : burst;
  p->tokens = p->burst;
  p->last_ns = now_ns;
}

uint64_t tools_pace_take(struct tools_pace *p, double n, uint64_t now_ns) {
  if (p->rate_per_ns == 0)
    return 0;
  if (now_ns > p->last_ns) {
    p->tokens += (double)(now_ns - p->last_ns) * p->rate_per_ns;
    if (p->tokens > p->burst)
      p->tokens = p->burst;
    p->last_ns = now_ns;
  }
  double need = n < p->burst ? n : p->burst;
  if (p->tokens >= need) {
    p->tokens -= n;
    return 0;
  }
  return (uint64_t)ceil((need - p->tokens) / p->rate_per_ns);
}

double tools_pace_batch_lines(const struct tools_pace *p) {
  return p->rate_per_ns == 0 ? INFINITY : p->burst;
}
