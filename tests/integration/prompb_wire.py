"""Prometheus remote-read/remote-write on the wire, written from the
formats' descriptions for the tests (no snappy or protobuf module is
needed): snappy block format, protobuf varints and fields, the prompb
messages the tests send and read, the CRC32C-framed stream of
ChunkedReadResponse, and a decoder of Prometheus' XOR (Gorilla) chunks."""

import struct

# ---- snappy block format -------------------------------------------------


def uvarint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def read_uvarint(b, i):
    shift = n = 0
    while True:
        c = b[i]
        i += 1
        n |= (c & 0x7F) << shift
        if c < 0x80:
            return n, i
        shift += 7


def snappy_compress(data):
    """A valid snappy block made of literals only."""
    out = bytearray(uvarint(len(data)))
    for off in range(0, len(data), 65536):
        lit = data[off:off + 65536]
        n = len(lit) - 1
        if n < 60:
            out.append(n << 2)
        elif n < 256:
            out += bytes([60 << 2, n])
        else:
            out += bytes([61 << 2]) + struct.pack("<H", n)
        out += lit
    return bytes(out)


def snappy_uncompress(b):
    size, i = read_uvarint(b, 0)
    out = bytearray()
    while i < len(b):
        tag = b[i]
        i += 1
        kind = tag & 3
        if kind == 0:
            n = tag >> 2
            if n >= 60:
                k = n - 59
                n = int.from_bytes(b[i:i + k], "little")
                i += k
            n += 1
            out += b[i:i + n]
            i += n
            continue
        if kind == 1:
            n = ((tag >> 2) & 7) + 4
            off = ((tag >> 5) << 8) | b[i]
            i += 1
        elif kind == 2:
            n = (tag >> 2) + 1
            off = int.from_bytes(b[i:i + 2], "little")
            i += 2
        else:
            n = (tag >> 2) + 1
            off = int.from_bytes(b[i:i + 4], "little")
            i += 4
        for _ in range(n):
            out.append(out[-off])
    assert len(out) == size, (len(out), size)
    return bytes(out)

# ---- protobuf ----------------------------------------------------------------


def field_varint(f, v):
    return uvarint(f << 3) + uvarint(v & 0xFFFFFFFFFFFFFFFF)


def field_bytes(f, b):
    if isinstance(b, str):
        b = b.encode()
    return uvarint(f << 3 | 2) + uvarint(len(b)) + b


def field_double(f, v):
    return uvarint(f << 3 | 1) + struct.pack("<d", v)


def fields(b):
    """[(field, value)]: ints for varints and fixed64 (raw bytes kept as
    bytes for I64 too), bytes for length-delimited."""
    out, i = [], 0
    while i < len(b):
        tag, i = read_uvarint(b, i)
        f, wt = tag >> 3, tag & 7
        if wt == 0:
            v, i = read_uvarint(b, i)
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        elif wt == 2:
            n, i = read_uvarint(b, i)
            v, i = b[i:i + n], i + n
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError(f"wire type {wt}")
        out.append((f, v))
    return out


def s64(v):
    return v - (1 << 64) if v >= 1 << 63 else v

# ---- prompb --------------------------------------------------------------

EQ, NEQ, RE, NRE = 0, 1, 2, 3
SAMPLES, STREAMED_XOR_CHUNKS = 0, 1


def read_request(queries, accepted=()):
    """queries: [(start_ms, end_ms, [(type, name, value)])]."""
    body = b""
    for start, end, matchers in queries:
        q = field_varint(1, start) + field_varint(2, end)
        for t, n, v in matchers:
            q += field_bytes(3, field_varint(1, t) + field_bytes(2, n) +
                             field_bytes(3, v))
        body += field_bytes(1, q)
    for t in accepted:
        body += field_varint(2, t)
    return body


def write_request(series):
    """series: [({labels}, [(ts_ms, value)])] -> WriteRequest bytes."""
    body = b""
    for labels, samples in series:
        ts = b""
        for k in sorted(labels):
            ts += field_bytes(1, field_bytes(1, k) + field_bytes(2, labels[k]))
        for t, v in samples:
            ts += field_bytes(2, field_double(1, v) + field_varint(2, t))
        body += field_bytes(1, ts)
    return body


def labels_of(msg_fields):
    out = []
    for f, v in msg_fields:
        if f == 1:
            lf = dict(fields(v))
            out.append((lf.get(1, b"").decode(), lf.get(2, b"").decode()))
    return out


def parse_read_response(b):
    """[[ (labels list, [(ts, value)]) ] per query]."""
    results = []
    for f, qr in fields(b):
        assert f == 1
        series = []
        for f2, ts in fields(qr):
            assert f2 == 1
            tf = fields(ts)
            samples = []
            for f3, s in tf:
                if f3 == 2:
                    sf = fields(s)
                    v = struct.unpack("<d", dict(sf).get(1, b"\0" * 8))[0]
                    samples.append((s64(dict(sf).get(2, 0)), v))
            series.append((labels_of(tf), samples))
        results.append(series)
    return results

# ---- streamed chunks -----------------------------------------------------


def _crc32c_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


_T = _crc32c_table()


def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c = _T[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def frames(b):
    """The messages of a uvarint + big-endian CRC32C framed stream."""
    out, i = [], 0
    while i < len(b):
        n, i = read_uvarint(b, i)
        crc = struct.unpack(">I", b[i:i + 4])[0]
        msg = b[i + 4:i + 4 + n]
        assert len(msg) == n, "short frame"
        assert crc32c(msg) == crc, "frame CRC32C mismatch"
        out.append(msg)
        i += 4 + n
    return out


def parse_chunked(b):
    """[(query_index, labels, [(min, max, type, data)])] of a stream."""
    out = []
    for msg in frames(b):
        mf = fields(msg)
        qi = dict(mf).get(2, 0)
        for f, cs in mf:
            if f != 1:
                continue
            cf = fields(cs)
            chunks = []
            for f2, ch in cf:
                if f2 == 2:
                    d = dict(fields(ch))
                    chunks.append((s64(d.get(1, 0)), s64(d.get(2, 0)),
                                   d.get(3, 0), d.get(4, b"")))
            out.append((qi, labels_of(cf), chunks))
    return out


class Bits:
    def __init__(self, b):
        self.b, self.pos = b, 0

    def bit(self):
        v = (self.b[self.pos >> 3] >> (7 - (self.pos & 7))) & 1
        self.pos += 1
        return v

    def bits(self, n):
        v = 0
        for _ in range(n):
            v = (v << 1) | self.bit()
        return v

    def uvarint(self):
        shift = n = 0
        while True:
            c = self.bits(8)
            n |= (c & 0x7F) << shift
            if c < 0x80:
                return n
            shift += 7


def _signed(v, n):
    return v - (1 << n) if v > (1 << (n - 1)) else v


def xor_decode(data):
    """[(ts_ms, value)] of a chunkenc XOR chunk (as Prometheus reads it)."""
    n = struct.unpack(">H", data[:2])[0]
    r = Bits(data[2:])
    out = []
    t = delta = 0
    vbits = lead = trail = 0
    for i in range(n):
        if i == 0:
            z = r.uvarint()
            t = (z >> 1) ^ -(z & 1)
            vbits = r.bits(64)
        else:
            if i == 1:
                delta = r.uvarint()
            else:
                dod = 0
                if r.bit():
                    if not r.bit():
                        dod = _signed(r.bits(14), 14)
                    elif not r.bit():
                        dod = _signed(r.bits(17), 17)
                    elif not r.bit():
                        dod = _signed(r.bits(20), 20)
                    else:
                        dod = s64(r.bits(64))
                delta += dod
            t += delta
            if r.bit():
                if r.bit():
                    lead = r.bits(5)
                    sig = r.bits(6) or 64
                    trail = 64 - lead - sig
                x = r.bits(64 - lead - trail) << trail
                vbits ^= x
        out.append((t, struct.unpack("<d", struct.pack("<Q", vbits))[0]))
    return out
