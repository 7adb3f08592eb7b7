/*
 * tests/unit/net/fake_writer.h - the segment writer faked for the OTLP
 * listener tests (test_otlp_http.c, test_otlp_grpc.c, test_otlp_durable.c):
 * it records the flush generations asked for and answers only when the
 * test says, so what a request waits for is checked exactly; and a
 * loopback listening socket for the listeners to serve.
 */
#ifndef SLUICE_TESTS_UNIT_NET_FAKE_WRITER_H
#define SLUICE_TESTS_UNIT_NET_FAKE_WRITER_H

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/otlp_durable_types.h"

struct fake {
  uint64_t gens[256];
  int n;
  int busy_left;   /* answer -EBUSY this many times first */
  int no_store;    /* answer 1: durable at once */
  int keeping_up;
  uint64_t flag;   /* the listener's generation flag */
};

/* net_otlp_durable_ops.flush */
static inline int fake_flush(void *ctx, uint64_t gen) {
  struct fake *f = ctx;

  cr_assert(gen & f->flag, "the listener's flag marks its generations");
  cr_assert_not(gen & (NET_OTLP_HTTP_GEN_FLAG | NET_OTLP_GRPC_GEN_FLAG) &
                    ~f->flag,
                "and no other listener's");
  if (f->busy_left > 0) {
    f->busy_left--;
    return -EBUSY;
  }
  if (f->no_store)
    return 1;
  cr_assert_lt(f->n, 256);
  f->gens[f->n++] = gen;
  return 0;
}

/* net_otlp_durable_ops.keeping_up */
static inline int fake_keeping_up(void *ctx) {
  return ((struct fake *)ctx)->keeping_up;
}

/* A listening TCP socket on 127.0.0.1; its port in *port. */
static inline int fake_listener(uint16_t *port) {
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof(a);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  cr_assert(fd >= 0);
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  cr_assert_eq(listen(fd, 1024), 0);
  cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
  *port = ntohs(a.sin_port);
  return fd;
}

#endif
