/*
 * tests/unit/net/test_pkt.c - the DPDK back end's frame classifier
 * (net/pkt.h): every drop reason, one 802.1Q tag, ARP request parsing and
 * reply building, the IPv4 header checksum and the NIC's word on it.
 * Pure bytes: runs whether or not DPDK is built.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "net/pkt.h"
#include "tests/unit/net/frames.h"

static const struct net_pkt_cfg cfg = {
    .ip = OUR_IP, .statsd_port = 8125, .syslog_port = 5514};

static struct net_pkt_result classify(const uint8_t *f, size_t n) {
  struct net_pkt_result r;

  net_pkt_classify(f, n, &cfg, NET_PKT_CSUM_UNKNOWN, &r);
  return r;
}

static void expect_drop(const uint8_t *f, size_t n, enum net_pkt_drop why) {
  struct net_pkt_result r = classify(f, n);

  cr_assert_eq(r.kind, NET_PKT_DROP, "kind %d, want drop %s", r.kind,
               net_pkt_drop_name(why));
  cr_assert_eq(r.drop, why, "drop %s, want %s", net_pkt_drop_name(r.drop),
               net_pkt_drop_name(why));
}

Test(pkt, statsd_and_syslog_datagrams) {
  uint8_t f[256];
  size_t n = udp_frame(f, 0, OUR_IP, 8125, "a.b:1|c\nx:2|g");
  struct net_pkt_result r = classify(f, n);

  cr_assert_eq(r.kind, NET_PKT_DATAGRAM);
  cr_assert_eq(r.syslog, 0);
  cr_assert_eq(r.payload_off, 14 + 28);
  cr_assert_eq(r.payload_len, 13);
  cr_assert(memcmp(f + r.payload_off, "a.b:1|c\nx:2|g", 13) == 0);
  n = udp_frame(f, 0, OUR_IP, 5514, "<13>hello");
  r = classify(f, n);
  cr_assert_eq(r.kind, NET_PKT_DATAGRAM);
  cr_assert_eq(r.syslog, 1);
  cr_assert_eq(r.payload_len, 9);
}

Test(pkt, ethernet_padding_is_not_payload) {
  uint8_t f[256];
  size_t n = udp_frame(f, 0, OUR_IP, 8125, "a:1|c");
  struct net_pkt_result r;

  memset(f + n, 0, 60 - n); /* the minimum frame: 60 bytes without FCS */
  r = classify(f, 60);
  cr_assert_eq(r.kind, NET_PKT_DATAGRAM);
  cr_assert_eq(r.payload_len, 5);
}

Test(pkt, one_vlan_tag_is_handled) {
  uint8_t f[256];
  size_t n = udp_frame(f, 1, OUR_IP, 8125, "v:1|c");
  struct net_pkt_result r = classify(f, n);

  cr_assert_eq(r.kind, NET_PKT_DATAGRAM);
  cr_assert_eq(r.l3_off, 18);
  cr_assert_eq(r.payload_off, 18 + 28);
  n = udp_frame(f, 2, OUR_IP, 8125, "v:1|c");
  expect_drop(f, n, NET_PKT_DROP_VLAN_NESTED);
  put16(f + 16, NET_PKT_ETH_QINQ);
  expect_drop(f, n, NET_PKT_DROP_VLAN_NESTED);
}

Test(pkt, other_ethertypes) {
  uint8_t f[128] = {0};

  eth(f, 0, NET_PKT_ETH_IPV6);
  expect_drop(f, 60, NET_PKT_DROP_IPV6);
  eth(f, 1, NET_PKT_ETH_IPV6);
  expect_drop(f, 60, NET_PKT_DROP_IPV6);
  eth(f, 0, 0x88cc); /* LLDP */
  expect_drop(f, 60, NET_PKT_DROP_OTHER_ETHERTYPE);
}

Test(pkt, truncated_at_every_layer) {
  uint8_t f[256];
  size_t n = udp_frame(f, 0, OUR_IP, 8125, "abcdef");

  expect_drop(f, 13, NET_PKT_DROP_TRUNCATED);  /* no EtherType */
  expect_drop(f, 14 + 19, NET_PKT_DROP_TRUNCATED); /* short IPv4 header */
  expect_drop(f, n - 1, NET_PKT_DROP_TRUNCATED); /* total length > frame */
  eth(f, 1, NET_PKT_ETH_IPV4);
  expect_drop(f, 15, NET_PKT_DROP_TRUNCATED);  /* inside the tag */
  n = udp_frame(f, 0, OUR_IP, 8125, "abcdef");
  put16(f + 14 + 24, 8 + 7); /* UDP length past the IP datagram */
  expect_drop(f, n, NET_PKT_DROP_TRUNCATED);
  put16(f + 14 + 24, 7);     /* shorter than its own header */
  expect_drop(f, n, NET_PKT_DROP_TRUNCATED);
  n = udp_frame(f, 0, OUR_IP, 8125, "abcdef");
  put16(f + 14 + 2, 20 + 4); /* IPv4 total length leaves no UDP header */
  recsum(f + 14);
  expect_drop(f, n, NET_PKT_DROP_TRUNCATED);
  n = udp_frame(f, 0, OUR_IP, 8125, "abcdef");
  f[14] = 0x4f;              /* IHL 60 bytes, more than the datagram */
  recsum(f + 14);
  expect_drop(f, 14 + 40, NET_PKT_DROP_TRUNCATED);
  arp_frame(f, 0, 1, OUR_IP);
  expect_drop(f, 14 + 27, NET_PKT_DROP_TRUNCATED);
}

Test(pkt, bad_ip_header) {
  uint8_t f[256];
  size_t n = udp_frame(f, 0, OUR_IP, 8125, "a:1|c");

  f[14] = 0x65; /* version 6 under EtherType 0x0800 */
  expect_drop(f, n, NET_PKT_DROP_BAD_IP_HEADER);
  f[14] = 0x44; /* IHL 16 bytes */
  expect_drop(f, n, NET_PKT_DROP_BAD_IP_HEADER);
}

Test(pkt, ip_options_are_skipped) {
  uint8_t f[256];
  size_t n = udp_frame(f, 0, OUR_IP, 8125, "opt:1|c"), base = 14;
  struct net_pkt_result r;

  /* Insert 4 bytes of options (NOP x4) after the 20-byte header. */
  memmove(f + base + 24, f + base + 20, n - base - 20);
  memset(f + base + 20, 1, 4);
  f[base] = 0x46;
  put16(f + base + 2, 24 + 8 + 7);
  recsum(f + base);
  r = classify(f, n + 4);
  cr_assert_eq(r.kind, NET_PKT_DATAGRAM);
  cr_assert_eq(r.payload_off, base + 24 + 8);
  cr_assert(memcmp(f + r.payload_off, "opt:1|c", 7) == 0);
}

Test(pkt, checksum_checked_or_taken_from_the_nic) {
  uint8_t f[256];
  size_t n = udp_frame(f, 0, OUR_IP, 8125, "a:1|c");
  struct net_pkt_result r;

  cr_assert_eq(net_pkt_csum(f + 14, 20), 0);
  f[14 + 10] ^= 0x01;
  expect_drop(f, n, NET_PKT_DROP_BAD_CHECKSUM);
  net_pkt_classify(f, n, &cfg, NET_PKT_CSUM_GOOD, &r); /* NIC checked */
  cr_assert_eq(r.kind, NET_PKT_DATAGRAM);
  f[14 + 10] ^= 0x01;
  net_pkt_classify(f, n, &cfg, NET_PKT_CSUM_BAD, &r);
  cr_assert_eq(r.kind, NET_PKT_DROP);
  cr_assert_eq(r.drop, NET_PKT_DROP_BAD_CHECKSUM);
}

Test(pkt, checksum_known_values) {
  /* RFC 1071's example words 0001 f203 f4f5 f6f7: sum ddf2, checksum 220d */
  const uint8_t w[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  const uint8_t odd[] = {0x01};

  cr_assert_eq(net_pkt_csum(w, sizeof(w)), 0x220d);
  cr_assert_eq(net_pkt_csum(odd, 1), (uint16_t)~0x0100);
}

Test(pkt, fragments_are_dropped) {
  uint8_t f[256];
  size_t n = udp_frame(f, 0, OUR_IP, 8125, "a:1|c");

  put16(f + 14 + 6, 0x2000); /* MF */
  recsum(f + 14);
  expect_drop(f, n, NET_PKT_DROP_FRAGMENT);
  put16(f + 14 + 6, 0x0010); /* offset 128 */
  recsum(f + 14);
  expect_drop(f, n, NET_PKT_DROP_FRAGMENT);
  put16(f + 14 + 6, 0x4000); /* DF alone is a whole datagram */
  recsum(f + 14);
  cr_assert_eq(classify(f, n).kind, NET_PKT_DATAGRAM);
}

Test(pkt, other_host_proto_port) {
  uint8_t f[256];
  size_t n = udp_frame(f, 0, PEER_IP, 8125, "a:1|c");

  expect_drop(f, n, NET_PKT_DROP_OTHER_HOST);
  n = udp_frame(f, 0, 0xffffffffu, 8125, "a:1|c"); /* broadcast */
  expect_drop(f, n, NET_PKT_DROP_OTHER_HOST);
  n = udp_frame(f, 0, OUR_IP, 8125, "a:1|c");
  f[14 + 9] = 6; /* TCP */
  recsum(f + 14);
  expect_drop(f, n, NET_PKT_DROP_OTHER_PROTO);
  n = udp_frame(f, 0, OUR_IP, 9999, "a:1|c");
  expect_drop(f, n, NET_PKT_DROP_OTHER_PORT);
}

Test(pkt, an_off_listener_serves_no_port) {
  const struct net_pkt_cfg no_syslog = {.ip = OUR_IP, .statsd_port = 8125};
  uint8_t f[256];
  size_t n = udp_frame(f, 0, OUR_IP, 0, "a:1|c");
  struct net_pkt_result r;

  net_pkt_classify(f, n, &no_syslog, NET_PKT_CSUM_UNKNOWN, &r);
  cr_assert_eq(r.drop, NET_PKT_DROP_OTHER_PORT, "port 0 is no listener");
  n = udp_frame(f, 0, OUR_IP, 5514, "<13>x");
  net_pkt_classify(f, n, &no_syslog, NET_PKT_CSUM_UNKNOWN, &r);
  cr_assert_eq(r.kind, NET_PKT_DROP);
  cr_assert_eq(r.drop, NET_PKT_DROP_OTHER_PORT);
}

Test(pkt, arp_request_and_reply) {
  for (int vlans = 0; vlans <= 1; vlans++) {
    uint8_t f[128];
    size_t n = arp_frame(f, vlans, 1, OUR_IP), len;
    struct net_pkt_result r = classify(f, n);
    const uint8_t *a;

    cr_assert_eq(r.kind, NET_PKT_ARP_REQUEST);
    len = net_pkt_arp_reply(f, &r, our_mac, OUR_IP);
    cr_assert_eq(len, (size_t)(14 + 4 * vlans + 28));
    a = f + r.l3_off;
    cr_assert(memcmp(f, peer_mac, 6) == 0, "to the requester");
    cr_assert(memcmp(f + 6, our_mac, 6) == 0, "from us");
    if (vlans)
      cr_assert_eq(f[12] << 8 | f[13], NET_PKT_ETH_VLAN, "tag kept");
    cr_assert_eq(a[6] << 8 | a[7], 2, "op reply");
    cr_assert(memcmp(a + 8, our_mac, 6) == 0, "sha");
    cr_assert(memcmp(a + 14, "\x0a\x00\x00\x05", 4) == 0, "spa");
    cr_assert(memcmp(a + 18, peer_mac, 6) == 0, "tha");
    cr_assert(memcmp(a + 24, "\x0a\x00\x00\x09", 4) == 0, "tpa");
    /* The reply itself is not a request to answer again. */
    r = classify(f, len);
    cr_assert_eq(r.kind, NET_PKT_DROP);
    cr_assert_eq(r.drop, NET_PKT_DROP_ARP_OTHER);
  }
}

Test(pkt, arp_that_is_not_ours) {
  uint8_t f[128];
  size_t n = arp_frame(f, 0, 1, PEER_IP + 1);

  expect_drop(f, n, NET_PKT_DROP_ARP_OTHER);      /* for another host */
  n = arp_frame(f, 0, 2, OUR_IP);
  expect_drop(f, n, NET_PKT_DROP_ARP_OTHER);      /* a reply */
  n = arp_frame(f, 0, 1, OUR_IP);
  f[14 + 4] = 8;                                  /* not a 6-byte MAC */
  expect_drop(f, n, NET_PKT_DROP_ARP_OTHER);
}

Test(pkt, every_reason_has_a_name) {
  for (int d = 0; d < NET_PKT_DROP_COUNT; d++) {
    const char *s = net_pkt_drop_name((enum net_pkt_drop)d);
    cr_assert(s != NULL && s[0] != '\0' && strcmp(s, "unknown") != 0);
    for (int e = 0; e < d; e++)
      cr_assert_str_neq(s, net_pkt_drop_name((enum net_pkt_drop)e));
  }
  cr_assert_str_eq(net_pkt_drop_name(NET_PKT_DROP_COUNT), "unknown");
}

/* f[0..n) classified from a heap copy of exactly n bytes (ASan sees a
 * read past the frame); a datagram's payload must lie inside it, and an
 * ARP request must hold a whole ARP body. */
static struct net_pkt_result classify_exact(const uint8_t *f, size_t n) {
  uint8_t *c = malloc(n ? n : 1);
  struct net_pkt_result r;

  cr_assert(c != NULL);
  memcpy(c, f, n);
  net_pkt_classify(c, n, &cfg, NET_PKT_CSUM_UNKNOWN, &r);
  free(c);
  if (r.kind == NET_PKT_DATAGRAM)
    cr_assert_leq((size_t)r.payload_off + r.payload_len, n);
  if (r.kind == NET_PKT_ARP_REQUEST)
    cr_assert_leq((size_t)r.l3_off + NET_PKT_ARP_BYTES, n);
  cr_assert(r.kind != NET_PKT_DROP || r.drop < NET_PKT_DROP_COUNT);
  return r;
}

/* Every prefix of each frame kind is a drop (truncated, or a whole
 * shorter datagram never); every byte replaced by each of a few values
 * classifies within the frame. */
Test(pkt, every_prefix_and_every_byte_changed) {
  static const uint8_t vals[] = {0x00, 0x01, 0x05, 0x45, 0x7f, 0x80, 0xff};
  uint8_t f[4][256];
  size_t n[4];

  n[0] = udp_frame(f[0], 0, OUR_IP, 8125, "a.b:1|c\nx:2|g");
  n[1] = udp_frame(f[1], 1, OUR_IP, 5514, "<13>1 - - - - - - m");
  n[2] = arp_frame(f[2], 0, 1, OUR_IP);
  n[3] = arp_frame(f[3], 1, 1, OUR_IP);
  for (int k = 0; k < 4; k++) {
    cr_assert_neq(classify_exact(f[k], n[k]).kind, NET_PKT_DROP);
    for (size_t len = 0; len < n[k]; len++)
      cr_assert_eq(classify_exact(f[k], len).kind, NET_PKT_DROP,
                   "frame %d cut at %zu bytes", k, len);
    for (size_t i = 0; i < n[k]; i++)
      for (size_t v = 0; v < sizeof(vals); v++) {
        uint8_t g[256];
        memcpy(g, f[k], n[k]);
        g[i] = vals[v];
        (void)classify_exact(g, n[k]);
      }
  }
}
