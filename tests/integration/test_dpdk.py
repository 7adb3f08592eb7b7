"""The DPDK receive back end (docs/dpdk.md) end to end, without hardware:
DPDK's net_pcap virtual device replays pcap files this test writes, one
rx_pcap per RX queue, so two shards each poll their own queue
(`--vdev net_pcap0,rx_pcap=A,rx_pcap=B,tx_pcap=T0,tx_pcap=T1`).

The files mix StatsD and syslog datagrams from several source ports with
strangers: ARP (a request for --dpdk-ip, which must be answered on the
shard's TX queue, and ARP that is not), TCP, IPv6, IPv4 fragments, bad
header checksums, frames for another host and another port, a truncated
UDP length, two VLAN tags, an unknown EtherType and a jumbo frame.
Checked on /metrics and /api/v1/export: every frame counted once, every
StatsD line stored exactly once (no datagram parsed twice), every syslog
message stored, every stranger counted as dropped under its reason, the
ARP replies written to the TX pcaps, per-queue bytes and bursts, and the
device's ierrors (a pcap record cut short).

Beside the DPDK queues the kernel path still serves TCP, OTLP/HTTP,
OTLP/gRPC and the query port. net_tap (RSS and IPv4 checksum offload)
configures both and drops bad checksums on the NIC's word. net_pcap's
infinite replay shows no allocation per packet (the LD_PRELOAD shim of
test_shard_heap.py).

Then net_af_packet on a veth pair whose other end is in a network
namespace made by the test: the kernel's UDP stack there (`sluice bench`)
resolves --dpdk-ip by ARP (answered by sluice) and sends; every line sent
must be ingested. It skips where no namespace can be made.

EAL options --no-huge --no-pci --file-prefix UNIQUE let it run beside
other tests; it skips (exit 77) when sluice was built without DPDK.

usage: /usr/bin/python3 test_dpdk.py PATH/TO/sluice
"""

import atexit
import collections
import glob
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Skip, Sluice, check, main, sum_metric  # noqa: E402
import dpdk_frames as fr  # noqa: E402
import otlp_helpers as otlp  # noqa: E402
import test_shard_heap as heap  # noqa: E402

OUR_IP = "10.0.0.5"
PREFIX = f"sluice-it-{os.getpid()}"   # EAL --file-prefix of every run


@atexit.register
def remove_runtime_dirs():
    """The EAL leaves its runtime directory (RUNTIME/dpdk/PREFIX) behind."""
    for base in ("/var/run/dpdk", os.path.join(os.environ.get(
            "XDG_RUNTIME_DIR", "/tmp"), "dpdk")):
        for d in glob.glob(os.path.join(base, PREFIX + "-*")):
            shutil.rmtree(d, ignore_errors=True)
STATSD_PORT = 9125
SYSLOG_PORT = 9514


def need_dpdk(binary):
    out = subprocess.run([binary, "run", "--help"], capture_output=True,
                         text=True).stdout
    if "this build has it" not in out:
        raise Skip("sluice was built without DPDK (-Ddpdk=disabled or no "
                   "libdpdk-dev)")


def eal_args(tmp, rx, tx):
    vdev = "net_pcap0," + ",".join([f"rx_pcap={p}" for p in rx] +
                                   [f"tx_pcap={p}" for p in tx])
    return (f"--no-huge --no-pci -m 512 --no-telemetry --file-prefix "
            f"{PREFIX}-{uuid.uuid4().hex[:8]} "
            f"--vdev {vdev}")


def start(binary, tmp, rx, tx, cores="2", extra=(), eal=None, ip=OUR_IP):
    """sluice with its UDP listeners on a DPDK port (eal: the EAL arguments,
    else net_pcap on rx and tx); skips where the EAL (or its virtual
    device) cannot start, fails on any other error."""
    try:
        return Sluice(binary, cores=cores, extra=[
            "--statsd-udp", f"{ip}:{STATSD_PORT}",
            "--syslog-udp", f"{ip}:{SYSLOG_PORT}",
            "--dpdk", eal or eal_args(tmp, rx, tx), "--dpdk-ip", ip] +
            list(extra))
    except RuntimeError as e:
        if "EAL" in str(e) and "did not start" in str(e):
            raise Skip("the DPDK EAL cannot start here: " + str(e)[-400:])
        raise


class Traffic:
    """What was put in the pcaps, and what each part must count."""

    def __init__(self, queue_tag):
        self.frames = []
        self.lines = collections.Counter()   # series -> lines
        self.sums = collections.Counter()    # series -> sum of values
        self.statsd_datagrams = 0
        self.syslog = []
        self.drops = collections.Counter()
        self.arp_requests = 0
        self.tag = queue_tag

    def statsd(self, sport, n_lines, vlans=0):
        lines = []
        for i in range(n_lines):
            name = f"dpdk.{self.tag}.m{(sport + i) % 7}"
            v = sport % 13 + i + 1
            lines.append(f"{name}:{v}|c")
            self.lines[name] += 1
            self.sums[name] += v
        self.frames.append(fr.udp_frame(OUR_IP, STATSD_PORT,
                                        "\n".join(lines).encode(),
                                        sport=sport, vlans=vlans))
        self.statsd_datagrams += 1

    def syslog_msg(self, sport, token):
        msg = f"<13>1 2026-12-01T10:00:00Z h app - - - {token}"
        self.frames.append(fr.udp_frame(OUR_IP, SYSLOG_PORT, msg.encode(),
                                        sport=sport))
        self.syslog.append(token)

    def stranger(self, reason, frame):
        self.frames.append(frame)
        self.drops[reason] += 1


def build(tag, token):
    t = Traffic(tag)
    for k in range(40):
        sport = 30000 + 17 * k + (0 if tag == "a" else 5)
        t.statsd(sport, 1 + k % 5, vlans=1 if k % 10 == 3 else 0)
        if k % 4 == 0:
            t.syslog_msg(sport, f"{token}-{tag}-{k}")
        if k % 8 == 1:
            t.frames.append(fr.arp_frame(1, OUR_IP))
            t.arp_requests += 1
    bad = b"bad.never:1|c"
    t.stranger("arp_other", fr.arp_frame(1, "10.0.0.77"))
    t.stranger("arp_other", fr.arp_frame(2, OUR_IP))
    t.stranger("other_proto", fr.tcp_frame(OUR_IP, STATSD_PORT))
    t.stranger("ipv6", fr.ipv6_frame(STATSD_PORT))
    t.stranger("fragment", fr.udp_frame(OUR_IP, STATSD_PORT, bad,
                                        frag=0x2000))
    t.stranger("fragment", fr.udp_frame(OUR_IP, STATSD_PORT, bad,
                                        frag=0x0004))
    t.stranger("bad_checksum", fr.udp_frame(OUR_IP, STATSD_PORT, bad,
                                            bad_csum=True))
    t.stranger("other_host", fr.udp_frame("10.0.0.6", STATSD_PORT, bad))
    t.stranger("other_port", fr.udp_frame(OUR_IP, 9999, bad))
    t.stranger("vlan_nested", fr.udp_frame(OUR_IP, STATSD_PORT, bad,
                                           vlans=2))
    t.stranger("other_ethertype", fr.eth(0x88CC, b"\0" * 46))
    # A jumbo frame: larger than one mbuf, the PMD chains mbufs.
    t.stranger("segmented", fr.udp_frame(OUR_IP, STATSD_PORT,
                                         b"\n".join([bad] * 250)))
    short = fr.udp_frame(OUR_IP, STATSD_PORT, bad)
    t.stranger("truncated", short[:14 + 20 + 4])  # IPv4 total > frame
    return t


def get_json_lines(s, path, **q):
    with urllib.request.urlopen(s.url(path + "?" + urllib.parse.urlencode(q)),
                                timeout=30) as r:
        return [json.loads(l) for l in r.read().decode().splitlines()
                if l.strip()]


def arp_replies(paths):
    out = []
    for p in paths:
        for f in fr.read_pcap(p):
            if len(f) >= 42 and f[12:14] == b"\x08\x06" and \
                    struct.unpack("!H", f[20:22])[0] == 2:
                out.append(f)
    return out


def check_metrics(s, traffic):
    frames = sum(len(t.frames) for t in traffic)
    got = s.wait_total("sluice_dpdk_rx_packets_total", frames, timeout=15)
    check(got == frames, f"frames received {got} != {frames}")
    for shard, t in enumerate(traffic):
        n = s.total("sluice_dpdk_rx_packets_total", shard=shard)
        check(n == len(t.frames), f"shard {shard}: {n} frames, its pcap "
              f"holds {len(t.frames)}: one RX queue per shard")
    drops = sum((t.drops for t in traffic), collections.Counter())
    for reason in set(drops) | {"bad_ip_header"}:
        got = s.total("sluice_dpdk_rx_dropped_total", reason=reason)
        check(got == drops[reason], f"dropped {reason}: {got} != "
              f"{drops[reason]}")
    total_drops = s.total("sluice_dpdk_rx_dropped_total")
    check(total_drops == sum(drops.values()), f"drops {total_drops}")
    dg = sum(t.statsd_datagrams for t in traffic)
    got = s.total("sluice_rx_datagrams_total", listener="statsd_udp")
    check(got == dg, f"statsd datagrams {got} != {dg}")
    sl = sum(len(t.syslog) for t in traffic)
    got = s.total("sluice_rx_datagrams_total", listener="syslog_udp")
    check(got == sl, f"syslog datagrams {got} != {sl}")
    lines = sum(sum(t.lines.values()) for t in traffic)
    got = s.wait_total("sluice_points_ingested_total", lines)
    check(got == lines, f"points {got} != lines {lines}")
    check(s.total("sluice_parse_errors_total") == 0, "parse errors")
    arps = sum(t.arp_requests for t in traffic)
    got = s.total("sluice_dpdk_arp_replies_total")
    check(got == arps, f"ARP replies {got} != {arps}")
    check(s.total("sluice_dpdk_tx_failed_total") == 0, "TX refused")
    check(dg + sl + arps + total_drops == frames, "every frame is a "
          "datagram, an ARP reply or a drop, exactly once")
    check_queue_counters(s, traffic)


def check_queue_counters(s, traffic):
    """Per queue: bytes and bursts; the device's own figures (read by
    shard 0 every second): the truncated record at the end of queue 0's
    pcap is the PMD's ierrors, nothing is missed or short of mbufs."""
    for shard, t in enumerate(traffic):
        n = s.total("sluice_dpdk_rx_bytes_total", shard=shard)
        want = sum(len(f) for f in t.frames)
        check(n == want, f"shard {shard}: {n} bytes, its pcap {want}")
        b = s.total("sluice_dpdk_rx_bursts_total", shard=shard)
        check(len(t.frames) / 32 <= b <= len(t.frames), f"shard {shard}: "
              f"{b} bursts for {len(t.frames)} frames of bursts of 32")
        check(s.total("sluice_dpdk_rx_idle_polls_total", shard=shard) > 0,
              f"shard {shard}: no idle poll after its pcap ended")
    got = s.wait_total("sluice_dpdk_rx_errors_total", 1, timeout=5)
    check(got == 1 and s.total("sluice_dpdk_rx_errors_total", shard=0) == 1,
          f"the PMD's ierrors (one truncated pcap record): {got}")
    names = {n for n, _, _ in s.metrics()}
    for fam in ("sluice_dpdk_rx_missed_total",
                "sluice_dpdk_mbuf_alloc_failed_total"):
        check(fam in names and s.total(fam) == 0, f"{fam} on /metrics, 0")


def check_stored(s, traffic, token):
    s.flush()
    rows = get_json_lines(s, "/api/v1/export",
                         **{"match[]": '{__name__=~"dpdk[.].*"}'})
    want_lines = sum((t.lines for t in traffic), collections.Counter())
    want_sums = sum((t.sums for t in traffic), collections.Counter())
    got_lines = collections.Counter()
    got_sums = collections.Counter()
    for r in rows:
        name = r["metric"]["__name__"]
        got_lines[name] += len(r["values"])
        got_sums[name] += sum(r["values"])
    check(got_lines == want_lines, f"points per series {dict(got_lines)} "
          f"!= {dict(want_lines)}")
    check(got_sums == want_sums, f"sums {dict(got_sums)}")
    check("bad.never" not in json.dumps(rows), "a dropped frame was parsed")
    logs = get_json_lines(s, "/api/v1/logs", contains=token, start="0",
                          limit="10000")
    got = sorted(l["_msg"] for l in logs)
    want = sorted(m for t in traffic for m in t.syslog)
    check(got == want, f"syslog {len(got)} records != {len(want)}")


def test_pcap_two_queues(binary):
    """Two RX queues on two shards: everything counted exactly once."""
    need_dpdk(binary)
    token = "tok" + uuid.uuid4().hex[:10]
    with tempfile.TemporaryDirectory(prefix="sluice-dpdk-") as tmp:
        traffic = [build("a", token), build("b", token)]
        rx = [os.path.join(tmp, f"rx{i}.pcap") for i in range(2)]
        tx = [os.path.join(tmp, f"tx{i}.pcap") for i in range(2)]
        for p, t in zip(rx, traffic):
            fr.write_pcap(p, t.frames)
        with open(rx[0], "ab") as f:  # a record cut short: the PMD's ierrors
            f.write(struct.pack("<IIII", 1, 0, 100, 100) + b"\0" * 20)
        s = start(binary, tmp, rx, tx)
        try:
            check_metrics(s, traffic)
            check_stored(s, traffic, token)
            rc, _ = s.stop()
            check(rc == 0, f"exit {rc}: {s.logtext()[-2000:]}")
        finally:
            s.close()
        replies = arp_replies(tx)
        arps = sum(t.arp_requests for t in traffic)
        check(len(replies) == arps, f"{len(replies)} ARP replies in the TX "
              f"pcaps, {arps} requests")
        for f in replies:
            check(f[0:6] == fr.PEER_MAC, "reply goes to the requester")
            check(f[28:32] == fr.ip4(OUR_IP), "reply: sender is --dpdk-ip")
            check(f[32:38] == fr.PEER_MAC and f[38:42] == fr.ip4("10.0.0.9"),
                  "reply: target is the requester")


def test_usage_errors(binary):
    """--dpdk without --dpdk-ip, a bad address, and a port that is not
    there are clear errors (usage: exit 2; runtime: exit 1)."""
    need_dpdk(binary)
    with tempfile.TemporaryDirectory(prefix="sluice-dpdk-") as tmp:
        base = [binary, "run", "--data-dir", os.path.join(tmp, "d"),
                "--http", "off", "--statsd-tcp", "off", "--syslog-tcp",
                "off", "--cores", "1"]
        r = subprocess.run(base + ["--dpdk", "--no-huge"],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 2 and "--dpdk-ip" in r.stderr, r.stderr)
        r = subprocess.run(base + ["--dpdk-ip", "10.0.0.300"],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 2 and "10.0.0.300" in r.stderr, r.stderr)
        rx = os.path.join(tmp, "rx.pcap")
        fr.write_pcap(rx, [])
        r = subprocess.run(base + ["--dpdk", eal_args(tmp, [rx], [rx + "t"]),
                                   "--dpdk-ip", OUR_IP, "--dpdk-port", "3"],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 1 and "--dpdk-port 3: no such port" in r.stderr,
              r.stderr[-1500:])
        r = subprocess.run(base[:-1] + ["2", "--dpdk",
                                        eal_args(tmp, [rx], [rx + "t"]),
                                        "--dpdk-ip", OUR_IP],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 1 and "one pair per shard needs 2" in r.stderr,
              r.stderr[-1500:])


def test_kernel_listeners_beside_dpdk(binary):
    """With --dpdk, TCP listeners, OTLP (HTTP and gRPC) and the query port
    stay on the kernel path and are served by the same shards that poll
    their queues: a StatsD and a syslog line over TCP are stored, an
    OTLP/HTTP request and `sluice bench otlp --grpc` calls are answered
    (their replies wait for the shard loop's durable commit), while a
    frame on the DPDK queue is ingested beside them."""
    need_dpdk(binary)
    token = "tok" + uuid.uuid4().hex[:10]
    with tempfile.TemporaryDirectory(prefix="sluice-dpdk-") as tmp:
        rx = [os.path.join(tmp, f"rx{i}.pcap") for i in range(2)]
        tx = [os.path.join(tmp, f"tx{i}.pcap") for i in range(2)]
        fr.write_pcap(rx[0], [fr.udp_frame(OUR_IP, STATSD_PORT,
                                           b"dpdk.side:1|c")])
        fr.write_pcap(rx[1], [])
        eal = eal_args(tmp, rx, tx)
        s = start(binary, tmp, rx, tx, eal=eal)
        try:
            # A second sluice on the same --file-prefix: the EAL refuses
            # it, and the error points at the EAL's log (not "Success").
            r = subprocess.run([binary, "run", "--data-dir",
                                os.path.join(tmp, "d2"), "--http", "off",
                                "--statsd-tcp", "off", "--syslog-tcp", "off",
                                "--otlp-http", "off", "--otlp-grpc", "off",
                                "--cores", "1", "--dpdk", eal, "--dpdk-ip",
                                OUR_IP], capture_output=True, text=True,
                               timeout=60)
            check(r.returncode == 1 and "the EAL did not start: see its "
                  "log" in r.stderr, r.stderr[-1500:])
            with socket.create_connection(("127.0.0.1", s.port)) as c:
                c.sendall(b"kernel.tcp:1|c\n")
            with socket.create_connection(("127.0.0.1", s.syslog_port)) as c:
                c.sendall(f"<13>1 2026-12-01T10:00:00Z h app - - - "
                          f"{token}\n".encode())
            try:
                st, _, body = otlp.post(s, "/v1/metrics",
                                        otlp.fixture("metrics.bin"))
            except OSError as e:
                st, body = None, repr(e)
            check(st == 200, f"OTLP/HTTP beside --dpdk: {st} {body[:200]}")
            out = otlp.bench_grpc(binary, s)
            check(out["rc"] == "0" and int(out["ok"]) > 0 and
                  out["ok"] == out["requests"], f"OTLP/gRPC: {out}")
            check(s.wait_total("sluice_dpdk_rx_packets_total", 1) == 1,
                  "the DPDK frame")
            s.flush()
            for name in ("kernel.tcp", "dpdk.side"):
                rows = get_json_lines(s, "/api/v1/export",
                                      **{"match[]": f'{{__name__="{name}"}}'})
                check(len(rows) == 1 and rows[0]["values"] == [1],
                      f"{name}: {rows}")
            logs = get_json_lines(s, "/api/v1/logs", contains=token,
                                  start="0", limit="10")
            check(len(logs) == 1, f"syslog over TCP: {logs}")
            rc, _ = s.stop()
            check(rc == 0, f"exit {rc}: {s.logtext()[-2000:]}")
        finally:
            s.close()


def test_tap_rss_and_checksum_offload(binary):
    """net_tap: a device that offers RSS (UDP included) and IPv4 checksum
    offload, so the port is configured with both (the start-up line says
    so) on two queue pairs. Frames written to the tap interface from the
    kernel side (an AF_PACKET socket): good datagrams are ingested, those
    with a bad IPv4 header checksum are `bad_checksum` by the NIC's word,
    and every frame is still accounted for. Skips without /dev/net/tun."""
    need_dpdk(binary)
    if not os.path.exists("/dev/net/tun"):
        raise Skip("no /dev/net/tun for net_tap")
    iface = f"slp{uuid.uuid4().hex[:8]}"
    eal = (f"--no-huge --no-pci -m 512 --no-telemetry --file-prefix "
           f"{PREFIX}-{uuid.uuid4().hex[:8]} --vdev net_tap0,iface={iface}")
    s = start(binary, None, [], [], eal=eal)
    try:
        log = s.logtext()
        check("net_tap, 2 queue pair(s)" in log and
              "RSS over the UDP 4-tuple" in log and
              "IPv4 header checksum by the NIC" in log, log[-1500:])
        try:
            raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            raw.bind((iface, 0))
        except OSError as e:
            raise Skip(f"no AF_PACKET socket on {iface}: {e}")
        with raw:
            lines, bad = 0, 0
            for k in range(200):
                if k % 5 == 4:
                    raw.send(fr.udp_frame(OUR_IP, STATSD_PORT,
                                          b"tap.bad:1|c", sport=31000 + k,
                                          bad_csum=True))
                    bad += 1
                else:
                    raw.send(fr.udp_frame(OUR_IP, STATSD_PORT,
                                          b"tap.good:1|c", sport=31000 + k))
                    lines += 1
        got = s.wait_total("sluice_points_ingested_total", lines, timeout=10)
        check(got == lines, f"ingested {got} of {lines} lines")
        got = s.wait_total("sluice_dpdk_rx_dropped_total", bad, timeout=5,
                           reason="bad_checksum")
        check(got == bad, f"bad_checksum {got} != {bad}")
        m = s.metrics()
        pk = sum_metric(m, "sluice_dpdk_rx_packets_total")
        acc = (sum_metric(m, "sluice_rx_datagrams_total") +
               sum_metric(m, "sluice_dpdk_arp_replies_total") +
               sum_metric(m, "sluice_dpdk_rx_dropped_total"))
        check(pk == acc and pk >= 200, f"{pk} frames, {acc} accounted for")
        rc, _ = s.stop()
        check(rc == 0, f"exit {rc}: {s.logtext()[-2000:]}")
    finally:
        s.close()


def test_no_allocation_per_packet(binary):
    """net_pcap replaying a file of StatsD datagrams, ARP requests and
    strangers forever (infinite_rx): while the shard takes millions of
    frames it makes no allocation from the process heap
    (alloc_count/alloc_count.c, as test_shard_heap.py) and less than one
    block from its own heap per thousand frames (the head's blocks, not
    the packets). Skips in sanitizer builds and without a C compiler."""
    need_dpdk(binary)
    if heap.sanitized(binary):
        raise Skip("sanitizer build: ASan owns malloc")
    with tempfile.TemporaryDirectory(prefix="sluice-dpdk-") as tmp:
        so = heap.build_shim(tmp)
        out = os.path.join(tmp, "allocs.txt")
        frames = []
        for k in range(256):
            frames.append(fr.udp_frame(OUR_IP, STATSD_PORT,
                                       f"alloc.m{k % 16}:1|c\nalloc.g:{k}|g"
                                       .encode(), sport=20000 + k))
            if k % 16 == 0:
                frames += [fr.arp_frame(1, OUR_IP), fr.ipv6_frame(9),
                           fr.udp_frame(OUR_IP, 9999, b"x:1|c")]
        rx = os.path.join(tmp, "rx.pcap")
        fr.write_pcap(rx, frames)
        eal = (f"--no-huge --no-pci -m 512 --no-telemetry --file-prefix "
               f"{PREFIX}-{uuid.uuid4().hex[:8]} --vdev "
               f"net_pcap0,rx_pcap={rx},infinite_rx=1")
        os.environ.update(LD_PRELOAD=so, ALLOC_COUNT_OUT=out)
        try:
            s = start(binary, tmp, [], [], cores="1", eal=eal)
        finally:
            del os.environ["LD_PRELOAD"], os.environ["ALLOC_COUNT_OUT"]
        try:
            time.sleep(1.0)  # every series made, the first blocks sealed
            before = heap.noted(out)
            f0 = s.total("sluice_dpdk_rx_packets_total")
            h0 = s.total("sluice_shard_heap_allocations_total")
            time.sleep(1.5)
            f1 = s.total("sluice_dpdk_rx_packets_total")
            h1 = s.total("sluice_shard_heap_allocations_total")
            after = heap.noted(out)
            check(len(before) > 0, "the shim saw no shard start-up")
            check(f1 - f0 > 100000, f"only {f1 - f0} frames replayed")
            check(after == before, f"{len(after) - len(before)} process-heap "
                  f"allocations by the shard during {f1 - f0} frames: "
                  f"{after[len(before):][:20]}")
            check((h1 - h0) * 1000 < f1 - f0, f"{h1 - h0} shard-heap "
                  f"allocations during {f1 - f0} frames")
            check(s.total("sluice_dpdk_arp_replies_total") > 0 and
                  s.total("sluice_dpdk_rx_dropped_total", reason="ipv6") > 0,
                  "ARP replies and drops were part of the traffic")
            print(f"  {f1 - f0} frames, {h1 - h0} shard-heap and no "
                  "process-heap allocations")
        finally:
            s.close()


def sh(*cmd, check_rc=True):
    r = subprocess.run(list(cmd), capture_output=True, text=True, timeout=60)
    if check_rc and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    return r


class Veth:
    """A veth pair: one end (ours) for net_af_packet, the other in a
    network namespace of its own with NS_IP, where the kernel's UDP stack
    sends (and resolves --dpdk-ip by ARP, answered by sluice)."""

    def __init__(self, ns_ip, prefix):
        tag = uuid.uuid4().hex[:6]
        self.ns, self.ours, self.theirs = f"slt{tag}", f"sla{tag}", \
            f"slb{tag}"
        try:
            sh("ip", "netns", "add", self.ns)
        except (RuntimeError, FileNotFoundError, OSError) as e:
            raise Skip(f"cannot make a network namespace: {e}")
        try:
            sh("ip", "link", "add", self.ours, "type", "veth", "peer",
               "name", self.theirs)
            sh("ip", "link", "set", self.theirs, "netns", self.ns)
            sh("ip", "link", "set", self.ours, "up")
            self.run("ip", "addr", "add", f"{ns_ip}/{prefix}", "dev",
                     self.theirs)
            self.run("ip", "link", "set", self.theirs, "up")
            self.run("ip", "link", "set", "lo", "up")
        except Exception:
            self.close()
            raise

    def run(self, *cmd, check_rc=True):
        return sh("ip", "netns", "exec", self.ns, *cmd, check_rc=check_rc)

    def close(self):
        sh("ip", "link", "del", self.ours, check_rc=False)
        sh("ip", "netns", "del", self.ns, check_rc=False)


def test_af_packet_veth_kernel_sender(binary):
    """net_af_packet on a veth pair, two queue pairs on two shards; the
    kernel's UDP stack in another namespace sends (`sluice bench`, two
    threads: two source ports; then 64 one-datagram flows), after
    resolving --dpdk-ip by ARP, which only sluice answers. Every line
    sent is ingested, and both shards receive flows."""
    need_dpdk(binary)
    ip = "10.77.0.5"
    v = Veth("10.77.0.2", 24)
    try:
        eal = (f"--no-huge --no-pci -m 512 --no-telemetry --file-prefix "
               f"{PREFIX}-{uuid.uuid4().hex[:8]} --vdev "
               f"net_af_packet0,iface={v.ours},qpairs=2")
        s = start(binary, None, [], [], eal=eal, ip=ip)
        try:
            r = v.run(binary, "bench", "statsd", "--target",
                      f"{ip}:{STATSD_PORT}", "--rate", "20k", "--duration",
                      "1", "--threads", "2", "--series", "500")
            sent = int(re.search(r"^lines sent (\d+)", r.stdout,
                                 re.M).group(1))
            check(sent > 10000, f"bench sent {sent}: {r.stdout}")
            got = s.wait_total("sluice_points_ingested_total", sent,
                               timeout=10)
            check(got == sent, f"ingested {got} of {sent} lines")
            # 64 more flows (a socket, so a source port, each): the
            # device's hash spreads them over both queues, both shards.
            v.run(sys.executable, "-c",
                  "import socket\n"
                  "for i in range(64):\n"
                  "    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                  f"    u.sendto(b'flows.x:1|c', ('{ip}', {STATSD_PORT}))\n"
                  "    u.close()\n")
            got = s.wait_total("sluice_points_ingested_total", sent + 64,
                               timeout=10)
            check(got == sent + 64, f"ingested {got} of {sent + 64} lines")
            for shard in (0, 1):
                n = s.total("sluice_rx_datagrams_total", shard=shard,
                            listener="statsd_udp")
                check(n > 0, f"shard {shard} received no datagram: the "
                      "flows were not spread over the two queues")
            check(s.total("sluice_dpdk_arp_replies_total") >= 1,
                  "the sender's ARP request was not answered")
            check(s.total("sluice_parse_errors_total") == 0, "parse errors")
            for reason in ("bad_checksum", "truncated", "fragment"):
                n = s.total("sluice_dpdk_rx_dropped_total", reason=reason)
                check(n == 0, f"{n} frames dropped as {reason}")
            rc, _ = s.stop()
            check(rc == 0, f"exit {rc}")
        finally:
            s.close()
    finally:
        v.close()


if __name__ == "__main__":
    main([test_pcap_two_queues, test_usage_errors,
          test_kernel_listeners_beside_dpdk, test_tap_rss_and_checksum_offload,
          test_no_allocation_per_packet,
          test_af_packet_veth_kernel_sender])
