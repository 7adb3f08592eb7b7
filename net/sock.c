/*
 * net/sock.c - listening sockets.
 */
#include "net/sock.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Resolve host:port (numeric or a name; start-up only, may block). */
static int resolve(const struct core_addr *a, int socktype,
                   struct sockaddr_storage *ss, socklen_t *len) {
  struct addrinfo hints = {0}, *res = NULL;
  char port[8];
  int rc;

  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = socktype;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  snprintf(port, sizeof(port), "%u", (unsigned)a->port);
  rc = getaddrinfo(a->host[0] ? a->host : NULL, port, &hints, &res);
  if (rc != 0)
    return -EADDRNOTAVAIL;
  memcpy(ss, res->ai_addr, res->ai_addrlen);
  *len = res->ai_addrlen;
  freeaddrinfo(res);
  return 0;
}

static int open_bound(const struct core_addr *a, int socktype) {
  struct sockaddr_storage ss;
  socklen_t len;
  int one = 1, fd, rc;

  rc = resolve(a, socktype, &ss, &len);
  if (rc < 0)
    return rc;
  fd = socket(ss.ss_family, socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -errno;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
      bind(fd, (struct sockaddr *)&ss, len) < 0) {
    rc = -errno;
    close(fd);
    return rc;
  }
  return fd;
}

int net_sock_udp(const struct core_addr *addr, int rcvbuf_bytes) {
  int one = 1, fd = open_bound(addr, SOCK_DGRAM);

  if (fd < 0)
    return fd;
  /* SO_RCVBUF is a wish the kernel caps at rmem_max: no failure here. */
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf_bytes,
                   sizeof(rcvbuf_bytes));
  if (setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) < 0) {
    int rc = -errno;
    close(fd);
    return rc;
  }
  return fd;
}

int net_sock_tcp_listen(const struct core_addr *addr) {
  int fd = open_bound(addr, SOCK_STREAM);

  if (fd < 0)
    return fd;
  if (listen(fd, 1024) < 0) {
    int rc = -errno;
    close(fd);
    return rc;
  }
  return fd;
}

int net_sock_port(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);

  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
    return -errno;
  if (ss.ss_family == AF_INET)
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
  return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}
