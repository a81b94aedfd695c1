"""Command-and-control channels over pub/sub protocols, one victim host per C2 server.

Templates (README has the rationale and the public sources they are modelled on):

  mqtt-beacon-public   connect-per-check-in MQTT to a public broker (Mythic medusa-mqtt style)
  mqtt-longsleep-tls   the same over TLS 8883 with hours-long sleeps (4 h +/- 30 %)
  mqtt-persistent      persistent MQTT session to a public broker, GUID topics + online heartbeat
                       (BambooToken-like)
  mqtt5-emqx           MQTT 5 to broker.emqx.io, hashed topic, sparse check-ins (WailingCrab-like)
  xmpp-public          GLOOXMAIL-like XMPP bot on a public server that benign users also use
  xmpp-relay-internal  a masqueraded binary using the internal chat server, 10-min beacon for 8 h;
                       the stanzas leave through the server's s2s federation
  amqp-vps             AMQP 0-9-1 poll of an external VPS every 10 min
  stomp-vps            persistent STOMP session to an external VPS
  mqtt-nonstd-port     MQTT on 443 or 8080 to a VPS
  iot-mimic            a workstation publishing AWS IoT shadow updates to a foreign AWS account
  iot-device           a compromised Linux camera: TLS MQTT to a dyn-DNS VPS, names via DoH
  short-lived          PowerShell MQTT beacon for a few hours on one day
  pidgin-plugin        a malicious Pidgin plugin using a second account on a public XMPP server
"""
from __future__ import annotations

import datetime as dt
import hashlib
import statistics
import uuid

import benign as B
import dialogues as D
import protocols as P
from model import Actor, Session
from util import jitter, poisson_times, ralnum, rhex, rng

SYS = r"C:\Windows\System32"
PS = SYS + r"\WindowsPowerShell\v1.0\powershell.exe"


def build_c2(W):
    r = rng(W.seed, "c2")
    W.c2_used_hosts = set()
    base = ["mqtt-beacon-public", "xmpp-public", "xmpp-relay-internal", "amqp-vps", "stomp-vps", "mqtt-nonstd-port",
            "iot-mimic", "iot-device"]
    optional = ["mqtt-longsleep-tls", "mqtt-persistent", "short-lived", "mqtt5-emqx", "pidgin-plugin",
                "mqtt-beacon-public"]
    extra = [t for t in optional if r.random() < 0.6]
    templates = base + extra
    late = r.choice(["amqp-vps", "stomp-vps"] + (["mqtt-persistent"] if "mqtt-persistent" in extra else []))
    W.c2_late_template = late
    n = {}
    for tpl in templates:
        n[tpl] = n.get(tpl, 0) + 1
        fn = globals()["c2_" + tpl.replace("-", "_")]
        fn(W, rng(W.seed, "c2", tpl, n[tpl]), late=(tpl == late and n[tpl] == 1), k=n[tpl])


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------


def pick_host(W, r, pred=lambda h: True, pool=None, ep=None, port=None):
    """A victim host not used by another C2 and with no benign client on the same (server, port):
    a channel is one (src, dst, port) triple and must belong to one program."""
    def free(h):
        if ep is None:
            return True
        ips = set(ep.ips)
        return not any(a.host is h and a.port == port and a.ep is not None and set(a.ep.ips) & ips
                       for a in W.actors)
    cands = [h for h in (pool if pool is not None else W.workstations)
             if h.name not in W.c2_used_hosts and pred(h) and free(h)]
    if not cands:
        cands = [h for h in W.workstations if h.name not in W.c2_used_hosts and free(h)]
    h = r.choice(cands)
    W.c2_used_hosts.add(h.name)
    return h


def active_window(W, r, late: bool):
    start = W.lmid(2) + r.uniform(0, 14) * 3600 if late else W.T0
    return start, W.T1


def vps_ep(W, r, key, port, named=True, issuer=None):
    if named:
        name = r.choice([f"{r.choice(['cdn', 'sync', 'upd', 'mx', 'node'])}{r.randint(10, 99)}.duckdns.org",
                         f"{r.choice(['office', 'cloud', 'share', 'telemetry'])}-{rhex(r, 4)}.ddns.net",
                         f"{r.choice(['srv', 'app', 'api'])}{r.randint(1, 9)}.{r.choice(['hopto.org', 'zapto.org'])}"])
    else:
        name = None
    ep = B.public_ep(W, key, name, 1, None, rtt=r.uniform(0.03, 0.19), dns_ttl=60)
    ep.rdns = f"vps-{rhex(r, 6)}.{r.choice(['hostwinds', 'contabo', 'vultr', 'kamatera'])}.example"
    ep.no_dns = not named
    if issuer:
        ep.chain = W.chain(name or "localhost", issuer, r)
        ep.self_signed = issuer == "self"
    return ep


def user_of(W, h):
    return f"{W.netbios}\\{h.user}" if h.user else None


def beacon_times(W, r, h, start, end, period, jit, mode="sym", require_online=True):
    out = []
    t = start + r.uniform(0, period)
    while t < end:
        if not require_online or W.online_at(h, t):
            out.append(t)
        t += jitter(r, period, jit) if mode == "sym" else period - r.uniform(0, jit * period)
    return out


def c2_actor(W, tpl, h, ep, port, protocol, service, image, user, desc, category, k=1, **meta):
    a = Actor(id=f"c2-{tpl}-{h.name}".lower() + (f"-{k}" if k > 1 else ""), label="c2", category=category,
              description=desc, host=h, ep=ep, port=port, protocol=protocol, service=service, image=image, user=user,
              template=tpl)
    a.meta.update(meta)
    return a


# ----------------------------------------------------------------------------------------------
# MQTT connect-per-check-in family
# ----------------------------------------------------------------------------------------------


def _checkin_sessions(r, times, p_task, outage=None):
    out = []
    for t in times:
        s = Session(t, t + 60, t + 60, "fin_o")
        s.extra["task"] = r.random() < p_task
        if outage and outage[0] <= t < outage[1]:
            s.close = outage[2]
            s.t_stop = s.t_close = t + (9 if outage[2] == "s0" else 0.2)
        out.append(s)
    return out


def run_mqtt_checkin(W, a, s, cv):
    if s.close in ("s0", "rej"):
        return [], None
    ssl = B.tls_pre(W, a, s, cv)
    r = cv.r
    cfg = a.meta["ccfg"]
    task = result = None
    if s.extra.get("task"):
        task = D.c2_blob(r, r.randint(60, 300))
        result = D.c2_blob(r, r.choice([r.randint(100, 900), r.randint(2000, 30000)]))
    end = D.mqtt_checkin(cv, cfg, task, result)
    s.t_stop = end
    s.t_close = end + 0.0005
    return cv.sorted(), ssl


def c2_mqtt_beacon_public(W, r, late=False, k=1):
    broker = r.choice(["broker.hivemq.com", "test.mosquitto.org", "broker.emqx.io"])
    ep = B.public_broker(W, broker)
    h = pick_host(W, r, lambda h: h.presence == "always", ep=ep, port=1883)
    period = r.choice([45, 60, 90, 120, 300])
    jit = r.choice([0.0, 0.1, 0.2, 0.3, 0.5])
    bid = rhex(r, 8)
    style = r.choice(["c2", "hex", "medusa"])
    if style == "c2":
        sub, pub = f"c2/{bid}/cmd", f"c2/{bid}/out"
    elif style == "hex":
        sub, pub = f"{rhex(r, 12)}/{bid}/q", f"{rhex(r, 12)}/{bid}/r"
    else:
        base = r.choice(["billbradley", "sleepyhollow", "greenfield"])
        sub, pub = f"{base}/1", f"{base}/2"
    fixed_id = r.choice(["broomhilda", None, None])
    ccfg = {"client_id": (lambda rr: fixed_id) if fixed_id else (lambda rr: "paho" + rhex(rr, 16)),
            "sub_topic": sub, "pub_topic": pub,
            "checkin": lambda rr: D.c2_blob(rr, rr.randint(90, 220)), "wait": (0.4, 2.0)}
    img = rf"C:\Users\{h.user}\AppData\Local\Programs\Python\Python312\pythonw.exe"
    start, end = active_window(W, r, late)
    times = beacon_times(W, r, h, start, end, period, jit)
    a = c2_actor(W, "mqtt-beacon-public", h, ep, 1883, "mqtt", "mqtt", img, user_of(W, h),
                 f"Python MQTT implant (paho) connecting to {broker} for every check-in: {period} s +/- {int(jit * 100)} %"
                 f" jitter, topics {sub} / {pub}, base64 payloads", "c2-beacon", k=k,
                 ccfg=ccfg, c2={"style": "checkin", "period": period, "jitter": jit, "names": "public-broker",
                                "image": "python from a user AppData path (not a developer install)",
                                "content": f"cleartext MQTT, topics {sub} and {pub}, base64 blobs"})
    a.runner = run_mqtt_checkin
    a.sessions = _checkin_sessions(r, times, 0.04)
    W.add_actor(a)


def c2_mqtt_longsleep_tls(W, r, late=False, k=1):
    broker = r.choice(["broker.emqx.io", "broker.hivemq.com"])
    ep = B.public_broker(W, broker)
    h = pick_host(W, r, lambda h: h.presence == "always", ep=ep, port=8883)
    period = r.choice([4, 4, 3, 6]) * 3600
    jit = 0.3
    bid = rhex(r, 10)
    ccfg = {"client_id": lambda rr: bid, "sub_topic": f"dev/{bid}/in", "pub_topic": f"dev/{bid}/out",
            "checkin": lambda rr: D.c2_blob(rr, rr.randint(120, 260)), "wait": (1.0, 3.0)}
    img = rf"C:\Users\{h.user}\AppData\Local\Temp\{ralnum(r, 8, 'abcdefghijklmnopqrstuvwxyz0123456789')}.exe"
    start, end = active_window(W, r, late)
    a = c2_actor(W, "mqtt-longsleep-tls", h, ep, 8883, "mqtt", "ssl", img, user_of(W, h),
                 f"low-and-slow implant: MQTT over TLS to {broker}:8883, one connection every {period // 3600} h "
                 f"+/- 30 %", "c2-beacon", k=k, ccfg=ccfg,
                 c2={"style": "checkin", "period": period, "jitter": jit, "names": "public-broker",
                     "image": "unknown executable in the user's Temp folder", "content": "TLS"})
    a.meta["tls"] = {"tls13": True}
    a.runner = run_mqtt_checkin
    a.sessions = _checkin_sessions(r, beacon_times(W, r, h, start, end, period, jit), 0.2)
    W.add_actor(a)


def c2_mqtt_nonstd_port(W, r, late=False, k=1):
    h = pick_host(W, r)
    port = r.choice([443, 8080])
    ep = vps_ep(W, r, f"vps:nonstd:{k}", port, named=r.random() < 0.5)
    period = r.choice([300, 600, 900])
    jit = 0.2
    bid = rhex(r, 6)
    ccfg = {"client_id": lambda rr: f"upd_{bid}", "sub_topic": f"upd/{bid}/q", "pub_topic": f"upd/{bid}/a",
            "checkin": lambda rr: D.c2_blob(rr, rr.randint(60, 180)), "wait": (0.3, 1.2)}
    img = rf"C:\Users\{h.user}\AppData\Roaming\Microsoft\Windows\Templates\taskhostw.exe"
    start, end = active_window(W, r, late)
    a = c2_actor(W, "mqtt-nonstd-port", h, ep, port, "mqtt", "mqtt", img, user_of(W, h),
                 f"cleartext MQTT on TCP {port} to a VPS ({ep.name or 'by address'}), one connection every "
                 f"{period // 60} min +/- 20 %", "c2-nonstandard-port", k=k, ccfg=ccfg,
                 c2={"style": "checkin", "period": period, "jitter": jit,
                     "names": "dyndns" if ep.name else "raw-ip",
                     "image": "taskhostw.exe (a System32 name) running from AppData\\Roaming",
                     "content": f"MQTT CONNECT/PUBLISH bytes on port {port}"})
    a.runner = run_mqtt_checkin
    a.sessions = _checkin_sessions(r, beacon_times(W, r, h, start, end, period, jit), 0.05)
    W.add_actor(a)


def c2_short_lived(W, r, late=False, k=1):
    broker = r.choice(["broker.hivemq.com", "test.mosquitto.org"])
    ep = B.public_broker(W, broker)
    h = pick_host(W, r, lambda h: len(h.present) > 0, ep=ep, port=1883)
    in_pcap = [iv for iv in h.present if iv[0] < W.pcap_end - 4 * 3600]
    pool = in_pcap if (in_pcap and r.random() < 0.7) else h.present
    if not pool:
        return  # nobody at work in a very short dataset
    x, y = r.choice(pool)
    dur = r.uniform(2, 5) * 3600
    st = r.uniform(x, max(x + 1, y - dur))
    period, jit = 60, 0.3
    bid = rhex(r, 8)
    ccfg = {"client_id": lambda rr: "M2Mqtt" + rhex(rr, 8), "sub_topic": f"ps/{bid}/task",
            "pub_topic": f"ps/{bid}/res", "checkin": lambda rr: D.c2_blob(rr, rr.randint(40, 120)), "wait": (0.2, 1.0)}
    a = c2_actor(W, "short-lived", h, ep, 1883, "mqtt", "mqtt", PS, user_of(W, h),
                 f"PowerShell MQTT beacon (M2Mqtt) to {broker} every 60 s +/- 30 % for {dur / 3600:.1f} h on one day, "
                 "then removed", "c2-short-lived", k=k, ccfg=ccfg,
                 c2={"style": "checkin", "period": period, "jitter": jit, "names": "public-broker",
                     "image": "powershell.exe connecting to a public MQTT broker",
                     "content": f"cleartext MQTT topics ps/{bid}/task and ps/{bid}/res"})
    a.runner = run_mqtt_checkin
    a.sessions = _checkin_sessions(r, beacon_times(W, r, h, st, min(st + dur, y), period, jit), 0.08)
    W.add_actor(a)


# ----------------------------------------------------------------------------------------------
# persistent MQTT
# ----------------------------------------------------------------------------------------------


def c2_mqtt_persistent(W, r, late=False, k=1):
    broker = r.choice(["broker.hivemq.com", "broker.emqx.io", "test.mosquitto.org"])
    ep = B.public_broker(W, broker)
    h = pick_host(W, r, ep=ep, port=1883)
    guid = str(uuid.UUID(int=r.getrandbits(128)))
    hb = r.choice([30, 60, 120, 180, 240])

    def cfg(W, a, s, rr):
        def pub(r, kk, t):
            return [(f"{guid}/status", D.jdump({"id": guid, "state": "online", "up": int(t - s.start), "n": kk}), 0)]

        def on_in(r, t, topic, payload):
            return [(r.uniform(0.5, 6), f"{guid}/result", D.c2_blob(r, r.randint(200, 20000)))]
        return {"client_id": guid.replace("-", "")[:23], "keepalive": 60,
                "will": (f"{guid}/status", D.jdump({"id": guid, "state": "offline"}).decode(), 1, False),
                "subs": [("bcast/all", 1), (f"{guid}/cmd", 1)],
                "birth": [(f"{guid}/status", D.jdump({"id": guid, "state": "online", "host": a.host.name,
                                                      "os": "Windows 10 Enterprise 22H2",
                                                      "user": a.host.user, "av": "Windows Defender"}), 1, False)],
                "period": hb, "jitter": 0.1, "pub": pub, "in_rate": 1 / (3 * 3600),
                "in_pub": lambda r, t: [(r.choice([f"{guid}/cmd", "bcast/all"]), D.jdump(
                    {"c": r.choice(["SHELL", "FILEEX", "ONLINE"]), "a": D.c2_blob(r, 60).decode()}), 1)],
                "on_in": on_in}
    img = rf"C:\Users\Public\Libraries\{r.choice(['dllhost', 'msedgeupdate', 'OneDriveStandaloneUpdater'])}.exe"
    start, end = active_window(W, r, late)
    iv = [(max(a, start), b, kk) for a, b, kk in h.online if b > start]
    a = c2_actor(W, "mqtt-persistent", h, ep, 1883, "mqtt", "mqtt", img, user_of(W, h),
                 f"BambooToken-like implant holding an MQTT session to {broker}: broadcast topic bcast/all + per-host "
                 f"GUID topics, online heartbeat every {hb} s", "c2-beacon", k=k,
                 c2={"style": "persistent", "period": hb, "jitter": 0.1, "names": "public-broker",
                     "image": "executable in C:\\Users\\Public\\Libraries",
                     "content": "cleartext MQTT, GUID topics, JSON heartbeat with host facts"})
    a.meta["cfg"] = cfg
    a.runner = B.run_mqtt
    a.sessions = W.plan_persistent(r, iv, delay=(30, 300), mean_len=20 * 3600)
    W.add_actor(a)


def c2_mqtt5_emqx(W, r, late=False, k=1):
    ep = B.public_broker(W, "broker.emqx.io")
    h = pick_host(W, r, ep=ep, port=1883)
    bot = rhex(r, 16)
    topic = hashlib.sha256(bot.encode()).hexdigest()[:32]
    period = r.choice([1200, 1800, 2400])

    def cfg(W, a, s, rr):
        return {"client_id": bot, "keepalive": 60, "v": 5, "connect_props": P.mqtt5_connect_props(86400, 20),
                "clean": False, "subs": [(topic + "/c", 1)], "period": period, "jitter": 0.3,
                "pub": lambda r, kk, t: [(topic + "/s", D.c2_blob(r, r.randint(180, 400)), 1)],
                "in_rate": 1 / (6 * 3600), "in_pub": lambda r, t: [(topic + "/c", D.c2_blob(r, r.randint(100, 600)), 1)],
                "on_in": lambda r, t, tp, pl: [(r.uniform(1, 20), topic + "/s", D.c2_blob(r, r.randint(500, 40000)))]}
    img = rf"C:\Users\{h.user}\AppData\Local\Notepad++\notepad++.exe"
    iv = h.online
    a = c2_actor(W, "mqtt5-emqx", h, ep, 1883, "mqtt", "mqtt", img, user_of(W, h),
                 f"WailingCrab-like backdoor side-loaded into a user-installed Notepad++: MQTT 5 session to broker.emqx.io,"
                 f" hashed per-bot topic {topic[:8]}..., check-in every {period // 60} min +/- 30 %", "c2-beacon", k=k,
                 c2={"style": "persistent", "period": period, "jitter": 0.3, "names": "public-broker",
                     "image": "notepad++.exe holding an MQTT connection",
                     "content": "cleartext MQTT 5, hex topic, base64 payloads"})
    a.meta["cfg"] = cfg
    a.runner = B.run_mqtt
    a.sessions = W.plan_persistent(r, iv, delay=(60, 600), mean_len=30 * 3600)
    W.add_actor(a)


def c2_iot_mimic(W, r, late=False, k=1):
    prefix = ralnum(r, 14, "abcdefghijklmnopqrstuvwxyz0123456789")
    ep = B.aws_iot_ep(W, prefix, W.aws_region)
    h = pick_host(W, r, lambda h: h.presence == "always", ep=ep, port=8883)
    thing = f"ws-telemetry-{rhex(r, 6)}"
    period = r.choice([60, 90, 120])
    cc = W.client_cert(thing, r)

    def cfg(W, a, s, rr):
        return {"client_id": thing, "keepalive": 60, "period": period, "jitter": 0.05,
                "subs": [(f"$aws/things/{thing}/shadow/update/delta", 1)],
                "pub": lambda r, kk, t: [(f"$aws/things/{thing}/shadow/update", D.jdump(
                    {"state": {"reported": {"cpu": r.randint(1, 30), "seq": kk, "d": D.c2_blob(r, 48).decode()}}}), 1)],
                "in_rate": 1 / (4 * 3600),
                "in_pub": lambda r, t: [(f"$aws/things/{thing}/shadow/update/delta", D.jdump(
                    {"state": {"task": D.c2_blob(r, 120).decode()}}), 1)],
                "on_in": lambda r, t, tp, pl: [(r.uniform(1, 10), f"$aws/things/{thing}/shadow/update",
                                                D.jdump({"state": {"reported": {"out": D.c2_blob(r, 2000).decode()}}}))]}
    a = c2_actor(W, "iot-mimic", h, ep, 8883, "mqtt", "ssl", PS, user_of(W, h),
                 f"PowerShell implant masquerading as an IoT device: AWS IoT MQTT over TLS to {ep.name} (a different "
                 f"AWS account than the organisation's devices, same regional addresses), shadow update every {period} s",
                 "c2-masquerade", k=k,
                 c2={"style": "persistent", "period": period, "jitter": 0.05, "names": "foreign-aws-prefix",
                     "image": "powershell.exe holding a TLS 8883 session", "content": "TLS"})
    a.meta["cfg"] = cfg
    a.meta["tls"] = {"tls13": False, "client_chain": cc}
    a.runner = B.run_mqtt
    a.sessions = W.plan_persistent(r, h.online, delay=(60, 900), mean_len=3 * 86400)
    W.add_actor(a)


def c2_iot_device(W, r, late=False, k=1):
    cams = [h for h in W.iot if "camera" in h.tags and h.name not in W.c2_used_hosts]
    h = r.choice(cams)
    W.c2_used_hosts.add(h.name)
    ep = vps_ep(W, r, "vps:iotdev", 8883, named=True, issuer="self")
    ep.no_dns = True  # resolved through DNS-over-HTTPS
    doh = B.public_ep(W, "doh", "cloudflare-dns.com", 2, "digicert")
    guid = str(uuid.UUID(int=r.getrandbits(128)))
    period = r.choice([120, 180, 240])

    def cfg(W, a, s, rr):
        return {"client_id": guid, "keepalive": 60, "period": period, "jitter": 0.1,
                "subs": [(f"{guid}/cmd", 1)],
                "birth": [(f"{guid}/hello", D.jdump({"fw": "V5.5.800 build 210628", "host": a.host.name,
                                                     "model": "DS-2CD2143G2-I"}), 1, False)],
                "pub": lambda r, kk, t: [(f"{guid}/hb", D.jdump({"u": int(t - s.start)}), 0)],
                "in_rate": 1 / (8 * 3600), "in_pub": lambda r, t: [(f"{guid}/cmd", D.c2_blob(r, 90), 1)],
                "on_in": lambda r, t, tp, pl: [(r.uniform(1, 5), f"{guid}/res", D.c2_blob(r, 800))]}
    a = c2_actor(W, "iot-device", h, ep, 8883, "mqtt", "ssl", None, None,
                 f"IOCONTROL-like implant on IP camera {h.name}: MQTT over TLS 8883 to {ep.name} (self-signed), "
                 "name resolved with DNS-over-HTTPS, heartbeat every "
                 f"{period} s", "c2-compromised-iot", k=k,
                 c2={"style": "persistent", "period": period, "jitter": 0.1, "names": "doh+dyndns+selfsigned",
                     "image": None, "content": "TLS (self-signed certificate visible in TLS 1.2)"})
    a.meta["cfg"] = cfg
    a.meta["tls"] = {"tls13": False, "profile": "openssl"}
    a.runner = B.run_mqtt
    first = r.uniform(W.T0, W.T0 + min(6 * 3600, (W.T1 - W.T0) / 3))
    iv = [(first, W.T1, "end")]
    a.sessions = W.plan_persistent(r, iv, delay=(1, 5), mean_len=1.5 * 86400, gap=(5, 60))
    W.add_actor(a)
    # the DoH lookups that precede each (re)connection: auxiliary HTTPS, not a pub/sub channel
    aux = Actor(id=f"c2aux-doh-{h.name}".lower(), label="c2", category="c2-auxiliary-doh",
                description=f"DNS-over-HTTPS lookups of {ep.name} made by the implant on {h.name} before each "
                            "connection", host=h, ep=doh, port=443, protocol="tls", service="ssl", runner=B.run_tls,
                background=True, template="iot-device")
    aux.meta["cfg"] = lambda W, a, s, rr: {"sni": "cloudflare-dns.com", "alpn": ["h2"], "alpn_selected": "h2",
                                           "tls13": True, "chain": doh.chain, "opening": [(180, 260)]}
    aux.sessions = [Session(s.start - rng(W.seed, "doh", i).uniform(0.3, 1.5), s.start - 0.2, s.start - 0.19, "fin_o")
                    for i, s in enumerate(a.sessions)]
    W.add_actor(aux)


# ----------------------------------------------------------------------------------------------
# XMPP
# ----------------------------------------------------------------------------------------------


def _op_commands(r, op, rate, out_size=(200, 8000)):
    def gen(rr, a, b, jid):
        out = []
        for t in poisson_times(rr, a, b, rate):
            mid = rhex(rr, 10)
            cmd = P.xmpp_message(op + "/ops", jid, D.c2_blob(rr, rr.randint(40, 200)).decode(), mid, chatstate=False)
            replies = []
            tt = rr.uniform(1, 12)
            for _ in range(rr.randint(1, 3)):
                replies.append((tt, P.xmpp_message(None, op, D.c2_blob(rr, rr.randint(*out_size)).decode(), rhex(rr, 10),
                                                   chatstate=False)))
                tt += rr.uniform(0.5, 6)
            out.append((t, cmd, replies))
        return out
    return gen


def c2_xmpp_public(W, r, late=False, k=1):
    ep = r.choice(W.xmpp_public)
    h = pick_host(W, r, lambda h: ep.key not in W.chat_users.get(h.name, []) and h.presence in ("office_desktop",
                                                                                                  "laptop"))
    op = f"{r.choice(['svc', 'backup', 'monitor', 'lena', 'mark'])}{r.randint(10, 99)}@{ep.name}"
    img = r"C:\ProgramData\svchost.exe"
    extra = {"contacts": [op], "conv_rate": 0.0, "server_stanzas": _op_commands(r, op, 1 / (3 * 3600))}
    a = B.make_chat_actor(W, h, "pidgin", ep, r, label="c2", category="c2-masquerade",
                          aid=f"c2-xmpp-public-{h.name}".lower(), image=img, extra_cfg=extra,
                          description=f"GLOOXMAIL-like XMPP bot (C:\\ProgramData\\svchost.exe) logged in on {ep.name} "
                                      "from login to logoff like a chat client; commands arrive as chat messages",
                          template="xmpp-public")
    a.user = "NT AUTHORITY\\SYSTEM"
    a.meta["c2"] = {"style": "persistent", "period": None, "jitter": None, "names": "same-as-benign",
                    "image": "svchost.exe running from C:\\ProgramData instead of System32",
                    "content": "STARTTLS/TLS: only the stream header is cleartext"}


def c2_pidgin_plugin(W, r, late=False, k=1):
    cands = [h for h in W.workstations if W.chat_kind.get(h.name) == "pidgin" and h.name not in W.c2_used_hosts]
    if not cands:
        return
    h = r.choice(cands)
    W.c2_used_hosts.add(h.name)
    servers = [ep for ep in W.xmpp_public if ep.key not in W.chat_users.get(h.name, [])]
    ep = r.choice(servers)
    op = f"{r.choice(['anon', 'helpdesk', 'otr'])}{r.randint(100, 999)}@{ep.name}"
    extra = {"contacts": [op, f"{r.choice(['max', 'eva'])}@{ep.name}"], "conv_rate": 0.0,
             "server_stanzas": _op_commands(r, op, 1 / (5 * 3600), (100, 2000))}
    a = B.make_chat_actor(W, h, "pidgin", ep, r, label="c2", category="c2-masquerade",
                          aid=f"c2-pidgin-plugin-{h.name}".lower(),
                          description=f"malicious Pidgin plugin logging a second account into {ep.name} and taking "
                                      "commands as chat messages (process is the real pidgin.exe)",
                          template="pidgin-plugin", extra_cfg=extra)
    a.meta["c2"] = {"style": "persistent", "names": "same-as-benign", "image": None,
                    "content": "STARTTLS/TLS: only the stream header is cleartext"}


def c2_xmpp_relay_internal(W, r, late=False, k=1):
    h = pick_host(W, r, lambda h: h not in W.internal_chat_hosts and h.presence in ("always", "office_desktop")
                  and h.present)
    fed = r.choice(W.xmpp_public)
    op = f"{r.choice(['ops', 'it-support', 'relay'])}{r.randint(1, 99)}@{fed.name}"
    # 8 hours of a working day, in the capture window when possible
    ivs = [iv for iv in h.present if iv[1] - iv[0] > 7.5 * 3600]
    ivs = ivs or h.present
    if not ivs:
        return
    in_pcap = [iv for iv in ivs if iv[0] < W.pcap_end - 7 * 3600]
    x, y = r.choice(in_pcap) if in_pcap and r.random() < 0.8 else r.choice(ivs)
    st = x + r.uniform(600, 2400)
    en = min(st + 8 * 3600, y - 120)
    beacons = []
    t = st + r.uniform(60, 300)
    while t < en - 30:
        beacons.append(t)
        t += jitter(r, 600, 0.05)
    sess = Session(st, en, en + 0.05, "fin_o")
    sess.extra["beacons"] = beacons
    rb = rng(W.seed, "relay-bodies")

    def client_stanzas(rr, a_, b_):
        return [(t, P.xmpp_message(None, op, D.c2_blob(rr, rr.randint(60, 200)).decode(), rhex(rr, 10), chatstate=False))
                for t in beacons if a_ < t < b_]
    cmds = _op_commands(r, op, 1 / (2.5 * 3600), (300, 6000))
    extra = {"contacts": [op], "conv_rate": 0.0, "client_stanzas": client_stanzas, "server_stanzas": cmds,
             "keepalive": 120}
    a = B.make_chat_actor(W, h, "spark", W.ep_chat, r, label="c2", category="c2-relay-internal",
                          aid=f"c2-xmpp-relay-internal-{h.name}".lower(),
                          image=r"C:\Users\Public\Libraries\wmiprvse.exe", extra_cfg=extra, sessions=[sess],
                          description=f"masqueraded wmiprvse.exe using the internal chat server: one cleartext XMPP "
                                      f"session, a base64 <message> to {op} every 10 min for 8 h; the internal server "
                                      "relays it over s2s federation", template="xmpp-relay-internal")
    a.meta["c2"] = {"style": "persistent", "period": 600, "jitter": 0.05, "names": "same-as-benign",
                    "image": "wmiprvse.exe running from C:\\Users\\Public\\Libraries (the real one is in System32\\wbem)",
                    "content": f"cleartext XMPP: base64 message bodies to {op} every 10 min"}
    W.s2s_activity[fed.key] += [(t + 0.02, rb.randint(300, 500)) for t in beacons]
    W.s2s_actors[fed.key].meta["relay_of"] = a.id
    W.s2s_actors[fed.key].description += (f"; on {dt.datetime.fromtimestamp(st + W.tz * 3600, dt.timezone.utc):%a} "
                                          f"it also carries the stanzas relayed for {a.id} (10-min s2s reconnects)")


# ----------------------------------------------------------------------------------------------
# AMQP and STOMP to a VPS
# ----------------------------------------------------------------------------------------------


def run_amqp_checkin(W, a, s, cv):
    if s.close in ("s0", "rej"):
        return [], None
    r = cv.r
    bid = a.meta["bid"]
    cfg = {"server_props": P.rabbitmq_server_props(version="3.9.13", otp="24.2.1", cluster="rabbit@localhost"),
           "client_props": P.amqp_client_props("pika", a.meta["cname"]), "user": "guest2", "password": a.meta["pw"],
           "vhost": "/", "heartbeat": 0}
    D.amqp_open(cv, cfg)
    q = f"tasks.{bid}"
    cv.c(P.amqp_queue_declare(1, q, durable=True))
    cv.s(P.amqp_queue_declare_ok(1, q, 1 if s.extra.get("task") else 0, 0))
    cv.c(P.amqp_basic_get(1, q), dt=0.0005)
    if s.extra.get("task"):
        cv.s(P.amqp_basic_get_ok(1, 1, "", q, D.c2_blob(r, r.randint(80, 300)), content_type="text/plain"))
        cv.c(P.amqp_basic_publish(1, "", f"results.{bid}", D.c2_blob(r, r.randint(300, 25000)), content_type="text/plain"),
             dt=r.uniform(0.5, 5))
    else:
        cv.s(P.amqp_basic_get_empty(1))
    cv.c(P.amqp_basic_publish(1, "", f"beacon.{bid}", D.jdump({"id": bid, "t": int(s.start), "h": D.c2_blob(r, 40).decode()}),
                              content_type="application/json"), dt=0.002)
    end = D.amqp_close(cv, cv.t + 0.01)
    s.t_stop = end
    s.t_close = end + 0.0005
    return cv.sorted(), None


def c2_amqp_vps(W, r, late=False, k=1):
    h = pick_host(W, r)
    named = r.random() < 0.6
    ep = vps_ep(W, r, "vps:amqp", 5672, named=named)
    period, jit = 600, r.choice([0.1, 0.2])
    img = r.choice([r"C:\Windows\Temp\rundll32.exe", rf"C:\Users\{h.user}\AppData\Local\Temp\python\pythonw.exe"])
    start, end = active_window(W, r, late)
    times = beacon_times(W, r, h, start, end, period, jit)
    outage = None
    if r.random() < 0.6 and times:
        o = r.uniform(times[0], times[-1])
        outage = (o, o + r.uniform(1, 3) * 3600, r.choice(["rej", "s0"]))
    a = c2_actor(W, "amqp-vps", h, ep, 5672, "amqp", "-", img,
                 "NT AUTHORITY\\SYSTEM" if "Windows" in img else user_of(W, h),
                 f"AMQP 0-9-1 implant polling a RabbitMQ on a VPS ({ep.name or 'by address'}) every 10 min "
                 f"+/- {int(jit * 100)} %: Queue.Declare tasks.<id>, Basic.Get, Basic.Publish beacon"
                 + (" (starts on day 3)" if late else ""), "c2-beacon", k=k,
                 bid=rhex(r, 8), cname=f"{h.name}", pw=rhex(r, 12),
                 c2={"style": "checkin", "period": period, "jitter": jit, "names": "dyndns" if named else "raw-ip",
                     "image": ("rundll32.exe running from C:\\Windows\\Temp" if "rundll32" in img else
                               "pythonw.exe unpacked in the user's Temp folder"),
                     "content": "cleartext AMQP: client properties with the host name, queues tasks.<id>/beacon.<id>",
                     "late": late})
    a.runner = run_amqp_checkin
    a.sessions = _checkin_sessions(r, times, 0.05, outage)
    W.add_actor(a)


def c2_stomp_vps(W, r, late=False, k=1):
    h = pick_host(W, r)
    named = r.random() < 0.6
    ep = vps_ep(W, r, "vps:stomp", 61613, named=named)
    bid = rhex(r, 8)
    period = r.choice([120, 300, 600, 900])

    def cfg(W, a, s, rr):
        def scripted(r, x, y):
            out = []
            for t in poisson_times(r, x, y, 1 / (4 * 3600)):
                out.append((t, P.stomp_frame("MESSAGE", [("subscription", "0"), ("message-id", rhex(r, 16)),
                                                         ("destination", f"/queue/{bid}.in"),
                                                         ("content-type", "text/plain")], D.c2_blob(r, 120)),
                            (r.uniform(1, 8), P.stomp_frame("SEND", [("destination", f"/queue/{bid}.out"),
                                                                    ("content-type", "text/plain")],
                                                           D.c2_blob(r, r.randint(300, 12000))))))
            return out
        return {"vhost": "/", "user": "admin", "password": rhex(rr, 10), "heartbeat": (60000, 60000),
                "subs": [f"/queue/{bid}.in"], "server": "ActiveMQ/5.15.9", "broker_host": "vps",
                "send_times": lambda r, x, y: beacon_times(W, r, a.host, x, y, period, 0.25, require_online=False),
                "send": lambda r, t: (f"/queue/{bid}.out", D.jdump({"i": bid, "s": "ok", "t": int(t)}), "application/json"),
                "msg_rate": 0.0, "scripted": scripted}
    img = rf"C:\Users\{h.user}\AppData\Roaming\{r.choice(['Intel', 'Adobe', 'Zoom'])}\{r.choice(['igfxsvc', 'updater', 'helper'])}.exe"
    start, end = active_window(W, r, late)
    iv = [(max(a_, start), b, kk) for a_, b, kk in h.online if b > start]
    a = c2_actor(W, "stomp-vps", h, ep, 61613, "stomp", "-", img, user_of(W, h),
                 f"STOMP 1.2 implant holding a session to ActiveMQ on a VPS ({ep.name or 'by address'}), status SEND every "
                 f"{period // 60} min, commands as MESSAGE frames" + (" (starts on day 3)" if late else ""),
                 "c2-beacon", k=k,
                 c2={"style": "persistent", "period": period, "jitter": 0.25, "names": "dyndns" if named else "raw-ip",
                     "image": "unknown executable in AppData\\Roaming", "content": f"cleartext STOMP /queue/{bid}.in/.out",
                     "late": late})
    a.meta["cfg"] = cfg
    a.runner = B.run_stomp
    a.sessions = W.plan_persistent(r, iv, delay=(30, 600), mean_len=12 * 3600)
    W.add_actor(a)


# ----------------------------------------------------------------------------------------------
# revealability
# ----------------------------------------------------------------------------------------------


def _periodic(starts):
    if len(starts) < 6:
        return False
    gaps = sorted(b - a for a, b in zip(starts, starts[1:]) if b - a > 1)
    if len(gaps) < 5:
        return False
    med = statistics.median(gaps)
    within = sum(1 for g in gaps if abs(g - med) <= 0.5 * med) / len(gaps)
    return within >= 0.6


def revealability(W, a, ch) -> dict:
    """Could a demanding hunter, looking at one data source only, tell this channel from benign?"""
    if a.label != "c2":
        no = {"revealable": False, "why": "benign channel"}
        return {"zeek": dict(no), "zeek_names": dict(no), "sysmon": dict(no), "pcap": dict(no)}
    m = a.meta.get("c2", {})
    tpl = a.template
    n = ch["connections"]
    starts = ch["starts"]
    periodic = _periodic(starts)
    night = ch["night_or_weekend"]
    ext = not ch["dst_internal"]
    in_pcap = ch["pcap_sessions"] > 0
    per = m.get("period")
    per_s = (f"{per // 3600} h" if per and per >= 3600 else f"{per // 60} min" if per and per >= 120 else f"{per} s") \
        if per else ""
    out = {}

    # ---- conn.log only
    if tpl in ("xmpp-public", "pidgin-plugin"):
        z = (False, f"{n} xmpp connection(s) to a public XMPP server that benign chat clients also use, opened and "
                    "closed with the user's day; duration and byte counts in the range of chat sessions")
    elif tpl == "xmpp-relay-internal":
        z = (False, "a single 8-hour xmpp session in working hours to the internal chat server that dozens of "
                    "hosts use; nothing in conn.log separates it from a chat client (the relayed stanzas do show "
                    "as 10-minute s2s reconnections from the chat server, but conn.log cannot tie them to this "
                    "client)")
    elif a.protocol == "mqtt" and a.port not in (1883, 8883):
        z = (True, f"Zeek's MQTT DPD labels {n} connection(s) on port {a.port} service=mqtt: MQTT on a web port to "
                   "an external address" + (", reconnecting periodically" if periodic else ""))
    elif m.get("style") == "checkin":
        if periodic and n >= 6:
            z = (True, f"{n} short connections from one host to one external {a.port}/tcp destination at ~{per_s} "
                       f"intervals{' day and night' if night else ''}: a connection-level beacon")
        else:
            z = (False, f"only {n} connection(s) in the data: too few to separate from a one-off test")
    elif tpl == "iot-device":
        z = (True, "an IP camera opens a second, persistent 8883 session to an external address no other device "
                   "uses, next to DoH 443 connections; cameras have no pub/sub traffic otherwise")
    elif tpl == "iot-mimic":
        z = (True, "the only workstation holding 8883 sessions to AWS IoT addresses around the clock; the "
                   "addresses themselves are the regional AWS IoT pool the IoT devices use")
    elif tpl in ("mqtt-persistent", "mqtt5-emqx"):
        z = (True, f"the only workstation holding cleartext MQTT sessions (service=mqtt) to an external broker"
                   f"{', day and night' if night else ''}; benign external 1883 comes from IoT devices only")
    elif tpl == "stomp-vps":
        z = (True, "the only external 61613 destination in the data (all benign STOMP is internal), one host, "
                   "long sessions" + (" spanning nights" if night else ""))
    else:
        z = (periodic, "periodic connections" if periodic else "no distinctive connection pattern")
    if n == 0:
        z = (False, "no connections")
    out["zeek"] = {"revealable": z[0], "why": z[1]}

    # ---- conn + ssl + dns
    names = m.get("names")
    if names == "same-as-benign":
        zn = (z[0], z[1] + "; DNS, SNI and certificate are those of the same server benign clients use"
              if not z[0] else z[1])
    elif names == "public-broker":
        zn = (True, f"DNS/SNI name {a.ep.name} is a public test broker reached by a workstation"
              + (f"; {z[1]}" if z[0] else ""))
    elif names == "dyndns":
        zn = (True, f"the destination is looked up as the dynamic-DNS name {a.ep.name}" + (f"; {z[1]}" if z[0] else ""))
    elif names == "raw-ip":
        zn = (True, "no DNS lookup precedes the connections to an external address (hard-coded IP)"
              + (f"; {z[1]}" if z[0] else ""))
    elif names == "foreign-aws-prefix":
        zn = (True, f"SNI/DNS {a.ep.name}: an AWS IoT account prefix different from the organisation's "
                    f"{W.ep_aws.name.split('-ats')[0]}, used by a workstation")
    elif names == "doh+dyndns+selfsigned":
        zn = (True, f"no DNS lookup precedes it (DoH to cloudflare-dns.com just before), SNI {a.ep.name} is "
                    "dynamic DNS and ssl.log shows a self-signed certificate")
    else:
        zn = z
    out["zeek_names"] = {"revealable": zn[0], "why": zn[1]}

    # ---- sysmon
    if not a.host.sysmon:
        out["sysmon"] = {"revealable": False, "why": f"{a.host.name} is a {a.host.os} device without Sysmon"}
    elif ch["sysmon_events"] == 0:
        out["sysmon"] = {"revealable": False, "why": "no Sysmon events"}
    elif m.get("image"):
        extra = f"; {ch['sysmon_events']} EID 3 events" + (" at a regular cadence" if periodic else "")
        out["sysmon"] = {"revealable": True, "why": m["image"] + extra}
    else:
        out["sysmon"] = {"revealable": False, "why": f"the process is the legitimate {a.image} that also makes "
                                                     "benign chat connections"}

    # ---- pcap
    if not in_pcap:
        out["pcap"] = {"revealable": False, "why": "no session in the capture window"}
    else:
        content = m.get("content", "")
        if content.startswith("STARTTLS"):
            out["pcap"] = {"revealable": False, "why": "STARTTLS/TLS to the same public server benign clients use; "
                                                       "stanza timing inside TLS looks like an idle chat client"}
        elif content == "TLS" or content.startswith("TLS"):
            out["pcap"] = {"revealable": True, "why": f"TLS only, but the ClientHello SNI ({a.ep.name}) and the "
                                                      "connection cadence give it away" +
                                                      (" (self-signed certificate)" if a.ep.self_signed else "")}
        else:
            out["pcap"] = {"revealable": True, "why": content}
    return out
