#!/usr/bin/env python3
"""Hostile inputs for the bounds of issue 16, generated (no big files in the repo).

    python3 bench/hostile.py CASE SIZE OUT

Then measure the release binary, e.g.
    /usr/bin/time -f "%e s %M KB" target/release/pubsub-hunt hunt OUT -q; echo "exit $?"

Cases (SIZE is the count the case names):
  mqtt-partial  SIZE flows to port 1883, each holding a partial 60 KB MQTT PUBLISH
  snapcut       one flow: a hole, then SIZE snap-length-cut segments (54-byte snaplen)
  xmpp          one XMPP flow: an unclosed <message> repeated to SIZE bytes, 1000-byte segments
  stomp         one STOMP flow: SEND frames without NUL, SIZE bytes, 1000-byte segments
  amqp10        one AMQP 1.0 frame with SIZE nested described values
  pcap-incl     pcap: a packet, a record with incl_len 0xFFFFFFFF, then SIZE good packets
  pcapng-len    pcapng: a packet, a block whose length is 0xFFFFFFFF, then SIZE good packets
  pcapng-epb    pcapng: a packet, an EPB whose caplen exceeds its block, then SIZE packets
  app-groups    SIZE hosts, each one MQTT session to port 1883 that subscribes to 64 long (500-byte)
                topics and publishes 4,096 messages, then closes: the heaviest per-group state
"""

import struct
import sys

ETH = b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00"


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, payload, proto=6):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, proto, 0,
                      bytes(src), bytes(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def tcp(sport, dport, seq, ack, flags, payload):
    return struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 0x50,
                       flags, 65535, 0, 0) + payload


def frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    return ETH + ipv4(src, dst, tcp(sport, dport, seq, ack, flags, payload))


FIN, SYN, ACK, PSH = 0x01, 0x02, 0x10, 0x08


class Pcap:
    def __init__(self, out, snaplen=65535):
        self.f = open(out, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, 1))
        self.t = 1_700_000_000 * 1_000_000

    def packet(self, data, caplen=None, orig=None):
        caplen = len(data) if caplen is None else caplen
        self.t += 1000
        self.f.write(struct.pack("<IIII", self.t // 1_000_000, self.t % 1_000_000, caplen,
                                 orig if orig is not None else len(data)))
        self.f.write(data[:caplen])

    def raw(self, b):
        self.f.write(b)


def session(p, n, dport, client_bytes, seg=1000, server_first=b""):
    """A handshake from client n, then the client's bytes in `seg`-byte segments."""
    c = [10, (n >> 16) & 255, (n >> 8) & 255, n & 255]
    s = [192, 168, 0, 1]
    sport = 1024 + (n % 60000)
    p.packet(frame(c, s, sport, dport, 1000, 0, SYN))
    p.packet(frame(s, c, dport, sport, 5000, 1001, SYN | ACK))
    seq = 1001
    for i in range(0, len(client_bytes), seg):
        chunk = client_bytes[i:i + seg]
        p.packet(frame(c, s, sport, dport, seq, 5001, PSH | ACK, chunk))
        seq += len(chunk)


def mqtt_connect(cid):
    var = b"\x00\x04MQTT\x04\x02\x00\x3c"
    payload = struct.pack("!H", len(cid)) + cid
    body = var + payload
    return b"\x10" + bytes([len(body)]) + body


def mqtt_remaining(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def mqtt_subscribe(filters):
    body = struct.pack("!H", 1)
    for f_ in filters:
        body += struct.pack("!H", len(f_)) + f_ + b"\x00"
    return b"\x82" + mqtt_remaining(len(body)) + body


def app_group(p, n):
    """Host n: CONNECT, SUBSCRIBE to 64 long topics, 4,096 short PUBLISHes (40 a segment), FIN.
    Written segment by segment, so the file streams out whatever SIZE is."""
    c = [10, (n >> 16) & 255, (n >> 8) & 255, n & 255]
    s = [192, 168, 0, 1]
    sport = 1024 + (n % 60000)
    p.packet(frame(c, s, sport, 1883, 1000, 0, SYN))
    p.packet(frame(s, c, 1883, sport, 5000, 1001, SYN | ACK))
    seq = 1001
    filters = [(b"h%d/%02d/" % (n, i)).ljust(500, b"x") for i in range(64)]
    publish = b"".join(b"\x30" + mqtt_remaining(2 + 5 + 8) + struct.pack("!H", 5) + b"t/out" +
                       struct.pack("!Q", i) for i in range(40))
    chunks = [mqtt_connect(b"c%d" % n), mqtt_subscribe(filters)]
    chunks += [publish] * (4096 // 40) + [publish[:(4096 % 40) * len(publish) // 40]]
    for chunk in chunks:
        for i in range(0, len(chunk), 1400):
            part = chunk[i:i + 1400]
            p.packet(frame(c, s, sport, 1883, seq, 5001, PSH | ACK, part))
            seq += len(part)
    p.packet(frame(c, s, sport, 1883, seq, 5001, FIN | ACK))
    p.packet(frame(s, c, 1883, sport, 5001, seq + 1, FIN | ACK))


def main():
    case, size, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if case == "mqtt-partial":
        p = Pcap(out)
        topic = b"t/x"
        body_len = 61440
        publish = b"\x30" + mqtt_remaining(body_len) + struct.pack("!H", len(topic)) + topic
        partial = publish + b"A" * (60000 - len(publish))
        for n in range(size):
            session(p, n, 1883, mqtt_connect(b"c%d" % n) + partial, seg=1400)
    elif case == "app-groups":
        p = Pcap(out)
        for n in range(size):
            app_group(p, n)
    elif case == "snapcut":
        p = Pcap(out, snaplen=54)
        c, s = [10, 0, 0, 1], [192, 168, 0, 1]
        p.packet(frame(c, s, 40000, 1883, 1000, 0, SYN))
        p.packet(frame(s, c, 1883, 40000, 5000, 1001, SYN | ACK))
        seq = 1001 + 1460  # the first segment is lost: a hole
        for _ in range(size):
            f = frame(c, s, 40000, 1883, seq, 5001, ACK, b"B" * 1460)
            p.packet(f, caplen=54, orig=len(f))
            seq += 1460
    elif case == "xmpp":
        head = (b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                b"xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>")
        body = head + b"<message>" * (size // 9)
        p = Pcap(out)
        session(p, 1, 5222, body)
    elif case == "stomp":
        body = b"CONNECT\naccept-version:1.2\nhost:/\n\n\0"
        frame_ = b"SEND\ndestination:/queue/a\n\n" + b"x" * 30 + b"\n"
        body += frame_ * (size // len(frame_))
        p = Pcap(out)
        session(p, 1, 61613, body)
    elif case == "amqp10":
        # open performative whose first field is `size` nested described values
        nested = b"\x00\x53\x00" * size + b"\x40"
        fields = nested
        lst = b"\xd0" + struct.pack("!II", len(fields) + 4, 1) + fields
        perf = b"\x00\x53\x10" + lst
        fr = struct.pack("!IBBH", 8 + len(perf), 2, 0, 0) + perf
        p = Pcap(out)
        session(p, 1, 5672, b"AMQP\x00\x01\x00\x00" + fr, seg=1400)
    elif case == "pcap-incl":
        p = Pcap(out)
        c, s = [10, 0, 0, 1], [192, 168, 0, 1]
        p.packet(frame(c, s, 40000, 80, 1, 0, SYN))
        p.raw(struct.pack("<IIII", 1_700_000_001, 0, 0xFFFFFFFF, 0xFFFFFFFF))
        for i in range(size):
            p.packet(frame(c, s, 40001 + i % 1000, 80, 1, 0, SYN))
    elif case in ("pcapng-len", "pcapng-epb"):
        f = open(out, "wb")
        shb_body = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
        f.write(struct.pack("<II", 0x0A0D0D0A, 12 + len(shb_body)) + shb_body +
                struct.pack("<I", 12 + len(shb_body)))
        idb_body = struct.pack("<HHI", 1, 0, 65535)
        f.write(struct.pack("<II", 1, 12 + len(idb_body)) + idb_body +
                struct.pack("<I", 12 + len(idb_body)))
        c, s = [10, 0, 0, 1], [192, 168, 0, 1]

        def epb(data, caplen=None):
            caplen = len(data) if caplen is None else caplen
            pad = data + b"\0" * (-len(data) % 4)
            body = struct.pack("<IIIII", 0, 0, 0, caplen, len(data)) + pad
            return struct.pack("<II", 6, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))

        f.write(epb(frame(c, s, 40000, 80, 1, 0, SYN)))
        if case == "pcapng-len":
            f.write(struct.pack("<II", 6, 0xFFFFFFFF) + b"\0" * 20)
        else:
            f.write(epb(frame(c, s, 40000, 80, 1, 0, SYN), caplen=4000))
        for i in range(size):
            f.write(epb(frame(c, s, 40001 + i % 1000, 80, 1, 0, SYN)))
    else:
        sys.exit("unknown case " + case)


if __name__ == "__main__":
    main()
