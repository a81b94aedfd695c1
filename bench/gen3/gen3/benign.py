"""Benign publish/subscribe behaviours: owns the legitimate MQTT, XMPP, AMQP,
STOMP and Kafka channels (internal brokers, cloud IoT hubs, vendor clouds,
push services, chat) and registers each one as a "benign" channel in the truth
registry. It also records the hosts it uses (w.pubs, w.devs, w.chatters) for
the C2 module.
"""


def benign(w, W):
    r = w.rng
    srv = W["srv"]
    mq = srv["mqtt"]
    mqname = w.add_name("mqtt." + w.dom, [mq.ip], 3600)
    B = lambda cat, desc, h, dst, port: w.chan("benign", cat, desc, h.ip, dst, port)

    # 1 sensors on the internal broker
    d1 = "IoT sensors publishing telemetry to the internal Mosquitto broker (1883); held sessions, keepalive 30-120 s"
    d1b = "battery sensors that wake, connect, publish one reading and disconnect to the internal broker"
    for s in W["sensors"]:
        if r.random() < 0.75:
            B("internal_mqtt_sensor_held", d1, s, mq.ip, 1883)
            ka = r.choice([30, 60, 60, 120])
            per = r.choice([10, 15, 30, 60])
            t = w.start - r.uniform(3600, 30 * 86400)
            while t < w.end:
                life = r.expovariate(1 / (r.choice([1, 2, 4]) * 86400))
                ips, t2 = (w.lookup(s, t, mqname) if t >= w.start else ([mq.ip], t))
                w.held(s, t2, t2 + life, mq.ip, 1883, ka, "-", hs=(r.randint(40, 90), 4), ka_b=(2, 2),
                       up_bph=3600 / per * r.randint(40, 160), end_kind=r.choice(["abrupt", "fin", "rst"]))
                t = t2 + life + r.uniform(2, 60)
        else:
            B("internal_mqtt_sensor_wake", d1b, s, mq.ip, 1883)
            per = r.choice([300, 600, 900])
            t = w.start + r.uniform(0, per)
            while t < w.end:
                ob = r.randint(90, 220)
                w.tcp(s, t, mq.ip, 1883, r.uniform(0.02, 0.3), ob, 4 + r.choice([0, 4]), "-")
                t += per + r.gauss(0, 3)
    # 2 dashboards / Node-RED / HA subscribers
    d2 = "dashboards and Node-RED subscribed to the internal broker (1883/8883), held for days"
    subs = [srv["nodered"], srv["mon"]] + r.sample(W["ws"], 2)
    for h in subs:
        port = 8883 if r.random() < 0.5 else 1883
        B("internal_mqtt_dashboard", d2, h, mq.ip, port)
        ssl = {"sni": mqname, "ver": "TLSv12"} if port == 8883 else None
        svc = "ssl" if port == 8883 else "-"
        if h.kind == "server":
            t = w.start - r.uniform(86400, 20 * 86400)
            while t < w.end:
                life = r.uniform(0.5, 5) * 86400
                w.held(h, t, t + life, mq.ip, port, 60, svc, hs=(120 + (600 if ssl else 0), 4 + (3800 if ssl else 0)),
                       ka_b=(2, 2), down_bph=r.uniform(2e5, 8e5), ssl=ssl)
                t += life + r.uniform(1, 10)
        else:
            for a, b in h.active:
                _, t2 = w.lookup(h, a + r.uniform(60, 600), mqname)
                w.held(h, t2, b - r.uniform(0, 300), mq.ip, port, 60, svc, hs=(800, 4000), ka_b=(2, 2),
                       down_bph=r.uniform(1e5, 4e5), ssl=ssl, end_kind="abrupt" if h.kind == "laptop" else "fin")
    # 3 Azure IoT Hub with hourly SAS reconnect
    hub = "%s-iothub-%s.azure-devices.net" % (w.corp, r.choice(["prod", "weu", "01"]))
    w.add_name(hub, [w.ext_ip("azure")], 60, cname="ihsu-prod-am3-001.cloudapp.net")
    d3 = "devices on Azure IoT Hub (MQTT/TLS 8883), SAS token expiry forces reconnect every ~60 min"
    for h in W["azdev"]:
        ip = w.names[hub].ips[0]
        B("azure_iot_hub", d3, h, ip, 8883)
        t = w.start - r.uniform(0, 3600)
        while t < w.end:
            life = 3600 * r.uniform(0.97, 1.0) if r.random() > 0.03 else r.uniform(60, 3000)
            if t >= w.start:
                _, t = w.lookup(h, t, hub)
            w.held(h, t, t + life, ip, 8883, r.choice([240, 240, 60]), "ssl", hs=(1400, 5200), ka_b=(2, 2),
                   up_bph=r.uniform(2e3, 2e4), down_bph=r.uniform(200, 2000), ssl={"sni": hub, "ver": "TLSv12"},
                   end_kind="fin")
            t += life + r.uniform(0.5, 8)
    # 4 AWS IoT Core gateways (pool of addresses)
    pref = "".join(r.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(14))
    awsn = "%s-ats.iot.%s.amazonaws.com" % (pref, r.choice(["eu-west-1", "us-east-1", "eu-central-1"]))
    w.add_name(awsn, [w.ext_ip("aws") for _ in range(8)], 60, nans=4)
    d4 = "gateways on AWS IoT Core (MQTT/TLS 8883 or 443 ALPN x-amzn-mqtt-ca), held sessions to a rotating address pool"
    for h in W["awsgw"]:
        port = 8883 if r.random() < 0.6 else 443
        t = w.start - r.uniform(3600, 5 * 86400)
        while t < w.end:
            life = r.expovariate(1 / (r.uniform(6, 30) * 3600))
            if t >= w.start:
                ips, t = w.lookup(h, t, awsn)
                ip = ips[0]
            else:
                ip = w.names[awsn].ips[0]
            B("aws_iot_core", d4, h, ip, port)
            w.held(h, t, t + life, ip, port, r.choice([30, 60, 300]), "ssl", hs=(1600, 5000), ka_b=(2, 2),
                   up_bph=r.uniform(5e3, 6e4), down_bph=r.uniform(300, 3000),
                   ssl={"sni": awsn, "ver": "TLSv12", "alpn": "x-amzn-mqtt-ca" if port == 443 else "-"},
                   end_kind=r.choice(["rst", "abrupt", "fin"]))
            t += life + r.uniform(1, 30)
    # 5 smart meters: connect-publish-disconnect every 15 min
    mv = "mqtt.%s" % r.choice(["enercloud.eu", "meterlink.io", "gridsense-cloud.com"])
    w.add_name(mv, [w.ext_ip("ovh"), w.ext_ip("ovh")], 300, nans=2)
    d5 = "smart meters reporting to the vendor cloud over MQTT/TLS 8883 every 15 min (connect, publish, disconnect)"
    for h in W["meters"]:
        t = w.start + r.uniform(0, 900)
        while t < w.end:
            ips, t1 = w.lookup(h, t, mv)
            B("smart_meter_vendor", d5, h, ips[0], 8883)
            w.tcp(h, t1, ips[0], 8883, r.uniform(0.4, 1.6), r.randint(1500, 1900), r.randint(3900, 4300), "ssl",
                  ssl={"sni": mv, "ver": "TLSv12", "resume": 0.7})
            t += 900 + r.uniform(-2, 2) + (r.uniform(5, 40) if r.random() < 0.1 else 0)
    # 6 telegraf agents
    d6 = "Telegraf agents with the MQTT output plugin publishing metrics to the internal broker (per-flush connections)"
    d6b = "Telegraf agents holding an MQTT session to the internal broker"
    ag = [srv[x] for x in ("app1", "app2", "app3", "web1", "kafka1", "rabbit", "ci1")]
    for i, h in enumerate(ag):
        per = 60 if i == 0 else r.choice([10, 30, 60])
        if i < 1:
            B("telegraf_mqtt_short", d6, h, mq.ip, 1883)
            t = w.start + r.uniform(0, per)
            while t < w.end:
                w.tcp(h, t, mq.ip, 1883, r.uniform(0.003, 0.05), r.randint(900, 4000), 4, "-")
                t += per + r.uniform(-0.05, 0.3)
        else:
            B("telegraf_mqtt_held", d6b, h, mq.ip, 1883)
            w.held(h, w.start - r.uniform(1e4, 1e6), w.end + 50, mq.ip, 1883, 60, "-", ka_b=(2, 2),
                   up_bph=3600 / per * 2500)
    # 7 RabbitMQ microservices
    rb_ = srv["rabbit"]
    d7 = "microservices and Celery workers on internal RabbitMQ (AMQP 5672): held channels plus per-request connections"
    for h in [srv["app1"], srv["app2"], srv["app3"]]:
        B("rabbitmq_microservice", d7, h, rb_.ip, 5672)
        for k in range(r.randint(2, 6)):
            t = w.start - r.uniform(1e4, 2e6)
            while t < w.end:
                life = r.uniform(1, 7) * 86400
                w.held(h, t, t + life, rb_.ip, 5672, 60, "-", hs=(600, 700), ka_b=(8, 8),
                       up_bph=r.uniform(1e5, 2e6), down_bph=r.uniform(1e5, 2e6))
                t += life + r.uniform(1, 5)
    web1 = srv["web1"]
    B("rabbitmq_php_per_request", "PHP web app opening one AMQP connection per request to publish a job (5672)", web1, rb_.ip, 5672)
    for a, b in [(w.day0 + d * 86400 + 7 * 3600, w.day0 + d * 86400 + 20 * 3600) for d in range(W["ndays"])]:
        wd = w.weekday(int((a - w.day0) // 86400))
        for t in w.poisson(a, b, 60 if wd < 5 else 8):
            w.tcp(web1, t, rb_.ip, 5672, r.uniform(0.004, 0.04), r.randint(700, 1600), r.randint(500, 560), "-")
    # 8 Kafka
    kb = [srv["kafka1"], srv["kafka2"], srv["kafka3"]]
    d8 = "Kafka producers/consumers (9092): held connections plus metadata reconnects after idle"
    for h in [srv["app1"], srv["app2"], srv["app3"], srv["nodered"]]:
        for k in kb:
            B("kafka_client", d8, h, k.ip, 9092)
            w.held(h, w.start - r.uniform(1e4, 1e6), w.end + 10, k.ip, 9092, 3.0, "-", hs=(300, 300), ka_b=(90, 120),
                   up_bph=r.uniform(1e5, 5e6), down_bph=r.uniform(1e5, 5e6))
            # idle metadata connections (connections.max.idle.ms ~ 9 min)
            for t in w.poisson(w.start, w.end, r.uniform(1, 4)):
                w.tcp(h, t, k.ip, 9092, 540 + r.uniform(0, 5), r.randint(200, 900), r.randint(300, 5000), "-")
    # 9 CI runners: bursts during builds
    d9 = "CI runners running integration tests against internal RabbitMQ/Kafka/MQTT in bursts during builds"
    for h in [srv["ci1"], srv["ci2"]]:
        for d in range(W["ndays"]):
            if w.weekday(d) >= 5:
                continue
            for bt in w.poisson(w.day0 + d * 86400 + 8 * 3600, w.day0 + d * 86400 + 19 * 3600, r.uniform(1, 4)):
                tgt = r.choice([(rb_.ip, 5672), (kb[0].ip, 9092), (mq.ip, 1883)])
                B("ci_runner_burst", d9, h, tgt[0], tgt[1])
                t = bt
                for j in range(r.randint(5, 40)):
                    w.tcp(h, t, tgt[0], tgt[1], r.uniform(0.01, 3), r.randint(200, 5000), r.randint(100, 4000), "-")
                    t += r.expovariate(1 / 4.0)
    # 10 developers trying public test brokers
    pubs = {"test.mosquitto.org": [w.ext_ip("ovh")], "broker.hivemq.com": [w.ext_ip("aws"), w.ext_ip("aws")],
            "broker.emqx.io": [w.ext_ip("aws"), w.ext_ip("aws")]}
    for n, ips in pubs.items():
        w.add_name(n, ips, 300, nans=1)
    w.pubs = pubs
    d10 = "developers trying public MQTT test brokers from their workstations a few times on a working day"
    devs = r.sample([h for h in W["ws"] if h.os != "mac"], 3)
    w.devs = devs
    for h in devs:
        days = r.sample(h.active, min(len(h.active), r.randint(1, 2)))
        for a, b in days:
            n = r.choice(list(pubs))
            port = r.choice([1883, 1883, 8883])
            for k in range(r.randint(2, 6)):
                t = r.uniform(a, b)
                ips, t = w.lookup(h, t, n)
                B("dev_public_test_broker", d10, h, ips[0], port)
                life = r.lognormvariate(4.5, 1.3)
                w.tcp(h, t, ips[0], port, life, r.randint(120, 3000) + (700 if port == 8883 else 0),
                      r.randint(50, 20000) + (4000 if port == 8883 else 0), "ssl" if port == 8883 else "-",
                      ssl={"sni": n} if port == 8883 else None)
    # 11 XMPP chat clients on public servers
    xs = {}
    for n in ["jabber.org", "conversations.im", "xmpp.jp", "jabber.de"]:
        xs[n] = w.add_name(n, [w.ext_ip("hetzner")], 3600)
    d11 = "staff XMPP chat clients (Gajim/Pidgin/Conversations) on public servers, held during working hours, some overnight"
    chatters = r.sample([h for h in W["ws"] if h not in devs], r.randint(3, 6))
    w.chatters = chatters
    for h in chatters:
        n = r.choice(list(xs))
        ip = w.names[n].ips[0]
        port = 5222 if r.random() < 0.7 else 5223
        B("xmpp_chat_public", d11, h, ip, port)
        svc = "ssl,xmpp" if port == 5222 else "ssl"
        ssl = {"sni": n if r.random() < 0.6 else None}
        ka = r.choice([60, 120, 270])
        if h.on and h.on[0][0] < w.start - 86400 and h.on[0][1] > w.end:
            # desktop left on: client stays connected across nights, reconnects occasionally
            t = w.start - r.uniform(3600, 3 * 86400)
            while t < w.end:
                life = r.uniform(8, 60) * 3600
                w.held(h, t, t + life, ip, port, ka, svc, hs=(3500, 6500), ka_b=(1, 1), up_bph=2000, down_bph=5000,
                       ssl=ssl)
                t += life + r.uniform(5, 120)
        else:
            for a, b in h.on:
                if b < w.start or a > w.end:
                    continue
                _, t = w.lookup(h, a + r.uniform(60, 300), n)
                w.held(h, t, b - r.uniform(0, 200), ip, port, ka, svc, hs=(3500, 6500), ka_b=(1, 1),
                       up_bph=3000, down_bph=8000, ssl=ssl, end_kind="abrupt")
    # 12 Apple push + Google FCM
    apn = ["%d-courier.push.apple.com" % i for i in range(1, 6)]
    for n in apn:
        w.add_name(n, [w.ext_ip("apple") for _ in range(4)], 3600, cname="courier-push-apple.com.akadns.net", nans=1)
    d12 = "Apple Push Notification service: persistent TLS to 17.0.0.0/8:5223 from Macs and iPhones (sparse heartbeats, split by Zeek idle timeout)"
    for h in [x for x in W["ws"] if x.os == "mac"] + W["phones"]:
        for a, b in h.on:
            if b < w.start or a > w.end:
                continue
            n = r.choice(apn)
            ips, t = w.lookup(h, max(a, w.start) + r.uniform(5, 60), n) if a >= w.start else (w.names[n].ips, a)
            B("apple_push", d12, h, ips[0], 5223)
            w.held(h, t, b, ips[0], 5223, r.uniform(900, 1800) if h.kind == "phone" else r.uniform(600, 1500),
                   "ssl", hs=(1800, 5200), ka_b=(60, 60), up_bph=100, down_bph=800, ssl={"sni": n, "ver": "TLSv12"},
                   end_kind="abrupt")
    w.add_name("mtalk.google.com", [w.ext_ip("gcp") for _ in range(3)], 300, nans=1)
    d12b = "Google FCM (mtalk.google.com:5228) persistent push channel from Chrome on Windows workstations"
    for h in r.sample([x for x in W["ws"] if x.os == "win"], r.randint(4, 10)):
        for a, b in h.active:
            if b < w.start or a > w.end:
                continue
            ips, t = w.lookup(h, a + r.uniform(30, 900), "mtalk.google.com")
            B("google_fcm", d12b, h, ips[0], 5228)
            w.held(h, t, b, ips[0], 5228, 240, "ssl", hs=(1700, 5000), ka_b=(40, 40), up_bph=50, down_bph=500,
                   ssl={"sni": "mtalk.google.com"}, end_kind="abrupt")
    # 13 internal XMPP: clients + federation
    xmpp = srv["xmpp"]
    xn = w.add_name("chat." + w.dom, [xmpp.ip], 3600)
    d13 = "corporate Openfire XMPP server: staff Spark clients on 5222 during working hours"
    for h in r.sample([x for x in W["ws"] if x.os == "win"], r.randint(8, 20)):
        B("internal_xmpp_client", d13, h, xmpp.ip, 5222)
        for a, b in h.active:
            _, t = w.lookup(h, a + r.uniform(30, 600), xn)
            w.held(h, t, b, xmpp.ip, 5222, 30, "ssl,xmpp", hs=(3000, 7000), ka_b=(1, 1), up_bph=3000, down_bph=12000,
                   ssl={"sni": None}, end_kind="abrupt" if h.kind == "laptop" else "fin")
    d13b = "internal XMPP server federating with partner domains on 5269 (s2s, held, reconnect after idle)"
    for pn in ["partner-%s.com" % r.choice(["alpha", "nordic", "vega", "lumen"]), "jabber.org"]:
        if pn not in w.names:
            w.add_name(pn, [w.ext_ip("misc")], 3600)
        ip = w.names[pn].ips[0]
        B("xmpp_s2s_federation", d13b, xmpp, ip, 5269)
        t = w.start - r.uniform(100, 20000)
        while t < w.end:
            life = r.uniform(600, 4 * 3600)
            w.held(xmpp, t, t + life, ip, 5269, 90, "ssl,xmpp", hs=(5000, 6000), ka_b=(1, 1), up_bph=1500,
                   down_bph=1500, ssl={"sni": pn})
            t += life + r.expovariate(1 / 1800.0)
    # 14 ActiveMQ/STOMP
    amq = srv["amq"]
    d14 = "internal order app using ActiveMQ over STOMP (61613 short producers, 61614 TLS held consumer)"
    h = srv["app2"]
    B("activemq_stomp", d14, h, amq.ip, 61613)
    for t in w.poisson(w.start, w.end, 25):
        lh = w.local_hour(t)
        if (lh < 7 or lh > 20) and r.random() < 0.7:
            continue
        w.tcp(h, t, amq.ip, 61613, r.uniform(0.005, 0.08), r.randint(300, 1800), r.randint(60, 200), "-")
    h = srv["app3"]
    B("activemq_stomp_tls", d14, h, amq.ip, 61614)
    t = w.start - r.uniform(1e4, 1e6)
    while t < w.end:
        life = r.uniform(1, 4) * 86400
        w.held(h, t, t + life, amq.ip, 61614, 10, "ssl", hs=(1500, 4000), ka_b=(1, 1), down_bph=5e4,
               ssl={"sni": "amq." + w.dom, "ver": "TLSv12"})
        t += life + 5
    # 15 game chat (Riot XMPP 5223) at lunch / after hours from a desktop
    rn = "euw1.chat.si.riotgames.com"
    w.add_name(rn, [w.ext_ip("aws") for _ in range(4)], 300, nans=1)
    d15 = "game client chat (Riot XMPP over TLS 5223) around lunch and after hours"
    for h in r.sample([x for x in W["ws"] if x.kind == "desktop"], 2):
        for a, b in h.active:
            if r.random() < 0.5:
                continue
            t0 = a + (r.uniform(3.5, 4.5) if r.random() < 0.5 else (b - a) / 3600.0 - 0.2) * 3600
            ips, t0 = w.lookup(h, t0, rn)
            B("game_chat_xmpp", d15, h, ips[0], 5223)
            w.held(h, t0, t0 + r.uniform(900, 5400), ips[0], 5223, 60, "ssl", hs=(2000, 6000), ka_b=(40, 40),
                   up_bph=800, down_bph=3000, ssl={"sni": rn})
