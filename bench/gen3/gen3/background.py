"""Ordinary background traffic: owns the popular external domain list and
everything that is not publish/subscribe -- staff web browsing, Active
Directory (Kerberos, LDAP, SMB), file shares, OS telemetry and NTP, server
updates, monitoring health checks and SNMP, app-to-database pools, inbound
HTTPS to the public web server, nightly backups, IoT NTP, camera RTSP and
vendor cloud checks, SCADA Modbus polling, and occasional rejected
connections.
"""
import bisect

from .world import Host


def make_domains(w):
    r = w.rng
    top = [("www.google.com", "gcp"), ("outlook.office365.com", "azure"), ("login.microsoftonline.com", "azure"),
           ("teams.microsoft.com", "azure"), ("graph.microsoft.com", "azure"), ("www.bing.com", "azure"),
           ("github.com", "azure"), ("slack.com", "aws"), ("zoom.us", "aws"), ("www.youtube.com", "gcp"),
           ("update.googleapis.com", "gcp"), ("clients4.google.com", "gcp"), ("settings-win.data.microsoft.com", "azure"),
           ("v10.events.data.microsoft.com", "azure"), ("ctldl.windowsupdate.com", "akamai"), ("onedrive.live.com", "azure"),
           ("cdn.jsdelivr.net", "cf"), ("www.linkedin.com", "azure"), ("api.atlassian.com", "aws"),
           ("fonts.gstatic.com", "gcp"), ("www.wikipedia.org", "misc"), ("stackoverflow.com", "cf"),
           ("d1.awsstatic.com", "aws"), ("static.zdassets.com", "cf"), ("wd.salesforce.com", "aws"),
           ("edge.microsoft.com", "azure"), ("firefox.settings.services.mozilla.com", "gcp"),
           ("www.apple.com", "akamai"), ("gateway.icloud.com", "apple"), ("pypi.org", "cf"),
           ("registry.npmjs.org", "cf"), ("hub.docker.com", "aws"), ("api.github.com", "azure"),
           ("ocsp.digicert.com", "akamai"), ("www.reddit.com", "cf"), ("news.ycombinator.com", "aws"),
           ("www.amazon.com", "aws"), ("mail.google.com", "gcp"), ("docs.google.com", "gcp"),
           ("dropbox.com", "aws")]
    syl = ["ka", "lo", "mi", "ter", "van", "dor", "ex", "ni", "qua", "ro", "sel", "tan", "ul", "vi", "zen", "bra", "cor", "fin", "gal", "har"]
    tlds = [".com", ".net", ".io", ".org", ".de", ".co.uk", ".fr", ".nl", ".eu"]
    doms = []
    for n, p in top:
        k = r.randint(2, 6)
        w.add_name(n, [w.ext_ip(p) for _ in range(k)], r.choice([60, 120, 300, 300, 3600]), nans=r.randint(1, min(k, 4)))
        doms.append(n)
    for i in range(r.randint(250, 400)):
        n = "".join(r.choice(syl) for _ in range(r.randint(2, 3))) + r.choice(tlds)
        if n in w.names:
            continue
        pre = r.choice(["www.", "", "cdn.", "api.", "static.", "www."])
        n = pre + n
        p = r.choice(list(w.PROVIDERS.keys())[:5] + ["misc", "misc", "hetzner", "ovh"])
        cn = None
        if p in ("cf", "akamai", "aws") and r.random() < 0.4:
            cn = n.replace(".", "-")[:20] + {"cf": ".cdn.cloudflare.net", "akamai": ".edgekey.net", "aws": ".cloudfront.net"}[p]
        k = r.randint(1, 4)
        w.add_name(n, [w.ext_ip(p) for _ in range(k)], r.choice([30, 60, 300, 600, 3600, 86400]), cname=cn,
                   nans=r.randint(1, k))
        doms.append(n)
    wts = [1.0 / (i + 1) ** 0.9 for i in range(len(doms))]
    cum = []
    s = 0
    for x in wts:
        s += x
        cum.append(s)
    return doms, cum


def pick(w, doms, cum):
    return doms[bisect.bisect_left(cum, w.rng.random() * cum[-1])]


# ============================================================ background
def background(w, W):
    r = w.rng
    doms, cum = make_domains(w)
    srv = W["srv"]
    dc = [srv["dc1"], srv["dc2"]]
    ntp_pool = ["0.pool.ntp.org", "1.pool.ntp.org", "2.pool.ntp.org", "time.windows.com", "time.apple.com"]
    for n in ntp_pool:
        w.add_name(n, [w.ext_ip("misc") for _ in range(4)], 150, nans=1)
    upd = {}
    for n, p in [("archive.ubuntu.com", "misc"), ("security.ubuntu.com", "misc"), ("deb.debian.org", "cf"),
                 ("download.docker.com", "aws"), ("fw.vendor-update.net", "aws"), ("api.snapcraft.io", "misc"),
                 ("ingest.monitoring-saas.com", "aws"), ("s3.eu-central-1.amazonaws.com", "aws")]:
        w.add_name(n, [w.ext_ip(p) for _ in range(3)], 300, nans=2)

    def web(h, t, dom=None):
        dom = dom or pick(w, doms, cum)
        ips, t = w.lookup(h, t, dom)
        ip = ips[0]
        x = r.random()
        if x < 0.012:
            w.tcp(h, t, ip, 443, 0, 0, 0, state="S0")
            return
        if x < 0.12 and ("google" in dom or "youtube" in dom or "gstatic" in dom):
            ob = int(r.lognormvariate(8, 1.2)); rb = int(r.lognormvariate(9.5, 1.5))
            w.udp(h, t, ip, 443, "quic", ob, rb, dur=r.lognormvariate(2, 1.3))
            return
        if x < 0.06:
            w.tcp(h, t, ip, 80, r.lognormvariate(-1, 1.2), r.randint(150, 700), int(r.lognormvariate(7, 1.5)), "http")
            return
        dur = min(r.lognormvariate(2.3, 1.6), 3600)
        ob = int(r.lognormvariate(7.4, 1.1)) + 517
        rb = int(r.lognormvariate(8.8, 1.9)) + 3000
        st = "SF" if r.random() < 0.97 else r.choice(["RSTO", "RSTR"])
        w.tcp(h, t, ip, 443, dur, ob, rb, "ssl", state=st,
              ssl={"sni": dom, "alpn": r.choice(["h2", "h2", "http/1.1", "-"]), "resume": 0.3})

    def ntp(h, t, name=None, server=None):
        if server is None:
            ips, t = w.lookup(h, t, name)
            server = ips[0]
        w.udp(h, t, server, 123, "ntp", 48, 48, dur=r.uniform(0.0005, 0.06), sport=123 if h.os == "linux" and r.random() < 0.3 else None)

    def ad(h, t):
        d = r.choice(dc)
        w.udp(h, t, d.ip, 88, "krb", r.randint(1300, 1700), r.randint(1400, 1600))
        w.tcp(h, t + 0.02, d.ip, 389, r.uniform(0.01, 0.4), r.randint(300, 2500), r.randint(400, 6000), "ldap")
        if r.random() < 0.3:
            w.tcp(h, t + 0.05, d.ip, 445, r.uniform(0.2, 8), r.randint(2000, 20000), r.randint(3000, 90000), "smb,gssapi,krb")

    for h in W["ws"] + W["phones"]:
        rate = r.uniform(25, 70) if h.kind != "phone" else r.uniform(4, 12)
        for a, b in h.active:
            ts = w.poisson(a, b, rate)
            for t in ts:
                lh = w.local_hour(t)
                if 12 <= lh < 13 and r.random() < 0.5:
                    continue
                web(h, t)
            if h.kind == "phone":
                continue
            for t in w.poisson(a, b, 1.2):
                ad(h, t)
            if h.os == "win":
                for t in w.poisson(a, b, r.uniform(0.8, 2.5)):
                    w.tcp(h, t, srv["files"].ip, 445, r.lognormvariate(3, 1.5), int(r.lognormvariate(9, 1.5)),
                          int(r.lognormvariate(11, 2)), "smb,gssapi,krb")
            if r.random() < 0.4:
                w.nx(h, a + r.uniform(0, 3600), "wpad." + w.dom)
        # machine noise whenever powered on
        for a, b in h.on:
            a, b = max(a, w.start), min(b, w.end)
            if b <= a:
                continue
            for t in w.poisson(a, b, r.uniform(1.5, 4)):
                web(h, t, r.choice(["settings-win.data.microsoft.com", "v10.events.data.microsoft.com",
                                    "ctldl.windowsupdate.com", "edge.microsoft.com", "ocsp.digicert.com"]
                                   if h.os == "win" else ["gateway.icloud.com", "www.apple.com", "ocsp.digicert.com"]))
            if h.os == "win":
                t = a + r.uniform(0, 2000)
                while t < b:
                    ntp(h, t, server=r.choice(dc).ip)
                    t += r.uniform(2700, 3900)
            elif h.kind != "phone":
                t = a + r.uniform(0, 900)
                while t < b:
                    ntp(h, t, "time.apple.com")
                    t += r.uniform(900, 1900)
    # servers
    for n, h in srv.items():
        t = w.start + r.uniform(0, 1024)
        while t < w.end:
            if h.os == "linux":
                ntp(h, t, server=dc[0].ip)
            elif n == "dc1":
                ntp(h, t, "0.pool.ntp.org")
            t += r.uniform(512, 1100)
        for t in w.poisson(w.start, w.end, r.uniform(0.5, 3)):
            if h.os == "linux":
                web(h, t, r.choice(["archive.ubuntu.com", "security.ubuntu.com", "download.docker.com", "api.snapcraft.io"]))
            else:
                web(h, t, r.choice(["ctldl.windowsupdate.com", "settings-win.data.microsoft.com"]))
        if n in ("app1", "app2", "web1", "mon"):
            for t in w.poisson(w.start, w.end, r.uniform(6, 20)):
                web(h, t, "ingest.monitoring-saas.com")
    # monitoring: HTTPS health checks + SNMP polls
    mon = srv["mon"]
    targets = [srv[x] for x in ("app1", "app2", "app3", "web1", "rabbit", "mqtt")]
    for tg in targets:
        t = w.start + r.uniform(0, 300)
        while t < w.end:
            w.tcp(mon, t, tg.ip, 443 if tg.name.startswith(("app", "web")) else 9100, r.uniform(0.005, 0.08),
                  r.randint(200, 600), r.randint(600, 9000), "ssl" if tg.name.startswith(("app", "web")) else "http",
                  ssl={"sni": tg.name, "ver": "TLSv13", "resume": 0.9})
            t += 300 + r.uniform(-0.5, 0.5)
    for tg in W["cams"] + W["plcs"][:2]:
        t = w.start + r.uniform(0, 300)
        while t < w.end:
            w.udp(mon, t, tg.ip, 161, "snmp", r.randint(80, 140), r.randint(90, 300))
            t += 300 + r.uniform(-1, 1)
    # app servers -> PostgreSQL (pool churn, heavier in business hours)
    for n in ("app1", "app2", "app3", "web1"):
        h = srv[n]
        for d in range(W["ndays"]):
            for hr in range(24):
                a = w.day0 + d * 86400 + hr * 3600
                busy = w.weekday(d) < 5 and 7 <= hr < 19
                for t in w.poisson(a, a + 3600, r.uniform(40, 90) if busy else r.uniform(8, 20)):
                    w.tcp(h, t, srv["db1"].ip, 5432, r.lognormvariate(0, 2), int(r.lognormvariate(7, 1.2)),
                          int(r.lognormvariate(8.5, 1.8)), "postgresql")
    # inbound HTTPS from the internet to the public web server
    clients = [w.ext_ip(r.choice(["misc", "misc", "aws", "gcp", "azure"])) for _ in range(600)]
    fake = Host(w, "0.0.0.0", "internet", "ext", "linux")
    for d in range(W["ndays"]):
        for hr in range(24):
            a = w.day0 + d * 86400 + hr * 3600
            busy = 8 <= hr < 20
            rate = (120 if busy else 25) * (0.5 if w.weekday(d) >= 5 else 1.0)
            for t in w.poisson(a, a + 3600, rate):
                fake.ip = r.choice(clients)
                fake.hdr = r.choice([40, 52])
                w.tcp(fake, t, srv["web1"].ip, 443, r.lognormvariate(1.5, 1.5), int(r.lognormvariate(7.2, 1)) + 517,
                      int(r.lognormvariate(9.5, 1.6)) + 3000, "ssl", ssl={"sni": "www." + w.corp + ".com", "alpn": "h2", "resume": 0.2})
    # nightly backup
    for d in range(W["ndays"]):
        t = w.day0 + d * 86400 + 1.5 * 3600 + r.uniform(0, 900)
        for tg in [srv["files"], srv["app1"], srv["app2"], srv["dc1"]]:
            dur = r.uniform(300, 3000)
            w.tcp(srv["backup"], t, tg.ip, 445 if tg.os == "win" else 22, dur, r.randint(50000, 400000),
                  int(r.uniform(2e8, 9e9)), "smb" if tg.os == "win" else "ssh")
            t += dur + r.uniform(5, 60)
    # IoT basics: DNS + NTP
    for h in W["sensors"] + W["cams"] + W["azdev"] + W["awsgw"] + W["meters"]:
        per = r.choice([3600, 7200, 14400, 43200])
        t = w.start + r.uniform(0, per)
        while t < w.end:
            ntp(h, t, r.choice(ntp_pool[:3]))
            t += per * r.uniform(0.98, 1.02)
    # cameras: NVR holds RTSP sessions, vendor cloud check
    w.add_name("p2p.camvendor-cloud.com", [w.ext_ip("aws") for _ in range(3)], 600, nans=1)
    for c in W["cams"]:
        w.held(srv["nvr"], w.start - r.uniform(1e4, 5e5), w.end + 100, c.ip, 554, 60, "-", hs=(400, 900),
               ka_b=(180, 120), up_bph=2000, down_bph=r.uniform(3e8, 9e8))
        for t in w.poisson(w.start, w.end, 1):
            web(c, t, "p2p.camvendor-cloud.com")
    # SCADA polls PLCs over held Modbus sessions
    for p in W["plcs"]:
        w.held(srv["scada"], w.start - r.uniform(1e4, 9e5), w.end + 100, p.ip, 502, 1.0, "modbus", hs=(0, 0),
               ka_b=(12, 11 + 2 * r.randint(2, 30)))
    # resolver-independent failures: some REJ to printers etc.
    for h in W["ws"][:10]:
        for t in w.poisson(w.start, w.end, 0.05):
            w.tcp(h, t, "10.20.0.%d" % r.randint(60, 90), r.choice([9100, 631, 3389]), 0, 0, 0, state="REJ")
