#!/usr/bin/env python3
"""Independent labelled traffic generator for pub/sub C2 hunting (MQTT, XMPP, AMQP, STOMP).

    generate.py --seed N [--days D | --hours H] --out DIR [--pcap-hours 24] [--ext-style public|doc]

Writes conn.log, ssl.log, dns.log (Zeek TSV), sysmon.json (Winlogbeat Sysmon EID 3), capture.pcap
(libpcap, Ethernet) and truth.json into DIR. Deterministic for a given seed and options.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import c2 as C2  # noqa: E402
import protocols as P  # noqa: E402
import tcp as T  # noqa: E402
import zeek as Z  # noqa: E402
from dialogues import Conv  # noqa: E402
from sysmon import SysmonWriter  # noqa: E402
from util import iso_s, ip2b, is_private, rng, zeek_uid  # noqa: E402
from world import ROUTER_MAC, World  # noqa: E402


def resolve(W, items, dns_events):
    """DNS lookups that precede connections (per-host cache honouring the answer TTL)."""
    cache = {}
    next_port = {}
    recent = {}
    for a, s in sorted(items, key=lambda x: (x[1].start, x[0].id)):
        ep = s.ep
        name = s.extra.get("dns_name") or ep.name
        r = rng(W.seed, "ids", a.id, s.idx)
        lo, hi = a.host.eph
        if a.host.os == "windows":  # Windows hands out ephemeral ports sequentially
            p = next_port.get(a.host.name) or rng(W.seed, "port0", a.host.name).randint(lo, hi)
            p += r.randint(1, 3)
            p = lo + (p - lo) % (hi - lo + 1)
            next_port[a.host.name] = p
        else:  # others pick at random, avoiding a 4-tuple still in TIME_WAIT
            p = r.randint(lo, hi)
            while recent.get((a.host.name, p), -1e18) > s.start - 7200:
                p = r.randint(lo, hi)
        recent[(a.host.name, p)] = s.start
        s.src_port = p
        s.uid = zeek_uid(r)
        s.extra["isn"] = (r.getrandbits(32), r.getrandbits(32))
        if name and not ep.no_dns and not a.meta.get("by_ip") and s.start >= W.T0:
            key = (a.host.name, name)
            c = cache.get(key)
            if c and c[0] > s.start:
                ips = c[1]
            else:
                n = min(ep.answer_n, len(ep.ips))
                k = r.randrange(len(ep.ips))
                ips = (ep.ips[k:] + ep.ips[:k])[:n]
                cnames = []
                if ep.key == "apple":
                    cnames = [name.replace(".push.apple.com", ".push-apple.com.akadns.net")]
                elif ep.cname:
                    cnames = [ep.cname]
                tq = s.start - r.uniform(0.004, 0.08)
                if tq < W.T0:
                    tq = s.start - 0.001
                ttl = ep.dns_ttl
                dns_events.append((tq, a.host, name, 1, cnames, ips, [ttl] * (len(cnames) + len(ips))))
                if a.host.os in ("windows", "macos", "ios"):
                    dns_events.append((tq + r.uniform(0.0002, 0.002), a.host, name, 28, cnames, [], [ttl] * len(cnames)))
                cache[key] = (tq + ttl, ips)
            s.dst_ip = ips[0]
            s.dns_name = name
        elif name and not ep.no_dns and not a.meta.get("by_ip"):  # looked up before the data starts
            s.dst_ip = ep.ips[r.randrange(len(ep.ips))]
            s.dns_name = name
            cache[(a.host.name, name)] = (W.T0 + r.uniform(0, ep.dns_ttl), [s.dst_ip])
        else:
            s.dst_ip = ep.ips[0] if len(ep.ips) == 1 else ep.ips[r.randrange(len(ep.ips))]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, required=True)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--days", type=float, default=None, help="length of the data in days (default 7)")
    g.add_argument("--hours", type=float, default=None, help="length of the data in hours")
    ap.add_argument("--out", required=True)
    ap.add_argument("--pcap-hours", type=float, default=24.0, help="hours covered by capture.pcap (default 24)")
    ap.add_argument("--ext-style", choices=["public", "doc"], default="public",
                    help="external addresses from ordinary public blocks (default) or the RFC 5737 test nets")
    ap.add_argument("--no-background", action="store_true", help="omit the HTTPS web background")
    args = ap.parse_args(argv)
    hours = args.hours if args.hours is not None else 24.0 * (args.days if args.days is not None else 7.0)
    t_start = time.time()
    os.makedirs(args.out, exist_ok=True)

    W = World(args.seed, hours, args.pcap_hours, args.ext_style, background=not args.no_background).build()
    seed = args.seed

    # ---- addresses, ports, uids, DNS
    ids = [a.id for a in W.actors]
    assert len(ids) == len(set(ids)), "duplicate actor ids"
    items = [(a, s) for a in W.actors for s in a.sessions]
    dns_events = []
    resolve(W, items, dns_events)

    # ---- per-session simulation
    conn_rows, ssl_rows, dns_rows = [], [], []
    frames = []
    sysmon = SysmonWriter(seed)
    host_ep = {}
    srv_ep = {}

    def hep(h):
        if h.name not in host_ep:
            host_ep[h.name] = T.Endpoint(ip2b(h.ip), h.mac, h.ttl, rng(seed, "ipid", h.name).randint(0, 65535))
        return host_ep[h.name]

    def sep(ip, ttl):
        if ip not in srv_ep:
            srv_ep[ip] = T.Endpoint(ip2b(ip), ROUTER_MAC, ttl, rng(seed, "ipid", ip).randint(0, 65535))
        return srv_ep[ip]

    stats_by_session = {}
    max_gap_violations = 0
    for a, s in items:
        r = rng(seed, "sess", a.id, s.idx)
        ep = s.ep
        rtt = ep.rtt * r.uniform(0.9, 1.25)
        ssl = None
        events = []
        if s.close not in ("s0", "rej"):
            cv = Conv(r, s.start + rtt + 0.00004, rtt)
            cv.cheap_after = W.pcap_end
            events, ssl = a.runner(W, a, s, cv)
            if events:
                if s.close == "rst_r":  # the server gives up a while after the client's last packet
                    s.t_close = events[-1][0] + min(max(s.t_close - s.t_stop, 1.0), 285.0)
                elif s.close == "open":
                    s.t_close = W.T1
                else:
                    s.t_close = max(s.t_close, events[-1][0] + 0.0005)
                events = [e for e in events if e[0] < s.t_close]
        pk_full = T.simulate(events, s.start, rtt, s.close, s.t_close,
                             syn_retries=(3.0, 6.0) if a.host.os == "windows" else (1.0, 2.0, 4.0))
        if s.close == "open":
            pk_full = [p for p in pk_full if p[0] <= W.T1]
        partial = bool(s.extra.get("pre"))
        pk = T.trim_partial(pk_full, W.T0) if partial else pk_full
        skip = len(pk_full) - len(pk)
        if not pk:
            continue
        st = T.zeek_stats(pk, s.close, partial)
        ts0 = pk[0][0]
        if s.close not in ("s0", "rej", "open"):
            gaps = [b[0] - a_[0] for a_, b in zip(pk, pk[1:])]
            if gaps and max(gaps) > 300:
                max_gap_violations += 1
        stats_by_session[(a.id, s.idx)] = st
        service = "-" if s.close in ("s0", "rej") else a.service
        if partial and not (a.service == "mqtt" and s.port == 1883):
            service = "-"  # mid-stream: only the port-registered MQTT analyzer can still parse it
        local_resp = is_private(s.dst_ip)
        end_t = ts0 + st["duration"]
        conn_rows.append((end_t if s.close != "open" else W.T1 + ts0 / 1e12,
                          Z.conn_line(ts0, s.uid, a.host.ip, s.src_port, s.dst_ip, s.port, "tcp", service, st,
                                      True, local_resp)))
        s.extra["_logged"] = 1
        if ssl and ssl["ts"] >= W.T0:
            ssl_rows.append((ssl["ts"], Z.ssl_line(s.uid, a.host.ip, s.src_port, s.dst_ip, s.port, ssl)))
        # Sysmon EID 3: one per established outbound TCP connection on Windows hosts
        image = s.extra.get("image") or a.image
        if (a.host.sysmon and a.sysmon_logged and s.extra.get("sysmon", True) and image
                and s.close not in ("s0", "rej") and not partial):
            if a.meta.get("proc_per_burst"):
                key, t_proc = ("burst", s.extra.get("burst")), s.extra.get("burst", s.start)
            elif s.extra.get("image") and "mosquitto" in s.extra["image"]:
                key, t_proc = ("sess", s.idx), s.start - 0.05
            else:
                iv = W.interval_index(a.host, s.start)
                key, t_proc = ("iv", iv), (a.host.online[iv][0] + 40 if iv >= 0 else s.start - 60)
            pid, guid = sysmon.process(a.host, image, key, t_proc)
            dh = "-"
            if ep.internal:
                dh = ep.rdns
            elif ep.rdns and r.random() < 0.8:
                dh = ep.rdns
            sysmon.add(s.start + r.uniform(0.0, 0.003), a.host, image, a.user, pid, guid, a.host.ip, s.src_port,
                       s.dst_ip, s.port, dh)
            s.extra["_sysmon"] = 1
        # capture
        if s.start < W.pcap_end:
            T.tcp_frames(pk, hep(a.host), sep(s.dst_ip, ep.ttl_seen), ROUTER_MAC, a.host.mac, s.src_port, s.port,
                         s.extra["isn"][0], s.extra["isn"][1], W.pcap_end, frames, skip)

    # ---- DNS
    resolver = W.srv["dc"]
    res_ep = T.Endpoint(ip2b(resolver.ip), ROUTER_MAC, 127, 1)
    for i, (tq, h, name, qtype, cnames, ips, ttls) in enumerate(dns_events):
        r = rng(seed, "dnsq", i)
        tid = r.randint(0, 65535)
        sport = r.randint(*h.eph)
        uid = zeek_uid(r)
        q = P.dns_query(tid, name, qtype)
        resp = P.dns_response(tid, name, qtype, cnames, ips, ttls)
        rtt = r.uniform(0.0003, 0.002) if r.random() < 0.6 else r.uniform(0.01, 0.06)  # cache hit / recursion
        answers = cnames + ips
        dns_rows.append((tq, Z.dns_line(tq, uid, h.ip, sport, resolver.ip, 53, tid, rtt, name, qtype, answers,
                                        ttls[:len(answers)])))
        st = {"duration": rtt, "orig_bytes": len(q), "resp_bytes": len(resp), "conn_state": "SF", "history": "Dd",
              "orig_pkts": 1, "orig_ip_bytes": 28 + len(q), "resp_pkts": 1, "resp_ip_bytes": 28 + len(resp)}
        conn_rows.append((tq + rtt, Z.conn_line(tq, uid, h.ip, sport, resolver.ip, 53, "udp", "dns", st, True, True)))
        if tq < W.pcap_end:
            frames.append(T.udp_frame(tq, hep(h), res_ep, ROUTER_MAC, sport, 53, q))
            frames.append(T.udp_frame(tq + rtt, res_ep, hep(h), h.mac, 53, sport, resp))

    # ---- write logs
    out = args.out
    n_conn = Z.write_log(os.path.join(out, "conn.log"), "conn", Z.CONN_FIELDS, Z.CONN_TYPES, conn_rows, W.T0, W.T1)
    n_ssl = Z.write_log(os.path.join(out, "ssl.log"), "ssl", Z.SSL_FIELDS, Z.SSL_TYPES, ssl_rows, W.T0, W.T1)
    n_dns = Z.write_log(os.path.join(out, "dns.log"), "dns", Z.DNS_FIELDS, Z.DNS_TYPES, dns_rows, W.T0, W.T1)
    n_sys = sysmon.write(os.path.join(out, "sysmon.json"))
    frames.sort(key=lambda f: f[0])
    T.write_pcap(os.path.join(out, "capture.pcap"), frames)

    # ---- truth
    truth = build_truth(W, items, stats_by_session, args, hours)
    truth["counts"] = {"conn_rows": n_conn, "ssl_rows": n_ssl, "dns_rows": n_dns, "sysmon_events": n_sys,
                       "pcap_packets": len(frames), "sessions_with_idle_gap_over_300s": max_gap_violations}
    with open(os.path.join(out, "truth.json"), "w", encoding="utf-8") as fh:
        json.dump(truth, fh, indent=1)
    dt_run = time.time() - t_start
    labels = {}
    for c in truth["channels"]:
        labels[c["label"]] = labels.get(c["label"], 0) + 1
    print(f"seed {seed}: {hours:g} h, {len(W.hosts)} hosts, {len(truth['channels'])} channels {labels}, "
          f"conn {n_conn}, ssl {n_ssl}, dns {n_dns}, sysmon {n_sys}, pcap packets {len(frames)}; {dt_run:.1f} s",
          file=sys.stderr)
    return 0


def build_truth(W, items, stats, args, hours):
    by_triple = {}
    bg = {}
    items = [(a, s) for a, s in items if s.extra.get("_logged")]
    for a, s in items:
        key = (a.host.ip, s.dst_ip, s.port)
        if a.background:
            b = bg.setdefault((a.category, a.label), {"connections": 0, "triples": set(), "actors": set()})
            b["connections"] += 1
            b["triples"].add(key)
            b["actors"].add(a.id)
            continue
        by_triple.setdefault(key, []).append((a, s))
    # uniqueness: one actor per channel triple, and no background on a channel triple
    for key, lst in by_triple.items():
        ids = {a.id for a, _ in lst}
        if len(ids) > 1:
            raise SystemExit(f"triple {key} shared by {ids}")
    for (cat, lab), b in bg.items():
        clash = b["triples"] & set(by_triple)
        if clash:
            raise SystemExit(f"background {cat} overlaps channel triples {sorted(clash)[:3]}")
    per_actor = {}
    for key in by_triple:
        per_actor.setdefault(by_triple[key][0][0].id, []).append(key)
    channels = []
    for key, lst in sorted(by_triple.items(), key=lambda kv: (kv[1][0][0].label != "c2", kv[1][0][0].id, kv[0])):
        a = lst[0][0]
        sess = [s for _, s in lst]
        starts = sorted(max(s.start, W.T0) for s in sess)
        cid = a.id if len(per_actor[a.id]) == 1 else f"{a.id}@{key[1]}"
        night = False
        for s in sess:
            end = s.t_close
            t = s.start
            while t < end and not night:
                day = int((t + W.tz * 3600) // 86400)
                lh = W.local_hour(t)
                wd = __import__("datetime").datetime.utcfromtimestamp(t + W.tz * 3600).weekday()
                if lh < 5 or wd >= 5:
                    night = True
                t += 1800
            if night:
                break
        st = [stats[(a.id, s.idx)] for s in sess]
        ch = {"connections": len(sess), "starts": starts, "night_or_weekend": night,
              "dst_internal": is_private(key[1]), "pcap_sessions": sum(1 for s in sess if s.start < W.pcap_end),
              "partial_at_start": sum(1 for s in sess if s.extra.get("pre")),
              "sysmon_events": sum(s.extra.get("_sysmon", 0) for s in sess)}
        rev = C2.revealability(W, a, ch)
        names = sorted({s.dns_name for s in sess if s.dns_name})
        channels.append({
            "id": cid, "label": a.label, "category": a.category, "description": a.description,
            "host": a.host.name if a.host.sysmon else None, "host_name": a.host.name, "host_os": a.host.os,
            "src_ip": key[0], "dst_ip": key[1], "dst_port": key[2],
            "protocol": "apns" if a.meta.get("apns") else a.protocol, "service": a.service,
            "process": a.image if a.host.sysmon else None, "user": a.user if a.host.sysmon else None,
            "dst_names": names, "connections": len(sess),
            "established": sum(1 for s in sess if s.close not in ("s0", "rej")),
            "sysmon_events": ch["sysmon_events"], "pcap_connections": ch["pcap_sessions"],
            "open_before_start": ch["partial_at_start"],
            "first_seen": iso_s(starts[0]), "last_seen": iso_s(max(s.t_close for s in sess)),
            "orig_bytes": sum(x["orig_bytes"] for x in st), "resp_bytes": sum(x["resp_bytes"] for x in st),
            "carries_c2_relay_for": a.meta.get("relay_of"),
            "template": a.template, "c2_timing": {k: v for k, v in a.meta.get("c2", {}).items()
                                                   if k in ("style", "period", "jitter")} or None,
            "revealable": rev,
        })
    background = []
    for (cat, lab), b in sorted(bg.items()):
        background.append({"category": cat, "label": lab, "connections": b["connections"],
                           "triples": len(b["triples"]), "actors": len(b["actors"]),
                           "triples_list": [list(t) for t in sorted(b["triples"])] if lab == "c2" else None})
    return {
        "generator": "independent",
        "seed": args.seed,
        "start": iso_s(W.T0), "end": iso_s(W.T1), "pcap_end": iso_s(W.pcap_end),
        "hours": hours, "local_utc_offset_hours": W.tz, "organisation": W.domain, "ad_domain": W.ad,
        "ext_style": args.ext_style,
        "networks": {"servers": W.net_srv + "0/24", "workstations": [n + "0/24" for n in W.net_ws],
                     "wifi": W.net_wifi + "0/24", "iot": W.net_iot + "0/24"},
        "hosts": [{"name": h.name, "ip": h.ip, "os": h.os, "role": h.role, "sysmon": h.sysmon,
                   "presence": h.presence} for h in W.hosts],
        "notes": [
            "A channel is one (src_ip, dst_ip, dst_port) triple; `connections` counts its conn.log rows "
            "(including failed attempts).",
            "Triples not listed under channels are benign background (HTTPS web, DNS) or C2 auxiliary traffic "
            "listed under background with label c2.",
            "capture.pcap covers start..pcap_end only; sessions still open at pcap_end are cut (no FIN).",
            "Sessions still open at `end` are logged in conn.log with conn_state S1 and duration up to `end`.",
            "host is the Sysmon computer name (null for hosts without Sysmon); host_name is always set.",
            "protocol 'apns' marks Apple Push (proprietary binary protocol inside TLS on port 5223).",
        ],
        "channels": channels,
        "background": background,
    }


if __name__ == "__main__":
    sys.exit(main())
