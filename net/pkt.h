/*
 * net/pkt.h - classify a received Ethernet frame for the DPDK back end
 * (Ethernet, one 802.1Q tag, ARP, IPv4, UDP) and answer ARP requests.
 * Pure functions on bytes: every length is checked before it is read.
 */
#ifndef SLUICE_NET_PKT_H
#define SLUICE_NET_PKT_H

#include <stddef.h>
#include <stdint.h>

#include "net/pkt_types.h"

/*
 * Classify frame (len bytes, from the destination MAC on) for cfg; csum
 * is what the NIC said of the IPv4 header checksum. Fills *r: a datagram
 * for one of our UDP ports (payload offset and length, which listener),
 * an ARP request for cfg->ip, or a drop with its reason.
 */
void net_pkt_classify(const uint8_t *frame, size_t len,
                      const struct net_pkt_cfg *cfg, enum net_pkt_csum csum,
                      struct net_pkt_result *r);

/*
 * Turn the ARP request frame (classified NET_PKT_ARP_REQUEST, r->l3_off)
 * into its reply in place: our MAC mac answers for cfg_ip (host order) to
 * the requester; any VLAN tag is kept. Returns the reply's length (the
 * request's, trimmed to the ARP body: min Ethernet padding is the NIC's).
 */
size_t net_pkt_arp_reply(uint8_t *frame, const struct net_pkt_result *r,
                         const uint8_t mac[6], uint32_t cfg_ip);

/* The Internet checksum (RFC 1071) of n bytes: 0 over a header whose
 * checksum field is right. */
uint16_t net_pkt_csum(const uint8_t *p, size_t n);

/* The `reason` label of a drop. */
const char *net_pkt_drop_name(enum net_pkt_drop d);

#endif
