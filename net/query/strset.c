/*
 * net/query/strset.c - distinct strings and points per series of one query
 * (see net/query/strset.h).
 */
#include "net/query/strset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/limits.h"
#include "core/ingest/series.h"

void net_strset_free(struct net_strset *s) {
  free(s->slots);
  free(s->ent);
  free(s->arena);
  memset(s, 0, sizeof(*s));
}

const char *net_strset_str(const struct net_strset *s, uint32_t i,
                              size_t *len) {
  *len = s->ent[i].len;
  return s->arena + s->ent[i].off;
}

static int rehash(struct net_strset *s) {
  uint32_t n = s->slots ? (s->mask + 1) * 2 : 1024;
  uint32_t *slots = calloc(n, sizeof(*slots));

  if (slots == NULL)
    return -ENOMEM;
  for (uint32_t i = 0; i < s->count; i++) {
    uint32_t j = s->ent[i].hash & (n - 1);
    while (slots[j])
      j = (j + 1) & (n - 1);
    slots[j] = i + 1;
  }
  free(s->slots);
  s->slots = slots;
  s->mask = n - 1;
  return 0;
}

int net_query_grow(void *p, size_t sz, size_t *cap, size_t need) {
  size_t c = *cap ? *cap : 256;
  void *q;

  if (need <= *cap)
    return 0;
  while (c < need)
    c *= 2;
  q = realloc(*(void **)p, c * sz);
  if (q == NULL)
    return -ENOMEM;
  *(void **)p = q;
  *cap = c;
  return 0;
}

int net_strset_add(struct net_strset *s, const char *p, size_t n,
                      uint32_t *idx) {
  uint32_t h = (uint32_t)core_series_hash(p, n), j;
  size_t cap;
  int rc;

  if (s->slots)
    for (j = h & s->mask; s->slots[j]; j = (j + 1) & s->mask) {
      const struct net_strent *e = &s->ent[s->slots[j] - 1];
      if (e->hash == h && e->len == n && memcmp(s->arena + e->off, p, n) == 0)
        return *idx = s->slots[j] - 1, 0;
    }
  if (s->count >= CORE_QUERY_SERIES_MAX ||
      n > CORE_QUERY_KEY_BYTES_MAX - s->used)
    return -E2BIG;
  cap = s->cap;
  if ((rc = net_query_grow(&s->ent, sizeof(*s->ent), &cap, s->count + 1)) < 0)
    return rc;
  s->cap = (uint32_t)cap;
  if ((rc = net_query_grow(&s->arena, 1, &s->arena_cap, s->used + n)) < 0)
    return rc;
  if (((uint64_t)s->count + 1) * 2 > (s->slots ? s->mask + 1 : 0) &&
      (rc = rehash(s)) < 0)
    return rc;
  memcpy(s->arena + s->used, p, n);
  s->ent[s->count] = (struct net_strent){s->used, (uint32_t)n, h};
  s->used += n;
  for (j = h & s->mask; s->slots[j];)
    j = (j + 1) & s->mask;
  s->slots[j] = ++s->count;
  *idx = s->count - 1;
  return 1;
}

static int cmp_ent(const void *a, const void *b, void *ctx) {
  const struct net_strset *s = ctx;
  const struct net_strent *x = &s->ent[*(const uint32_t *)a];
  const struct net_strent *y = &s->ent[*(const uint32_t *)b];
  int c = memcmp(s->arena + x->off, s->arena + y->off,
                 x->len < y->len ? x->len : y->len);

  return c ? c : (x->len > y->len) - (x->len < y->len);
}

uint32_t *net_strset_sorted(const struct net_strset *s) {
  uint32_t *v = malloc(((size_t)s->count + 1) * sizeof(*v));

  if (v == NULL)
    return NULL;
  for (uint32_t i = 0; i < s->count; i++)
    v[i] = i;
  qsort_r(v, s->count, sizeof(*v), cmp_ent, (void *)s);
  return v;
}

/* Stable merge sort of points by time (duplicates keep their order). */
static void sort_points(struct net_qpoint *p, struct net_qpoint *tmp,
                        size_t n) {
  size_t h = n / 2, i = 0, j = h, k = 0;

  if (n < 2)
    return;
  sort_points(p, tmp, h);
  sort_points(p + h, tmp, n - h);
  if (p[h - 1].ts <= p[h].ts)
    return;
  while (i < h && j < n)
    tmp[k++] = p[j].ts < p[i].ts ? p[j++] : p[i++];
  while (i < h)
    tmp[k++] = p[i++];
  memcpy(p, tmp, k * sizeof(*p));
}

int net_qpoints_add(struct net_qpoints *s, const int64_t *ts,
                    const double *v, uint32_t n) {
  if (net_query_grow(&s->p, sizeof(*s->p), &s->cap, s->n + n) < 0)
    return -ENOMEM;
  if (s->n && n && s->p[s->n - 1].ts > ts[0])
    s->unsorted = true;
  for (uint32_t i = 0; i < n; i++)
    s->p[s->n + i] = (struct net_qpoint){ts[i], v[i]};
  s->n += n;
  return 0;
}

int net_qpoints_sort(struct net_qpoints *s) {
  struct net_qpoint *tmp;

  if (!s->unsorted)
    return 0;
  if ((tmp = malloc(s->n * sizeof(*tmp))) == NULL)
    return -ENOMEM;
  sort_points(s->p, tmp, s->n);
  free(tmp);
  s->unsorted = false;
  return 0;
}
