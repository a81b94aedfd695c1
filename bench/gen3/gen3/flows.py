"""Flow primitives: owns turning one network event into Zeek rows -- a conn.log
row, a short TCP or UDP connection with consistent packet counts and history,
the matching ssl.log row, a cache-aware DNS lookup (with the resolver's
upstream query) and its dns.log rows, NXDOMAIN lookups, long-lived sessions
held with keepalives (split by Zeek's inactivity timeout), and Poisson arrival
times. Provided as a mixin that World inherits, so every call is w.tcp(...),
w.lookup(...), w.held(...) and the rows land in w.conn, w.dns and w.ssl.
"""
import math

INACT = 300.0  # Zeek tcp_inactivity_timeout


def seg(b):
    return int(math.ceil(b / 1448.0))


class Flows:
    # ---------------- low level log writers
    def row(self, ts, uid, src, sp, dst, dp, proto, svc, dur, ob, rb, state, hist, opk, oib, rpk, rib):
        if ts < self.start or ts >= self.end:
            return False
        loc_o = "T" if self.internal(src) else "F"
        loc_r = "T" if self.internal(dst) else "F"
        self.conn.append((ts, uid, src, sp, dst, dp, proto, svc, dur, ob, rb, state, loc_o, loc_r, 0, hist, opk, oib, rpk, rib))
        return True

    @staticmethod
    def internal(ip):
        return ip.startswith("10.") or ip.startswith("192.168.")

    def tcp(self, h, t, dst, dport, dur, ob, rb, svc="-", state="SF", sport=None, hist=None, ssl=None, hdr=None):
        """One TCP connection with consistent packets/history. Returns uid or None."""
        r = self.rng
        t = max(t, self.start) if False else t
        if t < self.start or t >= self.end:
            return None
        if t + (dur or 0) > self.end:
            dur = max(0.0005, self.end - t - 0.001)
            if state == "SF":
                state, hist = "S1", "ShADad" if rb else "ShAD"
        sp = sport or h.port()
        hd = hdr or h.hdr
        uid = self.uid()
        if state == "S0":
            n = r.choice([1, 1, 2, 3])
            d = "-" if n == 1 else [0, 3.0, 9.0][n - 1] + r.uniform(0, 0.05)
            self.row(t, uid, h.ip, sp, dst, dport, "tcp", "-", d, "-" if n == 1 else 0, "-" if n == 1 else 0,
                     "S0", "S", n, n * (hd + 12), 0, 0)
            return uid
        if state == "REJ":
            self.row(t, uid, h.ip, sp, dst, dport, "tcp", "-", r.uniform(0.0002, 0.05), 0, 0, "REJ", "Sr",
                     1, hd + 12, 1, 40)
            return uid
        ob, rb = int(ob), int(rb)
        so, sr = seg(ob), seg(rb)
        opk = 2 + so + (sr + 1) // 2
        rpk = 1 + sr + (so + 1) // 2
        if hist is None:
            hist = "ShA" + ("D" if ob else "") + ("ad" if rb else "")
            if state == "SF":
                hist += r.choice(["Ff", "fF", "Ff", "Ff"])
            elif state == "RSTO":
                hist += "R"
            elif state == "RSTR":
                hist += r.choice(["r", "Fr"])
        if "F" in hist:
            opk += 1
        if "f" in hist:
            rpk += 1
        if state in ("SF", "RSTO", "RSTR"):
            opk += 1
        self.row(t, uid, h.ip, sp, dst, dport, "tcp", svc, dur, ob, rb, state, hist,
                 opk, ob + opk * hd, rpk, rb + rpk * hd)
        if ssl and svc != "-" and "ssl" in svc:
            self.ssl_row(t + r.uniform(0.005, 0.15) if state != "OTH" else t, uid, h.ip, sp, dst, dport, ssl)
        return uid

    def ssl_row(self, t, uid, src, sp, dst, dp, s):
        r = self.rng
        ver = s.get("ver") or ("TLSv13" if r.random() < 0.8 else "TLSv12")
        if ver == "TLSv13":
            ciph = r.choice(["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"])
        else:
            ciph = r.choice(["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"])
        curve = s.get("curve") or r.choice(["x25519", "x25519", "secp256r1"])
        resumed = "T" if (s.get("resume", 0.0) > r.random()) else "F"
        self.ssl.append((t, uid, src, sp, dst, dp, ver, ciph, curve, s.get("sni") or "-", resumed, "-",
                         s.get("alpn") or "-", "T"))

    def udp(self, h, t, dst, dport, svc, ob, rb, dur=None, sport=None, src_ip=None, hdr=28):
        r = self.rng
        if t < self.start or t >= self.end:
            return None
        uid = self.uid()
        sp = sport or (h.port() if h else r.randint(1024, 65535))
        if rb:
            d = dur if dur is not None else r.uniform(0.0004, 0.04)
            self.row(t, uid, src_ip or h.ip, sp, dst, dport, "udp", svc, d, ob, rb, "SF", "Dd", 1, ob + hdr, 1, rb + hdr)
        else:
            self.row(t, uid, src_ip or h.ip, sp, dst, dport, "udp", svc, "-", "-", "-", "S0", "D", 1, ob + hdr, 0, 0)
        return uid, sp

    # ---------------- DNS
    def lookup(self, h, t, name, qtype="A"):
        """Host h resolves name at t (cache aware). Returns (ips, t_after)."""
        r = self.rng
        rec = self.names[name]
        exp = h.cache.get(name)
        if exp and exp[0] > t:
            return exp[1], t
        ips = list(rec.ips)
        if rec.nans:
            r.shuffle(ips)
            ips = ips[:rec.nans]
        ttl = rec.ttl
        res = h.resolver
        rtt = r.uniform(0.0006, 0.004) if self.internal(res) else r.uniform(0.008, 0.04)
        # resolver cache miss -> upstream query from the resolver
        if self.internal(res) and not self.internal(ips[0]):
            rc = self.res_cache.get(name)
            if not rc or rc < t:
                self.res_cache[name] = t + ttl
                up = r.choice(self.upstream)
                rtt += r.uniform(0.01, 0.05)
                self._dns(self.resolver_host, t + 0.0003, up, name, ips, ttl, rec.cname, r.uniform(0.008, 0.045))
        self._dns(h, t, res, name, ips, ttl, rec.cname, rtt)
        if h.os == "win" and r.random() < 0.35:
            self._dns(h, t + 0.0001, res, name, [], ttl, rec.cname, rtt, qtype="AAAA")
        h.cache[name] = (t + (ttl if h.kind not in ("iot", "camera") else 0), ips)
        return ips, t + rtt + r.uniform(0.0005, 0.01)

    def _dns(self, h, t, res, name, ips, ttl, cname, rtt, qtype="A", rcode=0):
        r = self.rng
        q = len(name) + 18
        ans = []
        ttls = []
        if cname:
            ans.append(cname)
            ttls.append(ttl * 2)
        ans += ips
        ttls += [ttl] * len(ips)
        resp = q + 16 * len(ips) + (len(cname) + 14 if cname else 0) + (11 if r.random() < 0.7 else 0)
        if not ips and not cname:
            resp = q + 60
        res_u = self.udp(h, t, res, 53, "dns", q, resp, dur=rtt)
        if not res_u:
            return
        uid, sp = res_u
        self.dns.append((t, uid, h.ip, sp, res, 53, "udp", r.randint(0, 65535), "%.6f" % rtt, name, 1, "C_INTERNET",
                         1 if qtype == "A" else 28, qtype, rcode, ["NOERROR", "", "", "NXDOMAIN"][rcode] if rcode in (0, 3) else "SERVFAIL",
                         "F", "F", "T", "T", 0, ",".join(ans) if ans else "-",
                         ",".join("%.6f" % x for x in ttls) if ttls else "-", "F"))

    def nx(self, h, t, name):
        r = self.rng
        q = len(name) + 18
        res_u = self.udp(h, t, h.resolver, 53, "dns", q, q + 75, dur=r.uniform(0.001, 0.03))
        if res_u:
            uid, sp = res_u
            self.dns.append((t, uid, h.ip, sp, h.resolver, 53, "udp", r.randint(0, 65535), "%.6f" % r.uniform(0.001, 0.03),
                             name, 1, "C_INTERNET", 1, "A", 3, "NXDOMAIN", "F", "F", "T", "T", 0, "-", "-", "F"))

    # ---------------- session primitives
    def held(self, h, t0, t1, dst, dport, ka, svc, hs=(700, 4200), ka_b=(2, 2), up_bph=0.0, down_bph=0.0,
             end_kind="fin", ssl=None, sport=None):
        """A long-lived TCP session from t0 to t1 with app keepalive every ka seconds."""
        r = self.rng
        S, E = self.start, self.end
        if t1 <= S or t0 >= E or t1 <= t0:
            return
        sp = sport or h.port()
        pre, post = t0 < S, t1 > E
        if ka > INACT:
            # Zeek expires idle connection state: one row per burst of activity
            t = t0
            first = True
            while t < t1 and t < E:
                last = (t + ka > t1)
                if t >= S:
                    d = r.uniform(0.04, 0.6)
                    ob = ka_b[0] + 31 + int(up_bph * ka / 3600 * r.uniform(0.3, 1.7))
                    rb = ka_b[1] + 31 + int(down_bph * ka / 3600 * r.uniform(0.3, 1.7))
                    if first and not pre:
                        self.tcp(h, t, dst, dport, d + r.uniform(0.1, 1.5), ob + hs[0], rb + hs[1], svc,
                                 state="S1", hist="ShADad", sport=sp, ssl=ssl)
                    else:
                        hist = r.choice(["DdA", "DdA", "Dd", "DdAa"])
                        st = "OTH"
                        if last and not post and end_kind == "fin":
                            hist += "Ff"
                        self.row(t, self.uid(), h.ip, sp, dst, dport, "tcp", svc.replace("xmpp,", "") if svc != "-" else "-",
                                 d, ob, rb, st, hist, 2 + ("F" in hist), ob + (2 + ("F" in hist)) * h.hdr,
                                 1 + ("f" in hist), rb + (1 + ("f" in hist)) * h.hdr)
                first = False
                t += ka * r.uniform(0.85, 1.15)
            return
        a = max(t0, S)
        if pre:
            a = S + r.uniform(0.05, ka)
        b = min(t1, E - r.uniform(0.1, min(ka, 30)))
        if b <= a:
            return
        dur = b - a
        nka = dur / ka
        ob = (0 if pre else hs[0]) + nka * ka_b[0] + up_bph * dur / 3600 * r.uniform(0.8, 1.2)
        rb = (0 if pre else hs[1]) + nka * ka_b[1] + down_bph * dur / 3600 * r.uniform(0.8, 1.2)
        ob, rb = int(ob), int(rb)
        so, sr = seg(ob) , seg(rb)
        nmsg_o = int(nka) + int(up_bph * dur / 3600 / 300) + 4
        nmsg_r = int(nka) + int(down_bph * dur / 3600 / 300) + 4
        opk = max(so, nmsg_o) + nmsg_r // 2 + 2
        rpk = max(sr, nmsg_r) + nmsg_o // 2 + 1
        if pre:
            hist = r.choice(["DdA", "DdAa", "Dd"])
            state = "OTH"
            if not post and end_kind == "fin":
                hist += "Ff"
            elif not post and end_kind == "rst":
                hist += "R"
        else:
            hist = "ShADad"
            if post or end_kind == "abrupt":
                state = "S1"
            elif end_kind == "fin":
                state = "SF"
                hist += r.choice(["Ff", "fF"])
            else:
                state = r.choice(["RSTO", "RSTR"])
                hist += "R" if state == "RSTO" else "r"
        uid = self.uid()
        self.row(a, uid, h.ip, sp, dst, dport, "tcp", svc, dur, ob, rb, state, hist,
                 opk, ob + opk * h.hdr, rpk, rb + rpk * h.hdr)
        if ssl and not pre:
            self.ssl_row(a + r.uniform(0.01, 0.2), uid, h.ip, sp, dst, dport, ssl)

    def poisson(self, a, b, rate_per_h):
        r = self.rng
        out = []
        if rate_per_h <= 0:
            return out
        t = a + r.expovariate(rate_per_h / 3600.0)
        while t < b:
            out.append(t)
            t += r.expovariate(rate_per_h / 3600.0)
        return out
