"""Application dialogues: what each kind of client and server say to each other, and when.

Every function returns a list of (time, direction, payload-bytes) events (direction 0 = client,
1 = server) plus, for TLS, a dict with the facts Zeek would put in ssl.log. Times are absolute
(epoch seconds) as seen by a sensor next to the client, so a server answer appears one RTT plus a
little processing time after the request.

Keepalive rule: every persistent client sends something at least every `keepalive` seconds
(MQTT PINGREQ, XMPP ping, AMQP heartbeat, STOMP heart-beat, TLS keepalive record). All the models
keep that below Zeek's 5-minute TCP inactivity timeout, so Zeek logs each session once.
"""
from __future__ import annotations

import base64
import json

import protocols as P
from util import jitter, poisson_times, rbytes, rhex, ralnum


class Conv:
    """Append-only event list with a moving cursor for request/response exchanges."""

    def __init__(self, r, t: float, rtt: float, enc=None):
        self.r, self.t, self.rtt, self.ev = r, t, rtt, []
        self.enc = enc  # None = cleartext
        # after this time (the end of the capture window) payload bodies are reused from a small
        # per-session cache: lengths and timing stay realistic, only the bytes repeat
        self.cheap_after = float("inf")

    def c(self, data, dt: float = 0.0004, raw: bool = False):
        self.t += dt
        self.at(self.t, 0, data, raw)

    def s(self, data, proc: float | None = None, raw: bool = False):
        self.t += self.rtt + (proc if proc is not None else self.r.uniform(0.0003, 0.004))
        self.at(self.t, 1, data, raw)

    def at(self, t: float, d: int, data, raw: bool = False):
        if data.__class__ is str:
            data = data.encode()
        if not raw and self.enc is not None:
            data = self.enc(data)
        self.ev.append((t, d, data))

    def sorted(self):
        self.ev.sort(key=lambda e: e[0])
        return self.ev


def reuse(cv, cache: list, i: int, t: float, fn):
    """fn() inside the capture window; afterwards cycle through up to 24 earlier results."""
    if t >= cv.cheap_after and len(cache) >= 8:
        return cache[i % len(cache)]
    v = fn()
    if len(cache) < 24:
        cache.append(v)
    return v


def fill_keepalive(client_times, t0: float, t1: float, ka: float, r):
    """Times at which an idle client must send a keepalive so that no client-silent gap exceeds ka."""
    out = []
    last = t0
    for t in sorted(client_times) + [t1]:
        while t - last > ka:
            last = last + ka - r.uniform(0, 0.4)
            if last >= t1:
                break
            out.append(last)
        last = max(last, t)
    return out


# ----------------------------------------------------------------------------------------------
# TLS
# ----------------------------------------------------------------------------------------------


def tls_handshake(cv: Conv, sni, alpn, tls13: bool, chain, client_chain=None, profile="openssl",
                  alpn_selected=None):
    """Add a full handshake to the conversation; returns ssl.log facts. Subsequent application data
    must be wrapped with `tls_enc`."""
    r = cv.r
    cv.c(P.tls_client_hello(r, sni, alpn, tls13=tls13, profile=profile), dt=0.0005, raw=True)
    t_hello = cv.t
    if tls13:
        cipher = r.choice([0x1301, 0x1302, 0x1303])
        sh = P.tls_record(0x16, P.tls_server_hello(r, True, cipher, session_id=rbytes(r, 32)))
        enc_len = 40 + sum(len(c) + 5 for c in chain) + 300 + 36
        cv.s(sh + P.TLS_CCS + P.tls_record(0x17, rbytes(r, enc_len)), proc=r.uniform(0.002, 0.012), raw=True)
        extra = b""
        if client_chain:
            extra = P.tls_record(0x17, rbytes(r, sum(len(c) + 5 for c in client_chain) + 300))
        cv.c(P.TLS_CCS + extra + P.tls_record(0x17, rbytes(r, 53)), dt=0.002, raw=True)
        cv.s(P.tls_record(0x17, rbytes(r, r.choice([233, 249, 265]))) * 2, proc=0.001, raw=True)
        names = {0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384",
                 0x1303: "TLS_CHACHA20_POLY1305_SHA256"}
        info = {"version": "TLSv13", "cipher": names[cipher], "curve": "x25519", "ssl_history": "CsiI",
                "cert_chain_fps": None, "client_cert_chain_fps": None, "validation_status": None}
    else:
        cipher = 0xC02F
        msgs = P.tls_server_hello(r, False, cipher, alpn=alpn_selected) + P.tls_certificate_msg(chain)
        msgs += P.tls_server_key_exchange(r)
        hist = "Csxk"
        if client_chain:
            msgs += P.tls_certificate_request()
            hist += "r"
        msgs += P.TLS_SERVER_HELLO_DONE
        hist += "n"
        cv.s(P.tls_record(0x16, msgs), proc=r.uniform(0.002, 0.012), raw=True)
        cmsgs = b""
        if client_chain:
            cmsgs += P.tls_certificate_msg(client_chain)
            hist += "X"
        cmsgs += P.tls_client_key_exchange(r)
        hist += "G"
        if client_chain:
            cmsgs += P.tls_certificate_verify(r)
            hist += "Y"
        cv.c(P.tls_record(0x16, cmsgs) + P.TLS_CCS + P.tls_encrypted_handshake_record(r, 40), dt=0.003, raw=True)
        hist += "Ii"
        cv.s(P.TLS_CCS + P.tls_encrypted_handshake_record(r, 40), proc=0.002, raw=True)
        info = {"version": "TLSv12", "cipher": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "curve": "x25519",
                "ssl_history": hist, "cert_chain_fps": [P.sha256_hex(c) for c in chain],
                "client_cert_chain_fps": [P.sha256_hex(c) for c in client_chain] if client_chain else [],
                "validation_status": "ok"}
    info.update({"server_name": sni, "next_protocol": alpn_selected, "established": True, "ts": t_hello})
    return info


def tls_enc(r, tls13: bool):
    """Wrap plaintext into AES-GCM-sized application-data records of at most 16 KiB each."""
    def enc(b):
        n = len(b)
        if n <= 16384:
            return P.tls_app_record(r, n, tls13)
        return b"".join(P.tls_app_record(r, min(16384, n - i), tls13) for i in range(0, n, 16384))
    return enc


def tls_close(cv: Conv, t: float, tls13: bool, from_client: bool = True):
    cv.at(t, 0 if from_client else 1, P.tls_record(0x17 if tls13 else 0x15, rbytes(cv.r, 19 if tls13 else 26)),
          raw=True)


# ----------------------------------------------------------------------------------------------
# MQTT
# ----------------------------------------------------------------------------------------------


def mqtt_persistent(cv: Conv, t_stop: float, cfg: dict, clean_close: bool):
    """One long MQTT session: CONNECT, SUBSCRIBE, periodic PUBLISH, inbound PUBLISH, PINGREQ."""
    r = cv.r
    v = cfg.get("v", 4)
    cv.c(P.mqtt_connect(cfg["client_id"], cfg["keepalive"], v, cfg.get("username"), cfg.get("password"),
                        clean=cfg.get("clean", True), will=cfg.get("will"), props=cfg.get("connect_props")))
    cv.s(P.mqtt_connack(v))
    pid = 1
    client_times = [cv.t]
    if cfg.get("subs"):
        cv.c(P.mqtt_subscribe(pid, cfg["subs"], v), dt=0.002)
        cv.s(P.mqtt_suback(pid, [q for _, q in cfg["subs"]], v))
        client_times.append(cv.t)
        pid += 1
    for topic, payload, qos, retain in cfg.get("birth", []):
        cv.c(P.mqtt_publish(topic, payload, qos, pid if qos else None, retain, v=v), dt=0.001)
        client_times.append(cv.t)
        if qos:
            cv.s(P.mqtt_puback(pid, v))
            pid += 1
    t_ready = cv.t + 0.01
    # periodic client publishes
    period, jit = cfg.get("period"), cfg.get("jitter", 0.0)
    if period:
        t = t_ready + r.uniform(0.2, 1.0) * period
        k = 0
        cache = []
        enc_cache = {}
        while t < t_stop - 1.0:
            if t >= cv.cheap_after and len(cache) >= 8:
                msgs = cache[k % len(cache)]
            else:
                msgs = cfg["pub"](r, k, t)
                if len(cache) < 24:
                    cache.append(msgs)
            for topic, payload, qos in msgs:
                if qos == 0 and v == 4 and cv.enc is None:
                    key = (topic, payload)
                    pkt = enc_cache.get(key)
                    if pkt is None:
                        pkt = enc_cache[key] = P.mqtt_publish(topic, payload, 0)
                    cv.ev.append((t, 0, pkt))
                else:
                    cv.at(t, 0, P.mqtt_publish(topic, payload, qos, pid if qos else None, v=v))
                client_times.append(t)
                if qos:
                    cv.at(t + cv.rtt + r.uniform(0.0005, 0.004), 1, P.mqtt_puback(pid, v))
                    pid = pid % 65535 + 1
                t += r.uniform(0.002, 0.02)
            k += 1
            t += jitter(r, period, jit) if cfg.get("jitter_mode") != "sub" else period - r.uniform(0, jit * period)
    # extra client publishes at explicit times (event-driven)
    ecache = []
    for i, t in enumerate(cfg.get("event_times", [])):
        if t_ready < t < t_stop - 1.0:
            for topic, payload, qos in reuse(cv, ecache, i, t, lambda: cfg["event_pub"](r, t)):
                cv.at(t, 0, P.mqtt_publish(topic, payload, qos, pid if qos else None, v=v))
                client_times.append(t)
                if qos:
                    cv.at(t + cv.rtt + 0.002, 1, P.mqtt_puback(pid, v))
                    pid = pid % 65535 + 1
    # inbound publishes from the broker
    rate = cfg.get("in_rate", 0.0)
    spid = 1
    icache = []
    for i, t in enumerate(poisson_times(r, t_ready, t_stop - 1.0, rate)):
        if t >= cv.cheap_after and len(icache) >= 8:
            msgs = icache[i % len(icache)]
        else:
            msgs = cfg["in_pub"](r, t)
            if len(icache) < 24:
                icache.append(msgs)
        for topic, payload, qos in msgs:
            cv.at(t, 1, P.mqtt_publish(topic, payload, qos, spid if qos else None, v=v))
            if qos:
                cv.at(t + 0.0008, 0, P.mqtt_puback(spid, v))
                client_times.append(t + 0.0008)
                spid = spid % 65535 + 1
            if cfg.get("on_in"):
                for dt, topic2, payload2 in cfg["on_in"](r, t, topic, payload):
                    cv.at(t + dt, 0, P.mqtt_publish(topic2, payload2, 0, v=v))
                    client_times.append(t + dt)
    for t in fill_keepalive(client_times, client_times[0], t_stop, cfg["keepalive"], r):
        cv.at(t, 0, P.MQTT_PINGREQ)
        cv.at(t + cv.rtt + r.uniform(0.0002, 0.002), 1, P.MQTT_PINGRESP)
    if clean_close:
        cv.at(t_stop - 0.0006, 0, P.MQTT_DISCONNECT)
    return cv.sorted()


def mqtt_checkin(cv: Conv, cfg: dict, task: bytes | None, result: bytes | None):
    """Connect-per-check-in implant (Mythic medusa-mqtt style): CONNECT, SUBSCRIBE, PUBLISH the
    check-in, receive a task if one is queued (retained / queued message), publish the result,
    DISCONNECT. Returns the end time."""
    r = cv.r
    v = cfg.get("v", 4)
    cv.c(P.mqtt_connect(cfg["client_id"](r), cfg.get("keepalive", 60), v, cfg.get("username"),
                        cfg.get("password"), clean=cfg.get("clean", True)))
    cv.s(P.mqtt_connack(v))
    cv.c(P.mqtt_subscribe(1, [(cfg["sub_topic"], cfg.get("qos", 0))], v), dt=0.001)
    cv.s(P.mqtt_suback(1, [cfg.get("qos", 0)], v))
    cv.c(P.mqtt_publish(cfg["pub_topic"], cfg["checkin"](r), 0, v=v), dt=0.002)
    if task is not None:
        cv.s(P.mqtt_publish(cfg["sub_topic"], task, 0, v=v), proc=r.uniform(0.05, 0.6))
        cv.c(P.mqtt_publish(cfg["pub_topic"], result, 0, v=v), dt=r.uniform(0.3, 4.0))
    wait = cfg.get("wait", (0.5, 2.5))
    cv.c(P.MQTT_DISCONNECT, dt=r.uniform(*wait))
    return cv.t + 0.0005


# ----------------------------------------------------------------------------------------------
# XMPP
# ----------------------------------------------------------------------------------------------


def xmpp_open(cv: Conv, cfg: dict):
    """Stream open, (STARTTLS / direct TLS), SASL, bind, session, roster, initial presence.
    Returns ssl facts (or None)."""
    r = cv.r
    dom = cfg["domain"]
    mode = cfg["mode"]
    ssl_info = None
    if mode == "tls":
        ssl_info = tls_handshake(cv, cfg.get("sni"), cfg.get("alpn"), cfg["tls13"], cfg["chain"])
        cv.enc = tls_enc(r, cfg["tls13"])
    if cfg.get("split_prolog") and mode == "plain":
        cv.c("<?xml version='1.0' ?>", dt=0.0008)
        cv.c(P.xmpp_client_header(dom, prolog=False), dt=0.0002)
    else:
        cv.c(P.xmpp_client_header(dom), dt=0.0008)
    sid = rhex(r, 10)
    cv.s(P.xmpp_server_header(dom, sid))
    cv.s(P.xmpp_features_pre_auth(mode == "starttls"), proc=0.0002)
    if mode == "starttls":
        cv.c("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        cv.s("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        ssl_info = tls_handshake(cv, cfg.get("sni"), cfg.get("alpn"), cfg["tls13"], cfg["chain"])
        cv.enc = tls_enc(r, cfg["tls13"])
        cv.c(P.xmpp_client_header(dom, prolog=False), dt=0.0008)
        cv.s(P.xmpp_server_header(dom, rhex(r, 10)) + P.xmpp_features_pre_auth(False))
    auth, chal, resp, ok = P.xmpp_scram(r, cfg["user"])
    cv.c(auth, dt=0.001)
    cv.s(chal, proc=r.uniform(0.002, 0.01))
    cv.c(resp, dt=0.004)
    cv.s(ok, proc=r.uniform(0.01, 0.05))
    cv.c(P.xmpp_client_header(dom, prolog=False), dt=0.0005)
    cv.s(P.xmpp_server_header(dom, rhex(r, 10)) + P.xmpp_features_post_auth())
    bid = cfg["id_prefix"] + rhex(r, 6)
    cv.c(P.xmpp_bind(cfg["resource"], bid))
    cv.s(P.xmpp_bind_result(cfg["jid"], bid))
    sid2 = cfg["id_prefix"] + rhex(r, 6)
    cv.c(f"<iq type='set' id='{sid2}'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>")
    cv.s(P.xmpp_iq_result(sid2, to=cfg["jid"]))
    rid = cfg["id_prefix"] + rhex(r, 6)
    cv.c(f"<iq type='get' id='{rid}'><query xmlns='jabber:iq:roster'/></iq>")
    cv.s(P.xmpp_roster_result(rid, cfg["jid"], cfg.get("contacts", [])), proc=r.uniform(0.002, 0.02))
    cv.c(P.xmpp_presence(priority=cfg.get("priority", 1), caps_node=cfg.get("caps_node", "https://pidgin.im/")))
    for c in cfg.get("contacts", [])[: r.randint(0, min(8, len(cfg.get("contacts", []))))]:
        cv.s(P.xmpp_presence(show=r.choice([None, None, "away", "dnd"]), frm=c + "/" + rhex(r, 8), to=cfg["jid"],
                             caps_node="http://www.igniterealtime.org/projects/smack"), proc=0.0003)
    return ssl_info


CHAT_LINES = [
    "morning! did you see the build failed again?", "ok, looking", "can you review my PR when you get a sec",
    "lunch?", "sure, 12:30", "the meeting moved to 3pm", "thanks!", "np", "I'll call you in 5",
    "did the customer reply?", "yes, they want the quote by friday", "pushed a fix", "which branch?",
    "main", "the VPN is slow today", "I'm WFH tomorrow", "sounds good", "let me check", "done",
    "can you send me the spreadsheet", "sent", "where are the release notes?", "on the wiki, under Q3",
    "brb", "back", "is the printer on 2nd floor working?", "nope, use the one near reception",
    "ok great", "haha", "see you tomorrow", "who owns the ticket for the login bug?", "I think Marta",
    "standup in 2 min", "running late, start without me", "👍", "approved", "merging now",
]


def xmpp_persistent(cv: Conv, t_stop: float, cfg: dict, clean_close: bool):
    """Chat (or chat-shaped C2) session. Returns (events, ssl_info)."""
    r = cv.r
    ssl_info = xmpp_open(cv, cfg)
    jid = cfg["jid"]
    dom = cfg["domain"]
    t_ready = cv.t + 0.05
    client_times = [cv.t]
    contacts = cfg.get("contacts") or [f"user{r.randint(1, 99)}@{dom}"]
    # conversations
    conv_rate = cfg.get("conv_rate", 0.0)
    windows = cfg.get("conv_windows") or [(t_ready, t_stop - 60)]
    conv_times = [t for a, b in windows for t in poisson_times(r, max(a, t_ready), min(b, t_stop - 60), conv_rate)]
    for t in conv_times:
        peer = r.choice(contacts)
        n = r.randint(2, 14)
        tt = t
        for _ in range(n):
            if tt >= t_stop - 5:
                break
            line = r.choice(CHAT_LINES)
            mid = rhex(r, 12)
            if r.random() < 0.5:
                cv.at(tt, 0, P.xmpp_message(None, peer, line, mid))
                client_times.append(tt)
                cv.at(tt + 0.08 + r.random() * 0.4, 1,
                      f"<message from='{peer}/{rhex(r, 6)}' to='{jid}' id='{rhex(r, 8)}'>"
                      f"<received xmlns='urn:xmpp:receipts' id='{mid}'/></message>")
            else:
                cv.at(tt, 1, P.xmpp_message(peer + "/" + rhex(r, 6), jid, line, mid))
                cv.at(tt + 0.002, 0, f"<message to='{peer}' id='{rhex(r, 8)}'><received xmlns='urn:xmpp:receipts' "
                                     f"id='{mid}'/></message>")
                client_times.append(tt + 0.002)
            tt += r.uniform(4, 90)
    # contacts' presence changes
    for t in poisson_times(r, t_ready, t_stop - 5, cfg.get("presence_rate", 1 / 1800)):
        c = r.choice(contacts)
        cv.at(t, 1, P.xmpp_presence(show=r.choice([None, "away", "xa", "dnd"]), frm=c + "/" + rhex(r, 8), to=jid))
    # scripted client stanzas (C2 check-ins) and server stanzas (operator commands)
    for t, stanza in cfg.get("client_stanzas", lambda r, a, b: [])(r, t_ready, t_stop - 2):
        cv.at(t, 0, stanza)
        client_times.append(t)
    for t, stanza, replies in cfg.get("server_stanzas", lambda r, a, b, j: [])(r, t_ready, t_stop - 30, jid):
        cv.at(t, 1, stanza)
        for dt, rep in replies:
            cv.at(t + dt, 0, rep)
            client_times.append(t + dt)
    # keepalive: XEP-0199 ping (or whitespace) when idle
    for t in fill_keepalive(client_times, client_times[0], t_stop, cfg.get("keepalive", 90), r):
        if cfg.get("ws_keepalive"):
            cv.at(t, 0, " ")
        else:
            pid = cfg["id_prefix"] + rhex(r, 6)
            cv.at(t, 0, P.xmpp_ping(dom, pid))
            cv.at(t + cv.rtt + r.uniform(0.0003, 0.003), 1, P.xmpp_iq_result(pid, to=jid, frm=dom))
    if clean_close:
        cv.at(t_stop - 0.02, 0, "<presence type='unavailable'/></stream:stream>")
        cv.at(t_stop - 0.02 + cv.rtt + 0.001, 1, "</stream:stream>")
    return cv.sorted(), ssl_info


def xmpp_s2s(cv: Conv, t_stop: float, cfg: dict, activity):
    """Server-to-server federation stream (STARTTLS, dialback) carrying stanzas at `activity` times."""
    r = cv.r
    cv.c("<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
         f"xmlns='jabber:server' xmlns:db='jabber:server:dialback' from='{cfg['from']}' to='{cfg['to']}' "
         "version='1.0'>", dt=0.0008)
    cv.s(f"<?xml version='1.0'?><stream:stream xmlns:db='jabber:server:dialback' xmlns:stream='http://etherx"
         f".jabber.org/streams' version='1.0' from='{cfg['to']}' id='{rhex(r, 16)}' to='{cfg['from']}' "
         "xml:lang='en' xmlns='jabber:server'><stream:features><dialback xmlns='urn:xmpp:features:dialback'/>"
         "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>")
    cv.c("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    cv.s("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    info = tls_handshake(cv, cfg["to"], None, cfg["tls13"], cfg["chain"])
    cv.enc = tls_enc(r, cfg["tls13"])
    cv.c("x" * 260, dt=0.001)
    cv.s("x" * 420)
    cv.c("x" * 180, dt=0.001)
    cv.s("x" * 120)
    client_times = [cv.t]
    for t, nbytes in activity:
        if cv.t < t < t_stop - 1:
            cv.at(t, 0, b"x" * nbytes)
            client_times.append(t)
    for t in poisson_times(r, cv.t, t_stop - 1, cfg.get("in_rate", 1 / 900)):
        cv.at(t, 1, b"x" * r.randint(150, 900))
    for t in fill_keepalive(client_times, client_times[0], t_stop, cfg.get("keepalive", 240), r):
        cv.at(t, 0, b" ")
    cv.at(t_stop - 0.01, 0, b"</stream:stream>")
    cv.at(t_stop - 0.01 + cv.rtt + 0.001, 1, b"</stream:stream>")
    return cv.sorted(), info


# ----------------------------------------------------------------------------------------------
# AMQP 0-9-1
# ----------------------------------------------------------------------------------------------


def amqp_open(cv: Conv, cfg: dict, ch: int = 1):
    r = cv.r
    hb = cfg.get("heartbeat", 60)
    cv.c(P.AMQP_HEADER, dt=0.0005)
    cv.s(P.amqp_start(cfg["server_props"]))
    cv.c(P.amqp_start_ok(cfg["client_props"], cfg["user"], cfg["password"]), dt=0.001)
    if cfg.get("auth_fail"):
        cv.s(P.amqp_close(403, "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. "
                               "For details see the broker logfile.", 10, 11), proc=0.01)
        cv.c(P.amqp_close_ok(), dt=0.0008)
        return False
    cv.s(P.amqp_tune(2047, 131072, hb))
    cv.c(P.amqp_tune_ok(2047, 131072, hb) + P.amqp_open(cfg.get("vhost", "/")), dt=0.0006)
    cv.s(P.amqp_open_ok())
    cv.c(P.amqp_channel_open(ch), dt=0.0006)
    cv.s(P.amqp_channel_open_ok(ch))
    return True


def amqp_close(cv: Conv, t: float, ch: int = 1):
    r = cv.r
    cv.at(t, 0, P.amqp_close(200, "Normal shutdown", 0, 0, channel=ch))
    t2 = t + cv.rtt + 0.0008
    cv.at(t2, 1, P.amqp_close_ok(channel=ch))
    cv.at(t2 + 0.0005, 0, P.amqp_close(200, "Normal shutdown"))
    cv.at(t2 + 0.0005 + cv.rtt + 0.0008, 1, P.amqp_close_ok())
    return t2 + 0.0005 + cv.rtt + 0.0015


def amqp_persistent(cv: Conv, t_stop: float, cfg: dict, clean_close: bool):
    """Long AMQP session: declare, consume, publish at times, deliveries, heartbeats."""
    r = cv.r
    amqp_open(cv, cfg)
    ch = 1
    for q in cfg.get("queues", []):
        cv.c(P.amqp_queue_declare(ch, q, durable=True), dt=0.0006)
        cv.s(P.amqp_queue_declare_ok(ch, q, r.randint(0, 5), r.randint(0, 2)))
    for q, ex, rk in cfg.get("bindings", []):
        cv.c(P.amqp_exchange_declare(ch, ex), dt=0.0005)
        cv.s(P.amqp_exchange_declare_ok(ch))
        cv.c(P.amqp_queue_bind(ch, q, ex, rk), dt=0.0005)
        cv.s(P.amqp_queue_bind_ok(ch))
    tag = None
    if cfg.get("consume"):
        cv.c(P.amqp_basic_qos(ch, cfg.get("prefetch", 10)), dt=0.0005)
        cv.s(P.amqp_basic_qos_ok(ch))
        tag = cfg.get("ctag") or ("amq.ctag-" + base64.urlsafe_b64encode(rbytes(r, 16)).decode().rstrip("="))
        cv.c(P.amqp_basic_consume(ch, cfg["consume"], tag), dt=0.0005)
        cv.s(P.amqp_basic_consume_ok(ch, tag))
    t_ready = cv.t + 0.01
    ctimes, stimes = [cv.t], [cv.t]
    pcache = []
    for i, t in enumerate(cfg["pub_times"](r, t_ready, t_stop - 1)):
        ex, rk, body, props = reuse(cv, pcache, i, t, lambda: cfg["pub"](r, t))
        cv.at(t, 0, P.amqp_basic_publish(ch, ex, rk, body, **props))
        ctimes.append(t)
    dtag = 0
    dcache = []
    if tag:
        for t in poisson_times(r, t_ready, t_stop - 1, cfg.get("deliver_rate", 0.0)):
            dtag += 1
            ex, rk, body, props = reuse(cv, dcache, dtag, t, lambda: cfg["deliver"](r, t))
            cv.at(t, 1, P.amqp_basic_deliver(ch, tag, dtag, ex, rk, body, **props))
            stimes.append(t)
            cv.at(t + r.uniform(0.002, 0.08), 0, P.amqp_basic_ack(ch, dtag))
            ctimes.append(t + 0.08)
    hb = cfg.get("heartbeat", 60)
    if hb:
        for t in fill_keepalive(ctimes, ctimes[0], t_stop, hb / 2, r):
            cv.at(t, 0, P.AMQP_HEARTBEAT)
        for t in fill_keepalive(stimes, stimes[0], t_stop, hb / 2, r):
            cv.at(t + 0.3, 1, P.AMQP_HEARTBEAT)
    if clean_close:
        amqp_close(cv, t_stop - 0.01 - 2 * cv.rtt)
    return cv.sorted()


# ----------------------------------------------------------------------------------------------
# STOMP 1.2
# ----------------------------------------------------------------------------------------------


def stomp_open(cv: Conv, cfg: dict):
    r = cv.r
    hb = cfg.get("heartbeat", (0, 0))
    cv.c(P.stomp_frame(cfg.get("connect_cmd", "CONNECT"),
                       [("accept-version", "1.2"), ("host", cfg["vhost"]), ("login", cfg["user"]),
                        ("passcode", cfg["password"]), ("heart-beat", f"{hb[0]},{hb[1]}")]), dt=0.0005)
    session = cfg.get("session_fmt", "ID:{h}-{n}:{k}").format(h=cfg.get("broker_host", "amq01"),
                                                              n=r.randint(30000, 60000), k=r.randint(1, 9999))
    cv.s(P.stomp_frame("CONNECTED", [("server", cfg.get("server", "ActiveMQ/5.18.3")),
                                     ("heart-beat", f"{hb[1]},{hb[0]}"), ("session", session),
                                     ("version", "1.2")]), proc=r.uniform(0.002, 0.02))
    for i, dest in enumerate(cfg.get("subs", [])):
        cv.c(P.stomp_frame("SUBSCRIBE", [("id", str(i)), ("destination", dest), ("ack", "auto")]), dt=0.001)
    return session


def stomp_persistent(cv: Conv, t_stop: float, cfg: dict, clean_close: bool):
    r = cv.r
    session = stomp_open(cv, cfg)
    t_ready = cv.t + 0.01
    ctimes, stimes = [cv.t], [cv.t]
    scache = []
    for i, t in enumerate(cfg["send_times"](r, t_ready, t_stop - 1)):
        dest, body, ctype = reuse(cv, scache, i, t, lambda: cfg["send"](r, t))
        cv.at(t, 0, P.stomp_frame("SEND", [("destination", dest), ("content-type", ctype)], body))
        ctimes.append(t)
    subs = cfg.get("subs", [])
    mcache = []
    for i, t in enumerate(poisson_times(r, t_ready, t_stop - 1, cfg.get("msg_rate", 0.0) if subs else 0.0)):
        dest, body, ctype = reuse(cv, mcache, i, t, lambda: cfg["message"](r, t))
        i = subs.index(dest) if dest in subs else 0
        cv.at(t, 1, P.stomp_frame("MESSAGE", [("subscription", str(i)),
                                              ("message-id", f"ID:{cfg.get('broker_host', 'amq01')}-"
                                                             f"{r.randint(30000, 60000)}-{r.randint(1, 9999)}:1:1:1:"
                                                             f"{r.randint(1, 99999)}"),
                                              ("destination", dest), ("content-type", ctype)], body))
        stimes.append(t)
    for t, frame, reply in cfg.get("scripted", lambda r, a, b: [])(r, t_ready, t_stop - 5):
        cv.at(t, 1, frame)
        stimes.append(t)
        if reply:
            dt, body = reply
            cv.at(t + dt, 0, body)
            ctimes.append(t + dt)
    hb = cfg.get("heartbeat", (0, 0))
    if hb[0]:
        for t in fill_keepalive(ctimes, ctimes[0], t_stop, hb[0] / 1000.0, r):
            cv.at(t, 0, b"\n")
    if hb[1]:
        for t in fill_keepalive(stimes, stimes[0], t_stop, hb[1] / 1000.0, r):
            cv.at(t + 0.2, 1, b"\n")
    if clean_close:
        rid = str(r.randint(1, 999))
        cv.at(t_stop - 0.01 - cv.rtt, 0, P.stomp_frame("DISCONNECT", [("receipt", rid)]))
        cv.at(t_stop - 0.008, 1, P.stomp_frame("RECEIPT", [("receipt-id", rid)]))
    return cv.sorted()


# ----------------------------------------------------------------------------------------------
# Generic TLS application channel (push services, web, WSS)
# ----------------------------------------------------------------------------------------------


def tls_generic(cv: Conv, t_stop: float, cfg: dict, clean_close: bool):
    """TLS session: handshake, request/response bursts, optional keepalive and server pushes."""
    r = cv.r
    info = tls_handshake(cv, cfg.get("sni"), cfg.get("alpn"), cfg["tls13"], cfg["chain"], cfg.get("client_chain"),
                         profile=cfg.get("profile", "openssl"), alpn_selected=cfg.get("alpn_selected"))
    enc = tls_enc(r, cfg["tls13"])
    ctimes = [cv.t]
    for (c_len, s_len) in cfg.get("opening", []):
        cv.c(enc(b"\0" * c_len), dt=0.001, raw=True)
        ctimes.append(cv.t)
        if s_len:
            cv.s(enc(b"\0" * s_len), proc=r.uniform(0.005, 0.15), raw=True)
    t_ready = cv.t + 0.01
    for t in cfg.get("req_times", lambda r, a, b: [])(r, t_ready, t_stop - 0.5):
        cl, sl = cfg["req_sizes"](r)
        cv.at(t, 0, enc(b"\0" * cl), raw=True)
        ctimes.append(t)
        tt = t + cv.rtt + r.uniform(0.005, 0.2)
        while sl > 0:
            chunk = min(sl, 16384)
            cv.at(tt, 1, enc(b"\0" * chunk), raw=True)
            sl -= chunk
            tt += 0.001
    for t in poisson_times(r, t_ready, t_stop - 1, cfg.get("push_rate", 0.0)):
        cv.at(t, 1, enc(b"\0" * r.randint(*cfg.get("push_size", (80, 600)))), raw=True)
        cv.at(t + r.uniform(0.01, 0.2), 0, enc(b"\0" * r.randint(20, 60)), raw=True)
        ctimes.append(t + 0.2)
    ka = cfg.get("keepalive")
    if ka:
        kl = cfg.get("ka_size", (7, 7))
        for t in fill_keepalive(ctimes, ctimes[0], t_stop, ka, r):
            cv.at(t, 0, enc(b"\0" * kl[0]), raw=True)
            cv.at(t + cv.rtt + r.uniform(0.001, 0.01), 1, enc(b"\0" * kl[1]), raw=True)
    if clean_close:
        tls_close(cv, t_stop - 0.001, cfg["tls13"], from_client=True)
    return cv.sorted(), info


# ----------------------------------------------------------------------------------------------
# Payload helpers
# ----------------------------------------------------------------------------------------------


def c2_blob(r, n: int) -> bytes:
    """Base64 of an encrypted-looking blob (uuid-prefixed like Mythic messages)."""
    return base64.b64encode(rbytes(r, n)).decode().encode()


def jdump(d) -> bytes:
    return json.dumps(d, separators=(",", ":")).encode()


def mosq_id(r) -> str:
    return "mosq-" + ralnum(r, 18)
