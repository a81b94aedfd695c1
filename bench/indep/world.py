"""The organisation: hosts, servers, people's schedules, and every client program (actor).

`World(seed, hours, ...)` builds everything deterministically from the seed. Benign actors are in
`benign.py`, C2 actors in `c2.py`; this module holds the shared machinery (addresses, schedules,
certificates, session planning).
"""
from __future__ import annotations

import datetime as dt
import math

import protocols as P
from model import Actor, Endpoint, Host, Session
from util import UTC, rbytes, rng

FIRST = ["anna", "ben", "carla", "david", "elena", "felix", "greta", "hugo", "ines", "jonas", "karin", "lars",
         "maria", "nils", "olga", "paul", "quentin", "rita", "sven", "tina", "uwe", "vera", "walter", "xenia",
         "yusuf", "zoe", "adam", "bianca", "chen", "dana", "emil", "farah", "gina", "henrik", "ivan", "julia",
         "kofi", "lena", "marco", "nora", "omar", "petra", "raj", "sara", "tom", "ulla", "victor", "wanda"]
LAST = ["schmidt", "meyer", "novak", "rossi", "garcia", "jensen", "kowalski", "dubois", "silva", "nakamura",
        "okafor", "larsen", "fischer", "weber", "moreau", "costa", "horvat", "berg", "lund", "keller", "brandt",
        "wagner", "hofmann", "peters", "lindqvist", "romero", "ivanova", "yilmaz", "patel", "walsh"]
DEPTS = ["FIN", "ENG", "OPS", "HR", "SAL", "MKT", "LOG", "IT", "QA", "RND"]
ORGS = ["northwind-labs", "bluefjord", "kestrel-systems", "amberline", "corvid-eng", "halden-works", "tarnwood",
        "mistral-logistics", "quillon", "saltmarsh-tech"]
PUBLIC_FIRST_OCTETS = [5, 31, 37, 45, 46, 62, 77, 78, 80, 81, 82, 85, 87, 88, 89, 91, 92, 93, 94, 95, 109, 141,
                       146, 151, 159, 176, 178, 185, 188, 193, 194, 195, 212, 213, 217]
DOC_NETS = ["192.0.2.", "198.51.100.", "203.0.113."]

OUI = {"dell": b"\xf8\xbc\x12", "lenovo": b"\x54\xe1\xad", "hp": b"\x3c\x52\x82", "apple": b"\xa4\x83\xe7",
       "espressif": b"\x24\x0a\xc4", "rpi": b"\xdc\xa6\x32", "hikvision": b"\xc0\x56\xe3", "vmware": b"\x00\x50\x56",
       "siemens": b"\x00\x1b\x1b", "shelly": b"\xe8\xdb\x84"}
ROUTER_MAC = b"\x00\x1b\x54\x3a\x10\x01"

ISSUERS = {
    "le": ("R11", "Let's Encrypt", "ISRG Root X1", "Internet Security Research Group", 90),
    "digicert": ("DigiCert Global G2 TLS RSA SHA256 2020 CA1", "DigiCert Inc", "DigiCert Global Root G2",
                 "DigiCert Inc", 365),
    "gts": ("WR2", "Google Trust Services", "GTS Root R1", "Google Trust Services LLC", 84),
    "amazon": ("Amazon RSA 2048 M02", "Amazon", "Amazon Root CA 1", "Amazon", 395),
    "apple": ("Apple Public Server RSA CA 12 - G1", "Apple Inc.", "DigiCert Global Root G2", "DigiCert Inc", 365),
    "microsoft": ("Microsoft Azure RSA TLS Issuing CA 03", "Microsoft Corporation", "DigiCert Global Root G2",
                  "DigiCert Inc", 180),
    "sectigo": ("Sectigo RSA Domain Validation Secure Server CA", "Sectigo Limited", "USERTrust RSA Certification "
                "Authority", "The USERTRUST Network", 365),
}


class World:
    def __init__(self, seed: int, hours: float, pcap_hours: float = 24.0, ext_style: str = "public",
                 background: bool = True):
        self.seed = seed
        r = self.r = rng(seed, "world")
        jan5 = dt.datetime(2026, 1, 5, tzinfo=UTC).timestamp()  # a Monday
        self.T0 = jan5 + 7 * 86400 * r.randint(0, 45)
        self.T1 = self.T0 + hours * 3600.0
        self.hours = hours
        self.tz = r.choice([1, 1, 2, 0, -5, 8])
        self.pcap_end = min(self.T1, self.T0 + pcap_hours * 3600.0)
        self.ext_style = ext_style
        self.with_background = background
        self.org = r.choice(ORGS)
        self.domain = f"{self.org}.com"
        self.ad = f"corp.{self.domain}"
        self.netbios = self.org.split("-")[0].upper()[:15]
        self.hosts: list[Host] = []
        self.actors: list[Actor] = []
        self.eps: dict[str, Endpoint] = {}
        self.used_ips: set[str] = set()
        self.used_names: set[str] = set()
        self._certs: dict = {}
        # address plan
        self.n10 = r.randint(1, 60)
        self.net_srv = f"10.{self.n10}.0."
        self.net_ws = [f"10.{self.n10}.10.", f"10.{self.n10}.11."]
        self.net_wifi = f"172.{r.randint(16, 31)}.{r.randint(0, 15) * 4}."
        self.net_iot = f"192.168.{r.randint(20, 99)}."
        self.n_local_days = math.ceil(hours / 24.0) + 2

    # ------------------------------------------------------------------------------------------
    # time
    # ------------------------------------------------------------------------------------------
    def lmid(self, day: int) -> float:
        """UTC epoch of local midnight of local day `day` (0 = local date of T0)."""
        loc0 = self.T0 + self.tz * 3600
        return math.floor(loc0 / 86400) * 86400 - self.tz * 3600 + day * 86400

    def weekday(self, day: int) -> int:
        return dt.datetime.fromtimestamp(self.lmid(day) + self.tz * 3600 + 43200, UTC).weekday()

    def is_workday(self, day: int) -> bool:
        return self.weekday(day) < 5

    def local_hour(self, t: float) -> float:
        return ((t + self.tz * 3600) % 86400) / 3600.0

    def days(self):
        return range(-1, self.n_local_days)

    def clip(self, a: float, b: float):
        return max(a, self.T0), min(b, self.T1)

    # ------------------------------------------------------------------------------------------
    # addresses, names, certificates
    # ------------------------------------------------------------------------------------------
    def alloc(self, prefix: str, lo: int = 20, hi: int = 250, r=None) -> str:
        r = r or self.r
        for _ in range(1000):
            ip = f"{prefix}{r.randint(lo, hi)}"
            if ip not in self.used_ips:
                self.used_ips.add(ip)
                return ip
        raise RuntimeError("address pool exhausted: " + prefix)

    def ext_ips(self, n: int, r, prefix: str | None = None) -> list:
        if prefix is None:
            if self.ext_style == "doc":
                prefix = r.choice(DOC_NETS)
            else:
                prefix = f"{r.choice(PUBLIC_FIRST_OCTETS)}.{r.randint(1, 254)}.{r.randint(0, 254)}."
        return [self.alloc(prefix, 2, 253, r) for _ in range(n)]

    def mac(self, vendor: str, r) -> bytes:
        return OUI[vendor] + rbytes(r, 3)

    def chain(self, name: str, issuer: str, r, sans=None) -> list:
        key = (name, issuer)
        if key in self._certs:
            return self._certs[key]
        t0 = self.T0
        if issuer == "self":
            nb = t0 - r.uniform(2, 40) * 86400
            c = [P.x509_cert(r, name, name, None, nb, nb + 3650 * 86400, sans or [name])]
        else:
            icn, iorg, rcn, rorg, days = ISSUERS[issuer]
            nb = t0 - r.uniform(5, days * 0.6) * 86400
            leaf = P.x509_cert(r, name, icn, iorg, nb, nb + days * 86400, sans or [name])
            inter = P.x509_cert(r, icn, rcn, rorg, t0 - 900 * 86400, t0 + 1200 * 86400, (), is_ca=True,
                                subject_org=iorg)
            c = [leaf, inter]
        self._certs[key] = c
        return c

    def client_cert(self, cn: str, r) -> list:
        return [P.x509_cert(r, cn, "AWS IoT Device CA", "Amazon", self.T0 - 200 * 86400, self.T0 + 9000 * 86400, ())]

    def endpoint(self, key, name, ips, internal, rtt, **kw) -> Endpoint:
        ep = Endpoint(key=key, name=name, ips=ips, internal=internal, rtt=rtt, **kw)
        self.eps[key] = ep
        return ep

    # ------------------------------------------------------------------------------------------
    # hosts and schedules
    # ------------------------------------------------------------------------------------------
    def add_host(self, name, ip, os_, role, vendor, r, user=None, dept=None, presence="always", **kw) -> Host:
        base, k = name, 1
        while name.lower() in self.used_names:  # host names are unique (e.g. WKS-FIN-123)
            k += 1
            name = f"{base}{chr(ord('a') + k - 2)}" if not base[-1].isdigit() else f"{base[:-3]}{r.randint(100, 999)}"
        self.used_names.add(name.lower())
        h = Host(name=name, ip=ip, mac=self.mac(vendor, r), os=os_, role=role, fqdn=f"{name}.{self.ad}".lower(),
                 user=user, dept=dept, sysmon=(os_ == "windows"), presence=presence,
                 ttl=128 if os_ == "windows" else 64,
                 eph=(32768, 60999) if os_ == "linux" else (49152, 65535), **kw)
        self.hosts.append(h)
        return h

    def schedule(self, h: Host, r):
        """Fill h.online (machine on the network) and h.present (user at work)."""
        arrive = r.uniform(7.6, 9.8)
        leave = arrive + r.uniform(8.3, 9.6)
        work = []
        for day in self.days():
            m = self.lmid(day)
            if self.is_workday(day):
                if r.random() < 0.05:
                    continue  # day off
                a = m + (arrive + r.gauss(0, 0.3)) * 3600
                b = m + (leave + r.gauss(0, 0.4)) * 3600
            else:
                if r.random() > 0.03:
                    continue
                a = m + r.uniform(10, 15) * 3600
                b = a + r.uniform(1, 3) * 3600
            a, b = self.clip(a, b)
            if b - a > 300:
                work.append((a, b))
        h.present = work
        p = h.presence
        if p == "always":
            on = [(self.T0, self.T1, "end")]
            if "weekly_reboot" in h.tags:
                for day in self.days():
                    if self.weekday(day) == 2:  # Wednesday night after Patch Tuesday
                        rb = self.lmid(day) + r.uniform(2.9, 3.6) * 3600
                        if self.T0 < rb < self.T1 - 600:
                            on = [(self.T0, rb, "reboot"), (rb + r.uniform(150, 420), self.T1, "end")]
            if "blips" in h.tags and self.hours > 30 and r.random() < 0.4:
                pb = self.T0 + r.uniform(0.1, 0.9) * (self.T1 - self.T0)
                out = []
                for a, b, k in on:
                    if a < pb < b - 120:
                        out += [(a, pb, "power"), (pb + r.uniform(30, 180), b, k)]
                    else:
                        out.append((a, b, k))
                on = out
            h.online = on
            if h.role not in ("workstation", "laptop", "mac"):
                h.present = [(a, b) for a, b, _ in on]
        elif p == "office_desktop":
            h.online = [(a, b, "logoff") for a, b in work]
        elif p == "laptop":
            on = []
            for a, b in work:
                end_kind = "sleep" if r.random() < 0.6 else "logoff"
                if r.random() < 0.3 and b - a > 5 * 3600:
                    noon = a - ((a + self.tz * 3600) % 86400) + 12 * 3600  # local noon of that day
                    l1 = max(a + 3600, noon + r.uniform(-0.4, 0.8) * 3600)
                    l2 = l1 + r.uniform(25, 70) * 60
                    if l2 < b - 1800:
                        on += [(a, l1, "sleep"), (l2, b, end_kind)]
                        continue
                on.append((a, b, end_kind))
            h.online = on
        elif p == "phone_personal":
            h.online = [(max(self.T0, a - r.uniform(0, 600)), min(self.T1, b + r.uniform(0, 600)), "netchange")
                        for a, b in work]
            h.present = [(a, b) for a, b, _ in h.online]
        # the end of the data is not an end of presence
        h.online = [(a, b, "end" if b >= self.T1 else k) for a, b, k in h.online]

    # ------------------------------------------------------------------------------------------
    # session planning
    # ------------------------------------------------------------------------------------------
    def plan_persistent(self, r, intervals, *, delay=(10, 90), mean_len=None, fixed_len=None, gap=(3, 40),
                        vanish=(90, 260), drop_close=("rst_r",), min_len=20.0):
        """Sessions that live as long as their host interval (or a random/fixed length), reconnecting."""
        out = []
        for a, b, kind in intervals:
            t = a + r.uniform(*delay)
            pre = a <= self.T0 + 1e-6
            if pre:  # already connected when the data starts: Zeek sees it mid-stream
                t = self.T0 - r.uniform(20, 1800)
            while t < b - min_len:
                if fixed_len:
                    L = r.uniform(*fixed_len)
                elif mean_len:
                    L = r.expovariate(1.0 / mean_len)
                else:
                    L = float("inf")
                end = t + max(L, min_len)
                if end >= b:
                    if kind == "end":
                        s = Session(t, self.T1, self.T1, "open")
                    elif kind in ("logoff", "reboot"):
                        ts = b - r.uniform(0.5, 4)
                        s = Session(t, ts, ts + 0.05, "fin_o")
                    else:  # sleep, power loss, network change: client vanishes, server gives up later
                        s = Session(t, b, b + r.uniform(*vanish), "rst_r")
                    out.append(s)
                    break
                close = r.choice(drop_close)
                if close == "rst_r":
                    s = Session(t, end, end + r.uniform(*vanish), "rst_r")
                    nxt = end + r.uniform(*gap)
                else:
                    s = Session(t, end, end + 0.05, close)
                    nxt = s.t_close + r.uniform(*gap)
                out.append(s)
                t = nxt
        for s in out:
            if s.start < self.T0:
                s.extra["pre"] = True
        return out

    def finalize_sessions(self, actor: Actor):
        ss = []
        for s in actor.sessions:
            if s.start >= self.T1 - 1 or (s.start < self.T0 and not s.extra.get("pre")):
                continue
            if s.t_close <= self.T0 + 1:
                continue
            if s.t_close > self.T1 or s.t_stop > self.T1:
                if s.close in ("s0", "rej"):
                    continue
                s.close = "open"
                s.t_close = self.T1
                s.t_stop = min(s.t_stop, self.T1)
            if s.ep is None:
                s.ep = actor.ep
            if not s.port:
                s.port = actor.port
            ss.append(s)
        ss.sort(key=lambda s: s.start)
        for i, s in enumerate(ss):
            s.idx = i
        actor.sessions = ss

    def interval_index(self, h: Host, t: float) -> int:
        for i, (a, b, _) in enumerate(h.online):
            if a - 1 <= t <= b + 1:
                return i
        return -1

    def online_at(self, h: Host, t: float) -> bool:
        return any(a <= t < b for a, b, _ in h.online)

    def add_actor(self, a: Actor) -> Actor:
        self.finalize_sessions(a)
        self.actors.append(a)
        return a

    # ------------------------------------------------------------------------------------------
    def build(self):
        import benign
        import c2
        benign.build_hosts(self)
        benign.build_actors(self)
        c2.build_c2(self)
        benign.finish_federation(self)
        self.actors = [a for a in self.actors if a.sessions]
        return self
