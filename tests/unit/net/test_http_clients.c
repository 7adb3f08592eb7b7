/*
 * tests/unit/net/test_http_clients.c - the HTTP server's table of
 * connections per client address, checked against a plain array.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "net/http_clients.h"

static void key_v4(const char *ip, uint8_t *key) {
  struct sockaddr_in a = {.sin_family = AF_INET};

  cr_assert_eq(inet_pton(AF_INET, ip, &a.sin_addr), 1);
  net_http_client_key((struct sockaddr *)&a, key);
}

static void key_v6(const char *ip, uint8_t *key) {
  struct sockaddr_in6 a = {.sin6_family = AF_INET6};

  cr_assert_eq(inet_pton(AF_INET6, ip, &a.sin6_addr), 1);
  net_http_client_key((struct sockaddr *)&a, key);
}

Test(http_clients, keys_of_both_families) {
  uint8_t a[16], b[16], c[16];
  struct sockaddr un = {.sa_family = AF_UNIX};

  key_v4("192.0.2.7", a);
  key_v6("::ffff:192.0.2.7", b);
  cr_assert(memcmp(a, b, 16) == 0, "IPv4 and IPv4-mapped are one client");
  key_v6("2001:db8::7", c);
  cr_assert(memcmp(a, c, 16) != 0);
  cr_assert_eq(c[0], 0x20);
  cr_assert_eq(c[15], 0x07);
  net_http_client_key(&un, c);
  memset(b, 0, 16);
  cr_assert(memcmp(b, c, 16) == 0);
}

Test(http_clients, bound_per_address) {
  struct net_http_clients t;
  uint8_t a[16], b[16];

  cr_assert_eq(net_http_clients_init(&t, 4), 0);
  key_v4("127.0.0.1", a);
  key_v6("::1", b);
  cr_assert_eq(net_http_clients_take(&t, a, 2), 0);
  cr_assert_eq(net_http_clients_take(&t, a, 2), 0);
  cr_assert_eq(net_http_clients_take(&t, a, 2), -EBUSY);
  cr_assert_eq(net_http_clients_conns(&t, a), 2);
  cr_assert_eq(net_http_clients_take(&t, b, 2), 0);
  cr_assert_eq(net_http_clients_take(&t, b, 0), -EBUSY);
  net_http_clients_give(&t, a);
  cr_assert_eq(net_http_clients_take(&t, a, 2), 0);
  net_http_clients_give(&t, a);
  net_http_clients_give(&t, a);
  cr_assert_eq(net_http_clients_conns(&t, a), 0);
  cr_assert_eq(t.used, 1);
  cr_assert_eq(net_http_clients_conns(&t, b), 1);
  net_http_clients_free(&t);
  net_http_clients_free(&t);  /* twice is harmless */
}

Test(http_clients, address_bound) {
  struct net_http_clients t;
  uint8_t k[16];
  char ip[32];
  int i;

  cr_assert_eq(net_http_clients_init(&t, 3), 0);
  for (i = 0; i < 3; i++) {
    snprintf(ip, sizeof(ip), "10.0.0.%d", i);
    key_v4(ip, k);
    cr_assert_eq(net_http_clients_take(&t, k, 5), 0);
  }
  key_v4("10.0.0.9", k);
  cr_assert_eq(net_http_clients_take(&t, k, 5), -ENOSPC);
  cr_assert_eq(net_http_clients_conns(&t, k), 0);
  key_v4("10.0.0.1", k);
  cr_assert_eq(net_http_clients_take(&t, k, 5), 0, "a known address fits");
  net_http_clients_free(&t);
}

#define ADDRS 200
#define ROUNDS 20000

/* Random takes and gives over many addresses (colliding in a 512-slot
 * table), each checked against a plain count: deletion by backward shift
 * must keep every other address findable. */
Test(http_clients, matches_a_plain_count) {
  static uint32_t want[ADDRS];
  struct net_http_clients t;
  uint64_t x = 88172645463325252ull;
  unsigned used = 0;
  int i, j;

  cr_assert_eq(net_http_clients_init(&t, ADDRS), 0);
  for (i = 0; i < ROUNDS; i++) {
    uint8_t k[16] = {0x20, 0x01, 0x0d, 0xb8};
    unsigned a;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    a = (unsigned)(x % ADDRS);
    memcpy(k + 12, &a, sizeof(a));
    if ((x >> 32) % 3 != 0) {
      int rc = net_http_clients_take(&t, k, 3);
      cr_assert_eq(rc, want[a] >= 3 ? -EBUSY : 0);
      if (rc == 0 && want[a]++ == 0)
        used++;
    } else if (want[a] > 0) {
      net_http_clients_give(&t, k);
      if (--want[a] == 0)
        used--;
    }
    cr_assert_eq(t.used, used);
    if (i % 1000 == 0)
      for (j = 0; j < ADDRS; j++) {
        unsigned b = (unsigned)j;
        memcpy(k + 12, &b, sizeof(b));
        cr_assert_eq(net_http_clients_conns(&t, k), want[j], "round %d", i);
      }
  }
  net_http_clients_free(&t);
}
