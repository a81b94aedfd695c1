"""TCP/UDP session model and the packet/frame builders.

A session's application dialogue is a list of (time, direction, payload) with direction 0 for the
originator (internal client) and 1 for the responder. `simulate` turns it into TCP packets as a
sensor next to the client would see them: three-way handshake, MSS-sized data segments, delayed /
piggy-backed ACKs, and the close (FIN exchange, RST, or nothing if the connection is still open).

`zeek_stats` derives the conn.log counters (packets, IP bytes, payload bytes, history, state) from
the very same packet list, so the logs and the capture agree.
"""
from __future__ import annotations

import struct

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
MSS = 1460
SYN_OPTS = b"\x02\x04\x05\xb4\x01\x03\x03\x08\x01\x01\x04\x02"  # MSS 1460, NOP, WS 8, NOP, NOP, SACK-perm


def simulate(events, t0: float, rtt: float, close: str, t_close: float, syn_retries=(3.0, 6.0)):
    """Return the packet list [(t, dir, flags, payload)] sorted by time.

    close: 'fin_o' | 'fin_r' | 'rst_o' | 'rst_r' | 'open' | 's0' | 'rej'
    """
    if close == "s0":
        pk = [(t0, 0, SYN, b"")]
        t = t0
        for d in syn_retries:
            t += d
            pk.append((t, 0, SYN, b""))
        return pk
    if close == "rej":
        return [(t0, 0, SYN, b""), (t0 + rtt, 1, RST | ACK, b"")]

    srv_ack = rtt + min(0.02, rtt)  # server ACK as seen at the client-side sensor
    cli_ack = 0.04  # client delayed ACK
    pk = [(t0, 0, SYN, b""), (t0 + rtt, 1, SYN | ACK, b""), (t0 + rtt + 0.00004, 0, ACK, b"")]
    pending = None  # (side_that_owes_ack, due_time)
    last_sent = [t0 + rtt + 0.00004, t0 + rtt]
    for (t, d, data) in events:
        if t <= last_sent[d]:
            t = last_sent[d] + 0.000001
        if pending is not None:
            ps, pt = pending
            if pt <= t:
                pk.append((pt, ps, ACK, b""))
                pending = None
            elif ps == d:
                pending = None  # the ACK rides on this data segment
        n = len(data)
        tt = t
        if n <= MSS:
            pk.append((tt, d, ACK | PSH, data))
        else:
            segs = [data[i:i + MSS] for i in range(0, n, MSS)]
            gap = 0.00002 if d == 0 else max(0.00005, rtt / 40)
            for k, seg in enumerate(segs):
                last = k == len(segs) - 1
                pk.append((tt, d, ACK | (PSH if last else 0), seg))
                if d == 1 and k % 2 == 1 and not last:  # the client ACKs every second full segment
                    pk.append((tt + 0.00003, 0, ACK, b""))
                tt += gap
        last_sent[d] = tt
        recv = 1 - d
        due = tt + (srv_ack if recv == 1 else cli_ack)
        if pending is None:
            pending = (recv, due)
    last_t = pk[-1][0] if pk else t0
    if pending is not None and pending[1] < t_close:
        pk.append((pending[1], pending[0], ACK, b""))
    t_close = max(t_close, last_t + 0.0001)
    if close == "fin_o":
        pk += [(t_close, 0, FIN | ACK, b""), (t_close + srv_ack, 1, FIN | ACK, b""),
               (t_close + srv_ack + 0.00004, 0, ACK, b"")]
    elif close == "fin_r":
        pk += [(t_close, 1, FIN | ACK, b""), (t_close + 0.0003, 0, FIN | ACK, b""),
               (t_close + 0.0003 + srv_ack, 1, ACK, b"")]
    elif close == "rst_o":
        pk.append((t_close, 0, RST | ACK, b""))
    elif close == "rst_r":
        pk.append((t_close, 1, RST, b""))
    pk.sort(key=lambda p: p[0])
    return pk


_STATE = {"fin_o": "SF", "fin_r": "SF", "rst_o": "RSTO", "rst_r": "RSTR", "open": "S1", "s0": "S0", "rej": "REJ"}
# connections already established when the sensor started (no SYN seen): Zeek's endpoints are
# TCP_PARTIAL, which conn_state() treats as inactive
_STATE_PARTIAL = {"fin_o": "SF", "fin_r": "SF", "rst_o": "OTH", "rst_r": "RSTRH", "open": "OTH"}


def trim_partial(pk, t0: float):
    """Packets a sensor started at t0 sees of a connection opened earlier: from the first
    client packet at or after t0."""
    for i, p in enumerate(pk):
        if p[0] >= t0 and p[1] == 0:
            return pk[i:]
    return []
_LETTERS: dict = {}


def _letters(key):
    d, f, has_data = key
    out = []
    if f & SYN:
        out.append("H" if f & ACK else "S")
    elif f & RST:
        out.append("R")
    elif f & FIN:
        if has_data:
            out.append("D")
        out.append("F")
    elif has_data:
        out.append("D")
    else:
        out.append("A")
    res = tuple(c if d == 0 else c.lower() for c in out)
    _LETTERS[key] = res
    return res


def zeek_stats(pk, close: str, partial: bool = False):
    """conn.log counters (packets, IP bytes, payload bytes, history, state) for a packet list."""
    op = rp = ob = rb = osyn = rsyn = 0
    seen = set()
    hist = []
    get = _LETTERS.get
    for (t, d, f, p) in pk:
        n = len(p)
        if d:
            rp += 1
            rb += n
        else:
            op += 1
            ob += n
        if f & SYN:
            if d:
                rsyn += 1
            else:
                osyn += 1
        key = (d, f, n > 0)
        for c in get(key) or _letters(key):
            if c not in seen:
                seen.add(c)
                hist.append(c)
    so = len(SYN_OPTS)
    return {
        "duration": pk[-1][0] - pk[0][0], "orig_pkts": op, "resp_pkts": rp, "orig_bytes": ob, "resp_bytes": rb,
        "orig_ip_bytes": 40 * op + ob + so * osyn, "resp_ip_bytes": 40 * rp + rb + so * rsyn,
        "history": "".join(hist), "conn_state": (_STATE_PARTIAL if partial else _STATE)[close],
    }


# ----------------------------------------------------------------------------------------------
# Frame building (Ethernet / IPv4 / TCP / UDP) with correct checksums
# ----------------------------------------------------------------------------------------------


def checksum(data: bytes) -> int:
    """RFC 1071 Internet checksum (one's-complement sum == value mod 0xffff)."""
    if len(data) & 1:
        data += b"\x00"
    s = int.from_bytes(data, "big") % 0xFFFF
    if s == 0 and any(data):
        s = 0xFFFF
    return (~s) & 0xFFFF


class Endpoint:
    __slots__ = ("ip", "mac", "ttl", "ipid")

    def __init__(self, ip: bytes, mac: bytes, ttl: int, ipid: int):
        self.ip, self.mac, self.ttl, self.ipid = ip, mac, ttl, ipid


def _ipv4(src: Endpoint, dst: Endpoint, proto: int, l4: bytes) -> bytes:
    src.ipid = (src.ipid + 1) & 0xFFFF
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), src.ipid, 0x4000, src.ttl, proto, 0, src.ip, dst.ip)
    c = checksum(hdr)
    return hdr[:10] + struct.pack("!H", c) + hdr[12:] + l4


def tcp_frames(pk, cli: Endpoint, srv: Endpoint, cli_mac_dst: bytes, srv_mac_dst: bytes, sport: int,
               dport: int, isn_c: int, isn_s: int, until: float, out: list, skip: int = 0):
    """Append (ts, frame) for packets with t < until (checksums computed incrementally: the
    one's-complement sum of a byte string equals its big-endian integer value mod 0xffff)."""
    nxt = [isn_c, isn_s]
    ends = (cli, srv)
    ports = ((sport, dport), (dport, sport))
    eth = (cli_mac_dst + cli.mac + b"\x08\x00", srv_mac_dst + srv.mac + b"\x08\x00")
    ps = (int.from_bytes(cli.ip + srv.ip, "big") % 0xFFFF + 6, int.from_bytes(srv.ip + cli.ip, "big") % 0xFFFF + 6)
    win = (0x0402, 0x01F5)
    hpack = struct.Struct("!HHIIBBHHH").pack
    ipack = struct.Struct("!BBHHHBBH4s4s").pack
    append = out.append
    for i, (t, d, f, p) in enumerate(pk):
        if t >= until:
            break
        if f & SYN:
            seq = isn_c if d == 0 else isn_s
            nxt[d] = seq + 1
            opts = SYN_OPTS
            w = 64240 if d == 0 else 65160
        else:
            seq = nxt[d]
            nxt[d] = (seq + len(p) + (f & FIN)) & 0xFFFFFFFF
            opts = b""
            w = win[d]
        ack = nxt[1 - d] if f & ACK else 0
        if i < skip:  # before the sensor started: advance sequence numbers only
            continue
        sp, dp = ports[d]
        hl = 20 + len(opts)
        seg_len = hl + len(p)
        hdr = hpack(sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, (hl // 4) << 4, f, w, 0, 0) + opts
        pl = p if not (len(p) & 1) else p + b"\x00"
        s_ = (ps[d] + seg_len + int.from_bytes(hdr, "big") + int.from_bytes(pl, "big")) % 0xFFFF
        c = (~s_) & 0xFFFF if s_ else 0
        a, b = ends[d], ends[1 - d]
        a.ipid = (a.ipid + 1) & 0xFFFF
        ip = ipack(0x45, 0, 20 + seg_len, a.ipid, 0x4000, a.ttl, 6, 0, a.ip, b.ip)
        ic = int.from_bytes(ip, "big") % 0xFFFF
        ic = (~ic) & 0xFFFF if ic else 0
        append((t, b"".join((eth[d], ip[:10], struct.pack("!H", ic), ip[12:], hdr[:16], struct.pack("!H", c),
                             hdr[18:], p))))


def udp_frame(t, src: Endpoint, dst: Endpoint, dst_mac: bytes, sport: int, dport: int, payload: bytes):
    ln = 8 + len(payload)
    udp = struct.pack("!HHHH", sport, dport, ln, 0)
    pseudo = src.ip + dst.ip + struct.pack("!BBH", 0, 17, ln)
    c = checksum(pseudo + udp + payload) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", c)
    return (t, dst_mac + src.mac + b"\x08\x00" + _ipv4(src, dst, 17, udp + payload))


def write_pcap(path: str, frames):
    """Classic libpcap, microsecond timestamps, LINKTYPE_ETHERNET. `frames` must be time-sorted."""
    pack = struct.Struct("<IIII").pack
    with open(path, "wb", buffering=1 << 20) as fh:
        fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        buf = []
        for t, fr in frames:
            us = int(round(t * 1e6))
            sec, usec = divmod(us, 1000000)
            buf.append(pack(sec, usec, len(fr), len(fr)))
            buf.append(fr)
            if len(buf) > 20000:
                fh.write(b"".join(buf))
                buf = []
        fh.write(b"".join(buf))
