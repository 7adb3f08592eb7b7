"""Ethernet frames and pcap files built with struct, for the DPDK tests
(test_dpdk.py) and the pcap replay benchmark (perf/dpdk_pcap.py).

Frames are what a NIC hands over: Ethernet II (optionally 802.1Q-tagged),
ARP, IPv4 with a correct header checksum unless asked otherwise, UDP
(checksum 0: none, as IPv4 allows), TCP and IPv6 headers for strangers.
pcap: the classic libpcap format, microsecond stamps, LINKTYPE_ETHERNET."""

import struct

OUR_MAC = b"\x02\x00\x00\x00\x00\x05"
PEER_MAC = b"\x02\x00\x00\x00\x00\x09"
BROADCAST = b"\xff" * 6


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(ethertype, body, dst=OUR_MAC, vlans=0):
    tags = b"".join(struct.pack("!HH", 0x8100, 42) for _ in range(vlans))
    return dst + PEER_MAC + tags + struct.pack("!H", ethertype) + body


def ipv4(src, dst, proto, body, frag=0, bad_csum=False, ident=1):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), ident, frag,
                    64, proto, 0, ip4(src), ip4(dst))
    c = csum(h) ^ (0x5555 if bad_csum else 0)
    return h[:10] + struct.pack("!H", c) + h[12:] + body


def udp_frame(dst_ip, dport, payload, sport=40000, src_ip="10.0.0.9",
              vlans=0, **ip_kw):
    u = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    return eth(0x0800, ipv4(src_ip, dst_ip, 17, u, **ip_kw), vlans=vlans)


def tcp_frame(dst_ip, dport, payload=b"x:1|c\n"):
    t = struct.pack("!HHIIBBHHH", 40000, dport, 1, 0, 5 << 4, 0x18, 1024, 0,
                    0) + payload
    return eth(0x0800, ipv4("10.0.0.9", dst_ip, 6, t))


def ipv6_frame(dport, payload=b"x:1|c"):
    u = struct.pack("!HHHH", 40000, dport, 8 + len(payload), 0) + payload
    h = struct.pack("!IHBB16s16s", 6 << 28, len(u), 17, 64, b"\0" * 15 +
                    b"\1", b"\0" * 15 + b"\2")
    return eth(0x86DD, h + u)


def arp_frame(op, target_ip, sender_ip="10.0.0.9"):
    a = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, PEER_MAC,
                    ip4(sender_ip), b"\0" * 6, ip4(target_ip))
    return eth(0x0806, a, dst=BROADCAST)


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1, i, len(fr), len(fr)) + fr)


def read_pcap(path):
    """[frame bytes] of a classic pcap file (either byte order)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    out, off = [], 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out
