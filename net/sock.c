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

/* A socket for ss, with SO_REUSEADDR for TCP (a restart binds over the
 * last run's TIME_WAIT connections). UDP has no TIME_WAIT and there
 * SO_REUSEADDR would let any process that sets it share the port. */
static int new_socket(const struct sockaddr_storage *ss, int socktype) {
  int one = 1, fd, rc;

  fd = socket(ss->ss_family, socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -errno;
  if (socktype == SOCK_STREAM &&
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) {
    rc = -errno;
    close(fd);
    return rc;
  }
  return fd;
}

/*
 * Bind a socket without SO_REUSEPORT to ss: it fails with EADDRINUSE when
 * any process holds the port, SO_REUSEPORT or not (for TCP: a listener;
 * SO_REUSEADDR lets TIME_WAIT leftovers pass). Port 0 gets a free port,
 * written back into ss. The probe is closed before returning.
 */
static int probe(struct sockaddr_storage *ss, socklen_t len, int socktype) {
  socklen_t n = len;
  int fd = new_socket(ss, socktype), rc = 0;

  if (fd < 0)
    return fd;
  if (bind(fd, (struct sockaddr *)ss, len) < 0 ||
      getsockname(fd, (struct sockaddr *)ss, &n) < 0)
    rc = -errno;
  close(fd);
  return rc;
}

/*
 * A socket bound to a with SO_REUSEPORT. NET_SOCK_NEW makes sure first that
 * no process serves the port (probe): SO_REUSEPORT alone would let this
 * process silently join another's port group, each then getting part of
 * the traffic. The window: between the probe's close and our bind another
 * process could take the port, and if it sets SO_REUSEPORT too, we share
 * it after all. Our socket is made and configured before the probe, so the
 * window is the two system calls close(probe) and bind(fd); only two
 * processes started on the same port within microseconds can fall in it
 * (two daemons on one data directory cannot: its lock refuses the second).
 */
static int open_bound(const struct core_addr *a, int socktype,
                      enum net_sock_group group) {
  struct sockaddr_storage ss;
  socklen_t len;
  int one = 1, fd, rc;

  rc = resolve(a, socktype, &ss, &len);
  if (rc < 0)
    return rc;
  fd = new_socket(&ss, socktype);
  if (fd < 0)
    return fd;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
      (group == NET_SOCK_NEW && (rc = probe(&ss, len, socktype)) < 0) ||
      bind(fd, (struct sockaddr *)&ss, len) < 0) {
    rc = rc < 0 ? rc : -errno;
    close(fd);
    return rc;
  }
  return fd;
}

int net_sock_udp(const struct core_addr *addr, int rcvbuf_bytes,
                 enum net_sock_group group) {
  int one = 1, fd = open_bound(addr, SOCK_DGRAM, group);

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

int net_sock_tcp_listen(const struct core_addr *addr,
                        enum net_sock_group group) {
  int fd = open_bound(addr, SOCK_STREAM, group);

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
