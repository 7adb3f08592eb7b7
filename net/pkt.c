/*
 * net/pkt.c - classification of received frames for the DPDK back end.
 * Every byte is hostile: each header is bounded by what the frame holds
 * before a field of it is read, and what sluice does not serve is named
 * by a drop reason, never parsed.
 */
#include "net/pkt.h"

#include <string.h>

static const char *const drop_names[NET_PKT_DROP_COUNT] = {
    [NET_PKT_DROP_TRUNCATED] = "truncated",
    [NET_PKT_DROP_IPV6] = "ipv6",
    [NET_PKT_DROP_OTHER_ETHERTYPE] = "other_ethertype",
    [NET_PKT_DROP_VLAN_NESTED] = "vlan_nested",
    [NET_PKT_DROP_ARP_OTHER] = "arp_other",
    [NET_PKT_DROP_BAD_IP_HEADER] = "bad_ip_header",
    [NET_PKT_DROP_BAD_CHECKSUM] = "bad_checksum",
    [NET_PKT_DROP_FRAGMENT] = "fragment",
    [NET_PKT_DROP_OTHER_HOST] = "other_host",
    [NET_PKT_DROP_OTHER_PROTO] = "other_proto",
    [NET_PKT_DROP_OTHER_PORT] = "other_port",
    [NET_PKT_DROP_SEGMENTED] = "segmented",
};

const char *net_pkt_drop_name(enum net_pkt_drop d) {
  return (unsigned)d < NET_PKT_DROP_COUNT ? drop_names[d] : "unknown";
}

static uint16_t be16(const uint8_t *p) {
  return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

uint16_t net_pkt_csum(const uint8_t *p, size_t n) {
  uint32_t sum = 0;

  for (; n >= 2; p += 2, n -= 2)
    sum += be16(p);
  if (n)
    sum += (uint32_t)p[0] << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

static void drop(struct net_pkt_result *r, enum net_pkt_drop why) {
  r->kind = NET_PKT_DROP;
  r->drop = why;
}

/* ARP at frame + off: a request (op 1) for cfg->ip over Ethernet/IPv4. */
static void classify_arp(const uint8_t *frame, size_t len, size_t off,
                         const struct net_pkt_cfg *cfg,
                         struct net_pkt_result *r) {
  const uint8_t *a = frame + off;

  if (len - off < NET_PKT_ARP_BYTES)
    return drop(r, NET_PKT_DROP_TRUNCATED);
  if (be16(a) != 1 || be16(a + 2) != NET_PKT_ETH_IPV4 || a[4] != 6 ||
      a[5] != 4 || be16(a + 6) != 1 || be32(a + 24) != cfg->ip)
    return drop(r, NET_PKT_DROP_ARP_OTHER);
  r->kind = NET_PKT_ARP_REQUEST;
}

/* UDP at ip + ihl, within the IPv4 datagram's total length tot. */
static void classify_udp(const uint8_t *ip, size_t ihl, size_t tot,
                         const struct net_pkt_cfg *cfg,
                         struct net_pkt_result *r) {
  const uint8_t *u = ip + ihl;
  uint16_t dport, ulen;

  if (tot - ihl < NET_PKT_UDP_BYTES)
    return drop(r, NET_PKT_DROP_TRUNCATED);
  dport = be16(u + 2);
  ulen = be16(u + 4);
  if (ulen < NET_PKT_UDP_BYTES || ulen > tot - ihl)
    return drop(r, NET_PKT_DROP_TRUNCATED);
  if (dport != 0 && dport == cfg->statsd_port)
    r->syslog = 0;
  else if (dport != 0 && dport == cfg->syslog_port)
    r->syslog = 1;
  else
    return drop(r, NET_PKT_DROP_OTHER_PORT);
  r->kind = NET_PKT_DATAGRAM;
  r->payload_off = (uint16_t)(r->l3_off + ihl + NET_PKT_UDP_BYTES);
  r->payload_len = (uint16_t)(ulen - NET_PKT_UDP_BYTES);
}

/* IPv4 at frame + off: checked in the order a reader trusts its fields. */
static void classify_ipv4(const uint8_t *frame, size_t len, size_t off,
                          const struct net_pkt_cfg *cfg,
                          enum net_pkt_csum csum, struct net_pkt_result *r) {
  const uint8_t *ip = frame + off;
  size_t ihl, tot;

  if (len - off < NET_PKT_IPV4_BYTES_MIN)
    return drop(r, NET_PKT_DROP_TRUNCATED);
  ihl = (size_t)(ip[0] & 0x0f) * 4;
  if (ip[0] >> 4 != 4 || ihl < NET_PKT_IPV4_BYTES_MIN)
    return drop(r, NET_PKT_DROP_BAD_IP_HEADER);
  tot = be16(ip + 2);
  /* Ethernet pads short frames: the frame may hold more than tot. */
  if (ihl > len - off || tot < ihl || tot > len - off)
    return drop(r, NET_PKT_DROP_TRUNCATED);
  if (csum == NET_PKT_CSUM_BAD ||
      (csum == NET_PKT_CSUM_UNKNOWN && net_pkt_csum(ip, ihl) != 0))
    return drop(r, NET_PKT_DROP_BAD_CHECKSUM);
  if (be16(ip + 6) & 0x3fff) /* MF or a fragment offset */
    return drop(r, NET_PKT_DROP_FRAGMENT);
  if (be32(ip + 16) != cfg->ip)
    return drop(r, NET_PKT_DROP_OTHER_HOST);
  if (ip[9] != NET_PKT_IP_UDP)
    return drop(r, NET_PKT_DROP_OTHER_PROTO);
  classify_udp(ip, ihl, tot, cfg, r);
}

void net_pkt_classify(const uint8_t *frame, size_t len,
                      const struct net_pkt_cfg *cfg, enum net_pkt_csum csum,
                      struct net_pkt_result *r) {
  size_t off = NET_PKT_ETH_BYTES;
  uint16_t type;

  memset(r, 0, sizeof(*r));
  if (len < NET_PKT_ETH_BYTES || len > UINT16_MAX)
    return drop(r, NET_PKT_DROP_TRUNCATED);
  type = be16(frame + 12);
  if (type == NET_PKT_ETH_VLAN) {
    if (len < off + NET_PKT_VLAN_BYTES)
      return drop(r, NET_PKT_DROP_TRUNCATED);
    type = be16(frame + off + 2);
    off += NET_PKT_VLAN_BYTES;
  }
  r->l3_off = (uint16_t)off;
  if (type == NET_PKT_ETH_VLAN || type == NET_PKT_ETH_QINQ)
    return drop(r, NET_PKT_DROP_VLAN_NESTED);
  if (type == NET_PKT_ETH_IPV4)
    return classify_ipv4(frame, len, off, cfg, csum, r);
  if (type == NET_PKT_ETH_ARP)
    return classify_arp(frame, len, off, cfg, r);
  drop(r, type == NET_PKT_ETH_IPV6 ? NET_PKT_DROP_IPV6
                                   : NET_PKT_DROP_OTHER_ETHERTYPE);
}

size_t net_pkt_arp_reply(uint8_t *frame, const struct net_pkt_result *r,
                         const uint8_t mac[6], uint32_t cfg_ip) {
  uint8_t *a = frame + r->l3_off;

  memcpy(frame, frame + 6, 6); /* to the requester */
  memcpy(frame + 6, mac, 6);
  a[7] = 2;                    /* op: reply */
  memcpy(a + 18, a + 8, 10);   /* target: the requester's sha and spa */
  memcpy(a + 8, mac, 6);
  put_be32(a + 14, cfg_ip);
  return (size_t)r->l3_off + NET_PKT_ARP_BYTES;
}
