#!/usr/bin/env python3
"""Self-check of a generated directory (standard library only).

    validate.py DIR

* Zeek TSV: header lines, column count == #fields on every row, typed fields parse, uids unique
  in conn.log, every ssl/dns uid exists in conn.log;
* capture.pcap: classic libpcap magic / Ethernet link type, every frame parses, IPv4 header
  checksum and TCP/UDP checksums verify, time order, and a first-payload census of the protocols
  (MQTT CONNECT, XMPP stream header, AMQP 0-9-1 header, STOMP CONNECT, TLS ClientHello + SNI,
  DNS);
* sysmon.json: every line is Winlogbeat-shaped Sysmon EID 3 and matches a conn.log row
  (same 4-tuple, start within 1 s); only Windows hosts appear;
* truth.json: every channel's `connections` equals the conn.log rows of its triple, triples are
  unique, pcap_end within [start, end].
Exit code 0 if everything holds.
"""
from __future__ import annotations

import collections
import datetime as dt
import json
import os
import struct
import sys


def checksum_ok(data: bytes) -> bool:
    if len(data) & 1:
        data += b"\x00"
    s = int.from_bytes(data, "big") % 0xFFFF
    return s == 0 and any(data) or (s == 0 and not any(data))


def read_zeek(path):
    hdr = {}
    rows = []
    problems = []
    with open(path, encoding="utf-8") as fh:
        for ln, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if line.startswith("#"):
                k, _, v = line[1:].partition("\t" if not line.startswith("#separator") else " ")
                hdr[k] = v
                continue
            f = line.split("\t")
            if len(f) != len(hdr["fields"].split("\t")):
                problems.append(f"{path}:{ln}: {len(f)} columns")
            rows.append(f)
    fields = hdr["fields"].split("\t")
    types = hdr["types"].split("\t")
    if len(fields) != len(types):
        problems.append(f"{path}: #fields/#types length differ")
    for k in ("separator", "set_separator", "empty_field", "unset_field", "path", "open", "close"):
        if k not in hdr:
            problems.append(f"{path}: missing #{k}")
    for i, (name, typ) in enumerate(zip(fields, types)):
        for f in rows[:5000]:
            v = f[i]
            if v == "-":
                continue
            try:
                if typ in ("time", "interval"):
                    float(v)
                elif typ in ("port", "count"):
                    int(v)
                elif typ == "bool" and v not in ("T", "F"):
                    raise ValueError(v)
            except ValueError:
                problems.append(f"{path}: field {name} bad value {v!r}")
                break
    return fields, rows, problems


def census_pcap(path):
    problems = []
    c = collections.Counter()
    snis = collections.Counter()
    with open(path, "rb") as fh:
        data = fh.read()
    magic, vmaj, vmin, _, _, snap, link = struct.unpack("<IHHiIII", data[:24])
    if magic != 0xA1B2C3D4 or link != 1:
        problems.append(f"pcap magic {magic:#x} link {link}")
    off = 24
    last = 0.0
    n = 0
    seen_flow = set()
    while off < len(data):
        sec, usec, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        fr = data[off + 16:off + 16 + incl]
        off += 16 + incl
        n += 1
        t = sec + usec / 1e6
        if t + 1e-6 < last:
            problems.append(f"frame {n} out of time order")
        last = t
        if fr[12:14] != b"\x08\x00":
            problems.append(f"frame {n} not IPv4")
            continue
        ip = fr[14:34]
        if not checksum_ok(ip):
            c["bad_ip_checksum"] += 1
        tl = struct.unpack("!H", ip[2:4])[0]
        proto = ip[9]
        l4 = fr[34:14 + tl]
        pseudo = ip[12:20] + struct.pack("!BBH", 0, proto, len(l4))
        if not checksum_ok(pseudo + l4):
            c["bad_l4_checksum"] += 1
        if proto == 17:
            c["udp"] += 1
            if 53 in struct.unpack("!HH", l4[:4]):
                c["dns"] += 1
            continue
        c["tcp"] += 1
        sport, dport = struct.unpack("!HH", l4[:4])
        doff = (l4[12] >> 4) * 4
        p = l4[doff:]
        if not p:
            continue
        key = (ip[12:16], sport, ip[16:20], dport)
        if key in seen_flow:
            continue
        seen_flow.add(key)
        if p[0] == 0x10 and b"MQTT" in p[2:10]:
            c["mqtt_connect"] += 1
            c[f"mqtt_connect_port_{dport}"] += 1
        elif p.startswith(b"AMQP\x00\x00\x09\x01"):
            c["amqp091_header"] += 1
        elif p.startswith((b"CONNECT\n", b"STOMP\n")):
            c["stomp_connect"] += 1
        elif b"<stream:stream" in p[:200] or p.startswith(b"<?xml"):
            c["xmpp_stream"] += 1
        elif p[0] == 0x16 and p[5] == 0x01:
            c["tls_client_hello"] += 1
            sni = _sni(p)
            if sni:
                snis[sni.split(".", 1)[1] if sni[0].isdigit() and "courier" in sni else sni] += 1
    c["frames"] = n
    return c, snis, problems


def _sni(p):
    try:
        i = 5 + 4 + 2 + 32
        i += 1 + p[i]
        i += 2 + struct.unpack("!H", p[i:i + 2])[0]
        i += 1 + p[i]
        end = i + 2 + struct.unpack("!H", p[i:i + 2])[0]
        i += 2
        while i < end:
            et, el = struct.unpack("!HH", p[i:i + 4])
            if et == 0:
                n = struct.unpack("!H", p[i + 7:i + 9])[0]
                return p[i + 9:i + 9 + n].decode()
            i += 4 + el
    except Exception:
        return None
    return None


def main(d):
    problems = []
    cf, conn, pr = read_zeek(os.path.join(d, "conn.log"))
    problems += pr
    sf, ssl, pr = read_zeek(os.path.join(d, "ssl.log"))
    problems += pr
    df, dns, pr = read_zeek(os.path.join(d, "dns.log"))
    problems += pr
    ci = {k: i for i, k in enumerate(cf)}
    uids = collections.Counter(r[ci["uid"]] for r in conn)
    dup = [u for u, n in uids.items() if n > 1]
    if dup:
        problems.append(f"{len(dup)} duplicate conn uids")
    for name, rows, fields in (("ssl", ssl, sf), ("dns", dns, df)):
        ui = fields.index("uid")
        missing = sum(1 for r in rows if r[ui] not in uids)
        if missing:
            problems.append(f"{missing} {name}.log uids not in conn.log")
    states = collections.Counter(r[ci["conn_state"]] for r in conn)
    services = collections.Counter(r[ci["service"]] for r in conn)

    # sysmon vs conn
    tuples = collections.defaultdict(list)
    for r in conn:
        if r[ci["proto"]] == "tcp":
            tuples[(r[ci["id.orig_h"]], r[ci["id.orig_p"]], r[ci["id.resp_h"]], r[ci["id.resp_p"]])].append(
                float(r[ci["ts"]]))
    truth = json.load(open(os.path.join(d, "truth.json")))
    win = {h["name"] for h in truth["hosts"] if h["os"] == "windows"}
    n_sys = unmatched = 0
    with open(os.path.join(d, "sysmon.json"), encoding="utf-8") as fh:
        for line in fh:
            e = json.loads(line)
            n_sys += 1
            w = e["winlog"]
            ed = w["event_data"]
            if w["event_id"] != 3 or w["channel"] != "Microsoft-Windows-Sysmon/Operational":
                problems.append("sysmon event shape")
            if e["host"]["name"] not in win:
                problems.append(f"sysmon from non-Windows host {e['host']['name']}")
            k = (ed["SourceIp"], ed["SourcePort"], ed["DestinationIp"], ed["DestinationPort"])
            ts = dt.datetime.strptime(ed["UtcTime"], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=dt.timezone.utc).timestamp()
            if not any(abs(x - ts) <= 1.0 for x in tuples.get(k, ())):
                unmatched += 1
    if unmatched:
        problems.append(f"{unmatched} sysmon events without a matching conn.log row")

    # truth vs conn
    per_triple = collections.Counter((r[ci["id.orig_h"]], r[ci["id.resp_h"]], r[ci["id.resp_p"]]) for r in conn)
    seen = set()
    for ch in truth["channels"]:
        key = (ch["src_ip"], ch["dst_ip"], str(ch["dst_port"]))
        if key in seen:
            problems.append(f"duplicate channel triple {key}")
        seen.add(key)
        if per_triple[key] != ch["connections"]:
            problems.append(f"channel {ch['id']}: truth {ch['connections']} conn rows, log {per_triple[key]}")
    if not (truth["start"] <= truth["pcap_end"] <= truth["end"]):
        problems.append("pcap_end outside [start, end]")

    census, snis, pr = census_pcap(os.path.join(d, "capture.pcap"))
    problems += pr
    if census["bad_ip_checksum"] or census["bad_l4_checksum"]:
        problems.append(f"bad checksums: {census['bad_ip_checksum']} IP, {census['bad_l4_checksum']} TCP/UDP")
    labels = collections.Counter((c["label"], c["category"]) for c in truth["channels"])
    print(json.dumps({
        "conn_rows": len(conn), "ssl_rows": len(ssl), "dns_rows": len(dns), "sysmon_events": n_sys,
        "conn_state": dict(states.most_common()), "service": dict(services.most_common()),
        "pcap": dict(census), "top_sni": dict(snis.most_common(12)),
        "channels": {f"{k[0]}/{k[1]}": v for k, v in sorted(labels.items())},
    }, indent=1))
    if problems:
        print("PROBLEMS:")
        for p in problems[:50]:
            print(" ", p)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
