/*
 * core/base/addr_types.h - a listening address as the command line gives it.
 */
#ifndef SLUICE_CORE_BASE_ADDR_TYPES_H
#define SLUICE_CORE_BASE_ADDR_TYPES_H

#include <stdint.h>

/* HOST:PORT, or off (enabled == 0): --statsd-udp, --http, ... */
struct core_addr {
  int enabled;
  char host[64];      /* numeric IPv4/IPv6 or a name resolved at start */
  uint16_t port;
};

#endif
