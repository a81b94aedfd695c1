"""World model: owns the simulated organisation -- its hosts and their
operating systems, the internal networks (10.10/16 workstations, 10.20/16
servers, 192.168/16 phones, IoT and OT), the site's UTC offset and calendar
(start time, local hours, weekdays), the seeded random generator, the pool of
external addresses and the DNS name table, the truth channel registry, and
when each host is powered on or has a user at it.
"""
import datetime as dt
import math
import random

from .flows import Flows

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class Host:
    def __init__(self, w, ip, name, kind, os_):
        self.w, self.ip, self.name, self.kind, self.os = w, ip, name, kind, os_
        self.hdr = 40 if os_ == "win" else 52
        self.on = []        # intervals when attached to the network
        self.active = []    # intervals when a user is at it
        self.cache = {}
        self.resolver = None
        self._p = w.rng.randint(49152, 65000) if os_ == "win" else 0

    def port(self):
        r = self.w.rng
        if self.os == "win":
            self._p += r.randint(1, 4)
            if self._p > 65535:
                self._p = 49152 + r.randint(0, 50)
            return self._p
        if self.os in ("mac", "ios"):
            return r.randint(49152, 65535)
        return r.randint(32768, 60999)

    def is_on(self, t):
        for a, b in self.on:
            if a <= t < b:
                return True
        return False

    def next_on(self, t):
        """Return (a,b) of the on-interval containing t or the next one."""
        for a, b in self.on:
            if b > t:
                return (max(a, t), b)
        return None


class Rec:
    def __init__(self, ips, ttl, cname=None, nans=None):
        self.ips, self.ttl, self.cname, self.nans = ips, ttl, cname, nans

class World(Flows):
    def __init__(self, seed, hours):
        self.seed, self.hours = seed, hours
        r = self.rng = random.Random(seed)
        self.off = r.randint(-8, 9)
        base = dt.date(2024, 1, 1) + dt.timedelta(days=r.randint(0, 420))
        # start on a Monday for long spans, Tue-Thu for short ones
        want = 0 if hours >= 72 else r.randint(1, 3)
        base += dt.timedelta(days=(want - base.weekday()) % 7)
        local_mid = dt.datetime(base.year, base.month, base.day, tzinfo=dt.timezone.utc).timestamp()
        self.start = local_mid - self.off * 3600 + r.randint(0, 1800)
        self.end = self.start + hours * 3600
        self.day0 = local_mid - self.off * 3600  # UTC epoch of local midnight day 0
        self.conn, self.dns, self.ssl = [], [], []
        self.used_ext = set()
        self.names = {}
        self.channels = []   # registered channel metadata
        self.chan_idx = {}
        self.corp = r.choice(["northwind", "halvorsen", "bluepeak", "meridian", "oakridge", "castellan", "tervo", "lindqvist"])
        self.dom = self.corp + ".lan"

    # ---------------- helpers
    def uid(self):
        r = self.rng
        return "C" + "".join(r.choice(B62) for _ in range(17))

    def local_hour(self, t):
        return ((t - self.day0) % 86400) / 3600.0

    def weekday(self, d):
        # day0 is local midnight as a UTC instant; shifted back to local time it falls on the
        # local date (read in UTC it is the day before for every offset east of UTC)
        local0 = dt.datetime.fromtimestamp(self.day0 + self.off * 3600, dt.timezone.utc)
        return (local0.weekday() + d) % 7

    PROVIDERS = {
        "aws": [3, 18, 34, 35, 44, 52, 54],
        "azure": [13, 20, 40, 51, 52],
        "gcp": [34, 35, 142, 172, 216],
        "cf": [104, 172],
        "akamai": [23, 184, 2],
        "hetzner": [5, 49, 65, 78, 88, 95, 116, 135, 136, 138, 142, 144, 157, 159, 167, 168, 176, 178, 188, 195],
        "ovh": [51, 54, 91, 137, 141, 145, 147, 151, 158, 176, 178, 188, 193, 198],
        "do": [64, 68, 104, 128, 134, 137, 138, 139, 142, 143, 146, 157, 159, 161, 164, 165, 167, 170, 174, 178, 188, 198, 206],
        "vultr": [45, 64, 66, 95, 104, 108, 140, 144, 149, 155, 207, 216],
        "apple": [17],
        "misc": [31, 37, 46, 62, 77, 80, 81, 82, 83, 85, 87, 89, 92, 93, 94, 109, 185, 193, 194, 195, 212, 213, 217],
    }

    def ext_ip(self, prov="misc"):
        r = self.rng
        while True:
            a = r.choice(self.PROVIDERS[prov])
            ip = "%d.%d.%d.%d" % (a, r.randint(0, 255), r.randint(0, 255), r.randint(1, 254))
            if a == 172 and prov != "cf":
                ip = "172.%d.%d.%d" % (r.randint(32, 255), r.randint(0, 255), r.randint(1, 254))
            if a == 172 and prov == "cf":
                ip = "172.%d.%d.%d" % (r.randint(64, 71), r.randint(0, 255), r.randint(1, 254))
            if ip not in self.used_ext:
                self.used_ext.add(ip)
                return ip

    def add_name(self, name, ips, ttl, cname=None, nans=None):
        self.names[name] = Rec(ips, ttl, cname, nans)
        return name

    # ---------------- channel registry
    def chan(self, label, cat, desc, src, dst, dport):
        k = (src, dst, dport)
        if k not in self.chan_idx:
            self.chan_idx[k] = len(self.channels)
            self.channels.append({"label": label, "category": cat, "description": desc,
                                  "src_ip": src, "dst_ip": dst, "dst_port": dport})
        return k


def build(w):
    r = w.rng
    ndays = int(math.ceil((w.end - w.day0) / 86400.0)) + 1
    w.res_cache = {}
    w.upstream = ["1.1.1.1", "8.8.8.8", "9.9.9.9"][: r.randint(1, 3)]
    for u in w.upstream:
        w.used_ext.add(u)
    hosts = []
    # ---- servers
    srv = {}
    def mk(ip, name, kind, os_):
        h = Host(w, ip, name, kind, os_)
        hosts.append(h)
        return h
    srv_list = [("dc1", "win"), ("dc2", "win"), ("files", "win"), ("mqtt", "linux"), ("rabbit", "linux"),
                ("kafka1", "linux"), ("kafka2", "linux"), ("kafka3", "linux"), ("amq", "linux"), ("xmpp", "linux"),
                ("app1", "linux"), ("app2", "linux"), ("app3", "linux"), ("web1", "linux"), ("ci1", "linux"),
                ("ci2", "linux"), ("mon", "linux"), ("nodered", "linux"), ("scada", "win"), ("nvr", "linux"),
                ("backup", "linux"), ("db1", "linux")]
    for i, (n, o) in enumerate(srv_list):
        srv[n] = mk("10.20.0.%d" % (10 + i), n + "." + w.dom, "server", o)
    dc1, dc2 = srv["dc1"], srv["dc2"]
    w.resolver_host = dc1
    for n, h in srv.items():
        w.add_name(n + "." + w.dom, [h.ip], 1200)
    # ---- workstations
    nws = r.randint(40, 75)
    ws = []
    for i in range(nws):
        kind = r.choices(["desktop", "laptop", "mac"], [0.4, 0.45, 0.15])[0]
        os_ = "mac" if kind == "mac" else "win"
        sub = 1 if kind == "desktop" else 2
        h = mk("10.10.%d.%d" % (sub, 20 + i), "ws%03d" % i, kind, os_)
        ws.append(h)
    nph = r.randint(4, 10)
    phones = [mk("192.168.20.%d" % (30 + i), "phone%02d" % i, "phone", "ios") for i in range(nph)]
    # ---- IoT / OT
    nsens = r.randint(18, 35)
    sensors = [mk("192.168.50.%d" % (20 + i), "sens%02d" % i, "iot", "linux") for i in range(nsens)]
    ncam = r.randint(4, 9)
    cams = [mk("192.168.60.%d" % (10 + i), "cam%02d" % i, "camera", "linux") for i in range(ncam)]
    nplc = r.randint(3, 7)
    plcs = [mk("192.168.70.%d" % (10 + i), "plc%02d" % i, "plc", "linux") for i in range(nplc)]
    naz = r.randint(3, 7)
    azdev = [mk("192.168.50.%d" % (100 + i), "azdev%02d" % i, "iot", "linux") for i in range(naz)]
    naws = r.randint(2, 5)
    awsgw = [mk("192.168.50.%d" % (140 + i), "gw%02d" % i, "iot", "linux") for i in range(naws)]
    nmet = r.randint(2, 4)
    meters = [mk("192.168.50.%d" % (180 + i), "meter%02d" % i, "iot", "linux") for i in range(nmet)]
    for h in hosts:
        h.resolver = dc1.ip if r.random() < 0.7 else dc2.ip
        if h.kind == "camera" and r.random() < 0.4:
            h.resolver = "8.8.8.8"
            w.used_ext.add("8.8.8.8")
    for h in hosts:
        if h.kind in ("server",):
            h.resolver = dc1.ip
    # ---- presence
    far = (w.start - 3 * 86400, w.end + 3 * 86400)
    for h in hosts:
        if h.kind in ("desktop", "laptop", "mac", "phone"):
            always_on = h.kind == "desktop" and r.random() < 0.6
            arr_mu, dep_mu = r.gauss(8.3, 0.5), r.gauss(17.3, 0.6)
            for d in range(-1, ndays + 1):
                wd = w.weekday(d)
                t_mid = w.day0 + d * 86400
                if wd < 5 and r.random() > 0.06:
                    a = t_mid + max(6.0, r.gauss(arr_mu, 0.35)) * 3600
                    b = t_mid + min(22.0, r.gauss(dep_mu, 0.5)) * 3600
                elif wd >= 5 and r.random() < 0.06:
                    a = t_mid + r.uniform(9, 14) * 3600
                    b = a + r.uniform(1, 4) * 3600
                else:
                    continue
                h.active.append((a, b))
            if always_on:
                h.on = [far]
            else:
                h.on = [(a - r.uniform(60, 600), b + r.uniform(30, 300)) for a, b in h.active]
        else:
            h.on = [far]
    W = dict(srv=srv, ws=ws, phones=phones, sensors=sensors, cams=cams, plcs=plcs, azdev=azdev,
             awsgw=awsgw, meters=meters, hosts=hosts, ndays=ndays)
    return W
