"""C2 behaviours: owns the command-and-control channels hidden in the same
protocols (beacons to public brokers and rented servers, long sleeps,
persistent streams, a compromised camera, XMPP bots, AMQP/STOMP polls,
night-only and non-standard-port beacons, telemetry mimicry), choosing
victim hosts not already used by the benign developer and chat behaviours,
and registers each as a "c2" channel in the truth registry.
"""


def c2(w, W):
    r = w.rng
    srv = W["srv"]
    used = set(h.ip for h in getattr(w, "devs", []) + getattr(w, "chatters", []))
    def host(kinds, avoid_dst=None, always=False):
        busy = set(ch["src_ip"] for ch in w.channels if avoid_dst and ch["dst_ip"] == avoid_dst)
        cands = [h for h in W["hosts"] if h.kind in kinds and h.ip not in used and h.ip not in busy
                 and (not always or (h.on and h.on[0][0] <= w.start and h.on[0][1] >= w.end))]
        h = r.choice(cands)
        used.add(h.ip)
        return h
    C = lambda cat, desc, h, dst, port: w.chan("c2", cat, desc, h.ip, dst, port)
    ddns = ["ddns.net", "hopto.org", "duckdns.org", "zapto.org", "sytes.net", "dynu.net"]
    def rnd(n):
        return "".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(n))

    def beacon(h, cat, desc, dst, port, name, interval, jitter, svc="-", tls=None, sz=((150, 400), (40, 200)),
               dur=(0.2, 2.5), hours=None, t_first=None, cnt_min=1, doh=False):
        t = t_first if t_first is not None else w.start + r.uniform(0, min(interval, (w.end - w.start) / 3))
        n = 0
        while t < w.end:
            ok = h.is_on(t)
            if hours:
                lh = w.local_hour(t)
                ok = ok and hours[0] <= lh < hours[1]
            if ok:
                tt = t
                ip = dst
                if doh:
                    w.tcp(h, tt, "1.1.1.1", 443, r.uniform(0.05, 0.3), r.randint(700, 900), r.randint(3500, 4500), "ssl",
                          ssl={"sni": "cloudflare-dns.com", "alpn": "h2"})
                    tt += r.uniform(0.1, 0.4)
                elif name:
                    ips, tt = w.lookup(h, tt, name)
                    ip = ips[0]
                k = C(cat, desc, h, ip, port)
                assert w.channels[w.chan_idx[k]]["label"] == "c2", k
                ob = r.randint(*sz[0]) + (1500 if tls else 0)
                rb = r.randint(*sz[1]) + (4200 if tls else 0)
                if r.random() < 0.04:   # occasional tasking: bigger response, bigger upload
                    ob += r.randint(1000, 40000)
                    rb += r.randint(200, 5000)
                w.tcp(h, tt, ip, port, r.uniform(*dur), ob, rb, svc, ssl=tls)
                n += 1
                t += interval * (1 + r.uniform(-jitter, jitter))
            else:
                if hours:
                    t += interval * r.uniform(0.9, 1.1) if interval < 3600 else 600
                    continue
                nx = h.next_on(t)
                if not nx:
                    break
                t = nx[0] + r.uniform(30, 400)
        return n

    specs = []
    # a. MQTT beacon to public broker (reconnect per check-in, Mythic-like)
    def a():
        h = host(["desktop", "laptop"])
        bn = r.choice(list(w.pubs))
        port = r.choice([1883, 8883])
        tls = {"sni": bn} if port == 8883 else None
        iv, jit = r.choice([10, 30, 60, 120, 300]), r.choice([0.0, 0.14, 0.3])
        beacon(h, "mqtt_beacon_public_broker", "implant reconnecting to public broker %s:%d for each check-in (medusa-mqtt style), interval %ds jitter %d%%" % (bn, port, iv, jit * 100),
               None, port, bn, iv, jit, "ssl" if tls else "-", tls)
    # b. MQTT beacon to a VPS by raw IP
    def b():
        h = host(["desktop", "laptop", "server"])
        ip = w.ext_ip(r.choice(["vultr", "do", "hetzner"]))
        iv = r.choice([180, 300, 600, 900])
        jit = r.uniform(0.1, 0.5)
        beacon(h, "mqtt_beacon_vps", "MQTT beacon to a rented VPS by hard-coded IP on 1883, interval %ds jitter %.0f%%" % (iv, jit * 100),
               ip, 1883, None, iv, jit)
    # c. long sleep (subtle)
    def c():
        h = host(["desktop", "server"], always=True)
        bn = "mqtt.%s.%s" % (rnd(7), r.choice(ddns))
        w.add_name(bn, [w.ext_ip("vultr")], 60)
        iv = r.uniform(2, 6) * 3600
        beacon(h, "mqtt_long_sleep", "subtle: MQTT/TLS check-in every %.1f h with 30%% jitter to a dynamic-DNS broker" % (iv / 3600),
               None, 8883, bn, iv, 0.3, "ssl", {"sni": bn, "ver": "TLSv12"}, t_first=w.start + r.uniform(600, min(iv, (w.end - w.start) / 3)))
    # d. persistent session streaming small uploads (WailingCrab-like, subtle at conn level)
    def d():
        h = host(["desktop", "server"], always=True)
        bn = "broker.emqx.io" if r.random() < 0.6 else "broker.hivemq.com"
        desc = "subtle: persistent MQTT session to a public broker (%s) holding one connection and streaming small encrypted uploads" % bn
        t = w.start - r.uniform(3600, 86400)
        while t < w.end:
            life = r.uniform(6, 40) * 3600
            if t >= w.start:
                ips, t = w.lookup(h, t, bn)
                ip = ips[0]
            else:
                ip = w.names[bn].ips[0]
            C("mqtt_persistent_stream", desc, h, ip, 1883)
            w.held(h, t, t + life, ip, 1883, 60, "-", hs=(60, 4), ka_b=(2, 2), up_bph=r.uniform(2e3, 2e4),
                   down_bph=r.uniform(100, 800), end_kind=r.choice(["rst", "abrupt"]))
            t += life + r.uniform(10, 120)
    # e. compromised camera, MQTT/TLS to DDNS, DoH resolution (IOCONTROL-like)
    def e():
        h = host(["camera"])
        bn = "%s.%s" % (rnd(9), r.choice(ddns))
        ip = w.ext_ip(r.choice(["do", "vultr"]))
        iv = r.choice([300, 600, 1800])
        beacon(h, "iot_implant_mqtts_ddns", "compromised camera: MQTT over TLS 8883 to a dynamic-DNS host, name resolved via DNS-over-HTTPS (1.1.1.1:443) so no dns.log entry; every %ds" % iv,
               ip, 8883, None, iv, 0.1, "ssl", {"sni": bn, "ver": "TLSv12"}, sz=((200, 500), (30, 90)), doh=True)
    # f. XMPP C2 to public server, held (GLOOXMAIL-like)
    def f():
        h = host(["desktop", "server"], always=True)
        n = r.choice(["exploit.im", "xmpp.is", "jabb.im", "404.city"])
        w.add_name(n, [w.ext_ip("misc")], 3600)
        ip = w.names[n].ips[0]
        C("xmpp_c2_public", "subtle: XMPP bot (5222 STARTTLS) held 24/7 on a public Jabber server; commands arrive as chat", h, ip, 5222)
        t = w.start - r.uniform(3600, 86400)
        while t < w.end:
            life = r.uniform(10, 50) * 3600
            if t >= w.start:
                _, t = w.lookup(h, t, n)
            w.held(h, t, t + life, ip, 5222, r.choice([60, 90]), "ssl,xmpp", hs=(3000, 6500), ka_b=(1, 1),
                   up_bph=r.uniform(300, 3000), down_bph=r.uniform(200, 1500), ssl={"sni": None}, end_kind="rst")
            t += life + r.uniform(60, 600)
    # g. AMQP to a VPS
    def g():
        h = host(["server", "desktop"])
        ip = w.ext_ip(r.choice(["hetzner", "ovh"]))
        iv = r.choice([300, 600, 900])
        beacon(h, "amqp_vps", "AMQP 0-9-1 (5672) beacon to a rented VPS by IP, every %ds jitter 20%%" % iv, ip, 5672, None, iv, 0.2,
               sz=((600, 900), (500, 800)), dur=(0.3, 1.5))
    # h. STOMP to a VPS
    def hh():
        h = host(["desktop", "laptop", "server"])
        bn = "queue.%s.%s" % (rnd(6), r.choice(["com", "net", "xyz"]))
        w.add_name(bn, [w.ext_ip("vultr")], 300)
        iv = r.choice([120, 240, 600])
        beacon(h, "stomp_vps", "STOMP (61613) poll to a VPS domain every %ds jitter 15%%" % iv, None, 61613, bn, iv, 0.15,
               sz=((150, 350), (60, 300)))
    # i. night only
    def i():
        h = host(["desktop", "server"], always=True)
        ip = w.ext_ip("do")
        iv = r.choice([300, 600])
        beacon(h, "mqtt_night_only", "MQTT beacon active only 00:00-05:00 local time, every %ds jitter 25%%" % iv, ip, 1883, None, iv, 0.25,
               hours=(0.0, 5.0))
    # j. relay through internal broker on an odd timer
    def j():
        h = host(["desktop", "iot", "server"], avoid_dst=srv["mqtt"].ip)
        iv = r.choice([97, 137, 211])
        beacon(h, "internal_broker_relay", "implant relaying through the internal Mosquitto broker (internal destination) on a %ds timer no other client uses" % iv,
               srv["mqtt"].ip, 1883, None, iv, 0.05, sz=((120, 300), (8, 90)), dur=(0.05, 0.6))
    # k. MQTT on a non-standard port
    def k():
        h = host(["desktop", "laptop"])
        port = r.choice([443, 8080, 2883])
        ip = w.ext_ip("vultr")
        iv = r.choice([60, 120, 300])
        beacon(h, "mqtt_nonstandard_port", "cleartext MQTT beacon on port %d (no TLS) to a VPS, every %ds jitter 10%%" % (port, iv), ip, port, None, iv, 0.1)
    # l. telemetry mimic: attacker AWS IoT account from an IoT gateway/sensor (subtle)
    def l():
        h = host(["iot"])
        pref = "".join(r.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(14))
        n = "%s-ats.iot.%s.amazonaws.com" % (pref, r.choice(["ap-southeast-1", "us-west-2", "eu-north-1"]))
        w.add_name(n, [w.ext_ip("aws") for _ in range(6)], 60, nans=4)
        iv = r.choice([300, 600, 900])
        beacon(h, "telemetry_mimic_aws_iot", "subtle: sensor publishing to an attacker-owned AWS IoT account every %ds with telemetry-sized messages" % iv,
               None, 8883, n, iv, 0.02, "ssl", {"sni": n, "ver": "TLSv12"}, sz=((250, 330), (20, 40)), dur=(0.3, 0.9))
    # m. low-and-slow XMPP direct TLS
    def m():
        h = host(["desktop", "laptop"])
        n = r.choice(["jabber.ru", "thesecure.biz", "yax.im"])
        w.add_name(n, [w.ext_ip("misc")], 3600)
        iv = r.uniform(3, 8) * 3600
        beacon(h, "xmpp_low_slow", "subtle: XMPP direct-TLS (5223) login, fetch offline messages, logout every %.1f h" % (iv / 3600),
               None, 5223, n, iv, 0.4, "ssl", {"sni": n}, sz=((2500, 3500), (4000, 6000)), dur=(2, 12),
               t_first=w.start + r.uniform(300, 3 * 3600))
    # n. MQTT over WSS to public broker
    def n_():
        h = host(["desktop", "laptop"])
        bn = "broker.hivemq.com"
        iv = r.choice([600, 900])
        beacon(h, "mqtt_wss_public", "PowerShell MQTT-over-WebSocket (wss :8884) beacon to a public broker every %ds jitter 40%%" % iv,
               None, 8884, bn, iv, 0.4, "ssl", {"sni": bn, "alpn": "http/1.1"}, sz=((600, 1200), (300, 900)))
    # o. bamboo-like GUID heartbeat to cloudflare-fronted domain on 8883 held with reconnects
    def o():
        h = host(["desktop", "server"])
        bn = "%s.%s.com" % (rnd(5), rnd(8))
        w.add_name(bn, [w.ext_ip("cf"), w.ext_ip("cf")], 300, nans=2)
        iv = r.choice([120, 180, 240])
        beacon(h, "mqtt_heartbeat_guid", "online/offline heartbeat with host GUID over MQTT/TLS 8883 to a Cloudflare-fronted domain, every %ds" % iv,
               None, 8883, bn, iv, 0.05, "ssl", {"sni": bn}, sz=((300, 600), (20, 80)))
    core = [a, b, c, d, e, f, g, i, j, k, l]
    extra = [hh, m, n_, o]
    chosen = core + r.sample(extra, r.randint(0, len(extra)))
    for fn in chosen:
        fn()
