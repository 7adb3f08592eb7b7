/*
 * net/http_clients.c - connections per client address (see
 * net/http_clients.h): linear probing over twice as many slots as
 * addresses, deletion by backward shift (no tombstones, so the table never
 * degrades however clients come and go).
 *
 * The hash is not keyed: a client choosing addresses that collide (an IPv6
 * host has many) can at worst make a look-up walk the whole table, which is
 * 2 x the connection bound (512 slots by default) per accept or close:
 * microseconds, not worth a secret seed.
 */
#include "net/http_clients.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/assert.h"

void net_http_client_key(const struct sockaddr *sa,
                         uint8_t key[NET_HTTP_CLIENT_KEY_BYTES]) {
  memset(key, 0, NET_HTTP_CLIENT_KEY_BYTES);
  if (sa->sa_family == AF_INET6) {
    memcpy(key, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
           NET_HTTP_CLIENT_KEY_BYTES);
  } else if (sa->sa_family == AF_INET) {
    key[10] = key[11] = 0xff;
    memcpy(key + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
           4);
  }
}

/* murmur3's 64-bit finaliser over both halves of the key. */
static uint32_t home(const struct net_http_clients *t, const uint8_t *key) {
  uint64_t lo, hi, h;

  memcpy(&lo, key, 8);
  memcpy(&hi, key + 8, 8);
  h = lo * 0x9e3779b97f4a7c15ull ^ hi;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return (uint32_t)h & t->mask;
}

/* The slot holding key, or the free slot where it would go. */
static uint32_t find(const struct net_http_clients *t, const uint8_t *key) {
  uint32_t i = home(t, key);

  /* Terminates: at most half the slots are used. */
  while (t->slots[i].conns != 0 &&
         memcmp(t->slots[i].key, key, NET_HTTP_CLIENT_KEY_BYTES) != 0)
    i = (i + 1) & t->mask;
  return i;
}

int net_http_clients_init(struct net_http_clients *t, unsigned addrs_max) {
  uint32_t n = 8;

  memset(t, 0, sizeof(*t));
  if (addrs_max == 0)
    addrs_max = 1;
  while (n < 2ull * addrs_max)
    n *= 2;
  t->slots = calloc(n, sizeof(*t->slots));
  if (!t->slots)
    return -ENOMEM;
  t->mask = n - 1;
  t->used_max = addrs_max;
  return 0;
}

void net_http_clients_free(struct net_http_clients *t) {
  free(t->slots);
  t->slots = NULL;
  t->used = 0;
}

int net_http_clients_take(struct net_http_clients *t, const uint8_t *key,
                          unsigned conns_max) {
  struct net_http_client *c = &t->slots[find(t, key)];

  if (c->conns >= conns_max)
    return -EBUSY;
  if (c->conns == 0) {
    if (t->used >= t->used_max)
      return -ENOSPC;
    memcpy(c->key, key, NET_HTTP_CLIENT_KEY_BYTES);
    t->used++;
  }
  c->conns++;
  return 0;
}

/* Empty slot i, then move back every later entry of the same run whose
 * home lies at or before the hole, so each stays reachable from its home. */
static void remove_at(struct net_http_clients *t, uint32_t i) {
  uint32_t j = i;

  t->slots[i].conns = 0;
  for (;;) {
    uint32_t h;

    j = (j + 1) & t->mask;
    if (t->slots[j].conns == 0)
      return;
    h = home(t, t->slots[j].key);
    /* j stays if its home lies cyclically in (i, j]. */
    if (i <= j ? (i < h && h <= j) : (i < h || h <= j))
      continue;
    t->slots[i] = t->slots[j];
    t->slots[j].conns = 0;
    i = j;
  }
}

void net_http_clients_give(struct net_http_clients *t, const uint8_t *key) {
  uint32_t i = find(t, key);

  ASSERT(t->slots[i].conns > 0);
  if (--t->slots[i].conns > 0)
    return;
  t->used--;
  remove_at(t, i);
}

unsigned net_http_clients_conns(const struct net_http_clients *t,
                                const uint8_t *key) {
  return t->slots[find(t, key)].conns;
}
