"""Zeek output: owns writing the finished world to disk -- conn.log, dns.log
and ssl.log in Zeek's tab-separated ASCII format (header, rows sorted by
timestamp, close line) and truth.json, which lists every registered benign
and C2 channel that produced at least one conn.log row, with its connection
count and first/last time seen.
"""
import datetime as dt
import json
import os

CONN_F = "ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto service duration orig_bytes resp_bytes conn_state local_orig local_resp missed_bytes history orig_pkts orig_ip_bytes resp_pkts resp_ip_bytes tunnel_parents"
CONN_T = "time string addr port addr port enum string interval count count string bool bool count string count count count count set[string]"
DNS_F = "ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto trans_id rtt query qclass qclass_name qtype qtype_name rcode rcode_name AA TC RD RA Z answers TTLs rejected"
DNS_T = "time string addr port addr port enum count interval string count string count string count string bool bool bool bool count vector[string] vector[interval] bool"
SSL_F = "ts uid id.orig_h id.orig_p id.resp_h id.resp_p version cipher curve server_name resumed last_alert next_protocol established"
SSL_T = "time string addr port addr port string string string string bool string string bool"


def fmt(v):
    if isinstance(v, float):
        return "%.6f" % v
    return str(v)


def write_log(w, path, name, fields, types, rows):
    zt = lambda t: dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%d-%H-%M-%S")
    rows.sort(key=lambda x: x[0])
    with open(path, "w") as f:
        f.write("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n")
        f.write("#path\t%s\n#open\t%s\n" % (name, zt(w.start)))
        f.write("#fields\t" + fields.replace(" ", "\t") + "\n#types\t" + types.replace(" ", "\t") + "\n")
        for row in rows:
            if name == "conn":
                row = row + ("-",)
            f.write("\t".join(fmt(x) for x in row) + "\n")
        f.write("#close\t%s\n" % zt(w.end + 1))


def iso(t):
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def write_logs(w, out):
    """Write conn.log, dns.log and ssl.log for world w into directory out."""
    write_log(w, os.path.join(out, "conn.log"), "conn", CONN_F, CONN_T, w.conn)
    write_log(w, os.path.join(out, "dns.log"), "dns", DNS_F, DNS_T, w.dns)
    write_log(w, os.path.join(out, "ssl.log"), "ssl", SSL_F, SSL_T, w.ssl)


def write_truth(w, out, seed, hours):
    """Write truth.json for world w into directory out; return (n_c2, n_benign)."""
    stats = {}
    for row in w.conn:
        k = (row[2], row[4], row[5])
        if k in w.chan_idx:
            s = stats.get(k)
            if s is None:
                stats[k] = [1, row[0], row[0]]
            else:
                s[0] += 1
                s[2] = row[0]
    chans = []
    nc2 = nb = 0
    for k, i in w.chan_idx.items():
        if k not in stats:
            continue
        c = dict(w.channels[i])
        s = stats[k]
        if c["label"] == "c2":
            nc2 += 1
            c["id"] = "c2-%03d" % nc2
        else:
            nb += 1
            c["id"] = "bn-%03d" % nb
        c["connections"] = s[0]
        c["first_seen"] = iso(s[1])
        c["last_seen"] = iso(s[2])
        chans.append({kk: c[kk] for kk in ("id", "label", "category", "description", "src_ip", "dst_ip", "dst_port",
                                            "connections", "first_seen", "last_seen")})
    truth = {"generator": "gen3", "seed": seed, "hours": hours, "start": iso(w.start), "end": iso(w.end),
             "utc_offset_hours": w.off,
             "internal_networks": ["10.10.0.0/16", "10.20.0.0/16", "192.168.0.0/16"],
             "channels": chans}
    with open(os.path.join(out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1)
    return nc2, nb
