#!/usr/bin/env python3
"""Validate a gen3 output directory: python3 check.py DIR"""
import json, os, sys
from collections import Counter

def read(path):
    fields, rows, hdr_ok = None, [], True
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
            elif line.startswith("#"):
                continue
            else:
                rows.append(line.split("\t"))
    return fields, rows

def main(d):
    err = 0
    logs = {}
    for name in ("conn", "dns", "ssl"):
        fields, rows = read(os.path.join(d, name + ".log"))
        bad = [i for i, r in enumerate(rows) if len(r) != len(fields)]
        if bad:
            print(name, "rows with wrong field count:", len(bad)); err += 1
        ts = [float(r[0]) for r in rows]
        if any(b < a for a, b in zip(ts, ts[1:])):
            print(name, "not sorted by ts"); err += 1
        logs[name] = (fields, [dict(zip(fields, r)) for r in rows])
        print("%s.log: %d rows, %d fields" % (name, len(rows), len(fields)))
    conn = logs["conn"][1]
    byuid = {r["uid"]: r for r in conn}
    if len(byuid) != len(conn):
        print("duplicate conn uids"); err += 1
    # state/history consistency
    for r in conn:
        st, h = r["conn_state"], r["history"]
        if st in ("SF", "S1", "S0", "REJ", "RSTO", "RSTR") and r["proto"] == "tcp" and not h.startswith("S"):
            print("tcp state", st, "with history", h); err += 1; break
        if st == "OTH" and "S" in h:
            print("OTH with SYN", h); err += 1; break
        if st == "SF" and r["proto"] == "tcp" and not ("F" in h and "f" in h):
            print("SF without FINs", h); err += 1; break
    # joins
    for name, ports in (("ssl", None), ("dns", {"53"})):
        for r in logs[name][1]:
            c = byuid.get(r["uid"])
            if c is None:
                print(name, "uid without conn row", r["uid"]); err += 1; break
            if (c["id.orig_h"], c["id.orig_p"], c["id.resp_h"], c["id.resp_p"]) != (r["id.orig_h"], r["id.orig_p"], r["id.resp_h"], r["id.resp_p"]):
                print(name, "4-tuple mismatch", r["uid"]); err += 1; break
            if name == "ssl" and "ssl" not in c["service"]:
                print("ssl row on non-ssl conn", c["service"]); err += 1; break
            if name == "dns" and c["service"] != "dns":
                print("dns row on non-dns conn"); err += 1; break
    ssl_uids = set(r["uid"] for r in logs["ssl"][1])
    miss = [r for r in conn if "ssl" in r["service"] and r["history"].startswith("S") and r["uid"] not in ssl_uids]
    if miss:
        print("ssl conns (with SYN) lacking ssl.log row:", len(miss)); err += 1
    dns_uids = set(r["uid"] for r in logs["dns"][1])
    miss = [r for r in conn if r["service"] == "dns" and r["uid"] not in dns_uids]
    if miss:
        print("dns conns lacking dns.log row:", len(miss)); err += 1
    # truth
    t = json.load(open(os.path.join(d, "truth.json")))
    cnt = Counter((r["id.orig_h"], r["id.resp_h"], int(r["id.resp_p"])) for r in conn)
    seen = set()
    for ch in t["channels"]:
        k = (ch["src_ip"], ch["dst_ip"], ch["dst_port"])
        if k in seen:
            print("duplicate truth triple", k); err += 1
        seen.add(k)
        if cnt[k] != ch["connections"]:
            print("count mismatch", ch["id"], k, ch["connections"], cnt[k]); err += 1
    c2 = [c for c in t["channels"] if c["label"] == "c2"]
    bn = [c for c in t["channels"] if c["label"] == "benign"]
    ps = sum(c["connections"] for c in t["channels"])
    print("truth: %d c2 triples (%d categories, %d hosts), %d benign triples (%d categories)" % (
        len(c2), len(set(c["category"] for c in c2)), len(set(c["src_ip"] for c in c2)), len(bn), len(set(c["category"] for c in bn))))
    print("pub/sub rows: %d of %d conn rows (%.1f%%)" % (ps, len(conn), 100.0 * ps / len(conn)))
    print("conn_state:", dict(Counter(r["conn_state"] for r in conn).most_common()))
    print("OK" if not err else "ERRORS: %d" % err)
    return 1 if err else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
