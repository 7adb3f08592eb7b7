/*
 * net/pkt_types.h - the DPDK back end's packet classification (net/pkt.h):
 * what a frame is to sluice, and the counters of what it drops.
 *
 * Pure data: no DPDK header, so that the classifier, its tests and the
 * counters' rendering build without DPDK.
 *
 * Frames handled (network byte order on the wire):
 *   Ethernet II   dst[6] src[6] type[2]              type 0x0800, 0x0806,
 *   802.1Q        ... 0x8100 tci[2] type[2]          one tag (a second:
 *                                                    vlan_nested)
 *   ARP           htype[2]=1 ptype[2]=0x0800 hlen=6 plen=4 op[2]
 *                 sha[6] spa[4] tha[6] tpa[4]        28 bytes
 *   IPv4          ver/ihl frag[2] at 6 proto at 9 csum[2] at 10
 *                 src[4] at 12 dst[4] at 16          ihl*4 >= 20 bytes
 *   UDP           sport[2] dport[2] len[2] csum[2]   8 bytes
 */
#ifndef SLUICE_NET_PKT_TYPES_H
#define SLUICE_NET_PKT_TYPES_H

#include <stdint.h>

#define NET_PKT_ETH_BYTES 14
#define NET_PKT_VLAN_BYTES 4
#define NET_PKT_ARP_BYTES 28
#define NET_PKT_IPV4_BYTES_MIN 20
#define NET_PKT_UDP_BYTES 8
#define NET_PKT_ETH_IPV4 0x0800
#define NET_PKT_ETH_ARP 0x0806
#define NET_PKT_ETH_VLAN 0x8100
#define NET_PKT_ETH_QINQ 0x88a8
#define NET_PKT_ETH_IPV6 0x86dd
#define NET_PKT_IP_UDP 17

/* Why a frame was dropped: the `reason` label of
 * sluice_dpdk_rx_dropped_total. Never parsed further. */
enum net_pkt_drop {
  NET_PKT_DROP_TRUNCATED = 0, /* shorter than its headers or lengths say */
  NET_PKT_DROP_IPV6,          /* EtherType 0x86DD */
  NET_PKT_DROP_OTHER_ETHERTYPE, /* neither IPv4, ARP nor IPv6 */
  NET_PKT_DROP_VLAN_NESTED,   /* a second 802.1Q/802.1ad tag */
  NET_PKT_DROP_ARP_OTHER,     /* ARP that is not a request for our address */
  NET_PKT_DROP_BAD_IP_HEADER, /* version not 4, IHL < 5 */
  NET_PKT_DROP_BAD_CHECKSUM,  /* IPv4 header checksum (or the NIC's word) */
  NET_PKT_DROP_FRAGMENT,      /* MF set or offset non-zero: not reassembled */
  NET_PKT_DROP_OTHER_HOST,    /* destination is not --dpdk-ip */
  NET_PKT_DROP_OTHER_PROTO,   /* IPv4 but not UDP (TCP, ICMP, ...) */
  NET_PKT_DROP_OTHER_PORT,    /* UDP to a port no listener serves */
  NET_PKT_DROP_SEGMENTED,     /* frame in a chain of mbufs (jumbo) */
  NET_PKT_DROP_COUNT
};

/* What the classifier found. */
enum net_pkt_kind {
  NET_PKT_DROP = 0,   /* see net_pkt_result.drop */
  NET_PKT_DATAGRAM,   /* UDP to one of our ports: payload, listener */
  NET_PKT_ARP_REQUEST /* ARP request for our address: answer it */
};

/* What the NIC said of the IPv4 header checksum. */
enum net_pkt_csum {
  NET_PKT_CSUM_UNKNOWN = 0, /* not checked: the classifier computes it */
  NET_PKT_CSUM_GOOD,
  NET_PKT_CSUM_BAD
};

/* Who we are on the wire. Ports 0: that listener is off. */
struct net_pkt_cfg {
  uint32_t ip;             /* --dpdk-ip, host byte order */
  uint16_t statsd_port;    /* --statsd-udp's port, host byte order */
  uint16_t syslog_port;    /* --syslog-udp's port */
};

struct net_pkt_result {
  enum net_pkt_kind kind;
  enum net_pkt_drop drop;   /* kind == NET_PKT_DROP */
  uint16_t l3_off;          /* ARP/IPv4 header offset in the frame */
  uint16_t payload_off;     /* DATAGRAM: UDP payload offset */
  uint16_t payload_len;     /* DATAGRAM: UDP payload bytes */
  uint8_t syslog;           /* DATAGRAM: 1 syslog port, 0 StatsD port */
};

#endif
