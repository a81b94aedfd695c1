"""Benign hosts and client programs.

Categories (see README): chat (internal and public XMPP), xmpp-federation, dev-broker (hosted and
internal AMQP), iot-telemetry (internal MQTT, AWS IoT, Azure IoT Hub, vendor cloud, Greengrass on
443), home-automation, ci-burst, shared-internal-broker (STOMP and MQTT apps), apple-push,
odd-benign (mosquitto_pub tests, browser MQTT dashboard, game chat) and a web background that is
not a pub/sub channel.
"""
from __future__ import annotations

import datetime as dt
import uuid

import dialogues as D
import protocols as P
from model import Actor, Session
from util import UTC, poisson_times, ralnum, rbytes, rhex, rng

# ==============================================================================================
# hosts
# ==============================================================================================


def build_hosts(W):
    r = rng(W.seed, "hosts")
    W.srv = {}

    def server(key, name, os_, lo, hi):
        ip = W.alloc(W.net_srv, lo, hi, r)
        h = W.add_host(name, ip, os_, "server", "vmware", r, presence="always")
        W.srv[key] = h
        return h

    server("dc", "DC01", "windows", 10, 12)
    server("chat", "CHAT01", "linux", 20, 29)
    server("rabbit", "MQ01", "linux", 30, 39)
    server("amq", "AMQ01", "linux", 40, 49)
    server("mqtt", "MQTT01", "linux", 50, 59)
    server("build", "BUILD01", "linux", 60, 69)
    if r.random() < 0.65:
        server("buildwin", "BUILDWIN01", "windows", 70, 79)
    W.app_servers = [server(f"app{i}", f"APP{i:02d}", "linux", 80, 120) for i in range(1, r.randint(3, 6) + 1)]

    users = set()

    def person():
        while True:
            f, l = r.choice(__import__("world").FIRST), r.choice(__import__("world").LAST)
            u = f[0] + l
            if u not in users:
                users.add(u)
                return u

    W.workstations = []
    for i in range(r.randint(36, 62)):
        dept = r.choice(__import__("world").DEPTS)
        user = person()
        if r.random() < 0.55:
            wifi = r.random() < 0.6
            h = W.add_host(f"LT-{dept}-{r.randint(100, 999)}", W.alloc(W.net_wifi if wifi else r.choice(W.net_ws), 20,
                                                                        250, r),
                           "windows", "laptop", r.choice(["lenovo", "dell", "hp"]), r, user=user, dept=dept,
                           presence="laptop")
        else:
            always = r.random() < 0.38
            h = W.add_host(f"WKS-{dept}-{r.randint(100, 999)}", W.alloc(r.choice(W.net_ws), 20, 250, r), "windows",
                           "workstation", r.choice(["dell", "hp"]), r, user=user, dept=dept,
                           presence="always" if always else "office_desktop")
            if always:
                h.tags.add("weekly_reboot")
        h.is_dev = dept in ("ENG", "RND", "QA") and r.random() < 0.6
        W.workstations.append(h)
    W.macs = []
    for i in range(r.randint(4, 9)):
        dept = r.choice(["MKT", "ENG", "RND", "SAL"])
        h = W.add_host(f"MAC-{dept}-{r.randint(10, 99)}", W.alloc(W.net_wifi, 20, 250, r), "macos", "mac", "apple", r,
                       user=person(), dept=dept, presence="laptop")
        W.macs.append(h)
    W.phones = []
    for i in range(r.randint(8, 14)):
        if r.random() < 0.55:
            h = W.add_host(f"iPhone-{r.choice(__import__('world').FIRST).capitalize()}-{r.randint(1, 99)}",
                           W.alloc(W.net_wifi, 20, 250, r), "ios", "phone", "apple", r, presence="phone_personal")
        else:
            h = W.add_host(r.choice([f"iPad-MR-{r.randint(1, 40):02d}", f"iPhone-WH-{r.randint(1, 40):02d}",
                                     f"iPad-Kiosk-{r.randint(1, 9)}"]), W.alloc(W.net_wifi, 20, 250, r), "ios",
                           "phone", "apple", r, presence="always")
        W.phones.append(h)
    # IoT subnet
    W.iot = []

    def iot(name, kind, vendor, os_="rtos"):
        h = W.add_host(name, W.alloc(W.net_iot, 10, 240, r), os_, "iot", vendor, r, presence="always")
        h.tags.update({kind, "blips"})
        W.iot.append(h)
        return h

    for i in range(r.randint(2, 5)):
        iot(f"tasmota-{rhex(r, 6)}", "tasmota", "espressif")
    for i in range(r.randint(1, 3)):
        iot(f"shellyplug-s-{rhex(r, 6).upper()}", "shelly", "shelly")
    for i in range(r.randint(2, 4)):
        iot(f"esp32-env-{i + 1:02d}", "esp32", "espressif")
    for i in range(r.randint(2, 4)):
        iot(f"bms-gw-{i + 1:02d}", "aws", "siemens", "linux")
    for i in range(r.randint(1, 3)):
        iot(f"meter-{rhex(r, 4)}", "azure", "espressif")
    for i in range(r.randint(1, 2)):
        iot(f"thermostat-{rhex(r, 4)}", "vendor", "espressif")
    if r.random() < 0.6:
        iot("gg-core-01", "greengrass", "rpi", "linux")
    for i in range(r.randint(2, 4)):
        iot(f"cam-{r.choice(['lobby', 'dock', 'gate', 'lab', 'store'])}-{i + 1:02d}", "camera", "hikvision", "linux")
    iot("homeassistant", "ha", "rpi", "linux")
    iot("zigbee-gw", "z2m", "rpi", "linux")
    for h in W.hosts:
        W.schedule(h, rng(W.seed, "sched", h.name))


# ==============================================================================================
# endpoints
# ==============================================================================================


def internal_ep(W, key, name, host, rtt=None):
    r = rng(W.seed, "ep", key)
    return W.endpoint(key, name, [host.ip], True, rtt or r.uniform(0.0002, 0.0009), ttl_seen=64, dns_ttl=1200,
                      rdns=host.fqdn)


def public_ep(W, key, name, n_ips=1, issuer="le", rtt=None, cname=None, **kw):
    if key in W.eps:
        return W.eps[key]
    r = rng(W.seed, "ep", key)
    ips = W.ext_ips(n_ips, r)
    kw.setdefault("dns_ttl", r.choice([60, 300, 300, 600, 3600]))
    ep = W.endpoint(key, name, ips, False, rtt or r.uniform(0.012, 0.16),
                    ttl_seen=r.choice([44, 48, 50, 52, 54, 113, 116, 118]), cname=cname, **kw)
    if issuer and name:
        ep.chain = W.chain(name, issuer, r)
    return ep


PUBLIC_BROKERS = {"broker.hivemq.com": "le", "test.mosquitto.org": "le", "broker.emqx.io": "digicert",
                  "mqtt.eclipseprojects.io": "le"}


def public_broker(W, name):
    return public_ep(W, "broker:" + name, name, n_ips=1,
                     issuer=PUBLIC_BROKERS[name], rtt=rng(W.seed, "rtt", name).uniform(0.015, 0.11))


def aws_iot_ep(W, prefix, region):
    """AWS IoT data endpoints of every account in a region resolve into the same address pool."""
    pool_key = "awsiot-pool:" + region
    if pool_key not in W.eps:
        r = rng(W.seed, "ep", pool_key)
        W.eps[pool_key] = W.endpoint(pool_key, None, W.ext_ips(6, r), False, r.uniform(0.015, 0.09))
    pool = W.eps[pool_key]
    name = f"{prefix}-ats.iot.{region}.amazonaws.com"
    ep = W.endpoint("awsiot:" + name, name, pool.ips, False, pool.rtt, ttl_seen=236, dns_ttl=60, answer_n=4,
                    rdns=None)
    ep.chain = W.chain(f"*.iot.{region}.amazonaws.com", "amazon", rng(W.seed, "cert", region),
                       sans=[f"*.iot.{region}.amazonaws.com", f"iot.{region}.amazonaws.com"])
    return ep


def local_iso(W, t):
    return dt.datetime.fromtimestamp(t + W.tz * 3600, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def tls_pre(W, a, s, cv):
    t = a.meta.get("tls")
    if not t:
        return None
    ep = s.ep
    sni = s.extra.get("sni", ep.name if t.get("sni", True) else None)
    info = D.tls_handshake(cv, sni, t.get("alpn"), t["tls13"], ep.chain, t.get("client_chain"),
                           profile=t.get("profile", "openssl"), alpn_selected=t.get("alpn_sel"))
    if ep.self_signed and info.get("validation_status"):
        info["validation_status"] = "self signed certificate"
    cv.enc = D.tls_enc(cv.r, t["tls13"])
    return info


# ----------------------------------------------------------------------------------------------
# generic runners
# ----------------------------------------------------------------------------------------------


def run_mqtt(W, a, s, cv):
    ssl = tls_pre(W, a, s, cv)
    cfg = a.meta["cfg"](W, a, s, cv.r)
    return D.mqtt_persistent(cv, s.t_stop, cfg, clean_close=s.close == "fin_o"), ssl


def run_amqp(W, a, s, cv):
    ssl = tls_pre(W, a, s, cv)
    cfg = a.meta["cfg"](W, a, s, cv.r)
    return D.amqp_persistent(cv, s.t_stop, cfg, clean_close=s.close == "fin_o"), ssl


def run_stomp(W, a, s, cv):
    ssl = tls_pre(W, a, s, cv)
    cfg = a.meta["cfg"](W, a, s, cv.r)
    return D.stomp_persistent(cv, s.t_stop, cfg, clean_close=s.close == "fin_o"), ssl


def run_xmpp(W, a, s, cv):
    cfg = a.meta["cfg"](W, a, s, cv.r)
    return D.xmpp_persistent(cv, s.t_stop, cfg, clean_close=s.close == "fin_o")


def run_tls(W, a, s, cv):
    cfg = a.meta["cfg"](W, a, s, cv.r)
    return D.tls_generic(cv, s.t_stop, cfg, clean_close=s.close in ("fin_o", "fin_r"))


def windows_in(intervals, a, b):
    out = []
    for x, y in intervals:
        x, y = max(x, a), min(y, b)
        if y > x:
            out.append((x, y))
    return out


def new_actor(W, **kw) -> Actor:
    return Actor(**kw)


# ==============================================================================================
# actors
# ==============================================================================================


def build_actors(W):
    build_endpoints(W)
    chat(W)
    federation(W)
    dev_amqp(W)
    iot(W)
    home_automation(W)
    ci(W)
    shared_brokers(W)
    apple_push(W)
    odd_benign(W)
    if W.with_background:
        background_web(W)


XMPP_PUBLIC = ["jabber.hot-chilli.net", "xmpp.jp", "conversations.im", "jabber.de", "yax.im", "jabber.at"]


def build_endpoints(W):
    r = rng(W.seed, "endpoints")
    W.ep_chat = internal_ep(W, "chat", f"xmpp.{W.ad}", W.srv["chat"])
    W.ep_rabbit = internal_ep(W, "rabbit", f"rabbitmq.{W.ad}", W.srv["rabbit"])
    W.ep_amq = internal_ep(W, "amq", f"activemq.{W.ad}", W.srv["amq"])
    W.ep_mqtt = internal_ep(W, "mqtt", f"mqtt.{W.ad}", W.srv["mqtt"])
    W.xmpp_public = []
    for name in r.sample(XMPP_PUBLIC, r.randint(2, 3)):
        W.xmpp_public.append(public_ep(W, "xmpp:" + name, name, n_ips=1, issuer="le"))
    # Apple push: one address pool; each connection looks up a random N-courier name
    ra = rng(W.seed, "ep", "apple")
    apple_ips = [W.alloc(f"17.{ra.choice([57, 188, 252])}.{ra.randint(144, 170)}.", 2, 250, ra) for _ in range(10)]
    W.ep_apple = W.endpoint("apple", "courier.push.apple.com", apple_ips, False, ra.uniform(0.01, 0.04),
                            ttl_seen=246, dns_ttl=60)
    W.ep_apple.chain = W.chain("courier.push.apple.com", "apple", ra, sans=["courier.push.apple.com",
                                                                           "*.courier.push.apple.com"])
    W.aws_region = r.choice(["eu-west-1", "eu-central-1", "us-east-1", "us-west-2"])
    W.aws_prefix = ralnum(r, 14, "abcdefghijklmnopqrstuvwxyz0123456789")
    W.ep_aws = aws_iot_ep(W, W.aws_prefix, W.aws_region)
    hub = r.choice(["iothub", "metering", "fleet"]) + "-" + W.org.split("-")[0] + "-" + r.choice(["prod", "weu", "01"])
    W.ep_azure = public_ep(W, "azure", f"{hub}.azure-devices.net", 1, "microsoft", dns_ttl=60,
                           cname=f"{hub}-ih.cloudapp.net")
    W.azure_hub = f"{hub}.azure-devices.net"


# ----------------------------------------------------------------------------------------------
# chat
# ----------------------------------------------------------------------------------------------

CHAT_CLIENTS = {
    "pidgin": (r"C:\Program Files (x86)\Pidgin\pidgin.exe", "https://pidgin.im/", "purple", False, 180),
    "gajim": (r"C:\Program Files\Gajim\bin\Gajim.exe", "https://gajim.org", "gajim_", True, 120),
    "spark": (r"C:\Program Files\Spark\Spark.exe", "http://www.igniterealtime.org/projects/smack", "spk", False, 150),
    "adium": (None, "http://www.adium.im/", "adium", False, 240),
    "monal": (None, "http://monal-im.org/", "monal", True, 240),
}


def chat(W):
    r = rng(W.seed, "chat")
    pool = W.workstations + W.macs
    users = r.sample(pool, min(len(pool), r.randint(26, 34)))
    W.chat_users = {}
    W.chat_kind = {}
    internal_users = []
    for h in users:
        if h.os == "windows":
            kind = r.choices(["pidgin", "gajim", "spark"], [5, 2, 3])[0]
        else:
            kind = r.choice(["adium", "monal"])
        servers = []
        if r.random() < 0.7:
            servers.append(W.ep_chat)
            internal_users.append(h)
            if r.random() < 0.12:
                servers.append(r.choice(W.xmpp_public))
        else:
            servers.append(r.choice(W.xmpp_public))
        W.chat_users[h.name] = [ep.key for ep in servers]
        W.chat_kind[h.name] = kind
        for ep in servers:
            make_chat_actor(W, h, kind, ep, r)
    W.internal_chat_hosts = internal_users


def make_chat_actor(W, h, kind, ep, r, label="benign", category="chat", aid=None, image=None, extra_cfg=None,
                    sessions=None, description=None, template=None):
    img, caps, idp, sni, ka = CHAT_CLIENTS[kind]
    internal = ep.internal
    if internal:
        mode, port, service = "plain", 5222, "xmpp"
        domain = W.ad
    else:
        mode = "starttls" if r.random() < 0.8 else "tls"
        port = 5222 if mode == "starttls" else 5223
        service = "xmpp,ssl" if mode == "starttls" else "ssl"
        domain = ep.name
    user = h.user or "user" + rhex(r, 4)
    if internal or r.random() < 0.5:
        acct = user
    else:
        acct = user + r.choice(["", "_", "."]) + str(r.randint(1, 99))
    resource = f"{kind}-{h.name}" if kind != "gajim" else "gajim." + rhex(r, 8)
    jid = f"{acct}@{domain}/{resource}"
    others = [u for u in W.hosts if u.user and u is not h]
    contacts = [f"{o.user}@{domain}" for o in r.sample(others, min(len(others), r.randint(4, 14)))]
    tls13 = kind != "adium"
    conv_rate = r.uniform(0.6, 5.0) / 3600
    base = dict(domain=domain, mode=mode, user=acct, resource=resource, jid=jid, id_prefix=idp, caps_node=caps,
                contacts=contacts, keepalive=ka, ws_keepalive=kind == "gajim", tls13=tls13, chain=ep.chain,
                sni=domain if sni else None, alpn=["xmpp-client"] if mode == "tls" else None,
                split_prolog=kind == "pidgin", presence_rate=1 / r.uniform(900, 3600))
    if extra_cfg:
        base.update(extra_cfg)

    def cfg(W, a, s, rr):
        c = dict(base)
        c["conv_windows"] = windows_in(a.host.present, s.start, s.t_stop)
        c["conv_rate"] = conv_rate if label == "benign" else c.get("conv_rate", 0.0)
        return c

    a = Actor(id=aid or f"chat-{h.name}-{ep.key.split(':')[-1]}".lower(), label=label, category=category,
              description=description or (f"{kind} XMPP client of {h.user or h.name} on "
                                          f"{'the internal chat server' if internal else ep.name}"
                                          f" ({'cleartext' if internal else mode.upper()})"),
              host=h, ep=ep, port=port, protocol="xmpp", service=service,
              image=image if image is not None else img, user=f"{W.netbios}\\{h.user}" if h.user else None,
              runner=run_xmpp, template=template)
    a.meta.update(cfg=cfg, xmpp_mode=mode, jid=jid)
    if sessions is None:
        sessions = W.plan_persistent(r, h.online, delay=(20, 240), mean_len=None if r.random() < 0.8 else 4 * 3600,
                                     gap=(5, 60), vanish=(100, 280))
    a.sessions = sessions
    for s in a.sessions:
        s.extra["conv"] = True
    return W.add_actor(a)


def federation(W):
    """Internal XMPP server <-> public servers (s2s, 5269, STARTTLS); opened on demand, closed when idle."""
    r = rng(W.seed, "federation")
    W.s2s_activity = {ep.key: [] for ep in W.xmpp_public}
    W.s2s_actors = {}
    for ep in W.xmpp_public:
        acts = []
        for day in W.days():
            if not W.is_workday(day):
                continue
            m = W.lmid(day)
            acts += [(t, r.randint(200, 1400)) for t in poisson_times(r, m + 8.5 * 3600, m + 18 * 3600,
                                                                       r.uniform(1.5, 5) / 3600)]
        W.s2s_activity[ep.key] = acts
        a = Actor(id=f"s2s-{ep.name}".lower(), label="benign", category="xmpp-federation",
                  description=f"server-to-server federation from the internal XMPP server to {ep.name} "
                              "(STARTTLS + dialback), opened when users chat with external contacts",
                  host=W.srv["chat"], ep=ep, port=5269, protocol="xmpp", service="xmpp,ssl", image=None, user=None,
                  runner=run_s2s)
        a.meta["ep"] = ep
        W.s2s_actors[ep.key] = a
    # sessions are planned after the C2 builder added relayed traffic (see finish_federation)


def finish_federation(W):
    r = rng(W.seed, "federation-sessions")
    for key, a in W.s2s_actors.items():
        acts = sorted(t for t, _ in W.s2s_activity[key] if W.T0 <= t < W.T1)
        sess = []
        i = 0
        while i < len(acts):
            start = acts[i] - r.uniform(0.05, 0.3)
            j = i
            while j + 1 < len(acts) and acts[j + 1] - acts[j] < 230:
                j += 1
            end = acts[j] + r.uniform(180, 240)
            sess.append(Session(start, end, end + 0.05, "fin_o"))
            i = j + 1
        a.sessions = sess
        a.meta["activity"] = sorted(W.s2s_activity[key])
        W.add_actor(a)


def run_s2s(W, a, s, cv):
    ep = a.meta["ep"]
    cfg = {"from": W.ad, "to": ep.name, "tls13": True, "chain": ep.chain, "in_rate": 1 / 1200}
    acts = [(t, n) for t, n in a.meta["activity"] if s.start < t < s.t_stop]
    return D.xmpp_s2s(cv, s.t_stop, cfg, acts)


# ----------------------------------------------------------------------------------------------
# developers and AMQP
# ----------------------------------------------------------------------------------------------

DEV_TOOLS = {
    "pika": (r"C:\Users\{u}\src\{proj}\.venv\Scripts\python.exe", "pika"),
    "java": (r"C:\Users\{u}\.jdks\temurin-21.0.2\bin\java.exe", "java"),
    "dotnet": (r"C:\Program Files\dotnet\dotnet.exe", "dotnet"),
    "node": (r"C:\Program Files\nodejs\node.exe", "amqplib"),
}


def dev_amqp(W):
    r = rng(W.seed, "dev")
    devs = [h for h in W.workstations if h.is_dev]
    r.shuffle(devs)
    devs = devs[: r.randint(4, 6)]
    if len(devs) < 4:
        extra = [h for h in W.workstations if h not in devs and h.dept in ("ENG", "RND", "IT", "QA", "OPS")]
        devs += extra[: 4 - len(devs)]
        for h in devs:
            h.is_dev = True
    W.devs = devs
    hosted = []
    for k in range(r.randint(1, 2)):
        if r.random() < 0.5:
            name = f"{r.choice(['hawk', 'sparrow', 'rattlesnake', 'kangaroo', 'toucan', 'goose'])}.rmq.cloudamqp.com"
            issuer = "le"
        else:
            name = f"b-{uuid.UUID(int=r.getrandbits(128))}-1.mq.{W.aws_region}.amazonaws.com"
            issuer = "amazon"
        hosted.append(public_ep(W, "hosted:" + name, name, 1, issuer, dns_ttl=60))
    W.hosted_amqp = hosted
    celery_dev = r.choice(devs)
    for h in devs:
        tool = r.choice(list(DEV_TOOLS))
        proj = r.choice(["orders-api", "inventory-sync", "notifier", "billing-worker", "telemetry-ingest"])
        img = DEV_TOOLS[tool][0].format(u=h.user, proj=proj)
        lib = DEV_TOOLS[tool][1]
        for ep in [r.choice(hosted), W.ep_rabbit]:
            internal = ep.internal
            is_celery = internal and h is celery_dev
            a = Actor(id=f"dev-{h.name}-{'rabbitmq' if internal else 'hosted'}".lower(), label="benign",
                      category="dev-broker",
                      description=(f"developer {h.user} running {proj} ({lib}) against "
                                   + ("the internal RabbitMQ" if internal else f"the hosted broker {ep.name}")
                                   + (" as a Celery worker (worker.heartbeat every 2 s)" if is_celery else "")),
                      host=h, ep=ep, port=5672 if internal else 5671, protocol="amqp",
                      service="-" if internal else "ssl",
                      image=(img if not is_celery else rf"C:\Users\{h.user}\src\{proj}\.venv\Scripts\celery.exe"),
                      user=f"{W.netbios}\\{h.user}", runner=run_amqp)
            if not internal:
                a.meta["tls"] = {"tls13": True}
            a.meta["cfg"] = dev_amqp_cfg(W, h, proj, "py-amqp" if is_celery else lib, internal, is_celery)
            sess = []
            for (x, y) in h.present:
                n = r.choice([0, 1, 1, 2, 2, 3, 4]) if not is_celery else r.choice([0, 1, 1, 2])
                for _ in range(n):
                    st = r.uniform(x, y - 300)
                    L = min(r.lognormvariate(6.8, 1.0), 3 * 3600) if not is_celery else r.uniform(3600, 3 * 3600)
                    en = min(st + max(L, 60), y - 30)
                    if en - st < 60:
                        continue
                    close = "fin_o" if r.random() < 0.7 else "rst_o"
                    sess.append(Session(st, en, en + 0.05, close))
            a.sessions = sess
            W.add_actor(a)


def dev_amqp_cfg(W, h, proj, lib, internal, celery):
    def cfg(W, a, s, r):
        server = P.rabbitmq_server_props(cluster="rabbit@mq01" if internal else
                                         (s.ep.name.split(".")[0] if s.ep.name else "rabbit"))
        c = {"server_props": server, "client_props": P.amqp_client_props(lib, f"{proj}@{h.name}"
                                                                              if lib != "py-amqp" else None),
             "user": h.user if internal else proj, "password": rhex(r, 16), "vhost": "/" if internal else proj,
             "heartbeat": 60, "queues": [f"{proj}.{h.user}.dev"],
             "consume": f"{proj}.{h.user}.dev", "deliver_rate": r.uniform(0.002, 0.05),
             "deliver": lambda r, t: ("", f"{proj}.{h.user}.dev", D.jdump({"id": str(uuid.UUID(int=r.getrandbits(128))),
                                                                          "event": r.choice(["created", "updated",
                                                                                             "shipped"]),
                                                                          "ts": round(t, 3)}), {}),
             }
        if celery:
            c["queues"] = ["celery"]
            c["bindings"] = [("celery", "celeryev", "worker.#")]
            c["consume"] = "celery"
            c["deliver_rate"] = 1 / 90
            c["deliver"] = lambda r, t: ("", "celery", D.jdump({"id": str(uuid.UUID(int=r.getrandbits(128))),
                                                                "task": f"{proj}.tasks.process", "args": [r.randint(1, 9999)]}),
                                         {})

            def hb_times(r, a, b):
                out, t = [], a + r.uniform(0, 2)
                while t < b:
                    out.append(t)
                    t += 2.0 + r.uniform(-0.003, 0.004)
                return out
            c["pub_times"] = hb_times
            hbfmt = ('{"hostname":"celery@%s","utcoffset":%d,"pid":7312,"clock":%%d,"freq":2.0,"active":0,'
                     '"processed":%%d,"loadavg":[0.0,0.0,0.0],"sw_ident":"py-celery","sw_ver":"5.3.6",'
                     '"sw_sys":"Windows","timestamp":%%.6f,"type":"worker-heartbeat"}' % (h.name, -W.tz))
            c["pub"] = lambda r, t: ("celeryev", "worker.heartbeat",
                                     (hbfmt % (int((t - W.T0) / 2), int((t - W.T0) / 37), t)).encode(),
                                     {"content_type": "application/json"})
        else:
            c["pub_times"] = lambda r, a, b: poisson_times(r, a, b, r.uniform(0.003, 0.06))
            c["pub"] = lambda r, t: ("amq.topic" if r.random() < 0.5 else "", f"{proj}.events",
                                     D.jdump({"id": r.randint(1, 10 ** 6), "source": h.name.lower(),
                                              "payload": rhex(r, r.randint(8, 120))}), {})
        return c
    return cfg


# ----------------------------------------------------------------------------------------------
# IoT
# ----------------------------------------------------------------------------------------------


def iot(W):
    for h in W.iot:
        r = rng(W.seed, "iot", h.name)
        kind = next(k for k in ("tasmota", "shelly", "esp32", "aws", "azure", "vendor", "greengrass") if k in h.tags) \
            if h.tags & {"tasmota", "shelly", "esp32", "aws", "azure", "vendor", "greengrass"} else None
        if kind is None:
            continue
        globals()["iot_" + kind](W, h, r)


def _iot_actor(W, h, r, ep, port, service, desc, cfg, tls=None, by_ip=False, mean_len=3 * 86400,
               fixed_len=None, drop=("rst_r",), vanish_ka=60):
    a = Actor(id=f"iot-{h.name}".lower() + ("" if port in (1883,) else f"-{port}"), label="benign",
              category="iot-telemetry", description=desc, host=h, ep=ep, port=port, protocol="mqtt", service=service,
              image=None, user=None, runner=run_mqtt)
    a.meta["cfg"] = cfg
    a.meta["by_ip"] = by_ip
    if tls:
        a.meta["tls"] = tls
    a.sessions = W.plan_persistent(r, h.online, delay=(2, 15), mean_len=mean_len, fixed_len=fixed_len, gap=(2, 45),
                                   vanish=(1.5 * vanish_ka, min(280, 1.5 * vanish_ka + 30)), drop_close=drop)
    return W.add_actor(a)


def iot_tasmota(W, h, r):
    topic = "tasmota_" + h.name.split("-")[1][-6:].upper()
    cid = "DVES_" + h.name.split("-")[1][-6:].upper()
    tele = r.choice([300, 300, 60, 120])

    def cfg(W, a, s, rr):
        up0 = s.start

        def pub(r, k, t):
            up = int(t - up0)
            lt = local_iso(W, t)
            st = ('{"Time":"%s","Uptime":"%dT%02d:%02d:%02d","UptimeSec":%d,"Heap":%d,"SleepMode":"Dynamic","Sleep":50,'
                  '"LoadAvg":%d,"MqttCount":%d,"POWER":"ON","Wifi":{"AP":1,"SSId":"corp-iot","Channel":6,"Mode":"11n",'
                  '"RSSI":%d,"Signal":%d,"LinkCount":1,"Downtime":"0T00:00:03"}}'
                  % (lt, up // 86400, (up % 86400) // 3600, (up % 3600) // 60, up % 60, up, 22 + k % 6, 18 + k % 13,
                     s.idx + 1, 60 + k % 20, -55 - k % 15))
            p = 2 + (k * 37 + s.idx) % 118
            se = ('{"Time":"%s","ENERGY":{"TotalStartTime":"2025-03-11T09:12:40","Total":%.3f,"Yesterday":0.812,'
                  '"Today":%.3f,"Period":%d,"Power":%d,"ApparentPower":%d,"ReactivePower":9,"Factor":0.93,'
                  '"Voltage":%d,"Current":%.3f}}'
                  % (lt, 30 + (t - W.T0) / 86400 * 0.8, ((t - W.T0) % 86400) / 86400, k % 9, p, p + 6,
                     228 + k % 7, p / 230))
            return [(f"tele/{topic}/STATE", st.encode(), 0), (f"tele/{topic}/SENSOR", se.encode(), 0)]
        return {"client_id": cid, "keepalive": 30, "username": "DVES_USER", "password": "iot-" + rhex(r, 8),
                "will": (f"tele/{topic}/LWT", "Offline", 1, True),
                "subs": [(f"cmnd/{topic}/#", 0), ("cmnd/tasmotas/#", 0), (f"cmnd/{cid}_fb/#", 0)],
                "birth": [(f"tele/{topic}/LWT", b"Online", 1, True),
                          (f"tele/{topic}/INFO1", D.jdump({"Info1": {"Module": "Sonoff S31", "Version": "13.4.0(tasmota)",
                                                                    "FallbackTopic": f"cmnd/{cid}_fb/",
                                                                    "GroupTopic": "cmnd/tasmotas/"}}), 0, False)],
                "period": tele, "jitter": 0.002, "pub": pub, "in_rate": 0.0}
    a = _iot_actor(W, h, r, W.ep_mqtt, 1883, "mqtt", f"Tasmota smart plug {topic}: tele/ every {tele} s to the internal "
                                                "broker (by IP), keepalive 30 s", cfg, by_ip=True, vanish_ka=30)
    a.meta["msg_rate"] = 2.0 / tele


def iot_shelly(W, h, r):
    sid = h.name

    def cfg(W, a, s, rr):
        def pub(r, k, t):
            out = [(f"shellies/{sid}/relay/0/power", f"{r.uniform(0, 60):.2f}".encode(), 0)]
            if k % 10 == 0:
                out.append((f"shellies/{sid}/relay/0/energy", str(int((t - W.T0) / 7)).encode(), 0))
            return out
        return {"client_id": sid, "keepalive": 60, "will": (f"shellies/{sid}/online", "false", 0, True),
                "subs": [(f"shellies/{sid}/relay/0/command", 0), ("shellies/command", 0)],
                "birth": [(f"shellies/{sid}/online", b"true", 0, True),
                          (f"shellies/{sid}/announce", D.jdump({"id": sid, "model": "SHPLG-S", "mac": rhex(r, 12).upper(),
                                                               "ip": a.host.ip, "new_fw": False,
                                                               "fw_ver": "20230913-114244/v1.14.0-gcb84623"}), 0, False)],
                "period": 30, "jitter": 0.01, "pub": pub}
    a = _iot_actor(W, h, r, W.ep_mqtt, 1883, "mqtt", f"Shelly plug {sid}: power/energy every 30 s to the internal "
                   "broker", cfg, by_ip=True)
    a.meta["msg_rate"] = 1.1 / 30


def iot_esp32(W, h, r):
    site = W.org.split("-")[0]
    dev = h.name
    period = r.choice([60, 60, 120, 30])

    def cfg(W, a, s, rr):
        def pub(r, k, t):
            return [(f"sensors/{site}/{dev}/temperature", f"{r.gauss(21.5, 0.8):.2f}".encode(), 0),
                    (f"sensors/{site}/{dev}/humidity", f"{r.gauss(41, 3):.1f}".encode(), 0),
                    (f"sensors/{site}/{dev}/co2", str(int(r.gauss(620, 90))).encode(), 0)]
        return {"client_id": f"esp32-{rhex(rng(W.seed, dev), 6)}", "keepalive": 60, "pub": pub, "period": period,
                "jitter": 0.01, "username": "sensors", "password": rhex(rr, 12)}
    a = _iot_actor(W, h, r, W.ep_mqtt, 1883, "mqtt", f"ESP32 environment sensor publishing sensors/{site}/{dev}/* every "
                                                f"{period} s (Arduino PubSubClient, keepalive 60 s)", cfg, by_ip=True)
    a.meta["msg_rate"] = 3.0 / period


def iot_aws(W, h, r):
    thing = f"{h.name}-{W.org.split('-')[0]}"
    period = r.choice([60, 120, 180, 240])
    cc = W.client_cert(thing, r)

    def cfg(W, a, s, rr):
        def pub(r, k, t):
            out = [(f"dt/{W.org.split('-')[0]}/{thing}/telemetry", D.jdump(
                {"ts": int(t * 1000), "ahu": {"supply_c": round(r.gauss(18, 0.5), 2), "return_c": round(r.gauss(23, 0.7), 2),
                                             "fan_pct": r.randint(30, 80)}, "seq": k}), 1)]
            if k % 5 == 0:
                out.append((f"$aws/things/{thing}/shadow/update", D.jdump(
                    {"state": {"reported": {"fw": "2.7.1", "uptime": int(t - s.start), "rssi": r.randint(-75, -50)}}}), 1))
            return out
        return {"client_id": thing, "keepalive": 1200, "pub": pub, "period": period, "jitter": 0.003,
                "subs": [(f"$aws/things/{thing}/shadow/update/delta", 1), (f"cmd/{thing}/#", 1)],
                "in_rate": 1 / 7200,
                "in_pub": lambda r, t: [(f"$aws/things/{thing}/shadow/update/delta", D.jdump(
                    {"version": r.randint(10, 999), "timestamp": int(t), "state": {"setpoint_c": r.choice([20, 21, 22])}}), 1)]}
    _iot_actor(W, h, r, W.ep_aws, 8883, "ssl", f"building-management gateway {thing} on AWS IoT "
               f"({W.ep_aws.name}), telemetry every {period} s, X.509 client certificate", cfg,
               tls={"tls13": False, "client_chain": cc, "profile": "mbedtls"}, mean_len=4 * 86400)


def iot_azure(W, h, r):
    dev = h.name
    hub = W.azure_hub
    period = r.choice([60, 120, 90])

    def cfg(W, a, s, rr):
        se = int(s.start) + 3600

        def pub(r, k, t):
            return [(f"devices/{dev}/messages/events/$.ct=application%2Fjson&$.ce=utf-8", D.jdump(
                {"deviceId": dev, "kwh": round(1000 + (t - W.T0) / 3600 * 4.2, 2), "kw": round(r.uniform(1, 9), 2),
                 "msgId": k}), 1)]
        return {"client_id": dev, "keepalive": 240, "username": f"{hub}/{dev}/?api-version=2021-04-12&DeviceClientType="
                                                                 "azure-iot-device%2F1.17.2",
                "password": f"SharedAccessSignature sr={hub}%2Fdevices%2F{dev}&sig={P.b64(rbytes(rr, 32)).replace('=', '%3D')}"
                            f"&se={se}",
                "subs": [(f"devices/{dev}/messages/devicebound/#", 1), ("$iothub/twin/res/#", 0)],
                "pub": pub, "period": period, "jitter": 0.005}
    _iot_actor(W, h, r, W.ep_azure, 8883, "ssl", f"smart meter {dev} on Azure IoT Hub {hub}: telemetry every {period} s;"
               " reconnects every ~50 min to renew its SAS token", cfg, tls={"tls13": False}, fixed_len=(2950, 3100),
               drop=("fin_o",), vanish_ka=240)


def iot_vendor(W, h, r):
    vendor = r.choice(["thermaline", "climatic", "heatwise"])
    ep = public_ep(W, "vendor:" + vendor, f"mqtt.{vendor}-cloud.com", 2, "sectigo")
    serial = rhex(r, 12).upper()

    def cfg(W, a, s, rr):
        def pub(r, k, t):
            return [(f"v1/{serial}/up", D.jdump({"t": round(r.gauss(21, 0.4), 1), "sp": 21.0, "h": r.randint(35, 50),
                                                 "v": 3, "ts": int(t)}), 0)]
        return {"client_id": serial, "keepalive": 120, "username": serial, "password": rhex(rr, 32),
                "subs": [(f"v1/{serial}/down", 1)], "pub": pub, "period": 120, "jitter": 0.01, "in_rate": 1 / 20000,
                "in_pub": lambda r, t: [(f"v1/{serial}/down", D.jdump({"cmd": "sync", "ts": int(t)}), 1)]}
    _iot_actor(W, h, r, ep, 1883, "mqtt", f"Wi-Fi thermostat talking cleartext MQTT to its vendor cloud "
               f"mqtt.{vendor}-cloud.com every 120 s", cfg, mean_len=2 * 86400, vanish_ka=120)


def iot_greengrass(W, h, r):
    core = f"gg-core-{W.org.split('-')[0]}-01"
    cc = W.client_cert(core, r)

    def cfg(W, a, s, rr):
        def pub(r, k, t):
            return [(f"gg/{core}/telemetry", D.jdump({"cpu": r.randint(3, 40), "mem": r.randint(30, 60), "ts": int(t)}), 0),
                    (f"$aws/things/{core}/shadow/name/AWSManagedGreengrassV2Deployment/update",
                     D.jdump({"state": {"reported": {"status": "SUCCEEDED"}}}), 1)] if k % 10 == 0 else \
                [(f"gg/{core}/telemetry", D.jdump({"cpu": r.randint(3, 40), "mem": r.randint(30, 60), "ts": int(t)}), 0)]
        return {"client_id": core, "keepalive": 60, "pub": pub, "period": 60, "jitter": 0.002,
                "subs": [(f"$aws/things/{core}/jobs/notify-next", 1), (f"$aws/things/{core}-gci/shadow/get/accepted", 1)]}
    _iot_actor(W, h, r, W.ep_aws, 443, "ssl", f"AWS IoT Greengrass core {core}: MQTT over TLS on 443 with ALPN "
               "x-amzn-mqtt-ca", cfg, tls={"tls13": False, "client_chain": cc, "alpn": ["x-amzn-mqtt-ca"],
                                           "alpn_sel": "x-amzn-mqtt-ca"}, mean_len=5 * 86400)


def internal_topics(W):
    """(topic, payload-maker) pairs actually published on the internal broker by the devices."""
    site = W.org.split("-")[0]
    out = []
    for h in W.iot:
        if "tasmota" in h.tags:
            tp = "tasmota_" + h.name.split("-")[1][-6:].upper()
            out.append((f"tele/{tp}/SENSOR", lambda r: b'{"ENERGY":{"Power":%d}}' % r.randint(2, 120)))
        elif "shelly" in h.tags:
            out += [(f"shellies/{h.name}/relay/0/power", lambda r: b"%.2f" % r.uniform(0, 60))] * 3
        elif "esp32" in h.tags:
            out += [(f"sensors/{site}/{h.name}/temperature", lambda r: b"%.2f" % r.gauss(21.5, 0.8)),
                    (f"sensors/{site}/{h.name}/humidity", lambda r: b"%.1f" % r.gauss(41, 3))]
    for k in range(1, 4):
        out.append((f"plant/line{k}/status", lambda r: b'{"state":"%s","oee":%.2f}' % (
            r.choice([b"running", b"running", b"idle", b"changeover"]), r.uniform(0.6, 0.95))))
    return out


def home_automation(W):
    iot_rate = 0.0
    for a in W.actors:
        if a.category == "iot-telemetry" and a.ep is W.ep_mqtt:
            iot_rate += a.meta.get("msg_rate", 0.02)
    topics = internal_topics(W)
    for h in W.iot:
        r = rng(W.seed, "ha", h.name)
        if "ha" in h.tags:
            def cfg(W, a, s, rr, rate=iot_rate):
                return {"client_id": rhex(rr, 22), "keepalive": 60, "v": 5, "connect_props": P.mqtt5_connect_props(),
                        "subs": [("homeassistant/#", 0), ("tele/+/SENSOR", 0), ("shellies/#", 0), ("sensors/#", 0),
                                 ("zigbee2mqtt/#", 0)],
                        "birth": [("homeassistant/status", b"online", 0, True)],
                        "in_rate": rate, "in_pub": lambda r, t: [(lambda tp: (tp[0], tp[1](r), 0))(r.choice(topics))]}
            a = Actor(id="ha-homeassistant", label="benign", category="home-automation",
                      description="Home Assistant (MQTT 5) subscribed to all device topics on the internal broker",
                      host=h, ep=W.ep_mqtt, port=1883, protocol="mqtt", service="mqtt", runner=run_mqtt)
            a.meta["cfg"] = cfg
            a.sessions = W.plan_persistent(r, h.online, delay=(5, 30), mean_len=6 * 86400)
            W.add_actor(a)
        if "z2m" in h.tags:
            devices = [r.choice(["door", "motion", "plug", "temp", "leak"]) + "_" + r.choice(["lab", "hall", "kitchen",
                                                                                              "store", "dock"]) + str(i)
                       for i in range(r.randint(8, 18))]

            def cfg(W, a, s, rr, devices=devices):
                return {"client_id": "mqttjs_" + rhex(rr, 8), "keepalive": 60,
                        "will": ("zigbee2mqtt/bridge/state", '{"state":"offline"}', 1, True),
                        "subs": [("zigbee2mqtt/#", 0)],
                        "birth": [("zigbee2mqtt/bridge/state", b'{"state":"online"}', 1, True)],
                        "event_times": poisson_times(rr, s.start, s.t_stop, len(devices) / 400.0),
                        "event_pub": lambda r, t: [(f"zigbee2mqtt/{r.choice(devices)}", D.jdump(
                            {"battery": r.randint(40, 100), "linkquality": r.randint(40, 200),
                             r.choice(["contact", "occupancy", "temperature"]): r.choice([True, False, 21.4])}), 0)]}
            a = Actor(id="ha-zigbee2mqtt", label="benign", category="home-automation",
                      description="Zigbee2MQTT bridge publishing zigbee2mqtt/<device> on the internal broker",
                      host=h, ep=W.ep_mqtt, port=1883, protocol="mqtt", service="mqtt", runner=run_mqtt)
            a.meta["cfg"] = cfg
            a.meta["by_ip"] = True
            a.sessions = W.plan_persistent(r, h.online, delay=(5, 30), mean_len=6 * 86400)
            W.add_actor(a)


# ----------------------------------------------------------------------------------------------
# CI bursts
# ----------------------------------------------------------------------------------------------


def ci_bursts(W, r, nightly=True):
    bursts = []
    for day in W.days():
        m = W.lmid(day)
        if nightly:
            bursts.append(m + r.uniform(1.8, 2.4) * 3600)
        if W.is_workday(day):
            bursts += [m + r.uniform(9, 18.5) * 3600 for _ in range(r.randint(2, 5))]
        elif r.random() < 0.25:
            bursts.append(m + r.uniform(10, 20) * 3600)
    return sorted(b for b in bursts if W.T0 <= b < W.T1 - 900)


def ci(W):
    r = rng(W.seed, "ci")
    build = W.srv["build"]
    bursts = ci_bursts(W, r)
    W.ci_bursts = bursts
    specs = [("amqp", W.ep_rabbit, 5672, "-", run_ci_amqp), ("stomp", W.ep_amq, 61613, "-", run_ci_stomp),
             ("mqtt", W.ep_mqtt, 1883, "mqtt", run_ci_mqtt)]
    for proto, ep, port, svc, runner in specs:
        a = Actor(id=f"ci-{build.name}-{proto}".lower(), label="benign", category="ci-burst",
                  description=f"integration-test suite on the Linux build server opening dozens of short {proto.upper()} "
                              "connections to the internal broker in bursts (nightly build and on commits)",
                  host=build, ep=ep, port=port, protocol=proto, service=svc, runner=runner)
        a.sessions = ci_sessions(r, bursts)
        W.add_actor(a)
    if "buildwin" in W.srv:
        bw = W.srv["buildwin"]
        bursts2 = ci_bursts(W, rng(W.seed, "ci-win"), nightly=False)
        for proto, ep, port, svc, runner in (specs[0], specs[2]):
            a = Actor(id=f"ci-{bw.name}-{proto}".lower(), label="benign", category="ci-burst",
                      description=f".NET integration tests on the Windows build agent ({proto.upper()} bursts)",
                      host=bw, ep=ep, port=port, protocol=proto, service=svc, runner=runner,
                      image=r"C:\agent\_work\1\s\tests\Integration\bin\Release\net8.0\testhost.exe",
                      user=f"{W.netbios}\\svc-build")
            a.sessions = ci_sessions(r, bursts2)
            a.meta["proc_per_burst"] = bursts2
            W.add_actor(a)


def ci_sessions(r, bursts):
    out = []
    for b in bursts:
        dur = r.uniform(120, 600)
        n = r.randint(12, 40)
        for t in sorted(r.uniform(b, b + dur) for _ in range(n)):
            L = r.lognormvariate(-0.7, 1.0) if r.random() < 0.9 else r.uniform(8, 40)
            s = Session(t, t + max(L, 0.03), t + max(L, 0.03) + 0.002, "fin_o")
            s.extra["fail"] = r.random() < 0.03
            s.extra["burst"] = b
            out.append(s)
    return out


def run_ci_amqp(W, a, s, cv):
    r = cv.r
    q = f"test.{uuid.UUID(int=r.getrandbits(128))}"
    cfg = {"server_props": P.rabbitmq_server_props(), "client_props": P.amqp_client_props(
        "dotnet" if a.image else "pika", f"pytest-{r.randint(1, 16)}" if not a.image else "IntegrationTests"),
        "user": "ci", "password": "ci-" + rhex(r, 10), "vhost": "ci", "heartbeat": 60, "auth_fail": s.extra["fail"]}
    if not D.amqp_open(cv, cfg):
        return cv.sorted(), None
    cv.c(P.amqp_queue_declare(1, q, exclusive=True, auto_delete=True))
    cv.s(P.amqp_queue_declare_ok(1, q))
    n = r.randint(1, 20)
    for i in range(n):
        cv.c(P.amqp_basic_publish(1, "", q, D.jdump({"case": i, "data": rhex(r, r.randint(4, 64))})), dt=0.0003)
    cv.c(P.amqp_basic_consume(1, q, "ctag-" + rhex(r, 8), no_ack=True), dt=0.0005)
    cv.s(P.amqp_basic_consume_ok(1, "ctag-x"))
    for i in range(n):
        cv.s(P.amqp_basic_deliver(1, "ctag-x", i + 1, "", q, D.jdump({"case": i})), proc=0.0002)
    D.amqp_close(cv, max(cv.t + 0.002, s.t_stop - 0.004))
    return cv.sorted(), None


def run_ci_stomp(W, a, s, cv):
    r = cv.r
    q = f"/queue/test.{rhex(r, 12)}"
    D.stomp_open(cv, {"vhost": "/", "user": "ci", "password": "ci-" + rhex(r, 8), "subs": [q], "heartbeat": (0, 0)})
    n = r.randint(1, 15)
    for i in range(n):
        cv.c(P.stomp_frame("SEND", [("destination", q), ("content-type", "text/plain")], f"test message {i}"), dt=0.0004)
    for i in range(n):
        cv.s(P.stomp_frame("MESSAGE", [("subscription", "0"), ("message-id", f"ID:amq01-{r.randint(30000, 60000)}-1:1:1:1:{i}"),
                                       ("destination", q), ("content-type", "text/plain")], f"test message {i}"),
             proc=0.0002)
    rid = str(r.randint(1, 99))
    cv.c(P.stomp_frame("DISCONNECT", [("receipt", rid)]), dt=max(0.001, s.t_stop - cv.t - 0.003))
    cv.s(P.stomp_frame("RECEIPT", [("receipt-id", rid)]))
    return cv.sorted(), None


def run_ci_mqtt(W, a, s, cv):
    r = cv.r
    cid = f"test-{rhex(r, 8)}"
    cv.c(P.mqtt_connect(cid, 10, 4, "ci", "ci-" + rhex(r, 8)))
    if s.extra["fail"]:
        cv.s(P.mqtt_connack(4, rc=5))
        return cv.sorted(), None
    cv.s(P.mqtt_connack(4))
    topic = f"test/{rhex(r, 8)}"
    cv.c(P.mqtt_subscribe(1, [(topic + "/#", 1)]))
    cv.s(P.mqtt_suback(1, [1]))
    n = r.randint(1, 12)
    for i in range(n):
        cv.c(P.mqtt_publish(f"{topic}/{i}", D.jdump({"i": i, "v": rhex(r, 8)}), 1, i + 2))
        cv.s(P.mqtt_puback(i + 2), proc=0.0002)
        cv.s(P.mqtt_publish(f"{topic}/{i}", D.jdump({"i": i}), 1, i + 1), proc=0.0001)
        cv.c(P.mqtt_puback(i + 1))
    cv.c(P.MQTT_DISCONNECT, dt=max(0.0005, s.t_stop - cv.t - 0.001))
    return cv.sorted(), None


# ----------------------------------------------------------------------------------------------
# shared internal brokers
# ----------------------------------------------------------------------------------------------


def shared_brokers(W):
    r = rng(W.seed, "shared")
    taken = {h.name for h in W.devs}
    # STOMP (ActiveMQ) users: app servers 24/7 and OrderDesk desktop clients in working hours
    stomp_srv = r.sample(W.app_servers, min(len(W.app_servers), r.randint(2, 4)))
    stomp_ws = r.sample([h for h in W.workstations if h.name not in taken], r.randint(4, 10))
    for h in stomp_srv + stomp_ws:
        server = h.role == "server"
        app = r.choice(["order-router", "inventory-svc", "label-printer-bridge"]) if server else "OrderDesk"
        hb = (60000, 60000)
        subs = ["/topic/orders.updates", f"/queue/{app}.{h.name.lower()}"]

        def cfg(W, a, s, rr, hb=hb, subs=subs, app=app):
            return {"vhost": "/", "user": app.lower(), "password": rhex(rr, 12), "heartbeat": hb, "subs": subs,
                    "send_times": lambda r, x, y: poisson_times(r, x, y, 1 / (400 if a.host.role == "server" else 900)),
                    "send": lambda r, t: (f"/queue/orders.{r.choice(['new', 'update', 'cancel'])}",
                                          D.jdump({"order": r.randint(10 ** 5, 10 ** 6), "by": a.host.name}), "application/json"),
                    "msg_rate": 1 / (120 if a.host.role == "server" else 300),
                    "message": lambda r, t: (subs[0], D.jdump({"order": r.randint(10 ** 5, 10 ** 6), "status": r.choice(
                        ["picked", "packed", "shipped"])}), "application/json")}
        a = Actor(id=f"stomp-{h.name}".lower(), label="benign", category="shared-internal-broker",
                  description=f"{app} using STOMP 1.2 on the internal ActiveMQ "
                              + ("(24/7 service)" if server else "(desktop app in working hours)"),
                  host=h, ep=W.ep_amq, port=61613, protocol="stomp", service="-", runner=run_stomp,
                  image=None if server else r"C:\Program Files\OrderDesk\jre\bin\javaw.exe",
                  user=None if server else f"{W.netbios}\\{h.user}")
        a.meta["cfg"] = cfg
        iv = h.online if server else [(x, y, "logoff") for x, y in h.present]
        a.sessions = W.plan_persistent(r, iv, delay=(20, 200), mean_len=2 * 86400 if server else None)
        W.add_actor(a)
    # MQTT app users
    topics = internal_topics(W)
    mqtt_srv = r.sample(W.app_servers, min(len(W.app_servers), r.randint(2, 3)))
    mqtt_ws = r.sample([h for h in W.workstations if h.name not in taken], r.randint(3, 8))
    for h in mqtt_srv + mqtt_ws:
        server = h.role == "server"
        app = r.choice(["telegraf", "node-red"]) if server else "PlantView"

        def cfg(W, a, s, rr, app=app, server=server):
            cid = {"telegraf": "telegraf-" + rhex(rr, 8), "node-red": "nodered_" + rhex(rr, 8)}.get(app, "PlantView-"
                                                                                                    + a.host.name)
            return {"client_id": cid, "keepalive": 60, "subs": [("sensors/#", 0), ("tele/+/SENSOR", 0)] if server
                    else [("plant/+/status", 1), ("sensors/+/+/temperature", 0)],
                    "in_rate": 0.01 if server else 0.004,
                    "in_pub": lambda r, t: [(lambda tp: (tp[0], tp[1](r), 0))(r.choice(
                        [x for x in topics if server or x[0].startswith(("plant/", "sensors/"))]))],
                    "event_times": poisson_times(rr, s.start, s.t_stop, 1 / 600 if app == "node-red" else 1 / 3600),
                    "event_pub": (lambda r, t: [(f"plant/line{r.randint(1, 3)}/status", D.jdump(
                        {"state": r.choice(["running", "idle"]), "oee": round(r.uniform(0.6, 0.95), 2)}), 1)])
                    if app == "node-red" else (lambda r, t: [(f"plant/{a.host.name.lower()}/ack", b"1", 0)])}
        a = Actor(id=f"mqttapp-{h.name}".lower(), label="benign", category="shared-internal-broker",
                  description=f"{app} subscribed to plant/sensor topics on the internal Mosquitto",
                  host=h, ep=W.ep_mqtt, port=1883, protocol="mqtt", service="mqtt", runner=run_mqtt,
                  image=None if server else r"C:\Program Files\PlantView\PlantView.exe",
                  user=None if server else f"{W.netbios}\\{h.user}")
        a.meta["cfg"] = cfg
        iv = h.online if server else [(x, y, "logoff") for x, y in h.present]
        a.sessions = W.plan_persistent(r, iv, delay=(20, 300), mean_len=3 * 86400 if server else None)
        W.add_actor(a)


# ----------------------------------------------------------------------------------------------
# Apple push
# ----------------------------------------------------------------------------------------------


def apple_push(W):
    for h in W.macs + W.phones:
        r = rng(W.seed, "apns", h.name)
        ka = r.uniform(230, 285)
        cc = W.client_cert(h.name.lower() + "." + rhex(r, 8), r)

        def cfg(W, a, s, rr, ka=ka, cc=cc):
            day = 7 <= W.local_hour(s.start) < 21
            return {"sni": s.extra["sni"], "tls13": False, "chain": s.ep.chain, "client_chain": cc,
                    "opening": [(rr.randint(180, 260), rr.randint(60, 140))], "keepalive": ka, "ka_size": (7, 7),
                    "push_rate": (3 if day else 0.4) / 3600, "push_size": (90, 700)}
        sess = W.plan_persistent(r, h.online, delay=(2, 30), fixed_len=(20 * 60, 60 * 60), gap=(1, 12),
                                 vanish=(60, 250), drop_close=("fin_r", "fin_r", "rst_o", "fin_o"))
        for s in sess:
            s.extra["sni"] = f"{r.randint(1, 50)}-courier.push.apple.com"
            s.extra["dns_name"] = s.extra["sni"]
        a = Actor(id=f"apns-{h.name}".lower(), label="benign", category="apple-push",
                  description=f"Apple Push Notification service on {h.name}: persistent TLS on 5223 to 17.0.0.0/8, "
                              "reconnecting every 20-60 min" + (", day and night" if h.presence == "always" else ""),
                  host=h, ep=W.ep_apple, port=5223, protocol="tls", service="ssl", runner=run_tls)
        a.meta["cfg"] = cfg
        a.meta["apns"] = True
        a.sessions = sess
        W.add_actor(a)


# ----------------------------------------------------------------------------------------------
# odd but benign
# ----------------------------------------------------------------------------------------------


def odd_benign(W):
    r = rng(W.seed, "odd")
    # a developer testing with mosquitto_pub / mosquitto_sub against test.mosquitto.org
    dev = r.choice(W.devs)
    ep = public_broker(W, "test.mosquitto.org")
    sess = []
    pick = [iv for iv in dev.present if iv[1] - iv[0] > 3600]
    if pick:
        x, y = r.choice(pick)
        for k in range(r.randint(1, 3)):
            t = r.uniform(x, y - 1800)
            if k == 0 and r.random() < 0.7:
                L = r.uniform(300, 1200)
                s = Session(t, t + L, t + L + 0.01, "rst_o")
                s.extra.update(kind="sub", image=r"C:\Program Files\mosquitto\mosquitto_sub.exe")
            else:
                s = Session(t, t + 0.4, t + 0.41, "fin_o")
                s.extra.update(kind="pub", image=r"C:\Program Files\mosquitto\mosquitto_pub.exe")
            sess.append(s)
    topic = f"test/{dev.user}/hello"

    def cfg(W, a, s, rr):
        c = {"client_id": D.mosq_id(rr), "keepalive": 60}
        if s.extra["kind"] == "sub":
            c.update(subs=[(f"test/{dev.user}/#", 0)], in_rate=1 / 120,
                     in_pub=lambda r, t: [(topic, b"hello from pub", 0)])
        else:
            c.update(birth=[(topic, r.choice([b"hello", b"hello world", b'{"temp": 21.5}']), 0, False)])
        return c
    a = Actor(id=f"odd-mosquitto-test-{dev.name}".lower(), label="benign", category="odd-benign",
              description=f"developer {dev.user} testing with mosquitto_pub/mosquitto_sub against test.mosquitto.org "
                          "once or twice", host=dev, ep=ep, port=1883, protocol="mqtt", service="mqtt",
              runner=run_mqtt, image=r"C:\Program Files\mosquitto\mosquitto_pub.exe", user=f"{W.netbios}\\{dev.user}")
    a.meta["cfg"] = cfg
    a.sessions = sess
    W.add_actor(a)

    # browser dashboards on a public broker over WSS (chrome.exe; the Sysmon config excludes browsers)
    emqx = public_broker(W, "broker.emqx.io")
    for h in r.sample([w for w in W.workstations if w is not dev], r.randint(1, 2)):
        def cfg(W, a, s, rr):
            return {"sni": "broker.emqx.io", "alpn": ["http/1.1"], "alpn_selected": None, "tls13": True,
                    "chain": emqx.chain, "opening": [(rr.randint(420, 520), rr.randint(180, 240)), (60, 8), (50, 8)],
                    "keepalive": 60, "ka_size": (8, 4), "push_rate": 1 / 15, "push_size": (40, 160)}
        a = Actor(id=f"odd-browser-mqtt-{h.name}".lower(), label="benign", category="odd-benign",
                  description="web dashboard in Chrome using MQTT over WSS to broker.emqx.io:8084 (MQTT.js)",
                  host=h, ep=emqx, port=8084, protocol="mqtt", service="ssl", runner=run_tls,
                  image=r"C:\Program Files\Google\Chrome\Application\chrome.exe", user=f"{W.netbios}\\{h.user}")
        a.sysmon_logged = False
        a.meta["cfg"] = cfg
        sess = []
        for x, y in h.present:
            for _ in range(r.choice([0, 1, 1, 2])):
                t = r.uniform(x, max(x + 1, y - 3600))
                L = r.uniform(600, 5400)
                en = min(t + L, y - 10)
                if en > t + 60:
                    sess.append(Session(t, en, en + 0.03, "fin_o"))
        a.sessions = sess
        W.add_actor(a)

    # game chat (Riot client XMPP over TLS 5223) at lunch time / after hours
    riot = public_ep(W, "riot", f"{r.choice(['euw1', 'eun1', 'na2'])}.chat.si.riotgames.com", 2, "digicert")
    for h in r.sample([w for w in W.workstations if w is not dev], r.randint(1, 2)):
        def cfg(W, a, s, rr):
            return {"sni": riot.name, "tls13": False, "chain": riot.chain, "opening": [(700, 2100), (300, 900)],
                    "keepalive": 60, "ka_size": (40, 70), "push_rate": 1 / 240, "push_size": (150, 900),
                    "alpn": None}
        a = Actor(id=f"odd-game-chat-{h.name}".lower(), label="benign", category="odd-benign",
                  description="Riot Games client chat (XMPP over TLS on 5223) around lunch and after work",
                  host=h, ep=riot, port=5223, protocol="xmpp", service="ssl", runner=run_tls,
                  image=r"C:\Riot Games\Riot Client\RiotClientServices.exe", user=f"{W.netbios}\\{h.user}")
        a.meta["cfg"] = cfg
        sess = []
        for x, y in h.present:
            if r.random() < 0.5:
                noon = x - ((x + W.tz * 3600) % 86400) + 12.1 * 3600
                if x < noon < y - 3600:
                    sess.append(Session(noon + r.uniform(0, 900), noon + r.uniform(1800, 3300), 0, "fin_o"))
            if r.random() < 0.3:
                t = y - r.uniform(600, 1800)
                sess.append(Session(t, y - 5, 0, "fin_o"))
        for s in sess:
            s.t_close = s.t_stop + 0.05
        a.sessions = sess
        W.add_actor(a)


# ----------------------------------------------------------------------------------------------
# web background (not pub/sub channels)
# ----------------------------------------------------------------------------------------------

WEB_SITES = [("outlook.office365.com", "digicert", 8), ("login.microsoftonline.com", "digicert", 6),
             ("teams.microsoft.com", "digicert", 6), ("graph.microsoft.com", "digicert", 4),
             ("www.google.com", "gts", 8), ("mail.google.com", "gts", 2), ("docs.google.com", "gts", 2),
             ("www.bing.com", "digicert", 2), ("github.com", "sectigo", 3), ("api.github.com", "sectigo", 2),
             ("slack.com", "amazon", 2), ("www.linkedin.com", "digicert", 2), ("www.youtube.com", "gts", 2),
             ("en.wikipedia.org", "le", 2), ("stackoverflow.com", "le", 2), ("cdn.jsdelivr.net", "gts", 2),
             ("update.googleapis.com", "gts", 2), ("onedrive.live.com", "digicert", 2),
             ("mobile.events.data.microsoft.com", "digicert", 4), ("settings-win.data.microsoft.com", "digicert", 2),
             ("zoom.us", "digicert", 1), ("www.bbc.co.uk", "gts", 1), ("pypi.org", "gts", 1),
             ("registry.npmjs.org", "gts", 1), ("www.atlassian.com", "amazon", 1), ("news.ycombinator.com", "le", 1),
             ("www.reddit.com", "digicert", 1), ("weather.com", "gts", 1), ("www.amazon.de", "digicert", 1)]
WEB_APPS = [(r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe", 40, False),
            (r"C:\Program Files\Google\Chrome\Application\chrome.exe", 25, False),
            (r"C:\Users\{u}\AppData\Local\Microsoft\Teams\current\Teams.exe", 12, True),
            (r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE", 10, True),
            (r"C:\Users\{u}\AppData\Local\Microsoft\OneDrive\OneDrive.exe", 8, True),
            (r"C:\Users\{u}\AppData\Local\slack\app-4.36.140\slack.exe", 5, True)]


def background_web(W):
    r0 = rng(W.seed, "web")
    eps = []
    for name, issuer, w in WEB_SITES:
        eps.append((public_ep(W, "web:" + name, name, r0.randint(1, 3), issuer, answer_n=2), w))
    if W.with_background:
        W.web_eps = [e for e, _ in eps]
    for h in W.workstations + W.macs:
        r = rng(W.seed, "web", h.name)
        rate = r.uniform(2, 4) / 3600
        a = Actor(id=f"web-{h.name}".lower(), label="benign", category="background-web",
                  description="HTTPS browsing and Office/Teams traffic", host=h, ep=None, port=443, protocol="tls",
                  service="ssl", runner=run_web, user=f"{W.netbios}\\{h.user}", background=True)
        sess = []
        for x, y in h.present:
            for t in poisson_times(r, x, y, rate):
                ep = r.choices([e for e, _ in eps], [w for _, w in eps])[0]
                L = min(r.lognormvariate(2.5, 1.5), 280)
                s = Session(t, t + max(L, 0.3), t + max(L, 0.3) + 0.03, r.choice(["fin_o", "fin_o", "fin_r", "rst_o"]))
                s.ep = ep
                img, _, logged = r.choices(WEB_APPS, [w for _, w, _ in WEB_APPS])[0]
                s.extra["image"] = img.format(u=h.user) if h.os == "windows" else None
                s.extra["sysmon"] = logged
                sess.append(s)
        a.sessions = sess
        W.add_actor(a)


def run_web(W, a, s, cv):
    def cfg(W, a, s, rr):
        return {"sni": s.ep.name, "alpn": ["h2", "http/1.1"], "alpn_selected": "h2", "tls13": True, "chain": s.ep.chain,
                "opening": [(rr.randint(300, 900), int(min(rr.lognormvariate(7.0, 0.8), 12000)))],
                "req_times": lambda r, x, y: sorted(r.uniform(x, y) for _ in range(r.choice([0, 0, 1, 1, 2, 3])))
                if y > x else [],
                "req_sizes": lambda r: (r.randint(90, 900), int(min(r.lognormvariate(6.3, 0.9), 8000)))}
    a.meta["cfg"] = cfg
    return run_tls(W, a, s, cv)
