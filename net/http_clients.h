/*
 * net/http_clients.h - how many connections each client address holds, for
 * the HTTP server's per-client bound (NET_HTTP_CONNS_PER_CLIENT_MAX).
 *
 * An open-addressing table sized once for the server's connection slots:
 * it never holds more addresses than connections, so it never grows and
 * never allocates after init. Pure (no I/O), so tests drive it directly.
 * Single-threaded: the server's thread owns it.
 */
#ifndef SLUICE_NET_HTTP_CLIENTS_H
#define SLUICE_NET_HTTP_CLIENTS_H

#include <stdint.h>
#include <sys/socket.h>

#define NET_HTTP_CLIENT_KEY_BYTES 16

/* One address and its open connections (0: a free slot). */
struct net_http_client {
  uint8_t key[NET_HTTP_CLIENT_KEY_BYTES];
  uint32_t conns;
};

struct net_http_clients {
  struct net_http_client *slots;
  uint32_t mask;      /* slot count - 1, a power of two */
  uint32_t used;      /* addresses held now */
  uint32_t used_max;  /* addrs_max of init: at most half the slots */
};

/*
 * The table key of a peer address: an IPv6 address as is, an IPv4 address
 * as its IPv4-mapped IPv6 form (::ffff:a.b.c.d), so a client is one key
 * whichever way a dual-stack socket reports it. Other families: all zero.
 */
void net_http_client_key(const struct sockaddr *sa,
                         uint8_t key[NET_HTTP_CLIENT_KEY_BYTES]);

/*
 * Prepare t for up to addrs_max distinct addresses at once (at least 1).
 * Returns 0 or -ENOMEM.
 */
int net_http_clients_init(struct net_http_clients *t, unsigned addrs_max);

/* Release t's slots (t may be zeroed or already freed). */
void net_http_clients_free(struct net_http_clients *t);

/*
 * Count one more connection of key unless key already holds conns_max.
 * Returns 0, -EBUSY (at conns_max: nothing counted) or -ENOSPC (addrs_max
 * distinct addresses held already: nothing counted).
 */
int net_http_clients_take(struct net_http_clients *t, const uint8_t *key,
                          unsigned conns_max);

/* Count one connection of key less (it must hold one, taken before). */
void net_http_clients_give(struct net_http_clients *t, const uint8_t *key);

/* Connections key holds now (0 when absent). */
unsigned net_http_clients_conns(const struct net_http_clients *t,
                                const uint8_t *key);

#endif
